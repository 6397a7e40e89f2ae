//! The server's clock. Production reads the system clock; with `YISHI_TEST_CLOCK=1`
//! tests may move it forward (API.md "Test clock") to exercise notice periods,
//! publication windows and deadlines without waiting.
use chrono::{DateTime, SubsecRound, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
    pub movable: bool,
}

impl Clock {
    pub fn new(movable: bool) -> Self {
        Clock { offset_seconds: Arc::new(AtomicI64::new(0)), movable }
    }

    /// Now, in UTC, truncated to microseconds so that what is stored (PostgreSQL keeps
    /// microseconds) equals what was hashed into the audit chain.
    pub fn now(&self) -> DateTime<Utc> {
        let off = self.offset_seconds.load(Ordering::Relaxed);
        (Utc::now() + chrono::Duration::seconds(off)).trunc_subsecs(6)
    }

    /// Moves the clock forward; refused (returns false) unless the clock is movable.
    pub fn advance(&self, seconds: i64) -> bool {
        if !self.movable || seconds < 0 {
            return false;
        }
        self.offset_seconds.fetch_add(seconds, Ordering::Relaxed);
        true
    }
}
