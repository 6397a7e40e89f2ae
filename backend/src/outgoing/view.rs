//! JSON views of outgoing documents: the full document for its readers (D13), the short
//! row for lists, versions and the paragraph diff, and the frozen-content hash (D08).
use super::model::{Doc, OBJECT_TYPE, Org};
use crate::error::{AppError, AppResult};
use crate::store::entities::{attachments, outgoing_documents as documents, outgoing_versions as versions, proposals, users};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use yishi_domain::enums::{DocType, IssuingForm, Secrecy, Urgency};
use yishi_domain::money::Money;
use yishi_domain::routing::body::{self, Block};
use yishi_domain::routing::outgoing::{self as rules, Recipients, State};

pub fn parse_blocks(text: &str) -> AppResult<Vec<Block>> {
    serde_json::from_str(text).map_err(AppError::internal)
}

pub fn parse_recipients(text: &str) -> AppResult<Recipients> {
    serde_json::from_str(text).map_err(AppError::internal)
}

/// What the SHA-256 of D08 covers: everything that is printed or decides the document,
/// in a fixed field order (typed values, so the JSON is canonical).
#[derive(Serialize)]
struct Content<'a> {
    title: &'a str,
    doc_type: &'a str,
    issuing_form: &'a str,
    series: &'a str,
    recipients: &'a Recipients,
    body: &'a [Block],
    urgency: &'a str,
    secrecy: &'a str,
    amount_fen: Option<i64>,
    payee: Option<&'a str>,
    /// SHA-256 of each attachment, in upload order.
    attachments: &'a [String],
    number: Option<&'a str>,
}

pub struct ContentParts<'a> {
    pub d: &'a documents::Model,
    pub title: &'a str,
    pub body: &'a [Block],
    pub recipients: &'a Recipients,
    pub number: Option<&'a str>,
    pub attachments: &'a [String],
}

pub fn content_sha256(p: &ContentParts<'_>) -> AppResult<String> {
    let c = Content {
        title: p.title,
        doc_type: &p.d.doc_type,
        issuing_form: &p.d.issuing_form,
        series: &p.d.series,
        recipients: p.recipients,
        body: p.body,
        urgency: &p.d.urgency,
        secrecy: &p.d.secrecy,
        amount_fen: p.d.amount_fen,
        payee: p.d.payee.as_deref(),
        attachments: p.attachments,
        number: p.number,
    };
    let bytes = serde_json::to_vec(&c)?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

pub async fn attachment_rows(db: &impl ConnectionTrait, doc_id: &str) -> AppResult<Vec<attachments::Model>> {
    Ok(attachments::Entity::find()
        .filter(attachments::Column::OwnerType.eq(OBJECT_TYPE))
        .filter(attachments::Column::OwnerId.eq(doc_id))
        .order_by_asc(attachments::Column::CreatedAt)
        .order_by_asc(attachments::Column::Id)
        .all(db)
        .await?)
}

/// The document's current content hash (with its number, if it has one).
pub async fn current_sha256(db: &impl ConnectionTrait, d: &documents::Model) -> AppResult<String> {
    let blocks = parse_blocks(&d.body)?;
    let recipients = parse_recipients(&d.recipients)?;
    let atts: Vec<String> = attachment_rows(db, &d.id).await?.into_iter().map(|a| a.sha256).collect();
    content_sha256(&ContentParts { d, title: &d.title, body: &blocks, recipients: &recipients, number: d.number.as_deref(), attachments: &atts })
}

pub async fn names(db: &impl ConnectionTrait, ids: impl IntoIterator<Item = String>) -> AppResult<BTreeMap<String, String>> {
    let ids: BTreeSet<String> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

fn money(fen: Option<i64>) -> Value {
    fen.map(|f| json!(Money::from_fen(f).to_decimal().to_string())).unwrap_or(Value::Null)
}

fn label<T: std::str::FromStr>(s: &str, f: impl Fn(&T) -> &'static str) -> &'static str {
    s.parse::<T>().map(|v| f(&v)).unwrap_or("")
}

/// The list row: no opinions, no trail.
pub fn summary(d: &documents::Model, names: &BTreeMap<String, String>, org: &Org) -> Value {
    let name = |id: &str| names.get(id).cloned().unwrap_or_default();
    let state: Option<State> = d.state.parse().ok();
    json!({
        "id": d.id, "unit_id": d.unit_id, "title": d.title,
        "doc_type": d.doc_type, "doc_type_label": label::<DocType>(&d.doc_type, DocType::label),
        "issuing_form": d.issuing_form, "issuing_form_label": label::<IssuingForm>(&d.issuing_form, IssuingForm::label),
        "urgency": d.urgency, "state": d.state, "state_label": state.map(|s| s.label()).unwrap_or(""),
        "paused": matches!(state, Some(State::Paused | State::Escalated)),
        "number": d.number, "drafter_id": d.drafter_id, "drafter_name": name(&d.drafter_id),
        "main_section_id": d.main_section_id, "main_section_name": org.section_name(&d.main_section_id),
        "amount": money(d.amount_fen), "linked_proposal_id": d.linked_proposal_id,
        "created_at": d.created_at, "updated_at": d.updated_at, "version": d.version,
    })
}

/// The full document for a reader (D13 checked by the caller). `with_opinions` is false for
/// non-participants reading an issued document: the text is theirs, the opinions are not.
pub async fn full(db: &impl ConnectionTrait, doc: &Doc, org: &Org, with_opinions: bool) -> AppResult<Value> {
    let d = &doc.d;
    let trail = crate::trail::of(db, OBJECT_TYPE, &d.id).await?;
    let vers = versions::Entity::find()
        .filter(versions::Column::DocumentId.eq(d.id.clone()))
        .order_by_asc(versions::Column::VersionNo)
        .all(db)
        .await?;
    let atts = attachment_rows(db, &d.id).await?;
    let pending = doc.pending(org);
    let signers = doc.signers(org);
    let mut ids: Vec<String> = vec![d.drafter_id.clone()];
    ids.extend(d.signed_by.clone());
    ids.extend(d.signed_on_behalf_of.clone());
    ids.extend(d.signoff_leader_id.clone());
    ids.extend(signers.iter().cloned());
    ids.extend(doc.deputy_in_charge(org));
    for t in &trail {
        ids.extend(t.actor_id.clone());
        ids.extend(t.on_behalf_of.clone());
    }
    for p in &pending {
        for a in &p.assignees {
            ids.push(a.clone());
            ids.push(org.acting_for(a).0);
        }
    }
    for c in &doc.countersigns {
        ids.extend(c.head_id.clone());
        ids.extend(c.on_behalf_of.clone());
    }
    for r in &doc.reviews {
        ids.push(r.reviewer_id.clone());
        ids.extend(r.on_behalf_of.clone());
    }
    for c in &doc.change_requests {
        ids.push(c.requester_id.clone());
        ids.extend(c.decided_by.clone());
    }
    for v in &vers {
        ids.push(v.author_id.clone());
    }
    let names = names(db, ids).await?;
    let name = |id: &str| names.get(id).cloned().unwrap_or_default();
    let opt_name = |id: &Option<String>| id.as_deref().map(&name);

    let linked = match &d.linked_proposal_id {
        Some(pid) => proposals::Entity::find_by_id(pid.clone()).one(db).await?.map(|p| {
            json!({"id": p.id, "title": p.title, "state": p.state, "outcome": p.outcome, "category": p.category})
        }),
        None => None,
    };
    let frozen = match &d.content_sha256 {
        Some(h) => {
            let now = current_sha256(db, d).await?;
            json!({"sha256": h, "intact": &now == h})
        }
        None => Value::Null,
    };
    let rule = rules::signoff_rule(doc.form);
    let mut v = summary(d, &names, org);
    let extra = json!({
        "series": d.series,
        "recipients": parse_recipients(&d.recipients)?,
        "body": parse_blocks(&d.body)?,
        "secrecy": d.secrecy, "secrecy_label": label::<Secrecy>(&d.secrecy, Secrecy::label),
        "urgency_label": label::<Urgency>(&d.urgency, Urgency::label),
        "payee": d.payee,
        "signoff_leader_id": d.signoff_leader_id, "signoff_leader_name": opt_name(&d.signoff_leader_id),
        "joint_departments": doc.joint_departments(),
        "paused_from": d.paused_from, "pause_reason": d.pause_reason,
        "body_version": d.body_version,
        "year": d.year, "content_sha256": d.content_sha256, "frozen": frozen,
        "signed_by": d.signed_by, "signed_by_name": opt_name(&d.signed_by),
        "signed_on_behalf_of": d.signed_on_behalf_of, "signed_at": d.signed_at,
        "signoff_opinion": if with_opinions { json!(d.signoff_opinion) } else { Value::Null },
        "linked_proposal": linked,
        "issued_at": d.issued_at, "archived_at": d.archived_at,
        "signoff": {
            "authority": rule.authority,
            "signers": signers.iter().map(|s| json!({"id": s, "name": name(s)})).collect::<Vec<_>>(),
            "needs_leader_review": rule.needs_leader_review,
            "leader_reviewed": doc.leader_reviewed(),
            "needs_external_countersigns": rule.needs_external_countersigns,
            "external_missing": doc.external_missing(),
        },
        "attachments": atts.iter().map(crate::uploads::view).collect::<Vec<_>>(),
        "versions": vers.iter().map(|x| json!({
            "version_no": x.version_no, "title": x.title, "reason": x.reason, "author_id": x.author_id,
            "author_name": name(&x.author_id), "on_behalf_of": x.on_behalf_of, "content_sha256": x.content_sha256,
            "change_request_id": x.change_request_id, "created_at": x.created_at,
        })).collect::<Vec<_>>(),
    });
    merge(&mut v, extra);
    if with_opinions {
        let opinions = json!({
            "reviews": doc.reviews.iter().map(|r| json!({
                "kind": r.kind, "reviewer_id": r.reviewer_id, "reviewer_name": name(&r.reviewer_id),
                "on_behalf_of": r.on_behalf_of, "on_behalf_of_name": opt_name(&r.on_behalf_of),
                "approve": r.approve, "opinion": r.opinion, "at": r.created_at,
            })).collect::<Vec<_>>(),
            "countersigns": doc.countersigns.iter().map(|c| json!({
                "id": c.id, "round": c.round, "section_id": c.section_id, "section_name": org.section_name(&c.section_id),
                "head_id": c.head_id, "head_name": opt_name(&c.head_id), "on_behalf_of": c.on_behalf_of,
                "stance": c.stance, "text": c.text, "answered_at": c.answered_at,
                "resolution": c.resolution, "resolution_note": c.resolution_note,
            })).collect::<Vec<_>>(),
            "external_countersigns": doc.externals.iter().map(|e| json!({
                "department": e.department, "opinion": e.opinion, "signed_on": e.signed_on,
                "recorded_by": e.recorded_by, "on_behalf_of": e.on_behalf_of, "at": e.created_at,
            })).collect::<Vec<_>>(),
            "change_requests": doc.change_requests.iter().map(change_request_view).collect::<Vec<_>>(),
            "trail": trail.iter().map(|t| json!({
                "at": t.at, "actor_id": t.actor_id, "actor_name": opt_name(&t.actor_id),
                "on_behalf_of": t.on_behalf_of, "on_behalf_of_name": opt_name(&t.on_behalf_of),
                "action": t.action, "from_state": t.from_state, "to_state": t.to_state, "note": t.note,
                "display": match (&t.actor_id, &t.on_behalf_of) {
                    (Some(a), Some(b)) => format!("{}（代{}）", name(a), name(b)),
                    (Some(a), None) => name(a),
                    _ => "系统".to_string(),
                },
            })).collect::<Vec<_>>(),
            "pending": pending.iter().map(|p| json!({
                "kind": p.kind, "label": p.label,
                "assignees": p.assignees.iter().map(|a| {
                    let (acting, on_behalf) = org.acting_for(a);
                    json!({"id": a, "name": name(a), "acting_id": acting, "acting_name": name(&acting), "on_behalf_of": on_behalf})
                }).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        merge(&mut v, opinions);
    }
    Ok(v)
}

pub fn change_request_view(c: &crate::store::entities::change_requests::Model) -> Value {
    json!({
        "id": c.id, "document_id": c.document_id, "requester_id": c.requester_id, "on_behalf_of": c.on_behalf_of,
        "reason": c.reason, "title": c.title, "body": serde_json::from_str::<Value>(&c.body).unwrap_or(Value::Null),
        "state": c.state, "decided_by": c.decided_by, "decided_on_behalf_of": c.decided_on_behalf_of,
        "opinion": c.opinion, "decided_at": c.decided_at, "version_no": c.version_no, "created_at": c.created_at,
        "version": c.version,
    })
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}

/// Every saved version of the text (D08: the old ones are kept).
pub async fn versions(db: &impl ConnectionTrait, doc_id: &str) -> AppResult<Value> {
    let vers = versions::Entity::find()
        .filter(versions::Column::DocumentId.eq(doc_id))
        .order_by_asc(versions::Column::VersionNo)
        .all(db)
        .await?;
    let names = names(db, vers.iter().map(|v| v.author_id.clone())).await?;
    let items: AppResult<Vec<Value>> = vers
        .iter()
        .map(|v| {
            Ok(json!({
                "version_no": v.version_no, "title": v.title, "body": parse_blocks(&v.body)?,
                "recipients": parse_recipients(&v.recipients)?, "reason": v.reason, "author_id": v.author_id,
                "author_name": names.get(&v.author_id).cloned().unwrap_or_default(), "on_behalf_of": v.on_behalf_of,
                "content_sha256": v.content_sha256, "change_request_id": v.change_request_id, "created_at": v.created_at,
            }))
        })
        .collect();
    Ok(json!({ "items": items? }))
}

/// Paragraph-level diff between two saved versions.
pub async fn diff(db: &impl ConnectionTrait, doc_id: &str, a: i32, b: i32) -> AppResult<Value> {
    let load = |n: i32| async move {
        versions::Entity::find()
            .filter(versions::Column::DocumentId.eq(doc_id))
            .filter(versions::Column::VersionNo.eq(n))
            .one(db)
            .await?
            .ok_or_else(|| AppError::invalid("version", format!("没有第 {n} 版")))
    };
    let va = load(a).await?;
    let vb = load(b).await?;
    let changes = body::diff(&parse_blocks(&va.body)?, &parse_blocks(&vb.body)?);
    let ra = parse_recipients(&va.recipients)?;
    let rb = parse_recipients(&vb.recipients)?;
    Ok(json!({
        "from": a, "to": b,
        "title": {"from": va.title, "to": vb.title, "changed": va.title != vb.title},
        "recipients": {"from": ra, "to": rb, "changed": ra != rb},
        "changes": changes,
        "summary": {
            "inserted": changes.iter().filter(|c| c.op == body::DiffOp::Insert).count(),
            "deleted": changes.iter().filter(|c| c.op == body::DiffOp::Delete).count(),
            "unchanged": changes.iter().filter(|c| c.op == body::DiffOp::Equal).count(),
        },
    }))
}
