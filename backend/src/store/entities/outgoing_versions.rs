use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outgoing_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    pub document_id: String,
    pub version_no: i32,
    pub title: String,
    pub body: String,
    pub recipients: String,
    pub content_sha256: String,
    pub author_id: String,
    pub on_behalf_of: Option<String>,
    pub reason: String,
    pub change_request_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
