//! The few action shapes every workflow step uses, each posting to one API path and
//! showing the server's refusal right under its button:
//! a plain button (with confirmation), approve/return with an opinion, a choice with a
//! text, and a single text.

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use crate::api;
use crate::components::{Choice, ErrorNote, Field, Submit, confirm, draft};
use crate::labels::Options;

/// A button that posts (optionally a fixed body), after a confirmation when `confirm_text` is set.
#[component]
pub fn ActionButton(
    #[prop(into)] label: String,
    #[prop(into)] path: String,
    #[prop(into, optional)] confirm_text: String,
    #[prop(optional)] body: Option<Value>,
    #[prop(optional)] primary: bool,
    #[prop(into)] on_done: Callback<Value>,
) -> impl IntoView {
    let submit = Submit::new();
    let title = label.clone();
    let run = move || {
        let path = path.clone();
        let body = body.clone();
        submit.run(
            async move {
                match body {
                    Some(b) => api::post(&path, b).await,
                    None => api::post_empty(&path).await,
                }
            },
            move |v| on_done.run(v),
        );
    };
    let click = move |_| {
        if confirm_text.is_empty() {
            run();
        } else {
            let run = run.clone();
            confirm(title.clone(), confirm_text.clone(), "确定", run);
        }
    };
    view! {
        <div class="action">
            <button class=if primary { "btn primary" } else { "btn" } type="button" on:click=click disabled=submit.busy()>
                {label}
            </button>
            <ErrorNote submit=submit/>
        </div>
    }
}

/// Approve or return, with an opinion: `{<yes_key>: bool, opinion}`.
#[component]
pub fn DecideAction(
    #[prop(into)] title: String,
    #[prop(into)] path: String,
    #[prop(default = "approve")] yes_key: &'static str,
    #[prop(default = "同意")] yes_label: &'static str,
    #[prop(default = "退回")] no_label: &'static str,
    #[prop(into)] on_done: Callback<Value>,
) -> impl IntoView {
    let submit = Submit::new();
    let yes = RwSignal::new(true);
    let opinion = draft(&path, "opinion", "");
    let name = format!("decide-{}", path.replace('/', "-"));
    let confirm_title = title.clone();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (y, o) = (yes.get_untracked(), opinion.get_untracked());
        if !y && o.trim().is_empty() {
            submit.fail(&format!("{no_label}时请写明理由。"));
            return;
        }
        let path = path.clone();
        let run = move || {
            let path = path.clone();
            let o = o.clone();
            submit.post(&path, json!({ yes_key: y, "opinion": o.trim() }), move |v| {
                opinion.set(String::new());
                on_done.run(v)
            });
        };
        confirm(confirm_title.clone(), format!("确定“{}”？提交后不可撤回。", if y { yes_label } else { no_label }), "提交", run);
    };
    view! {
        <form class="inline-form" on:submit=send>
            <h3>{title}</h3>
            <div class="row" role="radiogroup">
                <label class="check"><input type="radio" name=name.clone() prop:checked=move || yes.get() on:change=move |_| yes.set(true)/>{yes_label}</label>
                <label class="check"><input type="radio" name=name prop:checked=move || !yes.get() on:change=move |_| yes.set(false)/>{no_label}</label>
            </div>
            <Field label="意见"><textarea rows="3" bind:value=opinion></textarea></Field>
            <ErrorNote submit=submit/>
            <button class="btn primary" type="submit" disabled=submit.busy()>"提交"</button>
        </form>
    }
}

/// A choice among options plus a text: `{<choice_key>: choice, <text_key>: text, ..extra}`.
#[component]
pub fn ChoiceAction(
    #[prop(into)] title: String,
    #[prop(into)] path: String,
    choice_key: &'static str,
    #[prop(into)] choice_label: String,
    options: Options,
    text_key: &'static str,
    #[prop(into)] text_label: String,
    /// Choices for which the text may be left empty.
    #[prop(optional)] text_optional_for: &'static [&'static str],
    #[prop(optional)] extra: Option<Value>,
    #[prop(into, optional)] hint: String,
    #[prop(into)] on_done: Callback<Value>,
) -> impl IntoView {
    let submit = Submit::new();
    let choice = draft(&path, choice_key, options.first().map(|(k, _)| *k).unwrap_or_default());
    let text = draft(&path, text_key, "");
    let confirm_title = title.clone();
    let text_label2 = text_label.clone();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (c, t) = (choice.get_untracked(), text.get_untracked());
        if t.trim().is_empty() && !text_optional_for.contains(&c.as_str()) {
            submit.fail(&format!("请填写{text_label2}。"));
            return;
        }
        let mut body = match extra.clone() {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        body.insert(choice_key.into(), json!(c));
        if !t.trim().is_empty() {
            body.insert(text_key.into(), json!(t.trim()));
        }
        let path = path.clone();
        let label = crate::labels::lookup(options, &c).to_string();
        let run = move || {
            let path = path.clone();
            let body = Value::Object(body.clone());
            submit.post(&path, body, move |v| {
                text.set(String::new());
                on_done.run(v)
            });
        };
        confirm(confirm_title.clone(), format!("确定“{label}”？提交后不可撤回。"), "提交", run);
    };
    view! {
        <form class="inline-form" on:submit=send>
            <h3>{title}</h3>
            {(!hint.is_empty()).then(|| view! { <p class="muted small">{hint.clone()}</p> })}
            <Field label=choice_label><Choice options=options value=choice/></Field>
            <Field label=text_label><textarea rows="3" bind:value=text></textarea></Field>
            <ErrorNote submit=submit/>
            <button class="btn primary" type="submit" disabled=submit.busy()>"提交"</button>
        </form>
    }
}

/// One text field: `{<key>: text}`.
#[component]
pub fn TextAction(
    #[prop(into)] title: String,
    #[prop(into)] path: String,
    key: &'static str,
    #[prop(into)] label: String,
    #[prop(into, optional)] button: String,
    #[prop(into, optional)] confirm_text: String,
    #[prop(optional)] allow_empty: bool,
    #[prop(into)] on_done: Callback<Value>,
) -> impl IntoView {
    let submit = Submit::new();
    let text = draft(&path, key, "");
    let button = if button.is_empty() { "提交".to_string() } else { button };
    let confirm_title = title.clone();
    let label2 = label.clone();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = text.get_untracked();
        if t.trim().is_empty() && !allow_empty {
            submit.fail(&format!("请填写{label2}。"));
            return;
        }
        let path = path.clone();
        let run = move || {
            let path = path.clone();
            let t = t.clone();
            submit.post(&path, json!({ key: t.trim() }), move |v| {
                text.set(String::new());
                on_done.run(v)
            });
        };
        if confirm_text.is_empty() {
            run();
        } else {
            confirm(confirm_title.clone(), confirm_text.clone(), "提交", run);
        }
    };
    view! {
        <form class="inline-form" on:submit=send>
            <h3>{title}</h3>
            <Field label=label><textarea rows="3" bind:value=text></textarea></Field>
            <ErrorNote submit=submit/>
            <button class="btn primary" type="submit" disabled=submit.busy()>{button}</button>
        </form>
    }
}
