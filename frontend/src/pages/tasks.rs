//! Home: the signed-in user's to-do list across both flows, refreshed live over SSE.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::api;
use crate::components::{Badge, Due, Empty, PageHeader, show};
use crate::labels;
use crate::router::object_href;
use crate::session::{person, use_session};

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Task {
    pub kind: String,
    pub object_type: String,
    pub object_id: String,
    pub title: String,
    /// The unit the task belongs to (people in several units see all of theirs here).
    pub unit_id: String,
    pub due_at: Option<String>,
    pub overdue: bool,
    /// The absent colleague this task is done for (AB岗, D11): a name, an id or a user object.
    pub on_behalf_of: Option<Value>,
    pub on_behalf_of_name: Option<String>,
    /// Where the task should open, when the object alone does not say (e.g. a ballot).
    pub meeting_id: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
struct TaskList {
    items: Vec<Task>,
}

fn task_href(t: &Task) -> String {
    match (t.kind.as_str(), &t.meeting_id) {
        ("vote" | "ballot", Some(m)) if t.object_type == "proposal" => format!("/meetings/{m}/ballot/{}", t.object_id),
        _ => object_href(&t.object_type, &t.object_id),
    }
}

#[component]
pub fn Tasks() -> impl IntoView {
    let session = use_session();
    let tasks = LocalResource::new(move || {
        // Any server event may change the list.
        session.events.track();
        async move {
            let mut list = api::get_as::<TaskList>("/me/tasks").await?.items;
            list.sort_by(|a, b| b.overdue.cmp(&a.overdue).then_with(|| due_key(a).cmp(&due_key(b))));
            Ok(list)
        }
    });
    view! {
        <PageHeader title="我的待办">
            <span class="muted live" title="有新任务时自动刷新">"● 实时更新"</span>
        </PageHeader>
        {show(tasks, move |list: Vec<Task>| {
            if list.is_empty() {
                return view! { <Empty text="暂无待办事项。"/> }.into_any();
            }
            let overdue = list.iter().filter(|t| t.overdue).count();
            view! {
                {(overdue > 0).then(|| view! { <p class="notice bad" role="status">{format!("有 {overdue} 项已逾期，请尽快办理。")}</p> })}
                <ul class="list">
                    {list.into_iter().map(|t| {
                        let behalf = t.on_behalf_of_name.clone().filter(|s| !s.is_empty())
                            .or_else(|| t.on_behalf_of.as_ref().map(|v| person(&session, v)))
                            .filter(|s| !s.is_empty());
                        // A task of another of my units: say which, and switch to it on opening.
                        let other_unit = (!t.unit_id.is_empty() && t.unit_id != session.unit_id()).then(|| {
                            let name = session.me.with_untracked(|m| m.as_ref().and_then(|m| m.units.iter().find(|u| u.unit_id == t.unit_id).map(|u| u.unit_name.clone())));
                            (t.unit_id.clone(), name.unwrap_or_default())
                        }).filter(|(_, name)| !name.is_empty());
                        let switch_to = other_unit.as_ref().map(|(id, _)| id.clone());
                        let open = move |_| {
                            if let Some(u) = switch_to.clone() {
                                session.select_unit(Some(u));
                            }
                        };
                        view! {
                            <li class="list-item" class:overdue=t.overdue>
                                <div class="list-main">
                                    <a class="title" href=task_href(&t) on:click=open>{t.title.clone()}</a>
                                    <div class="meta">
                                        {other_unit.map(|(_, name)| view! { <Badge text=name tone="plain"/> })}
                                        <Badge text=labels::task_kind(&t.kind).to_string() tone="info"/>
                                        <span class="muted">{labels::lookup(labels::OBJECT_TYPES, &t.object_type).to_string()}</span>
                                        {behalf.map(|b| view! { <span class="behalf">{format!("代 {b} 办理")}</span> })}
                                    </div>
                                </div>
                                <Due due_at=t.due_at.clone().unwrap_or_default() overdue=t.overdue/>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}

fn due_key(t: &Task) -> String {
    // Tasks without a deadline go last.
    t.due_at.clone().unwrap_or_else(|| "9999".into())
}
