//! R16 internal publication (open, staff reading, real-name opinions, the exactly-once
//! close), R17 summary and the principal's resolution.
use super::drafting::{move_proposal, notify_role};
use super::{load_minutes, minutes_state, moving_items, new_id, page, parse_body, phase, proposal, publication_state, publications_of, versions};
use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::state::AppState;
use crate::store::entities::{meetings, memberships, minutes, proposals, publication_opinions, publications};
use crate::trail::{self, Change};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use serde_json::{Value, json};
use yishi_domain::deliberation::minutes::{self as dm, MinutesState, PublicationPhase};
use yishi_domain::deliberation::publication::{self as dp, PublicationState, Resolution, Withheld};
use yishi_domain::deliberation::state::{Command, ProposalState};
use yishi_domain::roles::Role;

pub const JOB_CLOSE: &str = "publication.close";
pub const JOB_SWEEP: &str = "publications.close_due";

// ------------------------------------------------------------------ R16 open

#[derive(Deserialize, utoipa::ToSchema)]
pub struct WithheldReq {
    pub proposal_id: String,
    pub reason: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PublishReq {
    /// Items marked confidential, each with the recorded reason for not publishing it.
    #[serde(default)]
    pub withheld: Vec<WithheldReq>,
}

pub async fn publish(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<PublishReq>) -> AppResult<Json<Value>> {
    let withheld: Vec<Withheld> = req.withheld.into_iter().map(|w| Withheld { proposal_id: w.proposal_id, reason: w.reason }).collect();
    let p = open_publication(&state, &ctx.actor(), &id, &withheld).await?;
    Ok(Json(view(&state, &p, Some(&ctx)).await?))
}

pub(crate) async fn open_publication(state: &AppState, actor: &Actor, minutes_id: &str, withheld: &[Withheld]) -> AppResult<publications::Model> {
    let tx = state.db.begin_write().await?;
    let m = load_minutes(&*tx, minutes_id).await?;
    if m.archived {
        return Err(dm::archived_error().into());
    }
    if minutes_state(&m)? != MinutesState::Approved {
        return Err(AppError::rule("R16", "只有经主要领导审定的纪要才能公示"));
    }
    let all = versions(&*tx, &m.root_id).await?;
    if all.last().is_some_and(|l| l.id != m.id) {
        return Err(AppError::rule("R15", "该纪要已有更新的版本：请审定并公示最新版本"));
    }
    let pubs = publications_of(&*tx, &m.root_id).await?;
    match phase(&pubs)? {
        PublicationPhase::None => {}
        PublicationPhase::Adjust => {
            if pubs.iter().any(|p| p.minutes_id == m.id) {
                return Err(AppError::rule(
                    "R17",
                    "主要领导决定调整：请先修订纪要（新版本）并经审定后再重新公示",
                ));
            }
        }
        PublicationPhase::Open => return Err(AppError::rule("R16", "该纪要正在公示中")),
        PublicationPhase::AwaitingResolution => {
            return Err(AppError::rule("R17", "上一次公示已结束，须待主要领导作出决定"));
        }
        PublicationPhase::Redeliberate => {
            return Err(AppError::rule("R17", "主要领导已决定重新会商，本纪要不再公示"));
        }
        PublicationPhase::Confirmed => return Err(dm::archived_error().into()),
    }
    let body = parse_body(&m)?;
    let mut items = Vec::new();
    for it in &body.items {
        let p = proposal(&*tx, &it.decided.proposal_id).await?;
        items.push((p.id.clone(), p.confidential || it.decided.confidential));
    }
    let withheld = dp::check_withheld(&items, withheld)?;
    let now = state.clock.now();
    let settings = crate::org::settings(&*tx, &m.unit_id).await?;
    let calendar = crate::org::calendar(&*tx, &m.unit_id).await?;
    let closes_at = settings.publication_closes_at(&calendar, now);
    let id = new_id();
    publications::Entity::insert(publications::ActiveModel {
        id: Set(id.clone()),
        unit_id: Set(m.unit_id.clone()),
        minutes_id: Set(m.id.clone()),
        minutes_root_id: Set(m.root_id.clone()),
        meeting_id: Set(m.meeting_id.clone()),
        state: Set(PublicationState::Open.as_str().to_string()),
        withheld: Set(serde_json::to_string(&withheld)?),
        opened_by: Set(actor.user_id.clone().unwrap_or_default()),
        opened_at: Set(now),
        closes_at: Set(closes_at),
        closed_at: Set(None),
        closed_by: Set(None),
        summary: Set(None),
        summary_by: Set(None),
        summary_at: Set(None),
        resolution: Set(None),
        resolution_note: Set(None),
        resolved_by: Set(None),
        resolved_at: Set(None),
        archived: Set(false),
        version: Set(1),
    })
    .exec_without_returning(&*tx)
    .await?;
    let serial = m.serial.clone().unwrap_or_default();
    for pid in moving_items(&body) {
        let p = proposal(&*tx, &pid).await?;
        let note = format!("会议纪要{serial}在机关内部公示");
        move_proposal(
            &*tx,
            state,
            actor,
            &p,
            Command::Publish,
            "proposal.publish",
            Some(&note),
            vec![(proposals::Column::PublicationId, Expr::value(Some(id.clone())))],
        )
        .await?;
    }
    // The close runs once across instances (R16, R46): the job is deduplicated by key and
    // the close itself is a conditional update.
    crate::jobs::schedule(&*tx, JOB_CLOSE, &format!("{JOB_CLOSE}:{id}"), closes_at, json!({"publication_id": id})).await?;
    let withheld_note = if withheld.is_empty() { String::new() } else { format!("，{}项不予公开", withheld.len()) };
    trail::record(
        &*tx,
        now,
        actor,
        Change::new(&m.unit_id, "publication", &id, "publication.open")
            .states(None, Some("open"))
            .note(Some(&format!("公示纪要{serial}（第{}版），截止 {}{withheld_note}", m.version_no, yishi_domain::time::format_local(closes_at))))
            .snapshots(Value::Null, json!({"minutes_id": m.id, "closes_at": closes_at, "withheld": withheld}))
            .permanent(),
    )
    .await?;
    trail::record(
        &*tx,
        now,
        actor,
        Change::new(&m.unit_id, "minutes", &m.root_id, "minutes.publish").note(Some(&format!("第{}版公示", m.version_no))).permanent(),
    )
    .await?;
    let out = load(&*tx, &id).await?;
    tx.commit().await?;
    // Every member of the unit may read and comment (S01).
    if let Ok(all) = memberships::Entity::find().filter(memberships::Column::UnitId.eq(out.unit_id.clone())).all(&state.db.conn).await {
        state.events.publish(all.into_iter().map(|m| m.user_id).collect(), "task", json!({"kind": "publication_comment", "publication_id": out.id}));
    }
    Ok(out)
}

pub(crate) async fn load(db: &impl ConnectionTrait, id: &str) -> AppResult<publications::Model> {
    publications::Entity::find_by_id(id.to_string()).one(db).await?.ok_or_else(AppError::not_found)
}

fn withheld_of(p: &publications::Model) -> AppResult<Vec<Withheld>> {
    serde_json::from_str(&p.withheld).map_err(AppError::internal)
}

// ------------------------------------------------------------------ R16 close (exactly once)

/// Closes one publication if it is open and due. The conditional UPDATE (`state = 'open'
/// AND closes_at <= now`) is the guard: with any number of callers (job runners on several
/// instances, lazy closes on read) exactly one sees a row affected, and only that one
/// writes the trail and audit entry. Returns whether this call closed it.
pub async fn close_if_due(state: &AppState, id: &str, by: &str) -> AppResult<bool> {
    let tx = state.db.begin_write().await?;
    let now = state.clock.now();
    let res = publications::Entity::update_many()
        .col_expr(publications::Column::State, Expr::value(PublicationState::Closed.as_str()))
        .col_expr(publications::Column::ClosedAt, Expr::value(Some(now)))
        .col_expr(publications::Column::ClosedBy, Expr::value(Some(by.to_string())))
        .col_expr(publications::Column::Version, Expr::col(publications::Column::Version).add(1))
        .filter(publications::Column::Id.eq(id))
        .filter(publications::Column::State.eq(PublicationState::Open.as_str()))
        .filter(publications::Column::ClosesAt.lte(now))
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Ok(false);
    }
    let p = load(&*tx, id).await?;
    let n = publication_opinions::Entity::find()
        .filter(publication_opinions::Column::PublicationId.eq(id))
        .count(&*tx)
        .await?;
    trail::record(
        &*tx,
        now,
        &Actor::system(),
        Change::new(&p.unit_id, "publication", id, "publication.close")
            .states(Some("open"), Some("closed"))
            .note(Some(&format!("公示期满自动结束，共收到意见{n}条")))
            .snapshots(Value::Null, json!({"closed_by": by, "opinions": n}))
            .permanent(),
    )
    .await?;
    tx.commit().await?;
    notify_role(state, &p.unit_id, Role::Clerk, json!({"kind": "publication_summary", "publication_id": id})).await;
    Ok(true)
}

/// Closes every publication whose time has come, each exactly once (R16, R46). Called by
/// the job runner (sweep) and safe to call from anywhere, concurrently, on any instance.
/// Returns the ids this call closed.
pub async fn close_due_publications(state: &AppState) -> AppResult<Vec<String>> {
    let now = state.clock.now();
    let due: Vec<String> = publications::Entity::find()
        .select_only()
        .column(publications::Column::Id)
        .filter(publications::Column::State.eq(PublicationState::Open.as_str()))
        .filter(publications::Column::ClosesAt.lte(now))
        .order_by_asc(publications::Column::ClosesAt)
        .into_tuple()
        .all(&state.db.conn)
        .await?;
    let mut closed = Vec::new();
    for id in due {
        if close_if_due(state, &id, "job").await? {
            closed.push(id);
        }
    }
    Ok(closed)
}

/// Job handlers of this module (dispatched by `jobs::dispatch`): `publication.close`
/// (one publication, payload `{publication_id}`) and `publications.close_due` (sweep).
pub async fn run_job(state: &AppState, kind: &str, payload: &Value) -> AppResult<Value> {
    match kind {
        JOB_CLOSE => {
            let id = payload["publication_id"].as_str().ok_or_else(|| AppError::invalid("publication_id", "缺少 publication_id"))?;
            let closed = close_if_due(state, id, "job").await?;
            Ok(json!({"publication_id": id, "closed": closed}))
        }
        JOB_SWEEP => Ok(json!({"closed": close_due_publications(state).await?})),
        other => Err(AppError::invalid("kind", format!("未知的任务类型：{other}"))),
    }
}

/// The lazy close: a publication read after its time is closed first (once).
async fn fresh(state: &AppState, id: &str) -> AppResult<publications::Model> {
    let p = load(&state.db.conn, id).await?;
    if dp::is_due(publication_state(&p)?, p.closes_at, state.clock.now()) {
        close_if_due(state, id, "read").await?;
        return load(&state.db.conn, id).await;
    }
    Ok(p)
}

// ------------------------------------------------------------------ reading (S01)

fn reads_everything(ctx: &Ctx) -> bool {
    ctx.has(Role::Clerk) || ctx.has(Role::Principal) || ctx.has(Role::Inspector)
}

/// The publication as the caller may see it: the published minutes minus withheld items;
/// withheld reasons, opinion count, summary and resolution only for the clerk, the
/// principal and inspectors.
pub async fn view(state: &AppState, p: &publications::Model, ctx: Option<&Ctx>) -> AppResult<Value> {
    let db = &state.db.conn;
    let m = load_minutes(db, &p.minutes_id).await?;
    let body = parse_body(&m)?;
    let withheld = withheld_of(p)?;
    let ids: Vec<String> = withheld.iter().map(|w| w.proposal_id.clone()).collect();
    let visible = body.without(&ids);
    let st = publication_state(p)?;
    let privileged = ctx.is_none_or(reads_everything);
    let meeting_title = meetings::Entity::find_by_id(p.meeting_id.clone()).one(db).await?.map(|x| x.title);
    let mut actions: Vec<&str> = Vec::new();
    let now = state.clock.now();
    if let Some(ctx) = ctx {
        // Inspectors oversee; everyone else in the unit may comment (casbin decides too).
        let staff_like = ctx.roles.iter().any(|r| *r != Role::Inspector);
        if st == PublicationState::Open && p.closes_at > now && staff_like && !p.archived {
            actions.push("opinion");
        }
        if ctx.has(Role::Clerk) && st == PublicationState::Closed && p.summary.is_none() {
            actions.push("summary");
        }
        if ctx.has(Role::Principal) && st == PublicationState::Closed && p.summary.is_some() && p.resolution.is_none() {
            actions.push("resolution");
        }
    }
    let mut v = json!({
        "id": p.id,
        "unit_id": p.unit_id,
        "minutes_id": p.minutes_id,
        "minutes_root_id": p.minutes_root_id,
        "meeting_id": p.meeting_id,
        "title": meeting_title.clone().map(|t| format!("{t}纪要")).unwrap_or_default(),
        "meeting_title": meeting_title,
        "serial": m.serial,
        "minutes_version_no": m.version_no,
        "state": p.state,
        "open": st == PublicationState::Open,
        "opened_at": p.opened_at,
        "closes_at": p.closes_at,
        "closed_at": p.closed_at,
        "header": visible.header,
        "items": visible.items,
        "body": visible,
        "text": visible.to_text(m.serial.as_deref()),
        "withheld_count": withheld.len(),
        "archived": p.archived,
        "version": p.version,
        "allowed_actions": actions,
    });
    if privileged {
        let n = publication_opinions::Entity::find().filter(publication_opinions::Column::PublicationId.eq(p.id.clone())).count(db).await?;
        v["withheld"] = json!(withheld);
        v["opinion_count"] = json!(n);
        v["summary"] = json!(p.summary);
        v["summary_by"] = json!(p.summary_by);
        v["summary_at"] = json!(p.summary_at);
        v["closed_by"] = json!(p.closed_by);
        v["resolution"] = match &p.resolution {
            Some(d) => json!({"decision": d, "note": p.resolution_note, "resolved_by": p.resolved_by, "resolved_at": p.resolved_at}),
            None => Value::Null,
        };
        v["trail"] = json!(trail::of(db, "publication", &p.id).await?);
    }
    if let Some(ctx) = ctx {
        // One's own opinions (real-name, R16) are always visible to oneself.
        let mine = publication_opinions::Entity::find()
            .filter(publication_opinions::Column::PublicationId.eq(p.id.clone()))
            .filter(publication_opinions::Column::AuthorId.eq(ctx.user_id.clone()))
            .order_by_asc(publication_opinions::Column::CreatedAt)
            .all(db)
            .await?;
        v["my_opinions"] = json!(mine.iter().map(|o| json!({"id": o.id, "text": o.text, "created_at": o.created_at})).collect::<Vec<_>>());
    }
    Ok(v)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub open: Option<bool>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

pub async fn list_publications(State(state): State<AppState>, ctx: Ctx, Path(unit): Path<String>, Query(q): Query<ListQuery>) -> AppResult<Response> {
    // Kept per reader and page while nothing changed (`crate::readcache`): each item carries
    // the reader's own opinion count.
    let key = format!("publications\u{1f}{unit}\u{1f}{}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}", ctx.user_id, q.open, q.limit, q.cursor);
    state.reads.json(&state, key, || list(&state, &ctx, &unit, &q)).await
}

/// The unit's publications, open ones first, and until when the list holds whatever the
/// data: the earliest close of an R16 window still open.
async fn list(state: &AppState, ctx: &Ctx, unit: &str, q: &ListQuery) -> AppResult<crate::readcache::Answer> {
    // Lazy close of whatever is due in this unit, so nobody sees an expired "open" window.
    let now = state.clock.now();
    let open: Vec<(String, DateTime<Utc>)> = publications::Entity::find()
        .select_only()
        .column(publications::Column::Id)
        .column(publications::Column::ClosesAt)
        .filter(publications::Column::UnitId.eq(unit))
        .filter(publications::Column::State.eq(PublicationState::Open.as_str()))
        .into_tuple()
        .all(&state.db.conn)
        .await?;
    let mut until: Option<DateTime<Utc>> = None;
    for (id, closes_at) in open {
        if closes_at <= now {
            close_if_due(state, &id, "read").await?;
        } else {
            until = crate::readcache::earliest(until, Some(closes_at));
        }
    }
    let (limit, offset) = page(q.limit, q.cursor.as_deref());
    let mut query = publications::Entity::find().filter(publications::Column::UnitId.eq(unit));
    if q.open == Some(true) {
        query = query.filter(publications::Column::State.eq(PublicationState::Open.as_str()));
    } else if q.open == Some(false) {
        query = query.filter(publications::Column::State.eq(PublicationState::Closed.as_str()));
    }
    // "open" sorts after "closed": descending puts open ones first (S01), then newest.
    let rows = query
        .order_by_desc(publications::Column::State)
        .order_by_desc(publications::Column::OpenedAt)
        .order_by_desc(publications::Column::Id)
        .offset(offset)
        .limit(limit + 1)
        .all(&state.db.conn)
        .await?;
    let more = rows.len() as u64 > limit;
    let mut items = Vec::new();
    for p in rows.iter().take(limit as usize) {
        let m = load_minutes(&state.db.conn, &p.minutes_id).await?;
        let body = parse_body(&m)?;
        let withheld = withheld_of(p)?;
        let meeting_title = meetings::Entity::find_by_id(p.meeting_id.clone()).one(&state.db.conn).await?.map(|x| x.title);
        let mine = publication_opinions::Entity::find()
            .filter(publication_opinions::Column::PublicationId.eq(p.id.clone()))
            .filter(publication_opinions::Column::AuthorId.eq(ctx.user_id.clone()))
            .count(&state.db.conn)
            .await?;
        items.push(json!({
            "id": p.id, "minutes_id": p.minutes_id, "meeting_id": p.meeting_id,
            "title": meeting_title.clone().map(|t| format!("{t}纪要")).unwrap_or_default(),
            "meeting_title": meeting_title, "meeting_type": m.meeting_type, "serial": m.serial,
            "state": p.state, "open": p.state == PublicationState::Open.as_str(),
            "opened_at": p.opened_at, "closes_at": p.closes_at, "closed_at": p.closed_at,
            "item_count": body.items.len() - withheld.len(), "withheld_count": withheld.len(),
            "resolution": p.resolution, "my_opinion_count": mine,
        }));
    }
    let next = more.then(|| (offset + limit).to_string());
    Ok((json!({"items": items, "next_cursor": next}), until))
}

pub async fn get_publication(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    // Kept per reader while nothing changed (`crate::readcache`); an open publication's
    // answer ends with its R16 window, when the next read closes it.
    let key = format!("publication\u{1f}{id}\u{1f}{}", ctx.user_id);
    state
        .reads
        .json(&state, key, || async {
            let p = fresh(&state, &id).await?;
            let until = (publication_state(&p)? == PublicationState::Open).then_some(p.closes_at);
            Ok((view(&state, &p, Some(&ctx)).await?, until))
        })
        .await
}

// ------------------------------------------------------------------ R16 opinions

#[derive(Deserialize, utoipa::ToSchema)]
pub struct OpinionReq {
    pub text: String,
}

pub async fn add_opinion(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<OpinionReq>) -> AppResult<Json<Value>> {
    let v = opinion(&state, &ctx.actor(), &id, &req.text).await?;
    Ok(Json(v))
}

pub(crate) async fn opinion(state: &AppState, actor: &Actor, id: &str, text: &str) -> AppResult<Value> {
    fresh(state, id).await?;
    let tx = state.db.begin_write().await?;
    let p = load(&*tx, id).await?;
    if p.archived {
        return Err(dm::archived_error().into());
    }
    let now = state.clock.now();
    let text = dp::check_opinion(publication_state(&p)?, p.closes_at, now, text)?;
    let oid = new_id();
    let author = actor.user_id.clone().unwrap_or_default();
    publication_opinions::Entity::insert(publication_opinions::ActiveModel {
        id: Set(oid.clone()),
        unit_id: Set(p.unit_id.clone()),
        publication_id: Set(p.id.clone()),
        author_id: Set(author.clone()),
        text: Set(text.clone()),
        created_at: Set(now),
    })
    .exec_without_returning(&*tx)
    .await?;
    // The opinion's content stays out of the trail (restricted, R16); the audit entry
    // records who commented on what.
    trail::record(
        &*tx,
        now,
        actor,
        Change::new(&p.unit_id, "publication", &p.id, "publication.opinion")
            .snapshots(Value::Null, json!({"opinion_id": oid}))
            .permanent(),
    )
    .await?;
    tx.commit().await?;
    Ok(json!({"id": oid, "publication_id": p.id, "author_id": author, "text": text, "created_at": now}))
}

pub async fn list_opinions(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let p = fresh(&state, &id).await?;
    let tx = state.db.begin_write().await?;
    let rows = publication_opinions::Entity::find()
        .filter(publication_opinions::Column::PublicationId.eq(id.clone()))
        .order_by_asc(publication_opinions::Column::CreatedAt)
        .order_by_asc(publication_opinions::Column::Id)
        .all(&*tx)
        .await?;
    let mut items = Vec::new();
    for o in &rows {
        items.push(json!({
            "id": o.id, "author_id": o.author_id, "author_name": crate::org::display_name(&*tx, &o.author_id).await?,
            "text": o.text, "created_at": o.created_at,
        }));
    }
    // Real-name opinions are restricted content: every read is audited (R16, R19).
    trail::record_read(&*tx, state.clock.now(), &ctx.actor(), &p.unit_id, "publication", &p.id, "publication.opinions.read").await?;
    tx.commit().await?;
    Ok(Json(json!({"items": items, "next_cursor": null, "summary": p.summary, "state": p.state})))
}

// ------------------------------------------------------------------ R17 summary and resolution

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SummaryReq {
    pub text: String,
}

pub async fn summarise(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<SummaryReq>) -> AppResult<Json<Value>> {
    let p = summary(&state, &ctx.actor(), &id, &req.text).await?;
    Ok(Json(view(&state, &p, Some(&ctx)).await?))
}

pub(crate) async fn summary(state: &AppState, actor: &Actor, id: &str, text: &str) -> AppResult<publications::Model> {
    fresh(state, id).await?;
    let tx = state.db.begin_write().await?;
    let p = load(&*tx, id).await?;
    if p.archived {
        return Err(dm::archived_error().into());
    }
    let text = dp::check_summary(publication_state(&p)?, p.summary.is_some(), text)?;
    let now = state.clock.now();
    let res = publications::Entity::update_many()
        .col_expr(publications::Column::Summary, Expr::value(Some(text.clone())))
        .col_expr(publications::Column::SummaryBy, Expr::value(actor.user_id.clone()))
        .col_expr(publications::Column::SummaryAt, Expr::value(Some(now)))
        .col_expr(publications::Column::Version, Expr::value(p.version + 1))
        .filter(publications::Column::Id.eq(id))
        .filter(publications::Column::Version.eq(p.version))
        .filter(publications::Column::Summary.is_null())
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("本次公示的意见汇总已经记录"));
    }
    trail::record(
        &*tx,
        now,
        actor,
        Change::new(&p.unit_id, "publication", id, "publication.summary").note(Some(&text)).permanent(),
    )
    .await?;
    let out = load(&*tx, id).await?;
    tx.commit().await?;
    notify_role(state, &out.unit_id, Role::Principal, json!({"kind": "publication_resolve", "publication_id": id})).await;
    Ok(out)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResolutionReq {
    /// confirm | adjust | redeliberate
    pub decision: String,
    /// Required for adjust and redeliberate (what to change / why).
    #[serde(default)]
    pub note: String,
}

pub async fn resolve(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<ResolutionReq>) -> AppResult<Json<Value>> {
    let decision: Resolution = yishi_domain::deliberation::publication::Resolution::parse_field(req.decision.trim(), "decision")?;
    let (p, archived) = resolution(&state, &ctx.actor(), &id, decision, &req.note).await?;
    let mut v = view(&state, &p, Some(&ctx)).await?;
    v["archive_ids"] = json!(archived);
    Ok(Json(v))
}

/// R17: the principal's decision; confirm archives the proposals with their records (R18).
/// Returns the publication and the archive items created.
pub(crate) async fn resolution(
    state: &AppState,
    actor: &Actor,
    id: &str,
    decision: Resolution,
    note: &str,
) -> AppResult<(publications::Model, Vec<String>)> {
    let note = note.trim().to_string();
    if decision != Resolution::Confirm && note.is_empty() {
        return Err(AppError::invalid("note", "决定调整或重新会商时须写明说明（调整什么、为什么）"));
    }
    if note.chars().count() > 5000 {
        return Err(AppError::invalid("note", "说明不能超过 5000 个字符"));
    }
    fresh(state, id).await?;
    let tx = state.db.begin_write().await?;
    let p = load(&*tx, id).await?;
    if p.archived {
        return Err(dm::archived_error().into());
    }
    dp::check_resolution(publication_state(&p)?, p.summary.is_some(), p.resolution.is_some())?;
    let now = state.clock.now();
    let res = publications::Entity::update_many()
        .col_expr(publications::Column::Resolution, Expr::value(Some(decision.as_str())))
        .col_expr(publications::Column::ResolutionNote, Expr::value(Some(note.clone())))
        .col_expr(publications::Column::ResolvedBy, Expr::value(actor.user_id.clone()))
        .col_expr(publications::Column::ResolvedAt, Expr::value(Some(now)))
        .col_expr(publications::Column::Archived, Expr::value(decision == Resolution::Confirm))
        .col_expr(publications::Column::Version, Expr::value(p.version + 1))
        .filter(publications::Column::Id.eq(id))
        .filter(publications::Column::Version.eq(p.version))
        .filter(publications::Column::Resolution.is_null())
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("主要领导已对本次公示作出决定"));
    }
    let m = load_minutes(&*tx, &p.minutes_id).await?;
    let body = parse_body(&m)?;
    let label = match decision {
        Resolution::Confirm => "确认",
        Resolution::Adjust => "调整纪要",
        Resolution::Redeliberate => "重新组织会商",
    };
    let trail_note = if note.is_empty() { format!("主要领导决定：{label}") } else { format!("主要领导决定：{label}（{note}）") };
    trail::record(
        &*tx,
        now,
        actor,
        Change::new(&p.unit_id, "publication", id, "publication.resolve")
            .note(Some(&trail_note))
            .snapshots(Value::Null, json!({"decision": decision.as_str()}))
            .permanent(),
    )
    .await?;
    let mut archive_ids = Vec::new();
    let moving = moving_items(&body);
    for pid in &moving {
        let pr = proposal(&*tx, pid).await?;
        let to = move_proposal(&*tx, state, actor, &pr, decision.command(), &format!("proposal.{}", decision.as_str()), Some(&trail_note), vec![]).await?;
        if to == ProposalState::Confirmed {
            let pr = proposal(&*tx, pid).await?;
            move_proposal(&*tx, state, actor, &pr, Command::Archive, "proposal.archive", Some("随会议记录永久存档（R18）"), vec![]).await?;
        }
    }
    if decision == Resolution::Confirm {
        // Freeze the minutes (every version) and build the archive records.
        minutes::Entity::update_many()
            .col_expr(minutes::Column::Archived, Expr::value(true))
            .col_expr(minutes::Column::Version, Expr::col(minutes::Column::Version).add(1))
            .filter(minutes::Column::RootId.eq(m.root_id.clone()))
            .exec(&*tx)
            .await?;
        for pid in &moving {
            archive_ids.push(super::archive::archive_proposal(state, &*tx, actor, pid, &m, now).await?);
        }
        trail::record(
            &*tx,
            now,
            actor,
            Change::new(&p.unit_id, "minutes", &m.root_id, "minutes.archive").note(Some("公示后经主要领导确认，纪要及各版本永久存档")).permanent(),
        )
        .await?;
    }
    let out = load(&*tx, id).await?;
    tx.commit().await?;
    if decision == Resolution::Adjust {
        notify_role(state, &out.unit_id, Role::Clerk, json!({"kind": "minutes_revise", "minutes_id": m.id})).await;
    }
    Ok((out, archive_ids))
}
