//! The official document (公文) in the GB/T 9704-2012 layout: 版头 (份号, 密级, 紧急程度,
//! 发文机关标志, 发文字号, 签发人, red separator), 主体 (title, 主送, body, 附件说明,
//! 署名, 成文日期, 附注) and 版记 (抄送, 印发机关, 印发日期) at the bottom of the last page.

use crate::error::RenderError;
use crate::fonts::{FontRole, FontSet};
use crate::gbt9704::*;
use crate::layout::{self, Align, Composer, Draw, Ink, PageOut, ParaStyle, hrule, single_line};
use crate::model::{DocDate, OfficialDocument};
use crate::text;

/// What the 版头 leaves for the flow on page 1.
pub(crate) struct Masthead {
    pub draws: Vec<Draw>,
    /// first grid line free for the title
    pub title_line: usize,
}

/// The red mark (发文机关标志 or 纪要标志), 35 mm below the text block's top, condensed
/// (GB/T 9704-2012 §7.2.4, §10.3). Returns its draws and its bottom edge (mm below the
/// text block's top).
pub(crate) fn red_mark(fonts: &FontSet, mark: &str) -> (Vec<Draw>, f32) {
    let mut size_pt = ISSUER_MARK_HEIGHT_MM / MM_PER_PT;
    let g = text::shape(fonts, &[(mark, FontRole::XiaoBiaoSong)], size_pt);
    let natural = text::width(&g, 0.0);
    let mut hscale = ISSUER_MARK_CHAR_WIDTH_MM / ISSUER_MARK_HEIGHT_MM;
    if natural * hscale > TEXT_WIDTH_MM {
        hscale = TEXT_WIDTH_MM / natural;
    }
    if hscale < ISSUER_MARK_MIN_HSCALE {
        // too long even condensed: smaller type at the minimum scale
        size_pt *= hscale / ISSUER_MARK_MIN_HSCALE;
        hscale = ISSUER_MARK_MIN_HSCALE;
    }
    let em = size_pt * MM_PER_PT;
    let g = text::shape(fonts, &[(mark, FontRole::XiaoBiaoSong)], size_pt);
    let w = text::width(&g, 0.0) * hscale;
    let x = TEXT_LEFT_MM + (TEXT_WIDTH_MM - w) / 2.0;
    let top = ISSUER_MARK_TOP_BELOW_TEXT_TOP_MM;
    let y = TOP_MARGIN_MM + top + EM_BOX_ASCENT * em;
    let line = text::Line {
        range: 0..g.len(),
        tc: 0.0,
        width: w,
    };
    let mut draws = layout::text_draws(&g, &line, x, y, size_pt, Ink::Red);
    // text_draws positions runs for hscale 1; rescale run offsets
    for d in &mut draws {
        if let Draw::Text {
            x: rx, hscale: h, ..
        } = d
        {
            *rx = x + (*rx - x) * hscale;
            *h = hscale;
        }
    }
    (draws, top + em)
}

/// Baseline of 3号 text on grid line `i`.
fn line_baseline(i: usize) -> f32 {
    baseline_in_cell(grid_line_top_mm(i), LINE_PITCH_MM, SIZE_3HAO_PT)
}

/// The line with the 发文字号 / serial number and the red separator 4 mm below it
/// (§7.2.5–§7.2.7). `left` and `right` are placed at the sides (上行文), `centre` centred.
pub(crate) fn number_line(
    fonts: &FontSet,
    line: usize,
    centre: Option<&str>,
    left: Option<&str>,
    right: Option<&[(&str, FontRole)]>,
) -> Vec<Draw> {
    let y = line_baseline(line);
    let char_w = grid_char_mm();
    let mut draws = Vec::new();
    if let Some(c) = centre {
        let w = layout::measure(fonts, &[(c, FontRole::FangSong)], SIZE_3HAO_PT);
        let x = TEXT_LEFT_MM + (TEXT_WIDTH_MM - w) / 2.0;
        draws.extend(
            single_line(
                fonts,
                &[(c, FontRole::FangSong)],
                SIZE_3HAO_PT,
                x,
                y,
                Ink::Black,
            )
            .0,
        );
    }
    if let Some(l) = left {
        let x = TEXT_LEFT_MM + UPWARD_SIDE_INSET_CHARS * char_w;
        draws.extend(
            single_line(
                fonts,
                &[(l, FontRole::FangSong)],
                SIZE_3HAO_PT,
                x,
                y,
                Ink::Black,
            )
            .0,
        );
    }
    if let Some(r) = right {
        let w = layout::measure(fonts, r, SIZE_3HAO_PT);
        let x = TEXT_RIGHT_MM - UPWARD_SIDE_INSET_CHARS * char_w - w;
        draws.extend(single_line(fonts, r, SIZE_3HAO_PT, x, y, Ink::Black).0);
    }
    // §7.2.7: the red line 4 mm below the bottom of the 文号's characters
    let em = SIZE_3HAO_PT * MM_PER_PT;
    let text_bottom = y + (1.0 - EM_BOX_ASCENT) * em;
    draws.push(hrule(
        TEXT_LEFT_MM,
        TEXT_RIGHT_MM,
        text_bottom + RED_LINE_BELOW_DOC_NUMBER_MM,
        RED_LINE_THICKNESS_MM,
        Ink::Red,
    ));
    draws
}

/// Grid line that holds the 文号 for a mark ending `mark_bottom` mm below the text top:
/// two blank lines below the mark (§7.2.5).
pub(crate) fn number_line_index(mark_bottom: f32, min_line: usize) -> usize {
    let below = (mark_bottom / LINE_PITCH_MM - 0.01).ceil().max(0.0) as usize;
    (below + DOC_NUMBER_BLANK_LINES_BELOW_MARK).max(min_line)
}

/// 份号: six Arabic digits (§7.2.1), so "123" is printed "000123".
pub(crate) fn copy_number(s: &str) -> String {
    let s = s.trim();
    if !s.is_empty() && s.len() < 6 && s.chars().all(|c| c.is_ascii_digit()) {
        format!("{s:0>6}")
    } else {
        s.to_string()
    }
}

/// 发文字号: the year in 六角括号 (§7.2.5). "X发[2026]12号", "X发(2026)12号", "X发【2026】12号"
/// are written "X发〔2026〕12号".
pub(crate) fn doc_number(s: &str) -> String {
    let s = s.trim();
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars.get(i).copied().unwrap_or(' ');
        let year_follows = chars
            .get(i + 1..i + 5)
            .is_some_and(|y| y.iter().all(char::is_ascii_digit));
        let close = chars.get(i + 5).copied();
        let pair = matches!(
            (c, close),
            ('[', Some(']'))
                | ('(', Some(')'))
                | ('（', Some('）'))
                | ('【', Some('】'))
                | ('〖', Some('〗'))
                | ('［', Some('］'))
        );
        if year_follows && pair {
            out.push('〔');
            out.extend(chars.get(i + 1..i + 5).unwrap_or(&[]));
            out.push('〕');
            i += 6;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn masthead(fonts: &FontSet, d: &OfficialDocument) -> Masthead {
    let mut draws = Vec::new();
    // §7.2.1–§7.2.3: 份号, 密级和保密期限, 紧急程度 stacked top-left
    let mut line = 0;
    let copy = d.copy_number.as_deref().map(copy_number);
    let tops: [(Option<&str>, FontRole); 3] = [
        (copy.as_deref(), FontRole::FangSong),
        (d.secrecy.as_deref(), FontRole::HeiTi),
        (d.urgency.as_deref(), FontRole::HeiTi),
    ];
    for (v, role) in tops {
        if let Some(v) = v.map(str::trim).filter(|s| !s.is_empty()) {
            draws.extend(
                single_line(
                    fonts,
                    &[(v, role)],
                    SIZE_3HAO_PT,
                    TEXT_LEFT_MM,
                    line_baseline(line),
                    Ink::Black,
                )
                .0,
            );
            line += 1;
        }
    }
    let (mark, mark_bottom) = red_mark(fonts, d.issuer_mark.trim());
    draws.extend(mark);
    let nl = number_line_index(mark_bottom, line);
    let number = d.doc_number.as_deref().map(doc_number);
    let number = number.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let signer = d.signer.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let signer_spans;
    match signer {
        Some(s) => {
            // 上行文 (§7.2.5, §7.2.6): 文号 left + one character, 签发人 right − one character
            signer_spans = [("签发人：", FontRole::FangSong), (s, FontRole::KaiTi)];
            draws.extend(number_line(fonts, nl, None, number, Some(&signer_spans)));
        }
        None => draws.extend(number_line(fonts, nl, number, None, None)),
    }
    Masthead {
        draws,
        title_line: nl + 1 + TITLE_BLANK_LINES_BELOW_RED_LINE,
    }
}

/// Title: 2号小标宋, centred, balanced lines (§7.3.1).
pub(crate) fn title(c: &mut Composer<'_>, t: &str) {
    let t = t.trim();
    if t.is_empty() {
        return;
    }
    let st = ParaStyle {
        size_pt: SIZE_2HAO_PT,
        first_indent: 0.0,
        rest_indent: 0.0,
        right_inset: 0.0,
        align: Align::Center,
        ink: Ink::Black,
        widow_control: false,
        keep_with_next: true,
    };
    c.paragraph(&[(t, FontRole::XiaoBiaoSong)], st);
}

/// A labelled list ("出席：…", "抄送：…"): label in `label_role`, wrapped lines aligned with
/// the first character after the colon.
pub(crate) fn labelled(
    c: &mut Composer<'_>,
    label: &str,
    label_role: FontRole,
    value: &str,
    indent: f32,
    size_pt: f32,
    right_inset: f32,
) {
    let lw = layout::measure(c.fonts, &[(label, label_role)], size_pt) + layout::grid_tc(size_pt);
    let st = ParaStyle {
        size_pt,
        first_indent: indent,
        rest_indent: indent + lw,
        right_inset,
        align: Align::Justify,
        ink: Ink::Black,
        widow_control: false,
        keep_with_next: false,
    };
    c.paragraph(&[(label, label_role), (value, FontRole::FangSong)], st);
}

/// 附件说明 (§7.3.4): one blank line below the text, two characters in, "附件：" then the
/// names, numbered when several; wrapped names align with their first character.
fn attachments(c: &mut Composer<'_>, names: &[String]) {
    let names: Vec<String> = names
        .iter()
        .map(|n| {
            n.trim()
                .trim_end_matches(['。', '；', '，', '.', ';', ','])
                .to_string()
        })
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return;
    }
    // the note stays with the last two lines of the text
    c.keep_last(2);
    c.blank(ATTACHMENT_BLANK_LINES);
    c.keep_last(1);
    let ch = grid_char_mm();
    let indent = ATTACHMENT_INDENT_CHARS * ch;
    let label = "附件：";
    let lw = layout::measure(c.fonts, &[(label, FontRole::FangSong)], SIZE_3HAO_PT)
        + layout::grid_tc(SIZE_3HAO_PT);
    let many = names.len() > 1;
    for (i, n) in names.iter().enumerate() {
        let prefix = if many {
            format!("{}.", i + 1)
        } else {
            String::new()
        };
        let pw = if prefix.is_empty() {
            0.0
        } else {
            layout::measure(c.fonts, &[(&prefix, FontRole::FangSong)], SIZE_3HAO_PT)
                + layout::grid_tc(SIZE_3HAO_PT)
        };
        let lead = if i == 0 { label } else { "" };
        let first_indent = if i == 0 { indent } else { indent + lw };
        let st = ParaStyle {
            size_pt: SIZE_3HAO_PT,
            first_indent,
            rest_indent: indent + lw + pw,
            right_inset: 0.0,
            align: Align::Justify,
            ink: Ink::Black,
            widow_control: false,
            keep_with_next: false,
        };
        c.paragraph(
            &[
                (lead, FontRole::FangSong),
                (&prefix, FontRole::FangSong),
                (n, FontRole::FangSong),
            ],
            st,
        );
    }
}

/// 发文机关署名 centred over the 成文日期, which stands four characters from the right
/// (§7.3.5.1); 附注 on the next line (§7.3.6). Kept on one page with the last two lines of
/// the text (the standard forbids "此页无正文" pages).
fn signature(c: &mut Composer<'_>, signature: &str, date: Option<DocDate>, note: Option<&str>) {
    let signature = signature.trim();
    let note = note.map(str::trim).filter(|s| !s.is_empty());
    if signature.is_empty() && date.is_none() && note.is_none() {
        return;
    }
    c.keep_last(2);
    c.blank(SIGNATURE_BLANK_LINES);
    c.keep_last(1);
    let ch = grid_char_mm();
    let date_text = date.map(|d| d.to_string());
    let date_w = date_text
        .as_deref()
        .map(|t| layout::measure(c.fonts, &[(t, FontRole::FangSong)], SIZE_3HAO_PT));
    let date_x = date_w.map(|w| TEXT_RIGHT_MM - DATE_RIGHT_INSET_CHARS * ch - w);
    let y = baseline_in_cell(0.0, LINE_PITCH_MM, SIZE_3HAO_PT);
    if !signature.is_empty() {
        let sw = layout::measure(c.fonts, &[(signature, FontRole::FangSong)], SIZE_3HAO_PT);
        let centre = match (date_x, date_w) {
            (Some(x), Some(w)) => x + w / 2.0,
            _ => TEXT_RIGHT_MM - DATE_RIGHT_INSET_CHARS * ch - sw / 2.0,
        };
        let max_x = TEXT_RIGHT_MM - SIGNATURE_MIN_RIGHT_INSET_CHARS * ch - sw;
        let x = (centre - sw / 2.0).min(max_x).max(TEXT_LEFT_MM);
        let (d, _) = single_line(
            c.fonts,
            &[(signature, FontRole::FangSong)],
            SIZE_3HAO_PT,
            x,
            y,
            Ink::Black,
        );
        push_line(c, d, date_text.is_some() || note.is_some());
    }
    if let (Some(t), Some(x)) = (date_text.as_deref(), date_x) {
        let (d, _) = single_line(
            c.fonts,
            &[(t, FontRole::FangSong)],
            SIZE_3HAO_PT,
            x,
            y,
            Ink::Black,
        );
        push_line(c, d, note.is_some());
    }
    if let Some(n) = note {
        let n = if n.starts_with('（') {
            n.to_string()
        } else {
            format!("（{n}）")
        };
        let mut st = ParaStyle::body();
        st.first_indent = NOTE_INDENT_CHARS * ch;
        st.widow_control = false;
        c.paragraph(&[(&n, FontRole::FangSong)], st);
    }
}

fn push_line(c: &mut Composer<'_>, draws: Vec<Draw>, keep_with_next: bool) {
    c.boxes.push(layout::VBox {
        height: layout::Height::Grid,
        draws,
        keep_with_next,
        discardable: false,
        repeat_header: None,
    });
}

/// 版记 (§7.4) at the bottom of the last page: thick line, 抄送 (wrapping under the first
/// name), thin line, 印发机关 left and 印发日期 right, thick line on the text block's bottom
/// edge. Adds a page when the last one has no room.
pub(crate) fn imprint(
    fonts: &FontSet,
    pages: &mut Vec<PageOut>,
    last_bottom: f32,
    cc: &[String],
    printer: &str,
    print_date: Option<DocDate>,
) {
    let printer = printer.trim();
    let cc: Vec<&str> = cc
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if cc.is_empty() && printer.is_empty() && print_date.is_none() {
        return;
    }
    let size = SIZE_4HAO_PT;
    let em = size * MM_PER_PT;
    let inset = IMPRINT_SIDE_INSET_CHARS * em;
    let mut rows: Vec<Vec<Draw>> = Vec::new();
    let y = baseline_in_cell(0.0, IMPRINT_ROW_MM, size);
    if !cc.is_empty() {
        let mut value = cc.join("，");
        if !value.ends_with('。') {
            value.push('。');
        }
        let label = "抄送：";
        let g = text::shape(
            fonts,
            &[(label, FontRole::FangSong), (&value, FontRole::FangSong)],
            size,
        );
        let lw = layout::measure(fonts, &[(label, FontRole::FangSong)], size);
        let full = TEXT_WIDTH_MM - 2.0 * inset;
        let width = move |i: usize| if i == 0 { full } else { full - lw };
        let lines = text::break_lines(
            &g,
            &text::Measure {
                width: &width,
                tc: 0.0,
                em,
                justify: true,
            },
        );
        for (i, l) in lines.iter().enumerate() {
            let x = TEXT_LEFT_MM + inset + if i == 0 { 0.0 } else { lw };
            rows.push(layout::text_draws(&g, l, x, y, size, Ink::Black));
        }
    }
    let cc_rows = rows.len();
    {
        let mut row = Vec::new();
        if !printer.is_empty() {
            row.extend(
                single_line(
                    fonts,
                    &[(printer, FontRole::FangSong)],
                    size,
                    TEXT_LEFT_MM + inset,
                    y,
                    Ink::Black,
                )
                .0,
            );
        }
        if let Some(d) = print_date {
            let t = format!("{d}印发");
            let w = layout::measure(fonts, &[(&t, FontRole::FangSong)], size);
            row.extend(
                single_line(
                    fonts,
                    &[(&t, FontRole::FangSong)],
                    size,
                    TEXT_RIGHT_MM - inset - w,
                    y,
                    Ink::Black,
                )
                .0,
            );
        }
        rows.push(row);
    }
    let n = rows.len() as f32;
    let top = TEXT_HEIGHT_MM - n * IMPRINT_ROW_MM;
    if last_bottom > top + 0.05 {
        pages.push(PageOut::default());
    }
    let Some(page) = pages.last_mut() else { return };
    let abs_top = TOP_MARGIN_MM + top;
    for (i, r) in rows.into_iter().enumerate() {
        let dy = abs_top + i as f32 * IMPRINT_ROW_MM;
        page.draws.extend(r.iter().map(|d| d.shifted(dy)));
    }
    page.draws.push(hrule(
        TEXT_LEFT_MM,
        TEXT_RIGHT_MM,
        abs_top,
        IMPRINT_THICK_LINE_MM,
        Ink::Black,
    ));
    if cc_rows > 0 {
        let y = abs_top + cc_rows as f32 * IMPRINT_ROW_MM;
        page.draws.push(hrule(
            TEXT_LEFT_MM,
            TEXT_RIGHT_MM,
            y,
            IMPRINT_THIN_LINE_MM,
            Ink::Black,
        ));
    }
    page.draws.push(hrule(
        TEXT_LEFT_MM,
        TEXT_RIGHT_MM,
        TEXT_BOTTOM_MM,
        IMPRINT_THICK_LINE_MM,
        Ink::Black,
    ));
}

/// Lay out the whole document.
pub(crate) fn layout(d: &OfficialDocument, fonts: &FontSet) -> Result<Vec<PageOut>, RenderError> {
    if d.issuer_mark.trim().is_empty() {
        return Err(RenderError::Invalid(
            "发文机关标志 (issuer_mark) is empty".into(),
        ));
    }
    if d.title.trim().is_empty() {
        return Err(RenderError::Invalid("标题 (title) is empty".into()));
    }
    let head = masthead(fonts, d);
    let mut c = Composer::new(fonts);
    title(&mut c, &d.title);
    let recipients: Vec<&str> = d
        .main_recipients
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !recipients.is_empty() {
        // §7.3.2: one blank line below the title, flush left, wrapped flush left, full-width colon
        c.blank(RECIPIENTS_BLANK_LINES_BELOW_TITLE);
        c.keep_last(1);
        let mut r = recipients.join("，");
        let r_trim = r.trim_end_matches([':', '：']).len();
        r.truncate(r_trim);
        r.push('：');
        let mut st = ParaStyle::body();
        st.first_indent = 0.0;
        st.widow_control = false;
        st.keep_with_next = true;
        c.paragraph(&[(&r, FontRole::FangSong)], st);
    } else {
        c.blank(1);
        c.keep_last(1);
    }
    c.blocks(&d.body)?;
    attachments(&mut c, &d.attachments);
    signature(&mut c, &d.issuer_signature, d.date, d.note.as_deref());
    let first_top = head.title_line as f32 * LINE_PITCH_MM;
    let mut p = layout::paginate(&c.boxes, first_top, head.draws);
    imprint(
        fonts,
        &mut p.pages,
        p.last_bottom,
        &d.cc,
        &d.printer,
        d.print_date,
    );
    if d.watermark_draft {
        layout::draft_label(fonts, &mut p.pages);
    }
    layout::number_pages(fonts, &mut p.pages);
    Ok(p.pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_numbers_have_six_digits() {
        assert_eq!(copy_number("123"), "000123");
        assert_eq!(copy_number("000123"), "000123");
        assert_eq!(copy_number("A-1"), "A-1");
    }

    #[test]
    fn doc_numbers_use_hexagonal_brackets() {
        assert_eq!(doc_number("示国土资发[2026]12号"), "示国土资发〔2026〕12号");
        assert_eq!(
            doc_number("示国土资发（2026）12号"),
            "示国土资发〔2026〕12号"
        );
        assert_eq!(
            doc_number("示国土资发【2026】12号"),
            "示国土资发〔2026〕12号"
        );
        assert_eq!(
            doc_number("示国土资发〔2026〕12号"),
            "示国土资发〔2026〕12号"
        );
        assert_eq!(doc_number("示[26]号"), "示[26]号");
    }
}
