//! Incoming documents (收文, SPEC B): registration (D01), distribution to a main and
//! co-handling sections, assignment and acceptance (签收), deadlines and supervision reminders
//! (督办, D02), the office director's review and leaders' instructions (阅批, D03), AB-post
//! backups (D11) and confidentiality (D13).
//!
//! - [`model`]: organisation snapshot, pending work, visibility (D13).
//! - [`service`]: the use cases, one transaction each.
//! - [`reminders`]: [`due_reminders`], called by the job runner (R46).
//! - [`tasks`]: the to-do list provider.
//! - [`demo`]: demo documents in various states.
//!
//! The state machine and the rules themselves are in `yishi_domain::routing::incoming`.
pub mod demo;
pub mod model;
pub mod reminders;
pub mod service;
pub mod tasks;

pub use reminders::due_reminders;

/// The periodic job (a `jobs::SWEEPS` entry) that records due supervision reminders (D02, R46).
pub const REMINDER_SWEEP: &str = "incoming.reminders";

/// Job handler for [`REMINDER_SWEEP`]: records every due reminder (each level once, however
/// many instances run it) and reports how many this run recorded.
pub async fn run_job(state: &AppState, kind: &str, payload: &Value) -> AppResult<Value> {
    let _ = payload;
    match kind {
        REMINDER_SWEEP => Ok(serde_json::json!({ "reminders": due_reminders(state).await? })),
        other => Err(AppError::new("invalid", format!("收文模块没有这个后台任务：{other}"))),
    }
}

use crate::error::{AppError, AppResult};
use crate::http::api::{Api, Ctx, Guard, get, post};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde_json::Value;
use service::{Accept, Assign, Complete, Distribute, Instruct, ListQuery, Progress, RegisterIncoming, Review};

const T: &str = "incoming_documents";

pub fn routes(api: Api) -> Api {
    api.add(post("/api/v1/units/{unit}/incoming", Guard::unit("incoming", "create"), "登记收文（D01）").body::<RegisterIncoming>(), register)
        .add(get("/api/v1/units/{unit}/incoming", Guard::unit("incoming", "read"), "收文列表（仅本人可见的，D13）").query::<ListQuery>(), list)
        .add(get("/api/v1/incoming/{id}", Guard::object(T, "id", "incoming", "read"), "收文详情：状态、办理、批示、督办、流转记录（D13）"), get_one)
        .add(post("/api/v1/incoming/{id}/distribution", Guard::object(T, "id", "incoming", "distribute"), "分办：主办处室与协办处室（D02）").body::<Distribute>(), distribute)
        .add(post("/api/v1/incoming/{id}/assignment", Guard::object(T, "id", "incoming", "assign"), "处室负责人分派承办人（D02, D11）").body::<Assign>(), assign)
        .add(post("/api/v1/incoming/{id}/accept", Guard::object(T, "id", "incoming", "handle"), "承办人签收（D02, D11）").body::<Accept>(), accept)
        .add(post("/api/v1/incoming/{id}/progress", Guard::object(T, "id", "incoming", "handle"), "承办人登记办理情况（主办登记后收文进入办理中）").body::<Progress>(), progress)
        .add(post("/api/v1/incoming/{id}/office-review", Guard::object(T, "id", "incoming", "review"), "办公室主任审核后按分工呈领导阅批（D03）").body::<Review>(), review)
        .add(post("/api/v1/incoming/{id}/instructions", Guard::object(T, "id", "incoming", "instruct"), "领导批示/阅批（D01, D03）").body::<Instruct>(), instruct)
        .add(post("/api/v1/incoming/{id}/complete", Guard::object(T, "id", "incoming", "handle"), "办结（主办）或提交协办意见（D02）").body::<Complete>(), complete)
        .add(post("/api/v1/incoming/{id}/archive", Guard::object(T, "id", "incoming", "archive"), "归档"), archive)
}

/// `If-Match: <version>` (optionally quoted or weak): 409 on a stale version.
fn if_match(headers: &HeaderMap) -> AppResult<Option<i32>> {
    let Some(v) = headers.get(axum::http::header::IF_MATCH) else { return Ok(None) };
    let s = v.to_str().unwrap_or("").trim().trim_start_matches("W/").trim_matches('"');
    s.parse::<i32>().map(Some).map_err(|_| AppError::invalid("If-Match", "If-Match 应为对象的版本号（version）"))
}

async fn register(State(state): State<AppState>, ctx: Ctx, Json(req): Json<RegisterIncoming>) -> AppResult<Json<Value>> {
    Ok(Json(service::register(&state, &ctx, req).await?))
}

async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Json<Value>> {
    Ok(Json(service::list(&state, &ctx, q).await?))
}

async fn get_one(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Json<Value>> {
    Ok(Json(service::view(&state, &ctx, &id).await?))
}

async fn distribute(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap, Json(req): Json<Distribute>) -> AppResult<Json<Value>> {
    Ok(Json(service::distribute(&state, &ctx, &id, if_match(&headers)?, req).await?))
}

async fn assign(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap, Json(req): Json<Assign>) -> AppResult<Json<Value>> {
    Ok(Json(service::assign(&state, &ctx, &id, if_match(&headers)?, req).await?))
}

async fn accept(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap, req: Option<Json<Accept>>) -> AppResult<Json<Value>> {
    let req = req.map(|Json(r)| r).unwrap_or_default();
    Ok(Json(service::accept(&state, &ctx, &id, if_match(&headers)?, req).await?))
}

async fn progress(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap, Json(req): Json<Progress>) -> AppResult<Json<Value>> {
    Ok(Json(service::progress(&state, &ctx, &id, if_match(&headers)?, req).await?))
}

async fn review(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap, Json(req): Json<Review>) -> AppResult<Json<Value>> {
    Ok(Json(service::review(&state, &ctx, &id, if_match(&headers)?, req).await?))
}

async fn instruct(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap, Json(req): Json<Instruct>) -> AppResult<Json<Value>> {
    Ok(Json(service::instruct(&state, &ctx, &id, if_match(&headers)?, req).await?))
}

async fn complete(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap, Json(req): Json<Complete>) -> AppResult<Json<Value>> {
    Ok(Json(service::complete(&state, &ctx, &id, if_match(&headers)?, req).await?))
}

async fn archive(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, headers: HeaderMap) -> AppResult<Json<Value>> {
    Ok(Json(service::archive(&state, &ctx, &id, if_match(&headers)?).await?))
}
