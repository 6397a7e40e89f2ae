//! The outgoing-document use cases, one transaction each: load the document and the unit's
//! organisation, check visibility (D13), the state machine, who may act (D07, D11, D12)
//! and the rule (D05–D10), then write the change, the trail and the audit entry together.
//! A refusal returns before any write, so it changes nothing.
use super::model::{Doc, OBJECT_TYPE, Org, may_read};
use super::view::{self, ContentParts, parse_blocks, parse_recipients};
use crate::audit::Actor;
use crate::db::WriteTx;
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::state::AppState;
use crate::store::entities::{
    archive_items, change_requests, outgoing_countersigns as countersigns, outgoing_documents as documents,
    outgoing_external_countersigns as externals, outgoing_reviews as reviews, outgoing_versions as versions, proposals,
};
use crate::trail::{self, Change};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use yishi_domain::deliberation::rules::{Flags, Materials};
use crate::deliberation::proposals::NewProposal;
use yishi_domain::enums::{Category, DocType, IssuingForm, Secrecy, Urgency};
use yishi_domain::money::Money;
use yishi_domain::roles::Role;
use yishi_domain::routing::body::{self, Block};
use yishi_domain::routing::outgoing::{
    self as rules, Command, CountersignStance, Duty, Facts, People, Recipients, State,
};
use yishi_domain::time::local_date;

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn required_text(field: &str, v: Option<&str>, what: &str) -> AppResult<String> {
    let t = v.map(str::trim).unwrap_or("");
    if t.is_empty() {
        return Err(AppError::invalid(field, format!("{what}不能为空")));
    }
    if t.chars().count() > 5000 {
        return Err(AppError::invalid(field, format!("{what}不能超过 5000 个字符")));
    }
    Ok(t.to_string())
}

fn optional_text(v: Option<&str>) -> Option<String> {
    v.map(str::trim).filter(|t| !t.is_empty()).map(|t| t.chars().take(5000).collect())
}

/// One use case's transaction with the document and the organisation loaded.
pub struct Op {
    pub tx: WriteTx,
    pub now: DateTime<Utc>,
    pub doc: Doc,
    pub org: Org,
}

impl Op {
    pub async fn begin(state: &AppState, id: &str) -> AppResult<Op> {
        let tx = state.db.begin_write().await?;
        let now = state.clock.now();
        crate::db::lock_row(&*tx, "outgoing_documents", id).await?;
        let doc = Doc::load(&*tx, id).await?;
        let org = Org::load(&*tx, &doc.d.unit_id, local_date(now)).await?;
        Ok(Op { tx, now, doc, org })
    }

    /// D13: someone who may not read the document learns nothing about it.
    pub async fn require_reader(&self, ctx: &Ctx) -> AppResult<()> {
        if may_read(&*self.tx, &self.doc, &self.org, &ctx.user_id).await? {
            Ok(())
        } else {
            Err(AppError::not_found())
        }
    }

    /// The next state of `cmd`, or the refusal naming the rule.
    fn next(&self, cmd: Command, facts: Facts) -> AppResult<State> {
        Ok(rules::apply(self.doc.state, cmd, facts)?)
    }

    fn check_state(&self, cmd: Command) -> AppResult<()> {
        if rules::rule(self.doc.state, cmd).is_none() {
            return Err(rules::refusal(self.doc.state, cmd).into());
        }
        Ok(())
    }

    /// The caller as one of `assignees`, directly or as an absent assignee's backup (D11).
    fn act_as(&self, ctx: &Ctx, assignees: &[String], who: &str) -> AppResult<Option<String>> {
        self.org
            .act_as(&ctx.user_id, assignees)
            .ok_or_else(|| AppError::forbidden(format!("此环节应由{who}办理，您不能代为操作")))
    }

    fn as_drafter(&self, ctx: &Ctx) -> AppResult<Option<String>> {
        self.act_as(ctx, std::slice::from_ref(&self.doc.d.drafter_id), "本公文的拟稿人（或其AB岗备岗人）")
    }

    /// D12 for the drafter, whether acting themselves or being backed up by the caller.
    fn separation(&self, ctx: &Ctx, duty: Duty, on_behalf: Option<&str>) -> AppResult<()> {
        Ok(rules::check_separation(duty, &self.doc.d.drafter_id, &ctx.user_id, on_behalf)?)
    }

    /// Writes the document row (state and the given columns, version + 1) if nobody changed
    /// it since it was loaded; 409 otherwise (R42).
    async fn save(&self, next: State, sets: Vec<(documents::Column, Expr)>) -> AppResult<()> {
        let d = &self.doc.d;
        let mut u = documents::Entity::update_many()
            .col_expr(documents::Column::State, Expr::value(next.as_str()))
            .col_expr(documents::Column::Version, Expr::value(d.version + 1))
            .col_expr(documents::Column::UpdatedAt, Expr::value(self.now));
        for (c, e) in sets {
            u = u.col_expr(c, e);
        }
        let res = u
            .filter(documents::Column::Id.eq(d.id.clone()))
            .filter(documents::Column::Version.eq(d.version))
            .exec(&*self.tx)
            .await?;
        if res.rows_affected != 1 {
            return Err(AppError::conflict("该公文已被他人处理，请刷新后重试"));
        }
        Ok(())
    }

    async fn record(&self, actor: &Actor, action: &str, to: Option<State>, note: Option<&str>) -> AppResult<()> {
        let d = &self.doc.d;
        let from = self.doc.state.as_str();
        let to_s = to.map(|s| s.as_str());
        let change = Change::new(&d.unit_id, OBJECT_TYPE, &d.id, action)
            .states(Some(from), to_s.or(Some(from)))
            .note(note);
        trail::record(&*self.tx, self.now, actor, change).await
    }

    async fn review_row(&self, kind: &str, ctx: &Ctx, on_behalf: &Option<String>, approve: bool, opinion: &str) -> AppResult<()> {
        reviews::ActiveModel {
            id: Set(new_id()),
            unit_id: Set(self.doc.d.unit_id.clone()),
            document_id: Set(self.doc.d.id.clone()),
            kind: Set(kind.to_string()),
            reviewer_id: Set(ctx.user_id.clone()),
            on_behalf_of: Set(on_behalf.clone()),
            approve: Set(approve),
            opinion: Set(opinion.to_string()),
            created_at: Set(self.now),
        }
        .insert(&*self.tx)
        .await?;
        Ok(())
    }

    async fn attachments_sha(&self) -> AppResult<Vec<String>> {
        Ok(view::attachment_rows(&*self.tx, &self.doc.d.id).await?.into_iter().map(|a| a.sha256).collect())
    }

    /// Saves a version of the text (D08: every saved text is kept).
    async fn add_version(&self, ctx: &Ctx, on_behalf: &Option<String>, v: NewVersion<'_>) -> AppResult<String> {
        let atts = self.attachments_sha().await?;
        let sha = view::content_sha256(&ContentParts {
            d: &self.doc.d,
            title: v.title,
            body: v.body,
            recipients: v.recipients,
            number: self.doc.d.number.as_deref(),
            attachments: &atts,
        })?;
        versions::ActiveModel {
            id: Set(new_id()),
            unit_id: Set(self.doc.d.unit_id.clone()),
            document_id: Set(self.doc.d.id.clone()),
            version_no: Set(v.version_no),
            title: Set(v.title.to_string()),
            body: Set(serde_json::to_string(v.body)?),
            recipients: Set(serde_json::to_string(v.recipients)?),
            content_sha256: Set(sha.clone()),
            author_id: Set(ctx.user_id.clone()),
            on_behalf_of: Set(on_behalf.clone()),
            reason: Set(v.reason.to_string()),
            change_request_id: Set(v.change_request_id.map(str::to_string)),
            created_at: Set(self.now),
        }
        .insert(&*self.tx)
        .await?;
        Ok(sha)
    }

    pub async fn commit(self) -> AppResult<String> {
        let id = self.doc.d.id.clone();
        self.tx.commit().await?;
        Ok(id)
    }
}

struct NewVersion<'a> {
    version_no: i32,
    title: &'a str,
    body: &'a [Block],
    recipients: &'a Recipients,
    reason: &'a str,
    change_request_id: Option<&'a str>,
}

/// After a commit: tell the people the document now waits for (SSE), and return the view.
pub async fn respond(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<Value> {
    let db = &state.db.conn;
    let doc = Doc::load(db, id).await?;
    let org = Org::load(db, &doc.d.unit_id, local_date(state.clock.now())).await?;
    let mut recipients: BTreeSet<String> = BTreeSet::new();
    for p in doc.pending(&org) {
        for a in &p.assignees {
            recipients.insert(org.acting_for(a).0);
        }
    }
    recipients.insert(doc.d.drafter_id.clone());
    state.events.publish(
        recipients.into_iter().collect(),
        "task",
        json!({"object_type": OBJECT_TYPE, "object_id": doc.d.id, "state": doc.d.state}),
    );
    let readable = may_read(db, &doc, &org, &ctx.user_id).await?;
    view::full(db, &doc, &org, readable).await
}

// ---------------------------------------------------------------- create / edit (D04)

pub struct Draft {
    pub title: String,
    pub doc_type: DocType,
    pub issuing_form: IssuingForm,
    pub series: String,
    pub recipients: Recipients,
    pub body: Vec<Block>,
    pub urgency: Urgency,
    pub secrecy: Secrecy,
    pub amount_fen: Option<i64>,
    pub payee: Option<String>,
    pub signoff_leader_id: Option<String>,
    pub joint_departments: Vec<String>,
    pub linked_proposal_id: Option<String>,
}

pub fn parse_amount(v: Option<&str>) -> AppResult<Option<i64>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Ok(Some(Money::parse_field(s, "amount")?.fen())),
        None => Ok(None),
    }
}

pub fn parse_departments(v: Vec<String>) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for d in v {
        let t = d.trim().to_string();
        if t.is_empty() || t.chars().count() > 100 {
            return Err(AppError::invalid("joint_departments", "联合发文单位名称不能为空，且不超过 100 个字符"));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// Form-specific requirements (D07 needs the named leader; joint needs the departments;
/// office-own documents come from the office).
async fn check_form(db: &impl ConnectionTrait, org: &Org, main_section: &str, d: &Draft) -> AppResult<()> {
    match (d.issuing_form, &d.signoff_leader_id) {
        (IssuingForm::OfficeByLeader, None) => {
            return Err(AppError::invalid("signoff_leader_id", "“经领导授权以办公室名义行文”须指定作出指示的局领导（签发人）"));
        }
        (IssuingForm::OfficeByLeader, Some(l)) => {
            if !org.has(l, Role::Principal) && !org.has(l, Role::Deputy) {
                return Err(AppError::invalid("signoff_leader_id", "签发领导须为本单位的主要领导或分管领导"));
            }
        }
        (_, Some(_)) => {
            return Err(AppError::invalid("signoff_leader_id", "只有“经领导授权以办公室名义行文”需要指定签发领导；其他发文形式的签发人由签发权限决定（D07）"));
        }
        (_, None) => {}
    }
    if d.issuing_form == IssuingForm::Joint && d.joint_departments.is_empty() {
        return Err(AppError::invalid("joint_departments", "联合发文须列出联合发文的其他部门"));
    }
    if d.issuing_form != IssuingForm::Joint && !d.joint_departments.is_empty() {
        return Err(AppError::invalid("joint_departments", "只有联合发文需要列出联合发文单位"));
    }
    if d.issuing_form == IssuingForm::OfficeOwn {
        let office_sections: BTreeSet<String> =
            org.holders(Role::OfficeDirector).iter().filter_map(|u| org.section_of(u)).collect();
        if !office_sections.contains(main_section) {
            return Err(AppError::invalid("issuing_form", "“办公室职权范围内以办公室名义行文”只能由办公室拟稿"));
        }
    }
    if let Some(p) = &d.linked_proposal_id {
        let found = proposals::Entity::find_by_id(p.clone()).one(db).await?;
        if found.is_none_or(|x| x.unit_id != org.unit_id) {
            return Err(AppError::invalid("linked_proposal_id", "关联的议题不存在"));
        }
    }
    Ok(())
}

pub async fn create(state: &AppState, ctx: &Ctx, unit: &str, draft: Draft) -> AppResult<String> {
    let tx = state.db.begin_write().await?;
    let now = state.clock.now();
    let org = Org::load(&*tx, unit, local_date(now)).await?;
    // D04: a handler (or the head) of the main section drafts; the main section is theirs.
    let main_section = org
        .section_of(&ctx.user_id)
        .ok_or_else(|| AppError::rule("D04", "拟稿人须属于主办处室：您未归属任何处（科）室"))?;
    draft.secrecy.check_accepted()?;
    check_form(&*tx, &org, &main_section, &draft).await?;
    let id = new_id();
    let d = documents::ActiveModel {
        id: Set(id.clone()),
        unit_id: Set(unit.to_string()),
        drafter_id: Set(ctx.user_id.clone()),
        main_section_id: Set(main_section.clone()),
        title: Set(draft.title.clone()),
        doc_type: Set(draft.doc_type.as_str().to_string()),
        issuing_form: Set(draft.issuing_form.as_str().to_string()),
        series: Set(draft.series.clone()),
        recipients: Set(serde_json::to_string(&draft.recipients)?),
        body: Set(serde_json::to_string(&draft.body)?),
        urgency: Set(draft.urgency.as_str().to_string()),
        secrecy: Set(draft.secrecy.as_str().to_string()),
        amount_fen: Set(draft.amount_fen),
        payee: Set(draft.payee.clone()),
        signoff_leader_id: Set(draft.signoff_leader_id.clone()),
        joint_departments: Set(serde_json::to_string(&draft.joint_departments)?),
        state: Set(State::Drafting.as_str().to_string()),
        paused_from: Set(None),
        pause_reason: Set(None),
        returned_at: Set(None),
        body_version: Set(1),
        number: Set(None),
        number_no: Set(None),
        year: Set(None),
        content_sha256: Set(None),
        signed_by: Set(None),
        signed_on_behalf_of: Set(None),
        signed_at: Set(None),
        signoff_opinion: Set(None),
        linked_proposal_id: Set(draft.linked_proposal_id.clone()),
        issued_by: Set(None),
        issued_at: Set(None),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&*tx)
    .await?;
    let doc = Doc::from_model(&*tx, d).await?;
    let op = Op { tx, now, doc, org };
    op.add_version(ctx, &None, NewVersion {
        version_no: 1,
        title: &draft.title,
        body: &draft.body,
        recipients: &draft.recipients,
        reason: "draft",
        change_request_id: None,
    })
    .await?;
    let note = format!("拟稿：{}（{}，{}）", draft.title, draft.doc_type.label(), draft.issuing_form.label());
    let change = Change::new(unit, OBJECT_TYPE, &id, "outgoing.create").states(None, Some("drafting")).note(Some(&note));
    trail::record(&*op.tx, now, &ctx.actor(), change).await?;
    op.commit().await
}

/// A PATCH: only the fields sent change (`None` = unchanged; `Some(None)` clears).
#[derive(Default)]
pub struct Edit {
    pub title: Option<String>,
    pub doc_type: Option<DocType>,
    pub issuing_form: Option<IssuingForm>,
    pub series: Option<String>,
    pub recipients: Option<Recipients>,
    pub body: Option<Vec<Block>>,
    pub urgency: Option<Urgency>,
    pub secrecy: Option<Secrecy>,
    pub amount_fen: Option<Option<i64>>,
    pub payee: Option<Option<String>>,
    pub signoff_leader_id: Option<Option<String>>,
    pub joint_departments: Option<Vec<String>>,
    pub linked_proposal_id: Option<Option<String>>,
    pub expected_version: Option<i32>,
}

pub async fn edit(state: &AppState, ctx: &Ctx, id: &str, e: Edit) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    op.check_state(Command::Edit)?;
    let on_behalf = op.as_drafter(ctx)?;
    let d = &op.doc.d;
    if e.expected_version.is_some_and(|v| v != d.version) {
        return Err(AppError::conflict("该公文已被修改，请刷新后再改（版本不一致）"));
    }
    let cur_body = parse_blocks(&d.body)?;
    let cur_recipients = parse_recipients(&d.recipients)?;
    let draft = Draft {
        title: e.title.clone().unwrap_or_else(|| d.title.clone()),
        doc_type: e.doc_type.unwrap_or(d.doc_type.parse()?),
        issuing_form: e.issuing_form.unwrap_or(op.doc.form),
        series: e.series.clone().unwrap_or_else(|| d.series.clone()),
        recipients: e.recipients.clone().unwrap_or_else(|| cur_recipients.clone()),
        body: e.body.clone().unwrap_or_else(|| cur_body.clone()),
        urgency: e.urgency.unwrap_or(d.urgency.parse()?),
        secrecy: e.secrecy.unwrap_or(d.secrecy.parse()?),
        amount_fen: e.amount_fen.unwrap_or(d.amount_fen),
        payee: e.payee.clone().unwrap_or_else(|| d.payee.clone()),
        signoff_leader_id: e.signoff_leader_id.clone().unwrap_or_else(|| d.signoff_leader_id.clone()),
        joint_departments: e.joint_departments.clone().unwrap_or_else(|| op.doc.joint_departments()),
        linked_proposal_id: e.linked_proposal_id.clone().unwrap_or_else(|| d.linked_proposal_id.clone()),
    };
    draft.secrecy.check_accepted()?;
    check_form(&*op.tx, &op.org, &d.main_section_id, &draft).await?;
    let text_changed = draft.title != d.title || draft.body != cur_body || draft.recipients != cur_recipients;
    let next_version = if text_changed { d.body_version + 1 } else { d.body_version };
    let sets = vec![
        (documents::Column::Title, Expr::value(draft.title.clone())),
        (documents::Column::DocType, Expr::value(draft.doc_type.as_str())),
        (documents::Column::IssuingForm, Expr::value(draft.issuing_form.as_str())),
        (documents::Column::Series, Expr::value(draft.series.clone())),
        (documents::Column::Recipients, Expr::value(serde_json::to_string(&draft.recipients)?)),
        (documents::Column::Body, Expr::value(serde_json::to_string(&draft.body)?)),
        (documents::Column::Urgency, Expr::value(draft.urgency.as_str())),
        (documents::Column::Secrecy, Expr::value(draft.secrecy.as_str())),
        (documents::Column::AmountFen, Expr::value(draft.amount_fen)),
        (documents::Column::Payee, Expr::value(draft.payee.clone())),
        (documents::Column::SignoffLeaderId, Expr::value(draft.signoff_leader_id.clone())),
        (documents::Column::JointDepartments, Expr::value(serde_json::to_string(&draft.joint_departments)?)),
        (documents::Column::LinkedProposalId, Expr::value(draft.linked_proposal_id.clone())),
        (documents::Column::BodyVersion, Expr::value(next_version)),
    ];
    op.save(op.doc.state, sets).await?;
    if text_changed {
        op.add_version(ctx, &on_behalf, NewVersion {
            version_no: next_version,
            title: &draft.title,
            body: &draft.body,
            recipients: &draft.recipients,
            reason: "draft",
            change_request_id: None,
        })
        .await?;
    }
    let note = if text_changed { format!("修改草稿，保存为第 {next_version} 版") } else { "修改公文信息".to_string() };
    op.record(&ctx.actor_for(on_behalf), "outgoing.edit", None, Some(&note)).await?;
    op.commit().await
}

/// D04 attachments: added by the drafter while the draft can still change.
pub async fn attach(state: &AppState, ctx: &Ctx, id: &str, multipart: axum::extract::Multipart) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    op.check_state(Command::Edit)?;
    let on_behalf = op.as_drafter(ctx)?;
    let d = &op.doc.d;
    let a = crate::uploads::store_from_multipart(state, &*op.tx, &d.unit_id, &ctx.user_id, OBJECT_TYPE, Some(&d.id), multipart).await?;
    op.save(op.doc.state, vec![]).await?;
    op.record(&ctx.actor_for(on_behalf), "outgoing.attach", None, Some(&format!("添加附件：{}", a.file_name))).await?;
    op.commit().await
}

// ---------------------------------------------------------------- routing (D04–D06)

pub async fn submit(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    let next = op.next(Command::Submit, Facts::default())?;
    let on_behalf = op.as_drafter(ctx)?;
    op.save(next, vec![]).await?;
    op.record(&ctx.actor_for(on_behalf), "outgoing.submit", Some(next), Some("提交处室负责人审核")).await?;
    op.commit().await
}

/// D04: the head of the main section reviews and signs (or returns with an opinion).
pub async fn review(state: &AppState, ctx: &Ctx, id: &str, approve: bool, opinion: Option<&str>) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    let cmd = if approve { Command::ApproveReview } else { Command::ReturnReview };
    let next = op.next(cmd, Facts::default())?;
    let heads = op.org.heads_of(&op.doc.d.main_section_id);
    let on_behalf = op.org.act_as(&ctx.user_id, &heads).flatten();
    op.separation(ctx, Duty::Review, on_behalf.as_deref())?;
    let on_behalf = op.act_as(ctx, &heads, "主办处室负责人")?;
    let opinion = if approve {
        optional_text(opinion).unwrap_or_else(|| "同意".into())
    } else {
        required_text("opinion", opinion, "退回意见")?
    };
    let mut sets = vec![];
    if !approve {
        sets.push((documents::Column::ReturnedAt, Expr::value(op.now)));
    }
    op.save(next, sets).await?;
    op.review_row("section_review", ctx, &on_behalf, approve, &opinion).await?;
    let action = if approve { "outgoing.review.approve" } else { "outgoing.review.return" };
    op.record(&ctx.actor_for(on_behalf), action, Some(next), Some(&opinion)).await?;
    op.commit().await
}

/// D05: the main section sends the draft to other sections in parallel.
pub async fn send_countersign(state: &AppState, ctx: &Ctx, id: &str, section_ids: Vec<String>) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    let next = op.next(Command::SendCountersign, Facts { outstanding_opinions: section_ids.len(), ..Facts::default() })?;
    let d = &op.doc.d;
    let mut allowed = vec![d.drafter_id.clone()];
    allowed.extend(op.org.heads_of(&d.main_section_id));
    let on_behalf = op.act_as(ctx, &allowed, "拟稿人或主办处室负责人")?;
    let mut sections: Vec<String> = Vec::new();
    for s in section_ids {
        if !op.org.sections.contains_key(&s) {
            return Err(AppError::invalid("section_ids", "会签处室不存在"));
        }
        if s == d.main_section_id {
            return Err(AppError::invalid("section_ids", "不能送主办处室本身会签"));
        }
        if op.org.heads_of(&s).is_empty() {
            return Err(AppError::invalid("section_ids", format!("{}没有处室负责人，无法会签", op.org.section_name(&s))));
        }
        if !sections.contains(&s) {
            sections.push(s);
        }
    }
    if sections.is_empty() {
        return Err(AppError::invalid("section_ids", "请至少选择一个会签处室"));
    }
    let round = op.doc.current_round() + 1;
    for s in &sections {
        countersigns::ActiveModel {
            id: Set(new_id()),
            unit_id: Set(d.unit_id.clone()),
            document_id: Set(d.id.clone()),
            round: Set(round),
            section_id: Set(s.clone()),
            requested_by: Set(ctx.user_id.clone()),
            head_id: Set(None),
            on_behalf_of: Set(None),
            stance: Set(None),
            text: Set(None),
            answered_at: Set(None),
            resolution: Set(None),
            resolution_note: Set(None),
            created_at: Set(op.now),
            version: Set(1),
        }
        .insert(&*op.tx)
        .await?;
    }
    op.save(next, vec![]).await?;
    let names: Vec<String> = sections.iter().map(|s| op.org.section_name(s)).collect();
    op.record(&ctx.actor_for(on_behalf), "outgoing.countersign", Some(next), Some(&format!("送会签：{}", names.join("、")))).await?;
    op.commit().await
}

/// D05: a countersigning section head answers; a disagreement pauses routing; the head
/// who disagreed may answer again after negotiation, which resolves it (recorded).
pub async fn countersign_opinion(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    stance: CountersignStance,
    text: Option<&str>,
    section_id: Option<&str>,
) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    op.check_state(stance.command())?;
    let text = stance.check_text(text)?;
    // The rows this caller may answer: outstanding ones, and (while paused) the open
    // disagreements of their sections (negotiation).
    let outstanding = op.doc.outstanding();
    let open = op.doc.open_disagreements();
    let mut candidates: Vec<(&countersigns::Model, Option<String>, bool)> = Vec::new();
    for (row, negotiated) in outstanding.iter().map(|r| (*r, false)).chain(open.iter().map(|r| (*r, true))) {
        if section_id.is_some_and(|s| s != row.section_id) {
            continue;
        }
        if let Some(ob) = op.org.act_as(&ctx.user_id, &op.org.heads_of(&row.section_id)) {
            candidates.push((row, ob, negotiated));
        }
    }
    let (row, on_behalf, negotiated) = match candidates.as_slice() {
        [] => {
            return Err(AppError::forbidden("只有被送会签处室的负责人（或其AB岗备岗人）才能提出会签意见，且每个处室只答复一次"));
        }
        [one] => one.clone(),
        _ => {
            return Err(AppError::invalid("section_id", "您可代表多个会签处室答复，请指定 section_id"));
        }
    };
    if negotiated && stance == CountersignStance::Disagree {
        return Err(AppError::conflict("该处室已表示不同意；协商一致后请答复“同意”或“修改后同意”，否则由分管领导裁定"));
    }
    let mut outstanding_after = outstanding.len();
    let mut open_after = open.len();
    let stance_text = match &text {
        Some(t) => format!("{}：{}", stance.label(), t),
        None => stance.label().to_string(),
    };
    let mut upd = countersigns::Entity::update_many()
        .col_expr(countersigns::Column::Version, Expr::value(row.version + 1));
    if negotiated {
        open_after -= 1;
        upd = upd
            .col_expr(countersigns::Column::Resolution, Expr::value("negotiated"))
            .col_expr(countersigns::Column::ResolutionNote, Expr::value(format!("协商一致：{stance_text}")));
    } else {
        outstanding_after -= 1;
        if stance == CountersignStance::Disagree {
            open_after += 1;
        }
        upd = upd
            .col_expr(countersigns::Column::HeadId, Expr::value(ctx.user_id.clone()))
            .col_expr(countersigns::Column::OnBehalfOf, Expr::value(on_behalf.clone()))
            .col_expr(countersigns::Column::Stance, Expr::value(stance.as_str()))
            .col_expr(countersigns::Column::Text, Expr::value(text.clone()))
            .col_expr(countersigns::Column::AnsweredAt, Expr::value(op.now));
    }
    let res = upd
        .filter(countersigns::Column::Id.eq(row.id.clone()))
        .filter(countersigns::Column::Version.eq(row.version))
        .exec(&*op.tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("该处室的会签意见已由他人提交，请刷新"));
    }
    let facts = Facts { outstanding_opinions: outstanding_after, open_disagreements: open_after, paused_from: None };
    let next = op.next(stance.command(), facts)?;
    let mut sets = vec![];
    if next == State::Paused && op.doc.state != State::Paused {
        sets.push((documents::Column::PausedFrom, Expr::value(op.doc.state.as_str())));
        sets.push((documents::Column::PauseReason, Expr::value(format!("{}会签不同意：{}", op.org.section_name(&row.section_id), text.clone().unwrap_or_default()))));
    }
    if op.doc.state == State::Paused && next != State::Paused {
        sets.push((documents::Column::PausedFrom, Expr::value(Option::<String>::None)));
        sets.push((documents::Column::PauseReason, Expr::value(Option::<String>::None)));
    }
    op.save(next, sets).await?;
    let section = op.org.section_name(&row.section_id);
    let (action, note) = if negotiated {
        ("outgoing.countersign.negotiated", format!("{section}经协商：{stance_text}"))
    } else {
        ("outgoing.countersign.opinion", format!("{section}：{stance_text}"))
    };
    op.record(&ctx.actor_for(on_behalf), action, Some(next), Some(&note)).await?;
    op.commit().await
}

/// D05: the deputy in charge rules on a disagreement: proceed (routing resumes) or return.
pub async fn resolve_disagreement(state: &AppState, ctx: &Ctx, id: &str, proceed: bool, text: Option<&str>) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    let cmd = if proceed { Command::RuleProceed } else { Command::RuleReturn };
    op.check_state(cmd)?;
    let deputy: Vec<String> = op.doc.deputy_in_charge(&op.org).into_iter().collect();
    let on_behalf = op.act_as(ctx, &deputy, "主办处室的分管领导")?;
    let text = required_text("text", text, "裁定意见")?;
    let resolution = if proceed { "ruling_proceed" } else { "ruling_return" };
    for row in op.doc.open_disagreements() {
        let res = countersigns::Entity::update_many()
            .col_expr(countersigns::Column::Resolution, Expr::value(resolution))
            .col_expr(countersigns::Column::ResolutionNote, Expr::value(format!("分管领导裁定：{text}")))
            .col_expr(countersigns::Column::Version, Expr::value(row.version + 1))
            .filter(countersigns::Column::Id.eq(row.id.clone()))
            .filter(countersigns::Column::Version.eq(row.version))
            .exec(&*op.tx)
            .await?;
        if res.rows_affected != 1 {
            return Err(AppError::conflict("会签意见已变化，请刷新后再裁定"));
        }
    }
    let facts = Facts { outstanding_opinions: op.doc.outstanding().len(), open_disagreements: 0, paused_from: None };
    let next = op.next(cmd, facts)?;
    let mut sets = vec![
        (documents::Column::PausedFrom, Expr::value(Option::<String>::None)),
        (documents::Column::PauseReason, Expr::value(Option::<String>::None)),
    ];
    if !proceed {
        sets.push((documents::Column::ReturnedAt, Expr::value(op.now)));
    }
    op.save(next, sets).await?;
    op.review_row("ruling", ctx, &on_behalf, proceed, &text).await?;
    let label = if proceed { "分管领导裁定继续办理" } else { "分管领导裁定退回修改" };
    op.record(&ctx.actor_for(on_behalf), "outgoing.resolve", Some(next), Some(&format!("{label}：{text}"))).await?;
    op.commit().await
}

/// D07: the deputy in charge reviews (审签) documents to superiors and joint documents.
pub async fn leader_review(state: &AppState, ctx: &Ctx, id: &str, approve: bool, opinion: Option<&str>) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    let cmd = if approve { Command::ApproveLeaderReview } else { Command::ReturnLeaderReview };
    let next = op.next(cmd, Facts::default())?;
    if !rules::signoff_rule(op.doc.form).needs_leader_review {
        return Err(AppError::rule("D07", format!("“{}”的公文无需分管领导审签", op.doc.form.label())));
    }
    let deputy: Vec<String> = op.doc.deputy_in_charge(&op.org).into_iter().collect();
    let on_behalf = op.org.act_as(&ctx.user_id, &deputy).flatten();
    op.separation(ctx, Duty::Review, on_behalf.as_deref())?;
    let on_behalf = op.act_as(ctx, &deputy, "主办处室的分管领导")?;
    if approve && op.doc.leader_reviewed() {
        return Err(AppError::conflict("分管领导已审签，无需重复"));
    }
    let opinion = if approve {
        optional_text(opinion).unwrap_or_else(|| "同意".into())
    } else {
        required_text("opinion", opinion, "退回意见")?
    };
    let mut sets = vec![];
    if !approve {
        sets.push((documents::Column::ReturnedAt, Expr::value(op.now)));
    }
    op.save(next, sets).await?;
    op.review_row("leader_review", ctx, &on_behalf, approve, &opinion).await?;
    let action = if approve { "outgoing.leader_review.approve" } else { "outgoing.leader_review.return" };
    op.record(&ctx.actor_for(on_behalf), action, Some(next), Some(&format!("分管领导审签：{opinion}"))).await?;
    op.commit().await
}

/// D07: the drafter records each external department's countersign of a joint document.
pub async fn external_countersign(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    department: &str,
    opinion: Option<&str>,
    signed_on: &str,
) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    let next = op.next(Command::RecordExternalCountersign, Facts::default())?;
    if op.doc.form != IssuingForm::Joint {
        return Err(AppError::rule("D07", "只有联合发文需要登记外单位会签"));
    }
    let on_behalf = op.as_drafter(ctx)?;
    // 经分管领导签署意见后送有关部门会签.
    if !op.doc.leader_reviewed() {
        return Err(AppError::rule("D07", "联合发文须先经分管领导审签，再送有关部门会签"));
    }
    let department = department.trim();
    if !op.doc.joint_departments().iter().any(|d| d == department) {
        return Err(AppError::invalid("department", format!("“{department}”不是本公文的联合发文单位")));
    }
    if op.doc.externals.iter().any(|e| e.department == department) {
        return Err(AppError::conflict(format!("{department}的会签意见已登记")));
    }
    let opinion = required_text("opinion", opinion, "会签意见")?;
    let date = NaiveDate::parse_from_str(signed_on.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("signed_on", "会签日期格式应为 YYYY-MM-DD"))?;
    if date > local_date(op.now) {
        return Err(AppError::invalid("signed_on", "会签日期不能晚于今天"));
    }
    externals::ActiveModel {
        id: Set(new_id()),
        unit_id: Set(op.doc.d.unit_id.clone()),
        document_id: Set(op.doc.d.id.clone()),
        department: Set(department.to_string()),
        opinion: Set(opinion.clone()),
        signed_on: Set(date.format("%Y-%m-%d").to_string()),
        recorded_by: Set(ctx.user_id.clone()),
        on_behalf_of: Set(on_behalf.clone()),
        created_at: Set(op.now),
    }
    .insert(&*op.tx)
    .await?;
    op.save(next, vec![]).await?;
    op.record(&ctx.actor_for(on_behalf), "outgoing.external_countersign", None, Some(&format!("{department}会签（{date}）：{opinion}")))
        .await?;
    op.commit().await
}

/// D05: the main section consolidates the opinions into the final text and hands it to the office.
pub async fn consolidate(state: &AppState, ctx: &Ctx, id: &str, title: Option<String>, body: Option<Vec<Block>>) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    let next = op.next(Command::Consolidate, Facts::default())?;
    let on_behalf = op.as_drafter(ctx)?;
    let d = &op.doc.d;
    let cur_body = parse_blocks(&d.body)?;
    let recipients = parse_recipients(&d.recipients)?;
    let new_title = title.unwrap_or_else(|| d.title.clone());
    let new_body = body.unwrap_or_else(|| cur_body.clone());
    let changed = new_title != d.title || new_body != cur_body;
    let mut sets = vec![];
    let mut note = "汇总会签意见定稿，送办公室核稿".to_string();
    if changed {
        let v = d.body_version + 1;
        op.add_version(ctx, &on_behalf, NewVersion {
            version_no: v,
            title: &new_title,
            body: &new_body,
            recipients: &recipients,
            reason: "consolidated",
            change_request_id: None,
        })
        .await?;
        sets.push((documents::Column::Title, Expr::value(new_title.clone())));
        sets.push((documents::Column::Body, Expr::value(serde_json::to_string(&new_body)?)));
        sets.push((documents::Column::BodyVersion, Expr::value(v)));
        note = format!("{note}（定稿为第 {v} 版）");
    }
    op.save(next, sets).await?;
    op.record(&ctx.actor_for(on_behalf), "outgoing.consolidate", Some(next), Some(&note)).await?;
    op.commit().await
}

/// D06: the office director verifies (核稿): pass, or return with reasons.
pub async fn verify(state: &AppState, ctx: &Ctx, id: &str, pass: bool, opinion: Option<&str>) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    let cmd = if pass { Command::PassVerification } else { Command::ReturnVerification };
    let next = op.next(cmd, Facts::default())?;
    let directors = op.org.holders(Role::OfficeDirector);
    let on_behalf = op.org.act_as(&ctx.user_id, &directors).flatten();
    op.separation(ctx, Duty::Verify, on_behalf.as_deref())?;
    let on_behalf = op.act_as(ctx, &directors, "办公室主任")?;
    let opinion = if pass {
        optional_text(opinion).unwrap_or_else(|| "核稿通过".into())
    } else {
        optional_text(opinion).ok_or_else(|| {
            AppError::rule("D06", "核稿退回须写明理由").with_details(json!({"field": "opinion"}))
        })?
    };
    let mut sets = vec![];
    if !pass {
        sets.push((documents::Column::ReturnedAt, Expr::value(op.now)));
    }
    op.save(next, sets).await?;
    op.review_row("verification", ctx, &on_behalf, pass, &opinion).await?;
    let action = if pass { "outgoing.verify.pass" } else { "outgoing.verify.return" };
    op.record(&ctx.actor_for(on_behalf), action, Some(next), Some(&opinion)).await?;
    op.commit().await
}

// ---------------------------------------------------------------- sign-off (D07–D10)

/// D10 / R01: is the document linked to a proposal the collective has adopted?
pub async fn linked_decided(db: &impl ConnectionTrait, linked: Option<&str>) -> AppResult<bool> {
    let Some(pid) = linked else { return Ok(false) };
    Ok(proposals::Entity::find_by_id(pid.to_string()).one(db).await?.is_some_and(|p| proposal_adopted(&p)))
}

/// Adopted and decided: `decided` or later on the adopted path (minuted, published,
/// confirmed, archived). Pending a superior's approval (R14) is not yet decided.
pub fn proposal_adopted(p: &proposals::Model) -> bool {
    p.outcome.as_deref() == Some("adopted")
        && matches!(p.state.as_str(), "decided" | "minuted" | "published" | "confirmed" | "archived")
}

/// D07 authority, D12, D10 — then the number (D09) and the frozen content (D08), all in one
/// transaction: `signoff → signed → numbered`.
pub async fn signoff(state: &AppState, ctx: &Ctx, id: &str, opinion: Option<&str>) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    let signed = op.next(Command::Signoff, Facts::default())?;
    let numbered = rules::apply(signed, Command::AssignNumber, Facts::default())?;
    let d = &op.doc.d;
    let signers = op.doc.signers(&op.org);
    let on_behalf = op.org.act_as(&ctx.user_id, &signers).flatten();
    op.separation(ctx, Duty::Signoff, on_behalf.as_deref())?;
    let principals = op.org.holders(Role::Principal);
    let directors = op.org.holders(Role::OfficeDirector);
    let deputy = op.doc.deputy_in_charge(&op.org);
    let people = People {
        principals: &principals,
        deputy_in_charge: deputy.as_deref(),
        office_directors: &directors,
        named_leader: d.signoff_leader_id.as_deref(),
    };
    let acting_as = on_behalf.clone().unwrap_or_else(|| ctx.user_id.clone());
    rules::check_signoff(op.doc.form, &people, &acting_as, &op.doc.signoff_facts())?;
    let threshold = crate::org::settings(&*op.tx, &d.unit_id).await?.fund_threshold.fen();
    rules::check_collective_decision(d.amount_fen, threshold, linked_decided(&*op.tx, d.linked_proposal_id.as_deref()).await?)?;
    let opinion = optional_text(opinion).unwrap_or_else(|| "同意印发".into());
    // Claim the document first: of two leaders signing at once, the second finds it taken (R42).
    op.save(numbered, vec![
        (documents::Column::SignedBy, Expr::value(ctx.user_id.clone())),
        (documents::Column::SignedOnBehalfOf, Expr::value(on_behalf.clone())),
        (documents::Column::SignedAt, Expr::value(op.now)),
        (documents::Column::SignoffOpinion, Expr::value(opinion.clone())),
    ])
    .await?;
    // D09: gapless per unit, series and year, in this transaction (a rollback gives it back).
    let unit = crate::org::unit(&*op.tx, &d.unit_id).await?;
    let year = local_date(op.now).year();
    let n = crate::counters::next(&*op.tx, &rules::number_counter_key(&d.unit_id, &d.series, year)).await?;
    let number = rules::format_number(&unit.short_code, &d.series, year, n);
    let blocks = parse_blocks(&d.body)?;
    let recipients = parse_recipients(&d.recipients)?;
    let atts = op.attachments_sha().await?;
    let sha = view::content_sha256(&ContentParts {
        d,
        title: &d.title,
        body: &blocks,
        recipients: &recipients,
        number: Some(&number),
        attachments: &atts,
    })?;
    documents::Entity::update_many()
        .col_expr(documents::Column::Number, Expr::value(number.clone()))
        .col_expr(documents::Column::NumberNo, Expr::value(n))
        .col_expr(documents::Column::Year, Expr::value(year))
        .col_expr(documents::Column::ContentSha256, Expr::value(sha.clone()))
        .filter(documents::Column::Id.eq(d.id.clone()))
        .exec(&*op.tx)
        .await?;
    op.review_row("signoff", ctx, &on_behalf, true, &opinion).await?;
    let actor = ctx.actor_for(on_behalf);
    op.record(&actor, "outgoing.signoff", Some(signed), Some(&format!("签发：{opinion}"))).await?;
    let number_note = format!("发文字号 {number}；内容已冻结（SHA-256 {sha}）");
    let change = Change::new(&d.unit_id, OBJECT_TYPE, &d.id, "outgoing.number")
        .states(Some(signed.as_str()), Some(numbered.as_str()))
        .note(Some(&number_note))
        .snapshots(Value::Null, json!({"number": number, "content_sha256": sha}));
    trail::record(&*op.tx, op.now, &actor, change).await?;
    op.commit().await
}

/// D08: after sign-off a change goes through a request the signer approves.
pub async fn request_change(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    reason: Option<&str>,
    title: Option<String>,
    body: Vec<Block>,
) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    op.check_state(Command::RequestChange)?;
    let on_behalf = op.as_drafter(ctx)?;
    let reason = required_text("reason", reason, "修改理由")?;
    if !op.doc.pending_change_requests().is_empty() {
        return Err(AppError::conflict("已有一份待签发领导审批的修改申请，请等待其审批结果"));
    }
    let cr_id = new_id();
    change_requests::ActiveModel {
        id: Set(cr_id.clone()),
        unit_id: Set(op.doc.d.unit_id.clone()),
        document_id: Set(op.doc.d.id.clone()),
        requester_id: Set(ctx.user_id.clone()),
        on_behalf_of: Set(on_behalf.clone()),
        reason: Set(reason.clone()),
        title: Set(title),
        body: Set(serde_json::to_string(&body)?),
        state: Set("pending".into()),
        decided_by: Set(None),
        decided_on_behalf_of: Set(None),
        opinion: Set(None),
        decided_at: Set(None),
        version_no: Set(None),
        created_at: Set(op.now),
        version: Set(1),
    }
    .insert(&*op.tx)
    .await?;
    op.save(op.doc.state, vec![]).await?;
    op.record(&ctx.actor_for(on_behalf), "outgoing.change_request", None, Some(&format!("提出修改申请：{reason}"))).await?;
    op.commit().await?;
    Ok(cr_id)
}

/// D08: the signing leader approves (new version, old kept, new hash) or rejects; D12.
pub async fn decide_change(state: &AppState, ctx: &Ctx, cr_id: &str, approve: bool, opinion: Option<&str>) -> AppResult<String> {
    let cr = change_requests::Entity::find_by_id(cr_id.to_string()).one(&state.db.conn).await?.ok_or_else(AppError::not_found)?;
    let op = Op::begin(state, &cr.document_id).await?;
    op.require_reader(ctx).await?;
    // Re-read inside the transaction.
    let cr = change_requests::Entity::find_by_id(cr_id.to_string()).one(&*op.tx).await?.ok_or_else(AppError::not_found)?;
    op.check_state(Command::DecideChange)?;
    let signer: Vec<String> = op.doc.d.signed_by.clone().into_iter().collect();
    let on_behalf = op.org.act_as(&ctx.user_id, &signer).flatten();
    rules::check_separation(Duty::Approve, &cr.requester_id, &ctx.user_id, on_behalf.as_deref())?;
    if let Some(orig) = &cr.on_behalf_of {
        rules::check_separation(Duty::Approve, orig, &ctx.user_id, on_behalf.as_deref())?;
    }
    let on_behalf = op.act_as(ctx, &signer, "签发该公文的领导")?;
    if cr.state != "pending" {
        return Err(AppError::conflict("该修改申请已审批"));
    }
    let opinion = if approve {
        optional_text(opinion).unwrap_or_else(|| "同意修改".into())
    } else {
        required_text("opinion", opinion, "不同意的理由")?
    };
    let d = &op.doc.d;
    let mut version_no: Option<i32> = None;
    let mut sets = vec![];
    if approve {
        let body: Vec<Block> = serde_json::from_str(&cr.body)?;
        let title = cr.title.clone().unwrap_or_else(|| d.title.clone());
        let recipients = parse_recipients(&d.recipients)?;
        let v = d.body_version + 1;
        let sha = op
            .add_version(ctx, &on_behalf, NewVersion {
                version_no: v,
                title: &title,
                body: &body,
                recipients: &recipients,
                reason: "change_request",
                change_request_id: Some(&cr.id),
            })
            .await?;
        version_no = Some(v);
        sets.push((documents::Column::Title, Expr::value(title)));
        sets.push((documents::Column::Body, Expr::value(serde_json::to_string(&body)?)));
        sets.push((documents::Column::BodyVersion, Expr::value(v)));
        // The version's hash covers the number too: it is the new frozen content.
        sets.push((documents::Column::ContentSha256, Expr::value(sha)));
    }
    let res = change_requests::Entity::update_many()
        .col_expr(change_requests::Column::State, Expr::value(if approve { "approved" } else { "rejected" }))
        .col_expr(change_requests::Column::DecidedBy, Expr::value(ctx.user_id.clone()))
        .col_expr(change_requests::Column::DecidedOnBehalfOf, Expr::value(on_behalf.clone()))
        .col_expr(change_requests::Column::Opinion, Expr::value(opinion.clone()))
        .col_expr(change_requests::Column::DecidedAt, Expr::value(op.now))
        .col_expr(change_requests::Column::VersionNo, Expr::value(version_no))
        .col_expr(change_requests::Column::Version, Expr::value(cr.version + 1))
        .filter(change_requests::Column::Id.eq(cr.id.clone()))
        .filter(change_requests::Column::Version.eq(cr.version))
        .exec(&*op.tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("该修改申请已被处理，请刷新"));
    }
    op.save(op.doc.state, sets).await?;
    let note = match version_no {
        Some(v) => format!("签发领导同意修改，形成第 {v} 版（原版本保留）：{opinion}"),
        None => format!("签发领导不同意修改：{opinion}"),
    };
    let action = if approve { "outgoing.change_request.approve" } else { "outgoing.change_request.reject" };
    op.record(&ctx.actor_for(on_behalf), action, None, Some(&note)).await?;
    op.commit().await
}

/// D14: the clerk issues (印发); the document is archived with its versions and trail.
pub async fn issue(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<String> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    let issued = op.next(Command::Issue, Facts::default())?;
    let archived = rules::apply(issued, Command::Archive, Facts::default())?;
    let clerks = op.org.holders(Role::Clerk);
    let on_behalf = op.act_as(ctx, &clerks, "办公室文秘")?;
    if !op.doc.pending_change_requests().is_empty() {
        return Err(AppError::rule("D08", "该公文有待审批的修改申请，审批后才能印发"));
    }
    op.save(archived, vec![
        (documents::Column::IssuedBy, Expr::value(ctx.user_id.clone())),
        (documents::Column::IssuedAt, Expr::value(op.now)),
        (documents::Column::ArchivedAt, Expr::value(op.now)),
    ])
    .await?;
    let d = &op.doc.d;
    let actor = ctx.actor_for(on_behalf);
    op.record(&actor, "outgoing.issue", Some(issued), Some(&format!("印发 {}", d.number.clone().unwrap_or_default()))).await?;
    let change = Change::new(&d.unit_id, OBJECT_TYPE, &d.id, "outgoing.archive")
        .states(Some(issued.as_str()), Some(archived.as_str()))
        .note(Some("电子文档网上存档（含各版本和办理记录）"))
        .permanent();
    trail::record(&*op.tx, op.now, &actor, change).await?;
    // The archive record (R18, D14): a snapshot of the document with its versions and trail,
    // its GB/T 9704 PDF, its attachments, and the manifest of SHA-256 digests of every file.
    let fresh = Doc::load(&*op.tx, &d.id).await?;
    let mut snapshot = view::full(&*op.tx, &fresh, &op.org, true).await?;
    snapshot["kind"] = json!(OBJECT_TYPE);
    let rendered = async {
        let model = crate::http::pdfs::official_document(state, &fresh).await?;
        let bytes = crate::pdf::render_document(state, model).await?;
        crate::uploads::write_blob(state, &bytes).await
    }
    .await;
    snapshot["rendered"] = match rendered {
        Ok(sha) => json!([{ "path": format!("{}.pdf", d.number.clone().unwrap_or_else(|| "document".into())), "sha256": sha }]),
        Err(e) => {
            tracing::warn!(error = %e, document = %d.id, "archive: document PDF not rendered");
            json!([])
        }
    };
    let files = crate::minutes::archive::package_files(state, &snapshot).await?;
    let mut manifest = crate::minutes::archive::manifest_of(&files);
    manifest["document_id"] = json!(d.id);
    manifest["content_sha256"] = json!(d.content_sha256);
    let content = serde_json::to_string(&snapshot)?;
    archive_items::ActiveModel {
        id: Set(new_id()),
        unit_id: Set(d.unit_id.clone()),
        kind: Set(OBJECT_TYPE.into()),
        title: Set(d.title.clone()),
        proposal_id: Set(d.linked_proposal_id.clone()),
        meeting_id: Set(None),
        minutes_id: Set(None),
        publication_id: Set(None),
        category: Set(Some(d.doc_type.clone())),
        serial: Set(d.number.clone()),
        content: Set(content),
        manifest: Set(manifest.to_string()),
        created_by: Set(ctx.user_id.clone()),
        created_at: Set(op.now),
    }
    .insert(&*op.tx)
    .await?;
    op.commit().await
}

// ---------------------------------------------------------------- escalation (D10)

/// D10: a leader pauses the document and opens a linked 三重一大 proposal (draft) for the
/// main section to complete. Routing resumes when the proposal is decided.
pub async fn escalate(state: &AppState, ctx: &Ctx, id: &str, reason: Option<&str>, category: Category) -> AppResult<(String, String)> {
    let op = Op::begin(state, id).await?;
    op.require_reader(ctx).await?;
    let next = op.next(Command::Escalate, Facts::default())?;
    let mut leaders: Vec<String> = op.doc.deputy_in_charge(&op.org).into_iter().collect();
    leaders.extend(op.org.holders(Role::Principal));
    let on_behalf = op.act_as(ctx, &leaders, "主办处室的分管领导或主要领导")?;
    let reason = required_text("reason", reason, "提交集体决策的理由")?;
    let d = &op.doc.d;
    // Escalating a paused document resolves its disagreements this way (D05).
    let resume_to = if op.doc.state == State::Paused {
        for row in op.doc.open_disagreements() {
            countersigns::Entity::update_many()
                .col_expr(countersigns::Column::Resolution, Expr::value("escalated"))
                .col_expr(countersigns::Column::ResolutionNote, Expr::value(format!("提交集体决策：{reason}")))
                .col_expr(countersigns::Column::Version, Expr::value(row.version + 1))
                .filter(countersigns::Column::Id.eq(row.id.clone()))
                .exec(&*op.tx)
                .await?;
        }
        d.paused_from.clone().unwrap_or_else(|| State::Countersigning.as_str().to_string())
    } else {
        op.doc.state.as_str().to_string()
    };
    // After the decision, a document whose countersigning is complete goes on to consolidation.
    let resume_to = if resume_to == State::Countersigning.as_str() && op.doc.outstanding().is_empty() {
        State::Consolidating.as_str().to_string()
    } else {
        resume_to
    };
    // The proposal is the deliberation flow's own draft (part 1's `insert_draft`, which also
    // writes its trail entry); the main section completes its materials (R02) and submits it.
    let actor = ctx.actor_for(on_behalf.clone());
    let materials = Materials {
        topic: d.title.clone(),
        background: format!("公文《{}》办理中提交集体决策。理由：{reason}", d.title),
        research: String::new(),
        recommendation: String::new(),
    };
    let proposal = crate::deliberation::proposals::insert_draft(&*op.tx, op.now, &d.unit_id, &d.drafter_id, &actor, NewProposal {
        category,
        title: d.title.clone(),
        amount: d.amount_fen.map(Money::from_fen),
        payee: d.payee.clone(),
        materials,
        flags: Flags::default(),
        urgent: false,
        needs_superior_approval: false,
        confidential: false,
        conflicts: Vec::new(),
        section_id: Some(d.main_section_id.clone()),
        linked_document_id: Some(d.id.clone()),
    })
    .await?;
    let proposal_id = proposal.id;
    op.save(next, vec![
        (documents::Column::PausedFrom, Expr::value(resume_to)),
        (documents::Column::PauseReason, Expr::value(format!("提交集体决策：{reason}"))),
        (documents::Column::LinkedProposalId, Expr::value(proposal_id.clone())),
    ])
    .await?;
    op.review_row("escalation", ctx, &on_behalf, true, &reason).await?;
    op.record(&actor, "outgoing.escalate", Some(next), Some(&format!("提交“三重一大”集体决策（{}）：{reason}", category.label())))
        .await?;
    let doc_id = op.commit().await?;
    Ok((doc_id, proposal_id))
}

/// D10: called by the deliberation flow, in its transaction, whenever a proposal that may be
/// linked to a document is decided (adopted, rejected or deferred; also after a superior's
/// approval, R14). Idempotent: only documents still `escalated` on this proposal move —
/// adopted: back to the step they were paused at; rejected: returned to the drafter;
/// deferred or not yet effective: they keep waiting.
pub async fn on_proposal_decided(tx: &impl ConnectionTrait, proposal_id: &str) -> AppResult<()> {
    let Some(p) = proposals::Entity::find_by_id(proposal_id.to_string()).one(tx).await? else {
        return Ok(());
    };
    let cmd = if proposal_adopted(&p) {
        Command::ProposalAdopted
    } else if p.outcome.as_deref() == Some("rejected") {
        Command::ProposalRejected
    } else {
        return Ok(());
    };
    let at = p.decided_at.unwrap_or(p.updated_at);
    let docs = documents::Entity::find()
        .filter(documents::Column::LinkedProposalId.eq(proposal_id))
        .filter(documents::Column::State.eq(State::Escalated.as_str()))
        .all(tx)
        .await?;
    for d in docs {
        let paused_from: Option<State> = d.paused_from.as_deref().and_then(|s| s.parse().ok());
        let next = rules::apply(State::Escalated, cmd, Facts { paused_from, ..Facts::default() })?;
        let mut u = documents::Entity::update_many()
            .col_expr(documents::Column::State, Expr::value(next.as_str()))
            .col_expr(documents::Column::PausedFrom, Expr::value(Option::<String>::None))
            .col_expr(documents::Column::PauseReason, Expr::value(Option::<String>::None))
            .col_expr(documents::Column::Version, Expr::value(d.version + 1))
            .col_expr(documents::Column::UpdatedAt, Expr::value(at));
        if next == State::Returned {
            u = u.col_expr(documents::Column::ReturnedAt, Expr::value(at));
        }
        let res = u
            .filter(documents::Column::Id.eq(d.id.clone()))
            .filter(documents::Column::Version.eq(d.version))
            .exec(tx)
            .await?;
        if res.rows_affected != 1 {
            return Err(AppError::conflict("关联公文已被他人处理，请重试"));
        }
        let note = match cmd {
            Command::ProposalAdopted => format!("议题《{}》经集体决策通过，恢复办理", p.title),
            _ => format!("议题《{}》经集体决策未通过，退回拟稿人", p.title),
        };
        let change = Change::new(&d.unit_id, OBJECT_TYPE, &d.id, "outgoing.resume")
            .states(Some(State::Escalated.as_str()), Some(next.as_str()))
            .note(Some(&note));
        trail::record(tx, at, &Actor::system(), change).await?;
    }
    Ok(())
}

/// Validates and parses a body given as JSON.
pub fn parse_body(v: &Value) -> AppResult<Vec<Block>> {
    Ok(body::parse_body(v)?)
}
