//! Database connection for both engines from one code path, and the write transaction.
//!
//! SQLite (embedded default) runs in WAL mode with `synchronous=FULL`: a commit is on disk
//! before the client hears "ok" (R43). Writers take `BEGIN IMMEDIATE` so that two
//! transactions never both read and then fail to upgrade; inside one process they also
//! queue on an async mutex, which is fair and cheaper than SQLite's busy-sleep loop.
//! PostgreSQL serialises what must be serial with row locks (audit head, counters).
use crate::error::{AppError, AppResult};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

#[derive(Clone, Debug)]
pub struct Db {
    pub conn: DatabaseConnection,
    sqlite_writer: Option<Arc<Mutex<()>>>,
}

impl Db {
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        let is_sqlite = url.starts_with("sqlite:");
        if is_sqlite {
            ensure_sqlite_dir(url)?;
        }
        let mut opts = ConnectOptions::new(url.to_string());
        opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10));
        if is_sqlite {
            opts.max_connections(8).min_connections(1);
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
            });
        } else {
            opts.max_connections(24).min_connections(2).acquire_timeout(Duration::from_secs(30));
        }
        let conn = Database::connect(opts).await?;
        Ok(Db { sqlite_writer: is_sqlite.then(|| Arc::new(Mutex::new(()))), conn })
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
        Ok(WriteTx { tx, _guard: guard })
    }

    pub async fn ping(&self) -> AppResult<()> {
        self.conn.execute_unprepared("SELECT 1").await.map(|_| ()).map_err(AppError::from)
    }
}

pub struct WriteTx {
    tx: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> AppResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(":memory:") {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    Ok(())
}
