//! Internal publication (机关内部公示, R16), its summary and the principal's resolution
//! (R17), and what the resolution does to the proposals (R17, R18).
//!
//! A publication is `open` from its opening until `closes_at` (two working days by default,
//! in Asia/Shanghai, unit calendar: see `UnitSettings::publication_closes_at`), then
//! `closed` — exactly once, by the scheduled job or lazily by the first read after the
//! time. After the close the clerk records a summary of the opinions (required even when
//! there were none), then the principal resolves: confirm, adjust or re-deliberate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::state::Command;
use crate::enums::wire_enum;
use crate::error::{DomainError, DomainResult};

wire_enum! {
    PublicationState, field = "state", {
        Open => ("open", "公示中"),
        Closed => ("closed", "公示结束"),
    }
}

wire_enum! {
    /// The principal's decision after publication (R17).
    Resolution, field = "decision", {
        Confirm => ("confirm", "确认"),
        Adjust => ("adjust", "调整（修订纪要后重新公示）"),
        Redeliberate => ("redeliberate", "重新会商"),
    }
}

/// An item withheld from publication, with its recorded reason (R16, 不公开为例外).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Withheld {
    pub proposal_id: String,
    pub reason: String,
}

/// R16: checks the clerk's withheld list against the minutes' items
/// (`(proposal_id, confidential)`): every confidential item must be withheld with a reason,
/// only confidential items may be withheld (publication is the rule), no unknown or
/// duplicate items. Returns the list normalised (reasons trimmed, agenda order).
pub fn check_withheld(items: &[(String, bool)], withheld: &[Withheld]) -> DomainResult<Vec<Withheld>> {
    let mut out: Vec<Withheld> = Vec::new();
    for w in withheld {
        if !items.iter().any(|(id, _)| *id == w.proposal_id) {
            return Err(DomainError::invalid(
                "withheld",
                format!("议题 {} 不在本纪要中", w.proposal_id),
            ));
        }
        if out.iter().any(|o| o.proposal_id == w.proposal_id) {
            return Err(DomainError::invalid(
                "withheld",
                format!("议题 {} 重复出现", w.proposal_id),
            ));
        }
        let reason = w.reason.trim();
        if reason.is_empty() {
            return Err(DomainError::rule(
                "R16",
                "不予公开的事项必须记录不公开的理由",
            )
            .with_details(serde_json::json!({"field": "withheld.reason", "proposal_id": w.proposal_id})));
        }
        if reason.chars().count() > 2000 {
            return Err(DomainError::invalid("withheld.reason", "不公开理由不能超过 2000 个字符"));
        }
        out.push(Withheld { proposal_id: w.proposal_id.clone(), reason: reason.to_string() });
    }
    let not_marked: Vec<&str> = out
        .iter()
        .filter(|w| items.iter().any(|(id, conf)| *id == w.proposal_id && !conf))
        .map(|w| w.proposal_id.as_str())
        .collect();
    if !not_marked.is_empty() {
        return Err(DomainError::rule(
            "R16",
            "公开为原则、不公开为例外：只有标记为不公开（涉密敏感）的议题才能不予公示",
        )
        .with_details(serde_json::json!({"field": "withheld", "not_confidential": not_marked})));
    }
    let missing: Vec<&str> = items
        .iter()
        .filter(|(id, conf)| *conf && !out.iter().any(|w| w.proposal_id == *id))
        .map(|(id, _)| id.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(DomainError::rule(
            "R16",
            "标记为不公开的议题必须列入不予公开清单并写明理由",
        )
        .with_details(serde_json::json!({"field": "withheld", "missing": missing})));
    }
    // Agenda order, so the stored list reads like the minutes.
    out.sort_by_key(|w| items.iter().position(|(id, _)| *id == w.proposal_id));
    Ok(out)
}

/// Whether an open publication is due to close at `now`.
pub fn is_due(state: PublicationState, closes_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    state == PublicationState::Open && closes_at <= now
}

/// R16: opinions are accepted only while the publication is open and before its time.
pub fn check_opinion(state: PublicationState, closes_at: DateTime<Utc>, now: DateTime<Utc>, text: &str) -> DomainResult<String> {
    if state != PublicationState::Open || closes_at <= now {
        return Err(DomainError::rule(
            "R16",
            "公示期已结束，不再接收意见",
        )
        .with_details(serde_json::json!({"closes_at": closes_at})));
    }
    let t = text.trim();
    if t.is_empty() {
        return Err(DomainError::invalid("text", "意见内容不能为空"));
    }
    if t.chars().count() > 5000 {
        return Err(DomainError::invalid("text", "意见内容不能超过 5000 个字符"));
    }
    Ok(t.to_string())
}

/// R17: the summary is recorded after the close, once.
pub fn check_summary(state: PublicationState, has_summary: bool, text: &str) -> DomainResult<String> {
    if state != PublicationState::Closed {
        return Err(DomainError::rule(
            "R17",
            "公示尚未结束，结束后才能汇总意见",
        ));
    }
    if has_summary {
        return Err(DomainError::conflict("本次公示的意见汇总已经记录"));
    }
    let t = text.trim();
    if t.is_empty() {
        return Err(DomainError::rule(
            "R17",
            "必须记录意见汇总；公示期间没有意见的，请写明“公示期间未收到意见”",
        )
        .with_details(serde_json::json!({"field": "text"})));
    }
    if t.chars().count() > 20_000 {
        return Err(DomainError::invalid("text", "意见汇总不能超过 20000 个字符"));
    }
    Ok(t.to_string())
}

/// R17: the principal resolves after the close and the summary, once.
pub fn check_resolution(state: PublicationState, has_summary: bool, resolved: bool) -> DomainResult<()> {
    if state != PublicationState::Closed {
        return Err(DomainError::rule("R17", "公示尚未结束，不能作出决定"));
    }
    if !has_summary {
        return Err(DomainError::rule(
            "R17",
            "办公室尚未汇总公示期间的意见，汇总后主要领导才能作出决定",
        ));
    }
    if resolved {
        return Err(DomainError::conflict("主要领导已对本次公示作出决定"));
    }
    Ok(())
}

impl Resolution {
    /// The proposal command the resolution issues (see [`super::state::TRANSITIONS`]).
    pub fn command(&self) -> Command {
        match self {
            Resolution::Confirm => Command::Confirm,
            Resolution::Adjust => Command::Adjust,
            Resolution::Redeliberate => Command::Redeliberate,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn w(id: &str, reason: &str) -> Withheld {
        Withheld { proposal_id: id.into(), reason: reason.into() }
    }

    #[test]
    fn r16_confidential_items_must_be_withheld_with_a_reason() {
        let items = vec![("p1".to_string(), false), ("p2".to_string(), true)];
        let ok = check_withheld(&items, &[w("p2", " 涉及干部个人隐私 ")]).unwrap();
        assert_eq!(ok, vec![w("p2", "涉及干部个人隐私")]);
        let e = check_withheld(&items, &[]).unwrap_err();
        assert_eq!(e.code, "R16");
        assert_eq!(e.details["missing"][0], "p2");
        assert_eq!(check_withheld(&items, &[w("p2", "  ")]).unwrap_err().code, "R16");
        let e = check_withheld(&items, &[w("p2", "x"), w("p1", "不想公开")]).unwrap_err();
        assert_eq!(e.code, "R16");
        assert_eq!(e.details["not_confidential"][0], "p1");
        assert_eq!(check_withheld(&items, &[w("p9", "x")]).unwrap_err().code, "invalid");
        assert_eq!(check_withheld(&items, &[w("p2", "x"), w("p2", "y")]).unwrap_err().code, "invalid");
        assert!(check_withheld(&[("p1".to_string(), false)], &[]).unwrap().is_empty());
    }

    #[test]
    fn r16_due_and_opinions_only_while_open() {
        let closes = at("2026-11-25T16:00:00Z");
        assert!(!is_due(PublicationState::Open, closes, at("2026-11-25T15:59:59Z")));
        assert!(is_due(PublicationState::Open, closes, closes));
        assert!(!is_due(PublicationState::Closed, closes, at("2026-11-26T00:00:00Z")));
        assert_eq!(check_opinion(PublicationState::Open, closes, at("2026-11-24T00:00:00Z"), " 同意 ").unwrap(), "同意");
        assert_eq!(check_opinion(PublicationState::Open, closes, closes, "晚了").unwrap_err().code, "R16");
        assert_eq!(check_opinion(PublicationState::Closed, closes, at("2026-11-24T00:00:00Z"), "x").unwrap_err().code, "R16");
        assert_eq!(check_opinion(PublicationState::Open, closes, at("2026-11-24T00:00:00Z"), " ").unwrap_err().code, "invalid");
    }

    #[test]
    fn r17_summary_after_close_required_once() {
        assert_eq!(check_summary(PublicationState::Open, false, "x").unwrap_err().code, "R17");
        assert_eq!(check_summary(PublicationState::Closed, false, " ").unwrap_err().code, "R17");
        assert_eq!(check_summary(PublicationState::Closed, true, "x").unwrap_err().code, "conflict");
        assert_eq!(check_summary(PublicationState::Closed, false, "未收到意见").unwrap(), "未收到意见");
    }

    #[test]
    fn r17_resolution_after_close_and_summary_once() {
        assert_eq!(check_resolution(PublicationState::Open, true, false).unwrap_err().code, "R17");
        assert_eq!(check_resolution(PublicationState::Closed, false, false).unwrap_err().code, "R17");
        assert_eq!(check_resolution(PublicationState::Closed, true, true).unwrap_err().code, "conflict");
        assert!(check_resolution(PublicationState::Closed, true, false).is_ok());
    }

    #[test]
    fn r17_resolutions_move_published_proposals() {
        use super::super::state::{Facts, ProposalState as S, apply};
        assert_eq!(apply(S::Published, Resolution::Confirm.command(), Facts::default()).unwrap(), S::Confirmed);
        assert_eq!(apply(S::Published, Resolution::Adjust.command(), Facts::default()).unwrap(), S::Minuted);
        assert_eq!(apply(S::Published, Resolution::Redeliberate.command(), Facts::default()).unwrap(), S::Ready);
        assert_eq!("redeliberate".parse::<Resolution>().unwrap(), Resolution::Redeliberate);
        assert_eq!("approve".parse::<Resolution>().unwrap_err().field(), Some("decision"));
    }
}
