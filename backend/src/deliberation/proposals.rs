//! Proposals (议题) from draft to ready: create, edit, attachments, submission (R02), the
//! deputy's approval and the office's registration (R04), pre-consultation records (R03) and
//! the principal's pre-meeting decision (R01, R05). One transaction per use case.
use super::common::*;
use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::state::AppState;
use crate::store::entities::{attachments, meeting_items, meetings, preconsult_records, proposals, sections};
use crate::trail::{self, Change};
use chrono::{DateTime, Datelike, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use serde_json::{Value, json};
use yishi_domain::deliberation::rules::{
    self, Flags, Materials, PreconsultKind, PremeetingDecision, check_general_business_allowed, check_materials,
    check_premeeting_reason, check_records_complete, required_records,
};
use yishi_domain::deliberation::state::{Command, Facts};
use yishi_domain::deliberation::{ProposalState, apply};
use yishi_domain::enums::Category;
use yishi_domain::money::Money;
use yishi_domain::roles::Role;
use yishi_domain::time::local_date;

// ---------------------------------------------------------------- requests

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug, Default)]
pub struct MaterialsIn {
    /// 会商议题
    pub topic: Option<String>,
    /// 基本情况
    pub background: Option<String>,
    /// 调研论证
    pub research: Option<String>,
    /// 处理建议
    pub recommendation: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug, Default)]
pub struct FlagsIn {
    pub other_departments: Option<bool>,
    pub branch_units: Option<bool>,
    pub public_interest: Option<bool>,
    pub strategic: Option<bool>,
    pub technical: Option<bool>,
    pub legal: Option<bool>,
}

impl FlagsIn {
    fn merge(&self, f: Flags) -> Flags {
        Flags {
            other_departments: self.other_departments.unwrap_or(f.other_departments),
            branch_units: self.branch_units.unwrap_or(f.branch_units),
            public_interest: self.public_interest.unwrap_or(f.public_interest),
            strategic: self.strategic.unwrap_or(f.strategic),
            technical: self.technical.unwrap_or(f.technical),
            legal: self.legal.unwrap_or(f.legal),
        }
    }
}

/// `PATCH /api/v1/proposals/{id}`: the fields to change, any of them (the others stay). [`patch`]
/// reads the JSON object itself (to tell an absent field from `null`); this type documents the
/// body in the OpenAPI document, which listed none, so that clients (and schemathesis) sent none.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PatchProposal {
    pub category: Option<String>,
    pub title: Option<String>,
    /// Yuan, exact decimal string; `null` clears it.
    pub amount: Option<String>,
    pub payee: Option<String>,
    pub materials: Option<MaterialsIn>,
    pub flags: Option<FlagsIn>,
    pub urgent: Option<bool>,
    pub needs_superior_approval: Option<bool>,
    pub confidential: Option<bool>,
    pub conflicts: Option<Vec<String>>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct CreateProposal {
    /// major_decision | key_appointment | major_project | large_fund | superior_instruction | other_major
    pub category: String,
    pub title: String,
    /// Decimal string in yuan, e.g. "120000.00" (R01)
    pub amount: Option<String>,
    pub payee: Option<String>,
    #[serde(default)]
    pub materials: MaterialsIn,
    #[serde(default)]
    pub flags: FlagsIn,
    #[serde(default)]
    pub urgent: bool,
    #[serde(default)]
    pub needs_superior_approval: bool,
    #[serde(default)]
    pub confidential: bool,
    /// Members with a declared conflict (R09)
    #[serde(default)]
    pub conflicts: Vec<String>,
    /// Only for a deputy proposing: which of their sections (default: the first they are in charge of)
    pub section_id: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct SubmissionApproval {
    pub approve: bool,
    #[serde(default)]
    pub opinion: String,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct PreconsultRecordIn {
    /// department | branch | hearing | publicity | expert | technical | legal
    pub kind: String,
    pub summary: String,
    #[serde(default)]
    pub attachment_ids: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct PremeetingDecisionIn {
    /// to_meeting | general_business | not_ready
    pub decision: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, Debug, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub state: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

// ---------------------------------------------------------------- helpers

fn parse_amount(v: Option<&str>) -> AppResult<Option<Money>> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Ok(Some(Money::parse_field(s, "amount")?)),
    }
}

async fn check_conflicts(db: &impl ConnectionTrait, unit: &str, ids: &[String]) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if crate::org::membership(db, unit, id).await?.is_none() {
            return Err(AppError::invalid("conflicts", format!("回避人员 {id} 不是本单位人员")));
        }
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    Ok(out)
}

/// The proposer's section: their own; a deputy names one of the sections they are in charge of.
async fn proposer_section(db: &impl ConnectionTrait, ctx: &Ctx, unit: &str, requested: Option<&str>) -> AppResult<Option<String>> {
    if let Some(own) = &ctx.section_id {
        if requested.is_some_and(|r| r != own) {
            return Err(AppError::invalid("section_id", "议题的承办处室须为您所在的处室"));
        }
        return Ok(Some(own.clone()));
    }
    let mine: Vec<sections::Model> = sections::Entity::find()
        .filter(sections::Column::UnitId.eq(unit))
        .filter(sections::Column::DeputyId.eq(ctx.user_id.clone()))
        .order_by_asc(sections::Column::CreatedAt)
        .all(db)
        .await?;
    match requested {
        Some(r) => mine
            .iter()
            .find(|s| s.id == r)
            .map(|s| Some(s.id.clone()))
            .ok_or_else(|| AppError::invalid("section_id", "只能以您分管的处室名义提出议题")),
        None => Ok(mine.first().map(|s| s.id.clone())),
    }
}

/// What a new proposal consists of (also used by D10 escalation from a document).
#[derive(Clone, Debug)]
pub struct NewProposal {
    pub category: Category,
    pub title: String,
    pub amount: Option<Money>,
    pub payee: Option<String>,
    pub materials: Materials,
    pub flags: Flags,
    pub urgent: bool,
    pub needs_superior_approval: bool,
    pub confidential: bool,
    pub conflicts: Vec<String>,
    pub section_id: Option<String>,
    pub linked_document_id: Option<String>,
}

/// Inserts a `draft` proposal in the caller's transaction, with its trail entry. D10
/// escalation calls this with `linked_document_id` set.
pub async fn insert_draft(
    tx: &impl ConnectionTrait,
    now: DateTime<Utc>,
    unit: &str,
    proposer_id: &str,
    actor: &Actor,
    n: NewProposal,
) -> AppResult<proposals::Model> {
    rules::check_amount_present(n.category, n.amount)?;
    let id = new_id();
    let p = proposals::ActiveModel {
        id: Set(id.clone()),
        unit_id: Set(unit.to_string()),
        proposer_id: Set(proposer_id.to_string()),
        section_id: Set(n.section_id),
        deputy_id: Set(None),
        category: Set(n.category.as_str().to_string()),
        title: Set(n.title),
        amount_fen: Set(n.amount.map(Money::fen)),
        payee: Set(n.payee),
        topic: Set(n.materials.topic),
        background: Set(n.materials.background),
        research: Set(n.materials.research),
        recommendation: Set(n.materials.recommendation),
        flags: Set(to_json(&n.flags)?),
        urgent: Set(n.urgent),
        needs_superior_approval: Set(n.needs_superior_approval),
        confidential: Set(n.confidential),
        conflicts: Set(to_json(&n.conflicts)?),
        state: Set(ProposalState::Draft.as_str().to_string()),
        linked_document_id: Set(n.linked_document_id.clone()),
        returned_reason: Set(None),
        submitted_at: Set(None),
        approved_by: Set(None),
        approved_at: Set(None),
        submission_opinion: Set(None),
        registration_no: Set(None),
        registered_at: Set(None),
        premeeting_decision: Set(None),
        premeeting_reason: Set(None),
        premeeting_by: Set(None),
        premeeting_at: Set(None),
        meeting_id: Set(None),
        outcome: Set(None),
        decision_text: Set(None),
        decided_at: Set(None),
        deferred_at: Set(None),
        lapse_at: Set(None),
        superior_document_ref: Set(None),
        superior_approved_on: Set(None),
        minutes_id: Set(None),
        publication_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx)
    .await?;
    let note = n.linked_document_id.as_ref().map(|d| format!("由公文 {d} 提请集体会商"));
    trail::record(tx, now, actor, Change::new(unit, PROPOSAL, &id, "proposal.create").states(None, Some("draft")).note(note.as_deref())).await?;
    Ok(p)
}

// ---------------------------------------------------------------- use cases

pub async fn create(state: &AppState, ctx: &Ctx, unit: &str, req: CreateProposal) -> AppResult<Value> {
    let category = Category::parse_field(&req.category, "category")?;
    let title = text_field("title", &req.title, 200)?;
    let amount = parse_amount(req.amount.as_deref())?;
    let payee = opt_text("payee", req.payee.as_deref(), 200)?;
    let m = &req.materials;
    let materials = Materials {
        topic: m.topic.clone().unwrap_or_default(),
        background: m.background.clone().unwrap_or_default(),
        research: m.research.clone().unwrap_or_default(),
        recommendation: m.recommendation.clone().unwrap_or_default(),
    };
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let conflicts = check_conflicts(&*tx, unit, &req.conflicts).await?;
    let section_id = proposer_section(&*tx, ctx, unit, req.section_id.as_deref()).await?;
    let p = insert_draft(&*tx, now, unit, &ctx.user_id, &ctx.actor(), NewProposal {
        category,
        title,
        amount,
        payee,
        materials,
        flags: req.flags.merge(Flags::default()),
        urgent: req.urgent,
        needs_superior_approval: req.needs_superior_approval,
        confidential: req.confidential,
        conflicts,
        section_id,
        linked_document_id: None,
    })
    .await?;
    tx.commit().await?;
    view(state, ctx, &p).await
}

pub async fn list(state: &AppState, ctx: &Ctx, unit: &str, q: ListQuery) -> AppResult<Value> {
    let now = state.clock.now();
    let wanted = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(ProposalState::parse_field(s, "state")?),
        None => None,
    };
    let db = &state.db.conn;
    let mut query = proposals::Entity::find().filter(proposals::Column::UnitId.eq(unit));
    if let Some(w) = wanted {
        // Lapsed is computed on read from deferred (R13).
        query = match w {
            ProposalState::Lapsed | ProposalState::Deferred => {
                query.filter(proposals::Column::State.is_in([ProposalState::Deferred.as_str(), ProposalState::Lapsed.as_str()]))
            }
            other => query.filter(proposals::Column::State.eq(other.as_str())),
        };
    }
    if let Some(c) = &q.cursor {
        query = query.filter(proposals::Column::Id.lt(c.clone()));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 200) as usize;
    let mut items = Vec::new();
    let mut next_cursor: Option<String> = None;
    for p in query.order_by_desc(proposals::Column::Id).all(db).await? {
        let st = p_effective_state(&p, now)?;
        if wanted.is_some_and(|w| w != st) || !may_read_proposal(db, ctx, &p, now).await? {
            continue;
        }
        if items.len() == limit {
            next_cursor = items.last().and_then(|v: &Value| v["id"].as_str().map(str::to_string));
            break;
        }
        items.push(summary(db, &p, now).await?);
    }
    Ok(json!({ "items": items, "next_cursor": next_cursor }))
}

/// The proposal as `ctx` sees it, and until when that answer holds whatever the data: a
/// deferred proposal lapses at `lapse_at`, and an AB-post absence (D11, which may let the
/// reader in) begins or ends at local midnight.
pub async fn get_with_limit(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<crate::readcache::Answer> {
    let now = state.clock.now();
    let p = load_proposal(&state.db.conn, id).await?;
    if !may_read_proposal(&state.db.conn, ctx, &p, now).await? {
        return Err(AppError::not_found());
    }
    let lapses = p.lapse_at.filter(|t| *t > now);
    let until = crate::readcache::earliest(lapses, Some(crate::readcache::next_local_midnight(now)));
    Ok((view(state, ctx, &p).await?, until))
}

/// The proposal as `ctx` sees it now (the answer to a change, never kept).
pub async fn get(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<Value> {
    Ok(get_with_limit(state, ctx, id).await?.0)
}

/// Loads the proposal for a change by the caller; 404 when they may not even see it.
async fn load_for_change(tx: &impl ConnectionTrait, ctx: &Ctx, id: &str, now: DateTime<Utc>) -> AppResult<proposals::Model> {
    let p = load_proposal(tx, id).await?;
    if !may_read_proposal(tx, ctx, &p, now).await? {
        return Err(AppError::not_found());
    }
    // R18: archived records are read-only for everyone, whatever the action.
    if p.state == "archived" {
        return Err(yishi_domain::deliberation::minutes::archived_error().into());
    }
    Ok(p)
}

fn only_proposer(ctx: &Ctx, p: &proposals::Model) -> AppResult<()> {
    if p.proposer_id != ctx.user_id {
        return Err(AppError::forbidden("只有议题的提出人可以执行此操作"));
    }
    Ok(())
}

pub async fn patch(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>, body: Value) -> AppResult<Value> {
    let Some(obj) = body.as_object() else {
        return Err(AppError::invalid("body", "请求体须为 JSON 对象"));
    };
    const FIELDS: &[&str] =
        &["category", "title", "amount", "payee", "materials", "flags", "urgent", "needs_superior_approval", "confidential", "conflicts"];
    if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(AppError::invalid(k, format!("字段 {k} 不能修改；可修改：{}", FIELDS.join("、"))));
    }
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let p = load_for_change(&*tx, ctx, id, now).await?;
    only_proposer(ctx, &p)?;
    check_version(p.version, if_match)?;
    let from = p_state(&p)?;
    apply(from, Command::Update, Facts::default())?;
    let before = snapshot(&p);
    let mut sets: Vec<(proposals::Column, SimpleExpr)> = Vec::new();
    let bool_of = |k: &str| -> AppResult<bool> { obj[k].as_bool().ok_or_else(|| AppError::invalid(k, format!("{k} 须为 true 或 false"))) };
    let str_of = |k: &str| -> AppResult<Option<&str>> {
        match &obj[k] {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.as_str())),
            _ => Err(AppError::invalid(k, format!("{k} 须为字符串"))),
        }
    };
    let mut category = p_category(&p)?;
    let mut amount = p_amount(&p);
    if obj.contains_key("category") {
        category = Category::parse_field(str_of("category")?.unwrap_or(""), "category")?;
        sets.push((proposals::Column::Category, Expr::value(category.as_str())));
    }
    if obj.contains_key("title") {
        sets.push((proposals::Column::Title, Expr::value(text_field("title", str_of("title")?.unwrap_or(""), 200)?)));
    }
    if obj.contains_key("amount") {
        amount = parse_amount(str_of("amount")?)?;
        sets.push((proposals::Column::AmountFen, Expr::value(amount.map(Money::fen))));
    }
    rules::check_amount_present(category, amount)?;
    if obj.contains_key("payee") {
        sets.push((proposals::Column::Payee, Expr::value(opt_text("payee", str_of("payee")?, 200)?)));
    }
    if let Some(m) = obj.get("materials") {
        let m: MaterialsIn = serde_json::from_value(m.clone()).map_err(|e| AppError::invalid("materials", format!("materials 格式不正确：{e}")))?;
        for (v, col) in [
            (m.topic, proposals::Column::Topic),
            (m.background, proposals::Column::Background),
            (m.research, proposals::Column::Research),
            (m.recommendation, proposals::Column::Recommendation),
        ] {
            if let Some(v) = v {
                sets.push((col, Expr::value(v)));
            }
        }
    }
    if let Some(f) = obj.get("flags") {
        let f: FlagsIn = serde_json::from_value(f.clone()).map_err(|e| AppError::invalid("flags", format!("flags 格式不正确：{e}")))?;
        sets.push((proposals::Column::Flags, Expr::value(to_json(&f.merge(p_flags(&p)))?)));
    }
    for (k, col) in [
        ("urgent", proposals::Column::Urgent),
        ("needs_superior_approval", proposals::Column::NeedsSuperiorApproval),
        ("confidential", proposals::Column::Confidential),
    ] {
        if obj.contains_key(k) {
            sets.push((col, Expr::value(bool_of(k)?)));
        }
    }
    if let Some(c) = obj.get("conflicts") {
        let ids: Vec<String> = serde_json::from_value(c.clone()).map_err(|_| AppError::invalid("conflicts", "conflicts 须为用户 ID 数组"))?;
        let ids = check_conflicts(&*tx, &p.unit_id, &ids).await?;
        sets.push((proposals::Column::Conflicts, Expr::value(to_json(&ids)?)));
    }
    update_proposal(&*tx, &p, now, sets).await?;
    let p2 = load_proposal(&*tx, id).await?;
    trail::record(&*tx, now, &ctx.actor(), Change::new(&p.unit_id, PROPOSAL, id, "proposal.update").snapshots(before, snapshot(&p2))).await?;
    tx.commit().await?;
    view(state, ctx, &p2).await
}

fn snapshot(p: &proposals::Model) -> Value {
    json!({
        "title": p.title, "category": p.category, "amount_fen": p.amount_fen, "payee": p.payee,
        "topic": p.topic, "background": p.background, "research": p.research, "recommendation": p.recommendation,
        "flags": p.flags, "urgent": p.urgent, "needs_superior_approval": p.needs_superior_approval,
        "confidential": p.confidential, "conflicts": p.conflicts, "version": p.version,
    })
}

pub async fn upload(state: &AppState, ctx: &Ctx, id: &str, multipart: axum::extract::Multipart) -> AppResult<Value> {
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let p = load_for_change(&*tx, ctx, id, now).await?;
    let is_deputy = deputy_in_charge(&*tx, &p).await?.as_deref() == Some(ctx.user_id.as_str());
    if p.proposer_id != ctx.user_id && !is_deputy {
        return Err(AppError::forbidden("只有议题的提出人（或分管领导）可以上传材料附件"));
    }
    // Materials may be completed until the proposal is put to a meeting.
    apply(p_state(&p)?, Command::AddPreconsultRecord, Facts::default())?;
    let a = crate::uploads::store_from_multipart(state, &*tx, &p.unit_id, &ctx.user_id, PROPOSAL, Some(id), multipart).await?;
    trail::record(&*tx, now, &ctx.actor(), Change::new(&p.unit_id, PROPOSAL, id, "proposal.attach").note(Some(&format!("上传附件：{}", a.file_name)))).await?;
    tx.commit().await?;
    Ok(attachment_view(&a))
}

pub fn attachment_view(a: &attachments::Model) -> Value {
    json!({
        "id": a.id, "file_name": a.file_name, "filename": a.file_name, "content_type": a.content_type,
        "size": a.size, "sha256": a.sha256, "uploader_id": a.uploader_id, "created_at": a.created_at,
    })
}

pub async fn submit(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>) -> AppResult<Value> {
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let p = load_for_change(&*tx, ctx, id, now).await?;
    only_proposer(ctx, &p)?;
    check_version(p.version, if_match)?;
    let from = p_state(&p)?;
    let to = apply(from, Command::Submit, Facts::default())?;
    check_materials(&p_materials(&p))?;
    rules::check_amount_present(p_category(&p)?, p_amount(&p))?;
    let deputy = deputy_in_charge(&*tx, &p).await?.ok_or_else(|| {
        AppError::rule("R04", "议题所在处室尚未设定分管领导，提交单无人审核；请联系系统管理员设置处室分工").with_details(json!({"section_id": p.section_id}))
    })?;
    update_proposal(&*tx, &p, now, vec![
        (proposals::Column::State, Expr::value(to.as_str())),
        (proposals::Column::SubmittedAt, Expr::value(now)),
        (proposals::Column::DeputyId, Expr::value(deputy.clone())),
    ])
    .await?;
    trail::record(&*tx, now, &ctx.actor(), Change::new(&p.unit_id, PROPOSAL, id, "proposal.submit").states(Some(from.as_str()), Some(to.as_str()))).await?;
    tx.commit().await?;
    state.events.publish(vec![deputy], "task", json!({"kind": "approve_submission", "object_type": PROPOSAL, "object_id": id}));
    get(state, ctx, id).await
}

pub async fn submission_approval(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>, req: SubmissionApproval) -> AppResult<Value> {
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let p = load_proposal(&*tx, id).await?;
    let deputy = deputy_in_charge(&*tx, &p).await?;
    // The deputy in charge, or their AB-post backup while they are absent (D11).
    let on_behalf = match &deputy {
        Some(d) => crate::org::may_act_as(&*tx, &p.unit_id, &ctx.user_id, d, local_date(now)).await?,
        None => None,
    };
    let Some(on_behalf) = on_behalf else {
        if !may_read_proposal(&*tx, ctx, &p, now).await? {
            return Err(AppError::not_found());
        }
        return Err(AppError::rule("R04", "提交单须由议题承办处室的分管领导审核；您不是该处室的分管领导")
            .with_details(json!({"deputy_in_charge": deputy})));
    };
    check_version(p.version, if_match)?;
    let from = p_state(&p)?;
    let command = if req.approve { Command::ApproveSubmission } else { Command::RejectSubmission };
    let to = apply(from, command, Facts::default())?;
    let opinion = opt_text("opinion", Some(&req.opinion), 2000)?;
    if !req.approve && opinion.is_none() {
        return Err(AppError::invalid("opinion", "退回提交单须写明意见"));
    }
    let actor = ctx.actor_for(on_behalf.clone());
    let mut sets = vec![
        (proposals::Column::State, Expr::value(to.as_str())),
        (proposals::Column::SubmissionOpinion, Expr::value(opinion.clone())),
        (proposals::Column::DeputyId, Expr::value(deputy.clone())),
    ];
    let action = if req.approve { "proposal.submission_approve" } else { "proposal.submission_return" };
    let mut registration: Option<String> = None;
    if req.approve {
        // R04: the office registers the approved form (备案); the number is gapless per unit and year.
        let year = now.with_timezone(&yishi_domain::time::SHANGHAI).year();
        let n = crate::counters::next(&*tx, &format!("proposal_registration:{}:{year}", p.unit_id)).await?;
        let no = format!("会商〔{year}〕{n}号");
        sets.push((proposals::Column::ApprovedBy, Expr::value(ctx.user_id.clone())));
        sets.push((proposals::Column::ApprovedAt, Expr::value(now)));
        sets.push((proposals::Column::RegistrationNo, Expr::value(no.clone())));
        sets.push((proposals::Column::RegisteredAt, Expr::value(now)));
        sets.push((proposals::Column::ReturnedReason, Expr::value(Option::<String>::None)));
        registration = Some(no);
    } else {
        sets.push((proposals::Column::ReturnedReason, Expr::value(opinion.clone())));
    }
    update_proposal(&*tx, &p, now, sets).await?;
    trail::record(&*tx, now, &actor, Change::new(&p.unit_id, PROPOSAL, id, action).states(Some(from.as_str()), Some(to.as_str())).note(opinion.as_deref()))
        .await?;
    if let Some(no) = &registration {
        trail::record(&*tx, now, &Actor::system(), Change::new(&p.unit_id, PROPOSAL, id, "proposal.register").note(Some(&format!("办公室备案登记：{no}"))))
            .await?;
    }
    tx.commit().await?;
    let notify = if req.approve {
        let mut v: Vec<String> = crate::org::holders_of(&state.db.conn, &p.unit_id, Role::Principal).await?.into_iter().map(|m| m.user_id).collect();
        v.push(p.proposer_id.clone());
        v
    } else {
        vec![p.proposer_id.clone()]
    };
    state.events.publish(notify, "task", json!({"kind": action, "object_type": PROPOSAL, "object_id": id}));
    let p2 = load_proposal(&state.db.conn, id).await?;
    view(state, ctx, &p2).await
}

pub async fn add_preconsult_record(state: &AppState, ctx: &Ctx, id: &str, req: PreconsultRecordIn) -> AppResult<Value> {
    let kind = PreconsultKind::parse_field(&req.kind, "kind")?;
    let summary = text_field("summary", &req.summary, 5000)?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let p = load_for_change(&*tx, ctx, id, now).await?;
    let is_deputy = deputy_in_charge(&*tx, &p).await?.as_deref() == Some(ctx.user_id.as_str());
    if p.proposer_id != ctx.user_id && !is_deputy {
        return Err(AppError::forbidden("会前协商记录由议题提出人或分管领导登记"));
    }
    apply(p_state(&p)?, Command::AddPreconsultRecord, Facts::default())?;
    let mut ids: Vec<String> = Vec::new();
    for a in &req.attachment_ids {
        let att = attachments::Entity::find_by_id(a.clone()).one(&*tx).await?;
        match att {
            Some(att) if att.owner_type == PROPOSAL && att.owner_id.as_deref() == Some(id) => ids.push(a.clone()),
            _ => return Err(AppError::invalid("attachment_ids", format!("附件 {a} 不是本议题的附件；请先通过 /proposals/{id}/attachments 上传"))),
        }
    }
    let r = preconsult_records::ActiveModel {
        id: Set(new_id()),
        unit_id: Set(p.unit_id.clone()),
        proposal_id: Set(id.to_string()),
        kind: Set(kind.as_str().to_string()),
        summary: Set(summary.clone()),
        attachment_ids: Set(to_json(&ids)?),
        recorded_by: Set(ctx.user_id.clone()),
        created_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    // Touch the proposal so concurrent edits see the change (R42).
    update_proposal(&*tx, &p, now, vec![]).await?;
    trail::record(&*tx, now, &ctx.actor(), Change::new(&p.unit_id, PROPOSAL, id, "proposal.preconsult_record").note(Some(&format!("{}：{}", kind.label(), summary))))
        .await?;
    tx.commit().await?;
    Ok(record_view(&r))
}

fn record_view(r: &preconsult_records::Model) -> Value {
    let kind: Option<PreconsultKind> = r.kind.parse().ok();
    json!({
        "id": r.id, "kind": r.kind, "kind_label": kind.map(|k| k.label()), "summary": r.summary,
        "attachment_ids": json_ids(&r.attachment_ids), "recorded_by": r.recorded_by, "created_at": r.created_at,
    })
}

pub async fn premeeting_decision(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>, req: PremeetingDecisionIn) -> AppResult<Value> {
    let decision = PremeetingDecision::parse_field(&req.decision, "decision")?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let p = load_for_change(&*tx, ctx, id, now).await?;
    check_version(p.version, if_match)?;
    if !ctx.has(Role::Principal) {
        return Err(AppError::forbidden("会前酝酿的决定由主要领导作出"));
    }
    let from = p_state(&p)?;
    let command = match decision {
        PremeetingDecision::ToMeeting => Command::PutToMeeting,
        PremeetingDecision::GeneralBusiness => Command::HandleAsGeneralBusiness,
        PremeetingDecision::NotReady => Command::NotReady,
    };
    let to = apply(from, command, Facts::default())?;
    check_premeeting_reason(decision, &req.reason)?;
    let reason = opt_text("reason", Some(&req.reason), 2000)?;
    match decision {
        PremeetingDecision::ToMeeting => check_records_complete(&p_flags(&p), &record_kinds(&*tx, id).await?)?,
        PremeetingDecision::GeneralBusiness => {
            let settings = crate::org::settings(&*tx, &p.unit_id).await?;
            check_general_business_allowed(p_category(&p)?, p_amount(&p), &settings)?;
        }
        PremeetingDecision::NotReady => {}
    }
    let mut sets = vec![
        (proposals::Column::State, Expr::value(to.as_str())),
        (proposals::Column::PremeetingDecision, Expr::value(decision.as_str())),
        (proposals::Column::PremeetingReason, Expr::value(reason.clone())),
        (proposals::Column::PremeetingBy, Expr::value(ctx.user_id.clone())),
        (proposals::Column::PremeetingAt, Expr::value(now)),
    ];
    if to == ProposalState::Returned {
        sets.push((proposals::Column::ReturnedReason, Expr::value(reason.clone())));
    }
    update_proposal(&*tx, &p, now, sets).await?;
    let note = match &reason {
        Some(r) => format!("{}：{r}", decision.label()),
        None => decision.label().to_string(),
    };
    trail::record(&*tx, now, &ctx.actor(), Change::new(&p.unit_id, PROPOSAL, id, "proposal.premeeting_decision").states(Some(from.as_str()), Some(to.as_str())).note(Some(&note)))
        .await?;
    tx.commit().await?;
    let mut notify = vec![p.proposer_id.clone()];
    if to == ProposalState::Ready {
        notify.extend(crate::org::holders_of(&state.db.conn, &p.unit_id, Role::Clerk).await?.into_iter().map(|m| m.user_id));
    }
    state.events.publish(notify, "task", json!({"kind": "premeeting_decision", "object_type": PROPOSAL, "object_id": id}));
    get(state, ctx, id).await
}

pub async fn record_kinds(db: &impl ConnectionTrait, proposal_id: &str) -> AppResult<Vec<PreconsultKind>> {
    Ok(preconsult_records::Entity::find()
        .filter(preconsult_records::Column::ProposalId.eq(proposal_id))
        .all(db)
        .await?
        .iter()
        .filter_map(|r| r.kind.parse().ok())
        .collect())
}

// ---------------------------------------------------------------- views

/// The list entry of a proposal.
pub async fn summary(db: &impl ConnectionTrait, p: &proposals::Model, now: DateTime<Utc>) -> AppResult<Value> {
    let st = p_effective_state(p, now)?;
    let cat = p_category(p)?;
    Ok(json!({
        "id": p.id, "unit_id": p.unit_id, "title": p.title, "category": p.category, "category_label": cat.label(),
        "state": st.as_str(), "state_label": st.label(),
        "amount": p_amount(p).map(|a| a.to_string()), "payee": p.payee, "urgent": p.urgent,
        "proposer_id": p.proposer_id, "proposer_name": crate::org::display_name(db, &p.proposer_id).await?,
        "section_id": p.section_id, "meeting_id": p.meeting_id, "outcome": p.outcome,
        "created_at": p.created_at, "updated_at": p.updated_at, "version": p.version,
    }))
}

/// Actions the caller may take now (the UI shows the matching buttons; the server checks again).
/// `deputy`: the deputy in charge of the proposal's section ([`deputy_in_charge`]).
fn allowed_actions(ctx: &Ctx, p: &proposals::Model, st: ProposalState, deputy: Option<&str>) -> Vec<&'static str> {
    let mut out = Vec::new();
    let proposer = p.proposer_id == ctx.user_id;
    let deputy = deputy == Some(ctx.user_id.as_str());
    let ok = |c: Command| apply(st, c, Facts::default()).is_ok();
    if proposer && ok(Command::Update) {
        out.extend(["update", "submit"]);
    }
    if (proposer || deputy) && ok(Command::AddPreconsultRecord) {
        out.extend(["preconsult_record", "attach"]);
    }
    if deputy && ok(Command::ApproveSubmission) {
        out.push("submission_approval");
    }
    if ctx.has(Role::Principal) && ok(Command::PutToMeeting) {
        out.push("premeeting_decision");
    }
    if ctx.has(Role::Clerk) && ok(Command::Schedule) {
        out.push("schedule");
    }
    out
}

pub async fn view(state: &AppState, ctx: &Ctx, p: &proposals::Model) -> AppResult<Value> {
    let db = &state.db.conn;
    let now = state.clock.now();
    let st = p_effective_state(p, now)?;
    let mut v = summary(db, p, now).await?;
    let flags = p_flags(p);
    let record_rows = preconsult_records::Entity::find()
        .filter(preconsult_records::Column::ProposalId.eq(p.id.clone()))
        .order_by_asc(preconsult_records::Column::CreatedAt)
        .all(db)
        .await?;
    let kinds: Vec<PreconsultKind> = record_rows.iter().filter_map(|r| r.kind.parse().ok()).collect();
    let required: Vec<Value> = required_records(&flags)
        .iter()
        .map(|r| {
            json!({
                "flag": r.flag,
                "kind": r.kinds.iter().map(PreconsultKind::as_str).collect::<Vec<_>>().join("|"),
                "kinds": r.kinds.iter().map(PreconsultKind::as_str).collect::<Vec<_>>(),
                "label": r.label,
                "satisfied": r.kinds.iter().any(|k| kinds.contains(k)),
            })
        })
        .collect();
    let records: Vec<Value> = record_rows.iter().map(record_view).collect();
    let atts: Vec<Value> = attachments::Entity::find()
        .filter(attachments::Column::OwnerType.eq(PROPOSAL))
        .filter(attachments::Column::OwnerId.eq(p.id.clone()))
        .order_by_asc(attachments::Column::CreatedAt)
        .all(db)
        .await?
        .iter()
        .map(attachment_view)
        .collect();
    let mut links: Vec<Value> = Vec::new();
    if let Some(d) = &p.linked_document_id {
        links.push(json!({"object_type": "outgoing", "object_id": d, "relation": "escalated_from", "title": "来源公文"}));
    }
    for item in meeting_items::Entity::find().filter(meeting_items::Column::ProposalId.eq(p.id.clone())).all(db).await? {
        if let Some(m) = meetings::Entity::find_by_id(item.meeting_id.clone()).one(db).await? {
            links.push(json!({"object_type": "meeting", "object_id": m.id, "title": m.title, "relation": "agenda", "item_state": item.state, "outcome": item.outcome}));
        }
    }
    if let Some(mid) = &p.minutes_id {
        links.push(json!({"object_type": "minutes", "object_id": mid, "title": "会议纪要"}));
    }
    if let Some(pid) = &p.publication_id {
        links.push(json!({"object_type": "publication", "object_id": pid, "title": "机关内部公示"}));
    }
    let deputy = deputy_in_charge(db, p).await?;
    let extra = json!({
        "materials": p_materials(p),
        "flags": flags,
        "needs_superior_approval": p.needs_superior_approval,
        "confidential": p.confidential,
        "conflicts": p_conflicts(p),
        "deputy_id": p.deputy_id.clone().or(deputy.clone()),
        "linked_document_id": p.linked_document_id,
        "source_document_id": p.linked_document_id,
        "returned_reason": p.returned_reason,
        "submitted_at": p.submitted_at,
        "submission": {
            "approved_by": p.approved_by, "approved_at": p.approved_at, "opinion": p.submission_opinion,
            "registration_no": p.registration_no, "registered_at": p.registered_at,
        },
        "premeeting": {
            "decision": p.premeeting_decision, "reason": p.premeeting_reason, "by": p.premeeting_by, "at": p.premeeting_at,
        },
        "decision_text": p.decision_text, "decided_at": p.decided_at,
        "deferred_at": p.deferred_at, "lapse_at": p.lapse_at,
        "superior_document_ref": p.superior_document_ref, "superior_approved_on": p.superior_approved_on,
        "minutes_id": p.minutes_id, "publication_id": p.publication_id,
        "required_records": required,
        "preconsult_records": records,
        "attachments": atts,
        "links": links,
        "trail": trail::of(db, PROPOSAL, &p.id).await?,
        "allowed_actions": allowed_actions(ctx, p, st, deputy.as_deref()),
    });
    if let (Value::Object(a), Value::Object(b)) = (&mut v, extra) {
        a.extend(b);
    }
    Ok(v)
}
