use leptos::prelude::*;
#[component] pub fn IncomingList() -> impl IntoView { view!{ <p>"IncomingList"</p> } }
#[component] pub fn IncomingForm() -> impl IntoView { view!{ <p>"IncomingForm"</p> } }
#[component] pub fn IncomingDetail(id: String) -> impl IntoView { view!{ <p>"IncomingDetail"</p> } }
