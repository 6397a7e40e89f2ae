//! Accounts, units, sections (分工), memberships and roles, settings, the working-day
//! calendar, AB-post backups and absences, and the casbin policy itself (secadmin).
use super::api::{Api, Ctx, Guard, delete, get, post, put};
use crate::audit::{self, NewEntry};
use crate::auth;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::entities::{absences, calendars, casbin_rules, memberships, sections, units, users};
use crate::trail::{self, Change};
use axum::extract::{Path, State};
use axum::Json;
use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Deserialize;
use serde_json::{Value, json};
use yishi_domain::roles::Role;

pub fn routes(api: Api) -> Api {
    api.add(post("/api/v1/users", Guard::system("user", "create"), "新建账户（系统管理员）").body::<CreateUser>(), create_user)
        .add(get("/api/v1/users", Guard::system("user", "read"), "账户列表"), list_users)
        .add(post("/api/v1/users/{user}/password-reset", Guard::system("user", "update"), "重置密码（下次登录须修改）").body::<ResetPassword>(), reset_password)
        .add(post("/api/v1/units", Guard::system("unit", "create"), "新建单位").body::<CreateUnit>(), create_unit)
        .add(get("/api/v1/units", Guard::system("unit", "read"), "单位列表（管理员）"), list_units)
        .add(get("/api/v1/units/{unit}", Guard::unit("unit", "read"), "单位详情"), get_unit)
        .add(post("/api/v1/units/{unit}/sections", Guard::unit("section", "create"), "新建处（科）室").body::<CreateSection>(), create_section)
        .add(get("/api/v1/units/{unit}/sections", Guard::unit("unit", "read"), "处（科）室及分管领导"), list_sections)
        .add(put("/api/v1/units/{unit}/sections/{section}", Guard::unit("section", "update"), "修改处室名称或分管领导（分工）").body::<UpdateSection>(), update_section)
        .add(get("/api/v1/units/{unit}/members", Guard::unit("unit", "read"), "单位人员及角色"), list_members)
        .add(put("/api/v1/units/{unit}/members/{user}", Guard::unit("member", "update"), "设置人员角色（安全管理员）").body::<SetMember>(), set_member)
        .add(get("/api/v1/units/{unit}/settings", Guard::unit("unit", "read"), "单位设置"), get_settings)
        .add(put("/api/v1/units/{unit}/settings", Guard::unit("settings", "update"), "修改单位设置（只改所传字段）").body::<SettingsPatch>(), put_settings)
        .add(get("/api/v1/units/{unit}/calendar/{year}", Guard::unit("unit", "read"), "工作日历"), get_calendar)
        .add(put("/api/v1/units/{unit}/calendar/{year}", Guard::unit("calendar", "update"), "设置某年节假日与调休工作日").body::<PutCalendar>(), put_calendar)
        .add(put("/api/v1/units/{unit}/members/{user}/backup", Guard::unit("backup", "update"), "设置AB岗备岗人").body::<SetBackup>(), set_backup)
        .add(post("/api/v1/units/{unit}/absences", Guard::unit("absence", "create"), "登记本人外出/请假").body::<CreateAbsence>(), create_absence)
        .add(get("/api/v1/units/{unit}/absences", Guard::unit("unit", "read"), "外出/请假登记"), list_absences)
        .add(get("/api/v1/policies", Guard::system("policy", "read"), "授权策略"), list_policies)
        .add(post("/api/v1/policies", Guard::system("policy", "update"), "新增授权策略").body::<PolicyRule>(), add_policy)
        .add(delete("/api/v1/policies", Guard::system("policy", "update"), "删除授权策略").body::<PolicyRule>(), remove_policy)
}

fn non_empty(field: &str, v: &str, max: usize) -> AppResult<String> {
    let t = v.trim();
    if t.is_empty() {
        return Err(AppError::invalid(field, format!("{field} 不能为空")));
    }
    if t.chars().count() > max {
        return Err(AppError::invalid(field, format!("{field} 不能超过 {max} 个字符")));
    }
    Ok(t.to_string())
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn audit_admin(tx: &impl ConnectionTrait, state: &AppState, ctx: &Ctx, unit: Option<&str>, action: &str, object_type: &str, object_id: &str, after: Value) -> AppResult<()> {
    audit::append(tx, state.clock.now(), &ctx.actor(), NewEntry {
        unit_id: unit.map(str::to_string),
        action: action.into(),
        object_type: object_type.into(),
        object_id: Some(object_id.into()),
        before: Value::Null,
        after,
        permanent: false,
    })
    .await?;
    Ok(())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
}

async fn create_user(State(state): State<AppState>, ctx: Ctx, Json(req): Json<CreateUser>) -> AppResult<Json<Value>> {
    let username = non_empty("username", &req.username, 64)?;
    if !username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(AppError::invalid("username", "用户名只能包含字母、数字、下划线、连字符和点"));
    }
    let display_name = non_empty("display_name", &req.display_name, 64)?;
    auth::check_password_policy("password", &req.password)?;
    let password_hash = auth::hash_password_async(&req.password).await?;
    let tx = state.db.begin_write().await?;
    if users::Entity::find().filter(users::Column::Username.eq(username.clone())).one(&*tx).await?.is_some() {
        return Err(AppError::invalid("username", "该用户名已存在").with_details(json!({"field": "username"})));
    }
    let id = new_id();
    let u = users::ActiveModel {
        id: Set(id.clone()),
        username: Set(username.clone()),
        display_name: Set(display_name.clone()),
        password_hash: Set(password_hash),
        admin_role: Set(None),
        must_change_password: Set(true),
        active: Set(true),
        created_at: Set(state.clock.now()),
        version: Set(1),
    }
    .insert(&*tx)
    .await?;
    audit_admin(&*tx, &state, &ctx, None, "user.create", "user", &id, json!({"username": username, "display_name": display_name})).await?;
    tx.commit().await?;
    Ok(Json(json!(super::session::UserView::from(&u))))
}

async fn list_users(State(state): State<AppState>) -> AppResult<Json<Value>> {
    let items: Vec<_> = users::Entity::find()
        .order_by_asc(users::Column::Username)
        .all(&state.db.conn)
        .await?
        .iter()
        .map(super::session::UserView::from)
        .collect();
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResetPassword {
    pub password: String,
}

async fn reset_password(State(state): State<AppState>, ctx: Ctx, Path(user_id): Path<String>, Json(req): Json<ResetPassword>) -> AppResult<Json<Value>> {
    auth::check_password_policy("password", &req.password)?;
    let password_hash = auth::hash_password_async(&req.password).await?;
    let tx = state.db.begin_write().await?;
    let u = crate::org::user(&*tx, &user_id).await?;
    let mut am: users::ActiveModel = u.clone().into();
    am.password_hash = Set(password_hash);
    am.must_change_password = Set(true);
    am.version = Set(u.version + 1);
    am.update(&*tx).await?;
    crate::store::entities::sessions::Entity::delete_many()
        .filter(crate::store::entities::sessions::Column::UserId.eq(user_id.clone()))
        .exec(&*tx)
        .await?;
    audit_admin(&*tx, &state, &ctx, None, "user.reset_password", "user", &user_id, Value::Null).await?;
    tx.commit().await?;
    state.sessions.clear();
    Ok(Json(json!({ "ok": true, "must_change_password": true })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateUnit {
    pub name: String,
    /// 机关代字, e.g. "X国土资"
    pub short_code: String,
    pub parent_id: Option<String>,
}

pub fn unit_view(u: &units::Model) -> AppResult<Value> {
    Ok(json!({
        "id": u.id, "name": u.name, "short_code": u.short_code, "parent_id": u.parent_id,
        "settings": crate::org::parse_settings(&u.settings)?, "version": u.version,
    }))
}

async fn create_unit(State(state): State<AppState>, ctx: Ctx, Json(req): Json<CreateUnit>) -> AppResult<Json<Value>> {
    let name = non_empty("name", &req.name, 100)?;
    let short_code = non_empty("short_code", &req.short_code, 20)?;
    let tx = state.db.begin_write().await?;
    if units::Entity::find().filter(units::Column::ShortCode.eq(short_code.clone())).one(&*tx).await?.is_some() {
        return Err(AppError::invalid("short_code", "机关代字已被其他单位使用"));
    }
    if let Some(p) = &req.parent_id {
        crate::org::unit(&*tx, p).await.map_err(|_| AppError::invalid("parent_id", "上级单位不存在"))?;
    }
    let id = new_id();
    let u = units::ActiveModel {
        id: Set(id.clone()),
        name: Set(name.clone()),
        short_code: Set(short_code.clone()),
        parent_id: Set(req.parent_id.clone()),
        settings: Set("{}".into()),
        created_at: Set(state.clock.now()),
        version: Set(1),
    }
    .insert(&*tx)
    .await?;
    // Seed the current official holiday arrangement; the clerk edits it per year.
    let (h, w) = yishi_domain::calendar::china_2026();
    calendars::ActiveModel {
        unit_id: Set(id.clone()),
        year: Set(2026),
        holidays: Set(serde_json::to_string(&h)?),
        workdays: Set(serde_json::to_string(&w)?),
        version: Set(1),
    }
    .insert(&*tx)
    .await?;
    audit_admin(&*tx, &state, &ctx, Some(&id), "unit.create", "unit", &id, json!({"name": name, "short_code": short_code})).await?;
    tx.commit().await?;
    Ok(Json(unit_view(&u)?))
}

async fn list_units(State(state): State<AppState>) -> AppResult<Json<Value>> {
    let items = units::Entity::find().order_by_asc(units::Column::Name).all(&state.db.conn).await?;
    let items: AppResult<Vec<Value>> = items.iter().map(unit_view).collect();
    Ok(Json(json!({ "items": items?, "next_cursor": null })))
}

async fn get_unit(State(state): State<AppState>, Path(unit): Path<String>) -> AppResult<Json<Value>> {
    Ok(Json(unit_view(&crate::org::unit(&state.db.conn, &unit).await?)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateSection {
    pub name: String,
    pub deputy_id: Option<String>,
}

async fn check_deputy(db: &impl ConnectionTrait, unit: &str, deputy: &Option<String>) -> AppResult<()> {
    if let Some(d) = deputy {
        let roles = crate::org::roles_of(db, unit, d).await?;
        if !roles.contains(&Role::Deputy) && !roles.contains(&Role::Principal) {
            return Err(AppError::invalid("deputy_id", "分管领导须为本单位的分管领导（deputy）或主要领导"));
        }
    }
    Ok(())
}

fn section_view(s: &sections::Model) -> Value {
    json!({ "id": s.id, "unit_id": s.unit_id, "name": s.name, "deputy_id": s.deputy_id, "version": s.version })
}

async fn create_section(State(state): State<AppState>, ctx: Ctx, Path(unit): Path<String>, Json(req): Json<CreateSection>) -> AppResult<Json<Value>> {
    let name = non_empty("name", &req.name, 100)?;
    let tx = state.db.begin_write().await?;
    check_deputy(&*tx, &unit, &req.deputy_id).await?;
    let id = new_id();
    let s = sections::ActiveModel {
        id: Set(id.clone()),
        unit_id: Set(unit.clone()),
        name: Set(name),
        deputy_id: Set(req.deputy_id.clone()),
        created_at: Set(state.clock.now()),
        version: Set(1),
    }
    .insert(&*tx)
    .await?;
    audit_admin(&*tx, &state, &ctx, Some(&unit), "section.create", "section", &id, section_view(&s)).await?;
    tx.commit().await?;
    Ok(Json(section_view(&s)))
}

async fn list_sections(State(state): State<AppState>, Path(unit): Path<String>) -> AppResult<Json<Value>> {
    let items: Vec<Value> = sections::Entity::find()
        .filter(sections::Column::UnitId.eq(unit))
        .order_by_asc(sections::Column::CreatedAt)
        .all(&state.db.conn)
        .await?
        .iter()
        .map(section_view)
        .collect();
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateSection {
    pub name: Option<String>,
    /// The deputy in charge (分工); send null to clear.
    pub deputy_id: Option<String>,
}

async fn update_section(State(state): State<AppState>, ctx: Ctx, Path((unit, section)): Path<(String, String)>, Json(req): Json<Value>) -> AppResult<Json<Value>> {
    let tx = state.db.begin_write().await?;
    let s = crate::org::section(&*tx, &section).await?;
    if s.unit_id != unit {
        return Err(AppError::not_found());
    }
    let before = section_view(&s);
    let mut am: sections::ActiveModel = s.clone().into();
    if let Some(n) = req.get("name") {
        am.name = Set(non_empty("name", n.as_str().unwrap_or(""), 100)?);
    }
    if let Some(d) = req.get("deputy_id") {
        let d = match d {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            _ => return Err(AppError::invalid("deputy_id", "deputy_id 须为用户 ID 或 null")),
        };
        check_deputy(&*tx, &unit, &d).await?;
        am.deputy_id = Set(d);
    }
    am.version = Set(s.version + 1);
    let s2 = am.update(&*tx).await?;
    trail::record(&*tx, state.clock.now(), &ctx.actor(), Change::new(&unit, "section", &section, "section.update").snapshots(before, section_view(&s2))).await?;
    tx.commit().await?;
    Ok(Json(section_view(&s2)))
}

async fn list_members(State(state): State<AppState>, Path(unit): Path<String>) -> AppResult<Json<Value>> {
    let db = &state.db.conn;
    let mut items = Vec::new();
    for m in memberships::Entity::find().filter(memberships::Column::UnitId.eq(unit)).all(db).await? {
        let u = users::Entity::find_by_id(m.user_id.clone()).one(db).await?;
        items.push(json!({
            "user_id": m.user_id,
            "username": u.as_ref().map(|u| u.username.clone()),
            "display_name": u.as_ref().map(|u| u.display_name.clone()),
            "roles": crate::authz::parse_roles(&m.roles).iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "section_id": m.section_id,
            "backup_user_id": m.backup_user_id,
            "version": m.version,
        }));
    }
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SetMember {
    /// principal | deputy | member | office_director | clerk | section_head | handler | staff | inspector
    pub roles: Vec<String>,
    pub section_id: Option<String>,
}

async fn set_member(State(state): State<AppState>, ctx: Ctx, Path((unit, user_id)): Path<(String, String)>, Json(req): Json<SetMember>) -> AppResult<Json<Value>> {
    let mut roles: Vec<Role> = Vec::new();
    for r in &req.roles {
        let role: Role = r.parse().map_err(|_| AppError::invalid("roles", format!("未知角色 {r}")))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    let tx = state.db.begin_write().await?;
    let user = crate::org::user(&*tx, &user_id).await.map_err(|_| AppError::invalid("user", "用户不存在"))?;
    if user.admin_role.is_some() && !roles.is_empty() {
        return Err(AppError::invalid("roles", "系统管理员、安全管理员、审计管理员不得兼任业务角色（三权分立）"));
    }
    if let Some(s) = &req.section_id {
        let sec = crate::org::section(&*tx, s).await.map_err(|_| AppError::invalid("section_id", "处室不存在"))?;
        if sec.unit_id != unit {
            return Err(AppError::invalid("section_id", "处室不属于本单位"));
        }
    }
    if roles.iter().any(|r| matches!(r, Role::SectionHead | Role::Handler)) && req.section_id.is_none() {
        return Err(AppError::invalid("section_id", "处室负责人和承办人须指定所在处室"));
    }
    let roles_text = serde_json::to_string(&roles.iter().map(|r| r.as_str()).collect::<Vec<_>>())?;
    let existing = crate::org::membership(&*tx, &unit, &user_id).await?;
    let before = existing.as_ref().map(|m| json!({"roles": m.roles, "section_id": m.section_id})).unwrap_or(Value::Null);
    let m = match existing {
        Some(m) => {
            let mut am: memberships::ActiveModel = m.clone().into();
            am.roles = Set(roles_text.clone());
            am.section_id = Set(req.section_id.clone());
            am.version = Set(m.version + 1);
            am.update(&*tx).await?
        }
        None => memberships::ActiveModel {
            id: Set(new_id()),
            unit_id: Set(unit.clone()),
            user_id: Set(user_id.clone()),
            roles: Set(roles_text.clone()),
            section_id: Set(req.section_id.clone()),
            backup_user_id: Set(None),
            created_at: Set(state.clock.now()),
            version: Set(1),
        }
        .insert(&*tx)
        .await?,
    };
    crate::authz::bump_policy_version(&*tx).await?;
    trail::record(&*tx, state.clock.now(), &ctx.actor(), Change::new(&unit, "membership", &m.id, "member.set_roles")
        .snapshots(before, json!({"user_id": user_id, "roles": roles_text, "section_id": req.section_id})))
    .await?;
    tx.commit().await?;
    state.authz.reload(&state.db.conn).await?;
    Ok(Json(json!({
        "unit_id": unit, "user_id": user_id,
        "roles": roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "section_id": m.section_id, "version": m.version,
    })))
}

async fn get_settings(State(state): State<AppState>, Path(unit): Path<String>) -> AppResult<Json<Value>> {
    Ok(Json(json!(crate::org::settings(&state.db.conn, &unit).await?)))
}

/// The body of `PUT /units/{unit}/settings`: only the fields sent change
/// (`domain::settings::UnitSettings::merge` reads it and refuses anything else, naming the
/// field). This type documents the body; the bounds are `domain::settings::limits`, and the
/// test `settings_body_is_documented_with_the_bounds_the_server_keeps` holds them equal.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct SettingsPatch {
    /// R01: fund use at or above this amount is deliberated collectively; yuan, as a decimal string.
    #[schema(example = "100000.00")]
    fund_threshold: Option<String>,
    /// R08: the share of the members who should attend that must be present.
    quorum: Option<QuorumPatch>,
    /// R12: a named vote is refused when |同意 − 不同意| ≤ this margin.
    #[schema(minimum = 0, maximum = 100)]
    split_margin: Option<u32>,
    /// R16: publication length.
    #[schema(minimum = 1, maximum = 60)]
    publication_days: Option<u32>,
    /// R16: `working` or `calendar` days.
    #[schema(pattern = "^(working|calendar)$")]
    publication_day_kind: Option<String>,
    /// R41: idle session timeout, minutes.
    #[schema(minimum = 1, maximum = 1440)]
    session_idle_minutes: Option<u32>,
    /// R44: upload size limit, bytes.
    #[schema(minimum = 1, maximum = 4294967296_u64)]
    upload_limit_bytes: Option<u64>,
    /// S03: threshold-splitting window, days.
    #[schema(minimum = 1, maximum = 3660)]
    split_window_days: Option<u32>,
    /// R13: a deferred item lapses after this many days without re-deliberation.
    #[schema(minimum = 1, maximum = 3660)]
    deferral_lapse_days: Option<u32>,
    /// R12: every vote is a secret ballot.
    secret_ballot_always: Option<bool>,
    /// D02: default handling deadlines, working days.
    deadline_days: Option<DeadlinePatch>,
    /// R15: the unified minutes header (统一纪要文头), at most 100 characters; `null` restores the unit's name.
    #[schema(max_length = 100, min_length = 1)]
    minutes_header: Option<String>,
}

/// R08: quorum ratios. In `by_category` and `by_meeting_type`, a key given `null` instead
/// of a ratio removes that key's ratio.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct QuorumPatch {
    default: Option<RatioBody>,
    /// Keys: the categories (major_decision, key_appointment, major_project, large_fund,
    /// superior_instruction, other_major).
    by_category: Option<std::collections::BTreeMap<String, RatioBody>>,
    /// Keys: the meeting types (party_group, joint, head_office).
    by_meeting_type: Option<std::collections::BTreeMap<String, RatioBody>>,
}

/// A ratio of the members who should attend: `{"num": 2, "den": 3, "inclusive": true}` is
/// "at least two thirds", `{"num": 1, "den": 2, "inclusive": false}` "more than half".
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RatioBody {
    #[schema(minimum = 1, maximum = 1000)]
    num: u32,
    #[schema(minimum = 1, maximum = 1000)]
    den: u32,
    inclusive: bool,
}

/// D02: default handling deadlines by urgency, working days.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct DeadlinePatch {
    #[schema(minimum = 1, maximum = 365)]
    urgent: Option<u32>,
    #[schema(minimum = 1, maximum = 365)]
    expedited: Option<u32>,
    #[schema(minimum = 1, maximum = 365)]
    normal: Option<u32>,
}

async fn put_settings(State(state): State<AppState>, ctx: Ctx, Path(unit): Path<String>, body: Option<Json<Value>>) -> AppResult<Json<Value>> {
    let Some(Json(patch)) = body else {
        return Err(AppError::invalid("body", "请求体须为 JSON 对象"));
    };
    if !patch.is_object() {
        return Err(AppError::invalid("body", "请求体须为 JSON 对象"));
    }
    let tx = state.db.begin_write().await?;
    let u = crate::org::unit(&*tx, &unit).await?;
    let current = crate::org::parse_settings(&u.settings)?;
    let merged = current.merge(&patch)?;
    let text = serde_json::to_string(&merged)?;
    let res = units::Entity::update_many()
        .col_expr(units::Column::Settings, text.into())
        .col_expr(units::Column::Version, (u.version + 1).into())
        .filter(units::Column::Id.eq(unit.clone()))
        .filter(units::Column::Version.eq(u.version))
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("设置已被他人修改，请刷新后重试"));
    }
    trail::record(&*tx, state.clock.now(), &ctx.actor(), Change::new(&unit, "unit", &unit, "unit.settings").snapshots(json!(current), json!(merged))).await?;
    tx.commit().await?;
    Ok(Json(json!(merged)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PutCalendar {
    pub holidays: Vec<String>,
    pub workdays: Vec<String>,
}

fn parse_dates(field: &str, v: &[String]) -> AppResult<Vec<NaiveDate>> {
    v.iter()
        .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| AppError::invalid(field, format!("日期格式应为 YYYY-MM-DD：{s}"))))
        .collect()
}

async fn get_calendar(State(state): State<AppState>, Path((unit, year)): Path<(String, i32)>) -> AppResult<Json<Value>> {
    let row = calendars::Entity::find_by_id((unit, year)).one(&state.db.conn).await?;
    let (h, w): (Value, Value) = match row {
        Some(r) => (serde_json::from_str(&r.holidays)?, serde_json::from_str(&r.workdays)?),
        None => (json!([]), json!([])),
    };
    Ok(Json(json!({ "year": year, "holidays": h, "workdays": w })))
}

async fn put_calendar(State(state): State<AppState>, ctx: Ctx, Path((unit, year)): Path<(String, i32)>, Json(req): Json<PutCalendar>) -> AppResult<Json<Value>> {
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid("year", "年份须在 2000–2100 之间"));
    }
    let holidays = parse_dates("holidays", &req.holidays)?;
    let workdays = parse_dates("workdays", &req.workdays)?;
    let mut cal = yishi_domain::calendar::WorkCalendar::default();
    cal.merge_year(year, holidays.clone(), workdays.clone())?;
    let h: Vec<NaiveDate> = cal.holidays.iter().copied().filter(|d| d.year() == year).collect();
    let w: Vec<NaiveDate> = cal.workdays.iter().copied().filter(|d| d.year() == year).collect();
    let tx = state.db.begin_write().await?;
    let existing = calendars::Entity::find_by_id((unit.clone(), year)).one(&*tx).await?;
    let before = existing.as_ref().map(|r| json!({"holidays": r.holidays, "workdays": r.workdays})).unwrap_or(Value::Null);
    match existing {
        Some(r) => {
            let mut am: calendars::ActiveModel = r.clone().into();
            am.holidays = Set(serde_json::to_string(&h)?);
            am.workdays = Set(serde_json::to_string(&w)?);
            am.version = Set(r.version + 1);
            am.update(&*tx).await?;
        }
        None => {
            calendars::ActiveModel {
                unit_id: Set(unit.clone()),
                year: Set(year),
                holidays: Set(serde_json::to_string(&h)?),
                workdays: Set(serde_json::to_string(&w)?),
                version: Set(1),
            }
            .insert(&*tx)
            .await?;
        }
    }
    trail::record(&*tx, state.clock.now(), &ctx.actor(), Change::new(&unit, "calendar", &format!("{unit}:{year}"), "calendar.update")
        .snapshots(before, json!({"holidays": h, "workdays": w})))
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "year": year, "holidays": h, "workdays": w })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SetBackup {
    pub backup_user_id: Option<String>,
}

async fn set_backup(State(state): State<AppState>, ctx: Ctx, Path((unit, user_id)): Path<(String, String)>, Json(req): Json<SetBackup>) -> AppResult<Json<Value>> {
    let tx = state.db.begin_write().await?;
    let m = crate::org::membership(&*tx, &unit, &user_id).await?.ok_or_else(AppError::not_found)?;
    if let Some(b) = &req.backup_user_id {
        if b == &user_id {
            return Err(AppError::invalid("backup_user_id", "备岗人不能是本人"));
        }
        if crate::org::membership(&*tx, &unit, b).await?.is_none() {
            return Err(AppError::invalid("backup_user_id", "备岗人须为本单位人员"));
        }
    }
    let mut am: memberships::ActiveModel = m.clone().into();
    am.backup_user_id = Set(req.backup_user_id.clone());
    am.version = Set(m.version + 1);
    am.update(&*tx).await?;
    trail::record(&*tx, state.clock.now(), &ctx.actor(), Change::new(&unit, "membership", &m.id, "member.set_backup")
        .snapshots(json!({"backup_user_id": m.backup_user_id}), json!({"backup_user_id": req.backup_user_id})))
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "unit_id": unit, "user_id": user_id, "backup_user_id": req.backup_user_id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateAbsence {
    pub from: String,
    pub to: String,
    pub reason: String,
}

async fn create_absence(State(state): State<AppState>, ctx: Ctx, Path(unit): Path<String>, Json(req): Json<CreateAbsence>) -> AppResult<Json<Value>> {
    let from = NaiveDate::parse_from_str(&req.from, "%Y-%m-%d").map_err(|_| AppError::invalid("from", "日期格式应为 YYYY-MM-DD"))?;
    let to = NaiveDate::parse_from_str(&req.to, "%Y-%m-%d").map_err(|_| AppError::invalid("to", "日期格式应为 YYYY-MM-DD"))?;
    if to < from {
        return Err(AppError::invalid("to", "结束日期不能早于开始日期"));
    }
    let reason = non_empty("reason", &req.reason, 200)?;
    let tx = state.db.begin_write().await?;
    let id = new_id();
    absences::ActiveModel {
        id: Set(id.clone()),
        unit_id: Set(unit.clone()),
        user_id: Set(ctx.user_id.clone()),
        from_date: Set(from.to_string()),
        to_date: Set(to.to_string()),
        reason: Set(reason.clone()),
        created_at: Set(state.clock.now()),
    }
    .insert(&*tx)
    .await?;
    trail::record(&*tx, state.clock.now(), &ctx.actor(), Change::new(&unit, "absence", &id, "absence.create")
        .snapshots(Value::Null, json!({"from": from, "to": to, "reason": reason})))
    .await?;
    tx.commit().await?;
    let backup = crate::org::backup_of(&state.db.conn, &unit, &ctx.user_id).await?;
    Ok(Json(json!({ "id": id, "user_id": ctx.user_id, "from": from, "to": to, "reason": reason, "backup_user_id": backup })))
}

async fn list_absences(State(state): State<AppState>, Path(unit): Path<String>) -> AppResult<Json<Value>> {
    let items: Vec<Value> = absences::Entity::find()
        .filter(absences::Column::UnitId.eq(unit))
        .order_by_desc(absences::Column::CreatedAt)
        .all(&state.db.conn)
        .await?
        .into_iter()
        .map(|a| json!({"id": a.id, "user_id": a.user_id, "from": a.from_date, "to": a.to_date, "reason": a.reason}))
        .collect();
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PolicyRule {
    pub sub: String,
    pub dom: String,
    pub obj: String,
    pub act: String,
}

async fn list_policies(State(state): State<AppState>) -> AppResult<Json<Value>> {
    let items: Vec<Value> = casbin_rules::Entity::find()
        .filter(casbin_rules::Column::Ptype.eq("p"))
        .order_by_asc(casbin_rules::Column::Id)
        .all(&state.db.conn)
        .await?
        .into_iter()
        .map(|r| json!({"sub": r.v0, "dom": r.v1, "obj": r.v2, "act": r.v3}))
        .collect();
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}

fn check_rule(r: &PolicyRule) -> AppResult<()> {
    for (f, v) in [("sub", &r.sub), ("dom", &r.dom), ("obj", &r.obj), ("act", &r.act)] {
        if v.trim().is_empty() || v.contains(',') || v.len() > 100 {
            return Err(AppError::invalid(f, format!("{f} 不能为空、不能含逗号")));
        }
    }
    if matches!(r.sub.as_str(), "sysadmin" | "secadmin" | "auditor") && r.dom != "system" {
        return Err(AppError::invalid("dom", "三员角色只能在 system 域授权（三权分立）"));
    }
    Ok(())
}

async fn add_policy(State(state): State<AppState>, ctx: Ctx, Json(r): Json<PolicyRule>) -> AppResult<Json<Value>> {
    check_rule(&r)?;
    let tx = state.db.begin_write().await?;
    let exists = casbin_rules::Entity::find()
        .filter(casbin_rules::Column::Ptype.eq("p"))
        .filter(casbin_rules::Column::V0.eq(r.sub.clone()))
        .filter(casbin_rules::Column::V1.eq(r.dom.clone()))
        .filter(casbin_rules::Column::V2.eq(r.obj.clone()))
        .filter(casbin_rules::Column::V3.eq(r.act.clone()))
        .one(&*tx)
        .await?;
    if exists.is_none() {
        casbin_rules::ActiveModel {
            ptype: Set("p".into()),
            v0: Set(r.sub.clone()),
            v1: Set(r.dom.clone()),
            v2: Set(r.obj.clone()),
            v3: Set(r.act.clone()),
            v4: Set(String::new()),
            v5: Set(String::new()),
            ..Default::default()
        }
        .insert(&*tx)
        .await?;
        crate::authz::bump_policy_version(&*tx).await?;
        audit_admin(&*tx, &state, &ctx, None, "policy.add", "policy", &format!("{},{},{},{}", r.sub, r.dom, r.obj, r.act), Value::Null).await?;
    }
    tx.commit().await?;
    state.authz.reload(&state.db.conn).await?;
    Ok(Json(json!({"sub": r.sub, "dom": r.dom, "obj": r.obj, "act": r.act})))
}

async fn remove_policy(State(state): State<AppState>, ctx: Ctx, Json(r): Json<PolicyRule>) -> AppResult<Json<Value>> {
    check_rule(&r)?;
    let tx = state.db.begin_write().await?;
    let res = casbin_rules::Entity::delete_many()
        .filter(casbin_rules::Column::Ptype.eq("p"))
        .filter(casbin_rules::Column::V0.eq(r.sub.clone()))
        .filter(casbin_rules::Column::V1.eq(r.dom.clone()))
        .filter(casbin_rules::Column::V2.eq(r.obj.clone()))
        .filter(casbin_rules::Column::V3.eq(r.act.clone()))
        .exec(&*tx)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found());
    }
    crate::authz::bump_policy_version(&*tx).await?;
    audit_admin(&*tx, &state, &ctx, None, "policy.remove", "policy", &format!("{},{},{},{}", r.sub, r.dom, r.obj, r.act), Value::Null).await?;
    tx.commit().await?;
    state.authz.reload(&state.db.conn).await?;
    Ok(Json(json!({"removed": res.rows_affected})))
}
