use leptos::prelude::*;
#[component] pub fn ProposalList() -> impl IntoView { view!{ <p>"ProposalList"</p> } }
#[component] pub fn ProposalForm(id: Option<String>) -> impl IntoView { view!{ <p>"ProposalForm"</p> } }
#[component] pub fn ProposalDetail(id: String) -> impl IntoView { view!{ <p>"ProposalDetail"</p> } }
