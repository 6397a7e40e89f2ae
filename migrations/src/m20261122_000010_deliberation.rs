//! 三重一大 deliberation: proposals (议题) with their materials, pre-consultation records
//! (R03) and pre-meeting decisions (R05); meetings with agenda items, attendance (R08),
//! observers (列席), written opinions, statements (R10, R12), ballots (R11) and the
//! unlinkable secret-ballot store (see docs/architecture.md "Secret ballots").
//!
//! Later parts of the flow (minutes, publication, archive: R14–R18) add their own tables in
//! their own migrations; the proposal row already carries the fields they link back with.
use crate::util::{index, table_with_id, version};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table_with_id("proposals")
                .col(string("unit_id"))
                .col(string("proposer_id"))
                // The proposer's section (分工): its deputy approves the submission form (R04).
                .col(string_null("section_id"))
                // The deputy in charge, fixed when the submission form is approved.
                .col(string_null("deputy_id"))
                .col(string("category"))
                .col(string("title"))
                // R01: exact fen, never floats.
                .col(big_integer_null("amount_fen"))
                .col(string_null("payee"))
                // R02: the four parts of the materials.
                .col(text("topic"))
                .col(text("background"))
                .col(text("research"))
                .col(text("recommendation"))
                // R03 flags: {"other_departments","branch_units","public_interest","strategic","technical","legal"} → bool
                .col(text("flags"))
                .col(boolean("urgent").default(false))
                .col(boolean("needs_superior_approval").default(false))
                .col(boolean("confidential").default(false))
                // R09: JSON array of user ids with a declared conflict.
                .col(text("conflicts"))
                .col(string("state"))
                // D10: the routed document this proposal was escalated from.
                .col(string_null("linked_document_id"))
                .col(text_null("returned_reason"))
                .col(timestamp_with_time_zone_null("submitted_at"))
                // R04: the deputy's approval and the office's registration.
                .col(string_null("approved_by"))
                .col(timestamp_with_time_zone_null("approved_at"))
                .col(text_null("submission_opinion"))
                .col(string_null("registration_no"))
                .col(timestamp_with_time_zone_null("registered_at"))
                // R05: the principal's pre-meeting decision.
                .col(string_null("premeeting_decision"))
                .col(text_null("premeeting_reason"))
                .col(string_null("premeeting_by"))
                .col(timestamp_with_time_zone_null("premeeting_at"))
                // The meeting whose agenda holds it now (or last held it).
                .col(string_null("meeting_id"))
                // R13: outcome of the last deliberation: adopted | rejected | deferred.
                .col(string_null("outcome"))
                .col(text_null("decision_text"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(timestamp_with_time_zone_null("deferred_at"))
                .col(timestamp_with_time_zone_null("lapse_at"))
                // R14 (part 2): the superior's approval.
                .col(string_null("superior_document_ref"))
                .col(string_null("superior_approved_on"))
                // R15–R17 (part 2): links to the minutes and the publication.
                .col(string_null("minutes_id"))
                .col(string_null("publication_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_proposals_unit_state", "proposals", &["unit_id", "state"], false)).await?;
        m.create_index(index("ix_proposals_proposer", "proposals", &["proposer_id"], false)).await?;
        m.create_index(index("ix_proposals_meeting", "proposals", &["meeting_id"], false)).await?;

        m.create_table(
            table_with_id("preconsult_records")
                .col(string("unit_id"))
                .col(string("proposal_id"))
                // department | branch | hearing | publicity | expert | technical | legal
                .col(string("kind"))
                .col(text("summary"))
                .col(text("attachment_ids"))
                .col(string("recorded_by"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_preconsult_proposal", "preconsult_records", &["proposal_id"], false)).await?;

        m.create_table(
            table_with_id("meetings")
                .col(string("unit_id"))
                // party_group | joint | head_office
                .col(string("type"))
                .col(string("title"))
                .col(timestamp_with_time_zone("starts_at"))
                .col(string("location"))
                // scheduled → noticed → open → closed
                .col(string("state"))
                .col(string("created_by"))
                .col(string_null("chair_id"))
                // Invited attendees (JSON array of user ids) beyond the members.
                .col(text("attendees"))
                // R08: the unit's members when the notice was sent (应到会成员), JSON array.
                .col(text_null("should_attend"))
                .col(timestamp_with_time_zone_null("notice_sent_at"))
                .col(string_null("noticed_by"))
                // R06: the 特殊问题 reason for a shortened notice.
                .col(text_null("urgency_reason"))
                .col(boolean("short_notice").default(false))
                .col(timestamp_with_time_zone_null("opened_at"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_meetings_unit", "meetings", &["unit_id", "starts_at"], false)).await?;

        m.create_table(
            table_with_id("meeting_items")
                .col(string("unit_id"))
                .col(string("meeting_id"))
                .col(string("proposal_id"))
                .col(integer("position"))
                // pending → voting → counted → decided | deferred
                .col(string("state"))
                // R12: consensus | vote | defer | secret_ballot
                .col(string_null("path"))
                // R11: named | written | secret
                .col(string_null("mode"))
                .col(text_null("path_reason"))
                // R09: JSON array of recused user ids (from the proposal's conflicts).
                .col(text("recused"))
                // JSON array: should-attend minus recused, fixed when the path is chosen.
                .col(text_null("eligible"))
                .col(timestamp_with_time_zone_null("vote_opened_at"))
                .col(timestamp_with_time_zone_null("vote_closed_at"))
                // R13: {agree, disagree, defer, abstain, eligible, should_attend, present_eligible, cast}
                .col(text_null("tally"))
                .col(boolean_null("majority"))
                // adopted | rejected | deferred
                .col(string_null("outcome"))
                .col(text_null("decision_text"))
                // R13: a head-office decision against the count; shown in the minutes.
                .col(text_null("override_reason"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(string_null("decided_by"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_meeting_items_meeting_proposal", "meeting_items", &["meeting_id", "proposal_id"], true)).await?;
        m.create_index(index("ix_meeting_items_proposal", "meeting_items", &["proposal_id"], false)).await?;

        m.create_table(
            table_with_id("attendance")
                .col(string("unit_id"))
                .col(string("meeting_id"))
                .col(string("user_id"))
                // present | absent | leave
                .col(string("status"))
                .col(text_null("reason"))
                .col(string("recorded_by"))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(version())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_attendance_meeting_user", "attendance", &["meeting_id", "user_id"], true)).await?;

        m.create_table(
            table_with_id("observers")
                .col(string("unit_id"))
                .col(string("meeting_id"))
                .col(string("user_id"))
                .col(string("added_by"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_observers_meeting_user", "observers", &["meeting_id", "user_id"], true)).await?;

        m.create_table(
            table_with_id("written_opinions")
                .col(string("unit_id"))
                .col(string("meeting_id"))
                .col(string("proposal_id"))
                .col(string("author_id"))
                .col(text("text"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_written_opinions", "written_opinions", &["meeting_id", "proposal_id", "author_id"], true)).await?;

        m.create_table(
            table_with_id("statements")
                .col(string("unit_id"))
                .col(string("meeting_id"))
                .col(string("item_id"))
                .col(string("proposal_id"))
                .col(integer("seq"))
                .col(string("speaker_id"))
                // presenter | deputy | member | principal
                .col(string("role"))
                // agree | disagree | defer | none
                .col(string("stance"))
                .col(text("text"))
                .col(string("recorded_by"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_statements_item_seq", "statements", &["item_id", "seq"], true)).await?;

        // R11: "X voted on item I" — for every mode; the unique index makes one ballot per
        // member per item, whatever races. No content here.
        m.create_table(
            table_with_id("ballot_participations")
                .col(string("unit_id"))
                .col(string("meeting_id"))
                .col(string("item_id"))
                .col(string("voter_id"))
                .col(timestamp_with_time_zone("at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_ballot_participations", "ballot_participations", &["item_id", "voter_id"], true)).await?;

        // Named and written-named ballots: content with the voter (recorded per member).
        m.create_table(
            table_with_id("ballots")
                .col(string("unit_id"))
                .col(string("meeting_id"))
                .col(string("item_id"))
                .col(string("proposal_id"))
                .col(string("voter_id"))
                // named | written
                .col(string("mode"))
                // agree | disagree | defer | abstain
                .col(string("choice"))
                .col(text_null("opinion"))
                .col(timestamp_with_time_zone("cast_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_ballots_item_voter", "ballots", &["item_id", "voter_id"], true)).await?;

        // Secret ballots (票决): one row per item with counters and the opinions in shuffled
        // order — no row per ballot, so nothing to join to a voter, a time or an order.
        m.create_table(
            table_with_id("secret_tallies")
                .col(string("unit_id"))
                .col(string("meeting_id"))
                .col(integer("agree").default(0))
                .col(integer("disagree").default(0))
                .col(integer("defer").default(0))
                .col(integer("abstain").default(0))
                .col(text("opinions"))
                .col(version())
                .to_owned(),
        )
        .await?;

        // R11: the principal's recorded approval for someone else to read the original record.
        m.create_table(
            table_with_id("record_grants")
                .col(string("unit_id"))
                .col(string("meeting_id"))
                .col(string("user_id"))
                .col(string("granted_by"))
                .col(text("reason"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_record_grants", "record_grants", &["meeting_id", "user_id"], true)).await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // Deliberation records are archived forever (R18): never dropped.
        Err(DbErr::Migration("deliberation migration cannot be reverted".into()))
    }
}
