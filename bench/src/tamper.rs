//! Tamper detection (R19): random single-row edits, deletions, reorderings and forgeries
//! of audit rows, made directly in the database; after each one `yishi::audit::verify`
//! (what `yishi audit verify` and `GET /api/v1/audit/verify` run) must report the chain
//! broken. Each tampering happens inside a transaction that is rolled back afterwards, so
//! thousands of trials run against one chain, on SQLite and PostgreSQL alike.
use anyhow::{Result, anyhow, bail};
use chrono::{SecondsFormat, Utc};
use rand::{Rng, SeedableRng, seq::SliceRandom};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use yishi::audit::{Actor, NewEntry};
use yishi::store::entities::{audit_head, audit_log};

#[derive(Clone, Debug, Default, Serialize)]
pub struct TamperReport {
    pub chain_entries: i64,
    pub trials: usize,
    pub detected: usize,
    /// kind → (trials, detected)
    pub by_kind: BTreeMap<String, (usize, usize)>,
    /// Descriptions of tamperings that verify did NOT detect (must be empty).
    pub undetected: Vec<String>,
}

const KINDS: &[&str] = &[
    "edit_field",
    "edit_field_rehash",
    "delete_row",
    "delete_tail",
    "swap_rows",
    "move_row",
    "forge_tail",
    "edit_head",
];

const FIELDS: &[&str] = &[
    "id",
    "at",
    "actor_id",
    "on_behalf_of",
    "unit_id",
    "action",
    "object_type",
    "object_id",
    "before_state",
    "after_state",
    "client_addr",
    "permanent",
    "prev_hash",
    "hash",
];

/// Appends `n` varied entries (nulls and values in every optional column) so that every
/// column can be tampered with. Uses the application's write transaction (serialised with
/// a running server's own writers in the same process).
pub async fn build_chain(db: &yishi::db::Db, n: usize, seed: u64) -> Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let base = Utc::now();
    for i in 0..n {
        let tx = db.begin_write().await.map_err(|e| anyhow!("{e}"))?;
        let opt = |rng: &mut rand::rngs::StdRng, v: String| if rng.gen_bool(0.5) { Some(v) } else { None };
        let actor = Actor {
            user_id: opt(&mut rng, uuid::Uuid::now_v7().to_string()),
            on_behalf_of: opt(&mut rng, uuid::Uuid::now_v7().to_string()),
            client_addr: {
                let addr = format!("10.0.{}.{}", rng.gen_range(0..255), rng.gen_range(1..255));
                opt(&mut rng, addr)
            },
        };
        let entry = NewEntry {
            unit_id: opt(&mut rng, uuid::Uuid::now_v7().to_string()),
            action: [
                "proposal.submit",
                "meeting.open",
                "ballot.cast",
                "outgoing.signoff",
                "minutes.approve",
            ][i % 5]
                .into(),
            object_type: ["proposal", "meeting", "ballot", "outgoing", "minutes"][i % 5].into(),
            object_id: opt(&mut rng, uuid::Uuid::now_v7().to_string()),
            before: if rng.gen_bool(0.3) {
                Value::Null
            } else {
                json!({ "state": "draft", "n": i })
            },
            after: json!({ "state": "submitted", "n": i, "备注": "测试" }),
            permanent: rng.gen_bool(0.2),
        };
        let at = (base + chrono::Duration::milliseconds(i as i64 * 37)).trunc_subsecs_micros();
        yishi::audit::append(&*tx, at, &actor, entry).await.map_err(|e| anyhow!("{e}"))?;
        tx.commit().await.map_err(|e| anyhow!("{e}"))?;
    }
    Ok(())
}

trait TruncMicros {
    fn trunc_subsecs_micros(self) -> Self;
}
impl TruncMicros for chrono::DateTime<Utc> {
    fn trunc_subsecs_micros(self) -> Self {
        use chrono::SubsecRound;
        self.trunc_subsecs(6)
    }
}

/// The chain's hash of one entry, as `yishi::audit` computes it (the algorithm is
/// public: an attacker knows it). Checked against the stored hashes before any trial, so
/// a change of the algorithm shows up as an error here, not as a silent pass.
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

fn rehash(prev_hash: &str, m: &audit_log::Model) -> Result<String> {
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
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(serde_json::to_string(&c)?.as_bytes());
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn flip_hex(s: &str, rng: &mut impl Rng) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.is_empty() {
        return "0".into();
    }
    let i = rng.gen_range(0..c.len());
    c[i] = if c[i] == '0' { '1' } else { '0' };
    c.into_iter().collect()
}

fn changed_text(s: &str, rng: &mut impl Rng) -> String {
    match rng.gen_range(0..3) {
        0 => format!("{s}x"),
        1 if !s.is_empty() => s[..s.len() - 1].to_string() + if s.ends_with('z') { "y" } else { "z" },
        _ => format!("篡改{}", rng.gen_range(0..1_000_000)),
    }
}

fn changed_json(s: &str, rng: &mut impl Rng) -> String {
    let mut v: Value = serde_json::from_str(s).unwrap_or(Value::Null);
    match &mut v {
        Value::Object(m) if !m.is_empty() && rng.gen_bool(0.5) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let k = &keys[rng.gen_range(0..keys.len())];
            m.insert(k.clone(), json!(format!("tampered-{}", rng.gen_range(0..1000))));
        }
        Value::Object(m) => {
            m.insert("tampered".into(), json!(true));
        }
        _ => v = json!({ "tampered": true }),
    }
    serde_json::to_string(&v).unwrap_or_else(|_| "{}".into())
}

fn changed_opt(v: &Option<String>, rng: &mut impl Rng) -> Option<String> {
    match v {
        None => Some(uuid::Uuid::now_v7().to_string()),
        Some(s) if rng.gen_bool(0.3) => {
            let _ = s;
            None
        }
        Some(s) => Some(changed_text(s, rng)),
    }
}

/// Applies `field` tampering to `m` (never a no-op).
fn tamper_field(m: &mut audit_log::Model, field: &str, rng: &mut impl Rng) {
    match field {
        "id" => m.id = uuid::Uuid::now_v7().to_string(),
        "at" => {
            let mut secs = rng.gen_range(-86_400i64..86_400);
            if secs == 0 {
                secs = 1;
            }
            m.at += chrono::Duration::seconds(secs);
            if rng.gen_bool(0.3) {
                m.at += chrono::Duration::microseconds(1);
            }
        }
        "actor_id" => m.actor_id = changed_opt(&m.actor_id, rng),
        "on_behalf_of" => m.on_behalf_of = changed_opt(&m.on_behalf_of, rng),
        "unit_id" => m.unit_id = changed_opt(&m.unit_id, rng),
        "action" => m.action = changed_text(&m.action, rng),
        "object_type" => m.object_type = changed_text(&m.object_type, rng),
        "object_id" => m.object_id = changed_opt(&m.object_id, rng),
        "before_state" => m.before_state = changed_json(&m.before_state, rng),
        "after_state" => m.after_state = changed_json(&m.after_state, rng),
        "client_addr" => m.client_addr = changed_opt(&m.client_addr, rng),
        "permanent" => m.permanent = !m.permanent,
        "prev_hash" => m.prev_hash = flip_hex(&m.prev_hash, rng),
        _ => m.hash = flip_hex(&m.hash, rng),
    }
}

fn active(m: &audit_log::Model) -> audit_log::ActiveModel {
    audit_log::ActiveModel {
        seq: Set(m.seq),
        id: Set(m.id.clone()),
        at: Set(m.at),
        actor_id: Set(m.actor_id.clone()),
        on_behalf_of: Set(m.on_behalf_of.clone()),
        unit_id: Set(m.unit_id.clone()),
        action: Set(m.action.clone()),
        object_type: Set(m.object_type.clone()),
        object_id: Set(m.object_id.clone()),
        before_state: Set(m.before_state.clone()),
        after_state: Set(m.after_state.clone()),
        client_addr: Set(m.client_addr.clone()),
        permanent: Set(m.permanent),
        prev_hash: Set(m.prev_hash.clone()),
        hash: Set(m.hash.clone()),
    }
}

/// Overwrites every column of the row `seq = m.seq` with `m`.
async fn write_row(tx: &impl ConnectionTrait, m: &audit_log::Model) -> Result<()> {
    active(m).update(tx).await?;
    Ok(())
}

/// Runs `trials` random tamperings against the chain in `db` (which must verify first).
pub async fn run(db: &DatabaseConnection, trials: usize, seed: u64) -> Result<TamperReport> {
    let clean = yishi::audit::verify(db).await.map_err(|e| anyhow!("{e}"))?;
    if !clean.ok {
        bail!("the chain does not verify before tampering: {:?}", clean.first_bad);
    }
    let rows = audit_log::Entity::find().order_by_asc(audit_log::Column::Seq).all(db).await?;
    if rows.len() < 3 {
        bail!("need at least 3 audit entries, have {}", rows.len());
    }
    // The replica of the hash must agree with the stored chain.
    for r in &rows {
        if rehash(&r.prev_hash, r)? != r.hash {
            bail!(
                "tamper harness: hash replica disagrees with yishi::audit at seq {} (algorithm changed?)",
                r.seq
            );
        }
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut rep = TamperReport {
        chain_entries: clean.entries,
        trials,
        ..Default::default()
    };
    for t in 0..trials {
        let kind = KINDS[t % KINDS.len()];
        // IMMEDIATE on SQLite: take the write lock up front (a running server may write too).
        let tx = db
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        let i = rng.gen_range(0..rows.len());
        let m = rows[i].clone();
        let desc = match kind {
            "edit_field" => {
                let field = FIELDS.choose(&mut rng).copied().unwrap_or("action");
                let mut x = m.clone();
                tamper_field(&mut x, field, &mut rng);
                write_row(&tx, &x).await?;
                format!("edit {field} of seq {}", m.seq)
            }
            "edit_field_rehash" => {
                // The forger recomputes the edited row's own hash (not the rest of the chain).
                let field = ["action", "after_state", "actor_id", "at", "object_id", "permanent"]
                    .choose(&mut rng)
                    .copied()
                    .unwrap_or("action");
                let mut x = m.clone();
                tamper_field(&mut x, field, &mut rng);
                x.hash = rehash(&x.prev_hash, &x)?;
                write_row(&tx, &x).await?;
                format!("edit {field} of seq {} and recompute its hash", m.seq)
            }
            "delete_row" => {
                audit_log::Entity::delete_many()
                    .filter(audit_log::Column::Seq.eq(m.seq))
                    .exec(&tx)
                    .await?;
                format!("delete seq {}", m.seq)
            }
            "delete_tail" => {
                let last = rows.len() - rng.gen_range(1..=rows.len().min(3));
                audit_log::Entity::delete_many()
                    .filter(audit_log::Column::Seq.gte(rows[last].seq))
                    .exec(&tx)
                    .await?;
                format!("delete the tail from seq {}", rows[last].seq)
            }
            "swap_rows" => {
                let mut j = rng.gen_range(0..rows.len());
                if j == i {
                    j = (i + 1) % rows.len();
                }
                let (a, b) = (&rows[i], &rows[j]);
                let mut a2 = b.clone();
                a2.seq = a.seq;
                let mut b2 = a.clone();
                b2.seq = b.seq;
                write_row(&tx, &a2).await?;
                write_row(&tx, &b2).await?;
                format!("swap the contents of seq {} and {}", a.seq, b.seq)
            }
            "move_row" => {
                // Renumber one entry (reordering by sequence number).
                let to = if rng.gen_bool(0.5) {
                    m.seq + rows.len() as i64 + rng.gen_range(1..100)
                } else {
                    -rng.gen_range(0..100)
                };
                audit_log::Entity::update_many()
                    .col_expr(audit_log::Column::Seq, Expr::value(to))
                    .filter(audit_log::Column::Seq.eq(m.seq))
                    .exec(&tx)
                    .await?;
                format!("renumber seq {} to {to}", m.seq)
            }
            "forge_tail" => {
                // A correctly chained extra entry after the last one, head left alone.
                let last = rows.last().cloned().unwrap_or(m);
                let mut f = last.clone();
                f.seq = last.seq + 1;
                f.id = uuid::Uuid::now_v7().to_string();
                f.action = "forged.entry".into();
                f.prev_hash = last.hash.clone();
                f.hash = rehash(&f.prev_hash, &f)?;
                audit_log::Entity::insert(active(&f)).exec_without_returning(&tx).await?;
                format!("append a chained forged entry seq {}", f.seq)
            }
            _ => {
                let head = audit_head::Entity::find_by_id(1)
                    .one(&tx)
                    .await?
                    .ok_or_else(|| anyhow!("no audit head"))?;
                let (seq, hash) = if rng.gen_bool(0.5) {
                    (
                        head.seq + rng.gen_range(1..5) * if rng.gen_bool(0.5) { 1 } else { -1 },
                        head.hash.clone(),
                    )
                } else {
                    (head.seq, flip_hex(&head.hash, &mut rng))
                };
                audit_head::Entity::update_many()
                    .col_expr(audit_head::Column::Seq, Expr::value(seq))
                    .col_expr(audit_head::Column::Hash, Expr::value(hash))
                    .filter(audit_head::Column::Id.eq(1))
                    .exec(&tx)
                    .await?;
                "edit the chain head".to_string()
            }
        };
        let report = yishi::audit::verify(&tx).await.map_err(|e| anyhow!("{e}"))?;
        tx.rollback().await?;
        let e = rep.by_kind.entry(kind.to_string()).or_default();
        e.0 += 1;
        if report.ok {
            rep.undetected.push(desc);
        } else {
            e.1 += 1;
            rep.detected += 1;
        }
    }
    // Every rollback really restored the chain.
    let after = yishi::audit::verify(db).await.map_err(|e| anyhow!("{e}"))?;
    if !after.ok || after.entries != clean.entries {
        bail!(
            "the chain does not verify after the trials (rollback failed?): {:?}",
            after.first_bad
        );
    }
    Ok(rep)
}

impl TamperReport {
    pub fn summary(&self) -> String {
        let kinds: Vec<String> = self.by_kind.iter().map(|(k, (n, d))| format!("{k} {d}/{n}")).collect();
        format!(
            "{} tamperings of a {}-entry chain: {} detected, {} undetected ({})",
            self.trials,
            self.chain_entries,
            self.detected,
            self.undetected.len(),
            kinds.join(", ")
        )
    }
}
