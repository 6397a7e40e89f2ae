//! Errors of the rendering crate.

use std::path::PathBuf;

use crate::fonts::FontRole;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No configured file and none of the built-in candidates exists for this role.
    #[error("no font found for {role:?} (looked for: {tried})")]
    FontNotFound { role: FontRole, tried: String },
    #[error("cannot read font file {path}: {source}")]
    FontIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse font file {path} (face {face})")]
    FontParse { path: PathBuf, face: usize },
    /// The content cannot be laid out (e.g. a single table row taller than a page).
    #[error("layout: {0}")]
    Layout(String),
    /// The input is invalid (e.g. an impossible date).
    #[error("invalid input: {0}")]
    Invalid(String),
}
