//! Exact amounts in yuan, stored as integer 分 (fen). Never floating point (R01: the
//! large-fund threshold comparison must be exact). On the wire a `Money` is a decimal
//! string in yuan with two decimals, e.g. `"120000.00"` (API.md Conventions).

use std::fmt;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{DomainError, DomainResult};

/// An amount of money in 分. Values made by [`Money::parse`] / [`Money::from_decimal`]
/// are non-negative and at most [`Money::MAX_YUAN`] yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

const FEN_PER_YUAN: i64 = 100;

impl Money {
    /// Largest amount accepted from input: 10^13 yuan (far above any budget, far below i64).
    pub const MAX_YUAN: i64 = 10_000_000_000_000;
    const MAX_FEN: i64 = Self::MAX_YUAN * FEN_PER_YUAN;

    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Whole yuan (saturating, so it cannot overflow).
    pub const fn yuan(n: i64) -> Money {
        Money(n.saturating_mul(FEN_PER_YUAN))
    }

    /// Parses a plain decimal amount in yuan: ASCII digits, optionally `.` and one or two
    /// digits (`"120000"`, `"120000.5"`, `"120000.00"`). No sign, exponent, grouping
    /// separators or surrounding spaces; at most 10^13 yuan.
    pub fn parse(s: &str) -> DomainResult<Money> {
        Self::parse_field(s, "amount")
    }

    /// [`Money::parse`] with the error naming `field` (e.g. `"fund_threshold"`).
    pub fn parse_field(s: &str, field: &str) -> DomainResult<Money> {
        let bad = |why: &str| {
            DomainError::invalid(
                field,
                format!(
                    "金额“{s}”格式不正确：{why}。请填写以元为单位的非负数，最多两位小数，例如 120000.00"
                ),
            )
        };
        if s.is_empty() {
            return Err(bad("金额不能为空"));
        }
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(
                "只能包含数字和小数点，不能有符号、空格、千分位或科学计数法",
            ));
        }
        let frac_fen: i64 = match frac_part {
            None => 0,
            Some("") => return Err(bad("小数点后缺少数字")),
            Some(f) if !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(bad(
                    "只能包含数字和小数点，不能有符号、空格、千分位或科学计数法",
                ));
            }
            Some(f) if f.len() > 2 => return Err(bad("最多保留两位小数（精确到分）")),
            Some(f) => {
                let digits: i64 = f.bytes().fold(0, |acc, b| acc * 10 + i64::from(b - b'0'));
                if f.len() == 1 { digits * 10 } else { digits }
            }
        };
        let mut yuan: i64 = 0;
        for b in int_part.bytes() {
            yuan = yuan
                .checked_mul(10)
                .and_then(|y| y.checked_add(i64::from(b - b'0')))
                .filter(|y| *y <= Self::MAX_YUAN)
                .ok_or_else(|| bad("金额超过上限（10万亿元）"))?;
        }
        let fen = yuan * FEN_PER_YUAN + frac_fen;
        if fen > Self::MAX_FEN {
            return Err(bad("金额超过上限（10万亿元）"));
        }
        Ok(Money(fen))
    }

    /// The amount in yuan as an exact decimal with scale 2.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// From an exact decimal in yuan: non-negative, at most two decimals, at most 10^13 yuan.
    pub fn from_decimal(d: Decimal) -> DomainResult<Money> {
        let err = |why: &str| DomainError::invalid("amount", format!("金额 {d} 不合法：{why}"));
        if d.is_sign_negative() && !d.is_zero() {
            return Err(err("金额不能为负数"));
        }
        let scaled = d
            .checked_mul(Decimal::ONE_HUNDRED)
            .ok_or_else(|| err("金额超过上限（10万亿元）"))?;
        if !scaled.fract().is_zero() {
            return Err(err("最多保留两位小数（精确到分）"));
        }
        let fen = scaled
            .to_i64()
            .filter(|f| *f <= Self::MAX_FEN)
            .ok_or_else(|| err("金额超过上限（10万亿元）"))?;
        Ok(Money(fen))
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// Sum of amounts; `None` on overflow.
    pub fn checked_sum<I: IntoIterator<Item = Money>>(items: I) -> Option<Money> {
        items
            .into_iter()
            .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for Money {
    /// `"120000.00"`: yuan with exactly two decimals, no grouping.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let per = FEN_PER_YUAN.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / per, abs % per)
    }
}

impl std::str::FromStr for Money {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

struct MoneyVisitor;

const NUMBER_REFUSED: &str =
    "金额必须以字符串传递（以元为单位的十进制数，例如 \"120000.00\"），不接受 JSON 数字";

impl Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("以元为单位的十进制金额字符串，例如 \"120000.00\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
        Money::parse(v).map_err(|e| E::custom(e.message))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Money, E> {
        Err(E::custom(NUMBER_REFUSED))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Money, E> {
        Err(E::custom(NUMBER_REFUSED))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Money, E> {
        Err(E::custom(NUMBER_REFUSED))
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(MoneyVisitor)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::str::FromStr;

    #[test]
    fn r01_parse_accepts_plain_decimals() {
        assert_eq!(Money::parse("120000").unwrap().fen(), 12_000_000);
        assert_eq!(Money::parse("120000.5").unwrap().fen(), 12_000_050);
        assert_eq!(Money::parse("120000.00").unwrap().fen(), 12_000_000);
        assert_eq!(Money::parse("0.01").unwrap().fen(), 1);
        assert_eq!(Money::parse("0").unwrap(), Money::ZERO);
        assert_eq!(Money::parse("99999.99").unwrap().fen(), 9_999_999);
        assert_eq!(
            Money::parse("10000000000000").unwrap().fen(),
            Money::MAX_FEN
        );
        assert_eq!(
            Money::parse("10000000000000.00").unwrap().fen(),
            Money::MAX_FEN
        );
    }

    #[test]
    fn r01_parse_rejects_everything_else_naming_amount() {
        for s in [
            "",
            "1e5",
            "1E5",
            "1,000",
            "-1",
            "+1",
            " 1",
            "1 ",
            ".5",
            "1.",
            "1.234",
            "1.0.0",
            "abc",
            "１２",
            "NaN",
            "inf",
            "0x10",
            "10000000000000.01",
            "10000000000001",
            "99999999999999999999999999",
            "1_000",
        ] {
            let e = Money::parse(s).expect_err(s);
            assert_eq!(e.code, "invalid", "{s}");
            assert_eq!(e.field(), Some("amount"), "{s}");
            assert!(e.message.contains("金额"), "{s}: {}", e.message);
        }
    }

    #[test]
    fn parse_field_names_the_given_field() {
        let e = Money::parse_field("1,000", "fund_threshold").unwrap_err();
        assert_eq!(e.field(), Some("fund_threshold"));
        assert_eq!(Money::parse_field("5", "x").unwrap(), Money::yuan(5));
    }

    #[test]
    fn display_has_two_decimals() {
        assert_eq!(Money::yuan(120000).to_string(), "120000.00");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(12_000_050).to_string(), "120000.50");
        assert_eq!(Money::from_fen(-150).to_string(), "-1.50");
        assert_eq!(Money::ZERO.to_string(), "0.00");
    }

    #[test]
    fn parse_display_round_trip() {
        for s in ["0.00", "0.01", "1.10", "100000.00", "10000000000000.00"] {
            assert_eq!(Money::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Money::from_str("7.7").unwrap().to_string(), "7.70");
    }

    #[test]
    fn decimal_conversions_are_exact() {
        let m = Money::parse("120000.05").unwrap();
        let d = m.to_decimal();
        assert_eq!(d.to_string(), "120000.05");
        assert_eq!(Money::from_decimal(d).unwrap(), m);
        assert_eq!(Money::from_decimal(Decimal::new(15, 1)).unwrap().fen(), 150);
        assert_eq!(
            Money::from_decimal(Decimal::new(1500, 3)).unwrap().fen(),
            150
        );
        assert_eq!(Money::from_decimal(Decimal::ZERO).unwrap(), Money::ZERO);
        assert!(Money::from_decimal(Decimal::new(1234, 3)).is_err());
        assert!(Money::from_decimal(Decimal::new(-1, 0)).is_err());
        assert!(Money::from_decimal(Decimal::new(10_000_000_000_001, 0)).is_err());
        assert!(Money::from_decimal(Decimal::MAX).is_err());
    }

    #[test]
    fn r01_threshold_comparison_is_exact() {
        let threshold = Money::yuan(100_000);
        assert!(Money::parse("100000.00").unwrap() >= threshold);
        assert!(Money::parse("99999.99").unwrap() < threshold);
        assert!(Money::parse("100000.01").unwrap() > threshold);
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::parse("0.10").unwrap();
        let b = Money::parse("0.20").unwrap();
        assert_eq!(a.checked_add(b).unwrap().to_string(), "0.30");
        assert_eq!(b.checked_sub(a).unwrap().to_string(), "0.10");
        assert_eq!(
            Money::from_fen(i64::MAX).checked_add(Money::from_fen(1)),
            None
        );
        assert_eq!(
            Money::checked_sum([
                Money::yuan(40_000),
                Money::yuan(30_000),
                Money::yuan(30_000)
            ]),
            Some(Money::yuan(100_000))
        );
        assert_eq!(Money::yuan(i64::MAX).fen(), i64::MAX);
    }

    #[test]
    fn serde_uses_decimal_string() {
        let m = Money::parse("120000").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"120000.00\"");
        let back: Money = serde_json::from_str("\"120000.5\"").unwrap();
        assert_eq!(back.fen(), 12_000_050);
    }

    #[test]
    fn serde_refuses_numbers_and_bad_strings_with_a_clear_message() {
        for j in ["120000", "120000.5", "-1"] {
            let e = serde_json::from_str::<Money>(j).unwrap_err().to_string();
            assert!(e.contains("字符串"), "{j}: {e}");
        }
        let e = serde_json::from_str::<Money>("\"1e5\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("金额"), "{e}");
        assert!(serde_json::from_str::<Money>("null").is_err());
        assert!(serde_json::from_str::<Money>("true").is_err());
    }
}
