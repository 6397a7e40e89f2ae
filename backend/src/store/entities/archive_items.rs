use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "archive_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    /// e.g. "deliberation"
    pub kind: String,
    pub title: String,
    pub proposal_id: Option<String>,
    pub meeting_id: Option<String>,
    pub minutes_id: Option<String>,
    pub publication_id: Option<String>,
    pub category: Option<String>,
    pub serial: Option<String>,
    /// The frozen snapshot (JSON) the package is built from.
    pub content: String,
    /// JSON: the package's files with SHA-256 digests.
    pub manifest: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
