//! Audit log (R19): append-only, hash-chained, written in the same transaction as the
//! change it records. Each entry stores SHA-256(previous hash ‖ canonical entry); the
//! head row (`audit_head`) holds the last seq and hash, so a removed tail is detected too.
//! On PostgreSQL the head row is locked `FOR UPDATE` — that is what orders concurrent appends.
use crate::error::{AppError, AppResult};
use crate::store::entities::{audit_head, audit_log};
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    ColumnTrait,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted, for whom (D11 backups), and from where.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub user_id: Option<String>,
    pub on_behalf_of: Option<String>,
    pub client_addr: Option<String>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor::default()
    }
}

#[derive(Clone, Debug)]
pub struct NewEntry {
    pub unit_id: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub before: Value,
    pub after: Value,
    /// Archive-related entries are kept forever (R19); others at least six months.
    pub permanent: bool,
}

#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    id: &'a str,
    at: String,
    actor_id: Option<&'a str>,
    on_behalf_of: Option<&'a str>,
    unit_id: Option<&'a str>,
    action: &'a str,
    object_type: &'a str,
    object_id: Option<&'a str>,
    before_state: &'a str,
    after_state: &'a str,
    client_addr: Option<&'a str>,
    permanent: bool,
}

fn canonical_hash(prev_hash: &str, m: &audit_log::Model) -> AppResult<String> {
    let c = Canonical {
        seq: m.seq,
        id: &m.id,
        at: m.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        actor_id: m.actor_id.as_deref(),
        on_behalf_of: m.on_behalf_of.as_deref(),
        unit_id: m.unit_id.as_deref(),
        action: &m.action,
        object_type: &m.object_type,
        object_id: m.object_id.as_deref(),
        before_state: &m.before_state,
        after_state: &m.after_state,
        client_addr: m.client_addr.as_deref(),
        permanent: m.permanent,
    };
    let text = serde_json::to_string(&c)?;
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(text.as_bytes());
    Ok(hex::encode(h.finalize()))
}

/// Creates the chain's head row if missing (idempotent; run at start-up).
pub async fn ensure_head(db: &impl ConnectionTrait) -> AppResult<()> {
    let head = audit_head::ActiveModel { id: Set(1), seq: Set(0), hash: Set(GENESIS_HASH.to_string()) };
    audit_head::Entity::insert(head)
        .on_conflict(OnConflict::column(audit_head::Column::Id).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The chain's last sequence number: every committed change appends to the chain in its own
/// transaction, so a different number means something changed (the to-do cache's key).
pub async fn head_seq(db: &impl ConnectionTrait) -> AppResult<i64> {
    Ok(audit_head::Entity::find_by_id(1).one(db).await?.map(|h| h.seq).unwrap_or(0))
}

/// The audit chain's head sequence for readers that only need to know whether anything
/// changed (the to-do cache, `crate::tasks`), without a statement per request. Every committed
/// change appends to the chain. A commit by this process is seen at once: its count
/// (`Db::local_commits`) moves before its client is answered, and then the head is read again.
/// A commit by another instance is seen once the head read here is [`HEAD_TTL`] old.
#[derive(Clone, Default)]
pub struct HeadCache(std::sync::Arc<std::sync::Mutex<Option<HeadRead>>>);

#[derive(Clone, Copy)]
struct HeadRead {
    seq: i64,
    at: std::time::Instant,
    local_commits: u64,
}

/// How long another instance's change may go unseen by [`HeadCache`].
pub const HEAD_TTL: std::time::Duration = std::time::Duration::from_secs(1);

impl HeadCache {
    pub async fn current(&self, db: &crate::db::Db) -> AppResult<i64> {
        // Counted before the read: a commit meanwhile makes the next call read again.
        let local_commits = db.local_commits();
        let cached = *self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = cached {
            if h.local_commits == local_commits && h.at.elapsed() < HEAD_TTL {
                return Ok(h.seq);
            }
        }
        let at = std::time::Instant::now();
        let seq = head_seq(&db.conn).await?;
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Keep the newer of two concurrent reads.
        if slot.is_none_or(|h| h.local_commits <= local_commits) {
            *slot = Some(HeadRead { seq, at, local_commits });
        }
        Ok(seq)
    }
}

/// Appends one entry inside the caller's transaction. Returns its sequence number.
pub async fn append(
    tx: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: &Actor,
    e: NewEntry,
) -> AppResult<i64> {
    append_many(tx, vec![(at, actor.clone(), e)]).await
}

/// Appends entries in order inside the caller's transaction, reading and moving the head
/// once for all of them (group commit of ballots). Returns the last sequence number, or the
/// head's if `entries` is empty.
pub async fn append_many(tx: &impl ConnectionTrait, entries: Vec<(DateTime<Utc>, Actor, NewEntry)>) -> AppResult<i64> {
    let mut q = audit_head::Entity::find_by_id(1);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let head = q
        .one(tx)
        .await?
        .ok_or_else(|| AppError::internal("audit head row missing"))?;
    if entries.is_empty() {
        return Ok(head.seq);
    }
    let (mut seq, mut hash) = (head.seq, head.hash.clone());
    let mut rows = Vec::with_capacity(entries.len());
    for (at, actor, e) in entries {
        let mut m = audit_log::Model {
            seq: seq + 1,
            id: uuid::Uuid::now_v7().to_string(),
            at,
            actor_id: actor.user_id,
            on_behalf_of: actor.on_behalf_of,
            unit_id: e.unit_id,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            before_state: canonical_json(&e.before)?,
            after_state: canonical_json(&e.after)?,
            client_addr: actor.client_addr,
            permanent: e.permanent,
            prev_hash: hash,
            hash: String::new(),
        };
        m.hash = canonical_hash(&m.prev_hash, &m)?;
        seq = m.seq;
        hash = m.hash.clone();
        rows.push(audit_log::ActiveModel::from(m));
    }
    // Bound parameters per statement stay far below SQLite's and PostgreSQL's limits, and the
    // statements come in few shapes (`db::pow2_runs`).
    let mut chunks: Vec<&[audit_log::ActiveModel]> = crate::db::pow2_runs(&rows, 256);
    let last = chunks.pop().unwrap_or_default();
    for chunk in chunks {
        audit_log::Entity::insert_many(chunk.to_vec()).exec_without_returning(tx).await?;
    }
    let move_head = audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, seq.into())
        .col_expr(audit_head::Column::Hash, hash.into())
        .filter(audit_head::Column::Id.eq(1))
        .filter(audit_head::Column::Seq.eq(head.seq));
    let updated = if tx.get_database_backend() == DbBackend::Postgres {
        // One statement for the last rows and the head (`WITH ins AS (INSERT …) UPDATE
        // audit_head …`): the group commits of ballots move the head once per group, and
        // each statement costs PostgreSQL a round trip.
        use sea_orm::sea_query::PostgresQueryBuilder;
        let insert = audit_log::Entity::insert_many(last.to_vec()).into_query().build(PostgresQueryBuilder);
        let update = move_head.into_query().build(PostgresQueryBuilder);
        tx.execute_raw(crate::db::pg_with(vec![("ins", insert)], update)).await?.rows_affected()
    } else {
        audit_log::Entity::insert_many(last.to_vec()).exec_without_returning(tx).await?;
        move_head.exec(tx).await?.rows_affected
    };
    if updated != 1 {
        return Err(AppError::conflict("审计日志并发写入冲突，请重试（audit chain race）"));
    }
    Ok(seq)
}

/// JSON with sorted keys (serde_json's default map is ordered), so the stored text is stable.
fn canonical_json(v: &Value) -> AppResult<String> {
    Ok(serde_json::to_string(v)?)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VerifyReport {
    pub ok: bool,
    pub entries: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bad: Option<BadEntry>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BadEntry {
    pub seq: i64,
    pub reason: String,
}

/// Walks the whole chain: sequence continuity, each link, each hash, and the head.
pub async fn verify(db: &impl ConnectionTrait) -> AppResult<VerifyReport> {
    Ok(verify_from(db, 0, GENESIS_HASH).await?.0)
}

/// The last full verification of the chain by this process: its end (seq and hash) and its
/// server time. `verify_recent` checks only what was appended since, for a while.
#[derive(Clone, Default)]
pub struct VerifiedChain(std::sync::Arc<std::sync::Mutex<Option<FullVerification>>>);

/// Where a full verification ended (entries, hash of the last one) and when it ran.
#[derive(Clone)]
struct FullVerification {
    entries: i64,
    hash: String,
    at: DateTime<Utc>,
}

/// How long an incremental check may lean on the last full verification.
pub const FULL_VERIFY_EVERY_MINUTES: i64 = 10;

/// The chain as the compliance report needs it on every call, without reading the whole log
/// each time (a year of work is millions of entries): when this process verified the whole
/// chain less than [`FULL_VERIFY_EVERY_MINUTES`] ago, only the entries appended since are
/// verified, linked to the hash it ended with; otherwise, or when that finds anything wrong,
/// the whole chain is. Returns the report and the time of the full verification it rests on.
/// An edit to an entry older than that full verification shows at the next one; `GET
/// /api/v1/audit/verify` and `yishi audit verify` always walk the whole chain.
pub async fn verify_recent(db: &impl ConnectionTrait, cache: &VerifiedChain, now: DateTime<Utc>) -> AppResult<(VerifyReport, DateTime<Utc>)> {
    let last = cache.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    if let Some(FullVerification { entries: seq, hash, at }) = last {
        let age = now.signed_duration_since(at);
        if age >= chrono::Duration::zero() && age < chrono::Duration::minutes(FULL_VERIFY_EVERY_MINUTES) {
            let (r, _) = verify_from(db, seq, &hash).await?;
            if r.ok {
                return Ok((r, at));
            }
        }
    }
    let (r, end) = verify_from(db, 0, GENESIS_HASH).await?;
    let mut c = cache.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    *c = r.ok.then_some(FullVerification { entries: r.entries, hash: end, at: now });
    Ok((r, now))
}

/// Verifies the entries after `done` (whose hash is `done_hash`) and the head; also returns
/// the hash the chain ends with.
async fn verify_from(db: &impl ConnectionTrait, done: i64, done_hash: &str) -> AppResult<(VerifyReport, String)> {
    let mut prev_hash = done_hash.to_string();
    let mut expected_seq = done + 1;
    let mut count = done;
    let page = 2000u64;
    loop {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_log::Column::Seq)
            .limit(page)
            .all(db)
            .await?;
        let n = rows.len();
        for r in rows {
            let bad = |reason: &str| VerifyReport {
                ok: false,
                entries: count,
                first_bad: Some(BadEntry { seq: r.seq, reason: reason.to_string() }),
            };
            if r.seq != expected_seq {
                return Ok((VerifyReport {
                    ok: false,
                    entries: count,
                    first_bad: Some(BadEntry {
                        seq: expected_seq,
                        reason: format!("entry {expected_seq} is missing (next present is {})", r.seq),
                    }),
                }, prev_hash));
            }
            if r.prev_hash != prev_hash {
                return Ok((bad("link to the previous entry is broken (removed or reordered entry)"), prev_hash));
            }
            if canonical_hash(&prev_hash, &r)? != r.hash {
                return Ok((bad("content does not match its hash (altered entry)"), prev_hash));
            }
            prev_hash = r.hash.clone();
            expected_seq += 1;
            count += 1;
        }
        if (n as u64) < page {
            break;
        }
    }
    // Entries below seq 1 cannot exist in an untampered chain.
    let stray = audit_log::Entity::find().filter(audit_log::Column::Seq.lt(1)).one(db).await?;
    if let Some(s) = stray {
        return Ok((VerifyReport {
            ok: false,
            entries: count,
            first_bad: Some(BadEntry { seq: s.seq, reason: "entry with an impossible sequence number".into() }),
        }, prev_hash));
    }
    let head = audit_head::Entity::find_by_id(1).one(db).await?;
    let report = match head {
        Some(h) if h.seq == count && h.hash == prev_hash => VerifyReport { ok: true, entries: count, first_bad: None },
        Some(h) => VerifyReport {
            ok: false,
            entries: count,
            first_bad: Some(BadEntry {
                seq: count + 1,
                reason: format!("chain ends at {count} but the head records {} (entries removed at the end)", h.seq),
            }),
        },
        None => VerifyReport {
            ok: count == 0,
            entries: count,
            first_bad: (count > 0).then(|| BadEntry { seq: 0, reason: "audit head missing".into() }),
        },
    };
    Ok((report, prev_hash))
}
