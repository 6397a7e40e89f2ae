//! Sign-in, sign-out, the caller's profile and password change (R41).
use super::api::{Api, Ctx, Guard, SESSION_COOKIE, delete, get, post, token_id};
use crate::audit::{self, Actor, NewEntry};
use crate::auth;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::entities::{memberships, sessions, units, users};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::net::SocketAddr;

pub fn routes(api: Api) -> Api {
    api.add(post("/api/v1/session", Guard::public(), "登录").body::<LoginRequest>(), sign_in)
        .add(delete("/api/v1/session", Guard::signed_in("session", "delete"), "退出登录"), sign_out)
        .add(get("/api/v1/me", Guard::signed_in("me", "read"), "当前用户及其单位、角色"), me)
        .add(post("/api/v1/me/password", Guard::signed_in("me", "update"), "修改密码").body::<ChangePassword>(), change_password)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub admin_role: Option<String>,
    pub must_change_password: bool,
}

impl From<&users::Model> for UserView {
    fn from(u: &users::Model) -> Self {
        UserView {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            admin_role: u.admin_role.clone(),
            must_change_password: u.must_change_password,
        }
    }
}

fn session_cookie(state: &AppState, token: &str, max_age: Option<i64>) -> AppResult<HeaderValue> {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let age = max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    HeaderValue::from_str(&format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/{secure}{age}"))
        .map_err(AppError::internal)
}

async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Option<Json<LoginRequest>>,
) -> AppResult<Response> {
    let Some(Json(req)) = body else {
        return Err(AppError::invalid("username", "请求体须为 JSON：{\"username\": …, \"password\": …}"));
    };
    let now = state.clock.now();
    let ip = addr.ip().to_string();
    let user_key = format!("user:{}", req.username.trim());
    let ip_key = format!("addr:{ip}");
    // The hash runs outside any transaction (it must not hold SQLite's single writer for
    // ≈40 ms); the throttle is checked before it and again inside the write transaction, so
    // parallel guesses get no more tries than the hashes in flight at once (one per core).
    auth::ensure_not_throttled(&state.db.conn, &user_key, now).await?;
    auth::ensure_not_throttled(&state.db.conn, &ip_key, now).await?;
    let user = users::Entity::find().filter(users::Column::Username.eq(req.username.trim())).one(&state.db.conn).await?;
    // Hash even for unknown names so that timing does not tell which accounts exist.
    let ok = match &user {
        Some(u) if u.active => auth::verify_password_async(&req.password, &u.password_hash).await?,
        _ => {
            let _ = auth::verify_password_async(&req.password, "$argon2id$v=19$m=7168,t=5,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await?;
            false
        }
    };
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    auth::ensure_not_throttled(&*tx, &user_key, now).await?;
    auth::ensure_not_throttled(&*tx, &ip_key, now).await?;
    // The account as it is now: deactivated or given a new password while the hash ran
    // counts as a failed sign-in.
    let user = match user {
        Some(u) => users::Entity::find_by_id(u.id.clone())
            .one(&*tx)
            .await?
            .filter(|cur| cur.active && cur.password_hash == u.password_hash),
        None => None,
    };
    let actor = Actor { user_id: user.as_ref().map(|u| u.id.clone()), on_behalf_of: None, client_addr: Some(ip.clone()) };
    let Some(user) = user.filter(|_| ok) else {
        auth::record_failure(&*tx, &user_key, auth::MAX_FAILURES_PER_ACCOUNT, now).await?;
        auth::record_failure(&*tx, &ip_key, auth::MAX_FAILURES_PER_ADDR, now).await?;
        audit::append(&*tx, now, &actor, NewEntry {
            unit_id: None,
            action: "session.sign_in_failed".into(),
            object_type: "user".into(),
            object_id: None,
            before: Value::Null,
            after: json!({ "username": req.username }),
            permanent: false,
        })
        .await?;
        tx.commit().await?;
        return Err(AppError::unauthenticated().with_details(json!({ "reason": "用户名或密码错误（wrong username or password）" })));
    };
    auth::clear_failures(&*tx, &user_key).await?;
    let token = auth::random_token();
    let csrf = auth::random_token();
    // Idle timeout: the strictest of the user's units (default 30 minutes).
    let mut idle = yishi_domain::settings::UnitSettings::default().session_idle_minutes;
    for m in memberships::Entity::find().filter(memberships::Column::UserId.eq(user.id.clone())).all(&*tx).await? {
        if let Some(u) = units::Entity::find_by_id(m.unit_id).one(&*tx).await? {
            idle = idle.min(crate::org::parse_settings(&u.settings)?.session_idle_minutes);
        }
    }
    sessions::ActiveModel {
        id: Set(token_id(&token)),
        user_id: Set(user.id.clone()),
        csrf_token: Set(csrf.clone()),
        idle_minutes: Set(idle as i32),
        created_at: Set(now),
        last_seen_at: Set(now),
        client_addr: Set(Some(ip)),
    }
    .insert(&*tx)
    .await?;
    audit::append(&*tx, now, &actor, NewEntry {
        unit_id: None,
        action: "session.sign_in".into(),
        object_type: "user".into(),
        object_id: Some(user.id.clone()),
        before: Value::Null,
        after: Value::Null,
        permanent: false,
    })
    .await?;
    tx.commit().await?;
    let _ = headers;
    let mut resp = Json(json!({ "user": UserView::from(&user), "csrf_token": csrf })).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, &token, None)?);
    Ok(resp)
}

async fn sign_out(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    sessions::Entity::delete_by_id(ctx.session_id.clone()).exec(&*tx).await?;
    audit::append(&*tx, now, &ctx.actor(), NewEntry {
        unit_id: None,
        action: "session.sign_out".into(),
        object_type: "user".into(),
        object_id: Some(ctx.user_id.clone()),
        before: Value::Null,
        after: Value::Null,
        permanent: false,
    })
    .await?;
    tx.commit().await?;
    state.sessions.clear();
    let mut resp = Json(json!({ "ok": true })).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, "", Some(0))?);
    Ok(resp)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeUnit {
    pub unit_id: String,
    pub unit_name: String,
    pub short_code: String,
    pub roles: Vec<String>,
    pub section_id: Option<String>,
}

async fn me(State(state): State<AppState>, ctx: Ctx) -> AppResult<axum::response::Response> {
    // The account as the request was authenticated (Ctx); its units and roles kept while
    // nothing changed (`crate::readcache`: memberships change only with an audit entry).
    let user = UserView {
        id: ctx.user_id.clone(),
        username: ctx.username.clone(),
        display_name: ctx.display_name.clone(),
        admin_role: ctx.admin_role.map(|r| r.as_str().to_string()),
        must_change_password: ctx.must_change_password,
    };
    let key = format!("me\u{1f}{}", ctx.user_id);
    let units = state.reads.serialized(&state, key, || async { Ok((units_of(&state, &ctx.user_id).await?, None)) }).await?;
    let mut body = Vec::with_capacity(units.len() + 256);
    body.extend_from_slice(b"{\"user\":");
    serde_json::to_writer(&mut body, &user)?;
    body.extend_from_slice(b",\"units\":");
    body.extend_from_slice(&units);
    body.extend_from_slice(b",\"csrf_token\":");
    serde_json::to_writer(&mut body, &ctx.csrf_token)?;
    body.push(b'}');
    Ok(crate::readcache::json_response(body.into()))
}

/// The caller's units and roles there: memberships and their units in two statements,
/// whatever the number of units.
async fn units_of(state: &AppState, user_id: &str) -> AppResult<Value> {
    let db = &state.db.conn;
    let ms = memberships::Entity::find().filter(memberships::Column::UserId.eq(user_id)).all(db).await?;
    let units: std::collections::HashMap<String, units::Model> = units::Entity::find()
        .filter(units::Column::Id.is_in(ms.iter().map(|m| m.unit_id.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    let mut units_out = Vec::new();
    for m in ms {
        let Some(u) = units.get(&m.unit_id) else { continue };
        units_out.push(MeUnit {
            unit_id: u.id.clone(),
            unit_name: u.name.clone(),
            short_code: u.short_code.clone(),
            roles: crate::authz::parse_roles(&m.roles).iter().map(|r| r.as_str().to_string()).collect(),
            section_id: m.section_id,
        });
    }
    Ok(json!(units_out))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChangePassword {
    pub old_password: String,
    pub new_password: String,
}

async fn change_password(State(state): State<AppState>, ctx: Ctx, Json(req): Json<ChangePassword>) -> AppResult<Json<Value>> {
    auth::check_password_policy("new_password", &req.new_password)?;
    if req.new_password == req.old_password {
        return Err(AppError::invalid("new_password", "新密码不能与旧密码相同"));
    }
    // Both hashes run before the write transaction; the version check below refuses the
    // change if the account changed meanwhile.
    let user = crate::org::user(&state.db.conn, &ctx.user_id).await?;
    if !auth::verify_password_async(&req.old_password, &user.password_hash).await? {
        return Err(AppError::invalid("old_password", "原密码不正确"));
    }
    let hash = auth::hash_password_async(&req.new_password).await?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let version = user.version;
    let res = users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, hash.into())
        .col_expr(users::Column::MustChangePassword, false.into())
        .col_expr(users::Column::Version, (version + 1).into())
        .filter(users::Column::Id.eq(ctx.user_id.clone()))
        .filter(users::Column::Version.eq(version))
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("账户信息已被修改，请重试"));
    }
    // Other sessions of this account end: a changed password must lock out whoever knew the old one.
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(ctx.user_id.clone()))
        .filter(sessions::Column::Id.ne(ctx.session_id.clone()))
        .exec(&*tx)
        .await?;
    audit::append(&*tx, now, &ctx.actor(), NewEntry {
        unit_id: None,
        action: "user.change_password".into(),
        object_type: "user".into(),
        object_id: Some(ctx.user_id.clone()),
        before: Value::Null,
        after: Value::Null,
        permanent: false,
    })
    .await?;
    tx.commit().await?;
    state.sessions.clear();
    Ok(Json(json!({ "ok": true })))
}
