//! Incoming documents (收文, SPEC B: D01, D02, D03, D11, D13): the state machine, the
//! instruction rule of D03 and the deadline / supervision-reminder (督办) arithmetic of D02.
//!
//! States: `registered → distributed → accepted (签收) → in_progress → (instructed) → done → archived`.
//!
//! - The clerk registers (D01) and distributes to one main section (主办) and any number of
//!   co-handling sections (协办, D02). A document marked major is distributed only after the
//!   principal's instruction is recorded (D01).
//! - The head of each section assigns a handler of that section; the handler accepts (签收).
//!   The main handler's acceptance moves the document to `accepted`.
//! - Non-approval documents (非行政审批) go, after the office director's review, to the leaders
//!   by division of labour (D03): the review moves `accepted → in_progress`; a leader's
//!   instruction moves the document to `instructed`. Approval documents (行政审批) may be
//!   instructed by a leader too, but need neither step. A progress note of the main handler
//!   also marks the document `in_progress`.
//! - The main handler completes (`done`) once every co-handling section has finished its part;
//!   a non-approval document needs at least one leader's instruction first (D03).
//! - The clerk archives (`archived`).
//!
//! [`TRANSITIONS`] lists every allowed (state, command) with the next state and the parties
//! who may give the command; [`transition`] is the same table as an exhaustive match (no
//! wildcard arm: a new state or command does not compile until it is placed), and [`apply`]
//! adds the guards that depend on the document (major, kind, review, co-handling parts).
//!
//! Supervision reminders (督办, D02): an item not done by the end of its deadline day
//! (Asia/Shanghai) is overdue. Level 1 goes to the handler when the deadline passes; level 2
//! to the head of the main section when one more working day (unit calendar) has passed; level
//! 3 to the office when two working days have passed — see [`reminder_due_at`]. Each level
//! fires once per document.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::calendar::WorkCalendar;
use crate::enums::{DocType, wire_enum};
use crate::error::{DomainError, DomainResult};
use crate::time::local_end_of_day;

wire_enum! {
    /// State of an incoming document.
    State, field = "state", {
        Registered => ("registered", "已登记"),
        Distributed => ("distributed", "已分办"),
        Accepted => ("accepted", "已签收"),
        InProgress => ("in_progress", "办理中"),
        Instructed => ("instructed", "已批示"),
        Done => ("done", "已办结"),
        Archived => ("archived", "已归档"),
    }
}

impl State {
    /// Still in routing: deadlines run and reminders may fire.
    pub fn is_open(&self) -> bool {
        !matches!(self, State::Done | State::Archived)
    }
}

wire_enum! {
    /// 行政审批 / 非行政审批 (D01, D03).
    Kind, field = "kind", {
        Approval => ("approval", "行政审批"),
        NonApproval => ("non_approval", "非行政审批"),
    }
}

wire_enum! {
    /// A leader's instruction (阅批, D03).
    InstructionKind, field = "kind", {
        Agree => ("agree", "同意"),
        Disagree => ("disagree", "不同意"),
        Opinion => ("opinion", "具体意见"),
        Read => ("read", "已阅"),
    }
}

wire_enum! {
    /// A section's part in handling a document (D02).
    AssignmentRole, field = "role", {
        Main => ("main", "主办"),
        Co => ("co", "协办"),
    }
}

wire_enum! {
    /// Supervision reminder levels (督办, D02), in escalation order.
    ReminderLevel, field = "level", {
        Handler => ("handler", "承办人"),
        SectionHead => ("section_head", "主办处室负责人"),
        Office => ("office", "办公室"),
    }
}

impl ReminderLevel {
    /// 1, 2, 3.
    pub fn number(&self) -> i32 {
        match self {
            ReminderLevel::Handler => 1,
            ReminderLevel::SectionHead => 2,
            ReminderLevel::Office => 3,
        }
    }

    /// Working days after the deadline day at whose end this level fires.
    pub fn working_days_after_deadline(&self) -> u32 {
        match self {
            ReminderLevel::Handler => 0,
            ReminderLevel::SectionHead => 1,
            ReminderLevel::Office => 2,
        }
    }
}

/// Who gives a command. The service decides which party the caller is (taking AB-post
/// backups into account, D11); the table says which parties may give which command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// 办公室工作人员: registers, distributes, archives.
    Clerk,
    /// 主要领导: instructs before distribution (major items, D01) and at any later stage.
    Principal,
    /// A leader by division of labour (分管领导 of the main or a co-handling section, or the principal).
    Leader,
    /// 办公室主任: reviews non-approval documents before they go to the leaders (D03).
    OfficeDirector,
    /// Head of the section concerned: assigns its handler.
    SectionHead,
    /// The handler assigned in the section concerned.
    Handler,
}

impl Party {
    pub fn label(&self) -> &'static str {
        match self {
            Party::Clerk => "办公室工作人员",
            Party::Principal => "主要领导",
            Party::Leader => "分管领导",
            Party::OfficeDirector => "办公室主任",
            Party::SectionHead => "处室负责人",
            Party::Handler => "承办人",
        }
    }
}

/// What can be done to an incoming document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// The principal's instruction before distribution (required for major items, D01).
    PrincipalInstruct,
    /// One main section and any co-handling sections (D02).
    Distribute,
    /// The main section's head assigns (or, before acceptance, reassigns) its handler.
    AssignMain,
    /// A co-handling section's head assigns its handler.
    AssignCo,
    /// 签收 by the main handler.
    AcceptMain,
    /// 签收 by a co-handling section's handler.
    AcceptCo,
    /// The office director's review of a non-approval document (D03).
    Review,
    /// A progress note of the main handler.
    Progress,
    /// A progress note of a co-handling section's handler.
    ProgressCo,
    /// A leader's instruction (阅批, D03).
    Instruct,
    /// A co-handling section finishes its part.
    CompleteCo,
    /// The main handler completes the document with its result.
    CompleteMain,
    Archive,
}

impl Command {
    pub const ALL: &'static [Command] = &[
        Command::PrincipalInstruct,
        Command::Distribute,
        Command::AssignMain,
        Command::AssignCo,
        Command::AcceptMain,
        Command::AcceptCo,
        Command::Review,
        Command::Progress,
        Command::ProgressCo,
        Command::Instruct,
        Command::CompleteCo,
        Command::CompleteMain,
        Command::Archive,
    ];

    pub fn label(&self) -> &'static str {
        match self {
            Command::PrincipalInstruct => "主要领导批示",
            Command::Distribute => "分办",
            Command::AssignMain => "分派主办承办人",
            Command::AssignCo => "分派协办承办人",
            Command::AcceptMain => "主办签收",
            Command::AcceptCo => "协办签收",
            Command::Review => "办公室主任审核",
            Command::Progress => "登记办理情况",
            Command::ProgressCo => "登记协办情况",
            Command::Instruct => "领导阅批",
            Command::CompleteCo => "协办办结",
            Command::CompleteMain => "办结",
            Command::Archive => "归档",
        }
    }

    /// The trail / audit action name.
    pub fn action(&self) -> &'static str {
        match self {
            Command::PrincipalInstruct => "incoming.principal_instruct",
            Command::Distribute => "incoming.distribute",
            Command::AssignMain | Command::AssignCo => "incoming.assign",
            Command::AcceptMain | Command::AcceptCo => "incoming.accept",
            Command::Review => "incoming.review",
            Command::Progress | Command::ProgressCo => "incoming.progress",
            Command::Instruct => "incoming.instruct",
            Command::CompleteCo => "incoming.complete_co",
            Command::CompleteMain => "incoming.complete",
            Command::Archive => "incoming.archive",
        }
    }
}

use Command as C;
use Party as P;
use State as S;

const HEAD: &[Party] = &[P::SectionHead];
const HANDLER: &[Party] = &[P::Handler];
const CLERK: &[Party] = &[P::Clerk];
const LEADERS: &[Party] = &[P::Leader, P::Principal];

/// Every allowed (state, command) → (next state, parties). Kept equal to [`transition`]
/// by a unit test; this form is what docs/workflows and the UI read.
pub const TRANSITIONS: &[(State, Command, State, &[Party])] = &[
    (S::Registered, C::PrincipalInstruct, S::Registered, &[P::Principal]),
    (S::Registered, C::Distribute, S::Distributed, CLERK),
    (S::Distributed, C::AssignMain, S::Distributed, HEAD),
    (S::Distributed, C::AssignCo, S::Distributed, HEAD),
    (S::Distributed, C::AcceptMain, S::Accepted, HANDLER),
    (S::Distributed, C::AcceptCo, S::Distributed, HANDLER),
    (S::Distributed, C::CompleteCo, S::Distributed, HANDLER),
    (S::Distributed, C::ProgressCo, S::Distributed, HANDLER),
    (S::Accepted, C::AssignCo, S::Accepted, HEAD),
    (S::Accepted, C::AcceptCo, S::Accepted, HANDLER),
    (S::Accepted, C::CompleteCo, S::Accepted, HANDLER),
    (S::Accepted, C::ProgressCo, S::Accepted, HANDLER),
    (S::Accepted, C::Review, S::InProgress, &[P::OfficeDirector]),
    (S::Accepted, C::Progress, S::InProgress, HANDLER),
    (S::Accepted, C::Instruct, S::Instructed, LEADERS),
    (S::Accepted, C::CompleteMain, S::Done, HANDLER),
    (S::InProgress, C::AssignCo, S::InProgress, HEAD),
    (S::InProgress, C::AcceptCo, S::InProgress, HANDLER),
    (S::InProgress, C::CompleteCo, S::InProgress, HANDLER),
    (S::InProgress, C::ProgressCo, S::InProgress, HANDLER),
    (S::InProgress, C::Review, S::InProgress, &[P::OfficeDirector]),
    (S::InProgress, C::Progress, S::InProgress, HANDLER),
    (S::InProgress, C::Instruct, S::Instructed, LEADERS),
    (S::InProgress, C::CompleteMain, S::Done, HANDLER),
    (S::Instructed, C::AssignCo, S::Instructed, HEAD),
    (S::Instructed, C::AcceptCo, S::Instructed, HANDLER),
    (S::Instructed, C::CompleteCo, S::Instructed, HANDLER),
    (S::Instructed, C::ProgressCo, S::Instructed, HANDLER),
    (S::Instructed, C::Progress, S::Instructed, HANDLER),
    (S::Instructed, C::Instruct, S::Instructed, LEADERS),
    (S::Instructed, C::CompleteMain, S::Done, HANDLER),
    (S::Done, C::Archive, S::Archived, CLERK),
];

/// The table as an exhaustive match: `None` where the command is not available in the state.
pub fn transition(state: State, cmd: Command) -> Option<(State, &'static [Party])> {
    match (state, cmd) {
        (S::Registered, C::PrincipalInstruct) => Some((S::Registered, &[P::Principal])),
        (S::Registered, C::Distribute) => Some((S::Distributed, CLERK)),
        (
            S::Registered,
            C::AssignMain
            | C::AssignCo
            | C::AcceptMain
            | C::AcceptCo
            | C::Review
            | C::Progress
            | C::ProgressCo
            | C::Instruct
            | C::CompleteCo
            | C::CompleteMain
            | C::Archive,
        ) => None,

        (S::Distributed, C::AssignMain) => Some((S::Distributed, HEAD)),
        (S::Distributed, C::AssignCo) => Some((S::Distributed, HEAD)),
        (S::Distributed, C::AcceptMain) => Some((S::Accepted, HANDLER)),
        (S::Distributed, C::AcceptCo) => Some((S::Distributed, HANDLER)),
        (S::Distributed, C::CompleteCo) => Some((S::Distributed, HANDLER)),
        (S::Distributed, C::ProgressCo) => Some((S::Distributed, HANDLER)),
        (
            S::Distributed,
            C::PrincipalInstruct | C::Distribute | C::Review | C::Progress | C::Instruct | C::CompleteMain | C::Archive,
        ) => None,

        (S::Accepted, C::AssignCo) => Some((S::Accepted, HEAD)),
        (S::Accepted, C::AcceptCo) => Some((S::Accepted, HANDLER)),
        (S::Accepted, C::CompleteCo) => Some((S::Accepted, HANDLER)),
        (S::Accepted, C::ProgressCo) => Some((S::Accepted, HANDLER)),
        (S::Accepted, C::Review) => Some((S::InProgress, &[P::OfficeDirector])),
        (S::Accepted, C::Progress) => Some((S::InProgress, HANDLER)),
        (S::Accepted, C::Instruct) => Some((S::Instructed, LEADERS)),
        (S::Accepted, C::CompleteMain) => Some((S::Done, HANDLER)),
        (S::Accepted, C::PrincipalInstruct | C::Distribute | C::AssignMain | C::AcceptMain | C::Archive) => None,

        (S::InProgress, C::AssignCo) => Some((S::InProgress, HEAD)),
        (S::InProgress, C::AcceptCo) => Some((S::InProgress, HANDLER)),
        (S::InProgress, C::CompleteCo) => Some((S::InProgress, HANDLER)),
        (S::InProgress, C::ProgressCo) => Some((S::InProgress, HANDLER)),
        (S::InProgress, C::Review) => Some((S::InProgress, &[P::OfficeDirector])),
        (S::InProgress, C::Progress) => Some((S::InProgress, HANDLER)),
        (S::InProgress, C::Instruct) => Some((S::Instructed, LEADERS)),
        (S::InProgress, C::CompleteMain) => Some((S::Done, HANDLER)),
        (S::InProgress, C::PrincipalInstruct | C::Distribute | C::AssignMain | C::AcceptMain | C::Archive) => None,

        (S::Instructed, C::AssignCo) => Some((S::Instructed, HEAD)),
        (S::Instructed, C::AcceptCo) => Some((S::Instructed, HANDLER)),
        (S::Instructed, C::CompleteCo) => Some((S::Instructed, HANDLER)),
        (S::Instructed, C::ProgressCo) => Some((S::Instructed, HANDLER)),
        (S::Instructed, C::Progress) => Some((S::Instructed, HANDLER)),
        (S::Instructed, C::Instruct) => Some((S::Instructed, LEADERS)),
        (S::Instructed, C::CompleteMain) => Some((S::Done, HANDLER)),
        (
            S::Instructed,
            C::PrincipalInstruct | C::Distribute | C::AssignMain | C::AcceptMain | C::Review | C::Archive,
        ) => None,

        (S::Done, C::Archive) => Some((S::Archived, CLERK)),
        (
            S::Done,
            C::PrincipalInstruct
            | C::Distribute
            | C::AssignMain
            | C::AssignCo
            | C::AcceptMain
            | C::AcceptCo
            | C::Review
            | C::Progress
            | C::ProgressCo
            | C::Instruct
            | C::CompleteCo
            | C::CompleteMain,
        ) => None,

        (
            S::Archived,
            C::PrincipalInstruct
            | C::Distribute
            | C::AssignMain
            | C::AssignCo
            | C::AcceptMain
            | C::AcceptCo
            | C::Review
            | C::Progress
            | C::ProgressCo
            | C::Instruct
            | C::CompleteCo
            | C::CompleteMain
            | C::Archive,
        ) => None,
    }
}

/// The facts about one document that the guards need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub kind: Kind,
    pub major: bool,
    pub principal_instructed: bool,
    /// The office director has reviewed it (non-approval documents, D03).
    pub reviewed: bool,
    /// Co-handling sections whose part is not finished yet.
    pub open_co_parts: usize,
}

/// Decides a command: the next state, or the refusal (nothing changes).
///
/// Order: state (409 `conflict`), party (403 `forbidden`), then the rules (D01, D02, D03).
pub fn apply(state: State, cmd: Command, party: Party, facts: &Facts) -> DomainResult<State> {
    let Some((next, parties)) = transition(state, cmd) else {
        return Err(DomainError::conflict(format!(
            "收文当前状态为“{}”，不能{}；请刷新后查看最新状态",
            state.label(),
            cmd.label()
        ))
        .with_details(json!({"state": state.as_str(), "command": cmd.label()})));
    };
    if !parties.contains(&party) {
        let who = parties.iter().map(Party::label).collect::<Vec<_>>().join("或");
        return Err(DomainError::forbidden(format!("{}只能由{}办理", cmd.label(), who)));
    }
    match cmd {
        C::Distribute if facts.major && !facts.principal_instructed => {
            return Err(DomainError::rule(
                "D01",
                "该收文标记为重大事项，须先报主要领导批示；主要领导批示记录后方可分办",
            )
            .with_details(json!({"major": true, "principal_instructed": false})));
        }
        C::Review if facts.kind == Kind::Approval => {
            return Err(DomainError::invalid(
                "kind",
                "行政审批公文由主办处室按时限办理，不经办公室主任审核呈领导阅批程序",
            ));
        }
        C::Review if facts.reviewed => {
            return Err(DomainError::conflict("办公室主任已审核过该收文，不能重复审核"));
        }
        C::Instruct if facts.kind == Kind::NonApproval && !facts.reviewed => {
            return Err(DomainError::rule(
                "D03",
                "非行政审批公文须先经办公室主任审核，再按领导班子分工呈领导阅批",
            )
            .with_details(json!({"kind": "non_approval", "reviewed": false})));
        }
        C::CompleteMain if facts.kind == Kind::NonApproval && state != S::Instructed => {
            return Err(DomainError::rule(
                "D03",
                "非行政审批公文须经办公室主任审核并由分管领导阅批后方可办结",
            )
            .with_details(json!({"kind": "non_approval", "state": state.as_str()})));
        }
        C::CompleteMain if facts.open_co_parts > 0 => {
            return Err(DomainError::rule(
                "D02",
                format!(
                    "还有 {} 个协办处室未办结：主办处室须综合各协办处室意见后再办结",
                    facts.open_co_parts
                ),
            )
            .with_details(json!({"open_co_parts": facts.open_co_parts})));
        }
        _ => {}
    }
    Ok(next)
}

/// D03: a leader's instruction must be explicit on a 请示 (request): 同意, 不同意 or a
/// specific opinion with text; a bare 已阅 is refused there and allowed elsewhere.
/// An opinion always needs its text. Returns the trimmed text.
pub fn check_instruction(doc_type: DocType, kind: InstructionKind, text: Option<&str>) -> DomainResult<Option<String>> {
    let text = text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    if text.as_ref().is_some_and(|t| t.chars().count() > 2000) {
        return Err(DomainError::invalid("text", "批示内容不能超过 2000 个字符"));
    }
    match kind {
        InstructionKind::Read if doc_type.needs_explicit_instruction() => Err(DomainError::rule(
            "D03",
            "对请示件的批示必须明确：请签署“同意”“不同意”或填写具体意见，不能只签“已阅”",
        )
        .with_details(json!({"doc_type": doc_type.as_str(), "kind": "read", "allowed": ["agree", "disagree", "opinion"]}))),
        InstructionKind::Opinion if text.is_none() => {
            if doc_type.needs_explicit_instruction() {
                Err(DomainError::rule("D03", "对请示件签署具体意见时必须填写意见内容")
                    .with_details(json!({"doc_type": doc_type.as_str(), "kind": "opinion", "field": "text"})))
            } else {
                Err(DomainError::invalid("text", "选择“具体意见”时必须填写意见内容"))
            }
        }
        InstructionKind::Agree | InstructionKind::Disagree | InstructionKind::Opinion | InstructionKind::Read => Ok(text),
    }
}

/// D02: the instant an item with `deadline` (a Shanghai date) becomes overdue: the end of that day.
pub fn due_at(deadline: NaiveDate) -> DateTime<Utc> {
    local_end_of_day(deadline)
}

/// D02: when reminder `level` becomes due for an item with `deadline`: level 1 at the end of
/// the deadline day, level 2 at the end of the next working day, level 3 at the end of the
/// working day after that (unit calendar).
pub fn reminder_due_at(calendar: &WorkCalendar, deadline: NaiveDate, level: ReminderLevel) -> DateTime<Utc> {
    local_end_of_day(calendar.add_working_days(deadline, level.working_days_after_deadline()))
}

/// The reminder levels due at `now` for an item with `deadline`, in escalation order.
pub fn due_levels(calendar: &WorkCalendar, deadline: NaiveDate, now: DateTime<Utc>) -> Vec<ReminderLevel> {
    ReminderLevel::ALL
        .iter()
        .copied()
        .filter(|l| now >= reminder_due_at(calendar, deadline, *l))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::str::FromStr;

    fn facts() -> Facts {
        Facts { kind: Kind::Approval, major: false, principal_instructed: false, reviewed: false, open_co_parts: 0 }
    }

    #[test]
    fn table_and_match_agree_for_every_state_and_command() {
        for s in State::ALL {
            for c in Command::ALL {
                let listed: Vec<_> = TRANSITIONS.iter().filter(|(ts, tc, _, _)| ts == s && tc == c).collect();
                match transition(*s, *c) {
                    Some((next, parties)) => {
                        assert_eq!(listed.len(), 1, "{s:?} {c:?} listed once");
                        assert_eq!(listed[0].2, next, "{s:?} {c:?}");
                        assert_eq!(listed[0].3, parties, "{s:?} {c:?}");
                    }
                    None => assert!(listed.is_empty(), "{s:?} {c:?} is in the table but not in the match"),
                }
            }
        }
    }

    #[test]
    fn every_pair_either_moves_with_its_party_or_is_a_conflict() {
        let all_parties = [P::Clerk, P::Principal, P::Leader, P::OfficeDirector, P::SectionHead, P::Handler];
        let f = Facts { reviewed: true, ..facts() };
        for s in State::ALL {
            for c in Command::ALL {
                for p in all_parties {
                    let r = apply(*s, *c, p, &f);
                    match transition(*s, *c) {
                        None => assert_eq!(r.unwrap_err().code, "conflict", "{s:?} {c:?} {p:?}"),
                        Some((next, parties)) if parties.contains(&p) => {
                            // Review is refused on approval documents and once done; all else moves.
                            if *c == C::Review {
                                assert!(r.is_err());
                            } else {
                                assert_eq!(r.unwrap(), next, "{s:?} {c:?} {p:?}");
                            }
                        }
                        Some(_) => assert_eq!(r.unwrap_err().code, "forbidden", "{s:?} {c:?} {p:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn happy_path_of_a_non_approval_document() {
        let mut f = Facts { kind: Kind::NonApproval, ..facts() };
        let s = apply(S::Registered, C::Distribute, P::Clerk, &f).unwrap();
        assert_eq!(s, S::Distributed);
        assert_eq!(apply(s, C::AssignMain, P::SectionHead, &f).unwrap(), S::Distributed);
        let s = apply(s, C::AcceptMain, P::Handler, &f).unwrap();
        assert_eq!(s, S::Accepted);
        let s = apply(s, C::Review, P::OfficeDirector, &f).unwrap();
        assert_eq!(s, S::InProgress);
        f.reviewed = true;
        let s = apply(s, C::Instruct, P::Leader, &f).unwrap();
        assert_eq!(s, S::Instructed);
        let s = apply(s, C::CompleteMain, P::Handler, &f).unwrap();
        assert_eq!(s, S::Done);
        assert_eq!(apply(s, C::Archive, P::Clerk, &f).unwrap(), S::Archived);
        assert!(!S::Archived.is_open() && !S::Done.is_open() && S::Instructed.is_open());
    }

    #[test]
    fn approval_document_completes_without_review_or_instruction() {
        let f = facts();
        assert_eq!(apply(S::Accepted, C::CompleteMain, P::Handler, &f).unwrap(), S::Done);
        assert_eq!(apply(S::Accepted, C::Progress, P::Handler, &f).unwrap(), S::InProgress);
        assert_eq!(apply(S::InProgress, C::CompleteMain, P::Handler, &f).unwrap(), S::Done);
        // A leader may still instruct an approval document.
        assert_eq!(apply(S::Accepted, C::Instruct, P::Leader, &f).unwrap(), S::Instructed);
        // Review does not apply to it.
        assert_eq!(apply(S::Accepted, C::Review, P::OfficeDirector, &f).unwrap_err().code, "invalid");
    }

    #[test]
    fn d01_major_item_distribution_waits_for_principal_instruction() {
        let f = Facts { major: true, ..facts() };
        let e = apply(S::Registered, C::Distribute, P::Clerk, &f).unwrap_err();
        assert_eq!(e.code, "D01");
        assert!(e.message.contains("主要领导"));
        assert_eq!(apply(S::Registered, C::PrincipalInstruct, P::Principal, &f).unwrap(), S::Registered);
        assert_eq!(apply(S::Registered, C::PrincipalInstruct, P::Leader, &f).unwrap_err().code, "forbidden");
        let f = Facts { principal_instructed: true, ..f };
        assert_eq!(apply(S::Registered, C::Distribute, P::Clerk, &f).unwrap(), S::Distributed);
    }

    #[test]
    fn d02_main_completion_waits_for_co_sections() {
        let f = Facts { open_co_parts: 2, ..facts() };
        let e = apply(S::Accepted, C::CompleteMain, P::Handler, &f).unwrap_err();
        assert_eq!(e.code, "D02");
        assert_eq!(e.details["open_co_parts"], 2);
        // Co sections work in parallel without moving the document.
        for s in [S::Distributed, S::Accepted, S::InProgress, S::Instructed] {
            assert_eq!(apply(s, C::AcceptCo, P::Handler, &f).unwrap(), s);
            assert_eq!(apply(s, C::ProgressCo, P::Handler, &f).unwrap(), s);
            assert_eq!(apply(s, C::CompleteCo, P::Handler, &f).unwrap(), s);
        }
        // The main handler is reassigned only before acceptance.
        assert_eq!(apply(S::Accepted, C::AssignMain, P::SectionHead, &f).unwrap_err().code, "conflict");
    }

    #[test]
    fn d03_non_approval_goes_to_leaders_only_after_office_review() {
        let f = Facts { kind: Kind::NonApproval, ..facts() };
        let e = apply(S::Accepted, C::Instruct, P::Leader, &f).unwrap_err();
        assert_eq!(e.code, "D03");
        let e = apply(S::Accepted, C::CompleteMain, P::Handler, &f).unwrap_err();
        assert_eq!(e.code, "D03");
        let f = Facts { reviewed: true, ..f };
        assert_eq!(apply(S::InProgress, C::Instruct, P::Principal, &f).unwrap(), S::Instructed);
        assert_eq!(apply(S::InProgress, C::Review, P::OfficeDirector, &f).unwrap_err().code, "conflict");
        assert_eq!(apply(S::InProgress, C::CompleteMain, P::Handler, &f).unwrap_err().code, "D03");
    }

    #[test]
    fn d03_request_needs_explicit_instruction() {
        let e = check_instruction(DocType::Request, InstructionKind::Read, None).unwrap_err();
        assert_eq!(e.code, "D03");
        assert!(e.message.contains("已阅"));
        let e = check_instruction(DocType::Request, InstructionKind::Read, Some("已阅，请办")).unwrap_err();
        assert_eq!(e.code, "D03");
        assert_eq!(check_instruction(DocType::Request, InstructionKind::Opinion, Some("  ")).unwrap_err().code, "D03");
        assert_eq!(check_instruction(DocType::Request, InstructionKind::Agree, None).unwrap(), None);
        assert_eq!(check_instruction(DocType::Request, InstructionKind::Disagree, Some(" 理由不足 ")).unwrap().as_deref(), Some("理由不足"));
        assert_eq!(
            check_instruction(DocType::Request, InstructionKind::Opinion, Some("请规划处会同耕保处研究")).unwrap().as_deref(),
            Some("请规划处会同耕保处研究")
        );
        // Elsewhere 已阅 is allowed; an opinion still needs text.
        assert_eq!(check_instruction(DocType::Notice, InstructionKind::Read, None).unwrap(), None);
        assert_eq!(check_instruction(DocType::Report, InstructionKind::Opinion, None).unwrap_err().code, "invalid");
        assert_eq!(InstructionKind::from_str("read").unwrap().label(), "已阅");
    }

    #[test]
    fn d02_reminder_levels_escalate_by_working_days() {
        let cal = WorkCalendar::with_china_2026();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Deadline Friday 2026-11-20: level 1 at the end of Friday (16:00 UTC), level 2 at the end
        // of Monday 23rd, level 3 at the end of Tuesday 24th (the weekend does not count).
        let deadline = d("2026-11-20");
        assert_eq!(due_at(deadline).to_rfc3339(), "2026-11-20T16:00:00+00:00");
        assert_eq!(reminder_due_at(&cal, deadline, ReminderLevel::Handler), due_at(deadline));
        assert_eq!(reminder_due_at(&cal, deadline, ReminderLevel::SectionHead).to_rfc3339(), "2026-11-23T16:00:00+00:00");
        assert_eq!(reminder_due_at(&cal, deadline, ReminderLevel::Office).to_rfc3339(), "2026-11-24T16:00:00+00:00");
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(due_levels(&cal, deadline, at("2026-11-20T15:59:59Z")).is_empty());
        assert_eq!(due_levels(&cal, deadline, at("2026-11-20T16:00:00Z")), [ReminderLevel::Handler]);
        assert_eq!(due_levels(&cal, deadline, at("2026-11-22T12:00:00Z")), [ReminderLevel::Handler]);
        assert_eq!(due_levels(&cal, deadline, at("2026-11-23T16:00:00Z")), [ReminderLevel::Handler, ReminderLevel::SectionHead]);
        assert_eq!(due_levels(&cal, deadline, at("2026-12-01T00:00:00Z")), ReminderLevel::ALL);
        // Over the National Day holiday (1–7 October off): deadline 2026-09-30 → level 2 at the
        // end of Thursday 8 October, level 3 at the end of Friday 9 October.
        let deadline = d("2026-09-30");
        assert_eq!(reminder_due_at(&cal, deadline, ReminderLevel::SectionHead), due_at(d("2026-10-08")));
        assert_eq!(reminder_due_at(&cal, deadline, ReminderLevel::Office), due_at(d("2026-10-09")));
        assert_eq!(ReminderLevel::Office.number(), 3);
    }
}
