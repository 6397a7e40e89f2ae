//! Oversight (S02, S03) and the job runner's attempt log (R46).
//! - `job_attempts`: one row per claim of a job by an instance (who, when, outcome, error);
//!   a job that ran exactly once has exactly one row.
//! - `oversight_flags`: threshold-splitting detections (S03) kept so that the principal and
//!   the inspector can acknowledge them; the detection itself is recomputed from the facts.
use crate::util::{index, table_with_id, version};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table_with_id("job_attempts")
                .col(string("job_id"))
                .col(string("kind"))
                .col(string("instance_id"))
                .col(integer("attempt"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .col(string("outcome"))
                .col(text_null("error"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_job_attempts_job", "job_attempts", &["job_id"], false)).await?;
        m.create_table(
            table_with_id("oversight_flags")
                .col(string("unit_id"))
                .col(string("kind"))
                .col(string_uniq("group_key"))
                .col(string_null("section_id"))
                .col(string("payee"))
                .col(big_integer("total_fen"))
                .col(big_integer("threshold_fen"))
                .col(text("items"))
                .col(timestamp_with_time_zone("first_at"))
                .col(timestamp_with_time_zone("last_at"))
                .col(timestamp_with_time_zone("detected_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(string("state"))
                .col(string_null("acknowledged_by"))
                .col(timestamp_with_time_zone_null("acknowledged_at"))
                .col(text_null("note"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_oversight_flags_unit", "oversight_flags", &["unit_id", "state"], false)).await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("oversight migration cannot be reverted (records are kept)".into()))
    }
}
