//! Demo deliberation data, driven through the use cases so every trail and audit entry is
//! real: proposals in draft, submitted, ready and returned; a meeting with its notice sent;
//! and a meeting whose item was voted on and decided.
use super::{meetings, proposals, voting};
use crate::demo::DemoOrg;
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::state::AppState;
use chrono::Duration;
use serde_json::Value;

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

fn materials(topic: &str, background: &str, research: &str, recommendation: &str) -> proposals::MaterialsIn {
    proposals::MaterialsIn {
        topic: Some(topic.into()),
        background: Some(background.into()),
        research: Some(research.into()),
        recommendation: Some(recommendation.into()),
    }
}

fn new_proposal(category: &str, title: &str, amount: Option<&str>, payee: Option<&str>, m: proposals::MaterialsIn) -> proposals::CreateProposal {
    proposals::CreateProposal {
        category: category.into(),
        title: title.into(),
        amount: amount.map(str::to_string),
        payee: payee.map(str::to_string),
        materials: m,
        flags: proposals::FlagsIn::default(),
        urgent: false,
        needs_superior_approval: false,
        confidential: false,
        conflicts: Vec::new(),
        section_id: None,
    }
}

/// Takes a proposal from draft to ready (submission, deputy approval, principal's decision).
async fn to_ready(state: &AppState, org: &DemoOrg, proposer: &str, deputy: &str, id: &str) -> AppResult<()> {
    let p = ctx_for(state, org, proposer).await?;
    proposals::submit(state, &p, id, None).await?;
    let d = ctx_for(state, org, deputy).await?;
    proposals::submission_approval(state, &d, id, None, proposals::SubmissionApproval { approve: true, opinion: "同意提交会商。".into() }).await?;
    let z = ctx_for(state, org, "zhangwei").await?;
    proposals::premeeting_decision(state, &z, id, None, proposals::PremeetingDecisionIn { decision: "to_meeting".into(), reason: "条件成熟，提交党组会议研究。".into() })
        .await?;
    Ok(())
}

/// A meeting start time `days` working days after today, 09:30 Shanghai.
async fn meeting_time(state: &AppState, org: &DemoOrg, days: u32) -> AppResult<String> {
    let cal = crate::org::calendar(&state.db.conn, &org.unit_id).await?;
    let today = yishi_domain::time::local_date(state.clock.now());
    let day = cal.add_working_days(today, days);
    let t = yishi_domain::time::local_start_of_day(day) + Duration::minutes(9 * 60 + 30);
    Ok(t.to_rfc3339())
}

pub async fn seed(state: &AppState, org: &DemoOrg) -> AppResult<()> {
    let huangxin = ctx_for(state, org, "huangxin").await?;
    let xuming = ctx_for(state, org, "xuming").await?;
    let gaofei = ctx_for(state, org, "gaofei").await?;
    let mali = ctx_for(state, org, "mali").await?;
    let sunli = ctx_for(state, org, "sunli").await?;
    let zhangwei = ctx_for(state, org, "zhangwei").await?;
    let unit = org.unit_id.clone();

    // 1. Draft (materials incomplete).
    let mut draft = new_proposal("major_decision", "关于编制2027年度国土空间规划实施计划的议题", None, None, materials(
        "研究2027年度国土空间规划实施计划编制工作方案",
        "根据省厅部署，需在年底前完成年度实施计划编制。",
        "",
        "",
    ));
    draft.flags.other_departments = Some(true);
    proposals::create(state, &huangxin, &unit, draft).await?;

    // 2. Submitted, waiting for the deputy in charge (李娜, finance).
    let submitted = proposals::create(state, &xuming, &unit, new_proposal(
        "large_fund",
        "关于购置不动产登记信息系统服务器设备的议题",
        Some("350000.00"),
        Some("示例市信息技术有限公司"),
        materials(
            "购置不动产登记信息系统服务器设备",
            "现有服务器已运行8年，故障率高，影响登记业务办理。",
            "经技术论证和市场询价，拟采购国产服务器4台，预算35万元。",
            "同意按政府采购程序购置，资金从年度信息化专项经费列支。",
        ),
    ))
    .await?;
    proposals::submit(state, &xuming, &id_of(&submitted)?, None).await?;

    // 3. Ready (technical review on file), waiting for the clerk to schedule it.
    let mut ready = new_proposal("major_project", "关于实施2026年度高标准农田建设项目的议题", None, None, materials(
        "实施2026年度高标准农田建设项目",
        "上级下达我市高标准农田建设任务1.2万亩。",
        "技术协作部门已完成项目区勘测和可行性论证。",
        "同意按方案实施，由耕地保护处牵头组织。",
    ));
    ready.flags.technical = Some(true);
    let ready = proposals::create(state, &gaofei, &unit, ready).await?;
    let ready_id = id_of(&ready)?;
    proposals::add_preconsult_record(state, &gaofei, &ready_id, proposals::PreconsultRecordIn {
        kind: "technical".into(),
        summary: "市农业技术推广中心出具技术论证意见：项目区选址合理。".into(),
        attachment_ids: Vec::new(),
    })
    .await?;
    to_ready(state, org, "gaofei", "wangqiang", &ready_id).await?;

    // 4. Returned by the principal: general business.
    let returned = proposals::create(state, &mali, &unit, new_proposal("other_major", "关于调整机关公务用车管理细则的议题", None, None, materials(
        "调整机关公务用车管理细则",
        "现行细则部分条款与新规定不一致。",
        "办公室已对照上级规定逐条梳理。",
        "建议按新规定修订。",
    )))
    .await?;
    let returned_id = id_of(&returned)?;
    to_ready_until_preconsult(state, org, "mali", "lina", &returned_id).await?;
    proposals::premeeting_decision(state, &zhangwei, &returned_id, None, proposals::PremeetingDecisionIn {
        decision: "general_business".into(),
        reason: "属于一般性业务工作，由分管领导通过业务会议研究处理。".into(),
    })
    .await?;

    // 5. Decided: a party-group meeting that voted on a fund-use item.
    let fund = proposals::create(state, &xuming, &unit, new_proposal(
        "large_fund",
        "关于安排2026年度地质灾害防治专项资金的议题",
        Some("800000.00"),
        Some("示例市地质环境监测站"),
        materials(
            "安排2026年度地质灾害防治专项资金",
            "汛期前需完成12处地质灾害隐患点治理。",
            "经现场踏勘和专家评审，治理方案可行，预算80万元。",
            "同意安排专项资金80万元，按项目进度拨付。",
        ),
    ))
    .await?;
    let fund_id = id_of(&fund)?;
    to_ready(state, org, "xuming", "lina", &fund_id).await?;
    let decided_meeting = meetings::create(state, &sunli, &unit, meetings::CreateMeeting {
        meeting_type: "party_group".into(),
        title: "2026年第8次党组会议".into(),
        starts_at: meeting_time(state, org, 2).await?,
        location: "局机关三楼会议室".into(),
        agenda: vec![fund_id.clone()],
        attendees: vec![org.user("xuming")],
    })
    .await?;
    let mid = id_of(&decided_meeting.value()?)?;
    meetings::notice(state, &sunli, &mid, meetings::Notice::default()).await?;
    for u in ["zhangwei", "lina", "wangqiang", "liuyang", "chenjing"] {
        meetings::set_attendance(state, &sunli, &mid, &org.user(u), meetings::AttendanceIn { status: "present".into(), reason: None }).await?;
    }
    meetings::open(state, &sunli, &mid).await?;
    for (u, role, text) in [
        ("xuming", "presenter", "汇报治理方案和资金测算。"),
        ("lina", "deputy", "资金已纳入年度预算，建议同意。"),
        ("wangqiang", "member", "同意，建议加强施工监理。"),
        ("liuyang", "member", "同意。"),
        ("chenjing", "member", "同意，资金使用要全程接受监督。"),
        ("zhangwei", "principal", "同意，按程序拨付并跟踪问效。"),
    ] {
        voting::add_statement(state, &sunli, &mid, &fund_id, voting::StatementIn {
            speaker_id: org.user(u),
            role: role.into(),
            stance: "agree".into(),
            text: text.into(),
        })
        .await?;
    }
    voting::choose(state, &zhangwei, &mid, &fund_id, voting::PathIn { path: "vote".into(), mode: Some("named".into()), reason: None }).await?;
    for u in ["lina", "wangqiang", "liuyang", "chenjing", "zhangwei"] {
        let c = ctx_for(state, org, u).await?;
        voting::cast(state, &c, &mid, &fund_id, None, voting::BallotIn { choice: "agree".into(), opinion: None }).await?;
    }
    voting::close_vote(state, &zhangwei, &mid, &fund_id).await?;
    voting::decide(state, &zhangwei, &mid, &fund_id, voting::DecisionIn {
        outcome: "adopted".into(),
        text: "同意安排地质灾害防治专项资金80万元，由财务处按项目进度拨付。".into(),
        override_reason: None,
    })
    .await?;
    meetings::close(state, &zhangwei, &mid).await?;

    // 6. Scheduled: the next meeting, notice sent, with a land-reserve fund item.
    let reserve = proposals::create(state, &xuming, &unit, new_proposal(
        "large_fund",
        "关于使用土地储备专项资金收储城东地块的议题",
        Some("1200000.00"),
        Some("示例市土地储备中心"),
        materials(
            "使用土地储备专项资金收储城东地块",
            "城东地块已列入年度土地储备计划。",
            "经评估机构评估，收储补偿费用120万元。",
            "同意收储，资金从土地储备专项资金列支。",
        ),
    ))
    .await?;
    let reserve_id = id_of(&reserve)?;
    to_ready(state, org, "xuming", "lina", &reserve_id).await?;
    let next = meetings::create(state, &sunli, &unit, meetings::CreateMeeting {
        meeting_type: "party_group".into(),
        title: "2026年第9次党组会议".into(),
        starts_at: meeting_time(state, org, 3).await?,
        location: "局机关三楼会议室".into(),
        agenda: vec![reserve_id],
        attendees: vec![org.user("xuming"), org.user("wuhua")],
    })
    .await?;
    meetings::notice(state, &sunli, &id_of(&next.value()?)?, meetings::Notice::default()).await?;
    Ok(())
}

async fn to_ready_until_preconsult(state: &AppState, org: &DemoOrg, proposer: &str, deputy: &str, id: &str) -> AppResult<()> {
    let p = ctx_for(state, org, proposer).await?;
    proposals::submit(state, &p, id, None).await?;
    let d = ctx_for(state, org, deputy).await?;
    proposals::submission_approval(state, &d, id, None, proposals::SubmissionApproval { approve: true, opinion: "同意。".into() }).await?;
    Ok(())
}
