//! The shell: session start-up, sign-in / forced password change gates, the header with
//! navigation, unit switcher and sign-out, and the page for the current route.

use leptos::prelude::*;

use crate::api;
use crate::components::{Confirm, ConfirmHost, Drafts};
use crate::pages;
use crate::router::{Route, Router, use_router};
use crate::session::{Session, load_me, use_session};

#[component]
pub fn App() -> impl IntoView {
    let router = Router::new();
    provide_context(router);
    let session = Session::new();
    provide_context(session);
    provide_context(Confirm(RwSignal::new(None)));
    provide_context(Drafts::new());

    api::set_unauthorized_handler(move || {
        if session.me.get_untracked().is_some() {
            session.clear();
        }
    });
    leptos::task::spawn_local(async move {
        let _ = load_me(session).await;
        session.loaded.set(true);
    });

    view! {
        {move || {
            if !session.loaded.get() {
                view! { <div class="splash">"议事 · 正在加载…"</div> }.into_any()
            } else if session.me.with(Option::is_none) {
                view! { <pages::auth::SignIn/> }.into_any()
            } else if session.me.with(|m| m.as_ref().is_some_and(|m| m.user.must_change_password)) {
                view! { <pages::auth::ChangePassword forced=true/> }.into_any()
            } else {
                view! { <Shell/> }.into_any()
            }
        }}
        <ConfirmHost/>
    }
}

struct NavItem {
    href: &'static str,
    label: &'static str,
    roles: &'static [&'static str],
}

const ANY: &[&str] = &[];
const DELIBERATORS: &[&str] = &["handler", "section_head", "deputy", "principal", "member", "clerk", "inspector", "office_director"];
const MEETING_ROLES: &[&str] = &["clerk", "principal", "deputy", "member", "inspector"];
const UNIT_PEOPLE: &[&str] = &[
    "staff", "handler", "section_head", "deputy", "principal", "member", "clerk", "inspector", "office_director",
];
/// Who reads the archive (policy `archive, read`, R18).
const ARCHIVE_READERS: &[&str] = &["principal", "deputy", "member", "office_director", "clerk", "inspector"];
const ROUTERS: &[&str] = &["clerk", "handler", "section_head", "deputy", "principal", "office_director", "inspector"];

const NAV: &[NavItem] = &[
    NavItem { href: "/", label: "待办", roles: ANY },
    NavItem { href: "/proposals", label: "议题", roles: DELIBERATORS },
    NavItem { href: "/meetings", label: "会议", roles: MEETING_ROLES },
    NavItem { href: "/publications", label: "公示", roles: UNIT_PEOPLE },
    NavItem { href: "/disclosures", label: "公开目录", roles: UNIT_PEOPLE },
    NavItem { href: "/archive", label: "档案", roles: ARCHIVE_READERS },
    NavItem { href: "/incoming", label: "收文", roles: ROUTERS },
    NavItem { href: "/outgoing", label: "发文", roles: ROUTERS },
    NavItem { href: "/compliance", label: "合规监督", roles: &["inspector", "principal"] },
    NavItem { href: "/audit", label: "审计日志", roles: &["auditor", "inspector"] },
    NavItem { href: "/admin/users", label: "用户", roles: &["sysadmin"] },
    NavItem { href: "/admin/units", label: "单位与处室", roles: &["sysadmin"] },
    NavItem { href: "/admin/members", label: "人员角色", roles: &["secadmin"] },
    NavItem { href: "/admin/settings", label: "单位设置", roles: &["secadmin"] },
    NavItem { href: "/admin/calendar", label: "工作日历", roles: &["clerk"] },
];

fn nav_active(href: &str, path: &str) -> bool {
    if href == "/" { path == "/" || path == "/tasks" } else { path == href || path.starts_with(&format!("{href}/")) }
}

#[component]
fn Shell() -> impl IntoView {
    let session = use_session();
    let router = use_router();
    // Signed in on /login (e.g. after the sign-in form): go home.
    if router.route() == Route::Login {
        router.replace("/");
    }
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::delete("/session").await;
            session.clear();
            router.replace("/");
        });
    };
    let units = move || session.me.with(|m| m.as_ref().map(|m| m.units.clone()).unwrap_or_default());
    // On narrow screens the navigation scrolls sideways: keep the current entry in view.
    Effect::new(move |_| {
        let _ = router.path.get();
        request_animation_frame(|| {
            let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
            let (Ok(Some(nav)), Ok(Some(active))) = (doc.query_selector("nav.nav"), doc.query_selector("nav.nav a.active")) else {
                return;
            };
            use wasm_bindgen::JsCast;
            if let (Ok(nav), Ok(active)) = (nav.dyn_into::<web_sys::HtmlElement>(), active.dyn_into::<web_sys::HtmlElement>()) {
                let target = active.offset_left() - (nav.client_width() - active.offset_width()) / 2;
                nav.set_scroll_left(target.max(0));
            }
        });
    });
    view! {
        <a class="skip" href="#main">"跳到正文"</a>
        <header class="topbar">
            <div class="topbar-row">
                <a class="brand" href="/">"议事"</a>
                {move || {
                    let us = units();
                    (us.len() > 1).then(|| view! {
                        <label class="unit-switch">
                            <span class="sr-only">"当前单位"</span>
                            <select on:change=move |ev| session.select_unit(Some(event_target_value(&ev)))
                                prop:value=move || session.unit_id()>
                                {us.into_iter().map(|u| {
                                    let id = u.unit_id.clone();
                                    let name = if u.unit_name.is_empty() { u.unit_id.clone() } else { u.unit_name.clone() };
                                    view! { <option value=id.clone() selected=move || session.unit_id() == id>{name}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    })
                }}
                {move || (units().len() == 1).then(|| {
                    let u = units().remove(0);
                    view! { <span class="unit-name">{if u.unit_name.is_empty() { u.unit_id } else { u.unit_name }}</span> }
                })}
                <span class="spacer"></span>
                <a class="user" href="/password" title="修改密码">{move || session.user().name()}</a>
                <button class="btn small" on:click=sign_out>"退出"</button>
            </div>
            <nav class="nav" aria-label="主导航">
                {move || {
                    let path = router.path.get();
                    NAV.iter()
                        .filter(|item| item.roles.is_empty() || session.has_any(item.roles))
                        .map(|item| {
                            let active = nav_active(item.href, &path);
                            view! {
                                <a href=item.href class:active=active aria-current=active.then_some("page")>{item.label}</a>
                            }
                        })
                        .collect_view()
                }}
            </nav>
        </header>
        <main id="main" tabindex="-1">
            {move || {
                // Re-render the page when the unit changes so unit-scoped lists reload.
                let _ = session.unit.get();
                page(router.route())
            }}
        </main>
    }
}

/// Who may open a page: the roles of its navigation entry (the server decides again).
fn page_roles(route: &Route) -> &'static [&'static str] {
    let href = match route {
        Route::Proposals | Route::ProposalNew | Route::Proposal(_) | Route::ProposalEdit(_) => "/proposals",
        Route::Meetings | Route::MeetingNew | Route::Meeting(_) | Route::Ballot(..) | Route::Minutes(_) => "/meetings",
        Route::Publications | Route::Publication(_) => "/publications",
        Route::Disclosures => "/disclosures",
        Route::Archive => "/archive",
        Route::Incomings | Route::IncomingNew | Route::Incoming(_) => "/incoming",
        Route::Outgoings | Route::OutgoingNew | Route::Outgoing(_) | Route::OutgoingEdit(_) => "/outgoing",
        Route::Compliance => "/compliance",
        Route::Audit => "/audit",
        Route::AdminUsers => "/admin/users",
        Route::AdminUnits => "/admin/units",
        Route::AdminMembers => "/admin/members",
        Route::AdminSettings => "/admin/settings",
        Route::AdminCalendar => "/admin/calendar",
        _ => return ANY,
    };
    let creating: &'static [&'static str] = match route {
        Route::ProposalNew => &["handler", "section_head", "deputy"],
        Route::MeetingNew => &["clerk"],
        Route::IncomingNew => &["clerk"],
        Route::OutgoingNew => &["handler"],
        _ => &[],
    };
    if !creating.is_empty() {
        return creating;
    }
    NAV.iter().find(|n| n.href == href).map(|n| n.roles).unwrap_or(ANY)
}

fn page(route: Route) -> AnyView {
    use pages::*;
    let session = use_session();
    let roles = page_roles(&route);
    if !roles.is_empty() && !session.has_any(roles) {
        return view! {
            <div class="card"><h1>"无权访问"</h1><p>"您没有访问此页面的权限。"</p><p><a href="/">"返回待办"</a></p></div>
        }
        .into_any();
    }
    match route {
        Route::Login | Route::Tasks => view! { <tasks::Tasks/> }.into_any(),
        Route::Password => view! { <auth::ChangePassword forced=false/> }.into_any(),
        Route::Proposals => view! { <proposals::ProposalList/> }.into_any(),
        Route::ProposalNew => view! { <proposals::ProposalForm id=None/> }.into_any(),
        Route::ProposalEdit(id) => view! { <proposals::ProposalForm id=Some(id)/> }.into_any(),
        Route::Proposal(id) => view! { <proposals::ProposalDetail id=id/> }.into_any(),
        Route::Meetings => view! { <meetings::MeetingList/> }.into_any(),
        Route::MeetingNew => view! { <meetings::MeetingForm/> }.into_any(),
        Route::Meeting(id) => view! { <meetings::MeetingPage id=id/> }.into_any(),
        Route::Ballot(m, p) => view! { <meetings::BallotPage meeting=m proposal=p/> }.into_any(),
        Route::Minutes(id) => view! { <minutes::MinutesPage id=id/> }.into_any(),
        Route::Publications => view! { <minutes::PublicationList/> }.into_any(),
        Route::Publication(id) => view! { <minutes::PublicationPage id=id/> }.into_any(),
        Route::Disclosures => view! { <minutes::Disclosures/> }.into_any(),
        Route::Archive => view! { <minutes::ArchivePage/> }.into_any(),
        Route::Incomings => view! { <incoming::IncomingList/> }.into_any(),
        Route::IncomingNew => view! { <incoming::IncomingForm/> }.into_any(),
        Route::Incoming(id) => view! { <incoming::IncomingDetail id=id/> }.into_any(),
        Route::Outgoings => view! { <outgoing::OutgoingList/> }.into_any(),
        Route::OutgoingNew => view! { <outgoing::OutgoingEditor id=None/> }.into_any(),
        Route::Outgoing(id) => view! { <outgoing::OutgoingDetail id=id/> }.into_any(),
        Route::OutgoingEdit(id) => view! { <outgoing::OutgoingEditor id=Some(id)/> }.into_any(),
        Route::Compliance => view! { <oversight::Compliance/> }.into_any(),
        Route::Audit => view! { <oversight::Audit/> }.into_any(),
        Route::AdminUsers => view! { <admin::Users/> }.into_any(),
        Route::AdminUnits => view! { <admin::Units/> }.into_any(),
        Route::AdminMembers => view! { <admin::Members/> }.into_any(),
        Route::AdminSettings => view! { <admin::Settings/> }.into_any(),
        Route::AdminCalendar => view! { <admin::Calendar/> }.into_any(),
        Route::NotFound => view! {
            <div class="card"><h1>"页面不存在"</h1><p><a href="/">"返回待办"</a></p></div>
        }
        .into_any(),
    }
}
