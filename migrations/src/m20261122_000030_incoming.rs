//! Incoming documents (收文, SPEC B: D01, D02, D03, D11, D13): the document, each section's
//! part in handling it (主办/协办), leaders' instructions (阅批) and supervision reminders
//! (督办). Dates without time (`received_on`, `deadline`) are `YYYY-MM-DD` in Asia/Shanghai;
//! `due_at` is the instant the deadline passes (end of the deadline day, UTC).
use crate::util::{index, table_with_id, version};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table_with_id("incoming_documents")
                .col(string("unit_id"))
                .col(string("source_unit"))
                .col(string("source_number"))
                .col(string("title"))
                // D01: only "none" and "internal" are ever stored.
                .col(string("secrecy"))
                .col(string("urgency"))
                .col(string("received_on"))
                .col(string("deadline"))
                .col(timestamp_with_time_zone("due_at"))
                // D02: false when the deadline is the unit default for the urgency.
                .col(boolean("deadline_overridden").default(false))
                .col(string("kind"))
                .col(string("doc_type"))
                .col(boolean("major").default(false))
                .col(string("state"))
                .col(string_null("main_section_id"))
                // JSON array of section ids.
                .col(text("co_section_ids"))
                // The main section's handler (denormalised from incoming_assignments for lists).
                .col(string_null("handler_id"))
                .col(text_null("result"))
                // D01: the principal's instruction on a major item, before distribution.
                .col(string_null("principal_instruction_kind"))
                .col(text_null("principal_instruction"))
                .col(string_null("principal_instructed_by"))
                .col(timestamp_with_time_zone_null("principal_instructed_at"))
                // D03: the office director's review of a non-approval document.
                .col(string_null("reviewed_by"))
                .col(timestamp_with_time_zone_null("reviewed_at"))
                .col(text_null("review_opinion"))
                .col(string("registered_by"))
                .col(timestamp_with_time_zone_null("distributed_at"))
                .col(timestamp_with_time_zone_null("accepted_at"))
                .col(timestamp_with_time_zone_null("completed_at"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_incoming_unit_state", "incoming_documents", &["unit_id", "state"], false)).await?;
        m.create_index(index("ix_incoming_state_due", "incoming_documents", &["state", "due_at"], false)).await?;

        m.create_table(
            table_with_id("incoming_assignments")
                .col(string("unit_id"))
                .col(string("document_id"))
                .col(string("section_id"))
                // "main" | "co"
                .col(string("role"))
                .col(string_null("handler_id"))
                .col(string_null("assigned_by"))
                .col(string_null("assigned_on_behalf_of"))
                .col(timestamp_with_time_zone_null("assigned_at"))
                .col(string_null("accepted_by"))
                .col(string_null("accepted_on_behalf_of"))
                .col(timestamp_with_time_zone_null("accepted_at"))
                .col(string_null("done_by"))
                .col(string_null("done_on_behalf_of"))
                .col(timestamp_with_time_zone_null("done_at"))
                .col(text_null("result"))
                .col(timestamp_with_time_zone("created_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_incoming_assignment_section", "incoming_assignments", &["document_id", "section_id"], true)).await?;
        m.create_index(index("ix_incoming_assignment_handler", "incoming_assignments", &["handler_id"], false)).await?;

        m.create_table(
            table_with_id("incoming_instructions")
                .col(string("unit_id"))
                .col(string("document_id"))
                .col(string("leader_id"))
                .col(string_null("on_behalf_of"))
                // "agree" | "disagree" | "opinion" | "read" (D03)
                .col(string("kind"))
                .col(text_null("text"))
                // "pre_distribution" (principal, D01) | "reading" (阅批, D03)
                .col(string("phase"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_incoming_instructions_doc", "incoming_instructions", &["document_id", "created_at"], false)).await?;

        m.create_table(
            table_with_id("incoming_reminders")
                .col(string("unit_id"))
                .col(string("document_id"))
                // 1 handler, 2 section head, 3 office (D02)
                .col(integer("level"))
                .col(string("level_name"))
                // Who the level addresses, and who actually received it (their backup while absent, D11).
                .col(string_null("assignee_id"))
                .col(string_null("recipient_id"))
                .col(string_null("on_behalf_of"))
                .col(timestamp_with_time_zone("due_at"))
                .col(timestamp_with_time_zone("sent_at"))
                .to_owned(),
        )
        .await?;
        // Each level fires once per document, however many runners try (R46).
        m.create_index(index("ux_incoming_reminders_level", "incoming_reminders", &["document_id", "level"], true)).await?;
        m.create_index(index("ix_incoming_reminders_recipient", "incoming_reminders", &["recipient_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // Routing records are archived (R18): never dropped by a down migration.
        Err(DbErr::Migration("incoming documents migration cannot be reverted".into()))
    }
}
