//! The guarded route registry (R40). Every API route is added through [`Api::add`] with a
//! [`Guard`]: the object type and action casbin decides on, and where the domain (unit)
//! comes from. The gate middleware authenticates the session, checks CSRF on
//! state-changing methods, resolves the domain (404 when the object is outside the
//! caller's units), asks casbin, and hands the handler a [`Ctx`]. A handler that is not
//! registered here cannot be reached; the route × role test walks this registry.
use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::entities::{memberships, sessions, users};
use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams, Request};
use axum::handler::Handler;
use axum::http::{Method, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use axum::Router;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, ConnectionTrait};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use std::net::SocketAddr;
use yishi_domain::roles::{AdminRole, Role, effective_roles};

pub const SESSION_COOKIE: &str = "yishi_session";

/// Where a route's casbin domain comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// No session needed (sign-in, health).
    Public,
    /// Any signed-in account, for itself: casbin sub "authenticated", domain "self".
    SignedIn,
    /// The three administrators' domain "system".
    System,
    /// The unit named by the `{unit}` path parameter.
    Unit,
    /// The unit that owns the row `id = {param}` of `table`.
    Object { table: &'static str, param: &'static str },
    /// Like `Object`, for a hot path: the route's own statement finds the owning unit and the
    /// caller's membership there, and reads what its handler needs in the same statement
    /// (handed over as [`Preloaded`]), so the request makes one statement where it made two.
    Preload(Preload),
    /// Allowed if the caller holds the permission in any of their domains; the handler
    /// filters what it returns (e.g. audit: auditor everything, inspector own units).
    AnyDomain,
}

/// A route's gate lookup (`Scope::Preload`), called with the path parameters `param` and
/// `second` and the caller's user ID; `None` when the object does not exist (404).
#[derive(Clone, Copy, Debug)]
pub struct Preload {
    pub param: &'static str,
    pub second: &'static str,
    pub load: PreloadFn,
}

pub type PreloadFn =
    for<'a> fn(&'a AppState, &'a str, &'a str, &'a str) -> futures::future::BoxFuture<'a, AppResult<Option<(OwnerAndMembership, Preloaded)>>>;

impl PartialEq for Preload {
    fn eq(&self, other: &Preload) -> bool {
        (self.param, self.second) == (other.param, other.second) && std::ptr::fn_addr_eq(self.load, other.load)
    }
}

impl Eq for Preload {}

/// What a `Scope::Preload` lookup read for the handler (a request extension).
#[derive(Clone)]
pub struct Preloaded(pub std::sync::Arc<dyn std::any::Any + Send + Sync>);

#[derive(Clone, Copy, Debug)]
pub struct Guard {
    pub obj: &'static str,
    pub act: &'static str,
    pub scope: Scope,
}

impl Guard {
    pub const fn public() -> Guard {
        Guard { obj: "", act: "", scope: Scope::Public }
    }
    pub const fn signed_in(obj: &'static str, act: &'static str) -> Guard {
        Guard { obj, act, scope: Scope::SignedIn }
    }
    pub const fn system(obj: &'static str, act: &'static str) -> Guard {
        Guard { obj, act, scope: Scope::System }
    }
    pub const fn unit(obj: &'static str, act: &'static str) -> Guard {
        Guard { obj, act, scope: Scope::Unit }
    }
    /// Domain from the owning unit of `table.id = {param}`.
    pub const fn object(table: &'static str, param: &'static str, obj: &'static str, act: &'static str) -> Guard {
        Guard { obj, act, scope: Scope::Object { table, param } }
    }
    /// Domain from the owning unit, found by the route's own lookup (see [`Scope::Preload`]).
    pub const fn preload(param: &'static str, second: &'static str, load: PreloadFn, obj: &'static str, act: &'static str) -> Guard {
        Guard { obj, act, scope: Scope::Preload(Preload { param, second, load }) }
    }
    pub const fn any_domain(obj: &'static str, act: &'static str) -> Guard {
        Guard { obj, act, scope: Scope::AnyDomain }
    }
}

#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub guard: Guard,
    pub summary: &'static str,
    /// Adds the request body's schema (and the schemas it uses) to the components; returns its name.
    pub body_schema: Option<fn(utoipa::openapi::ComponentsBuilder) -> (utoipa::openapi::ComponentsBuilder, String)>,
    /// The query parameters, for the OpenAPI document.
    pub query_params: Option<fn() -> Vec<utoipa::openapi::path::Parameter>>,
    /// A read a rule may refuse (422 with the rule's ID), for the OpenAPI document.
    pub refused_by_rule: bool,
}

impl RouteSpec {
    pub fn new(method: Method, path: &'static str, guard: Guard, summary: &'static str) -> RouteSpec {
        RouteSpec { method, path, guard, summary, body_schema: None, query_params: None, refused_by_rule: false }
    }
    /// Documents that a rule may refuse this read (422, the rule's ID as the error code).
    pub fn refused_by_rule(mut self) -> RouteSpec {
        self.refused_by_rule = true;
        self
    }
    /// Documents the JSON request body in the OpenAPI document.
    pub fn body<T: utoipa::ToSchema>(mut self) -> RouteSpec {
        fn schema_of<T: utoipa::ToSchema>(c: utoipa::openapi::ComponentsBuilder) -> (utoipa::openapi::ComponentsBuilder, String) {
            (super::openapi::with_schema::<T>(c), T::name().to_string())
        }
        self.body_schema = Some(schema_of::<T>);
        self
    }
    /// Documents the query parameters (`T` derives `IntoParams` with `parameter_in = Query`).
    pub fn query<T: utoipa::IntoParams>(mut self) -> RouteSpec {
        self.query_params = Some(|| T::into_params(|| None));
        self
    }
}

pub fn get(path: &'static str, guard: Guard, summary: &'static str) -> RouteSpec {
    RouteSpec::new(Method::GET, path, guard, summary)
}
pub fn post(path: &'static str, guard: Guard, summary: &'static str) -> RouteSpec {
    RouteSpec::new(Method::POST, path, guard, summary)
}
pub fn put(path: &'static str, guard: Guard, summary: &'static str) -> RouteSpec {
    RouteSpec::new(Method::PUT, path, guard, summary)
}
pub fn patch(path: &'static str, guard: Guard, summary: &'static str) -> RouteSpec {
    RouteSpec::new(Method::PATCH, path, guard, summary)
}
pub fn delete(path: &'static str, guard: Guard, summary: &'static str) -> RouteSpec {
    RouteSpec::new(Method::DELETE, path, guard, summary)
}

pub struct Api {
    state: AppState,
    router: Router<AppState>,
    pub specs: Vec<RouteSpec>,
}

impl Api {
    pub fn new(state: AppState) -> Api {
        Api { state, router: Router::new(), specs: Vec::new() }
    }

    pub fn add<H, T>(mut self, spec: RouteSpec, handler: H) -> Api
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = match spec.method {
            Method::GET => MethodFilter::GET,
            Method::POST => MethodFilter::POST,
            Method::PUT => MethodFilter::PUT,
            Method::PATCH => MethodFilter::PATCH,
            Method::DELETE => MethodFilter::DELETE,
            _ => MethodFilter::GET,
        };
        let guard = spec.guard;
        let state = self.state.clone();
        let mr = axum::routing::on(filter, handler).route_layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let state = state.clone();
                async move { gate(state, guard, req, next).await }
            },
        ));
        self.router = self.router.route(spec.path, mr);
        self.specs.push(spec);
        self
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteSpec>) {
        (self.router, self.specs)
    }
}

/// What a guarded handler knows about its caller.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub admin_role: Option<AdminRole>,
    pub must_change_password: bool,
    /// The resolved unit (Scope::Unit / Scope::Object), if any.
    pub unit_id: Option<String>,
    /// The caller's roles in that unit (principal/deputy imply member).
    pub roles: Vec<Role>,
    pub section_id: Option<String>,
    pub session_id: String,
    pub csrf_token: String,
    pub client_addr: Option<String>,
}

impl Ctx {
    /// The caller's roles and section in the unit, from their membership row there.
    pub fn set_member(&mut self, roles: &str, section_id: Option<String>) {
        self.roles = effective_roles(&crate::authz::parse_roles(roles));
        self.section_id = section_id;
    }

    pub fn unit(&self) -> AppResult<&str> {
        self.unit_id.as_deref().ok_or_else(|| AppError::internal("route has no unit scope"))
    }
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    pub fn actor(&self) -> Actor {
        Actor { user_id: Some(self.user_id.clone()), on_behalf_of: None, client_addr: self.client_addr.clone() }
    }
    /// The actor when acting as someone's AB-post backup (D11).
    pub fn actor_for(&self, on_behalf_of: Option<String>) -> Actor {
        Actor { on_behalf_of, ..self.actor() }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::internal("handler reached without the authorization gate"))
    }
}

fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts.headers.get_all(axum::http::header::COOKIE).iter().find_map(|v| {
        v.to_str().ok()?.split(';').find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    })
}

pub fn token_id(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Sessions this instance authenticated in the last [`SESSION_FRESH_SECS`], with their user:
/// every API request needs both, and reading them is the one statement every request would
/// otherwise pay (a round trip to SQLite's thread, or to PostgreSQL).
///
/// Freshness: an entry is used for at most `SESSION_FRESH_SECS` of both real and server time,
/// and this instance drops every entry after a sign-out, a password change or reset (which
/// delete sessions) and an idle timeout, once they are committed. Another instance's
/// sign-out or reset therefore takes effect here within that bound (docs/operations.md).
/// The idle timeout (R41) is checked on every request against the cached `last_seen_at`,
/// which the 30-second touch below keeps current.
#[derive(Clone)]
pub struct SessionCache(crate::fresh::FreshMap<(sessions::Model, users::Model)>);

pub const SESSION_FRESH_SECS: i64 = 2;
/// Beyond this many sessions the cache starts over (a bound on memory).
const SESSION_CACHE_MAX: usize = 20_000;

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache(crate::fresh::FreshMap::new(chrono::Duration::seconds(SESSION_FRESH_SECS), SESSION_CACHE_MAX))
    }
}

impl SessionCache {
    /// Forgets every session: after a committed change to sessions or accounts.
    pub fn clear(&self) {
        self.0.clear();
    }
}

/// How long a session goes between two writes of its `last_seen_at`: 30 to 60 seconds, fixed
/// per session.
fn touch_interval(session_id: &str) -> chrono::Duration {
    let spread = session_id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % 30;
    chrono::Duration::seconds(30 + i64::from(spread))
}

/// Authenticates a request's session cookie (idle timeout included, R41).
pub async fn authenticate(state: &AppState, parts: &Parts) -> AppResult<(sessions::Model, users::Model)> {
    let token = cookie_value(parts, SESSION_COOKIE).ok_or_else(AppError::unauthenticated)?;
    let sid = token_id(&token);
    let db = &state.db.conn;
    let now = state.clock.now();
    let (mut session, user) = match state.sessions.0.get(&sid, now) {
        Some(hit) => hit,
        // One statement for both.
        None => match sessions::Entity::find_by_id(sid.clone()).find_also_related(users::Entity).one(db).await? {
            Some((s, Some(u))) => {
                state.sessions.0.put(&sid, (s.clone(), u.clone()), now);
                (s, u)
            }
            _ => return Err(AppError::unauthenticated()),
        },
    };
    if now - session.last_seen_at > chrono::Duration::minutes(i64::from(session.idle_minutes)) {
        sessions::Entity::delete_by_id(sid).exec(db).await?;
        state.sessions.clear();
        return Err(AppError::new("unauthenticated", "会话已因长时间未操作而过期，请重新登录（session expired）"));
    }
    if !user.active {
        return Err(AppError::unauthenticated());
    }
    // Touch at most every 30 to 60 s: idle detection needs no finer grain, and it spares a
    // write per request. The interval is the session's own (from its id), so that the members
    // who signed in together at the start of a meeting do not all write at the same moment
    // every 30 s. Through the writer queue: on SQLite a write beside it would meet a writer's
    // lock and wait in SQLite's sleeping busy handler (tens of ms of tail latency under write load).
    if now - session.last_seen_at > touch_interval(&sid) {
        let tx = state.db.begin_write().await?;
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastSeenAt, now.into())
            .filter(sessions::Column::Id.eq(session.id.clone()))
            .exec(&*tx)
            .await?;
        tx.commit().await?;
        session.last_seen_at = now;
        state.sessions.0.update(&sid, |(s, _)| s.last_seen_at = now);
    }
    Ok((session, user))
}

async fn gate(state: AppState, guard: Guard, req: Request, next: Next) -> Response {
    match check(&state, guard, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// Paths a user who must change the password may still use.
fn allowed_before_password_change(path: &str) -> bool {
    matches!(path, "/api/v1/me" | "/api/v1/me/password" | "/api/v1/session")
}

async fn check(state: &AppState, guard: Guard, req: Request) -> AppResult<Request> {
    if guard.scope == Scope::Public {
        return Ok(req);
    }
    let (mut parts, body) = req.into_parts();
    let (session, user) = authenticate(state, &parts).await?;
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
        if sent.is_empty() || !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
            return Err(AppError::csrf());
        }
    }
    if user.must_change_password && !allowed_before_password_change(parts.uri.path()) {
        return Err(AppError::new(
            "password_change_required",
            "首次登录或密码被重置后须先修改密码（POST /api/v1/me/password）",
        ));
    }
    let admin_role: Option<AdminRole> = user.admin_role.as_deref().and_then(|r| r.parse().ok());
    let client_addr = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let params = RawPathParams::from_request_parts(&mut parts, state)
        .await
        .map_err(|_| AppError::not_found())?;
    let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());

    let mut ctx = Ctx {
        user_id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        admin_role,
        must_change_password: user.must_change_password,
        unit_id: None,
        roles: Vec::new(),
        section_id: None,
        session_id: session.id.clone(),
        csrf_token: session.csrf_token.clone(),
        client_addr,
    };
    let authz = &state.authz;
    let allowed = match guard.scope {
        Scope::Public => true,
        Scope::SignedIn => authz.allowed(crate::authz::SUB_AUTHENTICATED, crate::authz::DOMAIN_SELF, guard.obj, guard.act),
        Scope::System => authz.allowed(&user.id, crate::authz::DOMAIN_SYSTEM, guard.obj, guard.act),
        Scope::AnyDomain => {
            authz.allowed(&user.id, crate::authz::DOMAIN_SYSTEM, guard.obj, guard.act)
                || unit_ids_of(state, &user.id)
                    .await?
                    .iter()
                    .any(|u| authz.allowed(&user.id, u, guard.obj, guard.act))
        }
        Scope::Unit | Scope::Object { .. } | Scope::Preload(_) => {
            // The owning unit and the caller's membership in it, in one statement.
            let (unit_id, membership) = if let Scope::Preload(Preload { param: p, second, load }) = guard.scope {
                let (a, b) = (param(p).ok_or_else(AppError::not_found)?, param(second).ok_or_else(AppError::not_found)?);
                let (owner, preloaded) = load(state, &a, &b, &user.id).await?.ok_or_else(AppError::not_found)?;
                parts.extensions.insert(preloaded);
                owner
            } else {
                let (table, id) = match guard.scope {
                    Scope::Unit => ("units", param("unit").ok_or_else(AppError::not_found)?),
                    Scope::Object { table, param: p } => (table, param(p).ok_or_else(AppError::not_found)?),
                    _ => return Err(AppError::not_found()),
                };
                let lookup = || async {
                    Ok(match table {
                        "units" => Some((id.clone(), membership_of(state, &id, &user.id).await?)),
                        _ => owner_and_membership(state, table, &id, &user.id).await?,
                    })
                };
                // Reads take the answer kept while nothing changed (`OwnerCache`); a change
                // always reads it afresh.
                if matches!(parts.method, Method::GET | Method::HEAD) {
                    state.owners.0.get_or_compute(state, &format!("{table}\u{1f}{id}\u{1f}{}", user.id), lookup).await?
                } else {
                    lookup().await?
                }
                .ok_or_else(AppError::not_found)?
            };
            // A system administrator acting on a unit (sysadmin adding sections, secadmin
            // assigning roles) is decided in the "system" domain; business content never is.
            let as_admin = admin_role.is_some() && authz.allowed(&user.id, crate::authz::DOMAIN_SYSTEM, guard.obj, guard.act);
            match membership {
                // Administrators see that units exist (they manage them); anyone else
                // outside the unit learns nothing (404).
                None if admin_role.is_none() => return Err(AppError::not_found()),
                None => {
                    if !unit_exists(state, &unit_id).await? {
                        return Err(AppError::not_found());
                    }
                }
                Some((roles, section_id)) => ctx.set_member(&roles, section_id),
            }
            ctx.unit_id = Some(unit_id.clone());
            as_admin || authz.allowed(&user.id, &unit_id, guard.obj, guard.act)
        }
    };
    if !allowed {
        return Err(AppError::forbidden("您的角色无权执行此操作（forbidden by role）")
            .with_details(serde_json::json!({ "object": guard.obj, "action": guard.act })));
    }
    parts.extensions.insert(ctx);
    Ok(Request::from_parts(parts, body))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn unit_ids_of(state: &AppState, user_id: &str) -> AppResult<Vec<String>> {
    Ok(memberships::Entity::find()
        .select_only()
        .column(memberships::Column::UnitId)
        .filter(memberships::Column::UserId.eq(user_id))
        .into_tuple::<String>()
        .all(&state.db.conn)
        .await?)
}

async fn membership_of(state: &AppState, unit_id: &str, user_id: &str) -> AppResult<Option<(String, Option<String>)>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::UnitId.eq(unit_id))
        .filter(memberships::Column::UserId.eq(user_id))
        .one(&state.db.conn)
        .await?
        .map(|m| (m.roles, m.section_id)))
}

async fn unit_exists(state: &AppState, unit_id: &str) -> AppResult<bool> {
    Ok(crate::store::entities::units::Entity::find_by_id(unit_id.to_string()).one(&state.db.conn).await?.is_some())
}

/// The unit a read is in (the unit itself, or an object's owning unit) and the reader's
/// membership there, kept per unit or object and user while the audit head is unchanged:
/// memberships and objects — a missing one's creation too — change only with an audit entry.
#[derive(Clone)]
pub struct OwnerCache(crate::readcache::HeadKeyed<Option<OwnerAndMembership>>);

/// The owning unit, and the caller's membership there (roles, section) if any.
pub type OwnerAndMembership = (String, Option<(String, Option<String>)>);

impl Default for OwnerCache {
    fn default() -> Self {
        OwnerCache(crate::readcache::HeadKeyed::new(chrono::Duration::seconds(crate::readcache::MAX_AGE_SECS), 10_000))
    }
}

/// `SELECT t.unit_id, m.roles, m.section_id FROM {table} t LEFT JOIN memberships m ON …
/// WHERE t.id = ?`: the unit that owns an object and the user's membership there (roles,
/// section), or `None` when the object does not exist.
async fn owner_and_membership(
    state: &AppState,
    table: &'static str,
    id: &str,
    user_id: &str,
) -> AppResult<Option<OwnerAndMembership>> {
    let (t, m) = (Alias::new("t"), Alias::new("m"));
    let q = Query::select()
        .column((t.clone(), Alias::new("unit_id")))
        .expr_as(Expr::col((m.clone(), Alias::new("roles"))), Alias::new("m_roles"))
        .expr_as(Expr::col((m.clone(), Alias::new("section_id"))), Alias::new("m_section_id"))
        .from_as(Alias::new(table), t.clone())
        .join_as(
            sea_orm::sea_query::JoinType::LeftJoin,
            Alias::new("memberships"),
            m.clone(),
            Expr::col((m.clone(), Alias::new("unit_id")))
                .equals((t.clone(), Alias::new("unit_id")))
                .and(Expr::col((m.clone(), Alias::new("user_id"))).eq(user_id)),
        )
        .and_where(Expr::col((t, Alias::new("id"))).eq(id))
        .to_owned();
    let db = &state.db.conn;
    let stmt = db.get_database_backend().build(&q);
    let Some(r) = db.query_one_raw(stmt).await? else {
        return Ok(None);
    };
    let unit_id: String = r.try_get("", "unit_id")?;
    let roles: Option<String> = r.try_get("", "m_roles")?;
    let section_id: Option<String> = r.try_get("", "m_section_id")?;
    Ok(Some((unit_id, roles.map(|roles| (roles, section_id)))))
}
