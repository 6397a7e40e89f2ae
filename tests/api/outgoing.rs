//! Outgoing documents (发文): D04–D10, D12, D13 and D11 (backups) over HTTP, a full
//! scenario per issuing form, and concurrency (D09 numbers, R42 one signature).
//! Every refusal is followed by a read proving nothing changed.
use serde_json::{Value, json};
use std::collections::BTreeMap;
use yishi_tests::*;

fn body(paras: &[&str]) -> Value {
    let mut b = vec![json!({"kind": "heading", "level": 1, "text": "基本情况"})];
    for p in paras {
        b.push(json!({"kind": "paragraph", "text": p}));
    }
    json!(b)
}

fn doc_req(form: &str) -> Value {
    let mut v = json!({
        "title": "关于开展耕地保护专项检查的通知",
        "doc_type": "notice",
        "issuing_form": form,
        "series": "发",
        "recipients": {"main": ["各县（市、区）国土资源局"], "cc": ["局领导"]},
        "body": body(&["第一段。", "第二段。"]),
        "urgency": "normal",
    });
    match form {
        "to_superior" => {
            v["doc_type"] = json!("report");
            v["series"] = json!("文");
            v["recipients"] = json!({"main": ["市人民政府"], "cc": []});
        }
        "joint" => v["joint_departments"] = json!(["市财政局", "市住房和城乡建设局"]),
        "office_own" | "office_by_leader" => v["series"] = json!("办发"),
        _ => {}
    }
    v
}

/// Who drafts, reviews and signs in each scenario (demo unit).
struct Cast {
    drafter: &'static str,
    head: &'static str,
    signer: &'static str,
}

fn cast(form: &str) -> Cast {
    match form {
        "to_superior" => Cast { drafter: "huangxin", head: "zhoujie", signer: "zhangwei" },
        "bureau_general" => Cast { drafter: "gaofei", head: "zhengkai", signer: "wangqiang" },
        "joint" => Cast { drafter: "huangxin", head: "zhoujie", signer: "zhangwei" },
        "office_by_leader" => Cast { drafter: "mali", head: "zhaomin", signer: "lina" },
        "office_own" => Cast { drafter: "mali", head: "zhaomin", signer: "zhaomin" },
        "office_for_section" => Cast { drafter: "xuming", head: "wuhua", signer: "lina" },
        _ => panic!("unknown form {form}"),
    }
}

struct T {
    app: TestApp,
    c: BTreeMap<String, Client>,
}

const PEOPLE: &[&str] = &[
    "zhangwei", "lina", "wangqiang", "liuyang", "chenjing", "zhaomin", "sunli", "mali", "zhoujie", "huangxin", "wuhua",
    "xuming", "zhengkai", "gaofei", "hejun", "luoyan", "songtao",
];

impl T {
    async fn new() -> T {
        let app = spawn_app().await;
        let mut c = BTreeMap::new();
        for p in PEOPLE {
            c.insert(p.to_string(), app.login(p).await);
        }
        T { app, c }
    }
    fn u(&self, name: &str) -> &Client {
        &self.c[name]
    }
    async fn create(&self, drafter: &str, req: Value) -> String {
        let r = self.u(drafter).post(&format!("/api/v1/units/{}/outgoing", self.app.unit()), req).await;
        r.ok()["id"].as_str().unwrap().to_string()
    }
    async fn post(&self, who: &str, id: &str, step: &str, body: Value) -> Resp {
        self.u(who).post(&format!("/api/v1/outgoing/{id}/{step}"), body).await
    }
    /// The document as the inspector sees it: every field, opinion and trail entry.
    async fn doc(&self, id: &str) -> Value {
        self.u("songtao").get(&format!("/api/v1/outgoing/{id}")).await.ok().clone()
    }
    async fn state(&self, id: &str) -> String {
        self.doc(id).await["state"].as_str().unwrap().to_string()
    }
    /// Asserts a refusal changed nothing: same document, same audit length.
    async fn unchanged(&self, id: &str, before: &Value, audit_before: i64) {
        assert_eq!(&self.doc(id).await, before, "a refused action changed the document");
        assert_eq!(audit_count(&self.app).await, audit_before, "a refused action wrote to the audit log");
    }
    async fn snapshot(&self, id: &str) -> (Value, i64) {
        (self.doc(id).await, audit_count(&self.app).await)
    }
    /// create → submit → review → consolidate → verify (→ leader review, external countersigns).
    async fn to_signoff(&self, form: &str, req: Value) -> String {
        let k = cast(form);
        let id = self.create(k.drafter, req).await;
        self.post(k.drafter, &id, "submit", json!({})).await.ok();
        self.post(k.head, &id, "review", json!({"approve": true, "opinion": "同意"})).await.ok();
        self.post(k.drafter, &id, "consolidate", json!({})).await.ok();
        self.post("zhaomin", &id, "verify", json!({"pass": true, "opinion": "核稿通过"})).await.ok();
        if form == "to_superior" || form == "joint" {
            self.post("wangqiang", &id, "leader-review", json!({"approve": true, "opinion": "同意"})).await.ok();
        }
        if form == "joint" {
            for dept in ["市财政局", "市住房和城乡建设局"] {
                self.post(k.drafter, &id, "external-countersigns", json!({"department": dept, "opinion": "同意", "signed_on": self.today()}))
                    .await
                    .ok();
            }
        }
        assert_eq!(self.state(&id).await, "signoff");
        id
    }
    fn today(&self) -> String {
        yishi_domain_today(&self.app)
    }
    async fn absent(&self, who: &str) {
        let today = self.today();
        self.u(who)
            .post(&format!("/api/v1/units/{}/absences", self.app.unit()), json!({"from": today, "to": today, "reason": "外出开会"}))
            .await
            .ok();
    }
    async fn tasks(&self, who: &str) -> Vec<Value> {
        self.u(who).get("/api/v1/me/tasks").await.ok()["items"].as_array().unwrap().clone()
    }
}

fn yishi_domain_today(app: &TestApp) -> String {
    let now = app.state.clock.now();
    (now + chrono::Duration::hours(8)).format("%Y-%m-%d").to_string()
}

fn year(app: &TestApp) -> String {
    (app.state.clock.now() + chrono::Duration::hours(8)).format("%Y").to_string()
}

fn trail_actions(doc: &Value) -> Vec<String> {
    doc["trail"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap().to_string()).collect()
}

// ------------------------------------------------------------------ D04

/// D04: a handler of the main section drafts with the 15 document types, recipients,
/// secrecy and urgency; bad input is refused naming the field; the section head reviews.
#[tokio::test]
async fn d04_handler_drafts_and_main_section_head_reviews() {
    let t = T::new().await;
    let path = format!("/api/v1/units/{}/outgoing", t.app.unit());
    let rows = count_rows(&t.app, "outgoing_documents").await;
    let audit = audit_count(&t.app).await;
    let bad = |f: &str, v: Value| {
        let mut r = doc_req("bureau_general");
        r[f] = v;
        r
    };
    let h = t.u("huangxin");
    assert_eq!(h.post(&path, bad("doc_type", json!("memo"))).await.err("invalid")["error"]["details"]["field"], "doc_type");
    assert_eq!(h.post(&path, bad("body", json!([{"kind": "heading", "level": 5, "text": "x"}]))).await.err("invalid")["error"]["details"]["field"], "body");
    assert_eq!(h.post(&path, bad("body", json!([{"kind": "paragraph", "text": " "}]))).await.err("invalid")["error"]["details"]["field"], "body");
    assert_eq!(h.post(&path, bad("recipients", json!({"main": [], "cc": ["x"]}))).await.err("invalid")["error"]["details"]["field"], "recipients.main");
    assert_eq!(h.post(&path, bad("series", json!("发1"))).await.err("invalid")["error"]["details"]["field"], "series");
    assert_eq!(h.post(&path, bad("amount", json!("12.345"))).await.err("invalid")["error"]["details"]["field"], "amount");
    let r = h.post(&path, bad("secrecy", json!("secret"))).await;
    assert!(r.err("D01")["error"]["message"].as_str().unwrap().contains("涉密"));
    // Form-specific: office-by-leader names the leader; joint lists the departments.
    assert_eq!(h.post(&path, doc_req("office_by_leader")).await.err("invalid")["error"]["details"]["field"], "signoff_leader_id");
    let mut j = doc_req("joint");
    j["joint_departments"] = json!([]);
    assert_eq!(h.post(&path, j).await.err("invalid")["error"]["details"]["field"], "joint_departments");
    // Office-own documents come from the office.
    assert_eq!(h.post(&path, doc_req("office_own")).await.err("invalid")["error"]["details"]["field"], "issuing_form");
    // Staff and leaders do not draft (casbin).
    t.u("hejun").post(&path, doc_req("bureau_general")).await.err("forbidden");
    t.u("zhangwei").post(&path, doc_req("bureau_general")).await.err("forbidden");
    assert_eq!(count_rows(&t.app, "outgoing_documents").await, rows);
    assert_eq!(audit_count(&t.app).await, audit);

    let mut req = doc_req("bureau_general");
    req["secrecy"] = json!("internal");
    req["urgency"] = json!("urgent");
    req["amount"] = json!("5000.5");
    let r = h.post(&path, req).await;
    let d = r.ok();
    assert_eq!(d["state"], "drafting");
    assert_eq!(d["main_section_id"], t.app.section("planning"));
    assert_eq!(d["drafter_id"], t.app.user_id("huangxin"));
    assert_eq!(d["doc_type_label"], "通知");
    assert_eq!(d["secrecy"], "internal");
    assert_eq!(d["urgency_label"], "特急");
    assert_eq!(d["amount"], "5000.50");
    assert_eq!(d["versions"].as_array().unwrap().len(), 1);
    assert_eq!(d["body"][0]["kind"], "heading");
    let id = d["id"].as_str().unwrap().to_string();

    t.post("huangxin", &id, "submit", json!({})).await.ok();
    assert_eq!(t.state(&id).await, "section_review");
    // Only a head of the main section reviews: the farmland head may not.
    let (before, a) = t.snapshot(&id).await;
    t.post("zhengkai", &id, "review", json!({"approve": true})).await.err("not_found");
    t.post("wuhua", &id, "review", json!({"approve": true})).await.err("not_found");
    // Returning needs an opinion.
    t.post("zhoujie", &id, "review", json!({"approve": false, "opinion": " "})).await.err("invalid");
    t.unchanged(&id, &before, a).await;
    t.post("zhoujie", &id, "review", json!({"approve": false, "opinion": "请补充检查范围"})).await.ok();
    assert_eq!(t.state(&id).await, "returned");
    t.post("huangxin", &id, "submit", json!({})).await.ok();
    let d = t.post("zhoujie", &id, "review", json!({"approve": true, "opinion": "同意"})).await.ok().clone();
    assert_eq!(d["state"], "consolidating");
    let reviews: Vec<_> = d["reviews"].as_array().unwrap().iter().map(|r| (r["kind"].clone(), r["approve"].clone())).collect();
    assert_eq!(reviews, vec![(json!("section_review"), json!(false)), (json!("section_review"), json!(true))]);
    assert_eq!(
        trail_actions(&d),
        vec!["outgoing.create", "outgoing.submit", "outgoing.review.return", "outgoing.submit", "outgoing.review.approve"]
    );
}

/// D04/D08: the drafter edits while drafting or returned; every saved text is a version,
/// diffable paragraph by paragraph; others and later states are refused.
#[tokio::test]
async fn d04_drafter_edits_are_versioned_and_diffable() {
    let t = T::new().await;
    let id = t.create("huangxin", doc_req("bureau_general")).await;
    let p = format!("/api/v1/outgoing/{id}");
    let (before, a) = t.snapshot(&id).await;
    // Not the drafter: a handler of another section cannot even see it (D13), staff may not
    // edit at all (casbin), the head may see but not edit.
    t.u("gaofei").patch(&p, json!({"title": "改"})).await.err("not_found");
    t.u("hejun").patch(&p, json!({"title": "改"})).await.err("forbidden");
    t.u("zhoujie").patch(&p, json!({"title": "改"})).await.err("forbidden");
    t.u("huangxin").patch(&p, json!({"body": [{"kind": "heading", "level": 9, "text": "x"}]})).await.err("invalid");
    t.u("huangxin").patch(&p, json!({"title": "新", "version": 99})).await.err("conflict");
    t.unchanged(&id, &before, a).await;

    let d = t.u("huangxin").patch(&p, json!({"body": body(&["第一段。", "第二段（修改）。", "第三段。"])})).await.ok().clone();
    assert_eq!(d["body_version"], 2);
    let d = t.u("huangxin").patch(&p, json!({"title": "关于开展耕地保护专项督查的通知"})).await.ok().clone();
    assert_eq!(d["body_version"], 3);
    // A non-text change keeps the version.
    let d = t.u("huangxin").patch(&p, json!({"urgency": "expedited"})).await.ok().clone();
    assert_eq!(d["body_version"], 3);
    assert_eq!(d["urgency"], "expedited");

    let v = t.u("huangxin").get(&format!("{p}/versions")).await.ok().clone();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["body"][2]["text"], "第二段。");
    assert_eq!(items[2]["title"], "关于开展耕地保护专项督查的通知");
    let diff = t.u("zhoujie").get(&format!("{p}/versions/1/diff/3")).await.ok().clone();
    assert_eq!(diff["title"]["changed"], true);
    let ops: Vec<(String, String)> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["op"].as_str().unwrap().to_string(), c["text"].as_str().unwrap().to_string()))
        .collect();
    assert!(ops.contains(&("delete".into(), "第二段。".into())));
    assert!(ops.contains(&("insert".into(), "第二段（修改）。".into())));
    assert!(ops.contains(&("insert".into(), "第三段。".into())));
    assert!(ops.contains(&("equal".into(), "第一段。".into())));
    t.u("zhoujie").get(&format!("{p}/versions/1/diff/7")).await.err("invalid");

    // Submitted: no more editing.
    t.post("huangxin", &id, "submit", json!({})).await.ok();
    let (before, a) = t.snapshot(&id).await;
    t.u("huangxin").patch(&p, json!({"title": "再改"})).await.err("conflict");
    t.unchanged(&id, &before, a).await;
}

// ------------------------------------------------------------------ D05

async fn countersigning(t: &T) -> String {
    let id = t.create("huangxin", doc_req("bureau_general")).await;
    t.post("huangxin", &id, "submit", json!({})).await.ok();
    t.post("zhoujie", &id, "review", json!({"approve": true})).await.ok();
    let d = t
        .post("huangxin", &id, "countersign", json!({"section_ids": [t.app.section("finance"), t.app.section("farmland")]}))
        .await
        .ok()
        .clone();
    assert_eq!(d["state"], "countersigning");
    id
}

/// D05, R42: the countersigning sections answer at the same moment and every answer is taken
/// (none is refused as a conflict it did not cause); the document moves on once, after both.
#[tokio::test]
async fn d05_r42_simultaneous_countersign_opinions_are_all_recorded() {
    let t = T::new().await;
    for round in 0..5 {
        let id = countersigning(&t).await;
        let (a, b) = tokio::join!(
            t.post("wuhua", &id, "countersign-opinions", json!({"stance": "agree"})),
            t.post("zhengkai", &id, "countersign-opinions", json!({"stance": "agree_with_changes", "text": "补充耕地占补平衡说明"})),
        );
        assert_eq!((a.status, b.status), (200, 200), "round {round}: {} / {}", a.body, b.body);
        let d = t.doc(&id).await;
        assert_eq!(d["state"], "consolidating", "round {round}");
        assert_eq!(d["countersigns"].as_array().unwrap().len(), 2, "round {round}");
        let moved: Vec<&Value> = d["trail"].as_array().unwrap().iter().filter(|e| e["action"] == "outgoing.countersign.opinion" && e["to_state"] == "consolidating").collect();
        assert_eq!(moved.len(), 1, "round {round}: {moved:?}");
    }
}

/// D05: parallel countersign; each head answers agree / agree with changes (text) /
/// disagree (reason); consolidation only after every opinion.
#[tokio::test]
async fn d05_countersign_in_parallel_then_main_section_consolidates() {
    let t = T::new().await;
    let id = t.create("huangxin", doc_req("bureau_general")).await;
    t.post("huangxin", &id, "submit", json!({})).await.ok();
    t.post("zhoujie", &id, "review", json!({"approve": true})).await.ok();
    let (before, a) = t.snapshot(&id).await;
    t.post("huangxin", &id, "countersign", json!({"section_ids": []})).await.err("invalid");
    t.post("huangxin", &id, "countersign", json!({"section_ids": [t.app.section("planning")]})).await.err("invalid");
    t.post("huangxin", &id, "countersign", json!({"section_ids": ["nope"]})).await.err("invalid");
    t.unchanged(&id, &before, a).await;
    t.post("huangxin", &id, "countersign", json!({"section_ids": [t.app.section("finance"), t.app.section("farmland")]})).await.ok();

    let (before, a) = t.snapshot(&id).await;
    t.post("huangxin", &id, "consolidate", json!({})).await.err("D05");
    t.post("wuhua", &id, "countersign-opinions", json!({"stance": "agree_with_changes"})).await.err("D05");
    t.post("wuhua", &id, "countersign-opinions", json!({"stance": "disagree", "text": ""})).await.err("D05");
    t.post("wuhua", &id, "countersign-opinions", json!({"stance": "maybe"})).await.err("invalid");
    // A head of a section not asked: refused (the office head is not a participant: 404).
    t.post("zhaomin", &id, "countersign-opinions", json!({"stance": "agree"})).await.err("not_found");
    t.unchanged(&id, &before, a).await;

    let d = t.post("wuhua", &id, "countersign-opinions", json!({"stance": "agree_with_changes", "text": "第二段补充资金来源"})).await.ok().clone();
    assert_eq!(d["state"], "countersigning");
    // One answer per section.
    let (before, a) = t.snapshot(&id).await;
    t.post("wuhua", &id, "countersign-opinions", json!({"stance": "agree"})).await.err("forbidden");
    t.unchanged(&id, &before, a).await;
    let d = t.post("zhengkai", &id, "countersign-opinions", json!({"stance": "agree"})).await.ok().clone();
    assert_eq!(d["state"], "consolidating");
    let cs = d["countersigns"].as_array().unwrap();
    assert_eq!(cs.len(), 2);
    assert!(cs.iter().any(|c| c["stance"] == "agree_with_changes" && c["text"] == "第二段补充资金来源" && c["head_id"] == t.app.user_id("wuhua")));
    // The main section consolidates the changes into a new version and hands it to the office.
    let d = t
        .post("huangxin", &id, "consolidate", json!({"body": body(&["第一段。", "第二段，资金由市级财政安排。"])}))
        .await
        .ok()
        .clone();
    assert_eq!(d["state"], "verifying");
    assert_eq!(d["versions"].as_array().unwrap().last().unwrap()["reason"], "consolidated");
}

/// D05: a disagreement pauses routing until resolved by negotiation (recorded).
#[tokio::test]
async fn d05_disagreement_pauses_routing_until_negotiated() {
    let t = T::new().await;
    let id = countersigning(&t).await;
    let d = t.post("wuhua", &id, "countersign-opinions", json!({"stance": "disagree", "text": "资金来源不明确"})).await.ok().clone();
    assert_eq!(d["state"], "paused");
    assert_eq!(d["paused"], true);
    assert_eq!(d["paused_from"], "countersigning");
    // The other section still answers; routing stays paused.
    let d = t.post("zhengkai", &id, "countersign-opinions", json!({"stance": "agree"})).await.ok().clone();
    assert_eq!(d["state"], "paused");
    let (before, a) = t.snapshot(&id).await;
    t.post("huangxin", &id, "consolidate", json!({})).await.err("D05");
    t.u("huangxin").patch(&format!("/api/v1/outgoing/{id}"), json!({"title": "x"})).await.err("D05");
    // Disagreeing again is not a resolution.
    t.post("wuhua", &id, "countersign-opinions", json!({"stance": "disagree", "text": "仍不同意"})).await.err("conflict");
    t.unchanged(&id, &before, a).await;
    // Negotiated: the finance head answers again; the disagreement stays on record.
    let d = t
        .post("wuhua", &id, "countersign-opinions", json!({"stance": "agree_with_changes", "text": "经协商，明确由市级财政安排"}))
        .await
        .ok()
        .clone();
    assert_eq!(d["state"], "consolidating");
    assert_eq!(d["paused_from"], Value::Null);
    let fin = d["countersigns"].as_array().unwrap().iter().find(|c| c["section_id"] == t.app.section("finance")).unwrap().clone();
    assert_eq!(fin["stance"], "disagree");
    assert_eq!(fin["text"], "资金来源不明确");
    assert_eq!(fin["resolution"], "negotiated");
    assert!(fin["resolution_note"].as_str().unwrap().contains("经协商"));
    assert!(trail_actions(&d).contains(&"outgoing.countersign.negotiated".to_string()));
}

/// D05: the deputy in charge rules on a disagreement: proceed or return; nobody else may.
#[tokio::test]
async fn d05_deputy_in_charge_rules_on_disagreement() {
    let t = T::new().await;
    let id = countersigning(&t).await;
    t.post("wuhua", &id, "countersign-opinions", json!({"stance": "disagree", "text": "资金来源不明确"})).await.ok();
    let (before, a) = t.snapshot(&id).await;
    // 李娜 is a deputy but not in charge of planning; the principal is not the deputy in charge.
    t.post("lina", &id, "resolve-disagreement", json!({"ruling": "proceed", "text": "继续"})).await.err("forbidden");
    t.post("zhangwei", &id, "resolve-disagreement", json!({"ruling": "proceed", "text": "继续"})).await.err("forbidden");
    t.post("wangqiang", &id, "resolve-disagreement", json!({"ruling": "proceed"})).await.err("invalid");
    t.post("wangqiang", &id, "resolve-disagreement", json!({"ruling": "later", "text": "x"})).await.err("invalid");
    t.unchanged(&id, &before, a).await;
    // Proceed: routing resumes where it was (farmland still has to answer).
    let d = t.post("wangqiang", &id, "resolve-disagreement", json!({"ruling": "proceed", "text": "资金已落实，继续办理"})).await.ok().clone();
    assert_eq!(d["state"], "countersigning");
    t.post("zhengkai", &id, "countersign-opinions", json!({"stance": "agree"})).await.ok();
    assert_eq!(t.state(&id).await, "consolidating");
    // A second document: the ruling returns it to the drafter.
    let id2 = countersigning(&t).await;
    t.post("zhengkai", &id2, "countersign-opinions", json!({"stance": "disagree", "text": "与耕保政策冲突"})).await.ok();
    let d = t.post("wangqiang", &id2, "resolve-disagreement", json!({"ruling": "return", "text": "按耕保处意见修改"})).await.ok().clone();
    assert_eq!(d["state"], "returned");
    let row = d["countersigns"].as_array().unwrap().iter().find(|c| c["stance"] == "disagree").unwrap().clone();
    assert_eq!(row["resolution"], "ruling_return");
}

// ------------------------------------------------------------------ D06

/// D06: the office director passes or returns with reasons; nobody else verifies.
#[tokio::test]
async fn d06_office_director_verifies_or_returns_with_reasons() {
    let t = T::new().await;
    let id = t.create("gaofei", doc_req("bureau_general")).await;
    t.post("gaofei", &id, "submit", json!({})).await.ok();
    t.post("zhengkai", &id, "review", json!({"approve": true})).await.ok();
    // Not yet with the office: the director is no participant yet (D13).
    let (before, a) = t.snapshot(&id).await;
    t.post("zhaomin", &id, "verify", json!({"pass": true})).await.err("not_found");
    t.unchanged(&id, &before, a).await;
    t.post("gaofei", &id, "consolidate", json!({})).await.ok();
    let (before, a) = t.snapshot(&id).await;
    let r = t.post("zhaomin", &id, "verify", json!({"pass": false})).await;
    assert!(r.err("D06")["error"]["message"].as_str().unwrap().contains("理由"));
    t.post("zhaomin", &id, "verify", json!({"pass": false, "opinion": "  "})).await.err("D06");
    t.post("sunli", &id, "verify", json!({"pass": true})).await.err("forbidden");
    t.post("zhengkai", &id, "verify", json!({"pass": true})).await.err("forbidden");
    t.unchanged(&id, &before, a).await;
    let d = t.post("zhaomin", &id, "verify", json!({"pass": false, "opinion": "主送单位不全，请补充"})).await.ok().clone();
    assert_eq!(d["state"], "returned");
    let last = d["reviews"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["approve"].as_bool(), last["opinion"].as_str()), (Some("verification"), Some(false), Some("主送单位不全，请补充")));
    // Resubmitted and passed: waits for sign-off.
    t.post("gaofei", &id, "submit", json!({})).await.ok();
    t.post("zhengkai", &id, "review", json!({"approve": true})).await.ok();
    t.post("gaofei", &id, "consolidate", json!({})).await.ok();
    assert_eq!(t.post("zhaomin", &id, "verify", json!({"pass": true})).await.ok()["state"], "signoff");
}

// ------------------------------------------------------------------ D07 (six scenarios)

/// Everyone but the D07 authority is refused sign-off, and nothing changes.
async fn only_authority_may_sign(t: &T, id: &str, authority: &[&str]) {
    let (before, a) = t.snapshot(id).await;
    for p in PEOPLE {
        if authority.contains(p) {
            continue;
        }
        let r = t.post(p, id, "signoff", json!({"opinion": "同意"})).await;
        assert!(
            ["D07", "D12", "forbidden", "not_found"].contains(&r.code()),
            "{p} signing: {} {}",
            r.status,
            r.body
        );
        if ["zhangwei", "lina", "wangqiang", "zhaomin"].contains(p) {
            // Leaders and the office director reach the rule: D07 names it.
            assert_eq!(r.code(), "D07", "{p}: {}", r.body);
        }
    }
    t.unchanged(id, &before, a).await;
}

/// A full scenario: draft → review → (countersign) → consolidate → verify → (leader review,
/// external countersigns) → everyone else refused → the authority signs → numbered, frozen
/// → issued and archived.
async fn scenario(form: &str, authority: &[&str]) {
    let t = T::new().await;
    let k = cast(form);
    let mut req = doc_req(form);
    if form == "office_by_leader" {
        req["signoff_leader_id"] = json!(t.app.user_id("lina"));
    }
    let id = t.create(k.drafter, req).await;
    t.post(k.drafter, &id, "submit", json!({})).await.ok();
    t.post(k.head, &id, "review", json!({"approve": true, "opinion": "同意"})).await.ok();
    if form == "bureau_general" || form == "joint" {
        let other = if k.head == "zhoujie" { "finance" } else { "planning" };
        let other_head = if other == "finance" { "wuhua" } else { "zhoujie" };
        t.post(k.drafter, &id, "countersign", json!({"section_ids": [t.app.section(other)]})).await.ok();
        t.post(other_head, &id, "countersign-opinions", json!({"stance": "agree"})).await.ok();
    }
    if form == "joint" {
        // The deputy's review comes before the other departments countersign.
        let (before, a) = t.snapshot(&id).await;
        t.post(k.drafter, &id, "external-countersigns", json!({"department": "市财政局", "opinion": "同意", "signed_on": t.today()})).await.err("D07");
        t.unchanged(&id, &before, a).await;
        t.post("wangqiang", &id, "leader-review", json!({"approve": true, "opinion": "同意送会签"})).await.ok();
        t.post(k.drafter, &id, "external-countersigns", json!({"department": "市财政局", "opinion": "同意", "signed_on": t.today()})).await.ok();
        let (before, a) = t.snapshot(&id).await;
        t.post(k.drafter, &id, "external-countersigns", json!({"department": "市财政局", "opinion": "同意", "signed_on": t.today()})).await.err("conflict");
        t.post(k.drafter, &id, "external-countersigns", json!({"department": "市教育局", "opinion": "同意", "signed_on": t.today()})).await.err("invalid");
        t.unchanged(&id, &before, a).await;
    }
    t.post(k.drafter, &id, "consolidate", json!({})).await.ok();
    t.post("zhaomin", &id, "verify", json!({"pass": true, "opinion": "核稿通过"})).await.ok();
    assert_eq!(t.state(&id).await, "signoff");
    match form {
        "to_superior" => {
            // D07: the principal signs only after the deputy in charge has reviewed.
            let (before, a) = t.snapshot(&id).await;
            let r = t.post("zhangwei", &id, "signoff", json!({})).await;
            assert_eq!(r.err("D07")["error"]["details"]["missing"], "leader_review");
            // Only the deputy in charge reviews.
            t.post("lina", &id, "leader-review", json!({"approve": true})).await.err("forbidden");
            t.unchanged(&id, &before, a).await;
            t.post("wangqiang", &id, "leader-review", json!({"approve": true, "opinion": "同意上报"})).await.ok();
        }
        "joint" => {
            let (before, a) = t.snapshot(&id).await;
            let r = t.post("zhangwei", &id, "signoff", json!({})).await;
            assert!(r.err("D07")["error"]["message"].as_str().unwrap().contains("市住房和城乡建设局"));
            t.unchanged(&id, &before, a).await;
            t.post(k.drafter, &id, "external-countersigns", json!({"department": "市住房和城乡建设局", "opinion": "同意", "signed_on": t.today()})).await.ok();
        }
        _ => {
            // Forms without a deputy's review refuse one (D07).
            let (before, a) = t.snapshot(&id).await;
            t.post("wangqiang", &id, "leader-review", json!({"approve": true})).await.err("D07");
            t.post("lina", &id, "leader-review", json!({"approve": true})).await.err("D07");
            t.unchanged(&id, &before, a).await;
        }
    }
    only_authority_may_sign(&t, &id, authority).await;
    // The scenario's own signer is one of the D07 authority (the cast and the rule agree).
    let signer = k.signer;
    assert!(authority.contains(&signer), "{form}: {signer} is not among {authority:?}");
    let d = t.post(signer, &id, "signoff", json!({"opinion": "同意印发"})).await.ok().clone();
    assert_eq!(d["state"], "numbered");
    let series = doc_req(form)["series"].as_str().unwrap().to_string();
    assert_eq!(d["number"], format!("X国土资{series}〔{}〕1号", year(&t.app)));
    assert_eq!(d["signed_by"], t.app.user_id(signer));
    assert_eq!(d["frozen"]["intact"], true);
    assert_eq!(d["content_sha256"].as_str().unwrap().len(), 64);
    let actions = trail_actions(&d);
    assert!(actions.ends_with(&["outgoing.signoff".to_string(), "outgoing.number".to_string()]));
    // The clerk issues; the document is archived with its versions and trail.
    let (before, a) = t.snapshot(&id).await;
    t.post(k.drafter, &id, "issue", json!({})).await.err("forbidden");
    t.unchanged(&id, &before, a).await;
    let d = t.post("sunli", &id, "issue", json!({})).await.ok().clone();
    assert_eq!(d["state"], "archived");
    assert!(d["issued_at"].is_string() && d["archived_at"].is_string());
    assert!(trail_actions(&d).ends_with(&["outgoing.issue".to_string(), "outgoing.archive".to_string()]));
    assert_eq!(count_rows(&t.app, "archive_items").await, 1);
    t.post("sunli", &id, "issue", json!({})).await.err("conflict");
}

#[tokio::test]
async fn d07_scenario_to_superior_signed_by_principal_after_deputy_review() {
    scenario("to_superior", &["zhangwei"]).await;
}

#[tokio::test]
async fn d07_scenario_bureau_general_signed_by_deputy_in_charge_or_principal() {
    scenario("bureau_general", &["wangqiang", "zhangwei"]).await;
}

#[tokio::test]
async fn d07_scenario_joint_signed_by_principal_after_review_and_external_countersigns() {
    scenario("joint", &["zhangwei"]).await;
}

#[tokio::test]
async fn d07_scenario_office_by_leader_signed_by_that_leader() {
    scenario("office_by_leader", &["lina"]).await;
}

#[tokio::test]
async fn d07_scenario_office_own_signed_by_office_director() {
    scenario("office_own", &["zhaomin"]).await;
}

#[tokio::test]
async fn d07_scenario_office_for_section_signed_by_deputy_in_charge_of_that_section() {
    scenario("office_for_section", &["lina"]).await;
}

/// D07: a sign-off before the steps that precede it is refused with D07.
#[tokio::test]
async fn d07_signoff_before_prerequisite_review_is_refused() {
    let t = T::new().await;
    let id = t.create("gaofei", doc_req("bureau_general")).await;
    for step in [None, Some("submit")] {
        if let Some(s) = step {
            t.post("gaofei", &id, s, json!({})).await.ok();
        }
        let (before, a) = t.snapshot(&id).await;
        t.post("wangqiang", &id, "signoff", json!({})).await.err("D07");
        t.unchanged(&id, &before, a).await;
    }
    t.post("zhengkai", &id, "review", json!({"approve": true})).await.ok();
    t.post("gaofei", &id, "consolidate", json!({})).await.ok();
    let (before, a) = t.snapshot(&id).await;
    t.post("wangqiang", &id, "signoff", json!({})).await.err("D07");
    t.unchanged(&id, &before, a).await;
}

// ------------------------------------------------------------------ D08

/// D08: after sign-off the content is frozen (SHA-256); a change needs a change request
/// approved by the signing leader, which creates a new version and keeps the old one.
#[tokio::test]
async fn d08_signed_content_is_frozen_and_changed_only_by_approved_request() {
    let t = T::new().await;
    let id = t.to_signoff("bureau_general", doc_req("bureau_general")).await;
    let d = t.post("wangqiang", &id, "signoff", json!({})).await.ok().clone();
    let sha1 = d["content_sha256"].as_str().unwrap().to_string();
    let v1 = d["body_version"].as_i64().unwrap();
    let (before, a) = t.snapshot(&id).await;
    let r = t.u("gaofei").patch(&format!("/api/v1/outgoing/{id}"), json!({"title": "签发后偷偷改"})).await;
    assert!(r.err("D08")["error"]["message"].as_str().unwrap().contains("修改申请"));
    t.post("gaofei", &id, "change-requests", json!({"reason": "", "body": body(&["x"])})).await.err("invalid");
    t.post("gaofei", &id, "change-requests", json!({"reason": "错字", "body": []})).await.err("invalid");
    t.unchanged(&id, &before, a).await;

    let cr = t.post("gaofei", &id, "change-requests", json!({"reason": "第二段有错字", "body": body(&["第一段。", "第二段（更正）。"])})).await.ok().clone();
    assert_eq!(cr["state"], "pending");
    let cr_id = cr["id"].as_str().unwrap().to_string();
    let dp = format!("/api/v1/change-requests/{cr_id}/decision");
    // A second request while one is pending: refused.
    t.post("gaofei", &id, "change-requests", json!({"reason": "再改", "body": body(&["x"])})).await.err("conflict");
    // Issuing waits for the decision.
    t.post("sunli", &id, "issue", json!({})).await.err("D08");
    // Only the signer decides: the principal (who could have signed) and others may not.
    let (before, a) = t.snapshot(&id).await;
    t.u("zhangwei").post(&dp, json!({"approve": true})).await.err("forbidden");
    t.u("zhaomin").post(&dp, json!({"approve": true})).await.err("forbidden");
    t.u("gaofei").post(&dp, json!({"approve": true})).await.err("forbidden");
    t.u("wangqiang").post(&dp, json!({"approve": false})).await.err("invalid");
    t.unchanged(&id, &before, a).await;
    assert_eq!(t.doc(&id).await["frozen"]["intact"], true);

    let r = t.u("wangqiang").post(&dp, json!({"approve": true, "opinion": "同意更正"})).await.ok().clone();
    assert_eq!(r["state"], "approved");
    let d = r["document"].clone();
    assert_eq!(d["body_version"].as_i64().unwrap(), v1 + 1);
    assert_eq!(d["body"][2]["text"], "第二段（更正）。");
    let sha2 = d["content_sha256"].as_str().unwrap().to_string();
    assert_ne!(sha1, sha2);
    assert_eq!(d["frozen"]["intact"], true);
    assert_eq!(d["number"], format!("X国土资发〔{}〕1号", year(&t.app)));
    // The old version is kept.
    let vers = t.u("gaofei").get(&format!("/api/v1/outgoing/{id}/versions")).await.ok()["items"].as_array().unwrap().clone();
    assert_eq!(vers.len() as i64, v1 + 1);
    assert_eq!(vers[(v1 - 1) as usize]["body"][2]["text"], "第二段。");
    assert_eq!(vers[v1 as usize]["reason"], "change_request");
    assert_eq!(vers[v1 as usize]["content_sha256"], sha2.as_str());
    // Decided once.
    t.u("wangqiang").post(&dp, json!({"approve": true})).await.err("conflict");
    // Tampering with the stored text is detected.
    use sea_orm::ConnectionTrait;
    t.app.db().execute_unprepared(&format!("UPDATE outgoing_documents SET title = '篡改' WHERE id = '{id}'")).await.unwrap();
    assert_eq!(t.doc(&id).await["frozen"]["intact"], false);
}

// ------------------------------------------------------------------ D09, R42

/// D09: `{机关代字}{series}〔{year}〕{n}号`, gapless and unique per unit, series and year, even
/// with a dozen sign-offs at the same moment.
#[tokio::test]
async fn d09_numbers_are_gapless_and_unique_under_parallel_signoffs() {
    let t = T::new().await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(t.to_signoff("bureau_general", doc_req("bureau_general")).await);
    }
    let mut letter = doc_req("bureau_general");
    letter["series"] = json!("函");
    letter["doc_type"] = json!("letter");
    let letter_id = t.to_signoff("bureau_general", letter).await;
    // Two signers in parallel, each on their own session.
    let futs = ids.iter().enumerate().map(|(i, id)| {
        let who = if i % 2 == 0 { "wangqiang" } else { "zhangwei" };
        let c = t.u(who).clone();
        let id = id.clone();
        async move { c.post(&format!("/api/v1/outgoing/{id}/signoff"), json!({"opinion": "同意"})).await }
    });
    let results = futures::future::join_all(futs).await;
    let y = year(&t.app);
    let mut numbers: Vec<String> = results.iter().map(|r| r.ok()["number"].as_str().unwrap().to_string()).collect();
    numbers.sort_by_key(|n| n.trim_start_matches(&format!("X国土资发〔{y}〕")).trim_end_matches('号').parse::<u32>().unwrap());
    let expected: Vec<String> = (1..=12).map(|n| format!("X国土资发〔{y}〕{n}号")).collect();
    assert_eq!(numbers, expected);
    // Another series has its own counter.
    let d = t.post("wangqiang", &letter_id, "signoff", json!({})).await.ok().clone();
    assert_eq!(d["number"], format!("X国土资函〔{y}〕1号"));
}

/// R42: two leaders who may both sign (deputy in charge, principal) sign at once: exactly
/// one succeeds, one number is used.
#[tokio::test]
async fn r42_two_leaders_signing_the_same_document_at_once_exactly_one_succeeds() {
    let t = T::new().await;
    for _ in 0..3 {
        let id = t.to_signoff("bureau_general", doc_req("bureau_general")).await;
        let a = t.u("wangqiang").clone();
        let b = t.u("zhangwei").clone();
        let p = format!("/api/v1/outgoing/{id}/signoff");
        let (ra, rb) = tokio::join!(a.post(&p, json!({})), b.post(&p, json!({})));
        let ok = [&ra, &rb].iter().filter(|r| r.status == 200).count();
        assert_eq!(ok, 1, "{} {} / {} {}", ra.status, ra.body, rb.status, rb.body);
        let loser = if ra.status == 200 { &rb } else { &ra };
        loser.err("conflict");
        let d = t.doc(&id).await;
        assert_eq!(d["state"], "numbered");
        assert_eq!(d["trail"].as_array().unwrap().iter().filter(|x| x["action"] == "outgoing.signoff").count(), 1);
    }
    // Three documents, three numbers: the loser's number was given back (gapless).
    let y = year(&t.app);
    let numbers: Vec<String> = t
        .u("songtao")
        .get(&format!("/api/v1/units/{}/outgoing?state=numbered", t.app.unit()))
        .await
        .ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["number"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = numbers.clone();
    sorted.sort();
    assert_eq!(sorted, (1..=3).map(|n| format!("X国土资发〔{y}〕{n}号")).collect::<Vec<_>>());
}

// ------------------------------------------------------------------ D10

async fn decide_proposal(t: &T, proposal_id: &str, outcome: &str) {
    use sea_orm::ConnectionTrait;
    let state = if outcome == "adopted" { "decided" } else { "rejected" };
    let tx = t.app.state.db.begin_write().await.unwrap();
    let sql = format!("UPDATE proposals SET state = '{state}', outcome = '{outcome}' WHERE id = '{proposal_id}'");
    tx.execute_unprepared(&sql).await.unwrap();
    yishi::outgoing::on_proposal_decided(&*tx, proposal_id).await.unwrap();
    tx.commit().await.unwrap();
}

/// D10/R01: a document carrying at least the unit's threshold is refused sign-off until
/// linked to a decided proposal; escalation pauses it and opens a linked draft proposal;
/// it resumes where it was once the proposal is decided; the link shows on both.
#[tokio::test]
async fn d10_large_amount_refused_signoff_until_escalated_proposal_is_decided() {
    let t = T::new().await;
    let mut req = doc_req("bureau_general");
    req["amount"] = json!("100000.00");
    req["payee"] = json!("示例市地质环境监测站");
    let id = t.to_signoff("bureau_general", req).await;
    let (before, a) = t.snapshot(&id).await;
    let r = t.post("wangqiang", &id, "signoff", json!({})).await;
    let e = r.err("D10");
    assert!(e["error"]["message"].as_str().unwrap().contains("R01"));
    assert_eq!(e["error"]["details"]["threshold"], "100000.00");
    // Escalation: leaders only (the deputy in charge or the principal), with a reason.
    t.post("zhaomin", &id, "escalation", json!({"reason": "x", "category": "large_fund"})).await.err("forbidden");
    t.post("lina", &id, "escalation", json!({"reason": "x", "category": "large_fund"})).await.err("forbidden");
    t.post("wangqiang", &id, "escalation", json!({"reason": " ", "category": "large_fund"})).await.err("invalid");
    t.post("wangqiang", &id, "escalation", json!({"reason": "x", "category": "big"})).await.err("invalid");
    t.unchanged(&id, &before, a).await;
    assert_eq!(count_rows(&t.app, "proposals").await, 0);

    let r = t.post("wangqiang", &id, "escalation", json!({"reason": "金额达到大额资金标准", "category": "large_fund"})).await.ok().clone();
    let pid = r["proposal"]["id"].as_str().unwrap().to_string();
    assert_eq!(r["proposal"]["state"], "draft");
    assert_eq!(r["proposal"]["linked_document_id"], id.as_str());
    assert_eq!(r["proposal"]["proposer_id"], t.app.user_id("gaofei"));
    assert_eq!(r["document"]["state"], "escalated");
    assert_eq!(r["document"]["paused"], true);
    assert_eq!(r["document"]["paused_from"], "signoff");
    assert_eq!(r["document"]["linked_proposal"]["id"], pid.as_str());
    // The proposal's trail records where it came from.
    let n: i64 = {
        use sea_orm::ConnectionTrait;
        let row = t
            .app
            .db()
            .query_one_raw(sea_orm::Statement::from_string(
                t.app.db().get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM trail WHERE object_type = 'proposal' AND object_id = '{pid}' AND action = 'proposal.create' AND note LIKE '%{id}%'"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "n").unwrap()
    };
    assert_eq!(n, 1);
    // Paused: every step waits for the decision.
    let (before, a) = t.snapshot(&id).await;
    t.post("wangqiang", &id, "signoff", json!({})).await.err("D10");
    t.post("zhangwei", &id, "escalation", json!({"reason": "再次", "category": "large_fund"})).await.err("D10");
    t.unchanged(&id, &before, a).await;
    // Deferred: still waiting.
    {
        let tx = t.app.state.db.begin_write().await.unwrap();
        use sea_orm::ConnectionTrait;
        tx.execute_unprepared(&format!("UPDATE proposals SET state = 'deferred', outcome = 'deferred' WHERE id = '{pid}'")).await.unwrap();
        yishi::outgoing::on_proposal_decided(&*tx, &pid).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(t.state(&id).await, "escalated");
    // Adopted: back to sign-off, and now it may be signed.
    decide_proposal(&t, &pid, "adopted").await;
    let d = t.doc(&id).await;
    assert_eq!(d["state"], "signoff");
    assert_eq!(d["linked_proposal"]["outcome"], "adopted");
    assert!(trail_actions(&d).contains(&"outgoing.resume".to_string()));
    let d = t.post("wangqiang", &id, "signoff", json!({})).await.ok().clone();
    assert_eq!(d["state"], "numbered");

    // Below the threshold: no collective decision needed.
    let mut req = doc_req("bureau_general");
    req["amount"] = json!("99999.99");
    let id = t.to_signoff("bureau_general", req).await;
    t.post("wangqiang", &id, "signoff", json!({})).await.ok();
}

/// D10/D05: a disagreement the deputy cannot resolve goes to the collective; a rejected
/// proposal sends the document back to the drafter.
#[tokio::test]
async fn d10_disagreement_escalated_and_rejected_proposal_returns_the_document() {
    let t = T::new().await;
    let id = countersigning(&t).await;
    t.post("wuhua", &id, "countersign-opinions", json!({"stance": "disagree", "text": "分歧较大"})).await.ok();
    let r = t.post("zhangwei", &id, "escalation", json!({"reason": "意见分歧较大，按三重一大程序", "category": "major_decision"})).await.ok().clone();
    assert_eq!(r["document"]["state"], "escalated");
    let fin = r["document"]["countersigns"].as_array().unwrap().iter().find(|c| c["stance"] == "disagree").unwrap().clone();
    assert_eq!(fin["resolution"], "escalated");
    let pid = r["proposal"]["id"].as_str().unwrap().to_string();
    decide_proposal(&t, &pid, "rejected").await;
    assert_eq!(t.state(&id).await, "returned");
}

// ------------------------------------------------------------------ D12

/// D12: for one document the drafter cannot review, verify or sign off, and nobody approves
/// their own request.
#[tokio::test]
async fn d12_drafter_cannot_review_verify_or_sign_off_nor_approve_own_request() {
    let t = T::new().await;
    // A second head and director in the office, so that the office director's own draft
    // can be routed by someone else.
    let sec = t.app.login("secadmin").await;
    sec.put(
        &format!("/api/v1/units/{}/members/{}", t.app.unit(), t.app.user_id("mali")),
        json!({"roles": ["handler", "section_head", "office_director"], "section_id": t.app.section("office")}),
    )
    .await
    .ok();
    let mali = t.app.login("mali").await;
    let mut req = doc_req("office_own");
    req["title"] = json!("办公室主任起草的通知");
    let r = t.u("zhaomin").post(&format!("/api/v1/units/{}/outgoing", t.app.unit()), req).await;
    let id = r.ok()["id"].as_str().unwrap().to_string();
    t.post("zhaomin", &id, "submit", json!({})).await.ok();
    let (before, a) = t.snapshot(&id).await;
    let r = t.post("zhaomin", &id, "review", json!({"approve": true})).await;
    assert!(r.err("D12")["error"]["message"].as_str().unwrap().contains("拟稿人"));
    t.unchanged(&id, &before, a).await;
    mali.post(&format!("/api/v1/outgoing/{id}/review"), json!({"approve": true})).await.ok();
    t.post("zhaomin", &id, "consolidate", json!({})).await.ok();
    let (before, a) = t.snapshot(&id).await;
    t.post("zhaomin", &id, "verify", json!({"pass": true})).await.err("D12");
    t.post("zhaomin", &id, "verify", json!({"pass": false, "opinion": "自己退回"})).await.err("D12");
    t.unchanged(&id, &before, a).await;
    mali.post(&format!("/api/v1/outgoing/{id}/verify"), json!({"pass": true})).await.ok();
    let (before, a) = t.snapshot(&id).await;
    t.post("zhaomin", &id, "signoff", json!({})).await.err("D12");
    t.unchanged(&id, &before, a).await;
    mali.post(&format!("/api/v1/outgoing/{id}/signoff"), json!({})).await.ok();

    // Nobody approves their own request: 赵敏 signs 马丽's office document; while 马丽 is
    // away 赵敏 is her backup and files a change request on her behalf — she may not approve it.
    sec.put(&format!("/api/v1/units/{}/members/{}", t.app.unit(), t.app.user_id("mali")), json!({"roles": ["handler"], "section_id": t.app.section("office")}))
        .await
        .ok();
    sec.put(&format!("/api/v1/units/{}/members/{}/backup", t.app.unit(), t.app.user_id("mali")), json!({"backup_user_id": t.app.user_id("zhaomin")}))
        .await
        .ok();
    let mali = t.app.login("mali").await;
    let r = mali.post(&format!("/api/v1/units/{}/outgoing", t.app.unit()), doc_req("office_own")).await;
    let id = r.ok()["id"].as_str().unwrap().to_string();
    mali.post(&format!("/api/v1/outgoing/{id}/submit"), json!({})).await.ok();
    t.post("zhaomin", &id, "review", json!({"approve": true})).await.ok();
    mali.post(&format!("/api/v1/outgoing/{id}/consolidate"), json!({})).await.ok();
    t.post("zhaomin", &id, "verify", json!({"pass": true})).await.ok();
    t.post("zhaomin", &id, "signoff", json!({})).await.ok();
    let today = t.today();
    mali.post(&format!("/api/v1/units/{}/absences", t.app.unit()), json!({"from": today, "to": today, "reason": "出差"})).await.ok();
    let cr = t.post("zhaomin", &id, "change-requests", json!({"reason": "更正日期", "body": body(&["更正。"])})).await.ok().clone();
    assert_eq!(cr["on_behalf_of"], t.app.user_id("mali"));
    let (before, a) = t.snapshot(&id).await;
    let r = t.u("zhaomin").post(&format!("/api/v1/change-requests/{}/decision", cr["id"].as_str().unwrap()), json!({"approve": true})).await;
    assert!(r.err("D12")["error"]["message"].as_str().unwrap().contains("本人提出的申请"));
    t.unchanged(&id, &before, a).await;
}

// ------------------------------------------------------------------ D13

/// D13: while in processing, a document (its opinions and trail) is visible only to its
/// participants, their leaders and inspectors; everyone else gets 404, in lists too.
#[tokio::test]
async fn d13_document_in_processing_visible_only_to_participants_leaders_inspectors() {
    let t = T::new().await;
    let id = countersigning(&t).await;
    t.post("wuhua", &id, "countersign-opinions", json!({"stance": "agree_with_changes", "text": "内部意见：经费偏高"})).await.ok();
    let readers = ["huangxin", "zhoujie", "wuhua", "zhengkai", "wangqiang", "lina", "zhangwei", "songtao"];
    let others = ["hejun", "luoyan", "gaofei", "xuming", "mali", "liuyang", "chenjing", "sunli", "zhaomin"];
    for p in readers {
        let d = t.u(p).get(&format!("/api/v1/outgoing/{id}")).await;
        assert_eq!(d.status, 200, "{p}: {}", d.body);
        assert!(d.body["trail"].as_array().is_some_and(|x| !x.is_empty()), "{p}");
    }
    let list_path = format!("/api/v1/units/{}/outgoing", t.app.unit());
    for p in others {
        let r = t.u(p).get(&format!("/api/v1/outgoing/{id}")).await;
        assert_eq!(r.status, 404, "{p}: {}", r.body);
        assert!(!r.body.to_string().contains("经费偏高"));
        t.u(p).get(&format!("/api/v1/outgoing/{id}/versions")).await.err("not_found");
        t.u(p).get(&format!("/api/v1/outgoing/{id}/versions/1/diff/1")).await.err("not_found");
        let list = t.u(p).get(&list_path).await.ok().clone();
        assert!(list["items"].as_array().unwrap().iter().all(|d| d["id"] != id.as_str()), "{p} lists it");
    }
    let list = t.u("wuhua").get(&list_path).await.ok().clone();
    assert!(list["items"].as_array().unwrap().iter().any(|d| d["id"] == id.as_str()));
    // Another unit: not found either.
    let other = yishi::demo::seed_org(&t.app.state.db, t.app.state.clock.now(), "乙").await.unwrap();
    t.app.state.authz.reload(t.app.db()).await.unwrap();
    let stranger = t.app.login("songtao乙").await;
    stranger.get(&format!("/api/v1/outgoing/{id}")).await.err("not_found");
    let _ = other;
    // Once issued, the text belongs to the unit; the opinions and trail stay with the participants.
    t.post("zhengkai", &id, "countersign-opinions", json!({"stance": "agree"})).await.ok();
    t.post("huangxin", &id, "consolidate", json!({})).await.ok();
    t.post("zhaomin", &id, "verify", json!({"pass": true})).await.ok();
    t.post("wangqiang", &id, "signoff", json!({})).await.ok();
    t.post("sunli", &id, "issue", json!({})).await.ok();
    let d = t.u("hejun").get(&format!("/api/v1/outgoing/{id}")).await.ok().clone();
    assert_eq!(d["state"], "archived");
    assert!(d.get("trail").is_none() && d.get("countersigns").is_none());
    assert!(!d.to_string().contains("经费偏高"));
}

// ------------------------------------------------------------------ D11

/// D11: while the assignee is away, their designated backup acts; the trail and the audit
/// log record "B on behalf of A"; the task moves to B; nobody else may act.
#[tokio::test]
async fn d11_backup_acts_for_absent_drafter_and_head_recorded_on_behalf() {
    let t = T::new().await;
    let id = t.create("huangxin", doc_req("bureau_general")).await;
    // Not absent yet: the backup may not act.
    let (before, a) = t.snapshot(&id).await;
    t.post("gaofei", &id, "submit", json!({})).await.err("not_found");
    t.unchanged(&id, &before, a).await;
    t.absent("huangxin").await;
    let tasks = t.tasks("gaofei").await;
    let task = tasks.iter().find(|x| x["object_id"] == id.as_str()).expect("backup sees the drafter's task");
    assert_eq!(task["on_behalf_of"], t.app.user_id("huangxin"));
    assert_eq!(task["on_behalf_of_name"], "黄欣");
    assert!(t.tasks("huangxin").await.iter().all(|x| x["object_id"] != id.as_str()));
    // Someone else's colleague is not the backup.
    let (before, a) = t.snapshot(&id).await;
    t.post("xuming", &id, "submit", json!({})).await.err("not_found");
    t.unchanged(&id, &before, a).await;
    let d = t.post("gaofei", &id, "submit", json!({})).await.ok().clone();
    let last = d["trail"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor_id"], t.app.user_id("gaofei"));
    assert_eq!(last["on_behalf_of"], t.app.user_id("huangxin"));
    assert_eq!(last["display"], "高飞（代黄欣）");
    // The head is away too: 郑凯 reviews for 周杰.
    t.absent("zhoujie").await;
    let tasks = t.tasks("zhengkai").await;
    assert!(tasks.iter().any(|x| x["object_id"] == id.as_str() && x["kind"] == "outgoing_review" && x["on_behalf_of"] == t.app.user_id("zhoujie").as_str()));
    let d = t.post("zhengkai", &id, "review", json!({"approve": true, "opinion": "同意"})).await.ok().clone();
    let rev = d["reviews"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(rev["reviewer_id"], t.app.user_id("zhengkai"));
    assert_eq!(rev["on_behalf_of"], t.app.user_id("zhoujie"));
    // The audit log carries on_behalf_of.
    let audit = t.u("songtao").get(&format!("/api/v1/audit?object={id}")).await.ok().clone();
    let entry = audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "outgoing.review.approve").unwrap().clone();
    assert_eq!(entry["actor_id"], t.app.user_id("zhengkai"));
    assert_eq!(entry["on_behalf_of"], t.app.user_id("zhoujie"));
}

/// D11 (to-do list): every waiting step shows up for whoever acts on it today.
#[tokio::test]
async fn d11_tasks_follow_each_waiting_step() {
    let t = T::new().await;
    let has = |tasks: &[Value], id: &str, kind: &str| tasks.iter().any(|x| x["object_id"] == id && x["kind"] == kind && x["object_type"] == "outgoing");
    let id = t.create("gaofei", doc_req("bureau_general")).await;
    assert!(has(&t.tasks("gaofei").await, &id, "outgoing_draft"));
    t.post("gaofei", &id, "submit", json!({})).await.ok();
    assert!(has(&t.tasks("zhengkai").await, &id, "outgoing_review"));
    assert!(!has(&t.tasks("gaofei").await, &id, "outgoing_draft"));
    t.post("zhengkai", &id, "review", json!({"approve": true})).await.ok();
    t.post("gaofei", &id, "countersign", json!({"section_ids": [t.app.section("finance")]})).await.ok();
    assert!(has(&t.tasks("wuhua").await, &id, "outgoing_countersign"));
    t.post("wuhua", &id, "countersign-opinions", json!({"stance": "disagree", "text": "不同意"})).await.ok();
    assert!(has(&t.tasks("wangqiang").await, &id, "outgoing_resolve"));
    t.post("wangqiang", &id, "resolve-disagreement", json!({"ruling": "proceed", "text": "继续"})).await.ok();
    assert!(has(&t.tasks("gaofei").await, &id, "outgoing_consolidate"));
    t.post("gaofei", &id, "consolidate", json!({})).await.ok();
    assert!(has(&t.tasks("zhaomin").await, &id, "outgoing_verify"));
    t.post("zhaomin", &id, "verify", json!({"pass": true})).await.ok();
    assert!(has(&t.tasks("wangqiang").await, &id, "outgoing_signoff"));
    assert!(has(&t.tasks("zhangwei").await, &id, "outgoing_signoff"));
    t.post("zhangwei", &id, "signoff", json!({})).await.ok();
    assert!(!has(&t.tasks("wangqiang").await, &id, "outgoing_signoff"));
    assert!(has(&t.tasks("sunli").await, &id, "outgoing_issue"));
    t.post("gaofei", &id, "change-requests", json!({"reason": "更正", "body": body(&["更正后"])})).await.ok();
    assert!(has(&t.tasks("zhangwei").await, &id, "outgoing_change_request"));
    assert!(!has(&t.tasks("wangqiang").await, &id, "outgoing_change_request"));
}

/// D04 attachments, D13 for them: the drafter attaches while drafting; only the document's
/// readers download them; the frozen digest (D08) covers them.
#[tokio::test]
async fn d13_attachments_follow_the_documents_visibility() {
    let t = T::new().await;
    let id = t.create("huangxin", doc_req("bureau_general")).await;
    let r = t.u("huangxin").upload(&format!("/api/v1/outgoing/{id}/attachments"), "附件1 检查表.txt", "检查表内容".as_bytes().to_vec()).await;
    let d = r.ok().clone();
    let att = d["attachments"][0]["id"].as_str().unwrap().to_string();
    // Not the drafter: refused, nothing stored.
    let n = count_rows(&t.app, "attachments").await;
    t.u("zhoujie").upload(&format!("/api/v1/outgoing/{id}/attachments"), "x.txt", b"x".to_vec()).await.err("forbidden");
    assert_eq!(count_rows(&t.app, "attachments").await, n);
    let (s, _, bytes) = t.u("zhoujie").get_bytes(&format!("/api/v1/attachments/{att}")).await;
    assert_eq!((s, bytes), (200, "检查表内容".as_bytes().to_vec()));
    let (s, _, _) = t.u("gaofei").get_bytes(&format!("/api/v1/attachments/{att}")).await;
    assert_eq!(s, 404);
    // After submission the attachments are part of the text under review: no more changes.
    t.post("huangxin", &id, "submit", json!({})).await.ok();
    t.u("huangxin").upload(&format!("/api/v1/outgoing/{id}/attachments"), "y.txt", b"y".to_vec()).await.err("conflict");
    assert_eq!(count_rows(&t.app, "attachments").await, n);
}

/// D13 in the list, filtered in SQL: for everyone in the unit (incl. the backups of absent
/// colleagues in the demo), paging through the list in small pages yields exactly the
/// documents they may open, newest first, each once; the `state` filter agrees; a cursor that
/// is not one of the unit's documents is refused with the field named.
#[tokio::test]
async fn d13_list_pages_hold_exactly_the_documents_each_person_may_open() {
    let t = T::new().await;
    yishi::outgoing::demo::seed(&t.app.state, &t.app.org).await.unwrap();
    let list_path = format!("/api/v1/units/{}/outgoing", t.app.unit());
    let all = page_through(&t.u("songtao"), &list_path, 500).await;
    assert!(all.len() >= 8, "demo documents: {}", all.len());
    let id = |d: &Value| d["id"].as_str().unwrap().to_string();
    let keys: Vec<(String, String)> = all.iter().map(|d| (d["created_at"].as_str().unwrap().to_string(), id(d))).collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted, "newest first");
    let ids: Vec<String> = all.iter().map(id).collect();
    for who in yishi::demo::PEOPLE.iter().map(|p| p.0) {
        let c = t.u(who);
        let mut may_open = Vec::new();
        for d in &ids {
            let r = c.get(&format!("/api/v1/outgoing/{d}")).await;
            assert!(r.status == 200 || r.status == 404, "{who}: {}", r.status);
            if r.status == 200 {
                may_open.push(d.clone());
            }
        }
        let listed: Vec<String> = page_through(&c, &list_path, 2).await.iter().map(id).collect();
        assert_eq!(listed, may_open, "{who}: list vs. detail visibility");
    }
    let c = t.u("songtao");
    let listed: Vec<String> = page_through(&c, &format!("{list_path}?state=archived"), 1).await.iter().map(id).collect();
    let expected: Vec<String> = all.iter().filter(|d| d["state"] == "archived").map(id).collect();
    assert!(!expected.is_empty());
    assert_eq!(listed, expected);
    let r = c.get(&format!("{list_path}?cursor=no-such-document")).await;
    assert_eq!(r.err("invalid")["error"]["details"]["field"], "cursor");
}
