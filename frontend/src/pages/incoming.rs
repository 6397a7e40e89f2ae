//! Incoming documents (收文): register (D01), distribute to main and co-handling sections,
//! assign, accept (签收), progress, office review, leaders' instructions (D03), complete,
//! archive. The detail page offers exactly the steps the server lists in `my_tasks` (each
//! with the section it concerns and, for a backup, whom it is done for, D11).

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::actions::{ActionButton, ChoiceAction, TextAction};
use crate::api;
use crate::components::*;
use crate::labels::{self, DOC_TYPES, INCOMING_KINDS, INSTRUCTION_KINDS, SECRECY, URGENCY};
use crate::router::use_router;
use crate::session::use_session;
use crate::util::{self, J, fmt_time, items};

/// On a 请示 a bare 已阅 is refused (D03), so it is not offered.
const INSTRUCTION_KINDS_REQUEST: labels::Options = &[("agree", "同意"), ("disagree", "不同意"), ("opinion", "具体意见")];

#[component]
pub fn IncomingList() -> impl IntoView {
    let session = use_session();
    let list = LocalResource::new(move || {
        let unit = session.unit_id();
        session.events.track();
        async move { api::get(&format!("/units/{unit}/incoming")).await.map(|v| items(&v)) }
    });
    view! {
        <PageHeader title="收文">
            {session.has("clerk").then(|| view! { <a class="btn primary" href="/incoming/new">"登记收文"</a> })}
        </PageHeader>
        {show(list, |list: Vec<Value>| {
            if list.is_empty() {
                return view! { <Empty text="暂无收文。"/> }.into_any();
            }
            view! {
                <ul class="list">
                    {list.into_iter().map(|d| view! {
                        <li class="list-item" class:overdue=d.b("overdue")>
                            <div class="list-main">
                                <a class="title" href=format!("/incoming/{}", d.s("id"))>{d.s("title")}</a>
                                <div class="meta">
                                    <StateBadge object_type="incoming" state=d.s("state")/>
                                    <span class="muted">{format!("{} {}", d.s("source_unit"), d.s("source_number"))}</span>
                                    {urgency_badge(&d.s("urgency"))}
                                    {d.b("major").then(|| view! { <Badge text="重大" tone="warn"/> })}
                                </div>
                            </div>
                            <Due due_at=d.first(&["due_at", "deadline"]) overdue=d.b("overdue")/>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}

pub fn urgency_badge(u: &str) -> impl IntoView + use<> {
    let tone = match u {
        "urgent" => "bad",
        "expedited" => "warn",
        _ => "plain",
    };
    (!u.is_empty() && u != "normal").then(|| view! { <Badge text=labels::lookup(URGENCY, u).to_string() tone=tone/> })
}

#[component]
pub fn IncomingForm() -> impl IntoView {
    let session = use_session();
    let router = use_router();
    let source_unit = RwSignal::new(String::new());
    let source_number = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let secrecy = RwSignal::new("none".to_string());
    let urgency = RwSignal::new("normal".to_string());
    let received_on = RwSignal::new(util::today());
    let deadline = RwSignal::new(String::new());
    let kind = RwSignal::new("non_approval".to_string());
    let doc_type = RwSignal::new("notice".to_string());
    let major = RwSignal::new(false);
    let submit = Submit::new();
    let classified = move || !matches!(secrecy.get().as_str(), "none" | "internal");
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if [source_unit, source_number, title].iter().any(|s| s.get_untracked().trim().is_empty()) {
            submit.fail("请填写来文单位、来文字号和标题。");
            return;
        }
        let mut body = json!({
            "source_unit": source_unit.get_untracked().trim(),
            "source_number": source_number.get_untracked().trim(),
            "title": title.get_untracked().trim(),
            "secrecy": secrecy.get_untracked(),
            "urgency": urgency.get_untracked(),
            "received_on": received_on.get_untracked(),
            "kind": kind.get_untracked(),
            "doc_type": doc_type.get_untracked(),
            "major": major.get_untracked(),
        });
        if !deadline.get_untracked().is_empty() {
            body["deadline"] = json!(deadline.get_untracked());
        }
        let unit = session.unit_id();
        submit.post(&format!("/units/{unit}/incoming"), body, move |v| {
            router.go(&format!("/incoming/{}", v.s("id")))
        });
    };
    view! {
        <PageHeader title="登记收文"/>
        <form class="stack" on:submit=save>
            <Card title="来文信息">
                <Field label="标题"><input type="text" required bind:value=title/></Field>
                <div class="cols">
                    <Field label="来文单位"><input type="text" required bind:value=source_unit/></Field>
                    <Field label="来文字号"><input type="text" required placeholder="例如 X政办发〔2026〕15号" bind:value=source_number/></Field>
                    <Field label="文种"><Choice options=DOC_TYPES value=doc_type/></Field>
                    <Field label="类别"><Choice options=INCOMING_KINDS value=kind/></Field>
                    <Field label="密级"><Choice options=SECRECY value=secrecy/></Field>
                    <Field label="紧急程度"><Choice options=URGENCY value=urgency/></Field>
                    <Field label="收文日期"><input type="date" required bind:value=received_on/></Field>
                    <Field label="办理期限" hint="不填按单位默认期限（按紧急程度计工作日）"><input type="date" bind:value=deadline/></Field>
                </div>
                {move || classified().then(|| view! {
                    <p class="notice bad" role="alert">"涉及国家秘密的文件（秘密、机密、绝密）不得录入本系统，请通过涉密渠道办理（D01）。"</p>
                })}
                <label class="check"><input type="checkbox" bind:checked=major/>"重大事项（先呈主要领导批示，再分办）"</label>
            </Card>
            <ErrorNote submit=submit/>
            <div class="row">
                <button class="btn primary" type="submit" disabled=submit.busy()>"登记"</button>
                <a class="btn" href="/incoming">"取消"</a>
            </div>
        </form>
    }
}

#[component]
pub fn IncomingDetail(id: String) -> impl IntoView {
    let res = {
        let id = id.clone();
        LocalResource::new(move || {
            let id = id.clone();
            async move { api::get(&format!("/incoming/{id}")).await }
        })
    };
    crate::session::refetch_on_event(use_session(), id.clone(), res);
    let reload = Callback::new(move |_: Value| res.refetch());
    view! { {show(res, move |d: Value| view! { <IncomingView d=d reload=reload/> })} }
}

#[component]
fn IncomingView(d: Value, reload: Callback<Value>) -> impl IntoView {
    let session = use_session();
    let id = d.s("id");
    let facts = vec![
        ("来文单位", d.s("source_unit")),
        ("来文字号", d.s("source_number")),
        ("文种", labels::lookup(DOC_TYPES, &d.s("doc_type")).to_string()),
        ("类别", labels::lookup(INCOMING_KINDS, &d.s("kind")).to_string()),
        ("密级", labels::lookup(SECRECY, &d.s("secrecy")).to_string()),
        ("紧急程度", labels::lookup(URGENCY, &d.s("urgency")).to_string()),
        ("收文日期", d.s("received_on")),
        // The deadline is a date; `due_at` is the end of that day (shown as the next midnight).
        ("办理期限", d.opt("deadline").unwrap_or_else(|| fmt_time(&d.s("due_at")))),
        ("登记人", d.first(&["registered_by_name"])),
        ("主办处室", d.first(&["main_section_name"])),
        ("办理结果", d.s("result")),
    ];
    let assignments = d.arr("assignments");
    let instructions = d.arr("instructions");
    let reminders = d.arr("reminders");
    let my_tasks = d.arr("my_tasks");
    let is_request = d.s("doc_type") == "request";
    let trail = d.arr("trail");
    let title = d.s("title");
    let overdue = d.b("overdue");
    let major = d.b("major");
    let state = d.s("state");
    view! {
        <PageHeader title=title>
            <StateBadge object_type="incoming" state=state/>
            {urgency_badge(&d.s("urgency"))}
            {major.then(|| view! { <Badge text="重大" tone="warn"/> })}
            {overdue.then(|| view! { <Badge text="逾期" tone="bad"/> })}
        </PageHeader>
        <div class="grid2 detail">
            <div>
                <Card title="来文信息"><Facts rows=facts/></Card>
                {(!assignments.is_empty()).then(|| view! {
                    <Card title="办理情况">
                        <div class="table-wrap">
                            <table>
                                <thead><tr><th>"处室"</th><th>"主/协办"</th><th>"承办人"</th><th>"签收"</th><th>"办结"</th></tr></thead>
                                <tbody>
                                    {assignments.iter().map(|a| view! {
                                        <tr>
                                            <td>{a.first(&["section_name"])}</td>
                                            <td>{if a.s("role") == "main" { "主办" } else { "协办" }}</td>
                                            <td>{a.first(&["handler_name"])}</td>
                                            <td>{fmt_time(&a.s("accepted_at"))}{a.opt("accepted_on_behalf_of_name").map(|n| view! { <div class="behalf">{format!("代 {n} 签收")}</div> })}</td>
                                            <td>{fmt_time(&a.s("done_at"))}<div class="small">{a.s("result")}</div></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    </Card>
                })}
                {(!instructions.is_empty()).then(|| view! {
                    <Card title="领导批示">
                        <ul class="statements">
                            {instructions.iter().map(|i| view! {
                                <li>
                                    <strong>{i.first(&["leader_name"])}</strong>
                                    {i.opt("on_behalf_of_name").map(|n| view! { <span class="behalf">{format!("代 {n}")}</span> })}
                                    " " <Badge text=labels::lookup(INSTRUCTION_KINDS, &i.s("kind")).to_string() tone="info"/>
                                    " " <span class="muted small">{fmt_time(&i.s("at"))}</span>
                                    {(!i.s("text").is_empty()).then(|| view! { <p class="pre">{i.s("text")}</p> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    </Card>
                })}
                {(!reminders.is_empty()).then(|| view! {
                    <Card title="督办记录">
                        <ul class="statements">
                            {reminders.iter().map(|r| view! {
                                <li>
                                    <Badge text=format!("第{}级督办", r.s("level")) tone="bad"/>
                                    {format!(" 致 {}（{}） ", r.s("recipient_name"), r.s("level_label"))}
                                    <span class="muted small">{fmt_time(&r.s("sent_at"))}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    </Card>
                })}
                <Card title="流转记录"><Trail entries=trail object_type="incoming"/></Card>
            </div>
            <div>
                <Card title="办理" act=true>
                    {if my_tasks.is_empty() {
                        view! { <p class="muted">"当前没有需要您办理的事项。"</p> }.into_any()
                    } else {
                        my_tasks.into_iter().map(|t| view! { <IncomingTask doc_id=id.clone() task=t is_request=is_request reload=reload/> }).collect_view().into_any()
                    }}
                </Card>
                {session.has("inspector").then(|| view! { <p class="muted small">"纪检监察可查阅全部收文的办理过程（D13）。"</p> })}
            </div>
        </div>
    }
}

#[component]
fn IncomingTask(doc_id: String, task: Value, is_request: bool, reload: Callback<Value>) -> impl IntoView {
    let session = use_session();
    let kind = task.s("kind");
    let kind = kind.strip_prefix("incoming.").unwrap_or(&kind).to_string();
    let section = task.opt("section_id");
    let behalf = task.opt("on_behalf_of_name").map(|n| view! { <p class="behalf">{format!("代 {n} 办理")}</p> });
    let base = format!("/incoming/{doc_id}");
    let section_body = section.as_ref().map(|s| json!({ "section_id": s })).unwrap_or_else(|| json!({}));
    let instruct_options = if is_request { INSTRUCTION_KINDS_REQUEST } else { INSTRUCTION_KINDS };
    let body = match kind.as_str() {
        "principal_instruction" | "instruct" => view! {
            <ChoiceAction title=if kind == "instruct" { "阅批" } else { "主要领导批示（重大事项）" } path=format!("{base}/instructions")
                choice_key="kind" choice_label="批示" options=instruct_options text_key="text" text_label="批示内容"
                text_optional_for=&["agree", "read"]
                hint=if is_request { "请示件须明确表态：同意、不同意或具体意见（D03）。" } else { "" }
                on_done=reload/>
        }.into_any(),
        "distribute" => view! { <Distribute path=format!("{base}/distribution") reload=reload/> }.into_any(),
        "assign" => {
            let path = format!("{base}/assignment");
            let sec = section.clone().unwrap_or_default();
            let handler = draft(&path, &format!("handler.{sec}"), "");
            let submit = Submit::new();
            let sec2 = sec.clone();
            let options = Signal::derive(move || {
                session.members.with(|ms| {
                    ms.iter()
                        .filter(|m| sec2.is_empty() || m.s("section_id") == sec2)
                        .map(|m| (m.s("user_id"), m.first(&["display_name", "username"])))
                        .collect::<Vec<_>>()
                })
            });
            let send = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let h = handler.get_untracked();
                if h.is_empty() {
                    submit.fail("请选择承办人。");
                    return;
                }
                let mut body = json!({ "handler_id": h });
                if !sec.is_empty() {
                    body["section_id"] = json!(sec);
                }
                let path = path.clone();
                submit.post(&path, body, move |v| {
                    handler.set(String::new());
                    reload.run(v)
                });
            };
            view! {
                <form class="inline-form" on:submit=send>
                    <h3>{format!("分派承办人（{}）", section.as_deref().map(|s| session.section_name(s)).unwrap_or_default())}</h3>
                    <Field label="承办人"><PickOne options=options value=handler placeholder="选择承办人"/></Field>
                    <ErrorNote submit=submit/>
                    <button class="btn primary" type="submit" disabled=submit.busy()>"分派"</button>
                </form>
            }.into_any()
        }
        "accept" => view! {
            <div class="inline-form">
                <h3>"签收"</h3>
                <ActionButton label="签收" primary=true path=format!("{base}/accept") body=section_body on_done=reload/>
            </div>
        }.into_any(),
        "handle" => view! {
            <TextAction title="登记办理情况" path=format!("{base}/progress") key="note" label="办理情况" button="登记" on_done=reload/>
            <HandleComplete path=format!("{base}/complete") section=section.clone() reload=reload/>
        }.into_any(),
        "review" => view! {
            <TextAction title="审核（办公室主任）" path=format!("{base}/office-review") key="opinion" label="审核意见"
                button="审核并呈领导阅批" on_done=reload/>
        }.into_any(),
        "archive" => view! {
            <div class="inline-form">
                <h3>"归档"</h3>
                <ActionButton label="归档" path=format!("{base}/archive") confirm_text="归档后不可修改。确定归档？" on_done=reload/>
            </div>
        }.into_any(),
        _ => view! { <p class="notice">{task.s("title")}</p> }.into_any(),
    };
    view! { <div class="task-block">{behalf}{body}</div> }
}

#[component]
fn HandleComplete(path: String, section: Option<String>, reload: Callback<Value>) -> impl IntoView {
    let result = draft(&path, &format!("result.{}", section.as_deref().unwrap_or_default()), "");
    let submit = Submit::new();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let r = result.get_untracked();
        if r.trim().is_empty() {
            submit.fail("请填写办理结果。");
            return;
        }
        let mut body = json!({ "result": r.trim() });
        if let Some(s) = &section {
            body["section_id"] = json!(s);
        }
        let path = path.clone();
        confirm("办结", "办结后不能再登记办理情况。确定办结？", "办结", move || {
            let path = path.clone();
            let body = body.clone();
            submit.post(&path, body, move |v| {
                result.set(String::new());
                reload.run(v)
            });
        });
    };
    view! {
        <form class="inline-form" on:submit=send>
            <h3>"办结"</h3>
            <Field label="办理结果（协办处室填写协办意见）"><textarea rows="3" bind:value=result></textarea></Field>
            <ErrorNote submit=submit/>
            <button class="btn primary" type="submit" disabled=submit.busy()>"办结"</button>
        </form>
    }
}

#[component]
fn Distribute(path: String, reload: Callback<Value>) -> impl IntoView {
    let session = use_session();
    let main = draft(&path, "main", "");
    let co = kept(&path, "co", || RwSignal::new(Vec::<String>::new()));
    let submit = Submit::new();
    let sections = Signal::derive(move || session.sections.with(|ss| ss.iter().map(|s| (s.s("id"), s.s("name"))).collect::<Vec<_>>()));
    let co_options = Signal::derive(move || {
        let m = main.get();
        sections.get().into_iter().filter(|(id, _)| *id != m).collect::<Vec<_>>()
    });
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let m = main.get_untracked();
        if m.is_empty() {
            submit.fail("请选择主办处室。");
            return;
        }
        let co_ids: Vec<String> = co.get_untracked().into_iter().filter(|c| *c != m).collect();
        let body = json!({ "main_section_id": m, "co_section_ids": co_ids });
        let path = path.clone();
        submit.post(&path, body, move |v| {
            main.set(String::new());
            co.set(Vec::new());
            reload.run(v)
        });
    };
    view! {
        <form class="inline-form" on:submit=send>
            <h3>"分办（D02）"</h3>
            <Field label="主办处室"><PickOne options=sections value=main placeholder="选择主办处室"/></Field>
            <fieldset><legend>"协办处室"</legend><PickMany options=co_options value=co/></fieldset>
            <ErrorNote submit=submit/>
            <button class="btn primary" type="submit" disabled=submit.busy()>"分办"</button>
        </form>
    }
}
