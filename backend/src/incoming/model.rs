//! What the incoming-document services share: the organisation snapshot of a unit (who
//! holds which role, section heads, deputies by division of labour, backups), the loaded
//! document with its assignments, the pending work on a document (which feeds both the
//! to-do list and the actions shown on the document), and visibility (D13).
use crate::error::{AppError, AppResult};
use crate::store::entities::{
    incoming_assignments as assignments, incoming_documents as documents, incoming_instructions as instructions,
    incoming_reminders as reminders, memberships, sections, trail, users,
};
use chrono::NaiveDate;
use sea_orm::sea_query::{DynIden, Expr, ExprTrait, IntoIden, Query, UnionType};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeMap, BTreeSet};
use yishi_domain::roles::{Role, effective_roles};
use yishi_domain::routing::incoming::{AssignmentRole, Command, Kind, State};

pub const OBJECT_TYPE: &str = "incoming";

/// (effective roles, section id, backup user id) of one member.
pub type Person = (Vec<Role>, Option<String>, Option<String>);

/// A unit's people and sections, loaded once per request.
#[derive(Clone, Debug, Default)]
pub struct OrgSnapshot {
    /// user id → person
    pub people: BTreeMap<String, Person>,
    /// section id → (name, deputy in charge)
    pub sections: BTreeMap<String, (String, Option<String>)>,
}

impl OrgSnapshot {
    pub async fn load(db: &impl ConnectionTrait, unit_id: &str) -> AppResult<OrgSnapshot> {
        let mut people = BTreeMap::new();
        for m in memberships::Entity::find().filter(memberships::Column::UnitId.eq(unit_id)).all(db).await? {
            people.insert(m.user_id, (effective_roles(&crate::authz::parse_roles(&m.roles)), m.section_id, m.backup_user_id));
        }
        let mut secs = BTreeMap::new();
        for s in sections::Entity::find().filter(sections::Column::UnitId.eq(unit_id)).all(db).await? {
            secs.insert(s.id, (s.name, s.deputy_id));
        }
        Ok(OrgSnapshot { people, sections: secs })
    }

    /// Holders of a role, ordered by user id (deterministic "first").
    pub fn holders(&self, role: Role) -> Vec<String> {
        self.people.iter().filter(|(_, (r, _, _))| r.contains(&role)).map(|(u, _)| u.clone()).collect()
    }

    pub fn roles(&self, user: &str) -> Vec<Role> {
        self.people.get(user).map(|p| p.0.clone()).unwrap_or_default()
    }

    pub fn section_of(&self, user: &str) -> Option<String> {
        self.people.get(user).and_then(|p| p.1.clone())
    }

    pub fn backup_of(&self, user: &str) -> Option<String> {
        self.people.get(user).and_then(|p| p.2.clone())
    }

    pub fn heads_of(&self, section: &str) -> Vec<String> {
        self.people
            .iter()
            .filter(|(_, (r, s, _))| r.contains(&Role::SectionHead) && s.as_deref() == Some(section))
            .map(|(u, _)| u.clone())
            .collect()
    }

    pub fn deputy_of(&self, section: &str) -> Option<String> {
        self.sections.get(section).and_then(|s| s.1.clone())
    }

    pub fn section_name(&self, section: &str) -> String {
        self.sections.get(section).map(|s| s.0.clone()).unwrap_or_default()
    }

    /// Sections whose deputy in charge is `user` (分工).
    pub fn sections_in_charge(&self, user: &str) -> BTreeSet<String> {
        self.sections.iter().filter(|(_, (_, d))| d.as_deref() == Some(user)).map(|(id, _)| id.clone()).collect()
    }
}

/// A document with its sections' parts.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub doc: documents::Model,
    pub assignments: Vec<assignments::Model>,
}

impl Loaded {
    pub async fn load(db: &impl ConnectionTrait, id: &str) -> AppResult<Loaded> {
        let doc = documents::Entity::find_by_id(id.to_string()).one(db).await?.ok_or_else(AppError::not_found)?;
        let assignments = assignments::Entity::find()
            .filter(assignments::Column::DocumentId.eq(id))
            .order_by_asc(assignments::Column::CreatedAt)
            .order_by_asc(assignments::Column::Id)
            .all(db)
            .await?;
        Ok(Loaded { doc, assignments })
    }

    pub fn state(&self) -> AppResult<State> {
        parse_state(&self.doc.state)
    }

    pub fn kind(&self) -> AppResult<Kind> {
        self.doc.kind.parse::<Kind>().map_err(|e| AppError::internal(e.to_string()))
    }

    pub fn main(&self) -> Option<&assignments::Model> {
        self.assignments.iter().find(|a| a.role == AssignmentRole::Main.as_str())
    }

    pub fn open_co_parts(&self) -> usize {
        self.assignments.iter().filter(|a| a.role == AssignmentRole::Co.as_str() && a.done_at.is_none()).count()
    }

    /// Sections taking part (main first).
    pub fn section_ids(&self) -> Vec<String> {
        let mut out: Vec<String> = self.doc.main_section_id.iter().cloned().collect();
        out.extend(co_sections(&self.doc));
        out
    }
}

pub fn parse_state(s: &str) -> AppResult<State> {
    s.parse::<State>().map_err(|e| AppError::internal(e.to_string()))
}

pub fn co_sections(doc: &documents::Model) -> Vec<String> {
    serde_json::from_str(&doc.co_section_ids).unwrap_or_default()
}

/// D03: the leaders a document goes to by division of labour — the deputies in charge of
/// its main and co-handling sections; the principal when none is set, and for major items.
pub fn leaders_in_charge(org: &OrgSnapshot, l: &Loaded) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in l.section_ids() {
        if let Some(d) = org.deputy_of(&s).filter(|d| !out.contains(d)) {
            out.push(d);
        }
    }
    if out.is_empty() || l.doc.major {
        for p in org.holders(Role::Principal) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// One piece of pending work on a document: who it waits for (`assignees`; their backups
/// take it over while they are absent, D11).
#[derive(Clone, Debug)]
pub struct WorkItem {
    /// Task kind in the to-do list, e.g. "incoming.accept".
    pub kind: &'static str,
    pub command: Option<Command>,
    pub section_id: Option<String>,
    pub assignees: Vec<String>,
    pub title: String,
}

/// The pending work on a document, derived from its state (the same rules the services
/// enforce), plus the supervision reminders that still apply.
pub fn work_items(
    org: &OrgSnapshot,
    l: &Loaded,
    reading_leaders_done: &BTreeSet<String>,
    doc_reminders: &[reminders::Model],
) -> Vec<WorkItem> {
    let d = &l.doc;
    let Ok(state) = parse_state(&d.state) else { return Vec::new() };
    let kind = d.kind.parse::<Kind>().unwrap_or(Kind::Approval);
    let name = format!("《{}》（{}）", d.title, d.source_number);
    let mut out = Vec::new();
    let mut push = |kind: &'static str, command: Option<Command>, section_id: Option<String>, assignees: Vec<String>, title: String| {
        if !assignees.is_empty() {
            out.push(WorkItem { kind, command, section_id, assignees, title });
        }
    };
    match state {
        State::Registered => {
            if d.major && d.principal_instructed_at.is_none() {
                push("incoming.principal_instruction", Some(Command::PrincipalInstruct), None, org.holders(Role::Principal), format!("重大事项收文待批示：{name}"));
            } else {
                push("incoming.distribute", Some(Command::Distribute), None, org.holders(Role::Clerk), format!("收文待分办：{name}"));
            }
        }
        State::Distributed | State::Accepted | State::InProgress | State::Instructed => {
            for a in &l.assignments {
                let is_main = a.role == AssignmentRole::Main.as_str();
                let part = if is_main { "主办" } else { "协办" };
                match (&a.handler_id, a.accepted_at, a.done_at) {
                    (None, _, _) if !is_main || state == State::Distributed => push(
                        "incoming.assign",
                        Some(if is_main { Command::AssignMain } else { Command::AssignCo }),
                        Some(a.section_id.clone()),
                        org.heads_of(&a.section_id),
                        format!("收文待分派承办人（{}{}）：{name}", org.section_name(&a.section_id), part),
                    ),
                    (Some(h), None, _) => push(
                        "incoming.accept",
                        Some(if is_main { Command::AcceptMain } else { Command::AcceptCo }),
                        Some(a.section_id.clone()),
                        vec![h.clone()],
                        format!("收文待签收（{}）：{name}", part),
                    ),
                    (Some(h), Some(_), None) => push(
                        "incoming.handle",
                        Some(if is_main { Command::CompleteMain } else { Command::CompleteCo }),
                        Some(a.section_id.clone()),
                        vec![h.clone()],
                        format!("收文待办理（{}）：{name}", part),
                    ),
                    _ => {}
                }
            }
            if kind == Kind::NonApproval && d.reviewed_at.is_none() && matches!(state, State::Accepted | State::InProgress) {
                push("incoming.review", Some(Command::Review), None, org.holders(Role::OfficeDirector), format!("收文待审核（呈领导阅批前）：{name}"));
            }
            if kind == Kind::NonApproval && d.reviewed_at.is_some() {
                for leader in leaders_in_charge(org, l) {
                    if !reading_leaders_done.contains(&leader) {
                        push("incoming.instruct", Some(Command::Instruct), None, vec![leader], format!("收文待阅批：{name}"));
                    }
                }
            }
            for r in doc_reminders {
                if let Some(a) = &r.assignee_id {
                    push(
                        "incoming.supervision",
                        None,
                        None,
                        vec![a.clone()],
                        format!("督办（第{}级·{}）：{name}已逾期，请抓紧办理", r.level, level_label(r.level)),
                    );
                }
            }
        }
        State::Done => push("incoming.archive", Some(Command::Archive), None, org.holders(Role::Clerk), format!("收文已办结待归档：{name}")),
        State::Archived => {}
    }
    out
}

/// The to-do list's narrowing in SQL: documents on which [`work_items`] may hold work for one
/// of `identities` (the user, then the absent colleagues they back today). A superset — the
/// exact test stays [`work_items`] and [`items_for`] — that follows `work_items` case by case:
/// registration and archiving (principals, clerks), parts to assign (the section's heads), to
/// accept or handle (the handler), the office director's review, the leaders' reading (the
/// deputies in charge of the sections; principals), and supervision reminders (their assignee).
/// Keep the two in step when either changes. Correlated EXISTS on the parts' and reminders'
/// `document_id` indexes, so only the unit's open documents are probed.
pub fn may_have_work(org: &OrgSnapshot, identities: &[String]) -> Condition {
    let has = |r: Role| identities.iter().any(|u| org.roles(u).contains(&r));
    let states = |ss: &[State]| ss.iter().map(|s| s.as_str()).collect::<Vec<_>>();
    let mut c = Condition::any();
    if has(Role::Principal) {
        // Major items before distribution; reading when no deputy is in charge, and major items.
        c = c.add(documents::Column::State.is_in(states(&[
            State::Registered,
            State::Distributed,
            State::Accepted,
            State::InProgress,
            State::Instructed,
        ])));
    }
    if has(Role::Clerk) {
        c = c.add(documents::Column::State.is_in(states(&[State::Registered, State::Done])));
    }
    if has(Role::OfficeDirector) {
        c = c.add(documents::Column::State.is_in(states(&[State::Accepted, State::InProgress])));
    }
    let mut sections: BTreeSet<String> = BTreeSet::new();
    for u in identities {
        if org.roles(u).contains(&Role::SectionHead) {
            sections.extend(org.section_of(u));
        }
        // Deputy in charge by division of labour (whatever their roles, as `leaders_in_charge`).
        sections.extend(org.sections_in_charge(u));
    }
    let this_doc = |col: DynIden, table: DynIden| Expr::col((table, col)).equals((documents::Entity, documents::Column::Id));
    let mut part = Condition::any().add(assignments::Column::HandlerId.is_in(identities.iter().cloned()));
    if !sections.is_empty() {
        part = part.add(assignments::Column::SectionId.is_in(sections));
    }
    let parts = Query::select()
        .expr(Expr::val(1))
        .from(assignments::Entity)
        .cond_where(Condition::all().add(this_doc(assignments::Column::DocumentId.into_iden(), assignments::Entity.into_iden())).add(part))
        .to_owned();
    let reminded = Query::select()
        .expr(Expr::val(1))
        .from(reminders::Entity)
        .cond_where(
            Condition::all()
                .add(this_doc(reminders::Column::DocumentId.into_iden(), reminders::Entity.into_iden()))
                .add(reminders::Column::AssigneeId.is_in(identities.iter().cloned())),
        )
        .to_owned();
    c.add(Expr::exists(parts)).add(Expr::exists(reminded))
}

pub fn level_label(level: i32) -> &'static str {
    match level {
        1 => "承办人",
        2 => "处室负责人",
        _ => "办公室",
    }
}

/// For one user: which of the work items are theirs — as themselves, or on behalf of an
/// absent colleague whose backup they are (D11). `backing` = the absent users they back today.
pub fn items_for<'a>(items: &'a [WorkItem], user: &str, backing: &[String]) -> Vec<(&'a WorkItem, Option<String>)> {
    let mut out = Vec::new();
    for it in items {
        if it.assignees.iter().any(|a| a == user) {
            out.push((it, None));
        } else if let Some(a) = it.assignees.iter().find(|a| backing.contains(a)) {
            out.push((it, Some(a.clone())));
        }
    }
    out
}

/// D13 visibility: while a document is processed its opinions and trail are seen only by its
/// participants, their leaders and the inspectors. Participants: the office (clerks, office
/// director) who register and route every incoming document, the principal, the deputies in
/// charge of the sections involved, those sections' heads, the assigned handlers, anyone who
/// acted on it or was sent a reminder — and whoever currently acts for one of them as backup.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// The user and the absent colleagues they back today.
    pub identities: Vec<String>,
    /// Documents the user acted on (trail) or was reminded about — of those asked about in
    /// [`Viewer::load`] (one document: the user's whole history is not loaded per request).
    pub touched: BTreeSet<String>,
}

impl Viewer {
    /// The viewer of document `doc_id`.
    pub async fn load(db: &impl ConnectionTrait, unit_id: &str, user_id: &str, today: NaiveDate, doc_id: &str) -> AppResult<Viewer> {
        let mut identities = vec![user_id.to_string()];
        identities.extend(crate::org::absent_principals_of_backup(db, unit_id, user_id, today).await?);
        let mut touched = BTreeSet::new();
        for t in trail::Entity::find()
            .filter(trail::Column::ObjectType.eq(OBJECT_TYPE))
            .filter(trail::Column::ObjectId.eq(doc_id))
            .filter(trail::Column::UnitId.eq(unit_id))
            .filter(Condition::any().add(trail::Column::ActorId.eq(user_id)).add(trail::Column::OnBehalfOf.eq(user_id)))
            .all(db)
            .await?
        {
            touched.insert(t.object_id);
        }
        for r in reminders::Entity::find()
            .filter(reminders::Column::UnitId.eq(unit_id))
            .filter(reminders::Column::DocumentId.eq(doc_id))
            .filter(Condition::any().add(reminders::Column::RecipientId.eq(user_id)).add(reminders::Column::AssigneeId.eq(user_id)))
            .all(db)
            .await?
        {
            touched.insert(r.document_id);
        }
        Ok(Viewer { identities, touched })
    }

    pub fn sees(&self, org: &OrgSnapshot, l: &Loaded) -> bool {
        if self.touched.contains(&l.doc.id) {
            return true;
        }
        let involved = l.section_ids();
        self.identities.iter().any(|u| {
            let roles = org.roles(u);
            if roles.iter().any(|r| matches!(r, Role::Inspector | Role::Principal | Role::Clerk | Role::OfficeDirector)) {
                return true;
            }
            if roles.contains(&Role::Deputy) && involved.iter().any(|s| org.deputy_of(s).as_deref() == Some(u.as_str())) {
                return true;
            }
            if roles.contains(&Role::SectionHead) && org.section_of(u).is_some_and(|s| involved.contains(&s)) {
                return true;
            }
            l.assignments.iter().any(|a| a.handler_id.as_deref() == Some(u.as_str()))
        })
    }
}

/// D13 visibility as a SQL condition on `incoming_documents`, for the lists: the same rule
/// as [`Viewer::sees`] without loading what the user touched. `None`: the user (or someone
/// they back today) holds a role that sees every document of the unit. `identities` = the
/// user followed by the absent colleagues they back today (as in [`Viewer`]).
pub fn visibility(org: &OrgSnapshot, unit_id: &str, identities: &[String]) -> Option<Condition> {
    let Some(user) = identities.first() else { return Some(Condition::all().add(Expr::val(1).eq(2))) };
    let all_seeing = [Role::Inspector, Role::Principal, Role::Clerk, Role::OfficeDirector];
    if identities.iter().any(|u| org.roles(u).iter().any(|r| all_seeing.contains(r))) {
        return None;
    }
    // Sections whose documents the identities see: the deputy's sections in charge, the head's section.
    let mut sections: BTreeSet<String> = BTreeSet::new();
    for u in identities {
        let roles = org.roles(u);
        if roles.contains(&Role::Deputy) {
            sections.extend(org.sections_in_charge(u));
        }
        if roles.contains(&Role::SectionHead) {
            sections.extend(org.section_of(u));
        }
    }
    // Involved sections are the main and co-handling sections; distribution gives each an
    // assignment row (and only distribution sets them), so the parts cover both. Handlers: any
    // part assigned to an identity. Empty sets are left out: `x IN ()` would make an OR that no
    // index serves.
    let mut parts = Condition::any().add(assignments::Column::HandlerId.is_in(identities.iter().cloned()));
    if !sections.is_empty() {
        parts = parts.add(assignments::Column::SectionId.is_in(sections.iter().cloned()));
    }
    let mut ids = Query::select().column(assignments::Column::DocumentId).from(assignments::Entity).cond_where(parts).to_owned();
    // Touched by the user themselves: acted on it (or was acted for), or was reminded about it.
    for col in [trail::Column::ActorId, trail::Column::OnBehalfOf] {
        ids.union(
            UnionType::Distinct,
            Query::select()
                .column(trail::Column::ObjectId)
                .from(trail::Entity)
                .and_where(col.eq(user.as_str()))
                .and_where(trail::Column::ObjectType.eq(OBJECT_TYPE))
                .and_where(trail::Column::UnitId.eq(unit_id))
                .to_owned(),
        );
    }
    for col in [reminders::Column::RecipientId, reminders::Column::AssigneeId] {
        ids.union(
            UnionType::Distinct,
            Query::select()
                .column(reminders::Column::DocumentId)
                .from(reminders::Entity)
                .and_where(col.eq(user.as_str()))
                .and_where(reminders::Column::UnitId.eq(unit_id))
                .to_owned(),
        );
    }
    // One IN list: the plan walks it in id order (newest first) and stops after a page.
    Some(Condition::all().add(documents::Column::Id.in_subquery(ids)))
}

/// Leaders who have given a reading instruction (阅批) on the document, by themselves or through a backup.
pub async fn reading_leaders(db: &impl ConnectionTrait, doc_id: &str) -> AppResult<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for i in instructions::Entity::find()
        .filter(instructions::Column::DocumentId.eq(doc_id))
        .filter(instructions::Column::Phase.eq("reading"))
        .all(db)
        .await?
    {
        out.insert(i.on_behalf_of.unwrap_or(i.leader_id));
    }
    Ok(out)
}

pub async fn reminders_of(db: &impl ConnectionTrait, doc_id: &str) -> AppResult<Vec<reminders::Model>> {
    Ok(reminders::Entity::find()
        .filter(reminders::Column::DocumentId.eq(doc_id))
        .order_by_asc(reminders::Column::Level)
        .all(db)
        .await?)
}

/// Display names of the given users.
pub async fn names(db: &impl ConnectionTrait, ids: impl IntoIterator<Item = String>) -> AppResult<BTreeMap<String, String>> {
    let ids: BTreeSet<String> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}
