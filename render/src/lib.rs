//! Yishi PDF rendering (SPEC P01–P03): official documents in the GB/T 9704-2012 layout and
//! meeting minutes in its 纪要 format, with embedded, subset CJK fonts and selectable text.
//!
//! ```no_run
//! use yishi_render::{FontConfig, FontSet, render_document, samples};
//! let fonts = FontSet::load(&FontConfig::default())?; // once, at start-up
//! let pdf: Vec<u8> = render_document(&samples::document(), &fonts)?;
//! # Ok::<(), yishi_render::RenderError>(())
//! ```
//!
//! The crate knows nothing about the backend: it takes plain data ([`OfficialDocument`],
//! [`MinutesDoc`]) and returns PDF bytes. Layout happens on the standard's character grid
//! (22 lines × 28 characters of 3号 type in a 156 × 225 mm text block), see [`gbt9704`].

mod document;
mod error;
mod fonts;
pub mod gbt9704;
mod layout;
mod minutes;
mod model;
mod pdf;
pub mod samples;
mod text;

pub use error::RenderError;
pub use fonts::{FontChoice, FontConfig, FontRole, FontSet};
pub use model::{Block, DocDate, MinutesDoc, MinutesItem, OfficialDocument};

/// Render an official document (公文) to PDF bytes (SPEC P01, P02).
pub fn render_document(doc: &OfficialDocument, fonts: &FontSet) -> Result<Vec<u8>, RenderError> {
    let pages = document::layout(doc, fonts)?;
    Ok(pdf::write(doc.title.trim(), fonts, &pages))
}

/// Render meeting minutes (会议纪要) to PDF bytes (SPEC P01, P03).
pub fn render_minutes(m: &MinutesDoc, fonts: &FontSet) -> Result<Vec<u8>, RenderError> {
    let pages = minutes::layout(m, fonts)?;
    let title = if m.meeting_title.trim().is_empty() {
        m.header.trim()
    } else {
        m.meeting_title.trim()
    };
    Ok(pdf::write(title, fonts, &pages))
}

/// Text that can be checked for the 禁则 (exposed for tests of other crates and the frontend
/// preview): true if `ch` may not begin a line.
pub fn forbidden_at_line_start(ch: char) -> bool {
    text::no_line_start(ch)
}

/// True if `ch` may not end a line.
pub fn forbidden_at_line_end(ch: char) -> bool {
    text::no_line_end(ch)
}

/// Lays out body blocks on the character grid without writing a PDF, and returns the
/// number of lines/boxes produced: for the parser fuzzer (`fuzz/fuzz_targets/document_body.rs`),
/// which checks that no accepted body makes the layout panic.
#[doc(hidden)]
pub fn layout_body(blocks: &[Block], fonts: &FontSet) -> Result<usize, RenderError> {
    let mut c = layout::Composer::new(fonts);
    c.blocks(blocks)?;
    Ok(c.boxes.len())
}
