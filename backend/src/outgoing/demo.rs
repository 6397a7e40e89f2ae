//! Demo outgoing documents in the states a visitor should see: a draft, one under section
//! review, one countersigning, one paused on a disagreement, one with the office, one
//! waiting for the principal's signature, a numbered one, an issued and archived one, one
//! escalated to a 三重一大 proposal (D10) and one handled by an AB-post backup (D11). All
//! driven through the services, so trail and audit are as real use would leave them.
use super::service::{self, Draft};
use crate::demo::DemoOrg;
use crate::error::AppResult;
use crate::http::api::Ctx;
use crate::state::AppState;
use crate::store::entities::absences;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use yishi_domain::enums::{Category, DocType, IssuingForm, Secrecy, Urgency};
use yishi_domain::routing::body::Block;
use yishi_domain::routing::outgoing::{CountersignStance, Recipients};

fn ctx(org: &DemoOrg, username: &str) -> Ctx {
    Ctx {
        user_id: org.user(username),
        username: username.to_string(),
        display_name: String::new(),
        admin_role: None,
        must_change_password: false,
        unit_id: Some(org.unit_id.clone()),
        roles: Vec::new(),
        section_id: None,
        session_id: String::new(),
        csrf_token: String::new(),
        client_addr: None,
    }
}

fn body(paragraphs: &[&str]) -> Vec<Block> {
    let mut out = vec![Block::Heading { level: 1, text: "基本情况".into() }];
    out.extend(paragraphs.iter().map(|p| Block::Paragraph { text: p.to_string() }));
    out.push(Block::Heading { level: 1, text: "工作要求".into() });
    out.push(Block::Paragraph { text: "请各单位高度重视，认真组织落实，并于规定时限内报送落实情况。".into() });
    out
}

fn draft(title: &str, doc_type: DocType, form: IssuingForm, series: &str, main: &[&str], paragraphs: &[&str]) -> Draft {
    Draft {
        title: title.to_string(),
        doc_type,
        issuing_form: form,
        series: series.to_string(),
        recipients: Recipients { main: main.iter().map(|s| s.to_string()).collect(), cc: vec!["局领导".into()] },
        body: body(paragraphs),
        urgency: Urgency::Normal,
        secrecy: Secrecy::None,
        amount_fen: None,
        payee: None,
        signoff_leader_id: None,
        joint_departments: Vec::new(),
        linked_proposal_id: None,
    }
}

pub async fn seed(state: &AppState, org: &DemoOrg) -> AppResult<()> {
    let c = |u: &str| ctx(org, u);
    let s = |k: &str| org.section(k);

    // 1. A draft (拟稿).
    let d = draft(
        "关于开展2026年度耕地保护专项检查的通知",
        DocType::Notice,
        IssuingForm::BureauGeneral,
        "发",
        &["各县（市、区）国土资源局"],
        &["为落实最严格的耕地保护制度，局决定开展本年度耕地保护专项检查。"],
    );
    service::create(state, &c("gaofei"), &org.unit_id, d).await?;

    // 2. Under section review.
    let d = draft(
        "关于报送土地利用总体规划调整完善成果的通知",
        DocType::Notice,
        IssuingForm::BureauGeneral,
        "发",
        &["各县（市、区）国土资源局"],
        &["根据省厅部署，请各地报送规划调整完善成果。"],
    );
    let id = service::create(state, &c("huangxin"), &org.unit_id, d).await?;
    service::submit(state, &c("huangxin"), &id).await?;

    // 3. Countersigning: finance has agreed, farmland has not answered yet.
    let d = draft(
        "关于加强建设用地批后监管的意见",
        DocType::Opinion,
        IssuingForm::BureauGeneral,
        "发",
        &["局机关各处室", "各直属单位"],
        &["近年来，部分建设项目批而未供、供而未用问题较为突出。"],
    );
    let id = service::create(state, &c("huangxin"), &org.unit_id, d).await?;
    service::submit(state, &c("huangxin"), &id).await?;
    service::review(state, &c("zhoujie"), &id, true, Some("同意，送财务处、耕保处会签")).await?;
    service::send_countersign(state, &c("huangxin"), &id, vec![s("finance"), s("farmland")]).await?;
    service::countersign_opinion(state, &c("wuhua"), &id, CountersignStance::Agree, None, None).await?;

    // 4. Paused: the planning section disagrees with a finance draft (D05).
    let d = draft(
        "关于规范局机关差旅费报销管理的通知",
        DocType::Notice,
        IssuingForm::OfficeForSection,
        "办发",
        &["局机关各处室"],
        &["为规范差旅费管理，现就报销有关事项通知如下。"],
    );
    let id = service::create(state, &c("xuming"), &org.unit_id, d).await?;
    service::submit(state, &c("xuming"), &id).await?;
    service::review(state, &c("wuhua"), &id, true, None).await?;
    service::send_countersign(state, &c("xuming"), &id, vec![s("planning")]).await?;
    service::countersign_opinion(state, &c("zhoujie"), &id, CountersignStance::Disagree, Some("外业调查期间的住宿标准应单列，不宜套用一般标准"), None)
        .await?;

    // 5. With the office for verification (核稿).
    let d = draft(
        "关于做好2026年国庆节假期值班工作的通知",
        DocType::Notice,
        IssuingForm::OfficeOwn,
        "办发",
        &["局机关各处室", "各直属单位"],
        &["国庆节假期将至，为确保假期各项工作正常运转，现就值班工作通知如下。"],
    );
    let id = service::create(state, &c("mali"), &org.unit_id, d).await?;
    service::submit(state, &c("mali"), &id).await?;
    service::review(state, &c("zhaomin"), &id, true, None).await?;
    service::consolidate(state, &c("mali"), &id, None, None).await?;

    // 6. To the city government: reviewed by the deputy, waiting for the principal (D07).
    let mut d = draft(
        "关于2026年度建设用地供应计划执行情况的报告",
        DocType::Report,
        IssuingForm::ToSuperior,
        "文",
        &["市人民政府"],
        &["现将我局2026年度建设用地供应计划执行情况报告如下。"],
    );
    d.urgency = Urgency::Expedited;
    let id = service::create(state, &c("huangxin"), &org.unit_id, d).await?;
    service::submit(state, &c("huangxin"), &id).await?;
    service::review(state, &c("zhoujie"), &id, true, None).await?;
    service::consolidate(state, &c("huangxin"), &id, None, None).await?;
    service::verify(state, &c("zhaomin"), &id, true, Some("文字已核")).await?;
    service::leader_review(state, &c("wangqiang"), &id, true, Some("同意上报，请张局长签发")).await?;

    // 7. Signed and numbered (X国土资发〔2026〕1号); 8. issued and archived.
    for (title, issue) in [("关于公布2026年第一批农用地转用审查结果的通知", false), ("关于印发《耕地占补平衡管理办法》的通知", true)] {
        let d = draft(title, DocType::Notice, IssuingForm::BureauGeneral, "发", &["各县（市、区）国土资源局"], &["经研究，现将有关事项通知如下。"]);
        let id = service::create(state, &c("gaofei"), &org.unit_id, d).await?;
        service::submit(state, &c("gaofei"), &id).await?;
        service::review(state, &c("zhengkai"), &id, true, None).await?;
        service::consolidate(state, &c("gaofei"), &id, None, None).await?;
        service::verify(state, &c("zhaomin"), &id, true, None).await?;
        service::signoff(state, &c("wangqiang"), &id, Some("同意印发")).await?;
        if issue {
            service::issue(state, &c("sunli"), &id).await?;
        }
    }

    // 9. A large fund-use document escalated to a 三重一大 proposal and paused (D10, R01).
    let mut d = draft(
        "关于拨付2026年度地质灾害治理项目资金的请示",
        DocType::Request,
        IssuingForm::BureauGeneral,
        "发",
        &["市财政局"],
        &["为推进地质灾害隐患点综合治理，拟拨付项目资金。"],
    );
    d.amount_fen = Some(120_000_000);
    d.payee = Some("示例市地质环境监测站".into());
    let id = service::create(state, &c("xuming"), &org.unit_id, d).await?;
    service::submit(state, &c("xuming"), &id).await?;
    service::review(state, &c("wuhua"), &id, true, None).await?;
    service::consolidate(state, &c("xuming"), &id, None, None).await?;
    service::escalate(state, &c("lina"), &id, Some("金额120万元，达到大额资金标准，须经党组会集体研究"), Category::LargeFund).await?;

    // 10. AB岗: 徐明 is away; 马丽 (his designated backup) submits his draft on his behalf (D11).
    let d = draft(
        "关于做好2027年度部门预算编制工作的通知",
        DocType::Notice,
        IssuingForm::BureauGeneral,
        "发",
        &["局机关各处室", "各直属单位"],
        &["根据市财政局部署，现就2027年度部门预算编制工作通知如下。"],
    );
    let id = service::create(state, &c("xuming"), &org.unit_id, d).await?;
    let today = yishi_domain::time::local_date(state.clock.now());
    absences::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        unit_id: Set(org.unit_id.clone()),
        user_id: Set(org.user("xuming")),
        from_date: Set(today.format("%Y-%m-%d").to_string()),
        to_date: Set((today + chrono::Days::new(3)).format("%Y-%m-%d").to_string()),
        reason: Set("外出参加市财政局预算培训".into()),
        created_at: Set(state.clock.now()),
    }
    .insert(&state.db.conn)
    .await?;
    service::submit(state, &c("mali"), &id).await?;
    Ok(())
}
