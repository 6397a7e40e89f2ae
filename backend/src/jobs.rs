//! Background job runner (R46): due jobs are claimed with a lease, so that with any
//! number of instances on one database each job runs exactly once, and a crashed
//! instance's job is picked up again when its lease expires.
//!
//! # API for the flow modules
//! ```ignore
//! // Enqueue inside the use case's transaction (insert-or-ignore on `dedupe_key`):
//! jobs::schedule(&*tx, "publication.close", &format!("publication.close:{id}"), closes_at,
//!                json!({"publication_id": id})).await?;
//! ```
//! - `dedupe_key` names the *occurrence* (unique forever): scheduling the same key twice
//!   enqueues one job, and a done job is never re-run by re-scheduling it.
//! - A handler is `pub async fn run_job(state: &AppState, kind: &str, payload: &Value)
//!   -> AppResult<Value>` in the flow module, called from [`dispatch`] (one match arm per
//!   kind). It opens its own write transaction (`state.db.begin_write()`); the runner holds
//!   no transaction while it runs. The returned JSON is stored in `jobs.result`.
//! - Handlers must be idempotent at the data level (conditional updates such as
//!   `WHERE state = 'open'`): the runner guarantees that one claim at a time runs a job and
//!   that a finished job is never claimed again, but a process killed between the handler's
//!   commit and the runner's "done" mark leaves the job to be re-run after its lease expires.
//! - Periodic sweeps ([`SWEEPS`]: reminders, flag computation, safety nets for missed
//!   one-off jobs) are scheduled by every instance's tick with `dedupe_key =
//!   "sweep:{kind}:{bucket start}"`, so each time bucket runs once across all instances.
//!
//! # Guarantees (docs/operations.md "Several instances")
//! - Claim: one statement-level conditional UPDATE
//!   `… SET state='running', lease_owner=me, lease_until=now+lease WHERE id=? AND
//!   ((state='pending' AND run_at<=now) OR (state='running' AND lease_until<now))`, inside a
//!   write transaction; on PostgreSQL the candidate row is first selected
//!   `FOR UPDATE SKIP LOCKED`, on SQLite the transaction is `BEGIN IMMEDIATE`. Only one
//!   instance's UPDATE can match.
//! - A handler runs at most `lease / 2` (then it is abandoned and counted as failed), so a
//!   job's lease never expires while its owner is still running it (clocks in sync).
//! - Done: `UPDATE … SET state='done' WHERE id=? AND lease_owner=me AND state='running'`.
//! - Failure: retried with exponential backoff (10 s, 20 s, 40 s … capped at 1 h), each
//!   attempt recorded in `job_attempts` (instance, start, end, outcome, error); after
//!   `max_attempts` the job is `failed` and stays visible to operators.
//!
//! Settings (environment): `YISHI_JOB_TICK_MS` (default 1000), `YISHI_JOB_LEASE_SECS`
//! (default 300), `YISHI_JOB_MAX_ATTEMPTS` (default 8). Time is `state.clock.now()`, so the
//! test clock moves due times too.
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::entities::{job_attempts, jobs};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::{Value, json};
use std::collections::HashMap;

pub const PENDING: &str = "pending";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// A periodic job: every instance schedules it once per `period_secs` bucket; the
/// dedupe key makes it run once per bucket in the whole deployment.
#[derive(Clone, Copy, Debug)]
pub struct Sweep {
    pub kind: &'static str,
    pub period_secs: i64,
}

/// Periodic sweeps. Add a line here and a match arm in [`dispatch`].
pub const SWEEPS: &[Sweep] = &[
    Sweep { kind: "jobs.purge", period_secs: 86_400 },
    Sweep { kind: crate::minutes::publication::JOB_SWEEP, period_secs: 300 },
    Sweep { kind: crate::oversight::FLAGS_SWEEP, period_secs: 3_600 },
    Sweep { kind: crate::incoming::REMINDER_SWEEP, period_secs: 300 },
];

/// Enqueues a job inside the caller's transaction; a second call with the same
/// `dedupe_key` (even after the first has run) does nothing.
pub async fn schedule(
    tx: &impl ConnectionTrait,
    kind: &str,
    dedupe_key: &str,
    run_at: DateTime<Utc>,
    payload: Value,
) -> AppResult<()> {
    schedule_new(tx, kind, dedupe_key, run_at, payload).await.map(|_| ())
}

/// Like [`schedule`], telling whether a new job was inserted.
pub async fn schedule_new(
    tx: &impl ConnectionTrait,
    kind: &str,
    dedupe_key: &str,
    run_at: DateTime<Utc>,
    payload: Value,
) -> AppResult<bool> {
    let m = jobs::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        kind: Set(kind.to_string()),
        dedupe_key: Set(dedupe_key.to_string()),
        run_at: Set(run_at),
        payload: Set(serde_json::to_string(&payload)?),
        state: Set(PENDING.to_string()),
        lease_owner: Set(None),
        lease_until: Set(None),
        attempts: Set(0),
        done_at: Set(None),
        result: Set(None),
    };
    let n = jobs::Entity::insert(m)
        .on_conflict(OnConflict::column(jobs::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(tx)
        .await?;
    Ok(n == 1)
}

/// Runner settings; see the module documentation for the environment variables.
#[derive(Clone, Debug)]
pub struct Settings {
    pub tick: std::time::Duration,
    pub lease_secs: i64,
    pub max_attempts: i32,
    /// Jobs run per tick at most (the rest wait for the next tick).
    pub batch: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { tick: std::time::Duration::from_millis(1000), lease_secs: 300, max_attempts: 8, batch: 100 }
    }
}

impl Settings {
    pub fn from_env() -> Settings {
        let d = Settings::default();
        let num = |k: &str| std::env::var(k).ok().and_then(|v| v.trim().parse::<i64>().ok()).filter(|n| *n > 0);
        Settings {
            tick: num("YISHI_JOB_TICK_MS").map(|ms| std::time::Duration::from_millis(ms as u64)).unwrap_or(d.tick),
            lease_secs: num("YISHI_JOB_LEASE_SECS").unwrap_or(d.lease_secs).max(2),
            max_attempts: num("YISHI_JOB_MAX_ATTEMPTS").map(|n| n.min(1000) as i32).unwrap_or(d.max_attempts),
            batch: d.batch,
        }
    }
}

/// Starts this instance's runner loop (called from start-up when `run_jobs`).
pub fn spawn(state: AppState) {
    let mut runner = Runner::new(state, Settings::from_env());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(runner.settings.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = runner.tick().await {
                tracing::warn!(error = %e, "job runner tick failed");
            }
        }
    });
}

/// Runs every due job once from this process (tests, `yishi` commands). Returns how many ran.
pub async fn run_due(state: &AppState) -> AppResult<usize> {
    Runner::new(state.clone(), Settings::default()).tick().await
}

pub struct Runner {
    state: AppState,
    pub settings: Settings,
    /// The last bucket this instance scheduled per sweep (saves an INSERT per tick).
    last_bucket: HashMap<&'static str, i64>,
}

/// The outcome of one claimed job.
#[derive(Debug)]
enum Outcome {
    Done(Value),
    Failed(String),
}

impl Runner {
    pub fn new(state: AppState, settings: Settings) -> Runner {
        Runner { state, settings, last_bucket: HashMap::new() }
    }

    fn instance(&self) -> &str {
        &self.state.config.instance_id
    }

    /// One pass: schedule the sweeps of the current buckets, then claim and run due jobs.
    pub async fn tick(&mut self) -> AppResult<usize> {
        self.schedule_sweeps().await?;
        let mut ran = 0;
        while ran < self.settings.batch {
            let Some(job) = self.claim().await? else { break };
            self.execute(job).await?;
            ran += 1;
        }
        Ok(ran)
    }

    async fn schedule_sweeps(&mut self) -> AppResult<()> {
        let now = self.state.clock.now();
        for s in SWEEPS {
            let bucket = now.timestamp().div_euclid(s.period_secs) * s.period_secs;
            if self.last_bucket.get(s.kind) == Some(&bucket) {
                continue;
            }
            let at = DateTime::<Utc>::from_timestamp(bucket, 0).unwrap_or(now);
            let key = format!("sweep:{}:{}", s.kind, at.format("%Y-%m-%dT%H:%M:%SZ"));
            let tx = self.state.db.begin_write().await?;
            schedule(&*tx, s.kind, &key, at, json!({ "bucket": at })).await?;
            tx.commit().await?;
            self.last_bucket.insert(s.kind, bucket);
        }
        Ok(())
    }

    /// Claims the oldest due job (pending and due, or running with an expired lease).
    async fn claim(&self) -> AppResult<Option<jobs::Model>> {
        let now = self.state.clock.now();
        let lease_until = now + Duration::seconds(self.settings.lease_secs);
        let due = || {
            Condition::any()
                .add(Condition::all().add(jobs::Column::State.eq(PENDING)).add(jobs::Column::RunAt.lte(now)))
                .add(Condition::all().add(jobs::Column::State.eq(RUNNING)).add(jobs::Column::LeaseUntil.lt(now)))
        };
        // Most ticks find nothing due: asked first without the writer, which on SQLite is the
        // ballots' and every other write's too (one tick a second took it from them).
        if jobs::Entity::find().filter(due()).one(&self.state.db.conn).await?.is_none() {
            return Ok(None);
        }
        let tx = self.state.db.begin_write().await?;
        let mut q = jobs::Entity::find()
            .filter(due())
            .order_by_asc(jobs::Column::RunAt)
            .order_by_asc(jobs::Column::Id)
            .limit(1);
        if tx.get_database_backend() == DbBackend::Postgres {
            q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let Some(job) = q.one(&*tx).await? else { return Ok(None) };
        let res = jobs::Entity::update_many()
            .col_expr(jobs::Column::State, Expr::value(RUNNING))
            .col_expr(jobs::Column::LeaseOwner, Expr::value(Some(self.instance().to_string())))
            .col_expr(jobs::Column::LeaseUntil, Expr::value(Some(lease_until)))
            .col_expr(jobs::Column::Attempts, sea_orm::sea_query::ExprTrait::add(Expr::col(jobs::Column::Attempts), 1))
            .filter(jobs::Column::Id.eq(job.id.clone()))
            .filter(due())
            .exec(&*tx)
            .await?;
        if res.rows_affected != 1 {
            // Another instance claimed it between our SELECT and UPDATE (only possible
            // without row locks); the next tick looks again.
            return Ok(None);
        }
        if job.state == RUNNING {
            // The previous owner's lease expired (crash or hang): close its attempt.
            job_attempts::Entity::update_many()
                .col_expr(job_attempts::Column::Outcome, Expr::value("abandoned"))
                .col_expr(job_attempts::Column::FinishedAt, Expr::value(Some(now)))
                .filter(job_attempts::Column::JobId.eq(job.id.clone()))
                .filter(job_attempts::Column::Outcome.eq(RUNNING))
                .exec(&*tx)
                .await?;
        }
        let attempt = job.attempts + 1;
        job_attempts::Entity::insert(job_attempts::ActiveModel {
            id: Set(attempt_id(&job.id, attempt)),
            job_id: Set(job.id.clone()),
            kind: Set(job.kind.clone()),
            instance_id: Set(self.instance().to_string()),
            attempt: Set(attempt),
            started_at: Set(now),
            finished_at: Set(None),
            outcome: Set(RUNNING.to_string()),
            error: Set(None),
        })
        .exec_without_returning(&*tx)
        .await?;
        tx.commit().await?;
        Ok(Some(jobs::Model {
            state: RUNNING.to_string(),
            lease_owner: Some(self.instance().to_string()),
            lease_until: Some(lease_until),
            attempts: attempt,
            ..job
        }))
    }

    async fn execute(&self, job: jobs::Model) -> AppResult<()> {
        let limit = std::time::Duration::from_secs((self.settings.lease_secs / 2).max(1) as u64);
        let st = self.state.clone();
        let j = job.clone();
        let handle = tokio::spawn(async move { dispatch(&st, &j).await });
        let abort = handle.abort_handle();
        let outcome = match tokio::time::timeout(limit, handle).await {
            Ok(Ok(Ok(v))) => Outcome::Done(v),
            Ok(Ok(Err(e))) => Outcome::Failed(format!("{}: {}", e.code, e.message)),
            Ok(Err(join)) => Outcome::Failed(format!("handler crashed: {join}")),
            Err(_) => {
                abort.abort();
                Outcome::Failed(format!("handler exceeded {} s (half the lease)", limit.as_secs()))
            }
        };
        self.finish(&job, outcome).await
    }

    async fn finish(&self, job: &jobs::Model, outcome: Outcome) -> AppResult<()> {
        let now = self.state.clock.now();
        let mine = || {
            Condition::all()
                .add(jobs::Column::Id.eq(job.id.clone()))
                .add(jobs::Column::State.eq(RUNNING))
                .add(jobs::Column::LeaseOwner.eq(self.instance().to_string()))
        };
        let tx = self.state.db.begin_write().await?;
        let (attempt_outcome, error, updated) = match &outcome {
            Outcome::Done(v) => {
                let res = jobs::Entity::update_many()
                    .col_expr(jobs::Column::State, Expr::value(DONE))
                    .col_expr(jobs::Column::DoneAt, Expr::value(Some(now)))
                    .col_expr(jobs::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
                    .col_expr(jobs::Column::Result, Expr::value(Some(serde_json::to_string(v)?)))
                    .filter(mine())
                    .exec(&*tx)
                    .await?;
                (DONE, None, res.rows_affected)
            }
            Outcome::Failed(msg) => {
                let give_up = job.attempts >= self.settings.max_attempts;
                let result = json!({ "error": msg, "attempts": job.attempts });
                let mut u = jobs::Entity::update_many()
                    .col_expr(jobs::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
                    .col_expr(jobs::Column::Result, Expr::value(Some(result.to_string())));
                if give_up {
                    u = u
                        .col_expr(jobs::Column::State, Expr::value(FAILED))
                        .col_expr(jobs::Column::DoneAt, Expr::value(Some(now)));
                } else {
                    u = u
                        .col_expr(jobs::Column::State, Expr::value(PENDING))
                        .col_expr(jobs::Column::RunAt, Expr::value(now + backoff(job.attempts)));
                }
                let res = u.filter(mine()).exec(&*tx).await?;
                (FAILED, Some(msg.clone()), res.rows_affected)
            }
        };
        let attempt_outcome = if updated == 1 { attempt_outcome } else { "lease_lost" };
        job_attempts::Entity::update_many()
            .col_expr(job_attempts::Column::Outcome, Expr::value(attempt_outcome))
            .col_expr(job_attempts::Column::FinishedAt, Expr::value(Some(now)))
            .col_expr(job_attempts::Column::Error, Expr::value(error.clone()))
            .filter(job_attempts::Column::Id.eq(attempt_id(&job.id, job.attempts)))
            .exec(&*tx)
            .await?;
        tx.commit().await?;
        match (&outcome, updated) {
            (_, 0) => tracing::warn!(job = %job.id, kind = %job.kind, "job finished after its lease was taken over"),
            (Outcome::Done(_), _) => tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempts, "job done"),
            (Outcome::Failed(e), _) => {
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed")
            }
        }
        Ok(())
    }
}

fn attempt_id(job_id: &str, attempt: i32) -> String {
    format!("{job_id}#{attempt}")
}

/// Delay before retry number `attempts` (1-based): 10 s · 2^(attempts−1), at most one hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = (attempts.max(1) - 1).min(16) as u32;
    Duration::seconds((10i64 << exp).min(3_600))
}

/// Calls the handler of a job's kind.
pub async fn dispatch(state: &AppState, job: &jobs::Model) -> AppResult<Value> {
    let payload: Value = serde_json::from_str(&job.payload).unwrap_or(Value::Null);
    match job.kind.as_str() {
        // Diagnostics (operators and tests): does nothing but report who ran it.
        "diag.noop" => Ok(json!({ "instance": state.config.instance_id, "payload": payload })),
        // Fails on the first `fail_times` attempts, then succeeds (exercises retries).
        "diag.fail" => {
            let n = payload["fail_times"].as_i64().unwrap_or(i64::MAX);
            if i64::from(job.attempts) <= n {
                Err(AppError::new("internal", format!("诊断任务按要求失败（attempt {}）", job.attempts)))
            } else {
                Ok(json!({ "instance": state.config.instance_id, "attempt": job.attempts }))
            }
        }
        // Sleeps (seconds in the payload): exercises leases and two runners.
        "diag.sleep" => {
            let ms = payload["ms"].as_u64().unwrap_or(0).min(600_000);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(json!({ "instance": state.config.instance_id }))
        }
        "jobs.purge" => purge(state).await,
        k if k == crate::minutes::publication::JOB_CLOSE || k == crate::minutes::publication::JOB_SWEEP => {
            crate::minutes::publication::run_job(state, k, &payload).await
        }
        k if k == crate::oversight::FLAGS_SWEEP => crate::oversight::run_job(state, k, &payload).await,
        k if k == crate::deliberation::LAPSE_JOB => crate::deliberation::run_job(state, k, &payload).await,
        k if k == crate::incoming::REMINDER_SWEEP => crate::incoming::run_job(state, k, &payload).await,
        other => Err(AppError::new("invalid", format!("未知的后台任务类型：{other}（unknown job kind）"))),
    }
}

/// Deletes finished sweep jobs (and their attempts) older than 30 days; one-off jobs are
/// kept (their dedupe keys keep them from ever running twice).
async fn purge(state: &AppState) -> AppResult<Value> {
    let cutoff = state.clock.now() - Duration::days(30);
    let tx = state.db.begin_write().await?;
    let old: Vec<String> = jobs::Entity::find()
        .select_only()
        .column(jobs::Column::Id)
        .filter(jobs::Column::State.eq(DONE))
        .filter(jobs::Column::DedupeKey.starts_with("sweep:"))
        .filter(jobs::Column::DoneAt.lt(cutoff))
        .limit(5_000)
        .into_tuple()
        .all(&*tx)
        .await?;
    if !old.is_empty() {
        job_attempts::Entity::delete_many().filter(job_attempts::Column::JobId.is_in(old.clone())).exec(&*tx).await?;
        jobs::Entity::delete_many().filter(jobs::Column::Id.is_in(old.clone())).exec(&*tx).await?;
    }
    tx.commit().await?;
    Ok(json!({ "purged": old.len() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r46_backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(10));
        assert_eq!(backoff(2), Duration::seconds(20));
        assert_eq!(backoff(3), Duration::seconds(40));
        assert_eq!(backoff(9), Duration::seconds(2_560));
        assert_eq!(backoff(10), Duration::seconds(3_600));
        assert_eq!(backoff(500), Duration::seconds(3_600));
    }
}
