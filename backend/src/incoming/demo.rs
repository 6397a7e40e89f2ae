//! Demo incoming documents, driven through the services so that states, trail and audit are
//! consistent: one in each state, a major item waiting for the principal, one overdue with its
//! supervision reminders, and one handled by an AB-post backup on behalf of an absent handler.
use super::service::{self, Accept, Assign, Complete, Distribute, Instruct, Progress, RegisterIncoming, Review};
use crate::demo::DemoOrg;
use crate::error::{AppError, AppResult};
use crate::http::api::Ctx;
use crate::state::AppState;
use crate::store::entities::absences;
use crate::trail::{self, Change};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use yishi_domain::time::local_date;

async fn ctx_for(state: &AppState, org: &DemoOrg, username: &str) -> AppResult<Ctx> {
    let user_id = org.user(username);
    let u = crate::org::user(&state.db.conn, &user_id).await?;
    let m = crate::org::membership(&state.db.conn, &org.unit_id, &user_id).await?;
    Ok(Ctx {
        user_id: user_id.clone(),
        username: u.username,
        display_name: u.display_name,
        admin_role: None,
        must_change_password: false,
        unit_id: Some(org.unit_id.clone()),
        roles: crate::org::roles_of(&state.db.conn, &org.unit_id, &user_id).await?,
        section_id: m.and_then(|m| m.section_id),
        session_id: "demo".into(),
        csrf_token: String::new(),
        client_addr: None,
    })
}

fn id_of(v: &Value) -> AppResult<String> {
    v["id"].as_str().map(str::to_string).ok_or_else(|| AppError::internal("demo: document without id"))
}

struct Demo<'a> {
    state: &'a AppState,
    org: &'a DemoOrg,
}

impl Demo<'_> {
    async fn ctx(&self, who: &str) -> AppResult<Ctx> {
        ctx_for(self.state, self.org, who).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn register(&self, source_unit: &str, number: &str, title: &str, urgency: &str, kind: &str, doc_type: &str, days_ago: u64, major: bool, deadline: Option<String>) -> AppResult<String> {
        let today = local_date(self.state.clock.now());
        let received = today.checked_sub_days(chrono::Days::new(days_ago)).unwrap_or(today);
        let v = service::register(
            self.state,
            &self.ctx("sunli").await?,
            RegisterIncoming {
                source_unit: source_unit.into(),
                source_number: number.into(),
                title: title.into(),
                secrecy: if major { "internal".into() } else { "none".into() },
                urgency: urgency.into(),
                received_on: received.to_string(),
                deadline,
                kind: kind.into(),
                doc_type: doc_type.into(),
                major,
            },
        )
        .await?;
        id_of(&v)
    }

    async fn distribute(&self, id: &str, main: &str, co: &[&str]) -> AppResult<()> {
        let req = Distribute { main_section_id: self.org.section(main), co_section_ids: co.iter().map(|s| self.org.section(s)).collect() };
        service::distribute(self.state, &self.ctx("sunli").await?, id, None, req).await.map(|_| ())
    }

    async fn assign(&self, id: &str, head: &str, handler: &str) -> AppResult<()> {
        let req = Assign { handler_id: self.org.user(handler), section_id: None };
        service::assign(self.state, &self.ctx(head).await?, id, None, req).await.map(|_| ())
    }

    async fn accept(&self, id: &str, who: &str) -> AppResult<()> {
        service::accept(self.state, &self.ctx(who).await?, id, None, Accept::default()).await.map(|_| ())
    }

    async fn complete(&self, id: &str, who: &str, result: &str) -> AppResult<()> {
        let req = Complete { result: result.into(), section_id: None };
        service::complete(self.state, &self.ctx(who).await?, id, None, req).await.map(|_| ())
    }

    async fn instruct(&self, id: &str, who: &str, kind: &str, text: Option<&str>) -> AppResult<()> {
        let req = Instruct { kind: kind.into(), text: text.map(str::to_string) };
        service::instruct(self.state, &self.ctx(who).await?, id, None, req).await.map(|_| ())
    }

    async fn review(&self, id: &str, opinion: &str) -> AppResult<()> {
        service::review(self.state, &self.ctx("zhaomin").await?, id, None, Review { opinion: opinion.into() }).await.map(|_| ())
    }

    /// Records an absence period for `who` (as `POST /units/{unit}/absences` does).
    async fn absence(&self, who: &str, from_days_ago: u64, to_days_ahead: u64, reason: &str) -> AppResult<()> {
        let now = self.state.clock.now();
        let today = local_date(now);
        let from = today.checked_sub_days(chrono::Days::new(from_days_ago)).unwrap_or(today);
        let to = today.checked_add_days(chrono::Days::new(to_days_ahead)).unwrap_or(today);
        let ctx = self.ctx(who).await?;
        let tx = self.state.db.begin_write().await?;
        let id = uuid::Uuid::now_v7().to_string();
        absences::Entity::insert(absences::ActiveModel {
            id: Set(id.clone()),
            unit_id: Set(self.org.unit_id.clone()),
            user_id: Set(ctx.user_id.clone()),
            from_date: Set(from.to_string()),
            to_date: Set(to.to_string()),
            reason: Set(reason.into()),
            created_at: Set(now),
        })
        .exec_without_returning(&*tx)
        .await?;
        trail::record(&*tx, now, &ctx.actor(), Change::new(&self.org.unit_id, "absence", &id, "absence.create")
            .snapshots(Value::Null, json!({"from": from, "to": to, "reason": reason})))
        .await?;
        tx.commit().await
    }
}

pub async fn seed(state: &AppState, org: &DemoOrg) -> AppResult<()> {
    let d = Demo { state, org };

    // 1. Registered, waiting for distribution.
    d.register("省自然资源厅", "省自然资发〔2026〕88号", "关于开展2026年度全省土地变更调查工作的通知", "normal", "non_approval", "notice", 0, false, None).await?;

    // 2. Major item: distribution waits for the principal's instruction (D01).
    d.register("市人民政府办公室", "市政办函〔2026〕41号", "关于征求国土空间总体规划修改意见的函", "expedited", "non_approval", "letter", 1, true, None).await?;

    // 3. Major item instructed by the principal and distributed (main + co); the co section's head has not assigned yet.
    let id = d.register("市发展和改革委员会", "市发改投资〔2026〕127号", "关于报送2027年度重大项目用地需求的通知", "normal", "non_approval", "notice", 2, true, None).await?;
    d.instruct(&id, "zhangwei", "opinion", Some("请规划处牵头，耕地保护处配合，按时报送")).await?;
    d.distribute(&id, "planning", &["farmland"]).await?;
    d.assign(&id, "zhoujie", "huangxin").await?;

    // 4. A 请示, accepted, waiting for the office director's review (D03).
    let id = d.register("城南区自然资源分局", "城南自然资〔2026〕19号", "关于城南区东湖村集体经营性建设用地入市的请示", "expedited", "non_approval", "request", 1, false, None).await?;
    d.distribute(&id, "planning", &[]).await?;
    d.assign(&id, "zhoujie", "huangxin").await?;
    d.accept(&id, "huangxin").await?;

    // 5. Reviewed and instructed by the deputy in charge (instructed).
    let id = d.register("市财政局", "市财预〔2026〕66号", "关于做好2027年部门预算编制工作的通知", "normal", "non_approval", "notice", 3, false, None).await?;
    d.distribute(&id, "finance", &[]).await?;
    d.assign(&id, "wuhua", "xuming").await?;
    d.accept(&id, "xuming").await?;
    d.review(&id, "拟请李娜副局长阅示，财务处牵头编制").await?;
    d.instruct(&id, "lina", "opinion", Some("请财务处按时编报，重点保障耕地保护资金")).await?;

    // 6. An approval item (行政审批), done.
    let id = d.register("某置业有限公司", "申〔2026〕0512", "关于城北商住项目建设用地预审的申请", "normal", "approval", "letter", 5, false, None).await?;
    d.distribute(&id, "planning", &[]).await?;
    d.assign(&id, "zhoujie", "huangxin").await?;
    d.accept(&id, "huangxin").await?;
    d.complete(&id, "huangxin", "经审查符合土地利用总体规划，已出具预审意见").await?;

    // 7. Archived.
    let id = d.register("省自然资源厅", "省自然资函〔2026〕203号", "关于报送耕地保护目标责任制考核自查报告的函", "urgent", "approval", "letter", 10, false, None).await?;
    d.distribute(&id, "farmland", &[]).await?;
    d.assign(&id, "zhengkai", "gaofei").await?;
    d.accept(&id, "gaofei").await?;
    d.complete(&id, "gaofei", "自查报告已按时报送省厅").await?;
    service::archive(state, &d.ctx("sunli").await?, &id, None).await?;

    // 8. Overdue: received 15 days ago (default deadline 7 working days), accepted but not done;
    //    the supervision reminders (handler → section head → office) are recorded.
    let id = d.register("市审计局", "市审函〔2026〕33号", "关于反馈2025年度预算执行审计发现问题整改情况的函", "normal", "approval", "letter", 15, false, None).await?;
    d.distribute(&id, "finance", &[]).await?;
    d.assign(&id, "wuhua", "xuming").await?;
    d.accept(&id, "xuming").await?;
    super::due_reminders(state).await?;

    // 9. AB岗: 高飞 is away; his backup 黄欣 accepts and reports progress on his behalf (D11).
    let id = d.register("市农业农村局", "市农函〔2026〕57号", "关于高标准农田建设项目占用耕地核查的函", "expedited", "approval", "letter", 0, false, None).await?;
    d.distribute(&id, "farmland", &[]).await?;
    d.assign(&id, "zhengkai", "gaofei").await?;
    d.absence("gaofei", 0, 3, "赴省厅参加业务培训").await?;
    d.accept(&id, "huangxin").await?;
    let req = Progress { note: "已联系市农业农村局调取项目清单，正在实地核查".into(), section_id: None };
    service::progress(state, &d.ctx("huangxin").await?, &id, None, req).await?;
    Ok(())
}
