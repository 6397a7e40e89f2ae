//! Authorization (R40): casbin RBAC with domains. The model and the default policy live
//! in this folder; the policy rules live in the database (`casbin_rules`, editable by
//! secadmin) and role assignments come from `memberships` (g = user, role, unit) and
//! `users.admin_role` (g = user, admin role, "system"). The enforcer is rebuilt and
//! swapped atomically when either changes; other instances notice the bumped
//! `meta.policy_version` within seconds (R46).
use crate::error::{AppError, AppResult};
use crate::store::entities::{casbin_rules, memberships, meta, users};
use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use yishi_domain::roles::{Role, effective_roles};

pub const MODEL_CONF: &str = include_str!("model.conf");
pub const DEFAULT_POLICY: &str = include_str!("policy.csv");
pub const DOMAIN_SYSTEM: &str = "system";
pub const DOMAIN_SELF: &str = "self";
pub const SUB_AUTHENTICATED: &str = "authenticated";

/// The default policy rules as (role, domain, object, action).
pub fn default_rules() -> Vec<[String; 4]> {
    DEFAULT_POLICY
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("p,"))
        .filter_map(|l| {
            let f: Vec<String> = l.split(',').skip(1).map(|s| s.trim().to_string()).collect();
            (f.len() == 4).then(|| [f[0].clone(), f[1].clone(), f[2].clone(), f[3].clone()])
        })
        .collect()
}

#[derive(Clone)]
pub struct Authz {
    current: Arc<RwLock<Arc<Snapshot>>>,
    loaded_version: Arc<RwLock<String>>,
}

/// Decisions memoised per loaded policy. The cache belongs to the enforcer it was filled
/// from: a reload swaps both at once, so no decision of an old policy survives it.
/// Bounded: when full it is emptied (the working set refills it in microseconds).
const DECISION_CACHE_MAX: usize = 200_000;

struct Snapshot {
    enforcer: Enforcer,
    /// Key: `sub \x1f dom \x1f obj \x1f act`. Subjects (ids, "authenticated"), objects and
    /// actions never contain U+001F, so the key is unambiguous even if a domain taken from a
    /// URL did.
    decisions: RwLock<HashMap<String, bool>>,
}

impl Snapshot {
    fn new(enforcer: Enforcer) -> Arc<Snapshot> {
        Arc::new(Snapshot { enforcer, decisions: RwLock::new(HashMap::new()) })
    }
}

impl Authz {
    pub async fn load(db: &impl ConnectionTrait) -> AppResult<Authz> {
        let (e, v) = build(db).await?;
        Ok(Authz { current: Arc::new(RwLock::new(Snapshot::new(e))), loaded_version: Arc::new(RwLock::new(v)) })
    }

    /// One decision: may `sub` (a user id, or "authenticated") do `act` on `obj` in `dom`?
    /// casbin evaluates the matcher per policy line (BUILD.md: ~10k decisions/s); the
    /// answer is a pure function of the loaded policy, so it is memoised per snapshot.
    pub fn allowed(&self, sub: &str, dom: &str, obj: &str, act: &str) -> bool {
        let snap = match self.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        let mut key = String::with_capacity(sub.len() + dom.len() + obj.len() + act.len() + 3);
        for (i, part) in [sub, dom, obj, act].into_iter().enumerate() {
            if i > 0 {
                key.push('\x1f');
            }
            key.push_str(part);
        }
        if let Ok(cache) = snap.decisions.read() {
            if let Some(d) = cache.get(&key) {
                return *d;
            }
        }
        let decision = snap.enforcer.enforce((sub, dom, obj, act)).unwrap_or(false);
        if let Ok(mut cache) = snap.decisions.write() {
            if cache.len() >= DECISION_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, decision);
        }
        decision
    }

    pub async fn reload(&self, db: &impl ConnectionTrait) -> AppResult<()> {
        let (e, v) = build(db).await?;
        match self.current.write() {
            Ok(mut g) => *g = Snapshot::new(e),
            Err(p) => *p.into_inner() = Snapshot::new(e),
        }
        if let Ok(mut g) = self.loaded_version.write() {
            *g = v;
        }
        Ok(())
    }

    /// Reloads when another instance (or this one) bumped the policy version.
    pub async fn reload_if_changed(&self, db: &impl ConnectionTrait) -> AppResult<bool> {
        let v = policy_version(db).await?;
        let current = self.loaded_version.read().map(|g| g.clone()).unwrap_or_default();
        if v != current {
            self.reload(db).await?;
            return Ok(true);
        }
        Ok(false)
    }
}

async fn policy_version(db: &impl ConnectionTrait) -> AppResult<String> {
    Ok(meta::Entity::find_by_id("policy_version".to_string())
        .one(db)
        .await?
        .map(|m| m.value)
        .unwrap_or_default())
}

/// Marks the policy as changed, inside the caller's transaction.
pub async fn bump_policy_version(db: &impl ConnectionTrait) -> AppResult<()> {
    set_meta(db, "policy_version", &uuid::Uuid::now_v7().to_string()).await
}

pub async fn set_meta(db: &impl ConnectionTrait, key: &str, value: &str) -> AppResult<()> {
    use sea_orm::sea_query::OnConflict;
    let row = meta::ActiveModel { key: Set(key.to_string()), value: Set(value.to_string()) };
    meta::Entity::insert(row)
        .on_conflict(OnConflict::column(meta::Column::Key).update_column(meta::Column::Value).to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Seeds or tops up the default policy (see policy.csv header).
pub async fn ensure_default_policy(db: &impl ConnectionTrait) -> AppResult<()> {
    let digest = hex::encode(Sha256::digest(DEFAULT_POLICY.as_bytes()));
    let seeded = meta::Entity::find_by_id("default_policy_digest".to_string()).one(db).await?;
    if seeded.as_ref().map(|m| m.value.as_str()) == Some(digest.as_str()) {
        return Ok(());
    }
    let existing: std::collections::HashSet<[String; 4]> = casbin_rules::Entity::find()
        .filter(casbin_rules::Column::Ptype.eq("p"))
        .all(db)
        .await?
        .into_iter()
        .map(|r| [r.v0, r.v1, r.v2, r.v3])
        .collect();
    let missing: Vec<casbin_rules::ActiveModel> = default_rules()
        .into_iter()
        .filter(|r| !existing.contains(r))
        .map(|[a, b, c, d]| casbin_rules::ActiveModel {
            ptype: Set("p".into()),
            v0: Set(a),
            v1: Set(b),
            v2: Set(c),
            v3: Set(d),
            v4: Set(String::new()),
            v5: Set(String::new()),
            ..Default::default()
        })
        .collect();
    if !missing.is_empty() {
        casbin_rules::Entity::insert_many(missing).exec_without_returning(db).await?;
    }
    set_meta(db, "default_policy_digest", &digest).await?;
    bump_policy_version(db).await
}

async fn build(db: &impl ConnectionTrait) -> AppResult<(Enforcer, String)> {
    let version = policy_version(db).await?;
    let model = DefaultModel::from_str(MODEL_CONF).await.map_err(AppError::internal)?;
    let mut e = Enforcer::new(model, MemoryAdapter::default()).await.map_err(AppError::internal)?;
    let rules: Vec<Vec<String>> = casbin_rules::Entity::find()
        .filter(casbin_rules::Column::Ptype.eq("p"))
        .all(db)
        .await?
        .into_iter()
        .map(|r| vec![r.v0, r.v1, r.v2, r.v3])
        .collect();
    let mut groups: Vec<Vec<String>> = vec![vec![
        SUB_AUTHENTICATED.to_string(),
        SUB_AUTHENTICATED.to_string(),
        DOMAIN_SELF.to_string(),
    ]];
    for m in memberships::Entity::find().all(db).await? {
        for role in effective_roles(&parse_roles(&m.roles)) {
            groups.push(vec![m.user_id.clone(), role.as_str().to_string(), m.unit_id.clone()]);
        }
    }
    for u in users::Entity::find().filter(users::Column::AdminRole.is_not_null()).all(db).await? {
        if let Some(r) = u.admin_role {
            groups.push(vec![u.id, r, DOMAIN_SYSTEM.to_string()]);
        }
    }
    if !rules.is_empty() {
        e.add_policies(rules).await.map_err(AppError::internal)?;
    }
    e.add_grouping_policies(groups).await.map_err(AppError::internal)?;
    Ok((e, version))
}

/// Roles are stored as a JSON array of wire names; unknown names are ignored.
pub fn parse_roles(text: &str) -> Vec<Role> {
    serde_json::from_str::<Vec<String>>(text)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}
