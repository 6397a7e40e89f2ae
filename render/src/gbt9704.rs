//! Every position and size of the GB/T 9704-2012 layout, in millimetres or points, each
//! citing the clause it comes from. Where the standard leaves a value open, the constant
//! says so and records the choice made here.
//!
//! Coordinates: x from the left edge of the page, y from the TOP edge of the page
//! (the PDF writer flips y). "Text block" is the 版心.

/// 1 pt in mm (PostScript point, 1/72 inch).
pub const MM_PER_PT: f32 = 25.4 / 72.0;

/// GB/T 9704-2012 §5.2.1: A4 paper, 210 mm wide.
pub const PAGE_WIDTH_MM: f32 = 210.0;
/// GB/T 9704-2012 §5.2.1: A4 paper, 297 mm high.
pub const PAGE_HEIGHT_MM: f32 = 297.0;

/// GB/T 9704-2012 §5.2.2: 天头 (top margin) 37 mm ± 1 mm.
pub const TOP_MARGIN_MM: f32 = 37.0;
/// GB/T 9704-2012 §5.2.2: 订口 (binding-side, left margin) 28 mm ± 1 mm.
pub const BINDING_MARGIN_MM: f32 = 28.0;
/// GB/T 9704-2012 §5.2.2: 版心 156 mm wide.
pub const TEXT_WIDTH_MM: f32 = 156.0;
/// GB/T 9704-2012 §5.2.2: 版心 225 mm high.
pub const TEXT_HEIGHT_MM: f32 = 225.0;
/// Left edge of the text block.
pub const TEXT_LEFT_MM: f32 = BINDING_MARGIN_MM;
/// Right edge of the text block (184 mm).
pub const TEXT_RIGHT_MM: f32 = BINDING_MARGIN_MM + TEXT_WIDTH_MM;
/// Bottom edge of the text block, from the top of the page (262 mm).
pub const TEXT_BOTTOM_MM: f32 = TOP_MARGIN_MM + TEXT_HEIGHT_MM;

/// GB/T 9704-2012 §6.2: 一般每面排 22 行。
pub const LINES_PER_PAGE: usize = 22;
/// GB/T 9704-2012 §6.2: 每行排 28 个字，并撑满版心。
pub const CHARS_PER_LINE: usize = 28;
/// Line pitch of the 22-line grid: 225 mm / 22 = 10.227 mm (the familiar "固定值 28.95 磅").
/// GB/T 9704-2012 §6.2.
pub const LINE_PITCH_MM: f32 = TEXT_HEIGHT_MM / LINES_PER_PAGE as f32;

/// 字号 in points. 2号 = 22 pt (GB/T 9704-2012 §7.3.1 title size).
pub const SIZE_2HAO_PT: f32 = 22.0;
/// 3号 = 16 pt: body and most elements. GB/T 9704-2012 §6.1 (如无特殊说明，一般用 3 号仿宋体字).
pub const SIZE_3HAO_PT: f32 = 16.0;
/// 4号 = 14 pt: 版记 (§7.4.2, §7.4.3) and page numbers (§7.5).
pub const SIZE_4HAO_PT: f32 = 14.0;
/// Table text. The standard does not fix table type size (§8 only covers page numbers of
/// landscape tables); 4号 keeps several columns readable inside 156 mm.
pub const TABLE_SIZE_PT: f32 = SIZE_4HAO_PT;

/// Where the ideographic em box sits relative to the baseline: top at +0.88 em, bottom at
/// −0.12 em (the OpenType ideographic em-box convention used by Noto/Source Han and the
/// GB2312 TrueType fonts). Used to place glyphs inside a grid cell. Not from the standard.
pub const EM_BOX_ASCENT: f32 = 0.88;

/// GB/T 9704-2012 §7.2.4: 发文机关标志上边缘至版心上边缘为 35 mm; §10.3 puts the 纪要标志
/// at the same place.
pub const ISSUER_MARK_TOP_BELOW_TEXT_TOP_MM: f32 = 35.0;
/// Height of the 发文机关标志 glyphs. GB/T 9704-2012 §7.2.4 leaves the size to the issuer
/// ("以醒目、美观、庄重为原则"); GB/T 9704-1999 §7.2.1 capped each character at
/// 22 mm × 15 mm (高 × 宽), which is still common practice: we use that box.
pub const ISSUER_MARK_HEIGHT_MM: f32 = 22.0;
/// Width of one 发文机关标志 character (see [`ISSUER_MARK_HEIGHT_MM`]): 15 mm, obtained by
/// horizontal scaling (condensed, as printed marks are).
pub const ISSUER_MARK_CHAR_WIDTH_MM: f32 = 15.0;
/// Below this horizontal scale a long issuer name is set smaller instead of narrower.
pub const ISSUER_MARK_MIN_HSCALE: f32 = 0.5;

/// GB/T 9704-2012 §7.2.5: 发文字号编排在发文机关标志下空二行位置。
pub const DOC_NUMBER_BLANK_LINES_BELOW_MARK: usize = 2;
/// GB/T 9704-2012 §7.2.5 / §7.2.6: 上行文的发文字号居左空一字; 签发人居右空一字 (in 3号 characters).
pub const UPWARD_SIDE_INSET_CHARS: f32 = 1.0;
/// GB/T 9704-2012 §7.2.7: 发文字号之下 4 mm 处居中印一条与版心等宽的红色分隔线。
pub const RED_LINE_BELOW_DOC_NUMBER_MM: f32 = 4.0;
/// Thickness of the red separator. GB/T 9704-2012 §7.2.7 does not fix it; 0.5 mm is a common
/// template value, visibly heavier than the 版记 lines (§7.4.1: 0.35 mm).
pub const RED_LINE_THICKNESS_MM: f32 = 0.5;
/// GB/T 9704-2012 §7.3.1: 标题编排于红色分隔线下空二行位置。
pub const TITLE_BLANK_LINES_BELOW_RED_LINE: usize = 2;
/// GB/T 9704-2012 §7.3.2: 主送机关编排于标题下空一行位置。
pub const RECIPIENTS_BLANK_LINES_BELOW_TITLE: usize = 1;
/// GB/T 9704-2012 §7.3.3: 每个自然段左空二字。
pub const PARAGRAPH_INDENT_CHARS: f32 = 2.0;
/// GB/T 9704-2012 §7.3.4: 在正文下空一行左空二字编排"附件"二字。
pub const ATTACHMENT_BLANK_LINES: usize = 1;
/// GB/T 9704-2012 §7.3.4: 附件说明左空二字。
pub const ATTACHMENT_INDENT_CHARS: f32 = 2.0;
/// Blank lines between the text (or 附件说明) and the 发文机关署名. GB/T 9704-2012 §7.3.5.1 asks
/// for the seal's top edge to be within one line of the text and to press on signature and
/// date; leaving two blank lines gives a 42 mm seal room to do that.
pub const SIGNATURE_BLANK_LINES: usize = 2;
/// GB/T 9704-2012 §7.3.5.1: 成文日期一般右空四字编排。
pub const DATE_RIGHT_INSET_CHARS: f32 = 4.0;
/// Minimum right inset of the 发文机关署名 when it is wider than the date it is centred on
/// (GB/T 9704-2012 §7.3.5.2 uses 右空二字 for unsealed documents).
pub const SIGNATURE_MIN_RIGHT_INSET_CHARS: f32 = 2.0;
/// GB/T 9704-2012 §7.3.6: 附注居左空二字加圆括号编排在成文日期下一行。
pub const NOTE_INDENT_CHARS: f32 = 2.0;

/// GB/T 9704-2012 §7.4.1: 首条分隔线和末条分隔线用粗线（推荐高度为 0.35 mm）。
pub const IMPRINT_THICK_LINE_MM: f32 = 0.35;
/// GB/T 9704-2012 §7.4.1: 中间的分隔线用细线（推荐高度为 0.25 mm）。
pub const IMPRINT_THIN_LINE_MM: f32 = 0.25;
/// GB/T 9704-2012 §7.4.2 / §7.4.3: 抄送 左右各空一字, 印发机关左空一字, 印发日期右空一字
/// (4号 characters).
pub const IMPRINT_SIDE_INSET_CHARS: f32 = 1.0;
/// Height of one 版记 row. The standard fixes the font (4号仿宋) and the lines, not the row
/// height; one grid line keeps the 末条分隔线 exactly on the bottom edge of the text block
/// (§7.4.1: 末条分隔线与公文最后一面的版心下边缘重合).
pub const IMPRINT_ROW_MM: f32 = LINE_PITCH_MM;

/// GB/T 9704-2012 §7.5: 一字线上距版心下边缘 7 mm.
pub const PAGE_NUMBER_BELOW_TEXT_MM: f32 = 7.0;
/// GB/T 9704-2012 §7.5: 单页码居右空一字，双页码居左空一字 (4号 characters).
pub const PAGE_NUMBER_SIDE_INSET_CHARS: f32 = 1.0;
/// Height of the 一字线 (em dash) above the baseline, in em, for the page-number font:
/// used to put the dash itself 7 mm below the text block (§7.5). Measured on Song faces.
pub const EM_DASH_HEIGHT_EM: f32 = 0.33;

/// Table rules (not in GB/T 9704-2012; a hairline that prints).
pub const TABLE_RULE_MM: f32 = 0.25;
/// Vertical padding above and below the text of a table row.
pub const TABLE_CELL_PAD_Y_MM: f32 = 1.2;
/// Horizontal padding inside a table cell.
pub const TABLE_CELL_PAD_X_MM: f32 = 1.5;
/// Minimum space between a table and the text after it (the next line then snaps to the grid).
pub const TABLE_SPACE_AFTER_MM: f32 = 2.0;
/// Line pitch inside table cells, relative to the type size.
pub const TABLE_LINE_FACTOR: f32 = 1.35;

/// GB/T 9704-2012 §7.2.4 (and §10.3 for 纪要): the mark is red. Pure RGB red.
pub const RED: (f32, f32, f32) = (1.0, 0.0, 0.0);
/// "草稿" label of unsigned drafts (not in the standard): grey, boxed, in the top margin,
/// its box ending this far above the text block.
pub const DRAFT_GREY: f32 = 0.4;
pub const DRAFT_LABEL_ABOVE_TEXT_MM: f32 = 8.0;
pub const DRAFT_LABEL_PAD_MM: f32 = 1.5;
pub const DRAFT_LABEL_RULE_MM: f32 = 0.4;

/// Width of one 3号 grid character: the 156 mm block holds exactly 28 of them (§6.2). Glyphs
/// are 16 pt = 5.644 mm wide, so the grid tightens them by 0.076 mm each, as Word's
/// 文档网格 does.
pub fn grid_char_mm() -> f32 {
    let em = SIZE_3HAO_PT * MM_PER_PT;
    let tc = (TEXT_WIDTH_MM - CHARS_PER_LINE as f32 * em) / (CHARS_PER_LINE as f32 - 1.0);
    em + tc
}

/// Top of grid line `i` (0-based) of the text block, from the top of the page.
pub fn grid_line_top_mm(i: usize) -> f32 {
    TOP_MARGIN_MM + i as f32 * LINE_PITCH_MM
}

/// Baseline for text of `size_pt` vertically centred in a cell starting at `cell_top` and
/// `cell_h` high.
pub fn baseline_in_cell(cell_top: f32, cell_h: f32, size_pt: f32) -> f32 {
    let em = size_pt * MM_PER_PT;
    cell_top + (cell_h - em) / 2.0 + EM_BOX_ASCENT * em
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_fills_the_text_block() {
        let em = SIZE_3HAO_PT * MM_PER_PT;
        let right = TEXT_LEFT_MM + 27.0 * grid_char_mm() + em;
        assert!((right - TEXT_RIGHT_MM).abs() < 0.01, "{right}");
        assert!((LINE_PITCH_MM * 22.0 - 225.0).abs() < 1e-3);
        assert!((grid_line_top_mm(22) - TEXT_BOTTOM_MM).abs() < 1e-3);
    }
}
