//! Sign-in and password change (forced at first login and after an admin reset, R41).

use leptos::prelude::*;
use serde_json::json;

use crate::api;
use crate::components::{ErrorNote, Field, Submit};
use crate::router::use_router;
use crate::session::{load_me, use_session};
use crate::util::J;

#[component]
pub fn SignIn() -> impl IntoView {
    let session = use_session();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let submit = Submit::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (u, p) = (username.get_untracked(), password.get_untracked());
        if u.trim().is_empty() || p.is_empty() {
            submit.fail("请输入用户名和密码。");
            return;
        }
        submit.run(
            async move {
                let v = api::sign_in(json!({ "username": u.trim(), "password": p })).await?;
                api::set_csrf(v.opt("csrf_token").as_deref());
                load_me(session).await
            },
            |_| {},
        );
    };
    view! {
        <div class="auth-page">
            <form class="card auth-card" on:submit=on_submit>
                <h1 class="auth-title">"议事"</h1>
                <p class="muted">"三重一大集体决策 · 网上会办"</p>
                <Field label="用户名">
                    <input type="text" autocomplete="username" required autofocus bind:value=username/>
                </Field>
                <Field label="密码">
                    <input type="password" autocomplete="current-password" required bind:value=password/>
                </Field>
                <ErrorNote submit=submit/>
                <button class="btn primary block" type="submit" disabled=submit.busy()>
                    <span>{move || if submit.pending.get() { "正在登录…" } else { "登录" }}</span>
                </button>
            </form>
        </div>
    }
}

#[component]
pub fn ChangePassword(forced: bool) -> impl IntoView {
    let session = use_session();
    let router = use_router();
    let old = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let done = RwSignal::new(false);
    let submit = Submit::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (o, n, a) = (old.get_untracked(), new.get_untracked(), again.get_untracked());
        if n != a {
            submit.fail("两次输入的新密码不一致。");
            return;
        }
        if n.chars().count() < 10 {
            submit.fail("新密码至少 10 位，并包含大写字母、小写字母、数字、符号中的至少三类。");
            return;
        }
        submit.run(
            async move {
                api::post("/me/password", json!({ "old_password": o, "new_password": n })).await?;
                load_me(session).await
            },
            move |_| {
                done.set(true);
                if forced {
                    router.replace("/");
                }
            },
        );
    };
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::delete("/session").await;
            session.clear();
        });
    };
    view! {
        <div class=if forced { "auth-page" } else { "narrow" }>
            <form class="card auth-card" on:submit=on_submit>
                <h1>"修改密码"</h1>
                {forced.then(|| view! {
                    <p class="notice">{format!("{}，首次登录或密码被重置后须先修改密码，才能继续使用。", session.user().name())}</p>
                })}
                <Field label="原密码">
                    <input type="password" autocomplete="current-password" required bind:value=old/>
                </Field>
                <Field label="新密码" hint="至少 10 位，包含大写字母、小写字母、数字、符号中的至少三类">
                    <input type="password" autocomplete="new-password" required bind:value=new/>
                </Field>
                <Field label="再次输入新密码">
                    <input type="password" autocomplete="new-password" required bind:value=again/>
                </Field>
                <ErrorNote submit=submit/>
                {move || done.get().then(|| view! { <p class="success" role="status">"密码已修改。"</p> })}
                <div class="row">
                    <button class="btn primary" type="submit" disabled=submit.busy()>"保存新密码"</button>
                    {forced.then(|| view! { <button class="btn" type="button" on:click=sign_out>"退出登录"</button> })}
                </div>
            </form>
            {(!forced).then(|| view! { <Absences/> })}
        </div>
    }
}

/// Registering one's own absence: tasks then go to the designated backup (AB岗, D11).
#[component]
fn Absences() -> impl IntoView {
    let session = use_session();
    let from = RwSignal::new(crate::util::today());
    let to = RwSignal::new(crate::util::today());
    let reason = RwSignal::new(String::new());
    let submit = Submit::new();
    let list = LocalResource::new(move || {
        let unit = session.unit_id();
        let me = session.user_id();
        async move {
            let v = api::get(&format!("/units/{unit}/absences")).await?;
            Ok::<_, api::ApiError>(crate::util::items(&v).into_iter().filter(|a| a.s("user_id") == me).collect::<Vec<_>>())
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if reason.get_untracked().trim().is_empty() {
            submit.fail("请填写外出或请假事由。");
            return;
        }
        if to.get_untracked() < from.get_untracked() {
            submit.fail("结束日期不能早于开始日期。");
            return;
        }
        let body = json!({ "from": from.get_untracked(), "to": to.get_untracked(), "reason": reason.get_untracked().trim() });
        let path = format!("/units/{}/absences", session.unit_id());
        submit.post(&path, body, move |_| {
            reason.set(String::new());
            list.refetch();
        });
    };
    view! {
        <form class="card auth-card" on:submit=save>
            <h2>"外出/请假登记"</h2>
            <p class="muted small">"登记期间，您的待办事项由您的B岗代为办理，并记录为“代您办理”（D11）。"</p>
            <div class="cols">
                <Field label="开始日期"><input type="date" required bind:value=from/></Field>
                <Field label="结束日期（含）"><input type="date" required bind:value=to/></Field>
            </div>
            <Field label="事由"><input type="text" bind:value=reason/></Field>
            <ErrorNote submit=submit/>
            <button class="btn" type="submit" disabled=submit.busy()>"登记"</button>
            {crate::components::show(list, |items: Vec<serde_json::Value>| (!items.is_empty()).then(|| view! {
                <ul class="statements">
                    {items.iter().map(|a| view! { <li>{format!("{} 至 {}：{}", a.s("from"), a.s("to"), a.s("reason"))}</li> }).collect_view()}
                </ul>
            }))}
        </form>
    }
}
