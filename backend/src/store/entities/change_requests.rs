use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "change_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    pub document_id: String,
    pub requester_id: String,
    pub on_behalf_of: Option<String>,
    pub reason: String,
    pub title: Option<String>,
    pub body: String,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_on_behalf_of: Option<String>,
    pub opinion: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub version_no: Option<i32>,
    pub created_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
