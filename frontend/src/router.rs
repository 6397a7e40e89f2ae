//! A small path router: the URL path maps to a [`Route`]; same-origin `<a href="/…">`
//! clicks are turned into `history.pushState` so the app never reloads. The server
//! answers every non-API path with index.html (SPA fallback), so deep links work.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    Login,
    Password,
    Tasks,
    Proposals,
    ProposalNew,
    Proposal(String),
    ProposalEdit(String),
    Meetings,
    MeetingNew,
    Meeting(String),
    Ballot(String, String),
    Minutes(String),
    Publications,
    Publication(String),
    Disclosures,
    Archive,
    Incomings,
    IncomingNew,
    Incoming(String),
    Outgoings,
    OutgoingNew,
    Outgoing(String),
    OutgoingEdit(String),
    Compliance,
    Audit,
    AdminUsers,
    AdminUnits,
    AdminMembers,
    AdminSettings,
    AdminCalendar,
    NotFound,
}

impl Route {
    pub fn parse(path: &str) -> Route {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let id = |s: &str| s.to_string();
        match segs.as_slice() {
            [] | ["tasks"] => Route::Tasks,
            ["login"] => Route::Login,
            ["password"] => Route::Password,
            ["proposals"] => Route::Proposals,
            ["proposals", "new"] => Route::ProposalNew,
            ["proposals", p] => Route::Proposal(id(p)),
            ["proposals", p, "edit"] => Route::ProposalEdit(id(p)),
            ["meetings"] => Route::Meetings,
            ["meetings", "new"] => Route::MeetingNew,
            ["meetings", m] => Route::Meeting(id(m)),
            ["meetings", m, "ballot", p] => Route::Ballot(id(m), id(p)),
            ["minutes", m] => Route::Minutes(id(m)),
            ["publications"] => Route::Publications,
            ["publications", p] => Route::Publication(id(p)),
            ["disclosures"] => Route::Disclosures,
            ["archive"] => Route::Archive,
            ["incoming"] => Route::Incomings,
            ["incoming", "new"] => Route::IncomingNew,
            ["incoming", d] => Route::Incoming(id(d)),
            ["outgoing"] => Route::Outgoings,
            ["outgoing", "new"] => Route::OutgoingNew,
            ["outgoing", d] => Route::Outgoing(id(d)),
            ["outgoing", d, "edit"] => Route::OutgoingEdit(id(d)),
            ["compliance"] => Route::Compliance,
            ["audit"] => Route::Audit,
            ["admin", "users"] => Route::AdminUsers,
            ["admin", "units"] => Route::AdminUnits,
            ["admin", "members"] => Route::AdminMembers,
            ["admin", "settings"] => Route::AdminSettings,
            ["admin", "calendar"] => Route::AdminCalendar,
            _ => Route::NotFound,
        }
    }
}

/// The link for an object by its API type (tasks, trails, links between objects).
pub fn object_href(object_type: &str, id: &str) -> String {
    match object_type {
        "proposal" => format!("/proposals/{id}"),
        "meeting" => format!("/meetings/{id}"),
        "minutes" => format!("/minutes/{id}"),
        "publication" => format!("/publications/{id}"),
        "incoming" => format!("/incoming/{id}"),
        "outgoing" => format!("/outgoing/{id}"),
        // S03 splitting flags are shown (and acknowledged) on the compliance page.
        "splitting_flag" | "oversight_flag" | "compliance" => "/compliance".to_string(),
        _ => "/".to_string(),
    }
}

#[derive(Clone, Copy)]
pub struct Router {
    pub path: RwSignal<String>,
}

fn current_path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_else(|| "/".into())
}

impl Router {
    pub fn new() -> Self {
        let router = Router { path: RwSignal::new(current_path()) };
        let path = router.path;
        let _ = window_event_listener(leptos::ev::popstate, move |_| set_path(path, &current_path()));
        let _ = window_event_listener(leptos::ev::click, move |ev| intercept_link(ev, path));
        router
    }

    pub fn route(&self) -> Route {
        Route::parse(&self.path.get())
    }

    pub fn go(&self, to: &str) {
        push(to);
        set_path(self.path, to);
        scroll_top();
    }

    /// Navigation without a history entry (redirects such as "sign in first").
    pub fn replace(&self, to: &str) {
        if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to));
        }
        set_path(self.path, to);
    }
}

/// Sets the path signal to `to` without its query, only when it changes (a page that
/// rewrites its own query string must not re-render itself).
fn set_path(path: RwSignal<String>, to: &str) {
    let p = to.split(['?', '#']).next().unwrap_or("/").to_string();
    if path.get_untracked() != p {
        path.set(p);
    }
}

fn push(to: &str) {
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to));
    }
}

fn scroll_top() {
    if let Some(w) = web_sys::window() {
        w.scroll_to_with_x_and_y(0.0, 0.0);
    }
}

fn intercept_link(ev: web_sys::MouseEvent, path: RwSignal<String>) {
    if ev.default_prevented() || ev.button() != 0 || ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key() {
        return;
    }
    let Some(target) = ev.target() else { return };
    let Ok(el) = target.dyn_into::<web_sys::Element>() else { return };
    let Ok(Some(anchor)) = el.closest("a[href]") else { return };
    let Ok(anchor) = anchor.dyn_into::<web_sys::HtmlAnchorElement>() else { return };
    let href = anchor.get_attribute("href").unwrap_or_default();
    // API links (PDFs, downloads) and new-tab links are real navigations.
    if !href.starts_with('/') || href.starts_with("/api/") || href.starts_with("//") || !anchor.target().is_empty() || anchor.has_attribute("download") {
        return;
    }
    ev.prevent_default();
    push(&href);
    set_path(path, &href);
    scroll_top();
}

pub fn use_router() -> Router {
    expect_context::<Router>()
}

/// Reads a query parameter of the current URL (`?state=ready`).
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .and_then(|(_, v)| js_sys::decode_uri_component(v).ok())
        .map(String::from)
}
