//! S02 checks of routed documents: sign-off authority (D07), separation of duties (D12),
//! the R01/D10 link of large amounts to a decided proposal (outgoing), and deadlines with
//! their supervision reminders (D02, incoming).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Check, Evidence, Status};
use crate::calendar::WorkCalendar;
use crate::enums::IssuingForm;
use crate::routing::incoming::{ReminderLevel, due_levels};
use crate::routing::outgoing::{People, authorized_signers, signoff_rule};
use crate::time::format_local;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReviewRecord {
    pub id: String,
    /// section_review | leader_review | verification | signoff | ruling | escalation
    pub kind: String,
    pub reviewer_id: String,
    pub on_behalf_of: Option<String>,
    pub approve: bool,
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExternalCountersignRecord {
    pub id: String,
    pub department: String,
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChangeRequestRecord {
    pub id: String,
    pub requester_id: String,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_on_behalf_of: Option<String>,
}

/// The people behind each D07 authority, resolved from the unit's organisation.
#[derive(Debug, Clone, Default)]
pub struct Org {
    pub principals: Vec<String>,
    pub deputy_in_charge: Option<String>,
    pub office_directors: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OutgoingRecord {
    pub id: String,
    pub title: String,
    pub state: String,
    pub issuing_form: String,
    pub drafter_id: String,
    pub number: Option<String>,
    pub amount_fen: Option<i64>,
    pub signoff_leader_id: Option<String>,
    pub joint_departments: Vec<String>,
    pub returned_at: Option<DateTime<Utc>>,
    pub signed_by: Option<String>,
    pub signed_on_behalf_of: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    pub linked_proposal_id: Option<String>,
    /// The linked proposal's outcome and decision time (R01/D10).
    pub linked_outcome: Option<String>,
    pub linked_decided_at: Option<DateTime<Utc>>,
    pub reviews: Vec<ReviewRecord>,
    pub external: Vec<ExternalCountersignRecord>,
    pub change_requests: Vec<ChangeRequestRecord>,
}

fn doc_ev(d: &OutgoingRecord) -> Evidence {
    Evidence::new("outgoing", &d.id).labelled(d.number.clone().unwrap_or_else(|| d.title.clone()))
}

/// The person whose authority a sign-off used: the absent leader a backup acted for (D11),
/// else the signer.
fn acting_signer(d: &OutgoingRecord) -> Option<&str> {
    d.signed_on_behalf_of.as_deref().or(d.signed_by.as_deref())
}

/// D07: the sign-off was made by the authority of the issuing form, after the deputy's
/// review (to_superior, joint) and every external countersign (joint).
pub fn check_signoff(d: &OutgoingRecord, org: &Org) -> Option<Check> {
    const T: &str = "签发权限";
    let signer = acting_signer(d)?;
    let signed_at = d.signed_at;
    let ev = doc_ev(d);
    let Ok(form) = d.issuing_form.parse::<IssuingForm>() else {
        return Some(Check::new("D07", "signoff", T, Status::Violated, format!("未知的行文方式“{}”", d.issuing_form)).evidence(ev));
    };
    let people = People {
        principals: &org.principals,
        deputy_in_charge: org.deputy_in_charge.as_deref(),
        office_directors: &org.office_directors,
        named_leader: d.signoff_leader_id.as_deref(),
    };
    let signers = authorized_signers(form, &people);
    let rule = signoff_rule(form);
    let mut problems = Vec::new();
    let mut evidence = vec![ev];
    if !signers.iter().any(|s| s == signer) {
        problems.push(format!("“{}”的公文由无签发权限的 {signer} 签发（有权签发：{}）", form.label(), signers.join("、")));
    }
    let before_signing = |t: Option<DateTime<Utc>>| match (t, signed_at) {
        (Some(x), Some(s)) => x <= s && d.returned_at.is_none_or(|r| x >= r || s < r),
        _ => true,
    };
    if rule.needs_leader_review {
        let reviews: Vec<&ReviewRecord> =
            d.reviews.iter().filter(|r| r.kind == "leader_review" && r.approve && before_signing(r.created_at)).collect();
        if reviews.is_empty() {
            problems.push("签发前没有分管领导审签记录".to_string());
        }
        evidence.extend(reviews.iter().map(|r| Evidence::new("outgoing_review", &r.id)));
    }
    if rule.needs_external_countersigns {
        let have: BTreeSet<&str> =
            d.external.iter().filter(|e| before_signing(e.created_at)).map(|e| e.department.as_str()).collect();
        let missing: Vec<&str> = d.joint_departments.iter().map(String::as_str).filter(|x| !have.contains(x)).collect();
        if !missing.is_empty() {
            problems.push(format!("签发前缺少联合发文单位会签：{}", missing.join("、")));
        }
    }
    let details = json!({"issuing_form": form.as_str(), "signer": d.signed_by, "on_behalf_of": d.signed_on_behalf_of,
        "authorized": signers, "signed_at": d.signed_at});
    let check = if problems.is_empty() {
        Check::new("D07", "signoff", T, Status::Passed, format!("由有权签发人签发（{}）", form.label()))
    } else {
        Check::new("D07", "signoff", T, Status::Violated, problems.join("；"))
    };
    Some(check.evidence_all(evidence).details(details))
}

/// D12: the drafter did not review, verify or sign off their own document, and nobody
/// approved their own change request.
pub fn check_separation(d: &OutgoingRecord) -> Option<Check> {
    const T: &str = "职责分离";
    if d.reviews.is_empty() && d.signed_by.is_none() && d.change_requests.is_empty() {
        return None;
    }
    let drafter = d.drafter_id.as_str();
    let is_drafter = |actor: &str, behalf: Option<&str>| actor == drafter || behalf == Some(drafter);
    let mut problems = Vec::new();
    let mut evidence = vec![doc_ev(d)];
    for r in &d.reviews {
        let duty = match r.kind.as_str() {
            "section_review" => "审核",
            "leader_review" => "审签",
            "verification" => "核稿",
            "signoff" => "签发",
            _ => continue,
        };
        if is_drafter(&r.reviewer_id, r.on_behalf_of.as_deref()) {
            problems.push(format!("拟稿人本人{duty}了自己起草的公文"));
            evidence.push(Evidence::new("outgoing_review", &r.id));
        }
    }
    if let Some(s) = d.signed_by.as_deref()
        && is_drafter(s, d.signed_on_behalf_of.as_deref())
        && !problems.iter().any(|p| p.contains("签发"))
    {
        problems.push("拟稿人本人签发了自己起草的公文".to_string());
    }
    for c in &d.change_requests {
        if let Some(by) = c.decided_by.as_deref()
            && (by == c.requester_id || c.decided_on_behalf_of.as_deref() == Some(c.requester_id.as_str()))
        {
            problems.push("修改申请由申请人本人批准".to_string());
            evidence.push(Evidence::new("change_request", &c.id));
        }
    }
    let check = if problems.is_empty() {
        Check::new("D12", "separation", T, Status::Passed, "拟稿、审核、核稿、签发由不同人员办理")
    } else {
        Check::new("D12", "separation", T, Status::Violated, problems.join("；"))
    };
    Some(check.evidence_all(evidence))
}

/// R01/D10: a signed document carrying an amount at or above the threshold is linked to a
/// proposal adopted by collective decision before the sign-off.
pub fn check_collective_link(d: &OutgoingRecord, threshold_fen: i64) -> Option<Check> {
    const T: &str = "大额资金集体决策";
    let amount = d.amount_fen?;
    if amount < threshold_fen || d.signed_at.is_none() {
        return None;
    }
    let ev = doc_ev(d);
    let yuan = |f: i64| crate::money::Money::from_fen(f).to_string();
    let details = json!({"amount": yuan(amount), "threshold": yuan(threshold_fen), "linked_proposal_id": d.linked_proposal_id,
        "linked_outcome": d.linked_outcome});
    let ok = d.linked_proposal_id.is_some()
        && d.linked_outcome.as_deref() == Some("adopted")
        && match (d.linked_decided_at, d.signed_at) {
            (Some(dec), Some(s)) => dec <= s,
            _ => false,
        };
    let mut check = if ok {
        Check::new("R01", "collective_link", T, Status::Passed, format!("金额 {} 元，已经集体决策通过", yuan(amount)))
    } else {
        Check::new(
            "R01",
            "collective_link",
            T,
            Status::Violated,
            format!("金额 {} 元达到集体决策标准（{} 元），签发前未关联已通过的三重一大议题", yuan(amount), yuan(threshold_fen)),
        )
    }
    .evidence(ev);
    if let Some(p) = &d.linked_proposal_id {
        check = check.evidence(Evidence::new("proposal", p));
    }
    Some(check.details(details))
}

pub fn outgoing_checks(d: &OutgoingRecord, org: &Org, threshold_fen: i64) -> Vec<Check> {
    [check_signoff(d, org), check_separation(d), check_collective_link(d, threshold_fen)].into_iter().flatten().collect()
}

// ------------------------------------------------------------------ incoming (D02)

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReminderRecord {
    pub id: String,
    pub level: i32,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IncomingRecord {
    pub id: String,
    pub title: String,
    pub source_number: String,
    pub state: String,
    /// `YYYY-MM-DD`, Asia/Shanghai.
    pub deadline: String,
    pub due_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub reminders: Vec<ReminderRecord>,
}

/// Slack for the reminder job before a missing reminder counts (it runs every minute or so).
pub const REMINDER_SLACK_HOURS: i64 = 2;

/// D02: the document was done by its deadline; while overdue, the supervision reminders of
/// each due level were recorded.
pub fn check_deadline(d: &IncomingRecord, calendar: &WorkCalendar, now: DateTime<Utc>) -> Option<Check> {
    const T: &str = "办理时限与督办";
    let due = d.due_at?;
    let ev = Evidence::new("incoming", &d.id).labelled(format!("{} {}", d.source_number, d.title));
    let open = !matches!(d.state.as_str(), "done" | "archived");
    let details = json!({"deadline": d.deadline, "due_at": due, "completed_at": d.completed_at,
        "reminders": d.reminders.iter().map(|r| r.level).collect::<Vec<_>>()});
    let reminders_ev: Vec<Evidence> = d.reminders.iter().map(|r| Evidence::new("incoming_reminder", &r.id)).collect();
    if !open {
        let done = d.completed_at?;
        let check = if done <= due {
            Check::new("D02", "deadline", T, Status::Passed, format!("按期办结（期限 {}）", d.deadline))
        } else {
            Check::new("D02", "deadline", T, Status::Warning, format!("逾期办结：期限 {}，办结于 {}", d.deadline, format_local(done)))
        };
        return Some(check.evidence(ev).evidence_all(reminders_ev).details(details));
    }
    if now <= due {
        return None;
    }
    // Overdue and open: every due level must have its reminder recorded.
    let mut missing = Vec::new();
    if let Ok(deadline) = NaiveDate::parse_from_str(&d.deadline, "%Y-%m-%d") {
        let slack = now - chrono::Duration::hours(REMINDER_SLACK_HOURS);
        for level in due_levels(calendar, deadline, slack) {
            if !d.reminders.iter().any(|r| r.level == level.number()) {
                missing.push(level);
            }
        }
    }
    let check = if missing.is_empty() {
        Check::new("D02", "deadline", T, Status::Warning, format!("已逾期未办结（期限 {}），已督办 {} 次", d.deadline, d.reminders.len()))
    } else {
        let names: Vec<&str> = missing.iter().map(ReminderLevel::label).collect();
        Check::new("D02", "deadline", T, Status::Violated, format!("已逾期未办结（期限 {}），未按规定督办：{}", d.deadline, names.join("、")))
    };
    Some(check.evidence(ev).evidence_all(reminders_ev).details(details))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        crate::time::SHANGHAI.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap().with_timezone(&Utc)
    }

    fn org() -> Org {
        Org { principals: vec!["p".into()], deputy_in_charge: Some("dep".into()), office_directors: vec!["od".into()] }
    }

    fn review(id: &str, kind: &str, who: &str, at: DateTime<Utc>) -> ReviewRecord {
        ReviewRecord { id: id.into(), kind: kind.into(), reviewer_id: who.into(), on_behalf_of: None, approve: true, created_at: Some(at) }
    }

    fn signed(form: &str, signer: &str) -> OutgoingRecord {
        OutgoingRecord {
            id: "doc".into(),
            title: "关于……的请示".into(),
            state: "signed".into(),
            issuing_form: form.into(),
            drafter_id: "h".into(),
            signed_by: Some(signer.into()),
            signed_at: Some(t(24, 10)),
            reviews: vec![review("r1", "section_review", "head", t(23, 10)), review("r2", "verification", "od", t(23, 15))],
            ..Default::default()
        }
    }

    #[test]
    fn s02_d07_signoff_by_the_authority_of_the_form() {
        assert_eq!(check_signoff(&signed("bureau_general", "dep"), &org()).unwrap().status, Status::Passed);
        assert_eq!(check_signoff(&signed("bureau_general", "p"), &org()).unwrap().status, Status::Passed);
        let c = check_signoff(&signed("office_own", "dep"), &org()).unwrap();
        assert_eq!(c.status, Status::Violated);
        assert!(c.message.contains("无签发权限"));
        assert_eq!(check_signoff(&signed("office_own", "od"), &org()).unwrap().status, Status::Passed);
        // Signed by a backup on behalf of the principal: the principal's authority counts.
        let mut d = signed("bureau_general", "backup");
        d.signed_on_behalf_of = Some("p".into());
        assert_eq!(check_signoff(&d, &org()).unwrap().status, Status::Passed);
        assert!(check_signoff(&OutgoingRecord::default(), &org()).is_none(), "not signed yet");
    }

    #[test]
    fn s02_d07_to_superior_needs_the_deputy_review_before_signoff() {
        let mut d = signed("to_superior", "p");
        assert_eq!(check_signoff(&d, &org()).unwrap().status, Status::Violated);
        d.reviews.push(review("lr", "leader_review", "dep", t(24, 11))); // after sign-off
        assert_eq!(check_signoff(&d, &org()).unwrap().status, Status::Violated);
        d.reviews.last_mut().unwrap().created_at = Some(t(24, 9));
        assert_eq!(check_signoff(&d, &org()).unwrap().status, Status::Passed);
        // A review from before the document was sent back does not count.
        d.returned_at = Some(t(24, 9) + chrono::Duration::minutes(30));
        assert_eq!(check_signoff(&d, &org()).unwrap().status, Status::Violated);
    }

    #[test]
    fn s02_d07_joint_needs_every_external_countersign() {
        let mut d = signed("joint", "p");
        d.reviews.push(review("lr", "leader_review", "dep", t(24, 9)));
        d.joint_departments = vec!["市财政局".into(), "市住建局".into()];
        d.external = vec![ExternalCountersignRecord { id: "e1".into(), department: "市财政局".into(), created_at: Some(t(23, 9)) }];
        let c = check_signoff(&d, &org()).unwrap();
        assert_eq!(c.status, Status::Violated);
        assert!(c.message.contains("市住建局"));
        d.external.push(ExternalCountersignRecord { id: "e2".into(), department: "市住建局".into(), created_at: Some(t(23, 9)) });
        assert_eq!(check_signoff(&d, &org()).unwrap().status, Status::Passed);
    }

    #[test]
    fn s02_d12_drafter_reviewing_or_signing_own_document_is_violated() {
        let d = signed("bureau_general", "dep");
        assert_eq!(check_separation(&d).unwrap().status, Status::Passed);
        let mut d2 = d.clone();
        d2.reviews[1].reviewer_id = "h".into();
        let c = check_separation(&d2).unwrap();
        assert_eq!(c.status, Status::Violated);
        assert!(c.message.contains("核稿"));
        let mut d3 = d.clone();
        d3.signed_by = Some("backup".into());
        d3.signed_on_behalf_of = Some("h".into());
        assert_eq!(check_separation(&d3).unwrap().status, Status::Violated);
        let mut d4 = d;
        d4.change_requests.push(ChangeRequestRecord {
            id: "cr".into(),
            requester_id: "dep".into(),
            state: "approved".into(),
            decided_by: Some("dep".into()),
            decided_on_behalf_of: None,
        });
        assert!(check_separation(&d4).unwrap().message.contains("修改申请"));
    }

    #[test]
    fn s02_r01_signed_large_amount_needs_an_adopted_proposal_decided_before() {
        let threshold = 10_000_000;
        let mut d = signed("bureau_general", "dep");
        d.amount_fen = Some(threshold - 1);
        assert!(check_collective_link(&d, threshold).is_none());
        d.amount_fen = Some(threshold);
        assert_eq!(check_collective_link(&d, threshold).unwrap().status, Status::Violated);
        d.linked_proposal_id = Some("pr".into());
        d.linked_outcome = Some("adopted".into());
        d.linked_decided_at = Some(t(25, 9)); // after the sign-off
        assert_eq!(check_collective_link(&d, threshold).unwrap().status, Status::Violated);
        d.linked_decided_at = Some(t(20, 9));
        assert_eq!(check_collective_link(&d, threshold).unwrap().status, Status::Passed);
        d.linked_outcome = Some("rejected".into());
        assert_eq!(check_collective_link(&d, threshold).unwrap().status, Status::Violated);
    }

    fn incoming(state: &str) -> IncomingRecord {
        IncomingRecord {
            id: "in".into(),
            title: "关于……的通知".into(),
            source_number: "X政发〔2026〕3号".into(),
            state: state.into(),
            deadline: "2026-11-24".into(),
            due_at: Some(crate::routing::incoming::due_at(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap())),
            ..Default::default()
        }
    }

    #[test]
    fn s02_d02_deadline_kept_late_or_overdue_without_reminders() {
        let cal = WorkCalendar::with_china_2026();
        let mut d = incoming("done");
        d.completed_at = Some(t(24, 15));
        assert_eq!(check_deadline(&d, &cal, t(30, 9)).unwrap().status, Status::Passed);
        d.completed_at = Some(t(25, 9));
        assert_eq!(check_deadline(&d, &cal, t(30, 9)).unwrap().status, Status::Warning);
        // Open, before the deadline: nothing to say.
        let mut o = incoming("in_progress");
        assert!(check_deadline(&o, &cal, t(24, 9)).is_none());
        // Open on Monday the 30th: levels 1 (end of 24th), 2 (end of 25th), 3 (end of 26th) are due.
        let c = check_deadline(&o, &cal, t(30, 9)).unwrap();
        assert_eq!(c.status, Status::Violated);
        assert!(c.message.contains("办公室"), "{}", c.message);
        o.reminders = (1..=3).map(|l| ReminderRecord { id: format!("r{l}"), level: l, sent_at: None }).collect();
        assert_eq!(check_deadline(&o, &cal, t(30, 9)).unwrap().status, Status::Warning);
    }
}
