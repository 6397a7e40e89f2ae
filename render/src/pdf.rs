//! Writing laid-out pages with printpdf: fonts embedded as subsets (selectable text through
//! their ToUnicode maps), deterministic resource names so equal input gives equal bytes.

use std::collections::BTreeSet;

use printpdf::{
    Codepoint, Color, FontId, Line, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem, TextMatrix, font::PdfFont,
};

use crate::fonts::FontSet;
use crate::gbt9704::{MM_PER_PT, PAGE_HEIGHT_MM, PAGE_WIDTH_MM, RED};
use crate::layout::{Draw, Ink, PageOut};

fn pt(mm: f32) -> Pt {
    Pt(mm / MM_PER_PT)
}

fn color(ink: Ink) -> Color {
    let (r, g, b) = match ink {
        Ink::Black => (0.0, 0.0, 0.0),
        Ink::Red => RED,
        Ink::Grey(v) => (v, v, v),
    };
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

/// Fixed resource names, which printpdf also uses as the subset tag ("YSHIAA+Name"): six
/// capital letters make viewers (and `pdffonts`) recognise the fonts as subsets.
fn font_id(face: usize) -> FontId {
    let a = (b'A' + (face / 26 % 26) as u8) as char;
    let b = (b'A' + (face % 26) as u8) as char;
    FontId(format!("YSHI{a}{b}"))
}

pub(crate) fn write(title: &str, fonts: &FontSet, pages: &[PageOut]) -> Vec<u8> {
    let mut doc = PdfDocument::new(title);
    doc.metadata.info.producer = "Yishi (议事) yishi-render".into();
    doc.metadata.info.creator = "Yishi (议事)".into();

    let used: BTreeSet<usize> = pages
        .iter()
        .flat_map(|p| p.draws.iter())
        .filter_map(|d| match d {
            Draw::Text { face, .. } => Some(*face),
            Draw::Rule { .. } => None,
        })
        .collect();
    for face in &used {
        if let Some(f) = fonts.faces().get(*face) {
            doc.resources
                .fonts
                .map
                .insert(font_id(*face), PdfFont::new(f.parsed.clone()));
        }
    }

    let pdf_pages = pages.iter().map(page_ops).collect();
    let mut warnings = Vec::new();
    let mut bytes = doc.with_pages(pdf_pages).save(
        &PdfSaveOptions {
            subset_fonts: true,
            ..Default::default()
        },
        &mut warnings,
    );
    stable_id(&mut bytes);
    bytes
}

/// printpdf writes a random trailer `/ID`; replace it (same length, so the xref stays valid)
/// with one derived from the content, so that equal input gives byte-identical PDFs (archive
/// digests, caching).
fn stable_id(pdf: &mut [u8]) {
    let needle = b"/ID[(";
    let Some(at) = pdf.windows(needle.len()).rposition(|w| w == needle) else {
        return;
    };
    // FNV-1a over everything before the trailer, two seeds → 128 bits
    let digest = |seed: u64| {
        pdf.iter().take(at).fold(seed, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (digest(0xcbf2_9ce4_8422_2325), digest(0x6c62_272e_07bb_0142));
    let hex: Vec<u8> = format!("{a:016X}{b:016X}").into_bytes();
    let mut i = at + needle.len();
    for _ in 0..2 {
        let start = i;
        while pdf.get(i).is_some_and(|c| *c != b')') {
            i += 1;
        }
        for (k, slot) in pdf
            .get_mut(start..i)
            .unwrap_or_default()
            .iter_mut()
            .enumerate()
        {
            *slot = hex.get(k % hex.len()).copied().unwrap_or(b'0');
        }
        // skip ")(" to the second string
        i += 2;
    }
}

fn page_ops(p: &PageOut) -> PdfPage {
    let mut ops = Vec::new();
    // state we avoid repeating
    let mut fill: Option<Ink> = None;
    let mut font: Option<(usize, f32)> = None;
    let mut tc: Option<f32> = None;
    let mut tz: Option<f32> = None;
    let mut in_text = false;
    for d in &p.draws {
        match d {
            Draw::Text {
                face,
                size_pt,
                x,
                y,
                text,
                gids,
                tc: t,
                hscale,
                ink,
            } => {
                if !in_text {
                    ops.push(Op::StartTextSection);
                    in_text = true;
                }
                if fill != Some(*ink) {
                    ops.push(Op::SetFillColor { col: color(*ink) });
                    fill = Some(*ink);
                }
                if font != Some((*face, *size_pt)) {
                    ops.push(Op::SetFont {
                        font: PdfFontHandle::External(font_id(*face)),
                        size: Pt(*size_pt),
                    });
                    font = Some((*face, *size_pt));
                }
                let t_pt = t / MM_PER_PT;
                if tc.is_none_or(|c| (c - t_pt).abs() > 1e-4) {
                    ops.push(Op::SetCharacterSpacing { multiplier: t_pt });
                    tc = Some(t_pt);
                }
                let pct = hscale * 100.0;
                if tz.is_none_or(|z| (z - pct).abs() > 1e-3) {
                    ops.push(Op::SetHorizontalScaling { percent: pct });
                    tz = Some(pct);
                }
                let matrix = TextMatrix::Translate(pt(*x), pt(PAGE_HEIGHT_MM - y));
                ops.push(Op::SetTextMatrix { matrix });
                // glyph ids (we resolved them while measuring) with their characters for the
                // ToUnicode map: printpdf need not look every character up again
                let glyphs = gids
                    .iter()
                    .zip(text.chars())
                    .map(|(gid, ch)| Codepoint::with_cid(*gid, 0.0, ch.to_string()))
                    .collect();
                ops.push(Op::ShowText {
                    items: vec![TextItem::GlyphIds(glyphs)],
                });
            }
            Draw::Rule {
                x1,
                y1,
                x2,
                y2,
                thickness,
                ink,
            } => {
                if in_text {
                    ops.push(Op::EndTextSection);
                    in_text = false;
                }
                ops.push(Op::SetOutlineColor { col: color(*ink) });
                ops.push(Op::SetOutlineThickness { pt: pt(*thickness) });
                let a = Point {
                    x: pt(*x1),
                    y: pt(PAGE_HEIGHT_MM - y1),
                };
                let b = Point {
                    x: pt(*x2),
                    y: pt(PAGE_HEIGHT_MM - y2),
                };
                ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![
                            LinePoint {
                                p: a,
                                bezier: false,
                            },
                            LinePoint {
                                p: b,
                                bezier: false,
                            },
                        ],
                        is_closed: false,
                    },
                });
            }
        }
    }
    if in_text {
        ops.push(Op::EndTextSection);
    }
    PdfPage::new(Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM), ops)
}
