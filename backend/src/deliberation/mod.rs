//! 三重一大 deliberation, from a proposal's draft to the recorded decision (SPEC A, R01–R13):
//! proposals, pre-consultation and the principal's pre-meeting decision; meetings with notice,
//! materials, attendance, observers, written opinions; statements, the chair's path, ballots
//! (named, written, secret), the count and the decision; live counts over SSE; the to-do list.
//!
//! - [`proposals`]: R01–R05.  - [`meetings`]: R06–R08, original record (R11).
//! - [`voting`]: R09–R13.     - [`tasks`]: to-do provider.  - [`demo`]: demo data.
//!
//! The state machine and the rule checks are in `yishi_domain::deliberation`; minutes,
//! publication and archive (R14–R18) build on the same tables in `crate::minutes`.
pub mod ballot_queue;
pub mod common;
pub mod demo;
pub mod meetings;
pub mod proposals;
pub mod tasks;
pub mod voting;

use crate::error::{AppError, AppResult};
use crate::http::api::{Api, Ctx, Guard, get, patch, post, put};
use crate::state::AppState;
use crate::trail::{self, Change};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;
use serde_json::{Value, json};
use yishi_domain::deliberation::state::{Command, Facts};
use yishi_domain::deliberation::{ProposalState, apply};

const P: &str = "proposals";
const M: &str = "meetings";

/// Background job: a deferred proposal lapses (R13). Also computed on read.
pub const LAPSE_JOB: &str = "deliberation.lapse";

pub fn routes(api: Api) -> Api {
    use meetings::{AttendanceIn, CreateMeeting, Notice, ObserverIn, RecordGrantIn, WrittenOpinionIn};
    use proposals::{CreateProposal, PreconsultRecordIn, PremeetingDecisionIn, SubmissionApproval};
    use voting::{BallotIn, DecisionIn, PathIn, StatementIn};
    api.add(post("/api/v1/units/{unit}/proposals", Guard::unit("proposal", "create"), "新建议题（草稿，R01）").body::<CreateProposal>(), create_proposal)
        .add(get("/api/v1/units/{unit}/proposals", Guard::unit("proposal", "read"), "议题列表（?state=，仅本人可见的）").query::<proposals::ListQuery>(), list_proposals)
        .add(get("/api/v1/proposals/{id}", Guard::object(P, "id", "proposal", "read"), "议题详情：状态、流转记录、所需会前协商记录、关联对象"), get_proposal)
        .add(patch("/api/v1/proposals/{id}", Guard::object(P, "id", "proposal", "update"), "修改议题（提出人，草稿或退回状态）").body::<proposals::PatchProposal>(), patch_proposal)
        .add(post("/api/v1/proposals/{id}/attachments", Guard::object(P, "id", "proposal", "update"), "上传会商材料附件（multipart 字段 file，R44）"), upload_attachment)
        .add(post("/api/v1/proposals/{id}/submit", Guard::object(P, "id", "proposal", "update"), "提交议题（四部分材料齐全，R02）"), submit_proposal)
        .add(post("/api/v1/proposals/{id}/submission-approval", Guard::object(P, "id", "proposal", "approve"), "分管领导审核《重大事项会商提交单》，办公室备案（R04）").body::<SubmissionApproval>(), approve_submission)
        .add(post("/api/v1/proposals/{id}/preconsult-records", Guard::object(P, "id", "proposal", "preconsult"), "登记会前协商记录（R03）").body::<PreconsultRecordIn>(), add_preconsult_record)
        .add(post("/api/v1/proposals/{id}/premeeting-decision", Guard::object(P, "id", "proposal", "premeeting"), "主要领导会前酝酿决定（R05）").body::<PremeetingDecisionIn>(), premeeting_decision)
        .add(post("/api/v1/units/{unit}/meetings", Guard::unit("meeting", "create"), "安排会议及议程（R06）").body::<CreateMeeting>(), create_meeting)
        .add(get("/api/v1/units/{unit}/meetings", Guard::unit("meeting", "read"), "会议列表（本人参加的；办公室、主要领导、纪检监察全部）"), list_meetings)
        .add(get("/api/v1/meetings/{id}", Guard::object(M, "id", "meeting", "read"), "会议详情：议程、出席、法定人数、各议题审议情况"), get_meeting)
        .add(post("/api/v1/meetings/{id}/notice", Guard::object(M, "id", "meeting", "manage"), "发出会议通知（至少提前1个工作日，R06）").body::<Notice>(), send_notice)
        .add(get("/api/v1/meetings/{id}/materials", Guard::object(M, "id", "meeting", "read"), "会商材料（仅与会人员和纪检监察，会后收回，查阅留痕，R07）").refused_by_rule(), get_materials)
        .add(put("/api/v1/meetings/{id}/attendance/{user}", Guard::object(M, "id", "meeting", "manage"), "登记应到会成员出席情况（R08）").body::<AttendanceIn>(), set_attendance)
        .add(post("/api/v1/meetings/{id}/observers", Guard::object(M, "id", "meeting", "manage"), "登记列席人员（不参加表决，R08）").body::<ObserverIn>(), add_observer)
        .add(post("/api/v1/meetings/{id}/written-opinions", Guard::object(M, "id", "meeting", "opinion"), "缺席成员会前提交书面意见（不计入表决，R08）").body::<WrittenOpinionIn>(), add_written_opinion)
        .add(post("/api/v1/meetings/{id}/open", Guard::object(M, "id", "meeting", "open"), "宣布开会（须达到法定人数，R08）"), open_meeting)
        .add(post("/api/v1/meetings/{id}/items/{proposal}/statements", Guard::object(M, "id", "meeting", "manage"), "记录发言及态度（主要领导末位表态，R10, R12）").body::<StatementIn>(), add_statement)
        .add(post("/api/v1/meetings/{id}/items/{proposal}/vote", Guard::object(M, "id", "meeting", "chair"), "主持人决定议题的审议方式：一致通过、表决、缓议、票决（R11, R12）").body::<PathIn>(), choose_path)
        .add(post("/api/v1/meetings/{id}/items/{proposal}/ballots", Guard::preload("id", "proposal", voting::preload_ballot, "ballot", "create"), "投票（每人每议题一票，R09–R11）→ 回执").body::<BallotIn>(), cast_ballot)
        .add(post("/api/v1/meetings/{id}/items/{proposal}/close-vote", Guard::object(M, "id", "meeting", "chair"), "结束表决并计票（R13）"), close_vote)
        .add(post("/api/v1/meetings/{id}/items/{proposal}/decision", Guard::object(M, "id", "meeting", "chair"), "主持人作出决定（须与计票结果一致或写明理由，R13）").body::<DecisionIn>(), record_decision)
        .add(post("/api/v1/meetings/{id}/close", Guard::object(M, "id", "meeting", "chair"), "结束会议，收回会商材料（R07）"), close_meeting)
        .add(get("/api/v1/meetings/{id}/record", Guard::object(M, "id", "meeting", "record"), "会议原始记录（主要领导、办公室、纪检监察，或经主要领导批准，R11）"), get_record)
        .add(post("/api/v1/meetings/{id}/record-grants", Guard::object(M, "id", "meeting", "chair"), "主要领导批准他人查阅会议原始记录（R11）").body::<RecordGrantIn>(), grant_record)
}

/// Rule refusals about *who* may see something (R07 after the meeting, R11 original record)
/// are answered with 403, keeping the rule's code in the body.
fn access_shaped(r: AppResult<Json<Value>>) -> Response {
    match r {
        Ok(j) => j.into_response(),
        Err(e) if e.details.get("access").and_then(Value::as_str) == Some("denied") => {
            let mut resp = e.into_response();
            *resp.status_mut() = StatusCode::FORBIDDEN;
            resp
        }
        Err(e) => e.into_response(),
    }
}

async fn create_proposal(State(state): State<AppState>, ctx: Ctx, Path(unit): Path<String>, Json(req): Json<proposals::CreateProposal>) -> AppResult<Json<Value>> {
    Ok(Json(proposals::create(&state, &ctx, &unit, req).await?))
}

async fn list_proposals(State(state): State<AppState>, ctx: Ctx, Path(unit): Path<String>, Query(q): Query<proposals::ListQuery>) -> AppResult<Json<Value>> {
    Ok(Json(proposals::list(&state, &ctx, &unit, q).await?))
}

async fn get_proposal(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    // Kept per reader while nothing changed (`crate::readcache`): the answer carries the
    // reader's allowed actions, and whether they may read it at all is decided inside.
    let key = format!("proposal\u{1f}{id}\u{1f}{}", ctx.user_id);
    state.reads.json(&state, key, || proposals::get_with_limit(&state, &ctx, &id)).await
}

async fn patch_proposal(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap, Json(body): Json<Value>) -> AppResult<Json<Value>> {
    Ok(Json(proposals::patch(&state, &ctx, &id, common::if_match(&headers)?, body).await?))
}

async fn upload_attachment(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, crate::uploads::UploadForm(multipart): crate::uploads::UploadForm) -> AppResult<Json<Value>> {
    Ok(Json(proposals::upload(&state, &ctx, &id, multipart).await?))
}

async fn submit_proposal(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap) -> AppResult<Json<Value>> {
    Ok(Json(proposals::submit(&state, &ctx, &id, common::if_match(&headers)?).await?))
}

async fn approve_submission(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap, Json(req): Json<proposals::SubmissionApproval>) -> AppResult<Json<Value>> {
    Ok(Json(proposals::submission_approval(&state, &ctx, &id, common::if_match(&headers)?, req).await?))
}

async fn add_preconsult_record(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<proposals::PreconsultRecordIn>) -> AppResult<Json<Value>> {
    Ok(Json(proposals::add_preconsult_record(&state, &ctx, &id, req).await?))
}

async fn premeeting_decision(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap, Json(req): Json<proposals::PremeetingDecisionIn>) -> AppResult<Json<Value>> {
    Ok(Json(proposals::premeeting_decision(&state, &ctx, &id, common::if_match(&headers)?, req).await?))
}

async fn create_meeting(State(state): State<AppState>, ctx: Ctx, Path(unit): Path<String>, Json(req): Json<meetings::CreateMeeting>) -> AppResult<meetings::JsonBody> {
    meetings::create(&state, &ctx, &unit, req).await
}

async fn list_meetings(State(state): State<AppState>, ctx: Ctx, Path(unit): Path<String>) -> AppResult<Json<Value>> {
    Ok(Json(meetings::list(&state, &ctx, &unit).await?))
}

async fn get_meeting(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<meetings::JsonBody> {
    meetings::get(&state, &ctx, &id).await
}

async fn send_notice(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, req: Option<Json<meetings::Notice>>) -> AppResult<meetings::JsonBody> {
    let req = req.map(|Json(r)| r).unwrap_or_default();
    meetings::notice(&state, &ctx, &id, req).await
}

async fn get_materials(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    access_shaped(meetings::materials(&state, &ctx, &id).await.map(Json))
}

async fn set_attendance(State(state): State<AppState>, ctx: Ctx, Path((id, user)): Path<(String, String)>, Json(req): Json<meetings::AttendanceIn>) -> AppResult<meetings::JsonBody> {
    meetings::set_attendance(&state, &ctx, &id, &user, req).await
}

async fn add_observer(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<meetings::ObserverIn>) -> AppResult<meetings::JsonBody> {
    meetings::add_observer(&state, &ctx, &id, req).await
}

async fn add_written_opinion(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<meetings::WrittenOpinionIn>) -> AppResult<Json<Value>> {
    Ok(Json(meetings::add_written_opinion(&state, &ctx, &id, req).await?))
}

async fn open_meeting(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<meetings::JsonBody> {
    meetings::open(&state, &ctx, &id).await
}

async fn add_statement(State(state): State<AppState>, ctx: Ctx, Path((id, proposal)): Path<(String, String)>, Json(req): Json<voting::StatementIn>) -> AppResult<Json<Value>> {
    Ok(Json(voting::add_statement(&state, &ctx, &id, &proposal, req).await?))
}

async fn choose_path(State(state): State<AppState>, ctx: Ctx, Path((id, proposal)): Path<(String, String)>, Json(req): Json<voting::PathIn>) -> AppResult<Json<Value>> {
    Ok(Json(voting::choose(&state, &ctx, &id, &proposal, req).await?))
}

async fn cast_ballot(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, proposal)): Path<(String, String)>,
    preloaded: Option<axum::Extension<crate::http::api::Preloaded>>,
    Json(req): Json<voting::BallotIn>,
) -> AppResult<Json<Value>> {
    Ok(Json(voting::cast(&state, &ctx, &id, &proposal, preloaded.map(|p| p.0), req).await?))
}

async fn close_vote(State(state): State<AppState>, ctx: Ctx, Path((id, proposal)): Path<(String, String)>) -> AppResult<Json<Value>> {
    Ok(Json(voting::close_vote(&state, &ctx, &id, &proposal).await?))
}

async fn record_decision(State(state): State<AppState>, ctx: Ctx, Path((id, proposal)): Path<(String, String)>, Json(req): Json<voting::DecisionIn>) -> AppResult<Json<Value>> {
    Ok(Json(voting::decide(&state, &ctx, &id, &proposal, req).await?))
}

async fn close_meeting(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<meetings::JsonBody> {
    meetings::close(&state, &ctx, &id).await
}

async fn get_record(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    access_shaped(meetings::record(&state, &ctx, &id).await.map(Json))
}

async fn grant_record(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<meetings::RecordGrantIn>) -> AppResult<Json<Value>> {
    Ok(Json(meetings::grant_record(&state, &ctx, &id, req).await?))
}

/// Job handler (R13): persists the lapse of a deferred proposal whose period ran out. The
/// state is also computed on read, so a late job changes nothing visible. Idempotent.
pub async fn run_job(state: &AppState, kind: &str, payload: &Value) -> AppResult<Value> {
    if kind != LAPSE_JOB {
        return Err(AppError::invalid("kind", format!("unknown deliberation job {kind}")));
    }
    let id = payload["proposal_id"].as_str().unwrap_or_default().to_string();
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let Some(p) = crate::store::entities::proposals::Entity::find_by_id(id.clone()).one(&*tx).await? else {
        return Ok(json!({"lapsed": false, "reason": "missing"}));
    };
    let from = common::p_state(&p)?;
    let due = p.lapse_at.is_some_and(|t| t <= now);
    if from != ProposalState::Deferred || !due {
        return Ok(json!({"lapsed": false, "state": p.state}));
    }
    let to = apply(from, Command::Lapse, Facts::default())?;
    common::update_proposal(&*tx, &p, now, vec![(crate::store::entities::proposals::Column::State, Expr::value(to.as_str()))]).await?;
    trail::record(&*tx, now, &crate::audit::Actor::system(), Change::new(&p.unit_id, common::PROPOSAL, &p.id, "proposal.lapse")
        .states(Some(from.as_str()), Some(to.as_str()))
        .note(Some("缓议后在规定期限内未再审议，议题失效")))
    .await?;
    tx.commit().await?;
    Ok(json!({"lapsed": true, "proposal_id": id}))
}

