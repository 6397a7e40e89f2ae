//! R14 superior approval; R15 minutes: drafting from the recorded decisions, approval with
//! the gapless serial, corrections as new versions; the minutes view.
use super::{
    items_of_meeting, load_minutes, minutes_state, moving_items, new_id, parse_body, phase, proposal, publications_of,
    versions,
};
use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::state::AppState;
use crate::store::entities::{attendance, meetings, minutes, minutes_serials, observers, proposals};
use crate::trail::{self, Change};
use axum::Json;
use axum::extract::{Path, State};
use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use serde_json::{Value, json};
use yishi_domain::deliberation::minutes::{
    self as dm, Absentee, Attendance, DecidedItem, MeetingFacts, MinutesBody, MinutesEdit, MinutesState,
    PublicationPhase, SuperiorApproval,
};
use yishi_domain::deliberation::rules::{Outcome, Tally};
use yishi_domain::deliberation::state::{self as ds, Command, Facts, ProposalState};
use yishi_domain::enums::{Category, MeetingType};
use yishi_domain::roles::Role;

// ------------------------------------------------------------------ R14

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SuperiorApprovalReq {
    /// The superior's approval document (批复文号), e.g. `X政复〔2026〕15号`.
    pub document_ref: String,
    /// `YYYY-MM-DD`
    pub approved_on: String,
}

/// Moves a proposal along the transition table with an optimistic update; `extra` sets
/// more columns in the same statement. Returns the new state.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn move_proposal(
    tx: &impl ConnectionTrait,
    state: &AppState,
    actor: &Actor,
    p: &proposals::Model,
    command: Command,
    action: &str,
    note: Option<&str>,
    extra: Vec<(proposals::Column, Expr)>,
) -> AppResult<ProposalState> {
    let from: ProposalState = p.state.parse().map_err(AppError::internal)?;
    if from == ProposalState::Archived {
        return Err(dm::archived_error().into());
    }
    let to = ds::apply(from, command, Facts { needs_superior_approval: p.needs_superior_approval, was_deferred: false })?;
    let now = state.clock.now();
    let mut q = proposals::Entity::update_many()
        .col_expr(proposals::Column::State, Expr::value(to.as_str()))
        .col_expr(proposals::Column::Version, Expr::value(p.version + 1))
        .col_expr(proposals::Column::UpdatedAt, Expr::value(now));
    for (c, e) in extra {
        q = q.col_expr(c, e);
    }
    let res = q
        .filter(proposals::Column::Id.eq(p.id.clone()))
        .filter(proposals::Column::Version.eq(p.version))
        .exec(tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict(format!("议题“{}”已被他人处理，请刷新后重试", p.title)));
    }
    let mut change = Change::new(&p.unit_id, "proposal", &p.id, action).states(Some(from.as_str()), Some(to.as_str())).note(note);
    if matches!(to, ProposalState::Archived | ProposalState::Confirmed | ProposalState::Minuted | ProposalState::Published) {
        change = change.permanent();
    }
    trail::record(tx, now, actor, change).await?;
    Ok(to)
}

pub async fn record_superior_approval(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(req): Json<SuperiorApprovalReq>,
) -> AppResult<Json<Value>> {
    let v = superior_approval(&state, &ctx.actor(), &id, &req).await?;
    Ok(Json(v))
}

pub async fn superior_approval(state: &AppState, actor: &Actor, id: &str, req: &SuperiorApprovalReq) -> AppResult<Value> {
    let document_ref = req.document_ref.trim().to_string();
    if document_ref.is_empty() || document_ref.chars().count() > 200 {
        return Err(AppError::invalid("document_ref", "请填写上级批准文件的文号（不超过200字）"));
    }
    let approved_on = NaiveDate::parse_from_str(req.approved_on.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("approved_on", "批准日期格式应为 YYYY-MM-DD"))?;
    if approved_on > yishi_domain::time::local_date(state.clock.now()) {
        return Err(AppError::invalid("approved_on", "批准日期不能晚于今天"));
    }
    let tx = state.db.begin_write().await?;
    let p = proposal(&*tx, id).await?;
    if p.state == ProposalState::Archived.as_str() {
        return Err(dm::archived_error().into());
    }
    if p.state != ProposalState::PendingSuperior.as_str() {
        let msg = if p.needs_superior_approval {
            "该议题须报上级批准，但只能在会议作出通过决定后（待上级批准状态）登记上级批准"
        } else {
            "该议题未标记为须报上级批准，无需登记"
        };
        return Err(AppError::rule("R14", msg).with_details(json!({"state": p.state})));
    }
    let approved_on = approved_on.format("%Y-%m-%d").to_string();
    let note = format!("上级批准：{document_ref}（{approved_on}）");
    let to = move_proposal(
        &*tx,
        state,
        actor,
        &p,
        Command::RecordSuperiorApproval,
        "proposal.superior_approval",
        Some(&note),
        vec![
            (proposals::Column::SuperiorDocumentRef, Expr::value(Some(document_ref.clone()))),
            (proposals::Column::SuperiorApprovedOn, Expr::value(Some(approved_on.clone()))),
        ],
    )
    .await?;
    // D10: now decided — an escalated document waiting for this proposal resumes.
    crate::outgoing::on_proposal_decided(&*tx, &p.id).await?;
    tx.commit().await?;
    Ok(json!({
        "id": p.id, "state": to.as_str(), "superior_document_ref": document_ref,
        "superior_approved_on": approved_on, "version": p.version + 1,
    }))
}

// ------------------------------------------------------------------ R15 draft

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DraftReq {
    /// Optional narrative edits: `{opening?, closing?, items?: [{proposal_id, summary}]}`.
    /// The items, outcomes, tallies and override reasons always come from the record.
    #[schema(value_type = Option<Object>)]
    pub body: Option<Value>,
}

fn parse_edit(v: &Value) -> AppResult<MinutesEdit> {
    serde_json::from_value(v.clone()).map_err(|e| {
        AppError::invalid(
            "body",
            format!("纪要修改内容格式不正确：应为 {{opening?, closing?, items?: [{{proposal_id, summary}}]}}（{e}）"),
        )
    })
}

pub async fn draft_minutes(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(meeting_id): Path<String>,
    Json(req): Json<DraftReq>,
) -> AppResult<Json<Value>> {
    let edit = req.body.as_ref().filter(|v| !v.is_null()).map(parse_edit).transpose()?;
    let m = draft(&state, &ctx.actor(), &ctx.display_name, &meeting_id, edit.as_ref()).await?;
    Ok(Json(view(&state.db.conn, &m, Some(&ctx)).await?))
}

async fn name(db: &impl ConnectionTrait, user_id: &str) -> AppResult<String> {
    crate::org::display_name(db, user_id).await
}

/// The facts of a meeting's record that the minutes are drafted from.
pub(crate) async fn decided_items(
    db: &impl ConnectionTrait,
    meeting_id: &str,
) -> AppResult<(Vec<DecidedItem>, Vec<String>)> {
    let mut items = Vec::new();
    let mut undecided = Vec::new();
    for it in items_of_meeting(db, meeting_id).await? {
        let p = proposal(db, &it.proposal_id).await?;
        let Some(outcome) = it.outcome.as_deref() else {
            undecided.push(p.title.clone());
            continue;
        };
        let outcome: Outcome = outcome.parse().map_err(AppError::internal)?;
        let consensus = it.path.as_deref() == Some("consensus");
        let tally: Option<Tally> = match it.tally.as_deref() {
            Some(t) if !consensus => Some(serde_json::from_str(t).map_err(AppError::internal)?),
            _ => None,
        };
        let category: Category = p.category.parse().map_err(AppError::internal)?;
        items.push(DecidedItem {
            proposal_id: p.id.clone(),
            title: p.title.clone(),
            category,
            outcome,
            decision: it.decision_text.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| outcome.label().to_string()),
            override_reason: it.override_reason.clone().filter(|t| !t.trim().is_empty()),
            tally,
            consensus,
            confidential: p.confidential,
            needs_superior_approval: p.needs_superior_approval,
            superior_approval: superior_of(&p),
        });
    }
    Ok((items, undecided))
}

fn superior_of(p: &proposals::Model) -> Option<SuperiorApproval> {
    match (&p.superior_document_ref, &p.superior_approved_on) {
        (Some(r), Some(d)) => Some(SuperiorApproval { document_ref: r.clone(), approved_on: d.clone() }),
        _ => None,
    }
}

async fn attendance_of(db: &impl ConnectionTrait, meeting_id: &str) -> AppResult<Attendance> {
    let mut a = Attendance::default();
    let rows = attendance::Entity::find()
        .filter(attendance::Column::MeetingId.eq(meeting_id))
        .order_by_asc(attendance::Column::RecordedAt)
        .all(db)
        .await?;
    for r in rows {
        let n = name(db, &r.user_id).await?;
        match r.status.as_str() {
            "present" => a.present.push(n),
            "absent" => a.absent.push(Absentee { name: n, reason: r.reason.clone() }),
            _ => a.leave.push(Absentee { name: n, reason: r.reason.clone() }),
        }
    }
    for o in observers::Entity::find()
        .filter(observers::Column::MeetingId.eq(meeting_id))
        .order_by_asc(observers::Column::CreatedAt)
        .all(db)
        .await?
    {
        a.observers.push(name(db, &o.user_id).await?);
    }
    Ok(a)
}

pub(crate) async fn draft(
    state: &AppState,
    actor: &Actor,
    recorder_name: &str,
    meeting_id: &str,
    edit: Option<&MinutesEdit>,
) -> AppResult<minutes::Model> {
    let tx = state.db.begin_write().await?;
    let meeting = meetings::Entity::find_by_id(meeting_id.to_string()).one(&*tx).await?.ok_or_else(AppError::not_found)?;
    if let Some(existing) = minutes::Entity::find()
        .filter(minutes::Column::MeetingId.eq(meeting_id))
        .order_by_desc(minutes::Column::VersionNo)
        .one(&*tx)
        .await?
    {
        return Err(AppError::conflict("本次会议已起草会议纪要；如需更正请在原纪要上提交修订")
            .with_details(json!({"minutes_id": existing.id, "root_id": existing.root_id})));
    }
    let (items, undecided) = decided_items(&*tx, meeting_id).await?;
    if !undecided.is_empty() {
        return Err(AppError::rule(
            "R15",
            format!("会议尚有议题未作出决定，不能起草纪要：{}", undecided.join("、")),
        )
        .with_details(json!({"undecided": undecided})));
    }
    let unit = crate::org::unit(&*tx, &meeting.unit_id).await?;
    let settings = crate::org::settings(&*tx, &meeting.unit_id).await?;
    let header = settings.minutes_header.clone().unwrap_or_else(|| dm::default_header(&unit.name));
    let meeting_type: MeetingType = meeting.meeting_type.parse().map_err(AppError::internal)?;
    let chair = match &meeting.chair_id {
        Some(c) => name(&*tx, c).await?,
        None => match crate::org::holders_of(&*tx, &meeting.unit_id, Role::Principal).await?.first() {
            Some(m) => name(&*tx, &m.user_id).await?,
            None => String::new(),
        },
    };
    let facts = MeetingFacts {
        id: meeting.id.clone(),
        meeting_type,
        title: meeting.title.clone(),
        starts_at: meeting.starts_at,
        location: meeting.location.clone(),
        chair,
        recorder: recorder_name.to_string(),
    };
    let mut body = dm::draft(&header, facts, attendance_of(&*tx, meeting_id).await?, items)?;
    if let Some(e) = edit {
        body = body.apply_edit(e)?;
    }
    let now = state.clock.now();
    let id = new_id();
    let row = minutes::ActiveModel {
        id: Set(id.clone()),
        unit_id: Set(meeting.unit_id.clone()),
        meeting_id: Set(meeting.id.clone()),
        root_id: Set(id.clone()),
        version_no: Set(1),
        previous_id: Set(None),
        meeting_type: Set(meeting.meeting_type.clone()),
        body: Set(serde_json::to_string(&body)?),
        state: Set(MinutesState::Draft.as_str().to_string()),
        year: Set(None),
        serial_no: Set(None),
        serial: Set(None),
        revision_reason: Set(None),
        created_by: Set(actor.user_id.clone().unwrap_or_default()),
        created_at: Set(now),
        approved_by: Set(None),
        approved_at: Set(None),
        archived: Set(false),
        version: Set(1),
    };
    minutes::Entity::insert(row).exec_without_returning(&*tx).await?;
    trail::record(
        &*tx,
        now,
        actor,
        Change::new(&meeting.unit_id, "minutes", &id, "minutes.draft")
            .states(None, Some("draft"))
            .note(Some(&format!("依据会议“{}”的决定起草纪要（第1版）", meeting.title)))
            .permanent(),
    )
    .await?;
    let m = load_minutes(&*tx, &id).await?;
    tx.commit().await?;
    notify_role(state, &m.unit_id, Role::Principal, json!({"kind": "minutes_approve", "minutes_id": m.id})).await;
    Ok(m)
}

/// Tells the holders of a role in the unit that their to-do list changed (after commit).
pub(crate) async fn notify_role(state: &AppState, unit_id: &str, role: Role, data: Value) {
    if let Ok(holders) = crate::org::holders_of(&state.db.conn, unit_id, role).await {
        state.events.publish(holders.into_iter().map(|m| m.user_id).collect(), "task", data);
    }
}

// ------------------------------------------------------------------ R15 approve

pub async fn approve_minutes(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let m = approve(&state, &ctx.actor(), &id).await?;
    Ok(Json(view(&state.db.conn, &m, Some(&ctx)).await?))
}

pub(crate) async fn approve(state: &AppState, actor: &Actor, id: &str) -> AppResult<minutes::Model> {
    let tx = state.db.begin_write().await?;
    let m = load_minutes(&*tx, id).await?;
    let all = versions(&*tx, &m.root_id).await?;
    let is_latest = all.last().is_some_and(|l| l.id == m.id);
    dm::check_approve(minutes_state(&m)?, is_latest, m.archived)?;
    let mut body = parse_body(&m)?;
    // R14: every adopted item that waits for the superior's approval blocks the approval;
    // recorded approvals are written into the minutes (facts, not narrative).
    let mut pending = Vec::new();
    let mut props = Vec::new();
    for item in body.items.iter_mut() {
        let p = proposal(&*tx, &item.decided.proposal_id).await?;
        if p.state == ProposalState::PendingSuperior.as_str() {
            pending.push((p.id.clone(), p.title.clone()));
        }
        item.decided.superior_approval = superior_of(&p);
        item.decided.confidential = item.decided.confidential || p.confidential;
        props.push(p);
    }
    dm::check_no_pending_superior(&pending)?;
    let now = state.clock.now();
    // R15: one serial per minutes (all its versions), gapless per unit, type and year:
    // the counter row is incremented in this transaction, so a rollback returns it.
    let meeting_type: MeetingType = m.meeting_type.parse().map_err(AppError::internal)?;
    let (year, serial_no) = match minutes_serials::Entity::find()
        .filter(minutes_serials::Column::RootId.eq(m.root_id.clone()))
        .one(&*tx)
        .await?
    {
        Some(s) => (s.year, s.serial_no),
        None => {
            let year = yishi_domain::time::local_date(now).year();
            let n = crate::counters::next(&*tx, &dm::counter_key(&m.unit_id, meeting_type, year)).await?;
            minutes_serials::Entity::insert(minutes_serials::ActiveModel {
                id: Set(new_id()),
                unit_id: Set(m.unit_id.clone()),
                meeting_type: Set(m.meeting_type.clone()),
                year: Set(year),
                serial_no: Set(n),
                root_id: Set(m.root_id.clone()),
                created_at: Set(now),
            })
            .exec_without_returning(&*tx)
            .await?;
            (year, n)
        }
    };
    let serial = dm::serial_text(year, serial_no);
    let res = minutes::Entity::update_many()
        .col_expr(minutes::Column::State, Expr::value(MinutesState::Approved.as_str()))
        .col_expr(minutes::Column::Year, Expr::value(Some(year)))
        .col_expr(minutes::Column::SerialNo, Expr::value(Some(serial_no)))
        .col_expr(minutes::Column::Serial, Expr::value(Some(serial.clone())))
        .col_expr(minutes::Column::ApprovedBy, Expr::value(actor.user_id.clone()))
        .col_expr(minutes::Column::ApprovedAt, Expr::value(Some(now)))
        .col_expr(minutes::Column::Body, Expr::value(serde_json::to_string(&body)?))
        .col_expr(minutes::Column::Version, Expr::value(m.version + 1))
        .filter(minutes::Column::Id.eq(m.id.clone()))
        .filter(minutes::Column::Version.eq(m.version))
        .filter(minutes::Column::State.eq(MinutesState::Draft.as_str()))
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("该纪要已被他人处理，请刷新后重试"));
    }
    // The correction replaces the previously approved version (kept, marked superseded).
    minutes::Entity::update_many()
        .col_expr(minutes::Column::State, Expr::value(MinutesState::Superseded.as_str()))
        .col_expr(minutes::Column::Version, Expr::col(minutes::Column::Version).add(1))
        .filter(minutes::Column::RootId.eq(m.root_id.clone()))
        .filter(minutes::Column::State.eq(MinutesState::Approved.as_str()))
        .filter(minutes::Column::Id.ne(m.id.clone()))
        .exec(&*tx)
        .await?;
    let moving = moving_items(&body);
    for p in props.iter().filter(|p| moving.contains(&p.id)) {
        let extra = vec![(proposals::Column::MinutesId, Expr::value(Some(m.id.clone())))];
        if p.state == ProposalState::Minuted.as_str() {
            // Re-approval of a correction: the proposal stays minuted, linked to the new version.
            let res = proposals::Entity::update_many()
                .col_expr(proposals::Column::MinutesId, Expr::value(Some(m.id.clone())))
                .col_expr(proposals::Column::Version, Expr::value(p.version + 1))
                .filter(proposals::Column::Id.eq(p.id.clone()))
                .filter(proposals::Column::Version.eq(p.version))
                .exec(&*tx)
                .await?;
            if res.rows_affected != 1 {
                return Err(AppError::conflict(format!("议题“{}”已被他人处理，请刷新后重试", p.title)));
            }
        } else {
            let note = format!("会议纪要{serial}（第{}版）审定", m.version_no);
            move_proposal(&*tx, state, actor, p, Command::Minute, "proposal.minute", Some(&note), extra).await?;
        }
    }
    trail::record(
        &*tx,
        now,
        actor,
        Change::new(&m.unit_id, "minutes", &m.root_id, "minutes.approve")
            .states(Some("draft"), Some("approved"))
            .note(Some(&format!("审定第{}版，编号{serial}", m.version_no)))
            .snapshots(Value::Null, json!({"minutes_id": m.id, "serial": serial, "version_no": m.version_no}))
            .permanent(),
    )
    .await?;
    let out = load_minutes(&*tx, &m.id).await?;
    tx.commit().await?;
    notify_role(state, &out.unit_id, Role::Clerk, json!({"kind": "publication_open", "minutes_id": out.id})).await;
    Ok(out)
}

// ------------------------------------------------------------------ R15 revise

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RevisionReq {
    /// Narrative edits `{opening?, closing?, items?: [{proposal_id, summary}]}` applied to
    /// the version being corrected.
    #[schema(value_type = Object)]
    pub body: Value,
    pub reason: String,
}

pub async fn revise_minutes(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(req): Json<RevisionReq>,
) -> AppResult<Json<Value>> {
    let reason = dm::check_revision_reason(&req.reason)?;
    let edit = parse_edit(&req.body)?;
    let m = revise(&state, &ctx.actor(), &id, &edit, &reason).await?;
    Ok(Json(view(&state.db.conn, &m, Some(&ctx)).await?))
}

pub(crate) async fn revise(state: &AppState, actor: &Actor, id: &str, edit: &MinutesEdit, reason: &str) -> AppResult<minutes::Model> {
    let tx = state.db.begin_write().await?;
    let m = load_minutes(&*tx, id).await?;
    let all = versions(&*tx, &m.root_id).await?;
    let is_latest = all.last().is_some_and(|l| l.id == m.id);
    let pubs = publications_of(&*tx, &m.root_id).await?;
    let st = minutes_state(&m)?;
    dm::check_revise(st, is_latest, m.archived, phase(&pubs)?)?;
    let body = parse_body(&m)?.apply_edit(edit)?;
    let now = state.clock.now();
    if st == MinutesState::Draft {
        // A draft corrected before approval is replaced (kept, superseded).
        let res = minutes::Entity::update_many()
            .col_expr(minutes::Column::State, Expr::value(MinutesState::Superseded.as_str()))
            .col_expr(minutes::Column::Version, Expr::value(m.version + 1))
            .filter(minutes::Column::Id.eq(m.id.clone()))
            .filter(minutes::Column::Version.eq(m.version))
            .exec(&*tx)
            .await?;
        if res.rows_affected != 1 {
            return Err(AppError::conflict("该纪要已被他人处理，请刷新后重试"));
        }
    }
    let new = new_id();
    let version_no = m.version_no + 1;
    minutes::Entity::insert(minutes::ActiveModel {
        id: Set(new.clone()),
        unit_id: Set(m.unit_id.clone()),
        meeting_id: Set(m.meeting_id.clone()),
        root_id: Set(m.root_id.clone()),
        version_no: Set(version_no),
        previous_id: Set(Some(m.id.clone())),
        meeting_type: Set(m.meeting_type.clone()),
        body: Set(serde_json::to_string(&body)?),
        state: Set(MinutesState::Draft.as_str().to_string()),
        year: Set(None),
        serial_no: Set(None),
        serial: Set(None),
        revision_reason: Set(Some(reason.to_string())),
        created_by: Set(actor.user_id.clone().unwrap_or_default()),
        created_at: Set(now),
        approved_by: Set(None),
        approved_at: Set(None),
        archived: Set(false),
        version: Set(1),
    })
    .exec_without_returning(&*tx)
    .await?;
    trail::record(
        &*tx,
        now,
        actor,
        Change::new(&m.unit_id, "minutes", &m.root_id, "minutes.revise")
            .states(Some(st.as_str()), Some("draft"))
            .note(Some(&format!("修订为第{version_no}版：{reason}")))
            .snapshots(json!({"minutes_id": m.id}), json!({"minutes_id": new, "version_no": version_no}))
            .permanent(),
    )
    .await?;
    let out = load_minutes(&*tx, &new).await?;
    tx.commit().await?;
    notify_role(state, &out.unit_id, Role::Principal, json!({"kind": "minutes_approve", "minutes_id": out.id})).await;
    Ok(out)
}

// ------------------------------------------------------------------ views

pub async fn get_minutes(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let m = load_minutes(&state.db.conn, &id).await?;
    Ok(Json(view(&state.db.conn, &m, Some(&ctx)).await?))
}

/// The minutes as JSON: this version (structured `body` and rendered `text`), all versions,
/// the publications and the trail; `allowed_actions` for the caller.
pub async fn view(db: &impl ConnectionTrait, m: &minutes::Model, ctx: Option<&Ctx>) -> AppResult<Value> {
    let body = parse_body(m)?;
    let all = versions(db, &m.root_id).await?;
    let is_latest = all.last().is_some_and(|l| l.id == m.id);
    let pubs = publications_of(db, &m.root_id).await?;
    let ph = phase(&pubs)?;
    let st = minutes_state(m)?;
    // Drafts show the serial the minutes already has (corrections keep it) — marked as such.
    let serial = m.serial.clone().or_else(|| all.iter().rev().find_map(|v| v.serial.clone()));
    let meeting_title = meetings::Entity::find_by_id(m.meeting_id.clone()).one(db).await?.map(|x| x.title);
    let mut actions: Vec<&str> = Vec::new();
    if let Some(ctx) = ctx {
        if ctx.has(Role::Principal) && dm::check_approve(st, is_latest, m.archived).is_ok() {
            actions.push("approve");
        }
        if ctx.has(Role::Clerk) && dm::check_revise(st, is_latest, m.archived, ph).is_ok() {
            actions.push("revise");
        }
        let already = pubs.iter().any(|p| p.minutes_id == m.id);
        let phase_ok = matches!(ph, PublicationPhase::None | PublicationPhase::Adjust);
        if ctx.has(Role::Clerk) && st == MinutesState::Approved && is_latest && !m.archived && !already && phase_ok {
            actions.push("publish");
        }
    }
    let this_pub = pubs.iter().rev().find(|p| p.minutes_id == m.id).map(|p| p.id.clone());
    Ok(json!({
        "id": m.id,
        "unit_id": m.unit_id,
        "meeting_id": m.meeting_id,
        "meeting_title": meeting_title,
        "meeting_type": m.meeting_type,
        "root_id": m.root_id,
        "version_no": m.version_no,
        "previous_id": m.previous_id,
        "state": m.state,
        "is_latest": is_latest,
        "serial": m.serial,
        "serial_no": m.serial_no,
        "year": m.year,
        "serial_of_minutes": serial,
        "revision_reason": m.revision_reason,
        "created_by": m.created_by,
        "created_at": m.created_at,
        "approved_by": m.approved_by,
        "approved_at": m.approved_at,
        "archived": m.archived,
        "version": m.version,
        "header": body.header,
        "items": body.items,
        "body": body,
        "text": body.to_text(m.serial.as_deref()),
        "versions": all.iter().map(|v| json!({
            "id": v.id, "version_no": v.version_no, "state": v.state, "serial": v.serial,
            "revision_reason": v.revision_reason, "created_at": v.created_at, "approved_at": v.approved_at,
            "previous_id": v.previous_id,
        })).collect::<Vec<_>>(),
        "publication_id": this_pub,
        "publications": pubs.iter().map(|p| json!({
            "id": p.id, "minutes_id": p.minutes_id, "state": p.state, "opened_at": p.opened_at,
            "closes_at": p.closes_at, "resolution": p.resolution,
        })).collect::<Vec<_>>(),
        "publication_phase": phase_label(ph),
        "allowed_actions": actions,
        "trail": trail::of(db, "minutes", &m.root_id).await?,
    }))
}

pub(crate) fn phase_label(p: PublicationPhase) -> &'static str {
    match p {
        PublicationPhase::None => "none",
        PublicationPhase::Open => "open",
        PublicationPhase::AwaitingResolution => "awaiting_resolution",
        PublicationPhase::Adjust => "adjust",
        PublicationPhase::Redeliberate => "redeliberate",
        PublicationPhase::Confirmed => "confirmed",
    }
}

/// The body and serial of a version — what the PDF renderer (P01, P03) prints for
/// `GET /api/v1/minutes/{id}/pdf` (any version id: that version is rendered).
pub async fn for_render(db: &impl ConnectionTrait, id: &str) -> AppResult<(MinutesBody, Option<String>)> {
    let (m, body) = version_for_render(db, id).await?;
    Ok((body, m.serial))
}

/// Like [`for_render`], with the version's row (state — a draft gets the 草稿 marking —,
/// approved_at for the 印发日期, version_no).
pub async fn version_for_render(db: &impl ConnectionTrait, id: &str) -> AppResult<(minutes::Model, MinutesBody)> {
    let m = load_minutes(db, id).await?;
    let body = parse_body(&m)?;
    Ok((m, body))
}
