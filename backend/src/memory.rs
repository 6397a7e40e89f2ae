//! The process's allocator settings (issue 8: RSS ≤ 50 MB at 64 connections).
//!
//! The `yishi` binary allocates with jemalloc (`main.rs`, settings there). SQLite, which
//! would otherwise allocate through glibc's `malloc`, is given jemalloc too
//! ([`tune_allocator`]): one allocator holds the process's heap, instead of two each keeping
//! its own freed pages. `YISHI_SQLITE_MALLOC=system` leaves SQLite on glibc's.
//!
//! What still allocates through glibc (a library's C code; all of it when this module is
//! used without the binary, as in the tests) gets fixed settings. glibc raises its mmap
//! threshold to the size of the largest block freed so far, so after one large block is
//! freed every later one is carved from a heap arena and stays resident in it; a fixed
//! threshold returns every large block to the system at once, and two arenas keep
//! short-lived threads from each holding freed memory. An operator's own
//! `GLIBC_TUNABLES=glibc.malloc.…` wins: then glibc's settings are left alone.

/// Large allocations (≥ 1 MiB) always get their own mapping, returned on free.
pub const MMAP_THRESHOLD: i32 = 1 << 20;
/// Heap arenas shared by all threads.
pub const ARENA_MAX: i32 = 2;

/// Applies the settings; call first thing in `main`, before any thread starts and before
/// the first database connection.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if !std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc.")) {
            // SAFETY: mallopt only changes allocator parameters; it is called before any
            // other thread exists, with documented parameter constants and in-range values.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
                libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX);
            }
        }
        if std::env::var("YISHI_SQLITE_MALLOC").as_deref() != Ok("system") {
            sqlite_heap::use_jemalloc();
        }
    }
}

/// SQLite's memory allocator (`SQLITE_CONFIG_MALLOC`) on jemalloc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod sqlite_heap {
    use libsqlite3_sys as ffi;
    use std::ffi::{c_int, c_void};
    use tikv_jemalloc_sys as je;

    fn size(n: c_int) -> usize {
        usize::try_from(n).unwrap_or(0).max(1)
    }
    unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
        // SAFETY: jemalloc's malloc, for a positive size.
        unsafe { je::malloc(size(n)) }
    }
    unsafe extern "C" fn x_free(p: *mut c_void) {
        // SAFETY: SQLite frees only what x_malloc/x_realloc returned (or null).
        unsafe { je::free(p) }
    }
    unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
        // SAFETY: `p` came from x_malloc/x_realloc; SQLite never asks for size 0 here.
        unsafe { je::realloc(p, size(n)) }
    }
    unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
        if p.is_null() {
            return 0;
        }
        // SAFETY: `p` is a live jemalloc allocation.
        c_int::try_from(unsafe { je::malloc_usable_size(p) }).unwrap_or(c_int::MAX)
    }
    unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
        // SAFETY: nallocx only computes the size class of `n` bytes.
        c_int::try_from(unsafe { je::nallocx(size(n), 0) }).unwrap_or(n)
    }
    unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
        ffi::SQLITE_OK
    }
    unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

    struct Methods(ffi::sqlite3_mem_methods);
    // SAFETY: the table holds only function pointers and a null pointer, never written.
    unsafe impl Sync for Methods {}
    static METHODS: Methods = Methods(ffi::sqlite3_mem_methods {
        xMalloc: Some(x_malloc),
        xFree: Some(x_free),
        xRealloc: Some(x_realloc),
        xSize: Some(x_size),
        xRoundup: Some(x_roundup),
        xInit: Some(x_init),
        xShutdown: Some(x_shutdown),
        pAppData: std::ptr::null_mut(),
    });

    pub fn use_jemalloc() {
        // SAFETY: called before SQLite is initialised (no connection is open yet); SQLite
        // copies the table. If SQLite was initialised already it answers SQLITE_MISUSE and
        // keeps its own allocator, which is correct too.
        let rc = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &raw const METHODS.0) };
        if rc != ffi::SQLITE_OK {
            tracing::warn!(rc, "SQLite keeps its own allocator (sqlite3_config answered {rc})");
        }
    }
}

/// The heap's figures now, for the debug log (`RUST_LOG=yishi::memory=debug`): what SQLite
/// holds, what jemalloc has handed out and keeps resident, what glibc's heap holds.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn log_heap() {
    // SAFETY: sqlite3_memory_used and mallinfo2 only read counters.
    let (sqlite, glibc) = unsafe { (libsqlite3_sys::sqlite3_memory_used(), libc::mallinfo2()) };
    let _ = tikv_jemalloc_ctl::epoch::advance();
    let allocated = tikv_jemalloc_ctl::stats::allocated::read().unwrap_or(0);
    let resident = tikv_jemalloc_ctl::stats::resident::read().unwrap_or(0);
    tracing::debug!(
        sqlite_kib = sqlite >> 10,
        jemalloc_allocated_kib = allocated >> 10,
        jemalloc_resident_kib = resident >> 10,
        glibc_in_use_kib = glibc.uordblks >> 10,
        glibc_free_kib = glibc.fordblks >> 10,
        "heap"
    );
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

/// Runs `work` holding a [`large_answer_permit`], and allocates its future only then.
///
/// An `async fn`'s future holds, inline, the largest state of everything it awaits; axum
/// boxes each request's future whole as it starts, so a request waiting for the permit
/// already held all the memory of the work it waited to do (tens of KiB for a to-do list
/// or a meeting's page). Behind this call, a waiting request holds the permit's wait and
/// a pointer: 64 members opening their lists at once after signing in now add ≈ 1 MiB
/// instead of 13 (docs/performance.md, "Allocator and memory", session 12).
pub async fn with_large_answer_permit<T, Fut>(work: impl FnOnce() -> Fut) -> crate::error::AppResult<T>
where
    Fut: std::future::Future<Output = crate::error::AppResult<T>>,
{
    let _permit = large_answer_permit().await?;
    Box::pin(work()).await
}

/// Every `period`: releases the parsed PDF fonts once no PDF was made for a while
/// (`pdf::release_idle_fonts`), and hands freed heap memory back to the system
/// (`malloc_trim`): glibc returns only the top of an arena by itself, so memory freed in the
/// middle of a heap after a burst stayed resident as "steady" RSS.
pub fn spawn_trimmer(period: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            crate::pdf::release_idle_fonts();
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            {
                // SAFETY: malloc_trim only releases free pages of the allocator's own heaps.
                let _ = tokio::task::spawn_blocking(|| unsafe { libc::malloc_trim(0) }).await;
                if tracing::enabled!(tracing::Level::DEBUG) {
                    log_heap();
                }
            }
        }
    });
}
