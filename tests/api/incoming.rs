//! Incoming documents (收文): registration and secrecy (D01), distribution, deadlines and
//! supervision reminders (D02), leaders' instructions (D03), AB-post backups (D11) and
//! confidentiality (D13). Every refusal is followed by a read proving nothing changed.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use yishi_tests::*;

fn today(app: &TestApp) -> NaiveDate {
    // Asia/Shanghai has no DST: UTC+8.
    (app.state.clock.now() + Duration::hours(8)).date_naive()
}

/// The instant a Shanghai date ends.
fn end_of_day(d: NaiveDate) -> DateTime<Utc> {
    d.succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::hours(8)
}

/// Moves the test clock to just after `t`.
async fn advance_past(app: &TestApp, t: DateTime<Utc>) {
    let secs = (t - app.state.clock.now()).num_seconds() + 1;
    if secs > 0 {
        app.advance(secs).await;
    }
}

fn doc(app: &TestApp, extra: Value) -> Value {
    let mut v = json!({
        "source_unit": "省自然资源厅",
        "source_number": "省自然资发〔2026〕88号",
        "title": "关于开展土地变更调查工作的通知",
        "secrecy": "none",
        "urgency": "normal",
        "received_on": today(app).to_string(),
        "kind": "approval",
        "doc_type": "notice",
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    v
}

async fn register(app: &TestApp, clerk: &Client, extra: Value) -> Value {
    clerk.post(&format!("/api/v1/units/{}/incoming", app.unit()), doc(app, extra)).await.ok().clone()
}

fn path(id: &str, action: &str) -> String {
    if action.is_empty() { format!("/api/v1/incoming/{id}") } else { format!("/api/v1/incoming/{id}/{action}") }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// Registers, distributes (main `main`, co `co`), assigns and accepts the main part.
async fn accepted_doc(app: &TestApp, extra: Value, main: &str, head: &str, handler: &str) -> String {
    let clerk = app.login("sunli").await;
    let d = register(app, &clerk, extra).await;
    let id = id(&d);
    clerk.post(&path(&id, "distribution"), json!({"main_section_id": app.section(main)})).await.ok();
    app.login(head).await.post(&path(&id, "assignment"), json!({"handler_id": app.user_id(handler)})).await.ok();
    app.login(handler).await.post(&path(&id, "accept"), json!({})).await.ok();
    id
}

fn tasks_for<'a>(tasks: &'a Value, id: &str) -> Vec<&'a Value> {
    tasks["items"].as_array().unwrap().iter().filter(|t| t["object_id"] == id).collect()
}

#[tokio::test]
async fn d01_clerk_registers_with_default_deadline_by_urgency_in_working_days() {
    let app = spawn_app().await;
    let clerk = app.login("sunli").await;
    let cal = yishi::org::calendar(app.db(), app.unit()).await.unwrap();
    let settings = yishi::org::settings(app.db(), app.unit()).await.unwrap();
    for (urgency, days) in [("urgent", settings.deadline_days.urgent), ("expedited", settings.deadline_days.expedited), ("normal", settings.deadline_days.normal)] {
        let d = register(&app, &clerk, json!({"urgency": urgency})).await;
        let expected = cal.add_working_days(today(&app), days);
        assert_eq!(d["deadline"], expected.to_string(), "{urgency}");
        assert_eq!(d["deadline_overridden"], false);
        assert_eq!(DateTime::parse_from_rfc3339(d["due_at"].as_str().unwrap()).unwrap(), end_of_day(expected));
        assert_eq!(d["state"], "registered");
        assert_eq!(d["overdue"], false);
        assert_eq!(d["trail"][0]["action"], "incoming.register");
    }
    // Overridable per document: a date, or an exact time.
    let d = register(&app, &clerk, json!({"deadline": "2099-01-05"})).await;
    assert_eq!(d["deadline"], "2099-01-05");
    assert_eq!(d["deadline_overridden"], true);
    let d = register(&app, &clerk, json!({"deadline": "2099-01-05T03:00:00Z"})).await;
    assert_eq!(d["due_at"], "2099-01-05T03:00:00Z");
    // Internal (内部) documents are accepted too.
    let d = register(&app, &clerk, json!({"secrecy": "internal"})).await;
    assert_eq!(d["secrecy_label"], "内部");
    // Bad input names the field; a deadline before receipt is refused.
    let before = count_rows(&app, "incoming_documents").await;
    let r = clerk.post(&format!("/api/v1/units/{}/incoming", app.unit()), doc(&app, json!({"urgency": "asap"}))).await;
    assert_eq!(r.err("invalid")["error"]["details"]["field"], "urgency");
    let r = clerk.post(&format!("/api/v1/units/{}/incoming", app.unit()), doc(&app, json!({"deadline": "2000-01-01"}))).await;
    assert_eq!(r.err("invalid")["error"]["details"]["field"], "deadline");
    // Only the clerk registers.
    app.login("huangxin").await.post(&format!("/api/v1/units/{}/incoming", app.unit()), doc(&app, json!({}))).await.err("forbidden");
    assert_eq!(count_rows(&app, "incoming_documents").await, before);
}

#[tokio::test]
async fn d01_classified_documents_are_refused_pointing_to_the_secret_channel() {
    let app = spawn_app().await;
    let clerk = app.login("sunli").await;
    let before = count_rows(&app, "incoming_documents").await;
    let audit_before = audit_count(&app).await;
    for level in ["secret", "confidential", "top_secret"] {
        let r = clerk.post(&format!("/api/v1/units/{}/incoming", app.unit()), doc(&app, json!({"secrecy": level}))).await;
        let body = r.err("D01");
        assert_eq!(r.status, 422);
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains("涉密"), "{msg}");
        assert_eq!(body["error"]["details"]["value"], level);
    }
    // Nothing entered the system: no document, no audit entry, an empty list.
    assert_eq!(count_rows(&app, "incoming_documents").await, before);
    assert_eq!(audit_count(&app).await, audit_before);
    let list = clerk.get(&format!("/api/v1/units/{}/incoming", app.unit())).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn d01_major_item_distribution_refused_until_principal_instruction() {
    let app = spawn_app().await;
    let clerk = app.login("sunli").await;
    let d = register(&app, &clerk, json!({"major": true, "kind": "non_approval"})).await;
    let id = id(&d);
    let body = json!({"main_section_id": app.section("planning")});
    let r = clerk.post(&path(&id, "distribution"), body.clone()).await;
    assert!(r.err("D01")["error"]["message"].as_str().unwrap().contains("主要领导"));
    let after = clerk.get(&path(&id, "")).await.ok().clone();
    assert_eq!(after["state"], "registered");
    assert_eq!(after["version"], d["version"]);
    assert_eq!(after["assignments"], json!([]));
    assert_eq!(count_rows(&app, "incoming_assignments").await, 0);
    // The principal's to-do list has it; a deputy does not see it before distribution (D13).
    let principal = app.login("zhangwei").await;
    let t = principal.get("/api/v1/me/tasks").await.ok().clone();
    assert_eq!(tasks_for(&t, &id)[0]["kind"], "incoming.principal_instruction");
    app.login("wangqiang").await.post(&path(&id, "instructions"), json!({"kind": "agree"})).await.err("not_found");
    let v = principal.post(&path(&id, "instructions"), json!({"kind": "opinion", "text": "请规划处研究办理"})).await.ok().clone();
    assert_eq!(v["state"], "registered");
    assert_eq!(v["principal_instruction"], "请规划处研究办理");
    assert_eq!(v["instructions"][0]["phase"], "pre_distribution");
    let v = clerk.post(&path(&id, "distribution"), body).await.ok().clone();
    assert_eq!(v["state"], "distributed");
}

#[tokio::test]
async fn d02_distribution_to_main_and_co_sections_then_assignment_acceptance_and_completion() {
    let app = spawn_app().await;
    let clerk = app.login("sunli").await;
    let d = register(&app, &clerk, json!({})).await;
    let id = id(&d);
    // The main section cannot also be a co-handling section.
    let r = clerk.post(&path(&id, "distribution"), json!({"main_section_id": app.section("planning"), "co_section_ids": [app.section("planning")]})).await;
    r.err("invalid");
    assert_eq!(clerk.get(&path(&id, "")).await.ok()["state"], "registered");
    let v = clerk
        .post(&path(&id, "distribution"), json!({"main_section_id": app.section("planning"), "co_section_ids": [app.section("farmland")]}))
        .await
        .ok()
        .clone();
    assert_eq!(v["state"], "distributed");
    assert_eq!(v["assignments"].as_array().unwrap().len(), 2);
    assert_eq!(v["assignments"][0]["role"], "main");
    // Distributing twice is refused.
    clerk.post(&path(&id, "distribution"), json!({"main_section_id": app.section("finance")})).await.err("conflict");

    // The head assigns a handler of their own section only.
    let zhoujie = app.login("zhoujie").await;
    let before = zhoujie.get(&path(&id, "")).await.ok().clone();
    zhoujie.post(&path(&id, "assignment"), json!({"handler_id": app.user_id("gaofei")})).await.err("invalid");
    assert_eq!(zhoujie.get(&path(&id, "")).await.ok()["assignments"], before["assignments"]);
    // A handler may not assign (role), nor the head of an uninvolved section (not a participant).
    app.login("huangxin").await.post(&path(&id, "assignment"), json!({"handler_id": app.user_id("huangxin")})).await.err("forbidden");
    app.login("wuhua").await.post(&path(&id, "assignment"), json!({"handler_id": app.user_id("xuming")})).await.err("not_found");
    zhoujie.post(&path(&id, "assignment"), json!({"handler_id": app.user_id("huangxin")})).await.ok();
    app.login("zhengkai").await.post(&path(&id, "assignment"), json!({"handler_id": app.user_id("gaofei")})).await.ok();

    // Tasks: the handler sees an accept task with the deadline.
    let huangxin = app.login("huangxin").await;
    let t = huangxin.get("/api/v1/me/tasks").await.ok().clone();
    let mine = tasks_for(&t, &id);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["kind"], "incoming.accept");
    assert_eq!(mine[0]["overdue"], false);
    assert!(mine[0]["due_at"].is_string());
    assert!(mine[0].get("on_behalf_of").is_none());

    // A stale If-Match is refused.
    let r = huangxin
        .http
        .post(format!("{}{}", app.base, path(&id, "accept")))
        .header("X-CSRF-Token", huangxin.csrf.clone().unwrap())
        .header("If-Match", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    let v = huangxin.post(&path(&id, "accept"), json!({})).await.ok().clone();
    assert_eq!(v["state"], "accepted");
    huangxin.post(&path(&id, "accept"), json!({})).await.err("conflict");
    // The main section completes only after the co section's part (D02).
    let before = huangxin.get(&path(&id, "")).await.ok().clone();
    let r = huangxin.post(&path(&id, "complete"), json!({"result": "已办理"})).await;
    assert_eq!(r.err("D02")["error"]["details"]["open_co_parts"], 1);
    let after = huangxin.get(&path(&id, "")).await.ok().clone();
    assert_eq!(after["state"], "accepted");
    assert_eq!(after["version"], before["version"]);
    let gaofei = app.login("gaofei").await;
    gaofei.post(&path(&id, "accept"), json!({})).await.ok();
    // A co-handling section's progress note leaves the document's state alone.
    let v = gaofei.post(&path(&id, "progress"), json!({"note": "已核对耕地数据"})).await.ok().clone();
    assert_eq!(v["state"], "accepted");
    assert!(v["trail"].as_array().unwrap().last().unwrap()["note"].as_str().unwrap().contains("已核对耕地数据"));
    let v = gaofei.post(&path(&id, "complete"), json!({"result": "耕地保护处无不同意见"})).await.ok().clone();
    assert_eq!(v["state"], "accepted");
    assert!(v["assignments"][1]["done_at"].is_string());
    let v = huangxin.post(&path(&id, "complete"), json!({"result": "已按通知要求部署调查工作"})).await.ok().clone();
    assert_eq!(v["state"], "done");
    assert_eq!(v["result"], "已按通知要求部署调查工作");
    assert!(tasks_for(huangxin.get("/api/v1/me/tasks").await.ok(), &id).is_empty());
    let v = clerk.post(&path(&id, "archive"), json!({})).await.ok().clone();
    assert_eq!(v["state"], "archived");
    let actions: Vec<&str> = v["trail"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["incoming.register", "incoming.distribute", "incoming.assign", "incoming.assign", "incoming.accept", "incoming.accept", "incoming.progress", "incoming.complete_co", "incoming.complete", "incoming.archive"]
    );
    assert!(yishi::audit::verify(app.db()).await.unwrap().ok);
}

#[tokio::test]
async fn d02_overdue_reminders_escalate_handler_then_section_head_then_office_each_once() {
    // The background runner would race the explicit calls: this test drives due_reminders itself.
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let deadline = today(&app);
    let id = accepted_doc(&app, json!({"deadline": deadline.to_string()}), "finance", "wuhua", "xuming").await;
    let run = || yishi::incoming::due_reminders(&app.state);
    assert_eq!(run().await.unwrap(), 0);
    let xuming = app.login("xuming").await;
    let t = xuming.get("/api/v1/me/tasks").await.ok().clone();
    assert_eq!(tasks_for(&t, &id)[0]["overdue"], false);

    // Level 1 (handler) when the deadline day ends.
    advance_past(&app, end_of_day(deadline)).await;
    assert_eq!(run().await.unwrap(), 1);
    assert_eq!(run().await.unwrap(), 0);
    // Sessions idle out while the clock jumps: sign in again.
    let xuming = app.login("xuming").await;
    let v = xuming.get(&path(&id, "")).await.ok().clone();
    assert_eq!(v["overdue"], true);
    assert_eq!(v["reminders"].as_array().unwrap().len(), 1);
    assert_eq!(v["reminders"][0]["level"], 1);
    assert_eq!(v["reminders"][0]["recipient_id"], app.user_id("xuming"));
    let t = xuming.get("/api/v1/me/tasks").await.ok().clone();
    let mine = tasks_for(&t, &id);
    assert!(mine.iter().all(|t| t["overdue"] == true));
    assert!(mine.iter().any(|t| t["kind"] == "incoming.supervision"));
    let wuhua = app.login("wuhua").await;
    assert!(tasks_for(wuhua.get("/api/v1/me/tasks").await.ok(), &id).is_empty());

    // Level 2 (section head) one working day later.
    let cal = yishi::org::calendar(app.db(), app.unit()).await.unwrap();
    let level2 = end_of_day(cal.add_working_days(deadline, 1));
    advance_past(&app, level2 - Duration::seconds(60)).await;
    assert_eq!(run().await.unwrap(), 0);
    advance_past(&app, level2).await;
    assert_eq!(run().await.unwrap(), 1);
    let wuhua = app.login("wuhua").await;
    let t = wuhua.get("/api/v1/me/tasks").await.ok().clone();
    let sup = tasks_for(&t, &id);
    assert_eq!(sup.len(), 1);
    assert_eq!(sup[0]["kind"], "incoming.supervision");
    assert_eq!(sup[0]["overdue"], true);

    // Level 3 (office) two working days later.
    advance_past(&app, end_of_day(cal.add_working_days(deadline, 2))).await;
    assert_eq!(run().await.unwrap(), 1);
    assert_eq!(run().await.unwrap(), 0);
    let t = app.login("zhaomin").await.get("/api/v1/me/tasks").await.ok().clone();
    assert_eq!(tasks_for(&t, &id)[0]["kind"], "incoming.supervision");
    let xuming = app.login("xuming").await;
    let wuhua = app.login("wuhua").await;
    let v = xuming.get(&path(&id, "")).await.ok().clone();
    let levels: Vec<(i64, String)> = v["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["level"].as_i64().unwrap(), r["recipient_id"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(levels, [(1, app.user_id("xuming")), (2, app.user_id("wuhua")), (3, app.user_id("zhaomin"))]);
    // Each recorded on the trail and in the audit chain.
    let remind: Vec<&Value> = v["trail"].as_array().unwrap().iter().filter(|t| t["action"] == "incoming.remind").collect();
    assert_eq!(remind.len(), 3);
    assert!(remind[1]["note"].as_str().unwrap().contains("督办"));
    let audit = app.login("auditor").await.get(&format!("/api/v1/audit?object={id}")).await.ok().clone();
    assert_eq!(audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "incoming.remind").count(), 3);
    // Done: the supervision tasks disappear and no more reminders fire.
    xuming.post(&path(&id, "complete"), json!({"result": "已整改完毕并回函"})).await.ok();
    assert!(tasks_for(wuhua.get("/api/v1/me/tasks").await.ok(), &id).is_empty());
    app.advance_days(30).await;
    assert_eq!(run().await.unwrap(), 0);
    assert_eq!(count_rows(&app, "incoming_reminders").await, 3);
}

#[tokio::test]
async fn d02_concurrent_reminder_runs_record_each_level_exactly_once() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let clerk = app.login("sunli").await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let d = register(&app, &clerk, json!({"deadline": today(&app).to_string(), "source_number": format!("测〔2026〕{n}号")})).await;
        ids.push(id(&d));
    }
    // Distribute one; the others are overdue while still registered (reminders go to the office).
    clerk.post(&path(&ids[0], "distribution"), json!({"main_section_id": app.section("planning")})).await.ok();
    app.advance_days(20).await;
    let mut handles = Vec::new();
    for _ in 0..6 {
        let state = app.state.clone();
        handles.push(tokio::spawn(async move { yishi::incoming::due_reminders(&state).await.unwrap() }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap();
    }
    assert_eq!(total, 9, "3 documents × 3 levels, each recorded once");
    assert_eq!(count_rows(&app, "incoming_reminders").await, 9);
    assert_eq!(yishi::incoming::due_reminders(&app.state).await.unwrap(), 0);
    let trail_rows = {
        use sea_orm::ConnectionTrait;
        let db = app.db();
        let stmt = sea_orm::Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) AS n FROM trail WHERE action = 'incoming.remind'".to_string());
        db.query_one_raw(stmt).await.unwrap().unwrap().try_get::<i64>("", "n").unwrap()
    };
    assert_eq!(trail_rows, 9);
    assert!(yishi::audit::verify(app.db()).await.unwrap().ok);
    // Before assignment the main section's head is reminded at level 1.
    let v = app.login("sunli").await.get(&path(&ids[0], "")).await.ok().clone();
    assert_eq!(v["reminders"][0]["recipient_id"], app.user_id("zhoujie"));
}

/// D02 / R46: the job runner's periodic sweep records the reminders without anyone calling
/// `due_reminders` directly.
#[tokio::test]
async fn d02_job_runner_sweep_records_due_reminders() {
    let app = spawn_app().await;
    let id = accepted_doc(&app, json!({"deadline": today(&app).to_string()}), "planning", "zhoujie", "huangxin").await;
    app.advance_days(10).await;
    let mut n = 0;
    for _ in 0..100 {
        n = count_rows(&app, "incoming_reminders").await;
        if n == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(n, 3);
    let v = app.login("huangxin").await.get(&path(&id, "")).await.ok().clone();
    assert_eq!(v["reminders"][0]["recipient_id"], app.user_id("huangxin"));
    assert_eq!(v["reminders"][2]["recipient_id"], app.user_id("zhaomin"));
}

#[tokio::test]
async fn d03_request_needs_explicit_instruction_bare_read_refused() {
    let app = spawn_app().await;
    let id = accepted_doc(&app, json!({"kind": "non_approval", "doc_type": "request", "title": "关于东湖村集体经营性建设用地入市的请示"}), "planning", "zhoujie", "huangxin").await;
    let wangqiang = app.login("wangqiang").await;
    // Non-approval: not before the office director's review.
    let r = wangqiang.post(&path(&id, "instructions"), json!({"kind": "agree"})).await;
    r.err("D03");
    let v = wangqiang.get(&path(&id, "")).await.ok().clone();
    assert_eq!(v["state"], "accepted");
    assert_eq!(v["instructions"], json!([]));
    // The office director reviews; it goes to the deputy in charge of planning (王强).
    let v = app.login("zhaomin").await.post(&path(&id, "office-review"), json!({"opinion": "拟请王强副局长阅示"})).await.ok().clone();
    assert_eq!(v["state"], "in_progress");
    assert_eq!(v["leaders_in_charge"][0]["user_id"], app.user_id("wangqiang"));
    let t = wangqiang.get("/api/v1/me/tasks").await.ok().clone();
    assert_eq!(tasks_for(&t, &id)[0]["kind"], "incoming.instruct");
    // A bare 已阅 on a 请示 is refused; so is an opinion without text.
    let before = wangqiang.get(&path(&id, "")).await.ok().clone();
    let r = wangqiang.post(&path(&id, "instructions"), json!({"kind": "read"})).await;
    assert!(r.err("D03")["error"]["message"].as_str().unwrap().contains("已阅"));
    wangqiang.post(&path(&id, "instructions"), json!({"kind": "read", "text": "已阅"})).await.err("D03");
    wangqiang.post(&path(&id, "instructions"), json!({"kind": "opinion", "text": "  "})).await.err("D03");
    let after = wangqiang.get(&path(&id, "")).await.ok().clone();
    assert_eq!(after["state"], before["state"]);
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["instructions"], json!([]));
    assert_eq!(count_rows(&app, "incoming_instructions").await, 0);
    // An explicit instruction is recorded.
    let v = wangqiang.post(&path(&id, "instructions"), json!({"kind": "agree", "text": "同意，请规划处按程序办理"})).await.ok().clone();
    assert_eq!(v["state"], "instructed");
    assert_eq!(v["instructions"][0]["kind_label"], "同意");
    assert!(tasks_for(wangqiang.get("/api/v1/me/tasks").await.ok(), &id).is_empty());
    // The principal may instruct too; a deputy outside the division of labour does not even see it.
    app.login("zhangwei").await.post(&path(&id, "instructions"), json!({"kind": "opinion", "text": "抓紧办理"})).await.ok();
    app.login("lina").await.post(&path(&id, "instructions"), json!({"kind": "agree"})).await.err("not_found");
    app.login("huangxin").await.post(&path(&id, "complete"), json!({"result": "已批复城南分局"})).await.ok();
}

#[tokio::test]
async fn d03_read_allowed_on_other_documents_and_non_approval_needs_instruction_to_complete() {
    let app = spawn_app().await;
    let id = accepted_doc(&app, json!({"kind": "non_approval", "doc_type": "notice"}), "finance", "wuhua", "xuming").await;
    let xuming = app.login("xuming").await;
    // Not completed before the leaders have read it (D03).
    xuming.post(&path(&id, "complete"), json!({"result": "已办"})).await.err("D03");
    assert_eq!(xuming.get(&path(&id, "")).await.ok()["state"], "accepted");
    app.login("zhaomin").await.post(&path(&id, "office-review"), json!({"opinion": "拟请李娜副局长阅"})).await.ok();
    let v = app.login("lina").await.post(&path(&id, "instructions"), json!({"kind": "read"})).await.ok().clone();
    assert_eq!(v["state"], "instructed");
    assert_eq!(v["instructions"][0]["kind"], "read");
    xuming.post(&path(&id, "complete"), json!({"result": "已按通知编报"})).await.ok();
    // Approval documents do not go through the review.
    let id2 = accepted_doc(&app, json!({"kind": "approval"}), "finance", "wuhua", "xuming").await;
    app.login("zhaomin").await.post(&path(&id2, "office-review"), json!({"opinion": "x"})).await.err("invalid");
    xuming.post(&path(&id2, "complete"), json!({"result": "已审批"})).await.ok();
}

#[tokio::test]
async fn d11_backup_receives_pending_and_new_tasks_and_acts_on_behalf() {
    let app = spawn_app().await;
    let clerk = app.login("sunli").await;
    let d = register(&app, &clerk, json!({})).await;
    let id = id(&d);
    clerk.post(&path(&id, "distribution"), json!({"main_section_id": app.section("farmland")})).await.ok();
    app.login("zhengkai").await.post(&path(&id, "assignment"), json!({"handler_id": app.user_id("gaofei")})).await.ok();
    // While 高飞 is present his backup 黄欣 may not act (nor even see the document).
    let huangxin = app.login("huangxin").await;
    huangxin.post(&path(&id, "accept"), json!({})).await.err("not_found");
    assert!(tasks_for(huangxin.get("/api/v1/me/tasks").await.ok(), &id).is_empty());
    assert_eq!(clerk.get(&path(&id, "")).await.ok()["assignments"][0]["accepted_at"], Value::Null);

    // 高飞 records an absence: his pending task routes to 黄欣.
    let t = today(&app);
    let gaofei = app.login("gaofei").await;
    gaofei
        .post(&format!("/api/v1/units/{}/absences", app.unit()), json!({"from": t.to_string(), "to": (t + Duration::days(2)).to_string(), "reason": "出差"}))
        .await
        .ok();
    let tasks = huangxin.get("/api/v1/me/tasks").await.ok().clone();
    let mine = tasks_for(&tasks, &id);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["kind"], "incoming.accept");
    assert_eq!(mine[0]["on_behalf_of"], app.user_id("gaofei"));
    assert_eq!(mine[0]["on_behalf_of_name"], "高飞");
    assert!(mine[0]["due_at"].is_string());
    // 黄欣 accepts on behalf of 高飞: recorded as "黄欣 on behalf of 高飞" on the trail and in the audit log.
    let v = huangxin.post(&path(&id, "accept"), json!({})).await.ok().clone();
    assert_eq!(v["state"], "accepted");
    assert_eq!(v["assignments"][0]["accepted_by"], app.user_id("huangxin"));
    assert_eq!(v["assignments"][0]["accepted_on_behalf_of"], app.user_id("gaofei"));
    let last = v["trail"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor_id"], app.user_id("huangxin"));
    assert_eq!(last["on_behalf_of"], app.user_id("gaofei"));
    assert_eq!(last["on_behalf_of_name"], "高飞");
    let audit = app.login("songtao").await.get(&format!("/api/v1/audit?object={id}")).await.ok().clone();
    assert!(audit["items"].as_array().unwrap().iter().any(|e| e["action"] == "incoming.accept" && e["on_behalf_of"] == app.user_id("gaofei")));

    // New tasks route to the backup too: a new document assigned to the absent 高飞.
    let d2 = register(&app, &clerk, json!({"source_number": "新〔2026〕2号"})).await;
    let id2 = id_of(&d2);
    clerk.post(&path(&id2, "distribution"), json!({"main_section_id": app.section("farmland")})).await.ok();
    let v = app.login("zhengkai").await.post(&path(&id2, "assignment"), json!({"handler_id": app.user_id("gaofei")})).await.ok().clone();
    assert!(v["trail"].as_array().unwrap().last().unwrap()["note"].as_str().unwrap().contains("黄欣"));
    let tasks = huangxin.get("/api/v1/me/tasks").await.ok().clone();
    assert_eq!(tasks_for(&tasks, &id2)[0]["on_behalf_of"], app.user_id("gaofei"));
    huangxin.post(&path(&id2, "accept"), json!({})).await.ok();
    let v = huangxin.post(&path(&id2, "complete"), json!({"result": "已核查"})).await.ok().clone();
    assert_eq!(v["assignments"][0]["done_on_behalf_of"], app.user_id("gaofei"));

    // A section head's backup: 周杰 (planning) is away, 郑凯 assigns for him.
    let d3 = register(&app, &clerk, json!({"source_number": "新〔2026〕3号"})).await;
    let id3 = id_of(&d3);
    clerk.post(&path(&id3, "distribution"), json!({"main_section_id": app.section("planning")})).await.ok();
    let zhengkai = app.login("zhengkai").await;
    zhengkai.post(&path(&id3, "assignment"), json!({"handler_id": app.user_id("huangxin")})).await.err("not_found");
    app.login("zhoujie")
        .await
        .post(&format!("/api/v1/units/{}/absences", app.unit()), json!({"from": t.to_string(), "to": t.to_string(), "reason": "病假"}))
        .await
        .ok();
    assert_eq!(tasks_for(zhengkai.get("/api/v1/me/tasks").await.ok(), &id3)[0]["kind"], "incoming.assign");
    let v = zhengkai.post(&path(&id3, "assignment"), json!({"handler_id": app.user_id("huangxin")})).await.ok().clone();
    assert_eq!(v["assignments"][0]["assigned_on_behalf_of"], app.user_id("zhoujie"));
    // After the absence ends the backup may no longer act.
    app.advance_days(3).await;
    let clerk = app.login("sunli").await;
    let zhengkai = app.login("zhengkai").await;
    let d4 = register(&app, &clerk, json!({"source_number": "新〔2026〕4号"})).await;
    let id4 = id_of(&d4);
    clerk.post(&path(&id4, "distribution"), json!({"main_section_id": app.section("planning")})).await.ok();
    zhengkai.post(&path(&id4, "assignment"), json!({"handler_id": app.user_id("huangxin")})).await.err("not_found");
}

fn id_of(v: &Value) -> String {
    id(v)
}

#[tokio::test]
async fn d13_only_participants_their_leaders_and_inspectors_see_incoming_documents() {
    let app = spawn_app().await;
    let id = accepted_doc(&app, json!({"kind": "non_approval"}), "planning", "zhoujie", "huangxin").await;
    app.login("zhaomin").await.post(&path(&id, "office-review"), json!({"opinion": "拟请王强副局长阅"})).await.ok();
    app.login("wangqiang").await.post(&path(&id, "instructions"), json!({"kind": "opinion", "text": "请抓紧办理"})).await.ok();
    let list_path = format!("/api/v1/units/{}/incoming", app.unit());
    for who in ["sunli", "zhaomin", "zhangwei", "wangqiang", "zhoujie", "huangxin", "songtao"] {
        let c = app.login(who).await;
        let v = c.get(&path(&id, "")).await;
        assert_eq!(v.ok()["instructions"][0]["text"], "请抓紧办理", "{who}");
        let list = c.get(&list_path).await.ok().clone();
        assert!(list["items"].as_array().unwrap().iter().any(|d| d["id"] == id), "{who}");
    }
    // Others — staff, other sections' heads and handlers, a deputy outside the division of
    // labour, a member — learn nothing: 404, and the list leaves it out.
    for who in ["hejun", "luoyan", "wuhua", "xuming", "gaofei", "zhengkai", "lina", "liuyang", "mali"] {
        let c = app.login(who).await;
        c.get(&path(&id, "")).await.err("not_found");
        let list = c.get(&list_path).await.ok().clone();
        assert!(list["items"].as_array().unwrap().iter().all(|d| d["id"] != id), "{who}");
    }
    // A non-participant's write is answered like a missing document and changes nothing.
    let before = app.login("sunli").await.get(&path(&id, "")).await.ok().clone();
    app.login("xuming").await.post(&path(&id, "complete"), json!({"result": "x"})).await.err("not_found");
    app.login("wuhua").await.post(&path(&id, "assignment"), json!({"handler_id": app.user_id("xuming")})).await.err("not_found");
    let after = app.login("sunli").await.get(&path(&id, "")).await.ok().clone();
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["trail"], before["trail"]);
    // Staff may not register; sysadmin reads no business content.
    app.login("sysadmin").await.get(&path(&id, "")).await.err("forbidden");
    // Another unit's document does not exist for this unit's people.
    app.login("zhangwei").await.get(&path("no-such-id", "")).await.err("not_found");
}

#[tokio::test]
async fn demo_seeds_incoming_documents_in_several_states() {
    let app = spawn_app().await;
    yishi::incoming::demo::seed(&app.state, &app.org).await.unwrap();
    let list = app.login("songtao").await.get(&format!("/api/v1/units/{}/incoming?limit=200", app.unit())).await.ok().clone();
    let items = list["items"].as_array().unwrap();
    let states: std::collections::BTreeSet<&str> = items.iter().map(|d| d["state"].as_str().unwrap()).collect();
    for s in ["registered", "distributed", "accepted", "in_progress", "instructed", "done", "archived"] {
        assert!(states.contains(s), "demo lacks state {s}: {states:?}");
    }
    assert!(items.iter().any(|d| d["overdue"] == true));
    assert!(count_rows(&app, "incoming_reminders").await >= 1);
    // One handled by a backup.
    let backup = {
        use sea_orm::ConnectionTrait;
        let db = app.db();
        let stmt = sea_orm::Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) AS n FROM trail WHERE object_type = 'incoming' AND on_behalf_of IS NOT NULL".to_string());
        db.query_one_raw(stmt).await.unwrap().unwrap().try_get::<i64>("", "n").unwrap()
    };
    assert!(backup >= 1);
    assert!(yishi::audit::verify(app.db()).await.unwrap().ok);
}

/// D13 in the list, filtered in SQL: for everyone in the unit (incl. backups acting for absent
/// colleagues in the demo), paging through the list in small pages yields exactly the documents
/// they may open, newest first, each once; the `state` and `overdue` filters agree with the rows.
#[tokio::test]
async fn d13_list_pages_hold_exactly_the_documents_each_person_may_open() {
    let app = spawn_app().await;
    yishi::incoming::demo::seed(&app.state, &app.org).await.unwrap();
    let list_path = format!("/api/v1/units/{}/incoming", app.unit());
    let all = page_through(&app.login("songtao").await, &list_path, 200).await;
    assert!(all.len() >= 8, "demo documents: {}", all.len());
    let ids: Vec<String> = all.iter().map(id).collect();
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted, "newest first");
    for who in yishi::demo::PEOPLE.iter().map(|p| p.0) {
        let c = app.login(who).await;
        let mut may_open = Vec::new();
        for d in &ids {
            let r = c.get(&path(d, "")).await;
            assert!(r.status == 200 || r.status == 404, "{who}: {}", r.status);
            if r.status == 200 {
                may_open.push(d.clone());
            }
        }
        let listed: Vec<String> = page_through(&c, &list_path, 2).await.iter().map(id).collect();
        assert_eq!(listed, may_open, "{who}: list vs. detail visibility");
    }
    // Filters, as the inspector (who sees everything).
    let c = app.login("songtao").await;
    for want in [true, false] {
        let listed: Vec<String> = page_through(&c, &format!("{list_path}?overdue={want}"), 3).await.iter().map(id).collect();
        let expected: Vec<String> = all.iter().filter(|d| d["overdue"] == want).map(id).collect();
        assert_eq!(listed, expected, "overdue={want}");
    }
    let listed: Vec<String> = page_through(&c, &format!("{list_path}?state=archived"), 1).await.iter().map(id).collect();
    let expected: Vec<String> = all.iter().filter(|d| d["state"] == "archived").map(id).collect();
    assert!(!expected.is_empty());
    assert_eq!(listed, expected);
    c.get(&format!("{list_path}?state=nonsense")).await.err("invalid");
}
