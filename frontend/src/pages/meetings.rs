use leptos::prelude::*;
#[component] pub fn MeetingList() -> impl IntoView { view!{ <p>"MeetingList"</p> } }
#[component] pub fn MeetingForm() -> impl IntoView { view!{ <p>"MeetingForm"</p> } }
#[component] pub fn MeetingPage(id: String) -> impl IntoView { view!{ <p>"MeetingPage"</p> } }
#[component] pub fn BallotPage(meeting: String, proposal: String) -> impl IntoView { view!{ <p>"BallotPage"</p> } }
