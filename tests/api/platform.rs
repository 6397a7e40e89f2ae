//! Foundation: sessions and accounts (R41), authorization (R40), audit chain (R19),
//! concurrency (R42), durability (R43), uploads (R44), time and calendar (R45).
use serde_json::{Value, json};
use yishi_tests::*;

#[tokio::test]
async fn r41_sign_in_sets_httponly_samesite_cookie_and_returns_csrf() {
    let app = spawn_app().await;
    let c = app.anon();
    let r = c.post("/api/v1/session", json!({"username": "zhangwei", "password": yishi::demo::DEMO_PASSWORD})).await;
    r.ok();
    assert!(r.body["csrf_token"].as_str().is_some_and(|t| t.len() >= 32));
    let cookie = r.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let me = c.get("/api/v1/me").await;
    assert_eq!(me.ok()["user"]["username"], "zhangwei");
    assert_eq!(me.body["units"][0]["roles"][0], "principal");
    // Wrong password: 401, and no session.
    let bad = app.anon();
    bad.post("/api/v1/session", json!({"username": "zhangwei", "password": "nope"})).await.err("unauthenticated");
    bad.get("/api/v1/me").await.err("unauthenticated");
}

#[tokio::test]
async fn r41_state_change_without_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let mut c = app.login("secadmin").await;
    let path = format!("/api/v1/units/{}/settings", app.unit());
    let before = c.get(&path).await.ok().clone();
    let audit_before = audit_count(&app).await;
    let good = c.csrf.take();
    c.put(&path, json!({"publication_days": 3})).await.err("csrf");
    c.csrf = Some("wrong".into());
    c.put(&path, json!({"publication_days": 3})).await.err("csrf");
    assert_eq!(c.get(&path).await.ok(), &before);
    assert_eq!(audit_count(&app).await, audit_before);
    c.csrf = good;
    assert_eq!(c.put(&path, json!({"publication_days": 3})).await.ok()["publication_days"], 3);
}

#[tokio::test]
async fn r41_login_is_throttled_after_repeated_failures() {
    let app = spawn_app().await;
    let c = app.anon();
    for _ in 0..5 {
        c.post("/api/v1/session", json!({"username": "lina", "password": "wrong-password"})).await.err("unauthenticated");
    }
    // Locked now, even with the right password.
    let r = c.post("/api/v1/session", json!({"username": "lina", "password": yishi::demo::DEMO_PASSWORD})).await;
    assert_eq!(r.status, 429, "{}", r.body);
    r.err("throttled");
    // After the window, the account can sign in again.
    app.advance(16 * 60).await;
    c.post("/api/v1/session", json!({"username": "lina", "password": yishi::demo::DEMO_PASSWORD})).await.ok();
}

#[tokio::test]
async fn r41_idle_session_times_out_per_unit_setting() {
    let app = spawn_app().await;
    let admin = app.login("secadmin").await;
    admin.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"session_idle_minutes": 10})).await.ok();
    let c = app.login("zhangwei").await;
    c.get("/api/v1/me").await.ok();
    app.advance(9 * 60).await;
    c.get("/api/v1/me").await.ok();
    app.advance(11 * 60).await;
    c.get("/api/v1/me").await.err("unauthenticated");
}

#[tokio::test]
async fn r41_first_login_and_reset_force_a_password_change_with_policy() {
    let app = spawn_app().await;
    let sys = app.login("sysadmin").await;
    sys.post("/api/v1/users", json!({"username": "newbie", "display_name": "新人", "password": "short"})).await.err("invalid");
    let u = sys.post("/api/v1/users", json!({"username": "newbie", "display_name": "新人", "password": "Initial-Pass-1"})).await;
    assert_eq!(u.ok()["must_change_password"], true);
    let c = app.login_with("newbie", "Initial-Pass-1").await;
    c.get("/api/v1/me/tasks").await.err("password_change_required");
    c.post("/api/v1/me/password", json!({"old_password": "Initial-Pass-1", "new_password": "weak"})).await.err("invalid");
    c.post("/api/v1/me/password", json!({"old_password": "Initial-Pass-1", "new_password": "Better-Pass-22"})).await.ok();
    c.get("/api/v1/me/tasks").await.ok();
    // The stored hash is argon2id.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let row = yishi::store::entities::users::Entity::find()
        .filter(yishi::store::entities::users::Column::Username.eq("newbie"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(row.password_hash.starts_with("$argon2id$"));
}

/// Sessions are remembered briefly by the server (`SessionCache`): a sign-out and a password
/// reset must still end them on the very next request, and the refused requests change nothing.
#[tokio::test]
async fn r41_sign_out_and_password_reset_end_sessions_at_once() {
    let app = spawn_app().await;
    let a = app.login("xuming").await;
    let b = app.login("xuming").await;
    a.get("/api/v1/me").await.ok();
    b.get("/api/v1/me").await.ok();
    a.delete("/api/v1/session").await.ok();
    a.get("/api/v1/me").await.err("unauthenticated");
    b.get("/api/v1/me").await.ok();
    let sys = app.login("sysadmin").await;
    sys.post(&format!("/api/v1/users/{}/password-reset", app.user_id("xuming")), json!({"password": "Reset-Pass-123"}))
        .await
        .ok();
    b.get("/api/v1/me").await.err("unauthenticated");
    b.get("/api/v1/me/tasks").await.err("unauthenticated");
    // The old password no longer signs in; the reset one does, and must be changed first.
    let c = app.login_with("xuming", "Reset-Pass-123").await;
    c.get("/api/v1/me/tasks").await.err("password_change_required");
}

#[tokio::test]
async fn r41_three_admin_roles_never_share_an_account() {
    let app = spawn_app().await;
    let sec = app.login("secadmin").await;
    // An administrator cannot also be given business roles.
    let r = sec.put(&format!("/api/v1/units/{}/members/{}", app.unit(), app.user_id("sysadmin")), json!({"roles": ["principal"]})).await;
    r.err("invalid");
    // bootstrap refuses one account for two roles, and a non-empty database.
    let names = [&"a".to_string(), &"a".to_string(), &"b".to_string()];
    assert!(yishi::cli::bootstrap(&app.state.db, app.state.clock.now(), names).await.is_err());
    let names = [&"x".to_string(), &"y".to_string(), &"z".to_string()];
    assert_eq!(yishi::cli::bootstrap(&app.state.db, app.state.clock.now(), names).await.unwrap_err().code, "conflict");
}

#[tokio::test]
async fn r40_unauthenticated_401_forbidden_403_and_other_units_404() {
    let app = spawn_app().await;
    let anon = app.anon();
    anon.get("/api/v1/me").await.err("unauthenticated");
    anon.get(&format!("/api/v1/units/{}/sections", app.unit())).await.err("unauthenticated");
    // A staff member may read the unit but not change its settings.
    let staff = app.login("hejun").await;
    staff.get(&format!("/api/v1/units/{}/sections", app.unit())).await.ok();
    staff.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"publication_days": 5})).await.err("forbidden");
    // Another unit: its existence is not revealed.
    let other = yishi::demo::seed_org(&app.state.db, app.state.clock.now(), "乙").await.unwrap();
    app.state.authz.reload(app.db()).await.unwrap();
    let r = staff.get(&format!("/api/v1/units/{}/sections", other.unit_id)).await;
    assert_eq!(r.status, 404);
    r.err("not_found");
    let r = staff.get("/api/v1/units/no-such-unit/sections").await;
    r.err("not_found");
    // The sysadmin manages units but reads no business content (no unit roles).
    let sys = app.login("sysadmin").await;
    sys.put(&format!("/api/v1/units/{}/calendar/2027", app.unit()), json!({"holidays": [], "workdays": []})).await.err("forbidden");
}

/// R40: every registered route × every role, compared with the expected table kept in
/// `tests/api/authz_expected.txt`. A new route without a line there fails this test.
#[tokio::test]
async fn r40_route_role_matrix_matches_expected_table() {
    use yishi::http::api::Scope;
    let app = spawn_app().await;
    let roles = [
        "principal", "deputy", "member", "office_director", "clerk", "section_head", "handler", "staff", "inspector",
        "sysadmin", "secadmin", "auditor",
    ];
    let specs = yishi::http::route_specs(app.state.clone());
    assert!(specs.len() > 20);
    let mut actual = Vec::new();
    for s in &specs {
        let g = s.guard;
        let allowed: Vec<&str> = match g.scope {
            Scope::Public => vec!["public"],
            Scope::SignedIn => {
                if app.state.authz.allowed("authenticated", "self", g.obj, g.act) { vec!["signed_in"] } else { vec![] }
            }
            _ => roles
                .iter()
                .copied()
                .filter(|r| {
                    let admin = matches!(*r, "sysadmin" | "secadmin" | "auditor");
                    let dom = if admin { "system" } else { app.unit() };
                    match g.scope {
                        Scope::System => admin && app.state.authz.allowed(r, "system", g.obj, g.act),
                        _ => app.state.authz.allowed(r, dom, g.obj, g.act),
                    }
                })
                .collect(),
        };
        actual.push(format!("{} {}: {}", s.method, s.path, allowed.join(" ")));
    }
    actual.sort();
    let expected_path = concat!(env!("CARGO_MANIFEST_DIR"), "/api/authz_expected.txt");
    let expected_text = std::fs::read_to_string(expected_path).unwrap_or_default();
    let mut expected: Vec<String> = expected_text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    expected.sort();
    if actual != expected {
        let out = std::env::temp_dir().join("authz_actual.txt");
        std::fs::write(&out, actual.join("\n") + "\n").unwrap();
        let missing: Vec<_> = actual.iter().filter(|l| !expected.contains(l)).collect();
        let extra: Vec<_> = expected.iter().filter(|l| !actual.contains(l)).collect();
        panic!(
            "route × role table differs from {expected_path}.\nNot in the expected table (new route or changed policy):\n{}\nExpected but not found:\n{}\nThe actual table is in {}",
            missing.iter().map(|s| format!("  {s}")).collect::<Vec<_>>().join("\n"),
            extra.iter().map(|s| format!("  {s}")).collect::<Vec<_>>().join("\n"),
            out.display()
        );
    }
    // And the gate really applies the table: the clerk may edit the calendar, staff may not.
    let cal = format!("/api/v1/units/{}/calendar/2027", app.unit());
    app.login("sunli").await.put(&cal, json!({"holidays": ["2027-01-01"], "workdays": []})).await.ok();
    app.login("hejun").await.put(&cal, json!({"holidays": [], "workdays": []})).await.err("forbidden");
}

#[tokio::test]
async fn r19_audit_listing_names_the_actors() {
    let app = spawn_app().await;
    let sec = app.login("secadmin").await;
    sec.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"publication_days": 3})).await.ok();
    let v = app.login("auditor").await.get("/api/v1/audit").await;
    let items = v.ok()["items"].as_array().unwrap().clone();
    let mine = items.iter().find(|e| e["actor_id"] == sec.user_id.as_str()).expect("an entry by the secadmin");
    let name = mine["actor_name"].as_str().unwrap_or_default();
    assert!(!name.is_empty() && name != sec.user_id, "actor_name: {mine}");
    // Every entry carries the field (null for the system).
    assert!(items.iter().all(|e| e.get("actor_name").is_some() && e.get("on_behalf_of_name").is_some()));
}

/// The web app's deep links (`/proposals/<id>`) get index.html with 200; unknown API
/// routes stay JSON 404s.
#[tokio::test]
async fn spa_deep_links_are_served_index_html_with_200() {
    let app = spawn_app().await;
    std::fs::create_dir_all(app.dir.join("dist")).unwrap();
    std::fs::write(app.dir.join("dist/index.html"), "<!doctype html><title>议事</title>").unwrap();
    let anon = app.anon();
    for path in ["/", "/proposals/abc", "/meetings/x/ballot"] {
        let (status, headers, body) = anon.get_bytes(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(headers[reqwest::header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{path}");
        assert!(String::from_utf8_lossy(&body).contains("议事"), "{path}");
    }
    anon.get("/api/v1/no-such-route").await.err("not_found");
}

#[tokio::test]
async fn r19_audit_chain_verifies_and_detects_alteration_deletion_and_reordering() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let sec = app.login("secadmin").await;
    for d in 3..8 {
        sec.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"publication_days": d})).await.ok();
    }
    let auditor = app.login("auditor").await;
    let v = auditor.get("/api/v1/audit/verify").await;
    assert_eq!(v.ok()["ok"], true, "{}", v.body);
    let n = v.body["entries"].as_i64().unwrap();
    assert!(n >= 7);
    // The inspector sees the unit's entries; staff cannot read the log.
    let insp = app.login("songtao").await;
    assert!(!insp.get(&format!("/api/v1/audit?unit={}", app.unit())).await.ok()["items"].as_array().unwrap().is_empty());
    app.login("hejun").await.get("/api/v1/audit").await.err("forbidden");
    insp.get("/api/v1/audit/verify").await.err("forbidden");

    let db = app.db();
    let exec = |sql: String| async move { db.execute_unprepared(&sql).await.unwrap() };
    // 1. Alter one entry's content.
    exec("UPDATE audit_log SET action = 'forged' WHERE seq = 3".into()).await;
    let r = yishi::audit::verify(db).await.unwrap();
    assert!(!r.ok && r.first_bad.as_ref().unwrap().seq == 3, "{r:?}");
    let v = auditor.get("/api/v1/audit/verify").await;
    assert_eq!(v.ok()["ok"], false);
}

#[tokio::test]
async fn r19_deleting_or_reordering_audit_entries_is_detected() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let sec = app.login("secadmin").await;
    for d in 3..9 {
        sec.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"publication_days": d})).await.ok();
    }
    assert!(yishi::audit::verify(app.db()).await.unwrap().ok);
    let db = app.db();
    // Delete a middle entry.
    db.execute_unprepared("DELETE FROM audit_log WHERE seq = 4").await.unwrap();
    let r = yishi::audit::verify(db).await.unwrap();
    assert!(!r.ok);
    assert_eq!(r.first_bad.unwrap().seq, 4);

    let app = spawn_app().await;
    let sec = app.login("secadmin").await;
    for d in 3..9 {
        sec.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"publication_days": d})).await.ok();
    }
    let db = app.db();
    // Swap two entries' positions (seq numbers).
    db.execute_unprepared("UPDATE audit_log SET seq = -1 WHERE seq = 5").await.unwrap();
    db.execute_unprepared("UPDATE audit_log SET seq = 5 WHERE seq = 6").await.unwrap();
    db.execute_unprepared("UPDATE audit_log SET seq = 6 WHERE seq = -1").await.unwrap();
    let r = yishi::audit::verify(db).await.unwrap();
    assert!(!r.ok);
    assert_eq!(r.first_bad.unwrap().seq, 5);
    // Remove the tail: the head row disagrees.
    let app = spawn_app().await;
    app.login("secadmin").await.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"publication_days": 4})).await.ok();
    let db = app.db();
    db.execute_unprepared("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)").await.unwrap();
    assert!(!yishi::audit::verify(db).await.unwrap().ok);
}

/// The chain links entries carrying any text (quotes, backslashes, control characters,
/// emoji, SQL), a timestamp with nanoseconds is stored and hashed to the microsecond, a
/// rolled-back transaction or savepoint leaves no entry, and concurrent transactions each get
/// a run of consecutive numbers (on PostgreSQL they queue at the head row).
#[tokio::test]
async fn r19_entries_with_any_text_are_chained_and_rolled_back_ones_leave_nothing() {
    use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
    use yishi::audit::{self, Actor, NewEntry};
    let app = spawn_app().await;
    let db = app.state.db.clone();
    let before = audit::verify(app.db()).await.unwrap();
    assert!(before.ok, "{before:?}");
    let texts = [
        "引号\"与反斜杠\\",
        "换行\n制表\t回车\r",
        "控制字符\u{1}\u{1f}\u{7f}",
        "表情 🗳️ 与 U+2028 \u{2028}",
        "'; DROP TABLE audit_log; --",
        "$fn$ $$ {\"seq\":0",
    ];
    let unit = app.unit().to_string();
    let entry = move |t: &str| NewEntry {
        unit_id: Some(unit.clone()),
        action: "test.text".into(),
        object_type: "test".into(),
        object_id: Some(t.to_string()),
        before: json!({"text": t}),
        after: json!({"text": t, "n": 1}),
        permanent: false,
    };
    let actor = Actor { user_id: Some("用户\"1".into()), on_behalf_of: None, client_addr: Some("::1".into()) };
    // Nanoseconds: stored and hashed to the microsecond on both databases.
    let at = chrono::Utc::now();
    let tx = db.begin_write().await.unwrap();
    audit::append_many(&*tx, texts.iter().map(|t| (at, actor.clone(), entry(t))).collect()).await.unwrap();
    for t in texts {
        audit::append(&*tx, at, &actor, entry(t)).await.unwrap();
    }
    tx.commit().await.unwrap();
    // Rolled back: a whole transaction, and a savepoint inside a committed one.
    let tx = db.begin_write().await.unwrap();
    audit::append(&*tx, at, &actor, entry("rolled back")).await.unwrap();
    drop(tx);
    let tx = db.begin_write().await.unwrap();
    let sp = tx.begin().await.unwrap();
    audit::append(&sp, at, &actor, entry("savepoint rolled back")).await.unwrap();
    sp.rollback().await.unwrap();
    let sp = tx.begin().await.unwrap();
    audit::append(&sp, at, &actor, entry("savepoint kept")).await.unwrap();
    sp.commit().await.unwrap();
    audit::append(&*tx, at, &actor, entry("after the savepoints")).await.unwrap();
    tx.commit().await.unwrap();
    // Concurrent transactions.
    let mut handles = Vec::new();
    for i in 0..12 {
        let (db, actor, entry) = (db.clone(), actor.clone(), entry.clone());
        handles.push(tokio::spawn(async move {
            let tx = db.begin_write().await.unwrap();
            let n = format!("concurrent {i}");
            audit::append_many(&*tx, (0..3).map(|_| (at, actor.clone(), entry(&n))).collect()).await.unwrap();
            tx.commit().await.unwrap();
        }));
    }
    for h in handles {
        h.await.unwrap();
    }

    let r = audit::verify(app.db()).await.unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(r.entries, before.entries + 2 * texts.len() as i64 + 2 + 36);
    let backend = app.db().get_database_backend();
    let rows = app
        .db()
        .query_all_raw(Statement::from_string(backend, "SELECT seq, object_id, before_state FROM audit_log WHERE action = 'test.text' ORDER BY seq"))
        .await
        .unwrap();
    let got: Vec<(i64, String, String)> = rows
        .iter()
        .map(|r| (r.try_get("", "seq").unwrap(), r.try_get("", "object_id").unwrap(), r.try_get("", "before_state").unwrap()))
        .collect();
    let mut expected: Vec<String> = texts.iter().chain(texts.iter()).map(|t| t.to_string()).collect();
    expected.extend(["savepoint kept".to_string(), "after the savepoints".to_string()]);
    assert_eq!(got.iter().take(expected.len()).map(|g| g.1.clone()).collect::<Vec<_>>(), expected);
    for (_, t, before_state) in &got {
        assert_eq!(serde_json::from_str::<serde_json::Value>(before_state).unwrap()["text"], t.as_str());
    }
    // Each concurrent transaction's three entries are consecutive.
    for i in 0..12 {
        let seqs: Vec<i64> = got.iter().filter(|g| g.1 == format!("concurrent {i}")).map(|g| g.0).collect();
        assert_eq!(seqs.len(), 3);
        assert_eq!(seqs[2] - seqs[0], 2, "transaction {i}: {seqs:?}");
    }
}

#[tokio::test]
async fn r42_gapless_counters_under_concurrency() {
    let app = spawn_app().await;
    let mut handles = Vec::new();
    for _ in 0..16 {
        let db = app.state.db.clone();
        handles.push(tokio::spawn(async move {
            let tx = db.begin_write().await.unwrap();
            let n = yishi::counters::next(&*tx, "test:series").await.unwrap();
            tx.commit().await.unwrap();
            n
        }));
    }
    let mut got: Vec<i64> = Vec::new();
    for h in handles {
        got.push(h.await.unwrap());
    }
    got.sort();
    assert_eq!(got, (1..=16).collect::<Vec<_>>());
    // A rolled-back transaction gives its number back: no gap.
    {
        let tx = app.state.db.begin_write().await.unwrap();
        assert_eq!(yishi::counters::next(&*tx, "test:series").await.unwrap(), 17);
    }
    let tx = app.state.db.begin_write().await.unwrap();
    assert_eq!(yishi::counters::next(&*tx, "test:series").await.unwrap(), 17);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn r42_concurrent_role_changes_both_apply_or_conflict_never_lost() {
    let app = spawn_app().await;
    let sec = app.login("secadmin").await;
    let path = format!("/api/v1/units/{}/settings", app.unit());
    let mut hs = Vec::new();
    for d in 2..12 {
        let c = sec.clone();
        let p = path.clone();
        hs.push(tokio::spawn(async move { (d, c.put(&p, json!({"publication_days": d})).await) }));
    }
    let mut ok_values = Vec::new();
    for h in hs {
        let (d, r) = h.await.unwrap();
        if r.status == 200 {
            ok_values.push(d);
        } else {
            assert_eq!(r.status, 409, "{}", r.body);
        }
    }
    assert!(!ok_values.is_empty());
    // The stored value is one that was acknowledged.
    let now = sec.get(&path).await.ok()["publication_days"].as_i64().unwrap();
    assert!(ok_values.contains(&now));
    assert!(yishi::audit::verify(app.db()).await.unwrap().ok);
}

#[tokio::test]
async fn r44_uploads_are_sniffed_limited_sanitised_and_served_as_attachments() {
    let app = spawn_app().await;
    let h = app.login("huangxin").await;
    let path = format!("/api/v1/units/{}/attachments", app.unit());
    let before = count_rows(&app, "attachments").await;
    // HTML is refused whatever it is called.
    h.upload(&path, "report.pdf", b"<!DOCTYPE html><script>alert(1)</script>".to_vec()).await.err("R44");
    assert_eq!(count_rows(&app, "attachments").await, before);
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF".to_vec();
    let r = h.upload(&path, "../../调研报告.pdf", pdf.clone()).await;
    let a = r.ok().clone();
    assert_eq!(a["file_name"], "调研报告.pdf");
    assert_eq!(a["content_type"], "application/pdf");
    // Same content twice: stored once (content-addressed).
    let b = h.upload(&path, "副本.pdf", pdf.clone()).await.ok().clone();
    assert_eq!(a["sha256"], b["sha256"]);
    let (status, headers, bytes) = h.get_bytes(&format!("/api/v1/attachments/{}", a["id"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, pdf);
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    // Size limit from the unit setting.
    app.login("secadmin").await.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"upload_limit_bytes": 1024})).await.ok();
    let big = [b"%PDF-1.4\n".to_vec(), vec![b'a'; 4096]].concat();
    let r = h.upload(&path, "big.pdf", big).await;
    assert_eq!(r.status, 413);
    r.err("too_large");
}

#[tokio::test]
async fn r45_calendar_put_validates_and_times_are_utc() {
    let app = spawn_app().await;
    let clerk = app.login("sunli").await;
    let path = format!("/api/v1/units/{}/calendar/2027", app.unit());
    // A "make-up workday" that is not a weekend is refused, naming the field.
    let r = clerk.put(&path, json!({"holidays": ["2027-01-01"], "workdays": ["2027-01-05"]})).await;
    r.err("invalid");
    assert_eq!(clerk.get(&path).await.ok()["holidays"], json!([]));
    clerk.put(&path, json!({"holidays": ["2027-01-01"], "workdays": ["2027-01-09"]})).await.ok();
    assert_eq!(clerk.get(&path).await.ok()["workdays"], json!(["2027-01-09"]));
    // Times on the wire are RFC 3339 UTC.
    let a = clerk.post(&format!("/api/v1/units/{}/absences", app.unit()), json!({"from": "2027-01-04", "to": "2027-01-05", "reason": "出差"})).await;
    a.ok();
    let audit = app.login("auditor").await.get("/api/v1/audit?limit=1").await;
    let at = audit.ok()["items"][0]["at"].as_str().unwrap().to_string();
    assert!(at.ends_with('Z') || at.ends_with("+00:00"), "{at}");
}

#[tokio::test]
async fn api_errors_are_json_everywhere() {
    let app = spawn_app().await;
    let c = app.login("secadmin").await;
    // Malformed JSON body → 422 invalid in the API format.
    let r = c
        .http
        .put(format!("{}/api/v1/units/{}/settings", app.base, app.unit()))
        .header("X-CSRF-Token", c.csrf.clone().unwrap())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid");
    // Unknown API path → JSON 404.
    c.get("/api/v1/nothing-here").await.err("not_found");
    // Unknown setting field → named.
    let r = c.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"publication_dayz": 2})).await;
    r.err("invalid");
    assert!(r.body.to_string().contains("publication_dayz"));
    // OpenAPI document lists the routes.
    let doc = app.anon().get("/api/openapi.json").await;
    assert!(doc.ok()["paths"]["/api/v1/session"]["post"].is_object());
    assert!(app.anon().get("/readyz").await.ok()["database"] == "ok");
}

/// Found by schemathesis: GET operations whose path holds a value (a year, a version number)
/// answer 422 for a malformed or unknown one, and the OpenAPI document must say so.
#[tokio::test]
async fn openapi_documents_422_for_value_path_parameters() {
    let app = spawn_app().await;
    let c = app.login("sunli").await;
    c.get(&format!("/api/v1/units/{}/calendar/abc", app.unit())).await.err("invalid");
    let doc = app.anon().get("/api/openapi.json").await;
    let paths = &doc.ok()["paths"];
    for p in ["/api/v1/units/{unit}/calendar/{year}", "/api/v1/outgoing/{id}/versions/{a}/diff/{b}"] {
        assert!(paths[p]["get"]["responses"]["422"].is_object(), "{p} documents 422: {}", paths[p]["get"]["responses"]);
    }
    // An object's own page keeps 404 for a wrong identifier and no 422.
    assert!(paths["/api/v1/proposals/{id}"]["get"]["responses"]["404"].is_object());
    assert!(paths["/api/v1/proposals/{id}"]["get"]["responses"]["422"].is_null());
}

/// The OpenAPI document links a creation to what can be done with the object it made (the
/// answer's `id`), so that clients and schemathesis' stateful phase can follow the workflow:
/// the links name operations that exist, and following one reaches the created proposal.
#[tokio::test]
async fn openapi_links_a_creation_to_the_operations_on_the_created_object() {
    let app = spawn_app().await;
    let doc = app.anon().get("/api/openapi.json").await.ok().clone();
    let paths = doc["paths"].as_object().unwrap();
    let ids: std::collections::BTreeSet<String> =
        paths.values().flat_map(|p| p.as_object().unwrap().values().filter_map(|op| op["operationId"].as_str().map(str::to_string))).collect();
    let links = doc["paths"]["/api/v1/units/{unit}/proposals"]["post"]["responses"]["200"]["links"].as_object().unwrap().clone();
    for (name, link) in &links {
        assert!(ids.contains(link["operationId"].as_str().unwrap()), "{name} names an operation that exists");
        assert_eq!(link["parameters"]["id"], "$response.body#/id");
    }
    for op in ["get_api_v1_proposals__id_", "patch_api_v1_proposals__id_", "post_api_v1_proposals__id__submit"] {
        assert!(links.contains_key(op), "{op} is linked: {:?}", links.keys());
    }
    // Following the link: the created proposal's id opens it.
    let c = app.login("xuming").await;
    let made = draft_proposal(&app, &c, "链接测试").await;
    assert_eq!(c.get(&format!("/api/v1/proposals/{made}")).await.ok()["title"], "链接测试");
    // `/me` leads to the caller's unit, where the creations are.
    let me = doc["paths"]["/api/v1/me"]["get"]["responses"]["200"]["links"].as_object().unwrap().clone();
    assert_eq!(me["post_api_v1_units__unit__proposals"]["parameters"]["unit"], "$response.body#/units/0/unit_id");
    let mine = c.get("/api/v1/me").await.ok()["units"][0]["unit_id"].clone();
    assert_eq!(mine, json!(app.unit()));
    // Reads that create nothing carry no links.
    assert!(doc["paths"]["/api/v1/proposals/{id}"]["get"]["responses"]["200"]["links"].is_null());
}

/// The workflows in the OpenAPI document (issue 8 §4): each workflow step links to the steps that
/// may follow it on the same object (`$request.path.id`, an agenda item's `$request.path.proposal`),
/// and a step that makes another object (minutes, a publication, a change request, an
/// escalation's proposal) links to the operations on it, so schemathesis' stateful phase can
/// follow create → submit → review → … to the end. Every link names an existing operation and
/// only its path parameters; an outgoing document followed along its links is issued (D04–D09).
#[tokio::test]
async fn openapi_links_each_workflow_step_to_the_steps_that_may_follow() {
    let app = spawn_app().await;
    let doc = app.anon().get("/api/openapi.json").await.ok().clone();
    let mut ops = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.insert(op["operationId"].as_str().unwrap().to_string(), (method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    let links = |method: &str, path: &str| -> serde_json::Map<String, Value> {
        let op = &doc["paths"][path][method.to_lowercase()];
        assert!(op.is_object(), "{method} {path} exists");
        op["responses"]["200"]["links"].as_object().cloned().unwrap_or_default()
    };
    // Every link in the document names an operation that exists, and only its path parameters.
    for (id, (method, path, op)) in &ops {
        for (name, link) in op["responses"]["200"]["links"].as_object().cloned().unwrap_or_default() {
            let target = link["operationId"].as_str().unwrap();
            let (_, tpath, _) = ops.get(target).unwrap_or_else(|| panic!("{method} {path} ({id}): link {name} to a missing operation"));
            for (param, expr) in link["parameters"].as_object().unwrap() {
                assert!(tpath.contains(&format!("{{{param}}}")), "{id} → {target}: {param} is not a path parameter of {tpath}");
                let expr = expr.as_str().unwrap();
                if let Some(p) = expr.strip_prefix("$request.path.") {
                    assert!(path.contains(&format!("{{{p}}}")), "{id} → {target}: {expr} is not a path parameter of {path}");
                } else {
                    assert!(expr.starts_with("$response.body#/"), "{id} → {target}: {expr}");
                }
            }
        }
    }
    let follows = |from: (&str, &str), to: (&str, &str)| {
        let l = links(from.0, from.1);
        let op = format!("{}_{}", to.0.to_lowercase(), to.1.trim_start_matches('/').replace(['/', '{', '}', '-'], "_"));
        let link = l.get(&op).unwrap_or_else(|| panic!("{} {} links to {} {}: {:?}", from.0, from.1, to.0, to.1, l.keys()));
        link["parameters"].clone()
    };
    let chain = |steps: &[(&str, &str)]| {
        for w in steps.windows(2) {
            follows(w[0], w[1]);
        }
    };
    // 发文: drafting → section review → consolidation → verification → sign-off → issue (D04–D09, D14).
    chain(&[
        ("POST", "/api/v1/units/{unit}/outgoing"),
        ("POST", "/api/v1/outgoing/{id}/submit"),
        ("POST", "/api/v1/outgoing/{id}/review"),
        ("POST", "/api/v1/outgoing/{id}/countersign"),
        ("POST", "/api/v1/outgoing/{id}/countersign-opinions"),
        ("POST", "/api/v1/outgoing/{id}/consolidate"),
        ("POST", "/api/v1/outgoing/{id}/verify"),
        ("POST", "/api/v1/outgoing/{id}/signoff"),
        ("POST", "/api/v1/outgoing/{id}/issue"),
    ]);
    chain(&[("POST", "/api/v1/outgoing/{id}/review"), ("POST", "/api/v1/outgoing/{id}/leader-review"), ("POST", "/api/v1/outgoing/{id}/signoff")]);
    assert_eq!(follows(("POST", "/api/v1/outgoing/{id}/submit"), ("POST", "/api/v1/outgoing/{id}/review"))["id"], "$request.path.id");
    assert_eq!(follows(("POST", "/api/v1/outgoing/{id}/signoff"), ("POST", "/api/v1/outgoing/{id}/change-requests"))["id"], "$request.path.id");
    assert_eq!(
        follows(("POST", "/api/v1/outgoing/{id}/change-requests"), ("POST", "/api/v1/change-requests/{cr}/decision"))["cr"],
        "$response.body#/id"
    );
    assert_eq!(follows(("POST", "/api/v1/outgoing/{id}/escalation"), ("GET", "/api/v1/proposals/{id}"))["id"], "$response.body#/proposal/id");
    // 议题: submission → the deputy's approval → the principal's pre-meeting decision (R02–R05).
    chain(&[
        ("POST", "/api/v1/units/{unit}/proposals"),
        ("POST", "/api/v1/proposals/{id}/submit"),
        ("POST", "/api/v1/proposals/{id}/submission-approval"),
        ("POST", "/api/v1/proposals/{id}/premeeting-decision"),
    ]);
    // 会议 → 纪要 → 公示 (R06–R17).
    chain(&[
        ("POST", "/api/v1/units/{unit}/meetings"),
        ("POST", "/api/v1/meetings/{id}/notice"),
        ("PUT", "/api/v1/meetings/{id}/attendance/{user}"),
        ("POST", "/api/v1/meetings/{id}/open"),
        ("POST", "/api/v1/meetings/{id}/items/{proposal}/statements"),
        ("POST", "/api/v1/meetings/{id}/items/{proposal}/vote"),
        ("POST", "/api/v1/meetings/{id}/items/{proposal}/ballots"),
        ("POST", "/api/v1/meetings/{id}/items/{proposal}/close-vote"),
        ("POST", "/api/v1/meetings/{id}/items/{proposal}/decision"),
        ("POST", "/api/v1/meetings/{id}/close"),
        ("POST", "/api/v1/meetings/{id}/minutes"),
        ("POST", "/api/v1/minutes/{id}/approve"),
        ("POST", "/api/v1/minutes/{id}/publication"),
        ("POST", "/api/v1/publications/{id}/summary"),
        ("POST", "/api/v1/publications/{id}/resolution"),
    ]);
    let p = follows(("POST", "/api/v1/meetings/{id}/items/{proposal}/ballots"), ("POST", "/api/v1/meetings/{id}/items/{proposal}/close-vote"));
    assert_eq!((p["id"].as_str(), p["proposal"].as_str()), (Some("$request.path.id"), Some("$request.path.proposal")));
    // The opening answers with the meeting: its first agenda item.
    let p = follows(("POST", "/api/v1/meetings/{id}/open"), ("POST", "/api/v1/meetings/{id}/items/{proposal}/statements"));
    assert_eq!((p["id"].as_str(), p["proposal"].as_str()), (Some("$request.path.id"), Some("$response.body#/items/0/proposal_id")));
    assert_eq!(follows(("POST", "/api/v1/meetings/{id}/minutes"), ("POST", "/api/v1/minutes/{id}/approve"))["id"], "$response.body#/id");
    assert_eq!(follows(("POST", "/api/v1/minutes/{id}/publication"), ("POST", "/api/v1/publications/{id}/summary"))["id"], "$response.body#/id");
    // 收文: distribution → assignment → acceptance → completion → archive (D01–D03).
    chain(&[
        ("POST", "/api/v1/units/{unit}/incoming"),
        ("POST", "/api/v1/incoming/{id}/distribution"),
        ("POST", "/api/v1/incoming/{id}/assignment"),
        ("POST", "/api/v1/incoming/{id}/accept"),
        ("POST", "/api/v1/incoming/{id}/complete"),
        ("POST", "/api/v1/incoming/{id}/archive"),
    ]);

    // Following the links of an outgoing document, each step by the one whose turn it is: the
    // id each link names is the object the next step acts on, to the end of the workflow.
    let unit = app.unit();
    let xuming = app.login("xuming").await;
    let made = xuming
        .post(
            &format!("/api/v1/units/{unit}/outgoing"),
            json!({"title": "关于链接测试的通知", "doc_type": "notice", "issuing_form": "bureau_general", "series": "发",
                   "recipients": {"main": ["各县（市、区）国土资源局"], "cc": []},
                   "body": [{"kind": "paragraph", "text": "正文。"}], "urgency": "normal"}),
        )
        .await
        .ok()
        .clone();
    let mut at = made["id"].as_str().unwrap().to_string();
    let mut from = ("POST", "/api/v1/units/{unit}/outgoing");
    for (who, step, body) in [
        ("xuming", "submit", json!({})),
        ("wuhua", "review", json!({"approve": true, "opinion": "同意"})),
        ("xuming", "consolidate", json!({})),
        ("zhaomin", "verify", json!({"pass": true, "opinion": "核稿通过"})),
        ("lina", "signoff", json!({"opinion": "同意印发"})),
        ("sunli", "issue", json!({})),
    ] {
        let path: &'static str = Box::leak(format!("/api/v1/outgoing/{{id}}/{step}").into_boxed_str());
        let expr = follows(from, ("POST", path))["id"].as_str().unwrap().to_string();
        assert!(expr == "$request.path.id" || expr == "$response.body#/id", "{expr}");
        let c = app.login(who).await;
        let answer = c.post(&format!("/api/v1/outgoing/{at}/{step}"), body).await.ok().clone();
        if expr == "$response.body#/id" {
            at = answer["id"].as_str().unwrap().to_string();
        }
        from = ("POST", path);
    }
    assert_eq!(xuming.get(&format!("/api/v1/outgoing/{at}")).await.ok()["state"], "archived");
}

/// R02: a proposal's edit (`PATCH /api/v1/proposals/{id}`) takes a JSON object, and the OpenAPI
/// document describes it (it listed no body, so schemathesis' edits of created proposals went out
/// without one and were all refused, 422: "Expected request with `Content-Type: application/json`").
/// Every PATCH in the document has its JSON body.
#[tokio::test]
async fn r02_proposal_edit_body_is_documented_in_openapi() {
    let app = spawn_app().await;
    let doc = app.anon().get("/api/openapi.json").await.ok().clone();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if let Some(op) = item.get("patch") {
            assert!(op["requestBody"]["content"]["application/json"]["schema"]["$ref"].is_string(), "PATCH {path} documents its body");
        }
    }
    let schema = &doc["components"]["schemas"]["PatchProposal"]["properties"];
    for field in ["title", "materials", "flags", "amount", "urgent"] {
        assert!(schema[field].is_object(), "PatchProposal.{field}");
    }
    // A body of the documented shape is accepted.
    let c = app.login("xuming").await;
    let made = draft_proposal(&app, &c, "修改测试").await;
    let edited = c.patch(&format!("/api/v1/proposals/{made}"), json!({"title": "修改测试（二）", "urgent": true})).await.ok().clone();
    assert_eq!((edited["title"].as_str(), edited["urgent"].as_bool()), (Some("修改测试（二）"), Some(true)));
}

/// Every list documents the query parameters its handler reads: the session 14 long run gave
/// `GET /api/v1/audit` three cases, because nothing in the document said it takes any.
#[tokio::test]
async fn openapi_documents_the_query_parameters_every_list_reads() {
    let app = spawn_app().await;
    let doc = app.anon().get("/api/openapi.json").await.ok().clone();
    let expected: &[(&str, &[&str])] = &[
        ("/api/v1/audit", &["unit", "object", "actor", "limit", "cursor"]),
        ("/api/v1/units/{unit}/proposals", &["state", "limit", "cursor"]),
        ("/api/v1/units/{unit}/publications", &["open", "limit", "cursor"]),
        ("/api/v1/units/{unit}/archive", &["kind", "q", "limit", "cursor"]),
        ("/api/v1/units/{unit}/disclosures", &["category", "limit", "cursor"]),
        ("/api/v1/units/{unit}/compliance", &["from", "to", "category", "only_red", "rule", "kind", "format"]),
        ("/api/v1/units/{unit}/splitting-flags", &["from", "to"]),
        ("/api/v1/units/{unit}/incoming", &["limit", "cursor"]),
        ("/api/v1/units/{unit}/outgoing", &["limit", "cursor"]),
    ];
    for (path, names) in expected {
        let op = &doc["paths"][*path]["get"];
        let query: Vec<&str> =
            op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "query").filter_map(|p| p["name"].as_str()).collect();
        for name in *names {
            assert!(query.contains(name), "GET {path} documents ?{name} (documented: {query:?})");
        }
        assert!(op["responses"]["422"].is_object(), "GET {path} documents 422 for a malformed parameter");
    }
    // What the document says is what the server reads: the auditor's filter by actor.
    let auditor = app.login("auditor").await;
    let all = auditor.get("/api/v1/audit?limit=200").await.ok().clone();
    let actor = all["items"].as_array().unwrap().iter().find_map(|e| e["actor_id"].as_str()).expect("an entry with an actor").to_string();
    let mine = auditor.get(&format!("/api/v1/audit?actor={actor}&limit=200")).await.ok().clone();
    assert!(!mine["items"].as_array().unwrap().is_empty());
    assert!(mine["items"].as_array().unwrap().iter().all(|e| e["actor_id"] == actor.as_str()), "{mine}");
    let bad = auditor.get("/api/v1/audit?limit=many").await;
    assert_eq!(bad.status, 422, "{}", bad.body);
}

/// The three upload routes document their multipart body (R44): the long schemathesis run of
/// session 14 found them documented without one, so every fuzzed upload was an empty or JSON
/// request (422) and the upload handling itself was never reached. The uploads that answer with
/// the stored attachment link to its download, which the stateful phase had no way to reach.
#[tokio::test]
async fn r44_uploads_document_their_multipart_body_in_openapi() {
    let app = spawn_app().await;
    let doc = app.anon().get("/api/openapi.json").await.ok().clone();
    let mut uploads = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if let Some(op) = item.get("post").filter(|_| path.ends_with("/attachments")) {
            let body = &op["requestBody"];
            assert_eq!(body["required"], true, "POST {path}: the body is required");
            let schema = &body["content"]["multipart/form-data"]["schema"];
            assert_eq!(schema["required"], json!(["file"]), "POST {path}: the field `file` is required");
            assert_eq!(schema["properties"]["file"]["format"], "binary", "POST {path}: `file` holds the file's bytes");
            uploads.push(path.clone());
        }
    }
    uploads.sort();
    assert_eq!(uploads, ["/api/v1/outgoing/{id}/attachments", "/api/v1/proposals/{id}/attachments", "/api/v1/units/{unit}/attachments"]);
    // A body of the documented shape is accepted; any other is refused with the field named,
    // and stores nothing.
    let c = app.login("xuming").await;
    let made = draft_proposal(&app, &c, "附件测试").await;
    let path = format!("/api/v1/proposals/{made}/attachments");
    let before = count_rows(&app, "attachments").await;
    let refused = c.post(&path, json!({"file": "不是上传表单"})).await;
    assert_eq!(refused.status, 422, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["details"]["field"], "file", "{:?}", refused.body);
    assert_eq!(count_rows(&app, "attachments").await, before);
    let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let stored = c.upload(&path, "会商意见.pdf", pdf.clone()).await;
    assert_eq!(stored.status, 200, "{:?}", stored.body);
    assert_eq!(count_rows(&app, "attachments").await, before + 1);
    // The answer names the attachment it stored, and the document links the uploads that answer
    // so to its download (schemathesis' stateful phase follows it); following the link gives
    // back the very bytes. (An outgoing document's upload answers with the document.)
    for upload in ["/api/v1/proposals/{id}/attachments", "/api/v1/units/{unit}/attachments"] {
        let link = &doc["paths"][upload]["post"]["responses"]["200"]["links"]["get_api_v1_attachments__id_"];
        assert_eq!(link["parameters"]["id"], "$response.body#/id", "POST {upload} links to the attachment it stored");
    }
    let id = stored.body["id"].as_str().expect("the upload's answer names the attachment");
    let (status, headers, bytes) = c.get_bytes(&format!("/api/v1/attachments/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(bytes, pdf);
}

/// The to-do cache's change detection (`audit::HeadCache`, docs/operations.md "Several
/// instances"): a commit of this instance is seen at once, another instance's once the head it
/// read is a second old — never a stale list for the person who just acted here.
#[tokio::test]
async fn r42_change_detection_sees_own_commits_at_once_and_another_instances_within_a_second() {
    let app = spawn_app().await;
    // Two instances of our own on the test's database (the app's background work may commit too,
    // so each check compares with the sequence number an append returned).
    let here = yishi::db::Db::connect(&app.database_url).await.unwrap();
    let there = yishi::db::Db::connect(&app.database_url).await.unwrap();
    let cache = yishi::audit::HeadCache::default();
    async fn commit_one(db: &yishi::db::Db) -> i64 {
        let tx = db.begin_write().await.unwrap();
        let entry = yishi::audit::NewEntry {
            unit_id: None,
            action: "test.change".into(),
            object_type: "test".into(),
            object_id: None,
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
            permanent: false,
        };
        let seq = yishi::audit::append(&*tx, chrono::Utc::now(), &yishi::audit::Actor::system(), entry).await.unwrap();
        tx.commit().await.unwrap();
        seq
    }
    let first = cache.current(&here).await.unwrap();
    let mine = commit_one(&here).await;
    assert!(mine > first);
    assert!(cache.current(&here).await.unwrap() >= mine, "this instance's commit is seen at once");
    let theirs = commit_one(&there).await;
    assert!(cache.current(&here).await.unwrap() < theirs, "another instance's commit is not read again within the second");
    tokio::time::sleep(yishi::audit::HEAD_TTL).await;
    assert!(cache.current(&here).await.unwrap() >= theirs, "and is seen once the head read is a second old");
    assert!(yishi::audit::verify(app.db()).await.unwrap().ok);
}

/// The body of `PUT /units/{unit}/settings` is documented (`SettingsPatch`), field for field
/// with what the server stores, and with the bounds it keeps: each documented maximum is
/// accepted, one past each bound is refused naming the field, and a refusal leaves the
/// settings as they were.
#[tokio::test]
async fn settings_body_is_documented_with_the_bounds_the_server_keeps() {
    let app = spawn_app().await;
    let doc = app.anon().get("/api/openapi.json").await.ok().clone();
    let put = &doc["paths"]["/api/v1/units/{unit}/settings"]["put"];
    assert_eq!(put["requestBody"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/SettingsPatch");
    let schemas = &doc["components"]["schemas"];
    let patch = &schemas["SettingsPatch"];
    assert_eq!(patch["additionalProperties"], json!(false), "unknown fields are refused, and documented so");
    let sec = app.login("secadmin").await;
    let path = format!("/api/v1/units/{}/settings", app.unit());
    let stored = sec.get(&path).await.ok().clone();
    let mut documented: Vec<&String> = patch["properties"].as_object().unwrap().keys().collect();
    let mut kept: Vec<&String> = stored.as_object().unwrap().keys().collect();
    documented.sort();
    kept.sort();
    assert_eq!(documented, kept, "the documented fields are the stored settings' fields");
    let deadline_fields: Vec<&String> = schemas["DeadlinePatch"]["properties"].as_object().unwrap().keys().collect();
    let mut stored_deadlines: Vec<&String> = stored["deadline_days"].as_object().unwrap().keys().collect();
    stored_deadlines.sort();
    let mut deadline_sorted = deadline_fields.clone();
    deadline_sorted.sort();
    assert_eq!(deadline_sorted, stored_deadlines);

    // Every documented integer bound, at the top level and in deadline_days.
    let mut bounded: Vec<(Vec<String>, i64, i64)> = Vec::new();
    for (schema, prefix) in [("SettingsPatch", None), ("DeadlinePatch", Some("deadline_days"))] {
        for (name, prop) in schemas[schema]["properties"].as_object().unwrap() {
            if let (Some(lo), Some(hi)) = (prop["minimum"].as_i64(), prop["maximum"].as_i64()) {
                let mut p: Vec<String> = prefix.map(str::to_string).into_iter().collect();
                p.push(name.clone());
                bounded.push((p, lo, hi));
            }
        }
    }
    assert!(bounded.len() >= 9, "the numeric settings are documented with their bounds: {bounded:?}");
    let body = |p: &[String], v: i64| match p {
        [one] => json!({ (one.clone()): v }),
        [outer, inner] => json!({ (outer.clone()): { (inner.clone()): v } }),
        _ => unreachable!(),
    };
    for (p, lo, hi) in &bounded {
        let field = p.join(".");
        let before = sec.get(&path).await.ok().clone();
        let refused = sec.put(&path, body(p, hi + 1)).await;
        assert_eq!(refused.err("invalid")["error"]["details"]["field"], json!(field), "{field} = {} (one over the documented maximum) is refused, naming the field", hi + 1);
        if *lo > 0 {
            let low = sec.put(&path, body(p, lo - 1)).await;
            assert_eq!(low.err("invalid")["error"]["details"]["field"], json!(field), "{field} = {} is refused", lo - 1);
        }
        assert_eq!(sec.get(&path).await.ok(), &before, "a refused {field} leaves the settings unchanged");
        let accepted = sec.put(&path, body(p, *hi)).await.ok().clone();
        let got = p.iter().fold(&accepted, |v, k| &v[k.as_str()]);
        assert_eq!(got.as_i64(), Some(*hi), "{field} = {hi} (the documented maximum) is kept");
        // Back to the lower bound, so that the next field's check starts from a usable unit.
        sec.put(&path, body(p, *lo.max(&1))).await.ok();
    }
    // The other documented shapes are accepted as documented.
    sec.put(&path, json!({
        "fund_threshold": "250000.00", "publication_day_kind": "calendar", "secret_ballot_always": false,
        "minutes_header": "示例单位会议纪要",
        "quorum": {"default": {"num": 1, "den": 2, "inclusive": false}, "by_category": {"major_project": {"num": 2, "den": 3, "inclusive": true}}, "by_meeting_type": {"joint": null}},
    }))
    .await
    .ok();
    sec.put(&path, json!({"no_such_setting": 1})).await.err("invalid");
}

/// Removing a policy rule that is not there is a 404, documented as such (found by
/// schemathesis: the answer was right, the document did not list it), and it changes nothing.
#[tokio::test]
async fn r40_removing_a_missing_policy_rule_is_a_documented_404_and_changes_nothing() {
    let app = spawn_app().await;
    let doc = app.anon().get("/api/openapi.json").await.ok().clone();
    assert!(doc["paths"]["/api/v1/policies"]["delete"]["responses"]["404"].is_object(), "DELETE /api/v1/policies documents 404");
    let sec = app.login("secadmin").await;
    let before = sec.get("/api/v1/policies").await.ok().clone();
    // The handler role is never granted policy changes.
    let missing = json!({"sub": "handler", "dom": "*", "obj": "policy", "act": "update"});
    let r = sec.send(reqwest::Method::DELETE, "/api/v1/policies", Some(missing)).await;
    assert_eq!(r.status, 404, "{}", r.body);
    r.err("not_found");
    assert_eq!(sec.get("/api/v1/policies").await.ok(), &before, "the policy is unchanged");
}

/// Every operation whose path names an object documents 404, whatever its guard: the session 14
/// long run found `POST /api/v1/users/{user}/password-reset` answering an undocumented 404 for
/// a user that is not there (the sysadmin's routes are guarded by scope, not by object).
#[tokio::test]
async fn r40_resetting_a_missing_users_password_is_a_documented_404_and_changes_nothing() {
    let app = spawn_app().await;
    let doc = app.anon().get("/api/openapi.json").await.ok().clone();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let names_object = ["{id}", "{unit}", "{user}", "{proposal}", "{section}"].iter().any(|p| path.contains(p));
        for (method, op) in item.as_object().unwrap() {
            if names_object {
                assert!(op["responses"]["404"].is_object(), "{method} {path} names an object and documents 404");
            }
        }
    }
    let admin = app.login("sysadmin").await;
    let audit_before = audit_count(&app).await;
    let r = admin.post("/api/v1/users/no-such-user/password-reset", json!({"password": "Yishi@2026reset"})).await;
    assert_eq!(r.status, 404, "{}", r.body);
    r.err("not_found");
    assert_eq!(audit_count(&app).await, audit_before, "nothing was changed or recorded");
}

/// A draft proposal with empty materials, made by `c` in the demo unit; its id.
async fn draft_proposal(app: &TestApp, c: &Client, title: &str) -> String {
    let made = c.post(&format!("/api/v1/units/{}/proposals", app.unit()), json!({"category": "major_decision", "title": title, "materials": {}, "flags": {}})).await;
    made.ok()["id"].as_str().unwrap().to_string()
}
