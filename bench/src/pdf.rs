//! PDF rendering (SPEC P01–P03) through the render crate's API: a 10-page official document
//! and 3-page minutes, fonts parsed once (as the server does), median of `runs` renders.
use crate::report::{self, Machine, Section};
use anyhow::{Result, anyhow};
use std::path::Path;
use std::time::{Duration, Instant};
use yishi_render::{FontConfig, FontSet, render_document, render_minutes, samples};

#[derive(Clone, Debug, serde::Serialize)]
pub struct PdfFigure {
    pub what: String,
    pub pages: usize,
    pub median_ms: f64,
    pub max_ms: f64,
    pub bytes: usize,
}

/// The page count printpdf writes into the page tree (`/Count n`).
fn pages(pdf: &[u8]) -> usize {
    let needle = b"/Count ";
    pdf.windows(needle.len())
        .position(|w| w == needle)
        .map(|at| {
            pdf.iter()
                .skip(at + needle.len())
                .take_while(|b| b.is_ascii_digit())
                .fold(0, |n, b| n * 10 + usize::from(b - b'0'))
        })
        .unwrap_or(0)
}

pub fn bench(runs: usize) -> Result<(f64, Vec<PdfFigure>)> {
    let t = Instant::now();
    let fonts = FontSet::load(&FontConfig::default()).map_err(|e| anyhow!("{e}"))?;
    let font_ms = t.elapsed().as_secs_f64() * 1000.0;
    let doc = samples::long_document(10);
    let min = samples::long_minutes();
    let mut out = Vec::new();
    type Job<'a> = (&'a str, Box<dyn Fn() -> Result<Vec<u8>, yishi_render::RenderError> + 'a>);
    let jobs: Vec<Job<'_>> = vec![
        (
            "official document (GB/T 9704), ~10 pages",
            Box::new(|| render_document(&doc, &fonts)),
        ),
        ("minutes (纪要), ~3 pages", Box::new(|| render_minutes(&min, &fonts))),
    ];
    for (what, job) in &jobs {
        let mut times: Vec<Duration> = Vec::new();
        let mut bytes = Vec::new();
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            bytes = job().map_err(|e| anyhow!("{e}"))?;
            times.push(t.elapsed());
        }
        times.sort();
        out.push(PdfFigure {
            what: what.to_string(),
            pages: pages(&bytes),
            median_ms: times[times.len() / 2].as_secs_f64() * 1000.0,
            max_ms: times.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0),
            bytes: bytes.len(),
        });
    }
    Ok((font_ms, out))
}

pub fn step(runs: usize, doc: &Path) -> Result<()> {
    let m = Machine::now();
    let (font_ms, figs) = bench(runs)?;
    let mut body = format!(
        "`yishi_render::render_document` / `render_minutes` on the crate's samples (`samples::long_document(10)`, `samples::long_minutes()`), \
         fonts parsed once beforehand ({font_ms:.0} ms, as the server does at start-up), {runs} renders each, one thread.\n\n\
         | PDF | pages | median | max | target time | ratio | size | target size | ratio | met |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
    );
    for f in &figs {
        // The targets are for the 10-page document; the minutes are held to the same.
        let (t_target, s_target) = (100.0, 300_000.0);
        body += &format!(
            "| {} | {} | {:.1} ms | {:.1} ms | < {t_target:.0} ms | {} | {:.0} KiB | < 300 KB | {} | {} |\n",
            f.what,
            f.pages,
            f.median_ms,
            f.max_ms,
            report::ratio(f.median_ms, t_target),
            f.bytes as f64 / 1024.0,
            report::ratio(f.bytes as f64, s_target),
            if f.median_ms < t_target && (f.bytes as f64) < 300_000.0 {
                "yes"
            } else {
                "**no**"
            }
        );
    }
    report::save(
        "pdf",
        Section {
            title: "PDF rendering (P01–P03)".into(),
            command: report::command_line(),
            at: report::now(),
            machine: m.finish(),
            body,
            data: serde_json::to_value(&figs)?,
        },
        doc,
    )
}
