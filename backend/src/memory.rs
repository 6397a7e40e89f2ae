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
