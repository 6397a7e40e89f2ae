//! Process-level tests against the real `yishi` binary: durability across `kill -9` (R43)
//! and the `yishi audit verify` command (R19).
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use yishi_tests::*;

pub fn yishi_bin() -> PathBuf {
    if let Ok(p) = std::env::var("YISHI_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().unwrap().parent().unwrap().join("yishi");
    assert!(p.exists(), "{} not found: run `cargo build -p yishi --bin yishi` first (scripts/test.sh does)", p.display());
    p
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub struct Server {
    pub child: Child,
    pub base: String,
}

pub async fn start(args: &[&str], dir: &std::path::Path, port: u16) -> Server {
    let child = Command::new(yishi_bin())
        .args(args)
        .arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .env("YISHI_DATA_DIR", dir.join("data"))
        .env("YISHI_DIST", dir.join("dist"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return Server { child, base };
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("yishi did not start on {base}");
}

async fn login(base: &str, user: &str) -> Client {
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let mut c = Client { http, base: base.to_string(), csrf: None, user_id: String::new(), username: user.into() };
    let r = c.post("/api/v1/session", json!({"username": user, "password": yishi::demo::DEMO_PASSWORD})).await;
    c.csrf = r.ok()["csrf_token"].as_str().map(str::to_string);
    c
}

#[tokio::test]
async fn r43_acknowledged_writes_survive_kill_9_and_restart() {
    let dir = std::env::temp_dir().join(format!("yishi-kill-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, _pg) = fresh_database(&dir).await;
    let port = free_port();
    let mut server = start(&["demo", "--database-url", &url], &dir, port).await;
    let c = login(&server.base, "huangxin").await;
    let unit = c.get("/api/v1/me").await.ok()["units"][0]["unit_id"].as_str().unwrap().to_string();

    // Several writers at once; every acknowledged write is remembered.
    let mut writers = Vec::new();
    for w in 0..4 {
        let c = c.clone();
        let unit = unit.clone();
        writers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..500 {
                let body = json!({"from": "2026-12-01", "to": "2026-12-02", "reason": format!("w{w}-{i}")});
                let r = c.http
                    .post(format!("{}/api/v1/units/{unit}/absences", c.base))
                    .header("X-CSRF-Token", c.csrf.clone().unwrap())
                    .json(&body)
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        let v: serde_json::Value = r.json().await.unwrap_or_default();
                        if let Some(id) = v["id"].as_str() {
                            acked.push(id.to_string());
                        }
                    }
                    _ => break, // the server died
                }
            }
            acked
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.unwrap());
    }
    assert!(!acked.is_empty(), "no write was acknowledged before the kill");

    let mut server = start(&["serve", "--database-url", &url], &dir, port).await;
    let c = login(&server.base, "huangxin").await;
    let list = c.get(&format!("/api/v1/units/{unit}/absences")).await;
    let stored: std::collections::HashSet<String> =
        list.ok()["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect();
    let lost: Vec<_> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(lost.is_empty(), "{} acknowledged writes lost of {}", lost.len(), acked.len());
    // Nothing duplicated and the audit chain is intact.
    assert!(stored.len() >= acked.len());
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let out = Command::new(yishi_bin()).args(["audit", "verify", "--database-url", &url]).output().unwrap();
    assert!(out.status.success(), "audit verify after crash: {}", String::from_utf8_lossy(&out.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn r19_cli_audit_verify_exits_1_on_a_tampered_chain() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let sec = app.login("secadmin").await;
    for d in 3..6 {
        sec.put(&format!("/api/v1/units/{}/settings", app.unit()), json!({"publication_days": d})).await.ok();
    }
    let ok = Command::new(yishi_bin()).args(["audit", "verify", "--database-url", &app.database_url]).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    app.db().execute_unprepared("UPDATE audit_log SET after_state = '{\"publication_days\":99}' WHERE seq = 2").await.unwrap();
    let bad = Command::new(yishi_bin()).args(["audit", "verify", "--database-url", &app.database_url]).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8_lossy(&bad.stdout);
    assert!(text.contains("\"seq\": 2"), "{text}");
}
