//! Demo data after the decision, driven through the use cases (deliberation's and ours) so
//! every trail and audit entry is real:
//! - 2026年第7次党组会议: a fund item decided by consensus, minutes approved (第1期),
//!   published, one opinion, closed, summarised and confirmed → the proposal is archived
//!   and appears in the disclosure catalogue;
//! - the deliberation demo's decided meeting (第8次): minutes approved (第2期) and published,
//!   the publication open for comments.
//!
//! The only shortcut: a demo cannot wait two working days, so the first publication's
//! window is shortened to "now" before the scheduled close runs (recorded in its trail).
use super::{drafting, publication};
use crate::demo::DemoOrg;
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::state::AppState;
use crate::store::entities::{meeting_items, meetings, minutes, publications};
use crate::trail::{self, Change};
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use yishi_domain::deliberation::publication::Resolution;

async fn ctx_for(state: &AppState, org: &DemoOrg, username: &str) -> AppResult<Ctx> {
    let db = &state.db.conn;
    let user_id = org.user(username);
    let u = crate::org::user(db, &user_id).await?;
    let m = crate::org::membership(db, &org.unit_id, &user_id).await?;
    Ok(Ctx {
        user_id: user_id.clone(),
        username: u.username,
        display_name: u.display_name,
        admin_role: None,
        must_change_password: false,
        unit_id: Some(org.unit_id.clone()),
        roles: crate::org::roles_of(db, &org.unit_id, &user_id).await?,
        section_id: m.and_then(|m| m.section_id),
        session_id: String::new(),
        csrf_token: String::new(),
        client_addr: None,
    })
}

fn id_of(v: &Value) -> AppResult<String> {
    v["id"].as_str().map(str::to_string).ok_or_else(|| AppError::internal("demo: no id"))
}

/// A fund item taken through a whole party-group meeting (consensus); returns the meeting id.
async fn decided_meeting(state: &AppState, org: &DemoOrg) -> AppResult<String> {
    use crate::deliberation::{meetings as dm, proposals as dp, voting as dv};
    let unit = org.unit_id.clone();
    let xuming = ctx_for(state, org, "xuming").await?;
    let lina = ctx_for(state, org, "lina").await?;
    let sunli = ctx_for(state, org, "sunli").await?;
    let zhangwei = ctx_for(state, org, "zhangwei").await?;
    let p = dp::create(state, &xuming, &unit, dp::CreateProposal {
        category: "large_fund".into(),
        title: "关于实施不动产登记档案数字化加工项目的议题".into(),
        amount: Some("260000.00".into()),
        payee: Some("示例市档案数字化服务有限公司".into()),
        materials: dp::MaterialsIn {
            topic: Some("实施不动产登记档案数字化加工项目".into()),
            background: Some("馆藏不动产登记纸质档案约18万卷，查阅需求大，原件磨损严重。".into()),
            research: Some("经市场询价和同类单位调研，按卷计价，预算26万元，符合政府采购规定。".into()),
            recommendation: Some("同意实施，按政府采购程序确定服务单位，资金从年度业务经费列支。".into()),
        },
        flags: dp::FlagsIn::default(),
        urgent: false,
        needs_superior_approval: false,
        confidential: false,
        conflicts: Vec::new(),
        section_id: None,
    })
    .await?;
    let pid = id_of(&p)?;
    dp::submit(state, &xuming, &pid, None).await?;
    dp::submission_approval(state, &lina, &pid, None, dp::SubmissionApproval { approve: true, opinion: "同意提交会商。".into() }).await?;
    dp::premeeting_decision(state, &zhangwei, &pid, None, dp::PremeetingDecisionIn { decision: "to_meeting".into(), reason: "提交党组会议研究。".into() })
        .await?;
    let cal = crate::org::calendar(&state.db.conn, &unit).await?;
    let day = cal.add_working_days(yishi_domain::time::local_date(state.clock.now()), 2);
    let starts_at = (yishi_domain::time::local_start_of_day(day) + Duration::minutes(9 * 60)).to_rfc3339();
    let m = dm::create(state, &sunli, &unit, dm::CreateMeeting {
        meeting_type: "party_group".into(),
        title: "2026年第7次党组会议".into(),
        starts_at,
        location: "局机关三楼会议室".into(),
        agenda: vec![pid.clone()],
        attendees: vec![org.user("xuming")],
    })
    .await?;
    let mid = id_of(&m.value()?)?;
    dm::notice(state, &sunli, &mid, dm::Notice::default()).await?;
    for u in ["zhangwei", "lina", "wangqiang", "liuyang", "chenjing"] {
        dm::set_attendance(state, &sunli, &mid, &org.user(u), dm::AttendanceIn { status: "present".into(), reason: None }).await?;
    }
    dm::open(state, &sunli, &mid).await?;
    for (u, role, text) in [
        ("xuming", "presenter", "汇报项目必要性、加工范围和预算测算。"),
        ("lina", "deputy", "项目已列入年度计划，建议同意。"),
        ("wangqiang", "member", "同意，注意档案信息安全。"),
        ("liuyang", "member", "同意。"),
        ("chenjing", "member", "同意，采购全过程接受监督。"),
        ("zhangwei", "principal", "同意实施，严格保密管理，按期完成。"),
    ] {
        dv::add_statement(state, &sunli, &mid, &pid, dv::StatementIn { speaker_id: org.user(u), role: role.into(), stance: "agree".into(), text: text.into() })
            .await?;
    }
    dv::choose(state, &zhangwei, &mid, &pid, dv::PathIn { path: "consensus".into(), mode: None, reason: None }).await?;
    dm::close(state, &zhangwei, &mid).await?;
    Ok(mid)
}

pub async fn seed(state: &AppState, org: &DemoOrg) -> AppResult<()> {
    let sunli = ctx_for(state, org, "sunli").await?;
    let zhangwei = ctx_for(state, org, "zhangwei").await?;

    // 1. Confirmed and archived.
    let mid = decided_meeting(state, org).await?;
    let m = drafting::draft(state, &sunli.actor(), &sunli.display_name, &mid, None).await?;
    let m = drafting::approve(state, &zhangwei.actor(), &m.id).await?;
    let p = publication::open_publication(state, &sunli.actor(), &m.id, &[]).await?;
    let hejun = ctx_for(state, org, "hejun").await?;
    publication::opinion(state, &hejun.actor(), &p.id, "同意。建议在服务合同中明确档案信息保密责任。").await?;
    // Demo shortcut (see module doc): the window ends now, then the scheduled close runs.
    let tx = state.db.begin_write().await?;
    let now = state.clock.now();
    publications::Entity::update_many()
        .col_expr(publications::Column::ClosesAt, Expr::value(now))
        .filter(publications::Column::Id.eq(p.id.clone()))
        .exec(&*tx)
        .await?;
    trail::record(
        &*tx,
        now,
        &crate::audit::Actor::system(),
        Change::new(&p.unit_id, "publication", &p.id, "publication.demo_window").note(Some("演示数据：公示期缩短至当前时间")),
    )
    .await?;
    tx.commit().await?;
    publication::close_if_due(state, &p.id, "job").await?;
    publication::summary(state, &sunli.actor(), &p.id, "公示期间收到意见1条：建议在服务合同中明确档案信息保密责任。已转财务处、办公室在采购文件中落实。").await?;
    publication::resolution(state, &zhangwei.actor(), &p.id, Resolution::Confirm, "同意，按纪要执行。").await?;

    // 2. The deliberation demo's decided meeting: minutes approved and published, open.
    let db = &state.db.conn;
    for meeting in meetings::Entity::find()
        .filter(meetings::Column::UnitId.eq(org.unit_id.clone()))
        .order_by_asc(meetings::Column::CreatedAt)
        .all(db)
        .await?
    {
        if minutes::Entity::find().filter(minutes::Column::MeetingId.eq(meeting.id.clone())).count(db).await? > 0 {
            continue;
        }
        let items = meeting_items::Entity::find().filter(meeting_items::Column::MeetingId.eq(meeting.id.clone())).all(db).await?;
        if items.is_empty() || items.iter().any(|i| i.outcome.is_none()) {
            continue;
        }
        let m = drafting::draft(state, &sunli.actor(), &sunli.display_name, &meeting.id, None).await?;
        let m = drafting::approve(state, &zhangwei.actor(), &m.id).await?;
        let p = publication::open_publication(state, &sunli.actor(), &m.id, &[]).await?;
        let luoyan = ctx_for(state, org, "luoyan").await?;
        publication::opinion(state, &luoyan.actor(), &p.id, "支持。建议治理完成后公开验收情况。").await?;
        break;
    }
    Ok(())
}
