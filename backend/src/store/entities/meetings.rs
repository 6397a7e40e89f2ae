//! Deliberation meetings (R06–R08).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    #[sea_orm(column_name = "type")]
    pub meeting_type: String,
    pub title: String,
    pub starts_at: DateTimeUtc,
    pub location: String,
    pub state: String,
    pub created_by: String,
    pub chair_id: Option<String>,
    pub attendees: String,
    pub should_attend: Option<String>,
    pub notice_sent_at: Option<DateTimeUtc>,
    pub noticed_by: Option<String>,
    pub urgency_reason: Option<String>,
    pub short_notice: bool,
    pub opened_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
