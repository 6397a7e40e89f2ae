//! A per-key memory of values that stay usable for a while: the building block of this
//! instance's small caches (the to-do lists in `tasks`, the sessions in `http::api`). An
//! entry is fresh for `max_age` of both the server's time (which tests move) and real time,
//! and the map starts over beyond `max_entries` (a bound on memory, not an LRU).
//!
//! Each entry's lifetime is `max_age` shortened by up to a quarter at random ([`lifetime`]):
//! entries stored together (64 members opening the same page at the start of a meeting)
//! would otherwise all expire in the same instant and be computed again at once, a burst of
//! queries that queues every reader behind it (seen in scenario Q: p99 0.58 s).
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

pub struct FreshMap<V> {
    entries: Arc<Mutex<HashMap<String, Entry<V>>>>,
    max_age: chrono::Duration,
    max_entries: usize,
}

struct Entry<V> {
    value: V,
    at: DateTime<Utc>,
    stored: Instant,
    life: chrono::Duration,
}

/// Whether something stored at server time `at` (real time `stored`) is still within `life`
/// at server time `now`, by both clocks; a server clock moved back makes it stale.
pub fn is_fresh(at: DateTime<Utc>, stored: Instant, life: chrono::Duration, now: DateTime<Utc>) -> bool {
    let age = now.signed_duration_since(at);
    let real = chrono::Duration::from_std(stored.elapsed()).unwrap_or(chrono::Duration::MAX);
    age >= chrono::Duration::zero() && age < life && real < life
}

/// `max_age` shortened by a random part of up to a quarter, so that entries stored together
/// do not all expire together.
pub fn lifetime(max_age: chrono::Duration) -> chrono::Duration {
    let ms = max_age.num_milliseconds() as f64;
    chrono::Duration::milliseconds((ms * (1.0 - 0.25 * rand::random::<f64>())) as i64)
}

impl<V> Clone for FreshMap<V> {
    fn clone(&self) -> Self {
        FreshMap { entries: self.entries.clone(), max_age: self.max_age, max_entries: self.max_entries }
    }
}

impl<V: Clone> FreshMap<V> {
    pub fn new(max_age: chrono::Duration, max_entries: usize) -> Self {
        FreshMap { entries: Arc::default(), max_age, max_entries }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry<V>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value stored under `key`, if it is still fresh at server time `now`.
    pub fn get(&self, key: &str, now: DateTime<Utc>) -> Option<V> {
        let map = self.lock();
        let e = map.get(key)?;
        is_fresh(e.at, e.stored, e.life, now).then(|| e.value.clone())
    }

    /// Stores `value` under `key` as of server time `now`.
    pub fn put(&self, key: &str, value: V, now: DateTime<Utc>) {
        let mut map = self.lock();
        if map.len() >= self.max_entries {
            map.clear();
        }
        map.insert(key.to_string(), Entry { value, at: now, stored: Instant::now(), life: lifetime(self.max_age) });
    }

    /// Changes the value stored under `key` in place; its freshness stays as it was.
    pub fn update(&self, key: &str, f: impl FnOnce(&mut V)) {
        if let Some(e) = self.lock().get_mut(key) {
            f(&mut e.value);
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.lock().clear();
    }
}
