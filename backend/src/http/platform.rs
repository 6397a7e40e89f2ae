//! Platform routes: health, the to-do list, server-sent events, the audit log and its
//! verification (R19), attachment download (R44), and the test clock.
use super::api::{Api, Ctx, Guard, get, post};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::entities::{attachments, audit_log, memberships, users};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::Stream;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use serde_json::{Value, json};
use std::convert::Infallible;

pub fn routes(api: Api) -> Api {
    let api = api
        .add(get("/healthz", Guard::public(), "存活检查"), healthz)
        .add(get("/readyz", Guard::public(), "就绪检查（含数据库）"), readyz)
        .add(get("/api/v1/me/tasks", Guard::signed_in("task", "read"), "我的待办"), my_tasks)
        .add(get("/api/v1/events", Guard::signed_in("event", "read"), "实时事件（SSE）"), events)
        .add(get("/api/v1/audit", Guard::any_domain("audit", "read"), "审计日志").query::<AuditQuery>(), list_audit)
        .add(get("/api/v1/audit/verify", Guard::system("audit", "verify"), "校验审计日志哈希链"), verify_audit)
        .add(post("/api/v1/units/{unit}/attachments", Guard::unit("attachment", "create"), "上传附件（multipart 字段 file）"), upload_attachment)
        .add(get("/api/v1/attachments/{id}", Guard::object("attachments", "id", "attachment", "read"), "下载附件"), download_attachment);
    if api_state_test_clock(&api) {
        api.add(post("/api/v1/_test/clock", Guard::signed_in("clock", "update"), "测试时钟：前移服务器时间").body::<AdvanceClock>(), advance_clock)
    } else {
        api
    }
}

fn api_state_test_clock(api: &Api) -> bool {
    api.state().config.test_clock
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ready", "database": "ok" })).into_response(),
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": { "code": "internal", "message": "数据库不可用（database unavailable）" } })),
        )
            .into_response(),
    }
}

async fn my_tasks(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Value>> {
    let items = crate::tasks::for_user_cached(&state, &ctx.user_id).await?;
    Ok(Json(json!({ "items": &*items })))
}

async fn events(State(state): State<AppState>, ctx: Ctx) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    use futures::StreamExt;
    let mut rx = state.events.subscribe();
    let (tx, out) = tokio::sync::mpsc::channel::<SseEvent>(64);
    let me = ctx.user_id.clone();
    tokio::spawn(async move {
        if tx.send(SseEvent::default().event("hello").data("{}")).await.is_err() {
            return;
        }
        loop {
            let ev = match rx.recv().await {
                Ok(ev) if ev.recipients.iter().any(|r| r == &me) => {
                    let data = serde_json::to_string(&json!({ "kind": ev.kind, "data": ev.data })).unwrap_or_default();
                    SseEvent::default().event(ev.kind.clone()).data(data)
                }
                Ok(_) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => SseEvent::default().event("resync").data("{}"),
                Err(_) => break,
            };
            if tx.send(ev).await.is_err() {
                break;
            }
        }
    });
    Sse::new(tokio_stream::wrappers::ReceiverStream::new(out).map(Ok::<SseEvent, Infallible>)).keep_alive(KeepAlive::default())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub unit: Option<String>,
    pub object: Option<String>,
    pub actor: Option<String>,
    pub limit: Option<u64>,
    /// Entries with seq below this (pagination, newest first).
    pub cursor: Option<i64>,
}

async fn list_audit(State(state): State<AppState>, ctx: Ctx, Query(q): Query<AuditQuery>) -> AppResult<Json<Value>> {
    let db = &state.db.conn;
    let mut find = audit_log::Entity::find();
    // The auditor reads every unit; an inspector only the units where they are inspector.
    if ctx.admin_role != Some(yishi_domain::roles::AdminRole::Auditor) {
        let mine: Vec<String> = memberships::Entity::find()
            .filter(memberships::Column::UserId.eq(ctx.user_id.clone()))
            .all(db)
            .await?
            .into_iter()
            .filter(|m| state.authz.allowed(&ctx.user_id, &m.unit_id, "audit", "read"))
            .map(|m| m.unit_id)
            .collect();
        if let Some(u) = &q.unit {
            if !mine.contains(u) {
                return Err(AppError::not_found());
            }
        }
        find = find.filter(audit_log::Column::UnitId.is_in(mine));
    }
    if let Some(u) = q.unit {
        find = find.filter(audit_log::Column::UnitId.eq(u));
    }
    if let Some(o) = q.object {
        find = find.filter(audit_log::Column::ObjectId.eq(o));
    }
    if let Some(a) = q.actor {
        find = find.filter(audit_log::Column::ActorId.eq(a));
    }
    if let Some(c) = q.cursor {
        find = find.filter(audit_log::Column::Seq.lt(c));
    }
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let rows = find.order_by_desc(audit_log::Column::Seq).limit(limit + 1).all(db).await?;
    let more = rows.len() as u64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let next = if more { rows.last().map(|r| r.seq) } else { None };
    // Display names of the actors (and of those they stood in for, D11), one query per page.
    let mut ids: Vec<String> = rows.iter().flat_map(|r| [r.actor_id.clone(), r.on_behalf_of.clone()]).flatten().collect();
    ids.sort();
    ids.dedup();
    let names: std::collections::HashMap<String, String> = if ids.is_empty() {
        Default::default()
    } else {
        users::Entity::find().filter(users::Column::Id.is_in(ids)).all(db).await?.into_iter().map(|u| (u.id, u.display_name)).collect()
    };
    let name_of = |id: &Option<String>| id.as_ref().and_then(|i| names.get(i).cloned());
    let items: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "seq": r.seq, "id": r.id, "at": r.at, "actor_id": r.actor_id, "on_behalf_of": r.on_behalf_of,
                // null for the system (jobs) and for ids without an account
                "actor_name": name_of(&r.actor_id), "on_behalf_of_name": name_of(&r.on_behalf_of),
                "unit_id": r.unit_id, "action": r.action, "object_type": r.object_type, "object_id": r.object_id,
                "before": serde_json::from_str::<Value>(&r.before_state).unwrap_or(Value::Null),
                "after": serde_json::from_str::<Value>(&r.after_state).unwrap_or(Value::Null),
                "client_addr": r.client_addr, "hash": r.hash,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items, "next_cursor": next })))
}

async fn verify_audit(State(state): State<AppState>) -> AppResult<Json<Value>> {
    Ok(Json(json!(crate::audit::verify(&state.db.conn).await?)))
}

async fn download_attachment(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let a = attachments::Entity::find_by_id(id).one(&state.db.conn).await?.ok_or_else(AppError::not_found)?;
    if !crate::access::may_read_attachment(&state, &ctx, &a).await? {
        return Err(AppError::not_found());
    }
    let bytes = tokio::fs::read(crate::uploads::blob_path(&state, &a.sha256)).await.map_err(AppError::internal)?;
    let mut resp = Response::new(Body::from(bytes));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(&a.content_type).map_err(AppError::internal)?);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    let encoded: String = a.file_name.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_' { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"attachment\"; filename*=UTF-8''{encoded}")).map_err(AppError::internal)?,
    );
    Ok(resp)
}

async fn upload_attachment(State(state): State<AppState>, ctx: Ctx, Path(unit): Path<String>, crate::uploads::UploadForm(multipart): crate::uploads::UploadForm) -> AppResult<Json<Value>> {
    let tx = state.db.begin_write().await?;
    let a = crate::uploads::store_from_multipart(&state, &*tx, &unit, &ctx.user_id, "unit", None, multipart).await?;
    crate::trail::record(&*tx, state.clock.now(), &ctx.actor(), crate::trail::Change::new(&unit, "attachment", &a.id, "attachment.upload")
        .snapshots(Value::Null, crate::uploads::view(&a))).await?;
    tx.commit().await?;
    Ok(Json(crate::uploads::view(&a)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AdvanceClock {
    pub advance_seconds: i64,
}

async fn advance_clock(State(state): State<AppState>, Json(req): Json<AdvanceClock>) -> AppResult<Json<Value>> {
    if !state.clock.advance(req.advance_seconds) {
        return Err(AppError::invalid("advance_seconds", "只能向前移动时钟"));
    }
    Ok(Json(json!({ "now": state.clock.now() })))
}
