//! Schema migrations for Yishi, one file per change, never edited once released.
//! The same migrations run on SQLite (embedded default) and PostgreSQL (production).
//! Conventions: ids are text (UUIDv7), times are `timestamp with time zone` (UTC),
//! money is BIGINT fen, mutable rows carry `version` for optimistic concurrency (R42).
pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000010_deliberation;
mod m20261122_000020_minutes;
mod m20261122_000030_incoming;
mod m20261122_000040_outgoing;
mod m20261122_000050_oversight;
mod m20261204_090000_list_indexes;
mod m20261205_180000_meeting_indexes;
pub mod util;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000010_deliberation::Migration),
            Box::new(m20261122_000020_minutes::Migration),
            Box::new(m20261122_000030_incoming::Migration),
            Box::new(m20261122_000040_outgoing::Migration),
            Box::new(m20261122_000050_oversight::Migration),
            Box::new(m20261204_090000_list_indexes::Migration),
            Box::new(m20261205_180000_meeting_indexes::Migration),
        ]
    }
}
