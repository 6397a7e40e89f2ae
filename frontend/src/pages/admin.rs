use leptos::prelude::*;
#[component] pub fn Users() -> impl IntoView { view!{ <p>"Users"</p> } }
#[component] pub fn Units() -> impl IntoView { view!{ <p>"Units"</p> } }
#[component] pub fn Members() -> impl IntoView { view!{ <p>"Members"</p> } }
#[component] pub fn Settings() -> impl IntoView { view!{ <p>"Settings"</p> } }
#[component] pub fn Calendar() -> impl IntoView { view!{ <p>"Calendar"</p> } }
