//! Foundation: accounts, units, sections, memberships, calendar, absences, sessions,
//! login throttling, authorization policy, audit log (R19), attachments (R44),
//! counters (gapless numbers, R15/D09), trail, background jobs (R46).
use crate::util::{index, table, table_with_id, version};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table_with_id("users")
                .col(string_uniq("username"))
                .col(string("display_name"))
                .col(string("password_hash"))
                .col(string_null("admin_role"))
                .col(boolean("must_change_password").default(true))
                .col(boolean("active").default(true))
                .col(timestamp_with_time_zone("created_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_table(
            table_with_id("units")
                .col(string("name"))
                .col(string_uniq("short_code"))
                .col(string_null("parent_id"))
                .col(text("settings"))
                .col(timestamp_with_time_zone("created_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_table(
            table_with_id("sections")
                .col(string("unit_id"))
                .col(string("name"))
                .col(string_null("deputy_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_sections_unit", "sections", &["unit_id"], false)).await?;
        m.create_table(
            table_with_id("memberships")
                .col(string("unit_id"))
                .col(string("user_id"))
                .col(text("roles"))
                .col(string_null("section_id"))
                .col(string_null("backup_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_memberships_unit_user", "memberships", &["unit_id", "user_id"], true)).await?;
        m.create_index(index("ix_memberships_user", "memberships", &["user_id"], false)).await?;
        m.create_table(
            table("calendars")
                .col(string("unit_id"))
                .col(integer("year"))
                .col(text("holidays"))
                .col(text("workdays"))
                .col(version())
                .primary_key(Index::create().col("unit_id").col("year"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table_with_id("absences")
                .col(string("unit_id"))
                .col(string("user_id"))
                .col(string("from_date"))
                .col(string("to_date"))
                .col(string("reason"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_absences_user", "absences", &["user_id"], false)).await?;
        m.create_table(
            table_with_id("sessions")
                .col(string("user_id"))
                .col(string("csrf_token"))
                .col(integer("idle_minutes"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(string_null("client_addr"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_sessions_user", "sessions", &["user_id"], false)).await?;
        m.create_table(
            table("login_throttle")
                .col(string("key").primary_key())
                .col(integer("failures"))
                .col(timestamp_with_time_zone("window_start"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("casbin_rules")
                .col(pk_auto("id"))
                .col(string("ptype"))
                .col(string("v0"))
                .col(string("v1"))
                .col(string("v2"))
                .col(string("v3"))
                .col(string("v4").default(""))
                .col(string("v5").default(""))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("meta")
                .col(string("key").primary_key())
                .col(text("value"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("audit_log")
                .col(big_integer("seq").primary_key())
                .col(string("id"))
                .col(timestamp_with_time_zone("at"))
                .col(string_null("actor_id"))
                .col(string_null("on_behalf_of"))
                .col(string_null("unit_id"))
                .col(string("action"))
                .col(string("object_type"))
                .col(string_null("object_id"))
                .col(text("before_state"))
                .col(text("after_state"))
                .col(string_null("client_addr"))
                .col(boolean("permanent").default(false))
                .col(string("prev_hash"))
                .col(string("hash"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_audit_object", "audit_log", &["object_type", "object_id"], false)).await?;
        m.create_index(index("ix_audit_unit", "audit_log", &["unit_id", "seq"], false)).await?;
        m.create_index(index("ix_audit_actor", "audit_log", &["actor_id", "seq"], false)).await?;
        m.create_table(
            table("audit_head")
                .col(integer("id").primary_key())
                .col(big_integer("seq"))
                .col(string("hash"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table_with_id("attachments")
                .col(string("unit_id"))
                .col(string("owner_type"))
                .col(string_null("owner_id"))
                .col(string("uploader_id"))
                .col(string("file_name"))
                .col(string("content_type"))
                .col(big_integer("size"))
                .col(string("sha256"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_attachments_owner", "attachments", &["owner_type", "owner_id"], false)).await?;
        m.create_table(
            table("counters")
                .col(string("key").primary_key())
                .col(big_integer("value"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table_with_id("trail")
                .col(string("unit_id"))
                .col(string("object_type"))
                .col(string("object_id"))
                .col(string_null("actor_id"))
                .col(string_null("on_behalf_of"))
                .col(string("action"))
                .col(string_null("from_state"))
                .col(string_null("to_state"))
                .col(text_null("note"))
                .col(timestamp_with_time_zone("at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_trail_object", "trail", &["object_type", "object_id", "at"], false)).await?;
        m.create_table(
            table_with_id("jobs")
                .col(string("kind"))
                .col(string_uniq("dedupe_key"))
                .col(timestamp_with_time_zone("run_at"))
                .col(text("payload"))
                .col(string("state"))
                .col(string_null("lease_owner"))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone_null("done_at"))
                .col(text_null("result"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_jobs_due", "jobs", &["state", "run_at"], false)).await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // Archived records are kept forever (R18): no down migration drops them.
        Err(DbErr::Migration("foundation migration cannot be reverted".into()))
    }
}
