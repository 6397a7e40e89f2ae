//! What the outgoing-document services share: the unit's organisation as the flow sees it
//! (roles, sections and their deputies, AB-post backups and today's absences, D11), the
//! loaded document with its countersigns, reviews, external countersigns and change
//! requests, the pending steps with the people they wait for (to-do list, notifications,
//! visibility), and who may read a document (D13).
use crate::error::{AppError, AppResult};
use crate::store::entities::{
    absences, change_requests, memberships, outgoing_countersigns as countersigns, outgoing_documents as documents,
    outgoing_external_countersigns as externals, outgoing_reviews as reviews, sections, trail,
};
use chrono::NaiveDate;
use sea_orm::sea_query::{DynIden, Expr, ExprTrait, IntoIden, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeMap, BTreeSet};
use yishi_domain::enums::IssuingForm;
use yishi_domain::roles::{Role, effective_roles};
use yishi_domain::routing::outgoing::{self as rules, People, SignoffFacts, State};

pub const OBJECT_TYPE: &str = "outgoing";

/// A member of the unit as the flow sees them: effective roles, section, designated backup.
pub type Person = (Vec<Role>, Option<String>, Option<String>);

/// A unit's people, sections and today's absences, loaded once per request.
#[derive(Clone, Debug, Default)]
pub struct Org {
    pub unit_id: String,
    /// user id → (effective roles, section id, backup user id)
    pub people: BTreeMap<String, Person>,
    /// section id → (name, deputy in charge)
    pub sections: BTreeMap<String, (String, Option<String>)>,
    /// Users with an absence period covering today (D11).
    pub absent: BTreeSet<String>,
}

impl Org {
    pub async fn load(db: &impl ConnectionTrait, unit_id: &str, today: NaiveDate) -> AppResult<Org> {
        let mut people = BTreeMap::new();
        for m in memberships::Entity::find().filter(memberships::Column::UnitId.eq(unit_id)).all(db).await? {
            people.insert(m.user_id, (effective_roles(&crate::authz::parse_roles(&m.roles)), m.section_id, m.backup_user_id));
        }
        let mut secs = BTreeMap::new();
        for s in sections::Entity::find().filter(sections::Column::UnitId.eq(unit_id)).all(db).await? {
            secs.insert(s.id, (s.name, s.deputy_id));
        }
        let d = today.format("%Y-%m-%d").to_string();
        let absent = absences::Entity::find()
            .filter(absences::Column::UnitId.eq(unit_id))
            .filter(absences::Column::FromDate.lte(d.clone()))
            .filter(absences::Column::ToDate.gte(d))
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.user_id)
            .collect();
        Ok(Org { unit_id: unit_id.to_string(), people, sections: secs, absent })
    }

    pub fn holders(&self, role: Role) -> Vec<String> {
        self.people.iter().filter(|(_, (r, _, _))| r.contains(&role)).map(|(u, _)| u.clone()).collect()
    }

    pub fn has(&self, user: &str, role: Role) -> bool {
        self.people.get(user).is_some_and(|p| p.0.contains(&role))
    }

    pub fn is_member(&self, user: &str) -> bool {
        self.people.contains_key(user)
    }

    pub fn section_of(&self, user: &str) -> Option<String> {
        self.people.get(user).and_then(|p| p.1.clone())
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

    /// Who acts for `assignee` today: the assignee, or their backup while they are absent
    /// (D11). Same rule as `org::acting_for`, over the loaded snapshot.
    pub fn acting_for(&self, assignee: &str) -> (String, Option<String>) {
        if self.absent.contains(assignee)
            && let Some(b) = self.people.get(assignee).and_then(|p| p.2.clone())
        {
            return (b, Some(assignee.to_string()));
        }
        (assignee.to_string(), None)
    }

    /// May `caller` act as one of `assignees`: `Some(None)` as themselves, `Some(Some(a))`
    /// as the backup of absent `a` (D11), `None` otherwise.
    pub fn act_as(&self, caller: &str, assignees: &[String]) -> Option<Option<String>> {
        if assignees.iter().any(|a| a == caller) {
            return Some(None);
        }
        assignees.iter().find_map(|a| {
            let (acting, on_behalf) = self.acting_for(a);
            (acting == caller).then_some(on_behalf)
        })
    }
}

/// A document with everything its rules look at.
#[derive(Clone, Debug)]
pub struct Doc {
    pub d: documents::Model,
    pub state: State,
    pub form: IssuingForm,
    pub countersigns: Vec<countersigns::Model>,
    pub reviews: Vec<reviews::Model>,
    pub externals: Vec<externals::Model>,
    pub change_requests: Vec<change_requests::Model>,
}

impl Doc {
    pub async fn load(db: &impl ConnectionTrait, id: &str) -> AppResult<Doc> {
        let d = documents::Entity::find_by_id(id.to_string()).one(db).await?.ok_or_else(AppError::not_found)?;
        Doc::from_model(db, d).await
    }

    pub async fn from_model(db: &impl ConnectionTrait, d: documents::Model) -> AppResult<Doc> {
        let state: State = d.state.parse().map_err(AppError::internal)?;
        let form: IssuingForm = d.issuing_form.parse().map_err(AppError::internal)?;
        let countersigns = countersigns::Entity::find()
            .filter(countersigns::Column::DocumentId.eq(d.id.clone()))
            .order_by_asc(countersigns::Column::Round)
            .order_by_asc(countersigns::Column::CreatedAt)
            .order_by_asc(countersigns::Column::Id)
            .all(db)
            .await?;
        let reviews = reviews::Entity::find()
            .filter(reviews::Column::DocumentId.eq(d.id.clone()))
            .order_by_asc(reviews::Column::CreatedAt)
            .order_by_asc(reviews::Column::Id)
            .all(db)
            .await?;
        let externals = externals::Entity::find()
            .filter(externals::Column::DocumentId.eq(d.id.clone()))
            .order_by_asc(externals::Column::CreatedAt)
            .all(db)
            .await?;
        let change_requests = change_requests::Entity::find()
            .filter(change_requests::Column::DocumentId.eq(d.id.clone()))
            .order_by_asc(change_requests::Column::CreatedAt)
            .all(db)
            .await?;
        Ok(Doc { d, state, form, countersigns, reviews, externals, change_requests })
    }

    /// [`Doc::from_model`] for many documents with one query per related table (lists and
    /// the to-do list: a page of documents is five queries, not five per document).
    pub async fn from_models(db: &impl ConnectionTrait, ds: Vec<documents::Model>) -> AppResult<Vec<Doc>> {
        if ds.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = ds.iter().map(|d| d.id.clone()).collect();
        let mut cs = by_document(
            countersigns::Entity::find()
                .filter(countersigns::Column::DocumentId.is_in(ids.clone()))
                .order_by_asc(countersigns::Column::Round)
                .order_by_asc(countersigns::Column::CreatedAt)
                .order_by_asc(countersigns::Column::Id)
                .all(db)
                .await?,
            |c| &c.document_id,
        );
        let mut rs = by_document(
            reviews::Entity::find()
                .filter(reviews::Column::DocumentId.is_in(ids.clone()))
                .order_by_asc(reviews::Column::CreatedAt)
                .order_by_asc(reviews::Column::Id)
                .all(db)
                .await?,
            |r| &r.document_id,
        );
        let mut es = by_document(
            externals::Entity::find()
                .filter(externals::Column::DocumentId.is_in(ids.clone()))
                .order_by_asc(externals::Column::CreatedAt)
                .all(db)
                .await?,
            |e| &e.document_id,
        );
        let mut crs = by_document(
            change_requests::Entity::find()
                .filter(change_requests::Column::DocumentId.is_in(ids))
                .order_by_asc(change_requests::Column::CreatedAt)
                .all(db)
                .await?,
            |c| &c.document_id,
        );
        let mut out = Vec::with_capacity(ds.len());
        for d in ds {
            let state: State = d.state.parse().map_err(AppError::internal)?;
            let form: IssuingForm = d.issuing_form.parse().map_err(AppError::internal)?;
            out.push(Doc {
                countersigns: cs.remove(&d.id).unwrap_or_default(),
                reviews: rs.remove(&d.id).unwrap_or_default(),
                externals: es.remove(&d.id).unwrap_or_default(),
                change_requests: crs.remove(&d.id).unwrap_or_default(),
                d,
                state,
                form,
            });
        }
        Ok(out)
    }

    pub fn current_round(&self) -> i32 {
        self.countersigns.iter().map(|c| c.round).max().unwrap_or(0)
    }

    pub fn round_rows(&self) -> impl Iterator<Item = &countersigns::Model> {
        let r = self.current_round();
        self.countersigns.iter().filter(move |c| c.round == r)
    }

    /// Countersign opinions of the current round still to come.
    pub fn outstanding(&self) -> Vec<&countersigns::Model> {
        self.round_rows().filter(|c| c.stance.is_none()).collect()
    }

    /// Disagreements of the current round not yet resolved (D05).
    pub fn open_disagreements(&self) -> Vec<&countersigns::Model> {
        self.round_rows().filter(|c| c.stance.as_deref() == Some("disagree") && c.resolution.is_none()).collect()
    }

    pub fn joint_departments(&self) -> Vec<String> {
        serde_json::from_str(&self.d.joint_departments).unwrap_or_default()
    }

    /// D07: the deputy in charge has approved (审签) since the document was last sent back.
    pub fn leader_reviewed(&self) -> bool {
        self.reviews
            .iter()
            .any(|r| r.kind == "leader_review" && r.approve && self.d.returned_at.is_none_or(|t| r.created_at > t))
    }

    pub fn external_missing(&self) -> Vec<String> {
        let done: BTreeSet<&str> = self.externals.iter().map(|e| e.department.as_str()).collect();
        self.joint_departments().into_iter().filter(|d| !done.contains(d.as_str())).collect()
    }

    pub fn signoff_facts(&self) -> SignoffFacts {
        SignoffFacts { leader_reviewed: self.leader_reviewed(), external_missing: self.external_missing() }
    }

    pub fn deputy_in_charge(&self, org: &Org) -> Option<String> {
        org.deputy_of(&self.d.main_section_id)
    }

    /// D07: who may sign this document off.
    pub fn signers(&self, org: &Org) -> Vec<String> {
        let principals = org.holders(Role::Principal);
        let directors = org.holders(Role::OfficeDirector);
        let deputy = self.deputy_in_charge(org);
        let people = People {
            principals: &principals,
            deputy_in_charge: deputy.as_deref(),
            office_directors: &directors,
            named_leader: self.d.signoff_leader_id.as_deref(),
        };
        rules::authorized_signers(self.form, &people)
    }

    pub fn pending_change_requests(&self) -> Vec<&change_requests::Model> {
        self.change_requests.iter().filter(|c| c.state == "pending").collect()
    }

    /// The steps this document waits for, with the people each waits for (before backups).
    pub fn pending(&self, org: &Org) -> Vec<Pending> {
        let mut out = Vec::new();
        let drafter = vec![self.d.drafter_id.clone()];
        let deputy: Vec<String> = self.deputy_in_charge(org).into_iter().collect();
        let needs_leader_review = rules::signoff_rule(self.form).needs_leader_review && !self.leader_reviewed();
        let mut push = |kind: &'static str, label: &'static str, assignees: Vec<String>| {
            if !assignees.is_empty() {
                out.push(Pending { kind, label, assignees });
            }
        };
        match self.state {
            State::Drafting => push("outgoing_draft", "拟稿", drafter),
            State::Returned => push("outgoing_revise", "退回修改", drafter),
            State::SectionReview => push("outgoing_review", "处室审核", org.heads_of(&self.d.main_section_id)),
            State::Countersigning | State::Paused => {
                for c in self.outstanding() {
                    push("outgoing_countersign", "会签", org.heads_of(&c.section_id));
                }
                if self.state == State::Paused {
                    push("outgoing_resolve", "会签分歧裁定", deputy);
                }
            }
            State::Consolidating => {
                push("outgoing_consolidate", "汇总定稿", drafter.clone());
                if needs_leader_review {
                    push("outgoing_leader_review", "分管领导审签", deputy);
                } else if !self.external_missing().is_empty() {
                    push("outgoing_external_countersign", "登记外单位会签", drafter);
                }
            }
            State::Verifying | State::Signoff => {
                if self.state == State::Verifying {
                    push("outgoing_verify", "办公室核稿", org.holders(Role::OfficeDirector));
                }
                if needs_leader_review {
                    push("outgoing_leader_review", "分管领导审签", deputy);
                } else if !self.external_missing().is_empty() {
                    push("outgoing_external_countersign", "登记外单位会签", drafter);
                } else if self.state == State::Signoff {
                    push("outgoing_signoff", "签发", self.signers(org));
                }
            }
            State::Signed | State::Numbered => {
                if self.state == State::Numbered {
                    push("outgoing_issue", "印发", org.holders(Role::Clerk));
                }
                if !self.pending_change_requests().is_empty() {
                    push("outgoing_change_request", "审批修改申请", self.d.signed_by.clone().into_iter().collect());
                }
            }
            State::Issued | State::Archived | State::Escalated => {}
        }
        out
    }
}

/// One waiting step.
#[derive(Clone, Debug)]
pub struct Pending {
    pub kind: &'static str,
    pub label: &'static str,
    pub assignees: Vec<String>,
}

/// The user, and the absent colleagues whose backup they are today (D11).
pub fn identities(org: &Org, user: &str) -> Vec<String> {
    let mut ids: Vec<String> = vec![user.to_string()];
    ids.extend(org.people.keys().filter(|p| p.as_str() != user && org.absent.contains(*p) && org.acting_for(p).0 == user).cloned());
    ids
}

/// The to-do list's narrowing in SQL: waiting documents on which one of [`Doc::pending`]'s
/// steps may wait for `user` (as themselves or as a backup, D11). A superset — the exact test
/// stays `pending` + `acting_for` — that follows `pending` case by case: the drafter (drafting,
/// revising, consolidating, external countersigns), the heads of the main section (review) and
/// of the countersigning sections, the deputy in charge (disagreements, leader review,
/// sign-off), office directors (verification, sign-off), principals (sign-off), the named
/// signer, clerks (issue), the signer (change requests). Keep the two in step.
pub fn may_wait_for(org: &Org, user: &str) -> Condition {
    let ids = identities(org, user);
    let has = |r: Role| ids.iter().any(|u| org.has(u, r));
    let head_sections: BTreeSet<String> =
        ids.iter().filter(|u| org.has(u, Role::SectionHead)).filter_map(|u| org.section_of(u)).collect();
    let mut main_sections = head_sections.clone();
    for u in &ids {
        main_sections.extend(org.sections.iter().filter(|(_, (_, d))| d.as_deref() == Some(u.as_str())).map(|(s, _)| s.clone()));
    }
    let mut c = Condition::any()
        .add(documents::Column::DrafterId.is_in(ids.clone()))
        .add(documents::Column::SignoffLeaderId.is_in(ids.clone()))
        .add(documents::Column::SignedBy.is_in(ids.clone()));
    if !main_sections.is_empty() {
        c = c.add(documents::Column::MainSectionId.is_in(main_sections));
    }
    let mut states: Vec<&str> = Vec::new();
    if has(Role::OfficeDirector) {
        states.extend([State::Verifying.as_str(), State::Signoff.as_str()]);
    }
    if has(Role::Principal) {
        states.push(State::Signoff.as_str());
    }
    if has(Role::Clerk) {
        states.push(State::Numbered.as_str());
    }
    if !states.is_empty() {
        c = c.add(documents::Column::State.is_in(states));
    }
    if !head_sections.is_empty() {
        let this_doc = Expr::col((countersigns::Entity, countersigns::Column::DocumentId)).equals((documents::Entity, documents::Column::Id));
        c = c.add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(countersigns::Entity)
                .cond_where(Condition::all().add(this_doc).add(countersigns::Column::SectionId.is_in(head_sections)))
                .to_owned(),
        ));
    }
    c
}

/// D13 for the lists, as a SQL condition on `outgoing_documents`: every document `user` may
/// read by [`may_read`] or because it is no longer in processing — and possibly a few more
/// (the sign-off authority by issuing form is not spelled out), so the list still checks
/// [`may_read`] on the rows it returns. `None`: the user reads every document (leaders, inspectors).
pub fn visibility(org: &Org, user: &str) -> Option<Condition> {
    if [Role::Principal, Role::Deputy, Role::Inspector].iter().any(|r| org.has(user, *r)) {
        return None;
    }
    let ids = identities(org, user);
    let has = |r: Role| ids.iter().any(|u| org.has(u, r));
    let head_sections: BTreeSet<String> =
        ids.iter().filter(|u| org.has(u, Role::SectionHead)).filter_map(|u| org.section_of(u)).collect();
    let mut main_sections = head_sections.clone();
    for u in &ids {
        main_sections.extend(org.sections.iter().filter(|(_, (_, d))| d.as_deref() == Some(u.as_str())).map(|(s, _)| s.clone()));
    }
    let states = |f: fn(&State) -> bool| State::ALL.iter().filter(|s| f(s)).map(|s| s.as_str()).collect::<Vec<_>>();
    // Not in processing: the text is the unit's (D13 covers processing only).
    let mut c = Condition::any().add(documents::Column::State.is_in(states(|s| !s.in_processing())));
    if has(Role::OfficeDirector) || has(Role::Principal) {
        // Verification onwards: office directors, and the sign-off authority.
        c = c.add(documents::Column::State.is_in(states(|s| {
            matches!(s, State::Verifying | State::Signoff | State::Signed | State::Numbered | State::Issued | State::Archived)
        })));
    }
    if has(Role::Clerk) {
        c = c.add(documents::Column::State.is_in(states(|s| matches!(s, State::Numbered | State::Issued | State::Archived))));
    }
    c = c
        .add(documents::Column::DrafterId.is_in(ids.clone()))
        .add(documents::Column::SignoffLeaderId.is_in(ids.clone()))
        .add(documents::Column::SignedBy.is_in(ids.clone()));
    if !main_sections.is_empty() {
        // Heads of the main section and its deputy in charge.
        c = c.add(documents::Column::MainSectionId.is_in(main_sections));
    }
    // Correlated EXISTS on the (document_id …) indexes: evaluated only for rows the cheap terms
    // above did not admit (documents in processing), never a read of a person's whole history.
    let this_doc = |table: DynIden, col: DynIden| Expr::col((table, col)).equals((documents::Entity, documents::Column::Id));
    let countersigned = Query::select()
        .expr(Expr::val(1))
        .from(countersigns::Entity)
        .cond_where(
            Condition::all().add(this_doc(countersigns::Entity.into_iden(), countersigns::Column::DocumentId.into_iden())).add(
                Condition::any()
                    .add(countersigns::Column::SectionId.is_in(head_sections))
                    .add(countersigns::Column::HeadId.is_in(ids.clone()))
                    .add(countersigns::Column::OnBehalfOf.is_in(ids.clone())),
            ),
        )
        .to_owned();
    let reviewed = Query::select()
        .expr(Expr::val(1))
        .from(reviews::Entity)
        .cond_where(
            Condition::all()
                .add(this_doc(reviews::Entity.into_iden(), reviews::Column::DocumentId.into_iden()))
                .add(Condition::any().add(reviews::Column::ReviewerId.is_in(ids.clone())).add(reviews::Column::OnBehalfOf.is_in(ids.clone()))),
        )
        .to_owned();
    let acted = Query::select()
        .expr(Expr::val(1))
        .from(trail::Entity)
        .cond_where(
            Condition::all()
                .add(trail::Column::ObjectType.eq(OBJECT_TYPE))
                .add(this_doc(trail::Entity.into_iden(), trail::Column::ObjectId.into_iden()))
                .add(Condition::any().add(trail::Column::ActorId.is_in(ids.clone())).add(trail::Column::OnBehalfOf.is_in(ids))),
        )
        .to_owned();
    Some(c.add(Expr::exists(countersigned)).add(Expr::exists(reviewed)).add(Expr::exists(acted)))
}

/// D13: may `user` read the document's opinions and trail? Participants (everyone who
/// acted on it or is asked to, and the people the rules name for its steps), their
/// leaders (principal, deputies) and inspectors; the backups of absent participants (D11).
pub async fn may_read(db: &impl ConnectionTrait, doc: &Doc, org: &Org, user: &str) -> AppResult<bool> {
    if quick_reader(doc, org, user) {
        return Ok(true);
    }
    let actors = trail_actors(db, &doc.d.id).await?;
    let mut participants = structural_participants(doc, org);
    participants.extend(actors);
    Ok(participants.contains(user)
        || participants.iter().any(|p| org.absent.contains(p) && org.acting_for(p).0 == user))
}

/// Readers known without the trail: leaders, inspectors, and the people the rules name.
fn quick_reader(doc: &Doc, org: &Org, user: &str) -> bool {
    if [Role::Principal, Role::Deputy, Role::Inspector].iter().any(|r| org.has(user, *r)) {
        return true;
    }
    structural_participants(doc, org).contains(user)
}

pub fn structural_participants(doc: &Doc, org: &Org) -> BTreeSet<String> {
    let d = &doc.d;
    let mut p: BTreeSet<String> = BTreeSet::new();
    p.insert(d.drafter_id.clone());
    p.extend(org.heads_of(&d.main_section_id));
    p.extend(doc.deputy_in_charge(org));
    for c in &doc.countersigns {
        p.extend(org.heads_of(&c.section_id));
        p.extend(c.head_id.clone());
        p.extend(c.on_behalf_of.clone());
    }
    for r in &doc.reviews {
        p.insert(r.reviewer_id.clone());
        p.extend(r.on_behalf_of.clone());
    }
    p.extend(d.signoff_leader_id.clone());
    p.extend(d.signed_by.clone());
    if matches!(
        doc.state,
        State::Verifying | State::Signoff | State::Signed | State::Numbered | State::Issued | State::Archived
    ) {
        p.extend(org.holders(Role::OfficeDirector));
        p.extend(doc.signers(org));
    }
    if matches!(doc.state, State::Numbered | State::Issued | State::Archived) {
        p.extend(org.holders(Role::Clerk));
    }
    for step in doc.pending(org) {
        p.extend(step.assignees);
    }
    p
}

async fn trail_actors(db: &impl ConnectionTrait, id: &str) -> AppResult<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for t in trail::Entity::find()
        .filter(trail::Column::ObjectType.eq(OBJECT_TYPE))
        .filter(trail::Column::ObjectId.eq(id))
        .all(db)
        .await?
    {
        out.extend(t.actor_id);
        out.extend(t.on_behalf_of);
    }
    Ok(out)
}

/// Rows of a page's related table, grouped by their document (order kept).
fn by_document<M>(rows: Vec<M>, doc: impl Fn(&M) -> &String) -> BTreeMap<String, Vec<M>> {
    let mut out: BTreeMap<String, Vec<M>> = BTreeMap::new();
    for r in rows {
        out.entry(doc(&r).clone()).or_default().push(r);
    }
    out
}
