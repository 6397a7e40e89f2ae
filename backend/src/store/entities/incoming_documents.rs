use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "incoming_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    pub source_unit: String,
    pub source_number: String,
    pub title: String,
    pub secrecy: String,
    pub urgency: String,
    pub received_on: String,
    pub deadline: String,
    pub due_at: DateTimeUtc,
    pub deadline_overridden: bool,
    pub kind: String,
    pub doc_type: String,
    pub major: bool,
    pub state: String,
    pub main_section_id: Option<String>,
    pub co_section_ids: String,
    pub handler_id: Option<String>,
    pub result: Option<String>,
    pub principal_instruction_kind: Option<String>,
    pub principal_instruction: Option<String>,
    pub principal_instructed_by: Option<String>,
    pub principal_instructed_at: Option<DateTimeUtc>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub review_opinion: Option<String>,
    pub registered_by: String,
    pub distributed_at: Option<DateTimeUtc>,
    pub accepted_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
