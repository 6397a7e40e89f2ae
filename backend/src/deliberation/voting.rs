//! Discussion and decision of one agenda item: statements (R10, R12), the chair's path
//! (R11, R12), ballots (R08–R11, secret ballots stored unlinkably), closing the vote and the
//! recorded decision (R13). Live counts go to the chair and the clerk over SSE; a voter gets
//! a receipt.
use super::common::*;
use super::meetings::{attendance_of, present_members, principal_only};
use crate::audit::{self, NewEntry};
use crate::error::{AppError, AppResult};
use super::ballot_queue::Membership;
use crate::http::api::{Ctx, OwnerAndMembership, Preloaded};
use crate::state::AppState;
use crate::store::entities::{ballot_participations, ballots, meeting_items, meetings, proposals, secret_tallies, statements};
use crate::trail::{self, Change};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use yishi_domain::deliberation::rules::{
    AttendanceStatus, Outcome, Path, PathFacts, StatementRole, Tally, VoteMode, check_decision, choose_path, lapse_at,
};
use yishi_domain::deliberation::state::{Command, Facts, ItemState, MeetingState};
use yishi_domain::deliberation::{ProposalState, apply};
use yishi_domain::enums::{BallotChoice, Stance};
use yishi_domain::roles::Role;

// ---------------------------------------------------------------- requests

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct StatementIn {
    pub speaker_id: String,
    /// presenter | deputy | member | principal
    pub role: String,
    /// agree | disagree | defer | none
    pub stance: String,
    pub text: String,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct PathIn {
    /// consensus | vote | defer | secret_ballot
    pub path: String,
    /// named | written (for path vote; personnel items default to secret)
    pub mode: Option<String>,
    /// Required for defer
    pub reason: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct BallotIn {
    /// agree | disagree | defer | abstain
    pub choice: String,
    pub opinion: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Clone, Debug)]
pub struct DecisionIn {
    /// adopted | rejected | deferred
    pub outcome: String,
    pub text: String,
    /// Head-office meetings: required when the decision goes against the count (R13)
    pub override_reason: Option<String>,
}

// ---------------------------------------------------------------- helpers

/// The latest stance of each speaker on an item.
pub fn latest_stances(sts: &[statements::Model]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in sts {
        out.insert(s.speaker_id.clone(), s.stance.clone());
    }
    out
}

/// The agenda item, locked on PostgreSQL so that a ballot and the close of its vote are
/// ordered: the count sees every ballot committed before it, and a ballot after it sees the
/// item counted (R11, R42). Item-level actions take `FOR UPDATE`; the ballot writers take
/// `FOR SHARE`, so they do not wait for each other but the close of the vote waits for them.
/// On SQLite the single writer already orders them. Only inside a write transaction.
pub(super) async fn lock_item(db: &impl ConnectionTrait, meeting_id: &str, proposal_id: &str, lock: LockType) -> AppResult<meeting_items::Model> {
    let mut q = meeting_items::Entity::find()
        .filter(meeting_items::Column::MeetingId.eq(meeting_id))
        .filter(meeting_items::Column::ProposalId.eq(proposal_id));
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock(lock);
    }
    q.one(db).await?.ok_or_else(AppError::not_found)
}

struct ItemCtx {
    m: meetings::Model,
    item: meeting_items::Model,
    p: Option<proposals::Model>,
    should: Vec<String>,
    recused: Vec<String>,
    present: Vec<String>,
}

impl ItemCtx {
    /// Everything about the item, for a write transaction on it (statements, paths, the close
    /// of the vote, the decision): the item is locked, see [`lock_item`].
    async fn load(db: &impl ConnectionTrait, ctx: &Ctx, meeting_id: &str, proposal_id: &str) -> AppResult<ItemCtx> {
        let m = load_meeting(db, meeting_id).await?;
        if !may_read_meeting(db, ctx, &m).await? {
            return Err(AppError::not_found());
        }
        let item = lock_item(db, meeting_id, proposal_id, LockType::Update).await?;
        let p = load_proposal(db, proposal_id).await?;
        let should = should_attend(db, &m).await?;
        let recused = json_ids(&item.recused);
        let present = present_members(db, &m).await?;
        Ok(ItemCtx { m, item, p: Some(p), should, recused, present })
    }

    /// What a ballot's checks need, before its write (`cast`): the meeting and the item as
    /// the route's gate took them ([`preload_ballot`]: read without locks, or kept from recent
    /// ballots; the writer compares them with the rows it locks), then the caller's right to
    /// see the meeting and the should-attend list (from the meeting row for nearly everyone).
    async fn for_ballot(db: &impl ConnectionTrait, ctx: &Ctx, item: meeting_items::Model, m: meetings::Model) -> AppResult<ItemCtx> {
        if !may_read_meeting(db, ctx, &m).await? {
            return Err(AppError::not_found());
        }
        let should = should_attend(db, &m).await?;
        let recused = json_ids(&item.recused);
        Ok(ItemCtx { m, item, p: None, should, recused, present: Vec::new() })
    }

    /// The proposal ([`ItemCtx::load`] reads it; a ballot does not need it).
    fn p(&self) -> AppResult<&proposals::Model> {
        self.p.as_ref().ok_or_else(|| AppError::internal("item context without its proposal"))
    }

    fn require_open(&self) -> AppResult<()> {
        let st = m_state(&self.m)?;
        if st != MeetingState::Open {
            return Err(AppError::conflict(format!("会议当前状态为“{}”，须在会议进行中办理", st.label())).with_details(json!({"state": self.m.state})));
        }
        Ok(())
    }

    /// The item is being voted on (R11).
    fn require_voting(&self) -> AppResult<()> {
        require_voting(&self.item)
    }

    fn item_state(&self) -> AppResult<ItemState> {
        self.item.state.parse().map_err(|_| AppError::internal(format!("bad item state {}", self.item.state)))
    }

    /// Should-attend members minus the recused (R09, R13).
    fn eligible(&self) -> Vec<String> {
        self.should.iter().filter(|u| !self.recused.contains(u)).cloned().collect()
    }

    fn present_eligible(&self) -> Vec<String> {
        self.eligible().into_iter().filter(|u| self.present.contains(u)).collect()
    }

    fn tally_base(&self) -> Tally {
        Tally {
            eligible: u32::try_from(self.eligible().len()).unwrap_or(u32::MAX),
            should_attend: u32::try_from(self.should.len()).unwrap_or(u32::MAX),
            ..Tally::default()
        }
    }
}

async fn statements_of(db: &impl ConnectionTrait, item_id: &str) -> AppResult<Vec<statements::Model>> {
    Ok(statements::Entity::find().filter(statements::Column::ItemId.eq(item_id)).order_by_asc(statements::Column::Seq).all(db).await?)
}

pub(super) async fn chair_and_clerks(db: &impl ConnectionTrait, m: &meetings::Model) -> AppResult<Vec<String>> {
    let mut v: Vec<String> =
        crate::org::holders_of_any(db, &m.unit_id, &[Role::Clerk, Role::Principal]).await?.into_iter().map(|x| x.user_id).collect();
    v.push(m.created_by.clone());
    if let Some(c) = &m.chair_id {
        v.push(c.clone());
    }
    v.sort();
    v.dedup();
    Ok(v)
}

/// Writes the decision onto the proposal: its state, outcome and, for a deferral, the lapse time (R13).
/// How an item concluded, for [`conclude_proposal`].
struct Conclusion<'a> {
    command: Command,
    outcome: Outcome,
    text: &'a str,
    note: &'a str,
}

async fn conclude_proposal(tx: &impl ConnectionTrait, ctx: &Ctx, p: &proposals::Model, now: DateTime<Utc>, c: Conclusion<'_>) -> AppResult<ProposalState> {
    let Conclusion { command, outcome, text, note } = c;
    let from = p_state(p)?;
    let to = apply(from, command, Facts { needs_superior_approval: p.needs_superior_approval, was_deferred: false })?;
    let mut sets = vec![
        (proposals::Column::State, Expr::value(to.as_str())),
        (proposals::Column::Outcome, Expr::value(outcome.as_str())),
        (proposals::Column::DecisionText, Expr::value(text.to_string())),
        (proposals::Column::DecidedAt, Expr::value(now)),
    ];
    if outcome == Outcome::Deferred {
        let settings = crate::org::settings(tx, &p.unit_id).await?;
        let lapse = lapse_at(now, &settings);
        sets.push((proposals::Column::DeferredAt, Expr::value(now)));
        sets.push((proposals::Column::LapseAt, Expr::value(lapse)));
        crate::jobs::schedule(tx, super::LAPSE_JOB, &format!("{}:{}:{}", super::LAPSE_JOB, p.id, now.timestamp()), lapse, json!({"proposal_id": p.id})).await?;
    } else {
        sets.push((proposals::Column::LapseAt, Expr::value(Option::<DateTime<Utc>>::None)));
    }
    update_proposal(tx, p, now, sets).await?;
    let action = match outcome {
        Outcome::Adopted => "proposal.adopt",
        Outcome::Rejected => "proposal.reject",
        Outcome::Deferred => "proposal.defer",
    };
    trail::record(tx, now, &ctx.actor(), Change::new(&p.unit_id, PROPOSAL, &p.id, action).states(Some(from.as_str()), Some(to.as_str())).note(Some(note)))
        .await?;
    // D10: a document escalated into this proposal resumes (adopted) or returns (rejected)
    // in the same transaction as the decision.
    crate::outgoing::on_proposal_decided(tx, &p.id).await?;
    Ok(to)
}

// ---------------------------------------------------------------- statements (R10, R12)

pub async fn add_statement(state: &AppState, ctx: &Ctx, meeting_id: &str, proposal_id: &str, req: StatementIn) -> AppResult<Value> {
    if !ctx.has(Role::Clerk) {
        return Err(AppError::forbidden("发言由办公室工作人员记录"));
    }
    let role = StatementRole::parse_field(&req.role, "role")?;
    let stance = Stance::parse_field(&req.stance, "stance")?;
    let text = text_field("text", &req.text, 10_000)?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let c = ItemCtx::load(&*tx, ctx, meeting_id, proposal_id).await?;
    c.require_open()?;
    if c.item_state()? != ItemState::Pending {
        return Err(AppError::conflict("该议题已结束讨论（已进入表决或已作出决定），不能再记录发言").with_details(json!({"item_state": c.item.state})));
    }
    let speaker = req.speaker_id.as_str();
    let is_chair = c.m.chair_id.as_deref() == Some(speaker);
    let observers = observer_ids(&*tx, meeting_id).await?;
    let is_member = c.should.iter().any(|u| u == speaker);
    if c.recused.iter().any(|u| u == speaker) {
        return Err(AppError::rule("R09", "该成员对本议题须回避，不参与讨论和表决").with_details(json!({"speaker_id": speaker})));
    }
    if is_member && !c.present.iter().any(|u| u == speaker) {
        return Err(AppError::rule("R08", "该成员未登记出席，不能记录其发言（缺席成员可提交书面意见）").with_details(json!({"speaker_id": speaker})));
    }
    let invited = invited(&*tx, &c.m).await?;
    match role {
        StatementRole::Principal if !is_chair => {
            return Err(AppError::rule("R10", "主要领导表态只能由会议主持人（主要领导）作出").with_details(json!({"speaker_id": speaker})));
        }
        StatementRole::Deputy if !is_member || !crate::org::roles_of(&*tx, &c.m.unit_id, speaker).await?.contains(&Role::Deputy) => {
            return Err(AppError::invalid("speaker_id", "分管领导说明须由出席会议的分管领导作出"));
        }
        StatementRole::Member if !is_member && !observers.iter().any(|o| o == speaker) => {
            return Err(AppError::invalid("speaker_id", "发言人须为出席会议的成员或列席人员"));
        }
        StatementRole::Presenter if !invited.iter().any(|u| u == speaker) && c.p()?.proposer_id != speaker => {
            return Err(AppError::invalid("speaker_id", "汇报人须为承办人或参会、列席人员"));
        }
        _ => {}
    }
    if is_chair && role != StatementRole::Principal {
        return Err(AppError::rule("R10", "主持人（主要领导）在充分听取意见后最后表态：请以 role = principal 记录其表态"));
    }
    let sts = statements_of(&*tx, &c.item.id).await?;
    if let Some(last) = sts.iter().find(|s| s.role == StatementRole::Principal.as_str()) {
        return Err(AppError::rule("R10", "主要领导已最后表态（末位表态），此后不再记录其他发言；如需继续讨论请缓议").with_details(json!({"principal_statement_seq": last.seq})));
    }
    let seq = sts.iter().map(|s| s.seq).max().unwrap_or(0) + 1;
    let s = statements::ActiveModel {
        id: Set(new_id()),
        unit_id: Set(c.m.unit_id.clone()),
        meeting_id: Set(meeting_id.to_string()),
        item_id: Set(c.item.id.clone()),
        proposal_id: Set(proposal_id.to_string()),
        seq: Set(seq),
        speaker_id: Set(speaker.to_string()),
        role: Set(role.as_str().to_string()),
        stance: Set(stance.as_str().to_string()),
        text: Set(text),
        recorded_by: Set(ctx.user_id.clone()),
        created_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    update_item(&*tx, &c.item, vec![]).await?;
    audit::append(&*tx, now, &ctx.actor(), NewEntry {
        unit_id: Some(c.m.unit_id.clone()),
        action: "meeting.statement".into(),
        object_type: "meeting_item".into(),
        object_id: Some(c.item.id.clone()),
        before: Value::Null,
        after: json!({"speaker_id": speaker, "role": role.as_str(), "stance": stance.as_str(), "seq": seq}),
        permanent: false,
    })
    .await?;
    tx.commit().await?;
    Ok(json!({"id": s.id, "seq": s.seq, "speaker_id": s.speaker_id, "role": s.role, "stance": s.stance, "text": s.text, "at": s.created_at}))
}

// ---------------------------------------------------------------- the chair's path (R11, R12)

pub async fn choose(state: &AppState, ctx: &Ctx, meeting_id: &str, proposal_id: &str, req: PathIn) -> AppResult<Value> {
    principal_only(ctx)?;
    let path = Path::parse_field(&req.path, "path")?;
    let mode = match req.mode.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => Some(VoteMode::parse_field(m, "mode")?),
        None => None,
    };
    let reason = opt_text("reason", req.reason.as_deref(), 2000)?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let c = ItemCtx::load(&*tx, ctx, meeting_id, proposal_id).await?;
    c.require_open()?;
    if c.item_state()? != ItemState::Pending {
        return Err(AppError::rule("R11", "该议题已进入表决或已作出决定：每个议题只表决一次").with_details(json!({"item_state": c.item.state})));
    }
    let settings = crate::org::settings(&*tx, &c.m.unit_id).await?;
    let sts = statements_of(&*tx, &c.item.id).await?;
    let latest = latest_stances(&sts);
    let stances: Vec<(String, Option<Stance>)> =
        c.present_eligible().into_iter().map(|u| { let s = latest.get(&u).and_then(|s| s.parse().ok()); (u, s) }).collect();
    let facts = PathFacts {
        category: p_category(c.p()?)?,
        urgent: c.p()?.urgent,
        secret_ballot_always: settings.secret_ballot_always,
        split_margin: settings.split_margin,
        stances: &stances,
    };
    let mode = choose_path(path, mode, reason.as_deref(), &facts)?;
    let eligible = c.eligible();
    let mut base = vec![
        (meeting_items::Column::Path, Expr::value(path.as_str())),
        (meeting_items::Column::Mode, Expr::value(mode.map(|m| m.as_str()))),
        (meeting_items::Column::PathReason, Expr::value(reason.clone())),
        (meeting_items::Column::Eligible, Expr::value(to_json(&eligible)?)),
    ];
    let proposal_state;
    match path {
        Path::Consensus => {
            // R12: adopted at once; each assent is recorded.
            let assent: Vec<String> = stances.iter().map(|(u, _)| u.clone()).collect();
            let n = names(&*tx, &assent).await?;
            let mut tally = c.tally_base();
            tally.agree = u32::try_from(assent.len()).unwrap_or(u32::MAX);
            let text = reason.clone().unwrap_or_else(|| "与会成员意见一致，无需表决，一致通过".to_string());
            let mut t = serde_json::to_value(tally)?;
            t["consensus"] = json!(true);
            t["assent"] = json!(assent);
            base.extend([
                (meeting_items::Column::State, Expr::value(ItemState::Decided.as_str())),
                (meeting_items::Column::Tally, Expr::value(t.to_string())),
                (meeting_items::Column::Majority, Expr::value(true)),
                (meeting_items::Column::Outcome, Expr::value(Outcome::Adopted.as_str())),
                (meeting_items::Column::DecisionText, Expr::value(text.clone())),
                (meeting_items::Column::DecidedAt, Expr::value(now)),
                (meeting_items::Column::DecidedBy, Expr::value(ctx.user_id.clone())),
            ]);
            update_item(&*tx, &c.item, base).await?;
            let note = format!("一致通过；表示同意：{}", n.values().cloned().collect::<Vec<_>>().join("、"));
            proposal_state = conclude_proposal(&*tx, ctx, c.p()?, now, Conclusion { command: Command::Consensus, outcome: Outcome::Adopted, text: &text, note: &note }).await?;
        }
        Path::Defer => {
            let text = reason.clone().unwrap_or_default();
            base.extend([
                (meeting_items::Column::State, Expr::value(ItemState::Deferred.as_str())),
                (meeting_items::Column::Outcome, Expr::value(Outcome::Deferred.as_str())),
                (meeting_items::Column::DecisionText, Expr::value(text.clone())),
                (meeting_items::Column::DecidedAt, Expr::value(now)),
                (meeting_items::Column::DecidedBy, Expr::value(ctx.user_id.clone())),
            ]);
            update_item(&*tx, &c.item, base).await?;
            proposal_state = conclude_proposal(&*tx, ctx, c.p()?, now, Conclusion { command: Command::Defer, outcome: Outcome::Deferred, text: &text, note: &format!("缓议：{text}") }).await?;
        }
        Path::Vote | Path::SecretBallot => {
            base.extend([
                (meeting_items::Column::State, Expr::value(ItemState::Voting.as_str())),
                (meeting_items::Column::VoteOpenedAt, Expr::value(now)),
            ]);
            update_item(&*tx, &c.item, base).await?;
            if mode == Some(VoteMode::Secret) {
                secret_tallies::ActiveModel {
                    id: Set(c.item.id.clone()),
                    unit_id: Set(c.m.unit_id.clone()),
                    meeting_id: Set(meeting_id.to_string()),
                    agree: Set(0),
                    disagree: Set(0),
                    defer: Set(0),
                    abstain: Set(0),
                    opinions: Set("[]".into()),
                    version: Set(1),
                }
                .insert(&*tx)
                .await?;
            }
            let from = p_state(c.p()?)?;
            let to = apply(from, Command::OpenVote, Facts::default())?;
            update_proposal(&*tx, c.p()?, now, vec![(proposals::Column::State, Expr::value(to.as_str()))]).await?;
            let label = mode.map(|m| m.label()).unwrap_or("表决");
            trail::record(&*tx, now, &ctx.actor(), Change::new(&c.m.unit_id, PROPOSAL, proposal_id, "proposal.vote_open").states(Some(from.as_str()), Some(to.as_str())).note(Some(label)))
                .await?;
            proposal_state = to;
        }
    }
    trail::record(&*tx, now, &ctx.actor(), Change::new(&c.m.unit_id, MEETING, meeting_id, "meeting.item_path")
        .note(Some(&format!("{}：{}{}", c.p()?.title, path.label(), reason.as_ref().map(|r| format!("（{r}）")).unwrap_or_default()))))
    .await?;
    tx.commit().await?;
    let mut notify = chair_and_clerks(&state.db.conn, &c.m).await?;
    notify.extend(c.present_eligible());
    state.events.publish(notify, "vote", json!({
        "kind": "item_path", "meeting_id": meeting_id, "proposal_id": proposal_id, "path": path.as_str(),
        "mode": mode.map(|m| m.as_str()), "proposal_state": proposal_state.as_str(),
    }));
    item_view(state, ctx, meeting_id, proposal_id).await
}

// ---------------------------------------------------------------- ballots (R08–R11)

/// The item is being voted on (R11): for the caller's checks and again in the ballot writer.
pub(super) fn require_voting(item: &meeting_items::Model) -> AppResult<()> {
    match item.state.parse::<ItemState>().map_err(|_| AppError::internal(format!("bad item state {}", item.state)))? {
        ItemState::Voting => Ok(()),
        ItemState::Pending => Err(AppError::rule("R11", "主持人尚未宣布对该议题进行表决")),
        ItemState::Counted | ItemState::Decided | ItemState::Deferred => {
            Err(AppError::rule("R11", "该议题的表决已结束，不能再投票或更改选票").with_details(json!({"item_state": item.state})))
        }
    }
}

/// R11: a member's second ballot on an item.
pub(super) fn second_ballot() -> AppError {
    AppError::rule("R11", "每位成员对每个议题只能投一票，已投的票不能更改")
}

pub(super) fn random_index(len: usize) -> usize {
    let r = uuid::Uuid::new_v4().as_u128();
    usize::try_from(r % (len as u128 + 1)).unwrap_or(0)
}

/// The item and its meeting, as a ballot's checks read them.
type BallotRows = (meeting_items::Model, meetings::Model);

/// `SELECT item.*, meeting.* FROM meeting_items JOIN meetings`: agenda items with their
/// meetings (columns prefixed `A_` and `B_`), for a ballot's checks and the ballot writer.
pub(super) fn items_with_meetings() -> sea_orm::SelectTwo<meeting_items::Entity, meetings::Entity> {
    let on_meeting = meeting_items::Entity::belongs_to(meetings::Entity)
        .from(meeting_items::Column::MeetingId)
        .to(meetings::Column::Id)
        .into();
    meeting_items::Entity::find().join(sea_orm::JoinType::InnerJoin, on_meeting).select_also(meetings::Entity)
}

/// `SELECT item.*, meeting.*[, membership.roles, membership.section_id] FROM meeting_items
/// JOIN meetings [LEFT JOIN memberships ON the meeting's unit and the user] WHERE …`: the item
/// and its meeting without locks, and the user's membership in the meeting's unit when asked.
async fn ballot_rows(
    db: &impl ConnectionTrait,
    meeting_id: &str,
    proposal_id: &str,
    member: Option<&str>,
) -> AppResult<Option<(BallotRows, Membership)>> {
    use crate::store::entities::memberships;
    use sea_orm::sea_query::{Alias, ExprTrait, JoinType};
    use sea_orm::{FromQueryResult, QueryTrait};
    let mut q = items_with_meetings()
        .filter(meeting_items::Column::MeetingId.eq(meeting_id))
        .filter(meeting_items::Column::ProposalId.eq(proposal_id))
        .into_query();
    if let Some(user_id) = member {
        let mm = Alias::new("mm");
        q.join_as(
            JoinType::LeftJoin,
            memberships::Entity,
            mm.clone(),
            Expr::col((mm.clone(), memberships::Column::UnitId))
                .equals((meetings::Entity, meetings::Column::UnitId))
                .and(Expr::col((mm.clone(), memberships::Column::UserId)).eq(user_id)),
        )
        .expr_as(Expr::col((mm.clone(), memberships::Column::Roles)), Alias::new("m_roles"))
        .expr_as(Expr::col((mm, memberships::Column::SectionId)), Alias::new("m_section_id"));
    }
    let Some(row) = db.query_one(&q).await? else {
        return Ok(None);
    };
    // `select_also` names the first entity's columns A_…, the second's B_….
    let item = meeting_items::Model::from_query_result(&row, "A_")?;
    let m = meetings::Model::from_query_result(&row, "B_")?;
    let membership = if member.is_some() {
        let roles: Option<String> = row.try_get("", "m_roles")?;
        let section: Option<String> = row.try_get("", "m_section_id")?;
        roles.map(|r| (r, section))
    } else {
        None
    };
    Ok(Some(((item, m), membership)))
}

/// What a ballot's checks decide on: the item and its meeting, and the caller's membership
/// of the meeting's unit; `kept` when they come from the rows recent ballots read
/// (`ballot_queue::GateRows`) instead of a statement now.
#[derive(Clone)]
struct BallotPre {
    rows: std::sync::Arc<BallotRows>,
    membership: Membership,
    kept: bool,
}

/// The item, its meeting and the user's membership, read now (and kept for the next ballots).
async fn read_ballot_pre(state: &AppState, meeting_id: &str, proposal_id: &str, user_id: &str) -> AppResult<Option<BallotPre>> {
    let Some((rows, membership)) = ballot_rows(&state.db.conn, meeting_id, proposal_id, Some(user_id)).await? else {
        return Ok(None);
    };
    let rows = std::sync::Arc::new(rows);
    state.ballots.gate.put(rows.clone(), user_id, &membership);
    Ok(Some(BallotPre { rows, membership, kept: false }))
}

/// The ballot route's gate lookup (`Scope::Preload`): the unit that owns the meeting and the
/// caller's membership there, with the item and the meeting for `cast`. Taken from the rows
/// recent ballots read when they are kept (a meeting's members vote on the same item at
/// once), else read in one statement.
pub fn preload_ballot<'a>(
    state: &'a AppState,
    meeting_id: &'a str,
    proposal_id: &'a str,
    user_id: &'a str,
) -> futures::future::BoxFuture<'a, AppResult<Option<(OwnerAndMembership, Preloaded)>>> {
    Box::pin(async move {
        let pre = match state.ballots.gate.get(meeting_id, proposal_id, user_id) {
            Some((rows, member)) => Some(BallotPre { rows, membership: Some(member), kept: true }),
            None => read_ballot_pre(state, meeting_id, proposal_id, user_id).await?,
        };
        Ok(pre.map(|pre| ((pre.rows.1.unit_id.clone(), pre.membership.clone()), Preloaded(std::sync::Arc::new(pre)))))
    })
}

/// Why a ballot was not recorded: refused by the checks made before it was queued, or by
/// the writer.
enum NotCast {
    Checks(AppError),
    Write(AppError),
}

impl From<AppError> for NotCast {
    fn from(e: AppError) -> Self {
        NotCast::Checks(e)
    }
}

impl From<sea_orm::DbErr> for NotCast {
    fn from(e: sea_orm::DbErr) -> Self {
        NotCast::Checks(e.into())
    }
}

/// The caller as the gate would have resolved them from `membership` (read afresh).
fn with_membership(ctx: &Ctx, membership: &Membership) -> AppResult<Ctx> {
    let mut c = ctx.clone();
    match membership {
        None if ctx.admin_role.is_none() => return Err(AppError::not_found()),
        None => (c.roles, c.section_id) = (Vec::new(), None),
        Some((roles, section)) => c.set_member(roles, section.clone()),
    }
    Ok(c)
}

/// A ballot (R08–R11). Decided on the rows the gate took (`preload_ballot`); when those were
/// kept rows, a refusal is decided again on rows read now, and when the writer finds the
/// rows changed before the write, the ballot is checked again on fresh rows (at most three
/// times in all).
pub async fn cast(state: &AppState, ctx: &Ctx, meeting_id: &str, proposal_id: &str, preloaded: Option<Preloaded>, req: BallotIn) -> AppResult<Value> {
    let choice = BallotChoice::parse_field(&req.choice, "choice")?;
    let opinion = opt_text("opinion", req.opinion.as_deref(), 2000)?;
    let mut pre = match preloaded.as_ref().and_then(|p| p.0.downcast_ref::<BallotPre>()) {
        Some(pre) => pre.clone(),
        None => read_ballot_pre(state, meeting_id, proposal_id, &ctx.user_id).await?.ok_or_else(AppError::not_found)?,
    };
    let (mut fresh_ctx, mut attempt) = (None, 1);
    loop {
        let caller = fresh_ctx.as_ref().unwrap_or(ctx);
        match cast_on(state, caller, meeting_id, proposal_id, &pre, choice, opinion.clone()).await {
            Ok(receipt) => return Ok(receipt),
            Err(NotCast::Checks(e)) if !pre.kept => return Err(e),
            Err(NotCast::Write(e)) if !super::ballot_queue::is_rows_changed(&e) || attempt >= 3 => return Err(e),
            Err(_) => {
                attempt += 1;
                pre = read_ballot_pre(state, meeting_id, proposal_id, &ctx.user_id).await?.ok_or_else(AppError::not_found)?;
                fresh_ctx = Some(with_membership(ctx, &pre.membership)?);
            }
        }
    }
}

async fn cast_on(
    state: &AppState,
    ctx: &Ctx,
    meeting_id: &str,
    proposal_id: &str,
    pre: &BallotPre,
    choice: BallotChoice,
    opinion: Option<String>,
) -> Result<Value, NotCast> {
    let now = state.clock.now();
    // A ballot is the hot path of a meeting (every member at once). The checks that no
    // concurrent change can undo are made here, from the rows the gate took: the caller's
    // membership of the meeting (R08), recusal (R09) and the principal's turn (R10: members
    // who voted cannot take it back). The ballot is then written by the ballot queue together
    // with those that arrive meanwhile (group commit), which reads those rows again — the
    // item locked on PostgreSQL — and writes the ballot only if they are unchanged (the vote
    // may have been closed, R11), writes the participation only if the voter is registered
    // present (R08: the clerk may register a departure during the meeting) and has no
    // earlier ballot on the item (the unique index, R11, R42).
    let db = &state.db.conn;
    let (item, meeting) = (*pre.rows).clone();
    let mut c = ItemCtx::for_ballot(db, ctx, item.clone(), meeting).await?;
    c.require_open()?;
    c.require_voting()?;
    let me = ctx.user_id.as_str();
    if !c.should.iter().any(|u| u == me) {
        // Observers are refused as should-attend members when registered, so the observers
        // table matters only for a caller outside the should-attend set: the wording here.
        if observer_ids(db, meeting_id).await?.iter().any(|o| o == me) {
            return Err(AppError::rule("R08", "列席人员可以发言，但不参加表决").into());
        }
        return Err(AppError::rule("R08", "只有应到会的领导班子成员可以表决").into());
    }
    if c.recused.iter().any(|u| u == me) {
        return Err(AppError::rule("R09", "您对该议题须回避，不参加表决").into());
    }
    // R08 (registered present) and R11 (an earlier ballot, by the unique index) are decided
    // by the writer, inside the transaction that records the ballot.
    // R10: in a named vote the principal votes last.
    let mode: VoteMode = c.item.mode.as_deref().unwrap_or("named").parse().map_err(AppError::from)?;
    let is_principal = ctx.has(Role::Principal) || c.m.chair_id.as_deref() == Some(me);
    if mode.is_named() && is_principal {
        c.present = present_members(db, &c.m).await?;
        let voters: Vec<String> = ballot_participations::Entity::find()
            .select_only()
            .column(ballot_participations::Column::VoterId)
            .filter(ballot_participations::Column::ItemId.eq(c.item.id.clone()))
            .into_tuple()
            .all(db)
            .await?;
        if voters.iter().any(|v| v == me) {
            return Err(second_ballot().into());
        }
        let waiting: Vec<String> = c.present_eligible().into_iter().filter(|u| u != me && !voters.contains(u)).collect();
        if !waiting.is_empty() {
            let n = names(db, &waiting).await?;
            return Err(AppError::rule(
                "R10",
                format!("记名表决时主要领导最后表态：请等待其他到会成员投票后再投（尚未投票：{}）", n.values().cloned().collect::<Vec<_>>().join("、")),
            )
            .with_details(json!({"waiting_for": waiting}))
            .into());
        }
    }
    // Written with the ballots that arrive meanwhile, in one transaction (group commit);
    // answered once that transaction is on disk (`ballot_queue`).
    let receipt_id = new_id();
    let eligible = c.eligible();
    let proposal = proposal_id.to_string();
    let item_id = c.item.id.clone();
    state
        .ballots
        .write(super::ballot_queue::BallotWrite {
            meeting: c.m,
            item,
            membership: pre.membership.clone(),
            proposal_id: proposal,
            item_id,
            mode,
            choice,
            opinion,
            voter_id: me.to_string(),
            actor: ctx.actor(),
            at: now,
            receipt_id: receipt_id.clone(),
            eligible,
        })
        .await
        .map_err(NotCast::Write)?;
    let receipt = json!({
        "receipt_id": receipt_id, "meeting_id": meeting_id, "proposal_id": proposal_id, "mode": mode.as_str(),
        "cast_at": now, "choice": if mode.is_named() { json!(choice.as_str()) } else { Value::Null },
        "recorded": true,
    });
    state.events.publish(vec![me.to_string()], "vote", json!({"kind": "ballot_receipt", "receipt": receipt}));
    Ok(receipt)
}

/// The caller's receipt for an item: that they voted, when, and — named modes only — their choice.
pub async fn receipt_of(db: &impl ConnectionTrait, item: &meeting_items::Model, user: &str) -> AppResult<Value> {
    let Some(p) = ballot_participations::Entity::find()
        .filter(ballot_participations::Column::ItemId.eq(item.id.clone()))
        .filter(ballot_participations::Column::VoterId.eq(user))
        .one(db)
        .await?
    else {
        return Ok(Value::Null);
    };
    let named = ballots::Entity::find()
        .filter(ballots::Column::ItemId.eq(item.id.clone()))
        .filter(ballots::Column::VoterId.eq(user))
        .one(db)
        .await?;
    Ok(json!({
        "receipt_id": p.id, "cast_at": p.at, "mode": item.mode,
        "choice": named.as_ref().map(|b| b.choice.clone()), "opinion": named.and_then(|b| b.opinion),
    }))
}

// ---------------------------------------------------------------- count and decision (R13)

async fn count(db: &impl ConnectionTrait, c: &ItemCtx) -> AppResult<Tally> {
    let mut t = c.tally_base();
    if c.item.mode.as_deref() == Some(VoteMode::Secret.as_str()) {
        let s = secret_tallies::Entity::find_by_id(c.item.id.clone()).one(db).await?.ok_or_else(|| AppError::internal("secret tally row missing"))?;
        let n = |v: i32| u32::try_from(v).unwrap_or(0);
        t.agree = n(s.agree);
        t.disagree = n(s.disagree);
        t.defer = n(s.defer);
        t.abstain = n(s.abstain);
    } else {
        for b in ballots::Entity::find().filter(ballots::Column::ItemId.eq(c.item.id.clone())).all(db).await? {
            match b.choice.as_str() {
                "agree" => t.agree += 1,
                "disagree" => t.disagree += 1,
                "defer" => t.defer += 1,
                _ => t.abstain += 1,
            }
        }
    }
    Ok(t)
}

pub async fn close_vote(state: &AppState, ctx: &Ctx, meeting_id: &str, proposal_id: &str) -> AppResult<Value> {
    principal_only(ctx)?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let c = ItemCtx::load(&*tx, ctx, meeting_id, proposal_id).await?;
    c.require_open()?;
    if c.item_state()? != ItemState::Voting {
        return Err(AppError::conflict("该议题不在表决中，无需结束表决").with_details(json!({"item_state": c.item.state})));
    }
    let tally = count(&*tx, &c).await?;
    let majority = tally.majority();
    let mut t = serde_json::to_value(tally)?;
    t["cast"] = json!(tally.cast());
    t["present_eligible"] = json!(c.present_eligible().len());
    t["majority"] = json!(majority);
    update_item(&*tx, &c.item, vec![
        (meeting_items::Column::State, Expr::value(ItemState::Counted.as_str())),
        (meeting_items::Column::VoteClosedAt, Expr::value(now)),
        (meeting_items::Column::Tally, Expr::value(t.to_string())),
        (meeting_items::Column::Majority, Expr::value(majority)),
    ])
    .await?;
    trail::record(&*tx, now, &ctx.actor(), Change::new(&c.m.unit_id, MEETING, meeting_id, "meeting.vote_close").note(Some(&format!(
        "{}：同意 {}，不同意 {}，缓议 {}，弃权 {}；应到会（除回避）{} 人，{}",
        c.p()?.title, tally.agree, tally.disagree, tally.defer, tally.abstain, tally.eligible,
        if majority { "同意票超过半数" } else { "同意票未超过半数" }
    ))))
    .await?;
    tx.commit().await?;
    let mut notify = chair_and_clerks(&state.db.conn, &c.m).await?;
    notify.extend(c.eligible());
    state.events.publish(notify, "vote", json!({"kind": "vote_closed", "meeting_id": meeting_id, "proposal_id": proposal_id}));
    Ok(json!({"tally": t, "majority": majority}))
}

pub async fn decide(state: &AppState, ctx: &Ctx, meeting_id: &str, proposal_id: &str, req: DecisionIn) -> AppResult<Value> {
    principal_only(ctx)?;
    let outcome = Outcome::parse_field(&req.outcome, "outcome")?;
    let text = text_field("text", &req.text, 5000)?;
    let override_reason = opt_text("override_reason", req.override_reason.as_deref(), 5000)?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let c = ItemCtx::load(&*tx, ctx, meeting_id, proposal_id).await?;
    c.require_open()?;
    match c.item_state()? {
        ItemState::Counted => {}
        ItemState::Pending => return Err(AppError::rule("R11", "须先对该议题逐项表决（或一致通过、缓议），才能作出决定")),
        ItemState::Voting => return Err(AppError::rule("R13", "表决尚未结束：请先结束表决（close-vote）计票，再按表决结果作出决定")),
        ItemState::Decided | ItemState::Deferred => {
            return Err(AppError::conflict("该议题已有结论（一致通过、缓议或已作出决定），不能再次决定").with_details(json!({"item_state": c.item.state, "path": c.item.path})));
        }
    }
    let mtype = m_type(&c.m)?;
    let majority = c.item.majority.unwrap_or(false);
    check_decision(mtype, outcome, majority, override_reason.as_deref())?;
    if mtype.count_is_binding() && override_reason.is_some() {
        return Err(AppError::invalid("override_reason", "党组会议、党政联席会议按表决结果作出决定，不适用 override_reason"));
    }
    let against = matches!((outcome, majority), (Outcome::Adopted, false) | (Outcome::Rejected, true));
    let stored_override = if against { override_reason.clone() } else { None };
    update_item(&*tx, &c.item, vec![
        (meeting_items::Column::State, Expr::value(if outcome == Outcome::Deferred { ItemState::Deferred.as_str() } else { ItemState::Decided.as_str() })),
        (meeting_items::Column::Outcome, Expr::value(outcome.as_str())),
        (meeting_items::Column::DecisionText, Expr::value(text.clone())),
        (meeting_items::Column::OverrideReason, Expr::value(stored_override.clone())),
        (meeting_items::Column::DecidedAt, Expr::value(now)),
        (meeting_items::Column::DecidedBy, Expr::value(ctx.user_id.clone())),
    ])
    .await?;
    let command = match outcome {
        Outcome::Adopted => Command::Adopt,
        Outcome::Rejected => Command::Reject,
        Outcome::Deferred => Command::Defer,
    };
    let note = match &stored_override {
        Some(r) => format!("{}：{text}；行政首长决定与表决多数意见不同，理由：{r}", outcome.label()),
        None => format!("{}：{text}", outcome.label()),
    };
    let to = conclude_proposal(&*tx, ctx, c.p()?, now, Conclusion { command, outcome, text: &text, note: &note }).await?;
    tx.commit().await?;
    let mut notify = chair_and_clerks(&state.db.conn, &c.m).await?;
    notify.push(c.p()?.proposer_id.clone());
    notify.extend(c.eligible());
    state.events.publish(notify, "vote", json!({"kind": "decided", "meeting_id": meeting_id, "proposal_id": proposal_id, "outcome": outcome.as_str(), "proposal_state": to.as_str()}));
    item_view(state, ctx, meeting_id, proposal_id).await
}

/// One item of the meeting view (after a path or a decision).
async fn item_view(state: &AppState, ctx: &Ctx, meeting_id: &str, proposal_id: &str) -> AppResult<Value> {
    let m = load_meeting(&state.db.conn, meeting_id).await?;
    if !may_read_meeting(&state.db.conn, ctx, &m).await? {
        return Err(AppError::not_found());
    }
    let mut item = super::meetings::item_of_page(state, ctx, &m, proposal_id).await?;
    let p = load_proposal(&state.db.conn, proposal_id).await?;
    item["proposal_state"] = json!(p_effective_state(&p, state.clock.now())?.as_str());
    Ok(item)
}

/// Whether a member has an attendance record of `present` (for the to-do list).
pub async fn is_present(db: &impl ConnectionTrait, meeting_id: &str, user: &str) -> AppResult<bool> {
    Ok(attendance_of(db, meeting_id).await?.iter().any(|a| a.user_id == user && a.status == AttendanceStatus::Present.as_str()))
}
