//! After the decision (R15–R18, S01): minutes and their versions with the serial register,
//! internal publication with real-name opinions, and the archive.
//! JSON documents are stored as text (one code path for SQLite and PostgreSQL).
use crate::util::{index, table_with_id, version};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // R15: one row per version. `root_id` groups the versions of one minutes (the id of
        // version 1); `previous_id` links a revision to the version it corrects. Approved
        // rows are never updated except to mark them superseded by a later approved version.
        m.create_table(
            table_with_id("minutes")
                .col(string("unit_id"))
                .col(string("meeting_id"))
                .col(string("root_id"))
                .col(integer("version_no"))
                .col(string_null("previous_id"))
                .col(string("meeting_type"))
                .col(text("body"))
                .col(string("state"))
                .col(integer_null("year"))
                .col(big_integer_null("serial_no"))
                .col(string_null("serial"))
                .col(text_null("revision_reason"))
                .col(string("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(string_null("approved_by"))
                .col(timestamp_with_time_zone_null("approved_at"))
                .col(boolean("archived").default(false))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_minutes_root_version", "minutes", &["root_id", "version_no"], true)).await?;
        m.create_index(index("ix_minutes_meeting", "minutes", &["meeting_id"], false)).await?;
        m.create_index(index("ix_minutes_unit_state", "minutes", &["unit_id", "state"], false)).await?;

        // R15: the serial register — one number per minutes (root), unique per unit,
        // meeting type and year. Revisions keep their minutes' number.
        m.create_table(
            table_with_id("minutes_serials")
                .col(string("unit_id"))
                .col(string("meeting_type"))
                .col(integer("year"))
                .col(big_integer("serial_no"))
                .col(string_uniq("root_id"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_minutes_serials_series",
            "minutes_serials",
            &["unit_id", "meeting_type", "year", "serial_no"],
            true,
        ))
        .await?;

        // R16/R17: publication of one approved minutes version.
        m.create_table(
            table_with_id("publications")
                .col(string("unit_id"))
                .col(string("minutes_id"))
                .col(string("minutes_root_id"))
                .col(string("meeting_id"))
                .col(string("state"))
                .col(text("withheld"))
                .col(string("opened_by"))
                .col(timestamp_with_time_zone("opened_at"))
                .col(timestamp_with_time_zone("closes_at"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(string_null("closed_by"))
                .col(text_null("summary"))
                .col(string_null("summary_by"))
                .col(timestamp_with_time_zone_null("summary_at"))
                .col(string_null("resolution"))
                .col(text_null("resolution_note"))
                .col(string_null("resolved_by"))
                .col(timestamp_with_time_zone_null("resolved_at"))
                .col(boolean("archived").default(false))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_publications_unit_state", "publications", &["unit_id", "state", "closes_at"], false)).await?;
        m.create_index(index("ix_publications_due", "publications", &["state", "closes_at"], false)).await?;
        m.create_index(index("ix_publications_minutes", "publications", &["minutes_root_id"], false)).await?;
        // One publication per minutes version.
        m.create_index(index("ux_publications_minutes_version", "publications", &["minutes_id"], true)).await?;

        m.create_table(
            table_with_id("publication_opinions")
                .col(string("unit_id"))
                .col(string("publication_id"))
                .col(string("author_id"))
                .col(text("text"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_publication_opinions_pub", "publication_opinions", &["publication_id"], false)).await?;

        // R18: archived records. `content` is the frozen snapshot (JSON) the package is built
        // from; `manifest` lists its files with SHA-256 digests.
        m.create_table(
            table_with_id("archive_items")
                .col(string("unit_id"))
                .col(string("kind"))
                .col(string("title"))
                .col(string_null("proposal_id"))
                .col(string_null("meeting_id"))
                .col(string_null("minutes_id"))
                .col(string_null("publication_id"))
                .col(string_null("category"))
                .col(string_null("serial"))
                .col(text("content"))
                .col(text("manifest"))
                .col(string("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_archive_items_unit_kind", "archive_items", &["unit_id", "kind", "created_at"], false)).await?;
        m.create_index(index("ix_archive_items_proposal", "archive_items", &["proposal_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // Minutes, opinions and the archive are kept forever (R18).
        Err(DbErr::Migration("minutes/archive migration cannot be reverted".into()))
    }
}
