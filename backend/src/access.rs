//! Object-level read checks shared across flows (beyond casbin's role × action decision):
//! who may read an attachment depends on what it is attached to.
use crate::error::AppResult;
use crate::http::api::Ctx;
use crate::state::AppState;
use crate::store::entities::attachments;

pub async fn may_read_attachment(state: &AppState, ctx: &Ctx, a: &attachments::Model) -> AppResult<bool> {
    // Flow modules add their owner types here (proposal materials follow R07, documents D13).
    if a.owner_type == crate::deliberation::common::PROPOSAL {
        return crate::deliberation::common::may_read_attachment(state, ctx, a).await;
    }
    if a.owner_type == crate::outgoing::model::OBJECT_TYPE {
        return crate::outgoing::may_read_attachment(state, ctx, a).await;
    }
    let _ = state;
    Ok(a.uploader_id == ctx.user_id || ctx.unit_id.as_deref() == Some(a.unit_id.as_str()))
}
