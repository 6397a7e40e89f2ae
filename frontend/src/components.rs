//! The app's one small component set: page headers, cards, fields, badges, loading /
//! empty / error states, the submit helper that shows an action's error next to it, and
//! the confirmation dialog used before irreversible steps.

use std::future::Future;
use std::sync::Arc;

use leptos::prelude::*;
use serde_json::Value;

use crate::api::ApiError;
use crate::labels::{self, Options};
use crate::session::{Session, person, use_session};
use crate::util::{J, fmt_time};

/// Pending flag + last error of one action (a form or a button).
#[derive(Clone, Copy)]
pub struct Submit {
    pub pending: RwSignal<bool>,
    pub error: RwSignal<Option<ApiError>>,
}

impl Submit {
    pub fn new() -> Self {
        Submit { pending: RwSignal::new(false), error: RwSignal::new(None) }
    }

    /// Runs `fut` unless a run is already pending; on success calls `on_ok`, on failure
    /// keeps the error for [`ErrorNote`].
    pub fn run<T: 'static>(self, fut: impl Future<Output = Result<T, ApiError>> + 'static, on_ok: impl FnOnce(T) + 'static) {
        if self.pending.get_untracked() {
            return;
        }
        self.pending.set(true);
        self.error.set(None);
        leptos::task::spawn_local(async move {
            let result = fut.await;
            let _ = self.pending.try_set(false);
            match result {
                Ok(v) => on_ok(v),
                Err(e) => {
                    let _ = self.error.try_set(Some(e));
                }
            }
        });
    }

    /// `run` of a POST of `body` to `path`: one shared instance of the request future for
    /// every form instead of one per call site (wasm size).
    pub fn post(self, path: &str, body: Value, on_ok: impl FnOnce(Value) + 'static) {
        self.post_dyn(path.to_string(), body, Box::new(on_ok))
    }

    fn post_dyn(self, path: String, body: Value, on_ok: Box<dyn FnOnce(Value)>) {
        self.run(async move { crate::api::post(&path, body).await }, on_ok)
    }

    pub fn fail(self, message: &str) {
        self.error.set(Some(ApiError::local(message)));
    }

    pub fn busy(self) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
        move || self.pending.get()
    }
}

/// The error of an action, shown right next to it (role=alert so screen readers hear it).
#[component]
pub fn ErrorNote(submit: Submit) -> impl IntoView {
    move || submit.error.get().map(|e| view! { <ErrorBox error=e/> })
}

#[component]
pub fn ErrorBox(error: ApiError) -> impl IntoView {
    let session = use_context::<Session>();
    let lines = error.detail_lines(&|s: &str| session.map(|ss| ss.name_of(s)).unwrap_or_else(|| s.to_string()));
    // Rule IDs (R08, D01, …) mean something to users and inspectors; generic codes do not.
    let code = error.code.clone();
    let is_rule = code.len() >= 3
        && code.starts_with(['R', 'D', 'P', 'S'])
        && code[1..].chars().all(|c| c.is_ascii_digit());
    let code = if is_rule { format!("规则 {code}") } else { String::new() };
    view! {
        <div class="error" role="alert">
            <strong>{error.message.clone()}</strong>
            {(!code.is_empty()).then(|| view! { <span class="code">{code}</span> })}
            {(!lines.is_empty()).then(|| view! {
                <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
            })}
        </div>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="muted loading" aria-busy="true">"加载中…"</p> }
}

#[component]
pub fn Empty(#[prop(into)] text: String) -> impl IntoView {
    view! { <p class="empty">{text}</p> }
}

/// Renders a resource: loading, its error, or `f(value)`.
pub fn show<T, V>(
    res: LocalResource<Result<T, ApiError>>,
    f: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let session = use_session();
    move || {
        // Names and section titles come from the unit directory: render once it is there,
        // never again because of it (a re-render would drop what the user typed).
        if !session.directory_ready.get() {
            return view! { <Loading/> }.into_any();
        }
        match res.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
        Some(Ok(v)) => f(v).into_any(),
        }
    }
}

#[component]
pub fn PageHeader(#[prop(into)] title: String, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    view! {
        <div class="page-header">
            <h1>{title}</h1>
            <div class="page-actions">{children.map(|c| c())}</div>
        </div>
    }
}

/// A titled card. `act` marks a detail page's 办理 card: on phones it moves up, right
/// after the first card (the header facts), instead of after the materials and the trail.
#[component]
pub fn Card(#[prop(into, optional)] title: String, #[prop(optional)] act: bool, children: Children) -> impl IntoView {
    view! {
        <section class=if act { "card act" } else { "card" }>
            {(!title.is_empty()).then(|| view! { <h2>{title.clone()}</h2> })}
            {children()}
        </section>
    }
}

/// A labelled form field. The label points at the control with `for` (a wrapping label
/// would give a `<select>` the text of all its options as its accessible name); the hint is
/// linked with `aria-describedby`.
#[component]
pub fn Field(#[prop(into)] label: String, #[prop(into, optional)] hint: String, children: Children) -> impl IntoView {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let id = format!("field-{n}");
    let hint_id = format!("field-{n}-hint");
    let has_hint = !hint.is_empty();
    let node = NodeRef::<leptos::html::Div>::new();
    let (id2, hint_id2) = (id.clone(), hint_id.clone());
    Effect::new(move |_| {
        let Some(div) = node.get() else { return };
        let (id, hint_id) = (id2.clone(), hint_id2.clone());
        // The node ref is set before the children are attached: look after this frame.
        request_animation_frame(move || {
            if let Ok(Some(ctrl)) = div.query_selector("input, select, textarea") {
                ctrl.set_id(&id);
                if has_hint {
                    let _ = ctrl.set_attribute("aria-describedby", &hint_id);
                }
            }
        });
    });
    view! {
        <div class="field" node_ref=node>
            <label class="field-label" for=id>{label}</label>
            {children()}
            {has_hint.then(|| view! { <span class="hint" id=hint_id>{hint.clone()}</span> })}
        </div>
    }
}

/// A `<select>` over a label list, bound to a signal holding the wire value.
#[component]
pub fn Choice(options: Options, value: RwSignal<String>, #[prop(optional)] placeholder: Option<&'static str>) -> impl IntoView {
    view! {
        <select on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
            {placeholder.map(|p| view! { <option value="">{p}</option> })}
            {options.iter().map(|(k, v)| view! { <option value=*k selected=move || value.get() == *k>{*v}</option> }).collect_view()}
        </select>
    }
}

/// A `<select>` over dynamic (value, label) pairs.
#[component]
pub fn PickOne(
    #[prop(into)] options: Signal<Vec<(String, String)>>,
    value: RwSignal<String>,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    view! {
        <select on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
            <option value="">{placeholder.unwrap_or("请选择")}</option>
            {move || options.get().into_iter().map(|(k, v)| {
                let selected = k.clone();
                view! { <option value=k.clone() selected=move || value.get() == selected>{v}</option> }
            }).collect_view()}
        </select>
    }
}

/// Check boxes over dynamic (value, label) pairs, bound to a list of chosen values.
#[component]
pub fn PickMany(#[prop(into)] options: Signal<Vec<(String, String)>>, value: RwSignal<Vec<String>>) -> impl IntoView {
    view! {
        <div class="checks">
            {move || {
                let opts = options.get();
                if opts.is_empty() {
                    return view! { <span class="muted">"（无可选项）"</span> }.into_any();
                }
                opts.into_iter().map(|(k, v)| {
                    let key = k.clone();
                    let key2 = k.clone();
                    view! {
                        <label class="check">
                            <input type="checkbox"
                                prop:checked=move || value.with(|vs| vs.contains(&key))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    value.update(|vs| {
                                        vs.retain(|x| x != &key2);
                                        if on { vs.push(key2.clone()); }
                                    });
                                }/>
                            <span>{v}</span>
                        </label>
                    }
                }).collect_view().into_any()
            }}
        </div>
    }
}

/// A state badge coloured by how far along the state is.
#[component]
pub fn StateBadge(#[prop(into)] object_type: String, #[prop(into)] state: String) -> impl IntoView {
    let tone = match state.as_str() {
        "returned" | "rejected" | "lapsed" | "paused" | "escalated" => "bad",
        "archived" | "confirmed" | "issued" | "done" | "adopted" | "approved" | "closed" | "signed" => "good",
        "draft" | "drafting" => "plain",
        _ => "info",
    };
    let text = labels::state(&object_type, &state).to_string();
    view! { <span class=format!("badge {tone}")>{text}</span> }
}

#[component]
pub fn Badge(#[prop(into)] text: String, #[prop(into, optional)] tone: String) -> impl IntoView {
    let tone = if tone.is_empty() { "plain".to_string() } else { tone };
    view! { <span class=format!("badge {tone}")>{text}</span> }
}

/// Key–value rows (`<dl>`), skipping empty values.
#[component]
pub fn Facts(rows: Vec<(&'static str, String)>) -> impl IntoView {
    view! {
        <dl class="facts">
            {rows.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| view! {
                <div><dt>{k}</dt><dd>{v}</dd></div>
            }).collect_view()}
        </dl>
    }
}

/// An object's trail (流转记录): who did what, when, with which opinion.
#[component]
pub fn Trail(entries: Vec<Value>, #[prop(into, optional)] object_type: String) -> impl IntoView {
    let session = use_session();
    if entries.is_empty() {
        return view! { <Empty text="暂无流转记录。"/> }.into_any();
    }
    view! {
        <ol class="trail">
            {entries.into_iter().map(|e| trail_row(&session, &e, &object_type)).collect_view()}
        </ol>
    }
    .into_any()
}

fn trail_row(session: &Session, e: &Value, object_type: &str) -> impl IntoView + use<> {
    let at = fmt_time(&e.first(&["at", "time", "created_at"]));
    let actor = e
        .get("actor")
        .map(|a| person(session, a))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            let name = e.first(&["actor_name"]);
            if name.is_empty() { session.name_of(&e.s("actor_id")) } else { name }
        });
    let behalf = e
        .get("on_behalf_of")
        .map(|a| person(session, a))
        .or_else(|| e.opt("on_behalf_of_name"))
        .filter(|s| !s.is_empty());
    let action = e.first(&["action", "event", "kind"]);
    let action = labels::action(&action).to_string();
    let transition = match (e.opt("from_state").or_else(|| e.opt("from")), e.opt("to_state").or_else(|| e.opt("to"))) {
        (Some(f), Some(t)) => format!("{} → {}", labels::state(object_type, &f), labels::state(object_type, &t)),
        (None, Some(t)) => format!("→ {}", labels::state(object_type, &t)),
        _ => String::new(),
    };
    let note = e.first(&["opinion", "note", "reason", "text", "summary"]);
    view! {
        <li>
            <div class="trail-head">
                <span class="trail-time">{at}</span>
                <strong>{actor}</strong>
                {behalf.map(|b| view! { <span class="behalf">{format!("（代 {b} 办理）")}</span> })}
                <span>{action}</span>
                {(!transition.is_empty()).then(|| view! { <span class="muted">{transition.clone()}</span> })}
            </div>
            {(!note.is_empty()).then(|| view! { <p class="trail-note">{note.clone()}</p> })}
        </li>
    }
}

/// A pending confirmation: shown as a modal; `on_yes` runs when confirmed.
#[derive(Clone)]
pub struct ConfirmRequest {
    pub title: String,
    pub body: String,
    pub yes: String,
    pub danger: bool,
    pub on_yes: Arc<dyn Fn() + Send + Sync>,
}

#[derive(Clone, Copy)]
pub struct Confirm(pub RwSignal<Option<ConfirmRequest>>);

thread_local! {
    /// The element that had focus when a confirmation opened; focus returns there.
    static RETURN_FOCUS: std::cell::RefCell<Option<web_sys::HtmlElement>> = const { std::cell::RefCell::new(None) };
}

fn close_confirm(c: Confirm) {
    c.0.set(None);
    RETURN_FOCUS.with(|f| {
        if let Some(el) = f.borrow_mut().take() {
            let _ = el.focus();
        }
    });
}

/// Asks before an irreversible step.
pub fn confirm(title: impl Into<String>, body: impl Into<String>, yes: impl Into<String>, on_yes: impl Fn() + Send + Sync + 'static) {
    let c = expect_context::<Confirm>();
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
    RETURN_FOCUS.with(|f| *f.borrow_mut() = active);
    c.0.set(Some(ConfirmRequest {
        title: title.into(),
        body: body.into(),
        yes: yes.into(),
        danger: false,
        on_yes: Arc::new(on_yes),
    }));
}

/// The dialog itself; mounted once by the shell. Esc or 取消 closes it; focus starts on 取消.
#[component]
pub fn ConfirmHost() -> impl IntoView {
    let c = expect_context::<Confirm>();
    let cancel_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if c.0.with(Option::is_some)
            && let Some(b) = cancel_ref.get() {
                let _ = b.focus();
            }
    });
    move || {
        c.0.get().map(|req| {
            let run = req.on_yes.clone();
            view! {
                <div class="modal-backdrop" on:keydown=move |ev| { if ev.key() == "Escape" { close_confirm(c) } }>
                    <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
                        <h2 id="confirm-title">{req.title.clone()}</h2>
                        <p>{req.body.clone()}</p>
                        <div class="modal-actions">
                            <button class="btn" node_ref=cancel_ref on:click=move |_| close_confirm(c)>"取消"</button>
                            <button class=if req.danger { "btn danger" } else { "btn primary" } on:click=move |_| {
                                close_confirm(c);
                                run();
                            }>{req.yes.clone()}</button>
                        </div>
                    </div>
                </div>
            }
        })
    }
}

/// A deadline with its overdue mark.
#[component]
pub fn Due(#[prop(into)] due_at: String, overdue: bool) -> impl IntoView {
    view! {
        <span class="due">
            {(!due_at.is_empty()).then(|| view! { <span class="muted">{format!("期限 {}", fmt_time(&due_at))}</span> })}
            {overdue.then(|| view! { <span class="badge bad">"逾期"</span> })}
        </span>
    }
}

/// Drafts that survive a re-render of live data (the meeting page refetches on every
/// ballot): each one is created under the page's (or the app's) owner, not the re-rendered
/// view's. Usually a text signal; `keep` holds any `Copy` handle (a block list, a flag).
#[derive(Clone, Copy)]
pub struct Drafts {
    owner: StoredValue<Owner>,
    map: StoredValue<std::collections::HashMap<String, Arc<dyn std::any::Any + Send + Sync>>>,
}

impl Drafts {
    pub fn new() -> Self {
        Drafts {
            owner: StoredValue::new(Owner::current().unwrap_or_default()),
            map: StoredValue::new(Default::default()),
        }
    }

    /// The draft for `key`, made by `init` (under the drafts' owner) the first time.
    pub fn keep<T: Copy + Send + Sync + 'static>(&self, key: &str, init: impl FnOnce() -> T) -> T {
        let mut init = Some(init);
        let v = self.keep_any(key, &mut || Arc::new(init.take().map(|f| f())));
        // Stored as `Option<T>` (always `Some`): the untyped part below is shared by every `T`.
        v.downcast_ref::<Option<T>>().copied().flatten().expect("draft of another type under this key")
    }

    fn keep_any(&self, key: &str, init: &mut dyn FnMut() -> Arc<dyn std::any::Any + Send + Sync>) -> Arc<dyn std::any::Any + Send + Sync> {
        if let Some(v) = self.map.with_value(|m| m.get(key).cloned()) {
            return v;
        }
        let v = self.owner.with_value(|o| o.with(init));
        self.map.update_value(|m| {
            m.insert(key.to_string(), v.clone());
        });
        v
    }

    /// The text draft for `key`, starting as `initial` the first time it is asked for.
    pub fn get(&self, key: &str, initial: &str) -> RwSignal<String> {
        self.keep(key, || RwSignal::new(initial.to_string()))
    }
}

/// The input of a form (`path` + field) kept in the app-wide drafts: a live refetch of the
/// page (a server event about the object) re-renders the form without losing what the
/// user was typing or choosing. Cleared by the form after a successful submit.
pub fn kept<T: Copy + Send + Sync + 'static>(path: &str, field: &str, init: impl FnOnce() -> T) -> T {
    match use_context::<Drafts>() {
        Some(d) => d.keep(&format!("{path}#{field}"), init),
        None => init(),
    }
}

/// A text of an action form in the app-wide drafts (see `kept`).
pub fn draft(path: &str, field: &str, initial: &str) -> RwSignal<String> {
    kept(path, field, || RwSignal::new(initial.to_string()))
}

/// What the server says the caller may do with an object, when it says so
/// (`allowed_actions` / `actions`); otherwise the page's own role-and-state rule decides.
pub fn allowed(obj: &Value, action: &str, fallback: bool) -> bool {
    match obj.get("allowed_actions").or_else(|| obj.get("actions")).and_then(Value::as_array) {
        Some(list) => list.iter().any(|a| a.as_str() == Some(action)),
        None => fallback,
    }
}

/// Picks a file and uploads it to `path` (multipart field `file`); `on_done` gets the attachment.
#[component]
pub fn Upload(
    #[prop(into)] path: String,
    #[prop(into, optional)] label: String,
    on_done: impl Fn(Value) + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let submit = Submit::new();
    let input = NodeRef::<leptos::html::Input>::new();
    let label = if label.is_empty() { "上传附件".to_string() } else { label };
    // The browser's own file button speaks the browser's language ("Choose File"): it stays
    // in the page for keyboard and screen readers, hidden behind a Chinese button.
    let chosen = RwSignal::new(String::new());
    let pick = move |_| {
        let name = input.get().and_then(|el| el.files()).and_then(|f| f.get(0)).map(|f| f.name()).unwrap_or_default();
        chosen.set(name);
    };
    let upload = move |_| {
        let Some(el) = input.get() else { return };
        let Some(file) = el.files().and_then(|f| f.get(0)) else {
            submit.fail("请先选择文件。");
            return;
        };
        let path = path.clone();
        let on_done = on_done.clone();
        submit.run(async move { crate::api::upload(&path, &file).await }, move |v| {
            el.set_value("");
            chosen.set(String::new());
            on_done(v)
        });
    };
    view! {
        <div class="row">
            <label class="btn file-pick">
                <input type="file" class="sr-only" node_ref=input on:change=pick/>
                "选择文件"
            </label>
            <span class="small" class:muted=move || chosen.with(String::is_empty)>
                {move || { let c = chosen.get(); if c.is_empty() { "未选择文件".to_string() } else { c } }}
            </span>
            <button class="btn" type="button" on:click=upload disabled=submit.busy()>{label.clone()}</button>
        </div>
        <ErrorNote submit=submit/>
    }
}
