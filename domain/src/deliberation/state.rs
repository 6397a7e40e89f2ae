//! States and transitions of proposals (议题), meetings and agenda items.
//!
//! [`TRANSITIONS`] is the one table of the flow: every command, the states it may start from,
//! where it leads, who may issue it and the rule that governs it. [`apply`] is the exhaustive
//! match that enforces it; a unit test checks that the two agree for every (state, command).

use serde_json::json;

use crate::enums::wire_enum;
use crate::error::{DomainError, DomainResult};

wire_enum! {
    /// Proposal state (SPEC A).
    ProposalState, field = "state", {
        Draft => ("draft", "草稿"),
        Submitted => ("submitted", "待分管领导审核"),
        Preconsult => ("preconsult", "会前酝酿"),
        Ready => ("ready", "待上会"),
        Returned => ("returned", "已退回"),
        Scheduled => ("scheduled", "已列入议程"),
        Voting => ("voting", "表决中"),
        Decided => ("decided", "已决定"),
        Deferred => ("deferred", "缓议"),
        Rejected => ("rejected", "未通过"),
        Lapsed => ("lapsed", "已失效"),
        PendingSuperior => ("pending_superior", "待上级批准"),
        Minuted => ("minuted", "已形成纪要"),
        Published => ("published", "公示中"),
        Confirmed => ("confirmed", "已确认"),
        Archived => ("archived", "已归档"),
    }
}

impl ProposalState {
    /// The proposer may edit the materials (PATCH) only in these states.
    pub fn editable(&self) -> bool {
        matches!(self, ProposalState::Draft | ProposalState::Returned)
    }

    /// States in which the proposal sits on a meeting's agenda.
    pub fn on_agenda(&self) -> bool {
        matches!(self, ProposalState::Scheduled | ProposalState::Voting)
    }
}

wire_enum! {
    /// Meeting state: created with its agenda → notice sent (R06) → open (R08) → closed (R07).
    MeetingState, field = "state", {
        Scheduled => ("scheduled", "已安排"),
        Noticed => ("noticed", "已通知"),
        Open => ("open", "进行中"),
        Closed => ("closed", "已结束"),
    }
}

wire_enum! {
    /// State of one agenda item (逐项表决, R11).
    ItemState, field = "state", {
        Pending => ("pending", "待审议"),
        Voting => ("voting", "表决中"),
        Counted => ("counted", "已计票"),
        Decided => ("decided", "已决定"),
        Deferred => ("deferred", "缓议"),
    }
}

/// Who may issue a command. Casbin decides the role; the service checks the object-level part
/// (the proposer of *this* proposal, the deputy in charge of *its* section, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The proposal's proposer (handler, section head or deputy who created it).
    Proposer,
    /// The proposer, or the deputy in charge of the proposer's section.
    ProposerOrDeputy,
    /// The deputy in charge of the proposer's section (分工, R04).
    DeputyInCharge,
    /// The unit's principal (chair of the meeting).
    Principal,
    /// Office staff (clerk).
    Clerk,
    /// The system (on read or by a job), e.g. lapse after the deferral period.
    System,
}

/// Which half of the backend implements the transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// `yishi::deliberation`: proposals to decisions (R01–R13).
    UpToDecision,
    /// Minutes, superior approval, publication, resolution, archive (R14–R18).
    AfterDecision,
}

/// A command on a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// PATCH the materials (stays in the state).
    Update,
    /// Submit with the four parts present (R02).
    Submit,
    /// The deputy in charge approves the 提交单; the office registers it (R04).
    ApproveSubmission,
    /// The deputy in charge sends it back with an opinion (R04).
    RejectSubmission,
    /// Record a pre-consultation record (R03; stays in the state).
    AddPreconsultRecord,
    /// Principal: put to meeting (R05; R03 records must be complete).
    PutToMeeting,
    /// Principal: handle as general business (R05; refused by R01 above the threshold).
    HandleAsGeneralBusiness,
    /// Principal: not ready, needs more preparation (R05).
    NotReady,
    /// Clerk puts it on a meeting agenda (R06). A deferred item is re-deliberated this way.
    Schedule,
    /// Clerk takes it off an agenda before the notice (back to ready or deferred).
    Unschedule,
    /// Chair opens a vote on the item (path vote or secret_ballot, R11, R12).
    OpenVote,
    /// Chair: consensus (R12) — adopted at once.
    Consensus,
    /// Chair: defer (R12 path, or the decision after a vote, R13).
    Defer,
    /// Principal records "adopted" after the vote (R13).
    Adopt,
    /// Principal records "rejected" after the vote (R13).
    Reject,
    /// The deferral period ran out (R13).
    Lapse,
    /// R14: the superior's approval is recorded.
    RecordSuperiorApproval,
    /// R15: the meeting's minutes are approved.
    Minute,
    /// R16: the minutes are published inside the unit.
    Publish,
    /// R17: the principal confirms after publication.
    Confirm,
    /// R17: the principal adjusts: a minutes revision, then re-publication.
    Adjust,
    /// R17: the principal sends it back for a later meeting.
    Redeliberate,
    /// R18: archived with its meeting records.
    Archive,
}

/// One row of the transition table.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub command: Command,
    pub from: &'static [ProposalState],
    /// Possible results; several when facts decide (e.g. superior approval needed).
    pub to: &'static [ProposalState],
    pub who: Who,
    pub rule: &'static str,
    pub owner: Owner,
}

use Command as C;
use Owner::{AfterDecision, UpToDecision};
use ProposalState as S;

/// The transition table of the whole flow.
pub const TRANSITIONS: &[Transition] = &[
    Transition { command: C::Update, from: &[S::Draft, S::Returned], to: &[], who: Who::Proposer, rule: "R02", owner: UpToDecision },
    Transition { command: C::Submit, from: &[S::Draft, S::Returned], to: &[S::Submitted], who: Who::Proposer, rule: "R02", owner: UpToDecision },
    Transition { command: C::ApproveSubmission, from: &[S::Submitted], to: &[S::Preconsult], who: Who::DeputyInCharge, rule: "R04", owner: UpToDecision },
    Transition { command: C::RejectSubmission, from: &[S::Submitted], to: &[S::Returned], who: Who::DeputyInCharge, rule: "R04", owner: UpToDecision },
    Transition { command: C::AddPreconsultRecord, from: &[S::Draft, S::Submitted, S::Preconsult, S::Returned], to: &[], who: Who::ProposerOrDeputy, rule: "R03", owner: UpToDecision },
    Transition { command: C::PutToMeeting, from: &[S::Preconsult], to: &[S::Ready], who: Who::Principal, rule: "R05", owner: UpToDecision },
    Transition { command: C::HandleAsGeneralBusiness, from: &[S::Preconsult], to: &[S::Returned], who: Who::Principal, rule: "R05", owner: UpToDecision },
    Transition { command: C::NotReady, from: &[S::Preconsult], to: &[S::Returned], who: Who::Principal, rule: "R05", owner: UpToDecision },
    Transition { command: C::Schedule, from: &[S::Ready, S::Deferred], to: &[S::Scheduled], who: Who::Clerk, rule: "R06", owner: UpToDecision },
    Transition { command: C::Unschedule, from: &[S::Scheduled], to: &[S::Ready, S::Deferred], who: Who::Clerk, rule: "R06", owner: UpToDecision },
    Transition { command: C::OpenVote, from: &[S::Scheduled], to: &[S::Voting], who: Who::Principal, rule: "R12", owner: UpToDecision },
    Transition { command: C::Consensus, from: &[S::Scheduled], to: &[S::Decided, S::PendingSuperior], who: Who::Principal, rule: "R12", owner: UpToDecision },
    Transition { command: C::Defer, from: &[S::Scheduled, S::Voting], to: &[S::Deferred], who: Who::Principal, rule: "R12", owner: UpToDecision },
    Transition { command: C::Adopt, from: &[S::Voting], to: &[S::Decided, S::PendingSuperior], who: Who::Principal, rule: "R13", owner: UpToDecision },
    Transition { command: C::Reject, from: &[S::Voting], to: &[S::Rejected], who: Who::Principal, rule: "R13", owner: UpToDecision },
    Transition { command: C::Lapse, from: &[S::Deferred], to: &[S::Lapsed], who: Who::System, rule: "R13", owner: UpToDecision },
    Transition { command: C::RecordSuperiorApproval, from: &[S::PendingSuperior], to: &[S::Decided], who: Who::Clerk, rule: "R14", owner: AfterDecision },
    Transition { command: C::Minute, from: &[S::Decided, S::Rejected], to: &[S::Minuted], who: Who::Principal, rule: "R15", owner: AfterDecision },
    Transition { command: C::Publish, from: &[S::Minuted], to: &[S::Published], who: Who::Clerk, rule: "R16", owner: AfterDecision },
    Transition { command: C::Confirm, from: &[S::Published], to: &[S::Confirmed], who: Who::Principal, rule: "R17", owner: AfterDecision },
    Transition { command: C::Adjust, from: &[S::Published], to: &[S::Minuted], who: Who::Principal, rule: "R17", owner: AfterDecision },
    Transition { command: C::Redeliberate, from: &[S::Published], to: &[S::Ready], who: Who::Principal, rule: "R17", owner: AfterDecision },
    Transition { command: C::Archive, from: &[S::Confirmed], to: &[S::Archived], who: Who::System, rule: "R18", owner: AfterDecision },
];

/// Facts that choose between several possible results.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// R14: the proposal needs a superior's approval after the decision.
    pub needs_superior_approval: bool,
    /// Unschedule: the item was deferred before it was scheduled again.
    pub was_deferred: bool,
}

/// The row of [`TRANSITIONS`] for a command.
pub fn transition(command: Command) -> Option<&'static Transition> {
    TRANSITIONS.iter().find(|t| t.command == command)
}

fn command_label(c: Command) -> &'static str {
    match c {
        C::Update => "修改材料",
        C::Submit => "提交",
        C::ApproveSubmission => "审核同意提交单",
        C::RejectSubmission => "退回提交单",
        C::AddPreconsultRecord => "登记会前协商记录",
        C::PutToMeeting => "决定提交会议",
        C::HandleAsGeneralBusiness => "作为一般业务处理",
        C::NotReady => "暂不提交会议",
        C::Schedule => "列入会议议程",
        C::Unschedule => "移出会议议程",
        C::OpenVote => "开始表决",
        C::Consensus => "一致通过",
        C::Defer => "缓议",
        C::Adopt => "决定通过",
        C::Reject => "决定不通过",
        C::Lapse => "缓议期满失效",
        C::RecordSuperiorApproval => "登记上级批准",
        C::Minute => "形成会议纪要",
        C::Publish => "机关内部公示",
        C::Confirm => "确认",
        C::Adjust => "调整纪要",
        C::Redeliberate => "重新组织会商",
        C::Archive => "存档",
    }
}

fn refuse(from: ProposalState, c: Command) -> DomainError {
    let allowed: Vec<&str> = transition(c).map(|t| t.from.iter().map(ProposalState::as_str).collect()).unwrap_or_default();
    DomainError::conflict(format!(
        "议题当前状态为“{}”，不能执行“{}”；请刷新后查看议题的最新状态",
        from.label(),
        command_label(c)
    ))
    .with_details(json!({"state": from.as_str(), "allowed_from": allowed}))
}

/// The state after `command` from `from`, or a `conflict` refusal naming the current state.
/// Commands that do not change the state (Update, AddPreconsultRecord) return `from`.
pub fn apply(from: ProposalState, command: Command, facts: Facts) -> DomainResult<ProposalState> {
    let decided = if facts.needs_superior_approval { S::PendingSuperior } else { S::Decided };
    let next = match (from, command) {
        (S::Draft | S::Returned, C::Update) => Some(from),
        (S::Draft | S::Returned, C::Submit) => Some(S::Submitted),
        (S::Submitted, C::ApproveSubmission) => Some(S::Preconsult),
        (S::Submitted, C::RejectSubmission) => Some(S::Returned),
        (S::Draft | S::Submitted | S::Preconsult | S::Returned, C::AddPreconsultRecord) => Some(from),
        (S::Preconsult, C::PutToMeeting) => Some(S::Ready),
        (S::Preconsult, C::HandleAsGeneralBusiness | C::NotReady) => Some(S::Returned),
        (S::Ready | S::Deferred, C::Schedule) => Some(S::Scheduled),
        (S::Scheduled, C::Unschedule) => Some(if facts.was_deferred { S::Deferred } else { S::Ready }),
        (S::Scheduled, C::OpenVote) => Some(S::Voting),
        (S::Scheduled, C::Consensus) => Some(decided),
        (S::Scheduled | S::Voting, C::Defer) => Some(S::Deferred),
        (S::Voting, C::Adopt) => Some(decided),
        (S::Voting, C::Reject) => Some(S::Rejected),
        (S::Deferred, C::Lapse) => Some(S::Lapsed),
        (S::PendingSuperior, C::RecordSuperiorApproval) => Some(S::Decided),
        (S::Decided | S::Rejected, C::Minute) => Some(S::Minuted),
        (S::Minuted, C::Publish) => Some(S::Published),
        (S::Published, C::Confirm) => Some(S::Confirmed),
        (S::Published, C::Adjust) => Some(S::Minuted),
        (S::Published, C::Redeliberate) => Some(S::Ready),
        (S::Confirmed, C::Archive) => Some(S::Archived),
        (
            S::Draft
            | S::Submitted
            | S::Preconsult
            | S::Ready
            | S::Returned
            | S::Scheduled
            | S::Voting
            | S::Decided
            | S::Deferred
            | S::Rejected
            | S::Lapsed
            | S::PendingSuperior
            | S::Minuted
            | S::Published
            | S::Confirmed
            | S::Archived,
            C::Update
            | C::Submit
            | C::ApproveSubmission
            | C::RejectSubmission
            | C::AddPreconsultRecord
            | C::PutToMeeting
            | C::HandleAsGeneralBusiness
            | C::NotReady
            | C::Schedule
            | C::Unschedule
            | C::OpenVote
            | C::Consensus
            | C::Defer
            | C::Adopt
            | C::Reject
            | C::Lapse
            | C::RecordSuperiorApproval
            | C::Minute
            | C::Publish
            | C::Confirm
            | C::Adjust
            | C::Redeliberate
            | C::Archive,
        ) => None,
    };
    next.ok_or_else(|| refuse(from, command))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const ALL_COMMANDS: &[Command] = &[
        C::Update,
        C::Submit,
        C::ApproveSubmission,
        C::RejectSubmission,
        C::AddPreconsultRecord,
        C::PutToMeeting,
        C::HandleAsGeneralBusiness,
        C::NotReady,
        C::Schedule,
        C::Unschedule,
        C::OpenVote,
        C::Consensus,
        C::Defer,
        C::Adopt,
        C::Reject,
        C::Lapse,
        C::RecordSuperiorApproval,
        C::Minute,
        C::Publish,
        C::Confirm,
        C::Adjust,
        C::Redeliberate,
        C::Archive,
    ];

    /// Every (state, command) pair: `apply` succeeds exactly when the table lists the state,
    /// and the result is one of the table's targets (or the same state for non-moving commands).
    #[test]
    fn apply_agrees_with_the_table_for_every_state_and_command() {
        for c in ALL_COMMANDS {
            let t = transition(*c).unwrap_or_else(|| panic!("{c:?} missing from TRANSITIONS"));
            for s in ProposalState::ALL {
                for facts in [Facts::default(), Facts { needs_superior_approval: true, was_deferred: true }] {
                    let r = apply(*s, *c, facts);
                    if t.from.contains(s) {
                        let to = r.unwrap_or_else(|e| panic!("{s:?} {c:?}: {e}"));
                        if t.to.is_empty() {
                            assert_eq!(to, *s, "{c:?} must not move");
                        } else {
                            assert!(t.to.contains(&to), "{s:?} {c:?} → {to:?} not in table");
                        }
                    } else {
                        let e = r.unwrap_err();
                        assert_eq!(e.code, "conflict", "{s:?} {c:?}");
                        assert!(e.message.contains(s.label()));
                    }
                }
            }
        }
        assert_eq!(TRANSITIONS.len(), ALL_COMMANDS.len());
    }

    #[test]
    fn every_spec_state_exists() {
        let wires: Vec<_> = ProposalState::ALL.iter().map(ProposalState::as_str).collect();
        for s in [
            "draft", "submitted", "preconsult", "ready", "returned", "scheduled", "voting", "decided", "deferred",
            "rejected", "lapsed", "pending_superior", "minuted", "published", "confirmed", "archived",
        ] {
            assert!(wires.contains(&s), "{s}");
        }
        assert_eq!(wires.len(), 16);
    }

    #[test]
    fn r14_adoption_waits_for_the_superior_when_flagged() {
        let f = Facts { needs_superior_approval: true, was_deferred: false };
        assert_eq!(apply(S::Voting, C::Adopt, f).unwrap(), S::PendingSuperior);
        assert_eq!(apply(S::Scheduled, C::Consensus, f).unwrap(), S::PendingSuperior);
        assert_eq!(apply(S::Voting, C::Adopt, Facts::default()).unwrap(), S::Decided);
        assert_eq!(apply(S::PendingSuperior, C::RecordSuperiorApproval, f).unwrap(), S::Decided);
    }

    #[test]
    fn r13_deferred_items_can_be_rescheduled_or_lapse() {
        assert_eq!(apply(S::Deferred, C::Schedule, Facts::default()).unwrap(), S::Scheduled);
        assert_eq!(apply(S::Deferred, C::Lapse, Facts::default()).unwrap(), S::Lapsed);
        assert_eq!(apply(S::Lapsed, C::Schedule, Facts::default()).unwrap_err().code, "conflict");
        let f = Facts { needs_superior_approval: false, was_deferred: true };
        assert_eq!(apply(S::Scheduled, C::Unschedule, f).unwrap(), S::Deferred);
    }

    #[test]
    fn owners_split_at_the_decision() {
        for t in TRANSITIONS {
            let after = matches!(t.rule, "R14" | "R15" | "R16" | "R17" | "R18");
            assert_eq!(after, t.owner == Owner::AfterDecision, "{:?}", t.command);
        }
    }
}
