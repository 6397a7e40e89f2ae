//! Organisation queries the flows share: units and their settings, the working-day
//! calendar, memberships and roles, division of labour (section → deputy), AB-post
//! backups and absences (D11).
use crate::error::{AppError, AppResult};
use crate::store::entities::{absences, calendars, memberships, sections, units, users};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::BTreeSet;
use yishi_domain::calendar::WorkCalendar;
use yishi_domain::roles::{Role, effective_roles};
use yishi_domain::settings::UnitSettings;

pub async fn unit(db: &impl ConnectionTrait, unit_id: &str) -> AppResult<units::Model> {
    units::Entity::find_by_id(unit_id.to_string()).one(db).await?.ok_or_else(AppError::not_found)
}

/// The unit's settings, SPEC defaults filled in for what was never set.
pub async fn settings(db: &impl ConnectionTrait, unit_id: &str) -> AppResult<UnitSettings> {
    let u = unit(db, unit_id).await?;
    parse_settings(&u.settings)
}

pub fn parse_settings(text: &str) -> AppResult<UnitSettings> {
    let patch: serde_json::Value = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    if patch.is_null() {
        return Ok(UnitSettings::default());
    }
    Ok(UnitSettings::default().merge(&patch)?)
}

/// The unit's working-day calendar over all years entered.
pub async fn calendar(db: &impl ConnectionTrait, unit_id: &str) -> AppResult<WorkCalendar> {
    let mut cal = WorkCalendar::default();
    for row in calendars::Entity::find().filter(calendars::Column::UnitId.eq(unit_id)).all(db).await? {
        let h: BTreeSet<NaiveDate> = serde_json::from_str(&row.holidays).unwrap_or_default();
        let w: BTreeSet<NaiveDate> = serde_json::from_str(&row.workdays).unwrap_or_default();
        cal.holidays.extend(h);
        cal.workdays.extend(w);
    }
    Ok(cal)
}

pub async fn membership(db: &impl ConnectionTrait, unit_id: &str, user_id: &str) -> AppResult<Option<memberships::Model>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::UnitId.eq(unit_id))
        .filter(memberships::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// A user's effective roles in a unit (principal and deputy imply member).
pub async fn roles_of(db: &impl ConnectionTrait, unit_id: &str, user_id: &str) -> AppResult<Vec<Role>> {
    Ok(membership(db, unit_id, user_id)
        .await?
        .map(|m| effective_roles(&crate::authz::parse_roles(&m.roles)))
        .unwrap_or_default())
}

/// Users holding `role` in the unit (effective roles), with their membership rows.
pub async fn holders_of(db: &impl ConnectionTrait, unit_id: &str, role: Role) -> AppResult<Vec<memberships::Model>> {
    holders_of_any(db, unit_id, &[role]).await
}

/// The unit's memberships holding any of `roles` (effective roles: a principal is a member),
/// in one statement.
pub async fn holders_of_any(db: &impl ConnectionTrait, unit_id: &str, roles: &[Role]) -> AppResult<Vec<memberships::Model>> {
    // Narrowed in SQL to the memberships whose stored roles (a JSON array) name a wanted role
    // or one implying it, so a unit with thousands of staff is not read for its one principal;
    // the exact test stays the domain's `effective_roles` below.
    let mut named = sea_orm::Condition::any();
    for r in Role::ALL.iter().filter(|r| roles.contains(r) || (roles.contains(&Role::Member) && r.implies_member())) {
        named = named.add(memberships::Column::Roles.like(format!("%\"{}\"%", r.as_str())));
    }
    Ok(memberships::Entity::find()
        .filter(memberships::Column::UnitId.eq(unit_id))
        .filter(named)
        .all(db)
        .await?
        .into_iter()
        .filter(|m| effective_roles(&crate::authz::parse_roles(&m.roles)).iter().any(|r| roles.contains(r)))
        .collect())
}

/// The unit's members (领导班子成员) — the should-attend set of a meeting at notice time (R08).
pub async fn members(db: &impl ConnectionTrait, unit_id: &str) -> AppResult<Vec<String>> {
    Ok(holders_of(db, unit_id, Role::Member).await?.into_iter().map(|m| m.user_id).collect())
}

pub async fn section(db: &impl ConnectionTrait, section_id: &str) -> AppResult<sections::Model> {
    sections::Entity::find_by_id(section_id.to_string()).one(db).await?.ok_or_else(AppError::not_found)
}

/// The deputy in charge of a section (分工), if one is set.
pub async fn deputy_of_section(db: &impl ConnectionTrait, section_id: &str) -> AppResult<Option<String>> {
    Ok(sections::Entity::find_by_id(section_id.to_string()).one(db).await?.and_then(|s| s.deputy_id))
}

/// The section heads of a section.
pub async fn heads_of_section(db: &impl ConnectionTrait, unit_id: &str, section_id: &str) -> AppResult<Vec<String>> {
    Ok(holders_of(db, unit_id, Role::SectionHead)
        .await?
        .into_iter()
        .filter(|m| m.section_id.as_deref() == Some(section_id))
        .map(|m| m.user_id)
        .collect())
}

pub async fn user(db: &impl ConnectionTrait, user_id: &str) -> AppResult<users::Model> {
    users::Entity::find_by_id(user_id.to_string()).one(db).await?.ok_or_else(AppError::not_found)
}

pub async fn display_name(db: &impl ConnectionTrait, user_id: &str) -> AppResult<String> {
    Ok(users::Entity::find_by_id(user_id.to_string()).one(db).await?.map(|u| u.display_name).unwrap_or_default())
}

/// Display names of many accounts in one query (an unknown id maps to ""), each id once.
pub async fn display_names(db: &impl ConnectionTrait, ids: &[String]) -> AppResult<std::collections::BTreeMap<String, String>> {
    let mut wanted: Vec<String> = ids.to_vec();
    wanted.sort();
    wanted.dedup();
    let mut out: std::collections::BTreeMap<String, String> = wanted.iter().map(|i| (i.clone(), String::new())).collect();
    // Bounded IN lists (SQLite's parameter limit is far above this; PostgreSQL has none that matters).
    for chunk in wanted.chunks(500) {
        let rows: Vec<(String, String)> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .column(users::Column::DisplayName)
            .filter(users::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Is `user_id` absent on `date` (an absence period covering it, D11)?
pub async fn is_absent(db: &impl ConnectionTrait, unit_id: &str, user_id: &str, date: NaiveDate) -> AppResult<bool> {
    let d = date.format("%Y-%m-%d").to_string();
    Ok(absences::Entity::find()
        .filter(absences::Column::UnitId.eq(unit_id))
        .filter(absences::Column::UserId.eq(user_id))
        .filter(absences::Column::FromDate.lte(d.clone()))
        .filter(absences::Column::ToDate.gte(d))
        .one(db)
        .await?
        .is_some())
}

/// The designated backup (B岗) of a user in a unit.
pub async fn backup_of(db: &impl ConnectionTrait, unit_id: &str, user_id: &str) -> AppResult<Option<String>> {
    Ok(membership(db, unit_id, user_id).await?.and_then(|m| m.backup_user_id))
}

/// Users for whom `user_id` is the backup and who are absent on `date`: whose tasks
/// `user_id` now handles, recorded as "on behalf of" them (D11).
pub async fn absent_principals_of_backup(
    db: &impl ConnectionTrait,
    unit_id: &str,
    user_id: &str,
    date: NaiveDate,
) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    for m in memberships::Entity::find()
        .filter(memberships::Column::UnitId.eq(unit_id))
        .filter(memberships::Column::BackupUserId.eq(user_id))
        .all(db)
        .await?
    {
        if is_absent(db, unit_id, &m.user_id, date).await? {
            out.push(m.user_id);
        }
    }
    Ok(out)
}

/// Who actually acts for `assignee` today: the assignee, or their backup while absent (D11).
/// Returns (acting user, on_behalf_of).
pub async fn acting_for(
    db: &impl ConnectionTrait,
    unit_id: &str,
    assignee: &str,
    date: NaiveDate,
) -> AppResult<(String, Option<String>)> {
    if is_absent(db, unit_id, assignee, date).await? {
        if let Some(b) = backup_of(db, unit_id, assignee).await? {
            return Ok((b, Some(assignee.to_string())));
        }
    }
    Ok((assignee.to_string(), None))
}

/// May `caller` act as `assignee` today — either being them, or their backup while they are absent (D11)?
/// Returns the on-behalf-of user when acting as backup.
pub async fn may_act_as(
    db: &impl ConnectionTrait,
    unit_id: &str,
    caller: &str,
    assignee: &str,
    date: NaiveDate,
) -> AppResult<Option<Option<String>>> {
    if caller == assignee {
        return Ok(Some(None));
    }
    let (acting, on_behalf) = acting_for(db, unit_id, assignee, date).await?;
    Ok((acting == caller).then_some(on_behalf))
}
