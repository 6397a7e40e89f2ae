//! Money::parse (R01 amounts from untrusted JSON): never panics; what it accepts is a
//! plain non-negative decimal with at most two decimals, within the limit, and prints back
//! to an equal amount.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yishi_domain::money::Money;

fuzz_target!(|s: &str| {
    if let Ok(m) = Money::parse(s) {
        assert!(m.fen() >= 0, "negative amount from {s:?}");
        assert!(m.fen() <= Money::MAX_YUAN * 100, "amount above the limit from {s:?}");
        assert!(s.bytes().all(|b| b.is_ascii_digit() || b == b'.'), "accepted a non-decimal {s:?}");
        let printed = m.to_string();
        assert_eq!(Money::parse(&printed).ok(), Some(m), "{s:?} → {printed:?} does not round-trip");
        // Same value as an exact decimal.
        let d = m.to_decimal();
        assert_eq!(Money::from_decimal(d).ok(), Some(m));
    }
    let _ = Money::parse_field(s, "fund_threshold");
});
