//! Database connection for both engines from one code path, and the write transaction.
//!
//! SQLite (embedded default) runs in WAL mode. Writers take `BEGIN IMMEDIATE` so that two
//! transactions never both read and then fail to upgrade; inside one process they also
//! queue on an async mutex, which is fair and cheaper than SQLite's busy-sleep loop.
//!
//! Durability (R43) by group commit: a write transaction commits with `synchronous=NORMAL`
//! (its frames are in the WAL file, not yet on disk), releases the writer lock, and then
//! waits for an `fsync` of the WAL file that covers its commit before anyone is told "ok".
//! While one fsync runs, the next writers commit and queue behind it; the following fsync
//! covers all of them. Every acknowledged write is on disk exactly as with
//! `synchronous=FULL`, but one fsync serves many commits instead of one each, and the
//! writer lock is never held across a disk flush. (Checkpoints under NORMAL fsync the WAL
//! before copying it into the database file, so nothing is lost there either.)
//! Connections without a WAL file (`:memory:`) keep `synchronous=FULL`.
//!
//! PostgreSQL serialises what must be serial with row locks (audit head, counters) and
//! does its own group commit.
use crate::error::{AppError, AppResult};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

#[derive(Clone, Debug)]
pub struct Db {
    pub conn: DatabaseConnection,
    sqlite_writer: Option<Arc<Mutex<()>>>,
    wal: Option<Arc<WalSync>>,
    /// Write transactions this process committed (`Db::local_commits`).
    commits: Arc<AtomicU64>,
}

/// Group commit for SQLite (see the module comment).
#[derive(Debug)]
struct WalSync {
    /// The database's `-wal` file.
    path: PathBuf,
    /// Commits done so far (counted after each commit returned): the `Db`'s counter.
    committed: Arc<AtomicU64>,
    /// Commits known to be on disk; the lock is held while an fsync runs.
    synced: Mutex<u64>,
    /// fsync calls made (each covers one or more commits); for the benchmark report.
    flushes: AtomicU64,
}

impl WalSync {
    /// Returns once commit number `mine` is on disk.
    async fn barrier(&self, mine: u64) -> AppResult<()> {
        let mut synced = self.synced.lock().await;
        if *synced >= mine {
            return Ok(());
        }
        // Every commit counted up to here has written its frames before this fsync starts.
        let target = self.committed.load(Ordering::SeqCst);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || match std::fs::File::open(&path) {
            Ok(f) => f.sync_data(),
            // No WAL file: the last connection closed, which checkpoints (with fsync) and deletes it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        })
        .await
            .map_err(|e| AppError::internal(format!("WAL fsync task: {e}")))?
            .map_err(|e| AppError::internal(format!("WAL fsync {}: {e}", self.path.display())))?;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        *synced = target;
        Ok(())
    }
}

impl Db {
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        let is_sqlite = url.starts_with("sqlite:");
        if is_sqlite {
            ensure_sqlite_dir(url)?;
        }
        let mut opts = ConnectOptions::new(url.to_string());
        // YISHI_SQL_LOG=1 (with RUST_LOG=sqlx::query=info) logs every statement: for finding
        // where a request's queries go (docs/operations.md).
        opts.sqlx_logging(std::env::var_os("YISHI_SQL_LOG").is_some()).connect_timeout(Duration::from_secs(10));
        if is_sqlite {
            // Connections and the page cache of each: [`SQLITE_CONNECTIONS`] and
            // [`SQLITE_CACHE_KIB`] unless YISHI_SQLITE_CONNECTIONS / YISHI_SQLITE_CACHE_KIB say
            // otherwise (docs/operations.md).
            let connections = crate::config::tuning("YISHI_SQLITE_CONNECTIONS", SQLITE_CONNECTIONS, 2..=u32::MAX);
            opts.max_connections(connections).min_connections(1);
            let sync = if sqlite_file(url).is_some() { SqliteSynchronous::Normal } else { SqliteSynchronous::Full };
            // A file database is checkpointed by `checkpointer`, not by SQLite's automatic
            // checkpoint, which runs inside the commit that takes the WAL past 1,000 pages and
            // holds the writer lock while it copies pages and fsyncs the database file.
            let autocheckpoint = if sqlite_file(url).is_some() { "0" } else { "1000" };
            // Prepared statements kept per connection: [`SQLITE_STATEMENTS`] unless
            // YISHI_SQLITE_STATEMENTS says otherwise (docs/operations.md).
            let statements = crate::config::tuning("YISHI_SQLITE_STATEMENTS", SQLITE_STATEMENTS, 0..=usize::MAX);
            let cache_kib = crate::config::tuning("YISHI_SQLITE_CACHE_KIB", SQLITE_CACHE_KIB, 0..=u32::MAX);
            opts.map_sqlx_sqlite_opts(move |o| {
                o.statement_cache_capacity(statements)
                    .pragma("cache_size", format!("-{cache_kib}"))
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(sync)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
                    .pragma("wal_autocheckpoint", autocheckpoint)
                    .pragma("journal_size_limit", "67108864")
            });
        } else {
            opts.max_connections(24).min_connections(2).acquire_timeout(Duration::from_secs(30));
            let port = url.parse::<sea_orm::sqlx::postgres::PgConnectOptions>().map(|o| o.get_port()).unwrap_or(5432);
            // Prepared statements kept per connection: [`PG_STATEMENTS`] unless
            // YISHI_PG_STATEMENTS says otherwise (docs/operations.md).
            let statements = crate::config::tuning("YISHI_PG_STATEMENTS", PG_STATEMENTS, 0..=usize::MAX);
            opts.map_sqlx_postgres_opts(move |o| o.statement_cache_capacity(statements));
            opts.map_sqlx_postgres_pool_opts(move |o| {
                o.after_connect(move |_, _| {
                    Box::pin(async move {
                        nodelay::to_port(port);
                        Ok(())
                    })
                })
            });
        }
        let conn = Database::connect(opts).await?;
        let commits = Arc::new(AtomicU64::new(0));
        let wal = match (is_sqlite, sqlite_file(url)) {
            (true, Some(_)) => Some(Arc::new(WalSync {
                path: wal_path(&conn).await?,
                committed: commits.clone(),
                synced: Mutex::new(0),
                flushes: AtomicU64::new(0),
            })),
            _ => None,
        };
        let sqlite_writer = is_sqlite.then(|| Arc::new(Mutex::new(())));
        if let (Some(w), Some(writer)) = (&wal, &sqlite_writer) {
            tokio::spawn(checkpointer(conn.clone(), Arc::downgrade(w), writer.clone()));
        }
        Ok(Db { sqlite_writer, wal, conn, commits })
    }

    /// (commits, fsyncs) since start on SQLite with group commit; `None` elsewhere.
    pub fn group_commit_stats(&self) -> Option<(u64, u64)> {
        self.wal.as_ref().map(|w| (w.committed.load(Ordering::Relaxed), w.flushes.load(Ordering::Relaxed)))
    }

    /// Write transactions this process committed so far; counted after the commit and before
    /// anyone is told of it (`audit::HeadCache`).
    pub fn local_commits(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub fn is_sqlite(&self) -> bool {
        self.sqlite_writer.is_some()
    }

    /// Starts the one transaction of a use case: state change + trail + audit entry
    /// commit together or not at all. Dropping it without `commit` rolls back.
    pub async fn begin_write(&self) -> AppResult<WriteTx> {
        let guard = match &self.sqlite_writer {
            Some(m) => Some(m.clone().lock_owned().await),
            None => None,
        };
        let options = TransactionOptions {
            sqlite_transaction_mode: self.sqlite_writer.as_ref().map(|_| SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let tx = self.conn.begin_with_options(options).await?;
        Ok(WriteTx { tx: Some(tx), guard, wal: self.wal.clone(), commits: self.commits.clone() })
    }

    pub async fn ping(&self) -> AppResult<()> {
        self.conn.execute_unprepared("SELECT 1").await.map(|_| ()).map_err(AppError::from)
    }
}

pub struct WriteTx {
    /// `None` only once committed or handed to the rollback in `drop`.
    tx: Option<DatabaseTransaction>,
    guard: Option<OwnedMutexGuard<()>>,
    wal: Option<Arc<WalSync>>,
    commits: Arc<AtomicU64>,
}

impl WriteTx {
    /// Commits, and returns only once the commit is on disk (group commit on SQLite).
    pub async fn commit(self) -> AppResult<()> {
        self.commit_pending().await?.wait().await
    }

    /// Commits and releases the writer; the returned [`Durable`] says when the commit is on
    /// disk. Nothing may be acknowledged before [`Durable::wait`] returned (R43); meanwhile
    /// the caller may write its next transaction, so that one fsync covers both.
    pub async fn commit_pending(self) -> AppResult<Durable> {
        let mut this = self;
        let tx = this.tx.take().ok_or_else(|| AppError::internal("write transaction already ended"))?;
        let (guard, wal, commits) = (this.guard.take(), this.wal.clone(), this.commits.clone());
        tx.commit().await?;
        let mine = commits.fetch_add(1, Ordering::SeqCst) + 1;
        // The next writer may start while this one waits for the disk.
        drop(guard);
        Ok(Durable { wal: wal.map(|w| (w, mine)) })
    }
}

/// A committed write transaction that may not be on disk yet (SQLite group commit); on
/// PostgreSQL the commit itself was durable.
#[must_use = "nothing may be acknowledged before the commit is on disk: call wait()"]
pub struct Durable {
    wal: Option<(Arc<WalSync>, u64)>,
}

impl Durable {
    /// Returns once the commit is on disk.
    pub async fn wait(self) -> AppResult<()> {
        match self.wal {
            Some((w, mine)) => w.barrier(mine).await,
            None => Ok(()),
        }
    }
}

impl Deref for WriteTx {
    type Target = DatabaseTransaction;
    #[allow(clippy::expect_used)]
    fn deref(&self) -> &DatabaseTransaction {
        // `tx` is taken only by `commit_pending` and `drop`, which consume the WriteTx.
        self.tx.as_ref().expect("a WriteTx in use holds its transaction")
    }
}

/// A write transaction dropped without `commit` (a refusal, an error, nothing to do) is rolled
/// back before the writer lock is released. Dropped as such, sqlx only queues the `ROLLBACK`
/// to the connection's thread; the next writer, on another connection, could begin before it
/// ran, meet SQLite's lock and wait in SQLite's sleeping busy handler (1, 2, 5, 10, 15… ms).
/// (Found while looking for scenario B's once-a-second stall, which was the checkpoint's
/// fsync, not this: docs/performance.md, session 13. The job runner's claim, which finds
/// nothing to do every second, was such a dropped write.)
impl Drop for WriteTx {
    fn drop(&mut self) {
        let (Some(tx), Some(guard)) = (self.tx.take(), self.guard.take()) else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    if let Err(e) = tx.rollback().await {
                        tracing::warn!(error = %e, "rollback of an abandoned write transaction failed");
                    }
                    drop(guard);
                });
            }
            Err(_) => drop((tx, guard)),
        }
    }
}

/// Checkpoints the WAL of a SQLite file database into the database file, in two steps so that
/// writers are not held up by the copying:
/// 1. every 250 ms after commits ([`CHECKPOINT_EVERY_MS`]; every 5 s in any case): a `PASSIVE` checkpoint without
///    the writer lock — it copies what is committed, in parallel with the writers, and waits
///    for nobody;
/// 2. when the WAL holds more than [`WAL_RESET_FRAMES`]: the same again holding the writer lock.
///    Only the frames written since step 1 remain to be copied, and with every frame copied
///    and no writer between, the next writer starts the WAL file over (SQLite resets it only
///    then; under a constant write load step 1 alone never catches up and the file grows
///    without bound). `journal_size_limit` then truncates it.
///
/// Ends once the `Db` is gone.
async fn checkpointer(conn: DatabaseConnection, wal: std::sync::Weak<WalSync>, writer: Arc<Mutex<()>>) {
    let (mut done, mut idle) = (0, 0u32);
    let every = Duration::from_millis(crate::config::tuning("YISHI_SQLITE_CHECKPOINT_MS", CHECKPOINT_EVERY_MS, 10..=60_000));
    let idle_rounds = u32::try_from(5_000 / every.as_millis().max(1)).unwrap_or(1).max(1);
    loop {
        tokio::time::sleep(every).await;
        let Some(w) = wal.upgrade() else { return };
        let committed = w.committed.load(Ordering::Relaxed);
        drop(w);
        // Writes made outside `begin_write` are not counted: every 5 s regardless.
        idle += 1;
        if committed == done && idle < idle_rounds {
            continue;
        }
        idle = 0;
        let frames = match checkpoint(&conn).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e.message, "WAL checkpoint failed; retrying");
                continue;
            }
        };
        done = committed;
        if frames > WAL_RESET_FRAMES {
            let _writer = writer.lock().await;
            if let Err(e) = checkpoint(&conn).await {
                tracing::warn!(error = %e.message, "WAL checkpoint (writer held) failed; retrying");
            }
        }
    }
}

/// One `PASSIVE` checkpoint; returns the frames in the WAL.
async fn checkpoint(conn: &DatabaseConnection) -> AppResult<i64> {
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(DbBackend::Sqlite, "PRAGMA wal_checkpoint(PASSIVE)"))
        .await?
        .ok_or_else(|| AppError::internal("wal_checkpoint returned nothing"))?;
    Ok(row.try_get::<i64>("", "log")?)
}

/// Frames in the WAL (4 KiB each) after which [`checkpointer`] lets the next writer start the
/// file over.
const WAL_RESET_FRAMES: i64 = 16384;

/// Prepared statements kept per SQLite connection (`Db::connect`; sqlx's default is 100). The
/// hot paths use a few each; a meeting's pages prepare many, some with long `IN (…)` lists.
/// Scenario B at 100 and 24: 4,163 and 4,435 ballots/s, peak RSS 83 and 73 MiB
/// (docs/performance.md, "Allocator and memory").
const SQLITE_STATEMENTS: usize = 24;

/// Page cache per SQLite connection, in KiB (`Db::connect`; SQLite's default is 2,000). With
/// the default, eight connections each filled their cache while 64 members opened a 100-item
/// meeting (SQLite's heap 5 → 22 MB). The database file's pages stay in the kernel's page
/// cache, so a miss here is a read from memory, not from disk. Scenario B, one run each: peak
/// RSS 69.0 → 55.1 MiB at 2,000 → 512 KiB, 256 KiB no lower (docs/performance.md, "Allocator
/// and memory").
const SQLITE_CACHE_KIB: u32 = 512;

/// Prepared statements kept per PostgreSQL connection (sqlx's default is 100). A ballot group's
/// statements differ with its size (one `VALUES` row, one `IN` value per ballot), and each size
/// was kept on every connection that ran it: in scenario B the server's heap grew by 30 MiB
/// while the ballots were paced (peak VmHWM 76.9 and 83.0 MiB, no-LTO build), against 54.3 MiB
/// (the sign-in burst's) with 24, at the same capacity (3,663 and 3,683 against 2,415 and
/// 3,670 ballots/s, alternating single runs).
const PG_STATEMENTS: usize = 24;

/// SQLite connections in the pool (`Db::connect`). One writes at a time (`Db::begin_write`);
/// the others read. Scenario B, 8 → 4 connections: peak RSS 50.3 → 47.6–48.0 MiB, capacity
/// 4–8% lower in two A/B pairs, p99 without a consistent difference.
const SQLITE_CONNECTIONS: u32 = 4;

/// How often [`checkpointer`] copies the WAL into the database file, in milliseconds
/// (`YISHI_SQLITE_CHECKPOINT_MS`). A checkpoint's `fsync` of the database file delays the
/// group commits' `fsync`s of the WAL beside it, in proportion to what it copies: once a
/// second, the ballots paced at 3,000/s in scenario B had a 30–40 ms stall each second
/// (p99 25.7–26.9 ms, three runs); every 250 ms the stalls are shorter (p99 22.4 and 23.9),
/// at the same capacity (docs/performance.md, session 13).
const CHECKPOINT_EVERY_MS: u64 = 250;

/// One PostgreSQL statement from several built by sea-query: `WITH name AS (cte), … main`.
/// Data-modifying CTEs run with the main statement, and each statement costs PostgreSQL a round
/// trip, so a hot path's writes can go as one (R43 is unchanged: it is still one transaction).
/// Each part's placeholders are moved up to follow the parts before it.
pub fn pg_with(ctes: Vec<(&str, (String, sea_orm::sea_query::Values))>, main: (String, sea_orm::sea_query::Values)) -> sea_orm::Statement {
    let mut sql = String::new();
    let mut values = Vec::new();
    for (i, (name, (cte, v))) in ctes.into_iter().enumerate() {
        sql.push_str(if i == 0 { "WITH " } else { ", " });
        sql.push_str(&format!("{name} AS ({})", renumber_placeholders(&cte, values.len())));
        values.extend(v.0);
    }
    sql.push(' ');
    sql.push_str(&renumber_placeholders(&main.0, values.len()));
    values.extend(main.1.0);
    sea_orm::Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// `$1`, `$2`, … in PostgreSQL SQL built by sea-query, each moved up by `shift`. sea-query
/// quotes identifiers and binds every value, so a `$` followed by digits is a placeholder.
fn renumber_placeholders(sql: &str, shift: usize) -> String {
    if shift == 0 {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' {
            let mut n = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                n.push(*d);
                chars.next();
            }
            match n.parse::<usize>() {
                Ok(i) => out.push_str(&(i + shift).to_string()),
                Err(_) => out.push_str(&n),
            }
        }
    }
    out
}

/// `TCP_NODELAY` for the connections to PostgreSQL.
///
/// sqlx 0.9 opens its TCP connections without it (sqlx 0.7.4 set it; 0.9's socket code no
/// longer does). A message longer than one TCP segment — 64 KiB on loopback, 1,448 bytes on
/// most networks: a ballot group's audit entries, a long document's text — then sends its last
/// part only once the server has acknowledged the rest, and the server holds that
/// acknowledgement back for up to 40 ms while it waits for the rest of the message. Measured
/// (scenario B on PostgreSQL, sqlx's statement log): a 48-ballot group's audit statement took
/// 42 ms, a 16-ballot group's 0.3 ms. Each new connection's socket gets `TCP_NODELAY` here (the
/// pool's `after_connect`): the process's TCP sockets whose peer is on the server's port.
mod nodelay {
    /// Sets `TCP_NODELAY` on this process's TCP sockets whose peer port is `port` (Linux; a
    /// no-op elsewhere). Setting it again on a socket that has it changes nothing.
    pub fn to_port(port: u16) {
        #[cfg(target_os = "linux")]
        {
            let Ok(dir) = std::fs::read_dir("/proc/self/fd") else { return };
            for fd in dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()) {
                if peer_port(fd) == Some(port) {
                    let one: libc::c_int = 1;
                    // SAFETY: `fd` is a socket of this process (getpeername succeeded); the option
                    // value is a live c_int and its size is passed with it. A descriptor closed
                    // and reused meanwhile makes the call fail or set the option on another
                    // socket, both harmless.
                    unsafe {
                        libc::setsockopt(
                            fd,
                            libc::IPPROTO_TCP,
                            libc::TCP_NODELAY,
                            (&raw const one).cast(),
                            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                        );
                    }
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = port;
    }

    /// The peer's port if `fd` is a connected IPv4 or IPv6 socket.
    #[cfg(target_os = "linux")]
    fn peer_port(fd: i32) -> Option<u16> {
        // SAFETY: sockaddr_storage is plain data, valid when zeroed.
        let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: `addr` has room for any address and `len` says so; getpeername fails
        // harmlessly (ENOTSOCK, ENOTCONN, EBADF) on anything but a connected socket.
        if unsafe { libc::getpeername(fd, (&raw mut addr).cast(), &mut len) } != 0 {
            return None;
        }
        match i32::from(addr.ss_family) {
            // SAFETY: the family says which address type the storage holds.
            libc::AF_INET => Some(u16::from_be(unsafe { *(&raw const addr).cast::<libc::sockaddr_in>() }.sin_port)),
            libc::AF_INET6 => Some(u16::from_be(unsafe { *(&raw const addr).cast::<libc::sockaddr_in6>() }.sin6_port)),
            _ => None,
        }
    }

    #[cfg(all(test, target_os = "linux"))]
    mod tests {
        /// A socket connected to a port gets TCP_NODELAY; one connected elsewhere does not.
        #[test]
        fn sockets_to_the_port_get_nodelay_and_others_do_not() {
            use std::os::fd::AsRawFd;
            let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let to_a = std::net::TcpStream::connect(a.local_addr().unwrap()).unwrap();
            let to_b = std::net::TcpStream::connect(b.local_addr().unwrap()).unwrap();
            assert!(!to_a.nodelay().unwrap() && !to_b.nodelay().unwrap());
            super::to_port(a.local_addr().unwrap().port());
            assert!(to_a.nodelay().unwrap(), "fd {}", to_a.as_raw_fd());
            assert!(!to_b.nodelay().unwrap());
        }
    }
}

/// The file behind a SQLite URL; `None` for in-memory databases.
fn sqlite_file(url: &str) -> Option<&str> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or("");
    (!path.is_empty() && !path.starts_with(":memory:") && !url.contains("mode=memory")).then_some(path)
}

/// The absolute path of the main database's WAL file, as SQLite names it.
async fn wal_path(conn: &DatabaseConnection) -> anyhow::Result<PathBuf> {
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(DbBackend::Sqlite, "SELECT file FROM pragma_database_list WHERE name = 'main'"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("pragma database_list returned nothing"))?;
    let file: String = row.try_get("", "file")?;
    anyhow::ensure!(!file.is_empty(), "SQLite database has no file: cannot group-commit");
    Ok(PathBuf::from(format!("{file}-wal")))
}

fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    if let Some(parent) = sqlite_file(url).and_then(|p| std::path::Path::new(p).parent()) {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    Ok(())
}

/// Locks one row of `table` for the rest of the transaction before the caller reads it
/// (PostgreSQL `SELECT … FOR UPDATE`; on SQLite the single writer already excludes every
/// other writer, so nothing is sent). Concurrent actions on one object then run one after
/// the other, each seeing the other's commit, instead of both reading the same version and
/// the later one failing its version check with a 409 it did nothing to deserve — e.g. three
/// sections giving their countersign opinions at the same moment (D05, R42).
pub async fn lock_row(tx: &impl ConnectionTrait, table: &str, id: &str) -> AppResult<()> {
    if tx.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let sql = format!("SELECT 1 FROM \"{table}\" WHERE \"id\" = $1 FOR UPDATE");
    tx.execute_raw(sea_orm::Statement::from_sql_and_values(DbBackend::Postgres, sql, [id.into()])).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pg_with;
    use sea_orm::sea_query::{Value, Values};

    /// A write transaction dropped without commit keeps the writer lock until its ROLLBACK
    /// has run, so the next writer never meets SQLite's lock (and its sleeping busy handler).
    #[tokio::test]
    async fn abandoned_write_is_rolled_back_before_the_writer_lock_is_released() {
        use sea_orm::ConnectionTrait;
        let dir = std::env::temp_dir().join(format!("yishi-db-test-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("t.db");
        let db = super::Db::connect(&format!("sqlite://{}?mode=rwc", file.display())).await.unwrap();
        db.conn.execute_unprepared("CREATE TABLE t (x INTEGER)").await.unwrap();
        let writer = db.sqlite_writer.clone().unwrap();
        for round in 0..20 {
            let w = db.begin_write().await.unwrap();
            w.execute_unprepared("INSERT INTO t VALUES (1)").await.unwrap();
            drop(w);
            assert!(writer.try_lock().is_err(), "round {round}: the writer lock is held until the rollback ran");
            drop(writer.lock().await);
            // Now nobody holds SQLite's write lock: a connection that will not wait can take it.
            let mut raw = <sea_orm::sqlx::SqliteConnection as sea_orm::sqlx::Connection>::connect(&format!("sqlite://{}", file.display())).await.unwrap();
            sea_orm::sqlx::query("PRAGMA busy_timeout = 0").execute(&mut raw).await.unwrap();
            sea_orm::sqlx::query("BEGIN IMMEDIATE").execute(&mut raw).await.unwrap_or_else(|e| panic!("round {round}: {e}"));
            sea_orm::sqlx::query("ROLLBACK").execute(&mut raw).await.unwrap();
            sea_orm::sqlx::Connection::close(raw).await.unwrap();
        }
        let n = db.conn.query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, "SELECT COUNT(*) AS n FROM t")).await.unwrap().unwrap();
        assert_eq!(n.try_get::<i64>("", "n").unwrap(), 0, "nothing of the abandoned writes is stored");
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn pg_with_numbers_each_part_after_the_parts_before_it() {
        let part = |sql: &str, n: i32| (sql.to_string(), Values((0..n).map(|i| Value::from(i)).collect()));
        let s = pg_with(
            vec![("a", part("INSERT INTO t VALUES ($1, $2)", 2)), ("b", part("INSERT INTO u SELECT $1 FROM a", 1))],
            part(r#"UPDATE "h" SET "seq" = $1 WHERE "id" = $2 AND "x" = $10"#, 10),
        );
        assert_eq!(
            s.sql,
            r#"WITH a AS (INSERT INTO t VALUES ($1, $2)), b AS (INSERT INTO u SELECT $3 FROM a) UPDATE "h" SET "seq" = $4 WHERE "id" = $5 AND "x" = $13"#
        );
        assert_eq!(s.values.map(|v| v.0.len()), Some(13));
    }
}

/// `items` in consecutive runs whose lengths are powers of two, largest first, each at most
/// `max` (a power of two): 37 rows go as 32, 4 and 1.
///
/// A statement with a row (or a value) per item has a shape for each length. The ballot
/// group's statements came in every length from 1 to 128, so each connection's cache of
/// prepared statements ([`SQLITE_STATEMENTS`], [`PG_STATEMENTS`]) held a few of the largest
/// shapes, evicted them at once, and prepared (PostgreSQL: parsed and planned) anew almost
/// every group's statements; the largest, 64 rows of 10 columns, hold ≈ 100 KiB each while
/// kept. In runs of powers of two a statement has at most log2(max) + 1 shapes
/// (docs/performance.md, "Allocator and memory", session 13).
pub fn pow2_runs<T>(items: &[T], max: usize) -> Vec<&[T]> {
    debug_assert!(max.is_power_of_two());
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let n = (1usize << rest.len().ilog2()).min(max);
        let (run, tail) = rest.split_at(n);
        out.push(run);
        rest = tail;
    }
    out
}

/// `values` repeated at the end up to the next power of two: an `IN (…)` list then has one
/// shape per power of two instead of one per length ([`pow2_runs`] says why); a value
/// repeated in `IN` changes nothing.
pub fn pow2_padded<T: Clone>(mut values: Vec<T>) -> Vec<T> {
    if let Some(last) = values.last().cloned() {
        values.resize(values.len().next_power_of_two(), last);
    }
    values
}

#[cfg(test)]
mod pow2_tests {
    use super::{pow2_padded, pow2_runs};

    #[test]
    fn runs_are_powers_of_two_in_order_and_cover_everything() {
        for n in 0..=300usize {
            let items: Vec<usize> = (0..n).collect();
            let runs = pow2_runs(&items, 64);
            assert!(runs.iter().all(|r| r.len().is_power_of_two() && r.len() <= 64), "{n}: {:?}", runs.iter().map(|r| r.len()).collect::<Vec<_>>());
            assert!(runs.windows(2).all(|w| w[0].len() >= w[1].len()), "largest first");
            assert_eq!(runs.concat(), items, "every item once, in order");
        }
        assert_eq!(pow2_runs(&[0; 37], 64).iter().map(|r| r.len()).collect::<Vec<_>>(), [32, 4, 1]);
        assert_eq!(pow2_runs(&[0; 200], 64).iter().map(|r| r.len()).collect::<Vec<_>>(), [64, 64, 64, 8]);
    }

    #[test]
    fn padding_repeats_the_last_value_up_to_a_power_of_two() {
        assert_eq!(pow2_padded(Vec::<u8>::new()), Vec::<u8>::new());
        assert_eq!(pow2_padded(vec![1]), [1]);
        assert_eq!(pow2_padded(vec![1, 2, 3]), [1, 2, 3, 3]);
        assert_eq!(pow2_padded((0..5).collect()), [0, 1, 2, 3, 4, 4, 4, 4]);
        assert_eq!(pow2_padded((0..8).collect()).len(), 8);
    }
}
