//! The structured body of an outgoing document (D04) and its paragraph-level diff (D08
//! versions). The JSON shape is the one the render crate lays out (`yishi_render::Block`):
//! `{"kind":"heading","level":1..4,"text":"…"}`, `{"kind":"paragraph","text":"…"}`,
//! `{"kind":"table","header":[…],"rows":[[…]]}` — kept identical so a stored body renders
//! without conversion.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{DomainError, DomainResult};

/// One block of a document body.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// Level 1..=4: 一、 （一） 1. （1） (GB/T 9704-2012 §7.3.3).
    Heading { level: u8, text: String },
    Paragraph { text: String },
    Table { header: Vec<String>, rows: Vec<Vec<String>> },
}

/// Upper bounds that keep one document reasonable (a 公文 is a few pages).
pub const MAX_BLOCKS: usize = 2_000;
pub const MAX_TEXT_CHARS: usize = 20_000;
pub const MAX_TITLE_CHARS: usize = 200;

/// Parses and validates a body from JSON: an array of blocks, at least one, heading levels
/// 1–4, no empty text, tables with a header and rows of the header's width.
pub fn parse_body(v: &serde_json::Value) -> DomainResult<Vec<Block>> {
    let blocks: Vec<Block> = serde_json::from_value(v.clone()).map_err(|e| {
        DomainError::invalid(
            "body",
            format!("正文格式不正确：应为段落块数组，如 [{{\"kind\":\"heading\",\"level\":1,\"text\":\"…\"}}, {{\"kind\":\"paragraph\",\"text\":\"…\"}}]（{e}）"),
        )
    })?;
    validate_body(&blocks)?;
    Ok(blocks)
}

pub fn validate_body(blocks: &[Block]) -> DomainResult<()> {
    let bad = |i: usize, why: &str| {
        DomainError::invalid("body", format!("正文第 {} 块{}", i + 1, why))
            .with_details(json!({"field": "body", "block": i}))
    };
    if blocks.is_empty() {
        return Err(DomainError::invalid("body", "正文不能为空：至少需要一个段落"));
    }
    if blocks.len() > MAX_BLOCKS {
        return Err(DomainError::invalid("body", format!("正文不能超过 {MAX_BLOCKS} 块")));
    }
    for (i, b) in blocks.iter().enumerate() {
        match b {
            Block::Heading { level, text } => {
                if !(1..=4).contains(level) {
                    return Err(bad(i, "标题层级须为 1–4（一、（一）1.（1））"));
                }
                check_text(text).map_err(|w| bad(i, w))?;
            }
            Block::Paragraph { text } => check_text(text).map_err(|w| bad(i, w))?,
            Block::Table { header, rows } => {
                if header.is_empty() {
                    return Err(bad(i, "表格须有表头"));
                }
                if header.iter().any(|h| h.trim().is_empty()) {
                    return Err(bad(i, "表头单元格不能为空"));
                }
                if rows.iter().any(|r| r.len() != header.len()) {
                    return Err(bad(i, "表格每行的列数须与表头一致"));
                }
                if header.iter().chain(rows.iter().flatten()).any(|c| c.chars().count() > MAX_TEXT_CHARS) {
                    return Err(bad(i, "单元格文字过长"));
                }
            }
        }
    }
    Ok(())
}

fn check_text(text: &str) -> Result<(), &'static str> {
    if text.trim().is_empty() {
        return Err("文字不能为空");
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err("文字过长");
    }
    Ok(())
}

/// The title: trimmed, non-empty, at most [`MAX_TITLE_CHARS`].
pub fn validate_title(title: &str) -> DomainResult<String> {
    let t = title.trim();
    if t.is_empty() {
        return Err(DomainError::invalid("title", "标题不能为空"));
    }
    if t.chars().count() > MAX_TITLE_CHARS {
        return Err(DomainError::invalid("title", format!("标题不能超过 {MAX_TITLE_CHARS} 个字符")));
    }
    Ok(t.to_string())
}

/// The body as the lines a reader compares: one per heading or paragraph (a `\n` inside a
/// paragraph starts a new one, as the renderer does), one per table row.
pub fn lines(blocks: &[Block]) -> Vec<DiffLine> {
    let mut out = Vec::new();
    for b in blocks {
        match b {
            Block::Heading { level, text } => out.push(DiffLine { kind: format!("heading{level}"), text: text.trim().to_string() }),
            Block::Paragraph { text } => {
                for p in text.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
                    out.push(DiffLine { kind: "paragraph".into(), text: p.to_string() });
                }
            }
            Block::Table { header, rows } => {
                out.push(DiffLine { kind: "table_header".into(), text: header.join(" | ") });
                for r in rows {
                    out.push(DiffLine { kind: "table_row".into(), text: r.join(" | ") });
                }
            }
        }
    }
    out
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DiffLine {
    pub kind: String,
    pub text: String,
}

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    Equal,
    Delete,
    Insert,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct DiffEntry {
    pub op: DiffOp,
    pub kind: String,
    pub text: String,
}

/// Paragraph-level diff of two bodies: what was deleted from `a`, inserted into `b`, and
/// what stayed, in reading order. Myers' algorithm (`similar`) in linear memory; a body of
/// many thousand lines (a hostile `\n`-split paragraph) is bounded by a deadline after which
/// the diff is coarser but still correct, instead of an n×m table.
pub fn diff(a: &[Block], b: &[Block]) -> Vec<DiffEntry> {
    use similar::{Algorithm, DiffTag, capture_diff_slices_deadline};
    let la = lines(a);
    let lb = lines(b);
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
    let mut out = Vec::with_capacity(la.len().max(lb.len()));
    for op in capture_diff_slices_deadline(Algorithm::Myers, &la, &lb, Some(deadline)) {
        let (tag, old, new) = op.as_tag_tuple();
        let (from, dop, range) = match tag {
            DiffTag::Equal => (&la, DiffOp::Equal, old),
            DiffTag::Delete => (&la, DiffOp::Delete, old),
            DiffTag::Insert => (&lb, DiffOp::Insert, new),
            DiffTag::Replace => {
                // A changed run reads as its new lines, then the old ones they replace.
                for l in &lb[new] {
                    out.push(DiffEntry { op: DiffOp::Insert, kind: l.kind.clone(), text: l.text.clone() });
                }
                (&la, DiffOp::Delete, old)
            }
        };
        for l in &from[range] {
            out.push(DiffEntry { op: dop, kind: l.kind.clone(), text: l.text.clone() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn p(t: &str) -> Block {
        Block::Paragraph { text: t.into() }
    }

    #[test]
    fn d04_body_json_shape_matches_render_blocks() {
        let v = json!([
            {"kind": "heading", "level": 1, "text": "总体要求"},
            {"kind": "paragraph", "text": "第一段"},
            {"kind": "table", "header": ["项目", "金额"], "rows": [["甲", "1.00"]]}
        ]);
        let b = parse_body(&v).unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(serde_json::to_value(&b).unwrap(), v);
    }

    #[test]
    fn d04_body_validation_refuses_bad_blocks() {
        for (v, why) in [
            (json!([]), "空"),
            (json!([{"kind": "heading", "level": 5, "text": "x"}]), "层级"),
            (json!([{"kind": "heading", "level": 0, "text": "x"}]), "层级"),
            (json!([{"kind": "paragraph", "text": "  "}]), "不能为空"),
            (json!([{"kind": "table", "header": [], "rows": []}]), "表头"),
            (json!([{"kind": "table", "header": ["a", "b"], "rows": [["1"]]}]), "列数"),
            (json!([{"kind": "image", "src": "x"}]), "格式"),
            (json!("正文"), "格式"),
        ] {
            let e = parse_body(&v).unwrap_err();
            assert_eq!(e.code, "invalid");
            assert_eq!(e.field(), Some("body"));
            assert!(e.message.contains(why), "{why}: {}", e.message);
        }
    }

    #[test]
    fn d04_title_is_trimmed_and_required() {
        assert_eq!(validate_title("  关于…的通知 ").unwrap(), "关于…的通知");
        assert_eq!(validate_title(" ").unwrap_err().field(), Some("title"));
        assert!(validate_title(&"长".repeat(201)).is_err());
    }

    #[test]
    fn d08_paragraph_diff_shows_changes_in_order() {
        let a = vec![Block::Heading { level: 1, text: "一般要求".into() }, p("甲\n乙"), p("丙")];
        let b = vec![Block::Heading { level: 1, text: "一般要求".into() }, p("甲"), p("乙改"), p("丙"), p("丁")];
        let d = diff(&a, &b);
        let ops: Vec<(DiffOp, &str)> = d.iter().map(|e| (e.op, e.text.as_str())).collect();
        assert_eq!(
            ops,
            vec![
                (DiffOp::Equal, "一般要求"),
                (DiffOp::Equal, "甲"),
                (DiffOp::Insert, "乙改"),
                (DiffOp::Delete, "乙"),
                (DiffOp::Equal, "丙"),
                (DiffOp::Insert, "丁"),
            ]
        );
        assert!(diff(&a, &a).iter().all(|e| e.op == DiffOp::Equal));
        assert_eq!(d[0].kind, "heading1");
    }

    #[test]
    fn d08_diff_of_huge_bodies_is_bounded_and_complete() {
        // 2 × 200,000 lines: the old n×m table would have needed 4·10¹⁰ cells.
        let a = vec![p(&(0..200_000).map(|i| format!("甲{i}")).collect::<Vec<_>>().join("\n"))];
        let b = vec![p(&(0..200_000).map(|i| format!("乙{i}")).collect::<Vec<_>>().join("\n"))];
        let d = diff(&a, &b);
        assert_eq!(d.iter().filter(|e| e.op == DiffOp::Delete).count(), 200_000);
        assert_eq!(d.iter().filter(|e| e.op == DiffOp::Insert).count(), 200_000);
        assert_eq!(d.len(), 400_000);
    }
}
