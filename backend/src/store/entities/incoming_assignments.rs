use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "incoming_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    pub document_id: String,
    pub section_id: String,
    pub role: String,
    pub handler_id: Option<String>,
    pub assigned_by: Option<String>,
    pub assigned_on_behalf_of: Option<String>,
    pub assigned_at: Option<DateTimeUtc>,
    pub accepted_by: Option<String>,
    pub accepted_on_behalf_of: Option<String>,
    pub accepted_at: Option<DateTimeUtc>,
    pub done_by: Option<String>,
    pub done_on_behalf_of: Option<String>,
    pub done_at: Option<DateTimeUtc>,
    pub result: Option<String>,
    pub created_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
