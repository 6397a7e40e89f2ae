use sea_orm::entity::prelude::*;

/// A threshold-splitting detection (S03), kept for acknowledgement by the principal or
/// the inspector. `items` is the JSON list of the grouped items.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "oversight_flags")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    pub kind: String,
    pub group_key: String,
    pub section_id: Option<String>,
    pub payee: String,
    pub total_fen: i64,
    pub threshold_fen: i64,
    pub items: String,
    pub first_at: DateTimeUtc,
    pub last_at: DateTimeUtc,
    pub detected_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub state: String,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub note: Option<String>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
