//! Outgoing documents (发文, D04–D10, D12): the state machine, the sign-off authority table
//! (D07), the 文号 format (D09), separation of duties (D12) and the countersign stances (D05).
//!
//! States: `drafting → section_review → countersigning → consolidating → verifying → signoff →
//! signed → numbered → issued → archived`, plus `returned` (sent back to the drafter), `paused`
//! (a countersign disagreement waits for negotiation or the deputy's ruling, D05) and
//! `escalated` (paused while a linked 三重一大 proposal is deliberated, D10).
//!
//! After the main section head's review the draft sits in `consolidating` (the main
//! section holds it): from there it is sent to countersign, or — with the countersign
//! opinions in — consolidated and handed to the office for verification. Sign-off assigns
//! the number in the same transaction (`signoff → signed → numbered`), and issuing archives
//! (`numbered → issued → archived`): each step is recorded on the trail.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::enums::{IssuingForm, wire_enum};
use crate::error::{DomainError, DomainResult};

wire_enum! {
    /// State of an outgoing document.
    State, field = "state", {
        Drafting => ("drafting", "拟稿"),
        SectionReview => ("section_review", "处室审核"),
        Countersigning => ("countersigning", "会签"),
        Consolidating => ("consolidating", "主办处室汇总"),
        Verifying => ("verifying", "办公室核稿"),
        Signoff => ("signoff", "待签发"),
        Signed => ("signed", "已签发"),
        Numbered => ("numbered", "已编号"),
        Issued => ("issued", "已印发"),
        Archived => ("archived", "已归档"),
        Returned => ("returned", "退回修改"),
        Paused => ("paused", "会签分歧暂停"),
        Escalated => ("escalated", "提交集体决策暂停"),
    }
}

impl State {
    /// In routing: escalation (D10) may pause it, and its opinions are confidential (D13).
    pub fn in_routing(&self) -> bool {
        matches!(
            self,
            State::SectionReview
                | State::Countersigning
                | State::Consolidating
                | State::Verifying
                | State::Signoff
                | State::Paused
        )
    }

    /// Content frozen (D08): signed and after.
    pub fn is_frozen(&self) -> bool {
        matches!(self, State::Signed | State::Numbered | State::Issued | State::Archived)
    }

    /// Still being processed (D13: opinions and trail for participants only).
    pub fn in_processing(&self) -> bool {
        !matches!(self, State::Issued | State::Archived)
    }
}

wire_enum! {
    /// What someone (or the system) does to an outgoing document.
    Command, field = "command", {
        Edit => ("edit", "修改草稿"),
        Submit => ("submit", "提交处室审核"),
        ApproveReview => ("approve_review", "处室负责人审核通过"),
        ReturnReview => ("return_review", "处室负责人退回"),
        SendCountersign => ("send_countersign", "送会签"),
        Agree => ("agree", "会签同意"),
        Disagree => ("disagree", "会签不同意"),
        RuleProceed => ("rule_proceed", "分管领导裁定继续"),
        RuleReturn => ("rule_return", "分管领导裁定退回"),
        ApproveLeaderReview => ("approve_leader_review", "分管领导审签同意"),
        ReturnLeaderReview => ("return_leader_review", "分管领导审签退回"),
        RecordExternalCountersign => ("record_external_countersign", "登记外单位会签"),
        Consolidate => ("consolidate", "汇总定稿送核稿"),
        PassVerification => ("pass_verification", "核稿通过"),
        ReturnVerification => ("return_verification", "核稿退回"),
        Signoff => ("signoff", "签发"),
        AssignNumber => ("assign_number", "编号"),
        RequestChange => ("request_change", "提出修改申请"),
        DecideChange => ("decide_change", "审批修改申请"),
        Issue => ("issue", "印发"),
        Archive => ("archive", "归档"),
        Escalate => ("escalate", "提交三重一大集体决策"),
        ProposalAdopted => ("proposal_adopted", "集体决策通过，恢复办理"),
        ProposalRejected => ("proposal_rejected", "集体决策未通过，退回"),
    }
}

/// Who may give a command (the service resolves each to people; D11 backups act for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The drafter (拟稿人).
    Drafter,
    /// A section head of the main section (主办处室负责人).
    MainSectionHead,
    /// A section head of a section asked to countersign and not yet answered.
    CountersignHead,
    /// The deputy in charge of the main section (分管领导).
    DeputyInCharge,
    /// The deputy in charge or the principal (escalation, D10).
    Leader,
    /// The office director (办公室主任, 核稿).
    OfficeDirector,
    /// The sign-off authority of the issuing form (D07).
    SignoffAuthority,
    /// The leader who signed (approves change requests, D08).
    Signer,
    /// The office clerk (印发).
    Clerk,
    /// The system, inside another command's transaction.
    System,
}

/// Where a transition leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    To(State),
    /// The state does not change (an opinion, a record, a change request).
    Stay,
    /// Countersigning continues while opinions are outstanding, else the main section consolidates.
    AfterCountersign,
    /// Back to the state it was paused from.
    Resume,
}

/// The transition table: what `cmd` does in `state`, and who may give it; `None` when
/// `cmd` is not possible in `state`. Exhaustive on both: a new state or command does not
/// compile until every pair is decided here.
pub fn rule(state: State, cmd: Command) -> Option<(Next, &'static [Actor])> {
    use Actor as A;
    use Command as C;
    use State as S;
    match cmd {
        C::Edit => match state {
            S::Drafting | S::Returned => Some((Next::Stay, &[A::Drafter])),
            S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying | S::Signoff | S::Signed
            | S::Numbered | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        C::Submit => match state {
            S::Drafting | S::Returned => Some((Next::To(S::SectionReview), &[A::Drafter])),
            S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying | S::Signoff | S::Signed
            | S::Numbered | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        C::ApproveReview | C::ReturnReview => match state {
            S::SectionReview => Some((
                Next::To(if cmd == C::ApproveReview { S::Consolidating } else { S::Returned }),
                &[A::MainSectionHead],
            )),
            S::Drafting | S::Returned | S::Countersigning | S::Consolidating | S::Verifying | S::Signoff
            | S::Signed | S::Numbered | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        C::SendCountersign => match state {
            S::Consolidating => Some((Next::To(S::Countersigning), &[A::Drafter, A::MainSectionHead])),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Verifying | S::Signoff
            | S::Signed | S::Numbered | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        // While paused the other sections may still answer, and the head who disagreed
        // may answer again after negotiating (协商解决, recorded): that resolves the pause.
        C::Agree => match state {
            S::Countersigning => Some((Next::AfterCountersign, &[A::CountersignHead])),
            S::Paused => Some((Next::Stay, &[A::CountersignHead])),
            S::Drafting | S::Returned | S::SectionReview | S::Consolidating | S::Verifying | S::Signoff
            | S::Signed | S::Numbered | S::Issued | S::Archived | S::Escalated => None,
        },
        C::Disagree => match state {
            S::Countersigning => Some((Next::To(S::Paused), &[A::CountersignHead])),
            S::Paused => Some((Next::Stay, &[A::CountersignHead])),
            S::Drafting | S::Returned | S::SectionReview | S::Consolidating | S::Verifying | S::Signoff
            | S::Signed | S::Numbered | S::Issued | S::Archived | S::Escalated => None,
        },
        C::RuleProceed | C::RuleReturn => match state {
            S::Paused => Some((
                if cmd == C::RuleProceed { Next::AfterCountersign } else { Next::To(S::Returned) },
                &[A::DeputyInCharge],
            )),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying
            | S::Signoff | S::Signed | S::Numbered | S::Issued | S::Archived | S::Escalated => None,
        },
        C::ApproveLeaderReview | C::ReturnLeaderReview => match state {
            S::Consolidating | S::Verifying | S::Signoff => Some((
                if cmd == C::ApproveLeaderReview { Next::Stay } else { Next::To(S::Returned) },
                &[A::DeputyInCharge],
            )),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Signed | S::Numbered
            | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        // Joint documents: the other departments countersign after the deputy's review; their
        // answers may still arrive while the office verifies (sign-off waits for all, D07).
        C::RecordExternalCountersign => match state {
            S::Consolidating | S::Verifying | S::Signoff => Some((Next::Stay, &[A::Drafter])),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Signed | S::Numbered | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        C::Consolidate => match state {
            S::Consolidating => Some((Next::To(S::Verifying), &[A::Drafter])),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Verifying | S::Signoff
            | S::Signed | S::Numbered | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        C::PassVerification | C::ReturnVerification => match state {
            S::Verifying => Some((
                Next::To(if cmd == C::PassVerification { S::Signoff } else { S::Returned }),
                &[A::OfficeDirector],
            )),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Consolidating | S::Signoff
            | S::Signed | S::Numbered | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        C::Signoff => match state {
            S::Signoff => Some((Next::To(S::Signed), &[A::SignoffAuthority])),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying
            | S::Signed | S::Numbered | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        C::AssignNumber => match state {
            S::Signed => Some((Next::To(S::Numbered), &[A::System])),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying
            | S::Signoff | S::Numbered | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        C::RequestChange => match state {
            S::Signed | S::Numbered => Some((Next::Stay, &[A::Drafter])),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying
            | S::Signoff | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        C::DecideChange => match state {
            S::Signed | S::Numbered => Some((Next::Stay, &[A::Signer])),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying
            | S::Signoff | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        C::Issue => match state {
            S::Numbered => Some((Next::To(S::Issued), &[A::Clerk])),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying
            | S::Signoff | S::Signed | S::Issued | S::Archived | S::Paused | S::Escalated => None,
        },
        C::Archive => match state {
            S::Issued => Some((Next::To(S::Archived), &[A::System])),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying
            | S::Signoff | S::Signed | S::Numbered | S::Archived | S::Paused | S::Escalated => None,
        },
        C::Escalate => match state {
            S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying | S::Signoff | S::Paused => {
                Some((Next::To(S::Escalated), &[A::Leader]))
            }
            S::Drafting | S::Returned | S::Signed | S::Numbered | S::Issued | S::Archived | S::Escalated => None,
        },
        C::ProposalAdopted | C::ProposalRejected => match state {
            S::Escalated => Some((
                if cmd == C::ProposalAdopted { Next::Resume } else { Next::To(S::Returned) },
                &[A::System],
            )),
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying
            | S::Signoff | S::Signed | S::Numbered | S::Issued | S::Archived | S::Paused => None,
        },
    }
}

/// Facts the service supplies for the conditional transitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    /// Countersign opinions still outstanding after this command.
    pub outstanding_opinions: usize,
    /// Unresolved disagreements after this command.
    pub open_disagreements: usize,
    /// The state an `escalated` (or `paused`) document was paused from.
    pub paused_from: Option<State>,
}

/// Applies `cmd` to `state`: the next state, or the refusal naming the rule.
pub fn apply(state: State, cmd: Command, facts: Facts) -> DomainResult<State> {
    let Some((next, _)) = rule(state, cmd) else {
        return Err(refusal(state, cmd));
    };
    Ok(match next {
        Next::To(s) => s,
        Next::Stay => match (state, cmd) {
            // Negotiated or ruled: routing resumes once no disagreement is open.
            (State::Paused, Command::Agree) if facts.open_disagreements == 0 => after_countersign(facts),
            _ => state,
        },
        Next::AfterCountersign => {
            if facts.open_disagreements > 0 {
                State::Paused
            } else {
                after_countersign(facts)
            }
        }
        Next::Resume => match facts.paused_from {
            Some(s) if s != State::Escalated => s,
            _ => return Err(DomainError::conflict("找不到暂停前的办理环节，无法恢复办理")),
        },
    })
}

fn after_countersign(facts: Facts) -> State {
    if facts.outstanding_opinions > 0 { State::Countersigning } else { State::Consolidating }
}

/// Who may give `cmd` in `state` (empty when it is not possible).
pub fn actors(state: State, cmd: Command) -> &'static [Actor] {
    rule(state, cmd).map(|(_, a)| a).unwrap_or(&[])
}

/// The refusal for a command that is not possible in a state: the rule that stops it, or
/// `conflict` when the step is simply done already or not reached yet.
pub fn refusal(state: State, cmd: Command) -> DomainError {
    let details = json!({"state": state.as_str(), "command": cmd.as_str()});
    let e = match (state, cmd) {
        (S::Paused, _) => DomainError::rule(
            "D05",
            format!("会签存在分歧，办理已暂停：须由主办处室与会签处室协商一致、分管领导裁定或提交集体决策后才能“{}”", cmd.label()),
        ),
        (S::Escalated, _) => DomainError::rule(
            "D10",
            format!("该公文已提交“三重一大”集体决策，暂停办理；议题作出决定后自动恢复，之前不能“{}”", cmd.label()),
        ),
        (S::Countersigning, C::Consolidate | C::PassVerification | C::ReturnVerification) => DomainError::rule(
            "D05",
            "会签意见尚未全部返回：各会签处室答复后，由主办处室汇总定稿",
        ),
        (s, C::Edit) if s.is_frozen() => DomainError::rule(
            "D08",
            "公文已签发，内容已冻结；确需修改的，须提出修改申请并经签发领导同意",
        ),
        (s, C::RequestChange) if !s.is_frozen() => DomainError::rule(
            "D08",
            "修改申请只适用于已签发、尚未印发的公文；签发前请在退回后直接修改草稿",
        ),
        (S::Issued | S::Archived, C::RequestChange | C::DecideChange) => DomainError::rule(
            "D08",
            "公文已印发归档，不能再修改",
        ),
        (
            S::Drafting | S::Returned | S::SectionReview | S::Countersigning | S::Consolidating | S::Verifying,
            C::Signoff,
        ) => DomainError::rule(
            "D07",
            format!("公文尚在“{}”环节：须经处室审核、会签汇总和办公室核稿后才能签发", state.label()),
        ),
        _ => DomainError::conflict(format!("公文当前处于“{}”环节，不能“{}”（可能已被他人处理，请刷新）", state.label(), cmd.label())),
    };
    e.with_details(details)
}

use Command as C;
use State as S;

wire_enum! {
    /// A countersigning section head's answer (D05).
    CountersignStance, field = "stance", {
        Agree => ("agree", "同意"),
        AgreeWithChanges => ("agree_with_changes", "修改后同意"),
        Disagree => ("disagree", "不同意"),
    }
}

impl CountersignStance {
    /// D05: agree-with-changes carries the changes; disagree carries the reason.
    pub fn check_text(&self, text: Option<&str>) -> DomainResult<Option<String>> {
        let t = text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        match (self, &t) {
            (CountersignStance::AgreeWithChanges, None) => Err(DomainError::rule(
                "D05",
                "“修改后同意”须写明修改意见",
            )
            .with_details(json!({"field": "text"}))),
            (CountersignStance::Disagree, None) => Err(DomainError::rule(
                "D05",
                "会签“不同意”须写明理由",
            )
            .with_details(json!({"field": "text"}))),
            _ => Ok(t),
        }
    }

    pub fn command(&self) -> Command {
        match self {
            CountersignStance::Agree | CountersignStance::AgreeWithChanges => Command::Agree,
            CountersignStance::Disagree => Command::Disagree,
        }
    }
}

/// D07: who signs off a document of each issuing form, and what must come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Authority {
    /// 主要领导.
    Principal,
    /// The deputy in charge of the main section, or the principal.
    DeputyInChargeOrPrincipal,
    /// The leader named on the document (`signoff_leader_id`) whose instruction it carries.
    NamedLeader,
    /// 办公室主任.
    OfficeDirector,
    /// The deputy in charge of the (main) section whose business it is.
    DeputyInCharge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SignoffRule {
    pub authority: Authority,
    /// The deputy in charge must have reviewed (审签) first.
    pub needs_leader_review: bool,
    /// Every external department's countersign must be recorded first.
    pub needs_external_countersigns: bool,
}

/// The D07 table, one row per issuing form.
pub fn signoff_rule(form: IssuingForm) -> SignoffRule {
    let r = |authority, needs_leader_review, needs_external_countersigns| SignoffRule {
        authority,
        needs_leader_review,
        needs_external_countersigns,
    };
    match form {
        IssuingForm::ToSuperior => r(Authority::Principal, true, false),
        IssuingForm::BureauGeneral => r(Authority::DeputyInChargeOrPrincipal, false, false),
        IssuingForm::Joint => r(Authority::Principal, true, true),
        IssuingForm::OfficeByLeader => r(Authority::NamedLeader, false, false),
        IssuingForm::OfficeOwn => r(Authority::OfficeDirector, false, false),
        IssuingForm::OfficeForSection => r(Authority::DeputyInCharge, false, false),
    }
}

/// The people behind each authority, resolved by the service from the unit's organisation.
#[derive(Debug, Clone, Default)]
pub struct People<'a> {
    pub principals: &'a [String],
    pub deputy_in_charge: Option<&'a str>,
    pub office_directors: &'a [String],
    pub named_leader: Option<&'a str>,
}

/// The users who may sign a document of `form` off (D07).
pub fn authorized_signers(form: IssuingForm, people: &People<'_>) -> Vec<String> {
    let mut out: Vec<String> = match signoff_rule(form).authority {
        Authority::Principal => people.principals.to_vec(),
        Authority::DeputyInChargeOrPrincipal => {
            people.deputy_in_charge.map(str::to_string).into_iter().chain(people.principals.iter().cloned()).collect()
        }
        Authority::NamedLeader => people.named_leader.map(str::to_string).into_iter().collect(),
        Authority::OfficeDirector => people.office_directors.to_vec(),
        Authority::DeputyInCharge => people.deputy_in_charge.map(str::to_string).into_iter().collect(),
    };
    out.dedup();
    out
}

/// What the sign-off check knows about the document beyond its state.
#[derive(Debug, Clone, Default)]
pub struct SignoffFacts {
    pub leader_reviewed: bool,
    /// Departments of a joint document without a recorded countersign.
    pub external_missing: Vec<String>,
}

/// D07: refuses a sign-off by anyone but the authority, or before its prerequisites.
/// `acting_as` is the person whose authority is used (the caller, or the absent leader the
/// caller backs up, D11).
pub fn check_signoff(form: IssuingForm, people: &People<'_>, acting_as: &str, facts: &SignoffFacts) -> DomainResult<()> {
    let rule = signoff_rule(form);
    let signers = authorized_signers(form, people);
    if !signers.iter().any(|s| s == acting_as) {
        let who = match rule.authority {
            Authority::Principal => "主要领导",
            Authority::DeputyInChargeOrPrincipal => "主办处室的分管领导或主要领导",
            Authority::NamedLeader => "作出指示的局领导",
            Authority::OfficeDirector => "办公室主任",
            Authority::DeputyInCharge => "该处室的分管领导",
        };
        return Err(DomainError::rule(
            "D07",
            format!("“{}”的公文只能由{}签发，您无签发权限", form.label(), who),
        )
        .with_details(json!({"issuing_form": form.as_str(), "authority": rule.authority, "signers": signers})));
    }
    if rule.needs_leader_review && !facts.leader_reviewed {
        return Err(DomainError::rule(
            "D07",
            format!("“{}”的公文须先经分管领导审签（记录在案）后，才能由主要领导签发", form.label()),
        )
        .with_details(json!({"issuing_form": form.as_str(), "missing": "leader_review"})));
    }
    if rule.needs_external_countersigns && !facts.external_missing.is_empty() {
        return Err(DomainError::rule(
            "D07",
            format!("联合发文须先登记各联合单位的会签意见，尚缺：{}", facts.external_missing.join("、")),
        )
        .with_details(json!({"issuing_form": form.as_str(), "missing_departments": facts.external_missing})));
    }
    Ok(())
}

/// Steps D12 keeps away from the drafter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    Review,
    Verify,
    Signoff,
    /// Approving a request (change request, leader review of one's own draft…).
    Approve,
}

/// D12: for one document the drafter cannot review, verify or sign off, and nobody approves
/// their own request. Both the person acting and the one they act for (D11) count.
pub fn check_separation(duty: Duty, requester: &str, actor: &str, on_behalf_of: Option<&str>) -> DomainResult<()> {
    if actor != requester && on_behalf_of != Some(requester) {
        return Ok(());
    }
    let what = match duty {
        Duty::Review => "审核",
        Duty::Verify => "核稿",
        Duty::Signoff => "签发",
        Duty::Approve => "审批",
    };
    let msg = match duty {
        Duty::Approve => format!("不能{what}本人提出的申请（职责分离）"),
        _ => format!("拟稿人不能{what}本人起草的公文（职责分离）"),
    };
    Err(DomainError::rule("D12", msg).with_details(json!({"duty": what})))
}

/// D09: a number series code (`发`, `函`, `办发` …): 1–6 characters, no digits, spaces or brackets.
pub fn validate_series(series: &str) -> DomainResult<String> {
    let s = series.trim();
    let n = s.chars().count();
    if n == 0 || n > 6 || s.chars().any(|c| c.is_ascii_digit() || c.is_whitespace() || "〔〕[]()（）号".contains(c)) {
        return Err(DomainError::invalid(
            "series",
            "发文字号系列须为 1–6 个字符的代字，如“发”“函”“办发”，不含数字、空格或括号",
        ));
    }
    Ok(s.to_string())
}

/// D09: `{机关代字}{series}〔{year}〕{n}号`, full year, no leading zeros, no 第.
pub fn format_number(short_code: &str, series: &str, year: i32, n: i64) -> String {
    format!("{short_code}{series}〔{year}〕{n}号")
}

/// The gapless counter a number is drawn from: per unit, series and year.
pub fn number_counter_key(unit_id: &str, series: &str, year: i32) -> String {
    format!("outgoing:{unit_id}:{series}:{year}")
}

/// D10 / R01: a document carrying at least the unit's threshold is signed off only when
/// linked to a proposal the collective has adopted.
pub fn check_collective_decision(amount_fen: Option<i64>, threshold_fen: i64, linked_decided: bool) -> DomainResult<()> {
    match amount_fen {
        Some(a) if a >= threshold_fen && !linked_decided => Err(DomainError::rule(
            "D10",
            format!(
                "公文涉及金额 {} 元，达到本单位大额资金标准 {} 元（R01），须先提交“三重一大”集体决策并作出决定后才能签发；请由分管领导或主要领导提交集体决策",
                yuan(a),
                yuan(threshold_fen)
            ),
        )
        .with_details(json!({"amount": yuan(a), "threshold": yuan(threshold_fen), "rule": "R01"}))),
        _ => Ok(()),
    }
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// 主送 and 抄送 (D04).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Recipients {
    #[serde(default)]
    pub main: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
}

impl Recipients {
    /// D04: at least one 主送 recipient; names are trimmed and non-empty.
    pub fn validate(self) -> DomainResult<Recipients> {
        let clean = |v: Vec<String>, field: &str| -> DomainResult<Vec<String>> {
            let out: Vec<String> = v.into_iter().map(|s| s.trim().to_string()).collect();
            if out.iter().any(|s| s.is_empty() || s.chars().count() > 100) {
                return Err(DomainError::invalid(field, "收文单位名称不能为空，且不超过 100 个字符"));
            }
            Ok(out)
        };
        let main = clean(self.main, "recipients.main")?;
        let cc = clean(self.cc, "recipients.cc")?;
        if main.is_empty() {
            return Err(DomainError::invalid("recipients.main", "须至少填写一个主送单位"));
        }
        Ok(Recipients { main, cc })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// The expected table, written out independently of `rule`: every (state, command)
    /// pair not listed here must be refused.
    fn expected() -> Vec<(State, Command, Option<State>)> {
        use Command as C;
        use State as S;
        vec![
            (S::Drafting, C::Edit, Some(S::Drafting)),
            (S::Returned, C::Edit, Some(S::Returned)),
            (S::Drafting, C::Submit, Some(S::SectionReview)),
            (S::Returned, C::Submit, Some(S::SectionReview)),
            (S::SectionReview, C::ApproveReview, Some(S::Consolidating)),
            (S::SectionReview, C::ReturnReview, Some(S::Returned)),
            (S::Consolidating, C::SendCountersign, Some(S::Countersigning)),
            (S::Countersigning, C::Agree, None),
            (S::Paused, C::Agree, None),
            (S::Countersigning, C::Disagree, Some(S::Paused)),
            (S::Paused, C::Disagree, Some(S::Paused)),
            (S::Paused, C::RuleProceed, None),
            (S::Paused, C::RuleReturn, Some(S::Returned)),
            (S::Consolidating, C::ApproveLeaderReview, Some(S::Consolidating)),
            (S::Verifying, C::ApproveLeaderReview, Some(S::Verifying)),
            (S::Signoff, C::ApproveLeaderReview, Some(S::Signoff)),
            (S::Consolidating, C::ReturnLeaderReview, Some(S::Returned)),
            (S::Verifying, C::ReturnLeaderReview, Some(S::Returned)),
            (S::Signoff, C::ReturnLeaderReview, Some(S::Returned)),
            (S::Consolidating, C::RecordExternalCountersign, Some(S::Consolidating)),
            (S::Verifying, C::RecordExternalCountersign, Some(S::Verifying)),
            (S::Signoff, C::RecordExternalCountersign, Some(S::Signoff)),
            (S::Consolidating, C::Consolidate, Some(S::Verifying)),
            (S::Verifying, C::PassVerification, Some(S::Signoff)),
            (S::Verifying, C::ReturnVerification, Some(S::Returned)),
            (S::Signoff, C::Signoff, Some(S::Signed)),
            (S::Signed, C::AssignNumber, Some(S::Numbered)),
            (S::Signed, C::RequestChange, Some(S::Signed)),
            (S::Numbered, C::RequestChange, Some(S::Numbered)),
            (S::Signed, C::DecideChange, Some(S::Signed)),
            (S::Numbered, C::DecideChange, Some(S::Numbered)),
            (S::Numbered, C::Issue, Some(S::Issued)),
            (S::Issued, C::Archive, Some(S::Archived)),
            (S::SectionReview, C::Escalate, Some(S::Escalated)),
            (S::Countersigning, C::Escalate, Some(S::Escalated)),
            (S::Consolidating, C::Escalate, Some(S::Escalated)),
            (S::Verifying, C::Escalate, Some(S::Escalated)),
            (S::Signoff, C::Escalate, Some(S::Escalated)),
            (S::Paused, C::Escalate, Some(S::Escalated)),
            (S::Escalated, C::ProposalAdopted, None),
            (S::Escalated, C::ProposalRejected, Some(S::Returned)),
        ]
    }

    /// Every (state, command) pair: allowed exactly where the expected table says, with the
    /// expected next state (None = depends on facts, checked below); refused elsewhere with
    /// a code and a Chinese message.
    #[test]
    fn every_state_command_pair_matches_the_table() {
        let exp = expected();
        let mut allowed = 0;
        for &s in State::ALL {
            for &c in Command::ALL {
                let e = exp.iter().find(|(es, ec, _)| *es == s && *ec == c);
                let facts = Facts { outstanding_opinions: 1, open_disagreements: 1, paused_from: Some(State::Verifying) };
                match (e, apply(s, c, facts)) {
                    (Some((_, _, Some(next))), Ok(got)) => {
                        assert_eq!(got, *next, "{s} + {c}");
                        allowed += 1;
                    }
                    (Some((_, _, None)), Ok(_)) => allowed += 1,
                    (Some(_), Err(err)) => panic!("{s} + {c} should be allowed, got {err}"),
                    (None, Ok(got)) => panic!("{s} + {c} should be refused, got {got}"),
                    (None, Err(err)) => {
                        assert!(!err.message.is_empty());
                        assert!(err.message.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)));
                        assert_eq!(err.details["state"], s.as_str());
                        assert!(actors(s, c).is_empty());
                    }
                }
            }
        }
        assert_eq!(allowed, exp.len());
    }

    #[test]
    fn every_allowed_pair_names_who_may_act() {
        for &s in State::ALL {
            for &c in Command::ALL {
                if let Some((_, who)) = rule(s, c) {
                    assert!(!who.is_empty(), "{s} + {c}");
                }
            }
        }
        assert_eq!(actors(State::Signoff, Command::Signoff), &[Actor::SignoffAuthority]);
        assert_eq!(actors(State::SectionReview, Command::ApproveReview), &[Actor::MainSectionHead]);
        assert_eq!(actors(State::Verifying, Command::PassVerification), &[Actor::OfficeDirector]);
        assert_eq!(actors(State::Paused, Command::RuleProceed), &[Actor::DeputyInCharge]);
        assert_eq!(actors(State::Numbered, Command::Issue), &[Actor::Clerk]);
        assert_eq!(actors(State::Numbered, Command::DecideChange), &[Actor::Signer]);
        assert_eq!(actors(State::Consolidating, Command::Escalate), &[Actor::Leader]);
    }

    #[test]
    fn d05_countersign_continues_until_every_opinion_is_in() {
        let f = |outstanding, open| Facts { outstanding_opinions: outstanding, open_disagreements: open, paused_from: None };
        assert_eq!(apply(State::Countersigning, Command::Agree, f(2, 0)).unwrap(), State::Countersigning);
        assert_eq!(apply(State::Countersigning, Command::Agree, f(0, 0)).unwrap(), State::Consolidating);
        // A disagreement pauses routing at once; further answers keep it paused.
        assert_eq!(apply(State::Countersigning, Command::Disagree, f(1, 1)).unwrap(), State::Paused);
        assert_eq!(apply(State::Paused, Command::Agree, f(0, 1)).unwrap(), State::Paused);
        assert_eq!(apply(State::Paused, Command::Disagree, f(0, 2)).unwrap(), State::Paused);
        // Negotiated: the head who disagreed answers again; routing resumes.
        assert_eq!(apply(State::Paused, Command::Agree, f(1, 0)).unwrap(), State::Countersigning);
        assert_eq!(apply(State::Paused, Command::Agree, f(0, 0)).unwrap(), State::Consolidating);
        // The deputy's ruling.
        assert_eq!(apply(State::Paused, Command::RuleProceed, f(0, 0)).unwrap(), State::Consolidating);
        assert_eq!(apply(State::Paused, Command::RuleProceed, f(3, 0)).unwrap(), State::Countersigning);
        assert_eq!(apply(State::Paused, Command::RuleReturn, f(3, 1)).unwrap(), State::Returned);
    }

    #[test]
    fn d05_consolidation_waits_for_every_opinion() {
        assert_eq!(apply(State::Countersigning, Command::Consolidate, Facts::default()).unwrap_err().code, "D05");
    }

    #[test]
    fn d05_paused_refuses_progress_with_d05() {
        for c in [Command::Consolidate, Command::Signoff, Command::PassVerification, Command::Edit] {
            assert_eq!(apply(State::Paused, c, Facts::default()).unwrap_err().code, "D05");
        }
    }

    #[test]
    fn d10_escalated_waits_for_the_proposal_and_resumes_where_it_was() {
        for c in [Command::Consolidate, Command::Signoff, Command::Agree, Command::Edit] {
            assert_eq!(apply(State::Escalated, c, Facts::default()).unwrap_err().code, "D10");
        }
        let f = Facts { paused_from: Some(State::Signoff), ..Facts::default() };
        assert_eq!(apply(State::Escalated, Command::ProposalAdopted, f).unwrap(), State::Signoff);
        assert_eq!(apply(State::Escalated, Command::ProposalRejected, f).unwrap(), State::Returned);
        assert_eq!(apply(State::Escalated, Command::ProposalAdopted, Facts::default()).unwrap_err().code, "conflict");
        // Escalation is for documents in routing only.
        assert_eq!(apply(State::Drafting, Command::Escalate, f).unwrap_err().code, "conflict");
        assert_eq!(apply(State::Numbered, Command::Escalate, f).unwrap_err().code, "conflict");
    }

    #[test]
    fn d08_frozen_after_signoff() {
        for s in [State::Signed, State::Numbered, State::Issued, State::Archived] {
            assert!(s.is_frozen());
            assert_eq!(apply(s, Command::Edit, Facts::default()).unwrap_err().code, "D08");
        }
        assert_eq!(apply(State::Verifying, Command::RequestChange, Facts::default()).unwrap_err().code, "D08");
        assert_eq!(apply(State::Archived, Command::RequestChange, Facts::default()).unwrap_err().code, "D08");
        assert!(!State::Signoff.is_frozen());
    }

    #[test]
    fn d07_signoff_before_the_signoff_step_is_refused_with_d07() {
        for s in [State::Drafting, State::SectionReview, State::Consolidating, State::Verifying, State::Returned] {
            assert_eq!(apply(s, Command::Signoff, Facts::default()).unwrap_err().code, "D07");
        }
        // Already signed: a second signature is a conflict (R42), not a D07 refusal.
        assert_eq!(apply(State::Numbered, Command::Signoff, Facts::default()).unwrap_err().code, "conflict");
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn d07_authority_table_for_all_six_forms() {
        let principals = ids(&["zhang"]);
        let directors = ids(&["zhao"]);
        let people = People {
            principals: &principals,
            deputy_in_charge: Some("wang"),
            office_directors: &directors,
            named_leader: Some("li"),
        };
        let cases = [
            (IssuingForm::ToSuperior, vec!["zhang"]),
            (IssuingForm::BureauGeneral, vec!["wang", "zhang"]),
            (IssuingForm::Joint, vec!["zhang"]),
            (IssuingForm::OfficeByLeader, vec!["li"]),
            (IssuingForm::OfficeOwn, vec!["zhao"]),
            (IssuingForm::OfficeForSection, vec!["wang"]),
        ];
        let everyone = ["zhang", "wang", "li", "zhao", "clerk", "drafter"];
        let done = SignoffFacts { leader_reviewed: true, external_missing: vec![] };
        for (form, signers) in cases {
            assert_eq!(authorized_signers(form, &people), ids(&signers), "{form}");
            for who in everyone {
                let r = check_signoff(form, &people, who, &done);
                if signers.contains(&who) {
                    assert!(r.is_ok(), "{form} {who}");
                } else {
                    let e = r.unwrap_err();
                    assert_eq!(e.code, "D07", "{form} {who}");
                    assert!(e.message.contains(form.label()));
                }
            }
        }
    }

    #[test]
    fn d07_prerequisites_leader_review_and_external_countersigns() {
        let principals = ids(&["zhang"]);
        let people = People { principals: &principals, deputy_in_charge: Some("wang"), ..People::default() };
        let none = SignoffFacts::default();
        let e = check_signoff(IssuingForm::ToSuperior, &people, "zhang", &none).unwrap_err();
        assert_eq!((e.code.as_str(), e.details["missing"].as_str()), ("D07", Some("leader_review")));
        let e = check_signoff(IssuingForm::Joint, &people, "zhang", &none).unwrap_err();
        assert_eq!(e.details["missing"], "leader_review");
        let reviewed = SignoffFacts { leader_reviewed: true, external_missing: ids(&["市财政局"]) };
        let e = check_signoff(IssuingForm::Joint, &people, "zhang", &reviewed).unwrap_err();
        assert!(e.message.contains("市财政局"));
        assert!(check_signoff(IssuingForm::ToSuperior, &people, "zhang", &reviewed).is_ok());
        // Forms without prerequisites.
        assert!(check_signoff(IssuingForm::BureauGeneral, &people, "wang", &none).is_ok());
        assert!(!signoff_rule(IssuingForm::OfficeOwn).needs_leader_review);
        // No deputy in charge set: nobody but the principal can sign general business.
        let people = People { principals: &principals, ..People::default() };
        assert_eq!(authorized_signers(IssuingForm::OfficeForSection, &people), Vec::<String>::new());
    }

    #[test]
    fn d12_drafter_cannot_review_verify_or_sign_and_nobody_approves_own_request() {
        for d in [Duty::Review, Duty::Verify, Duty::Signoff, Duty::Approve] {
            assert_eq!(check_separation(d, "a", "a", None).unwrap_err().code, "D12");
            // Acting as the drafter's backup does not lift it.
            assert_eq!(check_separation(d, "a", "b", Some("a")).unwrap_err().code, "D12");
            assert!(check_separation(d, "a", "b", None).is_ok());
            assert!(check_separation(d, "a", "b", Some("c")).is_ok());
        }
        assert!(check_separation(Duty::Approve, "a", "a", None).unwrap_err().message.contains("本人提出的申请"));
    }

    #[test]
    fn d09_number_format_and_series() {
        assert_eq!(format_number("X国土资", "发", 2026, 12), "X国土资发〔2026〕12号");
        assert_eq!(format_number("X国土资", "办函", 2027, 1), "X国土资办函〔2027〕1号");
        assert_eq!(validate_series(" 办发 ").unwrap(), "办发");
        for bad in ["", "  ", "发1", "〔发〕", "发 文", "一二三四五六七"] {
            assert_eq!(validate_series(bad).unwrap_err().field(), Some("series"), "{bad}");
        }
        assert_ne!(number_counter_key("u", "发", 2026), number_counter_key("u", "函", 2026));
        assert_ne!(number_counter_key("u", "发", 2026), number_counter_key("u", "发", 2027));
    }

    #[test]
    fn d10_amount_at_threshold_needs_a_decided_proposal() {
        let t = 10_000_000; // ¥100,000.00
        assert!(check_collective_decision(None, t, false).is_ok());
        assert!(check_collective_decision(Some(t - 1), t, false).is_ok());
        let e = check_collective_decision(Some(t), t, false).unwrap_err();
        assert_eq!(e.code, "D10");
        assert!(e.message.contains("R01") && e.message.contains("100000.00"));
        assert!(check_collective_decision(Some(t), t, true).is_ok());
    }

    #[test]
    fn d05_stance_text_requirements() {
        assert_eq!(CountersignStance::Agree.check_text(None).unwrap(), None);
        assert_eq!(CountersignStance::AgreeWithChanges.check_text(Some(" 改第二段 ")).unwrap().as_deref(), Some("改第二段"));
        assert_eq!(CountersignStance::AgreeWithChanges.check_text(Some(" ")).unwrap_err().code, "D05");
        assert_eq!(CountersignStance::Disagree.check_text(None).unwrap_err().code, "D05");
        assert_eq!(CountersignStance::Disagree.command(), Command::Disagree);
    }

    #[test]
    fn d04_recipients_need_a_main_recipient() {
        let r = Recipients { main: vec![" 市政府 ".into()], cc: vec![] }.validate().unwrap();
        assert_eq!(r.main, vec!["市政府"]);
        assert_eq!(Recipients { main: vec![], cc: vec!["x".into()] }.validate().unwrap_err().field(), Some("recipients.main"));
        assert_eq!(Recipients { main: vec!["a".into()], cc: vec![" ".into()] }.validate().unwrap_err().field(), Some("recipients.cc"));
    }

    #[test]
    fn states_and_commands_have_wire_names_and_labels() {
        assert_eq!(State::ALL.len(), 13);
        assert_eq!(State::SectionReview.as_str(), "section_review");
        assert!(State::Paused.in_routing() && !State::Escalated.in_routing());
        assert!(State::Numbered.in_processing() && !State::Issued.in_processing());
        assert_eq!("escalated".parse::<State>().unwrap(), State::Escalated);
    }
}
