//! The domain error: a stable code (a SPEC rule ID such as `R08`, or one of the generic
//! codes of API.md), a Chinese message that says what is wrong and what to do, and
//! machine-readable details. The HTTP layer maps `code` to a status; nothing here knows HTTP.

use serde::Serialize;
use serde_json::{Value, json};

/// A refused action or malformed input. `code` is a rule ID (`"R08"`, `"D07"`, …) when a rule
/// refused, else one of `"invalid"`, `"conflict"`, `"forbidden"`, `"not_found"`.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[error("{code}: {message}")]
pub struct DomainError {
    pub code: String,
    pub message: String,
    /// E.g. `{"missing": ["background"]}` or `{"field": "amount"}`; `{}` when there is nothing to add.
    pub details: Value,
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    fn new(code: &str, message: impl Into<String>) -> Self {
        DomainError {
            code: code.to_owned(),
            message: message.into(),
            details: json!({}),
        }
    }

    /// A refusal by a SPEC rule, e.g. `DomainError::rule("R08", "未达到法定人数…")`.
    pub fn rule(code: &str, message: impl Into<String>) -> Self {
        Self::new(code, message)
    }

    /// Replaces the details.
    pub fn with_details(mut self, v: Value) -> Self {
        self.details = v;
        self
    }

    /// Malformed input in `field` (code `invalid`, details `{"field": field}`).
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new("invalid", message).with_details(json!({ "field": field }))
    }

    /// Stale version or an action already done (409).
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new("conflict", message)
    }

    /// The caller may not do this (403).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new("forbidden", message)
    }

    /// The object does not exist or is outside the caller's units (404).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("not_found", message)
    }

    /// True when a SPEC rule (not a generic code) refused.
    pub fn is_rule(&self) -> bool {
        !matches!(
            self.code.as_str(),
            "invalid" | "conflict" | "forbidden" | "not_found"
        )
    }

    /// The field named in the details of an `invalid` error, if any.
    pub fn field(&self) -> Option<&str> {
        self.details.get("field").and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn rule_error_has_code_message_and_empty_details() {
        let e = DomainError::rule("R08", "未达到法定人数");
        assert_eq!(e.code, "R08");
        assert_eq!(e.details, json!({}));
        assert!(e.is_rule());
        assert_eq!(e.to_string(), "R08: 未达到法定人数");
    }

    #[test]
    fn r02_details_can_list_missing_parts() {
        let e =
            DomainError::rule("R02", "材料不全").with_details(json!({"missing": ["background"]}));
        assert_eq!(e.details["missing"][0], "background");
    }

    #[test]
    fn invalid_names_the_field() {
        let e = DomainError::invalid("amount", "金额格式不正确");
        assert_eq!(e.code, "invalid");
        assert_eq!(e.field(), Some("amount"));
        assert!(!e.is_rule());
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            json!({"code": "invalid", "message": "金额格式不正确", "details": {"field": "amount"}})
        );
    }

    #[test]
    fn generic_codes() {
        assert_eq!(DomainError::conflict("x").code, "conflict");
        assert_eq!(DomainError::forbidden("x").code, "forbidden");
        assert_eq!(DomainError::not_found("x").code, "not_found");
    }
}
