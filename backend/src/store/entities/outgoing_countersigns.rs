use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outgoing_countersigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    pub document_id: String,
    pub round: i32,
    pub section_id: String,
    pub requested_by: String,
    pub head_id: Option<String>,
    pub on_behalf_of: Option<String>,
    pub stance: Option<String>,
    pub text: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub created_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
