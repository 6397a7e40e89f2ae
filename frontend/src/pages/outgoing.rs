use leptos::prelude::*;
#[component] pub fn OutgoingList() -> impl IntoView { view!{ <p>"OutgoingList"</p> } }
#[component] pub fn OutgoingEditor(id: Option<String>) -> impl IntoView { view!{ <p>"OutgoingEditor"</p> } }
#[component] pub fn OutgoingDetail(id: String) -> impl IntoView { view!{ <p>"OutgoingDetail"</p> } }
