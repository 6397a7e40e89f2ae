//! Shared helpers of the deliberation flow: parsing stored values, optimistic updates,
//! who may see a proposal or a meeting, and the participants of a meeting.
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::store::entities::{meeting_items, meetings, observers, proposals};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use yishi_domain::deliberation::ProposalState;
use yishi_domain::deliberation::rules::{Flags, Materials, effective_state};
use yishi_domain::deliberation::state::MeetingState;
use yishi_domain::enums::{Category, MeetingType};
use yishi_domain::money::Money;
use yishi_domain::roles::Role;

pub const PROPOSAL: &str = "proposal";
pub const MEETING: &str = "meeting";

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A required, trimmed text of at most `max` characters.
pub fn text_field(field: &str, v: &str, max: usize) -> AppResult<String> {
    let t = v.trim();
    if t.is_empty() {
        return Err(AppError::invalid(field, format!("{field} 不能为空")));
    }
    if t.chars().count() > max {
        return Err(AppError::invalid(field, format!("{field} 不能超过 {max} 个字符")));
    }
    Ok(t.to_string())
}

/// An optional text: blank becomes None.
pub fn opt_text(field: &str, v: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text_field(field, t, max).map(Some),
    }
}

/// `If-Match: <version>` (optionally quoted or weak).
pub fn if_match(headers: &HeaderMap) -> AppResult<Option<i32>> {
    let Some(v) = headers.get(axum::http::header::IF_MATCH) else { return Ok(None) };
    let s = v.to_str().unwrap_or("").trim().trim_start_matches("W/").trim_matches('"');
    s.parse::<i32>().map(Some).map_err(|_| AppError::invalid("If-Match", "If-Match 应为对象的版本号（version）"))
}

pub fn check_version(current: i32, if_match: Option<i32>) -> AppResult<()> {
    match if_match {
        Some(v) if v != current => Err(AppError::conflict(format!("对象已被更新（当前版本 {current}，您提交的是 {v}），请刷新后重试"))
            .with_details(json!({"version": current}))),
        _ => Ok(()),
    }
}

pub fn json_ids(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

pub fn to_json<T: serde::Serialize>(v: &T) -> AppResult<String> {
    Ok(serde_json::to_string(v)?)
}

// ---------------------------------------------------------------- proposal accessors

pub fn p_state(p: &proposals::Model) -> AppResult<ProposalState> {
    p.state.parse().map_err(|_| AppError::internal(format!("bad proposal state {}", p.state)))
}

/// The state shown to users: a deferred proposal past its lapse time is lapsed (R13).
pub fn p_effective_state(p: &proposals::Model, now: DateTime<Utc>) -> AppResult<ProposalState> {
    Ok(effective_state(p_state(p)?, p.lapse_at, now))
}

pub fn p_category(p: &proposals::Model) -> AppResult<Category> {
    p.category.parse().map_err(|_| AppError::internal(format!("bad category {}", p.category)))
}

pub fn p_flags(p: &proposals::Model) -> Flags {
    serde_json::from_str(&p.flags).unwrap_or_default()
}

pub fn p_conflicts(p: &proposals::Model) -> Vec<String> {
    json_ids(&p.conflicts)
}

pub fn p_amount(p: &proposals::Model) -> Option<Money> {
    p.amount_fen.map(Money::from_fen)
}

pub fn p_materials(p: &proposals::Model) -> Materials {
    Materials {
        topic: p.topic.clone(),
        background: p.background.clone(),
        research: p.research.clone(),
        recommendation: p.recommendation.clone(),
    }
}

pub fn m_state(m: &meetings::Model) -> AppResult<MeetingState> {
    m.state.parse().map_err(|_| AppError::internal(format!("bad meeting state {}", m.state)))
}

pub fn m_type(m: &meetings::Model) -> AppResult<MeetingType> {
    m.meeting_type.parse().map_err(|_| AppError::internal(format!("bad meeting type {}", m.meeting_type)))
}

// ---------------------------------------------------------------- optimistic updates

/// `UPDATE proposals SET …, version = version + 1 WHERE id = ? AND version = ?` — zero rows
/// means someone else changed it first (R42): 409, and the caller's transaction rolls back.
pub async fn update_proposal(
    tx: &impl ConnectionTrait,
    p: &proposals::Model,
    now: DateTime<Utc>,
    sets: Vec<(proposals::Column, SimpleExpr)>,
) -> AppResult<()> {
    let mut q = proposals::Entity::update_many()
        .col_expr(proposals::Column::Version, Expr::value(p.version + 1))
        .col_expr(proposals::Column::UpdatedAt, Expr::value(now));
    for (c, v) in sets {
        q = q.col_expr(c, v);
    }
    let res = q
        .filter(proposals::Column::Id.eq(p.id.clone()))
        .filter(proposals::Column::Version.eq(p.version))
        .exec(tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("该议题已被他人处理，请刷新后重试"));
    }
    Ok(())
}

pub async fn update_meeting(tx: &impl ConnectionTrait, m: &meetings::Model, sets: Vec<(meetings::Column, SimpleExpr)>) -> AppResult<()> {
    let mut q = meetings::Entity::update_many().col_expr(meetings::Column::Version, Expr::value(m.version + 1));
    for (c, v) in sets {
        q = q.col_expr(c, v);
    }
    let res = q.filter(meetings::Column::Id.eq(m.id.clone())).filter(meetings::Column::Version.eq(m.version)).exec(tx).await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("该会议已被他人更新，请刷新后重试"));
    }
    Ok(())
}

pub async fn update_item(tx: &impl ConnectionTrait, i: &meeting_items::Model, sets: Vec<(meeting_items::Column, SimpleExpr)>) -> AppResult<()> {
    let mut q = meeting_items::Entity::update_many().col_expr(meeting_items::Column::Version, Expr::value(i.version + 1));
    for (c, v) in sets {
        q = q.col_expr(c, v);
    }
    let res = q
        .filter(meeting_items::Column::Id.eq(i.id.clone()))
        .filter(meeting_items::Column::Version.eq(i.version))
        .exec(tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("该议题的审议状态已被他人更新，请刷新后重试"));
    }
    Ok(())
}

// ---------------------------------------------------------------- loading

pub async fn load_proposal(db: &impl ConnectionTrait, id: &str) -> AppResult<proposals::Model> {
    proposals::Entity::find_by_id(id.to_string()).one(db).await?.ok_or_else(AppError::not_found)
}

pub async fn load_meeting(db: &impl ConnectionTrait, id: &str) -> AppResult<meetings::Model> {
    meetings::Entity::find_by_id(id.to_string()).one(db).await?.ok_or_else(AppError::not_found)
}

pub async fn items_of(db: &impl ConnectionTrait, meeting_id: &str) -> AppResult<Vec<meeting_items::Model>> {
    Ok(meeting_items::Entity::find()
        .filter(meeting_items::Column::MeetingId.eq(meeting_id))
        .order_by_asc(meeting_items::Column::Position)
        .all(db)
        .await?)
}

/// The agenda item of `proposal_id` in the meeting (404 when it is not on the agenda).
pub async fn load_item(db: &impl ConnectionTrait, meeting_id: &str, proposal_id: &str) -> AppResult<meeting_items::Model> {
    meeting_items::Entity::find()
        .filter(meeting_items::Column::MeetingId.eq(meeting_id))
        .filter(meeting_items::Column::ProposalId.eq(proposal_id))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

pub async fn observer_ids(db: &impl ConnectionTrait, meeting_id: &str) -> AppResult<Vec<String>> {
    Ok(observers::Entity::find()
        .filter(observers::Column::MeetingId.eq(meeting_id))
        .order_by_asc(observers::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.user_id)
        .collect())
}

/// The members who should attend (R08): the snapshot taken at notice time, or — before the
/// notice — the unit's members now.
pub async fn should_attend(db: &impl ConnectionTrait, m: &meetings::Model) -> AppResult<Vec<String>> {
    match &m.should_attend {
        Some(t) => Ok(json_ids(t)),
        None => crate::org::members(db, &m.unit_id).await,
    }
}

/// Invited attendees (R07): the members who should attend, the invited attendees, the
/// observers (列席) and the recorder (the clerk who created the meeting).
pub async fn invited(db: &impl ConnectionTrait, m: &meetings::Model) -> AppResult<Vec<String>> {
    let mut out = should_attend(db, m).await?;
    out.extend(json_ids(&m.attendees));
    out.extend(observer_ids(db, &m.id).await?);
    out.push(m.created_by.clone());
    out.sort();
    out.dedup();
    Ok(out)
}

/// Oversight and office roles that see every deliberation of their unit.
pub fn sees_all(ctx: &Ctx) -> bool {
    ctx.has(Role::Inspector) || ctx.has(Role::Principal) || ctx.has(Role::Clerk)
}

/// May the caller see this meeting (attendees, clerk, principal, inspector)?
pub async fn may_read_meeting(db: &impl ConnectionTrait, ctx: &Ctx, m: &meetings::Model) -> AppResult<bool> {
    if sees_all(ctx) {
        return Ok(true);
    }
    // The snapshot and the meeting row answer for nearly everyone without a query (a
    // ballot passes here); only observers (列席) need the observers table.
    let me = &ctx.user_id;
    if m.created_by == *me || json_ids(&m.attendees).contains(me) {
        return Ok(true);
    }
    if let Some(t) = &m.should_attend {
        if json_ids(t).contains(me) {
            return Ok(true);
        }
    }
    Ok(invited(db, m).await?.contains(me))
}

/// Participants of a proposal (API "participants"): the proposer, the heads and the deputy of
/// its section, the principal, the office (clerk, director) and inspectors always; people
/// invited to a meeting that has it on the agenda only from the notice until the meeting
/// closes (R07: materials are withdrawn after the meeting).
pub async fn may_read_proposal(db: &impl ConnectionTrait, ctx: &Ctx, p: &proposals::Model, now: DateTime<Utc>) -> AppResult<bool> {
    if sees_all(ctx) || ctx.has(Role::OfficeDirector) || p.proposer_id == ctx.user_id {
        return Ok(true);
    }
    // The checks are alternatives; they run cheapest first (no statement, then one), so the
    // usual reader — a member invited to the meeting — is answered before the AB-post lookup.
    if p.deputy_id.as_deref() == Some(ctx.user_id.as_str()) {
        return Ok(true);
    }
    if let Some(s) = &p.section_id {
        if ctx.has(Role::SectionHead) && ctx.section_id.as_deref() == Some(s.as_str()) {
            return Ok(true);
        }
        if crate::org::deputy_of_section(db, s).await?.as_deref() == Some(ctx.user_id.as_str()) {
            return Ok(true);
        }
    }
    for item in meeting_items::Entity::find().filter(meeting_items::Column::ProposalId.eq(p.id.clone())).all(db).await? {
        if let Some(m) = meetings::Entity::find_by_id(item.meeting_id.clone()).one(db).await?
            && m.notice_sent_at.is_some()
            && m.closed_at.is_none()
            && invited(db, &m).await?.contains(&ctx.user_id)
        {
            return Ok(true);
        }
    }
    // The deputy in charge's AB-post backup while they are absent (D11).
    if let Some(d) = &p.deputy_id
        && crate::org::may_act_as(db, &p.unit_id, &ctx.user_id, d, yishi_domain::time::local_date(now)).await?.is_some()
    {
        return Ok(true);
    }
    Ok(false)
}

/// Attachments of proposals (materials) follow the proposal's readers (R07); every granted
/// download is audited (R07: each view or download of materials is logged).
pub async fn may_read_attachment(state: &crate::state::AppState, ctx: &Ctx, a: &crate::store::entities::attachments::Model) -> AppResult<bool> {
    let db = &state.db.conn;
    let allowed = match &a.owner_id {
        None => a.uploader_id == ctx.user_id,
        Some(pid) => match proposals::Entity::find_by_id(pid.clone()).one(db).await? {
            Some(p) => may_read_proposal(db, ctx, &p, state.clock.now()).await?,
            None => false,
        },
    };
    if allowed {
        let tx = state.db.begin_write().await?;
        crate::trail::record_read(&*tx, state.clock.now(), &ctx.actor(), &a.unit_id, "attachment", &a.id, "proposal.attachment.read").await?;
        tx.commit().await?;
    }
    Ok(allowed)
}

/// The deputy in charge of a proposal's section now (分工, R04).
pub async fn deputy_in_charge(db: &impl ConnectionTrait, p: &proposals::Model) -> AppResult<Option<String>> {
    match &p.section_id {
        Some(s) => crate::org::deputy_of_section(db, s).await,
        None => Ok(None),
    }
}

/// The principal who chairs meetings of the unit (the first holder of the role).
pub async fn principal_of(db: &impl ConnectionTrait, unit: &str) -> AppResult<Option<String>> {
    Ok(crate::org::holders_of(db, unit, Role::Principal).await?.into_iter().map(|m| m.user_id).next())
}

/// Display names of users, for views.
pub async fn names(db: &impl ConnectionTrait, ids: &[String]) -> AppResult<std::collections::BTreeMap<String, String>> {
    crate::org::display_names(db, ids).await
}
