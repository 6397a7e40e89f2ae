//! S03 threshold-splitting flags: the fund-use requests of a unit (proposals and outgoing
//! documents with an amount and a payee) run through `yishi_domain::oversight::splitting`;
//! detections are kept in `oversight_flags` (first detection time, acknowledgement by the
//! principal or the inspector) and reach both on their to-do lists until acknowledged.
//! A flag's id is derived from its group key, so the live detection and the stored row
//! always agree on it.
use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::entities::{memberships, oversight_flags, outgoing_documents, proposals, sections, users};
use crate::tasks::Task;
use crate::trail::{self, Change};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use yishi_domain::money::Money;
use yishi_domain::oversight::splitting::{self, Flag, SpendItem};
use yishi_domain::roles::Role;

pub const OBJECT_TYPE: &str = "splitting_flag";

/// The stored row's `group_key`: unit and the detector's key.
fn group_key(unit: &str, f: &Flag) -> String {
    format!("{unit}:{}", f.key)
}

/// Stable id of a flag (`sf-` + 32 hex digits of SHA-256 of the group key).
pub fn flag_id(unit: &str, f: &Flag) -> String {
    let h = hex::encode(Sha256::digest(group_key(unit, f).as_bytes()));
    format!("sf-{}", &h[..32])
}

/// The unit's fund-use requests. Drafts are not requests yet; an outgoing document linked to
/// a proposal that is itself counted is the same money and counted once.
pub async fn spend_items(db: &impl ConnectionTrait, unit: &str) -> AppResult<Vec<SpendItem>> {
    let props = proposals::Entity::find()
        .filter(proposals::Column::UnitId.eq(unit))
        .filter(proposals::Column::AmountFen.is_not_null())
        .all(db)
        .await?;
    let mut items = Vec::new();
    let mut counted: HashSet<String> = HashSet::new();
    for p in props.into_iter().filter(|p| p.state != "draft") {
        let (Some(amount), Some(payee)) = (p.amount_fen, p.payee.clone()) else { continue };
        counted.insert(p.id.clone());
        items.push(SpendItem {
            object_type: "proposal".into(),
            id: p.id,
            title: p.title,
            section_id: p.section_id,
            payee,
            amount_fen: amount,
            at: p.submitted_at.unwrap_or(p.created_at),
            state: p.state,
        });
    }
    let docs = outgoing_documents::Entity::find()
        .filter(outgoing_documents::Column::UnitId.eq(unit))
        .filter(outgoing_documents::Column::AmountFen.is_not_null())
        .all(db)
        .await?;
    for d in docs.into_iter().filter(|d| d.state != "drafting") {
        if d.linked_proposal_id.as_ref().is_some_and(|p| counted.contains(p)) {
            continue;
        }
        let (Some(amount), Some(payee)) = (d.amount_fen, d.payee.clone()) else { continue };
        items.push(SpendItem {
            object_type: "outgoing".into(),
            id: d.id,
            title: d.title,
            section_id: Some(d.main_section_id),
            payee,
            amount_fen: amount,
            at: d.created_at,
            state: d.state,
        });
    }
    Ok(items)
}

/// The unit's flags as detected now.
pub async fn detect(db: &impl ConnectionTrait, unit: &str) -> AppResult<Vec<Flag>> {
    let settings = crate::org::settings(db, unit).await?;
    let items = spend_items(db, unit).await?;
    Ok(splitting::detect(&items, settings.fund_threshold.fen(), settings.split_window_days))
}

fn items_json(f: &Flag) -> Value {
    json!(f.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>())
}

/// `acknowledged` only while the flag still holds the items that were acknowledged: a new
/// request joining the group makes it open again (even before the sweep stores that).
fn effective_state(stored: Option<&oversight_flags::Model>, f: &Flag) -> &'static str {
    match stored {
        Some(s) if s.state == "acknowledged" && s.items == *items_json(f).to_string() => "acknowledged",
        _ => "open",
    }
}

/// Persists the unit's current detections: new flags are recorded (trail + audit, system
/// actor) and announced to the principal and the inspectors; a flag that gained items is
/// updated, and re-opened if it had been acknowledged. Returns the flags new or re-opened.
pub async fn refresh(state: &AppState, unit: &str) -> AppResult<usize> {
    let flags = detect(&state.db.conn, unit).await?;
    let now = state.clock.now();
    let mut announced = Vec::new();
    let tx = state.db.begin_write().await?;
    for f in &flags {
        let id = flag_id(unit, f);
        let items = items_json(f).to_string();
        let existing = oversight_flags::Entity::find_by_id(id.clone()).one(&*tx).await?;
        match existing {
            None => {
                oversight_flags::Entity::insert(oversight_flags::ActiveModel {
                    id: Set(id.clone()),
                    unit_id: Set(unit.to_string()),
                    kind: Set(f.kind.as_str().to_string()),
                    group_key: Set(group_key(unit, f)),
                    section_id: Set(f.section_id.clone()),
                    payee: Set(f.payee.clone()),
                    total_fen: Set(f.total_fen),
                    threshold_fen: Set(f.threshold_fen),
                    items: Set(items),
                    first_at: Set(f.first_at),
                    last_at: Set(f.last_at),
                    detected_at: Set(now),
                    updated_at: Set(now),
                    state: Set("open".into()),
                    acknowledged_by: Set(None),
                    acknowledged_at: Set(None),
                    note: Set(None),
                    version: Set(1),
                })
                .on_conflict(
                    sea_orm::sea_query::OnConflict::column(oversight_flags::Column::Id).do_nothing().to_owned(),
                )
                .exec_without_returning(&*tx)
                .await?;
                let note = format!("{}：{}，{} 笔合计 {} 元", f.kind.label(), f.payee, f.items.len(), Money::from_fen(f.total_fen));
                trail::record(
                    &*tx,
                    now,
                    &Actor::system(),
                    Change::new(unit, OBJECT_TYPE, &id, "oversight.flag_detected")
                        .states(None, Some("open"))
                        .note(Some(&note))
                        .snapshots(Value::Null, json!({"kind": f.kind.as_str(), "items": items_json(f), "total_fen": f.total_fen})),
                )
                .await?;
                announced.push(id);
            }
            Some(row) if row.items != items => {
                let reopen = row.state == "acknowledged";
                let mut u = oversight_flags::Entity::update_many()
                    .col_expr(oversight_flags::Column::Items, items.into())
                    .col_expr(oversight_flags::Column::TotalFen, f.total_fen.into())
                    .col_expr(oversight_flags::Column::LastAt, f.last_at.into())
                    .col_expr(oversight_flags::Column::FirstAt, f.first_at.into())
                    .col_expr(oversight_flags::Column::UpdatedAt, now.into())
                    .col_expr(oversight_flags::Column::Version, (row.version + 1).into());
                if reopen {
                    u = u.col_expr(oversight_flags::Column::State, "open".into());
                }
                let res = u
                    .filter(oversight_flags::Column::Id.eq(id.clone()))
                    .filter(oversight_flags::Column::Version.eq(row.version))
                    .exec(&*tx)
                    .await?;
                if res.rows_affected == 1 {
                    let note = format!("新增关联事项，现 {} 笔合计 {} 元", f.items.len(), Money::from_fen(f.total_fen));
                    trail::record(
                        &*tx,
                        now,
                        &Actor::system(),
                        Change::new(unit, OBJECT_TYPE, &id, "oversight.flag_updated")
                            .states(Some(&row.state), Some(if reopen { "open" } else { &row.state }))
                            .note(Some(&note)),
                    )
                    .await?;
                    if reopen {
                        announced.push(id);
                    }
                }
            }
            Some(_) => {}
        }
    }
    tx.commit().await?;
    if !announced.is_empty() {
        let mut to: Vec<String> = crate::org::holders_of(&state.db.conn, unit, Role::Principal).await?.into_iter().map(|m| m.user_id).collect();
        to.extend(crate::org::holders_of(&state.db.conn, unit, Role::Inspector).await?.into_iter().map(|m| m.user_id));
        state.events.publish(to, "task", json!({"kind": "splitting_flag", "unit_id": unit, "flags": announced}));
    }
    Ok(announced.len())
}

/// Runs [`refresh`] for every unit (the hourly `oversight.flags` sweep).
pub async fn refresh_all(state: &AppState) -> AppResult<Value> {
    let units = crate::store::entities::units::Entity::find().all(&state.db.conn).await?;
    let mut new = 0;
    for u in &units {
        new += refresh(state, &u.id).await?;
    }
    Ok(json!({"units": units.len(), "new_or_reopened": new}))
}

/// The JSON of one flag (see the module documentation of `oversight`).
pub fn flag_json(unit: &str, f: &Flag, stored: Option<&oversight_flags::Model>, sections: &HashMap<String, String>, names: &HashMap<String, String>, window_days: u32) -> Value {
    let id = flag_id(unit, f);
    let state = effective_state(stored, f);
    let total = Money::from_fen(f.total_fen).to_string();
    let threshold = Money::from_fen(f.threshold_fen).to_string();
    let section_name = f.section_id.as_ref().and_then(|s| sections.get(s)).cloned().unwrap_or_default();
    let message = match f.kind {
        splitting::FlagKind::Split => format!(
            "{section_name}向“{}”的 {} 笔支出均低于集体决策标准 {threshold} 元，{} 天内合计 {total} 元，已达到标准，疑似拆分规避集体决策",
            f.payee,
            f.items.len(),
            window_days
        ),
        splitting::FlagKind::NearThreshold => format!(
            "{section_name} {} 天内有 {} 笔支出金额在集体决策标准 {threshold} 元以下 10% 以内",
            window_days,
            f.items.len()
        ),
    };
    json!({
        "id": id,
        "object_type": OBJECT_TYPE,
        "object_id": id,
        "kind": f.kind.as_str(),
        "kind_label": f.kind.label(),
        "rule": "S03",
        "status": "warning",
        "state": state,
        "title": format!("{}：{}", f.kind.label(), f.payee),
        "message": message,
        "section_id": f.section_id,
        "section_name": section_name,
        "payee": f.payee,
        "count": f.items.len(),
        "total": total,
        "total_fen": f.total_fen,
        "threshold": threshold,
        "threshold_fen": f.threshold_fen,
        "window_days": window_days,
        "first_at": f.first_at,
        "last_at": f.last_at,
        "items": f.items.iter().map(|i| json!({
            "object_type": i.object_type,
            "id": i.id,
            "title": i.title,
            "payee": i.payee,
            "amount": Money::from_fen(i.amount_fen).to_string(),
            "amount_fen": i.amount_fen,
            "at": i.at,
            "state": i.state,
            "link": match i.object_type.as_str() { "proposal" => format!("/api/v1/proposals/{}", i.id), _ => format!("/api/v1/outgoing/{}", i.id) },
        })).collect::<Vec<_>>(),
        "detected_at": stored.map(|s| s.detected_at),
        "acknowledged_by": stored.and_then(|s| s.acknowledged_by.clone()),
        "acknowledged_by_name": stored.and_then(|s| s.acknowledged_by.as_ref()).and_then(|u| names.get(u)).cloned(),
        "acknowledged_at": stored.and_then(|s| s.acknowledged_at),
        "note": stored.and_then(|s| s.note.clone()),
        "version": stored.map(|s| s.version),
    })
}

/// Section names of a unit.
pub async fn section_names(db: &impl ConnectionTrait, unit: &str) -> AppResult<HashMap<String, String>> {
    Ok(sections::Entity::find().filter(sections::Column::UnitId.eq(unit)).all(db).await?.into_iter().map(|s| (s.id, s.name)).collect())
}

/// Display names of everyone with a membership in the unit.
pub async fn user_names(db: &impl ConnectionTrait, unit: &str) -> AppResult<HashMap<String, String>> {
    let ids: Vec<String> = memberships::Entity::find()
        .filter(memberships::Column::UnitId.eq(unit))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    Ok(users::Entity::find().filter(users::Column::Id.is_in(ids)).all(db).await?.into_iter().map(|u| (u.id, u.display_name)).collect())
}

/// The unit's flags as JSON (live detection merged with the stored acknowledgements), newest
/// first; `from`/`to` keep flags whose items overlap the period.
pub async fn list(state: &AppState, unit: &str, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> AppResult<Vec<Value>> {
    let db = &state.db.conn;
    let settings = crate::org::settings(db, unit).await?;
    let flags = detect(db, unit).await?;
    let stored: HashMap<String, oversight_flags::Model> = oversight_flags::Entity::find()
        .filter(oversight_flags::Column::UnitId.eq(unit))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let sections = section_names(db, unit).await?;
    let names = user_names(db, unit).await?;
    Ok(flags
        .iter()
        .filter(|f| from.is_none_or(|t| f.last_at >= t) && to.is_none_or(|t| f.first_at <= t))
        .map(|f| flag_json(unit, f, stored.get(&flag_id(unit, f)), &sections, &names, settings.split_window_days))
        .collect())
}

/// Acknowledges a flag (the principal or an inspector has looked into it), with a note.
pub async fn acknowledge(state: &AppState, unit: &str, id: &str, actor: &Actor, note: &str) -> AppResult<Value> {
    let note = note.trim();
    if note.is_empty() {
        return Err(AppError::invalid("note", "请填写核查说明（note）"));
    }
    if note.chars().count() > 2000 {
        return Err(AppError::invalid("note", "核查说明不能超过 2000 个字符"));
    }
    // The flag must be one detected now; store it first if the sweep has not yet.
    let flags = detect(&state.db.conn, unit).await?;
    if !flags.iter().any(|f| flag_id(unit, f) == id) {
        return Err(AppError::not_found());
    }
    refresh(state, unit).await?;
    let now = state.clock.now();
    let tx = state.db.begin_write().await?;
    let row = oversight_flags::Entity::find_by_id(id.to_string())
        .filter(oversight_flags::Column::UnitId.eq(unit))
        .one(&*tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    if row.state == "acknowledged" {
        return Err(AppError::conflict("该预警已核查确认，请刷新"));
    }
    let res = oversight_flags::Entity::update_many()
        .col_expr(oversight_flags::Column::State, "acknowledged".into())
        .col_expr(oversight_flags::Column::AcknowledgedBy, actor.user_id.clone().into())
        .col_expr(oversight_flags::Column::AcknowledgedAt, Some(now).into())
        .col_expr(oversight_flags::Column::Note, Some(note.to_string()).into())
        .col_expr(oversight_flags::Column::UpdatedAt, now.into())
        .col_expr(oversight_flags::Column::Version, (row.version + 1).into())
        .filter(oversight_flags::Column::Id.eq(id))
        .filter(oversight_flags::Column::Version.eq(row.version))
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("该预警已被他人处理，请刷新"));
    }
    trail::record(
        &*tx,
        now,
        actor,
        Change::new(unit, OBJECT_TYPE, id, "oversight.flag_acknowledged").states(Some(&row.state), Some("acknowledged")).note(Some(note)),
    )
    .await?;
    tx.commit().await?;
    let db = &state.db.conn;
    let flag = detect(db, unit).await?.into_iter().find(|f| flag_id(unit, f) == id).ok_or_else(AppError::not_found)?;
    let stored = oversight_flags::Entity::find_by_id(id.to_string()).one(db).await?;
    let settings = crate::org::settings(db, unit).await?;
    Ok(flag_json(unit, &flag, stored.as_ref(), &section_names(db, unit).await?, &user_names(db, unit).await?, settings.split_window_days))
}

/// To-do items: open flags of the units where the user is principal or inspector.
pub async fn tasks_for(state: &AppState, user_id: &str) -> AppResult<Vec<Task>> {
    let db = &state.db.conn;
    let mine = memberships::Entity::find().filter(memberships::Column::UserId.eq(user_id)).all(db).await?;
    let mut out = Vec::new();
    for m in mine {
        let roles = yishi_domain::roles::effective_roles(&crate::authz::parse_roles(&m.roles));
        if !roles.contains(&Role::Principal) && !roles.contains(&Role::Inspector) {
            continue;
        }
        let flags = detect(db, &m.unit_id).await?;
        if flags.is_empty() {
            continue;
        }
        let stored: HashMap<String, oversight_flags::Model> = oversight_flags::Entity::find()
            .filter(oversight_flags::Column::UnitId.eq(m.unit_id.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        for f in &flags {
            let id = flag_id(&m.unit_id, f);
            if effective_state(stored.get(&id), f) == "acknowledged" {
                continue;
            }
            out.push(Task {
                kind: "splitting_flag".into(),
                object_type: OBJECT_TYPE.into(),
                object_id: id,
                title: format!("{}：{}（{} 笔，合计 {} 元）", f.kind.label(), f.payee, f.items.len(), Money::from_fen(f.total_fen)),
                unit_id: m.unit_id.clone(),
                due_at: None,
                overdue: false,
                on_behalf_of: None,
                on_behalf_of_name: None,
            });
        }
    }
    Ok(out)
}
