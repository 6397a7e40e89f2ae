//! The per-unit working-day calendar (R06 notice period, R16 publication window, D02
//! deadlines, R45). A day is a working day unless it is a weekend or a public holiday;
//! 调休 make-up workdays (weekend days declared working) override both.
//!
//! Dates are calendar dates in Asia/Shanghai (see [`crate::time::local_date`]).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{DomainError, DomainResult};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkCalendar {
    /// Public holidays (法定节假日 and the days moved around them), including ones that fall on weekends.
    pub holidays: BTreeSet<NaiveDate>,
    /// 调休 make-up days: weekend days that ARE working days. They win over `holidays`.
    pub workdays: BTreeSet<NaiveDate>,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl WorkCalendar {
    /// An empty calendar (weekends only) with China's 2026 arrangement merged in.
    pub fn with_china_2026() -> Self {
        let (holidays, workdays) = china_2026();
        WorkCalendar {
            holidays: holidays.into_iter().collect(),
            workdays: workdays.into_iter().collect(),
        }
    }

    /// Workdays win, then holidays and weekends are off, every other day is a working day.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        !(self.holidays.contains(&d) || is_weekend(d))
    }

    /// The first working day strictly after `d`.
    pub fn next_working_day_after(&self, d: NaiveDate) -> NaiveDate {
        let mut cur = d;
        // Terminates: holidays are finite and every week has weekdays.
        // At the end of chrono's date range we stop rather than panic.
        while let Some(next) = cur.succ_opt() {
            cur = next;
            if self.is_working_day(cur) {
                return cur;
            }
        }
        cur
    }

    /// R06: a notice sent on `notice_date` allows a meeting on or after the first working day
    /// strictly after it (both dates in Asia/Shanghai).
    pub fn earliest_meeting_date(&self, notice_date: NaiveDate) -> NaiveDate {
        self.next_working_day_after(notice_date)
    }

    /// R06: whether a meeting on `meeting_date` had the required notice when it was sent on
    /// `notice_date`. `false` means a shortened notice, which needs an urgency reason.
    pub fn notice_period_met(&self, notice_date: NaiveDate, meeting_date: NaiveDate) -> bool {
        meeting_date >= self.earliest_meeting_date(notice_date)
    }

    /// The `n`-th working day strictly after `d`; `n == 0` gives `d` itself.
    pub fn add_working_days(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut cur = d;
        for _ in 0..n {
            let next = self.next_working_day_after(cur);
            if next == cur {
                break; // end of the representable range
            }
            cur = next;
        }
        cur
    }

    /// Number of working days in `(from, to]`; negative (the count in `(to, from]`) when `to < from`.
    /// So `working_days_between(a, b) == -working_days_between(b, a)`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        // Weekdays in (from, to] by whole weeks plus a remainder, then the exceptions from the sets.
        let days = (to - from).num_days();
        let mut count = (days / 7) * 5;
        let mut cur = from + chrono::Days::new(u64::try_from((days / 7) * 7).unwrap_or(0));
        while cur < to {
            match cur.succ_opt() {
                Some(next) => cur = next,
                None => break,
            }
            if !is_weekend(cur) {
                count += 1;
            }
        }
        let in_range = |set: &BTreeSet<NaiveDate>| {
            set.range((
                std::ops::Bound::Excluded(from),
                std::ops::Bound::Included(to),
            ))
            .copied()
            .collect::<Vec<_>>()
        };
        // A weekday holiday is a lost working day (unless also listed as a workday).
        for h in in_range(&self.holidays) {
            if !is_weekend(h) && !self.workdays.contains(&h) {
                count -= 1;
            }
        }
        // A weekend make-up day is an extra working day.
        for w in in_range(&self.workdays) {
            if is_weekend(w) {
                count += 1;
            }
        }
        count
    }

    /// Replaces `year`'s holidays and workdays (API `PUT /units/{unit}/calendar/{year}`).
    /// Refuses, changing nothing: a date outside `year`, a date in both lists, a workday that is
    /// not a Saturday or Sunday, a date listed twice.
    pub fn merge_year(
        &mut self,
        year: i32,
        holidays: Vec<NaiveDate>,
        workdays: Vec<NaiveDate>,
    ) -> DomainResult<()> {
        let mut hs = BTreeSet::new();
        for d in &holidays {
            if d.year() != year {
                return Err(DomainError::invalid(
                    "holidays",
                    format!("节假日 {d} 不在 {year} 年内，请只填写该年份的日期"),
                )
                .with_details(json!({"field": "holidays", "date": d.to_string()})));
            }
            if !hs.insert(*d) {
                return Err(DomainError::invalid(
                    "holidays",
                    format!("节假日 {d} 重复填写，请删除重复项"),
                )
                .with_details(json!({"field": "holidays", "date": d.to_string()})));
            }
        }
        let mut ws = BTreeSet::new();
        for d in &workdays {
            if d.year() != year {
                return Err(DomainError::invalid(
                    "workdays",
                    format!("调休工作日 {d} 不在 {year} 年内，请只填写该年份的日期"),
                )
                .with_details(json!({"field": "workdays", "date": d.to_string()})));
            }
            if !is_weekend(*d) {
                return Err(DomainError::invalid(
                    "workdays",
                    format!("{d} 不是周六或周日，本来就是工作日，不必列为调休工作日"),
                )
                .with_details(json!({"field": "workdays", "date": d.to_string()})));
            }
            if hs.contains(d) {
                return Err(DomainError::invalid(
                    "workdays",
                    format!("{d} 同时出现在节假日和调休工作日中，请只保留其一"),
                )
                .with_details(json!({"field": "workdays", "date": d.to_string()})));
            }
            if !ws.insert(*d) {
                return Err(DomainError::invalid(
                    "workdays",
                    format!("调休工作日 {d} 重复填写，请删除重复项"),
                )
                .with_details(json!({"field": "workdays", "date": d.to_string()})));
            }
        }
        self.holidays.retain(|d| d.year() != year);
        self.workdays.retain(|d| d.year() != year);
        self.holidays.extend(hs);
        self.workdays.extend(ws);
        Ok(())
    }

    /// The holidays and workdays of one year (for `GET` of a year's calendar).
    pub fn year(&self, year: i32) -> (Vec<NaiveDate>, Vec<NaiveDate>) {
        let of = |s: &BTreeSet<NaiveDate>| s.iter().copied().filter(|d| d.year() == year).collect();
        (of(&self.holidays), of(&self.workdays))
    }
}

fn span(y: i32, m: u32, from: u32, to: u32) -> impl Iterator<Item = NaiveDate> {
    (from..=to).filter_map(move |d| NaiveDate::from_ymd_opt(y, m, d))
}

/// China's public holidays and 调休 workdays for 2026, as a default seed for a new unit's
/// calendar: `(holidays, workdays)`.
///
/// Source: 国务院办公厅关于2026年部分节假日安排的通知 (published in November 2025):
/// - 元旦: 1月1日（周四）至3日（周六）放假, 1月4日（周日）上班.
/// - 春节: 2月15日（周日）至23日（周一）放假, 2月14日（周六）、2月28日（周六）上班.
/// - 清明节: 4月4日（周六）至6日（周一）放假.
/// - 劳动节: 5月1日（周五）至5日（周二）放假, 5月9日（周六）上班.
/// - 端午节: 6月19日（周五）至21日（周日）放假.
/// - 中秋节: 9月25日（周五）至27日（周日）放假.
/// - 国庆节: 10月1日（周四）至7日（周三）放假, 9月20日（周日）、10月10日（周六）上班.
///
/// Note: transcribed from the notice as summarised in the project brief and checked for
/// consistency (weekdays match, every make-up workday falls on a weekend, no date is both);
/// not re-checked against the published text here. Units edit their calendar through the API anyway (R06 "editable per unit"),
/// and the clerk should compare it with the notice when setting a unit up.
pub fn china_2026() -> (Vec<NaiveDate>, Vec<NaiveDate>) {
    let holidays = span(2026, 1, 1, 3)
        .chain(span(2026, 2, 15, 23))
        .chain(span(2026, 4, 4, 6))
        .chain(span(2026, 5, 1, 5))
        .chain(span(2026, 6, 19, 21))
        .chain(span(2026, 9, 25, 27))
        .chain(span(2026, 10, 1, 7))
        .collect();
    let workdays = [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]
        .into_iter()
        .filter_map(|(m, d)| NaiveDate::from_ymd_opt(2026, m, d))
        .collect();
    (holidays, workdays)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::with_china_2026()
    }

    /// Brute-force reference for `working_days_between`.
    fn naive_between(c: &WorkCalendar, from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut n = 0;
        let mut cur = lo;
        while cur < hi {
            cur = cur.succ_opt().unwrap();
            if c.is_working_day(cur) {
                n += 1;
            }
        }
        sign * n
    }

    #[test]
    fn china_2026_seed_is_consistent() {
        let (h, w) = china_2026();
        assert_eq!(h.len(), 3 + 9 + 3 + 5 + 3 + 3 + 7);
        assert_eq!(w.len(), 6);
        for x in &w {
            assert!(is_weekend(*x), "{x} must be a weekend day");
            assert!(!h.contains(x));
        }
        let mut c = WorkCalendar::default();
        c.merge_year(2026, h, w).unwrap();
        assert_eq!(c, cal());
    }

    #[test]
    fn r06_weekend_holiday_and_makeup_workday() {
        let c = cal();
        assert!(c.is_working_day(d("2026-03-02")), "plain Monday");
        assert!(!c.is_working_day(d("2026-03-07")), "plain Saturday");
        assert!(!c.is_working_day(d("2026-03-08")), "plain Sunday");
        assert!(!c.is_working_day(d("2026-10-01")), "国庆 Thursday");
        assert!(!c.is_working_day(d("2026-10-05")), "国庆 Monday");
        assert!(
            !c.is_working_day(d("2026-01-03")),
            "元旦 holiday on a Saturday"
        );
        assert!(c.is_working_day(d("2026-01-04")), "调休 Sunday");
        assert!(c.is_working_day(d("2026-09-20")), "调休 Sunday before 国庆");
        assert!(
            c.is_working_day(d("2026-10-10")),
            "调休 Saturday after 国庆"
        );
        assert!(
            c.is_working_day(d("2026-02-14")),
            "调休 Saturday before 春节"
        );
        assert!(!c.is_working_day(d("2026-02-23")), "春节 Monday");
        assert!(c.is_working_day(d("2026-02-24")));
    }

    #[test]
    fn r06_workday_wins_over_holiday() {
        let mut c = WorkCalendar::default();
        c.holidays.insert(d("2026-03-07"));
        c.workdays.insert(d("2026-03-07"));
        assert!(c.is_working_day(d("2026-03-07")));
        assert_eq!(c.working_days_between(d("2026-03-06"), d("2026-03-08")), 1);
    }

    #[test]
    fn r06_next_working_day_is_strictly_after() {
        let c = cal();
        assert_eq!(c.next_working_day_after(d("2026-03-02")), d("2026-03-03"));
        assert_eq!(
            c.next_working_day_after(d("2026-03-06")),
            d("2026-03-09"),
            "Friday → Monday"
        );
        assert_eq!(
            c.next_working_day_after(d("2026-09-30")),
            d("2026-10-08"),
            "over 国庆"
        );
        assert_eq!(
            c.next_working_day_after(d("2026-09-18")),
            d("2026-09-20"),
            "Friday → 调休 Sunday"
        );
        assert_eq!(c.next_working_day_after(d("2026-02-13")), d("2026-02-14"));
        assert_eq!(
            c.next_working_day_after(d("2026-02-14")),
            d("2026-02-24"),
            "over 春节"
        );
    }

    #[test]
    fn r06_notice_at_least_one_working_day_before() {
        let c = cal();
        // Notice on Monday: Tuesday is fine, the same day is not.
        assert!(c.notice_period_met(d("2026-03-02"), d("2026-03-03")));
        assert!(!c.notice_period_met(d("2026-03-02"), d("2026-03-02")));
        // Notice on Friday: Saturday/Sunday are not working days, Monday is the earliest.
        assert!(!c.notice_period_met(d("2026-03-06"), d("2026-03-08")));
        assert!(c.notice_period_met(d("2026-03-06"), d("2026-03-09")));
        // Notice on the eve of 国庆: nothing before 10-08.
        assert_eq!(c.earliest_meeting_date(d("2026-09-30")), d("2026-10-08"));
        assert!(!c.notice_period_met(d("2026-09-30"), d("2026-10-07")));
        // Notice on Friday before a 调休 Sunday: the Sunday is a working day.
        assert!(c.notice_period_met(d("2026-09-18"), d("2026-09-20")));
        // Notice sent on a holiday: the next working day is still the earliest.
        assert_eq!(c.earliest_meeting_date(d("2026-10-03")), d("2026-10-08"));
    }

    #[test]
    fn r06_year_boundaries() {
        let c = cal();
        // 2025-12-31 is a Wednesday; 2026-01-01..03 off, 01-04 (Sunday) is a make-up day.
        assert!(c.is_working_day(d("2025-12-31")));
        assert_eq!(c.next_working_day_after(d("2025-12-31")), d("2026-01-04"));
        assert_eq!(c.add_working_days(d("2025-12-30"), 2), d("2026-01-04"));
        // 2026-12-31 is a Thursday; without a 2027 calendar, 2027-01-01 (Friday) counts as working.
        assert_eq!(c.next_working_day_after(d("2026-12-31")), d("2027-01-01"));
        assert_eq!(c.working_days_between(d("2025-12-31"), d("2026-01-05")), 2);
    }

    #[test]
    fn r06_add_working_days_over_national_day_week() {
        let c = cal();
        assert_eq!(c.add_working_days(d("2026-09-29"), 0), d("2026-09-29"));
        assert_eq!(c.add_working_days(d("2026-09-29"), 1), d("2026-09-30"));
        assert_eq!(c.add_working_days(d("2026-09-29"), 2), d("2026-10-08"));
        assert_eq!(c.add_working_days(d("2026-09-29"), 3), d("2026-10-09"));
        assert_eq!(
            c.add_working_days(d("2026-09-29"), 4),
            d("2026-10-10"),
            "调休 Saturday"
        );
        assert_eq!(c.add_working_days(d("2026-09-29"), 5), d("2026-10-12"));
        // D02 default normal deadline of 7 working days from the eve of the holiday.
        assert_eq!(c.add_working_days(d("2026-09-30"), 7), d("2026-10-15"));
        // Starting on a holiday counts from the next working day.
        assert_eq!(c.add_working_days(d("2026-10-03"), 1), d("2026-10-08"));
    }

    #[test]
    fn r06_working_days_between_counts_half_open_interval_and_is_antisymmetric() {
        let c = cal();
        assert_eq!(c.working_days_between(d("2026-03-02"), d("2026-03-02")), 0);
        assert_eq!(c.working_days_between(d("2026-03-02"), d("2026-03-03")), 1);
        assert_eq!(c.working_days_between(d("2026-03-06"), d("2026-03-09")), 1);
        assert_eq!(c.working_days_between(d("2026-09-30"), d("2026-10-08")), 1);
        // Sep 20 (调休), Sep 21–24 (25th is 中秋), Sep 28–30, Oct 8–9, Oct 10 (调休), Oct 12.
        assert_eq!(c.working_days_between(d("2026-09-18"), d("2026-10-12")), 12);
        assert_eq!(c.working_days_between(d("2026-10-08"), d("2026-09-30")), -1);
        // A whole year: 261 weekdays in 2026, minus weekday holidays, plus make-up days.
        let (h, w) = china_2026();
        let weekday_holidays = h.iter().filter(|x| !is_weekend(**x)).count() as i64;
        assert_eq!(
            c.working_days_between(d("2025-12-31"), d("2026-12-31")),
            261 - weekday_holidays + w.len() as i64
        );
        // Against brute force over many pairs, both directions.
        let start = d("2025-12-20");
        for i in (0..420).step_by(7) {
            for j in (0..420).step_by(5) {
                let a = start + chrono::Days::new(i);
                let b = start + chrono::Days::new(j);
                assert_eq!(
                    c.working_days_between(a, b),
                    naive_between(&c, a, b),
                    "{a} {b}"
                );
                assert_eq!(c.working_days_between(a, b), -c.working_days_between(b, a));
            }
        }
    }

    #[test]
    fn add_and_between_agree() {
        let c = cal();
        let start = d("2026-09-15");
        for n in 0..30 {
            let end = c.add_working_days(start, n);
            assert_eq!(c.working_days_between(start, end), i64::from(n));
            if n > 0 {
                assert!(c.is_working_day(end));
            }
        }
    }

    #[test]
    fn r06_merge_year_replaces_only_that_year() {
        let mut c = cal();
        c.merge_year(2027, vec![d("2027-01-01")], vec![]).unwrap();
        c.merge_year(2026, vec![d("2026-10-01")], vec![d("2026-10-10")])
            .unwrap();
        assert_eq!(c.year(2026), (vec![d("2026-10-01")], vec![d("2026-10-10")]));
        assert_eq!(c.year(2027), (vec![d("2027-01-01")], vec![]));
        assert!(c.is_working_day(d("2026-10-02")));
        assert!(!c.is_working_day(d("2027-01-01")));
    }

    #[test]
    fn r06_merge_year_refuses_bad_input_and_changes_nothing() {
        let before = cal();
        let cases: Vec<(Vec<NaiveDate>, Vec<NaiveDate>, &str)> = vec![
            (vec![d("2025-12-31")], vec![], "holidays"),
            (vec![], vec![d("2027-01-02")], "workdays"),
            (vec![d("2026-10-01"), d("2026-10-01")], vec![], "holidays"),
            (vec![], vec![d("2026-10-10"), d("2026-10-10")], "workdays"),
            (vec![], vec![d("2026-10-09")], "workdays"),
            (vec![d("2026-10-10")], vec![d("2026-10-10")], "workdays"),
        ];
        for (h, w, field) in cases {
            let mut c = before.clone();
            let e = c.merge_year(2026, h.clone(), w.clone()).unwrap_err();
            assert_eq!(e.code, "invalid");
            assert_eq!(e.field(), Some(field), "{h:?} {w:?}: {}", e.message);
            assert!(e.details["date"].is_string());
            assert_eq!(c, before, "refused merge must change nothing");
        }
    }

    #[test]
    fn serde_round_trip_uses_iso_dates() {
        let mut c = WorkCalendar::default();
        c.merge_year(2026, vec![d("2026-10-01")], vec![d("2026-10-10")])
            .unwrap();
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            json!({"holidays": ["2026-10-01"], "workdays": ["2026-10-10"]})
        );
        let back: WorkCalendar = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }
}
