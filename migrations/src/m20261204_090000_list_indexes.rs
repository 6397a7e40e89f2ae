//! Indexes for the document lists and the to-do list on large databases (issue 8:
//! 1,000,000 documents, 10,000 users). The lists filter visibility (D13) in SQL and page
//! newest first, so every query is an index range scan in list order, not a scan of the unit:
//! - lists: `(unit_id, id)` for incoming documents (UUIDv7 ids, newest first), `(unit_id,
//!   created_at, id)` for outgoing ones, and `(unit_id, state, …)` for the `state` filter and the
//!   to-do providers (these replace the `(unit_id, state)` indexes of the flow migrations);
//! - visibility: the documents a person touched (trail by actor, and by the absent colleague
//!   a backup acted for), incoming parts by section, reminders by assignee;
//! - organisation snapshots loaded per request: today's absences of a unit, the backups of a
//!   unit's members (D11);
//! - the spending documents of a unit (`amount_fen` set), which the splitting check (S03) reads
//!   for the principal's and the inspectors' to-do lists.
//!
//! Plain B-tree indexes on text and timestamp columns: the same statements on SQLite and PostgreSQL.
use crate::util::{IndexSpec, add_indexes_replacing, drop_indexes_restoring};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, table, columns)
const INDEXES: &[IndexSpec] = &[
    ("ix_incoming_unit_id", "incoming_documents", &["unit_id", "id"]),
    ("ix_incoming_unit_state_id", "incoming_documents", &["unit_id", "state", "id"]),
    ("ix_incoming_assignment_section", "incoming_assignments", &["section_id", "document_id"]),
    ("ix_incoming_reminders_assignee", "incoming_reminders", &["assignee_id"]),
    ("ix_outgoing_unit_created", "outgoing_documents", &["unit_id", "created_at", "id"]),
    ("ix_outgoing_unit_state_created", "outgoing_documents", &["unit_id", "state", "created_at", "id"]),
    // Spending documents of a unit (S03 splitting detection, the principal's and inspectors' to-do).
    ("ix_outgoing_unit_amount", "outgoing_documents", &["unit_id", "amount_fen"]),
    ("ix_trail_actor", "trail", &["actor_id", "object_type", "unit_id"]),
    ("ix_trail_on_behalf", "trail", &["on_behalf_of", "object_type", "unit_id"]),
    ("ix_absences_unit_to", "absences", &["unit_id", "to_date"]),
    ("ix_memberships_unit_backup", "memberships", &["unit_id", "backup_user_id"]),
];

/// Superseded by the `(unit_id, state, …)` indexes above (same leading columns).
const REPLACED: &[IndexSpec] = &[
    ("ix_incoming_unit_state", "incoming_documents", &["unit_id", "state"]),
    ("ix_outgoing_unit_state", "outgoing_documents", &["unit_id", "state"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_indexes_replacing(m, INDEXES, REPLACED).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_indexes_restoring(m, INDEXES, REPLACED).await
    }
}
