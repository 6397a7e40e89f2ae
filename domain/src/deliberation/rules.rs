//! The pure rule checks of R01–R13: each takes plain values and either says yes or refuses
//! with the rule's code and a Chinese message saying what is wrong and what to do.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::calendar::WorkCalendar;
use crate::enums::{Category, MeetingType, Stance, wire_enum};
use crate::error::{DomainError, DomainResult};
use crate::money::Money;
use crate::settings::{Ratio, UnitSettings};
use crate::time::local_date;

use super::state::ProposalState;

wire_enum! {
    /// Pre-consultation record kinds (R03).
    PreconsultKind, field = "kind", {
        Department => ("department", "与政府或有关部门的协商记录"),
        Branch => ("branch", "相关分局意见"),
        Hearing => ("hearing", "听证记录"),
        Publicity => ("publicity", "公示记录"),
        Expert => ("expert", "专家或咨询机构论证评估"),
        Technical => ("technical", "技术协作部门论证"),
        Legal => ("legal", "法律顾问意见"),
    }
}

wire_enum! {
    /// The principal's pre-meeting decision (R05).
    PremeetingDecision, field = "decision", {
        ToMeeting => ("to_meeting", "提交会议"),
        GeneralBusiness => ("general_business", "作为一般业务处理"),
        NotReady => ("not_ready", "暂不提交，需补充完善"),
    }
}

wire_enum! {
    /// Attendance of a member who should attend (R08).
    AttendanceStatus, field = "status", {
        Present => ("present", "出席"),
        Absent => ("absent", "缺席"),
        Leave => ("leave", "请假"),
    }
}

wire_enum! {
    /// Who speaks in the discussion (R10).
    StatementRole, field = "role", {
        Presenter => ("presenter", "承办单位汇报"),
        Deputy => ("deputy", "分管领导说明"),
        Member => ("member", "班子成员发言"),
        Principal => ("principal", "主要领导表态"),
    }
}

wire_enum! {
    /// The chair's path for an item after discussion (R12).
    Path, field = "path", {
        Consensus => ("consensus", "意见一致，无需表决"),
        Vote => ("vote", "表决"),
        Defer => ("defer", "缓议"),
        SecretBallot => ("secret_ballot", "票决"),
    }
}

wire_enum! {
    /// Voting mode (R11).
    VoteMode, field = "mode", {
        Named => ("named", "口头或举手表决（记名）"),
        Written => ("written", "书面记名表决"),
        Secret => ("secret", "无记名投票（票决）"),
    }
}

impl VoteMode {
    /// Named and written-named ballots are recorded per member.
    pub fn is_named(&self) -> bool {
        matches!(self, VoteMode::Named | VoteMode::Written)
    }
}

wire_enum! {
    /// The decision recorded on an item (R13).
    Outcome, field = "outcome", {
        Adopted => ("adopted", "通过"),
        Rejected => ("rejected", "不通过"),
        Deferred => ("deferred", "缓议"),
    }
}

// ---------------------------------------------------------------- R01

/// R01: an amount at or above the unit's threshold must be deliberated collectively, so it
/// can never be handled as general business.
pub fn check_general_business_allowed(category: Category, amount: Option<Money>, settings: &UnitSettings) -> DomainResult<()> {
    if let Some(a) = amount
        && settings.requires_collective_decision(a)
    {
        return Err(DomainError::rule(
            "R01",
            format!(
                "本议题涉及金额 {} 元，达到本单位大额度资金标准（{} 元），必须提交集体会商，不得作为一般业务处理",
                a, settings.fund_threshold
            ),
        )
        .with_details(json!({"amount": a.to_string(), "threshold": settings.fund_threshold.to_string(), "category": category.as_str()})));
    }
    Ok(())
}

/// R01 at creation: a fund-use item names its amount.
pub fn check_amount_present(category: Category, amount: Option<Money>) -> DomainResult<()> {
    if category.is_fund_use() && amount.is_none() {
        return Err(DomainError::invalid("amount", "大额度资金使用类议题须填写金额（元，精确到分）"));
    }
    Ok(())
}

// ---------------------------------------------------------------- R02

/// The four parts of the materials (R02).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Materials {
    pub topic: String,
    pub background: String,
    pub research: String,
    pub recommendation: String,
}

impl Materials {
    pub const PARTS: [(&'static str, &'static str); 4] =
        [("topic", "会商议题"), ("background", "基本情况"), ("research", "调研论证"), ("recommendation", "处理建议")];

    fn part(&self, key: &str) -> &str {
        match key {
            "topic" => &self.topic,
            "background" => &self.background,
            "research" => &self.research,
            _ => &self.recommendation,
        }
    }

    /// The wire names of the empty parts (blank text counts as empty).
    pub fn missing(&self) -> Vec<&'static str> {
        Self::PARTS.iter().filter(|(k, _)| self.part(k).trim().is_empty()).map(|(k, _)| *k).collect()
    }
}

/// R02: submission needs all four parts; the error lists the missing ones.
pub fn check_materials(m: &Materials) -> DomainResult<()> {
    let missing = m.missing();
    if missing.is_empty() {
        return Ok(());
    }
    let labels: Vec<&str> =
        Materials::PARTS.iter().filter(|(k, _)| missing.contains(k)).map(|(_, l)| *l).collect();
    Err(DomainError::rule(
        "R02",
        format!("会商材料不完整，缺少：{}。请补充后再提交（会商材料须包括会商议题、基本情况、调研论证、处理建议四个部分）", labels.join("、")),
    )
    .with_details(json!({"missing": missing, "missing_labels": labels})))
}

// ---------------------------------------------------------------- R03

/// What the proposal involves (R03).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Flags {
    pub other_departments: bool,
    pub branch_units: bool,
    pub public_interest: bool,
    pub strategic: bool,
    pub technical: bool,
    pub legal: bool,
}

/// A required pre-consultation record: any of `kinds` satisfies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub flag: &'static str,
    pub kinds: &'static [PreconsultKind],
    pub label: &'static str,
}

/// R03: the records the flags require.
pub fn required_records(f: &Flags) -> Vec<Requirement> {
    use PreconsultKind as K;
    let all: [(bool, Requirement); 6] = [
        (f.other_departments, Requirement { flag: "other_departments", kinds: &[K::Department], label: "涉及政府或有关部门：须有协商记录" }),
        (f.branch_units, Requirement { flag: "branch_units", kinds: &[K::Branch], label: "涉及相关分局：须有分局意见" }),
        (f.public_interest, Requirement { flag: "public_interest", kinds: &[K::Publicity, K::Hearing], label: "涉及群众切身利益：须有公示或听证记录" }),
        (f.strategic, Requirement { flag: "strategic", kinds: &[K::Expert], label: "基础性、战略性事项：须有专家或咨询机构论证评估" }),
        (f.technical, Requirement { flag: "technical", kinds: &[K::Technical], label: "技术性事项：须有技术协作部门论证" }),
        (f.legal, Requirement { flag: "legal", kinds: &[K::Legal], label: "涉及法律问题：须有法律顾问意见" }),
    ];
    all.into_iter().filter(|(on, _)| *on).map(|(_, r)| r).collect()
}

/// R03: the requirements not yet met by the records on file.
pub fn missing_records(f: &Flags, have: &[PreconsultKind]) -> Vec<Requirement> {
    required_records(f).into_iter().filter(|r| !r.kinds.iter().any(|k| have.contains(k))).collect()
}

/// R03: a proposal cannot become ready while a required record is missing.
pub fn check_records_complete(f: &Flags, have: &[PreconsultKind]) -> DomainResult<()> {
    let missing = missing_records(f, have);
    if missing.is_empty() {
        return Ok(());
    }
    Err(DomainError::rule(
        "R03",
        format!(
            "会前协商记录不全，不能提交会议：{}。请先登记相应记录",
            missing.iter().map(|r| r.label).collect::<Vec<_>>().join("；")
        ),
    )
    .with_details(json!({
        "missing": missing.iter().map(|r| json!({"flag": r.flag, "kinds": r.kinds.iter().map(PreconsultKind::as_str).collect::<Vec<_>>()})).collect::<Vec<_>>()
    })))
}

// ---------------------------------------------------------------- R05

/// R05: the reason is required for every pre-meeting decision except putting it to the meeting
/// (recorded then too, when given).
pub fn check_premeeting_reason(d: PremeetingDecision, reason: &str) -> DomainResult<()> {
    if !matches!(d, PremeetingDecision::ToMeeting) && reason.trim().is_empty() {
        return Err(DomainError::rule("R05", format!("“{}”须写明理由", d.label())).with_details(json!({"field": "reason"})));
    }
    Ok(())
}

// ---------------------------------------------------------------- R06

/// R06: a notice sent at `notice_at` for a meeting at `starts_at` must leave at least one
/// working day (unit calendar, Shanghai dates) unless an urgency reason is given. Returns
/// whether the notice is short (and so carries the reason).
pub fn check_notice(calendar: &WorkCalendar, notice_at: DateTime<Utc>, starts_at: DateTime<Utc>, urgency_reason: Option<&str>) -> DomainResult<bool> {
    if starts_at <= notice_at {
        return Err(DomainError::invalid("starts_at", "会议开始时间已过，不能再发通知；请修改会议时间或重新安排会议"));
    }
    let notice_date = local_date(notice_at);
    let meeting_date = local_date(starts_at);
    if calendar.notice_period_met(notice_date, meeting_date) {
        return Ok(false);
    }
    match urgency_reason.map(str::trim) {
        Some(r) if !r.is_empty() => Ok(true),
        _ => Err(DomainError::rule(
            "R06",
            format!(
                "须至少提前1个工作日通知：{notice_date} 发出的通知，会议最早只能安排在 {}；如属特殊问题需缩短通知时间，请填写紧急事由（urgency_reason）",
                calendar.earliest_meeting_date(notice_date)
            ),
        )
        .with_details(json!({
            "notice_date": notice_date.to_string(),
            "meeting_date": meeting_date.to_string(),
            "earliest_meeting_date": calendar.earliest_meeting_date(notice_date).to_string(),
        }))),
    }
}

// ---------------------------------------------------------------- R08

/// R08: voting may open only with a quorum of the members who should attend.
pub fn check_quorum(ratio: Ratio, present: u32, should_attend: u32) -> DomainResult<()> {
    if ratio.satisfied(present, should_attend) {
        return Ok(());
    }
    Err(DomainError::rule(
        "R08",
        format!(
            "未达到法定人数：应到会成员 {should_attend} 人，实到 {present} 人，须{}（至少 {} 人）方可开会表决",
            ratio.describe(),
            ratio.min_present(should_attend)
        ),
    )
    .with_details(json!({"present": present, "should_attend": should_attend, "required": ratio.min_present(should_attend), "ratio": ratio})))
}

// ---------------------------------------------------------------- R12

/// The facts the chair's path choice depends on.
#[derive(Debug, Clone)]
pub struct PathFacts<'a> {
    pub category: Category,
    pub urgent: bool,
    pub secret_ballot_always: bool,
    pub split_margin: u32,
    /// The latest recorded stance of each present, eligible member (None: no statement).
    pub stances: &'a [(String, Option<Stance>)],
}

/// Counts of stances among present eligible members.
pub fn stance_split(stances: &[(String, Option<Stance>)]) -> (u32, u32) {
    let count = |s: Stance| u32::try_from(stances.iter().filter(|(_, x)| *x == Some(s)).count()).unwrap_or(u32::MAX);
    (count(Stance::Agree), count(Stance::Disagree))
}

/// R11/R12: checks the chair's path and resolves the voting mode (None for consensus and
/// defer). A vote path without a mode is secret for personnel items and named otherwise.
pub fn choose_path(path: Path, mode: Option<VoteMode>, reason: Option<&str>, f: &PathFacts<'_>) -> DomainResult<Option<VoteMode>> {
    match path {
        Path::Consensus => {
            let not_agreeing: Vec<&str> =
                f.stances.iter().filter(|(_, s)| *s != Some(Stance::Agree)).map(|(u, _)| u.as_str()).collect();
            if f.stances.is_empty() || !not_agreeing.is_empty() {
                return Err(DomainError::rule(
                    "R12",
                    "只有全部到会且有表决权的成员都已明确表示同意，才能一致通过；请继续讨论、进行表决或缓议",
                )
                .with_details(json!({"not_agreeing": not_agreeing})));
            }
            if mode.is_some() {
                return Err(DomainError::invalid("mode", "一致通过无需指定表决方式"));
            }
            Ok(None)
        }
        Path::Defer => {
            if reason.map(str::trim).unwrap_or("").is_empty() {
                return Err(DomainError::rule("R12", "缓议须写明理由（reason），留待下次会议充分沟通后表决")
                    .with_details(json!({"field": "reason"})));
            }
            Ok(None)
        }
        Path::Vote => {
            let mode = match mode {
                Some(VoteMode::Secret) => {
                    return Err(DomainError::invalid("mode", "无记名投票请选择 path = secret_ballot；表决（vote）的方式为 named 或 written"));
                }
                Some(m) => m,
                None if f.category.is_personnel() => return Ok(Some(VoteMode::Secret)),
                None => VoteMode::Named,
            };
            let (agree, disagree) = stance_split(f.stances);
            if agree.abs_diff(disagree) <= f.split_margin {
                return Err(DomainError::rule(
                    "R12",
                    format!(
                        "正反意见人数接近（同意 {agree}，不同意 {disagree}，差额不超过 {}），应暂缓表决，留待下次会议充分沟通后表决；紧急事项可采用票决",
                        f.split_margin
                    ),
                )
                .with_details(json!({"agree": agree, "disagree": disagree, "split_margin": f.split_margin})));
            }
            Ok(Some(mode))
        }
        Path::SecretBallot => {
            if mode.is_some_and(|m| m != VoteMode::Secret) {
                return Err(DomainError::invalid("mode", "票决为无记名投票，不能指定记名方式"));
            }
            if f.category.is_personnel() || f.urgent || f.secret_ballot_always {
                Ok(Some(VoteMode::Secret))
            } else {
                Err(DomainError::rule(
                    "R12",
                    "票决只适用于重要干部任免、需紧急处理的特殊问题，或本单位规定采用票决的情形",
                )
                .with_details(json!({"category": f.category.as_str(), "urgent": f.urgent})))
            }
        }
    }
}

// ---------------------------------------------------------------- R13

/// The count of an item's vote (R13). `eligible` = should-attend minus recused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub agree: u32,
    pub disagree: u32,
    pub defer: u32,
    pub abstain: u32,
    pub eligible: u32,
    pub should_attend: u32,
}

impl Tally {
    pub fn cast(&self) -> u32 {
        self.agree + self.disagree + self.defer + self.abstain
    }

    /// 赞成票数超过应到会成员（除回避者）的半数.
    pub fn majority(&self) -> bool {
        u64::from(self.agree) * 2 > u64::from(self.eligible)
    }
}

/// R13: the decision the principal records must agree with the count in party-group and
/// joint meetings; in head-office meetings going against the count needs a written reason.
pub fn check_decision(meeting_type: MeetingType, outcome: Outcome, majority: bool, override_reason: Option<&str>) -> DomainResult<()> {
    let has_reason = override_reason.is_some_and(|r| !r.trim().is_empty());
    if meeting_type.count_is_binding() {
        let agrees = match outcome {
            Outcome::Adopted => majority,
            Outcome::Rejected | Outcome::Deferred => !majority,
        };
        if !agrees {
            let msg = if majority {
                "同意票已超过应到会成员（除回避者）的半数，按少数服从多数，本议题应为通过"
            } else {
                "同意票未超过应到会成员（除回避者）的半数，本议题不能通过，只能记录为不通过或缓议"
            };
            return Err(DomainError::rule("R13", format!("{}会议的决定须与表决结果一致：{msg}", meeting_type.label()))
                .with_details(json!({"majority": majority, "outcome": outcome.as_str()})));
        }
        return Ok(());
    }
    let against = matches!((outcome, majority), (Outcome::Adopted, false) | (Outcome::Rejected, true));
    if against && !has_reason {
        return Err(DomainError::rule(
            "R13",
            "局长办公会议中行政首长作出与多数意见不同的决定，须写明理由（override_reason），理由将载入会议纪要",
        )
        .with_details(json!({"majority": majority, "outcome": outcome.as_str(), "field": "override_reason"})));
    }
    Ok(())
}

/// R13: when a deferral made at `deferred_at` lapses.
pub fn lapse_at(deferred_at: DateTime<Utc>, settings: &UnitSettings) -> DateTime<Utc> {
    deferred_at + Duration::days(i64::from(settings.deferral_lapse_days))
}

/// R13: a deferred proposal whose period ran out is shown as lapsed (computed on read).
pub fn effective_state(state: ProposalState, lapse_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> ProposalState {
    match (state, lapse_at) {
        (ProposalState::Deferred, Some(t)) if now >= t => ProposalState::Lapsed,
        _ => state,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn r01_threshold_is_inclusive_and_exact() {
        let s = UnitSettings::default();
        let at = Money::parse("100000.00").unwrap();
        let below = Money::parse("99999.99").unwrap();
        assert_eq!(check_general_business_allowed(Category::LargeFund, Some(at), &s).unwrap_err().code, "R01");
        assert!(check_general_business_allowed(Category::LargeFund, Some(below), &s).is_ok());
        assert!(check_general_business_allowed(Category::MajorDecision, None, &s).is_ok());
        assert_eq!(check_amount_present(Category::LargeFund, None).unwrap_err().code, "invalid");
    }

    #[test]
    fn r02_lists_missing_parts() {
        let m = Materials { topic: "议题".into(), background: " ".into(), research: String::new(), recommendation: "建议".into() };
        let e = check_materials(&m).unwrap_err();
        assert_eq!(e.code, "R02");
        assert_eq!(e.details["missing"], json!(["background", "research"]));
        assert!(e.message.contains("基本情况") && e.message.contains("调研论证"));
    }

    #[test]
    fn r03_publicity_or_hearing_satisfies_public_interest() {
        let f = Flags { public_interest: true, legal: true, ..Flags::default() };
        assert_eq!(required_records(&f).len(), 2);
        assert_eq!(check_records_complete(&f, &[PreconsultKind::Hearing]).unwrap_err().code, "R03");
        assert!(check_records_complete(&f, &[PreconsultKind::Hearing, PreconsultKind::Legal]).is_ok());
        assert!(check_records_complete(&f, &[PreconsultKind::Publicity, PreconsultKind::Legal]).is_ok());
        assert!(check_records_complete(&Flags::default(), &[]).is_ok());
    }

    #[test]
    fn r05_reason_required_for_return() {
        assert_eq!(check_premeeting_reason(PremeetingDecision::NotReady, " ").unwrap_err().code, "R05");
        assert!(check_premeeting_reason(PremeetingDecision::ToMeeting, "").is_ok());
    }

    #[test]
    fn r06_notice_needs_a_working_day_or_a_reason() {
        let cal = WorkCalendar::default();
        // Friday 2026-11-20 10:00 Shanghai = 02:00 UTC.
        let fri = Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap();
        let sat = Utc.with_ymd_and_hms(2026, 11, 21, 2, 0, 0).unwrap();
        let mon = Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap();
        assert_eq!(check_notice(&cal, fri, sat, None).unwrap_err().code, "R06");
        assert!(check_notice(&cal, fri, sat, Some("防汛紧急")).unwrap());
        assert!(!check_notice(&cal, fri, mon, None).unwrap());
        assert_eq!(check_notice(&cal, mon, fri, Some("x")).unwrap_err().code, "invalid");
    }

    #[test]
    fn r08_two_thirds_inclusive() {
        assert!(check_quorum(Ratio::TWO_THIRDS, 4, 6).is_ok());
        assert_eq!(check_quorum(Ratio::TWO_THIRDS, 3, 5).unwrap_err().code, "R08");
        assert!(check_quorum(Ratio::MORE_THAN_HALF, 3, 5).is_ok());
        assert_eq!(check_quorum(Ratio::MORE_THAN_HALF, 2, 4).unwrap_err().code, "R08");
    }

    fn st(v: &[Option<Stance>]) -> Vec<(String, Option<Stance>)> {
        v.iter().enumerate().map(|(i, s)| (format!("u{i}"), *s)).collect()
    }

    #[test]
    fn r12_paths() {
        let all_agree = st(&[Some(Stance::Agree), Some(Stance::Agree)]);
        let f = |stances| PathFacts { category: Category::MajorDecision, urgent: false, secret_ballot_always: false, split_margin: 1, stances };
        assert_eq!(choose_path(Path::Consensus, None, None, &f(&all_agree)).unwrap(), None);
        let one_none = st(&[Some(Stance::Agree), None]);
        assert_eq!(choose_path(Path::Consensus, None, None, &f(&one_none)).unwrap_err().code, "R12");
        let close = st(&[Some(Stance::Agree), Some(Stance::Agree), Some(Stance::Disagree)]);
        assert_eq!(choose_path(Path::Vote, None, None, &f(&close)).unwrap_err().code, "R12");
        let clear = st(&[Some(Stance::Agree), Some(Stance::Agree), Some(Stance::Agree), Some(Stance::Disagree)]);
        assert_eq!(choose_path(Path::Vote, None, None, &f(&clear)).unwrap(), Some(VoteMode::Named));
        assert_eq!(choose_path(Path::Vote, Some(VoteMode::Written), None, &f(&clear)).unwrap(), Some(VoteMode::Written));
        assert_eq!(choose_path(Path::Defer, None, None, &f(&clear)).unwrap_err().code, "R12");
        assert_eq!(choose_path(Path::Defer, None, Some("再调研"), &f(&close)).unwrap(), None);
        assert_eq!(choose_path(Path::SecretBallot, None, None, &f(&close)).unwrap_err().code, "R12");
        let urgent = PathFacts { urgent: true, ..f(&close) };
        assert_eq!(choose_path(Path::SecretBallot, None, None, &urgent).unwrap(), Some(VoteMode::Secret));
        let personnel = PathFacts { category: Category::KeyAppointment, ..f(&close) };
        assert_eq!(choose_path(Path::Vote, None, None, &personnel).unwrap(), Some(VoteMode::Secret));
        assert_eq!(choose_path(Path::Vote, Some(VoteMode::Secret), None, &personnel).unwrap_err().code, "invalid");
    }

    #[test]
    fn r13_binding_and_advisory_counts() {
        let t = Tally { agree: 3, disagree: 1, defer: 0, abstain: 0, eligible: 5, should_attend: 5 };
        assert!(t.majority());
        assert!(!Tally { agree: 2, eligible: 4, ..t }.majority());
        assert!(check_decision(MeetingType::PartyGroup, Outcome::Adopted, true, None).is_ok());
        assert_eq!(check_decision(MeetingType::PartyGroup, Outcome::Adopted, false, Some("x")).unwrap_err().code, "R13");
        assert_eq!(check_decision(MeetingType::Joint, Outcome::Rejected, true, None).unwrap_err().code, "R13");
        assert!(check_decision(MeetingType::Joint, Outcome::Deferred, false, None).is_ok());
        assert_eq!(check_decision(MeetingType::HeadOffice, Outcome::Adopted, false, None).unwrap_err().code, "R13");
        assert!(check_decision(MeetingType::HeadOffice, Outcome::Adopted, false, Some("工作需要")).is_ok());
        assert!(check_decision(MeetingType::HeadOffice, Outcome::Rejected, false, None).is_ok());
    }

    #[test]
    fn r13_deferred_lapses_after_the_period() {
        let s = UnitSettings::default();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let l = lapse_at(t0, &s);
        assert_eq!(effective_state(ProposalState::Deferred, Some(l), l - Duration::seconds(1)), ProposalState::Deferred);
        assert_eq!(effective_state(ProposalState::Deferred, Some(l), l), ProposalState::Lapsed);
        assert_eq!(effective_state(ProposalState::Decided, Some(l), l), ProposalState::Decided);
    }
}
