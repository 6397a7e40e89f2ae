//! Supervision over HTTP: the compliance report (S02) on deliberations run through the API
//! and on violations written straight into the database (which the API would refuse), its
//! filters and CSV export; threshold-splitting flags (S03) with their boundaries, the
//! principal's to-do list, acknowledgement and the hourly sweep (R46).
//! Demo people: xuming (finance handler, deputy 李娜 lina), zhangwei principal, sunli clerk,
//! songtao inspector, hejun staff, mali office handler, zhaomin office director.
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use yishi::store::entities::{incoming_documents, meeting_items, meetings, outgoing_documents, oversight_flags};
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

fn body(category: &str, title: &str, amount: Option<&str>, payee: &str) -> Value {
    let mut b = json!({
        "category": category,
        "title": title,
        "materials": {"topic": format!("研究{title}"), "background": "基本情况。", "research": "调研论证。", "recommendation": "处理建议。"},
        "flags": {},
    });
    if let Some(a) = amount {
        b["amount"] = json!(a);
        b["payee"] = json!(payee);
    }
    b
}

async fn create(app: &TestApp, proposer: &str, b: Value) -> String {
    let r = app.login(proposer).await.post(&format!("/api/v1/units/{}/proposals", app.unit()), b).await;
    r.ok()["id"].as_str().unwrap().to_string()
}

/// draft → ready (finance handler xuming, deputy lina).
async fn ready(app: &TestApp, b: Value) -> String {
    let id = create(app, "xuming", b).await;
    app.login("xuming").await.post(&format!("/api/v1/proposals/{id}/submit"), json!({})).await.ok();
    app.login("lina").await.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": true, "opinion": "同意"})).await.ok();
    let r = app.login("zhangwei").await.post(&format!("/api/v1/proposals/{id}/premeeting-decision"), json!({"decision": "to_meeting", "reason": "提交会议"})).await;
    assert_eq!(r.ok()["state"], "ready");
    id
}

async fn noticed_meeting(app: &TestApp, mtype: &str, agenda: &[&str]) -> String {
    let cal = yishi::org::calendar(app.db(), app.unit()).await.unwrap();
    let day = cal.earliest_meeting_date(local_date(app.state.clock.now()));
    let b = json!({"type": mtype, "title": "测试会议", "starts_at": at_local(day, 9, 0).to_rfc3339(), "location": "三楼会议室", "agenda": agenda, "attendees": []});
    let clerk = app.login("sunli").await;
    let mid = clerk.post(&format!("/api/v1/units/{}/meetings", app.unit()), b).await.ok()["id"].as_str().unwrap().to_string();
    clerk.post(&format!("/api/v1/meetings/{mid}/notice"), json!({})).await.ok();
    mid
}

async fn open_all(app: &TestApp, mid: &str) {
    let clerk = app.login("sunli").await;
    for u in MEMBERS {
        clerk.put(&format!("/api/v1/meetings/{mid}/attendance/{}", app.user_id(u)), json!({"status": "present"})).await.ok();
    }
    clerk.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await.ok();
}

async fn say(app: &TestApp, mid: &str, pid: &str, who: &str, stance: &str) {
    let role = match who {
        "zhangwei" => "principal",
        "lina" | "wangqiang" => "deputy",
        _ => "member",
    };
    app.login("sunli")
        .await
        .post(&format!("/api/v1/meetings/{mid}/items/{pid}/statements"), json!({"speaker_id": app.user_id(who), "role": role, "stance": stance, "text": format!("{who} 发言")}))
        .await
        .ok();
}

/// A meeting of `mtype` with one fund item voted by name: `ballots` in order (principal last).
async fn voted(app: &TestApp, mtype: &str, ballots: &[(&str, &str)]) -> (String, String) {
    let pid = ready(app, body("large_fund", "购置执法车辆", Some("300000.00"), "示例市汽车销售公司")).await;
    let mid = noticed_meeting(app, mtype, &[&pid]).await;
    open_all(app, &mid).await;
    for (u, s) in [("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree"), ("chenjing", "none"), ("zhangwei", "agree")] {
        say(app, &mid, &pid, u, s).await;
    }
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/vote"), json!({"path": "vote", "mode": "named"})).await.ok();
    for (u, c) in ballots {
        app.login(u).await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/ballots"), json!({"choice": c})).await.ok();
    }
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/close-vote"), json!({})).await.ok();
    (mid, pid)
}

async fn compliance(app: &TestApp, who: &str, query: &str) -> Value {
    app.login(who).await.get(&format!("/api/v1/units/{}/compliance{query}", app.unit())).await.ok().clone()
}

fn meeting_entry<'a>(r: &'a Value, mid: &str) -> &'a Value {
    r["deliberations"].as_array().unwrap().iter().find(|e| e["meeting_id"] == mid).unwrap_or_else(|| panic!("meeting {mid} not in {r}"))
}

fn check<'a>(entry: &'a Value, rule: &str, check: &str) -> &'a Value {
    entry["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == rule && c["check"] == check)
        .unwrap_or_else(|| panic!("no {rule}/{check} in {}", entry["checks"]))
}

// ---------------------------------------------------------------- S02

#[tokio::test]
async fn s02_clean_deliberation_passes_every_check_and_only_red_hides_it() {
    let app = spawn_app().await;
    let all_agree = [("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree"), ("chenjing", "agree"), ("zhangwei", "agree")];
    let (mid, pid) = voted(&app, "party_group", &all_agree).await;
    app.login("zhangwei").await.post(&format!("/api/v1/meetings/{mid}/items/{pid}/decision"), json!({"outcome": "adopted", "text": "同意购置"})).await.ok();
    let r = compliance(&app, "songtao", "").await;
    let e = meeting_entry(&r, &mid);
    for (rule, c) in [("R06", "notice_period"), ("R08", "quorum_opening"), ("R08", "quorum_item"), ("R09", "recusal"), ("R10", "principal_last"), ("R11", "ballots"), ("R12", "path"), ("R13", "decision")] {
        assert_eq!(check(e, rule, c)["status"], "passed", "{rule}/{c}: {}", check(e, rule, c));
    }
    assert_eq!(e["status"], "passed");
    assert_eq!(e["items"][0]["proposal_id"], pid);
    assert!(check(e, "R11", "ballots")["evidence"].as_array().unwrap().iter().any(|x| x["type"] == "proposal" && x["id"] == pid));
    assert_eq!(r["summary"]["violated"], 0);
    assert_eq!(r["unit_checks"][0]["checks"].as_array().unwrap().iter().filter(|c| c["status"] == "passed").count(), 2, "serials and audit chain");
    // Nothing red: the red-only view is empty.
    let red = compliance(&app, "songtao", "?only_red=true").await;
    assert!(red["deliberations"].as_array().unwrap().is_empty(), "{red}");
    assert!(red["unit_checks"].as_array().unwrap().is_empty());
    assert_eq!(red["summary"]["red_flags"], 0);
    assert_eq!(red["summary"]["passed"], r["summary"]["passed"], "the summary counts every check, also in the red-only view");
    // The principal may look too; a staff member and the clerk may not.
    compliance(&app, "zhangwei", "").await;
    app.login("hejun").await.get(&format!("/api/v1/units/{}/compliance", app.unit())).await.err("forbidden");
    app.login("sunli").await.get(&format!("/api/v1/units/{}/compliance", app.unit())).await.err("forbidden");
    // Every look at the report is on the audit record.
    let inspector = app.login("songtao").await;
    let n = audit_count(&app).await;
    inspector.get(&format!("/api/v1/units/{}/compliance", app.unit())).await.ok();
    assert_eq!(audit_count(&app).await, n + 1);
}

#[tokio::test]
async fn s02_head_override_with_reason_is_a_red_flag_and_without_reason_a_violation_found_in_the_stored_facts() {
    let app = spawn_app().await;
    // 2 of 5 agree: no majority; the head adopts anyway, with a reason (allowed, R13).
    let (mid, pid) = voted(&app, "head_office", &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "disagree"), ("chenjing", "abstain"), ("zhangwei", "defer")]).await;
    app.login("zhangwei")
        .await
        .post(&format!("/api/v1/meetings/{mid}/items/{pid}/decision"), json!({"outcome": "adopted", "text": "同意实施", "override_reason": "汛期临近，必须立即实施"}))
        .await
        .ok();
    let r = compliance(&app, "songtao", "").await;
    let c = check(meeting_entry(&r, &mid), "R13", "decision");
    assert_eq!(c["status"], "warning", "{c}");
    assert!(c["message"].as_str().unwrap().contains("汛期临近，必须立即实施"));
    // Someone removes the reason directly in the database: the API would never allow that.
    meeting_items::Entity::update_many()
        .col_expr(meeting_items::Column::OverrideReason, Option::<String>::None.into())
        .filter(meeting_items::Column::MeetingId.eq(mid.clone()))
        .exec(app.db())
        .await
        .unwrap();
    let r = compliance(&app, "songtao", "?only_red=true").await;
    let e = meeting_entry(&r, &mid);
    let c = check(e, "R13", "decision");
    assert_eq!(c["status"], "violated", "{c}");
    assert!(c["message"].as_str().unwrap().contains("未记录理由"));
    assert_eq!(e["status"], "violated");
    assert!(e["checks"].as_array().unwrap().iter().all(|c| c["status"] != "passed"), "only red checks listed");
    assert!(r["summary"]["violated"].as_u64().unwrap() >= 1);
    // A tally rewritten in the database no longer matches the ballots (R11).
    let tally = json!({"agree": 4, "disagree": 0, "defer": 0, "abstain": 1, "eligible": 5, "should_attend": 5}).to_string();
    meeting_items::Entity::update_many()
        .col_expr(meeting_items::Column::Tally, Some(tally).into())
        .filter(meeting_items::Column::MeetingId.eq(mid.clone()))
        .exec(app.db())
        .await
        .unwrap();
    let r = compliance(&app, "songtao", "?rule=R11").await;
    let e = meeting_entry(&r, &mid);
    let c = check(e, "R11", "ballots");
    assert_eq!(c["status"], "violated");
    assert!(c["message"].as_str().unwrap().contains("不符"), "{c}");
    assert!(e["checks"].as_array().unwrap().iter().all(|c| c["rule"] == "R11"), "rule filter");
}

#[tokio::test]
async fn s02_shortened_notice_without_reason_inserted_in_the_database_is_a_violation() {
    let app = spawn_app().await;
    let (mid, _pid) = voted(&app, "party_group", &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree"), ("chenjing", "agree"), ("zhangwei", "agree")]).await;
    assert_eq!(check(meeting_entry(&compliance(&app, "songtao", "").await, &mid), "R06", "notice_period")["status"], "passed");
    let m = meetings::Entity::find_by_id(mid.clone()).one(app.db()).await.unwrap().unwrap();
    let late = m.starts_at - Duration::hours(2);
    meetings::Entity::update_many()
        .col_expr(meetings::Column::NoticeSentAt, Some(late).into())
        .col_expr(meetings::Column::UrgencyReason, Option::<String>::None.into())
        .filter(meetings::Column::Id.eq(mid.clone()))
        .exec(app.db())
        .await
        .unwrap();
    let c = check(meeting_entry(&compliance(&app, "songtao", "").await, &mid), "R06", "notice_period").clone();
    assert_eq!(c["status"], "violated", "{c}");
    assert!(c["message"].as_str().unwrap().contains("未记录紧急事由"));
    assert_eq!(c["evidence"][0]["link"], format!("/api/v1/meetings/{mid}"));
    // With a recorded reason it is allowed but shown to the inspector.
    meetings::Entity::update_many()
        .col_expr(meetings::Column::UrgencyReason, Some("汛情紧急".to_string()).into())
        .filter(meetings::Column::Id.eq(mid.clone()))
        .exec(app.db())
        .await
        .unwrap();
    let c = check(meeting_entry(&compliance(&app, "songtao", "").await, &mid), "R06", "notice_period").clone();
    assert_eq!(c["status"], "warning");
    assert!(c["message"].as_str().unwrap().contains("汛情紧急"));
}

#[tokio::test]
async fn s02_principal_ballot_moved_before_the_others_and_a_recused_voter_are_found() {
    let app = spawn_app().await;
    let (mid, pid) = voted(&app, "party_group", &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "agree"), ("chenjing", "agree"), ("zhangwei", "agree")]).await;
    // The principal's ballot re-dated to before everyone else's (R10), directly in the database.
    let early = app.state.clock.now() - Duration::hours(3);
    let backend = app.db().get_database_backend();
    let stmt = sea_orm::Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => "UPDATE ballots SET cast_at = $1 WHERE voter_id = $2 AND meeting_id = $3",
            _ => "UPDATE ballots SET cast_at = ? WHERE voter_id = ? AND meeting_id = ?",
        },
        [early.into(), app.user_id("zhangwei").into(), mid.clone().into()],
    );
    app.db().execute_raw(stmt).await.unwrap();
    // And chenjing declared afterwards to have had a conflict on the item (R09).
    let conflicts = json!([app.user_id("chenjing")]).to_string();
    let stmt = sea_orm::Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => "UPDATE proposals SET conflicts = $1 WHERE id = $2",
            _ => "UPDATE proposals SET conflicts = ? WHERE id = ?",
        },
        [conflicts.into(), pid.clone().into()],
    );
    app.db().execute_raw(stmt).await.unwrap();
    let r = compliance(&app, "songtao", "?only_red=true").await;
    let e = meeting_entry(&r, &mid);
    let r10 = check(e, "R10", "principal_last");
    assert_eq!(r10["status"], "violated");
    assert!(r10["message"].as_str().unwrap().contains("未最后投票"), "{r10}");
    let r09 = check(e, "R09", "recusal");
    assert_eq!(r09["status"], "violated");
    // Messages name people, not ids.
    assert!(r09["message"].as_str().unwrap().contains("陈静"), "{r09}");
    assert!(!r09["message"].as_str().unwrap().contains(&app.user_id("chenjing")));
}

#[tokio::test]
async fn s02_filters_and_csv_export() {
    let app = spawn_app().await;
    let (mid, pid) = voted(&app, "head_office", &[("lina", "agree"), ("wangqiang", "agree"), ("liuyang", "disagree"), ("chenjing", "abstain"), ("zhangwei", "defer")]).await;
    app.login("zhangwei")
        .await
        .post(&format!("/api/v1/meetings/{mid}/items/{pid}/decision"), json!({"outcome": "adopted", "text": "同意", "override_reason": "=上级要求"}))
        .await
        .ok();
    let today = local_date(app.state.clock.now());
    let meeting_day = local_date(meetings::Entity::find_by_id(mid.clone()).one(app.db()).await.unwrap().unwrap().starts_at);
    // Date range.
    let r = compliance(&app, "songtao", &format!("?from={meeting_day}&to={meeting_day}")).await;
    assert_eq!(r["deliberations"].as_array().unwrap().len(), 1);
    let before = today - chrono::Days::new(30);
    let r = compliance(&app, "songtao", &format!("?to={before}")).await;
    assert!(r["deliberations"].as_array().unwrap().is_empty());
    // Category and kind.
    let r = compliance(&app, "songtao", "?category=key_appointment").await;
    assert!(r["deliberations"].as_array().unwrap().is_empty());
    assert!(r["documents"].as_array().unwrap().is_empty());
    let r = compliance(&app, "songtao", "?category=large_fund&kind=deliberations").await;
    assert_eq!(r["deliberations"].as_array().unwrap().len(), 1);
    assert!(r["unit_checks"].as_array().unwrap().is_empty() && r["proposals"].as_array().unwrap().is_empty());
    // Bad filters are named.
    let c = app.login("songtao").await;
    let bad = c.get(&format!("/api/v1/units/{}/compliance?from=2026-02-30", app.unit())).await;
    assert_eq!(bad.err("invalid")["error"]["details"]["field"], "from");
    c.get(&format!("/api/v1/units/{}/compliance?category=cars", app.unit())).await.err("invalid");
    c.get(&format!("/api/v1/units/{}/compliance?format=xml", app.unit())).await.err("invalid");
    // CSV: BOM, header, one row per check, formula-looking text defused.
    let (status, headers, bytes) = c.get_bytes(&format!("/api/v1/units/{}/compliance?format=csv&only_red=true", app.unit())).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(headers["content-disposition"].to_str().unwrap().contains("attachment"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with('\u{feff}'));
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].contains("规则") && lines[0].contains("结果"));
    let r13 = lines.iter().find(|l| l.contains("\"R13\"")).unwrap_or_else(|| panic!("{text}"));
    assert!(r13.contains("提示") && r13.contains("购置执法车辆"), "{r13}");
    assert!(r13.contains("'=上级要求") || !r13.contains("\"=上级要求"), "formula defused: {r13}");
    assert!(!text.contains("\"合规\""), "only red rows");
}

// ---------------------------------------------------------------- S02 documents

fn outgoing_row(app: &TestApp, form: &str, drafter: &str, signer: &str, amount_fen: Option<i64>, no: i64) -> outgoing_documents::ActiveModel {
    let now = app.state.clock.now();
    outgoing_documents::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        unit_id: Set(app.unit().to_string()),
        drafter_id: Set(app.user_id(drafter)),
        main_section_id: Set(app.section("office")),
        title: Set("关于采购办公设备的通知".into()),
        doc_type: Set("notice".into()),
        issuing_form: Set(form.into()),
        series: Set("办发".into()),
        recipients: Set(json!({"main": ["各处室"], "cc": []}).to_string()),
        body: Set("[]".into()),
        urgency: Set("normal".into()),
        secrecy: Set("none".into()),
        amount_fen: Set(amount_fen),
        payee: Set(amount_fen.map(|_| "某办公设备公司".to_string())),
        signoff_leader_id: Set(None),
        joint_departments: Set("[]".into()),
        state: Set("signed".into()),
        paused_from: Set(None),
        pause_reason: Set(None),
        returned_at: Set(None),
        body_version: Set(1),
        number: Set(Some(format!("X国土办发〔2026〕{no}号"))),
        number_no: Set(Some(no)),
        year: Set(Some(2026)),
        content_sha256: Set(Some("0".repeat(64))),
        signed_by: Set(Some(app.user_id(signer))),
        signed_on_behalf_of: Set(None),
        signed_at: Set(Some(now)),
        signoff_opinion: Set(Some("同意".into())),
        linked_proposal_id: Set(None),
        issued_by: Set(None),
        issued_at: Set(None),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
}

fn doc_entry<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["documents"].as_array().unwrap().iter().find(|e| e["object_id"] == id).unwrap_or_else(|| panic!("{id} not in {}", r["documents"]))
}

#[tokio::test]
async fn s02_d07_d12_r01_document_signed_by_its_own_drafter_without_authority_is_flagged() {
    let app = spawn_app().await;
    // An office-own document signed off by the office director: fine.
    let ok = outgoing_row(&app, "office_own", "mali", "zhaomin", None, 1);
    let ok_id = ok.id.clone().unwrap();
    outgoing_documents::Entity::insert(ok).exec_without_returning(app.db()).await.unwrap();
    // One signed by its own drafter (a handler), carrying ¥150,000 with no decided proposal.
    let bad = outgoing_row(&app, "office_own", "mali", "mali", Some(15_000_000), 2);
    let bad_id = bad.id.clone().unwrap();
    outgoing_documents::Entity::insert(bad).exec_without_returning(app.db()).await.unwrap();
    let r = compliance(&app, "songtao", "?kind=documents").await;
    let e = doc_entry(&r, &ok_id);
    assert_eq!(check(e, "D07", "signoff")["status"], "passed");
    let e = doc_entry(&r, &bad_id);
    assert_eq!(e["status"], "violated");
    let d07 = check(e, "D07", "signoff");
    assert_eq!(d07["status"], "violated");
    assert!(d07["message"].as_str().unwrap().contains("马丽") && d07["message"].as_str().unwrap().contains("赵敏"), "{d07}");
    assert_eq!(check(e, "D12", "separation")["status"], "violated");
    let r01 = check(e, "R01", "collective_link");
    assert_eq!(r01["status"], "violated");
    assert!(r01["message"].as_str().unwrap().contains("150000.00"));
}

#[tokio::test]
async fn s02_d02_overdue_incoming_without_reminders_is_violated_until_the_reminders_are_recorded() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let now = app.state.clock.now();
    let deadline = local_date(now) - chrono::Days::new(10);
    let id = uuid::Uuid::now_v7().to_string();
    incoming_documents::Entity::insert(incoming_documents::ActiveModel {
        id: Set(id.clone()),
        unit_id: Set(app.unit().to_string()),
        source_unit: Set("市自然资源和规划局".into()),
        source_number: Set("X自然资发〔2026〕5号".into()),
        title: Set("关于开展耕地保护检查的通知".into()),
        secrecy: Set("none".into()),
        urgency: Set("normal".into()),
        received_on: Set((deadline - chrono::Days::new(5)).to_string()),
        deadline: Set(deadline.to_string()),
        due_at: Set(at_local(deadline + chrono::Days::new(1), 0, 0)),
        deadline_overridden: Set(false),
        kind: Set("non_approval".into()),
        doc_type: Set("notice".into()),
        major: Set(false),
        state: Set("in_progress".into()),
        main_section_id: Set(Some(app.section("farmland"))),
        co_section_ids: Set("[]".into()),
        handler_id: Set(Some(app.user_id("gaofei"))),
        result: Set(None),
        principal_instruction_kind: Set(None),
        principal_instruction: Set(None),
        principal_instructed_by: Set(None),
        principal_instructed_at: Set(None),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        review_opinion: Set(None),
        registered_by: Set(app.user_id("sunli")),
        distributed_at: Set(None),
        accepted_at: Set(None),
        completed_at: Set(None),
        archived_at: Set(None),
        created_at: Set(now - Duration::days(15)),
        version: Set(1),
    })
    .exec_without_returning(app.db())
    .await
    .unwrap();
    let c = check(doc_entry(&compliance(&app, "songtao", "?kind=documents").await, &id), "D02", "deadline").clone();
    assert_eq!(c["status"], "violated", "{c}");
    assert!(c["message"].as_str().unwrap().contains("未按规定督办"));
    // The reminder sweep (the job runner's) records the three levels; what is left is a warning.
    yishi::incoming::due_reminders(&app.state).await.unwrap();
    let c = check(doc_entry(&compliance(&app, "songtao", "?kind=documents").await, &id), "D02", "deadline").clone();
    assert_eq!(c["status"], "warning", "{c}");
    assert_eq!(c["evidence"].as_array().unwrap().iter().filter(|e| e["type"] == "incoming_reminder").count(), 3);
}

// ---------------------------------------------------------------- S03

/// A submitted fund-use request of the finance section (drafts are not requests yet).
async fn request(app: &TestApp, title: &str, amount: &str, payee: &str) -> String {
    let id = create(app, "xuming", body("large_fund", title, Some(amount), payee)).await;
    app.login("xuming").await.post(&format!("/api/v1/proposals/{id}/submit"), json!({})).await.ok();
    id
}

async fn flags(app: &TestApp, who: &str) -> Vec<Value> {
    app.login(who).await.get(&format!("/api/v1/units/{}/splitting-flags", app.unit())).await.ok()["items"].as_array().unwrap().clone()
}

async fn tasks(app: &TestApp, who: &str) -> Vec<Value> {
    app.login(who).await.get("/api/v1/me/tasks").await.ok()["items"].as_array().unwrap().iter().filter(|t| t["kind"] == "splitting_flag").cloned().collect()
}

#[tokio::test]
async fn s03_three_times_35000_to_one_payee_in_30_days_is_flagged_to_inspector_and_principal() {
    // The background sweep (system actor, audited) would race the audit counts below once the
    // clock has jumped 30 days; detection is live, so the test runs without the job runner.
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let a = request(&app, "办公家具（一）", "35000.00", "示例市家具有限公司").await;
    app.advance_days(10).await;
    let b = request(&app, "办公家具（二）", "35000.00", "示例市家具有限公司").await;
    assert!(flags(&app, "songtao").await.is_empty(), "¥70,000 is below the threshold");
    assert!(tasks(&app, "zhangwei").await.is_empty());
    app.advance_days(20).await;
    // Written a little differently: still the same payee.
    let c = request(&app, "办公家具（三）", "35000.00", "示例市家具 有限公司").await;
    let f = flags(&app, "songtao").await;
    assert_eq!(f.len(), 1, "{f:?}");
    let flag = &f[0];
    assert_eq!(flag["kind"], "split");
    assert_eq!(flag["total"], "105000.00");
    assert_eq!(flag["threshold"], "100000.00");
    assert_eq!(flag["section_id"], app.section("finance"));
    assert_eq!(flag["state"], "open");
    let ids: Vec<&str> = flag["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![a.as_str(), b.as_str(), c.as_str()]);
    assert_eq!(flag["items"][0]["amount"], "35000.00");
    // The principal and the inspector have it on their to-do lists; a deputy does not.
    let fid = flag["id"].as_str().unwrap().to_string();
    assert_eq!(tasks(&app, "zhangwei").await.iter().map(|t| t["object_id"].clone()).collect::<Vec<_>>(), vec![json!(fid)]);
    assert_eq!(tasks(&app, "songtao").await.len(), 1);
    assert!(tasks(&app, "lina").await.is_empty());
    // It is in the compliance report too.
    let r = compliance(&app, "songtao", "?only_red=true").await;
    assert_eq!(r["splitting"].as_array().unwrap().len(), 1);
    assert_eq!(r["summary"]["splitting_flags"], 1);
    // Staff may not see flags.
    app.login("hejun").await.get(&format!("/api/v1/units/{}/splitting-flags", app.unit())).await.err("forbidden");
    // Acknowledging needs a note; then it leaves the to-do lists.
    let z = app.login("zhangwei").await;
    let url = format!("/api/v1/units/{}/splitting-flags/{fid}/acknowledge", app.unit());
    let n = audit_count(&app).await;
    z.post(&url, json!({"note": "  "})).await.err("invalid");
    assert_eq!(audit_count(&app).await, n);
    let acked = z.post(&url, json!({"note": "已核查：三次分别为不同楼层采购，另案说明"})).await.ok().clone();
    assert_eq!(acked["state"], "acknowledged");
    assert_eq!(acked["acknowledged_by_name"], "张伟");
    z.post(&url, json!({"note": "again"})).await.err("conflict");
    assert!(tasks(&app, "zhangwei").await.is_empty());
    assert!(tasks(&app, "songtao").await.is_empty());
    let row = oversight_flags::Entity::find_by_id(fid.clone()).one(app.db()).await.unwrap().unwrap();
    assert_eq!(row.state, "acknowledged");
    // A fourth request joins the group: open again, back on the lists.
    app.advance_days(5).await;
    request(&app, "办公家具（四）", "10000.00", "示例市家具有限公司").await;
    let f = flags(&app, "songtao").await;
    assert_eq!(f.len(), 1);
    assert_eq!((f[0]["id"].as_str(), f[0]["state"].as_str(), f[0]["count"].as_u64()), (Some(fid.as_str()), Some("open"), Some(4)));
    assert_eq!(tasks(&app, "zhangwei").await.len(), 1);
    // Unknown flag ids are not found.
    let z = app.login("zhangwei").await;
    z.post(&format!("/api/v1/units/{}/splitting-flags/sf-nope/acknowledge", app.unit()), json!({"note": "x"})).await.err("not_found");
}

#[tokio::test]
async fn s03_boundaries_exactly_the_threshold_and_one_fen_under() {
    let app = spawn_app().await;
    // An amount of exactly ¥100,000.00 is deliberated collectively anyway: never part of a split.
    request(&app, "设备", "100000.00", "乙公司").await;
    request(&app, "设备配件", "0.01", "乙公司").await;
    assert!(flags(&app, "songtao").await.is_empty());
    // ¥50,000.00 + ¥49,999.99 is one fen under: no flag.
    request(&app, "维修（一）", "50000.00", "甲公司").await;
    request(&app, "维修（二）", "49999.99", "甲公司").await;
    assert!(flags(&app, "songtao").await.is_empty());
    // One more fen reaches the threshold exactly: flagged, all three listed.
    request(&app, "维修（三）", "0.01", "甲公司").await;
    let f = flags(&app, "songtao").await;
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0]["total"].as_str(), f[0]["count"].as_u64()), (Some("100000.00"), Some(3)));
    // Near-threshold clustering: two requests 10 % or less under, different payees.
    request(&app, "软件（一）", "95000.00", "丙公司").await;
    request(&app, "软件（二）", "90000.00", "丁公司").await;
    let f = flags(&app, "songtao").await;
    let near: Vec<&Value> = f.iter().filter(|x| x["kind"] == "near_threshold").collect();
    assert_eq!(near.len(), 1, "{f:?}");
    assert_eq!(near[0]["count"], 2);
    assert_eq!(near[0]["payee"], "丙公司、丁公司");
}

#[tokio::test]
async fn s03_r46_hourly_sweep_records_each_flag_once_on_the_trail() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    for (i, d) in [0, 5, 9].iter().enumerate() {
        if *d > 0 {
            app.advance_days(if i == 1 { 5 } else { 4 }).await;
        }
        request(&app, &format!("印刷（{i}）"), "40000.00", "示例市印刷厂").await;
    }
    assert_eq!(count_rows(&app, "oversight_flags").await, 0);
    // Two instances' runners tick: one sweep per hour bucket, the flag stored once.
    yishi::jobs::run_due(&app.state).await.unwrap();
    yishi::jobs::run_due(&app.state).await.unwrap();
    assert_eq!(count_rows(&app, "oversight_flags").await, 1);
    let detected = count_where(&app, "trail", "action = 'oversight.flag_detected'").await;
    assert_eq!(detected, 1);
    app.advance(3_600).await;
    yishi::jobs::run_due(&app.state).await.unwrap();
    assert_eq!(count_rows(&app, "oversight_flags").await, 1);
    assert_eq!(count_where(&app, "trail", "action = 'oversight.flag_detected'").await, 1, "an unchanged flag is not recorded again");
    assert_eq!(count_where(&app, "jobs", "kind = 'oversight.flags' AND state = 'done'").await, 2, "one sweep per hour bucket");
}

async fn count_where(app: &TestApp, table: &str, cond: &str) -> i64 {
    let db = app.db();
    let stmt = sea_orm::Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table} WHERE {cond}"));
    db.query_one_raw(stmt).await.unwrap().unwrap().try_get::<i64>("", "n").unwrap()
}

/// The demo's flows were all driven through the API: the report must find nothing violated
/// in them (no false alarms), while still listing what inspectors should look at.
#[tokio::test]
async fn s02_demo_flows_driven_through_the_api_show_no_violations() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    yishi::demo::seed_flows(&app.state, &app.org).await.unwrap();
    let r = compliance(&app, "songtao", "?only_red=true").await;
    let mut violated = Vec::new();
    for section in ["deliberations", "proposals", "documents", "unit_checks"] {
        for e in r[section].as_array().unwrap() {
            for c in e["checks"].as_array().unwrap() {
                println!("{section} {} | {} {} {}: {}", e["title"], c["rule"], c["check"], c["status"], c["message"]);
                // The minutes demo ends its first publication window "now" by a direct write
                // (a recorded demo shortcut): exactly the kind of record R16 must catch.
                let demo_shortcut = c["rule"] == "R16" && c["check"] == "publication_window";
                if c["status"] == "violated" && !demo_shortcut {
                    violated.push(format!("{} {}: {}", e["title"], c["rule"], c["message"]));
                }
            }
        }
    }
    assert!(violated.is_empty(), "{violated:#?}");
    let all = compliance(&app, "songtao", "").await;
    assert!(all["summary"]["passed"].as_u64().unwrap() > 10, "{}", all["summary"]);
    assert!(!all["deliberations"].as_array().unwrap().is_empty());
    assert!(!all["documents"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn s03_demo_shows_a_splitting_flag_to_the_inspector_and_the_principal() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    yishi::oversight::demo::seed(&app.state, &app.org).await.unwrap();
    let f = flags(&app, "songtao").await;
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0]["payee"].as_str(), f[0]["total"].as_str(), f[0]["count"].as_u64()), (Some(yishi::oversight::demo::DEMO_PAYEE), Some("105000.00"), Some(3)));
    assert!(f[0]["detected_at"].is_string(), "stored by the demo's refresh");
    assert_eq!(tasks(&app, "zhangwei").await.len(), 1);
}

/// The audit chain's check in the compliance report (R19, S02) rests on this process's last
/// full verification for at most ten minutes and verifies what was appended since on every
/// call: an altered new entry is red at once; an altered old entry is red at the next full
/// verification; `GET /audit/verify` walks the whole chain every time.
#[tokio::test]
async fn r19_compliance_checks_new_audit_entries_at_once_and_the_whole_chain_every_ten_minutes() {
    let app = spawn_app().await;
    let chain = |r: &Value| -> String {
        let checks = r["unit_checks"][0]["checks"].as_array().cloned().unwrap_or_default();
        match checks.iter().find(|c| c["check"] == "audit_chain") {
            Some(c) => format!("{}", c["status"].as_str().unwrap_or_default()),
            None => format!("no audit_chain check in {r}"),
        }
    };
    assert_eq!(chain(&compliance(&app, "songtao", "").await), "passed");
    // The first entry altered (long before that full verification): the incremental check
    // does not read it; the full one (on request, or ten minutes later) does.
    let old = 1;
    app.db().execute_unprepared(&format!("UPDATE audit_log SET action = action || '-forged' WHERE seq = {old}")).await.unwrap();
    let r = compliance(&app, "songtao", "").await;
    assert_eq!(chain(&r), "passed", "{}", r["unit_checks"]);
    assert_eq!(app.login("auditor").await.get("/api/v1/audit/verify").await.ok()["ok"], false);
    app.advance(11 * 60).await;
    assert_eq!(chain(&compliance(&app, "songtao", "").await), "violated");
    // Restored: the full verification passes again.
    app.db()
        .execute_unprepared(&format!("UPDATE audit_log SET action = REPLACE(action, '-forged', '') WHERE seq = {old}"))
        .await
        .unwrap();
    assert_eq!(chain(&compliance(&app, "songtao", "").await), "passed");
    // A new entry altered after it: red at the very next report.
    app.login("secadmin").await.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"publication_days": 3})).await.ok();
    // The chain is numbered 1..n without gaps: the newest entry's seq is the count.
    let new = audit_count(&app).await;
    assert!(new > old);
    app.db().execute_unprepared(&format!("UPDATE audit_log SET action = action || '-forged' WHERE seq = {new}")).await.unwrap();
    assert_eq!(chain(&compliance(&app, "songtao", "").await), "violated");
}
