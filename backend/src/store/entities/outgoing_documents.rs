use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outgoing_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    pub drafter_id: String,
    pub main_section_id: String,
    pub title: String,
    pub doc_type: String,
    pub issuing_form: String,
    pub series: String,
    pub recipients: String,
    pub body: String,
    pub urgency: String,
    pub secrecy: String,
    pub amount_fen: Option<i64>,
    pub payee: Option<String>,
    pub signoff_leader_id: Option<String>,
    pub joint_departments: String,
    pub state: String,
    pub paused_from: Option<String>,
    pub pause_reason: Option<String>,
    pub returned_at: Option<DateTimeUtc>,
    pub body_version: i32,
    pub number: Option<String>,
    pub number_no: Option<i64>,
    pub year: Option<i32>,
    pub content_sha256: Option<String>,
    pub signed_by: Option<String>,
    pub signed_on_behalf_of: Option<String>,
    pub signed_at: Option<DateTimeUtc>,
    pub signoff_opinion: Option<String>,
    pub linked_proposal_id: Option<String>,
    pub issued_by: Option<String>,
    pub issued_at: Option<DateTimeUtc>,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
