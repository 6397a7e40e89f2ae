//! S03 threshold-splitting warning (拆分规避): fund-use requests of one section to one payee,
//! each below the R01 threshold, whose sum reaches it within the unit's window (default 90
//! days); and near-threshold clustering — several requests of one section within 10 % under
//! the threshold inside the window.
//!
//! Rules, exactly:
//! - Only items *below* the threshold take part (an item at or above it is deliberated
//!   collectively anyway, R01).
//! - A **split** window is a run of items of one (section, payee) whose first and last dates
//!   are at most `window_days` apart and whose amounts sum to ≥ the threshold ("reach").
//! - A **near-threshold** window is a run of items of one section (any payee) at most
//!   `window_days` apart holding at least two items with `0.9 × threshold ≤ amount <
//!   threshold` (integer arithmetic on 分: `10 × amount ≥ 9 × threshold`).
//! - Overlapping windows merge into one flag, so a flag lists every item involved; its key
//!   (`split:{section}:{payee}:{first item}`) stays the same while later items join it.
//! - Payees are compared after normalisation (spaces removed, full-width letters and digits
//!   folded, Latin letters lower-cased, brackets unified): `某某科技有限公司` and
//!   `某某科技 有限公司` are one payee.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A fund-use request: a proposal or an outgoing document carrying an amount and a payee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendItem {
    /// `proposal` or `outgoing`.
    pub object_type: String,
    pub id: String,
    pub title: String,
    pub section_id: Option<String>,
    pub payee: String,
    pub amount_fen: i64,
    /// When the request was made (submission, or creation).
    pub at: DateTime<Utc>,
    pub state: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// Each below the threshold, together reaching it (same section and payee).
    Split,
    /// Several items of one section just under the threshold.
    NearThreshold,
}

impl FlagKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            FlagKind::Split => "split",
            FlagKind::NearThreshold => "near_threshold",
        }
    }
    pub fn label(&self) -> &'static str {
        match self {
            FlagKind::Split => "疑似拆分规避集体决策",
            FlagKind::NearThreshold => "多笔金额接近集体决策标准",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub kind: FlagKind,
    /// Stable identity of the group (see the module documentation).
    pub key: String,
    pub section_id: Option<String>,
    /// The payee as first written (split), or the distinct payees joined by `、` (near).
    pub payee: String,
    pub items: Vec<SpendItem>,
    pub total_fen: i64,
    pub threshold_fen: i64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// Folds the ways one payee gets written differently.
pub fn normalize_payee(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            // Full-width ASCII variants (！ to ～) → ASCII.
            '【' | '〔' | '［' => '(',
            '】' | '〕' | '］' => ')',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `amount` is within 10 % under the threshold.
pub fn near_threshold(amount_fen: i64, threshold_fen: i64) -> bool {
    amount_fen < threshold_fen && i128::from(amount_fen) * 10 >= i128::from(threshold_fen) * 9
}

/// All flags over `items` (any order), by threshold and window.
pub fn detect(items: &[SpendItem], threshold_fen: i64, window_days: u32) -> Vec<Flag> {
    let window = Duration::days(i64::from(window_days));
    let mut below: Vec<&SpendItem> = items.iter().filter(|i| i.amount_fen > 0 && i.amount_fen < threshold_fen).collect();
    below.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    let mut flags = Vec::new();

    // Split: by (section, normalised payee).
    type Group<'a> = ((Option<String>, String), Vec<&'a SpendItem>);
    let mut groups: Vec<Group<'_>> = Vec::new();
    for it in &below {
        let payee = normalize_payee(&it.payee);
        if payee.is_empty() {
            continue;
        }
        let k = (it.section_id.clone(), payee);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, v)) => v.push(it),
            None => groups.push((k, vec![it])),
        }
    }
    for ((section, payee_key), v) in &groups {
        for (lo, hi) in clusters(v, window, |w| w.iter().map(|i| i128::from(i.amount_fen)).sum::<i128>() >= i128::from(threshold_fen)) {
            let members: Vec<SpendItem> = v[lo..=hi].iter().map(|i| (*i).clone()).collect();
            let first = &members[0];
            flags.push(flag(
                FlagKind::Split,
                format!("split:{}:{}:{}", section.as_deref().unwrap_or("-"), payee_key, first.id),
                section.clone(),
                first.payee.trim().to_string(),
                members,
                threshold_fen,
            ));
        }
    }

    // Near-threshold: by section, any payee.
    let mut by_section: Vec<(Option<String>, Vec<&SpendItem>)> = Vec::new();
    for it in below.iter().filter(|i| near_threshold(i.amount_fen, threshold_fen)) {
        match by_section.iter_mut().find(|(s, _)| *s == it.section_id) {
            Some((_, v)) => v.push(it),
            None => by_section.push((it.section_id.clone(), vec![it])),
        }
    }
    for (section, v) in &by_section {
        for (lo, hi) in clusters(v, window, |w| w.len() >= 2) {
            let members: Vec<SpendItem> = v[lo..=hi].iter().map(|i| (*i).clone()).collect();
            let mut payees: Vec<String> = Vec::new();
            for m in &members {
                let p = m.payee.trim().to_string();
                if !p.is_empty() && !payees.iter().any(|x| normalize_payee(x) == normalize_payee(&p)) {
                    payees.push(p);
                }
            }
            let first_id = members[0].id.clone();
            flags.push(flag(
                FlagKind::NearThreshold,
                format!("near:{}:{}", section.as_deref().unwrap_or("-"), first_id),
                section.clone(),
                payees.join("、"),
                members,
                threshold_fen,
            ));
        }
    }
    flags.sort_by(|a, b| b.last_at.cmp(&a.last_at).then_with(|| a.key.cmp(&b.key)));
    flags
}

fn flag(kind: FlagKind, key: String, section_id: Option<String>, payee: String, items: Vec<SpendItem>, threshold_fen: i64) -> Flag {
    let total_fen = items.iter().map(|i| i.amount_fen).fold(0i64, i64::saturating_add);
    let first_at = items.iter().map(|i| i.at).min().unwrap_or_default();
    let last_at = items.iter().map(|i| i.at).max().unwrap_or_default();
    Flag { kind, key, section_id, payee, items, total_fen, threshold_fen, first_at, last_at }
}

/// Index ranges of the merged qualifying windows of `v` (sorted by time).
fn clusters(v: &[&SpendItem], window: Duration, qualifies: impl Fn(&[&SpendItem]) -> bool) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut hi = 0usize;
    for lo in 0..v.len() {
        if hi < lo {
            hi = lo;
        }
        while hi + 1 < v.len() && v[hi + 1].at - v[lo].at <= window {
            hi += 1;
        }
        if hi > lo && qualifies(&v[lo..=hi]) {
            match out.last_mut() {
                Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use chrono::TimeZone;

    const T: i64 = 10_000_000; // ¥100,000.00

    fn day(n: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 2, 0, 0).unwrap() + Duration::days(n)
    }

    fn item(id: &str, section: &str, payee: &str, yuan_fen: i64, d: i64) -> SpendItem {
        SpendItem {
            object_type: "proposal".into(),
            id: id.into(),
            title: format!("付款 {id}"),
            section_id: Some(section.into()),
            payee: payee.into(),
            amount_fen: yuan_fen,
            at: day(d),
            state: "submitted".into(),
        }
    }

    fn splits(f: &[Flag]) -> Vec<&Flag> {
        f.iter().filter(|x| x.kind == FlagKind::Split).collect()
    }

    #[test]
    fn s03_three_times_35000_to_one_payee_in_30_days_is_flagged() {
        let items = [
            item("a", "fin", "某某科技有限公司", 3_500_000, 0),
            item("b", "fin", "某某科技有限公司", 3_500_000, 12),
            item("c", "fin", "某某科技有限公司", 3_500_000, 30),
        ];
        let f = detect(&items, T, 90);
        let s = splits(&f);
        assert_eq!(s.len(), 1, "{f:?}");
        assert_eq!(s[0].items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), vec!["a", "b", "c"]);
        assert_eq!(s[0].total_fen, 10_500_000);
        assert_eq!(s[0].key, "split:fin:某某科技有限公司:a");
        assert_eq!(s[0].payee, "某某科技有限公司");
        // Two of them are not enough (¥70,000).
        assert!(splits(&detect(&items[..2], T, 90)).is_empty());
    }

    #[test]
    fn s03_sum_exactly_the_threshold_reaches_it_one_fen_short_does_not() {
        let exact = [item("a", "fin", "甲", 5_000_000, 0), item("b", "fin", "甲", 5_000_000, 1)];
        assert_eq!(splits(&detect(&exact, T, 90)).len(), 1);
        let short = [item("a", "fin", "甲", 5_000_000, 0), item("b", "fin", "甲", 4_999_999, 1)];
        assert!(splits(&detect(&short, T, 90)).is_empty());
        // One fen under the threshold plus one fen: each below, together exactly the threshold.
        let edge = [item("a", "fin", "甲", T - 1, 0), item("b", "fin", "甲", 1, 1)];
        assert_eq!(splits(&detect(&edge, T, 90)).len(), 1);
    }

    #[test]
    fn s03_an_item_at_the_threshold_is_not_part_of_a_split() {
        // ¥100,000.00 is deliberated collectively anyway (R01): it never joins a split group.
        let items = [item("a", "fin", "甲", T, 0), item("b", "fin", "甲", 100, 1)];
        assert!(splits(&detect(&items, T, 90)).is_empty());
    }

    #[test]
    fn s03_window_is_inclusive_of_its_last_day() {
        let within = [item("a", "fin", "甲", 6_000_000, 0), item("b", "fin", "甲", 6_000_000, 90)];
        assert_eq!(splits(&detect(&within, T, 90)).len(), 1);
        let outside = [item("a", "fin", "甲", 6_000_000, 0), item("b", "fin", "甲", 6_000_000, 91)];
        assert!(splits(&detect(&outside, T, 90)).is_empty());
        // A shorter unit window.
        assert!(splits(&detect(&within, T, 30)).is_empty());
    }

    #[test]
    fn s03_other_section_or_other_payee_is_not_grouped_but_spelling_variants_are() {
        let items = [item("a", "fin", "甲公司", 6_000_000, 0), item("b", "office", "甲公司", 6_000_000, 1)];
        assert!(splits(&detect(&items, T, 90)).is_empty());
        let items = [item("a", "fin", "甲公司", 6_000_000, 0), item("b", "fin", "乙公司", 6_000_000, 1)];
        assert!(splits(&detect(&items, T, 90)).is_empty());
        let items = [item("a", "fin", "ＡＢＣ 科技（北京）", 6_000_000, 0), item("b", "fin", "abc科技（北京）", 6_000_000, 1)];
        assert_eq!(splits(&detect(&items, T, 90)).len(), 1);
        assert_eq!(normalize_payee(" ＡＢＣ 科技 "), "abc科技");
    }

    #[test]
    fn s03_overlapping_windows_merge_into_one_flag_with_every_item() {
        // a+b reach it within 90 days, b+c too; a and c are 150 days apart.
        let items = [
            item("a", "fin", "甲", 6_000_000, 0),
            item("b", "fin", "甲", 5_000_000, 80),
            item("c", "fin", "甲", 5_000_000, 150),
        ];
        let f = detect(&items, T, 90);
        let s = splits(&f);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].items.len(), 3);
        // Far apart runs stay separate flags.
        let items = [
            item("a", "fin", "甲", 6_000_000, 0),
            item("b", "fin", "甲", 6_000_000, 10),
            item("c", "fin", "甲", 6_000_000, 300),
            item("d", "fin", "甲", 6_000_000, 310),
        ];
        let f = detect(&items, T, 90);
        assert_eq!(splits(&f).len(), 2);
        let keys: Vec<&str> = splits(&f).iter().map(|x| x.key.as_str()).collect();
        assert!(keys.contains(&"split:fin:甲:a") && keys.contains(&"split:fin:甲:c"), "{keys:?}");
    }

    #[test]
    fn s03_near_threshold_cluster_of_one_section() {
        assert!(near_threshold(9_000_000, T), "exactly 10 % under counts");
        assert!(!near_threshold(8_999_999, T));
        assert!(!near_threshold(T, T));
        assert!(near_threshold(T - 1, T));
        let items = [item("a", "fin", "甲", 9_500_000, 0), item("b", "fin", "乙", 9_200_000, 20), item("c", "fin", "丙", 5_000_000, 25)];
        let f = detect(&items, T, 90);
        let near: Vec<&Flag> = f.iter().filter(|x| x.kind == FlagKind::NearThreshold).collect();
        assert_eq!(near.len(), 1);
        assert_eq!(near[0].items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(near[0].payee, "甲、乙");
        // A single near-threshold item is not a cluster.
        assert!(detect(&items[..1], T, 90).is_empty());
    }

    #[test]
    fn s03_items_without_payee_or_amount_are_ignored() {
        let items = [item("a", "fin", " ", 6_000_000, 0), item("b", "fin", "", 6_000_000, 1), item("c", "fin", "甲", 0, 1)];
        assert!(detect(&items, T, 90).is_empty());
    }
}
