//! Building and running the application: connect, migrate, load the policy, bind the
//! listener (port 0 in tests), serve until SIGINT/SIGTERM, and finish in-flight requests.
use crate::authz::Authz;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::events::EventBus;
use crate::state::AppState;
use sea_orm_migration::MigratorTrait;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use yishi_migrations::Migrator;

pub struct Application {
    listener: TcpListener,
    pub state: AppState,
}

/// Connects and migrates; shared by `serve`, `migrate`, `bootstrap`, `demo`.
pub async fn prepare_database(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url).await?;
    Migrator::up(&db.conn, None).await?;
    crate::audit::ensure_head(&db.conn).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
    crate::authz::ensure_default_policy(&db.conn).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
    Ok(db)
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let db = prepare_database(&config.database_url).await?;
        let authz = Authz::load(&db.conn).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
        let events = EventBus::default();
        let ballots = crate::deliberation::ballot_queue::BallotQueue::start(db.clone(), events.clone());
        let state = AppState {
            db,
            clock: Clock::new(config.test_clock),
            config: Arc::new(config.clone()),
            authz,
            events,
            tasks: crate::tasks::TaskCache::default(),
            reads: crate::readcache::ReadCache::default(),
            owners: crate::http::api::OwnerCache::default(),
            sessions: crate::http::api::SessionCache::default(),
            audit_verified: crate::audit::VerifiedChain::default(),
            audit_head: crate::audit::HeadCache::default(),
            ballots,
        };
        let listener = TcpListener::bind(config.addr).await?;
        Ok(Application { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let state = self.state.clone();
        spawn_background(state.clone());
        let app = crate::http::router(state);
        // TCP_NODELAY on every connection: a response's last partial segment goes out at once,
        // instead of after the client's delayed acknowledgement of the segments before it
        // (the reason for `db`'s `nodelay` on the database side).
        use axum::serve::ListenerExt;
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set on a connection");
            }
        });
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        Ok(())
    }
}

/// Background work of every instance: noticing policy changes made elsewhere, and the
/// job runner (publication close, reminders), which is safe with several instances (R46).
fn spawn_background(state: AppState) {
    let s = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tick.tick().await;
            if let Err(e) = s.authz.reload_if_changed(&s.db.conn).await {
                tracing::warn!(error = %e, "policy reload failed");
            }
        }
    });
    crate::memory::spawn_trimmer(std::time::Duration::from_secs(5));
    if state.config.run_jobs {
        crate::jobs::spawn(state);
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
