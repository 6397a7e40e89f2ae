//! Meetings: scheduling with an agenda of ready proposals, the notice (R06), materials for
//! the invited only (R07), attendance, observers and written opinions (R08), opening with a
//! quorum (R08), closing (R07), and the original record (会议原始记录, R11).
use super::common::*;
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::state::AppState;
use crate::store::entities::{
    attachments, attendance, ballot_participations, ballots, meeting_items, meetings, observers, preconsult_records, proposals,
    record_grants, secret_tallies, statements, written_opinions,
};
use crate::trail::{self, Change};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::BTreeMap;
use serde::Deserialize;
use serde_json::{Value, json};
use yishi_domain::deliberation::rules::{AttendanceStatus, check_notice, check_quorum};
use yishi_domain::deliberation::state::{Command, Facts, ItemState, MeetingState};
use yishi_domain::deliberation::apply;
use yishi_domain::enums::{Category, MeetingType};
use yishi_domain::roles::Role;
use yishi_domain::settings::Ratio;

// ---------------------------------------------------------------- requests

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct CreateMeeting {
    /// party_group 党组会议 | joint 党政联席会议 | head_office 局长办公会议
    #[serde(rename = "type")]
    pub meeting_type: String,
    pub title: String,
    /// RFC 3339
    pub starts_at: String,
    pub location: String,
    /// Proposal ids in `ready` (or `deferred`, re-deliberation) state, in order
    pub agenda: Vec<String>,
    /// Invited attendees (the members who should attend are invited anyway)
    #[serde(default)]
    pub attendees: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug, Default)]
pub struct Notice {
    /// 特殊问题: required when the notice is shorter than one working day (R06)
    pub urgency_reason: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct AttendanceIn {
    /// present | absent | leave
    pub status: String,
    pub reason: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct ObserverIn {
    pub user_id: String,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct WrittenOpinionIn {
    pub proposal_id: String,
    pub text: String,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct RecordGrantIn {
    pub user_id: String,
    pub reason: String,
}

// ---------------------------------------------------------------- helpers

fn parse_time(field: &str, v: &str) -> AppResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| AppError::invalid(field, format!("{field} 须为 RFC 3339 时间，例如 2026-11-24T09:00:00+08:00")))
}

fn clerk_only(ctx: &Ctx) -> AppResult<()> {
    if !ctx.has(Role::Clerk) {
        return Err(AppError::forbidden("此操作由办公室工作人员办理"));
    }
    Ok(())
}

pub fn principal_only(ctx: &Ctx) -> AppResult<()> {
    if !ctx.has(Role::Principal) {
        return Err(AppError::forbidden("此操作由会议主持人（主要领导）进行"));
    }
    Ok(())
}

fn meeting_conflict(m: &meetings::Model, st: MeetingState, what: &str) -> AppError {
    AppError::conflict(format!("会议当前状态为“{}”，不能{what}", st.label())).with_details(json!({"state": m.state}))
}

pub async fn attendance_of(db: &impl ConnectionTrait, meeting_id: &str) -> AppResult<Vec<attendance::Model>> {
    Ok(attendance::Entity::find().filter(attendance::Column::MeetingId.eq(meeting_id)).all(db).await?)
}

/// Members who should attend and are recorded present.
pub async fn present_members(db: &impl ConnectionTrait, m: &meetings::Model) -> AppResult<Vec<String>> {
    let should = should_attend(db, m).await?;
    Ok(attendance_of(db, &m.id)
        .await?
        .into_iter()
        .filter(|a| a.status == AttendanceStatus::Present.as_str() && should.contains(&a.user_id))
        .map(|a| a.user_id)
        .collect())
}

/// The quorum ratio of a meeting: the strictest of default, meeting type and agenda categories (R08).
pub async fn required_ratio(db: &impl ConnectionTrait, m: &meetings::Model) -> AppResult<Ratio> {
    let items = items_of(db, &m.id).await?;
    ratio_for(db, m, agenda_proposals(db, &items).await?.values()).await
}

/// [`required_ratio`] from the agenda's proposals already read.
async fn ratio_for<'a>(db: &impl ConnectionTrait, m: &meetings::Model, agenda: impl Iterator<Item = &'a proposals::Model>) -> AppResult<Ratio> {
    let settings = crate::org::settings(db, &m.unit_id).await?;
    let cats = agenda.map(p_category).collect::<AppResult<Vec<Category>>>()?;
    Ok(settings.quorum.required(m_type(m)?, &cats))
}

/// The proposals of the agenda `items`, by id, in one query (a meeting may have a hundred items).
async fn agenda_proposals(db: &impl ConnectionTrait, items: &[meeting_items::Model]) -> AppResult<BTreeMap<String, proposals::Model>> {
    let ids: Vec<String> = items.iter().map(|i| i.proposal_id.clone()).collect();
    Ok(proposals::Entity::find()
        .filter(proposals::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect())
}

/// The meeting's statements grouped by item, each in order, in one query.
async fn statements_by_item(db: &impl ConnectionTrait, meeting_id: &str) -> AppResult<BTreeMap<String, Vec<statements::Model>>> {
    let mut out: BTreeMap<String, Vec<statements::Model>> = BTreeMap::new();
    for st in statements::Entity::find().filter(statements::Column::MeetingId.eq(meeting_id)).order_by_asc(statements::Column::Seq).all(db).await? {
        out.entry(st.item_id.clone()).or_default().push(st);
    }
    Ok(out)
}

/// Who voted on each item of the meeting (not how), in one query.
async fn voters_by_item(db: &impl ConnectionTrait, meeting_id: &str) -> AppResult<BTreeMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = ballot_participations::Entity::find()
        .select_only()
        .column(ballot_participations::Column::ItemId)
        .column(ballot_participations::Column::VoterId)
        .filter(ballot_participations::Column::MeetingId.eq(meeting_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (item, voter) in rows {
        out.entry(item).or_default().push(voter);
    }
    Ok(out)
}

/// Who may read the original record (R11): principal, clerk, inspectors, or with the principal's recorded approval.
pub async fn may_read_record(db: &impl ConnectionTrait, ctx: &Ctx, m: &meetings::Model) -> AppResult<bool> {
    if sees_all(ctx) {
        return Ok(true);
    }
    Ok(record_grants::Entity::find()
        .filter(record_grants::Column::MeetingId.eq(m.id.clone()))
        .filter(record_grants::Column::UserId.eq(ctx.user_id.clone()))
        .one(db)
        .await?
        .is_some())
}

// ---------------------------------------------------------------- use cases

pub async fn create(state: &AppState, ctx: &Ctx, unit: &str, req: CreateMeeting) -> AppResult<JsonBody> {
    clerk_only(ctx)?;
    let mtype = MeetingType::parse_field(&req.meeting_type, "type")?;
    let title = text_field("title", &req.title, 200)?;
    let location = text_field("location", &req.location, 200)?;
    let starts_at = parse_time("starts_at", &req.starts_at)?;
    if req.agenda.is_empty() {
        return Err(AppError::invalid("agenda", "议程不能为空：请至少列入一个待上会的议题"));
    }
    let now = state.clock.now();
    if starts_at <= now {
        return Err(AppError::invalid("starts_at", "会议开始时间须晚于现在"));
    }
    let tx = state.db.begin_write().await?;
    let mut attendees: Vec<String> = Vec::new();
    for a in &req.attendees {
        if crate::org::membership(&*tx, unit, a).await?.is_none() {
            return Err(AppError::invalid("attendees", format!("参会人员 {a} 不是本单位人员")));
        }
        if !attendees.contains(a) {
            attendees.push(a.clone());
        }
    }
    // R06: the agenda holds proposals the principal put to a meeting (or deferred ones, re-deliberated).
    let mut agenda: Vec<proposals::Model> = Vec::new();
    let mut not_ready: Vec<Value> = Vec::new();
    for pid in &req.agenda {
        if agenda.iter().any(|p| &p.id == pid) {
            return Err(AppError::invalid("agenda", "同一议题不能在议程中重复列入"));
        }
        let p = proposals::Entity::find_by_id(pid.clone()).one(&*tx).await?.filter(|p| p.unit_id == unit);
        match p {
            Some(p) => {
                let st = p_effective_state(&p, now)?;
                if apply(st, Command::Schedule, Facts::default()).is_err() {
                    not_ready.push(json!({"proposal_id": pid, "state": st.as_str()}));
                }
                agenda.push(p);
            }
            None => return Err(AppError::invalid("agenda", format!("议题 {pid} 不存在"))),
        }
    }
    if !not_ready.is_empty() {
        return Err(AppError::rule(
            "R06",
            "议程只能列入主要领导已决定提交会议（待上会）或缓议后再次审议的议题；请先完成会前酝酿",
        )
        .with_details(json!({"not_ready": not_ready})));
    }
    let id = new_id();
    let chair = principal_of(&*tx, unit).await?;
    let m = meetings::ActiveModel {
        id: Set(id.clone()),
        unit_id: Set(unit.to_string()),
        meeting_type: Set(mtype.as_str().to_string()),
        title: Set(title.clone()),
        starts_at: Set(starts_at),
        location: Set(location),
        state: Set(MeetingState::Scheduled.as_str().to_string()),
        created_by: Set(ctx.user_id.clone()),
        chair_id: Set(chair),
        attendees: Set(to_json(&attendees)?),
        should_attend: Set(None),
        notice_sent_at: Set(None),
        noticed_by: Set(None),
        urgency_reason: Set(None),
        short_notice: Set(false),
        opened_at: Set(None),
        closed_at: Set(None),
        created_at: Set(now),
        version: Set(1),
    }
    .insert(&*tx)
    .await?;
    for (pos, p) in agenda.iter().enumerate() {
        let from = p_state(p)?;
        let to = apply(from, Command::Schedule, Facts::default())?;
        meeting_items::ActiveModel {
            id: Set(new_id()),
            unit_id: Set(unit.to_string()),
            meeting_id: Set(id.clone()),
            proposal_id: Set(p.id.clone()),
            position: Set(i32::try_from(pos + 1).unwrap_or(i32::MAX)),
            state: Set(ItemState::Pending.as_str().to_string()),
            path: Set(None),
            mode: Set(None),
            path_reason: Set(None),
            recused: Set(to_json(&p_conflicts(p))?),
            eligible: Set(None),
            vote_opened_at: Set(None),
            vote_closed_at: Set(None),
            tally: Set(None),
            majority: Set(None),
            outcome: Set(None),
            decision_text: Set(None),
            override_reason: Set(None),
            decided_at: Set(None),
            decided_by: Set(None),
            version: Set(1),
        }
        .insert(&*tx)
        .await?;
        update_proposal(&*tx, p, now, vec![
            (proposals::Column::State, Expr::value(to.as_str())),
            (proposals::Column::MeetingId, Expr::value(id.clone())),
        ])
        .await?;
        trail::record(&*tx, now, &ctx.actor(), Change::new(unit, PROPOSAL, &p.id, "proposal.schedule").states(Some(from.as_str()), Some(to.as_str())).note(Some(&format!("列入会议：{title}"))))
            .await?;
    }
    trail::record(&*tx, now, &ctx.actor(), Change::new(unit, MEETING, &id, "meeting.create").states(None, Some("scheduled")).note(Some(&title))).await?;
    tx.commit().await?;
    view(state, ctx, &m).await
}

pub async fn list(state: &AppState, ctx: &Ctx, unit: &str) -> AppResult<Value> {
    let db = &state.db.conn;
    let mut items = Vec::new();
    for m in meetings::Entity::find().filter(meetings::Column::UnitId.eq(unit)).order_by_desc(meetings::Column::StartsAt).all(db).await? {
        if !may_read_meeting(db, ctx, &m).await? {
            continue;
        }
        let t: Option<MeetingType> = m.meeting_type.parse().ok();
        let st: Option<MeetingState> = m.state.parse().ok();
        items.push(json!({
            "id": m.id, "type": m.meeting_type, "type_label": t.map(|t| t.label()), "title": m.title,
            "starts_at": m.starts_at, "location": m.location, "state": m.state, "state_label": st.map(|s| s.label()),
            "notice_sent_at": m.notice_sent_at, "short_notice": m.short_notice, "version": m.version,
        }));
    }
    Ok(json!({ "items": items, "next_cursor": null }))
}

pub async fn get(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<JsonBody> {
    let m = load_meeting(&state.db.conn, id).await?;
    if !may_read_meeting(&state.db.conn, ctx, &m).await? {
        return Err(AppError::not_found());
    }
    view(state, ctx, &m).await
}

pub async fn notice(state: &AppState, ctx: &Ctx, id: &str, req: Notice) -> AppResult<JsonBody> {
    clerk_only(ctx)?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let m = load_meeting(&*tx, id).await?;
    let st = m_state(&m)?;
    if st != MeetingState::Scheduled {
        return Err(meeting_conflict(&m, st, "再次发送通知"));
    }
    let calendar = crate::org::calendar(&*tx, &m.unit_id).await?;
    let reason = opt_text("urgency_reason", req.urgency_reason.as_deref(), 2000)?;
    let short = check_notice(&calendar, now, m.starts_at, reason.as_deref())?;
    // R08: the members who should attend are the unit's members at notice time.
    let should = crate::org::members(&*tx, &m.unit_id).await?;
    update_meeting(&*tx, &m, vec![
        (meetings::Column::State, Expr::value(MeetingState::Noticed.as_str())),
        (meetings::Column::NoticeSentAt, Expr::value(now)),
        (meetings::Column::NoticedBy, Expr::value(ctx.user_id.clone())),
        (meetings::Column::ShouldAttend, Expr::value(to_json(&should)?)),
        (meetings::Column::UrgencyReason, Expr::value(if short { reason.clone() } else { None })),
        (meetings::Column::ShortNotice, Expr::value(short)),
    ])
    .await?;
    let note = if short { format!("缩短通知时间（特殊问题）：{}", reason.clone().unwrap_or_default()) } else { "已提前通知".to_string() };
    trail::record(&*tx, now, &ctx.actor(), Change::new(&m.unit_id, MEETING, id, "meeting.notice").states(Some("scheduled"), Some("noticed")).note(Some(&note)))
        .await?;
    tx.commit().await?;
    let m2 = load_meeting(&state.db.conn, id).await?;
    let invited = invited(&state.db.conn, &m2).await?;
    state.events.publish(invited, "task", json!({"kind": "meeting_notice", "object_type": MEETING, "object_id": id, "title": m2.title}));
    view(state, ctx, &m2).await
}

/// R07: the materials of every agenda item, for invited attendees from the notice until the
/// meeting closes and for inspectors; every read is audited.
pub async fn materials(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<Value> {
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let m = load_meeting(&*tx, id).await?;
    let inspector = ctx.has(Role::Inspector);
    let is_invited = invited(&*tx, &m).await?.contains(&ctx.user_id);
    if !inspector && !is_invited && !ctx.has(Role::Clerk) && !ctx.has(Role::Principal) {
        return Err(AppError::not_found());
    }
    if !inspector {
        if m.notice_sent_at.is_none() {
            return Err(AppError::rule("R07", "会议通知发出前，会商材料不向与会人员提供").with_details(json!({"state": m.state})));
        }
        if m.closed_at.is_some() {
            return Err(AppError::rule("R07", "会议已结束，会商材料已由办公室统一收回（会后收回）；如需查阅请通过档案").with_details(json!({"state": m.state}))
                .with_status_forbidden());
        }
    }
    let mut out = Vec::new();
    for i in items_of(&*tx, id).await? {
        let p = load_proposal(&*tx, &i.proposal_id).await?;
        let records: Vec<Value> = preconsult_records::Entity::find()
            .filter(preconsult_records::Column::ProposalId.eq(p.id.clone()))
            .all(&*tx)
            .await?
            .iter()
            .map(|r| json!({"kind": r.kind, "summary": r.summary, "attachment_ids": json_ids(&r.attachment_ids)}))
            .collect();
        let atts: Vec<Value> = attachments::Entity::find()
            .filter(attachments::Column::OwnerType.eq(PROPOSAL))
            .filter(attachments::Column::OwnerId.eq(p.id.clone()))
            .all(&*tx)
            .await?
            .iter()
            .map(super::proposals::attachment_view)
            .collect();
        out.push(json!({
            "proposal_id": p.id, "position": i.position, "title": p.title, "category": p.category,
            "amount": p_amount(&p).map(|a| a.to_string()), "payee": p.payee,
            "materials": p_materials(&p), "preconsult_records": records, "attachments": atts,
        }));
    }
    trail::record_read(&*tx, now, &ctx.actor(), &m.unit_id, MEETING, id, "meeting.materials.read").await?;
    tx.commit().await?;
    Ok(json!({ "meeting_id": id, "items": out }))
}

pub async fn set_attendance(state: &AppState, ctx: &Ctx, id: &str, user: &str, req: AttendanceIn) -> AppResult<JsonBody> {
    clerk_only(ctx)?;
    let status = AttendanceStatus::parse_field(&req.status, "status")?;
    let reason = opt_text("reason", req.reason.as_deref(), 500)?;
    if status == AttendanceStatus::Absent && reason.is_none() {
        return Err(AppError::rule("R08", "登记缺席须写明原因").with_details(json!({"field": "reason"})));
    }
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let m = load_meeting(&*tx, id).await?;
    let st = m_state(&m)?;
    if !matches!(st, MeetingState::Noticed | MeetingState::Open) {
        return Err(meeting_conflict(&m, st, "登记出席情况（须在发出通知后、会议结束前）"));
    }
    let should = should_attend(&*tx, &m).await?;
    if !should.iter().any(|u| u == user) {
        return Err(AppError::rule("R08", "只登记应到会成员（领导班子成员）的出席情况；列席人员请通过 observers 登记").with_details(json!({"user_id": user})));
    }
    let existing = attendance::Entity::find()
        .filter(attendance::Column::MeetingId.eq(id))
        .filter(attendance::Column::UserId.eq(user))
        .one(&*tx)
        .await?;
    match existing {
        Some(a) => {
            let res = attendance::Entity::update_many()
                .col_expr(attendance::Column::Status, Expr::value(status.as_str()))
                .col_expr(attendance::Column::Reason, Expr::value(reason.clone()))
                .col_expr(attendance::Column::RecordedBy, Expr::value(ctx.user_id.clone()))
                .col_expr(attendance::Column::RecordedAt, Expr::value(now))
                .col_expr(attendance::Column::Version, Expr::value(a.version + 1))
                .filter(attendance::Column::Id.eq(a.id.clone()))
                .filter(attendance::Column::Version.eq(a.version))
                .exec(&*tx)
                .await?;
            if res.rows_affected != 1 {
                return Err(AppError::conflict("出席情况已被他人更新，请刷新后重试"));
            }
        }
        None => {
            attendance::ActiveModel {
                id: Set(new_id()),
                unit_id: Set(m.unit_id.clone()),
                meeting_id: Set(id.to_string()),
                user_id: Set(user.to_string()),
                status: Set(status.as_str().to_string()),
                reason: Set(reason.clone()),
                recorded_by: Set(ctx.user_id.clone()),
                recorded_at: Set(now),
                version: Set(1),
            }
            .insert(&*tx)
            .await?;
        }
    }
    let name = crate::org::display_name(&*tx, user).await?;
    let note = format!("{name}：{}{}", status.label(), reason.as_ref().map(|r| format!("（{r}）")).unwrap_or_default());
    trail::record(&*tx, now, &ctx.actor(), Change::new(&m.unit_id, MEETING, id, "meeting.attendance").note(Some(&note))).await?;
    tx.commit().await?;
    get(state, ctx, id).await
}

pub async fn add_observer(state: &AppState, ctx: &Ctx, id: &str, req: ObserverIn) -> AppResult<JsonBody> {
    clerk_only(ctx)?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let m = load_meeting(&*tx, id).await?;
    let st = m_state(&m)?;
    if st == MeetingState::Closed {
        return Err(meeting_conflict(&m, st, "添加列席人员"));
    }
    if crate::org::membership(&*tx, &m.unit_id, &req.user_id).await?.is_none() {
        return Err(AppError::invalid("user_id", "列席人员须为本单位人员"));
    }
    if should_attend(&*tx, &m).await?.contains(&req.user_id) {
        return Err(AppError::rule("R08", "该人员是应到会成员（有表决权），不能登记为列席人员").with_details(json!({"user_id": req.user_id})));
    }
    if observer_ids(&*tx, id).await?.contains(&req.user_id) {
        return Err(AppError::conflict("该人员已登记为列席人员"));
    }
    observers::ActiveModel {
        id: Set(new_id()),
        unit_id: Set(m.unit_id.clone()),
        meeting_id: Set(id.to_string()),
        user_id: Set(req.user_id.clone()),
        added_by: Set(ctx.user_id.clone()),
        created_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    let name = crate::org::display_name(&*tx, &req.user_id).await?;
    trail::record(&*tx, now, &ctx.actor(), Change::new(&m.unit_id, MEETING, id, "meeting.observer").note(Some(&format!("列席：{name}")))).await?;
    tx.commit().await?;
    get(state, ctx, id).await
}

/// R08: an absent member's written opinion, before the meeting opens; recorded in the
/// original record, never counted as a ballot.
pub async fn add_written_opinion(state: &AppState, ctx: &Ctx, id: &str, req: WrittenOpinionIn) -> AppResult<Value> {
    let text = text_field("text", &req.text, 5000)?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let m = load_meeting(&*tx, id).await?;
    if !may_read_meeting(&*tx, ctx, &m).await? {
        return Err(AppError::not_found());
    }
    let st = m_state(&m)?;
    if st != MeetingState::Noticed {
        return Err(AppError::rule("R08", "书面意见须在会议开始前、会议通知发出后提交").with_details(json!({"state": m.state})));
    }
    if !should_attend(&*tx, &m).await?.contains(&ctx.user_id) {
        return Err(AppError::rule("R08", "只有应到会成员可以提交书面意见"));
    }
    let my_att = attendance_of(&*tx, id).await?.into_iter().find(|a| a.user_id == ctx.user_id);
    if my_att.as_ref().is_none_or(|a| a.status == AttendanceStatus::Present.as_str()) {
        return Err(AppError::rule("R08", "书面意见由因故不能到会的成员提交：请先由办公室登记您的缺席或请假").with_details(json!({"attendance": my_att.map(|a| a.status)})));
    }
    let item = load_item(&*tx, id, &req.proposal_id).await.map_err(|_| AppError::invalid("proposal_id", "该议题不在本次会议议程中"))?;
    if json_ids(&item.recused).contains(&ctx.user_id) {
        return Err(AppError::rule("R09", "您对该议题须回避，不能发表书面意见"));
    }
    let w = written_opinions::ActiveModel {
        id: Set(new_id()),
        unit_id: Set(m.unit_id.clone()),
        meeting_id: Set(id.to_string()),
        proposal_id: Set(req.proposal_id.clone()),
        author_id: Set(ctx.user_id.clone()),
        text: Set(text),
        created_at: Set(now),
    }
    .insert(&*tx)
    .await
    .map_err(|e| match AppError::from(e) {
        c if c.code == "conflict" => AppError::conflict("您已就该议题提交过书面意见"),
        other => other,
    })?;
    trail::record(&*tx, now, &ctx.actor(), Change::new(&m.unit_id, MEETING, id, "meeting.written_opinion").note(Some("提交书面意见（载入会议原始记录，不计入表决）")))
        .await?;
    tx.commit().await?;
    Ok(json!({"id": w.id, "meeting_id": id, "proposal_id": w.proposal_id, "author_id": w.author_id, "created_at": w.created_at, "counts_as_ballot": false}))
}

pub async fn open(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<JsonBody> {
    if !ctx.has(Role::Clerk) && !ctx.has(Role::Principal) {
        return Err(AppError::forbidden("会议由主持人或办公室宣布开始"));
    }
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let m = load_meeting(&*tx, id).await?;
    let st = m_state(&m)?;
    if st != MeetingState::Noticed {
        return Err(meeting_conflict(&m, st, "开始会议（须先发出会议通知）"));
    }
    let should = should_attend(&*tx, &m).await?;
    let present = present_members(&*tx, &m).await?;
    let ratio = required_ratio(&*tx, &m).await?;
    check_quorum(ratio, u32::try_from(present.len()).unwrap_or(u32::MAX), u32::try_from(should.len()).unwrap_or(u32::MAX))?;
    update_meeting(&*tx, &m, vec![
        (meetings::Column::State, Expr::value(MeetingState::Open.as_str())),
        (meetings::Column::OpenedAt, Expr::value(now)),
    ])
    .await?;
    trail::record(&*tx, now, &ctx.actor(), Change::new(&m.unit_id, MEETING, id, "meeting.open").states(Some("noticed"), Some("open"))
        .note(Some(&format!("应到 {} 人，实到 {} 人", should.len(), present.len()))))
    .await?;
    tx.commit().await?;
    get(state, ctx, id).await
}

pub async fn close(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<JsonBody> {
    principal_only(ctx)?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let m = load_meeting(&*tx, id).await?;
    let st = m_state(&m)?;
    if st != MeetingState::Open {
        return Err(meeting_conflict(&m, st, "结束会议"));
    }
    // 逐项表决: every agenda item ends with a conclusion (decision, consensus or deferral)
    // before the meeting closes, so the minutes cover the whole agenda.
    let open_items: Vec<Value> = items_of(&*tx, id)
        .await?
        .iter()
        .filter(|i| !matches!(i.state.as_str(), "decided" | "deferred"))
        .map(|i| json!({"proposal_id": i.proposal_id, "state": i.state}))
        .collect();
    if !open_items.is_empty() {
        return Err(AppError::rule(
            "R11",
            "仍有议题没有结论：请逐项作出决定（表决后决定、一致通过，或写明理由缓议）后再结束会议",
        )
        .with_details(json!({"open_items": open_items})));
    }
    update_meeting(&*tx, &m, vec![
        (meetings::Column::State, Expr::value(MeetingState::Closed.as_str())),
        (meetings::Column::ClosedAt, Expr::value(now)),
    ])
    .await?;
    trail::record(&*tx, now, &ctx.actor(), Change::new(&m.unit_id, MEETING, id, "meeting.close").states(Some("open"), Some("closed")).note(Some("会议结束，会商材料收回")))
        .await?;
    tx.commit().await?;
    let m2 = load_meeting(&state.db.conn, id).await?;
    let mut notify = invited(&state.db.conn, &m2).await?;
    notify.extend(crate::org::holders_of(&state.db.conn, &m2.unit_id, Role::Clerk).await?.into_iter().map(|x| x.user_id));
    state.events.publish(notify, "meeting", json!({"kind": "meeting_closed", "meeting_id": id}));
    view(state, ctx, &m2).await
}

pub async fn grant_record(state: &AppState, ctx: &Ctx, id: &str, req: RecordGrantIn) -> AppResult<Value> {
    principal_only(ctx)?;
    let reason = text_field("reason", &req.reason, 1000)?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let m = load_meeting(&*tx, id).await?;
    if crate::org::membership(&*tx, &m.unit_id, &req.user_id).await?.is_none() {
        return Err(AppError::invalid("user_id", "只能批准本单位人员查阅"));
    }
    let g = record_grants::ActiveModel {
        id: Set(new_id()),
        unit_id: Set(m.unit_id.clone()),
        meeting_id: Set(id.to_string()),
        user_id: Set(req.user_id.clone()),
        granted_by: Set(ctx.user_id.clone()),
        reason: Set(reason.clone()),
        created_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    let name = crate::org::display_name(&*tx, &req.user_id).await?;
    trail::record(&*tx, now, &ctx.actor(), Change::new(&m.unit_id, MEETING, id, "meeting.record_grant").note(Some(&format!("批准 {name} 查阅会议原始记录：{reason}"))))
        .await?;
    tx.commit().await?;
    Ok(json!({"id": g.id, "meeting_id": id, "user_id": g.user_id, "granted_by": g.granted_by, "reason": g.reason, "created_at": g.created_at}))
}

/// The original record (会议原始记录, R11): readable by the principal, the clerk, inspectors
/// and those the principal approved; every read is audited.
pub async fn record(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<Value> {
    crate::memory::with_large_answer_permit(|| read_record(state, ctx, id)).await
}

async fn read_record(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<Value> {
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let m = load_meeting(&*tx, id).await?;
    if !may_read_record(&*tx, ctx, &m).await? {
        if may_read_meeting(&*tx, ctx, &m).await? {
            return Err(AppError::rule("R11", "会议原始记录仅限主要领导、办公室和纪检监察人员查阅；其他人员须经主要领导批准").with_status_forbidden());
        }
        return Err(AppError::not_found());
    }
    let v = original_record(&*tx, &m).await?;
    trail::record_read(&*tx, now, &ctx.actor(), &m.unit_id, MEETING, id, "meeting.record.read").await?;
    tx.commit().await?;
    Ok(v)
}

/// Builds the original record of a meeting (also for the minutes and the archive, R15, R18).
pub async fn original_record(db: &impl ConnectionTrait, m: &meetings::Model) -> AppResult<Value> {
    let should = should_attend(db, m).await?;
    let atts = attendance_of(db, &m.id).await?;
    let obs = observer_ids(db, &m.id).await?;
    let mut people: Vec<String> = should.clone();
    people.extend(obs.iter().cloned());
    people.push(m.created_by.clone());
    if let Some(c) = &m.chair_id {
        people.push(c.clone());
    }
    let mut items_out = Vec::new();
    // One query per kind of row for the whole agenda (a meeting may have a hundred items).
    let items = items_of(db, &m.id).await?;
    let proposals = agenda_proposals(db, &items).await?;
    let mut statements_of = statements_by_item(db, &m.id).await?;
    let mut ballots_of: BTreeMap<String, Vec<ballots::Model>> = BTreeMap::new();
    for b in ballots::Entity::find().filter(ballots::Column::MeetingId.eq(m.id.clone())).order_by_asc(ballots::Column::CastAt).all(db).await? {
        ballots_of.entry(b.item_id.clone()).or_default().push(b);
    }
    let mut voters_of = voters_by_item(db, &m.id).await?;
    let mut written_of: BTreeMap<String, Vec<written_opinions::Model>> = BTreeMap::new();
    for w in written_opinions::Entity::find().filter(written_opinions::Column::MeetingId.eq(m.id.clone())).all(db).await? {
        written_of.entry(w.proposal_id.clone()).or_default().push(w);
    }
    for i in items {
        let p = proposals.get(&i.proposal_id).ok_or_else(|| AppError::internal(format!("agenda item {} without its proposal", i.id)))?;
        let sts: Vec<statements::Model> = statements_of.remove(&i.id).unwrap_or_default();
        let named: Vec<ballots::Model> = ballots_of.remove(&i.id).unwrap_or_default();
        let wo: Vec<written_opinions::Model> = written_of.get(&i.proposal_id).cloned().unwrap_or_default();
        let voters: Vec<String> = voters_of.remove(&i.id).unwrap_or_default();
        let secret_opinions: Vec<String> = if i.mode.as_deref() == Some("secret") && i.state != "voting" {
            secret_tallies::Entity::find_by_id(i.id.clone()).one(db).await?.map(|t| json_ids(&t.opinions)).unwrap_or_default()
        } else {
            Vec::new()
        };
        people.extend(sts.iter().map(|s| s.speaker_id.clone()));
        let (agree, disagree) = {
            let last = super::voting::latest_stances(&sts);
            (
                last.values().filter(|s| s.as_str() == "agree").count(),
                last.values().filter(|s| s.as_str() == "disagree").count(),
            )
        };
        let disagreements: Vec<Value> = sts
            .iter()
            .filter(|s| s.stance == "disagree" || s.stance == "defer")
            .map(|s| json!({"speaker_id": s.speaker_id, "stance": s.stance, "text": s.text}))
            .collect();
        items_out.push(json!({
            "proposal_id": p.id, "title": p.title, "category": p.category, "position": i.position,
            "state": i.state, "path": i.path, "mode": i.mode, "path_reason": i.path_reason,
            "recused": json_ids(&i.recused),
            "statements": sts.iter().map(|s| json!({
                "seq": s.seq, "speaker_id": s.speaker_id, "role": s.role, "stance": s.stance, "text": s.text, "at": s.created_at,
            })).collect::<Vec<_>>(),
            "stance_counts": {"agree": agree, "disagree": disagree},
            "main_disagreements": disagreements,
            "written_opinions": wo.iter().map(|w| json!({"author_id": w.author_id, "text": w.text, "at": w.created_at, "counts_as_ballot": false})).collect::<Vec<_>>(),
            "ballots": named.iter().map(|b| json!({"voter_id": b.voter_id, "mode": b.mode, "choice": b.choice, "opinion": b.opinion, "at": b.cast_at})).collect::<Vec<_>>(),
            "voted": voters,
            "secret_opinions": secret_opinions,
            "tally": i.tally.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok()),
            "majority": i.majority,
            "decision": decision_view(&i),
        }));
    }
    let n = names(db, &people).await?;
    let t: Option<MeetingType> = m.meeting_type.parse().ok();
    Ok(json!({
        "meeting_id": m.id, "title": m.title, "type": m.meeting_type, "type_label": t.map(|t| t.label()),
        "starts_at": m.starts_at, "location": m.location, "chair_id": m.chair_id, "recorder_id": m.created_by,
        "opened_at": m.opened_at, "closed_at": m.closed_at,
        "notice_sent_at": m.notice_sent_at, "short_notice": m.short_notice, "urgency_reason": m.urgency_reason,
        "should_attend": should,
        "attendance": atts.iter().map(|a| json!({"user_id": a.user_id, "status": a.status, "reason": a.reason})).collect::<Vec<_>>(),
        "observers": obs,
        "items": items_out,
        "names": n,
    }))
}

pub fn decision_view(i: &meeting_items::Model) -> Value {
    match &i.outcome {
        Some(o) => json!({"outcome": o, "text": i.decision_text, "override_reason": i.override_reason, "decided_at": i.decided_at, "decided_by": i.decided_by}),
        None => Value::Null,
    }
}

// ---------------------------------------------------------------- view

/// The meeting's page, serialized: built holding a large-answer permit, its work allocated
/// only then (`memory::with_large_answer_permit`; a 100-item meeting is ≈ 90 KB of JSON), and
/// written straight from typed rows to bytes, without an intermediate `serde_json::Value`
/// tree (which held every key as its own allocation: docs/performance.md, "Allocator and
/// memory", session 13).
pub async fn view(state: &AppState, ctx: &Ctx, m: &meetings::Model) -> AppResult<JsonBody> {
    crate::memory::with_large_answer_permit(|| async {
        let page = build_page(state, ctx, m).await?;
        JsonBody::of(&page, 1024 * page.items.len() + 4096)
    })
    .await
}

/// One item of the meeting's page, as its own JSON object (after a path or a decision).
pub async fn item_of_page(state: &AppState, ctx: &Ctx, m: &meetings::Model, proposal_id: &str) -> AppResult<Value> {
    crate::memory::with_large_answer_permit(|| async {
        let page = build_page(state, ctx, m).await?;
        match page.items.iter().find(|i| i.proposal_id == proposal_id) {
            Some(item) => Ok(serde_json::to_value(item)?),
            None => Ok(Value::Null),
        }
    })
    .await
}

/// A JSON answer serialized once, as the bytes that are sent.
pub struct JsonBody(axum::body::Bytes);

impl JsonBody {
    fn of(v: &impl serde::Serialize, capacity: usize) -> AppResult<JsonBody> {
        let mut buf = Vec::with_capacity(capacity);
        serde_json::to_writer(&mut buf, v)?;
        Ok(JsonBody(axum::body::Bytes::from(buf)))
    }
    /// The answer as a value, for a caller inside the server (the demo data's set-up).
    pub fn value(&self) -> AppResult<Value> {
        Ok(serde_json::from_slice(&self.0)?)
    }
}

impl axum::response::IntoResponse for JsonBody {
    fn into_response(self) -> axum::response::Response {
        crate::readcache::json_response(self.0)
    }
}

#[derive(serde::Serialize)]
struct Page {
    id: String,
    unit_id: String,
    #[serde(rename = "type")]
    meeting_type: String,
    type_label: Option<&'static str>,
    title: String,
    starts_at: DateTime<Utc>,
    location: String,
    state: String,
    state_label: &'static str,
    chair_id: Option<String>,
    created_by: String,
    attendees: Vec<String>,
    should_attend: Vec<String>,
    notice_sent_at: Option<DateTime<Utc>>,
    /// R06: a shortened notice and its reason are shown (to inspectors among others).
    short_notice: bool,
    urgency_reason: Option<String>,
    opened_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    quorum: QuorumView,
    attendance: Vec<AttendanceView>,
    observers: Vec<String>,
    agenda: Vec<String>,
    items: Vec<ItemView>,
    written_opinions: Vec<WrittenView>,
    materials_available: bool,
    record_readable: bool,
    names: BTreeMap<String, String>,
    allowed_actions: Vec<&'static str>,
    trail: Vec<trail::TrailEntry>,
    version: i32,
}

#[derive(serde::Serialize)]
struct QuorumView {
    ratio: Ratio,
    present: u32,
    should_attend: u32,
    required: u32,
    met: bool,
}

#[derive(serde::Serialize)]
struct AttendanceView {
    user_id: String,
    status: Option<String>,
    reason: Option<String>,
    observer: bool,
}

#[derive(serde::Serialize)]
struct ItemView {
    id: String,
    proposal_id: String,
    title: String,
    proposal_title: String,
    category: String,
    amount: Option<String>,
    urgent: bool,
    proposer_id: String,
    position: i32,
    state: String,
    path: Option<String>,
    mode: Option<String>,
    path_reason: Option<String>,
    recused: Vec<String>,
    eligible: usize,
    voted_by_me: bool,
    version: i32,
    /// R09: a recused member sees neither the count nor the result of the vote (these four
    /// are left out for them).
    #[serde(skip_serializing_if = "Option::is_none")]
    ballots_cast: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tally: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    majority: Option<Option<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    my_ballot: Option<MyBallotView>,
    /// For record readers (R09 as above): the statements and who voted, not how.
    #[serde(skip_serializing_if = "Option::is_none")]
    statements: Option<Vec<StatementView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    voted: Option<Vec<String>>,
    allowed_actions: Vec<&'static str>,
}

#[derive(serde::Serialize)]
struct MyBallotView {
    receipt_id: String,
    cast_at: DateTime<Utc>,
    mode: Option<String>,
    choice: Option<String>,
    opinion: Option<String>,
}

#[derive(serde::Serialize)]
struct StatementView {
    seq: i32,
    speaker_id: String,
    role: String,
    stance: String,
    text: String,
    at: DateTime<Utc>,
}

#[derive(serde::Serialize)]
struct WrittenView {
    proposal_id: String,
    author_id: String,
    text: String,
    at: DateTime<Utc>,
}

impl From<written_opinions::Model> for WrittenView {
    fn from(w: written_opinions::Model) -> Self {
        WrittenView { proposal_id: w.proposal_id, author_id: w.author_id, text: w.text, at: w.created_at }
    }
}

async fn build_page(state: &AppState, ctx: &Ctx, m: &meetings::Model) -> AppResult<Page> {
    let db = &state.db.conn;
    let should = should_attend(db, m).await?;
    let atts = attendance_of(db, &m.id).await?;
    let obs = observer_ids(db, &m.id).await?;
    let present = present_members(db, m).await?;
    let record_reader = may_read_record(db, ctx, m).await?;
    let chair = ctx.has(Role::Principal);
    let clerk = ctx.has(Role::Clerk);
    let st = m_state(m)?;
    let attendees = json_ids(&m.attendees);
    let mut people: Vec<String> = should.clone();
    people.extend(obs.iter().cloned());
    people.extend(attendees.iter().cloned());
    let mut attendance_out: Vec<AttendanceView> = should
        .iter()
        .map(|u| {
            let a = atts.iter().find(|a| &a.user_id == u);
            AttendanceView { user_id: u.clone(), status: a.map(|a| a.status.clone()), reason: a.and_then(|a| a.reason.clone()), observer: false }
        })
        .collect();
    attendance_out.extend(obs.iter().map(|u| AttendanceView { user_id: u.clone(), status: Some("present".into()), reason: None, observer: true }));
    // One query per kind of row for the whole agenda (a meeting may have a hundred items).
    let items = items_of(db, &m.id).await?;
    let mut proposals = agenda_proposals(db, &items).await?;
    let ratio = ratio_for(db, m, proposals.values()).await?;
    // Who voted is for record readers only; everyone else needs the count per item and their
    // own receipt, so they get one grouped row per item instead of a row per ballot.
    let mut voters_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cast_of: BTreeMap<String, i64> = BTreeMap::new();
    if record_reader {
        voters_of = voters_by_item(db, &m.id).await?;
        cast_of.extend(voters_of.iter().map(|(item, v)| (item.clone(), i64::try_from(v.len()).unwrap_or(i64::MAX))));
    } else {
        let rows: Vec<(String, i64)> = ballot_participations::Entity::find()
            .select_only()
            .column(ballot_participations::Column::ItemId)
            .column_as(ballot_participations::Column::Id.count(), "n")
            .filter(ballot_participations::Column::MeetingId.eq(m.id.clone()))
            .group_by(ballot_participations::Column::ItemId)
            .into_tuple()
            .all(db)
            .await?;
        cast_of.extend(rows);
    }
    let mut mine: BTreeMap<String, ballot_participations::Model> = ballot_participations::Entity::find()
        .filter(ballot_participations::Column::MeetingId.eq(m.id.clone()))
        .filter(ballot_participations::Column::VoterId.eq(ctx.user_id.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.item_id.clone(), b))
        .collect();
    let mut my_ballots: BTreeMap<String, ballots::Model> = ballots::Entity::find()
        .filter(ballots::Column::MeetingId.eq(m.id.clone()))
        .filter(ballots::Column::VoterId.eq(ctx.user_id.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.item_id.clone(), b))
        .collect();
    let mut statements_of = if record_reader { statements_by_item(db, &m.id).await? } else { BTreeMap::new() };
    let mut items_out = Vec::with_capacity(items.len());
    for i in items {
        let p = proposals.remove(&i.proposal_id).ok_or_else(|| AppError::internal(format!("agenda item {} without its proposal", i.id)))?;
        let recused = json_ids(&i.recused);
        let i_am_recused = recused.contains(&ctx.user_id);
        let my_receipt = mine.remove(&i.id);
        let voted_by_me = my_receipt.is_some();
        let eligible = should.iter().filter(|u| !recused.contains(u)).count();
        let mut actions: Vec<&'static str> = Vec::new();
        if st == MeetingState::Open {
            match i.state.as_str() {
                "pending" => {
                    if clerk {
                        actions.push("statement");
                    }
                    if chair {
                        actions.push("vote");
                    }
                }
                "voting" => {
                    if chair {
                        actions.push("close_vote");
                    }
                    if !voted_by_me && present.contains(&ctx.user_id) && !i_am_recused {
                        actions.push("ballot");
                    }
                }
                "counted" if chair => actions.push("decision"),
                _ => {}
            }
        }
        // R09: a recused member sees neither the count nor the result of the vote.
        let shown = !i_am_recused;
        let (statements, voted) = if record_reader && shown {
            let sts = statements_of.remove(&i.id).unwrap_or_default();
            people.extend(sts.iter().map(|s| s.speaker_id.clone()));
            let sts = sts
                .into_iter()
                .map(|s| StatementView { seq: s.seq, speaker_id: s.speaker_id, role: s.role, stance: s.stance, text: s.text, at: s.created_at })
                .collect();
            (Some(sts), Some(voters_of.remove(&i.id).unwrap_or_default()))
        } else {
            (None, None)
        };
        // The caller's receipt (super::voting::receipt_of, from the rows read above).
        let my_ballot = my_receipt.map(|r| {
            let named = my_ballots.remove(&i.id);
            MyBallotView {
                receipt_id: r.id,
                cast_at: r.at,
                mode: i.mode.clone(),
                choice: named.as_ref().map(|b| b.choice.clone()),
                opinion: named.and_then(|b| b.opinion),
            }
        });
        items_out.push(ItemView {
            ballots_cast: shown.then(|| cast_of.get(&i.id).copied().unwrap_or(0)),
            tally: shown.then(|| i.tally.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok()).unwrap_or(Value::Null)),
            majority: shown.then_some(i.majority),
            decision: shown.then(|| decision_view(&i)),
            amount: p_amount(&p).map(|a| a.to_string()),
            id: i.id,
            proposal_title: p.title.clone(),
            title: p.title,
            proposal_id: p.id,
            category: p.category,
            urgent: p.urgent,
            proposer_id: p.proposer_id,
            position: i.position,
            state: i.state,
            path: i.path,
            mode: i.mode,
            path_reason: i.path_reason,
            recused,
            eligible,
            voted_by_me,
            version: i.version,
            my_ballot,
            statements,
            voted,
            allowed_actions: actions,
        });
    }
    let mut written = written_opinions::Entity::find().filter(written_opinions::Column::MeetingId.eq(m.id.clone()));
    if !record_reader {
        written = written.filter(written_opinions::Column::AuthorId.eq(ctx.user_id.clone()));
    }
    let written: Vec<WrittenView> = written.all(db).await?.into_iter().map(WrittenView::from).collect();
    let names = names(db, &people).await?;
    let t: Option<MeetingType> = m.meeting_type.parse().ok();
    let present_n = u32::try_from(present.len()).unwrap_or(u32::MAX);
    let should_n = u32::try_from(should.len()).unwrap_or(u32::MAX);
    let mut actions: Vec<&'static str> = Vec::new();
    match st {
        MeetingState::Scheduled if clerk => actions.push("notice"),
        MeetingState::Noticed => {
            if clerk {
                actions.extend(["attendance", "observers"]);
            }
            if clerk || chair {
                actions.push("open");
            }
        }
        MeetingState::Open if chair => actions.push("close"),
        _ => {}
    }
    Ok(Page {
        id: m.id.clone(),
        unit_id: m.unit_id.clone(),
        meeting_type: m.meeting_type.clone(),
        type_label: t.map(|t| t.label()),
        title: m.title.clone(),
        starts_at: m.starts_at,
        location: m.location.clone(),
        state: m.state.clone(),
        state_label: st.label(),
        chair_id: m.chair_id.clone(),
        created_by: m.created_by.clone(),
        attendees,
        notice_sent_at: m.notice_sent_at,
        short_notice: m.short_notice,
        urgency_reason: m.urgency_reason.clone(),
        opened_at: m.opened_at,
        closed_at: m.closed_at,
        quorum: QuorumView {
            ratio,
            present: present_n,
            should_attend: should_n,
            required: ratio.min_present(should_n),
            met: ratio.satisfied(present_n, should_n),
        },
        should_attend: should,
        attendance: attendance_out,
        observers: obs,
        agenda: items_out.iter().map(|i| i.proposal_id.clone()).collect(),
        items: items_out,
        written_opinions: written,
        materials_available: m.notice_sent_at.is_some() && m.closed_at.is_none(),
        record_readable: record_reader,
        names,
        allowed_actions: actions,
        trail: trail::of(db, MEETING, &m.id).await?,
        version: m.version,
    })
}

pub trait ForbiddenStatus {
    fn with_status_forbidden(self) -> AppError;
}

impl ForbiddenStatus for AppError {
    /// Marks a rule refusal about *who* (not *what*): the HTTP layer answers it with 403
    /// (see `deliberation::access_shaped`); the code stays the rule's.
    fn with_status_forbidden(self) -> AppError {
        let mut d = match self.details.clone() {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        d.insert("access".into(), json!("denied"));
        AppError { details: Value::Object(d), ..self }
    }
}
