//! 三重一大 deliberation from draft to decision (R01–R13): every refusal is followed by a read
//! proving nothing changed. Demo people: xuming (finance handler, deputy 李娜 lina),
//! huangxin/gaofei (planning/farmland handlers, deputy 王强 wangqiang), zhangwei principal,
//! sunli clerk, songtao inspector; members zhangwei lina wangqiang liuyang chenjing.
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use yishi_tests::*;

const MEMBERS: [&str; 5] = ["zhangwei", "lina", "wangqiang", "liuyang", "chenjing"];

fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&cst()).date_naive()
}

fn at_local(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    cst().from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap()).unwrap().with_timezone(&Utc)
}

fn body(category: &str, title: &str, amount: Option<&str>) -> Value {
    let mut b = json!({
        "category": category,
        "title": title,
        "materials": {
            "topic": format!("研究{title}"),
            "background": "基本情况：已具备条件。",
            "research": "调研论证：经专家论证可行。",
            "recommendation": "处理建议：同意实施。",
        },
        "flags": {},
    });
    if let Some(a) = amount {
        b["amount"] = json!(a);
        b["payee"] = json!("示例市某公司");
    }
    b
}

async fn get_p(app: &TestApp, id: &str) -> Value {
    app.login("songtao").await.get(&format!("/api/v1/proposals/{id}")).await.ok().clone()
}

async fn create(app: &TestApp, proposer: &str, b: Value) -> String {
    let c = app.login(proposer).await;
    let r = c.post(&format!("/api/v1/units/{}/proposals", app.unit()), b).await;
    assert_eq!(r.ok()["state"], "draft");
    r.body["id"].as_str().unwrap().to_string()
}

fn deputy_of(proposer: &str) -> &'static str {
    match proposer {
        "xuming" | "mali" => "lina",
        _ => "wangqiang",
    }
}

/// draft → submitted → preconsult (deputy approved).
async fn to_preconsult(app: &TestApp, proposer: &str, id: &str) {
    app.login(proposer).await.post(&format!("/api/v1/proposals/{id}/submit"), json!({})).await.ok();
    let r = app.login(deputy_of(proposer)).await.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": true, "opinion": "同意"})).await;
    assert_eq!(r.ok()["state"], "preconsult");
}

/// draft → ready.
async fn ready(app: &TestApp, proposer: &str, b: Value) -> String {
    let id = create(app, proposer, b).await;
    to_preconsult(app, proposer, &id).await;
    let r = app.login("zhangwei").await.post(&format!("/api/v1/proposals/{id}/premeeting-decision"), json!({"decision": "to_meeting", "reason": "提交会议"})).await;
    assert_eq!(r.ok()["state"], "ready");
    id
}

/// A meeting on the earliest allowed day (R06), 09:00 Shanghai.
async fn meeting_body(app: &TestApp, mtype: &str, agenda: &[&str]) -> Value {
    let cal = yishi::org::calendar(app.db(), app.unit()).await.unwrap();
    let day = cal.earliest_meeting_date(local_date(app.state.clock.now()));
    json!({
        "type": mtype, "title": "测试会议", "starts_at": at_local(day, 9, 0).to_rfc3339(),
        "location": "三楼会议室", "agenda": agenda, "attendees": [],
    })
}

async fn noticed_meeting(app: &TestApp, mtype: &str, agenda: &[&str]) -> String {
    let clerk = app.login("sunli").await;
    let r = clerk.post(&format!("/api/v1/units/{}/meetings", app.unit()), meeting_body(app, mtype, agenda).await).await;
    let mid = r.ok()["id"].as_str().unwrap().to_string();
    assert_eq!(clerk.post(&format!("/api/v1/meetings/{mid}/notice"), json!({})).await.ok()["state"], "noticed");
    mid
}

async fn attend(app: &TestApp, mid: &str, present: &[&str]) {
    let clerk = app.login("sunli").await;
    for u in MEMBERS {
        let status = if present.contains(&u) { json!({"status": "present"}) } else { json!({"status": "absent", "reason": "出差"}) };
        clerk.put(&format!("/api/v1/meetings/{mid}/attendance/{}", app.user_id(u)), status).await.ok();
    }
}

async fn open_all(app: &TestApp, mid: &str) {
    attend(app, mid, &MEMBERS).await;
    assert_eq!(app.login("sunli").await.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await.ok()["state"], "open");
}

async fn state(app: &TestApp, mid: &str) -> Value {
    app.login("songtao").await.get(&format!("/api/v1/meetings/{mid}")).await.ok().clone()
}

fn item<'a>(m: &'a Value, pid: &str) -> &'a Value {
    m["items"].as_array().unwrap().iter().find(|i| i["proposal_id"] == pid).unwrap()
}

async fn say(app: &TestApp, mid: &str, pid: &str, speaker: &str, role: &str, stance: &str) -> Resp {
    app.login("sunli")
        .await
        .post(&format!("/api/v1/meetings/{mid}/items/{pid}/statements"), json!({"speaker_id": app.user_id(speaker), "role": role, "stance": stance, "text": format!("{speaker} 发言")}))
        .await
}

async fn stances(app: &TestApp, mid: &str, pid: &str, list: &[(&str, &str)]) {
    for (u, s) in list {
        let role = match *u {
            "zhangwei" => "principal",
            "lina" | "wangqiang" => "deputy",
            _ => "member",
        };
        say(app, mid, pid, u, role, s).await.ok();
    }
}

async fn ballot(app: &TestApp, mid: &str, pid: &str, who: &str, choice: &str) -> Resp {
    app.login(who).await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/ballots"), json!({"choice": choice})).await
}

async fn path(app: &TestApp, mid: &str, pid: &str, b: Value) -> Resp {
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/vote"), b).await
}

/// An open meeting of `mtype` with one proposal whose discussion left 3 agree (the principal
/// still to speak), ready for a path.
async fn discussed(app: &TestApp, mtype: &str, b: Value) -> (String, String) {
    let pid = ready(app, "xuming", b).await;
    let mid = noticed_meeting(app, mtype, &[&pid]).await;
    open_all(app, &mid).await;
    stances(app, &mid, &pid, &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree"), ("chenjing", "none")]).await;
    (mid, pid)
}

// ---------------------------------------------------------------- R01

#[tokio::test]
async fn r01_fund_item_at_threshold_can_never_be_general_business() {
    let app = spawn_app().await;
    let id = create(&app, "xuming", body("large_fund", "购置设备", Some("100000.00"))).await;
    to_preconsult(&app, "xuming", &id).await;
    let before = get_p(&app, &id).await;
    let z = app.login("zhangwei").await;
    let r = z.post(&format!("/api/v1/proposals/{id}/premeeting-decision"), json!({"decision": "general_business", "reason": "一般业务"})).await;
    r.err("R01");
    assert_eq!(r.body["error"]["details"]["threshold"], "100000.00");
    let after = get_p(&app, &id).await;
    assert_eq!(after["state"], "preconsult");
    assert_eq!(after["version"], before["version"]);
    assert!(after["premeeting"]["decision"].is_null());
    // One fen below the threshold may be handled as general business.
    let small = create(&app, "xuming", body("large_fund", "小额采购", Some("99999.99"))).await;
    to_preconsult(&app, "xuming", &small).await;
    z.post(&format!("/api/v1/proposals/{small}/premeeting-decision"), json!({"decision": "general_business", "reason": "一般业务"})).await.ok();
    assert_eq!(get_p(&app, &small).await["state"], "returned");
}

#[tokio::test]
async fn r01_threshold_comes_from_unit_settings_and_amounts_are_exact_decimals() {
    let app = spawn_app().await;
    app.login("secadmin").await.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"fund_threshold": "200000.00"})).await.ok();
    let x = app.login("xuming").await;
    // Floats and malformed amounts are refused; nothing is created.
    let n = count_rows(&app, "proposals").await;
    let mut b = body("large_fund", "浮点金额", None);
    b["amount"] = json!(150000.5);
    x.post(&format!("/api/v1/units/{}/proposals", app.unit()), b).await.err("invalid");
    let mut b = body("large_fund", "三位小数", None);
    b["amount"] = json!("150000.005");
    x.post(&format!("/api/v1/units/{}/proposals", app.unit()), b).await.err("invalid");
    x.post(&format!("/api/v1/units/{}/proposals", app.unit()), body("large_fund", "无金额", None)).await.err("invalid");
    assert_eq!(count_rows(&app, "proposals").await, n);
    let id = create(&app, "xuming", body("large_fund", "十五万", Some("150000.00"))).await;
    assert_eq!(get_p(&app, &id).await["amount"], "150000.00");
    to_preconsult(&app, "xuming", &id).await;
    // Below the unit's threshold (200000) it may be handled as general business.
    app.login("zhangwei").await.post(&format!("/api/v1/proposals/{id}/premeeting-decision"), json!({"decision": "general_business", "reason": "一般业务"})).await.ok();
    let big = create(&app, "xuming", body("large_fund", "二十万", Some("200000.00"))).await;
    to_preconsult(&app, "xuming", &big).await;
    app.login("zhangwei").await.post(&format!("/api/v1/proposals/{big}/premeeting-decision"), json!({"decision": "general_business", "reason": "x"})).await.err("R01");
    assert_eq!(get_p(&app, &big).await["state"], "preconsult");
}

// ---------------------------------------------------------------- R02

#[tokio::test]
async fn r02_submission_with_missing_parts_is_refused_listing_them() {
    let app = spawn_app().await;
    let mut b = body("major_decision", "规划调整", None);
    b["materials"]["research"] = json!("  ");
    b["materials"]["recommendation"] = json!("");
    let id = create(&app, "huangxin", b).await;
    let before = get_p(&app, &id).await;
    let h = app.login("huangxin").await;
    let audit = audit_count(&app).await;
    let r = h.post(&format!("/api/v1/proposals/{id}/submit"), json!({})).await;
    r.err("R02");
    assert_eq!(audit_count(&app).await, audit, "a refused submission writes nothing");
    assert_eq!(r.body["error"]["details"]["missing"], json!(["research", "recommendation"]));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("调研论证"));
    let after = get_p(&app, &id).await;
    assert_eq!(after["state"], "draft");
    assert_eq!(after["version"], before["version"]);
    // Completing the parts (PATCH by the proposer) makes submission possible.
    h.patch(&format!("/api/v1/proposals/{id}"), json!({"materials": {"research": "补充论证", "recommendation": "同意"}})).await.ok();
    assert_eq!(h.post(&format!("/api/v1/proposals/{id}/submit"), json!({})).await.ok()["state"], "submitted");
    // Not editable once submitted; others may not edit.
    h.patch(&format!("/api/v1/proposals/{id}"), json!({"title": "改"})).await.err("conflict");
    app.login("zhoujie").await.patch(&format!("/api/v1/proposals/{id}"), json!({"title": "改"})).await.err("forbidden");
    assert_eq!(get_p(&app, &id).await["title"], "规划调整");
}

// ---------------------------------------------------------------- R03

#[tokio::test]
async fn r03_cannot_become_ready_while_a_required_record_is_missing() {
    let app = spawn_app().await;
    let mut b = body("major_project", "征地补偿方案", None);
    b["flags"] = json!({"public_interest": true, "legal": true});
    let id = create(&app, "gaofei", b).await;
    let p = get_p(&app, &id).await;
    let kinds: Vec<&str> = p["required_records"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["publicity|hearing", "legal"]);
    to_preconsult(&app, "gaofei", &id).await;
    let g = app.login("gaofei").await;
    g.post(&format!("/api/v1/proposals/{id}/preconsult-records"), json!({"kind": "hearing", "summary": "召开听证会"})).await.ok();
    let z = app.login("zhangwei").await;
    let before = get_p(&app, &id).await;
    let r = z.post(&format!("/api/v1/proposals/{id}/premeeting-decision"), json!({"decision": "to_meeting", "reason": ""})).await;
    r.err("R03");
    assert_eq!(r.body["error"]["details"]["missing"][0]["flag"], "legal");
    let after = get_p(&app, &id).await;
    assert_eq!(after["state"], "preconsult");
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["required_records"][0]["satisfied"], true);
    assert_eq!(after["required_records"][1]["satisfied"], false);
    // The deputy in charge may record it too.
    app.login("wangqiang").await.post(&format!("/api/v1/proposals/{id}/preconsult-records"), json!({"kind": "legal", "summary": "法律顾问意见：合法"})).await.ok();
    assert_eq!(z.post(&format!("/api/v1/proposals/{id}/premeeting-decision"), json!({"decision": "to_meeting", "reason": ""})).await.ok()["state"], "ready");
    // Unknown kinds are malformed input.
    g.post(&format!("/api/v1/proposals/{id}/preconsult-records"), json!({"kind": "rumour", "summary": "x"})).await.err("invalid");
}

// ---------------------------------------------------------------- R04

#[tokio::test]
async fn r04_only_the_deputy_in_charge_approves_and_the_office_registers() {
    let app = spawn_app().await;
    let id = create(&app, "xuming", body("large_fund", "设备采购", Some("350000.00"))).await;
    app.login("xuming").await.post(&format!("/api/v1/proposals/{id}/submit"), json!({})).await.ok();
    let before = get_p(&app, &id).await;
    assert_eq!(before["deputy_id"], app.user_id("lina"));
    // The principal sees the proposal but is not the deputy in charge of finance.
    let r = app.login("zhangwei").await.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": true, "opinion": "同意"})).await;
    r.err("R04");
    assert_eq!(r.body["error"]["details"]["deputy_in_charge"], app.user_id("lina"));
    // 王强 is a deputy, but not of the finance section: the proposal is not his to see.
    app.login("wangqiang").await.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": true, "opinion": "同意"})).await.err("not_found");
    // A handler is not even a deputy (casbin).
    app.login("huangxin").await.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": true, "opinion": "同意"})).await.err("forbidden");
    let after = get_p(&app, &id).await;
    assert_eq!(after["state"], "submitted");
    assert_eq!(after["version"], before["version"]);
    assert!(after["submission"]["registration_no"].is_null());
    let r = app.login("lina").await.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": true, "opinion": "同意提交"})).await;
    let p = r.ok();
    assert_eq!(p["state"], "preconsult");
    assert_eq!(p["submission"]["approved_by"], app.user_id("lina"));
    assert!(p["submission"]["registration_no"].as_str().unwrap().starts_with("会商〔"));
    let actions: Vec<&str> = p["trail"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"proposal.submission_approve") && actions.contains(&"proposal.register"), "{actions:?}");
    // A second registration number follows the first without a gap.
    let id2 = create(&app, "mali", body("other_major", "车辆管理", None)).await;
    to_preconsult(&app, "mali", &id2).await;
    let n1: String = p["submission"]["registration_no"].as_str().unwrap().into();
    let n2: String = get_p(&app, &id2).await["submission"]["registration_no"].as_str().unwrap().into();
    let num = |s: &str| s.trim_end_matches('号').rsplit('〕').next().unwrap().parse::<i32>().unwrap();
    assert_eq!(num(&n2), num(&n1) + 1);
}

#[tokio::test]
async fn r04_return_of_the_submission_form_needs_an_opinion() {
    let app = spawn_app().await;
    let id = create(&app, "xuming", body("large_fund", "设备采购", Some("350000.00"))).await;
    app.login("xuming").await.post(&format!("/api/v1/proposals/{id}/submit"), json!({})).await.ok();
    let l = app.login("lina").await;
    l.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": false, "opinion": ""})).await.err("invalid");
    assert_eq!(get_p(&app, &id).await["state"], "submitted");
    let p = l.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": false, "opinion": "预算依据不足"})).await.ok().clone();
    assert_eq!(p["state"], "returned");
    assert_eq!(p["returned_reason"], "预算依据不足");
}

// ---------------------------------------------------------------- R05

#[tokio::test]
async fn r05_principal_decides_before_the_meeting_with_a_recorded_reason() {
    let app = spawn_app().await;
    let id = create(&app, "huangxin", body("major_decision", "规划方案", None)).await;
    to_preconsult(&app, "huangxin", &id).await;
    let before = get_p(&app, &id).await;
    let z = app.login("zhangwei").await;
    z.post(&format!("/api/v1/proposals/{id}/premeeting-decision"), json!({"decision": "not_ready", "reason": " "})).await.err("R05");
    // Only the principal decides (casbin: deputies have no such permission).
    app.login("wangqiang").await.post(&format!("/api/v1/proposals/{id}/premeeting-decision"), json!({"decision": "to_meeting", "reason": "x"})).await.err("forbidden");
    let after = get_p(&app, &id).await;
    assert_eq!(after["state"], "preconsult");
    assert_eq!(after["version"], before["version"]);
    let p = z.post(&format!("/api/v1/proposals/{id}/premeeting-decision"), json!({"decision": "not_ready", "reason": "需补充征求分局意见"})).await.ok().clone();
    assert_eq!(p["state"], "returned");
    assert_eq!(p["premeeting"]["decision"], "not_ready");
    assert_eq!(p["premeeting"]["reason"], "需补充征求分局意见");
    assert!(p["trail"].as_array().unwrap().iter().any(|t| t["note"].as_str().is_some_and(|n| n.contains("需补充征求分局意见"))));
    // The proposer revises and resubmits the returned proposal.
    let h = app.login("huangxin").await;
    h.patch(&format!("/api/v1/proposals/{id}"), json!({"flags": {"branch_units": true}})).await.ok();
    assert_eq!(h.post(&format!("/api/v1/proposals/{id}/submit"), json!({})).await.ok()["state"], "submitted");
}

// ---------------------------------------------------------------- R06

/// Advances the clock to the next 10:00 in Shanghai.
async fn to_ten_am(app: &TestApp) {
    let now = app.state.clock.now();
    let mut target = at_local(local_date(now), 10, 0);
    if target <= now {
        target = at_local(local_date(now) + Duration::days(1), 10, 0);
    }
    app.advance((target - now).num_seconds()).await;
}

#[tokio::test]
async fn r06_notice_needs_one_working_day_or_an_urgency_reason_shown_to_inspectors() {
    let app = spawn_app().await;
    to_ten_am(&app).await;
    let pid = ready(&app, "xuming", body("large_fund", "防汛物资", Some("300000.00"))).await;
    let clerk = app.login("sunli").await;
    let mut b = meeting_body(&app, "party_group", &[&pid]).await;
    let today = local_date(app.state.clock.now());
    b["starts_at"] = json!(at_local(today, 16, 0).to_rfc3339());
    let mid = clerk.post(&format!("/api/v1/units/{}/meetings", app.unit()), b).await.ok()["id"].as_str().unwrap().to_string();
    let before = state(&app, &mid).await;
    let r = clerk.post(&format!("/api/v1/meetings/{mid}/notice"), json!({})).await;
    r.err("R06");
    let cal = yishi::org::calendar(app.db(), app.unit()).await.unwrap();
    assert_eq!(r.body["error"]["details"]["earliest_meeting_date"], cal.earliest_meeting_date(today).to_string());
    let after = state(&app, &mid).await;
    assert_eq!(after["state"], "scheduled");
    assert!(after["notice_sent_at"].is_null());
    assert_eq!(after["version"], before["version"]);
    let m = clerk.post(&format!("/api/v1/meetings/{mid}/notice"), json!({"urgency_reason": "汛情紧急，须当日研究"})).await.ok().clone();
    assert_eq!(m["state"], "noticed");
    assert_eq!(m["short_notice"], true);
    let seen = app.login("songtao").await.get(&format!("/api/v1/meetings/{mid}")).await.ok().clone();
    assert_eq!(seen["urgency_reason"], "汛情紧急，须当日研究");
    // A normal notice on the earliest day is not short.
    let pid2 = ready(&app, "huangxin", body("major_decision", "规划", None)).await;
    let mid2 = noticed_meeting(&app, "joint", &[&pid2]).await;
    assert_eq!(state(&app, &mid2).await["short_notice"], false);
}

#[tokio::test]
async fn r06_agenda_holds_only_proposals_put_to_a_meeting() {
    let app = spawn_app().await;
    let draft = create(&app, "huangxin", body("major_decision", "草稿议题", None)).await;
    let ok = ready(&app, "gaofei", body("major_project", "农田", None)).await;
    let clerk = app.login("sunli").await;
    let n = count_rows(&app, "meetings").await;
    let r = clerk.post(&format!("/api/v1/units/{}/meetings", app.unit()), meeting_body(&app, "party_group", &[&ok, &draft]).await).await;
    r.err("R06");
    assert_eq!(r.body["error"]["details"]["not_ready"][0]["proposal_id"], draft);
    assert_eq!(count_rows(&app, "meetings").await, n);
    assert_eq!(get_p(&app, &ok).await["state"], "ready");
    // Only the clerk schedules.
    app.login("zhangwei").await.post(&format!("/api/v1/units/{}/meetings", app.unit()), meeting_body(&app, "party_group", &[&ok]).await).await.err("forbidden");
}

// ---------------------------------------------------------------- R07

#[tokio::test]
async fn r07_materials_only_for_the_invited_from_notice_until_close_and_every_read_is_logged() {
    let app = spawn_app().await;
    let pid = create(&app, "xuming", body("large_fund", "资金安排", Some("500000.00"))).await;
    let att = app.login("xuming").await.upload(&format!("/api/v1/proposals/{pid}/attachments"), "预算表.txt", "预算明细：50万元".as_bytes().to_vec()).await;
    let att_id = att.ok()["id"].as_str().unwrap().to_string();
    to_preconsult(&app, "xuming", &pid).await;
    app.login("zhangwei").await.post(&format!("/api/v1/proposals/{pid}/premeeting-decision"), json!({"decision": "to_meeting", "reason": ""})).await.ok();
    let clerk = app.login("sunli").await;
    let mid = clerk.post(&format!("/api/v1/units/{}/meetings", app.unit()), meeting_body(&app, "party_group", &[&pid]).await).await.ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let liu = app.login("liuyang").await;
    let path = format!("/api/v1/meetings/{mid}/materials");
    liu.get(&path).await.err("R07");
    clerk.post(&format!("/api/v1/meetings/{mid}/notice"), json!({})).await.ok();
    let audit = audit_count(&app).await;
    let m = liu.get(&path).await.ok().clone();
    assert_eq!(m["items"][0]["materials"]["topic"], "研究资金安排");
    assert_eq!(audit_count(&app).await, audit + 1, "the read is audited");
    let row = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            app.db().get_database_backend(),
            format!("SELECT actor_id FROM audit_log WHERE action = 'meeting.materials.read' AND object_id = '{mid}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "actor_id").unwrap(), app.user_id("liuyang"));
    // The attachment: before notice not theirs; now downloadable, and the download is audited.
    assert_eq!(m["items"][0]["attachments"][0]["id"], att_id);
    let audit = audit_count(&app).await;
    let (status, _, bytes) = liu.get_bytes(&format!("/api/v1/attachments/{att_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8(bytes).unwrap(), "预算明细：50万元");
    assert_eq!(audit_count(&app).await, audit + 1);
    // Not invited: staff and a handler of another section learn nothing.
    assert_eq!(app.login("huangxin").await.get_bytes(&format!("/api/v1/attachments/{att_id}")).await.0, 404);
    app.login("hejun").await.get(&path).await.err("not_found");
    app.login("huangxin").await.get(&path).await.err("not_found");
    app.login("songtao").await.get(&path).await.ok();
    open_all(&app, &mid).await;
    path_and_decide_consensus(&app, &mid, &pid).await;
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/close"), json!({})).await.ok();
    // After the meeting the attendees' access ends (会后收回); the proposal itself is no longer theirs to read.
    let r = liu.get(&path).await;
    assert_eq!(r.status, 403, "{}", r.body);
    r.err("R07");
    liu.get(&format!("/api/v1/proposals/{pid}")).await.err("not_found");
    assert_eq!(liu.get_bytes(&format!("/api/v1/attachments/{att_id}")).await.0, 404);
    app.login("songtao").await.get(&path).await.ok();
}

/// R07 with proposal detail kept between reads (`yishi::readcache`): a kept answer is never
/// served past a change — the reader's allowed actions follow the state at once, and when
/// the meeting closes the invited member's kept answer gives way to the refusal.
#[tokio::test]
async fn r07_kept_proposal_detail_follows_each_change_and_ends_with_the_readers_access() {
    let app = spawn_app().await;
    let pid = ready(&app, "xuming", body("major_decision", "年度重点工作安排", None)).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid]).await;
    let liu = app.login("liuyang").await;
    let path = format!("/api/v1/proposals/{pid}");
    let first = liu.get(&path).await.ok().clone();
    let again = liu.get(&path).await.ok().clone();
    assert_eq!(first, again, "nothing changed: the same answer");
    assert_eq!(first["state"], "scheduled");
    // Another reader's answer is their own (the principal may act on it, the member not).
    let principal = app.login("zhangwei").await.get(&path).await.ok().clone();
    assert_eq!(principal["id"], json!(pid));
    open_all(&app, &mid).await;
    assert_eq!(liu.get(&path).await.ok()["state"], "scheduled");
    path_and_decide_consensus(&app, &mid, &pid).await;
    let decided = liu.get(&path).await.ok().clone();
    assert_ne!(decided["state"], first["state"], "the decision is seen at once");
    assert_ne!(decided["links"], first["links"], "and the agenda item's outcome");
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/close"), json!({})).await.ok();
    liu.get(&path).await.err("not_found");
    liu.get(&path).await.err("not_found");
    assert_eq!(app.login("songtao").await.get(&path).await.ok()["state"], decided["state"]);
}

async fn path_and_decide_consensus(app: &TestApp, mid: &str, pid: &str) {
    stances(app, mid, pid, &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree"), ("chenjing", "agree"), ("zhangwei", "agree")]).await;
    let r = path(app, mid, pid, json!({"path": "consensus"})).await;
    assert_eq!(r.ok()["proposal_state"], "decided");
}

/// Found by schemathesis' stateful phase (session 7): a meeting's materials are refused by
/// R07 before the notice (422 with the rule's ID), and the OpenAPI document must say so.
#[tokio::test]
async fn r07_materials_refusal_before_the_notice_is_documented_in_openapi() {
    let app = spawn_app().await;
    let pid = ready(&app, "xuming", body("major_decision", "年度重点工作安排", None)).await;
    let clerk = app.login("sunli").await;
    let starts_at = (app.state.clock.now() + chrono::Duration::days(14)).to_rfc3339();
    let m = clerk
        .post(&format!("/api/v1/units/{}/meetings", app.unit()), json!({"type": "party_group", "title": "党组会议", "starts_at": starts_at, "location": "三楼会议室", "agenda": [pid], "attendees": []}))
        .await
        .ok()
        .clone();
    let r = app.login("liuyang").await.get(&format!("/api/v1/meetings/{}/materials", m["id"].as_str().unwrap())).await;
    assert_eq!(r.status, 422, "{}", r.body);
    r.err("R07");
    let doc = app.anon().get("/api/openapi.json").await;
    let responses = &doc.ok()["paths"]["/api/v1/meetings/{id}/materials"]["get"]["responses"];
    assert!(responses["422"].is_object(), "materials document 422: {responses}");
}

// ---------------------------------------------------------------- R08

#[tokio::test]
async fn r08_open_refused_without_quorum_of_should_attend_members() {
    let app = spawn_app().await;
    let pid = ready(&app, "huangxin", body("major_decision", "规划", None)).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid]).await;
    attend(&app, &mid, &["zhangwei", "lina"]).await;
    let before = state(&app, &mid).await;
    assert_eq!(before["quorum"]["should_attend"], 5);
    assert_eq!(before["quorum"]["required"], 3);
    let r = app.login("sunli").await.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await;
    r.err("R08");
    assert_eq!(r.body["error"]["details"]["present"], 2);
    let after = state(&app, &mid).await;
    assert_eq!(after["state"], "noticed");
    assert!(after["opened_at"].is_null());
    assert_eq!(after["version"], before["version"]);
    // Absent needs a reason; only should-attend members are on the attendance list.
    let clerk = app.login("sunli").await;
    clerk.put(&format!("/api/v1/meetings/{mid}/attendance/{}", app.user_id("liuyang")), json!({"status": "absent"})).await.err("R08");
    clerk.put(&format!("/api/v1/meetings/{mid}/attendance/{}", app.user_id("hejun")), json!({"status": "present"})).await.err("R08");
    clerk.put(&format!("/api/v1/meetings/{mid}/attendance/{}", app.user_id("liuyang")), json!({"status": "leave", "reason": "病假"})).await.ok();
    clerk.put(&format!("/api/v1/meetings/{mid}/attendance/{}", app.user_id("wangqiang")), json!({"status": "present"})).await.ok();
    // 3 of 5 is more than half.
    assert_eq!(app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await.ok()["state"], "open");
}

#[tokio::test]
async fn r08_key_appointment_needs_two_thirds_with_the_boundary_included() {
    let app = spawn_app().await;
    // A sixth member makes two thirds an exact count (4 of 6).
    app.login("secadmin").await.put(&format!("/api/v1/units/{}/members/{}", app.unit(), app.user_id("luoyan")), json!({"roles": ["member"]})).await.ok();
    let pid = ready(&app, "mali", body("key_appointment", "任免办公室副主任", None)).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid]).await;
    let m = state(&app, &mid).await;
    assert_eq!(m["quorum"]["should_attend"], 6);
    assert_eq!(m["quorum"]["ratio"], json!({"num": 2, "den": 3, "inclusive": true}));
    let clerk = app.login("sunli").await;
    for u in ["zhangwei", "lina", "wangqiang"] {
        clerk.put(&format!("/api/v1/meetings/{mid}/attendance/{}", app.user_id(u)), json!({"status": "present"})).await.ok();
    }
    // 3 of 6 is half: more than half would not do either, and two thirds is 4.
    clerk.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await.err("R08");
    assert_eq!(state(&app, &mid).await["state"], "noticed");
    clerk.put(&format!("/api/v1/meetings/{mid}/attendance/{}", app.user_id("luoyan")), json!({"status": "present"})).await.ok();
    assert_eq!(clerk.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await.ok()["state"], "open");
}

#[tokio::test]
async fn r08_observers_never_vote_and_written_opinions_are_not_ballots() {
    let app = spawn_app().await;
    let pid = ready(&app, "xuming", body("large_fund", "资金", Some("300000.00"))).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid]).await;
    let clerk = app.login("sunli").await;
    // 列席: a section head; a member cannot be an observer.
    clerk.post(&format!("/api/v1/meetings/{mid}/observers"), json!({"user_id": app.user_id("wuhua")})).await.ok();
    clerk.post(&format!("/api/v1/meetings/{mid}/observers"), json!({"user_id": app.user_id("lina")})).await.err("R08");
    attend(&app, &mid, &["zhangwei", "lina", "wangqiang", "liuyang"]).await;
    // The absent member writes an opinion before the meeting; a present one may not.
    let chen = app.login("chenjing").await;
    let w = chen.post(&format!("/api/v1/meetings/{mid}/written-opinions"), json!({"proposal_id": pid, "text": "同意，但须加强资金监管"})).await;
    assert_eq!(w.ok()["counts_as_ballot"], false);
    let n = count_rows(&app, "written_opinions").await;
    app.login("liuyang").await.post(&format!("/api/v1/meetings/{mid}/written-opinions"), json!({"proposal_id": pid, "text": "x"})).await.err("R08");
    assert_eq!(count_rows(&app, "written_opinions").await, n);
    clerk.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await.ok();
    // After the meeting opened, too late for written opinions.
    chen.post(&format!("/api/v1/meetings/{mid}/written-opinions"), json!({"proposal_id": pid, "text": "补充"})).await.err("R08");
    // The observer may speak (no stance counted) but not vote.
    say(&app, &mid, &pid, "wuhua", "presenter", "none").await.ok();
    stances(&app, &mid, &pid, &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree")]).await;
    path(&app, &mid, &pid, json!({"path": "vote", "mode": "named"})).await.ok();
    let before = count_rows(&app, "ballot_participations").await;
    // wuhua is a section head: casbin already refuses ballots to non-members.
    app.login("wuhua").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/ballots"), json!({"choice": "agree"})).await.err("forbidden");
    // The absent member cannot vote either (R08).
    ballot(&app, &mid, &pid, "chenjing", "agree").await.err("R08");
    assert_eq!(count_rows(&app, "ballot_participations").await, before);
    for u in ["lina", "wangqiang", "liuyang", "zhangwei"] {
        ballot(&app, &mid, &pid, u, "agree").await.ok();
    }
    let t = app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/close-vote"), json!({})).await.ok().clone();
    assert_eq!(t["tally"]["agree"], 4, "the written opinion is not a ballot");
    assert_eq!(t["tally"]["eligible"], 5);
    let rec = app.login("zhangwei").await.get(&format!("/api/v1/meetings/{mid}/record")).await.ok().clone();
    let it = &rec["items"][0];
    assert_eq!(it["written_opinions"][0]["text"], "同意，但须加强资金监管");
    assert_eq!(rec["observers"][0], app.user_id("wuhua"));
}

/// R08 is decided where the ballot is written: a member the clerk registers as having left
/// while the meeting is open is refused, with nothing of their ballot stored, and the
/// ballots that arrive together with theirs are recorded all the same.
#[tokio::test]
async fn r08_ballot_refused_once_the_member_is_registered_as_left_and_neighbours_recorded() {
    let app = spawn_app().await;
    let pid = ready(&app, "xuming", body("major_decision", "年度重点工作安排", None)).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid]).await;
    open_all(&app, &mid).await;
    stances(&app, &mid, &pid, &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree")]).await;
    path(&app, &mid, &pid, json!({"path": "vote", "mode": "named"})).await.ok();
    app.login("sunli")
        .await
        .put(&format!("/api/v1/meetings/{mid}/attendance/{}", app.user_id("chenjing")), json!({"status": "absent", "reason": "临时离会"}))
        .await
        .ok();
    let url = format!("/api/v1/meetings/{mid}/items/{pid}/ballots");
    let mut clients = Vec::new();
    for who in ["chenjing", "lina", "wangqiang", "liuyang"] {
        clients.push((who, app.login(who).await));
    }
    let (participations, ballots, audit) = (count_rows(&app, "ballot_participations").await, count_rows(&app, "ballots").await, audit_count(&app).await);
    let handles: Vec<_> = clients
        .into_iter()
        .map(|(who, c)| {
            let url = url.clone();
            tokio::spawn(async move { (who, c.post(&url, json!({"choice": "agree"})).await) })
        })
        .collect();
    for h in handles {
        let (who, r) = h.await.unwrap();
        if who == "chenjing" {
            r.err("R08");
        } else {
            assert_eq!(r.ok()["recorded"], true, "{who}");
        }
    }
    assert_eq!(count_rows(&app, "ballot_participations").await, participations + 3);
    assert_eq!(count_rows(&app, "ballots").await, ballots + 3);
    assert_eq!(audit_count(&app).await, audit + 3, "one entry per recorded ballot, none for the refused one");
    let seen = app.login("zhangwei").await.get(&format!("/api/v1/meetings/{mid}")).await.ok().clone();
    assert_eq!(item(&seen, &pid)["ballots_cast"], 3, "{}", item(&seen, &pid));
}

// ---------------------------------------------------------------- R09

#[tokio::test]
async fn r09_recused_member_cannot_vote_see_the_vote_and_is_not_eligible() {
    let app = spawn_app().await;
    let mut b = body("large_fund", "向刘洋亲属所在公司采购", Some("300000.00"));
    b["conflicts"] = json!([app.user_id("liuyang")]);
    let pid = ready(&app, "xuming", b).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid]).await;
    open_all(&app, &mid).await;
    // A recused member's statement is refused.
    say(&app, &mid, &pid, "liuyang", "member", "agree").await.err("R09");
    stances(&app, &mid, &pid, &[("lina", "agree"), ("wangqiang", "agree"), ("chenjing", "agree")]).await;
    path(&app, &mid, &pid, json!({"path": "vote"})).await.ok();
    let before = count_rows(&app, "ballot_participations").await;
    ballot(&app, &mid, &pid, "liuyang", "agree").await.err("R09");
    assert_eq!(count_rows(&app, "ballot_participations").await, before);
    for u in ["lina", "wangqiang", "chenjing"] {
        ballot(&app, &mid, &pid, u, "agree").await.ok();
    }
    let liu = app.login("liuyang").await;
    let seen = liu.get(&format!("/api/v1/meetings/{mid}")).await.ok().clone();
    let it = item(&seen, &pid);
    assert!(it.get("ballots_cast").is_none() && it.get("tally").is_none() && it.get("decision").is_none(), "{it}");
    assert_eq!(it["eligible"], 4);
    ballot(&app, &mid, &pid, "zhangwei", "agree").await.ok();
    let t = app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/close-vote"), json!({})).await.ok().clone();
    assert_eq!(t["tally"]["eligible"], 4);
    assert_eq!(t["tally"]["should_attend"], 5);
    assert_eq!(t["majority"], true);
    let seen = liu.get(&format!("/api/v1/meetings/{mid}")).await.ok().clone();
    assert!(item(&seen, &pid).get("tally").is_none());
}

// ---------------------------------------------------------------- R10

#[tokio::test]
async fn r10_principal_states_last_and_votes_last_in_a_named_vote() {
    let app = spawn_app().await;
    let pid = ready(&app, "huangxin", body("major_decision", "规划", None)).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid]).await;
    open_all(&app, &mid).await;
    // The proposer presents; someone neither invited nor the proposer may not.
    say(&app, &mid, &pid, "huangxin", "presenter", "none").await.ok();
    say(&app, &mid, &pid, "gaofei", "presenter", "none").await.err("invalid");
    stances(&app, &mid, &pid, &[("wangqiang", "agree"), ("lina", "agree"), ("liuyang", "agree")]).await;
    // The principal speaks only as principal.
    say(&app, &mid, &pid, "zhangwei", "member", "agree").await.err("R10");
    say(&app, &mid, &pid, "zhangwei", "principal", "agree").await.ok();
    let n = count_rows(&app, "statements").await;
    say(&app, &mid, &pid, "chenjing", "member", "disagree").await.err("R10");
    assert_eq!(count_rows(&app, "statements").await, n);
    path(&app, &mid, &pid, json!({"path": "vote", "mode": "named"})).await.ok();
    ballot(&app, &mid, &pid, "lina", "agree").await.ok();
    let before = count_rows(&app, "ballot_participations").await;
    let r = ballot(&app, &mid, &pid, "zhangwei", "agree").await;
    r.err("R10");
    assert_eq!(r.body["error"]["details"]["waiting_for"].as_array().unwrap().len(), 3);
    assert_eq!(count_rows(&app, "ballot_participations").await, before);
    assert!(item(&state(&app, &mid).await, &pid)["voted"].as_array().unwrap().iter().all(|v| v != &json!(app.user_id("zhangwei"))));
    for u in ["wangqiang", "liuyang", "chenjing"] {
        ballot(&app, &mid, &pid, u, "agree").await.ok();
    }
    ballot(&app, &mid, &pid, "zhangwei", "agree").await.ok();
    let rec = app.login("sunli").await.get(&format!("/api/v1/meetings/{mid}/record")).await.ok().clone();
    let st = rec["items"][0]["statements"].as_array().unwrap();
    assert_eq!(st.last().unwrap()["role"], "principal");
    assert_eq!(rec["items"][0]["ballots"].as_array().unwrap().len(), 5);
}

// ---------------------------------------------------------------- R11

#[tokio::test]
async fn r11_one_ballot_per_member_per_item_never_changed_after_close() {
    let app = spawn_app().await;
    let (mid, pid) = discussed(&app, "party_group", body("large_fund", "资金", Some("300000.00"))).await;
    path(&app, &mid, &pid, json!({"path": "vote"})).await.ok();
    let m = state(&app, &mid).await;
    assert_eq!(item(&m, &pid)["mode"], "named", "a non-personnel vote without a mode is named");
    let receipt = ballot(&app, &mid, &pid, "lina", "agree").await.ok().clone();
    assert_eq!(receipt["choice"], "agree");
    let before = count_rows(&app, "ballots").await;
    ballot(&app, &mid, &pid, "lina", "disagree").await.err("R11");
    assert_eq!(count_rows(&app, "ballots").await, before);
    let rec = app.login("zhangwei").await.get(&format!("/api/v1/meetings/{mid}/record")).await.ok().clone();
    assert_eq!(rec["items"][0]["ballots"][0]["choice"], "agree");
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/close-vote"), json!({})).await.ok();
    ballot(&app, &mid, &pid, "liuyang", "agree").await.err("R11");
    assert_eq!(count_rows(&app, "ballots").await, before);
    // A second path on the same item is refused: one vote per proposal.
    path(&app, &mid, &pid, json!({"path": "defer", "reason": "再议"})).await.err("R11");
}

#[tokio::test]
async fn r11_personnel_items_default_to_a_secret_ballot_stored_unlinkably() {
    let app = spawn_app().await;
    let (mid, pid) = discussed(&app, "party_group", body("key_appointment", "任命财务处副处长", None)).await;
    path(&app, &mid, &pid, json!({"path": "vote"})).await.ok();
    assert_eq!(item(&state(&app, &mid).await, &pid)["mode"], "secret");
    let r = app.login("lina").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/ballots"), json!({"choice": "disagree", "opinion": "资历尚浅"})).await;
    let receipt = r.ok().clone();
    assert!(receipt["choice"].is_null(), "a secret receipt does not echo the choice: {receipt}");
    for (u, c) in [("wangqiang", "agree"), ("liuyang", "agree"), ("chenjing", "abstain"), ("zhangwei", "agree")] {
        ballot(&app, &mid, &pid, u, c).await.ok();
    }
    // The database holds participation (who) and counters (what), nothing linking them.
    assert_eq!(count_rows(&app, "ballots").await, 0);
    assert_eq!(count_rows(&app, "ballot_participations").await, 5);
    let db = app.db();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT agree, disagree, abstain, opinions FROM secret_tallies".to_string()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i32>("", "agree").unwrap(), 3);
    assert_eq!(row.try_get::<i32>("", "disagree").unwrap(), 1);
    assert!(row.try_get::<String>("", "opinions").unwrap().contains("资历尚浅"));
    let audit = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT after_state FROM audit_log WHERE action = 'ballot.cast' AND actor_id = '{}'", app.user_id("lina")),
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(!audit.try_get::<String>("", "after_state").unwrap().contains("disagree"));
    let t = app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/close-vote"), json!({})).await.ok().clone();
    assert_eq!((t["tally"]["agree"].as_i64(), t["tally"]["disagree"].as_i64(), t["tally"]["abstain"].as_i64()), (Some(3), Some(1), Some(1)));
    assert_eq!(t["majority"], true);
    // The principal's own receipt shows that, not what, they voted.
    let m = app.login("lina").await.get(&format!("/api/v1/meetings/{mid}")).await.ok().clone();
    assert!(item(&m, &pid)["my_ballot"]["choice"].is_null());
}

#[tokio::test]
async fn r11_original_record_readable_by_principal_clerk_inspector_or_with_approval() {
    let app = spawn_app().await;
    let (mid, pid) = discussed(&app, "party_group", body("large_fund", "资金", Some("300000.00"))).await;
    let _ = pid;
    let path = format!("/api/v1/meetings/{mid}/record");
    for u in ["zhangwei", "sunli", "songtao"] {
        app.login(u).await.get(&path).await.ok();
    }
    let liu = app.login("liuyang").await;
    let audit = audit_count(&app).await;
    let r = liu.get(&path).await;
    assert_eq!(r.status, 403);
    r.err("R11");
    assert_eq!(audit_count(&app).await, audit, "a refused read leaves no trace but changes nothing");
    // Members see the meeting but not the statements (part of the original record).
    let m = liu.get(&format!("/api/v1/meetings/{mid}")).await.ok().clone();
    assert!(m["items"][0].get("statements").is_none());
    // A deputy may not grant; the principal's approval is recorded.
    app.login("lina").await.post(&format!("/api/v1/meetings/{mid}/record-grants"), json!({"user_id": app.user_id("liuyang"), "reason": "x"})).await.err("forbidden");
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/record-grants"), json!({"user_id": app.user_id("liuyang"), "reason": "起草情况说明需要"})).await.ok();
    let rec = liu.get(&path).await.ok().clone();
    assert_eq!(rec["items"][0]["statements"].as_array().unwrap().len(), 4);
    assert!(state(&app, &mid).await["trail"].as_array().unwrap().iter().any(|t| t["action"] == "meeting.record_grant"));
}

#[tokio::test]
async fn r11_concurrent_ballots_by_the_same_member_record_exactly_one() {
    let app = spawn_app().await;
    let (mid, pid) = discussed(&app, "party_group", body("large_fund", "资金", Some("300000.00"))).await;
    path(&app, &mid, &pid, json!({"path": "vote", "mode": "written"})).await.ok();
    let lina = app.login("lina").await;
    let url = format!("/api/v1/meetings/{mid}/items/{pid}/ballots");
    let mut handles = Vec::new();
    for i in 0..6 {
        let c = lina.clone();
        let url = url.clone();
        let choice = if i % 2 == 0 { "agree" } else { "disagree" };
        handles.push(tokio::spawn(async move { c.post(&url, json!({"choice": choice})).await }));
    }
    let mut ok = 0;
    for h in handles {
        let r = h.await.unwrap();
        if r.status == 200 {
            ok += 1;
        } else {
            assert!(r.code() == "R11" || r.code() == "conflict", "{}", r.body);
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(count_rows(&app, "ballot_participations").await, 1);
    assert_eq!(count_rows(&app, "ballots").await, 1);
}

/// Ballots that arrive together are written together (group commit, `ballot_queue`): every
/// member's first ballot is recorded, each duplicate is refused alone with R11 without
/// disturbing the others, the secret counters and opinions add up, each recorded ballot has
/// its own audit entry and the chain verifies.
#[tokio::test]
async fn r11_ballots_arriving_together_are_each_recorded_once_and_duplicates_refused_alone() {
    let app = spawn_app().await;
    let (mid, pid) = discussed(&app, "party_group", body("key_appointment", "任命办公室副主任", None)).await;
    path(&app, &mid, &pid, json!({"path": "vote"})).await.ok();
    assert_eq!(item(&state(&app, &mid).await, &pid)["mode"], "secret");
    let url = format!("/api/v1/meetings/{mid}/items/{pid}/ballots");
    let voters = ["lina", "wangqiang", "liuyang", "chenjing"];
    let mut clients = Vec::new();
    for who in voters {
        clients.push(app.login(who).await);
    }
    let before = audit_count(&app).await;
    let mut handles = Vec::new();
    for (n, c) in clients.iter().enumerate() {
        // Three at once from each member; only one of each can be recorded.
        for k in 0..3 {
            let (c, url) = (c.clone(), url.clone());
            let choice = if n == 0 { "disagree" } else { "agree" };
            let opinion = format!("意见{n}-{k}");
            handles.push(tokio::spawn(async move { (n, c.post(&url, json!({"choice": choice, "opinion": opinion})).await) }));
        }
    }
    let mut recorded = [0; 4];
    for h in handles {
        let (n, r) = h.await.unwrap();
        if r.status == 200 {
            recorded[n] += 1;
        } else {
            r.err("R11");
        }
    }
    assert_eq!(recorded, [1, 1, 1, 1], "exactly one ballot per member");
    assert_eq!(count_rows(&app, "ballot_participations").await, 4);
    assert_eq!(audit_count(&app).await, before + 4, "one audit entry per recorded ballot, none for a refusal");
    let db = app.db();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT agree, disagree, defer, abstain, opinions FROM secret_tallies".to_string()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.try_get::<i32>("", "agree").unwrap(), row.try_get::<i32>("", "disagree").unwrap()), (3, 1));
    let opinions: Vec<String> = serde_json::from_str(&row.try_get::<String>("", "opinions").unwrap()).unwrap();
    assert_eq!(opinions.len(), 4, "one opinion per recorded ballot: {opinions:?}");
    assert!(yishi::audit::verify(db).await.unwrap().ok);
    // The principal (last, R10) and the count see the same four.
    ballot(&app, &mid, &pid, "zhangwei", "agree").await.ok();
    let t = app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/close-vote"), json!({})).await.ok().clone();
    assert_eq!((t["tally"]["agree"].as_i64(), t["tally"]["disagree"].as_i64()), (Some(4), Some(1)));
    // After the close nothing more is written.
    ballot(&app, &mid, &pid, "lina", "agree").await.err("R11");
    assert_eq!(count_rows(&app, "ballot_participations").await, 5);
}

/// The event stream's text until it holds `needle`, or 10 seconds.
async fn events_until(resp: &mut reqwest::Response, needle: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains(needle) && tokio::time::Instant::now() < deadline {
        if let Ok(Ok(Some(chunk))) = tokio::time::timeout(std::time::Duration::from_secs(5), resp.chunk()).await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    seen
}

#[tokio::test]
async fn r11_live_count_reaches_the_chair_without_secret_content() {
    let app = spawn_app().await;
    let (mid, pid) = discussed(&app, "party_group", body("key_appointment", "任免", None)).await;
    path(&app, &mid, &pid, json!({"path": "secret_ballot"})).await.ok();
    let chair = app.login("zhangwei").await;
    let mut resp = chair.http.get(format!("{}/api/v1/events", chair.base)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    ballot(&app, &mid, &pid, "lina", "disagree").await.ok();
    let seen = events_until(&mut resp, "ballot_count").await;
    assert!(seen.contains("ballot_count") && seen.contains("\"ballots_cast\":1"), "{seen}");
    assert!(!seen.contains("disagree"), "secret content leaked: {seen}");
}

/// R11: ballots arriving together are counted for the chair at most ten times a second per
/// item, and the last count sent always includes the last ballot.
#[tokio::test]
async fn r11_live_count_after_ballots_arriving_together_ends_at_every_ballot() {
    let app = spawn_app().await;
    let (mid, pid) = discussed(&app, "party_group", body("key_appointment", "任免", None)).await;
    path(&app, &mid, &pid, json!({"path": "secret_ballot"})).await.ok();
    let chair = app.login("zhangwei").await;
    let mut resp = chair.http.get(format!("{}/api/v1/events", chair.base)).send().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (a, b, c, d) = tokio::join!(
        ballot(&app, &mid, &pid, "lina", "agree"),
        ballot(&app, &mid, &pid, "wangqiang", "agree"),
        ballot(&app, &mid, &pid, "liuyang", "disagree"),
        ballot(&app, &mid, &pid, "chenjing", "agree"),
    );
    for r in [a, b, c, d] {
        r.ok();
    }
    let seen = events_until(&mut resp, "\"ballots_cast\":4").await;
    assert!(seen.contains("\"ballots_cast\":4"), "the last count follows the last ballot: {seen}");
    assert!(seen.matches("ballot_count").count() <= 4, "{seen}");
}

// ---------------------------------------------------------------- R12

#[tokio::test]
async fn r12_consensus_only_when_every_present_eligible_member_agrees() {
    let app = spawn_app().await;
    let (mid, pid) = discussed(&app, "party_group", body("large_fund", "资金", Some("300000.00"))).await;
    say(&app, &mid, &pid, "zhangwei", "principal", "agree").await.ok();
    let before = state(&app, &mid).await;
    let r = path(&app, &mid, &pid, json!({"path": "consensus"})).await;
    r.err("R12");
    assert_eq!(r.body["error"]["details"]["not_agreeing"], json!([app.user_id("chenjing")]));
    let after = state(&app, &mid).await;
    assert_eq!(item(&after, &pid)["state"], "pending");
    assert_eq!(item(&after, &pid)["version"], item(&before, &pid)["version"]);
    assert_eq!(get_p(&app, &pid).await["state"], "scheduled");
}

#[tokio::test]
async fn r12_consensus_concludes_at_once_recording_each_assent() {
    let app = spawn_app().await;
    let pid = ready(&app, "huangxin", body("major_decision", "规划", None)).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid]).await;
    attend(&app, &mid, &["zhangwei", "lina", "wangqiang", "liuyang"]).await;
    app.login("sunli").await.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await.ok();
    stances(&app, &mid, &pid, &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree"), ("zhangwei", "agree")]).await;
    let it = path(&app, &mid, &pid, json!({"path": "consensus"})).await.ok().clone();
    assert_eq!(it["decision"]["outcome"], "adopted");
    assert_eq!(it["tally"]["assent"].as_array().unwrap().len(), 4);
    // No separate decision call.
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/decision"), json!({"outcome": "adopted", "text": "x"})).await.err("conflict");
    let p = get_p(&app, &pid).await;
    assert_eq!(p["state"], "decided");
    assert!(p["trail"].as_array().unwrap().iter().any(|t| t["note"].as_str().is_some_and(|n| n.contains("李娜"))));
}

#[tokio::test]
async fn r12_vote_refused_on_a_close_split_which_must_be_deferred_with_a_reason() {
    let app = spawn_app().await;
    let pid = ready(&app, "xuming", body("large_fund", "资金", Some("300000.00"))).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid]).await;
    open_all(&app, &mid).await;
    stances(&app, &mid, &pid, &[("lina", "agree"), ("wangqiang", "disagree"), ("liuyang", "agree"), ("chenjing", "disagree"), ("zhangwei", "agree")]).await;
    let r = path(&app, &mid, &pid, json!({"path": "vote", "mode": "named"})).await;
    r.err("R12");
    assert_eq!((r.body["error"]["details"]["agree"].as_i64(), r.body["error"]["details"]["disagree"].as_i64()), (Some(3), Some(2)));
    // Not urgent, not personnel: no secret ballot either.
    path(&app, &mid, &pid, json!({"path": "secret_ballot"})).await.err("R12");
    path(&app, &mid, &pid, json!({"path": "defer"})).await.err("R12");
    let m = state(&app, &mid).await;
    assert_eq!(item(&m, &pid)["state"], "pending");
    assert!(item(&m, &pid)["path"].is_null());
    assert_eq!(get_p(&app, &pid).await["state"], "scheduled");
    let it = path(&app, &mid, &pid, json!({"path": "defer", "reason": "意见分歧较大，会后充分沟通"})).await.ok().clone();
    assert_eq!(it["decision"]["outcome"], "deferred");
    let p = get_p(&app, &pid).await;
    assert_eq!(p["state"], "deferred");
    assert!(p["lapse_at"].is_string());
}

#[tokio::test]
async fn r12_secret_ballot_allowed_for_urgent_items_and_by_unit_rule() {
    let app = spawn_app().await;
    let mut b = body("large_fund", "抢险资金", Some("300000.00"));
    b["urgent"] = json!(true);
    let pid = ready(&app, "xuming", b).await;
    let other = ready(&app, "huangxin", body("major_decision", "规划", None)).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid, &other]).await;
    open_all(&app, &mid).await;
    // A close split on an urgent item is decided by secret ballot instead of deferred.
    stances(&app, &mid, &pid, &[("lina", "agree"), ("wangqiang", "disagree")]).await;
    path(&app, &mid, &pid, json!({"path": "vote"})).await.err("R12");
    assert_eq!(path(&app, &mid, &pid, json!({"path": "secret_ballot"})).await.ok()["mode"], "secret");
    path(&app, &mid, &other, json!({"path": "secret_ballot"})).await.err("R12");
    app.login("secadmin").await.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"secret_ballot_always": true})).await.ok();
    assert_eq!(path(&app, &mid, &other, json!({"path": "secret_ballot"})).await.ok()["mode"], "secret");
}

// ---------------------------------------------------------------- R13

async fn vote_two_agree(app: &TestApp, mtype: &str) -> (String, String) {
    let (mid, pid) = discussed(app, mtype, body("large_fund", "资金", Some("300000.00"))).await;
    path(app, &mid, &pid, json!({"path": "vote", "mode": "named"})).await.ok();
    for (u, c) in [("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "disagree"), ("chenjing", "abstain"), ("zhangwei", "defer")] {
        ballot(app, &mid, &pid, u, c).await.ok();
    }
    let t = app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/close-vote"), json!({})).await.ok().clone();
    assert_eq!(t["tally"]["agree"], 2);
    assert_eq!(t["majority"], false, "2 of 5 eligible is not more than half");
    (mid, pid)
}

#[tokio::test]
async fn r13_party_group_decision_must_agree_with_the_count() {
    let app = spawn_app().await;
    let (mid, pid) = vote_two_agree(&app, "party_group").await;
    let z = app.login("zhangwei").await;
    let url = format!("/api/v1/meetings/{mid}/items/{pid}/decision");
    let before = state(&app, &mid).await;
    z.post(&url, json!({"outcome": "adopted", "text": "通过"})).await.err("R13");
    z.post(&url, json!({"outcome": "adopted", "text": "通过", "override_reason": "工作需要"})).await.err("R13");
    let after = state(&app, &mid).await;
    assert_eq!(item(&after, &pid)["state"], "counted");
    assert_eq!(item(&after, &pid)["version"], item(&before, &pid)["version"]);
    assert_eq!(get_p(&app, &pid).await["state"], "voting");
    let it = z.post(&url, json!({"outcome": "rejected", "text": "未获通过"})).await.ok().clone();
    assert_eq!(it["decision"]["outcome"], "rejected");
    assert_eq!(it["proposal_state"], "rejected");
}

#[tokio::test]
async fn r13_majority_counts_eligible_should_attend_not_those_present() {
    let app = spawn_app().await;
    let pid = ready(&app, "xuming", body("large_fund", "资金", Some("300000.00"))).await;
    let mid = noticed_meeting(&app, "joint", &[&pid]).await;
    attend(&app, &mid, &["zhangwei", "lina", "wangqiang"]).await;
    app.login("sunli").await.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await.ok();
    stances(&app, &mid, &pid, &[("lina", "agree"), ("wangqiang", "agree")]).await;
    path(&app, &mid, &pid, json!({"path": "vote", "mode": "named"})).await.ok();
    for u in ["lina", "wangqiang"] {
        ballot(&app, &mid, &pid, u, "agree").await.ok();
    }
    ballot(&app, &mid, &pid, "zhangwei", "disagree").await.ok();
    // 2 of 3 present agree, but 2 is not more than half of 5 who should attend.
    let t = app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/close-vote"), json!({})).await.ok().clone();
    assert_eq!(t["majority"], false);
    assert_eq!(t["tally"]["should_attend"], 5);
    let z = app.login("zhangwei").await;
    z.post(&format!("/api/v1/meetings/{mid}/items/{pid}/decision"), json!({"outcome": "adopted", "text": "x"})).await.err("R13");
    z.post(&format!("/api/v1/meetings/{mid}/items/{pid}/decision"), json!({"outcome": "deferred", "text": "下次会议再议"})).await.ok();
    assert_eq!(get_p(&app, &pid).await["state"], "deferred");
}

#[tokio::test]
async fn r13_head_office_override_needs_a_reason_that_is_stored_for_the_minutes() {
    let app = spawn_app().await;
    let (mid, pid) = vote_two_agree(&app, "head_office").await;
    let z = app.login("zhangwei").await;
    let url = format!("/api/v1/meetings/{mid}/items/{pid}/decision");
    let r = z.post(&url, json!({"outcome": "adopted", "text": "通过"})).await;
    r.err("R13");
    assert_eq!(r.body["error"]["details"]["field"], "override_reason");
    assert_eq!(item(&state(&app, &mid).await, &pid)["state"], "counted");
    let it = z.post(&url, json!({"outcome": "adopted", "text": "同意实施", "override_reason": "汛期临近，必须立即实施"})).await.ok().clone();
    assert_eq!(it["decision"]["override_reason"], "汛期临近，必须立即实施");
    let row = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            app.db().get_database_backend(),
            format!("SELECT override_reason, outcome FROM meeting_items WHERE meeting_id = '{mid}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "override_reason").unwrap(), "汛期临近，必须立即实施");
    assert_eq!(get_p(&app, &pid).await["state"], "decided");
}

#[tokio::test]
async fn r13_deferred_item_lapses_after_the_unit_period() {
    let app = spawn_app().await;
    app.login("secadmin").await.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"deferral_lapse_days": 30})).await.ok();
    let (mid, pid) = discussed(&app, "party_group", body("large_fund", "资金", Some("300000.00"))).await;
    path(&app, &mid, &pid, json!({"path": "defer", "reason": "补充材料"})).await.ok();
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/close"), json!({})).await.ok();
    app.advance_days(29).await;
    assert_eq!(get_p(&app, &pid).await["state"], "deferred");
    app.advance_days(2).await;
    assert_eq!(get_p(&app, &pid).await["state"], "lapsed");
    let list = app.login("songtao").await.get(&format!("/api/v1/units/{}/proposals?state=lapsed", app.unit())).await.ok().clone();
    assert_eq!(list["items"][0]["id"], pid);
    let deferred = app.login("songtao").await.get(&format!("/api/v1/units/{}/proposals?state=deferred", app.unit())).await.ok().clone();
    assert!(deferred["items"].as_array().unwrap().is_empty());
    // A lapsed item cannot be put on a new agenda.
    let clerk = app.login("sunli").await;
    clerk.post(&format!("/api/v1/units/{}/meetings", app.unit()), meeting_body(&app, "party_group", &[&pid]).await).await.err("R06");
    // The job scheduled at the deferral persists the lapse (the runner picks it up once due).
    let stored = || async {
        let row = app
            .db()
            .query_one_raw(sea_orm::Statement::from_string(app.db().get_database_backend(), format!("SELECT state FROM proposals WHERE id = '{pid}'")))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<String>("", "state").unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while stored().await != "lapsed" && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(stored().await, "lapsed", "the lapse job ran");
    assert!(get_p(&app, &pid).await["trail"].as_array().unwrap().iter().any(|t| t["action"] == "proposal.lapse"));
    // Running it again changes nothing (idempotent).
    let again = yishi::deliberation::run_job(&app.state, yishi::deliberation::LAPSE_JOB, &json!({"proposal_id": pid})).await.unwrap();
    assert_eq!(again["lapsed"], false);
}

#[tokio::test]
async fn r13_deferred_item_can_be_redeliberated_before_it_lapses() {
    let app = spawn_app().await;
    let (mid, pid) = discussed(&app, "party_group", body("large_fund", "资金", Some("300000.00"))).await;
    path(&app, &mid, &pid, json!({"path": "defer", "reason": "补充材料"})).await.ok();
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/close"), json!({})).await.ok();
    let mid2 = noticed_meeting(&app, "party_group", &[&pid]).await;
    assert_eq!(get_p(&app, &pid).await["state"], "scheduled");
    open_all(&app, &mid2).await;
    path_and_decide_consensus(&app, &mid2, &pid).await;
    let p = get_p(&app, &pid).await;
    assert_eq!(p["state"], "decided");
    assert!(p["lapse_at"].is_null());
}

// ---------------------------------------------------------------- whole flow

#[tokio::test]
async fn happy_path_from_draft_to_decided_with_tasks() {
    let app = spawn_app().await;
    let mut b = body("large_fund", "购置执法车辆", Some("480000.00"));
    b["needs_superior_approval"] = json!(false);
    let id = create(&app, "xuming", b).await;
    let x = app.login("xuming").await;
    let tasks = |u: &'static str| {
        let app = &app;
        async move { app.login(u).await.get("/api/v1/me/tasks").await.ok().clone() }
    };
    let has = |t: &Value, kind: &str, oid: &str| t["items"].as_array().unwrap().iter().any(|i| i["kind"] == kind && i["object_id"] == oid);
    assert!(has(&tasks("xuming").await, "submit_proposal", &id));
    x.post(&format!("/api/v1/proposals/{id}/submit"), json!({})).await.ok();
    assert!(has(&tasks("lina").await, "approve_submission", &id));
    assert!(!has(&tasks("wangqiang").await, "approve_submission", &id));
    app.login("lina").await.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": true, "opinion": "同意"})).await.ok();
    assert!(has(&tasks("zhangwei").await, "premeeting_decision", &id));
    app.login("zhangwei").await.post(&format!("/api/v1/proposals/{id}/premeeting-decision"), json!({"decision": "to_meeting", "reason": "上会"})).await.ok();
    assert!(has(&tasks("sunli").await, "schedule_proposal", &id));
    let clerk = app.login("sunli").await;
    let mid = clerk.post(&format!("/api/v1/units/{}/meetings", app.unit()), meeting_body(&app, "party_group", &[&id]).await).await.ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(has(&tasks("sunli").await, "send_notice", &mid));
    clerk.post(&format!("/api/v1/meetings/{mid}/notice"), json!({})).await.ok();
    open_all(&app, &mid).await;
    say(&app, &mid, &id, "xuming", "presenter", "none").await.ok();
    stances(&app, &mid, &id, &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree"), ("chenjing", "disagree"), ("zhangwei", "agree")]).await;
    path(&app, &mid, &id, json!({"path": "vote", "mode": "named"})).await.ok();
    assert_eq!(get_p(&app, &id).await["state"], "voting");
    assert!(has(&tasks("liuyang").await, "vote", &mid));
    for (u, c) in [("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree"), ("chenjing", "disagree"), ("zhangwei", "agree")] {
        ballot(&app, &mid, &id, u, c).await.ok();
    }
    assert!(!has(&tasks("liuyang").await, "vote", &mid));
    let t = app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{id}/close-vote"), json!({})).await.ok().clone();
    assert_eq!(t["tally"], json!({"agree": 4, "disagree": 1, "defer": 0, "abstain": 0, "eligible": 5, "should_attend": 5, "cast": 5, "present_eligible": 5, "majority": true}));
    assert!(has(&tasks("zhangwei").await, "decide", &mid));
    let it = app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{id}/decision"), json!({"outcome": "adopted", "text": "同意购置"})).await.ok().clone();
    assert_eq!(it["proposal_state"], "decided");
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/close"), json!({})).await.ok();
    let p = get_p(&app, &id).await;
    assert_eq!(p["state"], "decided");
    assert_eq!(p["outcome"], "adopted");
    assert_eq!(p["decision_text"], "同意购置");
    assert!(p["links"].as_array().unwrap().iter().any(|l| l["object_type"] == "meeting" && l["object_id"] == mid));
    let actions: Vec<&str> = p["trail"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["proposal.create", "proposal.submit", "proposal.submission_approve", "proposal.register", "proposal.premeeting_decision", "proposal.schedule", "proposal.vote_open", "proposal.adopt"]
    );
    let m = state(&app, &mid).await;
    assert_eq!(m["state"], "closed");
    // The audit chain is intact after the whole flow.
    let v = app.login("auditor").await.get("/api/v1/audit/verify").await.ok().clone();
    assert_eq!(v["ok"], true);
}

#[tokio::test]
async fn adoption_of_a_flagged_item_waits_for_the_superior() {
    let app = spawn_app().await;
    let mut b = body("major_project", "报市政府批准的项目", None);
    b["needs_superior_approval"] = json!(true);
    let pid = ready(&app, "huangxin", b).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid]).await;
    open_all(&app, &mid).await;
    path_and_decide_consensus_any(&app, &mid, &pid).await;
    assert_eq!(get_p(&app, &pid).await["state"], "pending_superior");
}

async fn path_and_decide_consensus_any(app: &TestApp, mid: &str, pid: &str) {
    stances(app, mid, pid, &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree"), ("chenjing", "agree"), ("zhangwei", "agree")]).await;
    path(app, mid, pid, json!({"path": "consensus"})).await.ok();
}

#[tokio::test]
async fn proposals_are_visible_only_to_participants() {
    let app = spawn_app().await;
    let id = create(&app, "xuming", body("large_fund", "资金", Some("300000.00"))).await;
    for u in ["xuming", "wuhua", "lina", "zhangwei", "sunli", "songtao", "zhaomin"] {
        app.login(u).await.get(&format!("/api/v1/proposals/{id}")).await.ok();
    }
    for u in ["huangxin", "zhoujie", "liuyang", "wangqiang"] {
        app.login(u).await.get(&format!("/api/v1/proposals/{id}")).await.err("not_found");
    }
    app.login("hejun").await.get(&format!("/api/v1/proposals/{id}")).await.err("forbidden");
    let list = app.login("huangxin").await.get(&format!("/api/v1/units/{}/proposals", app.unit())).await.ok().clone();
    assert!(list["items"].as_array().unwrap().is_empty());
    let list = app.login("xuming").await.get(&format!("/api/v1/units/{}/proposals?state=draft", app.unit())).await.ok().clone();
    assert_eq!(list["items"][0]["id"], id);
}

#[tokio::test]
async fn demo_seeds_proposals_and_meetings_in_several_states() {
    let app = spawn_app().await;
    yishi::deliberation::demo::seed(&app.state, &app.org).await.unwrap();
    let list = app.login("songtao").await.get(&format!("/api/v1/units/{}/proposals", app.unit())).await.ok().clone();
    let mut states: Vec<String> = list["items"].as_array().unwrap().iter().map(|p| p["state"].as_str().unwrap().to_string()).collect();
    states.sort();
    states.dedup();
    for s in ["decided", "draft", "ready", "returned", "scheduled", "submitted"] {
        assert!(states.iter().any(|x| x == s), "{s} missing from {states:?}");
    }
    let meetings = app.login("songtao").await.get(&format!("/api/v1/units/{}/meetings", app.unit())).await.ok().clone();
    let ms: Vec<&str> = meetings["items"].as_array().unwrap().iter().map(|m| m["state"].as_str().unwrap()).collect();
    assert!(ms.contains(&"noticed") && ms.contains(&"closed"), "{ms:?}");
}

#[tokio::test]
async fn r11_meeting_closes_only_when_every_agenda_item_has_a_conclusion() {
    let app = spawn_app().await;
    let a = ready(&app, "xuming", body("large_fund", "资金", Some("300000.00"))).await;
    let b = ready(&app, "huangxin", body("major_decision", "规划", None)).await;
    let mid = noticed_meeting(&app, "party_group", &[&a, &b]).await;
    open_all(&app, &mid).await;
    path_and_decide_consensus(&app, &mid, &a).await;
    let z = app.login("zhangwei").await;
    let before = state(&app, &mid).await;
    let r = z.post(&format!("/api/v1/meetings/{mid}/close"), json!({})).await;
    r.err("R11");
    assert_eq!(r.body["error"]["details"]["open_items"][0]["proposal_id"], b);
    let after = state(&app, &mid).await;
    assert_eq!(after["state"], "open");
    assert_eq!(after["version"], before["version"]);
    // Only the chair closes.
    app.login("sunli").await.post(&format!("/api/v1/meetings/{mid}/close"), json!({})).await.err("forbidden");
    path(&app, &mid, &b, json!({"path": "defer", "reason": "时间关系，下次会议研究"})).await.ok();
    assert_eq!(z.post(&format!("/api/v1/meetings/{mid}/close"), json!({})).await.ok()["state"], "closed");
    assert_eq!(get_p(&app, &b).await["state"], "deferred");
}

#[tokio::test]
async fn r04_backup_of_an_absent_deputy_approves_on_their_behalf() {
    let app = spawn_app().await;
    app.login("secadmin").await.put(&format!("/api/v1/units/{}/members/{}/backup", app.unit(), app.user_id("lina")), json!({"backup_user_id": app.user_id("wangqiang")})).await.ok();
    let id = create(&app, "xuming", body("large_fund", "设备采购", Some("350000.00"))).await;
    app.login("xuming").await.post(&format!("/api/v1/proposals/{id}/submit"), json!({})).await.ok();
    let w = app.login("wangqiang").await;
    // While 李娜 is present her backup has no say (and cannot see the proposal).
    w.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": true, "opinion": "同意"})).await.err("not_found");
    assert_eq!(get_p(&app, &id).await["state"], "submitted");
    let today = local_date(app.state.clock.now()).to_string();
    app.login("lina").await.post(&format!("/api/v1/units/{}/absences", app.unit()), json!({"from": today, "to": today, "reason": "出差"})).await.ok();
    let tasks = w.get("/api/v1/me/tasks").await.ok().clone();
    let t = tasks["items"].as_array().unwrap().iter().find(|t| t["kind"] == "approve_submission" && t["object_id"] == id).cloned().unwrap();
    assert_eq!(t["on_behalf_of"], app.user_id("lina"));
    w.get(&format!("/api/v1/proposals/{id}")).await.ok();
    let p = w.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": true, "opinion": "代李娜同志审核：同意"})).await.ok().clone();
    assert_eq!(p["state"], "preconsult");
    let e = p["trail"].as_array().unwrap().iter().find(|t| t["action"] == "proposal.submission_approve").unwrap();
    assert_eq!(e["actor_id"], app.user_id("wangqiang"));
    assert_eq!(e["on_behalf_of"], app.user_id("lina"));
}

/// The ballot route's gate reads the meeting's unit, the caller's membership there and the
/// item in one statement (`Scope::Preload`, `voting::preload_ballot`). A member of another
/// unit, an unknown meeting and a proposal that is not on the agenda all answer 404, and
/// nothing is stored; the unit's own member then votes through the same statement.
#[tokio::test]
async fn r08_ballot_gate_answers_404_outside_the_unit_and_for_items_not_on_the_agenda() {
    let app = spawn_app().await;
    let pid = ready(&app, "xuming", body("large_fund", "资金", Some("300000.00"))).await;
    let elsewhere = ready(&app, "xuming", body("large_fund", "另一项资金", Some("200000.00"))).await;
    let mid = noticed_meeting(&app, "party_group", &[&pid]).await;
    attend(&app, &mid, &["zhangwei", "lina", "wangqiang", "liuyang"]).await;
    app.login("sunli").await.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await.ok();
    stances(&app, &mid, &pid, &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree")]).await;
    path(&app, &mid, &pid, json!({"path": "vote", "mode": "named"})).await.ok();
    yishi::demo::seed_org(&app.state.db, app.state.clock.now(), "乙").await.unwrap();
    app.state.authz.reload(app.db()).await.unwrap();
    // Signed in first: a sign-in is audited too.
    let outsider = app.login("lina乙").await;
    let lina = app.login("lina").await;
    let (before, audit_before) = (count_rows(&app, "ballot_participations").await, count_rows(&app, "audit_log").await);
    // A leadership member of the other unit holds the ballot permission there, not here.
    let vote = |m: &str, p: &str| format!("/api/v1/meetings/{m}/items/{p}/ballots");
    outsider.post(&vote(&mid, &pid), json!({"choice": "agree"})).await.err("not_found");
    lina.post(&vote("no-such-meeting", &pid), json!({"choice": "agree"})).await.err("not_found");
    lina.post(&vote(&mid, &elsewhere), json!({"choice": "agree"})).await.err("not_found");
    assert_eq!(count_rows(&app, "ballot_participations").await, before);
    assert_eq!(count_rows(&app, "audit_log").await, audit_before);
    let receipt = lina.post(&vote(&mid, &pid), json!({"choice": "agree"})).await.ok().clone();
    assert_eq!(receipt["recorded"], true);
    assert_eq!(count_rows(&app, "ballot_participations").await, before + 1);
}

/// The rows a member's ballot was checked on, as the ballot gate keeps them (item state, roles).
fn kept(app: &TestApp, mid: &str, pid: &str, who: &str) -> Option<(String, String)> {
    app.state.ballots.gate.get(mid, pid, &app.user_id(who)).map(|(rows, member)| (rows.0.state.clone(), member.0))
}

#[tokio::test]
async fn r11_ballots_checked_on_kept_rows_are_refused_and_accepted_only_on_fresh_rows() {
    let app = spawn_app().await;
    let (mid, pid) = discussed(&app, "party_group", body("large_fund", "资金", Some("300000.00"))).await;
    // (Each `ballot` signs in, which is audited too: participations and ballots are counted.)
    let counts = || async { (count_rows(&app, "ballot_participations").await, count_rows(&app, "ballots").await) };
    // Before the vote opens: refused (R11), and the rows the gate read are kept.
    let before = counts().await;
    for u in ["liuyang", "lina"] {
        ballot(&app, &mid, &pid, u, "agree").await.err("R11");
        assert_eq!(kept(&app, &mid, &pid, u).map(|k| k.0).as_deref(), Some("pending"));
    }
    assert_eq!(counts().await, before);
    path(&app, &mid, &pid, json!({"path": "vote", "mode": "named"})).await.ok();
    // The kept rows still say "pending": the refusal they lead to is decided again on fresh
    // rows, which say "voting", so the ballot is recorded.
    assert_eq!(kept(&app, &mid, &pid, "liuyang").map(|k| k.0).as_deref(), Some("pending"));
    ballot(&app, &mid, &pid, "liuyang", "agree").await.ok();
    assert_eq!(counts().await, (before.0 + 1, before.1 + 1));
    // Now the kept rows say "voting"; the vote is closed, and lina's ballot, checked on those
    // rows, is found changed by the writer, checked again on fresh rows and refused (R11).
    assert_eq!(kept(&app, &mid, &pid, "lina").map(|k| k.0).as_deref(), Some("voting"));
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/close-vote"), json!({})).await.ok();
    let closed = counts().await;
    let r = ballot(&app, &mid, &pid, "lina", "agree").await;
    r.err("R11");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("表决已结束"), "{}", r.body);
    assert_eq!(counts().await, closed);
}

#[tokio::test]
async fn r08_ballot_by_a_member_whose_roles_changed_is_checked_again_on_fresh_rows() {
    let app = spawn_app().await;
    let (mid, pid) = discussed(&app, "party_group", body("large_fund", "资金", Some("300000.00"))).await;
    ballot(&app, &mid, &pid, "lina", "agree").await.err("R11");
    assert_eq!(kept(&app, &mid, &pid, "lina").map(|k| k.1).as_deref(), Some("[\"deputy\"]"));
    path(&app, &mid, &pid, json!({"path": "vote", "mode": "named"})).await.ok();
    // liuyang's ballot reads the item afresh ("voting") and the gate keeps it.
    ballot(&app, &mid, &pid, "liuyang", "agree").await.ok();
    assert_eq!(kept(&app, &mid, &pid, "lina"), Some(("voting".into(), "[\"deputy\"]".into())));
    // lina's roles change; the gate still keeps the old ones, and her ballot is checked on
    // them. The writer finds the membership changed, and the ballot is checked again and
    // recorded on fresh rows.
    app.login("secadmin").await.put(&format!("/api/v1/units/{}/members/{}", app.unit(), app.user_id("lina")), json!({"roles": ["member"]})).await.ok();
    let before = count_rows(&app, "ballot_participations").await;
    ballot(&app, &mid, &pid, "lina", "agree").await.ok();
    assert_eq!(count_rows(&app, "ballot_participations").await, before + 1);
    assert_eq!(kept(&app, &mid, &pid, "lina").map(|k| k.1).as_deref(), Some("[\"member\"]"));
}
