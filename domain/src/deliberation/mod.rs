//! 三重一大 deliberation (SPEC section A): the proposal state machine with its transition
//! table (who may do what, from which state, to which state — for the whole flow, R01–R18),
//! the meeting and item states, and the pure rule checks of R01–R13.
//!
//! The table is shared by both halves of the backend: `yishi::deliberation` (proposals to
//! decisions, R01–R13) and the minutes/publication/archive part (R14–R18), whose rows are
//! marked [`Owner::AfterDecision`]. Every state change goes through [`state::apply`].
//!
//! How a decision leaves the proposal (for the R14–R18 part):
//! - adopted → `decided`, or `pending_superior` when `needs_superior_approval` (R14; the
//!   superior approval then moves it to `decided`);
//! - not adopted → `rejected`; deferred → `deferred` (lapses to `lapsed`, R13).
//! - `proposals.outcome`/`decision_text`/`decided_at`/`meeting_id` hold the last decision;
//!   the meeting item (`meeting_items`) holds path, mode, tally, override reason.

pub mod minutes;
pub mod publication;
pub mod rules;
pub mod state;

pub use state::{Command, ItemState, MeetingState, Owner, ProposalState, Transition, Who, TRANSITIONS, apply};
