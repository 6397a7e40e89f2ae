//! Benchmark: renders a ~10-page document and a ~3-page minutes N times and prints the
//! median time and the size (targets: 10 pages < 100 ms and < 300 KB).
//!
//! `cargo run --release -p yishi-render --bin render_bench -- [--runs N] [--out DIR]`
//! With `--out DIR` it also writes every sample PDF there, for looking at them.

use std::time::{Duration, Instant};

use yishi_render::{FontConfig, FontSet, RenderError, render_document, render_minutes, samples};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn pages(pdf: &[u8]) -> usize {
    // the page tree's "/Count n" (printpdf writes it uncompressed)
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let mut runs = 9usize;
    let mut out: Option<std::path::PathBuf> = None;
    let mut i = 1;
    while i < args.len() {
        match args.get(i).map(String::as_str) {
            Some("--runs") => {
                runs = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(runs);
                i += 1;
            }
            Some("--out") => {
                out = args.get(i + 1).map(Into::into);
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }

    let t = Instant::now();
    let fonts = FontSet::load(&FontConfig::default())?;
    println!("fonts loaded in {:?}", t.elapsed());
    for c in fonts.choices() {
        println!(
            "  {:<12} {} #{} ({})",
            c.role.chinese_name(),
            c.path.display(),
            c.face_index,
            c.postscript_name
        );
    }

    let doc = samples::long_document(10);
    let min = samples::long_minutes();
    type Job<'a> = (&'a str, Box<dyn Fn() -> Result<Vec<u8>, RenderError> + 'a>);
    let jobs: Vec<Job<'_>> = vec![
        (
            "document (10 pages)",
            Box::new(|| render_document(&doc, &fonts)),
        ),
        (
            "minutes (3 pages)",
            Box::new(|| render_minutes(&min, &fonts)),
        ),
    ];
    for (name, job) in &jobs {
        let mut times = Vec::new();
        let mut size = 0;
        let mut n_pages = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let pdf = job()?;
            times.push(t.elapsed());
            size = pdf.len();
            n_pages = pages(&pdf);
        }
        println!(
            "{name}: {n_pages} pages, median {:.1} ms over {runs} runs, {:.1} KB",
            median(times).as_secs_f64() * 1000.0,
            size as f64 / 1024.0
        );
    }

    if let Some(dir) = out {
        std::fs::create_dir_all(&dir)?;
        let files: [(&str, Vec<u8>); 6] = [
            (
                "table.pdf",
                render_document(&samples::table_document(), &fonts)?,
            ),
            (
                "document.pdf",
                render_document(&samples::document(), &fonts)?,
            ),
            (
                "upward.pdf",
                render_document(&samples::upward_document(), &fonts)?,
            ),
            ("long_document.pdf", render_document(&doc, &fonts)?),
            ("minutes.pdf", render_minutes(&samples::minutes(), &fonts)?),
            ("long_minutes.pdf", render_minutes(&min, &fonts)?),
        ];
        for (name, bytes) in files {
            let p = dir.join(name);
            std::fs::write(&p, &bytes)?;
            println!(
                "wrote {} ({:.1} KB)",
                p.display(),
                bytes.len() as f64 / 1024.0
            );
        }
    }
    Ok(())
}
