//! Supervision for the inspectors (纪检监察) and the principal: compliance checks over the
//! stored facts of every deliberation and document (S02), and threshold-splitting flags (S03).
//! The checks themselves are pure functions in `yishi_domain::oversight`; this module loads
//! the facts ([`facts`]), assembles the report ([`compliance`]) and keeps the S03 flags
//! ([`splitting`]). The checks read what is *stored*: a violation written straight into the
//! database (a head override without a reason, a shortened notice without one, a tally
//! that does not match the ballots) is reported even though the API would refuse it.
//!
//! # Routes
//! | route | who | what |
//! | --- | --- | --- |
//! | `GET /api/v1/units/{unit}/compliance?from=&to=&category=&only_red=&rule=&kind=&format=` | inspector, principal | the report (JSON, or `format=csv`) |
//! | `GET /api/v1/units/{unit}/splitting-flags?from=&to=` | inspector, principal | `{items: [flag]}` (S03) |
//! | `POST /api/v1/units/{unit}/splitting-flags/{flag}/acknowledge` `{note}` | inspector, principal | flag, `state: "acknowledged"` |
//!
//! Query: `from`/`to` `YYYY-MM-DD` (Asia/Shanghai, inclusive); `category` a proposal category
//! (`large_fund` …; documents are left out then); `only_red=true` keeps only checks that are
//! not `passed` (and the entries holding them; open flags only); `rule=R06,R13`;
//! `kind=deliberations,proposals,documents,unit,splitting`; `format=csv` (UTF-8 with BOM, one
//! row per check and per flag: 对象类型, 对象编号, 对象, 日期, 议题, 规则, 检查项, 结果, 说明, 依据).
//!
//! # JSON shape of the report
//! ```json
//! {
//!   "unit_id": "…", "generated_at": "2026-11-30T04:00:00Z",
//!   "filters": {"from": null, "to": null, "category": null, "only_red": false, "rule": null, "kind": ["deliberations", …]},
//!   "summary": {"passed": 40, "warning": 3, "violated": 1, "red_flags": 5, "splitting_flags": 1},
//!                                         // counts of all checks matching the filters, also with only_red
//!   "deliberations": [{
//!       "object_type": "meeting", "object_id": "…", "meeting_id": "…", "title": "党组会议（2026-11-25）",
//!       "meeting_title": "…", "meeting_type": "party_group", "starts_at": "…", "date": "2026-11-25", "state": "closed",
//!       "status": "violated",                 // the worst of "checks"
//!       "checks": [Check, …],                 // meeting checks (R06, R08, R15, R16, R17) and every item's checks
//!       "items": [{"object_type": "proposal", "object_id": "…", "item_id": "…", "proposal_id": "…", "title": "…",
//!                  "category": "large_fund", "state": "decided", "path": "vote", "outcome": "adopted",
//!                  "status": "passed", "checks": [Check, …]}]   // R08/R09 quorum, R09, R10, R11, R12, R13
//!   }],
//!   "proposals": [{"object_type": "proposal", "object_id": "…", "title": "…", "category": "…", "state": "…",
//!                  "status": "…", "checks": [Check, …]}],              // R01/R05 pre-meeting, R18 archive
//!   "documents": [{"object_type": "outgoing" | "incoming", "object_id": "…", "title": "…", "number": "…",
//!                  "state": "…", "status": "…", "checks": [Check, …]}], // D07, D12, R01/D10; D02
//!   "unit_checks": [{"object_type": "unit", "object_id": "…", "title": "单位整体", "status": "…",
//!                    "checks": [Check, …]}],                            // R15 serials, R19 audit chain
//!   "splitting": [Flag, …]
//! }
//! ```
//! `Check` = `{"rule": "R06", "check": "notice_period", "title": "会议通知时限",
//! "status": "passed" | "warning" | "violated", "message": "…（中文）",
//! "evidence": [{"type": "meeting", "id": "…", "label": "…", "link": "/api/v1/meetings/…"}],
//! "details": {…}}` (`label`, `link`, `details` only when present). `warning` = allowed but
//! shown to inspectors (shortened notice with its reason, head override with its reason,
//! urgent secret ballot after a deferral, a missing principal statement, late completion …);
//! `violated` = the record contradicts the rule.
//!
//! `Flag` = `{"id": "sf-…", "object_type": "splitting_flag", "object_id": "sf-…", "kind": "split" |
//! "near_threshold", "kind_label": "…", "rule": "S03", "status": "warning", "state": "open" |
//! "acknowledged", "title": "…", "message": "…", "section_id", "section_name", "payee",
//! "count": 3, "total": "105000.00", "total_fen": 10500000, "threshold": "100000.00",
//! "threshold_fen", "window_days": 90, "first_at", "last_at",
//! "items": [{"object_type": "proposal" | "outgoing", "id", "title", "payee", "amount": "35000.00",
//! "amount_fen", "at", "state", "link"}], "detected_at", "acknowledged_by",
//! "acknowledged_by_name", "acknowledged_at", "note", "version"}`.
pub mod compliance;
pub mod demo;
pub mod facts;
pub mod splitting;

use crate::error::{AppError, AppResult};
use crate::http::api::{Api, Ctx, Guard, get, post};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes(api: Api) -> Api {
    api.add(
        get("/api/v1/units/{unit}/compliance", Guard::unit("compliance", "read"), "合规检查（S02）：各次集体决策、议题、公文的逐项检查与红色预警；?format=csv 导出")
            .query::<compliance::ComplianceQuery>(),
        get_compliance,
    )
    .add(
        get("/api/v1/units/{unit}/splitting-flags", Guard::unit("splitting_flag", "read"), "拆分规避预警（S03）").query::<FlagQuery>(),
        list_flags,
    )
    .add(
        post(
            "/api/v1/units/{unit}/splitting-flags/{flag}/acknowledge",
            Guard::unit("splitting_flag", "acknowledge"),
            "核查确认拆分规避预警（填写核查说明）",
        )
        .body::<Acknowledge>(),
        acknowledge_flag,
    )
}

async fn get_compliance(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<compliance::ComplianceQuery>,
) -> AppResult<Response> {
    let unit = ctx.unit()?.to_string();
    let filters = compliance::Filters::parse(&q)?;
    let report = compliance::report(&state, &unit, &filters).await?;
    // Looking at the supervision report is itself on the record (R19).
    let tx = state.db.begin_write().await?;
    let action = if filters.csv { "compliance.export" } else { "compliance.read" };
    crate::trail::record_read(&*tx, state.clock.now(), &ctx.actor(), &unit, "compliance", &unit, action).await?;
    tx.commit().await?;
    if !filters.csv {
        return Ok(Json(report).into_response());
    }
    let csv = compliance::to_csv(&report);
    let date = yishi_domain::time::local_date(state.clock.now());
    let mut resp = Response::new(Body::from(csv));
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    let disposition = format!("attachment; filename=\"compliance-{date}.csv\"");
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(AppError::internal)?);
    Ok(resp)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FlagQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn list_flags(State(state): State<AppState>, ctx: Ctx, Query(q): Query<FlagQuery>) -> AppResult<Json<Value>> {
    let unit = ctx.unit()?.to_string();
    let parse = |field: &str, v: &Option<String>| -> AppResult<Option<chrono::NaiveDate>> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::invalid(field, format!("{field} 须为 YYYY-MM-DD 格式的日期"))),
        }
    };
    let from = parse("from", &q.from)?.map(yishi_domain::time::local_start_of_day);
    let to = parse("to", &q.to)?.map(yishi_domain::time::local_end_of_day);
    let items = splitting::list(&state, &unit, from, to).await?;
    Ok(Json(json!({ "items": items, "next_cursor": Value::Null })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Acknowledge {
    /// 核查说明: what was found (required).
    pub note: String,
}

async fn acknowledge_flag(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_unit, flag)): Path<(String, String)>,
    Json(req): Json<Acknowledge>,
) -> AppResult<Json<Value>> {
    let unit = ctx.unit()?.to_string();
    let v = splitting::acknowledge(&state, &unit, &flag, &ctx.actor(), &req.note).await?;
    Ok(Json(v))
}

/// Job kinds handled here (dispatched by `crate::jobs`).
pub const FLAGS_SWEEP: &str = "oversight.flags";

pub async fn run_job(state: &AppState, kind: &str, _payload: &Value) -> AppResult<Value> {
    match kind {
        FLAGS_SWEEP => splitting::refresh_all(state).await,
        other => Err(AppError::new("invalid", format!("未知的监督任务类型：{other}"))),
    }
}

/// To-do items of the principal and the inspectors (open S03 flags).
pub async fn tasks_for(state: &AppState, user_id: &str) -> AppResult<Vec<crate::tasks::Task>> {
    splitting::tasks_for(state, user_id).await
}
