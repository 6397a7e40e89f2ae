//! Scenario B (ballots): members sign in, open a meeting item and cast ballots concurrently.
use crate::run::{Ceil, Opts};
use anyhow::Result;

pub async fn step(_o: &Opts, _ceil: &Ceil) -> Result<()> {
    eprintln!("[b] deliberation routes not available yet: skipped");
    Ok(())
}
