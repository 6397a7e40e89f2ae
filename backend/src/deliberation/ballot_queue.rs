//! Group commit of ballots (issue 8, scenario B).
//!
//! When a meeting votes, every member present casts a ballot within seconds. Written one
//! transaction each, the ballots queue on the single writer (SQLite) or on the audit chain's
//! head row (PostgreSQL), and each pays for its own `BEGIN`, item lock, audit-head read and
//! write and `COMMIT`. Here the ballots that arrive while a transaction is being written wait
//! for the next one and are written together: the item is read once per item, the named
//! ballots are one multi-row insert, a secret item's counters move once, and the audit chain
//! moves once for the whole group (`audit::append_many`), each ballot keeping its own entry.
//! Nobody is told "recorded" before the transaction that holds their ballot is committed and
//! on disk (R43): the answers wait for `Durable::wait` in their own task while the writer
//! goes on with the next group, so one fsync of SQLite's WAL can cover both. PostgreSQL also
//! has one writer by default ([`PG_WRITERS`]); with more, or with several instances, they
//! share-lock the item and meet only at the audit head.
//!
//! What is decided per ballot stays per ballot:
//! - the rows the caller's checks decided on — the item, its meeting, the voter's
//!   membership, which may have come from [`GateRows`] — must be unchanged (the vote may have
//!   been closed or its mode changed since, R11; a member's roles changed): the items and
//!   meetings are read again at the start of the transaction (the items share-locked), the
//!   membership is compared by the participations' insert, and a ballot whose rows changed
//!   is written nowhere and answered [`rows_changed`], on which the caller checks it again on
//!   fresh rows (`voting::cast`);
//! - one ballot per member and item (R11, R42): the participation row is inserted with
//!   `ON CONFLICT DO NOTHING` on the unique (item, voter) index, so a second ballot — from the
//!   same group, another group, or another instance — is refused without disturbing the
//!   others.
//!
//! If the group's transaction fails as a whole (a database error), each ballot of it is
//! retried alone, so one bad ballot cannot refuse its neighbours.
//!
//! Registered attendance (R08) is decided here too, by the statement that writes the
//! participations: the clerk may register a departure while the meeting is open.
//!
//! The checks themselves (membership, the should-attend list, recusal, the principal's
//! turn) are made by the caller before queueing (`voting::cast`).
use super::common::{json_ids, to_json};
use super::voting::{chair_and_clerks, items_with_meetings, random_index, require_voting, second_ballot};
use crate::audit::{self, Actor, NewEntry};
use crate::db::{Db, Durable};
use crate::error::{AppError, AppResult};
use crate::events::EventBus;
use crate::store::entities::{attendance, ballot_participations, ballots, meeting_items, meetings, secret_tallies};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockType, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};
use yishi_domain::deliberation::rules::{AttendanceStatus, VoteMode};
use yishi_domain::enums::BallotChoice;

/// Most ballots written in one transaction. A meeting's members are far fewer; the bound
/// keeps one transaction short when several meetings vote at once.
const MAX_GROUP: usize = 128;

/// One ballot, checked by the caller (R08, R09, R10), waiting to be written.
pub struct BallotWrite {
    /// The rows the caller's checks (and the route's gate) decided on: the writer reads them
    /// again, in its transaction, and writes the ballot only if they are unchanged (else
    /// answers [`rows_changed`], and the caller checks again on fresh rows).
    pub meeting: meetings::Model,
    pub item: meeting_items::Model,
    /// The voter's membership of the meeting's unit (roles, section), as the gate read it.
    pub membership: Membership,
    pub proposal_id: String,
    pub item_id: String,
    pub mode: VoteMode,
    pub choice: BallotChoice,
    pub opinion: Option<String>,
    pub voter_id: String,
    pub actor: Actor,
    pub at: DateTime<Utc>,
    pub receipt_id: String,
    /// Should-attend members minus the recused: for the chair's live count.
    pub eligible: Vec<String>,
}

struct Job {
    ballot: BallotWrite,
    reply: oneshot::Sender<AppResult<()>>,
}

/// A member's roles and section in a unit.
pub type Member = (String, Option<String>);

/// A member's roles and section in a unit, if a member.
pub type Membership = Option<Member>;

/// The queue in front of the ballot writers, and the rows recent ballots were checked on
/// ([`GateRows`]). Cloning shares both.
#[derive(Clone)]
pub struct BallotQueue {
    tx: mpsc::UnboundedSender<Job>,
    pub gate: Arc<GateRows>,
}

/// The rows a ballot's gate and checks read — the item with its meeting, the voter's
/// membership — as recent ballots read them. When a meeting votes, every member's ballot
/// needs the same item and meeting rows; taken from here, a ballot makes no statement before
/// its group's transaction. Nothing is decided on a kept row alone: the writer reads the rows
/// again in the transaction that writes the ballot (the item share-locked) and writes it only
/// if they are unchanged (else the caller checks again on rows read afresh), and a refusal
/// is always decided on fresh rows (`voting::cast`). So a kept row can cost a retry, never a
/// wrong decision, on any number of instances.
pub struct GateRows {
    items: std::sync::Mutex<Kept<(String, String), Arc<(meeting_items::Model, meetings::Model)>>>,
    members: std::sync::Mutex<Kept<(String, String), Member>>,
}

impl Default for GateRows {
    fn default() -> Self {
        // A meeting votes on one item at a time; the bounds leave room for many meetings
        // voting at once and keep the memory small (an item's entry holds its meeting's row).
        GateRows { items: std::sync::Mutex::new(Kept::new(256)), members: std::sync::Mutex::new(Kept::new(2048)) }
    }
}

/// Entries are used for at most [`GATE_ROWS_SECS`].
const GATE_ROWS_SECS: u64 = 10;

/// At most `max` entries: when full, the expired ones go, and if none had expired, all.
struct Kept<K, V> {
    map: std::collections::HashMap<K, (std::time::Instant, V)>,
    max: usize,
}

impl<K: std::hash::Hash + Eq, V: Clone> Kept<K, V> {
    fn new(max: usize) -> Self {
        Kept { map: std::collections::HashMap::new(), max }
    }
    fn fresh(at: std::time::Instant) -> bool {
        at.elapsed() < std::time::Duration::from_secs(GATE_ROWS_SECS)
    }
    fn get(&self, k: &K) -> Option<V> {
        let (at, v) = self.map.get(k)?;
        Self::fresh(*at).then(|| v.clone())
    }
    fn put(&mut self, k: K, v: V) {
        if self.map.len() >= self.max {
            self.map.retain(|_, (at, _)| Self::fresh(*at));
            if self.map.len() >= self.max {
                self.map.clear();
            }
        }
        self.map.insert(k, (std::time::Instant::now(), v));
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl GateRows {
    /// The item (by meeting and proposal) with its meeting, and the user's membership of the
    /// meeting's unit, if both are kept.
    pub fn get(&self, meeting_id: &str, proposal_id: &str, user_id: &str) -> Option<(Arc<(meeting_items::Model, meetings::Model)>, Member)> {
        let rows = lock(&self.items).get(&(meeting_id.to_string(), proposal_id.to_string()))?;
        let member = lock(&self.members).get(&(rows.1.unit_id.clone(), user_id.to_string()))?;
        Some((rows, member))
    }

    /// Keeps rows just read from the database (a non-member is not kept: refusals are
    /// decided afresh anyway).
    pub fn put(&self, rows: Arc<(meeting_items::Model, meetings::Model)>, user_id: &str, membership: &Membership) {
        if let Some(m) = membership {
            lock(&self.members).put((rows.1.unit_id.clone(), user_id.to_string()), m.clone());
        }
        lock(&self.items).put((rows.1.id.clone(), rows.0.proposal_id.clone()), rows);
    }
}

/// The writer found the rows the ballot was checked on changed: check again on fresh rows.
pub fn rows_changed() -> AppError {
    AppError::conflict("会议或议题刚刚发生变更，请刷新后重新投票（rows changed while the ballot was checked）")
        .with_details(json!({"retry": "ballot_rows_changed"}))
}

/// Whether `e` is [`rows_changed`].
pub fn is_rows_changed(e: &AppError) -> bool {
    e.code == "conflict" && e.details.get("retry").and_then(|r| r.as_str()) == Some("ballot_rows_changed")
}

type Receiver = Arc<Mutex<mpsc::UnboundedReceiver<Job>>>;

impl BallotQueue {
    /// Starts the writer tasks on the current tokio runtime: one on SQLite (one writer at a
    /// time anyway; the next group is written while the previous one's fsync runs), and
    /// [`PG_WRITERS`] on PostgreSQL. They end when the last clone of the queue is dropped.
    pub fn start(db: Db, events: EventBus) -> BallotQueue {
        let (tx, rx) = mpsc::unbounded_channel();
        let rx: Receiver = Arc::new(Mutex::new(rx));
        // YISHI_BALLOT_WRITERS overrides the number on PostgreSQL (docs/operations.md).
        let pg_writers = crate::config::tuning("YISHI_BALLOT_WRITERS", PG_WRITERS, 1..=32);
        let writers = if db.is_sqlite() { 1 } else { pg_writers };
        let counts = LiveCounts { db: db.clone(), events, counting: Arc::default() };
        for _ in 0..writers {
            tokio::spawn(writer(db.clone(), counts.clone(), rx.clone()));
        }
        BallotQueue { tx, gate: Arc::default() }
    }

    /// Writes the ballot; returns once it is committed and on disk, or with the refusal.
    pub async fn write(&self, ballot: BallotWrite) -> AppResult<()> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { ballot, reply })
            .map_err(|_| AppError::new("unavailable", "表决写入服务正在停止，请稍后重试（ballot writer stopped）"))?;
        answer.await.map_err(|_| AppError::internal("ballot writer ended without an answer; the ballot may not be recorded"))?
    }
}

/// Group writers on PostgreSQL. Every group's transaction passes the audit chain's head, so
/// concurrent writers mostly make smaller groups, each with its own statements and commit.
/// Scenario B's capacity on 2 cores (session 11, no-LTO build, the database connections with
/// `TCP_NODELAY`, `db::nodelay`): 4,795 and 4,833 ballots/s with one writer, 3,896–3,941
/// with 2, 4,162 with 3, 3,561–3,732 with 4 and 2,763 with 8 (single runs). Before
/// `TCP_NODELAY`, large groups' statements waited 40 ms for TCP acknowledgements and 4 writers
/// did best (session 9: 1,813 ballots/s with 2, 2,418–2,473 with 4, 2,057–2,158 with 8).
const PG_WRITERS: usize = 1;

/// Takes the ballots waiting now (at least one, at most [`MAX_GROUP`]); `None` once the
/// queue is closed.
async fn next_group(rx: &Receiver) -> Option<Vec<Job>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut group = Vec::with_capacity(MAX_GROUP.min(rx.len() + 1));
    group.push(first);
    while group.len() < MAX_GROUP {
        match rx.try_recv() {
            Ok(j) => group.push(j),
            Err(_) => break,
        }
    }
    Some(group)
}

async fn writer(db: Db, counts: LiveCounts, rx: Receiver) {
    while let Some(jobs) = next_group(&rx).await {
        let started = std::time::Instant::now();
        let ballots: Vec<&BallotWrite> = jobs.iter().map(|j| &j.ballot).collect();
        let written = match write_group(&db, &ballots).await {
            Ok(w) => w,
            Err(e) if jobs.len() == 1 => Written { outcomes: vec![Err(e)], durable: None },
            Err(e) => {
                // Nothing of the group is stored: each ballot alone, so that one ballot's
                // failure (or a deadlock between groups) does not refuse the others.
                tracing::warn!(error = %e.message, ballots = jobs.len(), "ballot group failed; writing each ballot alone");
                let mut outcomes = Vec::with_capacity(jobs.len());
                for b in &ballots {
                    let one = match write_group(&db, &[*b]).await {
                        Ok(w) => w.settle().await,
                        Err(e) => vec![Err(e)],
                    };
                    outcomes.extend(one);
                }
                Written { outcomes, durable: None }
            }
        };
        tracing::debug!(ballots = jobs.len(), micros = started.elapsed().as_micros() as u64, "ballot group written");
        // The answers wait for the disk in their own task; this writer goes on with the next
        // group, whose commit the same fsync may cover.
        let counts = counts.clone();
        tokio::spawn(async move {
            let outcomes = written.settle().await;
            let mut recorded = Vec::new();
            for (Job { ballot, reply }, outcome) in jobs.into_iter().zip(outcomes) {
                let ok = outcome.is_ok();
                // A caller that went away is not an error: its ballot is recorded all the same.
                let _ = reply.send(outcome);
                if ok {
                    recorded.push(ballot);
                }
            }
            counts.recorded(recorded);
        });
    }
}

/// A group's outcomes, one per ballot in order, and the commit they wait for.
struct Written {
    outcomes: Vec<AppResult<()>>,
    durable: Option<Durable>,
}

impl Written {
    /// The outcomes once the commit is on disk; if the disk failed, nobody is told "recorded".
    async fn settle(self) -> Vec<AppResult<()>> {
        let Written { outcomes, durable } = self;
        match durable {
            None => outcomes,
            Some(d) => match d.wait().await {
                Ok(()) => outcomes,
                Err(e) => outcomes.into_iter().map(|o| o.and(Err(e.clone()))).collect(),
            },
        }
    }
}

/// Writes the group in one transaction. `Err` only when the transaction as a whole failed
/// (nothing of it is stored); otherwise one outcome per ballot, in order, valid once the
/// commit is on disk.
async fn write_group(db: &Db, group: &[&BallotWrite]) -> AppResult<Written> {
    let tx = db.begin_write().await?;
    // The rows each ballot was checked on, read again: the items share-locked on PostgreSQL
    // until the commit (concurrent groups do not wait for each other here, but the close of
    // the vote, `FOR UPDATE`, waits for them: R11), in one statement for the group.
    let fresh = rows_of(&*tx, group).await?;
    let mut outcomes: Vec<Option<AppResult<()>>> = Vec::with_capacity(group.len());
    let mut receipts = Vec::new();
    for b in group {
        let unchanged = fresh.get(b.item_id.as_str()).is_some_and(|(item, meeting)| *item == b.item && *meeting == b.meeting);
        match if unchanged { still_open(&b.item, b.mode) } else { Err(rows_changed()) } {
            Ok(()) => {
                outcomes.push(None);
                receipts.push(b);
            }
            Err(e) => outcomes.push(Some(Err(e))),
        }
    }
    // One statement for the group's participations, which also decides R08 for each: a row
    // is inserted only if its voter is registered present (the clerk may register a departure
    // while the meeting is open) and still has the membership the checks used, and a row the
    // unique (item, voter) index already holds — or that an earlier row of this group holds —
    // is skipped (R11, R42). RETURNING names the receipts that were written. Rows go in
    // (item, voter) order, so two groups on PostgreSQL wait for each other's index entries in
    // one order and never deadlock.
    receipts.sort_by(|a, b| (&a.item_id, &a.voter_id, &a.receipt_id).cmp(&(&b.item_id, &b.voter_id, &b.receipt_id)));
    let mut recorded = std::collections::HashSet::new();
    for run in crate::db::pow2_runs(&receipts, 64) {
        for row in tx.query_all(&insert_participations_if_present(run)).await? {
            recorded.insert(row.try_get::<String>("", "id")?);
        }
    }
    // A ballot not written was refused by R11 (an earlier ballot), or its voter's membership
    // changed (checked again), or else R08 (not present); the participation and membership
    // rows tell which. Asked only when some ballot was refused.
    let refused: Vec<&BallotWrite> = receipts.iter().filter(|b| !recorded.contains(&b.receipt_id)).map(|b| **b).collect();
    let already = if refused.is_empty() { Default::default() } else { participations_of(&*tx, &refused).await? };
    let unexplained: Vec<&BallotWrite> = refused.iter().filter(|b| !already.contains(&(b.item_id.as_str(), b.voter_id.as_str()))).copied().collect();
    let members = if unexplained.is_empty() { Default::default() } else { memberships_of(&*tx, &unexplained).await? };
    for (b, outcome) in group.iter().zip(outcomes.iter_mut()) {
        if outcome.is_none() && !recorded.contains(&b.receipt_id) {
            *outcome = Some(Err(if already.contains(&(b.item_id.as_str(), b.voter_id.as_str())) {
                second_ballot()
            } else if members.get(&(b.meeting.unit_id.as_str(), b.voter_id.as_str())) != Some(&b.membership) {
                rows_changed()
            } else {
                not_present_refusal()
            }));
        }
    }
    let mut named = Vec::new();
    // Secret items: the counters' increments and the opinions, per item.
    let mut secret: BTreeMap<&str, ([i32; 4], Vec<String>)> = BTreeMap::new();
    let mut entries = Vec::with_capacity(group.len());
    for (b, outcome) in group.iter().zip(outcomes.iter_mut()) {
        if outcome.is_some() {
            continue;
        }
        if b.mode.is_named() {
            named.push(ballots::ActiveModel {
                id: Set(super::common::new_id()),
                unit_id: Set(b.meeting.unit_id.clone()),
                meeting_id: Set(b.meeting.id.clone()),
                item_id: Set(b.item_id.clone()),
                proposal_id: Set(b.proposal_id.clone()),
                voter_id: Set(b.voter_id.clone()),
                mode: Set(b.mode.as_str().to_string()),
                choice: Set(b.choice.as_str().to_string()),
                opinion: Set(b.opinion.clone()),
                cast_at: Set(b.at),
            });
        } else {
            let s = secret.entry(b.item_id.as_str()).or_default();
            s.0[choice_index(b.choice)] += 1;
            if let Some(o) = &b.opinion {
                s.1.push(o.clone());
            }
        }
        entries.push((b.at, b.actor.clone(), NewEntry {
            unit_id: Some(b.meeting.unit_id.clone()),
            action: "ballot.cast".into(),
            object_type: "meeting_item".into(),
            object_id: Some(b.item_id.clone()),
            before: serde_json::Value::Null,
            // Never the content of a secret ballot.
            after: if b.mode.is_named() { json!({"mode": b.mode.as_str(), "choice": b.choice.as_str()}) } else { json!({"mode": b.mode.as_str()}) },
            permanent: false,
        }));
        *outcome = Some(Ok(()));
    }
    for run in crate::db::pow2_runs(&named, 64) {
        ballots::Entity::insert_many(run.to_vec()).exec_without_returning(&*tx).await?;
    }
    for (item_id, (counts, opinions)) in secret {
        add_secret(&*tx, item_id, counts, opinions).await?;
    }
    if !entries.is_empty() {
        audit::append_many(&*tx, entries).await?;
    }
    let durable = tx.commit_pending().await?;
    let outcomes = outcomes.into_iter().map(|o| o.unwrap_or_else(|| Err(AppError::internal("ballot without an outcome")))).collect();
    Ok(Written { outcomes, durable: Some(durable) })
}

/// `SELECT item.*, meeting.* FROM meeting_items JOIN meetings … WHERE item.id IN (…)
/// [FOR SHARE OF meeting_items]`: the group's items and their meetings as they are now.
async fn rows_of(tx: &impl ConnectionTrait, group: &[&BallotWrite]) -> AppResult<std::collections::HashMap<String, (meeting_items::Model, meetings::Model)>> {
    use sea_orm::QueryTrait;
    let ids: std::collections::BTreeSet<&str> = group.iter().map(|b| b.item_id.as_str()).collect();
    let mut q = items_with_meetings()
        .filter(meeting_items::Column::Id.is_in(crate::db::pow2_padded(ids.into_iter().collect())))
        .into_query();
    if tx.get_database_backend() == sea_orm::DbBackend::Postgres {
        q.lock_with_tables(LockType::Share, [meeting_items::Entity]);
    }
    let mut out = std::collections::HashMap::with_capacity(group.len());
    for row in tx.query_all(&q).await? {
        use sea_orm::FromQueryResult;
        let item = meeting_items::Model::from_query_result(&row, "A_")?;
        let meeting = meetings::Model::from_query_result(&row, "B_")?;
        out.insert(item.id.clone(), (item, meeting));
    }
    Ok(out)
}

/// `INSERT INTO ballot_participations (…) SELECT … FROM (VALUES …) v WHERE EXISTS (the voter
/// is registered present at the meeting) AND (the voter's membership is the one checked) ON
/// CONFLICT (item_id, voter_id) DO NOTHING RETURNING id`: the group's participations, each
/// written only if its voter is present (R08), is still the member the checks saw, and has
/// not voted on the item (R11).
fn insert_participations_if_present(receipts: &[&&BallotWrite]) -> sea_orm::sea_query::InsertStatement {
    use sea_orm::sea_query::{Alias, Query, ValueTuple};
    use ballot_participations::Column as P;
    let v = Alias::new("v");
    // VALUES' columns are named column1, column2, … on both SQLite and PostgreSQL.
    let col = |i: usize| Expr::col((v.clone(), Alias::new(format!("column{i}"))));
    let rows = receipts.iter().map(|b| {
        let (roles, section) = match &b.membership {
            Some((r, s)) => (Some(r.clone()), s.clone()),
            None => (None, None),
        };
        ValueTuple::Many(vec![
            b.receipt_id.clone().into(),
            b.meeting.unit_id.clone().into(),
            b.meeting.id.clone().into(),
            b.item_id.clone().into(),
            b.voter_id.clone().into(),
            b.at.into(),
            roles.into(),
            section.into(),
        ])
    });
    let present = Query::select()
        .expr(Expr::val(1))
        .from(attendance::Entity)
        .and_where(Expr::col((attendance::Entity, attendance::Column::MeetingId)).eq(col(3)))
        .and_where(Expr::col((attendance::Entity, attendance::Column::UserId)).eq(col(5)))
        .and_where(Expr::col((attendance::Entity, attendance::Column::Status)).eq(AttendanceStatus::Present.as_str()))
        .to_owned();
    // The voter's membership is still the one the gate and the checks used (roles, section;
    // none at all if none was used).
    use crate::store::entities::memberships::{Column as M, Entity as Memberships};
    let member = |same: bool| {
        let mut q = Query::select();
        q.expr(Expr::val(1))
            .from(Memberships)
            .and_where(Expr::col((Memberships, M::UnitId)).eq(col(2)))
            .and_where(Expr::col((Memberships, M::UserId)).eq(col(5)));
        if same {
            q.and_where(Expr::col((Memberships, M::Roles)).eq(col(7))).and_where(
                Expr::col((Memberships, M::SectionId))
                    .eq(col(8))
                    .or(Expr::col((Memberships, M::SectionId)).is_null().and(col(8).is_null())),
            );
        }
        q
    };
    let same_membership = Expr::exists(member(true)).or(col(7).is_null().and(Expr::exists(member(false)).not()));
    let select = Query::select()
        .exprs((1..=6).map(col))
        .from_values(rows, v.clone())
        .and_where(Expr::exists(present))
        .and_where(same_membership)
        .to_owned();
    let mut insert = Query::insert();
    insert
        .into_table(ballot_participations::Entity)
        .columns([P::Id, P::UnitId, P::MeetingId, P::ItemId, P::VoterId, P::At])
        .select_from(select)
        .expect("six columns, six values")
        .on_conflict(OnConflict::columns([P::ItemId, P::VoterId]).do_nothing().to_owned())
        .returning_col(P::Id);
    insert
}

/// The (item, voter) pairs of `ballots` that already have a participation row (R11).
async fn participations_of<'a>(tx: &impl ConnectionTrait, ballots: &[&'a BallotWrite]) -> AppResult<std::collections::HashSet<(&'a str, &'a str)>> {
    let mut by_item: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for b in ballots {
        by_item.entry(b.item_id.as_str()).or_default().push(b.voter_id.as_str());
    }
    let mut found = std::collections::HashSet::new();
    for (item, voters) in by_item {
        let voted: std::collections::HashSet<String> = ballot_participations::Entity::find()
            .select_only()
            .column(ballot_participations::Column::VoterId)
            .filter(ballot_participations::Column::ItemId.eq(item))
            .filter(ballot_participations::Column::VoterId.is_in(crate::db::pow2_padded(voters.clone())))
            .into_tuple::<String>()
            .all(tx)
            .await?
            .into_iter()
            .collect();
        found.extend(voters.into_iter().filter(|v| voted.contains(*v)).map(|v| (item, v)));
    }
    Ok(found)
}

/// The voters' memberships of the meetings' units now, by (unit, voter): one statement per unit.
async fn memberships_of<'a>(tx: &impl ConnectionTrait, ballots: &[&'a BallotWrite]) -> AppResult<std::collections::HashMap<(&'a str, &'a str), Membership>> {
    use crate::store::entities::memberships;
    let mut by_unit: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for b in ballots {
        by_unit.entry(b.meeting.unit_id.as_str()).or_default().insert(b.voter_id.as_str());
    }
    let mut out = std::collections::HashMap::new();
    for (unit, voters) in by_unit {
        let found: std::collections::HashMap<String, Member> = memberships::Entity::find()
            .filter(memberships::Column::UnitId.eq(unit))
            .filter(memberships::Column::UserId.is_in(crate::db::pow2_padded(voters.iter().copied().collect())))
            .all(tx)
            .await?
            .into_iter()
            .map(|m| (m.user_id, (m.roles, m.section_id)))
            .collect();
        out.extend(voters.into_iter().map(|v| ((unit, v), found.get(v).cloned())));
    }
    Ok(out)
}

/// R08's refusal of a ballot by a member not registered present.
fn not_present_refusal() -> AppError {
    AppError::rule("R08", "您未登记出席本次会议，不能投票；缺席成员可在会前提交书面意见")
}

/// The item is still being voted on, in the mode the caller checked (R11).
fn still_open(item: &meeting_items::Model, mode: VoteMode) -> AppResult<()> {
    require_voting(item)?;
    if item.mode.as_deref().unwrap_or("named") != mode.as_str() {
        return Err(AppError::conflict("表决方式已变更，请刷新后重新投票"));
    }
    Ok(())
}

fn choice_index(c: BallotChoice) -> usize {
    match c {
        BallotChoice::Agree => 0,
        BallotChoice::Disagree => 1,
        BallotChoice::Defer => 2,
        BallotChoice::Abstain => 3,
    }
}

/// Secret ballots: only the item's counters change, and each opinion goes to a random place
/// in the item's list, so neither order nor row links an opinion to a voter
/// (docs/architecture.md "Secret ballots").
async fn add_secret(tx: &impl ConnectionTrait, item_id: &str, counts: [i32; 4], opinions: Vec<String>) -> AppResult<()> {
    use secret_tallies::Column as C;
    let n: i32 = counts.iter().sum();
    // The increment takes the row lock (PostgreSQL) before the opinions are rewritten.
    let res = secret_tallies::Entity::update_many()
        .col_expr(C::Agree, Expr::col(C::Agree).add(counts[0]))
        .col_expr(C::Disagree, Expr::col(C::Disagree).add(counts[1]))
        .col_expr(C::Defer, Expr::col(C::Defer).add(counts[2]))
        .col_expr(C::Abstain, Expr::col(C::Abstain).add(counts[3]))
        .col_expr(C::Version, Expr::col(C::Version).add(n))
        .filter(C::Id.eq(item_id))
        .exec(tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::internal("secret tally row missing"));
    }
    if !opinions.is_empty() {
        let t = secret_tallies::Entity::find_by_id(item_id.to_string()).one(tx).await?.ok_or_else(|| AppError::internal("secret tally row missing"))?;
        let mut ops: Vec<String> = json_ids(&t.opinions);
        for o in opinions {
            let at = random_index(ops.len());
            ops.insert(at, o);
        }
        secret_tallies::Entity::update_many().col_expr(C::Opinions, Expr::value(to_json(&ops)?)).filter(C::Id.eq(item_id)).exec(tx).await?;
    }
    Ok(())
}

/// The chair's live count: ballots so far and members present who may vote, counted in SQL
/// and sent to the chair, the clerks and the principal. Outside the writers: a failure here
/// loses nothing (the next count sends it).
///
/// Counted at most once per [`COUNT_INTERVAL`] per item, and never twice at once: ballots
/// recorded while a count runs or rests ask for one more, so the last count sent always
/// follows the last ballot. (Counted after every group, the three reads cost PostgreSQL
/// about as much as the group's own statements.)
#[derive(Clone)]
struct LiveCounts {
    db: Db,
    events: EventBus,
    /// Items being counted, and whether ballots were recorded since their count began.
    counting: Arc<std::sync::Mutex<std::collections::HashMap<String, bool>>>,
}

const COUNT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

impl LiveCounts {
    fn recorded(&self, recorded: Vec<BallotWrite>) {
        let mut seen = std::collections::BTreeSet::new();
        for b in recorded {
            if !seen.insert(b.item_id.clone()) {
                continue;
            }
            let mut counting = self.counting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match counting.get_mut(&b.item_id) {
                Some(again) => *again = true,
                None => {
                    counting.insert(b.item_id.clone(), false);
                    tokio::spawn(self.clone().count(b));
                }
            }
        }
    }

    async fn count(self, b: BallotWrite) {
        loop {
            let began = tokio::time::Instant::now();
            self.publish(&b).await;
            tokio::time::sleep_until(began + COUNT_INTERVAL).await;
            let mut counting = self.counting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if counting.get(&b.item_id) == Some(&true) {
                counting.insert(b.item_id.clone(), false);
            } else {
                counting.remove(&b.item_id);
                return;
            }
        }
    }

    async fn publish(&self, b: &BallotWrite) {
        let BallotWrite { meeting: m, proposal_id, item_id, eligible, .. } = b;
        let conn = &self.db.conn;
        let counted = futures::try_join!(
            async { AppResult::Ok(ballot_participations::Entity::find().filter(ballot_participations::Column::ItemId.eq(item_id.clone())).count(conn).await?) },
            async {
                AppResult::Ok(
                    attendance::Entity::find()
                        .filter(attendance::Column::MeetingId.eq(m.id.clone()))
                        .filter(attendance::Column::Status.eq(AttendanceStatus::Present.as_str()))
                        .filter(attendance::Column::UserId.is_in(eligible.clone()))
                        .count(conn)
                        .await?,
                )
            },
            chair_and_clerks(conn, m),
        );
        match counted {
            Ok((cast_n, pe, chair)) => self.events.publish(chair, "vote", json!({
                "kind": "ballot_count", "meeting_id": m.id, "proposal_id": proposal_id,
                "ballots_cast": cast_n, "present_eligible": pe, "eligible": eligible.len(),
            })),
            Err(e) => tracing::warn!(error = %e.message, item = %item_id, "live ballot count not sent"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Kept;

    #[test]
    fn kept_rows_stay_within_their_bound() {
        let mut k: Kept<u32, u32> = Kept::new(2);
        k.put(1, 10);
        k.put(2, 20);
        assert_eq!((k.get(&1), k.get(&2)), (Some(10), Some(20)));
        // Full, and nothing expired yet: the map starts over with the new entry.
        k.put(3, 30);
        assert_eq!((k.get(&1), k.get(&2), k.get(&3)), (None, None, Some(30)));
        assert!(k.map.len() <= 2);
    }
}
