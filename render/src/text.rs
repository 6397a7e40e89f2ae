//! Measuring text and breaking it into lines with the Chinese 禁则 (line-breaking rules):
//! no line starts with closing punctuation ，。、；：？！）」』》”’ etc., none ends with opening
//! punctuation （「『《“‘ etc., "——" and "……" are never split, Latin words and numbers stay
//! whole. A line that would only overflow by closing punctuation is squeezed (推入) when the
//! squeeze is small, otherwise the last character moves down with it (推出).

use std::ops::Range;

use crate::fonts::{FontRole, FontSet};
use crate::gbt9704::MM_PER_PT;

/// One measured character.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Glyph {
    pub ch: char,
    /// index into `FontSet::faces()`
    pub face: usize,
    /// glyph id in that face (0 = .notdef)
    pub gid: u16,
    /// advance in mm at the paragraph's size
    pub adv: f32,
}

/// Characters that must not begin a line (GB/T 15834 punctuation + common half-width ones).
pub(crate) fn no_line_start(ch: char) -> bool {
    matches!(
        ch,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '）'
            | '」'
            | '』'
            | '》'
            | '〉'
            | '】'
            | '〕'
            | '〗'
            | '］'
            | '｝'
            | '”'
            | '’'
            | '…'
            | '·'
            | '・'
            | '％'
            | '‰'
            | '℃'
            | '．'
            | '～'
            | ','
            | '.'
            | ';'
            | ':'
            | '?'
            | '!'
            | ')'
            | ']'
            | '}'
            | '%'
            | '〙'
            | '〛'
            | '｣'
    )
}

/// Characters that must not end a line.
pub(crate) fn no_line_end(ch: char) -> bool {
    matches!(
        ch,
        '（' | '「'
            | '『'
            | '《'
            | '〈'
            | '【'
            | '〔'
            | '〖'
            | '［'
            | '｛'
            | '“'
            | '‘'
            | '('
            | '['
            | '{'
            | '〘'
            | '〚'
            | '｢'
            | '￥'
            | '$'
            | '#'
    )
}

fn is_cjk(ch: char) -> bool {
    let c = ch as u32;
    (0x2E80..=0x9FFF).contains(&c)
        || (0xF900..=0xFAFF).contains(&c)
        || (0xFE30..=0xFE4F).contains(&c)
        || (0xFF00..=0xFFEF).contains(&c)
        || (0x20000..=0x3FFFF).contains(&c)
}

/// Part of an unbreakable Latin word or number ("GB/T", "9704-2012", "1,000.50").
fn is_word_char(ch: char) -> bool {
    !is_cjk(ch)
        && !ch.is_whitespace()
        && !no_line_start(ch)
        && !no_line_end(ch)
        && !matches!(ch, '—' | '–' | '“' | '”' | '‘' | '’' | '…' | '·')
}

/// Characters that read as one word with a number before them.
fn is_measure_word(ch: char) -> bool {
    "年月日时分秒号元角万亿千百个次期条款项章节位名人件份票岁天周度倍".contains(ch)
}

fn is_space(ch: char) -> bool {
    ch == ' ' || ch == '\t' || ch == '\u{a0}'
}

/// Measure `spans` (text, role) at `size_pt`. Control characters are dropped, tabs become
/// spaces.
pub(crate) fn shape(fonts: &FontSet, spans: &[(&str, FontRole)], size_pt: f32) -> Vec<Glyph> {
    let em = size_pt * MM_PER_PT;
    let mut out = Vec::new();
    for (text, role) in spans {
        for ch in text.chars() {
            let ch = if ch == '\t' { ' ' } else { ch };
            if ch.is_control() {
                continue;
            }
            let (face, gid, adv) = fonts.resolve(*role, ch);
            out.push(Glyph {
                ch,
                face,
                gid,
                adv: adv * em,
            });
        }
    }
    out
}

/// Whether a line may break before glyph `i` (0 < i < len).
fn break_allowed(g: &[Glyph], i: usize) -> bool {
    let (Some(prev), Some(next)) = (g.get(i.wrapping_sub(1)), g.get(i)) else {
        return false;
    };
    let (a, b) = (prev.ch, next.ch);
    if is_space(b) {
        // break after the space run, not before it
        return false;
    }
    if is_space(a) {
        return true;
    }
    if no_line_start(b) || no_line_end(a) {
        return false;
    }
    if (a == '—' && b == '—') || (a == '…' && b == '…') {
        return false;
    }
    if is_word_char(a) && is_word_char(b) {
        return false;
    }
    // keep a number with its measure word ("2026年", "12号", "第7期")
    if (a.is_ascii_digit() && is_measure_word(b)) || (a == '第' && b.is_ascii_digit()) {
        return false;
    }
    // ",." between digits: keep "1,000.50" whole
    if matches!(a, ',' | '.')
        && a.is_ascii_punctuation()
        && b.is_ascii_digit()
        && i >= 2
        && g.get(i - 2).is_some_and(|p| p.ch.is_ascii_digit())
    {
        return false;
    }
    true
}

/// A broken line: which glyphs, and the spacing to draw them with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub range: Range<usize>,
    /// Extra space after each glyph (PDF `Tc`), in mm.
    pub tc: f32,
    /// Width as drawn (first glyph's left edge to last glyph's right edge), in mm.
    pub width: f32,
}

/// How to break a paragraph.
pub(crate) struct Measure<'a> {
    /// available width of line `n` (0-based) in mm
    pub width: &'a dyn Fn(usize) -> f32,
    /// normal extra space after each glyph (the grid), mm
    pub tc: f32,
    /// the type size in mm (limits squeeze and stretch)
    pub em: f32,
    /// spread full lines to the measure (true for body text)
    pub justify: bool,
}

/// Most a line may be tightened per gap to keep closing punctuation on it (推入).
const MAX_SQUEEZE_EM: f32 = 0.13;
/// Most a justified line may be loosened per gap; beyond that it stays ragged.
const MAX_STRETCH_EM: f32 = 0.6;

fn natural(g: &[Glyph], r: Range<usize>, tc: f32) -> f32 {
    let n = r.len();
    if n == 0 {
        return 0.0;
    }
    let sum: f32 = g
        .get(r)
        .map(|s| s.iter().map(|x| x.adv).sum())
        .unwrap_or(0.0);
    sum + tc * (n as f32 - 1.0)
}

fn trim_spaces(g: &[Glyph], mut r: Range<usize>) -> Range<usize> {
    while r.start < r.end && g.get(r.start).is_some_and(|x| is_space(x.ch)) {
        r.start += 1;
    }
    while r.end > r.start && g.get(r.end - 1).is_some_and(|x| is_space(x.ch)) {
        r.end -= 1;
    }
    r
}

/// Break `g` into lines.
pub(crate) fn break_lines(g: &[Glyph], m: &Measure<'_>) -> Vec<Line> {
    // prefix sums of advances: the width of any range in O(1)
    let mut prefix = Vec::with_capacity(g.len() + 1);
    prefix.push(0.0f32);
    for x in g {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + x.adv);
    }
    let sum = |r: &Range<usize>| {
        prefix.get(r.end).copied().unwrap_or(0.0) - prefix.get(r.start).copied().unwrap_or(0.0)
    };
    let natural = |_: &[Glyph], r: Range<usize>, tc: f32| {
        if r.is_empty() {
            0.0
        } else {
            sum(&r) + tc * (r.len() as f32 - 1.0)
        }
    };
    let mut lines: Vec<Line> = Vec::new();
    let mut start = 0;
    while start < g.len() && g.get(start).is_some_and(|x| is_space(x.ch)) {
        start += 1;
    }
    let eps = 0.01;
    while start < g.len() {
        let w = (m.width)(lines.len());
        // walk forward remembering the last allowed break that fits
        let mut best: Option<usize> = None;
        let mut end = start + 1;
        let mut overflow_at: Option<usize> = None;
        while end <= g.len() {
            let at_break = end == g.len() || break_allowed(g, end);
            if at_break {
                let r = trim_spaces(g, start..end);
                if natural(g, r, m.tc) <= w + eps {
                    best = Some(end);
                } else {
                    overflow_at = Some(end);
                    break;
                }
            }
            end += 1;
        }
        let mut chosen = match best {
            Some(b) => b,
            None => {
                // a single unbreakable run longer than the line: cut it by characters
                let mut e = start + 1;
                while e < g.len() && natural(g, start..e + 1, m.tc) <= w + eps {
                    e += 1;
                }
                // never leave an opening mark at the end or start the next line with a
                // closing one: in so narrow a measure, let the closing marks hang over
                while e > start + 1 && g.get(e - 1).is_some_and(|x| no_line_end(x.ch)) {
                    e -= 1;
                }
                while e < g.len()
                    && g.get(e).is_some_and(|x| {
                        no_line_start(x.ch)
                            || (x.ch == '—' && g.get(e - 1).is_some_and(|p| p.ch == '—'))
                    })
                {
                    e += 1;
                }
                e
            }
        };
        // 推入: if what overflowed is only closing punctuation after `chosen`, squeeze it in
        if let Some(over) = overflow_at
            && best.is_some()
            && over > chosen
        {
            // glyphs that fit before the overflow
            let mut fit = start;
            while fit < over && natural(g, start..fit + 1, m.tc) <= w + eps {
                fit += 1;
            }
            let only_closing = fit < over
                && g.get(fit..over)
                    .is_some_and(|s| s.iter().all(|x| no_line_start(x.ch)));
            if only_closing {
                let r = trim_spaces(g, start..over);
                let n = r.len() as f32;
                if n > 1.0 {
                    let tc_needed = (w - sum(&r)) / (n - 1.0);
                    if tc_needed >= m.tc - MAX_SQUEEZE_EM * m.em {
                        chosen = over;
                    }
                }
            }
        }
        let r = trim_spaces(g, start..chosen);
        let is_last = chosen >= g.len();
        let nat = natural(g, r.clone(), m.tc);
        let mut tc = m.tc;
        if r.len() > 1 && (nat > w + eps || (m.justify && !is_last)) {
            let t = (w - sum(&r)) / (r.len() as f32 - 1.0);
            if t <= m.tc + MAX_STRETCH_EM * m.em {
                tc = t;
            }
        }
        let width = natural(g, r.clone(), tc);
        lines.push(Line {
            range: r,
            tc,
            width,
        });
        start = chosen;
        while start < g.len() && g.get(start).is_some_and(|x| is_space(x.ch)) {
            start += 1;
        }
    }
    lines
}

/// Break into the fewest lines of at most `max_w`, then even them out (titles are set as
/// balanced, centred lines: GB/T 9704-2012 §7.3.1 "排列对称，长短适宜").
pub(crate) fn break_balanced(g: &[Glyph], max_w: f32, tc: f32, em: f32) -> Vec<Line> {
    let greedy = |w: f32| {
        let f = move |_: usize| w;
        break_lines(
            g,
            &Measure {
                width: &f,
                tc,
                em,
                justify: false,
            },
        )
    };
    let base = greedy(max_w);
    if base.len() <= 1 {
        return base;
    }
    let (mut lo, mut hi) = (max_w / base.len() as f32 * 0.8, max_w);
    for _ in 0..24 {
        let mid = (lo + hi) / 2.0;
        if greedy(mid).len() <= base.len() {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    greedy(hi)
}

/// Titles (§7.3.1: 回行时要做到词意完整，排列对称): two-line titles break where the words
/// allow it best — after "关于" (between issuer and subject) or before it, else near the
/// middle, never inside a number; longer titles get balanced lines.
pub(crate) fn break_title(g: &[Glyph], max_w: f32, tc: f32, em: f32) -> Vec<Line> {
    let balanced = break_balanced(g, max_w, tc, em);
    if balanced.len() != 2 {
        return balanced;
    }
    let chars: Vec<char> = g.iter().map(|x| x.ch).collect();
    let at = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    let mut best: Option<(f32, usize)> = None;
    for i in 1..g.len() {
        if !break_allowed(g, i) {
            continue;
        }
        let (r1, r2) = (trim_spaces(g, 0..i), trim_spaces(g, i..g.len()));
        let (w1, w2) = (natural(g, r1, tc), natural(g, r2, tc));
        if w1 > max_w + 0.01 || w2 > max_w + 0.01 {
            continue;
        }
        let mut score = (w1 - w2).abs();
        if i >= 2 && at(i - 2, "关于") {
            score -= 4.0 * em;
        } else if at(i, "关于") {
            score -= 3.0 * em;
        } else if i >= 1 && at(i - 1, "的") {
            score -= 1.0 * em;
        } else if at(i, "的") {
            score += 2.0 * em;
        }
        if best.is_none_or(|(b, _)| score < b) {
            best = Some((score, i));
        }
    }
    let Some((_, i)) = best else { return balanced };
    [0..i, i..g.len()]
        .into_iter()
        .map(|r| {
            let r = trim_spaces(g, r);
            Line {
                width: natural(g, r.clone(), tc),
                range: r,
                tc,
            }
        })
        .collect()
}

/// A run of consecutive glyphs of one face on a line, positioned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub face: usize,
    pub x: f32,
    pub text: String,
    pub gids: Vec<u16>,
}

/// Split a line into same-face runs starting at `x0`.
pub(crate) fn runs(g: &[Glyph], line: &Line, x0: f32) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut x = x0;
    for gl in g.get(line.range.clone()).unwrap_or(&[]) {
        match out.last_mut() {
            Some(r) if r.face == gl.face => {
                r.text.push(gl.ch);
                r.gids.push(gl.gid);
            }
            _ => out.push(Run {
                face: gl.face,
                x,
                text: gl.ch.to_string(),
                gids: vec![gl.gid],
            }),
        }
        x += gl.adv + line.tc;
    }
    out
}

/// Width of `g` set solid with spacing `tc`.
pub(crate) fn width(g: &[Glyph], tc: f32) -> f32 {
    natural(g, 0..g.len(), tc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fake glyphs: CJK = 1 mm, ASCII = 0.5 mm.
    fn fake(s: &str) -> Vec<Glyph> {
        s.chars()
            .map(|ch| Glyph {
                ch,
                face: 0,
                gid: 1,
                adv: if ch.is_ascii() { 0.5 } else { 1.0 },
            })
            .collect()
    }

    fn lines_of(s: &str, w: f32) -> Vec<String> {
        let g = fake(s);
        let f = move |_: usize| w;
        break_lines(
            &g,
            &Measure {
                width: &f,
                tc: 0.0,
                em: 1.0,
                justify: true,
            },
        )
        .iter()
        .map(|l| {
            l.range
                .clone()
                .filter_map(|i| g.get(i).map(|x| x.ch))
                .collect()
        })
        .collect()
    }

    #[test]
    fn plain_cjk_fills_lines() {
        assert_eq!(
            lines_of("一二三四五六七", 3.0),
            vec!["一二三", "四五六", "七"]
        );
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        // "，" would start line 2: squeezed onto line 1 (one char over 3 gaps is too much at
        // 0.13 em per gap, so the previous char moves down instead)
        let l = lines_of("一二三，四五", 3.0);
        assert_eq!(l, vec!["一二", "三，四", "五"]);
        for s in [
            "甲乙丙丁。”戊己",
            "一二三）四",
            "一二三、四",
            "一二三》，四",
        ] {
            for w in [2.0, 3.0, 4.0] {
                for line in lines_of(s, w) {
                    let first = line.chars().next().unwrap_or(' ');
                    assert!(!no_line_start(first), "{s} at {w}: {line:?}");
                }
            }
        }
    }

    #[test]
    fn long_lines_squeeze_one_closing_mark() {
        // 28-char line + "。": 推入 (squeeze) keeps it on the line
        let s = format!("{}。后", "字".repeat(28));
        let l = lines_of(&s, 28.0);
        assert_eq!(l.first().map(|x| x.chars().count()), Some(29));
        assert_eq!(l.get(1).map(String::as_str), Some("后"));
    }

    #[test]
    fn opening_punctuation_never_ends_a_line() {
        for s in ["一二《三四》", "一二（三）四", "一二“三”四"] {
            for w in [3.0, 4.0] {
                for line in lines_of(s, w) {
                    let last = line.chars().last().unwrap_or(' ');
                    assert!(!no_line_end(last), "{s} at {w}: {line:?}");
                }
            }
        }
    }

    #[test]
    fn numbers_and_words_stay_whole() {
        let l = lines_of("金额1,000.50元", 4.0);
        assert!(l.iter().any(|x| x.contains("1,000.50")), "{l:?}");
        for w in [3.0, 4.0, 5.0, 6.0] {
            for l in lines_of("关于2026年度第12期的报告", w) {
                assert!(
                    !l.starts_with('年') && !l.starts_with('期') && !l.ends_with('第'),
                    "{l}"
                );
            }
        }
        let l = lines_of("依据GB/T 9704-2012排版", 5.0);
        assert!(l.iter().any(|x| x.contains("GB/T")), "{l:?}");
        assert!(l.iter().any(|x| x.contains("9704-2012")), "{l:?}");
    }

    #[test]
    fn dashes_and_ellipses_are_not_split() {
        for w in [2.0, 3.0, 4.0] {
            for line in lines_of("一二——三四……五", w) {
                assert!(!line.starts_with('—') || line.starts_with("——"), "{line}");
                assert!(!line.ends_with('—') || line.ends_with("——"), "{line}");
                assert!(!line.starts_with('…'), "{line}");
            }
        }
    }

    #[test]
    fn justified_lines_fill_the_measure() {
        let g = fake("一二三四五，六七八九十");
        let f = |_: usize| 5.0;
        let ls = break_lines(
            &g,
            &Measure {
                width: &f,
                tc: 0.0,
                em: 1.0,
                justify: true,
            },
        );
        for l in &ls[..ls.len() - 1] {
            assert!((l.width - 5.0).abs() < 0.02, "{l:?}");
        }
    }

    #[test]
    fn titles_break_after_guanyu() {
        let s = "示例市国土资源局关于加强政务公开工作的通知";
        let g = fake(s);
        let ls = break_title(&g, 20.0, 0.0, 1.0);
        let first: String = ls[0].range.clone().map(|i| g[i].ch).collect();
        assert_eq!(first, "示例市国土资源局关于");
    }

    #[test]
    fn balanced_titles() {
        let g = fake("关于进一步加强集体决策全面推行政务公开的意见");
        let ls = break_balanced(&g, 20.0, 0.0, 1.0);
        assert_eq!(ls.len(), 2);
        let a = ls[0].range.len() as i64;
        let b = ls[1].range.len() as i64;
        assert!((a - b).abs() <= 1, "{a} {b}");
    }
}
