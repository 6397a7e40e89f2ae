//! Unit settings with the SPEC defaults, the quorum ratios of R08, and the merge semantics
//! of `PUT /api/v1/units/{unit}/settings` (API.md: only the fields sent change).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::calendar::WorkCalendar;
use crate::enums::{Category, MeetingType, Urgency, wire_enum};
use crate::error::{DomainError, DomainResult};
use crate::money::Money;
use crate::time::{local_date, local_end_of_day};

/// A quorum ratio of the members who should attend (应到会成员): `present ≥ num/den` of them
/// when `inclusive`, else `present > num/den` of them. Wire: `{"num": 2, "den": 3, "inclusive": true}`.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct Ratio {
    pub num: u32,
    pub den: u32,
    pub inclusive: bool,
}

impl Ratio {
    /// 过半数: more than half (R08 default).
    pub const MORE_THAN_HALF: Ratio = Ratio {
        num: 1,
        den: 2,
        inclusive: false,
    };
    /// 三分之二以上, the two-thirds count itself included (R08, 重要干部任免).
    pub const TWO_THIRDS: Ratio = Ratio {
        num: 2,
        den: 3,
        inclusive: true,
    };

    /// Whether `present` of `should_attend` members reach the ratio. Exact integer arithmetic.
    /// Nobody to attend (`should_attend == 0`) never makes a quorum.
    pub fn satisfied(&self, present: u32, should_attend: u32) -> bool {
        if should_attend == 0 || self.den == 0 {
            return false;
        }
        let lhs = u64::from(present) * u64::from(self.den);
        let rhs = u64::from(self.num) * u64::from(should_attend);
        if self.inclusive {
            lhs >= rhs
        } else {
            lhs > rhs
        }
    }

    /// The smallest number present that satisfies the ratio for `should_attend` members (at
    /// least 1). It may exceed `should_attend` (the quorum is then unreachable), and for
    /// `should_attend == 0` nothing satisfies it.
    pub fn min_present(&self, should_attend: u32) -> u32 {
        if self.den == 0 {
            return u32::MAX;
        }
        let prod = u64::from(self.num) * u64::from(should_attend);
        let den = u64::from(self.den);
        let n = if self.inclusive {
            prod.div_ceil(den)
        } else {
            prod / den + 1
        };
        u32::try_from(n.max(1)).unwrap_or(u32::MAX)
    }

    /// The stricter of two ratios: the larger fraction (compared exactly by cross-multiplying);
    /// for equal fractions the exclusive one ("more than") is stricter.
    pub fn stricter(a: Ratio, b: Ratio) -> Ratio {
        let lhs = u64::from(a.num) * u64::from(b.den);
        let rhs = u64::from(b.num) * u64::from(a.den);
        match lhs.cmp(&rhs) {
            std::cmp::Ordering::Greater => a,
            std::cmp::Ordering::Less => b,
            std::cmp::Ordering::Equal => {
                if !b.inclusive && a.inclusive {
                    b
                } else {
                    a
                }
            }
        }
    }

    /// Refuses impossible ratios: `den > 0`, `0 < num ≤ den`, and `num == den` only inclusive
    /// ("more than all" can never be met). Errors name `field`.
    pub fn validate(&self, field: &str) -> DomainResult<()> {
        if self.den == 0 {
            return Err(DomainError::invalid(
                field,
                format!("{field}：分母 den 必须大于 0"),
            ));
        }
        if self.num == 0 || self.num > self.den {
            return Err(DomainError::invalid(
                field,
                format!(
                    "{field}：分子 num 必须大于 0 且不大于分母 den（当前为 {}/{}）",
                    self.num, self.den
                ),
            ));
        }
        if self.num == self.den && !self.inclusive {
            return Err(DomainError::invalid(
                field,
                format!(
                    "{field}：“超过全部应到会成员”无法达到，num 等于 den 时 inclusive 必须为 true"
                ),
            ));
        }
        Ok(())
    }

    /// Chinese description for messages, e.g. `超过应到会成员的1/2` or `不少于应到会成员的2/3`.
    pub fn describe(&self) -> String {
        if self.inclusive {
            format!("不少于应到会成员的{}/{}", self.num, self.den)
        } else {
            format!("超过应到会成员的{}/{}", self.num, self.den)
        }
    }
}

/// Quorum settings (R08): the strictest applicable ratio wins.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
#[serde(default)]
pub struct QuorumSettings {
    /// Default: more than half.
    pub default: Ratio,
    /// Default: `key_appointment` → two thirds, inclusive.
    pub by_category: BTreeMap<Category, Ratio>,
    /// Default: none.
    pub by_meeting_type: BTreeMap<MeetingType, Ratio>,
}

impl Default for QuorumSettings {
    fn default() -> Self {
        QuorumSettings {
            default: Ratio::MORE_THAN_HALF,
            by_category: BTreeMap::from([(Category::KeyAppointment, Ratio::TWO_THIRDS)]),
            by_meeting_type: BTreeMap::new(),
        }
    }
}

impl QuorumSettings {
    /// The ratio a meeting of `meeting_type` with an agenda of `agenda_categories` needs:
    /// the strictest of the default, the meeting type's and each agenda category's ratio.
    pub fn required(&self, meeting_type: MeetingType, agenda_categories: &[Category]) -> Ratio {
        let mut r = self.default;
        if let Some(t) = self.by_meeting_type.get(&meeting_type) {
            r = Ratio::stricter(r, *t);
        }
        for c in agenda_categories {
            if let Some(x) = self.by_category.get(c) {
                r = Ratio::stricter(r, *x);
            }
        }
        r
    }

    pub fn validate(&self) -> DomainResult<()> {
        self.default.validate("quorum.default")?;
        for (c, r) in &self.by_category {
            r.validate(&format!("quorum.by_category.{}", c.as_str()))?;
        }
        for (t, r) in &self.by_meeting_type {
            r.validate(&format!("quorum.by_meeting_type.{}", t.as_str()))?;
        }
        Ok(())
    }

    /// Merges a patch: `default` replaces the default ratio; in the maps, each key sent replaces
    /// that entry and `null` removes it; keys not sent are kept.
    fn merge(&self, patch: &Value) -> DomainResult<QuorumSettings> {
        let obj = object(patch, "quorum")?;
        let mut q = self.clone();
        for (k, v) in obj {
            match k.as_str() {
                "default" => q.default = ratio(v, "quorum.default")?,
                "by_category" => {
                    for (key, val) in object(v, "quorum.by_category")? {
                        let c = Category::parse_field(key, "quorum.by_category")?;
                        let field = format!("quorum.by_category.{key}");
                        if val.is_null() {
                            q.by_category.remove(&c);
                        } else {
                            q.by_category.insert(c, ratio(val, &field)?);
                        }
                    }
                }
                "by_meeting_type" => {
                    for (key, val) in object(v, "quorum.by_meeting_type")? {
                        let t = MeetingType::parse_field(key, "quorum.by_meeting_type")?;
                        let field = format!("quorum.by_meeting_type.{key}");
                        if val.is_null() {
                            q.by_meeting_type.remove(&t);
                        } else {
                            q.by_meeting_type.insert(t, ratio(val, &field)?);
                        }
                    }
                }
                other => {
                    return Err(unknown_field(
                        &format!("quorum.{other}"),
                        &["default", "by_category", "by_meeting_type"],
                    ));
                }
            }
        }
        Ok(q)
    }
}

wire_enum! {
    /// How publication days are counted (R16).
    DayKind, field = "publication_day_kind", {
        Working => ("working", "工作日"),
        Calendar => ("calendar", "自然日"),
    }
}

/// Default handling deadlines by urgency, in working days (D02).
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(default)]
pub struct DeadlineDays {
    pub urgent: u32,
    pub expedited: u32,
    pub normal: u32,
}

impl Default for DeadlineDays {
    fn default() -> Self {
        DeadlineDays {
            urgent: 1,
            expedited: 3,
            normal: 7,
        }
    }
}

impl DeadlineDays {
    pub fn for_urgency(&self, u: Urgency) -> u32 {
        match u {
            Urgency::Urgent => self.urgent,
            Urgency::Expedited => self.expedited,
            Urgency::Normal => self.normal,
        }
    }
}

/// Inclusive bounds of the numeric settings; outside them the value is refused.
pub mod limits {
    pub const SPLIT_MARGIN: (u32, u32) = (0, 100);
    pub const PUBLICATION_DAYS: (u32, u32) = (1, 60);
    pub const SESSION_IDLE_MINUTES: (u32, u32) = (1, 24 * 60);
    pub const UPLOAD_LIMIT_BYTES: (u64, u64) = (1, 4 * 1024 * 1024 * 1024);
    pub const SPLIT_WINDOW_DAYS: (u32, u32) = (1, 3660);
    pub const DEFERRAL_LAPSE_DAYS: (u32, u32) = (1, 3660);
    pub const DEADLINE_DAYS: (u32, u32) = (1, 365);
    pub const MINUTES_HEADER_CHARS: usize = 100;
}

/// A unit's settings. Serde field names are the wire names; missing fields deserialize to the
/// defaults (so stored settings survive new fields). Requests must go through [`UnitSettings::merge`],
/// which validates; plain deserialization does not.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
#[serde(default)]
pub struct UnitSettings {
    /// R01: fund-use items at or above this amount must be deliberated collectively. Default ¥100,000.
    pub fund_threshold: Money,
    /// R08.
    pub quorum: QuorumSettings,
    /// R12: a named vote is refused when |同意 − 不同意| ≤ this margin. Default 1.
    pub split_margin: u32,
    /// R16: publication length. Default 2.
    pub publication_days: u32,
    /// R16: working (default) or calendar days.
    pub publication_day_kind: DayKind,
    /// R41: idle session timeout. Default 30.
    pub session_idle_minutes: u32,
    /// R44: upload size limit. Default 50 MiB.
    pub upload_limit_bytes: u64,
    /// S03: threshold-splitting window. Default 90 days.
    pub split_window_days: u32,
    /// R13: a deferred item lapses after this many days without re-deliberation. Default 365.
    pub deferral_lapse_days: u32,
    /// R12: the unit's rules make every vote a secret ballot. Default false.
    pub secret_ballot_always: bool,
    /// D02: default handling deadlines in working days.
    pub deadline_days: DeadlineDays,
    /// R15: unified minutes header (统一纪要文头); `None` uses the unit's name.
    pub minutes_header: Option<String>,
}

impl Default for UnitSettings {
    fn default() -> Self {
        UnitSettings {
            fund_threshold: Money::yuan(100_000),
            quorum: QuorumSettings::default(),
            split_margin: 1,
            publication_days: 2,
            publication_day_kind: DayKind::Working,
            session_idle_minutes: 30,
            upload_limit_bytes: 50 * 1024 * 1024,
            split_window_days: 90,
            deferral_lapse_days: 365,
            secret_ballot_always: false,
            deadline_days: DeadlineDays::default(),
            minutes_header: None,
        }
    }
}

const FIELDS: &[&str] = &[
    "fund_threshold",
    "quorum",
    "split_margin",
    "publication_days",
    "publication_day_kind",
    "session_idle_minutes",
    "upload_limit_bytes",
    "split_window_days",
    "deferral_lapse_days",
    "secret_ballot_always",
    "deadline_days",
    "minutes_header",
];

impl UnitSettings {
    /// Applies a `PUT` body: only the fields present change (nested `quorum` and `deadline_days`
    /// merge by key; a `null` map entry removes that quorum override; `minutes_header: null`
    /// clears it). An unknown field or a bad value is refused naming the field, and the
    /// original settings are untouched (a new value is returned).
    pub fn merge(&self, patch: &Value) -> DomainResult<UnitSettings> {
        let obj = object(patch, "settings")?;
        let mut s = self.clone();
        for (k, v) in obj {
            match k.as_str() {
                "fund_threshold" => s.fund_threshold = money(v, "fund_threshold")?,
                "quorum" => s.quorum = s.quorum.merge(v)?,
                "split_margin" => s.split_margin = uint(v, "split_margin", limits::SPLIT_MARGIN)?,
                "publication_days" => {
                    s.publication_days = uint(v, "publication_days", limits::PUBLICATION_DAYS)?
                }
                "publication_day_kind" => {
                    let text = string(v, "publication_day_kind")?;
                    s.publication_day_kind = DayKind::parse_field(text, "publication_day_kind")?;
                }
                "session_idle_minutes" => {
                    s.session_idle_minutes =
                        uint(v, "session_idle_minutes", limits::SESSION_IDLE_MINUTES)?
                }
                "upload_limit_bytes" => {
                    s.upload_limit_bytes =
                        uint64(v, "upload_limit_bytes", limits::UPLOAD_LIMIT_BYTES)?
                }
                "split_window_days" => {
                    s.split_window_days = uint(v, "split_window_days", limits::SPLIT_WINDOW_DAYS)?
                }
                "deferral_lapse_days" => {
                    s.deferral_lapse_days =
                        uint(v, "deferral_lapse_days", limits::DEFERRAL_LAPSE_DAYS)?
                }
                "secret_ballot_always" => {
                    s.secret_ballot_always = v.as_bool().ok_or_else(|| {
                        DomainError::invalid(
                            "secret_ballot_always",
                            "secret_ballot_always 必须是 true 或 false",
                        )
                    })?
                }
                "deadline_days" => {
                    for (dk, dv) in object(v, "deadline_days")? {
                        let field = format!("deadline_days.{dk}");
                        let n = |dv: &Value| uint(dv, &field, limits::DEADLINE_DAYS);
                        match dk.as_str() {
                            "urgent" => s.deadline_days.urgent = n(dv)?,
                            "expedited" => s.deadline_days.expedited = n(dv)?,
                            "normal" => s.deadline_days.normal = n(dv)?,
                            _ => {
                                return Err(unknown_field(
                                    &field,
                                    &["urgent", "expedited", "normal"],
                                ));
                            }
                        }
                    }
                }
                "minutes_header" => {
                    s.minutes_header = match v {
                        Value::Null => None,
                        _ => Some(minutes_header(v)?),
                    }
                }
                other => return Err(unknown_field(other, FIELDS)),
            }
        }
        Ok(s)
    }

    /// Validates every field (e.g. settings loaded from storage).
    pub fn validate(&self) -> DomainResult<()> {
        let in_range = |n: u64, field: &str, (lo, hi): (u64, u64)| {
            if n < lo || n > hi {
                Err(out_of_range(field, lo, hi))
            } else {
                Ok(())
            }
        };
        let r32 = |(lo, hi): (u32, u32)| (u64::from(lo), u64::from(hi));
        if self.fund_threshold.fen() < 0 {
            return Err(DomainError::invalid(
                "fund_threshold",
                "fund_threshold 不能为负数",
            ));
        }
        self.quorum.validate()?;
        in_range(
            self.split_margin.into(),
            "split_margin",
            r32(limits::SPLIT_MARGIN),
        )?;
        in_range(
            self.publication_days.into(),
            "publication_days",
            r32(limits::PUBLICATION_DAYS),
        )?;
        in_range(
            self.session_idle_minutes.into(),
            "session_idle_minutes",
            r32(limits::SESSION_IDLE_MINUTES),
        )?;
        in_range(
            self.upload_limit_bytes,
            "upload_limit_bytes",
            limits::UPLOAD_LIMIT_BYTES,
        )?;
        in_range(
            self.split_window_days.into(),
            "split_window_days",
            r32(limits::SPLIT_WINDOW_DAYS),
        )?;
        in_range(
            self.deferral_lapse_days.into(),
            "deferral_lapse_days",
            r32(limits::DEFERRAL_LAPSE_DAYS),
        )?;
        in_range(
            self.deadline_days.urgent.into(),
            "deadline_days.urgent",
            r32(limits::DEADLINE_DAYS),
        )?;
        in_range(
            self.deadline_days.expedited.into(),
            "deadline_days.expedited",
            r32(limits::DEADLINE_DAYS),
        )?;
        in_range(
            self.deadline_days.normal.into(),
            "deadline_days.normal",
            r32(limits::DEADLINE_DAYS),
        )?;
        if let Some(h) = &self.minutes_header {
            minutes_header(&Value::String(h.clone()))?;
        }
        Ok(())
    }

    /// R01: a fund-use amount at or above the threshold must be deliberated collectively.
    pub fn requires_collective_decision(&self, amount: Money) -> bool {
        amount >= self.fund_threshold
    }

    /// R16: when a publication that opens at `opened_at` closes: at the end (Shanghai midnight)
    /// of the `publication_days`-th working day (or calendar day) after the opening day, so the
    /// staff get that many full days after the day of publication.
    pub fn publication_closes_at(
        &self,
        calendar: &WorkCalendar,
        opened_at: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let opened_on = local_date(opened_at);
        let last_day = match self.publication_day_kind {
            DayKind::Working => calendar.add_working_days(opened_on, self.publication_days),
            DayKind::Calendar => opened_on
                .checked_add_days(chrono::Days::new(self.publication_days.into()))
                .unwrap_or(opened_on),
        };
        local_end_of_day(last_day)
    }

    /// D02: default deadline of an item received on `received_on` with `urgency`.
    pub fn default_deadline(
        &self,
        calendar: &WorkCalendar,
        received_on: NaiveDate,
        urgency: Urgency,
    ) -> NaiveDate {
        calendar.add_working_days(received_on, self.deadline_days.for_urgency(urgency))
    }
}

// ---- patch value helpers: every error names the field ----

fn object<'a>(v: &'a Value, field: &str) -> DomainResult<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| DomainError::invalid(field, format!("{field} 必须是 JSON 对象")))
}

fn string<'a>(v: &'a Value, field: &str) -> DomainResult<&'a str> {
    v.as_str()
        .ok_or_else(|| DomainError::invalid(field, format!("{field} 必须是字符串")))
}

fn out_of_range(field: &str, lo: u64, hi: u64) -> DomainError {
    DomainError::invalid(field, format!("{field} 必须是 {lo} 到 {hi} 之间的整数"))
        .with_details(json!({"field": field, "min": lo, "max": hi}))
}

fn uint64(v: &Value, field: &str, (lo, hi): (u64, u64)) -> DomainResult<u64> {
    match v.as_u64() {
        Some(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(out_of_range(field, lo, hi)),
    }
}

fn uint(v: &Value, field: &str, (lo, hi): (u32, u32)) -> DomainResult<u32> {
    let n = uint64(v, field, (lo.into(), hi.into()))?;
    u32::try_from(n).map_err(|_| out_of_range(field, lo.into(), hi.into()))
}

fn money(v: &Value, field: &str) -> DomainResult<Money> {
    let s = v.as_str().ok_or_else(|| {
        DomainError::invalid(
            field,
            format!("{field} 必须是以元为单位的十进制字符串，例如 \"100000.00\""),
        )
    })?;
    Money::parse_field(s, field)
}

fn ratio(v: &Value, field: &str) -> DomainResult<Ratio> {
    let obj = object(v, field)?;
    for k in obj.keys() {
        if !matches!(k.as_str(), "num" | "den" | "inclusive") {
            return Err(unknown_field(
                &format!("{field}.{k}"),
                &["num", "den", "inclusive"],
            ));
        }
    }
    let part = |k: &str| {
        obj.get(k).ok_or_else(|| {
            DomainError::invalid(
                &format!("{field}.{k}"),
                format!(
                    "{field} 缺少 {k}：比例须写成 {{\"num\": 2, \"den\": 3, \"inclusive\": true}}"
                ),
            )
        })
    };
    let num = uint(part("num")?, &format!("{field}.num"), (0, 1000))?;
    let den = uint(part("den")?, &format!("{field}.den"), (0, 1000))?;
    let inclusive = part("inclusive")?.as_bool().ok_or_else(|| {
        DomainError::invalid(
            &format!("{field}.inclusive"),
            format!("{field}.inclusive 必须是 true 或 false"),
        )
    })?;
    let r = Ratio {
        num,
        den,
        inclusive,
    };
    r.validate(field)?;
    Ok(r)
}

fn minutes_header(v: &Value) -> DomainResult<String> {
    let s = string(v, "minutes_header")?.trim();
    if s.is_empty() {
        return Err(DomainError::invalid(
            "minutes_header",
            "minutes_header 不能为空字符串；要恢复默认文头请传 null",
        ));
    }
    if s.chars().count() > limits::MINUTES_HEADER_CHARS || s.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "minutes_header",
            format!(
                "minutes_header 最多 {} 个字符，且不能包含换行等控制字符",
                limits::MINUTES_HEADER_CHARS
            ),
        ));
    }
    Ok(s.to_owned())
}

fn unknown_field(field: &str, known: &[&str]) -> DomainError {
    DomainError::invalid(
        field,
        format!("未知的设置项“{field}”，可设置的项为：{}", known.join("、")),
    )
    .with_details(json!({"field": field, "allowed": known}))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn r(num: u32, den: u32, inclusive: bool) -> Ratio {
        Ratio {
            num,
            den,
            inclusive,
        }
    }

    #[test]
    fn r08_two_thirds_inclusive_boundaries() {
        let q = Ratio::TWO_THIRDS;
        assert!(q.satisfied(6, 9), "6 of 9 is exactly two thirds: included");
        assert!(!q.satisfied(5, 9));
        assert!(q.satisfied(9, 9));
        assert!(q.satisfied(5, 7), "5/7 ≥ 2/3");
        assert!(!q.satisfied(4, 7), "4/7 < 2/3");
        assert!(q.satisfied(2, 3));
        assert!(!q.satisfied(1, 3));
        assert_eq!(q.min_present(9), 6);
        assert_eq!(q.min_present(7), 5);
        assert_eq!(q.min_present(10), 7);
    }

    #[test]
    fn r08_more_than_half_boundaries() {
        let q = Ratio::MORE_THAN_HALF;
        assert!(q.satisfied(3, 4));
        assert!(!q.satisfied(2, 4), "exactly half is not more than half");
        assert!(q.satisfied(3, 5));
        assert!(!q.satisfied(2, 5));
        assert!(q.satisfied(1, 1));
        assert!(!q.satisfied(0, 1));
        assert_eq!(q.min_present(4), 3);
        assert_eq!(q.min_present(5), 3);
        assert_eq!(q.min_present(1), 1);
    }

    #[test]
    fn r08_nobody_to_attend_is_never_a_quorum() {
        assert!(!Ratio::MORE_THAN_HALF.satisfied(0, 0));
        assert!(!Ratio::TWO_THIRDS.satisfied(0, 0));
        assert!(!Ratio::TWO_THIRDS.satisfied(3, 0));
    }

    #[test]
    fn r08_min_present_agrees_with_satisfied() {
        let ratios = [
            r(1, 2, false),
            r(1, 2, true),
            r(2, 3, true),
            r(2, 3, false),
            r(3, 4, true),
            r(1, 1, true),
            r(7, 10, false),
        ];
        for q in ratios {
            for should in 1..=40u32 {
                let m = q.min_present(should);
                assert!(q.satisfied(m, should) || m > should, "{q:?} {should}");
                if m > 0 {
                    assert!(!q.satisfied(m - 1, should), "{q:?} {should}");
                }
            }
        }
        assert!(
            Ratio::MORE_THAN_HALF.satisfied(u32::MAX, u32::MAX),
            "no overflow"
        );
    }

    #[test]
    fn r08_stricter_compares_exactly() {
        assert_eq!(
            Ratio::stricter(Ratio::MORE_THAN_HALF, Ratio::TWO_THIRDS),
            Ratio::TWO_THIRDS
        );
        assert_eq!(
            Ratio::stricter(Ratio::TWO_THIRDS, Ratio::MORE_THAN_HALF),
            Ratio::TWO_THIRDS
        );
        // Equal fractions: exclusive is stricter, whichever side it is on.
        assert_eq!(
            Ratio::stricter(r(1, 2, true), r(1, 2, false)),
            r(1, 2, false)
        );
        assert_eq!(
            Ratio::stricter(r(1, 2, false), r(1, 2, true)),
            r(1, 2, false)
        );
        assert_eq!(
            Ratio::stricter(r(2, 4, true), r(1, 2, false)),
            r(1, 2, false)
        );
        // 2/3 inclusive vs 666/1000 exclusive: 2/3 is larger.
        assert_eq!(
            Ratio::stricter(r(666, 1000, false), r(2, 3, true)),
            r(2, 3, true)
        );
        assert_eq!(
            Ratio::stricter(r(667, 1000, true), r(2, 3, true)),
            r(667, 1000, true)
        );
    }

    #[test]
    fn r08_strictest_applicable_ratio_wins() {
        let mut q = QuorumSettings::default();
        assert_eq!(
            q.required(MeetingType::PartyGroup, &[Category::LargeFund]),
            Ratio::MORE_THAN_HALF
        );
        assert_eq!(
            q.required(MeetingType::PartyGroup, &[]),
            Ratio::MORE_THAN_HALF
        );
        assert_eq!(
            q.required(
                MeetingType::Joint,
                &[Category::LargeFund, Category::KeyAppointment]
            ),
            Ratio::TWO_THIRDS,
            "an agenda with a personnel item needs two thirds"
        );
        q.by_meeting_type
            .insert(MeetingType::PartyGroup, r(3, 4, true));
        assert_eq!(
            q.required(MeetingType::PartyGroup, &[Category::KeyAppointment]),
            r(3, 4, true)
        );
        assert_eq!(
            q.required(MeetingType::HeadOffice, &[Category::KeyAppointment]),
            Ratio::TWO_THIRDS
        );
        // A looser per-category ratio never weakens the default.
        q.by_category.insert(Category::MajorProject, r(1, 3, true));
        assert_eq!(
            q.required(MeetingType::Joint, &[Category::MajorProject]),
            Ratio::MORE_THAN_HALF
        );
    }

    #[test]
    fn defaults_match_spec() {
        let s = UnitSettings::default();
        assert_eq!(s.fund_threshold.to_string(), "100000.00");
        assert_eq!(s.quorum.default, Ratio::MORE_THAN_HALF);
        assert_eq!(
            s.quorum.by_category.get(&Category::KeyAppointment),
            Some(&Ratio::TWO_THIRDS)
        );
        assert!(s.quorum.by_meeting_type.is_empty());
        assert_eq!(s.split_margin, 1);
        assert_eq!(
            (s.publication_days, s.publication_day_kind),
            (2, DayKind::Working)
        );
        assert_eq!(s.session_idle_minutes, 30);
        assert_eq!(s.upload_limit_bytes, 52_428_800);
        assert_eq!(s.split_window_days, 90);
        assert_eq!(s.deferral_lapse_days, 365);
        assert!(!s.secret_ballot_always);
        assert_eq!(
            s.deadline_days,
            DeadlineDays {
                urgent: 1,
                expedited: 3,
                normal: 7
            }
        );
        assert_eq!(s.minutes_header, None);
        s.validate().unwrap();
    }

    #[test]
    fn serde_wire_shape() {
        let v = serde_json::to_value(UnitSettings::default()).unwrap();
        assert_eq!(
            v,
            json!({
                "fund_threshold": "100000.00",
                "quorum": {
                    "default": {"num": 1, "den": 2, "inclusive": false},
                    "by_category": {"key_appointment": {"num": 2, "den": 3, "inclusive": true}},
                    "by_meeting_type": {}
                },
                "split_margin": 1,
                "publication_days": 2,
                "publication_day_kind": "working",
                "session_idle_minutes": 30,
                "upload_limit_bytes": 52428800,
                "split_window_days": 90,
                "deferral_lapse_days": 365,
                "secret_ballot_always": false,
                "deadline_days": {"urgent": 1, "expedited": 3, "normal": 7},
                "minutes_header": null
            })
        );
        let back: UnitSettings = serde_json::from_value(v).unwrap();
        assert_eq!(back, UnitSettings::default());
        // Stored settings from an older version (fewer fields) load with defaults.
        let old: UnitSettings = serde_json::from_value(json!({"split_margin": 2})).unwrap();
        assert_eq!(old.split_margin, 2);
        assert_eq!(old.publication_days, 2);
    }

    #[test]
    fn merge_changes_only_sent_fields() {
        let base = UnitSettings::default();
        let s = base
            .merge(&json!({"fund_threshold": "200000", "publication_day_kind": "calendar"}))
            .unwrap();
        assert_eq!(s.fund_threshold, Money::yuan(200_000));
        assert_eq!(s.publication_day_kind, DayKind::Calendar);
        let expected = UnitSettings {
            fund_threshold: Money::yuan(200_000),
            publication_day_kind: DayKind::Calendar,
            ..UnitSettings::default()
        };
        assert_eq!(s, expected);
        // An empty patch changes nothing.
        assert_eq!(base.merge(&json!({})).unwrap(), base);
    }

    #[test]
    fn r08_merge_quorum_maps_by_key() {
        let base = UnitSettings::default();
        let s = base
            .merge(&json!({"quorum": {"by_meeting_type": {"party_group": {"num": 3, "den": 4, "inclusive": true}}}}))
            .unwrap();
        assert_eq!(s.quorum.default, Ratio::MORE_THAN_HALF, "default untouched");
        assert_eq!(
            s.quorum.by_category.get(&Category::KeyAppointment),
            Some(&Ratio::TWO_THIRDS),
            "by_category untouched"
        );
        assert_eq!(
            s.quorum.by_meeting_type.get(&MeetingType::PartyGroup),
            Some(&r(3, 4, true))
        );
        let s2 = s
            .merge(&json!({"quorum": {
                "by_category": {"large_fund": {"num": 2, "den": 3, "inclusive": false}, "key_appointment": null},
                "default": {"num": 1, "den": 2, "inclusive": true}
            }}))
            .unwrap();
        assert_eq!(s2.quorum.default, r(1, 2, true));
        assert_eq!(
            s2.quorum.by_category.get(&Category::LargeFund),
            Some(&r(2, 3, false))
        );
        assert_eq!(
            s2.quorum.by_category.get(&Category::KeyAppointment),
            None,
            "null removes an override"
        );
        assert_eq!(
            s2.quorum.by_meeting_type.get(&MeetingType::PartyGroup),
            Some(&r(3, 4, true))
        );
    }

    #[test]
    fn merge_nested_deadlines_and_header() {
        let s = UnitSettings::default()
            .merge(&json!({"deadline_days": {"normal": 10}, "minutes_header": "  市国土资源局党组会议纪要 ", "secret_ballot_always": true}))
            .unwrap();
        assert_eq!(
            s.deadline_days,
            DeadlineDays {
                urgent: 1,
                expedited: 3,
                normal: 10
            }
        );
        assert_eq!(
            s.minutes_header.as_deref(),
            Some("市国土资源局党组会议纪要")
        );
        assert!(s.secret_ballot_always);
        let cleared = s.merge(&json!({"minutes_header": null})).unwrap();
        assert_eq!(cleared.minutes_header, None);
    }

    #[test]
    fn merge_refuses_bad_values_naming_the_field() {
        let base = UnitSettings::default();
        let cases = [
            (json!({"colour": "red"}), "colour"),
            (json!({"fund_threshold": 100000}), "fund_threshold"),
            (json!({"fund_threshold": "-1"}), "fund_threshold"),
            (json!({"fund_threshold": "1e5"}), "fund_threshold"),
            (json!({"split_margin": -1}), "split_margin"),
            (json!({"split_margin": 1.5}), "split_margin"),
            (json!({"split_margin": "1"}), "split_margin"),
            (json!({"publication_days": 0}), "publication_days"),
            (
                json!({"publication_day_kind": "weekly"}),
                "publication_day_kind",
            ),
            (json!({"publication_day_kind": 1}), "publication_day_kind"),
            (json!({"session_idle_minutes": 0}), "session_idle_minutes"),
            (json!({"upload_limit_bytes": 0}), "upload_limit_bytes"),
            (json!({"split_window_days": 0}), "split_window_days"),
            (json!({"deferral_lapse_days": null}), "deferral_lapse_days"),
            (
                json!({"secret_ballot_always": "yes"}),
                "secret_ballot_always",
            ),
            (
                json!({"deadline_days": {"urgent": 0}}),
                "deadline_days.urgent",
            ),
            (json!({"deadline_days": {"slow": 3}}), "deadline_days.slow"),
            (json!({"minutes_header": ""}), "minutes_header"),
            (json!({"minutes_header": "a\nb"}), "minutes_header"),
            (json!({"quorum": 5}), "quorum"),
            (json!({"quorum": {"minimum": 3}}), "quorum.minimum"),
            (
                json!({"quorum": {"default": {"num": 0, "den": 2, "inclusive": true}}}),
                "quorum.default",
            ),
            (
                json!({"quorum": {"default": {"num": 3, "den": 2, "inclusive": true}}}),
                "quorum.default",
            ),
            (
                json!({"quorum": {"default": {"num": 1, "den": 0, "inclusive": true}}}),
                "quorum.default",
            ),
            (
                json!({"quorum": {"default": {"num": 1, "den": 1, "inclusive": false}}}),
                "quorum.default",
            ),
            (
                json!({"quorum": {"default": {"num": 1, "den": 2}}}),
                "quorum.default.inclusive",
            ),
            (
                json!({"quorum": {"default": {"num": 1, "den": 2, "inclusive": true, "x": 1}}}),
                "quorum.default.x",
            ),
            (
                json!({"quorum": {"by_category": {"bribes": {"num": 1, "den": 2, "inclusive": true}}}}),
                "quorum.by_category",
            ),
            (
                json!({"quorum": {"by_category": {"large_fund": {"num": 5, "den": 4, "inclusive": true}}}}),
                "quorum.by_category.large_fund",
            ),
            (
                json!({"quorum": {"by_meeting_type": {"party": null}}}),
                "quorum.by_meeting_type",
            ),
            (json!([1, 2]), "settings"),
        ];
        for (patch, field) in cases {
            let e = base.merge(&patch).expect_err(&patch.to_string());
            assert_eq!(e.code, "invalid", "{patch}");
            assert_eq!(e.field(), Some(field), "{patch}: {}", e.message);
            assert!(!e.message.is_empty());
        }
        // A patch with one good and one bad field is refused as a whole.
        let e = base
            .merge(&json!({"split_margin": 3, "publication_days": 0}))
            .unwrap_err();
        assert_eq!(e.field(), Some("publication_days"));
        assert_eq!(base, UnitSettings::default());
    }

    #[test]
    fn validate_catches_bad_stored_values() {
        let mut s = UnitSettings::default();
        s.quorum
            .by_meeting_type
            .insert(MeetingType::Joint, r(0, 3, true));
        assert_eq!(
            s.validate().unwrap_err().field(),
            Some("quorum.by_meeting_type.joint")
        );
        let s = UnitSettings {
            publication_days: 0,
            ..UnitSettings::default()
        };
        assert_eq!(s.validate().unwrap_err().field(), Some("publication_days"));
    }

    #[test]
    fn r01_threshold_is_inclusive() {
        let s = UnitSettings::default();
        assert!(s.requires_collective_decision(Money::parse("100000.00").unwrap()));
        assert!(!s.requires_collective_decision(Money::parse("99999.99").unwrap()));
    }

    #[test]
    fn r16_publication_window_counts_working_or_calendar_days() {
        let cal = WorkCalendar::with_china_2026();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let s = UnitSettings::default();
        // Published Wednesday 2026-09-30 10:00 Shanghai: two working days are 10-08 and 10-09,
        // so it closes at the end of Friday 10-09 (16:00 UTC).
        assert_eq!(
            s.publication_closes_at(&cal, at("2026-09-30T02:00:00Z")),
            at("2026-10-09T16:00:00Z")
        );
        // Published late Monday evening Shanghai (still Monday locally): closes end of Wednesday.
        assert_eq!(
            s.publication_closes_at(&cal, at("2026-03-02T15:30:00Z")),
            at("2026-03-04T16:00:00Z")
        );
        let s = s
            .merge(&json!({"publication_day_kind": "calendar"}))
            .unwrap();
        assert_eq!(
            s.publication_closes_at(&cal, at("2026-09-30T02:00:00Z")),
            at("2026-10-02T16:00:00Z")
        );
    }

    #[test]
    fn d02_default_deadline_by_urgency_in_working_days() {
        let cal = WorkCalendar::with_china_2026();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let s = UnitSettings::default();
        assert_eq!(
            s.default_deadline(&cal, d("2026-09-30"), Urgency::Urgent),
            d("2026-10-08")
        );
        assert_eq!(
            s.default_deadline(&cal, d("2026-09-30"), Urgency::Expedited),
            d("2026-10-10")
        );
        assert_eq!(
            s.default_deadline(&cal, d("2026-09-30"), Urgency::Normal),
            d("2026-10-15")
        );
    }
}
