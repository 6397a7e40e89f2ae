//! One agenda item per proposal per meeting: path, vote, tally, decision (R11–R13).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub unit_id: String,
    pub meeting_id: String,
    pub proposal_id: String,
    pub position: i32,
    pub state: String,
    pub path: Option<String>,
    pub mode: Option<String>,
    pub path_reason: Option<String>,
    pub recused: String,
    pub eligible: Option<String>,
    pub vote_opened_at: Option<DateTimeUtc>,
    pub vote_closed_at: Option<DateTimeUtc>,
    pub tally: Option<String>,
    pub majority: Option<bool>,
    pub outcome: Option<String>,
    pub decision_text: Option<String>,
    pub override_reason: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<String>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
