//! Supervision (纪检监察, SPEC D: S02, S03): compliance checks over the *stored facts* of
//! deliberations and documents, and the threshold-splitting detector.
//!
//! Every function here is pure: the backend loads the rows (meetings, items, ballots,
//! minutes, publications, documents …) into the plain records of [`deliberation`] and
//! [`documents`], and these functions say, rule by rule, whether what is on file is
//! `passed`, `warning` (allowed, but an inspector must see it: a shortened notice with its
//! reason, a head override, an urgent secret ballot after a deferral …) or `violated` (the
//! record contradicts a rule — which the API would have refused, so somebody wrote it
//! directly into the database, or a bug let it through). Each check carries its evidence:
//! the ids of the records it looked at, with API links.
//!
//! Checks that do not apply yet (a meeting not opened has no quorum to check) are left out
//! rather than reported as passed.

pub mod deliberation;
pub mod documents;
pub mod splitting;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Warning,
    Violated,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Warning => "warning",
            Status::Violated => "violated",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Status::Passed => "合规",
            Status::Warning => "提示",
            Status::Violated => "违规",
        }
    }

    /// Red flags: everything an inspector must look at (warnings and violations).
    pub fn is_red(&self) -> bool {
        !matches!(self, Status::Passed)
    }
}

/// A record a check looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// `meeting`, `meeting_item`, `proposal`, `attendance`, `statement`, `ballot`,
    /// `ballot_participation`, `secret_tally`, `minutes`, `publication`, `archive_item`,
    /// `outgoing`, `outgoing_review`, `change_request`, `incoming`, `incoming_reminder`, `user`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The API resource to open, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl Evidence {
    pub fn new(kind: &str, id: &str) -> Evidence {
        let link = match kind {
            "meeting" => Some(format!("/api/v1/meetings/{id}")),
            "proposal" => Some(format!("/api/v1/proposals/{id}")),
            "minutes" => Some(format!("/api/v1/minutes/{id}")),
            "publication" => Some(format!("/api/v1/publications/{id}")),
            "outgoing" => Some(format!("/api/v1/outgoing/{id}")),
            "incoming" => Some(format!("/api/v1/incoming/{id}")),
            "archive_item" => Some(format!("/api/v1/archive/{id}/package")),
            _ => None,
        };
        Evidence { kind: kind.to_string(), id: id.to_string(), label: None, link }
    }

    pub fn labelled(mut self, label: impl Into<String>) -> Evidence {
        self.label = Some(label.into());
        self
    }
}

/// One compliance check of one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The SPEC rule, e.g. `R06`.
    pub rule: String,
    /// Stable identifier of the check, e.g. `notice_period`.
    pub check: String,
    /// Chinese name of the check, e.g. `会议通知时限`.
    pub title: String,
    pub status: Status,
    /// What was found, in Chinese.
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// Numbers behind the finding (counts, dates), for the inspector's detail view.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub details: Value,
}

impl Check {
    pub fn new(rule: &str, check: &str, title: &str, status: Status, message: impl Into<String>) -> Check {
        Check {
            rule: rule.to_string(),
            check: check.to_string(),
            title: title.to_string(),
            status,
            message: message.into(),
            evidence: Vec::new(),
            details: Value::Null,
        }
    }

    pub fn evidence(mut self, e: Evidence) -> Check {
        self.evidence.push(e);
        self
    }

    pub fn evidence_all(mut self, es: impl IntoIterator<Item = Evidence>) -> Check {
        self.evidence.extend(es);
        self
    }

    pub fn details(mut self, v: Value) -> Check {
        self.details = v;
        self
    }
}

/// The worst status of a list (passed when empty).
pub fn worst(checks: &[Check]) -> Status {
    checks.iter().map(|c| c.status).max().unwrap_or(Status::Passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s02_worst_status_orders_violated_over_warning_over_passed() {
        let c = |s| Check::new("R06", "x", "x", s, "");
        assert_eq!(worst(&[]), Status::Passed);
        assert_eq!(worst(&[c(Status::Passed), c(Status::Warning)]), Status::Warning);
        assert_eq!(worst(&[c(Status::Violated), c(Status::Warning), c(Status::Passed)]), Status::Violated);
        assert!(Status::Warning.is_red() && Status::Violated.is_red() && !Status::Passed.is_red());
        assert_eq!(serde_json::to_value(Status::Violated).ok(), Some(serde_json::json!("violated")));
    }

    #[test]
    fn s02_evidence_links_point_at_api_resources() {
        assert_eq!(Evidence::new("meeting", "m1").link.as_deref(), Some("/api/v1/meetings/m1"));
        assert_eq!(Evidence::new("ballot", "b1").link, None);
    }
}
