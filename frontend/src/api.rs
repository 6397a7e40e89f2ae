//! The HTTP client for `/api/v1`: CSRF header on every state-changing request, the
//! error body `{"error":{code,message,details}}` turned into [`ApiError`], and a hook
//! that sends the user back to sign-in on any 401.

use std::cell::RefCell;
use std::fmt;

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

const BASE: &str = "/api/v1";
const CSRF_KEY: &str = "yishi.csrf";

/// A failed request as the user should see it.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status; 0 when the server could not be reached.
    pub status: u16,
    /// Rule ID (`R08`, `D01`, …) or a generic code (`forbidden`, `conflict`, …).
    pub code: String,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    fn network() -> Self {
        Self {
            status: 0,
            code: "network".into(),
            message: "无法连接服务器，请检查网络后重试。".into(),
            details: Value::Null,
        }
    }

    pub fn local(message: impl Into<String>) -> Self {
        Self { status: 0, code: "invalid".into(), message: message.into(), details: Value::Null }
    }

    /// Readable lines from `details` (fields named by a 422, missing parts listed by R02, …);
    /// `name` turns ids into names where it can.
    pub fn detail_lines(&self, name: &dyn Fn(&str) -> String) -> Vec<String> {
        let mut out = Vec::new();
        collect_details(&self.details, "", name, &mut out);
        out
    }
}

/// Technical detail keys that mean nothing to users.
const HIDDEN_DETAILS: &[&str] = &["access", "version", "object_type", "object_id", "id"];

fn collect_details(v: &Value, prefix: &str, name: &dyn Fn(&str) -> String, out: &mut Vec<String>) {
    match v {
        Value::Null => {}
        Value::Object(map) => {
            for (k, v) in map {
                if HIDDEN_DETAILS.contains(&k.as_str()) {
                    continue;
                }
                let key = crate::labels::field(k);
                match v {
                    Value::Object(_) => collect_details(v, key, name, out),
                    _ => {
                        let text = scalar_list(v, name);
                        let key = if prefix.is_empty() { key.to_string() } else { format!("{prefix}·{key}") };
                        out.push(if text.is_empty() { key } else { format!("{key}：{text}") });
                    }
                }
            }
        }
        other => {
            let text = scalar_list(other, name);
            if !text.is_empty() {
                out.push(text);
            }
        }
    }
}

fn scalar_list(v: &Value, name: &dyn Fn(&str) -> String) -> String {
    match v {
        Value::String(s) => {
            let label = crate::labels::field(s);
            if label != s { label.to_string() } else { name(s) }
        }
        Value::Array(items) => items.iter().map(|i| scalar_list(i, name)).collect::<Vec<_>>().join("、"),
        Value::Null => String::new(),
        Value::Object(_) => String::new(),
        other => other.to_string(),
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

thread_local! {
    static ON_UNAUTHORIZED: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Registers what happens when the server answers 401 (the shell sends the user to sign-in).
pub fn set_unauthorized_handler(f: impl Fn() + 'static) {
    ON_UNAUTHORIZED.with(|h| *h.borrow_mut() = Some(Box::new(f)));
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

pub fn set_csrf(token: Option<&str>) {
    if let Some(s) = session_storage() {
        let _ = match token {
            Some(t) => s.set_item(CSRF_KEY, t),
            None => s.remove_item(CSRF_KEY),
        };
    }
}

fn csrf() -> Option<String> {
    session_storage()?.get_item(CSRF_KEY).ok()?
}

pub fn url(path: &str) -> String {
    format!("{BASE}{path}")
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

fn with_csrf(b: RequestBuilder) -> RequestBuilder {
    let b = b.header("Accept", "application/json").header("Accept-Language", "zh-CN");
    match csrf() {
        Some(t) => b.header("X-CSRF-Token", &t),
        None => b,
    }
}

async fn finish(resp: Result<Response, gloo_net::Error>, redirect_on_401: bool) -> Result<Value, ApiError> {
    let resp = resp.map_err(|_| ApiError::network())?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if (200..300).contains(&status) {
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        return serde_json::from_str(&text).map_err(|e| ApiError {
            status,
            code: "internal".into(),
            message: format!("服务器返回了无法识别的数据：{e}"),
            details: Value::Null,
        });
    }
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let err = &body["error"];
    let code = err["code"].as_str().map(str::to_owned).unwrap_or_else(|| generic_code(status).into());
    let message = err["message"]
        .as_str()
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| generic_message(status).into());
    if status == 401 && redirect_on_401 {
        ON_UNAUTHORIZED.with(|h| {
            if let Some(f) = h.borrow().as_ref() {
                f()
            }
        });
    }
    Err(ApiError { status, code, message, details: err["details"].clone() })
}

fn generic_code(status: u16) -> &'static str {
    match status {
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        413 => "too_large",
        422 => "invalid",
        429 => "throttled",
        _ => "internal",
    }
}

fn generic_message(status: u16) -> &'static str {
    match status {
        401 => "登录已失效，请重新登录。",
        403 => "您没有权限执行此操作。",
        404 => "对象不存在或您无权查看。",
        409 => "数据已被他人修改或操作已完成，请刷新后重试。",
        413 => "文件过大。",
        422 => "填写的内容有误。",
        429 => "尝试次数过多，请稍后再试。",
        501 => "服务器尚未提供此功能。",
        _ => "服务器出错，请稍后重试。",
    }
}

pub async fn get(path: &str) -> Result<Value, ApiError> {
    finish(with_csrf(Request::get(&url(path))).send().await, true).await
}

pub async fn get_as<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let v = get(path).await?;
    serde_json::from_value(v).map_err(|e| ApiError {
        status: 200,
        code: "internal".into(),
        message: format!("服务器返回了无法识别的数据：{e}"),
        details: Value::Null,
    })
}

async fn send(b: RequestBuilder, body: Option<&Value>, redirect_on_401: bool) -> Result<Value, ApiError> {
    let b = with_csrf(b);
    let resp = match body {
        Some(body) => match b.json(body) {
            Ok(req) => req.send().await,
            Err(e) => Err(e),
        },
        None => b.send().await,
    };
    finish(resp, redirect_on_401).await
}

pub async fn post(path: &str, body: Value) -> Result<Value, ApiError> {
    send(Request::post(&url(path)), Some(&body), true).await
}

/// POST without a body (for actions like `submit`).
pub async fn post_empty(path: &str) -> Result<Value, ApiError> {
    send(Request::post(&url(path)), None, true).await
}

pub async fn put(path: &str, body: Value) -> Result<Value, ApiError> {
    send(Request::put(&url(path)), Some(&body), true).await
}

pub async fn patch(path: &str, body: Value) -> Result<Value, ApiError> {
    send(Request::patch(&url(path)), Some(&body), true).await
}

pub async fn delete(path: &str) -> Result<Value, ApiError> {
    send(Request::delete(&url(path)), None, true).await
}

/// Signing in: a 401 here is a wrong password, not an expired session.
pub async fn sign_in(body: Value) -> Result<Value, ApiError> {
    send(Request::post(&url("/session")), Some(&body), false).await
}

/// Multipart upload of one file in field `file`.
pub async fn upload(path: &str, file: &web_sys::File) -> Result<Value, ApiError> {
    let form = web_sys::FormData::new().map_err(|_| ApiError::local("浏览器不支持文件上传。"))?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(|_| ApiError::local("无法读取所选文件。"))?;
    let req = with_csrf(Request::post(&url(path)))
        .body(form)
        .map_err(|_| ApiError::local("无法读取所选文件。"));
    match req {
        Ok(r) => finish(r.send().await, true).await,
        Err(e) => Err(e),
    }
}
