//! Shared application state handed to every handler.
use crate::authz::Authz;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::events::EventBus;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub authz: Authz,
    pub events: EventBus,
    /// Each person's last to-do list, valid while nothing changed (`crate::tasks`).
    pub tasks: crate::tasks::TaskCache,
    /// Proposal detail and publications, valid while nothing changed (`crate::readcache`).
    pub reads: crate::readcache::ReadCache,
    /// Objects' owning units and readers' memberships there (`crate::http::api::OwnerCache`).
    pub owners: crate::http::api::OwnerCache,
    /// Recently authenticated sessions (`crate::http::api::SessionCache`).
    pub sessions: crate::http::api::SessionCache,
    /// Where the last full verification of the audit chain ended (`crate::audit::verify_recent`).
    pub audit_verified: crate::audit::VerifiedChain,
    /// The audit head for change detection (`crate::audit::HeadCache`).
    pub audit_head: crate::audit::HeadCache,
    /// Ballots waiting for the next group commit (`crate::deliberation::ballot_queue`).
    pub ballots: crate::deliberation::ballot_queue::BallotQueue,
}

