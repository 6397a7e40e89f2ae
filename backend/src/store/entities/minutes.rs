use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "minutes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    pub meeting_id: String,
    /// The id of version 1: groups the versions of one minutes.
    pub root_id: String,
    pub version_no: i32,
    pub previous_id: Option<String>,
    pub meeting_type: String,
    /// JSON (`yishi_domain::deliberation::minutes::MinutesBody`).
    pub body: String,
    /// draft | approved | superseded
    pub state: String,
    pub year: Option<i32>,
    pub serial_no: Option<i64>,
    pub serial: Option<String>,
    pub revision_reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTimeUtc>,
    pub archived: bool,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
