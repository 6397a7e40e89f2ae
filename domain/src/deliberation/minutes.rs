//! Minutes (会议纪要, R15, P03): drafted by the clerk *from the recorded decisions* under the
//! unit's unified header (统一纪要文头), approved by the principal, who gives it an
//! independent serial number per unit, meeting type and year (`〔2026〕第7期`). Approved
//! versions are immutable: a correction is a new version (with a reason), approved again,
//! and the old version is kept. Only the narrative may be edited — the items, their
//! outcomes, tallies and head-override reasons always come from the meeting record.
//!
//! Versions and serials: the serial belongs to the minutes (all its versions), assigned at
//! the first approval; a re-approved correction keeps it (a correction of 第7期 is still
//! 第7期), so the series counts minutes, not corrections, and stays gapless.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::rules::{Outcome, Tally};
use crate::enums::{Category, MeetingType, wire_enum};
use crate::error::{DomainError, DomainResult};
use crate::time::{format_chinese_date, local_date};

wire_enum! {
    /// State of one minutes version.
    MinutesState, field = "state", {
        Draft => ("draft", "草稿"),
        Approved => ("approved", "已审定"),
        Superseded => ("superseded", "已被新版本取代"),
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MeetingFacts {
    pub id: String,
    pub meeting_type: MeetingType,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub location: String,
    /// Chair's display name (主持人).
    pub chair: String,
    /// Recorder's display name (记录人).
    pub recorder: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Absentee {
    pub name: String,
    pub reason: Option<String>,
}

/// 出席 / 缺席 / 请假 / 列席 (P02 minutes format, R08).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(default)]
pub struct Attendance {
    pub present: Vec<String>,
    pub absent: Vec<Absentee>,
    pub leave: Vec<Absentee>,
    pub observers: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SuperiorApproval {
    pub document_ref: String,
    /// `YYYY-MM-DD`
    pub approved_on: String,
}

/// One decided item as the meeting recorded it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DecidedItem {
    pub proposal_id: String,
    pub title: String,
    pub category: Category,
    pub outcome: Outcome,
    /// The decision text the principal recorded.
    pub decision: String,
    /// R13: a head-office decision against the count, with its reason.
    pub override_reason: Option<String>,
    /// The count of a vote (for secret ballots the count only); absent for defer.
    pub tally: Option<Tally>,
    /// R12: adopted by consensus — no vote, every present eligible member assented.
    #[serde(default)]
    pub consensus: bool,
    /// R16: withheld from publication (with a reason).
    pub confidential: bool,
    /// R14: flagged items need a superior's approval after the decision.
    pub needs_superior_approval: bool,
    pub superior_approval: Option<SuperiorApproval>,
}

/// An item of the minutes: the recorded decision plus the clerk's narrative.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MinutesItem {
    #[serde(flatten)]
    pub decided: DecidedItem,
    /// The narrative of the item (会议认为/会议同意…); defaults to the decision text.
    pub summary: String,
}

/// The minutes document (stored as JSON on each version).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MinutesBody {
    /// 统一纪要文头 (R15): the unit's `minutes_header` setting, else `{unit name}会议纪要`.
    pub header: String,
    pub meeting: MeetingFacts,
    pub attendance: Attendance,
    /// 导语.
    pub opening: String,
    pub items: Vec<MinutesItem>,
    /// 结束语 (optional).
    pub closing: String,
}

/// What the clerk may write: the narrative. Items are addressed by proposal id; their
/// outcome, tally and reasons cannot be edited.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct MinutesEdit {
    pub opening: Option<String>,
    pub closing: Option<String>,
    pub items: Option<Vec<ItemEdit>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ItemEdit {
    pub proposal_id: String,
    pub summary: String,
}

const MAX_TEXT: usize = 20_000;

/// The header used when the unit has not set one.
pub fn default_header(unit_name: &str) -> String {
    format!("{unit_name}会议纪要")
}

/// `〔2026〕第7期` (R15).
pub fn serial_text(year: i32, n: i64) -> String {
    format!("〔{year}〕第{n}期")
}

/// The counter of a serial series: per unit, meeting type and year (R15).
pub fn counter_key(unit_id: &str, meeting_type: MeetingType, year: i32) -> String {
    format!("minutes:{unit_id}:{}:{year}", meeting_type.as_str())
}

/// The default 导语, e.g. `2026年11月20日，张伟同志在三楼会议室主持召开党组会议，…`.
pub fn default_opening(m: &MeetingFacts, n_items: usize) -> String {
    format!(
        "{}，{}同志在{}主持召开{}（{}），研究了{}项议题。现将会议议定事项纪要如下：",
        format_chinese_date(local_date(m.starts_at)),
        m.chair,
        m.location,
        m.meeting_type.label(),
        m.title,
        n_items
    )
}

/// Drafts the minutes from the recorded decisions (R15). Refuses when there is nothing
/// decided; the items keep the agenda order given.
pub fn draft(
    header: &str,
    meeting: MeetingFacts,
    attendance: Attendance,
    items: Vec<DecidedItem>,
) -> DomainResult<MinutesBody> {
    if items.is_empty() {
        return Err(DomainError::rule(
            "R15",
            "本次会议没有已作出决定的议题，无法起草会议纪要：纪要须依据会议记录的决定起草",
        ));
    }
    let opening = default_opening(&meeting, items.len());
    let items = items
        .into_iter()
        .map(|d| {
            let summary = d.decision.clone();
            MinutesItem { decided: d, summary }
        })
        .collect();
    Ok(MinutesBody {
        header: header.trim().to_string(),
        meeting,
        attendance,
        opening,
        items,
        closing: String::new(),
    })
}

fn text_field(field: &str, v: &str, allow_empty: bool) -> DomainResult<String> {
    let t = v.trim();
    if t.is_empty() && !allow_empty {
        return Err(DomainError::invalid(field, format!("{field} 不能为空")));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(DomainError::invalid(
            field,
            format!("{field} 不能超过 {MAX_TEXT} 个字符"),
        ));
    }
    Ok(t.to_string())
}

impl MinutesBody {
    /// Applies the clerk's narrative edits. An item that is not among the recorded
    /// decisions of the meeting is refused (R15): minutes cannot invent or drop decisions.
    pub fn apply_edit(&self, edit: &MinutesEdit) -> DomainResult<MinutesBody> {
        let mut out = self.clone();
        if let Some(o) = &edit.opening {
            out.opening = text_field("body.opening", o, false)?;
        }
        if let Some(c) = &edit.closing {
            out.closing = text_field("body.closing", c, true)?;
        }
        if let Some(items) = &edit.items {
            let mut seen: Vec<&str> = Vec::new();
            for e in items {
                if seen.contains(&e.proposal_id.as_str()) {
                    return Err(DomainError::invalid(
                        "body.items",
                        format!("议题 {} 在修改内容中出现了两次", e.proposal_id),
                    ));
                }
                seen.push(&e.proposal_id);
                let Some(item) = out
                    .items
                    .iter_mut()
                    .find(|i| i.decided.proposal_id == e.proposal_id)
                else {
                    return Err(DomainError::rule(
                        "R15",
                        "纪要须依据会议记录的决定起草：所改议题不在本次会议已作出的决定中",
                    )
                    .with_details(serde_json::json!({
                        "field": "body.items",
                        "proposal_id": e.proposal_id,
                    })));
                };
                item.summary = text_field("body.items.summary", &e.summary, false)?;
            }
        }
        Ok(out)
    }

    /// The items staff may read: confidential ones withheld (R16).
    pub fn without(&self, withheld: &[String]) -> MinutesBody {
        let mut out = self.clone();
        out.items.retain(|i| !withheld.contains(&i.decided.proposal_id));
        out
    }

    /// The minutes as plain text (the content the PDF renders, P03), for previews,
    /// the archive package and readers without a PDF viewer.
    pub fn to_text(&self, serial: Option<&str>) -> String {
        let mut s = String::new();
        s.push_str(&self.header);
        s.push('\n');
        s.push_str(serial.unwrap_or("（未编号草稿）"));
        s.push_str("\n\n");
        s.push_str(&format!("{}纪要\n\n", self.meeting.meeting_type.label()));
        s.push_str(&self.opening);
        s.push_str("\n\n");
        for (n, it) in self.items.iter().enumerate() {
            let d = &it.decided;
            s.push_str(&format!(
                "{}、{}（{}）\n",
                chinese_number(n + 1),
                d.title,
                d.category.label()
            ));
            s.push_str(&format!("    {}\n", it.summary));
            s.push_str(&format!("    会议决定：{}。", d.outcome.label()));
            if d.consensus {
                s.push_str("与会成员意见一致，无需表决。");
            } else if let Some(t) = &d.tally {
                s.push_str(&format!(
                    "表决结果：同意{}票，不同意{}票，缓议{}票，弃权{}票（有表决权的应到会成员{}人）。",
                    t.agree, t.disagree, t.defer, t.abstain, t.eligible
                ));
            }
            s.push('\n');
            if let Some(r) = &d.override_reason {
                s.push_str(&format!("    行政首长最后决定的理由：{r}\n"));
            }
            if let Some(a) = &d.superior_approval {
                s.push_str(&format!(
                    "    上级批准：{}（{}）\n",
                    a.document_ref, a.approved_on
                ));
            }
            s.push('\n');
        }
        if !self.closing.is_empty() {
            s.push_str(&self.closing);
            s.push_str("\n\n");
        }
        let a = &self.attendance;
        s.push_str(&format!("出席：{}\n", a.present.join("、")));
        let absent: Vec<String> = a
            .absent
            .iter()
            .map(|x| match &x.reason {
                Some(r) if !r.is_empty() => format!("{}（{}）", x.name, r),
                _ => x.name.clone(),
            })
            .collect();
        if !absent.is_empty() {
            s.push_str(&format!("缺席：{}\n", absent.join("、")));
        }
        let leave: Vec<String> = a
            .leave
            .iter()
            .map(|x| match &x.reason {
                Some(r) if !r.is_empty() => format!("{}（{}）", x.name, r),
                _ => x.name.clone(),
            })
            .collect();
        if !leave.is_empty() {
            s.push_str(&format!("请假：{}\n", leave.join("、")));
        }
        if !a.observers.is_empty() {
            s.push_str(&format!("列席：{}\n", a.observers.join("、")));
        }
        s.push_str(&format!(
            "主持：{}    记录：{}\n",
            self.meeting.chair, self.meeting.recorder
        ));
        s
    }
}

/// 一、二、… for item headings (up to 99 is plenty for an agenda).
pub fn chinese_number(n: usize) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", D[n % 10]),
        20..=99 if n.is_multiple_of(10) => format!("{}十", D[n / 10]),
        20..=99 => format!("{}十{}", D[n / 10], D[n % 10]),
        _ => n.to_string(),
    }
}

/// Where a minutes (all its versions) stands with respect to publication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicationPhase {
    /// Never published.
    None,
    /// A publication is open (R16).
    Open,
    /// Closed, waiting for the principal's resolution (R17).
    AwaitingResolution,
    /// The principal decided to adjust: a revision is expected (R17).
    Adjust,
    /// The principal decided to re-deliberate: this minutes is history.
    Redeliberate,
    /// Confirmed and archived (R18).
    Confirmed,
}

/// R15: the principal approves a draft — the latest version, not yet approved.
pub fn check_approve(state: MinutesState, is_latest: bool, archived: bool) -> DomainResult<()> {
    if archived {
        return Err(archived_error());
    }
    match state {
        MinutesState::Draft if is_latest => Ok(()),
        MinutesState::Draft | MinutesState::Superseded => Err(DomainError::rule(
            "R15",
            "该版本已被新版本取代，请审定最新版本",
        )),
        MinutesState::Approved => Err(DomainError::rule(
            "R15",
            "该纪要版本已审定，审定后不可更改；如需更正请提交修订（新版本）",
        )),
    }
}

/// R15–R18: a correction (new version) is possible on the latest version only, never
/// while the publication is open or awaits the principal's resolution, never after the
/// principal chose re-deliberation, and never once archived.
pub fn check_revise(
    state: MinutesState,
    is_latest: bool,
    archived: bool,
    phase: PublicationPhase,
) -> DomainResult<()> {
    if archived || phase == PublicationPhase::Confirmed {
        return Err(archived_error());
    }
    if !is_latest || state == MinutesState::Superseded {
        return Err(DomainError::rule(
            "R15",
            "只能在最新版本的基础上修订；该版本已被新版本取代",
        ));
    }
    match phase {
        PublicationPhase::None | PublicationPhase::Adjust => Ok(()),
        PublicationPhase::Open => Err(DomainError::rule(
            "R16",
            "纪要正在机关内部公示，公示期间不得修改；公示结束后由主要领导决定是否调整",
        )),
        PublicationPhase::AwaitingResolution => Err(DomainError::rule(
            "R17",
            "公示已结束，须待主要领导作出“调整”决定后才能修订纪要",
        )),
        PublicationPhase::Redeliberate => Err(DomainError::rule(
            "R17",
            "主要领导已决定重新会商，本纪要作为历史记录保留，不再修订；新的决定将形成新的纪要",
        )),
        PublicationPhase::Confirmed => Err(archived_error()),
    }
}

/// R14: minutes cannot be approved while an adopted item still waits for the superior's
/// approval. `pending` lists the titles of such items.
pub fn check_no_pending_superior(pending: &[(String, String)]) -> DomainResult<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let titles: Vec<&str> = pending.iter().map(|(_, t)| t.as_str()).collect();
    Err(DomainError::rule(
        "R14",
        format!(
            "以下议题须报上级批准，批准前不能审定纪要：{}。请先登记上级批准文号和日期",
            titles.join("、")
        ),
    )
    .with_details(serde_json::json!({
        "pending_superior": pending.iter().map(|(id, _)| id).collect::<Vec<_>>(),
    })))
}

/// R18: every mutating action on an archived record is refused with this.
pub fn archived_error() -> DomainError {
    DomainError::rule(
        "R18",
        "该记录已归档（永久保存），任何人（包括系统管理员）都不能修改",
    )
}

/// A revision needs a reason (R15: the correction is documented).
pub fn check_revision_reason(reason: &str) -> DomainResult<String> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(DomainError::invalid("reason", "修订纪要须说明修订理由"));
    }
    text_field("reason", r, false)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn facts() -> MeetingFacts {
        MeetingFacts {
            id: "m1".into(),
            meeting_type: MeetingType::PartyGroup,
            title: "2026年第12次党组会议".into(),
            starts_at: DateTime::parse_from_rfc3339("2026-11-20T01:30:00Z")
                .unwrap()
                .with_timezone(&Utc),
            location: "三楼会议室".into(),
            chair: "张伟".into(),
            recorder: "孙丽".into(),
        }
    }

    fn item(id: &str, outcome: Outcome) -> DecidedItem {
        DecidedItem {
            proposal_id: id.into(),
            title: format!("议题{id}"),
            category: Category::LargeFund,
            outcome,
            decision: format!("同意议题{id}"),
            override_reason: None,
            tally: Some(Tally {
                agree: 4,
                disagree: 1,
                defer: 0,
                abstain: 0,
                eligible: 5,
                should_attend: 5,
            }),
            consensus: false,
            confidential: false,
            needs_superior_approval: false,
            superior_approval: None,
        }
    }

    #[test]
    fn r15_serial_text_and_counter_key() {
        assert_eq!(serial_text(2026, 7), "〔2026〕第7期");
        assert_eq!(
            counter_key("u1", MeetingType::HeadOffice, 2026),
            "minutes:u1:head_office:2026"
        );
        assert_ne!(
            counter_key("u1", MeetingType::HeadOffice, 2026),
            counter_key("u1", MeetingType::PartyGroup, 2026)
        );
    }

    #[test]
    fn r15_draft_from_decisions_uses_header_and_decisions() {
        let b = draft(
            " 示例市国土资源局会议纪要 ",
            facts(),
            Attendance::default(),
            vec![item("p1", Outcome::Adopted), item("p2", Outcome::Rejected)],
        )
        .unwrap();
        assert_eq!(b.header, "示例市国土资源局会议纪要");
        assert_eq!(b.items.len(), 2);
        assert_eq!(b.items[0].summary, "同意议题p1");
        assert!(b.opening.contains("2026年11月20日") && b.opening.contains("张伟"));
        assert!(b.opening.contains("党组会议"));
        let e = draft("h", facts(), Attendance::default(), vec![]).unwrap_err();
        assert_eq!(e.code, "R15");
    }

    #[test]
    fn r15_edit_changes_narrative_only_and_refuses_unknown_items() {
        let b = draft("h", facts(), Attendance::default(), vec![item("p1", Outcome::Adopted)]).unwrap();
        let e = MinutesEdit {
            opening: Some("导语".into()),
            closing: Some("".into()),
            items: Some(vec![ItemEdit { proposal_id: "p1".into(), summary: "会议同意。".into() }]),
        };
        let b2 = b.apply_edit(&e).unwrap();
        assert_eq!(b2.opening, "导语");
        assert_eq!(b2.items[0].summary, "会议同意。");
        assert_eq!(b2.items[0].decided, b.items[0].decided, "the decision is untouched");
        let bad = MinutesEdit {
            items: Some(vec![ItemEdit { proposal_id: "px".into(), summary: "编造".into() }]),
            ..Default::default()
        };
        assert_eq!(b.apply_edit(&bad).unwrap_err().code, "R15");
        let empty = MinutesEdit { opening: Some("  ".into()), ..Default::default() };
        assert_eq!(b.apply_edit(&empty).unwrap_err().field(), Some("body.opening"));
        // Unknown fields (e.g. an attempt to change an outcome) do not even parse.
        assert!(serde_json::from_value::<MinutesEdit>(serde_json::json!({"items": [{"proposal_id": "p1", "summary": "x", "outcome": "rejected"}]})).is_err());
    }

    #[test]
    fn r16_without_withheld_items() {
        let b = draft("h", facts(), Attendance::default(), vec![item("p1", Outcome::Adopted), item("p2", Outcome::Adopted)]).unwrap();
        let w = b.without(&["p2".to_string()]);
        assert_eq!(w.items.len(), 1);
        assert_eq!(w.items[0].decided.proposal_id, "p1");
    }

    #[test]
    fn p03_text_has_header_serial_items_override_and_attendance() {
        let mut it = item("p1", Outcome::Adopted);
        it.override_reason = Some("情况紧急".into());
        let att = Attendance {
            present: vec!["张伟".into(), "李娜".into()],
            absent: vec![],
            leave: vec![Absentee { name: "王强".into(), reason: Some("出差".into()) }],
            observers: vec!["周杰".into()],
        };
        let b = draft("示例市国土资源局会议纪要", facts(), att, vec![it]).unwrap();
        let t = b.to_text(Some("〔2026〕第7期"));
        for needle in ["示例市国土资源局会议纪要", "〔2026〕第7期", "一、议题p1", "同意4票", "情况紧急", "请假：王强（出差）", "列席：周杰", "出席：张伟、李娜"] {
            assert!(t.contains(needle), "{needle} missing in\n{t}");
        }
        assert!(b.to_text(None).contains("未编号"));
    }

    #[test]
    fn chinese_numbers() {
        assert_eq!(chinese_number(1), "一");
        assert_eq!(chinese_number(10), "十");
        assert_eq!(chinese_number(12), "十二");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(35), "三十五");
    }

    #[test]
    fn r15_approve_only_the_latest_draft() {
        assert!(check_approve(MinutesState::Draft, true, false).is_ok());
        assert_eq!(check_approve(MinutesState::Approved, true, false).unwrap_err().code, "R15");
        assert_eq!(check_approve(MinutesState::Superseded, false, false).unwrap_err().code, "R15");
        assert_eq!(check_approve(MinutesState::Draft, false, false).unwrap_err().code, "R15");
        assert_eq!(check_approve(MinutesState::Draft, true, true).unwrap_err().code, "R18");
    }

    #[test]
    fn r15_r16_r17_r18_revision_table() {
        use MinutesState::*;
        use PublicationPhase as P;
        let cases = [
            (Draft, true, false, P::None, Ok(())),
            (Approved, true, false, P::None, Ok(())),
            (Approved, true, false, P::Adjust, Ok(())),
            (Approved, false, false, P::None, Err("R15")),
            (Superseded, true, false, P::None, Err("R15")),
            (Approved, true, false, P::Open, Err("R16")),
            (Approved, true, false, P::AwaitingResolution, Err("R17")),
            (Approved, true, false, P::Redeliberate, Err("R17")),
            (Approved, true, false, P::Confirmed, Err("R18")),
            (Approved, true, true, P::None, Err("R18")),
        ];
        for (s, latest, archived, phase, want) in cases {
            let got = check_revise(s, latest, archived, phase).map_err(|e| e.code);
            assert_eq!(got, want.map_err(str::to_string), "{s:?} latest={latest} archived={archived} {phase:?}");
        }
    }

    #[test]
    fn r14_pending_superior_lists_items() {
        assert!(check_no_pending_superior(&[]).is_ok());
        let e = check_no_pending_superior(&[("p1".into(), "购置车辆".into())]).unwrap_err();
        assert_eq!(e.code, "R14");
        assert!(e.message.contains("购置车辆"));
        assert_eq!(e.details["pending_superior"][0], "p1");
    }

    #[test]
    fn r15_revision_needs_reason() {
        assert_eq!(check_revision_reason("  ").unwrap_err().field(), Some("reason"));
        assert_eq!(check_revision_reason(" 更正笔误 ").unwrap(), "更正笔误");
    }

    #[test]
    fn body_round_trips_as_json() {
        let b = draft("h", facts(), Attendance::default(), vec![item("p1", Outcome::Deferred)]).unwrap();
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(v["items"][0]["outcome"], "deferred");
        assert_eq!(v["items"][0]["proposal_id"], "p1", "decided fields are flattened");
        let back: MinutesBody = serde_json::from_value(v).unwrap();
        assert_eq!(back, b);
    }
}
