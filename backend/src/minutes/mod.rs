//! 三重一大, after the decision (SPEC A, R14–R18; D, S01): the superior's approval of
//! flagged items, minutes (drafted from the recorded decisions, approved with a gapless
//! serial, corrected only by new versions), internal publication with real-name opinions
//! and its exactly-once close, the summary and the principal's resolution, the archive
//! (frozen snapshot + exportable package with SHA-256 digests) and the staff portal's
//! disclosure catalogue. Pure rules live in `yishi_domain::deliberation::{minutes,
//! publication, state}`; this module loads, checks, writes state + trail + audit in one
//! transaction per use case.
//!
//! Proposal states moved here (see the domain transition table, owner `AfterDecision`):
//! `pending_superior → decided` (R14), `decided | rejected → minuted` (R15, on approval),
//! `minuted → published` (R16), `published → confirmed → archived` (R17/R18),
//! `published → minuted` (adjust), `published → ready` (redeliberate). Deferred items
//! appear in the minutes but keep their state (they go to a later meeting or lapse, R13).
pub mod archive;
pub mod demo;
pub mod drafting;
pub mod publication;
pub mod tasks;

use crate::error::{AppError, AppResult};
use crate::http::api::{Api, Guard, get, post};
use crate::store::entities::{meeting_items, minutes, proposals, publications};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use yishi_domain::deliberation::minutes::{MinutesBody, MinutesState, PublicationPhase};
use yishi_domain::deliberation::rules::Outcome;
use yishi_domain::deliberation::publication::{PublicationState, Resolution};

pub use publication::close_due_publications;

pub fn routes(api: Api) -> Api {
    api.add(
        post("/api/v1/proposals/{id}/superior-approval", Guard::object("proposals", "id", "superior_approval", "create"), "登记上级批准（文号、日期），待上级批准的议题回到“已决定”（R14）")
            .body::<drafting::SuperiorApprovalReq>(),
        drafting::record_superior_approval,
    )
    .add(
        post("/api/v1/meetings/{id}/minutes", Guard::object("meetings", "id", "minutes", "create"), "依据会议记录的决定起草会议纪要（统一纪要文头，R15）")
            .body::<drafting::DraftReq>(),
        drafting::draft_minutes,
    )
    .add(get("/api/v1/minutes/{id}", Guard::object("minutes", "id", "minutes", "read"), "会议纪要（含全部版本、编号、状态、纯文本）"), drafting::get_minutes)
    .add(post("/api/v1/minutes/{id}/approve", Guard::object("minutes", "id", "minutes", "approve"), "主要领导审定纪要并编号，如〔2026〕第7期（R14、R15）"), drafting::approve_minutes)
    .add(
        post("/api/v1/minutes/{id}/revisions", Guard::object("minutes", "id", "minutes", "revise"), "修订纪要：生成新版本草稿，旧版本保留（R15）")
            .body::<drafting::RevisionReq>(),
        drafting::revise_minutes,
    )
    .add(
        post("/api/v1/minutes/{id}/publication", Guard::object("minutes", "id", "publication", "create"), "在机关内部公示已审定的纪要，涉密事项须说明理由不予公开（R16）")
            .body::<publication::PublishReq>(),
        publication::publish,
    )
    .add(get("/api/v1/units/{unit}/publications", Guard::unit("publication", "read"), "本单位公示（?open=true 仅公示中；公示中的排在前面，S01）").query::<publication::ListQuery>(), publication::list_publications)
    .add(get("/api/v1/publications/{id}", Guard::object("publications", "id", "publication", "read"), "公示的纪要（不含不予公开的事项）"), publication::get_publication)
    .add(
        post("/api/v1/publications/{id}/opinions", Guard::object("publications", "id", "publication_opinion", "create"), "公示期间实名提出意见（R16）")
            .body::<publication::OpinionReq>(),
        publication::add_opinion,
    )
    .add(get("/api/v1/publications/{id}/opinions", Guard::object("publications", "id", "publication_opinion", "read"), "公示意见（仅办公室、主要领导、纪检监察可见，R16）"), publication::list_opinions)
    .add(
        post("/api/v1/publications/{id}/summary", Guard::object("publications", "id", "publication", "summarise"), "公示结束后汇总意见（没有意见也须记录，R17）")
            .body::<publication::SummaryReq>(),
        publication::summarise,
    )
    .add(
        post("/api/v1/publications/{id}/resolution", Guard::object("publications", "id", "publication", "resolve"), "主要领导决定：确认（归档）、调整（修订后重新公示）或重新会商（R17、R18）")
            .body::<publication::ResolutionReq>(),
        publication::resolve,
    )
    .add(get("/api/v1/units/{unit}/disclosures", Guard::unit("disclosure", "read"), "对内公开目录：已确认的决策、干部任免、大额资金使用（S01）").query::<archive::DisclosureQuery>(), archive::list_disclosures)
    .add(get("/api/v1/units/{unit}/archive", Guard::unit("archive", "read"), "档案（?kind=&q=，R18）").query::<archive::ArchiveQuery>(), archive::list_archive)
    .add(get("/api/v1/archive/{id}", Guard::object("archive_items", "id", "archive", "read"), "档案条目及其清单（R18）"), archive::get_archive_item)
    .add(get("/api/v1/archive/{id}/package", Guard::object("archive_items", "id", "archive", "export"), "导出档案包（zip：manifest.json 含每个文件的 SHA-256，R18）"), archive::package)
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn parse_body(m: &minutes::Model) -> AppResult<MinutesBody> {
    serde_json::from_str(&m.body).map_err(AppError::internal)
}

pub(crate) fn minutes_state(m: &minutes::Model) -> AppResult<MinutesState> {
    m.state.parse::<MinutesState>().map_err(AppError::internal)
}

pub(crate) fn publication_state(p: &publications::Model) -> AppResult<PublicationState> {
    p.state.parse::<PublicationState>().map_err(AppError::internal)
}

pub(crate) async fn load_minutes(db: &impl ConnectionTrait, id: &str) -> AppResult<minutes::Model> {
    minutes::Entity::find_by_id(id.to_string()).one(db).await?.ok_or_else(AppError::not_found)
}

/// All versions of a minutes, oldest first.
pub(crate) async fn versions(db: &impl ConnectionTrait, root_id: &str) -> AppResult<Vec<minutes::Model>> {
    Ok(minutes::Entity::find()
        .filter(minutes::Column::RootId.eq(root_id))
        .order_by_asc(minutes::Column::VersionNo)
        .all(db)
        .await?)
}

/// The publications of a minutes (all versions), oldest first.
pub(crate) async fn publications_of(db: &impl ConnectionTrait, root_id: &str) -> AppResult<Vec<publications::Model>> {
    Ok(publications::Entity::find()
        .filter(publications::Column::MinutesRootId.eq(root_id))
        .order_by_asc(publications::Column::OpenedAt)
        .order_by_asc(publications::Column::Id)
        .all(db)
        .await?)
}

/// Where the minutes stands with respect to publication (the latest publication decides).
pub(crate) fn phase(pubs: &[publications::Model]) -> AppResult<PublicationPhase> {
    let Some(last) = pubs.last() else { return Ok(PublicationPhase::None) };
    if publication_state(last)? == PublicationState::Open {
        return Ok(PublicationPhase::Open);
    }
    Ok(match last.resolution.as_deref().map(str::parse::<Resolution>).transpose().map_err(AppError::internal)? {
        None => PublicationPhase::AwaitingResolution,
        Some(Resolution::Adjust) => PublicationPhase::Adjust,
        Some(Resolution::Redeliberate) => PublicationPhase::Redeliberate,
        Some(Resolution::Confirm) => PublicationPhase::Confirmed,
    })
}

/// The proposals the minutes moves through the flow: every item except deferred ones
/// (those keep `deferred` and go to a later meeting, R13).
pub(crate) fn moving_items(body: &MinutesBody) -> Vec<String> {
    body.items
        .iter()
        .filter(|i| i.decided.outcome != Outcome::Deferred)
        .map(|i| i.decided.proposal_id.clone())
        .collect()
}

pub(crate) async fn proposal(db: &impl ConnectionTrait, id: &str) -> AppResult<proposals::Model> {
    proposals::Entity::find_by_id(id.to_string()).one(db).await?.ok_or_else(AppError::not_found)
}

pub(crate) async fn items_of_meeting(db: &impl ConnectionTrait, meeting_id: &str) -> AppResult<Vec<meeting_items::Model>> {
    Ok(meeting_items::Entity::find()
        .filter(meeting_items::Column::MeetingId.eq(meeting_id))
        .order_by_asc(meeting_items::Column::Position)
        .all(db)
        .await?)
}

/// Parses the optional `?limit=&cursor=` of list endpoints (cursor = offset, opaque to clients).
pub(crate) fn page(limit: Option<u64>, cursor: Option<&str>) -> (u64, u64) {
    let limit = limit.unwrap_or(50).clamp(1, 200);
    let offset = cursor.and_then(|c| c.parse::<u64>().ok()).unwrap_or(0);
    (limit, offset)
}
