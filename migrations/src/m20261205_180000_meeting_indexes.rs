//! Indexes for a meeting's page and the objects' histories (issue 8, found reading scenario
//! B's statement log with `EXPLAIN QUERY PLAN`):
//! - a meeting's ballots and participations were found by `(item_id, voter_id)` only, so the
//!   page's "my ballots" and "who has voted" read the whole `ballots` and
//!   `ballot_participations` tables, every meeting's in the unit's history, on every open;
//!   the meeting's statements likewise;
//! - a meeting's items, observers, a proposal's pre-consultations, an object's attachments
//!   and history were found by index but sorted afterwards in a temporary B-tree; with the
//!   order's column in the index they come out in order.
//!
//! Plain B-tree indexes: the same statements on SQLite and PostgreSQL.
use crate::util::{IndexSpec, add_indexes_replacing, drop_indexes_restoring};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, table, columns)
const INDEXES: &[IndexSpec] = &[
    ("ix_ballots_meeting_voter", "ballots", &["meeting_id", "voter_id"]),
    ("ix_ballot_participations_meeting_voter", "ballot_participations", &["meeting_id", "voter_id"]),
    ("ix_statements_meeting_seq", "statements", &["meeting_id", "seq"]),
    ("ix_meeting_items_meeting_position", "meeting_items", &["meeting_id", "position"]),
    ("ix_observers_meeting_created", "observers", &["meeting_id", "created_at"]),
    ("ix_preconsult_proposal_created", "preconsult_records", &["proposal_id", "created_at"]),
    ("ix_attachments_owner_created", "attachments", &["owner_type", "owner_id", "created_at"]),
    ("ix_trail_object_at_id", "trail", &["object_type", "object_id", "at", "id"]),
];

/// Superseded by the indexes above (the same leading columns).
const REPLACED: &[IndexSpec] = &[
    ("ix_preconsult_proposal", "preconsult_records", &["proposal_id"]),
    ("ix_attachments_owner", "attachments", &["owner_type", "owner_id"]),
    ("ix_trail_object", "trail", &["object_type", "object_id", "at"]),
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
