//! Demo data of the part after the decision: filled in by `seed` (driven through the
//! services so the records are consistent).
use crate::demo::DemoOrg;
use crate::error::AppResult;
use crate::state::AppState;

pub async fn seed(state: &AppState, org: &DemoOrg) -> AppResult<()> {
    let _ = (state, org);
    Ok(())
}
