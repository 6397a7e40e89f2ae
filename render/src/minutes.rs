//! Meeting minutes (会议纪要) in the GB/T 9704-2012 §10.3 纪要格式: the unit's unified
//! minutes header in red 35 mm below the text block's top, the serial number (R15) with the
//! red separator, the meeting's particulars, the items with their decisions, tallies and the
//! head's override reasons (R13), withheld items reduced to title and reason (R16), then the
//! 出席/请假/列席 lists (§10.3: one blank line below the text, two characters in, 黑体
//! label) and the 版记.

use crate::document::{imprint, labelled, number_line, number_line_index, red_mark, title};
use crate::error::RenderError;
use crate::fonts::{FontRole, FontSet};
use crate::gbt9704::*;
use crate::layout::{self, Composer, PageOut, ParaStyle};
use crate::model::MinutesDoc;

pub(crate) fn layout(m: &MinutesDoc, fonts: &FontSet) -> Result<Vec<PageOut>, RenderError> {
    if m.header.trim().is_empty() {
        return Err(RenderError::Invalid("纪要文头 (header) is empty".into()));
    }
    let (mut head, mark_bottom) = red_mark(fonts, m.header.trim());
    let nl = number_line_index(mark_bottom, 0);
    let serial = m.serial.as_deref().map(str::trim).filter(|s| !s.is_empty());
    head.extend(number_line(fonts, nl, serial, None, None));
    let title_line = nl + 1 + TITLE_BLANK_LINES_BELOW_RED_LINE;

    let mut c = Composer::new(fonts);
    let indent = PARAGRAPH_INDENT_CHARS * grid_char_mm();
    let has_title = !m.meeting_title.trim().is_empty();
    title(&mut c, &m.meeting_title);
    if has_title {
        c.blank(1);
        c.keep_last(1);
    }
    for (label, value) in [
        ("时间：", &m.held_at),
        ("地点：", &m.location),
        ("主持：", &m.chair),
        ("记录：", &m.recorder),
    ] {
        let v = value.trim();
        if !v.is_empty() {
            labelled(&mut c, label, FontRole::HeiTi, v, indent, SIZE_3HAO_PT, 0.0);
        }
    }
    if !m.items.is_empty() {
        c.body_text("现将会议议定事项纪要如下：", FontRole::FangSong);
    }
    for item in &m.items {
        c.heading(1, &item.title);
        if let Some(reason) = item.withheld.as_deref() {
            // R16: nothing of a withheld item but its title and the recorded reason
            let reason = reason.trim();
            c.body_text(&format!("（本项不公开：{reason}）"), FontRole::FangSong);
            continue;
        }
        c.body_text(&item.decision, FontRole::FangSong);
        if let Some(t) = item
            .tally
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            labelled_body(&mut c, "表决情况：", t);
        }
        if let Some(r) = item
            .override_reason
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            labelled_body(&mut c, "主要负责人决定理由：", r);
        }
    }
    c.blocks(&m.closing)?;

    // §10.3: 出席/请假/列席 one blank line below the text, two characters in
    let present = m
        .present
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("、");
    let leave = m
        .on_leave
        .iter()
        .filter(|(n, _)| !n.trim().is_empty())
        .map(|(n, r)| {
            if r.trim().is_empty() {
                n.trim().to_string()
            } else {
                format!("{}（{}）", n.trim(), r.trim())
            }
        })
        .collect::<Vec<_>>()
        .join("、");
    let observers = m
        .observers
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("、");
    let lists: Vec<(&str, String)> = [
        ("出席：", present),
        ("请假：", leave),
        ("列席：", observers),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    if !lists.is_empty() {
        c.blank(1);
        for (label, v) in lists {
            labelled(
                &mut c,
                label,
                FontRole::HeiTi,
                &v,
                indent,
                SIZE_3HAO_PT,
                0.0,
            );
        }
    }

    let first_top = title_line as f32 * LINE_PITCH_MM;
    let mut p = layout::paginate(&c.boxes, first_top, head);
    imprint(
        fonts,
        &mut p.pages,
        p.last_bottom,
        &m.cc,
        &m.printer,
        m.print_date,
    );
    if m.watermark_draft {
        layout::draft_label(fonts, &mut p.pages);
    }
    layout::number_pages(fonts, &mut p.pages);
    Ok(p.pages)
}

/// A body paragraph starting with a label ("表决情况：…"), indented like body text.
fn labelled_body(c: &mut Composer<'_>, label: &str, value: &str) {
    c.paragraph(
        &[(label, FontRole::FangSong), (value, FontRole::FangSong)],
        ParaStyle::body(),
    );
}
