//! Test harness: `spawn_app()` starts the real application on 127.0.0.1:0 against a fresh
//! SQLite file, or — when `YISHI_TEST_DATABASE_URL` is set (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`) — a fresh PostgreSQL database that is
//! dropped afterwards. The demo unit (示例市国土资源局) is seeded, and `login(username)`
//! returns a cookie-keeping client that sends the CSRF token on state-changing requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use std::path::PathBuf;
use yishi::config::{Config, FontPaths};
use yishi::demo::{DEMO_PASSWORD, DemoOrg};
use yishi::startup::Application;
use yishi::state::AppState;

pub use serde_json;

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub org: DemoOrg,
    pub database_url: String,
    pub dir: PathBuf,
    pg_admin: Option<(String, String)>,
}

pub fn pg_url() -> Option<String> {
    std::env::var("YISHI_TEST_DATABASE_URL").ok().filter(|s| !s.is_empty())
}

/// A fresh database URL: SQLite file in `dir`, or a new PostgreSQL database.
pub async fn fresh_database(dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match pg_url() {
        Some(admin) => {
            use sea_orm::ConnectionTrait;
            let name = format!("yishi_t_{}", uuid::Uuid::new_v4().simple());
            let conn = sea_orm::Database::connect(&admin).await.expect("connect to PostgreSQL admin database");
            conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            conn.close().await.ok();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
            (format!("{base}/{name}"), Some((admin, name)))
        }
        None => (format!("sqlite://{}/yishi.db?mode=rwc", dir.display()), None),
    }
}

pub fn test_config(database_url: &str, dir: &std::path::Path) -> Config {
    Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.to_string(),
        data_dir: dir.join("data"),
        dist_dir: dir.join("dist"),
        test_clock: true,
        secure_cookies: false,
        instance_id: uuid::Uuid::now_v7().to_string(),
        run_jobs: true,
        fonts: FontPaths::default(),
    }
}

/// Starts the app with the demo unit seeded.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    // `YISHI_TEST_LOG=warn` (or any filter) shows the server's log for a failing test.
    if let Ok(filter) = std::env::var("YISHI_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
    let dir = std::env::temp_dir().join(format!("yishi-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (database_url, pg_admin) = fresh_database(&dir).await;
    let mut config = test_config(&database_url, &dir);
    tweak(&mut config);
    let app = Application::build(config).await.expect("build app");
    let state = app.state.clone();
    let org = yishi::demo::seed_org(&state.db, state.clock.now(), "").await.expect("seed demo org");
    state.authz.reload(&state.db.conn).await.expect("reload policy");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(async move {
        let _ = app.run_until_stopped().await;
    });
    TestApp { base, state, org, database_url, dir, pg_admin }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin, name)) = self.pg_admin.take() {
            // Dropped from a separate thread: the test's runtime may be shutting down.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async move {
                    use sea_orm::ConnectionTrait;
                    if let Ok(conn) = sea_orm::Database::connect(&admin).await {
                        let _ = conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}

impl TestApp {
    pub fn user_id(&self, username: &str) -> String {
        let id = self.org.user(username);
        assert!(!id.is_empty(), "no demo user {username}");
        id
    }
    pub fn unit(&self) -> &str {
        &self.org.unit_id
    }
    pub fn section(&self, key: &str) -> String {
        self.org.section(key)
    }
    /// A client with no session.
    pub fn anon(&self) -> Client {
        Client {
            http: reqwest::Client::builder().cookie_store(true).build().unwrap(),
            base: self.base.clone(),
            csrf: None,
            user_id: String::new(),
            username: String::new(),
        }
    }
    /// Signs a demo user in (password `DEMO_PASSWORD`).
    pub async fn login(&self, username: &str) -> Client {
        self.login_with(username, DEMO_PASSWORD).await
    }
    pub async fn login_with(&self, username: &str, password: &str) -> Client {
        let mut c = self.anon();
        let r = c.post("/api/v1/session", json!({"username": username, "password": password})).await;
        assert_eq!(r.status, 200, "login {username}: {}", r.body);
        c.csrf = r.body["csrf_token"].as_str().map(str::to_string);
        c.user_id = r.body["user"]["id"].as_str().unwrap_or_default().to_string();
        c.username = username.to_string();
        c
    }
    /// Moves the server clock forward (test clock).
    pub async fn advance(&self, seconds: i64) {
        assert!(self.state.clock.advance(seconds));
    }
    pub async fn advance_days(&self, days: i64) {
        self.advance(days * 86_400).await;
    }
    /// Raw database access for tamper tests and "nothing changed" checks.
    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.state.db.conn
    }
}

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
    pub user_id: String,
    pub username: String,
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    /// Asserts success and returns the body.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!((200..300).contains(&self.status), "expected success, got {}: {}", self.status, self.body);
        &self.body
    }
    /// Asserts an error with this code (rule ID or generic code) and returns the body.
    #[track_caller]
    pub fn err(&self, code: &str) -> &Value {
        assert!(self.status >= 400, "expected error {code}, got {}: {}", self.status, self.body);
        assert_eq!(self.body["error"]["code"], code, "wrong error code (status {}): {}", self.status, self.body);
        assert!(self.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "error without message: {}", self.body);
        &self.body
    }
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Client {
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Resp {
        let mut rb = self.http.request(method.clone(), format!("{}{}", self.base, path));
        if method != reqwest::Method::GET {
            if let Some(t) = &self.csrf {
                rb = rb.header("X-CSRF-Token", t);
            }
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("request failed");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).to_string()));
        Resp { status, body, headers }
    }
    pub async fn get(&self, path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(reqwest::Method::DELETE, path, None).await
    }
    /// Raw bytes of a GET (PDFs, zips, attachments).
    pub async fn get_bytes(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let resp = self.http.get(format!("{}{}", self.base, path)).send().await.expect("request failed");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.bytes().await.unwrap_or_default().to_vec())
    }
    /// Multipart upload of one file in field `file`.
    pub async fn upload(&self, path: &str, file_name: &str, bytes: Vec<u8>) -> Resp {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string());
        let form = reqwest::multipart::Form::new().part("file", part);
        let mut rb = self.http.post(format!("{}{}", self.base, path)).multipart(form);
        if let Some(t) = &self.csrf {
            rb = rb.header("X-CSRF-Token", t);
        }
        let resp = rb.send().await.expect("request failed");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).to_string()));
        Resp { status, body, headers }
    }
}

/// Counts rows of a table (for "a refused action changes nothing" checks).
pub async fn count_rows(app: &TestApp, table: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = app.db();
    let stmt = sea_orm::Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table}"));
    let row = db.query_one_raw(stmt).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Number of audit entries (every state change appends one).
pub async fn audit_count(app: &TestApp) -> i64 {
    count_rows(app, "audit_log").await
}

/// Pages of a list, `limit` at a time, following `next_cursor` to the end.
pub async fn page_through(c: &Client, first: &str, limit: usize) -> Vec<Value> {
    let sep = if first.contains('?') { '&' } else { '?' };
    let mut out: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(cur) => format!("{first}{sep}limit={limit}&cursor={cur}"),
            None => format!("{first}{sep}limit={limit}"),
        };
        let page = c.get(&url).await.ok().clone();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit, "{url}: page larger than limit");
        out.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), limit, "{url}: a page before the last is full");
                assert_eq!(items.last().unwrap()["id"], next, "{url}: cursor = last item");
                cursor = Some(next.to_string());
            }
            None => break,
        }
    }
    out
}
