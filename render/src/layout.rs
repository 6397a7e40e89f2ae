//! The layout engine: paragraphs, headings, tables and blank lines become a vertical list of
//! boxes on the 22-line grid (GB/T 9704-2012 §6.2); the paginator places them on pages with
//! keep-with-next chains (no heading alone at a page bottom, no orphan first line, no widow
//! last line, signature kept with the text), dropping blank lines at page tops and repeating
//! table headers. Output: pages of positioned drawing operations, still independent of PDF.

use crate::error::RenderError;
use crate::fonts::{FontRole, FontSet};
use crate::gbt9704::*;
use crate::text::{self, Glyph, Measure};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Ink {
    Black,
    Red,
    Grey(f32),
}

/// A positioned drawing operation. x from the page's left edge, y from its top edge, in mm.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Draw {
    Text {
        face: usize,
        size_pt: f32,
        x: f32,
        /// baseline
        y: f32,
        text: String,
        /// glyph ids in `face`, one per char of `text`
        gids: Vec<u16>,
        /// extra space after each glyph (PDF `Tc`), mm
        tc: f32,
        /// horizontal scale, 1.0 = normal
        hscale: f32,
        ink: Ink,
    },
    /// A straight stroke from (x1, y1) to (x2, y2).
    Rule {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        thickness: f32,
        ink: Ink,
    },
}

/// A horizontal rule.
pub(crate) fn hrule(x1: f32, x2: f32, y: f32, thickness: f32, ink: Ink) -> Draw {
    Draw::Rule {
        x1,
        y1: y,
        x2,
        y2: y,
        thickness,
        ink,
    }
}

impl Draw {
    pub(crate) fn shifted(&self, dy: f32) -> Draw {
        let mut d = self.clone();
        match &mut d {
            Draw::Text { y, .. } => *y += dy,
            Draw::Rule { y1, y2, .. } => {
                *y1 += dy;
                *y2 += dy;
            }
        }
        d
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct PageOut {
    pub draws: Vec<Draw>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Height {
    /// one line of the 22-line grid, snapped to it
    Grid,
    /// free height (table rows), placed at the cursor
    Mm(f32),
}

/// A box of the vertical list. Draws are relative to the box's top edge.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct VBox {
    pub height: Height,
    pub draws: Vec<Draw>,
    /// must be on the same page as the next box
    pub keep_with_next: bool,
    /// a blank line: dropped at the top of a page
    pub discardable: bool,
    /// a table body row: the header row (index into the list) to repeat after a page break
    pub repeat_header: Option<usize>,
}

impl VBox {
    fn grid(draws: Vec<Draw>) -> VBox {
        VBox {
            height: Height::Grid,
            draws,
            keep_with_next: false,
            discardable: false,
            repeat_header: None,
        }
    }
}

/// Horizontal placement of a paragraph's lines.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Align {
    /// justified to the measure, last line left (body text)
    Justify,
    /// centred, balanced lines (titles)
    Center,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct ParaStyle {
    pub size_pt: f32,
    /// first line indent from the text block's left edge, mm
    pub first_indent: f32,
    /// indent of the following lines, mm
    pub rest_indent: f32,
    /// space kept free at the right, mm
    pub right_inset: f32,
    pub align: Align,
    pub ink: Ink,
    /// keep first two / last two lines together
    pub widow_control: bool,
    /// every line keeps with the next box (headings, titles)
    pub keep_with_next: bool,
}

impl ParaStyle {
    /// Body text: 3号, first line indented two characters, justified (§7.3.3).
    pub fn body() -> ParaStyle {
        ParaStyle {
            size_pt: SIZE_3HAO_PT,
            first_indent: PARAGRAPH_INDENT_CHARS * grid_char_mm(),
            rest_indent: 0.0,
            right_inset: 0.0,
            align: Align::Justify,
            ink: Ink::Black,
            widow_control: true,
            keep_with_next: false,
        }
    }
}

/// Spacing for a type size: the 28-per-line grid for 3号, solid otherwise.
pub(crate) fn grid_tc(size_pt: f32) -> f32 {
    if (size_pt - SIZE_3HAO_PT).abs() < 0.01 {
        grid_char_mm() - SIZE_3HAO_PT * MM_PER_PT
    } else {
        0.0
    }
}

/// Builds the vertical list.
pub(crate) struct Composer<'f> {
    pub fonts: &'f FontSet,
    pub boxes: Vec<VBox>,
    heading_counters: [u32; 4],
}

impl<'f> Composer<'f> {
    pub fn new(fonts: &'f FontSet) -> Composer<'f> {
        Composer {
            fonts,
            boxes: Vec::new(),
            heading_counters: [0; 4],
        }
    }

    /// `n` blank grid lines (dropped at a page top).
    pub fn blank(&mut self, n: usize) {
        for _ in 0..n {
            let mut b = VBox::grid(Vec::new());
            b.discardable = true;
            self.boxes.push(b);
        }
    }

    /// Lay out one paragraph of styled spans on grid lines.
    pub fn paragraph(&mut self, spans: &[(&str, FontRole)], st: ParaStyle) {
        let glyphs = text::shape(self.fonts, spans, st.size_pt);
        if glyphs.iter().all(|g| g.ch.is_whitespace()) {
            return;
        }
        let lines = lay_lines(&glyphs, &st);
        let n = lines.len();
        for (i, draws) in lines.into_iter().enumerate() {
            let mut b = VBox::grid(draws);
            b.keep_with_next =
                st.keep_with_next || (st.widow_control && n >= 2 && (i == 0 || i + 2 == n));
            self.boxes.push(b);
        }
    }

    /// Body text: each `\n`-separated part is a paragraph; leading spaces (full-width too)
    /// are dropped because the indent is ours.
    pub fn body_text(&mut self, text: &str, role: FontRole) {
        for part in text.split('\n') {
            let p = part.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
            if !p.is_empty() {
                self.paragraph(&[(p, role)], ParaStyle::body());
            }
        }
    }

    /// A numbered heading (§7.3.3): 一、 黑体; （一） 楷体; 1. and （1） 仿宋.
    pub fn heading(&mut self, level: u8, text: &str) {
        let level = level.clamp(1, 4);
        let idx = usize::from(level - 1);
        if let Some(c) = self.heading_counters.get_mut(idx) {
            *c += 1;
        }
        for c in self.heading_counters.iter_mut().skip(idx + 1) {
            *c = 0;
        }
        let n = self.heading_counters.get(idx).copied().unwrap_or(1);
        let text = text.trim();
        let numbered = if has_number(level, text) {
            text.to_string()
        } else {
            format!("{}{}", heading_number(level, n), text)
        };
        let role = match level {
            1 => FontRole::HeiTi,
            2 => FontRole::KaiTi,
            _ => FontRole::FangSong,
        };
        let mut st = ParaStyle::body();
        st.widow_control = false;
        st.keep_with_next = true;
        self.paragraph(&[(&numbered, role)], st);
    }

    /// A table with a header row, repeated on each page it spans.
    pub fn table(&mut self, header: &[String], rows: &[Vec<String>]) -> Result<(), RenderError> {
        let cols = rows
            .iter()
            .map(Vec::len)
            .chain(std::iter::once(header.len()))
            .max()
            .unwrap_or(0);
        if cols == 0 {
            return Ok(());
        }
        let size = TABLE_SIZE_PT;
        let em = size * MM_PER_PT;
        let pad = TABLE_CELL_PAD_X_MM;
        let cell = |r: &[String], c: usize| {
            r.get(c)
                .map(String::as_str)
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let shape = |s: &str, role| text::shape(self.fonts, &[(s, role)], size);

        // natural and minimum widths per column
        let mut natural = vec![2.0 * em + 2.0 * pad; cols];
        let all_rows: Vec<(bool, &[String])> = std::iter::once((true, header))
            .filter(|(_, h)| !h.is_empty())
            .chain(rows.iter().map(|r| (false, r.as_slice())))
            .collect();
        for (is_head, r) in &all_rows {
            let role = if *is_head {
                FontRole::HeiTi
            } else {
                FontRole::FangSong
            };
            for (c, nat) in natural.iter_mut().enumerate() {
                let w = text::width(&shape(&cell(r, c), role), 0.0) + 2.0 * pad + 0.5;
                *nat = nat.max(w);
            }
        }
        let widths = fit_columns(&natural, TEXT_WIDTH_MM, 2.0 * em + 2.0 * pad);

        let line_h = size * MM_PER_PT * TABLE_LINE_FACTOR;
        let header_index = self.boxes.len();
        for (ri, (is_head, r)) in all_rows.iter().enumerate() {
            let role = if *is_head {
                FontRole::HeiTi
            } else {
                FontRole::FangSong
            };
            let mut cells: Vec<Vec<Vec<Draw>>> = Vec::new();
            let mut max_lines = 1;
            let mut x = TEXT_LEFT_MM;
            for (c, w) in widths.iter().enumerate() {
                let g = shape(&cell(r, c), role);
                let inner = w - 2.0 * pad;
                let f = move |_: usize| inner;
                let lines = text::break_lines(
                    &g,
                    &Measure {
                        width: &f,
                        tc: 0.0,
                        em,
                        justify: false,
                    },
                );
                max_lines = max_lines.max(lines.len());
                let center = *is_head || lines.len() <= 1;
                let mut per_line = Vec::new();
                for (li, l) in lines.iter().enumerate() {
                    let x0 = if center {
                        x + (w - l.width) / 2.0
                    } else {
                        x + pad
                    };
                    let y = TABLE_CELL_PAD_Y_MM
                        + li as f32 * line_h
                        + baseline_in_cell(0.0, line_h, size);
                    per_line.push(text_draws(&g, l, x0, y, size, Ink::Black));
                }
                cells.push(per_line);
                x += w;
            }
            let h = max_lines as f32 * line_h + 2.0 * TABLE_CELL_PAD_Y_MM;
            if h > TEXT_HEIGHT_MM {
                return Err(RenderError::Layout(
                    "a table row is taller than a page".into(),
                ));
            }
            let mut draws: Vec<Draw> = cells.into_iter().flatten().flatten().collect();
            draws.push(hrule(
                TEXT_LEFT_MM,
                TEXT_RIGHT_MM,
                0.0,
                TABLE_RULE_MM,
                Ink::Black,
            ));
            draws.push(hrule(
                TEXT_LEFT_MM,
                TEXT_RIGHT_MM,
                h,
                TABLE_RULE_MM,
                Ink::Black,
            ));
            let mut xv = TEXT_LEFT_MM;
            for w in std::iter::once(&0.0).chain(widths.iter()) {
                xv += w;
                draws.push(Draw::Rule {
                    x1: xv,
                    y1: 0.0,
                    x2: xv,
                    y2: h,
                    thickness: TABLE_RULE_MM,
                    ink: Ink::Black,
                });
            }
            let mut b = VBox {
                height: Height::Mm(h),
                draws,
                keep_with_next: false,
                discardable: false,
                repeat_header: None,
            };
            if *is_head {
                b.keep_with_next = true;
            } else if header_index < self.boxes.len() && !header.is_empty() {
                b.repeat_header = Some(header_index);
            }
            // first body row keeps with the second so a table never starts with one row
            if ri == 1 && all_rows.len() > 2 {
                b.keep_with_next = true;
            }
            self.boxes.push(b);
        }
        // a little air before the text that follows (dropped at a page top)
        self.boxes.push(VBox {
            height: Height::Mm(TABLE_SPACE_AFTER_MM),
            draws: Vec::new(),
            keep_with_next: false,
            discardable: true,
            repeat_header: None,
        });
        Ok(())
    }

    /// Tie the last `n` non-blank boxes (and any blanks after them) to what comes next.
    pub fn keep_last(&mut self, n: usize) {
        let mut seen = 0;
        for b in self.boxes.iter_mut().rev() {
            b.keep_with_next = true;
            if !b.discardable {
                seen += 1;
                if seen >= n {
                    break;
                }
            }
        }
    }

    pub fn blocks(&mut self, blocks: &[crate::model::Block]) -> Result<(), RenderError> {
        use crate::model::Block;
        for b in blocks {
            match b {
                Block::Heading { level, text } => self.heading(*level, text),
                Block::Paragraph { text } => self.body_text(text, FontRole::FangSong),
                Block::Table { header, rows } => self.table(header, rows)?,
            }
        }
        Ok(())
    }
}

/// Column widths: natural widths if they fit (spread to the full width), otherwise the
/// widest columns are capped at a common level so that everything fits.
fn fit_columns(natural: &[f32], total: f32, min: f32) -> Vec<f32> {
    let sum: f32 = natural.iter().sum();
    if sum <= total {
        let extra = (total - sum) / natural.len() as f32;
        return natural.iter().map(|w| w + extra).collect();
    }
    let (mut lo, mut hi) = (min, natural.iter().cloned().fold(min, f32::max));
    for _ in 0..40 {
        let mid = (lo + hi) / 2.0;
        let s: f32 = natural.iter().map(|w| w.min(mid).max(min)).sum();
        if s > total {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let mut w: Vec<f32> = natural.iter().map(|w| w.min(lo).max(min)).collect();
    let s: f32 = w.iter().sum();
    if s < total
        && let Some(last) = w.last_mut()
    {
        *last += total - s;
    }
    w
}

/// Break and position a paragraph's lines; each entry is one grid line's draws (relative to
/// the cell top).
pub(crate) fn lay_lines(glyphs: &[Glyph], st: &ParaStyle) -> Vec<Vec<Draw>> {
    let em = st.size_pt * MM_PER_PT;
    let tc = grid_tc(st.size_pt);
    let full = TEXT_WIDTH_MM - st.right_inset;
    let (first, rest) = (full - st.first_indent, full - st.rest_indent);
    let width = move |i: usize| if i == 0 { first } else { rest };
    let lines = if st.align == Align::Center {
        text::break_title(glyphs, first, tc, em)
    } else {
        text::break_lines(
            glyphs,
            &Measure {
                width: &width,
                tc,
                em,
                justify: st.align == Align::Justify,
            },
        )
    };
    let y = baseline_in_cell(0.0, LINE_PITCH_MM, st.size_pt);
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let indent = if i == 0 {
                st.first_indent
            } else {
                st.rest_indent
            };
            let x0 = match st.align {
                Align::Justify => TEXT_LEFT_MM + indent,
                Align::Center => TEXT_LEFT_MM + indent + (width(i) - l.width) / 2.0,
            };
            text_draws(glyphs, l, x0, y, st.size_pt, st.ink)
        })
        .collect()
}

/// Draw ops for one broken line.
pub(crate) fn text_draws(
    g: &[Glyph],
    l: &text::Line,
    x0: f32,
    y: f32,
    size_pt: f32,
    ink: Ink,
) -> Vec<Draw> {
    text::runs(g, l, x0)
        .into_iter()
        .map(|r| Draw::Text {
            face: r.face,
            size_pt,
            x: r.x,
            y,
            text: r.text,
            gids: r.gids,
            tc: l.tc,
            hscale: 1.0,
            ink,
        })
        .collect()
}

/// One line of text set solid (no breaking) at `x`, baseline `y`.
pub(crate) fn single_line(
    fonts: &FontSet,
    spans: &[(&str, FontRole)],
    size_pt: f32,
    x: f32,
    y: f32,
    ink: Ink,
) -> (Vec<Draw>, f32) {
    let g = text::shape(fonts, spans, size_pt);
    let tc = grid_tc(size_pt);
    let w = text::width(&g, tc);
    let line = text::Line {
        range: 0..g.len(),
        tc,
        width: w,
    };
    (text_draws(&g, &line, x, y, size_pt, ink), w)
}

/// Width of a one-line text.
pub(crate) fn measure(fonts: &FontSet, spans: &[(&str, FontRole)], size_pt: f32) -> f32 {
    text::width(&text::shape(fonts, spans, size_pt), grid_tc(size_pt))
}

fn chinese_number(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let d = |i: u32| D.get(i as usize).copied().unwrap_or("");
    match n {
        0..=9 => d(n).to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", d(n - 10)),
        20..=99 => {
            let (t, u) = (n / 10, n % 10);
            if u == 0 {
                format!("{}十", d(t))
            } else {
                format!("{}十{}", d(t), d(u))
            }
        }
        _ => n.to_string(),
    }
}

/// 一、 （一） 1. （1）
pub(crate) fn heading_number(level: u8, n: u32) -> String {
    match level {
        1 => format!("{}、", chinese_number(n)),
        2 => format!("（{}）", chinese_number(n)),
        3 => format!("{n}."),
        _ => format!("（{n}）"),
    }
}

/// Does `text` already start with a level-`level` number?
fn has_number(level: u8, text: &str) -> bool {
    let cn = |c: char| "一二三四五六七八九十零".contains(c);
    let mut it = text.chars();
    match level {
        1 => {
            let lead: String = text.chars().take_while(|c| cn(*c)).collect();
            !lead.is_empty() && text[lead.len()..].starts_with('、')
        }
        2 => {
            it.next() == Some('（') && {
                let rest: String = it.collect();
                let lead: String = rest.chars().take_while(|c| cn(*c)).collect();
                !lead.is_empty() && rest[lead.len()..].starts_with('）')
            }
        }
        3 => {
            let lead: String = text.chars().take_while(char::is_ascii_digit).collect();
            !lead.is_empty()
                && (text[lead.len()..].starts_with('.') || text[lead.len()..].starts_with('．'))
        }
        _ => {
            it.next() == Some('（') && {
                let rest: String = it.collect();
                let lead: String = rest.chars().take_while(char::is_ascii_digit).collect();
                !lead.is_empty() && rest[lead.len()..].starts_with('）')
            }
        }
    }
}

/// Result of pagination.
pub(crate) struct Paginated {
    pub pages: Vec<PageOut>,
    /// bottom of the last placed box on the last page, mm below the text block's top
    pub last_bottom: f32,
}

fn snap_up(y: f32) -> f32 {
    let k = ((y - 0.01) / LINE_PITCH_MM).ceil().max(0.0);
    k * LINE_PITCH_MM
}

fn place_span(b: &VBox, cursor: f32) -> (f32, f32) {
    match b.height {
        Height::Grid => {
            let top = snap_up(cursor);
            (top, top + LINE_PITCH_MM)
        }
        Height::Mm(h) => (cursor, cursor + h),
    }
}

/// Place the boxes on pages. `first_top`: where the flow starts on page 1 (mm below the text
/// block's top; page 1's 版头 sits above it). `page1` holds the 版头 draws.
pub(crate) fn paginate(boxes: &[VBox], first_top: f32, page1: Vec<Draw>) -> Paginated {
    let eps = 0.05;
    let mut pages = vec![PageOut { draws: page1 }];
    let mut cursor = first_top;
    let mut fresh = first_top <= eps;
    let mut i = 0;
    let place = |pages: &mut Vec<PageOut>, b: &VBox, cursor: f32| -> f32 {
        let (top, bottom) = place_span(b, cursor);
        if let Some(p) = pages.last_mut() {
            p.draws
                .extend(b.draws.iter().map(|d| d.shifted(TOP_MARGIN_MM + top)));
        }
        bottom
    };
    while i < boxes.len() {
        let Some(b) = boxes.get(i) else { break };
        if fresh && b.discardable {
            i += 1;
            continue;
        }
        // the keep-with-next chain starting here
        let mut j = i;
        while boxes.get(j).is_some_and(|b| b.keep_with_next) && j + 1 < boxes.len() {
            j += 1;
        }
        let mut end = cursor;
        for k in i..=j {
            if let Some(bk) = boxes.get(k) {
                end = place_span(bk, end).1;
            }
        }
        if end <= TEXT_HEIGHT_MM + eps {
            for k in i..=j {
                if let Some(bk) = boxes.get(k) {
                    cursor = place(&mut pages, bk, cursor);
                }
            }
            fresh = false;
            i = j + 1;
            continue;
        }
        if fresh {
            // the chain is longer than a page: fill this page box by box
            let mut placed_any = false;
            while i <= j {
                let Some(bk) = boxes.get(i) else { break };
                if place_span(bk, cursor).1 > TEXT_HEIGHT_MM + eps && placed_any {
                    break;
                }
                cursor = place(&mut pages, bk, cursor);
                placed_any = true;
                i += 1;
            }
            fresh = false;
            continue;
        }
        // next page
        pages.push(PageOut::default());
        cursor = 0.0;
        fresh = true;
        if let Some(h) = b.repeat_header
            && let Some(hb) = boxes.get(h)
        {
            cursor = place(&mut pages, hb, cursor);
            fresh = false;
        }
    }
    Paginated {
        pages,
        last_bottom: cursor,
    }
}

/// Add page numbers "— n —" (§7.5): 4号 宋体, dash 7 mm below the text block, odd pages
/// right and even pages left, one character in from the edge.
pub(crate) fn number_pages(fonts: &FontSet, pages: &mut [PageOut]) {
    let size = SIZE_4HAO_PT;
    let em = size * MM_PER_PT;
    let y = TEXT_BOTTOM_MM + PAGE_NUMBER_BELOW_TEXT_MM + EM_DASH_HEIGHT_EM * em;
    for (i, p) in pages.iter_mut().enumerate() {
        let n = i + 1;
        let label = format!("— {n} —");
        let w = measure(fonts, &[(&label, FontRole::SongTi)], size);
        let x = if n % 2 == 1 {
            TEXT_RIGHT_MM - PAGE_NUMBER_SIDE_INSET_CHARS * em - w
        } else {
            TEXT_LEFT_MM + PAGE_NUMBER_SIDE_INSET_CHARS * em
        };
        let (d, _) = single_line(fonts, &[(&label, FontRole::SongTi)], size, x, y, Ink::Black);
        p.draws.extend(d);
    }
}

/// Mark every page "草稿" (an unsigned draft): a boxed label in the top margin, right-aligned
/// with the text block. A label rather than a diagonal watermark, because text extraction
/// (copy-paste, search) would scatter a rotated watermark's characters into the body text.
pub(crate) fn draft_label(fonts: &FontSet, pages: &mut [PageOut]) {
    let size = SIZE_2HAO_PT;
    let em = size * MM_PER_PT;
    let label = "草稿";
    let w = measure(fonts, &[(label, FontRole::HeiTi)], size);
    let pad = DRAFT_LABEL_PAD_MM;
    let right = TEXT_RIGHT_MM;
    let x = right - pad - w;
    let top = TOP_MARGIN_MM - DRAFT_LABEL_ABOVE_TEXT_MM - em - 2.0 * pad;
    let y = top + pad + EM_BOX_ASCENT * em;
    let ink = Ink::Grey(DRAFT_GREY);
    let (x1, x2, y1, y2) = (x - pad, right, top, top + em + 2.0 * pad);
    for p in pages.iter_mut() {
        let (d, _) = single_line(fonts, &[(label, FontRole::HeiTi)], size, x, y, ink);
        p.draws.extend(d);
        for r in [
            hrule(x1, x2, y1, DRAFT_LABEL_RULE_MM, ink),
            hrule(x1, x2, y2, DRAFT_LABEL_RULE_MM, ink),
            Draw::Rule {
                x1,
                y1,
                x2: x1,
                y2,
                thickness: DRAFT_LABEL_RULE_MM,
                ink,
            },
            Draw::Rule {
                x1: x2,
                y1,
                x2,
                y2,
                thickness: DRAFT_LABEL_RULE_MM,
                ink,
            },
        ] {
            p.draws.push(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_numbers() {
        assert_eq!(heading_number(1, 3), "三、");
        assert_eq!(heading_number(1, 12), "十二、");
        assert_eq!(heading_number(2, 20), "（二十）");
        assert_eq!(heading_number(3, 2), "2.");
        assert_eq!(heading_number(4, 5), "（5）");
        assert!(has_number(1, "二、工作要求"));
        assert!(has_number(2, "（三）加强监督"));
        assert!(has_number(3, "1.总体要求"));
        assert!(has_number(4, "（2）其他"));
        assert!(!has_number(1, "工作要求"));
        assert!(!has_number(3, "2026年"));
    }

    #[test]
    fn columns_fit() {
        let w = fit_columns(&[20.0, 30.0], 156.0, 10.0);
        assert!((w.iter().sum::<f32>() - 156.0).abs() < 0.01);
        let w = fit_columns(&[20.0, 300.0, 100.0], 156.0, 10.0);
        assert!((w.iter().sum::<f32>() - 156.0).abs() < 0.01, "{w:?}");
        assert!((w[0] - 20.0).abs() < 0.01);
    }

    fn grid_box(kwn: bool) -> VBox {
        VBox {
            height: Height::Grid,
            draws: vec![hrule(0.0, 1.0, 0.0, 1.0, Ink::Black)],
            keep_with_next: kwn,
            discardable: false,
            repeat_header: None,
        }
    }

    #[test]
    fn pages_hold_22_lines() {
        let boxes: Vec<VBox> = (0..50).map(|_| grid_box(false)).collect();
        let p = paginate(&boxes, 0.0, Vec::new());
        let counts: Vec<usize> = p.pages.iter().map(|p| p.draws.len()).collect();
        assert_eq!(counts, vec![22, 22, 6]);
    }

    #[test]
    fn keep_with_next_moves_a_heading_off_the_page_bottom() {
        let mut boxes: Vec<VBox> = (0..21).map(|_| grid_box(false)).collect();
        boxes.push(grid_box(true)); // heading on line 22
        boxes.push(grid_box(false));
        let p = paginate(&boxes, 0.0, Vec::new());
        let counts: Vec<usize> = p.pages.iter().map(|p| p.draws.len()).collect();
        assert_eq!(counts, vec![21, 2]);
    }

    #[test]
    fn blank_lines_vanish_at_page_top() {
        let mut boxes: Vec<VBox> = (0..22).map(|_| grid_box(false)).collect();
        let mut blank = grid_box(false);
        blank.discardable = true;
        blank.draws.clear();
        boxes.push(blank);
        boxes.push(grid_box(false));
        let p = paginate(&boxes, 0.0, Vec::new());
        // the text line after the blank starts page 2 at the very top
        let Some(Draw::Rule { y1: y, .. }) = p.pages.get(1).and_then(|p| p.draws.first()) else {
            unreachable!("page 2 has a line")
        };
        assert!((y - TOP_MARGIN_MM).abs() < 0.01);
    }
}
