use leptos::prelude::*;
#[component] pub fn MinutesPage(id: String) -> impl IntoView { view!{ <p>"MinutesPage"</p> } }
#[component] pub fn PublicationList() -> impl IntoView { view!{ <p>"PublicationList"</p> } }
#[component] pub fn PublicationPage(id: String) -> impl IntoView { view!{ <p>"PublicationPage"</p> } }
#[component] pub fn Disclosures() -> impl IntoView { view!{ <p>"Disclosures"</p> } }
#[component] pub fn ArchivePage() -> impl IntoView { view!{ <p>"ArchivePage"</p> } }
