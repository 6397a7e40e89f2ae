//! WorkCalendar::merge_year (PUT /units/{unit}/calendar/{year}) and the working-day
//! arithmetic on the merged calendar: never panics or hangs; a refused merge changes
//! nothing; an accepted one stores exactly the given year.
#![no_main]
use arbitrary::Arbitrary;
use chrono::{Datelike, Duration, NaiveDate};
use libfuzzer_sys::fuzz_target;
use yishi_domain::calendar::WorkCalendar;

#[derive(Arbitrary, Debug)]
struct Input {
    year_offset: i8,
    holidays: Vec<u16>,
    workdays: Vec<u16>,
    probe: u16,
    n: u8,
    json: bool,
}

fn day(year: i32, offset: u16) -> Option<NaiveDate> {
    // Offsets reach a little past the year on both sides (refusals are exercised too).
    NaiveDate::from_ymd_opt(year, 1, 1)?.checked_add_signed(Duration::days(i64::from(offset % 420) - 30))
}

fuzz_target!(|inp: Input| {
    let year = 2026 + i32::from(inp.year_offset % 5);
    let hs: Vec<NaiveDate> = inp.holidays.iter().take(400).filter_map(|o| day(year, *o)).collect();
    let ws: Vec<NaiveDate> = inp.workdays.iter().take(400).filter_map(|o| day(year, *o)).collect();
    let (hs, ws) = if inp.json {
        // The same lists through the wire format (what the handler deserialises).
        let j = serde_json::json!({ "holidays": hs, "workdays": ws });
        let back_h: Vec<NaiveDate> = serde_json::from_value(j["holidays"].clone()).unwrap_or_default();
        let back_w: Vec<NaiveDate> = serde_json::from_value(j["workdays"].clone()).unwrap_or_default();
        (back_h, back_w)
    } else {
        (hs, ws)
    };
    let mut cal = WorkCalendar::with_china_2026();
    let before = cal.clone();
    match cal.merge_year(year, hs.clone(), ws.clone()) {
        Err(_) => assert_eq!(cal, before, "a refused merge changed the calendar"),
        Ok(()) => {
            let (h, w) = cal.year(year);
            let mut hs2 = hs.clone();
            hs2.sort();
            hs2.dedup();
            let mut ws2 = ws.clone();
            ws2.sort();
            ws2.dedup();
            assert_eq!(h, hs2);
            assert_eq!(w, ws2);
            assert!(w.iter().all(|d| !h.contains(d)));
            assert!(h.iter().chain(w.iter()).all(|d| d.year() == year));
            // Other years untouched.
            assert_eq!(cal.year(year + 1), before.year(year + 1));
        }
    }
    // Arithmetic around the merged year terminates and is consistent.
    if let Some(p) = day(year, inp.probe) {
        let next = cal.next_working_day_after(p);
        assert!(next > p && cal.is_working_day(next));
        let earliest = cal.earliest_meeting_date(p);
        assert!(cal.notice_period_met(p, earliest));
        let later = cal.add_working_days(p, u32::from(inp.n % 40));
        assert!(later >= p);
        let between = cal.working_days_between(p, later);
        assert!(between >= 0);
    }
});
