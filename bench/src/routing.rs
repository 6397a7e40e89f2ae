//! Scenario R (routing): complete outgoing documents, draft to number.
use crate::run::{Ceil, Opts};
use anyhow::Result;

pub async fn step(_o: &Opts, _ceil: &Ceil) -> Result<()> {
    eprintln!("[r] routing routes not available yet: skipped");
    Ok(())
}
