//! Yishi's pure domain layer: the rules of SPEC.md expressed as plain Rust values and
//! functions. No I/O, no web framework, no ORM: everything here is deterministic and
//! unit-tested, so the backend (and the wasm frontend) can share it.
//!
//! - [`error`]: the one error type every rule refusal uses (`DomainError`, stable codes).
//! - [`money`]: exact yuan amounts in 分 (R01).
//! - [`calendar`]: per-unit working-day calendar (R06, R16, R45, D02).
//! - [`time`]: UTC storage / Asia/Shanghai presentation (R45).
//! - [`enums`]: wire enumerations of API.md with Chinese labels.
//! - [`roles`]: unit roles and the three separated admin roles.
//! - [`settings`]: unit settings, quorum ratios (R08) and merge-PUT semantics.
//! - [`deliberation`]: the 三重一大 proposal state machine and the rules R01–R13.
//! - [`routing`]: document routing state machines (SPEC B).
//! - [`oversight`]: compliance checks over stored facts (S02) and threshold splitting (S03).

pub mod calendar;
pub mod deliberation;
pub mod enums;
pub mod error;
pub mod money;
pub mod oversight;
pub mod roles;
pub mod routing;
pub mod settings;
pub mod time;
