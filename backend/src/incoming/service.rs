//! Use cases of incoming documents, one transaction each: authorize (object-level: D13
//! visibility, the party of the state machine, AB-post backups D11) → load → domain
//! decision → write state + trail + audit → commit → notify. A refusal returns before any
//! write, so nothing changes.
use super::model::{
    self, Loaded, OBJECT_TYPE, OrgSnapshot, Viewer, WorkItem, co_sections, leaders_in_charge, names, reading_leaders,
    reminders_of, work_items,
};
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::state::AppState;
use crate::store::entities::{
    incoming_assignments as assignments, incoming_documents as documents, incoming_instructions as instructions,
};
use crate::trail::{self, Change};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use yishi_domain::enums::{DocType, Secrecy, Urgency};
use yishi_domain::roles::Role;
use yishi_domain::routing::incoming::{
    self as rules, AssignmentRole, Command, Facts, InstructionKind, Kind, Party, State,
};
use yishi_domain::time::local_date;

// ---------------------------------------------------------------- requests

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct RegisterIncoming {
    /// 来文单位
    pub source_unit: String,
    /// 来文字号
    pub source_number: String,
    pub title: String,
    /// "none" 非密 | "internal" 内部 (D01: anything else is refused)
    pub secrecy: String,
    /// "urgent" 特急 | "expedited" 加急 | "normal" 平件
    pub urgency: String,
    /// YYYY-MM-DD (Asia/Shanghai)
    pub received_on: String,
    /// YYYY-MM-DD or RFC 3339; default: unit setting deadline_days by urgency, in working days (D02)
    pub deadline: Option<String>,
    /// "approval" 行政审批 | "non_approval" 非行政审批
    pub kind: String,
    /// one of the 15 document types (e.g. "request" 请示)
    pub doc_type: String,
    /// 重大事项: distributed only after the principal's instruction (D01)
    #[serde(default)]
    pub major: bool,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct Distribute {
    pub main_section_id: String,
    #[serde(default)]
    pub co_section_ids: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct Assign {
    pub handler_id: String,
    /// The section whose handler is assigned; needed only when the caller heads (or backs) several involved sections.
    pub section_id: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug, Default)]
pub struct Accept {
    /// Needed only when the caller handles (or backs) several parts of the document.
    pub section_id: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct Progress {
    pub note: String,
    /// Needed only when the caller handles (or backs) several parts of the document.
    pub section_id: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct Review {
    pub opinion: String,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct Instruct {
    /// "agree" 同意 | "disagree" 不同意 | "opinion" 具体意见 | "read" 已阅 (D03: not on a 请示)
    pub kind: String,
    pub text: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct Complete {
    pub result: String,
    pub section_id: Option<String>,
}

// ---------------------------------------------------------------- helpers

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn text_field(field: &str, v: &str, max: usize) -> AppResult<String> {
    let t = v.trim();
    if t.is_empty() {
        return Err(AppError::invalid(field, format!("{field} 不能为空")));
    }
    if t.chars().count() > max {
        return Err(AppError::invalid(field, format!("{field} 不能超过 {max} 个字符")));
    }
    Ok(t.to_string())
}

fn date_field(field: &str, v: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| AppError::invalid(field, format!("{field} 日期格式应为 YYYY-MM-DD")))
}

/// Whether `caller` acts as one of `eligible`: as themselves (`Some(None)`) or as the backup
/// of an absent one (`Some(Some(a))`, D11).
pub async fn acting_as(
    db: &impl ConnectionTrait,
    unit: &str,
    caller: &str,
    eligible: &[String],
    today: NaiveDate,
) -> AppResult<Option<Option<String>>> {
    if eligible.iter().any(|e| e == caller) {
        return Ok(Some(None));
    }
    for a in eligible {
        if let Some(on_behalf) = crate::org::may_act_as(db, unit, caller, a, today).await? {
            return Ok(Some(on_behalf));
        }
    }
    Ok(None)
}

fn facts(l: &Loaded) -> AppResult<Facts> {
    Ok(Facts {
        kind: l.kind()?,
        major: l.doc.major,
        principal_instructed: l.doc.principal_instructed_at.is_some(),
        reviewed: l.doc.reviewed_at.is_some(),
        open_co_parts: l.open_co_parts(),
    })
}

/// `UPDATE incoming_documents SET …, version = version + 1 WHERE id = ? AND version = ?`:
/// zero rows means someone else changed it first (R42).
async fn update_doc(tx: &impl ConnectionTrait, doc: &documents::Model, sets: Vec<(documents::Column, SimpleExpr)>) -> AppResult<()> {
    let mut q = documents::Entity::update_many().col_expr(documents::Column::Version, Expr::value(doc.version + 1));
    for (c, v) in sets {
        q = q.col_expr(c, v);
    }
    let res = q
        .filter(documents::Column::Id.eq(doc.id.clone()))
        .filter(documents::Column::Version.eq(doc.version))
        .exec(tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("该收文已被他人处理，请刷新后重试"));
    }
    Ok(())
}

async fn update_assignment(tx: &impl ConnectionTrait, a: &assignments::Model, sets: Vec<(assignments::Column, SimpleExpr)>) -> AppResult<()> {
    let mut q = assignments::Entity::update_many().col_expr(assignments::Column::Version, Expr::value(a.version + 1));
    for (c, v) in sets {
        q = q.col_expr(c, v);
    }
    let res = q
        .filter(assignments::Column::Id.eq(a.id.clone()))
        .filter(assignments::Column::Version.eq(a.version))
        .exec(tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("该处室的办理记录已被他人更新，请刷新后重试"));
    }
    Ok(())
}

fn check_version(l: &Loaded, if_match: Option<i32>) -> AppResult<()> {
    match if_match {
        Some(v) if v != l.doc.version => Err(AppError::conflict(format!(
            "收文已更新（当前版本 {}，您提交的是 {}），请刷新后重试",
            l.doc.version, v
        ))
        .with_details(json!({"version": l.doc.version}))),
        _ => Ok(()),
    }
}

/// Loads the document in the write transaction and refuses (404) callers who may not see it (D13).
async fn load_visible(tx: &impl ConnectionTrait, ctx: &Ctx, id: &str, today: NaiveDate) -> AppResult<(Loaded, OrgSnapshot)> {
    // Every caller is a write transaction: co-handling sections act on one document at once.
    crate::db::lock_row(tx, "incoming_documents", id).await?;
    let l = Loaded::load(tx, id).await?;
    let org = OrgSnapshot::load(tx, &l.doc.unit_id).await?;
    let viewer = Viewer::load(tx, &l.doc.unit_id, &ctx.user_id, today, &l.doc.id).await?;
    if !viewer.sees(&org, &l) {
        return Err(AppError::not_found());
    }
    Ok((l, org))
}

async fn work_of(db: &impl ConnectionTrait, org: &OrgSnapshot, l: &Loaded) -> AppResult<Vec<WorkItem>> {
    let leaders = reading_leaders(db, &l.doc.id).await?;
    let rem = reminders_of(db, &l.doc.id).await?;
    Ok(work_items(org, l, &leaders, &rem))
}

/// Publishes a "task" event to everyone whose to-do list may have changed: the assignees of
/// the work before and after the change, their backups, and the actor.
async fn notify(state: &AppState, org: &OrgSnapshot, before: &[WorkItem], doc_id: &str, actor: &str) -> AppResult<()> {
    let l = Loaded::load(&state.db.conn, doc_id).await?;
    let after = work_of(&state.db.conn, org, &l).await?;
    let mut who: BTreeSet<String> = BTreeSet::new();
    for it in before.iter().chain(after.iter()) {
        for a in &it.assignees {
            who.insert(a.clone());
            if let Some(b) = org.backup_of(a) {
                who.insert(b);
            }
        }
    }
    who.insert(actor.to_string());
    state.events.publish(
        who.into_iter().collect(),
        "task",
        json!({"object_type": OBJECT_TYPE, "object_id": doc_id, "state": l.doc.state}),
    );
    Ok(())
}

/// The assignment the caller works on for `cmd_of` (main or co): the one named by
/// `section_id`, else the only one that matches `pending` where the caller may act as one of
/// `eligible(a)`. Returns the assignment and on-behalf-of.
#[allow(clippy::too_many_arguments)]
async fn pick_assignment<'a>(
    db: &impl ConnectionTrait,
    ctx_user: &str,
    l: &'a Loaded,
    org: &OrgSnapshot,
    section_id: Option<&str>,
    today: NaiveDate,
    pending: impl Fn(&assignments::Model) -> bool,
    eligible: impl Fn(&assignments::Model) -> Vec<String>,
    who: &str,
) -> AppResult<(&'a assignments::Model, Option<String>)> {
    let unit = &l.doc.unit_id;
    if let Some(s) = section_id {
        let a = l
            .assignments
            .iter()
            .find(|a| a.section_id == s)
            .ok_or_else(|| AppError::invalid("section_id", "该处室不是本收文的主办或协办处室"))?;
        return match acting_as(db, unit, ctx_user, &eligible(a), today).await? {
            Some(on) => Ok((a, on)),
            None => Err(AppError::forbidden(format!("只有{}{}（或其AB岗备岗人在其外出期间）可以办理此事项", org.section_name(s), who))),
        };
    }
    let mut found: Vec<(&assignments::Model, Option<String>)> = Vec::new();
    for a in &l.assignments {
        if let Some(on) = acting_as(db, unit, ctx_user, &eligible(a), today).await? {
            found.push((a, on));
        }
    }
    let pending_found: Vec<_> = found.iter().filter(|(a, _)| pending(a)).cloned().collect();
    match (pending_found.len(), found.len()) {
        (1, _) => Ok(pending_found[0].clone()),
        (0, 0) => Err(AppError::forbidden(format!("只有承办处室的{}（或其AB岗备岗人在其外出期间）可以办理此事项", who))),
        // Nothing pending for the caller: let the state machine say why (e.g. already accepted).
        (0, _) => Ok(found[0].clone()),
        _ => Err(AppError::invalid("section_id", "您可办理本收文的多个处室事项，请用 section_id 指明处室")),
    }
}

// ---------------------------------------------------------------- use cases

/// D01: the clerk registers an incoming document.
pub async fn register(state: &AppState, ctx: &Ctx, req: RegisterIncoming) -> AppResult<Value> {
    let unit = ctx.unit()?.to_string();
    // Secrecy first: a classified document must not be processed any further (D01).
    let secrecy = Secrecy::parse_field(req.secrecy.trim(), "secrecy")?;
    secrecy.check_accepted()?;
    let source_unit = text_field("source_unit", &req.source_unit, 100)?;
    let source_number = text_field("source_number", &req.source_number, 64)?;
    let title = text_field("title", &req.title, 200)?;
    let urgency = Urgency::parse_field(req.urgency.trim(), "urgency")?;
    let kind = Kind::parse_field(req.kind.trim(), "kind")?;
    let doc_type = DocType::parse_field(req.doc_type.trim(), "doc_type")?;
    let received_on = date_field("received_on", &req.received_on)?;
    let now = state.clock.now();
    let today = local_date(now);
    if received_on > today {
        return Err(AppError::invalid("received_on", "收文日期不能晚于今天"));
    }
    if !ctx.has(Role::Clerk) {
        return Err(AppError::forbidden("收文由办公室工作人员登记"));
    }
    let tx = state.db.begin_write().await?;
    let (deadline, due_at, overridden) = match req.deadline.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            let settings = crate::org::settings(&*tx, &unit).await?;
            let cal = crate::org::calendar(&*tx, &unit).await?;
            let d = settings.default_deadline(&cal, received_on, urgency);
            (d, rules::due_at(d), false)
        }
        Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => (d, rules::due_at(d), true),
            Err(_) => {
                let t = DateTime::parse_from_rfc3339(s)
                    .map_err(|_| AppError::invalid("deadline", "办理时限格式应为 YYYY-MM-DD 或 RFC 3339 时间"))?
                    .with_timezone(&Utc);
                (local_date(t), t, true)
            }
        },
    };
    if deadline < received_on {
        return Err(AppError::invalid("deadline", "办理时限不能早于收文日期"));
    }
    let id = new_id();
    documents::Entity::insert(documents::ActiveModel {
        id: Set(id.clone()),
        unit_id: Set(unit.clone()),
        source_unit: Set(source_unit.clone()),
        source_number: Set(source_number.clone()),
        title: Set(title.clone()),
        secrecy: Set(secrecy.as_str().into()),
        urgency: Set(urgency.as_str().into()),
        received_on: Set(received_on.to_string()),
        deadline: Set(deadline.to_string()),
        due_at: Set(due_at),
        deadline_overridden: Set(overridden),
        kind: Set(kind.as_str().into()),
        doc_type: Set(doc_type.as_str().into()),
        major: Set(req.major),
        state: Set(State::Registered.as_str().into()),
        main_section_id: Set(None),
        co_section_ids: Set("[]".into()),
        handler_id: Set(None),
        result: Set(None),
        principal_instruction_kind: Set(None),
        principal_instruction: Set(None),
        principal_instructed_by: Set(None),
        principal_instructed_at: Set(None),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        review_opinion: Set(None),
        registered_by: Set(ctx.user_id.clone()),
        distributed_at: Set(None),
        accepted_at: Set(None),
        completed_at: Set(None),
        archived_at: Set(None),
        created_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(&*tx)
    .await?;
    let note = format!(
        "登记收文：{source_unit}《{title}》（{source_number}），{}，{}，{}{}，办理时限 {deadline}{}",
        secrecy.label(),
        urgency.label(),
        kind.label(),
        if req.major { "，重大事项须先报主要领导批示" } else { "" },
        if overridden { "（单独指定）" } else { "（按紧急程度默认）" },
    );
    trail::record(
        &*tx,
        now,
        &ctx.actor(),
        Change::new(&unit, OBJECT_TYPE, &id, "incoming.register").states(None, Some(State::Registered.as_str())).note(Some(&note)).snapshots(
            Value::Null,
            json!({"source_unit": source_unit, "source_number": source_number, "title": title, "secrecy": secrecy.as_str(),
                   "urgency": urgency.as_str(), "kind": kind.as_str(), "doc_type": doc_type.as_str(), "major": req.major,
                   "received_on": received_on, "deadline": deadline, "deadline_overridden": overridden}),
        ),
    )
    .await?;
    tx.commit().await?;
    let org = OrgSnapshot::load(&state.db.conn, &unit).await?;
    notify(state, &org, &[], &id, &ctx.user_id).await?;
    view(state, ctx, &id).await
}

/// D02: one main section and any co-handling sections (D01: a major item only after the
/// principal's instruction).
pub async fn distribute(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>, req: Distribute) -> AppResult<Value> {
    let now = state.clock.now();
    let today = local_date(now);
    let tx = state.db.begin_write().await?;
    let (l, org) = load_visible(&*tx, ctx, id, today).await?;
    check_version(&l, if_match)?;
    let before = work_of(&*tx, &org, &l).await?;
    let party = if org.roles(&ctx.user_id).contains(&Role::Clerk) { Party::Clerk } else { Party::SectionHead };
    let next = rules::apply(l.state()?, Command::Distribute, party, &facts(&l)?)?;
    let main = req.main_section_id.trim().to_string();
    if !org.sections.contains_key(&main) {
        return Err(AppError::invalid("main_section_id", "主办处室不存在"));
    }
    let mut co: Vec<String> = Vec::new();
    for s in &req.co_section_ids {
        let s = s.trim().to_string();
        if !org.sections.contains_key(&s) {
            return Err(AppError::invalid("co_section_ids", format!("协办处室 {s} 不存在")));
        }
        if s == main || co.contains(&s) {
            return Err(AppError::invalid("co_section_ids", "协办处室不能与主办处室相同，也不能重复"));
        }
        co.push(s);
    }
    for s in std::iter::once(&main).chain(co.iter()) {
        if org.heads_of(s).is_empty() {
            return Err(AppError::invalid(
                if *s == main { "main_section_id" } else { "co_section_ids" },
                format!("{}未设处室负责人，无法分派承办人；请先由安全管理员设置", org.section_name(s)),
            ));
        }
    }
    let co_json = serde_json::to_string(&co)?;
    update_doc(
        &*tx,
        &l.doc,
        vec![
            (documents::Column::State, Expr::value(next.as_str())),
            (documents::Column::MainSectionId, Expr::value(main.clone())),
            (documents::Column::CoSectionIds, Expr::value(co_json)),
            (documents::Column::DistributedAt, Expr::value(now)),
        ],
    )
    .await?;
    for (s, role) in std::iter::once((&main, AssignmentRole::Main)).chain(co.iter().map(|s| (s, AssignmentRole::Co))) {
        assignments::Entity::insert(assignments::ActiveModel {
            id: Set(new_id()),
            unit_id: Set(l.doc.unit_id.clone()),
            document_id: Set(id.to_string()),
            section_id: Set(s.clone()),
            role: Set(role.as_str().into()),
            handler_id: Set(None),
            assigned_by: Set(None),
            assigned_on_behalf_of: Set(None),
            assigned_at: Set(None),
            accepted_by: Set(None),
            accepted_on_behalf_of: Set(None),
            accepted_at: Set(None),
            done_by: Set(None),
            done_on_behalf_of: Set(None),
            done_at: Set(None),
            result: Set(None),
            created_at: Set(now),
            version: Set(1),
        })
        .exec_without_returning(&*tx)
        .await?;
    }
    let co_names: Vec<String> = co.iter().map(|s| org.section_name(s)).collect();
    let note = format!(
        "分办：主办 {}{}",
        org.section_name(&main),
        if co_names.is_empty() { String::new() } else { format!("；协办 {}", co_names.join("、")) }
    );
    trail::record(
        &*tx,
        now,
        &ctx.actor(),
        Change::new(&l.doc.unit_id, OBJECT_TYPE, id, Command::Distribute.action())
            .states(Some(&l.doc.state), Some(next.as_str()))
            .note(Some(&note))
            .snapshots(Value::Null, json!({"main_section_id": main, "co_section_ids": co})),
    )
    .await?;
    tx.commit().await?;
    notify(state, &org, &before, id, &ctx.user_id).await?;
    view(state, ctx, id).await
}

/// D02: the head of a section assigns a handler of that section (D11: or the head's backup
/// while the head is absent).
pub async fn assign(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>, req: Assign) -> AppResult<Value> {
    let now = state.clock.now();
    let today = local_date(now);
    let tx = state.db.begin_write().await?;
    let (l, org) = load_visible(&*tx, ctx, id, today).await?;
    check_version(&l, if_match)?;
    let before = work_of(&*tx, &org, &l).await?;
    let (a, on_behalf) = pick_assignment(
        &*tx,
        &ctx.user_id,
        &l,
        &org,
        req.section_id.as_deref(),
        today,
        |a| a.accepted_at.is_none(),
        |a| org.heads_of(&a.section_id),
        "处室负责人",
    )
    .await?;
    let is_main = a.role == AssignmentRole::Main.as_str();
    let cmd = if is_main { Command::AssignMain } else { Command::AssignCo };
    let next = rules::apply(l.state()?, cmd, Party::SectionHead, &facts(&l)?)?;
    if a.accepted_at.is_some() {
        return Err(AppError::conflict("承办人已签收，不能再改派"));
    }
    let handler = req.handler_id.trim().to_string();
    if !org.roles(&handler).contains(&Role::Handler) || org.section_of(&handler).as_deref() != Some(a.section_id.as_str()) {
        return Err(AppError::invalid("handler_id", format!("承办人须为{}的承办人员", org.section_name(&a.section_id))));
    }
    update_assignment(
        &*tx,
        a,
        vec![
            (assignments::Column::HandlerId, Expr::value(handler.clone())),
            (assignments::Column::AssignedBy, Expr::value(ctx.user_id.clone())),
            (assignments::Column::AssignedOnBehalfOf, Expr::value(on_behalf.clone())),
            (assignments::Column::AssignedAt, Expr::value(now)),
        ],
    )
    .await?;
    let mut sets = vec![(documents::Column::State, Expr::value(next.as_str()))];
    if is_main {
        sets.push((documents::Column::HandlerId, Expr::value(handler.clone())));
    }
    update_doc(&*tx, &l.doc, sets).await?;
    let (acting, acting_for) = crate::org::acting_for(&*tx, &l.doc.unit_id, &handler, today).await?;
    let n = names(&*tx, [handler.clone(), acting.clone()]).await?;
    let mut note = format!(
        "{}（{}）分派承办人：{}",
        org.section_name(&a.section_id),
        if is_main { "主办" } else { "协办" },
        n.get(&handler).cloned().unwrap_or_default()
    );
    if acting_for.is_some() {
        note.push_str(&format!("（承办人外出，由AB岗 {} 代办）", n.get(&acting).cloned().unwrap_or_default()));
    }
    trail::record(
        &*tx,
        now,
        &ctx.actor_for(on_behalf),
        Change::new(&l.doc.unit_id, OBJECT_TYPE, id, cmd.action())
            .states(Some(&l.doc.state), Some(next.as_str()))
            .note(Some(&note))
            .snapshots(json!({"handler_id": a.handler_id}), json!({"section_id": a.section_id, "handler_id": handler})),
    )
    .await?;
    tx.commit().await?;
    notify(state, &org, &before, id, &ctx.user_id).await?;
    view(state, ctx, id).await
}

/// D02: the assigned handler accepts (签收); D11: or their backup while they are absent.
pub async fn accept(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>, req: Accept) -> AppResult<Value> {
    let now = state.clock.now();
    let today = local_date(now);
    let tx = state.db.begin_write().await?;
    let (l, org) = load_visible(&*tx, ctx, id, today).await?;
    check_version(&l, if_match)?;
    let before = work_of(&*tx, &org, &l).await?;
    let (a, on_behalf) = pick_assignment(
        &*tx,
        &ctx.user_id,
        &l,
        &org,
        req.section_id.as_deref(),
        today,
        |a| a.accepted_at.is_none(),
        |a| a.handler_id.iter().cloned().collect(),
        "承办人",
    )
    .await?;
    let is_main = a.role == AssignmentRole::Main.as_str();
    let cmd = if is_main { Command::AcceptMain } else { Command::AcceptCo };
    let next = rules::apply(l.state()?, cmd, Party::Handler, &facts(&l)?)?;
    if a.accepted_at.is_some() {
        return Err(AppError::conflict("已签收，不能重复签收"));
    }
    update_assignment(
        &*tx,
        a,
        vec![
            (assignments::Column::AcceptedBy, Expr::value(ctx.user_id.clone())),
            (assignments::Column::AcceptedOnBehalfOf, Expr::value(on_behalf.clone())),
            (assignments::Column::AcceptedAt, Expr::value(now)),
        ],
    )
    .await?;
    let mut sets = vec![(documents::Column::State, Expr::value(next.as_str()))];
    if is_main {
        sets.push((documents::Column::AcceptedAt, Expr::value(now)));
    }
    update_doc(&*tx, &l.doc, sets).await?;
    let note = format!("{}（{}）签收", org.section_name(&a.section_id), if is_main { "主办" } else { "协办" });
    trail::record(
        &*tx,
        now,
        &ctx.actor_for(on_behalf),
        Change::new(&l.doc.unit_id, OBJECT_TYPE, id, cmd.action()).states(Some(&l.doc.state), Some(next.as_str())).note(Some(&note)),
    )
    .await?;
    tx.commit().await?;
    notify(state, &org, &before, id, &ctx.user_id).await?;
    view(state, ctx, id).await
}

/// A progress note (办理情况) of an accepted part's handler; the main handler's marks the
/// document in progress.
pub async fn progress(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>, req: Progress) -> AppResult<Value> {
    let note = text_field("note", &req.note, 2000)?;
    let now = state.clock.now();
    let today = local_date(now);
    let tx = state.db.begin_write().await?;
    let (l, org) = load_visible(&*tx, ctx, id, today).await?;
    check_version(&l, if_match)?;
    let before = work_of(&*tx, &org, &l).await?;
    let (a, on_behalf) = pick_assignment(
        &*tx,
        &ctx.user_id,
        &l,
        &org,
        req.section_id.as_deref(),
        today,
        |a| a.accepted_at.is_some() && a.done_at.is_none(),
        |a| a.handler_id.iter().cloned().collect(),
        "承办人",
    )
    .await?;
    let is_main = a.role == AssignmentRole::Main.as_str();
    let cmd = if is_main { Command::Progress } else { Command::ProgressCo };
    let next = rules::apply(l.state()?, cmd, Party::Handler, &facts(&l)?)?;
    if a.accepted_at.is_none() || a.done_at.is_some() {
        return Err(AppError::conflict("只有已签收、尚未办结的处室可以登记办理情况"));
    }
    update_doc(&*tx, &l.doc, vec![(documents::Column::State, Expr::value(next.as_str()))]).await?;
    trail::record(
        &*tx,
        now,
        &ctx.actor_for(on_behalf),
        Change::new(&l.doc.unit_id, OBJECT_TYPE, id, cmd.action())
            .states(Some(&l.doc.state), Some(next.as_str()))
            .note(Some(&format!("{}办理情况：{note}", org.section_name(&a.section_id)))),
    )
    .await?;
    tx.commit().await?;
    notify(state, &org, &before, id, &ctx.user_id).await?;
    view(state, ctx, id).await
}

/// D03: the office director reviews a non-approval document; it then goes to the leaders by
/// division of labour.
pub async fn review(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>, req: Review) -> AppResult<Value> {
    let opinion = text_field("opinion", &req.opinion, 2000)?;
    let now = state.clock.now();
    let today = local_date(now);
    let tx = state.db.begin_write().await?;
    let (l, org) = load_visible(&*tx, ctx, id, today).await?;
    check_version(&l, if_match)?;
    let before = work_of(&*tx, &org, &l).await?;
    let Some(on_behalf) = acting_as(&*tx, &l.doc.unit_id, &ctx.user_id, &org.holders(Role::OfficeDirector), today).await? else {
        return Err(AppError::forbidden("只有办公室主任（或其AB岗备岗人在其外出期间）可以审核"));
    };
    let next = rules::apply(l.state()?, Command::Review, Party::OfficeDirector, &facts(&l)?)?;
    update_doc(
        &*tx,
        &l.doc,
        vec![
            (documents::Column::State, Expr::value(next.as_str())),
            (documents::Column::ReviewedBy, Expr::value(on_behalf.clone().unwrap_or_else(|| ctx.user_id.clone()))),
            (documents::Column::ReviewedAt, Expr::value(now)),
            (documents::Column::ReviewOpinion, Expr::value(opinion.clone())),
        ],
    )
    .await?;
    let leaders = leaders_in_charge(&org, &l);
    let n = names(&*tx, leaders.clone()).await?;
    let to: Vec<String> = leaders.iter().map(|u| n.get(u).cloned().unwrap_or_default()).collect();
    trail::record(
        &*tx,
        now,
        &ctx.actor_for(on_behalf),
        Change::new(&l.doc.unit_id, OBJECT_TYPE, id, Command::Review.action())
            .states(Some(&l.doc.state), Some(next.as_str()))
            .note(Some(&format!("审核意见：{opinion}；按分工呈 {} 阅批", to.join("、"))))
            .snapshots(Value::Null, json!({"leaders": leaders})),
    )
    .await?;
    tx.commit().await?;
    notify(state, &org, &before, id, &ctx.user_id).await?;
    view(state, ctx, id).await
}

/// D01 / D03: a leader's instruction. Before distribution only the principal instructs (it
/// is what a major item waits for); afterwards the leaders by division of labour and the
/// principal. On a 请示 the instruction must be explicit.
pub async fn instruct(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>, req: Instruct) -> AppResult<Value> {
    let kind = InstructionKind::parse_field(req.kind.trim(), "kind")?;
    let now = state.clock.now();
    let today = local_date(now);
    let tx = state.db.begin_write().await?;
    let (l, org) = load_visible(&*tx, ctx, id, today).await?;
    check_version(&l, if_match)?;
    let before = work_of(&*tx, &org, &l).await?;
    let current = l.state()?;
    let unit = l.doc.unit_id.clone();
    let principals = org.holders(Role::Principal);
    let (cmd, party, on_behalf) = if current == State::Registered {
        match acting_as(&*tx, &unit, &ctx.user_id, &principals, today).await? {
            Some(on) => (Command::PrincipalInstruct, Party::Principal, on),
            None => return Err(AppError::forbidden("收文分办前只有主要领导可以批示")),
        }
    } else {
        let mut eligible = leaders_in_charge(&org, &l);
        for p in &principals {
            if !eligible.contains(p) {
                eligible.push(p.clone());
            }
        }
        match acting_as(&*tx, &unit, &ctx.user_id, &eligible, today).await? {
            Some(on) => {
                let acting = on.clone().unwrap_or_else(|| ctx.user_id.clone());
                let party = if principals.contains(&acting) { Party::Principal } else { Party::Leader };
                (Command::Instruct, party, on)
            }
            None if org.roles(&ctx.user_id).contains(&Role::Deputy) => {
                let charge = leaders_in_charge(&org, &l);
                let n = names(&*tx, charge.clone()).await?;
                return Err(AppError::rule(
                    "D03",
                    format!(
                        "按领导班子分工，本件由 {} 阅批；您不分管其主办或协办处室",
                        charge.iter().map(|u| n.get(u).cloned().unwrap_or_default()).collect::<Vec<_>>().join("、")
                    ),
                )
                .with_details(json!({"leaders_in_charge": charge})));
            }
            None => return Err(AppError::forbidden("只有分管领导或主要领导可以阅批收文")),
        }
    };
    let next = rules::apply(current, cmd, party, &facts(&l)?)?;
    let doc_type = l.doc.doc_type.parse::<DocType>().map_err(|e| AppError::internal(e.to_string()))?;
    let text = rules::check_instruction(doc_type, kind, req.text.as_deref())?;
    let phase = if cmd == Command::PrincipalInstruct { "pre_distribution" } else { "reading" };
    instructions::Entity::insert(instructions::ActiveModel {
        id: Set(new_id()),
        unit_id: Set(unit.clone()),
        document_id: Set(id.to_string()),
        leader_id: Set(ctx.user_id.clone()),
        on_behalf_of: Set(on_behalf.clone()),
        kind: Set(kind.as_str().into()),
        text: Set(text.clone()),
        phase: Set(phase.into()),
        created_at: Set(now),
    })
    .exec_without_returning(&*tx)
    .await?;
    let mut sets = vec![(documents::Column::State, Expr::value(next.as_str()))];
    if cmd == Command::PrincipalInstruct {
        sets.push((documents::Column::PrincipalInstructionKind, Expr::value(kind.as_str())));
        sets.push((documents::Column::PrincipalInstruction, Expr::value(text.clone())));
        sets.push((documents::Column::PrincipalInstructedBy, Expr::value(on_behalf.clone().unwrap_or_else(|| ctx.user_id.clone()))));
        sets.push((documents::Column::PrincipalInstructedAt, Expr::value(now)));
    }
    update_doc(&*tx, &l.doc, sets).await?;
    let note = match &text {
        Some(t) => format!("{}：{}：{t}", cmd.label(), kind.label()),
        None => format!("{}：{}", cmd.label(), kind.label()),
    };
    trail::record(
        &*tx,
        now,
        &ctx.actor_for(on_behalf),
        Change::new(&unit, OBJECT_TYPE, id, cmd.action())
            .states(Some(&l.doc.state), Some(next.as_str()))
            .note(Some(&note))
            .snapshots(Value::Null, json!({"kind": kind.as_str(), "text": text, "phase": phase})),
    )
    .await?;
    tx.commit().await?;
    notify(state, &org, &before, id, &ctx.user_id).await?;
    view(state, ctx, id).await
}

/// D02: a co-handling section finishes its part, or the main handler completes the document.
pub async fn complete(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>, req: Complete) -> AppResult<Value> {
    let result = text_field("result", &req.result, 4000)?;
    let now = state.clock.now();
    let today = local_date(now);
    let tx = state.db.begin_write().await?;
    let (l, org) = load_visible(&*tx, ctx, id, today).await?;
    check_version(&l, if_match)?;
    let before = work_of(&*tx, &org, &l).await?;
    let (a, on_behalf) = pick_assignment(
        &*tx,
        &ctx.user_id,
        &l,
        &org,
        req.section_id.as_deref(),
        today,
        |a| a.accepted_at.is_some() && a.done_at.is_none(),
        |a| a.handler_id.iter().cloned().collect(),
        "承办人",
    )
    .await?;
    let is_main = a.role == AssignmentRole::Main.as_str();
    let cmd = if is_main { Command::CompleteMain } else { Command::CompleteCo };
    let next = rules::apply(l.state()?, cmd, Party::Handler, &facts(&l)?)?;
    if a.accepted_at.is_none() {
        return Err(AppError::conflict("请先签收再办结"));
    }
    if a.done_at.is_some() {
        return Err(AppError::conflict("该处室的办理已经办结"));
    }
    update_assignment(
        &*tx,
        a,
        vec![
            (assignments::Column::DoneBy, Expr::value(ctx.user_id.clone())),
            (assignments::Column::DoneOnBehalfOf, Expr::value(on_behalf.clone())),
            (assignments::Column::DoneAt, Expr::value(now)),
            (assignments::Column::Result, Expr::value(result.clone())),
        ],
    )
    .await?;
    let mut sets = vec![(documents::Column::State, Expr::value(next.as_str()))];
    if is_main {
        sets.push((documents::Column::Result, Expr::value(result.clone())));
        sets.push((documents::Column::CompletedAt, Expr::value(now)));
    }
    update_doc(&*tx, &l.doc, sets).await?;
    let note = if is_main { format!("办结：{result}") } else { format!("{}协办意见：{result}", org.section_name(&a.section_id)) };
    trail::record(
        &*tx,
        now,
        &ctx.actor_for(on_behalf),
        Change::new(&l.doc.unit_id, OBJECT_TYPE, id, cmd.action()).states(Some(&l.doc.state), Some(next.as_str())).note(Some(&note)),
    )
    .await?;
    tx.commit().await?;
    notify(state, &org, &before, id, &ctx.user_id).await?;
    view(state, ctx, id).await
}

/// The clerk archives a completed document (kept permanently).
pub async fn archive(state: &AppState, ctx: &Ctx, id: &str, if_match: Option<i32>) -> AppResult<Value> {
    let now = state.clock.now();
    let today = local_date(now);
    let tx = state.db.begin_write().await?;
    let (l, org) = load_visible(&*tx, ctx, id, today).await?;
    check_version(&l, if_match)?;
    let before = work_of(&*tx, &org, &l).await?;
    let party = if org.roles(&ctx.user_id).contains(&Role::Clerk) { Party::Clerk } else { Party::Handler };
    let next = rules::apply(l.state()?, Command::Archive, party, &facts(&l)?)?;
    update_doc(
        &*tx,
        &l.doc,
        vec![(documents::Column::State, Expr::value(next.as_str())), (documents::Column::ArchivedAt, Expr::value(now))],
    )
    .await?;
    trail::record(
        &*tx,
        now,
        &ctx.actor(),
        Change::new(&l.doc.unit_id, OBJECT_TYPE, id, Command::Archive.action())
            .states(Some(&l.doc.state), Some(next.as_str()))
            .note(Some("归档"))
            .permanent(),
    )
    .await?;
    tx.commit().await?;
    notify(state, &org, &before, id, &ctx.user_id).await?;
    view(state, ctx, id).await
}

// ---------------------------------------------------------------- reads

/// A document as its participants see it (D13: others get 404): state, parts, instructions,
/// reminders, trail, and the caller's own pending actions on it.
pub async fn view(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<Value> {
    let db = &state.db.conn;
    let now = state.clock.now();
    let today = local_date(now);
    let l = Loaded::load(db, id).await?;
    let org = OrgSnapshot::load(db, &l.doc.unit_id).await?;
    let viewer = Viewer::load(db, &l.doc.unit_id, &ctx.user_id, today, &l.doc.id).await?;
    if !viewer.sees(&org, &l) {
        return Err(AppError::not_found());
    }
    let ins = instructions::Entity::find()
        .filter(instructions::Column::DocumentId.eq(id))
        .order_by_asc(instructions::Column::CreatedAt)
        .order_by_asc(instructions::Column::Id)
        .all(db)
        .await?;
    let rem = reminders_of(db, id).await?;
    let trail_rows = trail::of(db, OBJECT_TYPE, id).await?;
    let leaders = leaders_in_charge(&org, &l);
    let mut ids: Vec<String> = Vec::new();
    ids.extend(l.assignments.iter().flat_map(|a| {
        [a.handler_id.clone(), a.assigned_by.clone(), a.assigned_on_behalf_of.clone(), a.accepted_by.clone(), a.accepted_on_behalf_of.clone(), a.done_by.clone(), a.done_on_behalf_of.clone()]
    }).flatten());
    ids.extend(ins.iter().flat_map(|i| [Some(i.leader_id.clone()), i.on_behalf_of.clone()]).flatten());
    ids.extend(rem.iter().flat_map(|r| [r.assignee_id.clone(), r.recipient_id.clone(), r.on_behalf_of.clone()]).flatten());
    ids.extend(trail_rows.iter().flat_map(|t| [t.actor_id.clone(), t.on_behalf_of.clone()]).flatten());
    ids.extend(leaders.iter().cloned());
    ids.extend([Some(l.doc.registered_by.clone()), l.doc.reviewed_by.clone(), l.doc.principal_instructed_by.clone()].into_iter().flatten());
    let n = names(db, ids).await?;
    let name = |u: &Option<String>| u.as_ref().map(|u| n.get(u).cloned().unwrap_or_default());

    let reading = reading_leaders(db, id).await?;
    let items = work_items(&org, &l, &reading, &rem);
    let backing = &viewer.identities[1..];
    let mine: Vec<Value> = model::items_for(&items, &ctx.user_id, backing)
        .into_iter()
        .map(|(it, on)| {
            json!({"kind": it.kind, "section_id": it.section_id, "title": it.title,
                   "on_behalf_of": on, "on_behalf_of_name": name(&on)})
        })
        .collect();
    let mut v = summary(&l.doc, now, &org);
    let extra = json!({
        "assignments": l.assignments.iter().map(|a| json!({
            "id": a.id, "section_id": a.section_id, "section_name": org.section_name(&a.section_id), "role": a.role,
            "head_ids": org.heads_of(&a.section_id),
            "handler_id": a.handler_id, "handler_name": name(&a.handler_id),
            "assigned_by": a.assigned_by, "assigned_on_behalf_of": a.assigned_on_behalf_of, "assigned_at": a.assigned_at,
            "accepted_by": a.accepted_by, "accepted_by_name": name(&a.accepted_by),
            "accepted_on_behalf_of": a.accepted_on_behalf_of, "accepted_on_behalf_of_name": name(&a.accepted_on_behalf_of),
            "accepted_at": a.accepted_at,
            "done_by": a.done_by, "done_on_behalf_of": a.done_on_behalf_of, "done_at": a.done_at, "result": a.result,
            "version": a.version,
        })).collect::<Vec<_>>(),
        "instructions": ins.iter().map(|i| json!({
            "id": i.id, "leader_id": i.leader_id, "leader_name": n.get(&i.leader_id),
            "on_behalf_of": i.on_behalf_of, "on_behalf_of_name": name(&i.on_behalf_of),
            "kind": i.kind, "kind_label": i.kind.parse::<InstructionKind>().map(|k| k.label()).unwrap_or(""),
            "text": i.text, "phase": i.phase, "at": i.created_at,
        })).collect::<Vec<_>>(),
        "reminders": rem.iter().map(|r| json!({
            "level": r.level, "level_name": r.level_name, "level_label": model::level_label(r.level),
            "assignee_id": r.assignee_id, "assignee_name": name(&r.assignee_id),
            "recipient_id": r.recipient_id, "recipient_name": name(&r.recipient_id),
            "on_behalf_of": r.on_behalf_of, "due_at": r.due_at, "sent_at": r.sent_at,
        })).collect::<Vec<_>>(),
        "leaders_in_charge": leaders.iter().map(|u| json!({"user_id": u, "name": n.get(u)})).collect::<Vec<_>>(),
        "registered_by": l.doc.registered_by, "registered_by_name": n.get(&l.doc.registered_by),
        "principal_instruction": l.doc.principal_instruction, "principal_instruction_kind": l.doc.principal_instruction_kind,
        "principal_instructed_by": l.doc.principal_instructed_by, "principal_instructed_at": l.doc.principal_instructed_at,
        "reviewed_by": l.doc.reviewed_by, "reviewed_by_name": name(&l.doc.reviewed_by), "reviewed_at": l.doc.reviewed_at,
        "review_opinion": l.doc.review_opinion, "result": l.doc.result,
        "distributed_at": l.doc.distributed_at, "accepted_at": l.doc.accepted_at, "completed_at": l.doc.completed_at,
        "archived_at": l.doc.archived_at,
        "trail": trail_rows.iter().map(|t| json!({
            "at": t.at, "actor_id": t.actor_id, "actor_name": name(&t.actor_id),
            "on_behalf_of": t.on_behalf_of, "on_behalf_of_name": name(&t.on_behalf_of),
            "action": t.action, "from_state": t.from_state, "to_state": t.to_state, "note": t.note,
        })).collect::<Vec<_>>(),
        "my_tasks": mine,
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    Ok(v)
}

/// The fields of a document shown in lists.
pub fn summary(d: &documents::Model, now: DateTime<Utc>, org: &OrgSnapshot) -> Value {
    let state = d.state.parse::<State>().ok();
    let open = state.is_some_and(|s| s.is_open());
    json!({
        "id": d.id, "unit_id": d.unit_id, "source_unit": d.source_unit, "source_number": d.source_number, "title": d.title,
        "secrecy": d.secrecy, "secrecy_label": d.secrecy.parse::<Secrecy>().map(|s| s.label()).unwrap_or(""),
        "urgency": d.urgency, "urgency_label": d.urgency.parse::<Urgency>().map(|s| s.label()).unwrap_or(""),
        "kind": d.kind, "kind_label": d.kind.parse::<Kind>().map(|s| s.label()).unwrap_or(""),
        "doc_type": d.doc_type, "doc_type_label": d.doc_type.parse::<DocType>().map(|s| s.label()).unwrap_or(""),
        "major": d.major, "state": d.state, "state_label": state.map(|s| s.label()).unwrap_or(""),
        "received_on": d.received_on, "deadline": d.deadline, "due_at": d.due_at, "deadline_overridden": d.deadline_overridden,
        "overdue": open && now >= d.due_at,
        "main_section_id": d.main_section_id,
        "main_section_name": d.main_section_id.as_ref().map(|s| org.section_name(s)),
        "co_section_ids": co_sections(d), "handler_id": d.handler_id,
        "created_at": d.created_at, "version": d.version,
    })
}

#[derive(Deserialize, Debug, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only documents in this state (registered, distributed, accepted, in_progress, instructed, done, archived).
    pub state: Option<String>,
    /// Only overdue (`true`) or only not overdue (`false`) documents.
    pub overdue: Option<bool>,
    /// Page size, 1–200 (default 50; values outside are brought into range).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// The id of the last item of the previous page (`next_cursor`; newest first).
    pub cursor: Option<String>,
}

/// The query of one page of [`list`]: the unit's documents `identities` (the caller, then the
/// absent colleagues they back today) may see, filtered, newest first, `limit + 1` rows (the
/// extra row tells whether there is a next page). Public for the large-database benchmark,
/// which shows its query plan.
pub fn list_select(
    org: &OrgSnapshot,
    unit: &str,
    identities: &[String],
    q: &ListQuery,
    now: DateTime<Utc>,
) -> AppResult<sea_orm::Select<documents::Entity>> {
    let mut find = documents::Entity::find().filter(documents::Column::UnitId.eq(unit));
    if let Some(c) = model::visibility(org, unit, identities) {
        find = find.filter(c);
    }
    if let Some(s) = q.state.as_deref().filter(|s| !s.is_empty()) {
        let s = State::parse_field(s, "state")?;
        find = find.filter(documents::Column::State.eq(s.as_str()));
    }
    if let Some(want) = q.overdue {
        // As `summary`: open (not done or archived) and the deadline has passed.
        let open: Vec<&str> = State::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
        let overdue = Condition::all().add(documents::Column::State.is_in(open)).add(documents::Column::DueAt.lte(now));
        find = find.filter(if want { overdue } else { overdue.not() });
    }
    if let Some(c) = q.cursor.as_deref().filter(|c| !c.is_empty()) {
        find = find.filter(documents::Column::Id.lt(c));
    }
    Ok(find.order_by_desc(documents::Column::Id).limit(list_limit(q) + 1))
}

fn list_limit(q: &ListQuery) -> u64 {
    q.limit.unwrap_or(50).clamp(1, 200)
}

/// The unit's incoming documents the caller may see (D13), newest first (UUIDv7 ids), a page
/// at a time. Visibility, state and the overdue flag are filtered in SQL, so a page reads about
/// `limit` rows (indexes `(unit_id, id)`, `(unit_id, state, id)`).
pub async fn list(state: &AppState, ctx: &Ctx, q: ListQuery) -> AppResult<Value> {
    let unit = ctx.unit()?.to_string();
    let db = &state.db.conn;
    let now = state.clock.now();
    let org = OrgSnapshot::load(db, &unit).await?;
    let mut identities = vec![ctx.user_id.clone()];
    identities.extend(crate::org::absent_principals_of_backup(db, &unit, &ctx.user_id, local_date(now)).await?);
    let limit = list_limit(&q);
    let mut docs = list_select(&org, &unit, &identities, &q, now)?.all(db).await?;
    let more = docs.len() as u64 > limit;
    docs.truncate(limit as usize);
    let next_cursor = if more { docs.last().map(|d| d.id.clone()) } else { None };
    let items: Vec<Value> = docs.iter().map(|d| summary(d, now, &org)).collect();
    Ok(json!({"items": items, "next_cursor": next_cursor}))
}
