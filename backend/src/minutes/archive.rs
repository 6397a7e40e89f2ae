//! R18 archive: when the principal confirms, each proposal is archived with its meeting
//! records as a frozen JSON snapshot (`archive_items.content`) plus a manifest of the
//! package's files with SHA-256 digests. The package (`GET /api/v1/archive/{id}/package`)
//! is rebuilt from the snapshot and the content-addressed attachment store, and every
//! digest is checked against the manifest stored at archive time before it is served.
//! Archived rows are never updated: every mutating endpoint refuses archived objects (R18).
//!
//! PDFs (P01/P03) join the package by being rendered in [`archive_proposal`], stored in the
//! blob store (`uploads::store_bytes`) and listed in the snapshot as
//! `rendered: [{path: "minutes/{root}-v{n}.pdf", sha256}]`; `package_files` picks them up.
//!
//! Also the staff portal's disclosure catalogue (S01), built from the archive.
use super::{page, parse_body};
use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::state::AppState;
use crate::store::entities::{
    archive_items, attachments, attendance, ballots, meeting_items, meetings, minutes, observers, preconsult_records,
    proposals, publication_opinions, publications, secret_tallies, statements, written_opinions,
};
use crate::trail::{self, Change};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::Write;
use yishi_domain::deliberation::minutes::MinutesBody;
use yishi_domain::enums::{Category, MeetingType};
use yishi_domain::money::Money;

/// An archived proposal with its meeting records (the frontend's and the routing flows'
/// kinds are object types: `proposal`, `outgoing`, `incoming`).
pub const KIND_DELIBERATION: &str = "proposal";

async fn name(db: &impl ConnectionTrait, id: &str) -> AppResult<String> {
    crate::org::display_name(db, id).await
}

async fn person(db: &impl ConnectionTrait, id: Option<&str>) -> AppResult<Value> {
    Ok(match id {
        Some(i) if !i.is_empty() => json!({"id": i, "name": name(db, i).await?}),
        _ => Value::Null,
    })
}

fn json_text(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| json!(s))
}

fn attachment_view(a: &attachments::Model) -> Value {
    json!({
        "id": a.id, "file_name": a.file_name, "content_type": a.content_type, "size": a.size,
        "sha256": a.sha256, "owner_type": a.owner_type, "owner_id": a.owner_id, "created_at": a.created_at,
    })
}

/// The original record (会议原始记录) of one item of one meeting, as archived.
async fn original_record(db: &impl ConnectionTrait, meeting: &meetings::Model, item: &meeting_items::Model) -> AppResult<Value> {
    let mut att = Vec::new();
    for a in attendance::Entity::find().filter(attendance::Column::MeetingId.eq(meeting.id.clone())).order_by_asc(attendance::Column::RecordedAt).all(db).await? {
        att.push(json!({"user": person(db, Some(&a.user_id)).await?, "status": a.status, "reason": a.reason, "recorded_at": a.recorded_at}));
    }
    let mut obs = Vec::new();
    for o in observers::Entity::find().filter(observers::Column::MeetingId.eq(meeting.id.clone())).all(db).await? {
        obs.push(person(db, Some(&o.user_id)).await?);
    }
    let mut written = Vec::new();
    for w in written_opinions::Entity::find()
        .filter(written_opinions::Column::MeetingId.eq(meeting.id.clone()))
        .filter(written_opinions::Column::ProposalId.eq(item.proposal_id.clone()))
        .all(db)
        .await?
    {
        written.push(json!({"author": person(db, Some(&w.author_id)).await?, "text": w.text, "created_at": w.created_at}));
    }
    let mut stmts = Vec::new();
    for s in statements::Entity::find().filter(statements::Column::ItemId.eq(item.id.clone())).order_by_asc(statements::Column::Seq).all(db).await? {
        stmts.push(json!({
            "seq": s.seq, "speaker": person(db, Some(&s.speaker_id)).await?, "role": s.role,
            "stance": s.stance, "text": s.text, "created_at": s.created_at,
        }));
    }
    // Named ballots are recorded per member; secret ballots only as counts (R11).
    let mut named = Vec::new();
    for b in ballots::Entity::find().filter(ballots::Column::ItemId.eq(item.id.clone())).order_by_asc(ballots::Column::CastAt).all(db).await? {
        named.push(json!({"voter": person(db, Some(&b.voter_id)).await?, "mode": b.mode, "choice": b.choice, "opinion": b.opinion, "cast_at": b.cast_at}));
    }
    let secret = secret_tallies::Entity::find_by_id(item.id.clone()).one(db).await?.map(|t| {
        json!({"agree": t.agree, "disagree": t.disagree, "defer": t.defer, "abstain": t.abstain, "opinions": json_text(&t.opinions)})
    });
    Ok(json!({
        "meeting_id": meeting.id,
        "time": meeting.starts_at,
        "opened_at": meeting.opened_at,
        "closed_at": meeting.closed_at,
        "place": meeting.location,
        "chair": person(db, meeting.chair_id.as_deref()).await?,
        "should_attend": meeting.should_attend.as_deref().map(json_text),
        "attendance": att,
        "observers": obs,
        "written_opinions": written,
        "item": {
            "position": item.position, "path": item.path, "mode": item.mode, "path_reason": item.path_reason,
            "recused": json_text(&item.recused), "eligible": item.eligible.as_deref().map(json_text),
            "vote_opened_at": item.vote_opened_at, "vote_closed_at": item.vote_closed_at,
            "tally": item.tally.as_deref().map(json_text), "majority": item.majority,
        },
        "statements": stmts,
        "named_ballots": named,
        "secret_ballot_count": secret,
        "decision": {
            "outcome": item.outcome, "text": item.decision_text, "override_reason": item.override_reason,
            "decided_by": person(db, item.decided_by.as_deref()).await?, "decided_at": item.decided_at,
        },
    }))
}

fn notice(meeting: &meetings::Model) -> Value {
    json!({
        "meeting_id": meeting.id, "type": meeting.meeting_type, "title": meeting.title,
        "starts_at": meeting.starts_at, "location": meeting.location, "attendees": json_text(&meeting.attendees),
        "should_attend": meeting.should_attend.as_deref().map(json_text), "notice_sent_at": meeting.notice_sent_at,
        "noticed_by": meeting.noticed_by, "urgency_reason": meeting.urgency_reason, "short_notice": meeting.short_notice,
    })
}

/// Builds the frozen snapshot of a proposal and its records and stores the archive item.
/// Runs inside the confirming transaction (R17/R18). Returns the archive item id.
pub(crate) async fn archive_proposal(
    state: &AppState,
    tx: &impl ConnectionTrait,
    actor: &Actor,
    proposal_id: &str,
    confirmed_minutes: &minutes::Model,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let p = proposals::Entity::find_by_id(proposal_id.to_string()).one(tx).await?.ok_or_else(AppError::not_found)?;
    let mut records = Vec::new();
    let mut attachment_ids: Vec<String> = Vec::new();
    for r in preconsult_records::Entity::find().filter(preconsult_records::Column::ProposalId.eq(p.id.clone())).order_by_asc(preconsult_records::Column::CreatedAt).all(tx).await? {
        if let Ok(ids) = serde_json::from_str::<Vec<String>>(&r.attachment_ids) {
            attachment_ids.extend(ids);
        }
        records.push(json!({"id": r.id, "kind": r.kind, "summary": r.summary, "attachment_ids": json_text(&r.attachment_ids), "recorded_by": person(tx, Some(&r.recorded_by)).await?, "created_at": r.created_at}));
    }
    let mut files: Vec<attachments::Model> = attachments::Entity::find().filter(attachments::Column::OwnerId.eq(p.id.clone())).order_by_asc(attachments::Column::CreatedAt).all(tx).await?;
    for id in attachment_ids {
        if files.iter().any(|a| a.id == id) {
            continue;
        }
        if let Some(a) = attachments::Entity::find_by_id(id).one(tx).await? {
            files.push(a);
        }
    }
    // Every meeting that had the proposal on its agenda (a re-deliberated item has several).
    let items = meeting_items::Entity::find().filter(meeting_items::Column::ProposalId.eq(p.id.clone())).order_by_asc(meeting_items::Column::Id).all(tx).await?;
    let mut meetings_v = Vec::new();
    let mut minutes_v = Vec::new();
    let mut pubs_v = Vec::new();
    for it in &items {
        let Some(meeting) = meetings::Entity::find_by_id(it.meeting_id.clone()).one(tx).await? else { continue };
        meetings_v.push(json!({"notice": notice(&meeting), "original_record": original_record(tx, &meeting, it).await?}));
        for v in minutes::Entity::find().filter(minutes::Column::MeetingId.eq(meeting.id.clone())).order_by_asc(minutes::Column::VersionNo).all(tx).await? {
            let body: MinutesBody = parse_body(&v)?;
            minutes_v.push(json!({
                "id": v.id, "root_id": v.root_id, "version_no": v.version_no, "state": v.state, "serial": v.serial,
                "revision_reason": v.revision_reason, "created_at": v.created_at, "approved_by": v.approved_by,
                "approved_at": v.approved_at, "text": body.to_text(v.serial.as_deref()), "body": body,
            }));
        }
        for pb in publications::Entity::find().filter(publications::Column::MeetingId.eq(meeting.id.clone())).order_by_asc(publications::Column::OpenedAt).all(tx).await? {
            let mut ops = Vec::new();
            for o in publication_opinions::Entity::find().filter(publication_opinions::Column::PublicationId.eq(pb.id.clone())).order_by_asc(publication_opinions::Column::CreatedAt).all(tx).await? {
                ops.push(json!({"author": person(tx, Some(&o.author_id)).await?, "text": o.text, "created_at": o.created_at}));
            }
            pubs_v.push(json!({
                "id": pb.id, "minutes_id": pb.minutes_id, "opened_at": pb.opened_at, "closes_at": pb.closes_at,
                "closed_at": pb.closed_at, "withheld": json_text(&pb.withheld), "summary": pb.summary,
                "summary_at": pb.summary_at, "resolution": pb.resolution, "resolution_note": pb.resolution_note,
                "resolved_by": person(tx, pb.resolved_by.as_deref()).await?, "resolved_at": pb.resolved_at, "opinions": ops,
            }));
        }
    }
    let body = parse_body(confirmed_minutes)?;
    let item = body.items.iter().find(|i| i.decided.proposal_id == p.id);
    let last_pub = publications::Entity::find()
        .filter(publications::Column::MinutesId.eq(confirmed_minutes.id.clone()))
        .one(tx)
        .await?;
    let withheld = last_pub
        .as_ref()
        .and_then(|pb| serde_json::from_str::<Vec<Value>>(&pb.withheld).ok())
        .is_some_and(|w| w.iter().any(|x| x["proposal_id"] == json!(p.id)));
    let meeting_type = confirmed_minutes.meeting_type.clone();
    let meeting_date = item.map(|_| body.meeting.starts_at);
    let content = json!({
        "kind": KIND_DELIBERATION,
        "archived_at": now,
        "archived_by": person(tx, actor.user_id.as_deref()).await?,
        "retention": "permanent",
        "proposal": {
            "id": p.id, "category": p.category, "title": p.title,
            "amount": p.amount_fen.map(|f| Money::from_fen(f).to_string()), "payee": p.payee,
            "materials": {"topic": p.topic, "background": p.background, "research": p.research, "recommendation": p.recommendation},
            "flags": json_text(&p.flags), "urgent": p.urgent, "confidential": p.confidential,
            "needs_superior_approval": p.needs_superior_approval,
            "proposer": person(tx, Some(&p.proposer_id)).await?, "section_id": p.section_id,
            "deputy": person(tx, p.deputy_id.as_deref()).await?,
            "submission": {"approved_by": person(tx, p.approved_by.as_deref()).await?, "approved_at": p.approved_at, "opinion": p.submission_opinion, "registration_no": p.registration_no, "registered_at": p.registered_at},
            "premeeting": {"decision": p.premeeting_decision, "reason": p.premeeting_reason, "by": person(tx, p.premeeting_by.as_deref()).await?, "at": p.premeeting_at},
            "linked_document_id": p.linked_document_id, "created_at": p.created_at,
        },
        "preconsult_records": records,
        "attachments": files.iter().map(attachment_view).collect::<Vec<_>>(),
        "meetings": meetings_v,
        "minutes": minutes_v,
        "publications": pubs_v,
        "final_decision": {
            "outcome": item.map(|i| i.decided.outcome.as_str()),
            "decision": item.map(|i| i.decided.decision.clone()),
            "override_reason": item.and_then(|i| i.decided.override_reason.clone()),
            "tally": item.and_then(|i| i.decided.tally),
            "superior_approval": {"document_ref": p.superior_document_ref, "approved_on": p.superior_approved_on},
            "minutes_id": confirmed_minutes.id, "serial": confirmed_minutes.serial,
            "meeting_type": meeting_type, "meeting_date": meeting_date,
            "publication_id": last_pub.as_ref().map(|x| x.id.clone()),
            "resolution": "confirm", "confirmed_by": person(tx, actor.user_id.as_deref()).await?, "confirmed_at": now,
            "withheld": withheld,
        },
        "trail": trail::of(tx, "proposal", &p.id).await?,
    });
    let mut content = content;
    content["rendered"] = json!(render_minutes_pdfs(state, tx, &confirmed_minutes.meeting_id).await);
    let built = package_files(state, &content).await?;
    let manifest = manifest_of(&built);
    let id = super::new_id();
    archive_items::Entity::insert(archive_items::ActiveModel {
        id: Set(id.clone()),
        unit_id: Set(p.unit_id.clone()),
        kind: Set(KIND_DELIBERATION.to_string()),
        title: Set(p.title.clone()),
        proposal_id: Set(Some(p.id.clone())),
        meeting_id: Set(Some(confirmed_minutes.meeting_id.clone())),
        minutes_id: Set(Some(confirmed_minutes.id.clone())),
        publication_id: Set(last_pub.as_ref().map(|x| x.id.clone())),
        category: Set(Some(p.category.clone())),
        serial: Set(confirmed_minutes.serial.clone()),
        content: Set(serde_json::to_string(&content)?),
        manifest: Set(serde_json::to_string(&manifest)?),
        created_by: Set(actor.user_id.clone().unwrap_or_default()),
        created_at: Set(now),
    })
    .exec_without_returning(tx)
    .await?;
    trail::record(
        tx,
        now,
        actor,
        Change::new(&p.unit_id, "archive", &id, "archive.create")
            .note(Some(&format!("议题“{}”及其会议记录永久存档", p.title)))
            .snapshots(Value::Null, json!({"proposal_id": p.id, "files": manifest["files"].as_array().map(Vec::len)}))
            .permanent(),
    )
    .await?;
    Ok(id)
}

fn pretty(v: &Value) -> AppResult<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(v)?;
    out.push(b'\n');
    Ok(out)
}

fn safe_name(s: &str) -> String {
    crate::uploads::sanitize_file_name(s)
}

/// The package's files (path, bytes) from a snapshot — deterministic, so the digests
/// computed at archive time can be checked at every export. Attachments come from the
/// content-addressed store and must still hash to their recorded SHA-256.
pub async fn package_files(state: &AppState, content: &Value) -> AppResult<Vec<(String, Vec<u8>)>> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if content["kind"] == json!("outgoing") {
        // An issued document (D14): its snapshot, its attachments and its PDF.
        let mut doc = content.clone();
        if let Some(o) = doc.as_object_mut() {
            o.remove("rendered");
        }
        files.push(("document.json".into(), pretty(&doc)?));
        for (n, a) in content["attachments"].as_array().cloned().unwrap_or_default().iter().enumerate() {
            let bytes = blob(state, a["sha256"].as_str().unwrap_or("")).await?;
            files.push((format!("attachments/{:02}-{}", n + 1, safe_name(a["file_name"].as_str().unwrap_or("附件"))), bytes));
        }
        for r in content["rendered"].as_array().cloned().unwrap_or_default() {
            let (Some(path), Some(sha)) = (r["path"].as_str(), r["sha256"].as_str()) else { continue };
            files.push((path.to_string(), blob(state, sha).await?));
        }
        return Ok(files);
    }
    files.push(("proposal.json".into(), pretty(&json!({"proposal": content["proposal"], "preconsult_records": content["preconsult_records"], "attachments": content["attachments"]}))?));
    let meetings = content["meetings"].as_array().cloned().unwrap_or_default();
    files.push(("notice.json".into(), pretty(&Value::Array(meetings.iter().map(|m| m["notice"].clone()).collect()))?));
    files.push(("original_record.json".into(), pretty(&Value::Array(meetings.iter().map(|m| m["original_record"].clone()).collect()))?));
    for m in content["minutes"].as_array().cloned().unwrap_or_default() {
        let stem = format!("minutes/{}-v{}", m["root_id"].as_str().unwrap_or("minutes"), m["version_no"]);
        files.push((format!("{stem}.json"), pretty(&m)?));
        files.push((format!("{stem}.txt"), m["text"].as_str().unwrap_or("").as_bytes().to_vec()));
    }
    files.push(("opinions.json".into(), pretty(&content["publications"])?));
    files.push(("final_decision.json".into(), pretty(&content["final_decision"])?));
    files.push(("trail.json".into(), pretty(&content["trail"])?));
    for (n, a) in content["attachments"].as_array().cloned().unwrap_or_default().iter().enumerate() {
        let bytes = blob(state, a["sha256"].as_str().unwrap_or("")).await?;
        files.push((format!("materials/{:02}-{}", n + 1, safe_name(a["file_name"].as_str().unwrap_or("附件"))), bytes));
    }
    // Rendered documents (e.g. `minutes/{root}-v{n}.pdf`): stored in the blob store at
    // archive time and listed in the snapshot as `rendered: [{path, sha256}]`, so that a
    // non-deterministic renderer still yields a package that matches its manifest.
    for r in content["rendered"].as_array().cloned().unwrap_or_default() {
        let (Some(path), Some(sha)) = (r["path"].as_str(), r["sha256"].as_str()) else { continue };
        files.push((path.to_string(), blob(state, sha).await?));
    }
    Ok(files)
}

/// P01/P03 in the archive: every approved (or superseded) version of the meeting's minutes
/// rendered to PDF and stored in the blob store. Best effort: a server without CJK fonts
/// still archives (the JSON and text versions are complete), and says so in the log.
async fn render_minutes_pdfs(state: &AppState, tx: &impl ConnectionTrait, meeting_id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let versions = match minutes::Entity::find()
        .filter(minutes::Column::MeetingId.eq(meeting_id.to_string()))
        .order_by_asc(minutes::Column::VersionNo)
        .all(tx)
        .await
    {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "archive: cannot list minutes versions for rendering");
            return out;
        }
    };
    for v in versions.into_iter().filter(|v| v.state == "approved" || v.state == "superseded") {
        let rendered = async {
            let body = parse_body(&v)?;
            let doc = crate::http::pdfs::minutes_document(state, &body, v.serial.clone(), false, &Default::default()).await?;
            let bytes = crate::pdf::render_minutes(state, doc).await?;
            crate::uploads::write_blob(state, &bytes).await
        }
        .await;
        match rendered {
            Ok(sha) => out.push(json!({"path": format!("minutes/{}-v{}.pdf", v.root_id, v.version_no), "sha256": sha})),
            Err(e) => tracing::warn!(error = %e, minutes = %v.id, "archive: minutes PDF not rendered"),
        }
    }
    out
}

async fn blob(state: &AppState, sha: &str) -> AppResult<Vec<u8>> {
    if sha.len() < 3 {
        return Err(AppError::internal("archived file without digest"));
    }
    let bytes = tokio::fs::read(crate::uploads::blob_path(state, sha)).await.map_err(AppError::internal)?;
    if hex::encode(Sha256::digest(&bytes)) != sha {
        return Err(AppError::internal(format!("blob {sha} does not match its digest")));
    }
    Ok(bytes)
}

pub fn manifest_of(files: &[(String, Vec<u8>)]) -> Value {
    json!({
        "format": "yishi-archive/1",
        "files": files.iter().map(|(p, b)| json!({"path": p, "size": b.len(), "sha256": hex::encode(Sha256::digest(b))})).collect::<Vec<_>>(),
    })
}

// ------------------------------------------------------------------ HTTP

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArchiveQuery {
    pub kind: Option<String>,
    pub q: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

fn item_view(a: &archive_items::Model) -> Value {
    let manifest: Value = serde_json::from_str(&a.manifest).unwrap_or(Value::Null);
    json!({
        "id": a.id, "unit_id": a.unit_id, "kind": a.kind, "title": a.title, "category": a.category,
        "serial": a.serial, "proposal_id": a.proposal_id, "meeting_id": a.meeting_id, "minutes_id": a.minutes_id,
        "publication_id": a.publication_id, "object_type": a.proposal_id.as_ref().map(|_| "proposal"),
        "object_id": a.proposal_id, "archived_at": a.created_at, "created_at": a.created_at,
        "files": manifest["files"].as_array().map(Vec::len).unwrap_or(0), "retention": "permanent",
    })
}

pub async fn list_archive(State(state): State<AppState>, Path(unit): Path<String>, Query(q): Query<ArchiveQuery>) -> AppResult<Json<Value>> {
    let (limit, offset) = page(q.limit, q.cursor.as_deref());
    let mut query = archive_items::Entity::find().filter(archive_items::Column::UnitId.eq(unit));
    if let Some(k) = q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        // "deliberation" is accepted as another name for archived proposals.
        let k = if k == "deliberation" { KIND_DELIBERATION } else { k };
        query = query.filter(archive_items::Column::Kind.eq(k));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        query = query.filter(archive_items::Column::Title.contains(text));
    }
    let rows = query
        .order_by_desc(archive_items::Column::CreatedAt)
        .order_by_desc(archive_items::Column::Id)
        .offset(offset)
        .limit(limit + 1)
        .all(&state.db.conn)
        .await?;
    let more = rows.len() as u64 > limit;
    let items: Vec<Value> = rows.iter().take(limit as usize).map(item_view).collect();
    Ok(Json(json!({"items": items, "next_cursor": more.then(|| (offset + limit).to_string())})))
}

pub async fn get_archive_item(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let a = archive_items::Entity::find_by_id(id.clone()).one(&state.db.conn).await?.ok_or_else(AppError::not_found)?;
    let mut v = item_view(&a);
    v["manifest"] = serde_json::from_str(&a.manifest).map_err(AppError::internal)?;
    // The snapshot holds the original record (R11-restricted): only its readers see it.
    if ctx.has(yishi_domain::roles::Role::Principal) || ctx.has(yishi_domain::roles::Role::Clerk) || ctx.has(yishi_domain::roles::Role::Inspector) {
        v["content"] = serde_json::from_str(&a.content).map_err(AppError::internal)?;
        let tx = state.db.begin_write().await?;
        trail::record_read(&*tx, state.clock.now(), &ctx.actor(), &a.unit_id, "archive", &a.id, "archive.read").await?;
        tx.commit().await?;
    }
    Ok(Json(v))
}

/// R18 export: a zip with `manifest.json` (SHA-256 of every other file) and the files.
pub async fn package(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let a = archive_items::Entity::find_by_id(id.clone()).one(&state.db.conn).await?.ok_or_else(AppError::not_found)?;
    let content: Value = serde_json::from_str(&a.content).map_err(AppError::internal)?;
    let stored: Value = serde_json::from_str(&a.manifest).map_err(AppError::internal)?;
    let files = package_files(&state, &content).await?;
    let fresh = manifest_of(&files);
    if fresh["files"] != stored["files"] {
        return Err(AppError::internal(format!("archive {id}: package no longer matches its manifest")));
    }
    let mut manifest = stored.clone();
    manifest["archive_id"] = json!(a.id);
    manifest["unit_id"] = json!(a.unit_id);
    manifest["kind"] = json!(a.kind);
    manifest["title"] = json!(a.title);
    manifest["serial"] = json!(a.serial);
    manifest["archived_at"] = json!(a.created_at);
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("manifest.json", opts).map_err(AppError::internal)?;
        zip.write_all(&pretty(&manifest)?).map_err(AppError::internal)?;
        for (path, bytes) in &files {
            zip.start_file(path.as_str(), opts).map_err(AppError::internal)?;
            zip.write_all(bytes).map_err(AppError::internal)?;
        }
        zip.finish().map_err(AppError::internal)?;
    }
    let tx = state.db.begin_write().await?;
    trail::record_read(&*tx, state.clock.now(), &ctx.actor(), &a.unit_id, "archive", &a.id, "archive.export").await?;
    tx.commit().await?;
    let mut resp = Response::new(Body::from(buf.into_inner()));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"archive-{}.zip\"", a.id)).map_err(AppError::internal)?,
    );
    Ok(resp)
}

// ------------------------------------------------------------------ S01 disclosure catalogue

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DisclosureQuery {
    pub category: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// 对内公开目录: confirmed decisions, personnel appointments and large expenditures — items
/// withheld from publication (R16) stay out of it.
pub async fn list_disclosures(State(state): State<AppState>, Path(unit): Path<String>, Query(q): Query<DisclosureQuery>) -> AppResult<Json<Value>> {
    let (limit, offset) = page(q.limit, q.cursor.as_deref());
    let category = q.category.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(|c| Category::parse_field(c, "category")).transpose()?;
    let mut query = archive_items::Entity::find().filter(archive_items::Column::UnitId.eq(unit)).filter(archive_items::Column::Kind.eq(KIND_DELIBERATION));
    if let Some(c) = category {
        query = query.filter(archive_items::Column::Category.eq(c.as_str()));
    }
    let rows = query.order_by_desc(archive_items::Column::CreatedAt).order_by_desc(archive_items::Column::Id).all(&state.db.conn).await?;
    let mut items = Vec::new();
    for a in rows {
        let content: Value = serde_json::from_str(&a.content).map_err(AppError::internal)?;
        let fd = &content["final_decision"];
        if fd["withheld"] == json!(true) || content["proposal"]["confidential"] == json!(true) {
            continue;
        }
        let cat: Option<Category> = a.category.as_deref().and_then(|c| c.parse().ok());
        let kind = match cat {
            Some(Category::KeyAppointment) => "appointment",
            Some(Category::LargeFund) => "expenditure",
            _ => "decision",
        };
        let meeting_type: Option<MeetingType> = fd["meeting_type"].as_str().and_then(|t| t.parse().ok());
        items.push(json!({
            "id": a.id, "archive_id": a.id, "proposal_id": a.proposal_id, "title": a.title,
            "category": a.category, "category_label": cat.map(|c| c.label()), "kind": kind,
            "outcome": fd["outcome"], "decision": fd["decision"], "amount": content["proposal"]["amount"],
            "payee": content["proposal"]["payee"], "meeting_type": fd["meeting_type"],
            "meeting_type_label": meeting_type.map(|t| t.label()), "meeting_date": fd["meeting_date"],
            "serial": a.serial, "confirmed_at": fd["confirmed_at"], "superior_approval": fd["superior_approval"],
        }));
    }
    let total = items.len() as u64;
    let page_items: Vec<Value> = items.into_iter().skip(offset as usize).take(limit as usize).collect();
    let next = (offset + limit < total).then(|| (offset + limit).to_string());
    Ok(Json(json!({"items": page_items, "next_cursor": next})))
}
