//! SPEC P01–P03 checked on real PDFs: render the samples, read them back with poppler
//! (`pdftotext`, `pdfinfo`) and lopdf (content streams), and compare with GB/T 9704-2012.
//! The numbers here are the standard's (37 mm, 28 mm, 156 × 225 mm, 22 × 28 …), written out
//! rather than taken from the crate's constants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;
use yishi_render::{
    Block, MinutesItem, OfficialDocument, forbidden_at_line_end, forbidden_at_line_start,
    render_document, render_minutes, samples,
};

const TOP: f32 = 37.0;
const LEFT: f32 = 28.0;
const RIGHT: f32 = 28.0 + 156.0;
const BOTTOM: f32 = 37.0 + 225.0;
const PITCH: f32 = 225.0 / 22.0;
/// one 3号 character on the 28-per-line grid
const CHAR: f32 = 156.0 / 28.0;

macro_rules! fonts_or_skip {
    () => {
        match fonts() {
            Some(f) => f,
            None => return,
        }
    };
}

fn is_heading_line(l: &str) -> bool {
    let s = l.trim();
    let lead: String = s
        .chars()
        .take_while(|c| "一二三四五六七八九十".contains(*c))
        .collect();
    !lead.is_empty() && s[lead.len()..].starts_with('、')
}

// ---------------------------------------------------------------- P01

#[test]
fn p01_chinese_text_round_trips_through_pdftotext() {
    let fonts = fonts_or_skip!();
    let d = samples::document();
    let pdf = render_document(&d, fonts).unwrap();
    let all: String = pages_text(&pdf).concat();
    for needle in [
        d.issuer_mark.as_str(),
        d.doc_number.as_deref().unwrap(),
        "示例市国土资源局关于进一步加强集体决策全面推行政务公开的意见",
        "局机关各处室，各分局，局属各单位：",
        "一、总体要求",
        "（一）决策范围",
        "1.会议程序。",
        "（1）表决方式。",
        "附件：1.“三重一大”事项提交单",
        "2.会议纪要公示登记表",
        "2026年11月22日",
        "（联系人：王明，电话：0512-12345678）",
        "抄送：市纪委监委派驻纪检监察组，市政府办公室。",
        "示例市国土资源局办公室",
        "2026年11月22日印发",
        "重要干部任免",
        "三分之二以上",
    ] {
        assert!(
            all.contains(&squash(needle)),
            "{needle:?} missing from the extracted text:\n{all}"
        );
    }
    for b in &d.body {
        if let Block::Paragraph { text } = b {
            assert!(all.contains(&squash(text)), "paragraph missing: {text}");
        }
    }
}

#[test]
fn p01_fonts_are_embedded_subsets_and_a_page_is_small() {
    let fonts = fonts_or_skip!();
    // a one-page document
    let mut d = samples::document();
    d.body = vec![Block::Paragraph {
        text: "现将有关事项通知如下，请认真贯彻执行。各处室要高度重视，认真抓好落实。".into(),
    }];
    d.title = "关于加强政务公开工作的通知".into();
    d.attachments.clear();
    d.note = None;
    let pdf = render_document(&d, fonts).unwrap();
    let p = parse(&pdf);
    assert_eq!(p.pages, 1, "the short sample should fit one page");
    eprintln!(
        "one-page document: {} bytes ({:.1} KB)",
        pdf.len(),
        pdf.len() as f64 / 1024.0
    );
    assert!(pdf.len() < 500 * 1024, "one page is {} bytes", pdf.len());

    // every font is embedded (FontFile*), has a ToUnicode map, and its program is a subset
    let mut fonts_seen = 0;
    for (_, obj) in p.doc.objects.iter() {
        let Ok(dict) = obj.as_dict() else { continue };
        if dict.get(b"Type").and_then(|t| t.as_name()).ok() != Some(b"Font".as_slice()) {
            continue;
        }
        if dict.get(b"Subtype").and_then(|t| t.as_name()).ok() != Some(b"Type0".as_slice()) {
            continue;
        }
        fonts_seen += 1;
        assert!(
            dict.get(b"ToUnicode").is_ok(),
            "font without ToUnicode: {dict:?}"
        );
        let deref = |o: &'_ lopdf::Object| -> lopdf::Dictionary {
            match o.as_reference() {
                Ok(id) => p.doc.get_dictionary(id).unwrap().clone(),
                Err(_) => o.as_dict().unwrap().clone(),
            }
        };
        let descendants = deref_array(&p.doc, dict.get(b"DescendantFonts").unwrap());
        let cid = deref(&descendants[0]);
        let fd = deref(cid.get(b"FontDescriptor").unwrap());
        let file = [b"FontFile".as_slice(), b"FontFile2", b"FontFile3"]
            .iter()
            .find_map(|k| fd.get(k).ok())
            .unwrap_or_else(|| panic!("font not embedded: {fd:?}"));
        let stream = p
            .doc
            .get_object(file.as_reference().unwrap())
            .unwrap()
            .as_stream()
            .unwrap();
        let program = stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone());
        // the source fonts are 15–27 MB; a subset of a page's characters is far smaller
        assert!(
            program.len() < 1024 * 1024,
            "font program of {} bytes is not a subset",
            program.len()
        );
    }
    assert!(
        fonts_seen >= 3,
        "expected 仿宋/黑体/小标宋 fonts at least, saw {fonts_seen}"
    );
}

#[test]
fn p01_pages_are_a4() {
    let fonts = fonts_or_skip!();
    for pdf in [
        render_document(&samples::document(), fonts).unwrap(),
        render_minutes(&samples::minutes(), fonts).unwrap(),
    ] {
        let p = parse(&pdf);
        for mb in &p.media {
            assert!(
                close((mb[2] - mb[0]) * PT, 210.0, 0.1) && close((mb[3] - mb[1]) * PT, 297.0, 0.1),
                "{mb:?}"
            );
        }
        assert!(pdfinfo(&pdf).contains("(A4)"));
    }
}

#[test]
fn p01_same_input_gives_same_bytes() {
    let fonts = fonts_or_skip!();
    let a = render_minutes(&samples::minutes(), fonts).unwrap();
    let b = render_minutes(&samples::minutes(), fonts).unwrap();
    assert!(a == b, "rendering is not deterministic");
}

fn deref_array(doc: &lopdf::Document, o: &lopdf::Object) -> Vec<lopdf::Object> {
    match o.as_reference() {
        Ok(id) => doc.get_object(id).unwrap().as_array().unwrap().clone(),
        Err(_) => o.as_array().unwrap().clone(),
    }
}

// ---------------------------------------------------------------- P02

#[test]
fn p02_doc_number_is_centred_two_lines_below_the_mark() {
    let fonts = fonts_or_skip!();
    let pdf = render_document(&samples::document(), fonts).unwrap();
    let w = words(&pdf);
    let num = w
        .iter()
        .find(|w| w.text == "示国土资发〔2026〕12号")
        .expect("文号 on page 1");
    assert_eq!(num.page, 1);
    let centre = (num.x_min + num.x_max) / 2.0;
    assert!(close(centre, LEFT + 78.0, 1.0), "文号 centred: {centre}");
    let mark = w.iter().find(|w| w.text == "示例市国土资源局文件").unwrap();
    // two blank lines between the mark and the 文号 line
    let gap = num.y_min - mark.y_max;
    assert!(
        gap > 1.5 * PITCH && gap < 3.5 * PITCH,
        "gap mark→文号 {gap} mm"
    );
}

#[test]
fn p02_issuer_mark_and_separator_are_red_and_placed() {
    let fonts = fonts_or_skip!();
    let pdf = render_document(&samples::document(), fonts).unwrap();
    let p = parse(&pdf);
    let red: Vec<&TextOp> = p
        .texts
        .iter()
        .filter(|t| t.fill == [1.0, 0.0, 0.0])
        .collect();
    assert!(!red.is_empty(), "no red text (1 0 0 rg)");
    let mark = red
        .iter()
        .max_by(|a, b| a.size_pt.total_cmp(&b.size_pt))
        .unwrap();
    assert_eq!(mark.page, 1);
    // §7.2.4: top edge of the mark 35 mm below the text block's top (em box top = baseline − 0.88 em)
    let top = mark.base - 0.88 * mark.em();
    assert!(close(top, TOP + 35.0, 1.0), "mark top at {top} mm");
    // black text is all other text
    assert!(
        p.texts
            .iter()
            .filter(|t| !t.rotated && t.fill != [1.0, 0.0, 0.0])
            .all(|t| t.fill == [0.0, 0.0, 0.0])
    );

    // §7.2.7: red line, text-block wide, 4 mm below the 文号
    let line = p
        .strokes
        .iter()
        .find(|s| s.color == [1.0, 0.0, 0.0])
        .expect("red separator (1 0 0 RG)");
    assert!(
        close(line.x1, LEFT, 0.5) && close(line.x2, RIGHT, 0.5) && close(line.y1, line.y2, 0.01),
        "{line:?}"
    );
    let num = p
        .texts
        .iter()
        .filter(|t| t.page == 1 && t.size_pt == 16.0 && t.base < line.y1 && t.base > mark.base)
        .max_by(|a, b| a.base.total_cmp(&b.base))
        .expect("文号 above the red line");
    let num_bottom = num.base + 0.12 * num.em();
    assert!(
        close(line.y1 - num_bottom, 4.0, 0.5),
        "red line {} mm below the 文号",
        line.y1 - num_bottom
    );

    // §7.3.1: title (2号 = 22 pt) two blank lines below the red line
    let title = p
        .texts
        .iter()
        .find(|t| t.page == 1 && t.size_pt == 22.0)
        .expect("2号 title");
    let gap = (title.base - 0.88 * title.em()) - line.y1;
    assert!(
        gap / PITCH > 1.7 && gap / PITCH < 2.4,
        "title {gap} mm below the red line"
    );
}

#[test]
fn p02_upward_document_puts_signer_on_the_number_line() {
    let fonts = fonts_or_skip!();
    let pdf = render_document(&samples::upward_document(), fonts).unwrap();
    let w = words(&pdf);
    let num = w.iter().find(|w| w.text == "示国土资〔2026〕7号").unwrap();
    let label = w.iter().find(|w| w.text.starts_with("签发人：")).unwrap();
    let name = w
        .iter()
        .find(|w| w.text.ends_with("李建国") && w.page == 1)
        .unwrap();
    // 文号 one character in from the left, 签发人 one character in from the right, same line
    assert!(close(num.x_min, LEFT + CHAR, 1.0), "文号 at {}", num.x_min);
    assert!(
        close(name.x_max, RIGHT - CHAR, 1.0),
        "签发人 ends at {}",
        name.x_max
    );
    assert!(close(label.y_max, num.y_max, 1.5) && close(name.y_max, num.y_max, 1.5));
    // name in 楷体, label in 仿宋: two different fonts on that line
    let p = parse(&pdf);
    let on_line: Vec<&TextOp> = p
        .texts
        .iter()
        .filter(|t| t.page == 1 && close(t.base, p_base(&p, num), 0.5))
        .collect();
    let fonts_used: std::collections::BTreeSet<&str> =
        on_line.iter().map(|t| t.font.as_str()).collect();
    assert!(
        fonts_used.len() >= 2,
        "签发人 label and name in different fonts: {fonts_used:?}"
    );
    // draft marking on every page, above the text block
    let pages = pages_text(&pdf);
    assert!(
        pages
            .iter()
            .filter(|p| !p.is_empty())
            .all(|p| p.starts_with("草稿")),
        "{pages:?}"
    );
    assert!(w.iter().filter(|w| w.text == "草稿").all(|w| w.y_max < TOP));
    assert!(!text(&render_document(&samples::document(), fonts).unwrap()).contains("草稿"));
}

/// Baseline (from lopdf) of the text op nearest to a pdftotext word.
fn p_base(p: &Parsed, w: &Word) -> f32 {
    p.texts
        .iter()
        .filter(|t| t.page == w.page)
        .min_by(|a, b| {
            (a.x - w.x_min)
                .abs()
                .total_cmp(&(b.x - w.x_min).abs())
                .then(
                    (a.base - w.y_max)
                        .abs()
                        .total_cmp(&(b.base - w.y_max).abs()),
                )
        })
        .map(|t| t.base)
        .unwrap()
}

#[test]
fn p02_text_block_is_156_by_225_at_37_and_28() {
    let fonts = fonts_or_skip!();
    let pdf = render_document(&samples::long_document(6), fonts).unwrap();
    let p = parse(&pdf);
    assert!(p.pages >= 5);
    // page numbers (4号, below the block) are outside by design
    for t in p
        .texts
        .iter()
        .filter(|t| !(t.rotated || t.size_pt == 14.0 && t.base > BOTTOM + 5.0))
    {
        // every glyph's em box inside the text block (page numbers are outside by design)
        assert!(t.x >= LEFT - 0.01, "{t:?}");
        assert!(t.base - 0.88 * t.em() >= TOP - 1.0, "{t:?}");
        assert!(t.base + 0.12 * t.em() <= BOTTOM + 1.0, "{t:?}");
    }
    let w = words(&pdf);
    for word in w.iter().filter(|w| w.y_min < BOTTOM) {
        assert!(word.x_max <= RIGHT + 1.0, "{word:?} crosses the right edge");
    }
    // page 2 starts at the top of the grid: first line's em box top = 37 mm + half the leading
    let first = p
        .texts
        .iter()
        .filter(|t| t.page == 2)
        .min_by(|a, b| a.base.total_cmp(&b.base))
        .unwrap();
    let expected_base = TOP + (PITCH - 16.0 * PT) / 2.0 + 0.88 * 16.0 * PT;
    assert!(
        close(first.base, expected_base, 1.0),
        "first line of page 2 at {} (expected {expected_base})",
        first.base
    );
    // lines that are not indented start exactly at the binding margin; full lines end at 184 mm
    let left_lines = w
        .iter()
        .filter(|w| w.page == 2 && close(w.x_min, LEFT, 1.0))
        .count();
    assert!(left_lines > 5, "body lines start at 28 mm");
    let full = w
        .iter()
        .filter(|w| w.page == 2 && close(w.x_max, RIGHT, 1.0))
        .count();
    assert!(full > 5, "justified lines end at 184 mm");
    // paragraphs are indented two characters
    let indented = w
        .iter()
        .filter(|w| w.page == 2 && close(w.x_min, LEFT + 2.0 * CHAR, 0.5))
        .count();
    assert!(indented >= 2, "paragraph first lines two characters in");
}

#[test]
fn p02_full_body_page_has_22_lines_of_28_characters() {
    let fonts = fonts_or_skip!();
    let mut d = samples::long_document(4);
    // one long paragraph: no headings or widow/orphan moves on the middle pages
    let long: String = d
        .body
        .iter()
        .filter_map(|b| {
            if let Block::Paragraph { text } = b {
                Some(text.as_str())
            } else {
                None
            }
        })
        .collect();
    d.body = vec![Block::Paragraph {
        text: long.repeat(2),
    }];
    let pdf = render_document(&d, fonts).unwrap();
    let p = parse(&pdf);
    let mut per_page = vec![std::collections::BTreeSet::new(); p.pages + 1];
    for t in p.texts.iter().filter(|t| t.size_pt == 16.0 && !t.rotated) {
        per_page[t.page].insert((t.base * 100.0).round() as i64);
    }
    let counts: Vec<usize> = per_page.iter().skip(1).map(|s| s.len()).collect();
    assert!(counts.iter().all(|&c| c <= 22), "{counts:?}");
    assert_eq!(
        counts.get(1),
        Some(&22),
        "page 2 is full body text: {counts:?}"
    );

    // lines spanning the full measure hold 28 characters (29 when a closing mark is squeezed in)
    let w = words(&pdf);
    let full: Vec<usize> = w
        .iter()
        .filter(|w| w.page == 2 && close(w.x_min, LEFT, 0.5) && close(w.x_max, RIGHT, 1.0))
        .filter(|w| w.text.chars().all(|c| !c.is_ascii()))
        .map(|w| w.text.chars().count())
        .collect();
    assert!(full.len() > 10, "{full:?}");
    assert!(
        full.iter().filter(|&&n| n == 28).count() * 2 > full.len(),
        "most full lines have 28 characters: {full:?}"
    );
    assert!(full.iter().all(|&n| (27..=29).contains(&n)), "{full:?}");
}

#[test]
fn p02_no_line_starts_with_closing_or_ends_with_opening_punctuation() {
    let fonts = fonts_or_skip!();
    let mut d = samples::document();
    // punctuation at every column
    d.body = (0..28)
        .map(|k| Block::Paragraph {
            text: format!(
                "{}测试（括号）内容，“引号”。《书名》、顿号；分号：冒号？问号！……省略——破折“嵌套（括号）”，完。",
                "字".repeat(k)
            ),
        })
        .collect();
    let mut pdfs = vec![
        render_document(&d, fonts).unwrap(),
        render_document(&samples::long_document(5), fonts).unwrap(),
    ];
    pdfs.push(render_minutes(&samples::long_minutes(), fonts).unwrap());
    for pdf in &pdfs {
        for out in [text(pdf), layout_text(pdf)] {
            for line in out.lines() {
                let l = line.trim();
                if let Some(first) = l.chars().next() {
                    assert!(
                        !forbidden_at_line_start(first),
                        "line starts with {first:?}: {l}"
                    );
                }
                if let Some(last) = l.chars().last() {
                    assert!(!forbidden_at_line_end(last), "line ends with {last:?}: {l}");
                }
            }
        }
    }
    // and the text is all there
    let all = pages_text(&pdfs[0]).concat();
    for b in &d.body {
        if let Block::Paragraph { text } = b {
            assert!(all.contains(text.as_str()), "{text}");
        }
    }
}

#[test]
fn p02_a_heading_is_never_last_on_a_page() {
    let fonts = fonts_or_skip!();
    let base = samples::long_document(3);
    // shift everything by one line at a time so that headings land on every grid line
    for shift in 0..22 {
        let mut d = base.clone();
        let lead = "本段用于调整版面位置。".repeat(shift * 3);
        if !lead.is_empty() {
            d.body.insert(0, Block::Paragraph { text: lead });
        }
        let pdf = render_document(&d, fonts).unwrap();
        let t = text(&pdf);
        let pages: Vec<&str> = t.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
        for (i, page) in pages.iter().enumerate() {
            let lines: Vec<&str> = page
                .lines()
                .filter(|l| !l.trim().is_empty() && !is_page_number(l))
                .collect();
            if let Some(last) = lines.last() {
                assert!(
                    !is_heading_line(last),
                    "shift {shift}: page {} ends with heading {last:?}",
                    i + 1
                );
            }
        }
    }
}

#[test]
fn p02_page_numbers_alternate_sides_7mm_below_the_text() {
    let fonts = fonts_or_skip!();
    let pdf = render_document(&samples::long_document(4), fonts).unwrap();
    let w = words(&pdf);
    let p = parse(&pdf);
    let em4 = 14.0 * PT;
    for page in 1..=p.pages {
        let num: Vec<&Word> = w
            .iter()
            .filter(|w| w.page == page && w.y_min > BOTTOM)
            .collect();
        let label: String = num.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(label, format!("—{page}—"), "page {page}");
        let x_min = num.iter().map(|w| w.x_min).fold(f32::MAX, f32::min);
        let x_max = num.iter().map(|w| w.x_max).fold(f32::MIN, f32::max);
        if page % 2 == 1 {
            assert!(
                close(x_max, RIGHT - em4, 1.0),
                "odd page number right, one char in: {x_max}"
            );
        } else {
            assert!(
                close(x_min, LEFT + em4, 1.0),
                "even page number left, one char in: {x_min}"
            );
        }
        // 4号 (14 pt), its dash about 7 mm below the text block
        let op = p
            .texts
            .iter()
            .find(|t| t.page == page && t.base > BOTTOM)
            .unwrap();
        assert_eq!(op.size_pt, 14.0);
        let dash_y = op.base - 0.33 * op.em();
        assert!(close(dash_y, BOTTOM + 7.0, 1.0), "dash at {dash_y}");
    }
}

#[test]
fn p02_recipients_attachments_date_and_imprint() {
    let fonts = fonts_or_skip!();
    let pdf = render_document(&samples::document(), fonts).unwrap();
    let w = words(&pdf);
    // 主送 flush left, ends in a full-width colon
    let to = w
        .iter()
        .find(|w| w.text.starts_with("局机关各处室"))
        .unwrap();
    assert!(close(to.x_min, LEFT, 0.5) && to.text.ends_with('：'));
    // 附件说明 two characters in; the second name aligned with the first ("1.")
    let a1 = w.iter().find(|w| w.text.starts_with("附件：")).unwrap();
    assert!(
        close(a1.x_min, LEFT + 2.0 * CHAR, 0.7),
        "附件 at {}",
        a1.x_min
    );
    let a2 = w.iter().find(|w| w.text.starts_with("2.会议纪要")).unwrap();
    assert!(
        close(a2.x_min, LEFT + 5.0 * CHAR, 0.7),
        "second attachment at {}",
        a2.x_min
    );
    // one blank line between the text and the 附件 note
    let before = w
        .iter()
        .filter(|x| x.page == a1.page && x.y_max < a1.y_min)
        .map(|x| x.y_max)
        .fold(0.0, f32::max);
    if before > 0.0 {
        assert!(
            close(a1.y_max - before, 2.0 * PITCH, 1.0),
            "附件 {} mm below the text",
            a1.y_max - before
        );
    }
    // 成文日期 four characters from the right, signature centred on it
    let date = w.iter().find(|w| w.text == "2026年11月22日").unwrap();
    assert!(
        close(date.x_max, RIGHT - 4.0 * CHAR, 1.0),
        "date ends at {}",
        date.x_max
    );
    let sig = w
        .iter()
        .find(|w| w.text == "示例市国土资源局" && w.y_max < date.y_min && w.page == date.page)
        .unwrap();
    assert!(close(
        (sig.x_min + sig.x_max) / 2.0,
        (date.x_min + date.x_max) / 2.0,
        1.0
    ));
    // 附注 on the line after the date, two characters in, in parentheses
    let note = w.iter().find(|w| w.text.starts_with("（联系人")).unwrap();
    assert!(
        close(note.x_min, LEFT + 2.0 * CHAR, 0.7) && close(note.y_max - date.y_max, PITCH, 1.0)
    );

    // 版记 at the bottom of the last page: 0.35 mm lines first and last (last on the text
    // block's bottom edge), 0.25 mm between 抄送 and 印发
    let p = parse(&pdf);
    let last = p.pages;
    let black: Vec<&Stroke> = p
        .strokes
        .iter()
        .filter(|s| {
            s.page == last
                && s.color == [0.0, 0.0, 0.0]
                && close(s.x1, LEFT, 0.3)
                && close(s.x2, RIGHT, 0.3)
        })
        .collect();
    let bottom = black
        .iter()
        .find(|s| close(s.y1, BOTTOM, 0.2))
        .expect("末条分隔线 on the text block's bottom edge");
    assert!(
        close(bottom.width, 0.35, 0.02),
        "last line {} mm",
        bottom.width
    );
    let thin = black
        .iter()
        .find(|s| close(s.width, 0.25, 0.02))
        .expect("thin middle line");
    let first = black
        .iter()
        .filter(|s| close(s.width, 0.35, 0.02))
        .min_by(|a, b| a.y1.total_cmp(&b.y1))
        .unwrap();
    assert!(first.y1 < thin.y1 && thin.y1 < bottom.y1);
    let cc = w.iter().find(|w| w.text.starts_with("抄送：")).unwrap();
    let printed = w.iter().find(|w| w.text.ends_with("印发")).unwrap();
    assert_eq!((cc.page, printed.page), (last, last));
    assert!(cc.y_min > first.y1 && cc.y_max < thin.y1 + 1.0);
    assert!(printed.y_min > thin.y1 && printed.y_max < BOTTOM + 0.5);
    let em4 = 14.0 * PT;
    assert!(close(cc.x_min, LEFT + em4, 0.7) && close(printed.x_max, RIGHT - em4, 0.7));
    let printer = w
        .iter()
        .find(|w| w.text == "示例市国土资源局办公室")
        .unwrap();
    assert!(close(printer.x_min, LEFT + em4, 0.7));
}

#[test]
fn p02_headings_use_heiti_kaiti_fangsong() {
    let fonts = fonts_or_skip!();
    let pdf = render_document(&samples::document(), fonts).unwrap();
    let w = words(&pdf);
    let p = parse(&pdf);
    let font_of = |prefix: &str| {
        let word = w.iter().find(|w| w.text.starts_with(prefix)).unwrap();
        p.texts
            .iter()
            .filter(|t| {
                t.page == word.page
                    && close(t.x, word.x_min, 0.3)
                    && t.base > word.y_min
                    && t.base < word.y_max + 1.0
            })
            .map(|t| t.font.clone())
            .next()
            .unwrap()
    };
    let body = font_of("凡属重大事项");
    let h1 = font_of("一、总体要求");
    let h2 = font_of("（一）决策范围");
    let h3 = font_of("1.会议程序");
    assert_ne!(h1, body, "一级标题 黑体");
    assert_ne!(h2, body, "二级标题 楷体");
    assert_ne!(h1, h2);
    assert_eq!(h3, body, "三级标题 仿宋");
}

// ---------------------------------------------------------------- P03

#[test]
fn p03_minutes_have_header_serial_attendance_and_decisions() {
    let fonts = fonts_or_skip!();
    let m = samples::minutes();
    let pdf = render_minutes(&m, fonts).unwrap();
    let all = pages_text(&pdf).concat();
    for needle in [
        "示例市国土资源局党组会议纪要",
        "〔2026〕第7期",
        "2026年第7次党组会议",
        "时间：2026年11月20日上午9:00",
        "主持：张伟（局党组书记、局长）",
        "一、关于不动产登记信息系统升级改造项目的议题",
        "项目预算1,280,000.00元",
        "表决情况：应到9人，实到7人，同意6票",
        "主要负责人决定理由：政务公开栏更新属于年度重点工作",
        "出席：张伟、李建国、王芳、刘洋、赵敏、孙强、周涛",
        "请假：吴磊（出差）、郑丽（病假）",
        "列席：冯军（派驻纪检监察组组长）、陈静（局办公室主任）",
        "抄送：局领导，派驻纪检监察组，局机关各处室。",
    ] {
        assert!(all.contains(&squash(needle)), "{needle:?} missing:\n{all}");
    }
    // the header: red, 35 mm below the text block's top, with the red separator below the serial
    let p = parse(&pdf);
    let mark = p
        .texts
        .iter()
        .filter(|t| t.fill == [1.0, 0.0, 0.0])
        .max_by(|a, b| a.size_pt.total_cmp(&b.size_pt))
        .unwrap();
    assert!(close(mark.base - 0.88 * mark.em(), TOP + 35.0, 1.0));
    assert!(
        p.strokes
            .iter()
            .any(|s| s.page == 1 && s.color == [1.0, 0.0, 0.0] && close(s.x2 - s.x1, 156.0, 0.5))
    );
    // attendance labels in 黑体 (another font than the names), two characters in
    let w = words(&pdf);
    let present = w.iter().find(|w| w.text.starts_with("出席：")).unwrap();
    assert!(close(present.x_min, LEFT + 2.0 * CHAR, 0.7));
}

#[test]
fn p03_withheld_item_shows_only_title_and_reason() {
    let fonts = fonts_or_skip!();
    let mut m = samples::minutes();
    m.items.push(MinutesItem {
        title: "关于某项人事安排的议题".into(),
        decision: "任命某某为某某处处长".into(),
        tally: Some("同意9票".into()),
        override_reason: Some("不应出现的理由".into()),
        withheld: Some("涉及个人隐私".into()),
    });
    let pdf = render_minutes(&m, fonts).unwrap();
    let all = pages_text(&pdf).concat();
    assert!(all.contains("四、关于某项人事安排的议题"));
    assert!(all.contains("（本项不公开：涉及个人隐私）"));
    assert!(all.contains("（本项不公开：涉及干部任免，公示前不宜公开）"));
    for secret in ["任命某某为某某处处长", "同意9票", "不应出现的理由"] {
        assert!(!all.contains(secret), "withheld content leaked: {secret}");
    }
}

#[test]
fn p03_long_minutes_paginate_with_numbers_and_imprint_last() {
    let fonts = fonts_or_skip!();
    let pdf = render_minutes(&samples::long_minutes(), fonts).unwrap();
    let p = parse(&pdf);
    assert!(p.pages >= 3, "{} pages", p.pages);
    let pages = pages_text(&pdf);
    assert!(
        pages.last().unwrap().contains("印发")
            || pages
                .iter()
                .rev()
                .find(|p| !p.is_empty())
                .unwrap()
                .contains("印发")
    );
    for (i, t) in text(&pdf)
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .enumerate()
    {
        assert!(
            t.lines()
                .any(|l| is_page_number(l) && squash(l) == format!("—{}—", i + 1)),
            "page {} number",
            i + 1
        );
    }
}

#[test]
fn p02_document_without_optional_parts_still_renders() {
    let fonts = fonts_or_skip!();
    let d = OfficialDocument {
        issuer_mark: "中共示例市国土资源局党组关于某某事项的特别长的机关标志文件".into(),
        title: "通知".into(),
        body: vec![Block::Paragraph {
            text: "正文。".into(),
        }],
        ..Default::default()
    };
    let pdf = render_document(&d, fonts).unwrap();
    let all = pages_text(&pdf).concat();
    assert!(all.contains("正文。") && all.contains("通知"));
    // a long mark is condensed to fit the text block
    let w = words(&pdf);
    let mark = w.iter().find(|w| w.text.starts_with("中共示例市")).unwrap();
    assert!(
        mark.x_min >= LEFT - 0.5 && mark.x_max <= RIGHT + 0.5,
        "{mark:?}"
    );
    // empty mandatory fields are refused
    assert!(render_document(&OfficialDocument::default(), fonts).is_err());
}

#[test]
fn p01_characters_missing_from_a_font_come_from_another_face() {
    let fonts = fonts_or_skip!();
    // U+3400 is not in LXGW WenKai (the 楷体 stand-in) but is in Noto Serif CJK
    let mut d = samples::document();
    d.body = vec![
        Block::Heading {
            level: 2,
            text: "关于㐀字的处理".into(),
        },
        Block::Paragraph {
            text: "正文。".into(),
        },
    ];
    let pdf = render_document(&d, fonts).unwrap();
    assert!(pages_text(&pdf).concat().contains("（一）关于㐀字的处理"));
    let w = words(&pdf);
    let h = w.iter().find(|w| w.text.starts_with("（一）")).unwrap();
    let p = parse(&pdf);
    let faces: std::collections::BTreeSet<&str> = p
        .texts
        .iter()
        .filter(|t| t.page == h.page && t.base > h.y_min && t.base < h.y_max + 1.0)
        .map(|t| t.font.as_str())
        .collect();
    assert!(
        faces.len() >= 2,
        "fallback face used on the heading line: {faces:?}"
    );
}

#[test]
fn p02_long_tables_repeat_their_header_on_each_page() {
    let fonts = fonts_or_skip!();
    let mut d = samples::document();
    let rows: Vec<Vec<String>> = (1..=45)
        .map(|i| {
            vec![
                format!("{i}"),
                format!("第{i}号议题的表决"),
                "同意".into(),
                format!("备注{i}"),
            ]
        })
        .collect();
    d.body = vec![
        Block::Paragraph {
            text: "表决情况见下表。".into(),
        },
        Block::Table {
            header: vec!["序号".into(), "事项".into(), "结果".into(), "备注".into()],
            rows,
        },
    ];
    let pdf = render_document(&d, fonts).unwrap();
    let pages = pages_text(&pdf);
    let with_rows: Vec<&String> = pages
        .iter()
        .filter(|p| p.contains("号议题的表决"))
        .collect();
    assert!(with_rows.len() >= 2, "the table spans pages");
    for p in &with_rows {
        assert!(p.contains("序号事项结果备注"), "header repeated: {p}");
    }
    for i in 1..=45 {
        assert!(
            pages.concat().contains(&format!("第{i}号议题的表决")),
            "row {i}"
        );
    }
    // table rules stay inside the text block
    let p = parse(&pdf);
    for s in p.strokes.iter().filter(|s| s.color == [0.0, 0.0, 0.0]) {
        assert!(
            s.x1 >= LEFT - 0.2 && s.x2 <= RIGHT + 0.2 && s.y1 >= TOP - 0.2 && s.y2 <= BOTTOM + 0.2,
            "{s:?}"
        );
    }
}
