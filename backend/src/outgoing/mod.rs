//! Outgoing documents (发文, SPEC B: D04–D10, D12, D13; D11 backups): drafting, section
//! review, countersigning, consolidation, office verification, sign-off with the number and
//! frozen content, change requests, issue and archive, and escalation to a 三重一大 proposal.
//!
//! - `model`: organisation snapshot, loaded document, pending steps, visibility (D13).
//! - `service`: one transaction per use case; `on_proposal_decided` for the deliberation flow.
//! - `view`: JSON views, versions and paragraph diff, content hash (D08).
//! - `tasks`: the to-do provider (incl. as backup, D11). `demo`: demo documents.
//!
//! The PDF (`GET /api/v1/outgoing/{id}/pdf`, D14/P02) is added by the rendering integration.
pub mod demo;
pub mod model;
pub mod service;
pub mod tasks;
pub mod view;

pub use service::on_proposal_decided;

use crate::error::{AppError, AppResult};
use crate::http::api::{Api, Ctx, Guard, get, patch, post};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use model::{Doc, Org, may_read};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use service::{Draft, Edit};
use yishi_domain::enums::{Category, DocType, IssuingForm, Secrecy, Urgency};
use yishi_domain::routing::body::validate_title;
use yishi_domain::routing::outgoing::{CountersignStance, Recipients, validate_series};
use yishi_domain::time::local_date;

const DOCS: &str = "outgoing_documents";

pub fn routes(api: Api) -> Api {
    let doc = |act: &'static str| Guard::object(DOCS, "id", "outgoing", act);
    api.add(post("/api/v1/units/{unit}/outgoing", Guard::unit("outgoing", "create"), "拟稿：新建发文（D04）").body::<CreateOutgoing>(), create)
        .add(get("/api/v1/units/{unit}/outgoing", Guard::unit("outgoing", "read"), "发文列表（仅本人可见的，D13）").query::<ListQuery>(), list)
        .add(get("/api/v1/outgoing/{id}", doc("read"), "发文详情：状态、版本、意见、办理记录、文号（D13）"), get_one)
        .add(patch("/api/v1/outgoing/{id}", doc("update"), "修改草稿（拟稿人，拟稿或退回时；保存新版本）").body::<PatchOutgoing>(), patch_one)
        .add(post("/api/v1/outgoing/{id}/attachments", doc("update"), "添加附件（multipart 字段 file）"), attach)
        .add(get("/api/v1/outgoing/{id}/versions", doc("read"), "全部历史版本（D08）"), versions)
        .add(get("/api/v1/outgoing/{id}/versions/{a}/diff/{b}", doc("read"), "两个版本的段落级比较"), diff)
        .add(post("/api/v1/outgoing/{id}/submit", doc("submit"), "提交处室负责人审核"), submit)
        .add(post("/api/v1/outgoing/{id}/review", doc("review"), "主办处室负责人审核（D04）").body::<Approval>(), review)
        .add(post("/api/v1/outgoing/{id}/countersign", doc("countersign"), "送会签（D05）").body::<SendCountersign>(), countersign)
        .add(post("/api/v1/outgoing/{id}/countersign-opinions", doc("countersign_opinion"), "会签意见（D05）").body::<CountersignOpinion>(), countersign_opinion)
        .add(post("/api/v1/outgoing/{id}/resolve-disagreement", doc("resolve"), "分管领导裁定会签分歧（D05）").body::<Ruling>(), resolve)
        .add(post("/api/v1/outgoing/{id}/leader-review", doc("leader_review"), "分管领导审签（D07）").body::<Approval>(), leader_review)
        .add(post("/api/v1/outgoing/{id}/external-countersigns", doc("external_countersign"), "登记外单位会签（联合发文，D07）").body::<ExternalCountersign>(), external_countersign)
        .add(post("/api/v1/outgoing/{id}/consolidate", doc("consolidate"), "汇总定稿，送办公室核稿").body::<Consolidate>(), consolidate)
        .add(post("/api/v1/outgoing/{id}/verify", doc("verify"), "办公室核稿（D06）").body::<Verify>(), verify)
        .add(post("/api/v1/outgoing/{id}/signoff", doc("signoff"), "签发：编号并冻结内容（D07–D10）").body::<Signoff>(), signoff)
        .add(post("/api/v1/outgoing/{id}/change-requests", doc("change_request"), "签发后修改申请（D08）").body::<ChangeRequest>(), change_request)
        .add(post("/api/v1/change-requests/{cr}/decision", Guard::object("change_requests", "cr", "change_request", "decide"), "签发领导审批修改申请（D08）").body::<Approval>(), decide_change)
        .add(post("/api/v1/outgoing/{id}/issue", doc("issue"), "印发并归档（D14）"), issue)
        .add(post("/api/v1/outgoing/{id}/escalation", doc("escalate"), "提交“三重一大”集体决策并暂停办理（D10）").body::<Escalation>(), escalation)
}

/// `null` in a PATCH clears a field; an absent field stays.
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Some(Option::deserialize(d)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RecipientsIn {
    #[serde(default)]
    pub main: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
}

impl RecipientsIn {
    fn parse(self) -> AppResult<Recipients> {
        Ok(Recipients { main: self.main, cc: self.cc }.validate()?)
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateOutgoing {
    pub title: String,
    /// One of the 15 types (API.md `doc_type`).
    pub doc_type: String,
    /// to_superior | bureau_general | joint | office_by_leader | office_own | office_for_section
    pub issuing_form: String,
    /// The number series code, e.g. 发, 函, 办发.
    pub series: String,
    pub recipients: RecipientsIn,
    /// Structured blocks: `[{"kind":"heading","level":1,"text":"…"}, {"kind":"paragraph","text":"…"}, {"kind":"table","header":[…],"rows":[[…]]}]`.
    #[schema(value_type = Vec<Object>)]
    pub body: Value,
    /// urgent | expedited | normal
    pub urgency: String,
    /// none | internal (default none)
    pub secrecy: Option<String>,
    /// Decimal yuan, e.g. "150000.00" (R01/D10).
    pub amount: Option<String>,
    pub payee: Option<String>,
    /// office_by_leader: the leader who signs.
    pub signoff_leader_id: Option<String>,
    /// joint: the other departments.
    pub joint_departments: Option<Vec<String>>,
    /// An already decided 三重一大 proposal this document carries out (D10).
    pub linked_proposal_id: Option<String>,
}

fn parse_enum<T>(v: &str, field: &str, f: fn(&str, &str) -> yishi_domain::error::DomainResult<T>) -> AppResult<T> {
    Ok(f(v.trim(), field)?)
}

fn opt_str(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

async fn create(State(state): State<AppState>, ctx: Ctx, Path(unit): Path<String>, Json(req): Json<CreateOutgoing>) -> AppResult<Json<Value>> {
    let draft = Draft {
        title: validate_title(&req.title)?,
        doc_type: parse_enum(&req.doc_type, "doc_type", DocType::parse_field)?,
        issuing_form: parse_enum(&req.issuing_form, "issuing_form", IssuingForm::parse_field)?,
        series: validate_series(&req.series)?,
        recipients: req.recipients.parse()?,
        body: service::parse_body(&req.body)?,
        urgency: parse_enum(&req.urgency, "urgency", Urgency::parse_field)?,
        secrecy: parse_enum(req.secrecy.as_deref().unwrap_or("none"), "secrecy", Secrecy::parse_field)?,
        amount_fen: service::parse_amount(req.amount.as_deref())?,
        payee: opt_str(req.payee),
        signoff_leader_id: opt_str(req.signoff_leader_id),
        joint_departments: service::parse_departments(req.joint_departments.unwrap_or_default())?,
        linked_proposal_id: opt_str(req.linked_proposal_id),
    };
    let id = service::create(&state, &ctx, &unit, draft).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only documents in this state (e.g. drafting, signoff, issued).
    pub state: Option<String>,
    /// Page size, 1–500 (default 50, as the other lists; values outside are brought into range).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// The id of the last item of the previous page (`next_cursor`; newest first).
    pub cursor: Option<String>,
}

/// The query behind [`list`]: up to `rows` of the unit's documents in list order (newest
/// first) after `after` (`(created_at, id)` of the previous row), narrowed to what `user` may
/// read ([`model::visibility`]). Public for the large-database benchmark (query plans).
pub fn list_select(
    org: &Org,
    user: &str,
    state: Option<&str>,
    after: Option<&(chrono::DateTime<chrono::Utc>, String)>,
    rows: u64,
) -> sea_orm::Select<crate::store::entities::outgoing_documents::Entity> {
    use crate::store::entities::outgoing_documents as documents;
    use sea_orm::sea_query::{Expr, ExprTrait};
    let mut find = documents::Entity::find().filter(documents::Column::UnitId.eq(org.unit_id.clone()));
    if let Some(c) = model::visibility(org, user) {
        find = find.filter(c);
    }
    if let Some(s) = state.filter(|s| !s.is_empty()) {
        find = find.filter(documents::Column::State.eq(s));
    }
    if let Some((at, id)) = after {
        // (created_at, id) < the previous row's: strictly after it in list order.
        find = find.filter(
            Expr::tuple([Expr::col((documents::Entity, documents::Column::CreatedAt)), Expr::col((documents::Entity, documents::Column::Id))])
                .lt(Expr::tuple([Expr::value(*at), Expr::value(id.clone())])),
        );
    }
    find.order_by_desc(documents::Column::CreatedAt).order_by_desc(documents::Column::Id).limit(rows)
}

/// The unit's outgoing documents the caller may read (D13: the ones in processing only for
/// their participants), newest first, a page at a time. Visibility is narrowed in SQL
/// ([`model::visibility`]) and checked exactly on the page's rows; the page's related rows
/// are read with one query per table.
async fn list(State(state): State<AppState>, ctx: Ctx, Path(unit): Path<String>, Query(q): Query<ListQuery>) -> AppResult<Json<Value>> {
    use crate::store::entities::outgoing_documents as documents;
    let db = &state.db.conn;
    let org = Org::load(db, &unit, local_date(state.clock.now())).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let mut after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            let at = documents::Entity::find_by_id(c.to_string())
                .filter(documents::Column::UnitId.eq(unit.clone()))
                .one(db)
                .await?
                .ok_or_else(|| AppError::invalid("cursor", "cursor 无效：应为上一页返回的 next_cursor"))?;
            Some((at.created_at, at.id))
        }
        None => None,
    };
    let everything = model::visibility(&org, &ctx.user_id).is_none();
    let mut visible: Vec<Doc> = Vec::new();
    let mut more = false;
    // Rows the SQL condition lets through but `may_read` refuses are rare; read on until the page is full.
    loop {
        let want = limit + 1 - visible.len() as u64;
        let rows = list_select(&org, &ctx.user_id, q.state.as_deref(), after.as_ref(), want).all(db).await?;
        let exhausted = (rows.len() as u64) < want;
        after = rows.last().map(|d| (d.created_at, d.id.clone()));
        for doc in Doc::from_models(db, rows).await? {
            if everything || !doc.state.in_processing() || may_read(db, &doc, &org, &ctx.user_id).await? {
                visible.push(doc);
            }
        }
        if visible.len() as u64 > limit {
            more = true;
            visible.truncate(limit as usize);
            break;
        }
        if exhausted || after.is_none() {
            break;
        }
    }
    let names = view::names(db, visible.iter().map(|d| d.d.drafter_id.clone())).await?;
    let mut items = Vec::with_capacity(visible.len());
    for doc in &visible {
        let mut v = view::summary(&doc.d, &names, &org);
        v["waiting_for"] = json!(doc.pending(&org).iter().map(|p| p.label).collect::<Vec<_>>());
        items.push(v);
    }
    let next_cursor = if more { visible.last().map(|d| d.d.id.clone()) } else { None };
    Ok(Json(json!({ "items": items, "next_cursor": next_cursor })))
}

/// D13: readers see everything; after issue the text is the unit's, the opinions are not.
async fn get_one(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let db = &state.db.conn;
    let doc = Doc::load(db, &id).await?;
    let org = Org::load(db, &doc.d.unit_id, local_date(state.clock.now())).await?;
    let readable = may_read(db, &doc, &org, &ctx.user_id).await?;
    if !readable && doc.state.in_processing() {
        return Err(AppError::not_found());
    }
    Ok(Json(view::full(db, &doc, &org, readable).await?))
}

async fn readable_doc(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<()> {
    let db = &state.db.conn;
    let doc = Doc::load(db, id).await?;
    let org = Org::load(db, &doc.d.unit_id, local_date(state.clock.now())).await?;
    if may_read(db, &doc, &org, &ctx.user_id).await? || !doc.state.in_processing() {
        Ok(())
    } else {
        Err(AppError::not_found())
    }
}

async fn versions(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Json<Value>> {
    readable_doc(&state, &ctx, &id).await?;
    Ok(Json(view::versions(&state.db.conn, &id).await?))
}

async fn diff(State(state): State<AppState>, ctx: Ctx, Path((id, a, b)): Path<(String, i32, i32)>) -> AppResult<Json<Value>> {
    readable_doc(&state, &ctx, &id).await?;
    Ok(Json(view::diff(&state.db.conn, &id, a, b).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PatchOutgoing {
    pub title: Option<String>,
    pub doc_type: Option<String>,
    pub issuing_form: Option<String>,
    pub series: Option<String>,
    pub recipients: Option<RecipientsIn>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub body: Option<Value>,
    pub urgency: Option<String>,
    pub secrecy: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub amount: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub payee: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub signoff_leader_id: Option<Option<String>>,
    pub joint_departments: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub linked_proposal_id: Option<Option<String>>,
    /// The version the edit is based on (409 when stale); also accepted as `If-Match`.
    pub version: Option<i32>,
}

async fn patch_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    Json(req): Json<PatchOutgoing>,
) -> AppResult<Json<Value>> {
    let if_match = headers
        .get(axum::http::header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().trim_matches('"').parse::<i32>())
        .transpose()
        .map_err(|_| AppError::invalid("If-Match", "If-Match 应为版本号"))?;
    let e = Edit {
        title: req.title.as_deref().map(validate_title).transpose()?,
        doc_type: req.doc_type.as_deref().map(|v| parse_enum(v, "doc_type", DocType::parse_field)).transpose()?,
        issuing_form: req.issuing_form.as_deref().map(|v| parse_enum(v, "issuing_form", IssuingForm::parse_field)).transpose()?,
        series: req.series.as_deref().map(validate_series).transpose()?,
        recipients: req.recipients.map(RecipientsIn::parse).transpose()?,
        body: req.body.as_ref().map(service::parse_body).transpose()?,
        urgency: req.urgency.as_deref().map(|v| parse_enum(v, "urgency", Urgency::parse_field)).transpose()?,
        secrecy: req.secrecy.as_deref().map(|v| parse_enum(v, "secrecy", Secrecy::parse_field)).transpose()?,
        amount_fen: req.amount.map(|a| service::parse_amount(a.as_deref())).transpose()?,
        payee: req.payee.map(opt_str),
        signoff_leader_id: req.signoff_leader_id.map(opt_str),
        joint_departments: req.joint_departments.map(service::parse_departments).transpose()?,
        linked_proposal_id: req.linked_proposal_id.map(opt_str),
        expected_version: req.version.or(if_match),
    };
    service::edit(&state, &ctx, &id, e).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

async fn attach(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, crate::uploads::UploadForm(multipart): crate::uploads::UploadForm) -> AppResult<Json<Value>> {
    service::attach(&state, &ctx, &id, multipart).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

async fn submit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Json<Value>> {
    service::submit(&state, &ctx, &id).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Approval {
    pub approve: bool,
    pub opinion: Option<String>,
}

async fn review(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<Approval>) -> AppResult<Json<Value>> {
    service::review(&state, &ctx, &id, req.approve, req.opinion.as_deref()).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SendCountersign {
    pub section_ids: Vec<String>,
}

async fn countersign(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<SendCountersign>) -> AppResult<Json<Value>> {
    service::send_countersign(&state, &ctx, &id, req.section_ids).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CountersignOpinion {
    /// agree | agree_with_changes | disagree
    pub stance: String,
    /// The changes (agree_with_changes) or the reason (disagree).
    pub text: Option<String>,
    /// Which section answers, when the caller may answer for several.
    pub section_id: Option<String>,
}

async fn countersign_opinion(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<CountersignOpinion>) -> AppResult<Json<Value>> {
    let stance = parse_enum(&req.stance, "stance", CountersignStance::parse_field)?;
    service::countersign_opinion(&state, &ctx, &id, stance, req.text.as_deref(), req.section_id.as_deref()).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Ruling {
    /// proceed | return
    pub ruling: String,
    pub text: Option<String>,
}

async fn resolve(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<Ruling>) -> AppResult<Json<Value>> {
    let proceed = match req.ruling.trim() {
        "proceed" => true,
        "return" => false,
        other => return Err(AppError::invalid("ruling", format!("ruling 的取值“{other}”无效，必须是 proceed（继续办理）或 return（退回修改）"))),
    };
    service::resolve_disagreement(&state, &ctx, &id, proceed, req.text.as_deref()).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

async fn leader_review(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<Approval>) -> AppResult<Json<Value>> {
    service::leader_review(&state, &ctx, &id, req.approve, req.opinion.as_deref()).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ExternalCountersign {
    pub department: String,
    pub opinion: Option<String>,
    /// YYYY-MM-DD
    pub signed_on: String,
}

async fn external_countersign(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<ExternalCountersign>) -> AppResult<Json<Value>> {
    service::external_countersign(&state, &ctx, &id, &req.department, req.opinion.as_deref(), &req.signed_on).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct Consolidate {
    pub title: Option<String>,
    /// The consolidated text (optional: the current text is kept when absent).
    #[schema(value_type = Option<Vec<Object>>)]
    pub body: Option<Value>,
}

async fn consolidate(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Option<Json<Consolidate>>) -> AppResult<Json<Value>> {
    let req = body.map(|Json(b)| b).unwrap_or_default();
    let title = req.title.as_deref().map(validate_title).transpose()?;
    let blocks = req.body.as_ref().filter(|v| !v.is_null()).map(service::parse_body).transpose()?;
    service::consolidate(&state, &ctx, &id, title, blocks).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Verify {
    pub pass: bool,
    pub opinion: Option<String>,
}

async fn verify(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<Verify>) -> AppResult<Json<Value>> {
    service::verify(&state, &ctx, &id, req.pass, req.opinion.as_deref()).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct Signoff {
    pub opinion: Option<String>,
}

async fn signoff(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Option<Json<Signoff>>) -> AppResult<Json<Value>> {
    let req = body.map(|Json(b)| b).unwrap_or_default();
    service::signoff(&state, &ctx, &id, req.opinion.as_deref()).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChangeRequest {
    pub reason: Option<String>,
    pub title: Option<String>,
    /// The whole new text (blocks).
    #[schema(value_type = Vec<Object>)]
    pub body: Value,
}

async fn change_request(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<ChangeRequest>) -> AppResult<Json<Value>> {
    let title = req.title.as_deref().map(validate_title).transpose()?;
    let body = service::parse_body(&req.body)?;
    let cr = service::request_change(&state, &ctx, &id, req.reason.as_deref(), title, body).await?;
    let row = crate::store::entities::change_requests::Entity::find_by_id(cr).one(&state.db.conn).await?.ok_or_else(AppError::not_found)?;
    let mut v = view::change_request_view(&row);
    v["document"] = service::respond(&state, &ctx, &id).await?;
    Ok(Json(v))
}

async fn decide_change(State(state): State<AppState>, ctx: Ctx, Path(cr): Path<String>, Json(req): Json<Approval>) -> AppResult<Json<Value>> {
    let doc_id = service::decide_change(&state, &ctx, &cr, req.approve, req.opinion.as_deref()).await?;
    let row = crate::store::entities::change_requests::Entity::find_by_id(cr).one(&state.db.conn).await?.ok_or_else(AppError::not_found)?;
    let mut v = view::change_request_view(&row);
    v["document"] = service::respond(&state, &ctx, &doc_id).await?;
    Ok(Json(v))
}

async fn issue(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Json<Value>> {
    service::issue(&state, &ctx, &id).await?;
    Ok(Json(service::respond(&state, &ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Escalation {
    pub reason: Option<String>,
    /// The proposal's category (API.md `category`).
    pub category: String,
}

async fn escalation(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Json(req): Json<Escalation>) -> AppResult<Json<Value>> {
    let category = parse_enum(&req.category, "category", Category::parse_field)?;
    let (doc_id, proposal_id) = service::escalate(&state, &ctx, &id, req.reason.as_deref(), category).await?;
    let document = service::respond(&state, &ctx, &doc_id).await?;
    let p = crate::store::entities::proposals::Entity::find_by_id(proposal_id).one(&state.db.conn).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(json!({
        "proposal": {"id": p.id, "title": p.title, "state": p.state, "category": p.category, "linked_document_id": p.linked_document_id, "proposer_id": p.proposer_id},
        "document": document,
    })))
}

/// D13 for attachments of outgoing documents: the document's readers (and, once issued,
/// the unit's members).
pub async fn may_read_attachment(
    state: &AppState,
    ctx: &Ctx,
    a: &crate::store::entities::attachments::Model,
) -> AppResult<bool> {
    let db = &state.db.conn;
    let Some(doc_id) = &a.owner_id else { return Ok(false) };
    let Some(d) = crate::store::entities::outgoing_documents::Entity::find_by_id(doc_id.clone()).one(db).await? else {
        return Ok(false);
    };
    let doc = Doc::from_model(db, d).await?;
    let org = Org::load(db, &doc.d.unit_id, local_date(state.clock.now())).await?;
    Ok(may_read(db, &doc, &org, &ctx.user_id).await? || (!doc.state.in_processing() && org.is_member(&ctx.user_id)))
}
