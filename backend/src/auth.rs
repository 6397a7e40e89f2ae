//! Accounts (R41): argon2id hashes, the password policy, and login throttling.
use crate::error::{AppError, AppResult};
use crate::store::entities::login_throttle;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

/// Failures per account before it is locked for a while.
pub const MAX_FAILURES_PER_ACCOUNT: i32 = 5;
/// Failures per client address (many accounts guessed from one place).
pub const MAX_FAILURES_PER_ADDR: i32 = 20;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// argon2id memory (KiB) and passes of new hashes.
pub const HASH_MEMORY_KIB: u32 = 7 * 1024;
pub const HASH_PASSES: u32 = 5;

fn hasher() -> AppResult<Argon2<'static>> {
    // OWASP's argon2id configurations "provide an equal level of defense" from 46 MiB/t=1 to
    // 7 MiB/t=5 (Password Storage Cheat Sheet); the 7 MiB one keeps a burst of sign-ins
    // within the server's memory budget (issue 8: 50 MB at 64 connections) at the same
    // CPU cost as 19 MiB/t=2. Verification reads the parameters from the stored hash, so
    // hashes made with other parameters keep working.
    let params = Params::new(HASH_MEMORY_KIB, HASH_PASSES, 1, None).map_err(AppError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()?.hash_password(password.as_bytes(), &salt).map_err(AppError::internal)?.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    hasher().map(|h| h.verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false)
}

/// A hash's 7 MiB and ≈40 ms of one core never run on the async workers nor inside a
/// database transaction (a sign-in used to hold SQLite's writer for its whole hash): they
/// run on the blocking pool, at most one per two cores at a time (at least one;
/// `YISHI_HASH_PARALLEL` overrides), so a burst of sign-ins queues here instead of
/// multiplying memory and taking every core from the other requests. On two cores, 64
/// members signing in at once take ≈ 1.0 s instead of 0.8 s for the last of them, and the
/// server's peak memory is 7 MiB lower (docs/performance.md, "Allocator and memory").
fn argon2_permits() -> &'static tokio::sync::Semaphore {
    static P: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    P.get_or_init(|| tokio::sync::Semaphore::new(crate::config::tuning("YISHI_HASH_PARALLEL", default_hash_parallel(), 1..=usize::MAX)))
}

/// Password hashes at a time by default: one per two cores, at least one.
fn default_hash_parallel() -> usize {
    (std::thread::available_parallelism().map_or(2, |n| n.get()) / 2).max(1)
}

async fn on_argon2_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let _permit = argon2_permits().acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(f).await.map_err(AppError::internal)
}

/// [`verify_password`] off the async workers (see [`argon2_permits`]).
pub async fn verify_password_async(password: &str, hash: &str) -> AppResult<bool> {
    let (password, hash) = (password.to_string(), hash.to_string());
    on_argon2_pool(move || verify_password(&password, &hash)).await
}

/// [`hash_password`] off the async workers (see [`argon2_permits`]).
pub async fn hash_password_async(password: &str) -> AppResult<String> {
    let password = password.to_string();
    on_argon2_pool(move || hash_password(&password)).await?
}

/// Password policy: at least 10 characters and three of four classes
/// (lower case, upper case, digits, other). Refusals name the field and say what to do.
pub fn check_password_policy(field: &str, password: &str) -> AppResult<()> {
    let len = password.chars().count();
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if len < 10 || len > 128 || classes < 3 {
        return Err(AppError::invalid(
            field,
            "密码须为 10–128 个字符，并包含小写字母、大写字母、数字、符号中的至少三类（password policy）",
        ));
    }
    Ok(())
}

pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Refuses while `key` is locked (429).
pub async fn ensure_not_throttled(db: &impl ConnectionTrait, key: &str, now: DateTime<Utc>) -> AppResult<()> {
    if let Some(row) = login_throttle::Entity::find_by_id(key.to_string()).one(db).await? {
        if let Some(until) = row.locked_until {
            if until > now {
                let mins = (until - now).num_minutes() + 1;
                return Err(AppError::throttled(format!("登录失败次数过多，请 {mins} 分钟后再试（too many failed sign-ins）")));
            }
        }
    }
    Ok(())
}

pub async fn record_failure(db: &impl ConnectionTrait, key: &str, limit: i32, now: DateTime<Utc>) -> AppResult<()> {
    let window = chrono::Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let row = login_throttle::Entity::find_by_id(key.to_string()).one(db).await?;
    let (failures, start) = match row {
        Some(r) if now - r.window_start < window => (r.failures + 1, r.window_start),
        _ => (1, now),
    };
    let locked_until = (failures >= limit).then(|| now + window);
    let m = login_throttle::ActiveModel {
        key: Set(key.to_string()),
        failures: Set(failures),
        window_start: Set(start),
        locked_until: Set(locked_until),
    };
    login_throttle::Entity::insert(m)
        .on_conflict(
            OnConflict::column(login_throttle::Column::Key)
                .update_columns([
                    login_throttle::Column::Failures,
                    login_throttle::Column::WindowStart,
                    login_throttle::Column::LockedUntil,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn clear_failures(db: &impl ConnectionTrait, key: &str) -> AppResult<()> {
    login_throttle::Entity::delete_by_id(key.to_string()).exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn r41_password_hash_is_argon2id_and_verifies() {
        let h = hash_password("Correct-Horse-9").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{h}");
        assert!(verify_password("Correct-Horse-9", &h));
        assert!(!verify_password("Correct-Horse-8", &h));
        // A hash made with the earlier parameters (19 MiB, t=2) still verifies.
        let salt = SaltString::generate(&mut OsRng);
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).unwrap())
            .hash_password(b"Correct-Horse-9", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("Correct-Horse-9", &old));
        assert!(!verify_password("Correct-Horse-8", &old));
    }

    #[test]
    fn r41_password_policy() {
        assert!(check_password_policy("password", "short1A!").is_err());
        assert!(check_password_policy("password", "alllowercaseletters").is_err());
        assert!(check_password_policy("password", "lowerUPPER12").is_ok());
        assert!(check_password_policy("password", "lower-digits-123").is_ok());
    }
}
