//! The process's allocator settings (issue 8: RSS ≤ 50 MB at 64 connections).
//!
//! glibc raises its mmap threshold to the size of the largest block freed so far. After the
//! first sign-in frees argon2's 19 MiB, every later hash is carved from a heap arena instead
//! of a private mapping, and each thread that hashed keeps its arena's 19 MiB: with the
//! blocking pool's threads that grew the server to 500 MB. A fixed threshold (which also
//! turns the dynamic adjustment off) returns every large block to the system at once, and
//! two arenas keep the many short-lived threads (blocking pool, SQLite connections) from
//! each holding freed memory. Measured in docs/performance.md (scenario B, server memory).
//!
//! An operator's own `GLIBC_TUNABLES=glibc.malloc.…` wins: then nothing is changed here.

/// Large allocations (≥ 1 MiB) always get their own mapping, returned on free.
pub const MMAP_THRESHOLD: i32 = 1 << 20;
/// Heap arenas shared by all threads.
pub const ARENA_MAX: i32 = 2;

/// Applies the settings; call first thing in `main`, before any thread starts.
pub fn tune_allocator() {
    if std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc.")) {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called before any other
    // thread exists, with documented parameter constants and in-range values.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX);
    }
}

/// Requests that build a large answer at once (a 100-item meeting is ≈ 90 KB of JSON and
/// several times that in rows and values while it is built) take one of these permits, one
/// per core: more at a time make none of them faster (they are CPU-bound), and 64 members
/// opening the meeting together held 45 MiB more (docs/performance.md, scenario B).
pub async fn large_answer_permit() -> crate::error::AppResult<tokio::sync::SemaphorePermit<'static>> {
    static P: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let sem = P.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));
    sem.acquire().await.map_err(crate::error::AppError::internal)
}

/// Every `period`, hands freed heap memory back to the system (`malloc_trim`): glibc returns
/// only the top of an arena by itself, so memory freed in the middle of a heap after a burst
/// stayed resident as "steady" RSS.
pub fn spawn_trimmer(period: std::time::Duration) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // SAFETY: malloc_trim only releases free pages of the allocator's own heaps.
            let _ = tokio::task::spawn_blocking(|| unsafe { libc::malloc_trim(0) }).await;
        }
    });
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = period;
}
