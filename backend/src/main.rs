//! The `yishi` binary: a thin shell over `yishi::cli`.

/// jemalloc is the process's allocator (and SQLite's, `memory::tune_allocator`). Under a
/// meeting's burst of ballots glibc's allocator spent a fifth of the server's CPU in its own
/// locks and consolidation; with jemalloc the same ballots cost a third less CPU each
/// (docs/performance.md, "Allocator and memory").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod allocator {
    #[global_allocator]
    static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

    /// jemalloc's settings, read once at its start (an operator's `_RJEM_MALLOC_CONF` is
    /// applied after these): a background thread returns freed pages after 0.3 s (the
    /// default keeps them ten seconds) and one arena serves the few busy threads, so the
    /// footprint follows the load down.
    #[unsafe(export_name = "_rjem_malloc_conf")]
    static MALLOC_CONF: ConfString = ConfString(c"background_thread:true,narenas:1,dirty_decay_ms:300,muzzy_decay_ms:0".as_ptr());

    /// A C string jemalloc reads as `const char *malloc_conf`.
    #[repr(transparent)]
    struct ConfString(*const std::ffi::c_char);
    // SAFETY: the pointer is to a static, immutable C string literal.
    unsafe impl Sync for ConfString {}
}

fn main() -> std::process::ExitCode {
    yishi::cli::main()
}
