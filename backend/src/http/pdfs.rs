//! PDF endpoints (P01–P03, D14): the outgoing document in the GB/T 9704 layout. Access is
//! exactly that of the object (D13 for documents); the PDF of a document that is not yet
//! signed carries the 草稿 marking.
use super::api::{Api, Ctx, Guard, get};
use crate::error::{AppError, AppResult};
use crate::outgoing::model::{Doc, Org, may_read};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Datelike;
use yishi_domain::enums::{IssuingForm, Secrecy, Urgency};
use yishi_domain::time::local_date;
use yishi_render::{DocDate, MinutesDoc, MinutesItem, OfficialDocument};

pub fn routes(api: Api) -> Api {
    api.add(get("/api/v1/outgoing/{id}/pdf", Guard::object("outgoing_documents", "id", "outgoing", "read"), "发文 PDF（GB/T 9704 版式）"), outgoing_pdf)
        .add(get("/api/v1/minutes/{id}/pdf", Guard::object("minutes", "id", "minutes", "read"), "会议纪要 PDF（纪要格式，P03）"), minutes_pdf)
        .add(get("/api/v1/publications/{id}/pdf", Guard::object("publications", "id", "publication", "read"), "公示版纪要 PDF（不予公开事项只列标题和理由，R16）"), publication_pdf)
}

/// The renderer's minutes model from a stored minutes body. `withheld` maps proposal ids
/// to the recorded reason (the publication version, R16).
pub async fn minutes_document(
    state: &AppState,
    body: &yishi_domain::deliberation::minutes::MinutesBody,
    serial: Option<String>,
    draft: bool,
    withheld: &std::collections::BTreeMap<String, String>,
) -> AppResult<MinutesDoc> {
    use yishi_domain::deliberation::rules::Outcome;
    let m = &body.meeting;
    let unit_name = {
        let meeting = crate::store::entities::meetings::Entity::find_by_id(m.id.clone()).one(&state.db.conn).await?;
        match meeting {
            Some(mt) => crate::org::unit(&state.db.conn, &mt.unit_id).await?.name,
            None => String::new(),
        }
    };
    let items = body
        .items
        .iter()
        .map(|it| {
            let d = &it.decided;
            let outcome = match d.outcome {
                Outcome::Adopted => "通过",
                Outcome::Rejected => "未通过",
                Outcome::Deferred => "缓议",
            };
            let mut decision = it.summary.trim().to_string();
            if decision.is_empty() {
                decision = d.decision.clone();
            }
            if d.consensus && !decision.contains("一致") {
                decision.push_str("（与会成员一致同意）");
            }
            if let Some(sa) = &d.superior_approval {
                decision.push_str(&format!("（已报经上级批准：{}，{}）", sa.document_ref, sa.approved_on));
            } else if d.needs_superior_approval {
                decision.push_str("（须报上级批准）");
            }
            let tally = d.tally.as_ref().map(|t| {
                format!(
                    "应到会{}人，有表决权{}人；同意{}票，不同意{}票，缓议{}票，弃权{}票。结果：{outcome}。",
                    t.should_attend, t.eligible, t.agree, t.disagree, t.defer, t.abstain
                )
            });
            MinutesItem {
                title: d.title.clone(),
                decision,
                tally,
                override_reason: d.override_reason.clone(),
                withheld: withheld.get(&d.proposal_id).cloned(),
            }
        })
        .collect();
    let mut closing = Vec::new();
    // The 导语 is implied by the 时间/地点/主持 lines and the renderer's standard lead-in.
    for text in [&body.closing] {
        if !text.trim().is_empty() {
            closing.push(yishi_render::Block::Paragraph { text: text.trim().to_string() });
        }
    }
    let mut on_leave: Vec<(String, String)> = body.attendance.leave.iter().map(|a| (a.name.clone(), a.reason.clone().unwrap_or_default())).collect();
    on_leave.extend(body.attendance.absent.iter().map(|a| (a.name.clone(), a.reason.clone().unwrap_or_default())));
    Ok(MinutesDoc {
        header: body.header.clone(),
        serial,
        meeting_title: m.title.clone(),
        held_at: {
            let local = m.starts_at.with_timezone(&yishi_domain::time::SHANGHAI);
            format!("{}{}", yishi_domain::time::format_chinese_date(local.date_naive()), local.format(" %H:%M"))
        },
        location: m.location.clone(),
        chair: m.chair.clone(),
        recorder: m.recorder.clone(),
        present: body.attendance.present.clone(),
        on_leave,
        observers: body.attendance.observers.clone(),
        items,
        closing,
        printer: if unit_name.is_empty() { String::new() } else { format!("{unit_name}办公室") },
        print_date: date_of(state.clock.now()),
        cc: Vec::new(),
        watermark_draft: draft,
    })
}

async fn minutes_pdf(State(state): State<AppState>, Path(id): Path<String>) -> AppResult<Response> {
    let db = &state.db.conn;
    let row = crate::store::entities::minutes::Entity::find_by_id(id.clone()).one(db).await?.ok_or_else(AppError::not_found)?;
    let (body, serial) = crate::minutes::drafting::for_render(db, &id).await?;
    let doc = minutes_document(&state, &body, serial.clone(), row.state != "approved" && row.state != "superseded", &Default::default()).await?;
    let bytes = crate::pdf::render_minutes(&state, doc).await?;
    crate::pdf::response(bytes, &format!("{}{}.pdf", body.header, serial.unwrap_or_default()))
}

async fn publication_pdf(State(state): State<AppState>, Path(id): Path<String>) -> AppResult<Response> {
    let db = &state.db.conn;
    let p = crate::store::entities::publications::Entity::find_by_id(id).one(db).await?.ok_or_else(AppError::not_found)?;
    let (body, serial) = crate::minutes::drafting::for_render(db, &p.minutes_id).await?;
    let withheld: Vec<serde_json::Value> = serde_json::from_str(&p.withheld).unwrap_or_default();
    let withheld: std::collections::BTreeMap<String, String> = withheld
        .iter()
        .filter_map(|w| Some((w["proposal_id"].as_str()?.to_string(), w["reason"].as_str().unwrap_or("").to_string())))
        .collect();
    let doc = minutes_document(&state, &body, serial.clone(), false, &withheld).await?;
    let bytes = crate::pdf::render_minutes(&state, doc).await?;
    crate::pdf::response(bytes, &format!("{}{}（公示版）.pdf", body.header, serial.unwrap_or_default()))
}

fn date_of(t: chrono::DateTime<chrono::Utc>) -> Option<DocDate> {
    let d = local_date(t);
    DocDate::new(d.year() as u32, d.month(), d.day()).ok()
}

/// Maps a stored outgoing document to the renderer's model.
pub async fn official_document(state: &AppState, doc: &Doc) -> AppResult<OfficialDocument> {
    let db = &state.db.conn;
    let d = &doc.d;
    let unit = crate::org::unit(db, &d.unit_id).await?;
    let recipients = crate::outgoing::view::parse_recipients(&d.recipients)?;
    let blocks = crate::outgoing::view::parse_blocks(&d.body)?;
    let body: Vec<yishi_render::Block> = serde_json::from_value(serde_json::to_value(&blocks)?)?;
    let form: IssuingForm = d.issuing_form.parse().map_err(AppError::from)?;
    let signer = match (form, &d.signed_by) {
        (IssuingForm::ToSuperior, Some(s)) => Some(crate::org::display_name(db, s).await?),
        _ => None,
    };
    let secrecy = d.secrecy.parse::<Secrecy>().ok().filter(|s| *s != Secrecy::None).map(|s| s.label().to_string());
    let urgency = d.urgency.parse::<Urgency>().ok().filter(|u| *u != Urgency::Normal).map(|u| u.label().to_string());
    let attachments: Vec<String> = crate::store::entities::attachments::Entity::find()
        .filter(crate::store::entities::attachments::Column::OwnerType.eq("outgoing"))
        .filter(crate::store::entities::attachments::Column::OwnerId.eq(d.id.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.file_name.rsplit_once('.').map(|(n, _)| n.to_string()).unwrap_or(a.file_name))
        .collect();
    let signed = d.signed_at.is_some();
    let mark = if matches!(form, IssuingForm::OfficeByLeader | IssuingForm::OfficeOwn | IssuingForm::OfficeForSection) {
        format!("{}办公室文件", unit.name)
    } else {
        format!("{}文件", unit.name)
    };
    let signature = if mark.contains("办公室") { format!("{}办公室", unit.name) } else { unit.name.clone() };
    Ok(OfficialDocument {
        copy_number: None,
        secrecy,
        urgency,
        issuer_mark: mark,
        doc_number: d.number.clone(),
        signer,
        title: d.title.clone(),
        main_recipients: recipients.main.clone(),
        body,
        attachments,
        issuer_signature: signature,
        date: d.signed_at.and_then(date_of),
        note: None,
        cc: recipients.cc.clone(),
        printer: format!("{}办公室", unit.name),
        print_date: d.issued_at.or(d.signed_at).and_then(date_of),
        watermark_draft: !signed,
    })
}

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn outgoing_pdf(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let db = &state.db.conn;
    let doc = Doc::load(db, &id).await?;
    let org = Org::load(db, &doc.d.unit_id, local_date(state.clock.now())).await?;
    if !may_read(db, &doc, &org, &ctx.user_id).await? {
        return Err(AppError::not_found());
    }
    let model = official_document(&state, &doc).await?;
    let name = format!("{}.pdf", doc.d.number.clone().unwrap_or_else(|| doc.d.title.clone()));
    let bytes = crate::pdf::render_document(&state, model).await?;
    crate::pdf::response(bytes, &name)
}
