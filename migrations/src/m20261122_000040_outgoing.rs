//! Outgoing documents (发文, D04–D10, D12–D14): the document with its routing state, every
//! saved version of its text (D08), the reviews and opinions of each step (section head,
//! deputy in charge, office verification, sign-off, rulings), the countersigns of other
//! sections (D05), the external departments' countersigns of joint documents (D07), and
//! change requests after sign-off (D08).
use crate::util::{index, table_with_id, version};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table_with_id("outgoing_documents")
                .col(string("unit_id"))
                .col(string("drafter_id"))
                .col(string("main_section_id"))
                .col(string("title"))
                .col(string("doc_type"))
                .col(string("issuing_form"))
                .col(string("series"))
                // {"main": [...], "cc": [...]}
                .col(text("recipients"))
                // [{"kind":"heading"|"paragraph"|"table", ...}] (the render crate's Block)
                .col(text("body"))
                .col(string("urgency"))
                .col(string("secrecy"))
                // R01/D10: exact fen.
                .col(big_integer_null("amount_fen"))
                .col(string_null("payee"))
                // office_by_leader: the leader whose instruction it carries (D07).
                .col(string_null("signoff_leader_id"))
                // joint: the other departments that must countersign (JSON array).
                .col(text("joint_departments"))
                .col(string("state"))
                // paused / escalated: the state routing resumes to.
                .col(string_null("paused_from"))
                .col(text_null("pause_reason"))
                // Last time it was sent back: earlier leader reviews no longer count (D07).
                .col(timestamp_with_time_zone_null("returned_at"))
                // The current text's version number (outgoing_versions.version_no).
                .col(integer("body_version").default(1))
                // D09: 文号 and its parts; assigned at sign-off.
                .col(string_null("number"))
                .col(big_integer_null("number_no"))
                .col(integer_null("year"))
                // D08: SHA-256 of the frozen content.
                .col(string_null("content_sha256"))
                .col(string_null("signed_by"))
                .col(string_null("signed_on_behalf_of"))
                .col(timestamp_with_time_zone_null("signed_at"))
                .col(text_null("signoff_opinion"))
                // D10: the 三重一大 proposal this document waits for or was decided by.
                .col(string_null("linked_proposal_id"))
                .col(string_null("issued_by"))
                .col(timestamp_with_time_zone_null("issued_at"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_outgoing_unit_state", "outgoing_documents", &["unit_id", "state"], false)).await?;
        m.create_index(index("ix_outgoing_drafter", "outgoing_documents", &["drafter_id"], false)).await?;
        m.create_index(index("ix_outgoing_proposal", "outgoing_documents", &["linked_proposal_id"], false)).await?;
        // D09: one number per unit, series and year — a second one cannot be stored even by a bug.
        m.create_index(index("ux_outgoing_number", "outgoing_documents", &["unit_id", "series", "year", "number_no"], true))
            .await?;

        m.create_table(
            table_with_id("outgoing_versions")
                .col(string("unit_id"))
                .col(string("document_id"))
                .col(integer("version_no"))
                .col(string("title"))
                .col(text("body"))
                .col(text("recipients"))
                .col(string("content_sha256"))
                .col(string("author_id"))
                .col(string_null("on_behalf_of"))
                // draft | consolidated | change_request
                .col(string("reason"))
                .col(string_null("change_request_id"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_outgoing_versions_doc_no", "outgoing_versions", &["document_id", "version_no"], true)).await?;

        m.create_table(
            table_with_id("outgoing_reviews")
                .col(string("unit_id"))
                .col(string("document_id"))
                // section_review | leader_review | verification | signoff | ruling | escalation
                .col(string("kind"))
                .col(string("reviewer_id"))
                .col(string_null("on_behalf_of"))
                .col(boolean("approve"))
                .col(text("opinion"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_outgoing_reviews_doc", "outgoing_reviews", &["document_id", "created_at"], false)).await?;

        m.create_table(
            table_with_id("outgoing_countersigns")
                .col(string("unit_id"))
                .col(string("document_id"))
                .col(integer("round"))
                .col(string("section_id"))
                .col(string("requested_by"))
                // Filled by the section head's answer (D05).
                .col(string_null("head_id"))
                .col(string_null("on_behalf_of"))
                // agree | agree_with_changes | disagree
                .col(string_null("stance"))
                .col(text_null("text"))
                .col(timestamp_with_time_zone_null("answered_at"))
                // A disagreement's resolution: negotiated | ruling_proceed | ruling_return | escalated
                .col(string_null("resolution"))
                .col(text_null("resolution_note"))
                .col(timestamp_with_time_zone("created_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_outgoing_countersigns", "outgoing_countersigns", &["document_id", "round", "section_id"], true))
            .await?;

        m.create_table(
            table_with_id("outgoing_external_countersigns")
                .col(string("unit_id"))
                .col(string("document_id"))
                .col(string("department"))
                .col(text("opinion"))
                .col(string("signed_on"))
                .col(string("recorded_by"))
                .col(string_null("on_behalf_of"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_outgoing_external", "outgoing_external_countersigns", &["document_id", "department"], true))
            .await?;

        m.create_table(
            table_with_id("change_requests")
                .col(string("unit_id"))
                .col(string("document_id"))
                .col(string("requester_id"))
                .col(string_null("on_behalf_of"))
                .col(text("reason"))
                .col(string_null("title"))
                .col(text("body"))
                // pending | approved | rejected
                .col(string("state"))
                .col(string_null("decided_by"))
                .col(string_null("decided_on_behalf_of"))
                .col(text_null("opinion"))
                .col(timestamp_with_time_zone_null("decided_at"))
                // The version the approval created.
                .col(integer_null("version_no"))
                .col(timestamp_with_time_zone("created_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_change_requests_doc", "change_requests", &["document_id", "state"], false)).await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // Issued documents and their versions are archived records (D14, R18): kept forever.
        Err(DbErr::Migration("outgoing documents migration cannot be reverted".into()))
    }
}
