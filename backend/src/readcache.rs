//! Read answers kept while nothing they are made of has changed: proposal detail, the
//! publications and one's units and roles (`/me`; scenario Q of issue 8). The method is the to-do list's (`crate::tasks`):
//!
//! - every committed change, on any instance, appends to the audit chain in its own
//!   transaction, so an answer computed after reading head `h` stays true while the head is
//!   still `h`. The head is read through `audit::HeadCache`: this process's commits are seen
//!   at once, another instance's within `audit::HEAD_TTL`;
//! - some answers also follow the clock, not only the data (a publication's R16 window ends,
//!   a proposal lapses, an AB-post absence starts at local midnight). The computation says
//!   until when its answer holds, and the entry is not used at or after that time;
//! - an entry is used for at most [`MAX_AGE_SECS`] of server time and of real time, less a
//!   random part of up to a quarter (`fresh::lifetime`), so that answers stored together are
//!   not computed again all at once;
//! - answers are kept serialized, per caller (they carry the caller's allowed actions and
//!   own opinions), within a byte budget: past it the cache drops what has expired, then
//!   starts over.
//!
//! Errors are never kept: a refused read is decided again on every request.
use crate::error::AppResult;
use crate::state::AppState;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::body::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// A bound for what no computation names: the clock-bound limits it knows are in `until`.
pub const MAX_AGE_SECS: i64 = 60;
/// The serialized answers this instance keeps, at most.
pub const BUDGET_BYTES: usize = 8 << 20;

#[derive(Clone)]
pub struct ReadCache {
    inner: Arc<Mutex<Inner>>,
    budget: usize,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Entry>,
    bytes: usize,
}

struct Entry {
    head: i64,
    at: DateTime<Utc>,
    life: chrono::Duration,
    until: Option<DateTime<Utc>>,
    stored: Instant,
    body: Bytes,
}

impl Entry {
    fn usable(&self, head: i64, now: DateTime<Utc>) -> bool {
        self.head == head && crate::fresh::is_fresh(self.at, self.stored, self.life, now) && self.until.is_none_or(|u| now < u)
    }
}

impl Default for ReadCache {
    fn default() -> Self {
        ReadCache::with_budget(BUDGET_BYTES)
    }
}

/// What a computation returns: the answer, and the time from which it may no longer hold
/// (`None`: only the data decides).
pub type Answer = (Value, Option<DateTime<Utc>>);

impl ReadCache {
    pub fn with_budget(budget: usize) -> Self {
        ReadCache { inner: Arc::default(), budget }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, key: &str, head: i64, now: DateTime<Utc>) -> Option<Bytes> {
        let inner = self.lock();
        inner.map.get(key).filter(|e| e.usable(head, now)).map(|e| e.body.clone())
    }

    fn put(&self, key: String, head: i64, now: DateTime<Utc>, until: Option<DateTime<Utc>>, body: Bytes) {
        if body.len() > self.budget / 4 {
            return;
        }
        let add = key.len() + body.len();
        let mut inner = self.lock();
        if inner.bytes + add > self.budget {
            inner.map.retain(|_, e| e.usable(e.head, now));
            inner.bytes = inner.map.iter().map(|(k, e)| k.len() + e.body.len()).sum();
            if inner.bytes + add > self.budget {
                inner.map.clear();
                inner.bytes = 0;
            }
        }
        let key_len = key.len();
        if let Some(old) = inner.map.insert(key, Entry { head, at: now, life: crate::fresh::lifetime(chrono::Duration::seconds(MAX_AGE_SECS)), until, stored: Instant::now(), body }) {
            inner.bytes -= key_len + old.body.len();
        }
        inner.bytes += add;
    }

    /// The bytes the kept answers take (for tests and the memory report).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// The answer under `key` as a JSON response: the kept one if nothing changed since it was
    /// computed and its time has not run out, else `compute`'s, kept for the next caller.
    pub async fn json<F, Fut>(&self, state: &AppState, key: String, compute: F) -> AppResult<Response>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<Answer>>,
    {
        Ok(json_response(self.serialized(state, key, compute).await?))
    }

    /// The answer under `key`, serialized as JSON (see [`ReadCache::json`]).
    pub async fn serialized<F, Fut>(&self, state: &AppState, key: String, compute: F) -> AppResult<Bytes>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<Answer>>,
    {
        // The head is read before the answer is computed: a change committed meanwhile
        // leaves a newer head, so the entry is never taken for a state it did not see.
        let head = state.audit_head.current(&state.db).await?;
        let now = state.clock.now();
        if let Some(body) = self.get(&key, head, now) {
            return Ok(body);
        }
        let (value, until) = compute().await?;
        let body = Bytes::from(serde_json::to_vec(&value)?);
        self.put(key, head, now, until, body.clone());
        Ok(body)
    }
}

pub fn json_response(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Values kept per key with the audit head they were computed at, served only while the head
/// is unchanged and within the map's age (`FreshMap`): the to-do lists (`tasks::TaskCache`)
/// and the gate's lookups (`http::api::OwnerCache`).
pub struct HeadKeyed<V>(crate::fresh::FreshMap<(i64, V)>);

impl<V> Clone for HeadKeyed<V> {
    fn clone(&self) -> Self {
        HeadKeyed(self.0.clone())
    }
}

impl<V: Clone> HeadKeyed<V> {
    pub fn new(max_age: chrono::Duration, max_entries: usize) -> Self {
        HeadKeyed(crate::fresh::FreshMap::new(max_age, max_entries))
    }

    pub fn get(&self, key: &str, head: i64, now: DateTime<Utc>) -> Option<V> {
        self.0.get(key, now).filter(|(h, _)| *h == head).map(|(_, v)| v)
    }

    pub fn put(&self, key: &str, head: i64, now: DateTime<Utc>, value: V) {
        self.0.put(key, (head, value), now);
    }

    /// The value under `key`: the kept one if nothing changed since it was computed, else
    /// `compute`'s, kept for the next caller. The head is read first (through
    /// `audit::HeadCache`), so a change committed during `compute` leaves a newer head and
    /// the value is never taken for a state it did not see.
    pub async fn get_or_compute<F, Fut>(&self, state: &AppState, key: &str, compute: F) -> AppResult<V>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<V>>,
    {
        let head = state.audit_head.current(&state.db).await?;
        let now = state.clock.now();
        if let Some(hit) = self.get(key, head, now) {
            return Ok(hit);
        }
        let value = compute().await?;
        self.put(key, head, now, value.clone());
        Ok(value)
    }
}

/// The earlier of two optional limits.
pub fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The next local midnight after `now`: date-bound facts (AB-post absences, D11) change then.
pub fn next_local_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = yishi_domain::time::local_date(now);
    yishi_domain::time::local_start_of_day(today.succ_opt().unwrap_or(today))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn answer_is_served_only_for_the_same_head_before_its_limit_and_within_max_age() {
        let c = ReadCache::with_budget(1 << 20);
        c.put("k".into(), 7, t(0), Some(t(10)), Bytes::from_static(b"{}"));
        assert!(c.get("k", 7, t(5)).is_some());
        assert!(c.get("k", 8, t(5)).is_none(), "a newer head is a miss");
        assert!(c.get("k", 7, t(10)).is_none(), "the limit is exclusive");
        c.put("k".into(), 7, t(0), None, Bytes::from_static(b"{}"));
        assert!(c.get("k", 7, t(MAX_AGE_SECS * 3 / 4 - 1)).is_some(), "at least three quarters of MAX_AGE_SECS");
        assert!(c.get("k", 7, t(MAX_AGE_SECS)).is_none(), "at most MAX_AGE_SECS of server time");
        assert!(c.get("k", 7, t(-1)).is_none(), "a clock moved back is a miss");
    }

    #[test]
    fn the_budget_bounds_the_bytes_kept() {
        let c = ReadCache::with_budget(1000);
        for i in 0..100 {
            c.put(format!("k{i}"), 1, t(0), None, Bytes::from(vec![b'x'; 100]));
            assert!(c.bytes() <= 1000, "{} bytes kept", c.bytes());
        }
        assert!(c.get("k99", 1, t(1)).is_some(), "the newest answer is kept");
        c.put("big".into(), 1, t(0), None, Bytes::from(vec![b'x'; 600]));
        assert!(c.get("big", 1, t(1)).is_none(), "an answer over a quarter of the budget is not kept");
        c.put("k99".into(), 1, t(0), None, Bytes::from(vec![b'y'; 50]));
        assert_eq!(c.bytes(), c.lock().map.iter().map(|(k, e)| k.len() + e.body.len()).sum::<usize>());
    }

    #[test]
    fn next_local_midnight_is_beijing_midnight() {
        // 2026-12-04 23:30 in Beijing is 15:30 UTC; the next midnight is 16:00 UTC.
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 15, 30, 0).unwrap();
        assert_eq!(next_local_midnight(now), Utc.with_ymd_and_hms(2026, 12, 4, 16, 0, 0).unwrap());
    }
}
