//! R45: time is stored in UTC and shown in Asia/Shanghai; "dates" (meeting day, notice day,
//! deadlines, calendar entries) are Shanghai calendar dates.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

pub const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// The Shanghai calendar date of an instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&SHANGHAI).date_naive()
}

/// The instant at which `d` begins in Shanghai (00:00 local).
pub fn local_start_of_day(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_time(chrono::NaiveTime::MIN);
    match SHANGHAI.from_local_datetime(&midnight).earliest() {
        Some(t) => t.with_timezone(&Utc),
        // Only reachable in a historical DST gap (China used DST 1986–1991, switching at 02:00,
        // so midnight always exists); fall back to the standard offset, UTC+8.
        None => midnight.and_utc() - Duration::hours(8),
    }
}

/// The instant at which the day after `d` begins in Shanghai (exclusive end of `d`).
pub fn local_end_of_day(d: NaiveDate) -> DateTime<Utc> {
    match d.succ_opt() {
        Some(next) => local_start_of_day(next),
        None => local_start_of_day(d) + Duration::days(1),
    }
}

/// `"2026-11-22 14:05"` in Shanghai time.
pub fn format_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&SHANGHAI)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// `"2026年11月22日"`: the date style of Chinese official documents (成文日期 uses Arabic numerals, P02).
pub fn format_chinese_date(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn r45_local_date_crosses_midnight_at_16_utc() {
        assert_eq!(local_date(utc("2026-11-21T15:59:59Z")), d("2026-11-21"));
        assert_eq!(local_date(utc("2026-11-21T16:00:00Z")), d("2026-11-22"));
        assert_eq!(local_date(utc("2026-12-31T16:30:00Z")), d("2027-01-01"));
    }

    #[test]
    fn r45_start_and_end_of_local_day() {
        assert_eq!(
            local_start_of_day(d("2026-11-22")),
            utc("2026-11-21T16:00:00Z")
        );
        assert_eq!(
            local_end_of_day(d("2026-11-22")),
            utc("2026-11-22T16:00:00Z")
        );
        assert_eq!(
            local_date(local_start_of_day(d("2026-01-01"))),
            d("2026-01-01")
        );
        // Historical DST year: midnight still exists and maps to a consistent instant.
        let t = local_start_of_day(d("1990-07-01"));
        assert_eq!(local_date(t), d("1990-07-01"));
    }

    #[test]
    fn r45_format_local_shows_shanghai_time() {
        assert_eq!(
            format_local(utc("2026-11-22T06:05:00Z")),
            "2026-11-22 14:05"
        );
        assert_eq!(
            format_local(utc("2026-11-21T23:59:00Z")),
            "2026-11-22 07:59"
        );
        assert_eq!(format_chinese_date(d("2026-03-05")), "2026年3月5日");
    }
}
