//! 三重一大 after the decision: superior approval (R14), minutes with versions and gapless
//! serials (R15), internal publication with withheld items, real-name opinions and the
//! exactly-once close (R16), summary and resolution (R17), the read-only archive and its
//! package (R18), and the staff portal (S01). Every refusal is followed by a read proving
//! that nothing changed.
use serde_json::{Value, json};
use yishi_domain::time::local_date;
use yishi_tests::*;

// ------------------------------------------------------------------ helpers (drive the API)

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Want {
    /// consensus → adopted
    Adopt,
    /// named vote, everyone disagrees → rejected
    Reject,
    /// chair defers with a reason
    Defer,
}

#[derive(Clone, Debug)]
pub struct Item {
    pub title: String,
    pub category: &'static str,
    pub confidential: bool,
    pub needs_superior_approval: bool,
    pub want: Want,
    /// Upload a materials attachment before submission.
    pub attachment: bool,
}

impl Item {
    pub fn adopt(title: &str) -> Item {
        Item { title: title.into(), category: "large_fund", confidential: false, needs_superior_approval: false, want: Want::Adopt, attachment: false }
    }
    pub fn with(mut self, f: impl FnOnce(&mut Item)) -> Item {
        f(&mut self);
        self
    }
}

pub struct Decided {
    pub meeting_id: String,
    pub proposals: Vec<String>,
}

const MEMBERS: [&str; 5] = ["zhangwei", "lina", "wangqiang", "liuyang", "chenjing"];

/// A proposal taken from draft to `ready` through the API (proposer 徐明, deputy 李娜).
pub async fn ready_proposal(app: &TestApp, item: &Item) -> String {
    let xuming = app.login("xuming").await;
    let amount = if item.category == "large_fund" { json!("350000.00") } else { Value::Null };
    let r = xuming
        .post(
            &format!("/api/v1/units/{}/proposals", app.unit()),
            json!({
                "category": item.category, "title": item.title, "amount": amount, "payee": "示例市信息技术有限公司",
                "materials": {"topic": item.title, "background": "现状与问题。", "research": "调研论证情况。", "recommendation": "建议同意。"},
                "flags": {}, "confidential": item.confidential, "needs_superior_approval": item.needs_superior_approval,
            }),
        )
        .await;
    let id = r.ok()["id"].as_str().unwrap().to_string();
    if item.attachment {
        xuming.upload(&format!("/api/v1/proposals/{id}/attachments"), "调研报告.txt", "调研报告：服务器采购询价三家。".as_bytes().to_vec()).await.ok();
    }
    xuming.post(&format!("/api/v1/proposals/{id}/submit"), json!({})).await.ok();
    app.login("lina").await.post(&format!("/api/v1/proposals/{id}/submission-approval"), json!({"approve": true, "opinion": "同意提交会商。"})).await.ok();
    app.login("zhangwei")
        .await
        .post(&format!("/api/v1/proposals/{id}/premeeting-decision"), json!({"decision": "to_meeting", "reason": "提交会议研究。"}))
        .await
        .ok();
    id
}

/// Two working days from today, 09:30 Shanghai (enough notice, R06).
async fn starts_at(app: &TestApp) -> String {
    let cal = yishi::org::calendar(app.db(), app.unit()).await.unwrap();
    let today = local_date(app.state.clock.now());
    let day = cal.add_working_days(today, 2);
    (yishi_domain::time::local_start_of_day(day) + chrono::Duration::minutes(9 * 60 + 30)).to_rfc3339()
}

/// A meeting of `mtype` whose items reach the wanted outcomes, closed. Drives every step
/// through the API: agenda, notice, attendance, opening, statements, paths, ballots, decisions.
pub async fn meeting_with(app: &TestApp, mtype: &str, items: &[Item]) -> Decided {
    let mut ids = Vec::new();
    for it in items {
        ids.push(ready_proposal(app, it).await);
    }
    let sunli = app.login("sunli").await;
    let zhangwei = app.login("zhangwei").await;
    let n = count_rows(app, "meetings").await + 1;
    let m = sunli
        .post(
            &format!("/api/v1/units/{}/meetings", app.unit()),
            json!({"type": mtype, "title": format!("2026年第{n}次会议"), "starts_at": starts_at(app).await,
                   "location": "局机关三楼会议室", "agenda": ids, "attendees": [app.user_id("xuming")]}),
        )
        .await;
    let mid = m.ok()["id"].as_str().unwrap().to_string();
    sunli.post(&format!("/api/v1/meetings/{mid}/notice"), json!({})).await.ok();
    for u in MEMBERS {
        sunli.put(&format!("/api/v1/meetings/{mid}/attendance/{}", app.user_id(u)), json!({"status": "present"})).await.ok();
    }
    sunli.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await.ok();
    for (pid, it) in ids.iter().zip(items) {
        let stance = if it.want == Want::Reject { "disagree" } else { "agree" };
        let speakers = [
            ("xuming", "presenter", "agree"),
            ("lina", "deputy", stance),
            ("wangqiang", "member", stance),
            ("liuyang", "member", stance),
            ("chenjing", "member", stance),
            ("zhangwei", "principal", stance),
        ];
        for (u, role, st) in speakers {
            sunli
                .post(
                    &format!("/api/v1/meetings/{mid}/items/{pid}/statements"),
                    json!({"speaker_id": app.user_id(u), "role": role, "stance": st, "text": "发言。"}),
                )
                .await
                .ok();
        }
        let path = format!("/api/v1/meetings/{mid}/items/{pid}");
        match it.want {
            Want::Adopt => {
                zhangwei.post(&format!("{path}/vote"), json!({"path": "consensus"})).await.ok();
            }
            Want::Defer => {
                zhangwei.post(&format!("{path}/vote"), json!({"path": "defer", "reason": "情况尚需进一步调查。"})).await.ok();
            }
            Want::Reject => {
                zhangwei.post(&format!("{path}/vote"), json!({"path": "vote", "mode": "named"})).await.ok();
                for u in ["lina", "wangqiang", "liuyang", "chenjing", "zhangwei"] {
                    app.login(u).await.post(&format!("{path}/ballots"), json!({"choice": "disagree"})).await.ok();
                }
                zhangwei.post(&format!("{path}/close-vote"), json!({})).await.ok();
                zhangwei.post(&format!("{path}/decision"), json!({"outcome": "rejected", "text": "不同意该方案。"})).await.ok();
            }
        }
    }
    zhangwei.post(&format!("/api/v1/meetings/{mid}/close"), json!({})).await.ok();
    Decided { meeting_id: mid, proposals: ids }
}

/// A party-group meeting with one adopted fund item.
pub async fn decided_meeting(app: &TestApp) -> Decided {
    meeting_with(app, "party_group", &[Item::adopt("关于购置服务器设备的议题")]).await
}

async fn proposal_state(app: &TestApp, id: &str) -> String {
    let r = app.login("songtao").await.get(&format!("/api/v1/proposals/{id}")).await;
    r.ok()["state"].as_str().unwrap().to_string()
}

/// Drafted and approved minutes of a decided meeting; returns the minutes id.
async fn approved_minutes(app: &TestApp, d: &Decided) -> String {
    let sunli = app.login("sunli").await;
    let m = sunli.post(&format!("/api/v1/meetings/{}/minutes", d.meeting_id), json!({})).await;
    let id = m.ok()["id"].as_str().unwrap().to_string();
    app.login("zhangwei").await.post(&format!("/api/v1/minutes/{id}/approve"), json!({})).await.ok();
    id
}

async fn published(app: &TestApp, minutes_id: &str) -> String {
    let r = app.login("sunli").await.post(&format!("/api/v1/minutes/{minutes_id}/publication"), json!({"withheld": []})).await;
    r.ok()["id"].as_str().unwrap().to_string()
}

/// Moves past the publication window (2 working days; at most ~10 calendar days with holidays).
async fn past_window(app: &TestApp, publication_id: &str) {
    let r = app.login("sunli").await.get(&format!("/api/v1/publications/{publication_id}")).await;
    let closes: chrono::DateTime<chrono::Utc> = r.ok()["closes_at"].as_str().unwrap().parse().unwrap();
    let secs = (closes - app.state.clock.now()).num_seconds() + 1;
    app.advance(secs.max(1)).await;
}

async fn trail_count(app: &TestApp, object_type: &str, object_id: &str, action: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = app.db();
    let stmt = sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => "SELECT COUNT(*) AS n FROM trail WHERE object_type = $1 AND object_id = $2 AND action = $3",
            _ => "SELECT COUNT(*) AS n FROM trail WHERE object_type = ? AND object_id = ? AND action = ?",
        },
        [object_type.into(), object_id.into(), action.into()],
    );
    db.query_one_raw(stmt).await.unwrap().unwrap().try_get::<i64>("", "n").unwrap()
}

/// Sum of the minutes serial counters (R15) of all series.
async fn minutes_counter_total(app: &TestApp) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = app.db();
    let stmt = sea_orm::Statement::from_string(db.get_database_backend(), "SELECT COALESCE(SUM(value), 0) AS n FROM counters WHERE key LIKE 'minutes:%'");
    let row = db.query_one_raw(stmt).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap_or(0)
}

// ------------------------------------------------------------------ R14

/// R14: a flagged item waits in `pending_superior` after the decision; the minutes cannot be
/// approved until the clerk records the superior's approval (document and date).
#[tokio::test]
async fn r14_flagged_item_waits_for_superior_approval_before_minutes() {
    let app = spawn_app().await;
    let d = meeting_with(&app, "party_group", &[
        Item::adopt("关于报批城东地块收储方案的议题").with(|i| i.needs_superior_approval = true),
        Item::adopt("关于购置服务器设备的议题"),
    ])
    .await;
    let (flagged, plain) = (&d.proposals[0], &d.proposals[1]);
    assert_eq!(proposal_state(&app, flagged).await, "pending_superior");
    assert_eq!(proposal_state(&app, plain).await, "decided");

    let sunli = app.login("sunli").await;
    let zhangwei = app.login("zhangwei").await;
    let draft = sunli.post(&format!("/api/v1/meetings/{}/minutes", d.meeting_id), json!({})).await;
    let mid = draft.ok()["id"].as_str().unwrap().to_string();

    // Approval refused while the superior's approval is missing: nothing changes.
    let audit_before = audit_count(&app).await;
    let r = zhangwei.post(&format!("/api/v1/minutes/{mid}/approve"), json!({})).await;
    r.err("R14");
    assert_eq!(r.body["error"]["details"]["pending_superior"][0], json!(flagged));
    let m = sunli.get(&format!("/api/v1/minutes/{mid}")).await;
    assert_eq!(m.ok()["state"], "draft");
    assert!(m.body["serial"].is_null());
    assert_eq!(minutes_counter_total(&app).await, 0, "no serial number consumed");
    assert_eq!(audit_count(&app).await, audit_before);
    assert_eq!(proposal_state(&app, plain).await, "decided");

    // Only the clerk records it, with a valid document reference and date.
    let path = format!("/api/v1/proposals/{flagged}/superior-approval");
    app.login("hejun").await.post(&path, json!({"document_ref": "X政复〔2026〕15号", "approved_on": "2026-01-05"})).await.err("forbidden");
    sunli.post(&path, json!({"document_ref": " ", "approved_on": "2026-01-05"})).await.err("invalid");
    sunli.post(&path, json!({"document_ref": "X政复〔2026〕15号", "approved_on": "05/01/2026"})).await.err("invalid");
    assert_eq!(proposal_state(&app, flagged).await, "pending_superior");
    // A proposal without the flag needs no approval.
    sunli.post(&format!("/api/v1/proposals/{plain}/superior-approval"), json!({"document_ref": "X", "approved_on": "2026-01-05"})).await.err("R14");
    assert_eq!(proposal_state(&app, plain).await, "decided");

    let today = local_date(app.state.clock.now()).format("%Y-%m-%d").to_string();
    let r = sunli.post(&path, json!({"document_ref": "X政复〔2026〕15号", "approved_on": today})).await;
    assert_eq!(r.ok()["state"], "decided");
    let p = sunli.get(&format!("/api/v1/proposals/{flagged}")).await;
    assert_eq!(p.ok()["superior_document_ref"], "X政复〔2026〕15号");
    // Recorded once: a second time is refused and changes nothing.
    sunli.post(&path, json!({"document_ref": "另一个文号", "approved_on": today})).await.err("R14");
    assert_eq!(sunli.get(&format!("/api/v1/proposals/{flagged}")).await.ok()["superior_document_ref"], "X政复〔2026〕15号");

    // Now the minutes can be approved, and they carry the superior's approval.
    let m = zhangwei.post(&format!("/api/v1/minutes/{mid}/approve"), json!({})).await;
    assert_eq!(m.ok()["state"], "approved");
    let item = m.body["items"].as_array().unwrap().iter().find(|i| i["proposal_id"] == json!(flagged)).unwrap().clone();
    assert_eq!(item["superior_approval"]["document_ref"], "X政复〔2026〕15号");
    assert!(m.body["text"].as_str().unwrap().contains("上级批准：X政复〔2026〕15号"));
    assert_eq!(proposal_state(&app, flagged).await, "minuted");
    assert_eq!(proposal_state(&app, plain).await, "minuted");
}

// ------------------------------------------------------------------ R15

/// R15: the clerk drafts from the recorded decisions under the unit's unified header; the
/// narrative may be edited, the decisions may not; undecided meetings and strangers are refused.
#[tokio::test]
async fn r15_minutes_drafted_from_recorded_decisions_with_unified_header() {
    let app = spawn_app().await;
    let d = meeting_with(&app, "party_group", &[
        Item::adopt("关于购置服务器设备的议题"),
        Item::adopt("关于调整办公用房的议题").with(|i| { i.category = "major_decision"; i.want = Want::Reject }),
        Item::adopt("关于土地收储的议题").with(|i| i.want = Want::Defer),
    ])
    .await;
    let sunli = app.login("sunli").await;
    let path = format!("/api/v1/meetings/{}/minutes", d.meeting_id);
    // Not the clerk: refused.
    app.login("hejun").await.post(&path, json!({})).await.err("forbidden");
    app.login("zhangwei").await.post(&path, json!({})).await.err("forbidden");
    // An edit naming an item the meeting did not decide is refused (R15) and creates nothing.
    let r = sunli.post(&path, json!({"body": {"items": [{"proposal_id": "invented", "summary": "编造的决定"}]}})).await;
    r.err("R15");
    // An attempt to change an outcome does not even parse.
    sunli.post(&path, json!({"body": {"items": [{"proposal_id": d.proposals[1], "summary": "x", "outcome": "adopted"}]}})).await.err("invalid");
    assert_eq!(count_rows(&app, "minutes").await, 0);

    let r = sunli.post(&path, json!({"body": {"opening": "会议研究了以下事项：", "items": [{"proposal_id": d.proposals[0], "summary": "会议同意购置服务器设备。"}]}})).await;
    let m = r.ok().clone();
    assert_eq!(m["state"], "draft");
    assert_eq!(m["version_no"], 1);
    assert_eq!(m["header"], "示例市国土资源局会议纪要", "the unit's minutes_header setting");
    let items = m["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["outcome"], "adopted");
    assert_eq!(items[0]["summary"], "会议同意购置服务器设备。");
    assert_eq!(items[0]["consensus"], true);
    assert_eq!(items[1]["outcome"], "rejected");
    assert_eq!(items[1]["tally"]["disagree"], 5);
    assert_eq!(items[2]["outcome"], "deferred");
    assert_eq!(m["body"]["opening"], "会议研究了以下事项：");
    assert_eq!(m["body"]["attendance"]["present"].as_array().unwrap().len(), 5);
    let text = m["text"].as_str().unwrap();
    assert!(text.starts_with("示例市国土资源局会议纪要") && text.contains("未编号"), "{text}");
    assert!(text.contains("同意0票，不同意5票"), "{text}");
    // One minutes per meeting: a second draft is refused, pointing at the first.
    let again = sunli.post(&path, json!({})).await;
    again.err("conflict");
    assert_eq!(again.body["error"]["details"]["minutes_id"], m["id"]);
    assert_eq!(count_rows(&app, "minutes").await, 1);

    // The unit's header setting is what the draft uses.
    app.login("secadmin").await.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"minutes_header": "示例市国土资源局党组会议纪要"})).await.ok();
    let d2 = decided_meeting(&app).await;
    let m2 = sunli.post(&format!("/api/v1/meetings/{}/minutes", d2.meeting_id), json!({})).await;
    assert_eq!(m2.ok()["header"], "示例市国土资源局党组会议纪要");
}

/// R15: a meeting with an item still undecided cannot be minuted.
#[tokio::test]
async fn r15_draft_refused_while_an_item_is_undecided() {
    let app = spawn_app().await;
    let p = ready_proposal(&app, &Item::adopt("关于购置服务器设备的议题")).await;
    let sunli = app.login("sunli").await;
    let m = sunli
        .post(
            &format!("/api/v1/units/{}/meetings", app.unit()),
            json!({"type": "party_group", "title": "2026年第1次党组会议", "starts_at": starts_at(&app).await,
                   "location": "三楼会议室", "agenda": [p], "attendees": []}),
        )
        .await;
    let mid = m.ok()["id"].as_str().unwrap().to_string();
    let r = sunli.post(&format!("/api/v1/meetings/{mid}/minutes"), json!({})).await;
    r.err("R15");
    assert_eq!(r.body["error"]["details"]["undecided"][0], "关于购置服务器设备的议题");
    assert_eq!(count_rows(&app, "minutes").await, 0);
}

/// R15: the principal approves with a serial per unit, meeting type and year; approved
/// minutes are immutable; a correction is a new version, re-approved, keeping the serial,
/// and the old version is kept and listed.
#[tokio::test]
async fn r15_approval_assigns_serial_and_corrections_are_new_versions() {
    let app = spawn_app().await;
    let year = local_date(app.state.clock.now()).format("%Y").to_string();
    let d = decided_meeting(&app).await;
    let sunli = app.login("sunli").await;
    let zhangwei = app.login("zhangwei").await;
    let m = sunli.post(&format!("/api/v1/meetings/{}/minutes", d.meeting_id), json!({})).await;
    let v1 = m.ok()["id"].as_str().unwrap().to_string();
    // Only the principal approves.
    sunli.post(&format!("/api/v1/minutes/{v1}/approve"), json!({})).await.err("forbidden");
    app.login("lina").await.post(&format!("/api/v1/minutes/{v1}/approve"), json!({})).await.err("forbidden");
    assert_eq!(sunli.get(&format!("/api/v1/minutes/{v1}")).await.ok()["state"], "draft");

    let a = zhangwei.post(&format!("/api/v1/minutes/{v1}/approve"), json!({})).await;
    assert_eq!(a.ok()["state"], "approved");
    assert_eq!(a.body["serial"], format!("〔{year}〕第1期"));
    assert!(a.body["text"].as_str().unwrap().contains(&format!("〔{year}〕第1期")));
    assert_eq!(proposal_state(&app, &d.proposals[0]).await, "minuted");
    // Approved minutes are immutable: approving again is refused and changes nothing.
    let before = sunli.get(&format!("/api/v1/minutes/{v1}")).await.ok().clone();
    zhangwei.post(&format!("/api/v1/minutes/{v1}/approve"), json!({})).await.err("R15");
    assert_eq!(sunli.get(&format!("/api/v1/minutes/{v1}")).await.ok()["version"], before["version"]);

    // A correction: reason required; creates v2 as a draft; v1 stays approved meanwhile.
    let rev = format!("/api/v1/minutes/{v1}/revisions");
    sunli.post(&rev, json!({"body": {"closing": "特此纪要。"}, "reason": "  "})).await.err("invalid");
    app.login("hejun").await.post(&rev, json!({"body": {}, "reason": "x"})).await.err("forbidden");
    assert_eq!(count_rows(&app, "minutes").await, 1);
    let r = sunli.post(&rev, json!({"body": {"closing": "特此纪要。"}, "reason": "补充结束语"})).await;
    let v2 = r.ok()["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["version_no"], 2);
    assert_eq!(r.body["state"], "draft");
    assert_eq!(r.body["previous_id"], json!(v1));
    assert_eq!(r.body["revision_reason"], "补充结束语");
    assert_eq!(r.body["body"]["closing"], "特此纪要。");
    assert_eq!(sunli.get(&format!("/api/v1/minutes/{v1}")).await.ok()["state"], "approved");
    // Only the latest version can be corrected.
    sunli.post(&rev, json!({"body": {}, "reason": "再改"})).await.err("R15");
    assert_eq!(count_rows(&app, "minutes").await, 2);

    let a2 = zhangwei.post(&format!("/api/v1/minutes/{v2}/approve"), json!({})).await;
    assert_eq!(a2.ok()["serial"], format!("〔{year}〕第1期"), "a correction keeps the minutes' serial");
    let old = sunli.get(&format!("/api/v1/minutes/{v1}")).await;
    assert_eq!(old.ok()["state"], "superseded");
    assert_eq!(old.body["body"]["closing"], "", "the old version's content is kept unchanged");
    let versions = old.body["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["state"], "superseded");
    assert_eq!(versions[1]["state"], "approved");
    assert_eq!(proposal_state(&app, &d.proposals[0]).await, "minuted");

    // The next minutes of the same series is 第2期; another meeting type has its own series.
    let d2 = decided_meeting(&app).await;
    let m2 = approved_minutes(&app, &d2).await;
    assert_eq!(sunli.get(&format!("/api/v1/minutes/{m2}")).await.ok()["serial"], format!("〔{year}〕第2期"));
    let d3 = meeting_with(&app, "head_office", &[Item::adopt("关于局长办公会议事项的议题")]).await;
    let m3 = approved_minutes(&app, &d3).await;
    assert_eq!(sunli.get(&format!("/api/v1/minutes/{m3}")).await.ok()["serial"], format!("〔{year}〕第1期"));
    // Trail of the minutes lists draft, approval, revision, re-approval.
    let actions: Vec<String> = old.body["trail"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap().to_string()).collect();
    assert_eq!(actions, ["minutes.draft", "minutes.approve", "minutes.revise", "minutes.approve"]);
}

/// R15, R42: ten minutes of one unit, type and year approved at the same instant get the
/// serials 1..10, gapless and unique.
#[tokio::test]
async fn r15_parallel_approvals_get_gapless_unique_serials() {
    let app = spawn_app().await;
    let year = local_date(app.state.clock.now()).format("%Y").to_string();
    let sunli = app.login("sunli").await;
    let mut ids = Vec::new();
    for n in 0..10 {
        let d = meeting_with(&app, "joint", &[Item::adopt(&format!("并发测试议题{n}"))]).await;
        let m = sunli.post(&format!("/api/v1/meetings/{}/minutes", d.meeting_id), json!({})).await;
        ids.push(m.ok()["id"].as_str().unwrap().to_string());
    }
    let zhangwei = app.login("zhangwei").await;
    let results = futures::future::join_all(ids.iter().map(|id| {
        let c = zhangwei.clone();
        let id = id.clone();
        async move { c.post(&format!("/api/v1/minutes/{id}/approve"), json!({})).await }
    }))
    .await;
    let mut serials: Vec<i64> = Vec::new();
    for r in &results {
        assert_eq!(r.ok()["state"], "approved");
        assert!(r.body["serial"].as_str().unwrap().starts_with(&format!("〔{year}〕第")));
        serials.push(r.body["serial_no"].as_i64().unwrap());
    }
    serials.sort();
    assert_eq!(serials, (1..=10).collect::<Vec<i64>>());
    assert_eq!(count_rows(&app, "minutes_serials").await, 10);
}

// ------------------------------------------------------------------ R16

/// R16: confidential items must be withheld, each with a recorded reason; only they may be
/// withheld; staff read the published minutes without them.
#[tokio::test]
async fn r16_confidential_items_are_withheld_with_a_reason() {
    let app = spawn_app().await;
    let d = meeting_with(&app, "party_group", &[
        Item::adopt("关于购置服务器设备的议题"),
        Item::adopt("关于张某某同志任职的议题").with(|i| { i.category = "key_appointment"; i.confidential = true }),
    ])
    .await;
    let (plain, secret) = (d.proposals[0].clone(), d.proposals[1].clone());
    let mid = approved_minutes(&app, &d).await;
    let sunli = app.login("sunli").await;
    let path = format!("/api/v1/minutes/{mid}/publication");
    // Not withheld → refused; withheld without reason → refused; a non-confidential item
    // withheld → refused (不公开为例外); nothing is published.
    let r = sunli.post(&path, json!({"withheld": []})).await;
    r.err("R16");
    assert_eq!(r.body["error"]["details"]["missing"][0], json!(secret));
    sunli.post(&path, json!({"withheld": [{"proposal_id": secret, "reason": " "}]})).await.err("R16");
    sunli.post(&path, json!({"withheld": [{"proposal_id": secret, "reason": "涉及干部个人信息"}, {"proposal_id": plain, "reason": "不想公开"}]})).await.err("R16");
    app.login("hejun").await.post(&path, json!({"withheld": []})).await.err("forbidden");
    assert_eq!(count_rows(&app, "publications").await, 0);
    assert_eq!(proposal_state(&app, &plain).await, "minuted");

    let r = sunli.post(&path, json!({"withheld": [{"proposal_id": secret, "reason": "涉及干部个人信息，按规定不予公开"}]})).await;
    let pubid = r.ok()["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["state"], "open");
    assert_eq!(proposal_state(&app, &plain).await, "published");
    assert_eq!(proposal_state(&app, &secret).await, "published");
    // closes_at: two working days, end of day in Shanghai (unit calendar).
    let cal = yishi::org::calendar(app.db(), app.unit()).await.unwrap();
    let opened: chrono::DateTime<chrono::Utc> = r.body["opened_at"].as_str().unwrap().parse().unwrap();
    let closes: chrono::DateTime<chrono::Utc> = r.body["closes_at"].as_str().unwrap().parse().unwrap();
    let last_day = cal.add_working_days(local_date(opened), 2);
    assert_eq!(closes, yishi_domain::time::local_end_of_day(last_day));
    // Publishing twice is refused.
    sunli.post(&path, json!({"withheld": [{"proposal_id": secret, "reason": "x"}]})).await.err("R16");
    assert_eq!(count_rows(&app, "publications").await, 1);

    // Staff see the minutes without the withheld item and without its reason.
    let staff = app.login("hejun").await;
    let v = staff.get(&format!("/api/v1/publications/{pubid}")).await;
    let items = v.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["proposal_id"], json!(plain));
    assert_eq!(v.body["withheld_count"], 1);
    assert!(v.body.get("withheld").is_none());
    let text = serde_json::to_string(&v.body).unwrap();
    assert!(!text.contains("任职") && !text.contains("个人信息"), "withheld content leaked: {text}");
    assert_eq!(v.body["allowed_actions"], json!(["opinion"]));
    // The clerk, principal and inspector see the reason.
    for u in ["sunli", "zhangwei", "songtao"] {
        let v = app.login(u).await.get(&format!("/api/v1/publications/{pubid}")).await;
        assert_eq!(v.ok()["withheld"][0]["reason"], "涉及干部个人信息，按规定不予公开", "{u}");
    }
}

/// R16: staff comment with their real name while the publication is open; the opinions are
/// readable only by the clerk, the principal and inspectors (each read audited); after the
/// window no opinion is accepted and the publication is closed (lazily, on read).
#[tokio::test]
async fn r16_real_name_opinions_while_open_visible_to_clerk_principal_inspector() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let d = decided_meeting(&app).await;
    let mid = approved_minutes(&app, &d).await;
    let pubid = published(&app, &mid).await;
    let path = format!("/api/v1/publications/{pubid}/opinions");
    let hejun = app.login("hejun").await;
    let o = hejun.post(&path, json!({"text": "建议加强采购过程监督。"})).await;
    assert_eq!(o.ok()["author_id"], json!(app.user_id("hejun")));
    app.login("luoyan").await.post(&path, json!({"text": "同意。"})).await.ok();
    hejun.post(&path, json!({"text": "   "})).await.err("invalid");
    // Inspectors oversee, they do not comment.
    app.login("songtao").await.post(&path, json!({"text": "x"})).await.err("forbidden");
    assert_eq!(count_rows(&app, "publication_opinions").await, 2);
    // Reading opinions: only clerk, principal, inspector.
    for u in ["hejun", "lina", "wangqiang", "zhaomin"] {
        app.login(u).await.get(&path).await.err("forbidden");
    }
    let readers = [app.login("sunli").await, app.login("zhangwei").await, app.login("songtao").await];
    let audit_before = audit_count(&app).await;
    for (u, c) in ["sunli", "zhangwei", "songtao"].iter().zip(&readers) {
        let l = c.get(&path).await;
        let items = l.ok()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 2, "{u}");
        assert_eq!(items[0]["author_name"], "何军");
        assert_eq!(items[0]["text"], "建议加强采购过程监督。");
    }
    assert_eq!(audit_count(&app).await, audit_before + 3, "every read of the opinions is audited");
    // One's own opinions are shown to oneself.
    let mine = hejun.get(&format!("/api/v1/publications/{pubid}")).await;
    assert_eq!(mine.ok()["my_opinions"][0]["text"], "建议加强采购过程监督。");

    past_window(&app, &pubid).await;
    let hejun = app.login("hejun").await;
    let r = hejun.post(&path, json!({"text": "晚到的意见"})).await;
    r.err("R16");
    assert_eq!(count_rows(&app, "publication_opinions").await, 2);
    let v = app.login("sunli").await.get(&format!("/api/v1/publications/{pubid}")).await;
    assert_eq!(v.ok()["state"], "closed");
    assert_eq!(v.body["closed_by"], "read");
    assert_eq!(trail_count(&app, "publication", &pubid, "publication.close").await, 1);
}

/// R16 with publications kept between reads (`yishi::readcache`): each reader's answer is
/// their own (own opinions, own count), an opinion shows at once, and a kept "open" answer
/// is never served once the window has closed — the read closes it instead.
#[tokio::test]
async fn r16_kept_publication_answers_are_per_reader_follow_opinions_and_end_with_the_window() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let d = decided_meeting(&app).await;
    let mid = approved_minutes(&app, &d).await;
    let pubid = published(&app, &mid).await;
    let (one, list) = (format!("/api/v1/publications/{pubid}"), format!("/api/v1/units/{}/publications?open=true", app.unit()));
    let (hejun, luoyan) = (app.login("hejun").await, app.login("luoyan").await);
    for _ in 0..2 {
        assert_eq!(hejun.get(&one).await.ok()["state"], "open");
        assert_eq!(hejun.get(&list).await.ok()["items"][0]["my_opinion_count"], 0);
        assert_eq!(luoyan.get(&one).await.ok()["my_opinions"], json!([]));
    }
    hejun.post(&format!("{one}/opinions"), json!({"text": "建议公开采购结果。"})).await.ok();
    assert_eq!(hejun.get(&one).await.ok()["my_opinions"][0]["text"], "建议公开采购结果。");
    assert_eq!(hejun.get(&list).await.ok()["items"][0]["my_opinion_count"], 1);
    assert_eq!(luoyan.get(&one).await.ok()["my_opinions"], json!([]), "another reader's answer is their own");
    assert_eq!(luoyan.get(&list).await.ok()["items"][0]["my_opinion_count"], 0);
    // Past the window: no read and no write happened in between, yet nothing kept says "open".
    let closes: chrono::DateTime<chrono::Utc> = hejun.get(&one).await.ok()["closes_at"].as_str().unwrap().parse().unwrap();
    app.advance((closes - app.state.clock.now()).num_seconds() + 1).await;
    let (hejun, luoyan) = (app.login("hejun").await, app.login("luoyan").await);
    assert_eq!(hejun.get(&list).await.ok()["items"], json!([]), "the list closed it");
    assert_eq!(hejun.get(&one).await.ok()["state"], "closed");
    assert_eq!(luoyan.get(&one).await.ok()["allowed_actions"], json!([]));
    assert_eq!(trail_count(&app, "publication", &pubid, "publication.close").await, 1);
}

/// R16, R46: racing closes — several `close_due_publications` calls and lazy reads at once —
/// close the publication exactly once.
#[tokio::test]
async fn r16_racing_closes_close_the_publication_exactly_once() {
    let app = spawn_app().await;
    let d = decided_meeting(&app).await;
    let mid = approved_minutes(&app, &d).await;
    let pubid = published(&app, &mid).await;
    // Not due yet: nothing closes.
    assert!(yishi::minutes::close_due_publications(&app.state).await.unwrap().is_empty());
    assert_eq!(app.login("hejun").await.get(&format!("/api/v1/publications/{pubid}")).await.ok()["state"], "open");
    past_window(&app, &pubid).await;
    let staff = app.login("hejun").await;
    let (one, list) = (format!("/api/v1/publications/{pubid}"), format!("/api/v1/units/{}/publications", app.unit()));
    let (a, b, c, r1, r2) = tokio::join!(
        yishi::minutes::close_due_publications(&app.state),
        yishi::minutes::close_due_publications(&app.state),
        yishi::minutes::publication::close_if_due(&app.state, &pubid, "job"),
        staff.get(&one),
        staff.get(&list),
    );
    let closed_here = a.unwrap().len() + b.unwrap().len() + usize::from(c.unwrap());
    assert!(closed_here <= 1);
    assert_eq!(r1.ok()["state"], "closed");
    assert_eq!(r2.ok()["items"][0]["state"], "closed");
    // Whoever won (a call above, a lazy read or the job runner), it closed once.
    assert_eq!(trail_count(&app, "publication", &pubid, "publication.close").await, 1);
    assert!(yishi::minutes::close_due_publications(&app.state).await.unwrap().is_empty());
    assert_eq!(trail_count(&app, "publication", &pubid, "publication.close").await, 1);
}

/// R16: the scheduled job closes the publication on time by itself (no read needed).
#[tokio::test]
async fn r16_job_runner_closes_the_publication_on_time() {
    use sea_orm::EntityTrait;
    let app = spawn_app().await;
    let d = decided_meeting(&app).await;
    let mid = approved_minutes(&app, &d).await;
    let pubid = published(&app, &mid).await;
    past_window(&app, &pubid).await;
    // Watch the row directly: any API read would close it lazily instead.
    let mut row = None;
    for _ in 0..100 {
        let p = yishi::store::entities::publications::Entity::find_by_id(pubid.clone()).one(app.db()).await.unwrap().unwrap();
        if p.state == "closed" {
            row = Some(p);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let row = row.expect("the job runner closed the publication");
    assert_eq!(row.closed_by.as_deref(), Some("job"));
    assert_eq!(trail_count(&app, "publication", &pubid, "publication.close").await, 1);
}

/// R16, R46: two application instances on one database (PostgreSQL when
/// YISHI_TEST_DATABASE_URL is set): both run their job runners and both sweep at once; the
/// publication is closed once.
#[tokio::test]
async fn r16_two_instances_on_one_database_close_once() {
    let app = spawn_app().await;
    let d = decided_meeting(&app).await;
    let mid = approved_minutes(&app, &d).await;
    let pubid = published(&app, &mid).await;
    let dir = std::env::temp_dir().join(format!("yishi-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let second = yishi::startup::Application::build(test_config(&app.database_url, &dir)).await.unwrap();
    let state2 = second.state.clone();
    tokio::spawn(async move {
        let _ = second.run_until_stopped().await;
    });
    past_window(&app, &pubid).await;
    let offset = (app.state.clock.now() - state2.clock.now()).num_seconds() + 1;
    assert!(state2.clock.advance(offset));
    let (a, b) = tokio::join!(yishi::minutes::close_due_publications(&app.state), yishi::minutes::close_due_publications(&state2));
    assert!(a.unwrap().len() + b.unwrap().len() <= 1);
    // Give both job runners a tick to try as well.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(trail_count(&app, "publication", &pubid, "publication.close").await, 1);
    assert_eq!(app.login("sunli").await.get(&format!("/api/v1/publications/{pubid}")).await.ok()["state"], "closed");
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------------ R17

/// R17: after the close the clerk records a summary (required, even without opinions), then
/// the principal decides; adjust leads to a revision and a new publication; confirm archives.
#[tokio::test]
async fn r17_summary_then_resolution_adjust_republish_confirm() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let d = decided_meeting(&app).await;
    let pid = d.proposals[0].clone();
    let mid = approved_minutes(&app, &d).await;
    let pubid = published(&app, &mid).await;
    let sunli = app.login("sunli").await;
    let zhangwei = app.login("zhangwei").await;
    let sum = format!("/api/v1/publications/{pubid}/summary");
    let res = format!("/api/v1/publications/{pubid}/resolution");
    // Before the close: refused.
    sunli.post(&sum, json!({"text": "未收到意见"})).await.err("R17");
    zhangwei.post(&res, json!({"decision": "confirm", "note": ""})).await.err("R17");
    past_window(&app, &pubid).await;
    let (sunli, zhangwei) = (app.login("sunli").await, app.login("zhangwei").await);
    // Resolution before the summary; empty summary; wrong roles: refused.
    zhangwei.post(&res, json!({"decision": "confirm", "note": ""})).await.err("R17");
    sunli.post(&sum, json!({"text": "  "})).await.err("R17");
    zhangwei.post(&sum, json!({"text": "x"})).await.err("forbidden");
    let v = sunli.get(&format!("/api/v1/publications/{pubid}")).await;
    assert!(v.ok()["summary"].is_null() && v.body["resolution"].is_null());
    assert_eq!(v.body["allowed_actions"], json!(["summary"]));

    sunli.post(&sum, json!({"text": "公示期间未收到意见。"})).await.ok();
    sunli.post(&sum, json!({"text": "再汇总一次"})).await.err("conflict");
    sunli.post(&res, json!({"decision": "confirm", "note": ""})).await.err("forbidden");
    zhangwei.post(&res, json!({"decision": "approve", "note": ""})).await.err("invalid");
    zhangwei.post(&res, json!({"decision": "adjust", "note": " "})).await.err("invalid");
    assert!(sunli.get(&format!("/api/v1/publications/{pubid}")).await.ok()["resolution"].is_null());
    assert_eq!(proposal_state(&app, &pid).await, "published");

    // Adjust: back to minuted; the clerk revises, the principal re-approves, the clerk re-publishes.
    let r = zhangwei.post(&res, json!({"decision": "adjust", "note": "请补充资金监管要求。"})).await;
    assert_eq!(r.ok()["resolution"]["decision"], "adjust");
    zhangwei.post(&res, json!({"decision": "confirm", "note": ""})).await.err("conflict");
    assert_eq!(proposal_state(&app, &pid).await, "minuted");
    // The adjusted version cannot be published again as it is.
    sunli.post(&format!("/api/v1/minutes/{mid}/publication"), json!({"withheld": []})).await.err("R17");
    let rev = sunli
        .post(&format!("/api/v1/minutes/{mid}/revisions"), json!({"body": {"items": [{"proposal_id": pid, "summary": "同意购置，资金使用接受财务处全程监管。"}]}, "reason": "按主要领导意见补充资金监管要求"}))
        .await;
    let v2 = rev.ok()["id"].as_str().unwrap().to_string();
    let a = zhangwei.post(&format!("/api/v1/minutes/{v2}/approve"), json!({})).await;
    let serial = a.ok()["serial"].as_str().unwrap().to_string();
    assert_eq!(proposal_state(&app, &pid).await, "minuted");
    let pub2 = published(&app, &v2).await;
    assert_ne!(pub2, pubid);
    assert_eq!(proposal_state(&app, &pid).await, "published");
    app.login("hejun").await.post(&format!("/api/v1/publications/{pub2}/opinions"), json!({"text": "同意。"})).await.ok();
    past_window(&app, &pub2).await;
    let (sunli, zhangwei) = (app.login("sunli").await, app.login("zhangwei").await);
    sunli.post(&format!("/api/v1/publications/{pub2}/summary"), json!({"text": "收到意见1条，表示同意。"})).await.ok();
    let c = zhangwei.post(&format!("/api/v1/publications/{pub2}/resolution"), json!({"decision": "confirm", "note": "同意"})).await;
    assert_eq!(c.ok()["resolution"]["decision"], "confirm");
    assert_eq!(c.body["archive_ids"].as_array().unwrap().len(), 1);
    assert_eq!(proposal_state(&app, &pid).await, "archived");
    let p = sunli.get(&format!("/api/v1/proposals/{pid}")).await;
    let actions: Vec<String> = p.ok()["trail"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap().to_string()).collect();
    for a in ["proposal.minute", "proposal.publish", "proposal.adjust", "proposal.confirm", "proposal.archive"] {
        assert!(actions.contains(&a.to_string()), "{a} missing in {actions:?}");
    }
    let m = sunli.get(&format!("/api/v1/minutes/{v2}")).await;
    assert_eq!(m.ok()["serial"], json!(serial));
    assert_eq!(m.body["archived"], true);
}

/// R17: re-deliberation sends the proposals back to `ready` for a later meeting; the minutes
/// stay as history and are no longer revised or published.
#[tokio::test]
async fn r17_redeliberate_sends_the_proposal_back_to_ready() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let d = decided_meeting(&app).await;
    let pid = d.proposals[0].clone();
    let mid = approved_minutes(&app, &d).await;
    let pubid = published(&app, &mid).await;
    app.login("hejun").await.post(&format!("/api/v1/publications/{pubid}/opinions"), json!({"text": "采购价格偏高，建议重新论证。"})).await.ok();
    past_window(&app, &pubid).await;
    let sunli = app.login("sunli").await;
    sunli.post(&format!("/api/v1/publications/{pubid}/summary"), json!({"text": "收到意见1条：采购价格偏高。"})).await.ok();
    let r = app.login("zhangwei").await.post(&format!("/api/v1/publications/{pubid}/resolution"), json!({"decision": "redeliberate", "note": "重新论证采购价格后再上会。"})).await;
    assert_eq!(r.ok()["resolution"]["decision"], "redeliberate");
    assert_eq!(proposal_state(&app, &pid).await, "ready");
    sunli.post(&format!("/api/v1/minutes/{mid}/revisions"), json!({"body": {}, "reason": "x"})).await.err("R17");
    sunli.post(&format!("/api/v1/minutes/{mid}/publication"), json!({"withheld": []})).await.err("R17");
    assert_eq!(count_rows(&app, "minutes").await, 1);
    assert_eq!(count_rows(&app, "archive_items").await, 0);
    // The proposal can go to a later meeting.
    let sunli2 = app.login("sunli").await;
    let m = sunli2
        .post(
            &format!("/api/v1/units/{}/meetings", app.unit()),
            json!({"type": "party_group", "title": "2026年第2次党组会议", "starts_at": starts_at(&app).await,
                   "location": "三楼会议室", "agenda": [pid], "attendees": []}),
        )
        .await;
    m.ok();
    assert_eq!(proposal_state(&app, &pid).await, "scheduled");
}

// ------------------------------------------------------------------ R18

async fn archived_case(app: &TestApp) -> (Decided, String, String, String) {
    let d = meeting_with(app, "party_group", &[
        Item::adopt("关于购置服务器设备的议题").with(|i| i.attachment = true),
        Item::adopt("关于李某某同志任职的议题").with(|i| { i.category = "key_appointment"; i.confidential = true }),
    ])
    .await;
    let mid = approved_minutes(app, &d).await;
    let sunli = app.login("sunli").await;
    let r = sunli.post(&format!("/api/v1/minutes/{mid}/publication"), json!({"withheld": [{"proposal_id": d.proposals[1], "reason": "涉及干部个人信息"}]})).await;
    let pubid = r.ok()["id"].as_str().unwrap().to_string();
    app.login("hejun").await.post(&format!("/api/v1/publications/{pubid}/opinions"), json!({"text": "同意购置。"})).await.ok();
    past_window(app, &pubid).await;
    let sunli = app.login("sunli").await;
    sunli.post(&format!("/api/v1/publications/{pubid}/summary"), json!({"text": "收到意见1条，表示同意。"})).await.ok();
    let c = app.login("zhangwei").await.post(&format!("/api/v1/publications/{pubid}/resolution"), json!({"decision": "confirm", "note": ""})).await;
    let archive_id = c.ok()["archive_ids"][0].as_str().unwrap().to_string();
    (d, mid, pubid, archive_id)
}

/// R18: confirmed records are archived; every mutating endpoint refuses them with R18 —
/// for everyone, including the system administrator — and nothing changes.
#[tokio::test]
async fn r18_archived_records_are_read_only_for_everyone() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let (d, mid, pubid, _) = archived_case(&app).await;
    let pid = d.proposals[0].clone();
    assert_eq!(proposal_state(&app, &pid).await, "archived");
    assert_eq!(count_rows(&app, "archive_items").await, 2);
    let sunli = app.login("sunli").await;
    let zhangwei = app.login("zhangwei").await;
    let before_minutes = count_rows(&app, "minutes").await;
    let before_opinions = count_rows(&app, "publication_opinions").await;
    let snapshot = sunli.get(&format!("/api/v1/publications/{pubid}")).await.ok().clone();
    let (hejun, xuming, sys) = (app.login("hejun").await, app.login("xuming").await, app.login("sysadmin").await);
    let audit_before = audit_count(&app).await;

    sunli.post(&format!("/api/v1/minutes/{mid}/revisions"), json!({"body": {}, "reason": "归档后修改"})).await.err("R18");
    zhangwei.post(&format!("/api/v1/minutes/{mid}/approve"), json!({})).await.err("R18");
    sunli.post(&format!("/api/v1/minutes/{mid}/publication"), json!({"withheld": [{"proposal_id": d.proposals[1], "reason": "x"}]})).await.err("R18");
    hejun.post(&format!("/api/v1/publications/{pubid}/opinions"), json!({"text": "x"})).await.err("R18");
    sunli.post(&format!("/api/v1/publications/{pubid}/summary"), json!({"text": "x"})).await.err("R18");
    zhangwei.post(&format!("/api/v1/publications/{pubid}/resolution"), json!({"decision": "redeliberate", "note": "x"})).await.err("R18");
    sunli.post(&format!("/api/v1/proposals/{pid}/superior-approval"), json!({"document_ref": "X", "approved_on": "2026-01-05"})).await.err("R18");
    // The proposer cannot change the archived proposal either (the flow refuses any command).
    let r = xuming.patch(&format!("/api/v1/proposals/{pid}"), json!({"title": "改标题"})).await;
    assert!(r.status >= 400, "{}", r.body);
    // The system administrator has no way in: no business role, no route.
    assert!(sys.post(&format!("/api/v1/minutes/{mid}/revisions"), json!({"body": {}, "reason": "x"})).await.status >= 403);
    assert!(sys.get(&format!("/api/v1/units/{}/archive", app.unit())).await.status >= 403);
    // No refusal wrote anything, not even an audit entry.
    assert_eq!(audit_count(&app).await, audit_before);

    assert_eq!(count_rows(&app, "minutes").await, before_minutes);
    assert_eq!(count_rows(&app, "publication_opinions").await, before_opinions);
    assert_eq!(proposal_state(&app, &pid).await, "archived");
    let after = sunli.get(&format!("/api/v1/publications/{pubid}")).await.ok().clone();
    assert_eq!(after["version"], snapshot["version"]);
    assert_eq!(after["resolution"], snapshot["resolution"]);
}

/// R18: the archive package: a zip whose manifest lists every file with its SHA-256, with
/// notice, materials, original record, minutes (JSON + text), opinions and final decision.
#[tokio::test]
async fn r18_archive_package_has_manifest_with_sha256_of_every_file() {
    use sha2::Digest;
    use std::io::Read;
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let (d, _, _, archive_id) = archived_case(&app).await;
    let sunli = app.login("sunli").await;
    // Listing with kind and q.
    let l = sunli.get(&format!("/api/v1/units/{}/archive?kind=proposal&q=服务器", app.unit())).await;
    let items = l.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], json!(archive_id));
    assert_eq!(items[0]["proposal_id"], json!(d.proposals[0]));
    assert_eq!(items[0]["kind"], "proposal");
    assert_eq!(sunli.get(&format!("/api/v1/units/{}/archive?kind=deliberation", app.unit())).await.ok()["items"].as_array().unwrap().len(), 2);
    assert_eq!(sunli.get(&format!("/api/v1/units/{}/archive?kind=outgoing", app.unit())).await.ok()["items"], json!([]));
    // Staff cannot read the archive; deputies may list but not export.
    app.login("hejun").await.get(&format!("/api/v1/units/{}/archive", app.unit())).await.err("forbidden");
    app.login("lina").await.get(&format!("/api/v1/units/{}/archive", app.unit())).await.ok();
    let (status, _, _) = app.login("lina").await.get_bytes(&format!("/api/v1/archive/{archive_id}/package")).await;
    assert_eq!(status, 403);

    let songtao = app.login("songtao").await;
    let audit_before = audit_count(&app).await;
    let (status, headers, bytes) = songtao.get_bytes(&format!("/api/v1/archive/{archive_id}/package")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/zip");
    assert_eq!(audit_count(&app).await, audit_before + 1, "the export is audited");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut manifest = String::new();
    zip.by_name("manifest.json").unwrap().read_to_string(&mut manifest).unwrap();
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len() + 1, zip.len(), "every file but the manifest is listed");
    for f in files {
        let mut buf = Vec::new();
        zip.by_name(f["path"].as_str().unwrap()).unwrap().read_to_end(&mut buf).unwrap();
        assert_eq!(hex::encode(sha2::Sha256::digest(&buf)), f["sha256"].as_str().unwrap(), "{}", f["path"]);
        assert_eq!(buf.len() as u64, f["size"].as_u64().unwrap());
    }
    let names: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    for n in ["proposal.json", "notice.json", "original_record.json", "opinions.json", "final_decision.json", "trail.json"] {
        assert!(names.contains(&n), "{n} missing: {names:?}");
    }
    assert!(names.iter().any(|n| n.starts_with("minutes/") && n.ends_with(".json")));
    assert!(names.iter().any(|n| n.starts_with("minutes/") && n.ends_with(".txt")));
    let read = |zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, n: &str| {
        let mut s = String::new();
        zip.by_name(n).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let record: Value = serde_json::from_str(&read(&mut zip, "original_record.json")).unwrap();
    assert_eq!(record[0]["attendance"].as_array().unwrap().len(), 5);
    assert_eq!(record[0]["statements"].as_array().unwrap().len(), 6);
    assert_eq!(record[0]["decision"]["outcome"], "adopted");
    let opinions = read(&mut zip, "opinions.json");
    assert!(opinions.contains("同意购置。") && opinions.contains("何军"), "{opinions}");
    let fd: Value = serde_json::from_str(&read(&mut zip, "final_decision.json")).unwrap();
    assert_eq!(fd["resolution"], "confirm");
    assert_eq!(fd["outcome"], "adopted");
    let proposal: Value = serde_json::from_str(&read(&mut zip, "proposal.json")).unwrap();
    assert_eq!(proposal["proposal"]["materials"]["research"], "调研论证情况。");
    // The materials' attachment is in the package, byte for byte.
    let material = names.iter().find(|n| n.starts_with("materials/")).expect("materials attachment in the package").to_string();
    assert!(material.ends_with("调研报告.txt"), "{material}");
    assert_eq!(read(&mut zip, &material), "调研报告：服务器采购询价三家。");
}

// ------------------------------------------------------------------ S01

/// S01: every staff member sees the unit's publications (open ones first) and can comment
/// while open; the disclosure catalogue lists confirmed decisions, appointments and
/// expenditures — without items withheld as confidential.
#[tokio::test]
async fn s01_staff_portal_open_publications_first_and_disclosure_catalogue() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let (d, _, closed_pub, _) = archived_case(&app).await;
    // A second, open publication.
    let d2 = meeting_with(&app, "party_group", &[Item::adopt("关于耕地保护专项资金使用的议题")]).await;
    let m2 = approved_minutes(&app, &d2).await;
    let open_pub = published(&app, &m2).await;
    let staff = app.login("luoyan").await;
    let list = staff.get(&format!("/api/v1/units/{}/publications", app.unit())).await;
    let items = list.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], json!(open_pub), "open publications first");
    assert_eq!(items[0]["open"], true);
    assert_eq!(items[1]["id"], json!(closed_pub));
    let only_open = staff.get(&format!("/api/v1/units/{}/publications?open=true", app.unit())).await;
    assert_eq!(only_open.ok()["items"].as_array().unwrap().len(), 1);
    // Staff comment on the open one; the closed one refuses (R16) and nothing is added.
    staff.post(&format!("/api/v1/publications/{open_pub}/opinions"), json!({"text": "支持。"})).await.ok();
    let before = count_rows(&app, "publication_opinions").await;
    staff.post(&format!("/api/v1/publications/{closed_pub}/opinions"), json!({"text": "x"})).await.err("R18");
    assert_eq!(count_rows(&app, "publication_opinions").await, before);
    // Outside the unit: nothing (404).
    let other = yishi::demo::seed_org(&app.state.db, app.state.clock.now(), "乙").await.unwrap();
    app.state.authz.reload(app.db()).await.unwrap();
    let outsider = app.login("hejun乙").await;
    outsider.get(&format!("/api/v1/publications/{open_pub}")).await.err("not_found");
    outsider.get(&format!("/api/v1/units/{}/publications", app.unit())).await.err("not_found");
    assert!(app.login("hejun乙").await.get(&format!("/api/v1/units/{}/publications", other.unit_id)).await.ok()["items"].as_array().unwrap().is_empty());

    // Disclosure catalogue: the confirmed fund item, not the withheld appointment.
    let cat = staff.get(&format!("/api/v1/units/{}/disclosures", app.unit())).await;
    let entries = cat.ok()["items"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["proposal_id"], json!(d.proposals[0]));
    assert_eq!(entries[0]["kind"], "expenditure");
    assert_eq!(entries[0]["amount"], "350000.00");
    assert_eq!(entries[0]["outcome"], "adopted");
    assert!(entries[0]["serial"].as_str().unwrap().contains("第1期"));
    assert_eq!(staff.get(&format!("/api/v1/units/{}/disclosures?category=key_appointment", app.unit())).await.ok()["items"], json!([]));
}

/// S01 and the to-do list: who is asked to do what after the decision.
#[tokio::test]
async fn s01_tasks_after_the_decision() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    let kinds = |v: &Value| v["items"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let d = meeting_with(&app, "party_group", &[Item::adopt("关于报批方案的议题").with(|i| i.needs_superior_approval = true)]).await;
    let sunli = app.login("sunli").await;
    let zhangwei = app.login("zhangwei").await;
    let hejun = app.login("hejun").await;
    let t = kinds(sunli.get("/api/v1/me/tasks").await.ok());
    assert!(t.contains(&"superior_approval".into()) && t.contains(&"minutes_draft".into()), "{t:?}");
    let today = local_date(app.state.clock.now()).format("%Y-%m-%d").to_string();
    sunli.post(&format!("/api/v1/proposals/{}/superior-approval", d.proposals[0]), json!({"document_ref": "X政复〔2026〕1号", "approved_on": today})).await.ok();
    let m = sunli.post(&format!("/api/v1/meetings/{}/minutes", d.meeting_id), json!({})).await;
    let mid = m.ok()["id"].as_str().unwrap().to_string();
    assert!(kinds(zhangwei.get("/api/v1/me/tasks").await.ok()).contains(&"minutes_approve".into()));
    zhangwei.post(&format!("/api/v1/minutes/{mid}/approve"), json!({})).await.ok();
    assert!(kinds(sunli.get("/api/v1/me/tasks").await.ok()).contains(&"publication_open".into()));
    let pubid = published(&app, &mid).await;
    let t = hejun.get("/api/v1/me/tasks").await;
    let task = t.ok()["items"].as_array().unwrap().iter().find(|x| x["kind"] == "publication_comment").cloned().unwrap();
    assert_eq!(task["object_id"], json!(pubid));
    assert!(task["due_at"].is_string());
    hejun.post(&format!("/api/v1/publications/{pubid}/opinions"), json!({"text": "同意"})).await.ok();
    assert!(!kinds(hejun.get("/api/v1/me/tasks").await.ok()).contains(&"publication_comment".into()));
    past_window(&app, &pubid).await;
    let (sunli, zhangwei) = (app.login("sunli").await, app.login("zhangwei").await);
    assert!(kinds(sunli.get("/api/v1/me/tasks").await.ok()).contains(&"publication_summary".into()));
    sunli.post(&format!("/api/v1/publications/{pubid}/summary"), json!({"text": "收到意见1条。"})).await.ok();
    assert!(kinds(zhangwei.get("/api/v1/me/tasks").await.ok()).contains(&"publication_resolve".into()));
    zhangwei.post(&format!("/api/v1/publications/{pubid}/resolution"), json!({"decision": "confirm", "note": ""})).await.ok();
    let left: Vec<String> = kinds(zhangwei.get("/api/v1/me/tasks").await.ok());
    assert!(!left.iter().any(|k| k.starts_with("publication") || k.starts_with("minutes")), "{left:?}");
}

/// The demo (S01): one confirmed and archived proposal with published minutes, and one open
/// publication — seeded through the use cases, consistent with the API.
#[tokio::test]
async fn s01_demo_seeds_an_archived_decision_and_an_open_publication() {
    let app = spawn_app_with(|c| c.run_jobs = false).await;
    yishi::deliberation::demo::seed(&app.state, &app.org).await.unwrap();
    yishi::minutes::demo::seed(&app.state, &app.org).await.unwrap();
    let staff = app.login("hejun").await;
    let list = staff.get(&format!("/api/v1/units/{}/publications", app.unit())).await;
    let items = list.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["open"], true);
    assert!(items[0]["serial"].as_str().unwrap().ends_with("第2期"));
    assert_eq!(items[1]["state"], "closed");
    assert_eq!(items[1]["resolution"], "confirm");
    let cat = staff.get(&format!("/api/v1/units/{}/disclosures", app.unit())).await;
    assert_eq!(cat.ok()["items"].as_array().unwrap().len(), 1);
    assert_eq!(cat.body["items"][0]["title"], "关于实施不动产登记档案数字化加工项目的议题");
    let arch = app.login("sunli").await.get(&format!("/api/v1/units/{}/archive", app.unit())).await;
    let a = arch.ok()["items"][0].clone();
    let (status, _, _) = app.login("sunli").await.get_bytes(&format!("/api/v1/archive/{}/package", a["id"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert_eq!(proposal_state(&app, a["proposal_id"].as_str().unwrap()).await, "archived");
}
