//! Persistence: sea-orm entities (one file per table).
pub mod entities;
