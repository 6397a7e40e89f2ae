//! Data the read scenario needs beyond the demo unit (proposals, publications), made
//! through the API once those flows exist.
use crate::seed::Seeded;
use anyhow::Result;
use std::collections::BTreeSet;
use std::sync::Arc;

pub type PathOf = Arc<dyn Fn(usize, u64) -> String + Send + Sync>;

/// Extra read endpoints (label, path per user and request) for scenario Q.
pub async fn reads(_base: &str, _seeded: &Seeded, _routes: &BTreeSet<String>) -> Result<Vec<(String, PathOf)>> {
    Ok(Vec::new())
}
