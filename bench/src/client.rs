//! A signed-in HTTP client (cookie + X-CSRF-Token), one connection per user.
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Clone)]
pub struct Session {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
    pub user_id: String,
    pub username: String,
}

pub fn http_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(4)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?)
}

impl Session {
    pub async fn sign_in(base: &str, username: &str, password: &str) -> Result<Session> {
        let http = http_client()?;
        let r = http
            .post(format!("{base}/api/v1/session"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("sign-in of {username} refused: {status} {body}");
        }
        Ok(Session {
            http,
            base: base.to_string(),
            csrf: body["csrf_token"].as_str().context("no csrf_token")?.to_string(),
            user_id: body["user"]["id"].as_str().unwrap_or_default().to_string(),
            username: username.to_string(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with the CSRF header already set.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let rb = self.http.request(method.clone(), self.url(path));
        if method == reqwest::Method::GET {
            rb
        } else {
            rb.header("X-CSRF-Token", &self.csrf)
        }
    }

    /// Sends and returns (status, JSON body).
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
        let mut rb = self.request(method, path);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let r = rb.send().await?;
        let status = r.status().as_u16();
        let bytes = r.bytes().await?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        self.expect_ok(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.expect_ok(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Value> {
        self.expect_ok(reqwest::Method::PUT, path, Some(body)).await
    }

    /// Succeeds on 2xx, else an error naming the call and the server's answer.
    pub async fn expect_ok(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let m = method.clone();
        let (status, v) = self.call(method, path, body).await?;
        if !(200..300).contains(&status) {
            bail!("{} {m} {path} → {status} {v}", self.username);
        }
        Ok(v)
    }
}
