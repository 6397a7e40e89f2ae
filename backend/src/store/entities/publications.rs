use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "publications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    /// The published minutes version.
    pub minutes_id: String,
    pub minutes_root_id: String,
    pub meeting_id: String,
    /// open | closed
    pub state: String,
    /// JSON `[{proposal_id, reason}]`
    pub withheld: String,
    pub opened_by: String,
    pub opened_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    /// "job" (scheduled close) or "read" (closed lazily when read after its time)
    pub closed_by: Option<String>,
    pub summary: Option<String>,
    pub summary_by: Option<String>,
    pub summary_at: Option<DateTimeUtc>,
    /// confirm | adjust | redeliberate
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
    pub archived: bool,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
