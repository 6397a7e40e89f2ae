//! Demo data for supervision: three fund-use requests of the finance section to one payee,
//! ¥35,000 each — each below the ¥100,000 threshold, together above it (S03) — submitted
//! through the deliberation use cases, so the inspector's page and the principal's to-do
//! list show a splitting flag. The compliance report needs no data of its own: it reads the
//! other flows' demo records.
use crate::deliberation::proposals;
use crate::demo::DemoOrg;
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::state::AppState;

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

pub const DEMO_PAYEE: &str = "示例市办公家具有限公司";

pub async fn seed(state: &AppState, org: &DemoOrg) -> AppResult<()> {
    let xuming = ctx_for(state, org, "xuming").await?;
    for (floor, what) in [("一", "局机关一楼办事大厅"), ("二", "局机关二楼办公区"), ("三", "局机关三楼会议室")] {
        let req = proposals::CreateProposal {
            category: "large_fund".into(),
            title: format!("关于购置{what}办公家具的议题（第{floor}批）"),
            amount: Some("35000.00".into()),
            payee: Some(DEMO_PAYEE.into()),
            materials: proposals::MaterialsIn {
                topic: Some(format!("购置{what}办公家具")),
                background: Some("现有办公家具使用年限已久，部分损坏。".into()),
                research: Some("经询价比较，拟向原供应商采购同型号家具。".into()),
                recommendation: Some("同意购置，资金从办公经费列支。".into()),
            },
            flags: proposals::FlagsIn::default(),
            urgent: false,
            needs_superior_approval: false,
            confidential: false,
            conflicts: Vec::new(),
            section_id: None,
        };
        let p = proposals::create(state, &xuming, &org.unit_id, req).await?;
        let id = p["id"].as_str().map(str::to_string).ok_or_else(|| AppError::internal("demo: no id"))?;
        proposals::submit(state, &xuming, &id, None).await?;
    }
    super::splitting::refresh(state, &org.unit_id).await?;
    Ok(())
}
