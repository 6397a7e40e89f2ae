use leptos::prelude::*;
#[component] pub fn Compliance() -> impl IntoView { view!{ <p>"Compliance"</p> } }
#[component] pub fn Audit() -> impl IntoView { view!{ <p>"Audit"</p> } }
