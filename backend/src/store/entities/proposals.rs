//! 三重一大 proposals (议题), R01–R05, R13; part 2 links minutes/publication here.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "proposals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    pub proposer_id: String,
    pub section_id: Option<String>,
    pub deputy_id: Option<String>,
    pub category: String,
    pub title: String,
    pub amount_fen: Option<i64>,
    pub payee: Option<String>,
    pub topic: String,
    pub background: String,
    pub research: String,
    pub recommendation: String,
    pub flags: String,
    pub urgent: bool,
    pub needs_superior_approval: bool,
    pub confidential: bool,
    pub conflicts: String,
    pub state: String,
    pub linked_document_id: Option<String>,
    pub returned_reason: Option<String>,
    pub submitted_at: Option<DateTimeUtc>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTimeUtc>,
    pub submission_opinion: Option<String>,
    pub registration_no: Option<String>,
    pub registered_at: Option<DateTimeUtc>,
    pub premeeting_decision: Option<String>,
    pub premeeting_reason: Option<String>,
    pub premeeting_by: Option<String>,
    pub premeeting_at: Option<DateTimeUtc>,
    pub meeting_id: Option<String>,
    pub outcome: Option<String>,
    pub decision_text: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub deferred_at: Option<DateTimeUtc>,
    pub lapse_at: Option<DateTimeUtc>,
    pub superior_document_ref: Option<String>,
    pub superior_approved_on: Option<String>,
    pub minutes_id: Option<String>,
    pub publication_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
