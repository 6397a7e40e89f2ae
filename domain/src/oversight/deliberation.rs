//! S02 checks of one deliberation: the meeting (R06 notice, R08 quorum at opening), each
//! agenda item (R08/R09 quorum after recusals and recusal itself, R10 principal last,
//! R11 ballots and tally, R12 path, R13 decision), the minutes (R15), the publication
//! (R16, R17) and the archive (R18), plus the proposal-level R01/R05 checks.
//!
//! Inputs are the stored rows as plain records; enumerations stay strings so that a value
//! written directly into the database that no API would accept is reported, not rejected.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Check, Evidence, Status};
use crate::calendar::WorkCalendar;
use crate::enums::{Category, MeetingType};
use crate::settings::UnitSettings;
use crate::time::local_date;

/// What the checks need besides the records.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub calendar: &'a WorkCalendar,
    pub settings: &'a UnitSettings,
    /// The unit's principals (主要领导): R10's "principal".
    pub principal_ids: &'a [String],
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AttendanceRecord {
    pub id: String,
    pub user_id: String,
    /// present | absent | leave
    pub status: String,
    pub recorded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatementRecord {
    pub id: String,
    pub seq: i32,
    pub speaker_id: String,
    /// presenter | deputy | member | principal
    pub role: String,
    /// agree | disagree | defer | none
    pub stance: String,
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BallotRecord {
    pub id: String,
    pub voter_id: String,
    pub mode: String,
    /// agree | disagree | defer | abstain
    pub choice: String,
    pub cast_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ParticipationRecord {
    pub id: String,
    pub voter_id: String,
    pub at: Option<DateTime<Utc>>,
}

/// Ballot counts (the stored tally, or the secret ballot store).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    pub agree: u32,
    pub disagree: u32,
    pub defer: u32,
    pub abstain: u32,
}

impl Counts {
    pub fn total(&self) -> u32 {
        self.agree + self.disagree + self.defer + self.abstain
    }
}

/// The tally stored on an item when its vote closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredTally {
    pub agree: u32,
    pub disagree: u32,
    pub defer: u32,
    pub abstain: u32,
    pub eligible: u32,
    pub should_attend: u32,
}

impl StoredTally {
    pub fn counts(&self) -> Counts {
        Counts { agree: self.agree, disagree: self.disagree, defer: self.defer, abstain: self.abstain }
    }
}

/// One agenda item (逐项表决) with everything recorded on it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ItemRecord {
    pub id: String,
    pub proposal_id: String,
    pub title: String,
    pub category: String,
    pub urgent: bool,
    /// The proposal's declared conflicts (R09).
    pub conflicts: Vec<String>,
    pub state: String,
    pub path: Option<String>,
    pub mode: Option<String>,
    pub path_reason: Option<String>,
    pub recused: Vec<String>,
    pub eligible: Option<Vec<String>>,
    pub vote_opened_at: Option<DateTime<Utc>>,
    pub vote_closed_at: Option<DateTime<Utc>>,
    pub tally: Option<StoredTally>,
    pub majority: Option<bool>,
    pub outcome: Option<String>,
    pub override_reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub statements: Vec<StatementRecord>,
    pub ballots: Vec<BallotRecord>,
    pub participations: Vec<ParticipationRecord>,
    pub secret: Option<Counts>,
    /// Earlier meetings at which this proposal was deferred (缓议).
    pub deferred_before: Vec<String>,
}

/// One meeting with its agenda items.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MeetingRecord {
    pub id: String,
    pub title: String,
    pub meeting_type: String,
    pub state: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub notice_sent_at: Option<DateTime<Utc>>,
    pub urgency_reason: Option<String>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub chair_id: Option<String>,
    /// 应到会成员 fixed at the notice.
    pub should_attend: Option<Vec<String>>,
    pub attendance: Vec<AttendanceRecord>,
    pub items: Vec<ItemRecord>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MinutesRecord {
    pub id: String,
    pub root_id: String,
    pub version_no: i32,
    pub state: String,
    pub meeting_type: String,
    pub year: Option<i32>,
    pub serial_no: Option<i64>,
    pub serial: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    /// The stored body text (JSON); R13 override reasons must appear in it.
    pub body: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WithheldRecord {
    pub proposal_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PublicationRecord {
    pub id: String,
    pub minutes_id: String,
    pub state: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub withheld: Vec<WithheldRecord>,
    pub summary: Option<String>,
    pub summary_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub opinions: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ArchiveRecord {
    pub id: String,
    pub kind: String,
    pub proposal_id: Option<String>,
    pub meeting_id: Option<String>,
    /// The top-level keys of the archived snapshot (what it contains).
    pub parts: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProposalRecord {
    pub id: String,
    pub title: String,
    pub state: String,
    pub category: String,
    pub amount_fen: Option<i64>,
    pub confidential: bool,
    pub premeeting_decision: Option<String>,
    pub premeeting_reason: Option<String>,
}

// ------------------------------------------------------------------ helpers

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn meeting_ev(m: &MeetingRecord) -> Evidence {
    Evidence::new("meeting", &m.id).labelled(m.title.clone())
}

fn item_ev(i: &ItemRecord) -> Evidence {
    Evidence::new("proposal", &i.proposal_id).labelled(i.title.clone())
}

fn category(i: &ItemRecord) -> Option<Category> {
    i.category.parse::<Category>().ok()
}

fn meeting_type(m: &MeetingRecord) -> Option<MeetingType> {
    m.meeting_type.parse::<MeetingType>().ok()
}

fn n(x: usize) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// Members present now (latest attendance rows).
fn present_now(m: &MeetingRecord) -> BTreeSet<&str> {
    m.attendance.iter().filter(|a| a.status == "present").map(|a| a.user_id.as_str()).collect()
}

/// The item's eligible voters: as stored, or should-attend minus recused.
pub fn eligible_of<'a>(m: &'a MeetingRecord, i: &'a ItemRecord) -> Vec<&'a str> {
    match &i.eligible {
        Some(e) => e.iter().map(String::as_str).collect(),
        None => m
            .should_attend
            .iter()
            .flatten()
            .map(String::as_str)
            .filter(|u| !i.recused.iter().any(|r| r == u))
            .collect(),
    }
}

fn is_principal(ctx: &Context<'_>, m: &MeetingRecord, user: &str) -> bool {
    ctx.principal_ids.iter().any(|p| p == user) || m.chair_id.as_deref() == Some(user)
}

/// Whether an item has been deliberated (a path chosen).
fn deliberated(i: &ItemRecord) -> bool {
    i.path.is_some()
}

fn is_vote_path(i: &ItemRecord) -> bool {
    matches!(i.path.as_deref(), Some("vote") | Some("secret_ballot"))
}

fn is_secret(i: &ItemRecord) -> bool {
    i.path.as_deref() == Some("secret_ballot") || i.mode.as_deref() == Some("secret")
}

// ------------------------------------------------------------------ R06

/// R06: the notice left at least one working day, or the shortening has a recorded reason.
pub fn check_notice(ctx: &Context<'_>, m: &MeetingRecord) -> Option<Check> {
    const T: &str = "会议通知时限";
    let Some(notice) = m.notice_sent_at else {
        if m.opened_at.is_some() || matches!(m.state.as_str(), "open" | "closed") {
            return Some(
                Check::new("R06", "notice_period", T, Status::Violated, "会议未发出通知即已召开（无通知记录）")
                    .evidence(meeting_ev(m)),
            );
        }
        return None;
    };
    let starts = m.starts_at?;
    let notice_date = local_date(notice);
    let meeting_date = local_date(starts);
    let earliest = ctx.calendar.earliest_meeting_date(notice_date);
    let details = json!({
        "notice_date": notice_date.to_string(),
        "meeting_date": meeting_date.to_string(),
        "earliest_meeting_date": earliest.to_string(),
        "urgency_reason": nonempty(&m.urgency_reason),
    });
    let met = notice < starts && ctx.calendar.notice_period_met(notice_date, meeting_date);
    let check = if met {
        Check::new("R06", "notice_period", T, Status::Passed, format!("{notice_date} 发出通知，{meeting_date} 开会，已提前至少1个工作日"))
    } else if let Some(reason) = nonempty(&m.urgency_reason) {
        Check::new(
            "R06",
            "notice_period",
            T,
            Status::Warning,
            format!("缩短通知时间：{notice_date} 通知、{meeting_date} 开会（按规定最早 {earliest}），紧急事由：{reason}"),
        )
    } else {
        Check::new(
            "R06",
            "notice_period",
            T,
            Status::Violated,
            format!("通知时间不足且未记录紧急事由：{notice_date} 通知、{meeting_date} 开会，按规定最早 {earliest}"),
        )
    };
    Some(check.evidence(meeting_ev(m)).details(details))
}

// ------------------------------------------------------------------ R08

/// R08: at the opening, enough of the members who should attend were recorded present
/// (presence recorded after the opening does not count for it).
pub fn check_quorum_at_opening(ctx: &Context<'_>, m: &MeetingRecord) -> Option<Check> {
    const T: &str = "开会法定人数";
    let opened = m.opened_at?;
    let Some(should) = &m.should_attend else {
        return Some(
            Check::new("R08", "quorum_opening", T, Status::Violated, "会议已开始表决，但没有记录应到会成员名单")
                .evidence(meeting_ev(m)),
        );
    };
    let categories: Vec<Category> = m.items.iter().filter_map(category).collect();
    let ratio = match meeting_type(m) {
        Some(t) => ctx.settings.quorum.required(t, &categories),
        None => ctx.settings.quorum.default,
    };
    let present: Vec<&AttendanceRecord> = m
        .attendance
        .iter()
        .filter(|a| a.status == "present" && should.contains(&a.user_id))
        .filter(|a| a.recorded_at.is_none_or(|t| t <= opened))
        .collect();
    let p = n(present.len());
    let s = n(should.len());
    let details = json!({"present": p, "should_attend": s, "required": ratio.min_present(s), "ratio": ratio});
    let evidence: Vec<Evidence> =
        std::iter::once(meeting_ev(m)).chain(present.iter().map(|a| Evidence::new("attendance", &a.id))).collect();
    let check = if ratio.satisfied(p, s) {
        Check::new("R08", "quorum_opening", T, Status::Passed, format!("应到 {s} 人，开会时实到 {p} 人，达到{}", ratio.describe()))
    } else {
        Check::new(
            "R08",
            "quorum_opening",
            T,
            Status::Violated,
            format!("应到 {s} 人，开会时实到 {p} 人，未达到{}（至少 {} 人）却已开会", ratio.describe(), ratio.min_present(s)),
        )
    };
    Some(check.evidence_all(evidence).details(details))
}

/// R08/R09: for a deliberated item, enough of its eligible members (should attend minus
/// recused) were present.
pub fn check_item_quorum(ctx: &Context<'_>, m: &MeetingRecord, i: &ItemRecord) -> Option<Check> {
    const T: &str = "逐项法定人数（除回避者）";
    if !deliberated(i) || m.should_attend.is_none() {
        return None;
    }
    let eligible = eligible_of(m, i);
    let present = present_now(m);
    let pe = n(eligible.iter().filter(|u| present.contains(**u)).count());
    let e = n(eligible.len());
    let cats: Vec<Category> = category(i).into_iter().collect();
    let ratio = match meeting_type(m) {
        Some(t) => ctx.settings.quorum.required(t, &cats),
        None => ctx.settings.quorum.default,
    };
    let details = json!({"present_eligible": pe, "eligible": e, "recused": i.recused, "ratio": ratio});
    let check = if ratio.satisfied(pe, e) {
        Check::new("R08", "quorum_item", T, Status::Passed, format!("有表决权的应到会成员 {e} 人，出席 {pe} 人"))
    } else {
        Check::new(
            "R08",
            "quorum_item",
            T,
            Status::Violated,
            format!("除回避者外应到会成员 {e} 人，仅出席 {pe} 人，未达到{}，该议题不应审议表决", ratio.describe()),
        )
    };
    Some(check.evidence(item_ev(i)).details(details))
}

// ------------------------------------------------------------------ R09

/// R09: every declared conflict is recused, recused members are not eligible, and none of
/// them voted or had a ballot recorded.
pub fn check_recusal(m: &MeetingRecord, i: &ItemRecord) -> Option<Check> {
    const T: &str = "回避";
    if !deliberated(i) && i.participations.is_empty() && i.ballots.is_empty() {
        return None;
    }
    let eligible = eligible_of(m, i);
    let mut problems: Vec<String> = Vec::new();
    let mut evidence = vec![item_ev(i)];
    let not_recused: Vec<&String> = i.conflicts.iter().filter(|c| !i.recused.contains(c)).collect();
    if !not_recused.is_empty() {
        problems.push(format!("申报利害关系的成员未回避：{}", join(&not_recused)));
    }
    let recused_eligible: Vec<&String> = i.recused.iter().filter(|r| eligible.contains(&r.as_str())).collect();
    if !recused_eligible.is_empty() {
        problems.push(format!("回避成员仍被计入有表决权人数：{}", join(&recused_eligible)));
    }
    let conflicted = |u: &str| i.recused.iter().chain(i.conflicts.iter()).any(|r| r == u);
    for b in i.ballots.iter().filter(|b| conflicted(&b.voter_id)) {
        problems.push(format!("回避成员 {} 参加了表决（有记名票）", b.voter_id));
        evidence.push(Evidence::new("ballot", &b.id));
    }
    for p in i.participations.iter().filter(|p| conflicted(&p.voter_id)) {
        problems.push(format!("回避成员 {} 参加了投票", p.voter_id));
        evidence.push(Evidence::new("ballot_participation", &p.id));
    }
    problems.dedup();
    let details = json!({"conflicts": i.conflicts, "recused": i.recused});
    let check = if problems.is_empty() {
        let msg = if i.recused.is_empty() {
            "无申报回避事项".to_string()
        } else {
            format!("{} 人回避，未参加表决", i.recused.len())
        };
        Check::new("R09", "recusal", T, Status::Passed, msg)
    } else {
        Check::new("R09", "recusal", T, Status::Violated, problems.join("；"))
    };
    Some(check.evidence_all(evidence).details(details))
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("、")
}

// ------------------------------------------------------------------ R10

/// R10: the principal states a position last, and in a named vote casts the last ballot,
/// after every other present eligible member.
pub fn check_principal_last(ctx: &Context<'_>, m: &MeetingRecord, i: &ItemRecord) -> Option<Check> {
    const T: &str = "主要领导末位表态";
    if !deliberated(i) {
        return None;
    }
    let mut problems = Vec::new();
    let mut evidence = vec![item_ev(i)];
    let mut warnings = Vec::new();
    let mut stmts: Vec<&StatementRecord> = i.statements.iter().collect();
    stmts.sort_by_key(|s| s.seq);
    let is_p = |s: &StatementRecord| s.role == "principal" || is_principal(ctx, m, &s.speaker_id);
    match stmts.iter().position(|s| is_p(s)) {
        Some(first_p) => {
            let later: Vec<&&StatementRecord> = stmts[first_p..].iter().filter(|s| !is_p(s)).collect();
            if !later.is_empty() {
                problems.push(format!("主要领导表态后仍有 {} 位成员发言，主要领导未末位表态", later.len()));
                evidence.extend(later.iter().map(|s| Evidence::new("statement", &s.id)));
                evidence.push(Evidence::new("statement", &stmts[first_p].id));
            }
        }
        None if i.path.as_deref() != Some("defer") => warnings.push("原始记录中没有主要领导的表态".to_string()),
        None => {}
    }
    let named = !is_secret(i) && i.path.as_deref() == Some("vote");
    if named {
        let principal_ballots: Vec<&BallotRecord> = i.ballots.iter().filter(|b| is_principal(ctx, m, &b.voter_id)).collect();
        for pb in principal_ballots {
            let after: Vec<&BallotRecord> = i
                .ballots
                .iter()
                .filter(|b| !is_principal(ctx, m, &b.voter_id))
                .filter(|b| matches!((b.cast_at, pb.cast_at), (Some(x), Some(y)) if x > y))
                .collect();
            if !after.is_empty() {
                problems.push(format!("主要领导投票后仍有 {} 张记名票，主要领导未最后投票", after.len()));
                evidence.push(Evidence::new("ballot", &pb.id));
                evidence.extend(after.iter().map(|b| Evidence::new("ballot", &b.id)));
            }
            let present = present_now(m);
            let voted: BTreeSet<&str> = i.ballots.iter().map(|b| b.voter_id.as_str()).collect();
            let missing: Vec<&str> = eligible_of(m, i)
                .into_iter()
                .filter(|u| present.contains(u) && !voted.contains(u) && !is_principal(ctx, m, u))
                .collect();
            if !missing.is_empty() {
                problems.push(format!("主要领导已投票，但出席的有表决权成员 {} 未投票", missing.join("、")));
            }
        }
    }
    let check = if !problems.is_empty() {
        Check::new("R10", "principal_last", T, Status::Violated, problems.join("；"))
    } else if !warnings.is_empty() {
        Check::new("R10", "principal_last", T, Status::Warning, warnings.join("；"))
    } else {
        Check::new("R10", "principal_last", T, Status::Passed, "主要领导末位表态")
    };
    Some(check.evidence_all(evidence))
}

// ------------------------------------------------------------------ R11

fn count_ballots(ballots: &[BallotRecord]) -> Counts {
    let mut c = Counts::default();
    for b in ballots {
        match b.choice.as_str() {
            "agree" => c.agree += 1,
            "disagree" => c.disagree += 1,
            "defer" => c.defer += 1,
            _ => c.abstain += 1,
        }
    }
    c
}

/// R11: one ballot per eligible member, nothing cast after the close, and the stored tally
/// equal to the ballots (named) or the secret ballot store (secret).
pub fn check_ballots(m: &MeetingRecord, i: &ItemRecord) -> Option<Check> {
    const T: &str = "逐项表决与计票";
    if !is_vote_path(i) {
        if i.ballots.is_empty() && i.participations.is_empty() {
            return None;
        }
        return Some(
            Check::new("R11", "ballots", T, Status::Violated, "该议题未进入表决程序（一致通过或缓议），却存在投票记录")
                .evidence(item_ev(i))
                .evidence_all(i.ballots.iter().map(|b| Evidence::new("ballot", &b.id))),
        );
    }
    let eligible = eligible_of(m, i);
    let mut problems: Vec<String> = Vec::new();
    let mut evidence = vec![item_ev(i)];
    let secret = is_secret(i);
    // Who voted: participations for every mode; named ballots as well for named modes.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &i.participations {
        *seen.entry(p.voter_id.as_str()).or_default() += 1;
    }
    let dup: Vec<&str> = seen.iter().filter(|(_, c)| **c > 1).map(|(u, _)| *u).collect();
    if !dup.is_empty() {
        problems.push(format!("同一成员重复投票：{}", dup.join("、")));
    }
    let outsiders: Vec<&ParticipationRecord> =
        i.participations.iter().filter(|p| !eligible.contains(&p.voter_id.as_str())).collect();
    if !outsiders.is_empty() {
        problems.push(format!(
            "无表决权的人员投了票（列席、回避或非应到会成员）：{}",
            outsiders.iter().map(|p| p.voter_id.as_str()).collect::<Vec<_>>().join("、")
        ));
        evidence.extend(outsiders.iter().map(|p| Evidence::new("ballot_participation", &p.id)));
    }
    if let Some(closed) = i.vote_closed_at {
        let late: Vec<&ParticipationRecord> = i.participations.iter().filter(|p| p.at.is_some_and(|t| t > closed)).collect();
        let late_b: Vec<&BallotRecord> = i.ballots.iter().filter(|b| b.cast_at.is_some_and(|t| t > closed)).collect();
        if !late.is_empty() || !late_b.is_empty() {
            problems.push(format!("表决结束后仍有 {} 张票被记录或修改", late.len().max(late_b.len())));
            evidence.extend(late_b.iter().map(|b| Evidence::new("ballot", &b.id)));
        }
    }
    let actual = if secret {
        if !i.ballots.is_empty() {
            problems.push("无记名投票却存在与投票人关联的选票".to_string());
            evidence.extend(i.ballots.iter().map(|b| Evidence::new("ballot", &b.id)));
        }
        let c = i.secret.unwrap_or_default();
        if c.total() != n(i.participations.len()) {
            problems.push(format!("无记名票数 {} 与投票人数 {} 不一致", c.total(), i.participations.len()));
        }
        evidence.push(Evidence::new("secret_tally", &i.id));
        c
    } else {
        let ballot_voters: BTreeSet<&str> = i.ballots.iter().map(|b| b.voter_id.as_str()).collect();
        let part_voters: BTreeSet<&str> = i.participations.iter().map(|p| p.voter_id.as_str()).collect();
        if ballot_voters != part_voters {
            problems.push("记名票与投票登记不一致".to_string());
        }
        let mut per_voter: BTreeMap<&str, usize> = BTreeMap::new();
        for b in &i.ballots {
            *per_voter.entry(b.voter_id.as_str()).or_default() += 1;
        }
        let dup_b: Vec<&str> = per_voter.iter().filter(|(_, c)| **c > 1).map(|(u, _)| *u).collect();
        if !dup_b.is_empty() {
            problems.push(format!("同一成员有多张记名票：{}", dup_b.join("、")));
        }
        count_ballots(&i.ballots)
    };
    if let Some(t) = i.tally {
        if t.counts() != actual {
            problems.push(format!(
                "登记的计票结果（同意 {}、不同意 {}、缓议 {}、弃权 {}）与实际选票（同意 {}、不同意 {}、缓议 {}、弃权 {}）不符",
                t.agree, t.disagree, t.defer, t.abstain, actual.agree, actual.disagree, actual.defer, actual.abstain
            ));
        }
        if t.eligible != n(eligible.len()) {
            problems.push(format!("计票中的有表决权人数 {} 与应到会成员（除回避者）{} 不符", t.eligible, eligible.len()));
        }
    } else if i.vote_closed_at.is_some() || i.outcome.is_some() {
        problems.push("表决已结束或已作决定，但没有计票结果".to_string());
    }
    let details = json!({
        "eligible": eligible.len(),
        "voted": i.participations.len(),
        "counted": actual,
        "stored_tally": i.tally,
        "secret": secret,
    });
    let check = if problems.is_empty() {
        Check::new(
            "R11",
            "ballots",
            T,
            Status::Passed,
            format!("有表决权 {} 人，投票 {} 人，计票与选票一致", eligible.len(), i.participations.len()),
        )
    } else {
        Check::new("R11", "ballots", T, Status::Violated, problems.join("；"))
    };
    Some(check.evidence_all(evidence).details(details))
}

// ------------------------------------------------------------------ R12

/// The latest stance of each present eligible member before the path was chosen.
fn stances_before_path<'a>(m: &'a MeetingRecord, i: &'a ItemRecord) -> Vec<(&'a str, Option<&'a str>)> {
    let present = present_now(m);
    let cutoff = i.vote_opened_at.or(i.decided_at);
    let mut latest: BTreeMap<&str, (i32, &str)> = BTreeMap::new();
    for s in &i.statements {
        if cutoff.is_some_and(|c| s.created_at.is_some_and(|t| t > c)) {
            continue;
        }
        let e = latest.entry(s.speaker_id.as_str()).or_insert((s.seq, s.stance.as_str()));
        if s.seq >= e.0 {
            *e = (s.seq, s.stance.as_str());
        }
    }
    eligible_of(m, i)
        .into_iter()
        .filter(|u| present.contains(u))
        .map(|u| (u, latest.get(u).map(|(_, st)| *st)))
        .collect()
}

/// R12: the path the chair chose fits the recorded stances; an urgent secret ballot after a
/// deferral, or one deciding a close split, is shown to inspectors.
pub fn check_path(ctx: &Context<'_>, m: &MeetingRecord, i: &ItemRecord) -> Option<Check> {
    const T: &str = "审议方式与发言表态";
    let path = i.path.as_deref()?;
    let stances = stances_before_path(m, i);
    let agree = n(stances.iter().filter(|(_, s)| *s == Some("agree")).count());
    let disagree = n(stances.iter().filter(|(_, s)| *s == Some("disagree")).count());
    let close = agree.abs_diff(disagree) <= ctx.settings.split_margin;
    let personnel = category(i).is_some_and(|c| c.is_personnel());
    let details = json!({"path": path, "mode": i.mode, "agree": agree, "disagree": disagree,
        "present_eligible": stances.len(), "split_margin": ctx.settings.split_margin, "urgent": i.urgent,
        "deferred_before": i.deferred_before});
    let ev = item_ev(i);
    let c = |status, msg: String| Some(Check::new("R12", "path", T, status, msg).evidence(ev.clone()).details(details.clone()));
    match path {
        "consensus" => {
            let not: Vec<&str> = stances.iter().filter(|(_, s)| *s != Some("agree")).map(|(u, _)| *u).collect();
            if stances.is_empty() || !not.is_empty() {
                c(Status::Violated, format!("记为意见一致通过，但出席的有表决权成员中 {} 未明确表示同意", if not.is_empty() { "无人".to_string() } else { not.join("、") }))
            } else {
                c(Status::Passed, format!("出席的 {} 位有表决权成员均表示同意，意见一致", stances.len()))
            }
        }
        "vote" => {
            if i.mode.as_deref() == Some("secret") && !personnel {
                return c(Status::Violated, "非人事议题以“表决”路径进行无记名投票，应走票决程序".to_string());
            }
            if close && !personnel {
                c(Status::Violated, format!("正反意见接近（同意 {agree}，不同意 {disagree}），按规定应缓议，却付诸表决"))
            } else {
                c(Status::Passed, format!("同意 {agree}、不同意 {disagree}，付诸表决"))
            }
        }
        "secret_ballot" => {
            if !(personnel || i.urgent || ctx.settings.secret_ballot_always) {
                return c(Status::Violated, "票决仅适用于重要干部任免、紧急特殊问题或本单位规定票决的情形".to_string());
            }
            if !personnel && i.urgent && !i.deferred_before.is_empty() {
                return c(
                    Status::Warning,
                    format!("该议题曾在 {} 次会议上缓议，本次以紧急为由票决", i.deferred_before.len()),
                );
            }
            if !personnel && i.urgent && close {
                return c(Status::Warning, format!("正反意见接近（同意 {agree}，不同意 {disagree}），以紧急为由票决"));
            }
            c(Status::Passed, "票决适用".to_string())
        }
        "defer" => match nonempty(&i.path_reason) {
            Some(r) => c(Status::Passed, format!("缓议，理由：{r}")),
            None => c(Status::Violated, "缓议未记录理由".to_string()),
        },
        other => c(Status::Violated, format!("未知的审议方式“{other}”")),
    }
}

// ------------------------------------------------------------------ R13

/// R13: the recorded decision agrees with the count (party group, joint), or a head-office
/// decision against it carries a reason (shown as a head override).
pub fn check_decision(m: &MeetingRecord, i: &ItemRecord) -> Option<Check> {
    const T: &str = "决定与表决结果";
    let outcome = i.outcome.as_deref()?;
    let ev = item_ev(i);
    match i.path.as_deref() {
        Some("consensus") => {
            return Some(if outcome == "adopted" {
                Check::new("R13", "decision", T, Status::Passed, "意见一致，决定通过").evidence(ev)
            } else {
                Check::new("R13", "decision", T, Status::Violated, format!("意见一致通过的议题却记录为“{outcome}”")).evidence(ev)
            });
        }
        Some("defer") => {
            return Some(if outcome == "deferred" {
                Check::new("R13", "decision", T, Status::Passed, "缓议").evidence(ev)
            } else {
                Check::new("R13", "decision", T, Status::Violated, format!("缓议的议题却记录为“{outcome}”")).evidence(ev)
            });
        }
        Some("vote") | Some("secret_ballot") => {}
        _ => {
            return Some(Check::new("R13", "decision", T, Status::Violated, "未经审议程序（未选择审议方式）即记录了决定").evidence(ev));
        }
    }
    let Some(t) = i.tally else {
        return Some(Check::new("R13", "decision", T, Status::Violated, "没有计票结果却记录了决定").evidence(ev));
    };
    let eligible = n(eligible_of(m, i).len());
    let majority = u64::from(t.agree) * 2 > u64::from(eligible);
    let details = json!({"agree": t.agree, "eligible": eligible, "majority": majority, "stored_majority": i.majority,
        "outcome": outcome, "override_reason": nonempty(&i.override_reason), "meeting_type": m.meeting_type});
    let mut problems = Vec::new();
    if i.majority.is_some_and(|s| s != majority) {
        problems.push(format!("登记的“是否过半数”与票数不符（同意 {} 票，有表决权 {eligible} 人）", t.agree));
    }
    let binding = meeting_type(m).is_none_or(|mt| mt.count_is_binding());
    let against = matches!((outcome, majority), ("adopted", false) | ("rejected", true) | ("deferred", true));
    let status_msg = if binding {
        if against {
            problems.push(if majority {
                format!("同意 {} 票已超过有表决权人数 {eligible} 的半数，却未通过", t.agree)
            } else {
                format!("同意 {} 票未超过有表决权人数 {eligible} 的半数，却记录为通过", t.agree)
            });
        }
        (Status::Passed, format!("同意 {} 票，有表决权 {eligible} 人，决定与表决结果一致", t.agree))
    } else if matches!((outcome, majority), ("adopted", false) | ("rejected", true)) {
        match nonempty(&i.override_reason) {
            Some(r) => (Status::Warning, format!("行政首长作出与多数意见不同的决定（同意 {} 票，有表决权 {eligible} 人），理由：{r}", t.agree)),
            None => {
                problems.push(format!("行政首长作出与多数意见不同的决定（同意 {} 票，有表决权 {eligible} 人），未记录理由", t.agree));
                (Status::Violated, String::new())
            }
        }
    } else {
        (Status::Passed, format!("同意 {} 票，有表决权 {eligible} 人，决定与多数意见一致", t.agree))
    };
    let check = if problems.is_empty() {
        Check::new("R13", "decision", T, status_msg.0, status_msg.1)
    } else {
        Check::new("R13", "decision", T, Status::Violated, problems.join("；"))
    };
    Some(check.evidence(ev).details(details))
}

// ------------------------------------------------------------------ R15

/// Days after the meeting's close within which approved minutes are expected.
pub const MINUTES_GRACE_DAYS: i64 = 10;

/// R15: a closed meeting with decisions has approved, numbered minutes (approved by a
/// principal), carrying any head-override reasons.
pub fn check_minutes(ctx: &Context<'_>, m: &MeetingRecord, minutes: &[MinutesRecord]) -> Option<Check> {
    const T: &str = "会议纪要审定与编号";
    let closed = m.closed_at?;
    if !m.items.iter().any(|i| i.outcome.is_some()) {
        return None;
    }
    let approved: Vec<&MinutesRecord> =
        minutes.iter().filter(|x| matches!(x.state.as_str(), "approved" | "superseded")).collect();
    if approved.is_empty() {
        if ctx.now > closed + Duration::days(MINUTES_GRACE_DAYS) {
            return Some(
                Check::new("R15", "minutes", T, Status::Warning, format!("会议结束已超过 {MINUTES_GRACE_DAYS} 天，尚无审定的会议纪要"))
                    .evidence(meeting_ev(m)),
            );
        }
        return None;
    }
    let mut problems = Vec::new();
    let mut evidence = vec![meeting_ev(m)];
    for x in &approved {
        evidence.push(Evidence::new("minutes", &x.id).labelled(x.serial.clone().unwrap_or_default()));
        if x.serial_no.is_none() || nonempty(&x.serial).is_none() || x.year.is_none() {
            problems.push(format!("第 {} 版纪要已审定但没有编号", x.version_no));
        }
        match &x.approved_by {
            Some(a) if ctx.principal_ids.contains(a) => {}
            Some(a) => problems.push(format!("第 {} 版纪要由非主要领导（{a}）审定", x.version_no)),
            None => problems.push(format!("第 {} 版纪要无审定人记录", x.version_no)),
        }
        if x.meeting_type != m.meeting_type {
            problems.push(format!("纪要的会议类型“{}”与会议“{}”不符", x.meeting_type, m.meeting_type));
        }
    }
    let latest = approved.iter().max_by_key(|x| x.version_no);
    if let Some(latest) = latest {
        for i in &m.items {
            if let Some(r) = nonempty(&i.override_reason)
                && !latest.body.contains(r)
            {
                problems.push(format!("议题“{}”的行政首长决定理由未载入纪要", i.title));
            }
        }
    }
    let check = if problems.is_empty() {
        let serial = latest.and_then(|x| x.serial.clone()).unwrap_or_default();
        Check::new("R15", "minutes", T, Status::Passed, format!("纪要已由主要领导审定，编号 {serial}"))
    } else {
        Check::new("R15", "minutes", T, Status::Violated, problems.join("；"))
    };
    Some(check.evidence_all(evidence))
}

/// R15 across the unit: serial numbers per (meeting type, year) are unique and gapless.
pub fn check_serials(minutes: &[MinutesRecord]) -> Check {
    const T: &str = "纪要编号连续唯一";
    let mut by_series: BTreeMap<(String, i32), BTreeMap<i64, BTreeSet<&str>>> = BTreeMap::new();
    for x in minutes.iter().filter(|x| matches!(x.state.as_str(), "approved" | "superseded")) {
        if let (Some(y), Some(s)) = (x.year, x.serial_no) {
            by_series.entry((x.meeting_type.clone(), y)).or_default().entry(s).or_default().insert(x.root_id.as_str());
        }
    }
    let mut problems = Vec::new();
    for ((t, y), serials) in &by_series {
        for (s, roots) in serials {
            if roots.len() > 1 {
                problems.push(format!("{t} {y} 年第 {s} 期被 {} 份纪要重复使用", roots.len()));
            }
        }
        let max = serials.keys().max().copied().unwrap_or(0);
        let missing: Vec<String> = (1..=max).filter(|k| !serials.contains_key(k)).map(|k| k.to_string()).collect();
        if !missing.is_empty() {
            problems.push(format!("{t} {y} 年纪要编号缺号：第 {} 期", missing.join("、")));
        }
    }
    let details = json!({"series": by_series.iter().map(|((t, y), s)| json!({"meeting_type": t, "year": y, "count": s.len()})).collect::<Vec<_>>()});
    if problems.is_empty() {
        Check::new("R15", "minutes_serials", T, Status::Passed, "纪要编号连续且唯一").details(details)
    } else {
        Check::new("R15", "minutes_serials", T, Status::Violated, problems.join("；")).details(details)
    }
}

// ------------------------------------------------------------------ R16, R17

/// R16: the publication window was honoured (not shortened, not closed early, closed on
/// time), and only confidential items were withheld, each with a reason.
pub fn check_publication(
    ctx: &Context<'_>,
    p: &PublicationRecord,
    confidential: &BTreeMap<String, bool>,
) -> Check {
    const T: &str = "内部公示期限";
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let ev = Evidence::new("publication", &p.id);
    let expected = p.opened_at.map(|o| ctx.settings.publication_closes_at(ctx.calendar, o));
    if let (Some(exp), Some(closes)) = (expected, p.closes_at)
        && closes < exp
    {
        problems.push(format!("公示截止时间 {} 早于规定的 {}（公示期被缩短）", fmt(closes), fmt(exp)));
    }
    if let (Some(closed), Some(closes)) = (p.closed_at, p.closes_at)
        && closed < closes
    {
        problems.push(format!("公示于 {} 提前结束（应于 {} 结束）", fmt(closed), fmt(closes)));
    }
    if p.state == "open"
        && let Some(closes) = p.closes_at
        && ctx.now > closes + Duration::hours(1)
    {
        warnings.push(format!("公示应于 {} 结束，至今仍未关闭", fmt(closes)));
    }
    for w in &p.withheld {
        if w.reason.trim().is_empty() {
            problems.push(format!("不公开的议题 {} 未记录理由", w.proposal_id));
        }
        if confidential.get(&w.proposal_id) == Some(&false) {
            problems.push(format!("议题 {} 并非保密事项却未予公开（以公开为原则）", w.proposal_id));
        }
    }
    for (pid, conf) in confidential {
        if *conf && !p.withheld.iter().any(|w| &w.proposal_id == pid) {
            problems.push(format!("保密议题 {pid} 被公开"));
        }
    }
    let details = json!({"opened_at": p.opened_at, "closes_at": p.closes_at, "expected_closes_at": expected,
        "closed_at": p.closed_at, "withheld": p.withheld.len()});
    let (status, msg) = if !problems.is_empty() {
        (Status::Violated, problems.join("；"))
    } else if !warnings.is_empty() {
        (Status::Warning, warnings.join("；"))
    } else {
        (Status::Passed, "公示期限符合规定".to_string())
    };
    Check::new("R16", "publication_window", T, status, msg).evidence(ev).details(details)
}

fn fmt(t: DateTime<Utc>) -> String {
    crate::time::format_local(t)
}

/// Days after a publication closes within which the clerk's summary is expected.
pub const SUMMARY_GRACE_DAYS: i64 = 5;

/// R17: after the close, a summary of the opinions is recorded before the principal's
/// resolution; a summary that says "no opinions" while opinions were received is flagged.
pub fn check_summary(ctx: &Context<'_>, p: &PublicationRecord) -> Option<Check> {
    const T: &str = "公示意见汇总";
    if p.state != "closed" && p.resolution.is_none() && p.summary.is_none() {
        return None;
    }
    let ev = Evidence::new("publication", &p.id);
    let details = json!({"opinions": p.opinions, "summary_at": p.summary_at, "resolution": p.resolution, "resolved_at": p.resolved_at});
    let mut problems = Vec::new();
    let summary = nonempty(&p.summary);
    match summary {
        None if p.resolution.is_some() => problems.push("未汇总公示意见即作出处理决定".to_string()),
        None => {
            let overdue = p.closed_at.is_some_and(|c| ctx.now > c + Duration::days(SUMMARY_GRACE_DAYS));
            let msg = if overdue {
                format!("公示结束已超过 {SUMMARY_GRACE_DAYS} 天，尚未汇总意见（收到 {} 条）", p.opinions)
            } else {
                format!("公示已结束，待汇总意见（收到 {} 条）", p.opinions)
            };
            return Some(Check::new("R17", "publication_summary", T, Status::Warning, msg).evidence(ev).details(details));
        }
        Some(_) => {}
    }
    if let (Some(s), Some(c)) = (p.summary_at, p.closed_at)
        && s < c
    {
        problems.push("意见汇总早于公示结束".to_string());
    }
    if let (Some(s), Some(r)) = (p.summary_at, p.resolved_at)
        && r < s
    {
        problems.push("处理决定早于意见汇总".to_string());
    }
    if !problems.is_empty() {
        return Some(Check::new("R17", "publication_summary", T, Status::Violated, problems.join("；")).evidence(ev).details(details));
    }
    let s = summary.unwrap_or_default();
    let says_none = ["无意见", "没有意见", "未收到意见", "无反馈"].iter().any(|k| s.contains(k));
    if p.opinions > 0 && says_none {
        return Some(
            Check::new("R17", "publication_summary", T, Status::Warning, format!("收到 {} 条意见，汇总却称无意见（走过场？）", p.opinions))
                .evidence(ev)
                .details(details),
        );
    }
    Some(Check::new("R17", "publication_summary", T, Status::Passed, format!("已汇总 {} 条意见", p.opinions)).evidence(ev).details(details))
}

// ------------------------------------------------------------------ R18

/// What a proposal's archive must hold (R18), by snapshot key; any of the alternatives counts.
pub const ARCHIVE_PARTS: &[(&str, &[&str])] = &[
    ("会议通知", &["notice", "meeting"]),
    ("议题材料", &["materials", "proposal"]),
    ("会议原始记录", &["original_record", "record", "attendance"]),
    ("会议纪要", &["minutes"]),
    ("公示意见", &["publication", "opinions"]),
    ("最终决定", &["decision", "resolution", "final_decision"]),
];

/// R18: a confirmed (or archived) proposal has an archive record holding every part.
pub fn check_archive(p: &ProposalRecord, archive: &[ArchiveRecord]) -> Option<Check> {
    const T: &str = "归档完整";
    if !matches!(p.state.as_str(), "confirmed" | "archived") {
        return None;
    }
    let mine: Vec<&ArchiveRecord> = archive.iter().filter(|a| a.proposal_id.as_deref() == Some(p.id.as_str())).collect();
    let ev = Evidence::new("proposal", &p.id).labelled(p.title.clone());
    if mine.is_empty() {
        return Some(Check::new("R18", "archive", T, Status::Violated, "议题已确认，但没有归档记录").evidence(ev));
    }
    let parts: BTreeSet<&str> = mine.iter().flat_map(|a| a.parts.iter().map(String::as_str)).collect();
    let missing: Vec<&str> = ARCHIVE_PARTS
        .iter()
        .filter(|(_, keys)| !keys.iter().any(|k| parts.contains(k)))
        .map(|(label, _)| *label)
        .collect();
    let evidence: Vec<Evidence> = mine.iter().map(|a| Evidence::new("archive_item", &a.id)).collect();
    let check = if missing.is_empty() {
        Check::new("R18", "archive", T, Status::Passed, "通知、材料、原始记录、纪要、公示意见和最终决定均已归档")
    } else {
        Check::new("R18", "archive", T, Status::Violated, format!("归档缺少：{}", missing.join("、")))
    };
    Some(check.evidence(ev).evidence_all(evidence).details(json!({"parts": parts})))
}

// ------------------------------------------------------------------ R01, R05

/// R01/R05 on a proposal: an amount at or above the threshold was never handled as general
/// business; a pre-meeting decision other than "to meeting" has its reason.
pub fn check_premeeting(ctx: &Context<'_>, p: &ProposalRecord) -> Option<Check> {
    const T: &str = "会前酝酿决定";
    let d = p.premeeting_decision.as_deref()?;
    let ev = Evidence::new("proposal", &p.id).labelled(p.title.clone());
    let threshold = ctx.settings.fund_threshold.fen();
    let large = p.amount_fen.is_some_and(|a| a >= threshold);
    if d == "general_business" && large {
        return Some(
            Check::new(
                "R01",
                "premeeting",
                T,
                Status::Violated,
                format!("金额 {} 元达到集体决策标准（{} 元），却作为一般业务处理", yuan(p.amount_fen.unwrap_or(0)), yuan(threshold)),
            )
            .evidence(ev),
        );
    }
    if d != "to_meeting" && nonempty(&p.premeeting_reason).is_none() {
        return Some(Check::new("R05", "premeeting", T, Status::Violated, "会前酝酿决定不上会，但未记录理由").evidence(ev));
    }
    Some(Check::new("R05", "premeeting", T, Status::Passed, "会前酝酿决定已记录").evidence(ev))
}

fn yuan(fen: i64) -> String {
    crate::money::Money::from_fen(fen).to_string()
}

// ------------------------------------------------------------------ everything

/// The checks of one item, in rule order.
pub fn item_checks(ctx: &Context<'_>, m: &MeetingRecord, i: &ItemRecord) -> Vec<Check> {
    [
        check_item_quorum(ctx, m, i),
        check_recusal(m, i),
        check_principal_last(ctx, m, i),
        check_ballots(m, i),
        check_path(ctx, m, i),
        check_decision(m, i),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The meeting-level checks (notice, quorum at opening, minutes).
pub fn meeting_checks(ctx: &Context<'_>, m: &MeetingRecord, minutes: &[MinutesRecord]) -> Vec<Check> {
    [check_notice(ctx, m), check_quorum_at_opening(ctx, m), check_minutes(ctx, m, minutes)].into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        // 2026-11-dd hh:00 Shanghai = hh-8 UTC
        crate::time::SHANGHAI.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap().with_timezone(&Utc)
    }

    struct Fx {
        cal: WorkCalendar,
        settings: UnitSettings,
        principals: Vec<String>,
    }

    impl Fx {
        fn new() -> Fx {
            Fx { cal: WorkCalendar::with_china_2026(), settings: UnitSettings::default(), principals: vec!["p".into()] }
        }
        fn ctx(&self) -> Context<'_> {
            Context { calendar: &self.cal, settings: &self.settings, principal_ids: &self.principals, now: t(30, 12) }
        }
    }

    fn members() -> Vec<String> {
        ["p", "d1", "d2", "m1", "m2"].iter().map(|s| s.to_string()).collect()
    }

    fn att(user: &str, status: &str, at: DateTime<Utc>) -> AttendanceRecord {
        AttendanceRecord { id: format!("a-{user}"), user_id: user.into(), status: status.into(), recorded_at: Some(at) }
    }

    /// A party-group meeting noticed on Monday 2026-11-23 for Wednesday the 25th, all present.
    fn meeting() -> MeetingRecord {
        MeetingRecord {
            id: "m".into(),
            title: "党组会议".into(),
            meeting_type: "party_group".into(),
            state: "closed".into(),
            starts_at: Some(t(25, 9)),
            notice_sent_at: Some(t(23, 10)),
            urgency_reason: None,
            opened_at: Some(t(25, 9)),
            closed_at: Some(t(25, 12)),
            chair_id: Some("p".into()),
            should_attend: Some(members()),
            attendance: members().iter().map(|u| att(u, "present", t(25, 8))).collect(),
            items: vec![],
        }
    }

    fn stmt(seq: i32, who: &str, role: &str, stance: &str) -> StatementRecord {
        StatementRecord { id: format!("s{seq}"), seq, speaker_id: who.into(), role: role.into(), stance: stance.into(), created_at: Some(t(25, 9)) }
    }

    fn ballot(who: &str, choice: &str, minute: i64) -> BallotRecord {
        BallotRecord { id: format!("b-{who}"), voter_id: who.into(), mode: "named".into(), choice: choice.into(), cast_at: Some(t(25, 10) + Duration::minutes(minute)) }
    }

    fn part(who: &str, minute: i64) -> ParticipationRecord {
        ParticipationRecord { id: format!("v-{who}"), voter_id: who.into(), at: Some(t(25, 10) + Duration::minutes(minute)) }
    }

    /// A named vote: 4 agree, 1 disagree, principal last; adopted.
    fn voted_item() -> ItemRecord {
        let voters = [("d1", "agree"), ("d2", "agree"), ("m1", "agree"), ("m2", "disagree"), ("p", "agree")];
        ItemRecord {
            id: "i".into(),
            proposal_id: "pr".into(),
            title: "购置设备".into(),
            category: "large_fund".into(),
            state: "decided".into(),
            path: Some("vote".into()),
            mode: Some("named".into()),
            eligible: Some(members()),
            vote_opened_at: Some(t(25, 10)),
            vote_closed_at: Some(t(25, 11)),
            tally: Some(StoredTally { agree: 4, disagree: 1, defer: 0, abstain: 0, eligible: 5, should_attend: 5 }),
            majority: Some(true),
            outcome: Some("adopted".into()),
            decided_at: Some(t(25, 11)),
            statements: vec![
                stmt(1, "d1", "presenter", "agree"),
                stmt(2, "d2", "member", "agree"),
                stmt(3, "m1", "member", "agree"),
                stmt(4, "m2", "member", "disagree"),
                stmt(5, "p", "principal", "agree"),
            ],
            ballots: voters.iter().enumerate().map(|(k, (u, c))| ballot(u, c, k as i64)).collect(),
            participations: voters.iter().enumerate().map(|(k, (u, _))| part(u, k as i64)).collect(),
            ..Default::default()
        }
    }

    fn status(c: Option<Check>) -> Status {
        c.expect("check applies").status
    }

    // ---- R06

    #[test]
    fn s02_r06_notice_one_working_day_ahead_passes() {
        let fx = Fx::new();
        assert_eq!(status(check_notice(&fx.ctx(), &meeting())), Status::Passed);
    }

    #[test]
    fn s02_r06_shortened_notice_with_reason_is_a_warning_without_reason_a_violation() {
        let fx = Fx::new();
        let mut m = meeting();
        m.notice_sent_at = Some(t(25, 7)); // the same morning
        m.urgency_reason = Some("防汛紧急".into());
        let c = check_notice(&fx.ctx(), &m).unwrap();
        assert_eq!(c.status, Status::Warning);
        assert!(c.message.contains("防汛紧急"));
        m.urgency_reason = Some("  ".into());
        assert_eq!(status(check_notice(&fx.ctx(), &m)), Status::Violated);
    }

    #[test]
    fn s02_r06_notice_before_a_weekend_counts_working_days() {
        let fx = Fx::new();
        let mut m = meeting();
        // Friday 2026-11-27 notice, Monday 30th meeting: Monday is the first working day after.
        m.notice_sent_at = Some(t(27, 17));
        m.starts_at = Some(t(30, 9));
        assert_eq!(status(check_notice(&fx.ctx(), &m)), Status::Passed);
        // A Sunday-evening notice for Monday: Monday is the first working day strictly after Sunday.
        m.notice_sent_at = Some(t(29, 20));
        assert_eq!(status(check_notice(&fx.ctx(), &m)), Status::Passed);
        // A notice on Monday morning for Monday 9:00 is short.
        m.notice_sent_at = Some(t(30, 7));
        assert_eq!(status(check_notice(&fx.ctx(), &m)), Status::Violated);
    }

    #[test]
    fn s02_r06_meeting_held_without_notice_is_violated_and_unheld_one_not_checked() {
        let fx = Fx::new();
        let mut m = meeting();
        m.notice_sent_at = None;
        assert_eq!(status(check_notice(&fx.ctx(), &m)), Status::Violated);
        m.opened_at = None;
        m.state = "scheduled".into();
        assert!(check_notice(&fx.ctx(), &m).is_none());
    }

    // ---- R08

    #[test]
    fn s02_r08_quorum_at_opening() {
        let fx = Fx::new();
        let mut m = meeting();
        assert_eq!(status(check_quorum_at_opening(&fx.ctx(), &m)), Status::Passed);
        // 3 of 5 present: more than half → ok.
        m.attendance[3].status = "absent".into();
        m.attendance[4].status = "leave".into();
        assert_eq!(status(check_quorum_at_opening(&fx.ctx(), &m)), Status::Passed);
        // Personnel item: two thirds of 5 = 3.33 → 4 needed.
        m.items.push(ItemRecord { category: "key_appointment".into(), ..Default::default() });
        let c = check_quorum_at_opening(&fx.ctx(), &m).unwrap();
        assert_eq!(c.status, Status::Violated, "{c:?}");
        assert_eq!(c.details["required"], 4);
    }

    #[test]
    fn s02_r08_presence_recorded_after_opening_does_not_make_the_opening_quorum() {
        let fx = Fx::new();
        let mut m = meeting();
        for a in m.attendance.iter_mut().skip(2) {
            a.recorded_at = Some(t(25, 10)); // after opening at 9:00
        }
        assert_eq!(status(check_quorum_at_opening(&fx.ctx(), &m)), Status::Violated);
    }

    #[test]
    fn s02_r08_r09_item_quorum_counts_only_non_recused_members() {
        let fx = Fx::new();
        let mut m = meeting();
        m.attendance[3].status = "absent".into(); // m1
        m.attendance[4].status = "absent".into(); // m2
        let mut i = voted_item();
        i.recused = vec!["d1".into()];
        i.eligible = Some(vec!["p".into(), "d2".into(), "m1".into(), "m2".into()]);
        // present eligible: p, d2 = 2 of 4 → not more than half.
        assert_eq!(status(check_item_quorum(&fx.ctx(), &m, &i)), Status::Violated);
        m.attendance[3].status = "present".into();
        assert_eq!(status(check_item_quorum(&fx.ctx(), &m, &i)), Status::Passed);
    }

    // ---- R09

    #[test]
    fn s02_r09_conflicted_member_who_voted_is_a_violation() {
        let m = meeting();
        let mut i = voted_item();
        assert_eq!(status(check_recusal(&m, &i)), Status::Passed);
        i.conflicts = vec!["m1".into()];
        let c = check_recusal(&m, &i).unwrap();
        assert_eq!(c.status, Status::Violated);
        assert!(c.message.contains("未回避"), "{}", c.message);
        assert!(c.evidence.iter().any(|e| e.kind == "ballot" && e.id == "b-m1"));
        // Recused, excluded from eligible, but still a participation row: still violated.
        i.recused = vec!["m1".into()];
        i.eligible = Some(vec!["p".into(), "d1".into(), "d2".into(), "m2".into()]);
        i.ballots.retain(|b| b.voter_id != "m1");
        let c = check_recusal(&m, &i).unwrap();
        assert_eq!(c.status, Status::Violated);
        i.participations.retain(|p| p.voter_id != "m1");
        assert_eq!(status(check_recusal(&m, &i)), Status::Passed);
    }

    // ---- R10

    #[test]
    fn s02_r10_principal_speaking_before_a_member_is_a_violation() {
        let fx = Fx::new();
        let m = meeting();
        let mut i = voted_item();
        assert_eq!(status(check_principal_last(&fx.ctx(), &m, &i)), Status::Passed);
        i.statements.swap(3, 4);
        i.statements[3].seq = 4;
        i.statements[4].seq = 5;
        assert_eq!(status(check_principal_last(&fx.ctx(), &m, &i)), Status::Violated);
    }

    #[test]
    fn s02_r10_principal_ballot_before_others_is_a_violation() {
        let fx = Fx::new();
        let m = meeting();
        let mut i = voted_item();
        i.ballots.iter_mut().find(|b| b.voter_id == "p").unwrap().cast_at = Some(t(25, 10));
        let c = check_principal_last(&fx.ctx(), &m, &i).unwrap();
        assert_eq!(c.status, Status::Violated, "{c:?}");
        assert!(c.message.contains("未最后投票"));
    }

    #[test]
    fn s02_r10_missing_principal_statement_is_a_warning() {
        let fx = Fx::new();
        let m = meeting();
        let mut i = voted_item();
        i.statements.pop();
        assert_eq!(status(check_principal_last(&fx.ctx(), &m, &i)), Status::Warning);
    }

    // ---- R11

    #[test]
    fn s02_r11_consistent_named_vote_passes() {
        assert_eq!(status(check_ballots(&meeting(), &voted_item())), Status::Passed);
    }

    #[test]
    fn s02_r11_tally_differing_from_ballots_is_a_violation() {
        let mut i = voted_item();
        i.tally = Some(StoredTally { agree: 5, disagree: 0, eligible: 5, should_attend: 5, ..Default::default() });
        let c = check_ballots(&meeting(), &i).unwrap();
        assert_eq!(c.status, Status::Violated);
        assert!(c.message.contains("不符"), "{}", c.message);
    }

    #[test]
    fn s02_r11_observer_ballot_and_late_ballot_are_violations() {
        let mut i = voted_item();
        i.participations.push(part("guest", 1));
        i.ballots.push(ballot("guest", "agree", 1));
        assert_eq!(status(check_ballots(&meeting(), &i)), Status::Violated);
        let mut i = voted_item();
        i.ballots[0].cast_at = Some(t(25, 12));
        assert_eq!(status(check_ballots(&meeting(), &i)), Status::Violated);
    }

    #[test]
    fn s02_r11_secret_ballot_counts_against_participations() {
        let mut i = voted_item();
        i.path = Some("secret_ballot".into());
        i.mode = Some("secret".into());
        i.category = "key_appointment".into();
        i.ballots.clear();
        i.secret = Some(Counts { agree: 4, disagree: 1, defer: 0, abstain: 0 });
        assert_eq!(status(check_ballots(&meeting(), &i)), Status::Passed);
        i.secret = Some(Counts { agree: 5, disagree: 1, defer: 0, abstain: 0 });
        assert_eq!(status(check_ballots(&meeting(), &i)), Status::Violated);
    }

    #[test]
    fn s02_r11_ballots_on_a_consensus_item_are_a_violation() {
        let mut i = voted_item();
        i.path = Some("consensus".into());
        assert_eq!(status(check_ballots(&meeting(), &i)), Status::Violated);
        i.ballots.clear();
        i.participations.clear();
        assert!(check_ballots(&meeting(), &i).is_none());
    }

    // ---- R12

    #[test]
    fn s02_r12_consensus_needs_every_present_eligible_member_agreeing() {
        let fx = Fx::new();
        let m = meeting();
        let mut i = voted_item();
        i.path = Some("consensus".into());
        assert_eq!(status(check_path(&fx.ctx(), &m, &i)), Status::Violated, "m2 disagreed");
        i.statements[3].stance = "agree".into();
        assert_eq!(status(check_path(&fx.ctx(), &m, &i)), Status::Passed);
    }

    #[test]
    fn s02_r12_vote_on_a_close_split_is_a_violation() {
        let fx = Fx::new();
        let m = meeting();
        let mut i = voted_item();
        assert_eq!(status(check_path(&fx.ctx(), &m, &i)), Status::Passed, "4:1");
        i.statements[2].stance = "disagree".into(); // 3:2 → |1| ≤ margin 1
        assert_eq!(status(check_path(&fx.ctx(), &m, &i)), Status::Violated);
    }

    #[test]
    fn s02_r12_urgent_secret_ballot_after_deferral_is_a_warning() {
        let fx = Fx::new();
        let m = meeting();
        let mut i = voted_item();
        i.path = Some("secret_ballot".into());
        assert_eq!(status(check_path(&fx.ctx(), &m, &i)), Status::Violated, "not personnel, not urgent");
        i.urgent = true;
        assert_eq!(status(check_path(&fx.ctx(), &m, &i)), Status::Passed);
        i.deferred_before = vec!["m0".into()];
        let c = check_path(&fx.ctx(), &m, &i).unwrap();
        assert_eq!(c.status, Status::Warning);
        assert!(c.message.contains("缓议"));
    }

    #[test]
    fn s02_r12_defer_needs_a_reason() {
        let fx = Fx::new();
        let m = meeting();
        let mut i = voted_item();
        i.path = Some("defer".into());
        assert_eq!(status(check_path(&fx.ctx(), &m, &i)), Status::Violated);
        i.path_reason = Some("需补充论证".into());
        assert_eq!(status(check_path(&fx.ctx(), &m, &i)), Status::Passed);
    }

    // ---- R13

    #[test]
    fn s02_r13_binding_meeting_decision_must_follow_the_count() {
        let m = meeting();
        let mut i = voted_item();
        assert_eq!(status(check_decision(&m, &i)), Status::Passed);
        // 2 of 5 agree: no majority; adopted anyway.
        i.tally = Some(StoredTally { agree: 2, disagree: 3, eligible: 5, should_attend: 5, ..Default::default() });
        i.majority = Some(false);
        assert_eq!(status(check_decision(&m, &i)), Status::Violated);
        i.outcome = Some("rejected".into());
        assert_eq!(status(check_decision(&m, &i)), Status::Passed);
    }

    #[test]
    fn s02_r13_head_override_without_reason_is_violated_with_reason_a_warning() {
        let mut m = meeting();
        m.meeting_type = "head_office".into();
        let mut i = voted_item();
        i.tally = Some(StoredTally { agree: 2, disagree: 3, eligible: 5, should_attend: 5, ..Default::default() });
        i.majority = Some(false);
        assert_eq!(status(check_decision(&m, &i)), Status::Violated);
        i.override_reason = Some("上级已明确要求".into());
        let c = check_decision(&m, &i).unwrap();
        assert_eq!(c.status, Status::Warning);
        assert!(c.message.contains("上级已明确要求"));
    }

    #[test]
    fn s02_r13_majority_is_of_eligible_should_attend_not_of_present() {
        let m = meeting();
        let mut i = voted_item();
        // 3 agree out of 6 eligible is not more than half, even if only 4 were present.
        i.eligible = Some(["p", "d1", "d2", "m1", "m2", "x"].iter().map(|s| s.to_string()).collect());
        i.tally = Some(StoredTally { agree: 3, disagree: 1, eligible: 6, should_attend: 6, ..Default::default() });
        i.majority = Some(true);
        let c = check_decision(&m, &i).unwrap();
        assert_eq!(c.status, Status::Violated, "{c:?}");
    }

    // ---- R15

    fn approved(root: &str, v: i32, serial_no: Option<i64>, by: &str) -> MinutesRecord {
        MinutesRecord {
            id: format!("{root}-v{v}"),
            root_id: root.into(),
            version_no: v,
            state: "approved".into(),
            meeting_type: "party_group".into(),
            year: Some(2026),
            serial_no,
            serial: serial_no.map(|n| format!("〔2026〕第{n}期")),
            approved_by: Some(by.into()),
            approved_at: Some(t(26, 9)),
            body: "{}".into(),
        }
    }

    #[test]
    fn s02_r15_minutes_approved_by_principal_and_numbered() {
        let fx = Fx::new();
        let mut m = meeting();
        m.items.push(voted_item());
        assert_eq!(status(check_minutes(&fx.ctx(), &m, &[approved("r", 1, Some(1), "p")])), Status::Passed);
        assert_eq!(status(check_minutes(&fx.ctx(), &m, &[approved("r", 1, None, "p")])), Status::Violated);
        assert_eq!(status(check_minutes(&fx.ctx(), &m, &[approved("r", 1, Some(1), "d1")])), Status::Violated);
        // None yet: a warning only after the grace period (now is the 30th, closed the 25th).
        assert!(check_minutes(&fx.ctx(), &m, &[]).is_none());
        let mut late = fx.ctx();
        late.now = t(25, 12) + Duration::days(11);
        assert_eq!(status(check_minutes(&late, &m, &[])), Status::Warning);
    }

    #[test]
    fn s02_r15_override_reason_must_appear_in_the_minutes() {
        let fx = Fx::new();
        let mut m = meeting();
        let mut i = voted_item();
        i.override_reason = Some("上级已明确要求".into());
        m.items.push(i);
        assert_eq!(status(check_minutes(&fx.ctx(), &m, &[approved("r", 1, Some(1), "p")])), Status::Violated);
        let mut x = approved("r", 1, Some(1), "p");
        x.body = "{\"override_reason\":\"上级已明确要求\"}".into();
        assert_eq!(status(check_minutes(&fx.ctx(), &m, &[x])), Status::Passed);
    }

    #[test]
    fn s02_r15_serials_gapless_and_unique() {
        let ok = [approved("a", 1, Some(1), "p"), approved("b", 1, Some(2), "p"), approved("b", 2, Some(2), "p")];
        assert_eq!(check_serials(&ok).status, Status::Passed, "a revision keeps its number");
        let gap = [approved("a", 1, Some(1), "p"), approved("c", 1, Some(3), "p")];
        let c = check_serials(&gap);
        assert_eq!(c.status, Status::Violated);
        assert!(c.message.contains("缺号"));
        let dup = [approved("a", 1, Some(1), "p"), approved("b", 1, Some(1), "p")];
        assert!(check_serials(&dup).message.contains("重复"));
    }

    // ---- R16, R17

    fn publication() -> PublicationRecord {
        let fx = Fx::new();
        let opened = t(24, 10); // Tuesday: closes at the end of Thursday the 26th
        PublicationRecord {
            id: "pub".into(),
            minutes_id: "r-v1".into(),
            state: "closed".into(),
            opened_at: Some(opened),
            closes_at: Some(fx.settings.publication_closes_at(&fx.cal, opened)),
            closed_at: Some(fx.settings.publication_closes_at(&fx.cal, opened)),
            summary: Some("收到意见2条，已答复".into()),
            summary_at: Some(t(30, 9)),
            opinions: 2,
            ..Default::default()
        }
    }

    #[test]
    fn s02_r16_shortened_or_early_closed_publication_is_violated() {
        let fx = Fx::new();
        let conf = BTreeMap::new();
        let p = publication();
        assert_eq!(check_publication(&fx.ctx(), &p, &conf).status, Status::Passed);
        let mut short = publication();
        short.closes_at = Some(t(25, 10));
        assert_eq!(check_publication(&fx.ctx(), &short, &conf).status, Status::Violated);
        let mut early = publication();
        early.closed_at = Some(t(25, 10));
        assert_eq!(check_publication(&fx.ctx(), &early, &conf).status, Status::Violated);
        let mut stuck = publication();
        stuck.state = "open".into();
        stuck.closed_at = None;
        assert_eq!(check_publication(&fx.ctx(), &stuck, &conf).status, Status::Warning, "still open a day after its close");
    }

    #[test]
    fn s02_r16_withholding_needs_confidentiality_and_a_reason() {
        let fx = Fx::new();
        let mut p = publication();
        p.withheld = vec![WithheldRecord { proposal_id: "a".into(), reason: "涉及个人隐私".into() }];
        let conf = BTreeMap::from([("a".to_string(), true), ("b".to_string(), false)]);
        assert_eq!(check_publication(&fx.ctx(), &p, &conf).status, Status::Passed);
        let conf2 = BTreeMap::from([("a".to_string(), false)]);
        assert_eq!(check_publication(&fx.ctx(), &p, &conf2).status, Status::Violated);
        p.withheld[0].reason = " ".into();
        assert_eq!(check_publication(&fx.ctx(), &p, &conf).status, Status::Violated);
    }

    #[test]
    fn s02_r17_summary_required_before_resolution_and_not_contradicting_opinions() {
        let fx = Fx::new();
        assert_eq!(status(check_summary(&fx.ctx(), &publication())), Status::Passed);
        let mut p = publication();
        p.summary = None;
        p.summary_at = None;
        assert_eq!(status(check_summary(&fx.ctx(), &p)), Status::Warning);
        p.resolution = Some("confirm".into());
        assert_eq!(status(check_summary(&fx.ctx(), &p)), Status::Violated);
        let mut p = publication();
        p.summary = Some("无意见".into());
        assert_eq!(status(check_summary(&fx.ctx(), &p)), Status::Warning, "2 opinions but 'none'");
        p.opinions = 0;
        assert_eq!(status(check_summary(&fx.ctx(), &p)), Status::Passed);
    }

    // ---- R18, R01/R05

    #[test]
    fn s02_r18_confirmed_proposal_needs_a_complete_archive() {
        let p = ProposalRecord { id: "pr".into(), state: "confirmed".into(), ..Default::default() };
        assert_eq!(status(check_archive(&p, &[])), Status::Violated);
        let parts = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let full = ArchiveRecord {
            id: "a".into(),
            kind: "deliberation".into(),
            proposal_id: Some("pr".into()),
            meeting_id: None,
            parts: parts(&["notice", "materials", "original_record", "minutes", "opinions", "decision"]),
        };
        assert_eq!(status(check_archive(&p, std::slice::from_ref(&full))), Status::Passed);
        let mut partial = full.clone();
        partial.parts = parts(&["notice", "materials", "minutes"]);
        let c = check_archive(&p, &[partial]).unwrap();
        assert_eq!(c.status, Status::Violated);
        assert!(c.message.contains("会议原始记录"));
        let draft = ProposalRecord { state: "scheduled".into(), ..p };
        assert!(check_archive(&draft, &[]).is_none());
    }

    #[test]
    fn s02_r01_large_amount_handled_as_general_business_is_violated() {
        let fx = Fx::new();
        let mut p = ProposalRecord {
            id: "pr".into(),
            amount_fen: Some(10_000_000),
            premeeting_decision: Some("general_business".into()),
            premeeting_reason: Some("常规采购".into()),
            ..Default::default()
        };
        let c = check_premeeting(&fx.ctx(), &p).unwrap();
        assert_eq!((c.rule.as_str(), c.status), ("R01", Status::Violated));
        p.amount_fen = Some(9_999_999);
        assert_eq!(status(check_premeeting(&fx.ctx(), &p)), Status::Passed);
        p.premeeting_reason = None;
        assert_eq!(check_premeeting(&fx.ctx(), &p).unwrap().rule, "R05");
    }
}
