//! The one error type of the HTTP layer and the services. Every refusal carries a stable
//! code — the SPEC rule ID when a rule refused, else a generic code — and maps to the
//! API.md body `{"error": {"code", "message", "details"}}`. 5xx causes are logged, never sent.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use yishi_domain::error::DomainError;

#[derive(Debug, Clone, PartialEq)]
pub struct AppError {
    pub code: String,
    pub message: String,
    pub details: Value,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        AppError { code: code.into(), message: message.into(), details: Value::Null }
    }
    /// A rule of SPEC.md refused the action (`code` is the rule ID, e.g. "R08").
    pub fn rule(code: &str, message: impl Into<String>) -> Self {
        Self::new(code, message)
    }
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
    pub fn unauthenticated() -> Self {
        Self::new("unauthenticated", "请先登录（not signed in）")
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new("forbidden", message)
    }
    pub fn not_found() -> Self {
        Self::new("not_found", "对象不存在或无权访问（not found）")
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new("conflict", message)
    }
    /// Malformed input: `field` names what to correct.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new("invalid", message).with_details(json!({ "field": field }))
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new("too_large", message)
    }
    pub fn throttled(message: impl Into<String>) -> Self {
        Self::new("throttled", message)
    }
    pub fn csrf() -> Self {
        Self::new("csrf", "缺少或错误的 CSRF 令牌：请刷新页面后重试（missing or wrong X-CSRF-Token）")
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new("internal", "服务器内部错误，请稍后重试；如持续出现请联系管理员（internal error）")
    }

    pub fn status(&self) -> StatusCode {
        status_for_code(&self.code)
    }
}

/// Exhaustive over the generic codes; every rule ID maps to 422 except the
/// access-shaped ones (the rule refused *who*, not *what*), which are 403.
pub fn status_for_code(code: &str) -> StatusCode {
    match code {
        "unauthenticated" => StatusCode::UNAUTHORIZED,
        "forbidden" | "csrf" | "password_change_required" => StatusCode::FORBIDDEN,
        "not_found" => StatusCode::NOT_FOUND,
        "conflict" => StatusCode::CONFLICT,
        "invalid" => StatusCode::UNPROCESSABLE_ENTITY,
        "too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        "throttled" => StatusCode::TOO_MANY_REQUESTS,
        "internal" => StatusCode::INTERNAL_SERVER_ERROR,
        "unavailable" => StatusCode::SERVICE_UNAVAILABLE,
        c if is_rule_id(c) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

pub fn is_rule_id(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 3 && matches!(b[0], b'R' | b'D' | b'P' | b'S') && b[1].is_ascii_digit() && b[2].is_ascii_digit()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut body = json!({ "code": self.code, "message": self.message });
        if !self.details.is_null() {
            body["details"] = self.details;
        }
        (status, axum::Json(json!({ "error": body }))).into_response()
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError { code: e.code, message: e.message, details: e.details }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        // A unique violation here means two requests raced for the same slot (R42):
        // the loser gets a retryable 409, never a 500.
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = e.sql_err() {
            return AppError::conflict("该操作与另一操作同时发生，请刷新后重试（concurrent change）");
        }
        let text = e.to_string();
        if text.contains("database is locked") || text.contains("could not serialize") || text.contains("deadlock") {
            return AppError::conflict("数据正忙，请稍后重试（database busy）");
        }
        AppError::internal(e)
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::internal(e)
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_map_to_api_statuses() {
        assert_eq!(status_for_code("unauthenticated"), StatusCode::UNAUTHORIZED);
        assert_eq!(status_for_code("forbidden"), StatusCode::FORBIDDEN);
        assert_eq!(status_for_code("csrf"), StatusCode::FORBIDDEN);
        assert_eq!(status_for_code("not_found"), StatusCode::NOT_FOUND);
        assert_eq!(status_for_code("conflict"), StatusCode::CONFLICT);
        assert_eq!(status_for_code("invalid"), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status_for_code("too_large"), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(status_for_code("throttled"), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(status_for_code("internal"), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(status_for_code("R08"), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(is_rule_id("D10") && is_rule_id("S03") && !is_rule_id("R1") && !is_rule_id("X01"));
    }
}
