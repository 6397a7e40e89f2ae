use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "trail")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    pub object_type: String,
    pub object_id: String,
    pub actor_id: Option<String>,
    pub on_behalf_of: Option<String>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub note: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
