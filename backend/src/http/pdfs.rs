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
use yishi_render::{DocDate, OfficialDocument};

pub fn routes(api: Api) -> Api {
    api.add(get("/api/v1/outgoing/{id}/pdf", Guard::object("outgoing_documents", "id", "outgoing", "read"), "发文 PDF（GB/T 9704 版式）"), outgoing_pdf)
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
