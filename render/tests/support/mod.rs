//! Test helpers: load the fonts once (or skip when the machine has no CJK font at all), and
//! read PDFs back — text with poppler's `pdftotext`, geometry and colours with `lopdf`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    path::PathBuf,
    process::Command,
    sync::{
        OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
};

use yishi_render::{FontConfig, FontSet, RenderError};

pub const PT: f32 = 25.4 / 72.0;

/// The fonts, or `None` (test prints why and passes) when no CJK font is installed.
pub fn fonts() -> Option<&'static FontSet> {
    static FONTS: OnceLock<Option<FontSet>> = OnceLock::new();
    FONTS
        .get_or_init(|| match timed(|| FontSet::load(&FontConfig::default())) {
            Ok(f) => Some(f),
            Err(RenderError::FontNotFound { role, tried }) => {
                eprintln!("SKIPPED: no CJK font for {role:?} on this machine (looked for {tried})");
                None
            }
            Err(e) => panic!("fonts exist but cannot be loaded: {e}"),
        })
        .as_ref()
}

fn timed<T>(f: impl FnOnce() -> T) -> T {
    let t = std::time::Instant::now();
    let r = f();
    eprintln!("fonts loaded in {:?}", t.elapsed());
    r
}

fn tmp_pdf(pdf: &[u8]) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("yishi-render-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{}.pdf", N.fetch_add(1, Ordering::SeqCst)));
    std::fs::write(&p, pdf).unwrap();
    p
}

fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let path = tmp_pdf(pdf);
    let mut cmd = Command::new(tool);
    cmd.args(args).arg(&path);
    if tool == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) is needed by these tests: {e}"));
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&path);
    String::from_utf8(out.stdout).unwrap()
}

/// `pdftotext` (reading order), pages separated by form feeds.
pub fn text(pdf: &[u8]) -> String {
    poppler("pdftotext", &["-enc", "UTF-8"], pdf)
}

/// `pdftotext -layout`.
pub fn layout_text(pdf: &[u8]) -> String {
    poppler("pdftotext", &["-layout", "-enc", "UTF-8"], pdf)
}

pub fn pdfinfo(pdf: &[u8]) -> String {
    poppler("pdfinfo", &[], pdf)
}

#[derive(Debug, Clone)]
pub struct Word {
    pub page: usize,
    /// mm from the left / top edge
    pub x_min: f32,
    pub y_min: f32,
    pub x_max: f32,
    pub y_max: f32,
    pub text: String,
}

fn attr(s: &str, name: &str) -> f32 {
    let key = format!("{name}=\"");
    let at = s.find(&key).unwrap() + key.len();
    s[at..].split('"').next().unwrap().parse().unwrap()
}

/// Words with their boxes (`pdftotext -bbox`), in mm.
pub fn words(pdf: &[u8]) -> Vec<Word> {
    let html = poppler("pdftotext", &["-bbox", "-enc", "UTF-8"], pdf);
    let mut page = 0;
    let mut out = Vec::new();
    for line in html.lines() {
        let l = line.trim();
        if l.starts_with("<page") {
            page += 1;
        } else if l.starts_with("<word") {
            let text = l.split('>').nth(1).unwrap().split("</word").next().unwrap();
            let text = text
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"");
            out.push(Word {
                page,
                x_min: attr(l, "xMin") * PT,
                y_min: attr(l, "yMin") * PT,
                x_max: attr(l, "xMax") * PT,
                y_max: attr(l, "yMax") * PT,
                text,
            });
        }
    }
    out
}

/// A text-showing operation from a content stream.
#[derive(Debug, Clone)]
pub struct TextOp {
    pub page: usize,
    /// origin, mm from the left edge
    pub x: f32,
    /// baseline, mm from the TOP edge
    pub base: f32,
    pub size_pt: f32,
    pub fill: [f32; 3],
    pub font: String,
    pub hscale: f32,
    pub rotated: bool,
}

impl TextOp {
    pub fn em(&self) -> f32 {
        self.size_pt * PT
    }
}

/// A stroked straight segment.
#[derive(Debug, Clone)]
pub struct Stroke {
    pub page: usize,
    pub color: [f32; 3],
    /// line width, mm
    pub width: f32,
    /// mm, y from the top edge
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

pub struct Parsed {
    pub doc: lopdf::Document,
    pub pages: usize,
    /// MediaBox per page, pt
    pub media: Vec<[f32; 4]>,
    pub texts: Vec<TextOp>,
    pub strokes: Vec<Stroke>,
}

fn nums(ops: &[lopdf::Object]) -> Vec<f32> {
    ops.iter().filter_map(|o| o.as_float().ok()).collect()
}

pub fn parse(pdf: &[u8]) -> Parsed {
    let doc = lopdf::Document::load_mem(pdf).expect("lopdf parses our PDF");
    let pages = doc.get_pages();
    let mut media = Vec::new();
    let mut texts = Vec::new();
    let mut strokes = Vec::new();
    for (n, (_, id)) in pages.iter().enumerate() {
        let page = n + 1;
        let dict = doc.get_dictionary(*id).unwrap();
        let mb = dict.get(b"MediaBox").unwrap().as_array().unwrap();
        let mb: Vec<f32> = mb.iter().map(|o| o.as_float().unwrap()).collect();
        media.push([mb[0], mb[1], mb[2], mb[3]]);
        let h = mb[3];
        let content = lopdf::content::Content::decode(&doc.get_page_content(*id)).unwrap();
        let (mut fill, mut stroke) = ([0.0f32; 3], [0.0f32; 3]);
        let mut lw = 1.0f32;
        let (mut font, mut size, mut tz) = (String::new(), 0.0f32, 100.0f32);
        let mut tm = [1.0f32, 0.0, 0.0, 1.0, 0.0, 0.0];
        let mut path: Vec<(f32, f32)> = Vec::new();
        let mut segs: Vec<((f32, f32), (f32, f32))> = Vec::new();
        for op in content.operations {
            let v = nums(&op.operands);
            match op.operator.as_str() {
                "rg" => fill = [v[0], v[1], v[2]],
                "g" => fill = [v[0], v[0], v[0]],
                "RG" => stroke = [v[0], v[1], v[2]],
                "G" => stroke = [v[0], v[0], v[0]],
                "w" => lw = v[0],
                "Tf" => {
                    font = String::from_utf8_lossy(op.operands[0].as_name().unwrap()).into_owned();
                    size = v[0];
                }
                "Tz" => tz = v[0],
                "Tm" => tm = [v[0], v[1], v[2], v[3], v[4], v[5]],
                "Td" => {
                    tm[4] += v[0];
                    tm[5] += v[1];
                }
                "Tj" | "TJ" => texts.push(TextOp {
                    page,
                    x: tm[4] * PT,
                    base: (h - tm[5]) * PT,
                    size_pt: size,
                    fill,
                    font: font.clone(),
                    hscale: tz / 100.0,
                    rotated: tm[1].abs() > 1e-3,
                }),
                "m" => {
                    path.clear();
                    path.push((v[0], v[1]));
                }
                "l" => {
                    if let Some(last) = path.last().copied() {
                        segs.push((last, (v[0], v[1])));
                    }
                    path.push((v[0], v[1]));
                }
                "S" => {
                    for ((x1, y1), (x2, y2)) in segs.drain(..) {
                        strokes.push(Stroke {
                            page,
                            color: stroke,
                            width: lw * PT,
                            x1: x1 * PT,
                            y1: (h - y1) * PT,
                            x2: x2 * PT,
                            y2: (h - y2) * PT,
                        });
                    }
                    path.clear();
                }
                _ => {}
            }
        }
    }
    Parsed {
        pages: pages.len(),
        doc,
        media,
        texts,
        strokes,
    }
}

pub fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol
}

/// Remove all whitespace.
pub fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The text of each page with page numbers ("— n —") removed, whitespace squashed.
pub fn pages_text(pdf: &[u8]) -> Vec<String> {
    text(pdf)
        .split('\u{c}')
        .map(|p| {
            p.lines()
                .filter(|l| !is_page_number(l))
                .map(squash)
                .collect::<String>()
        })
        .collect()
}

pub fn is_page_number(line: &str) -> bool {
    let s = squash(line);
    s.starts_with('—')
        && s.ends_with('—')
        && s.trim_matches('—').chars().all(|c| c.is_ascii_digit())
        && s.len() > 6
}
