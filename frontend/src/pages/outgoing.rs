//! Outgoing documents (发文): the drafting editor with structured body blocks
//! (`{kind:"heading",level:1..4,text}` / `{kind:"paragraph",text}`), and the detail page:
//! submit, section review, countersign and opinions (D05), the deputy's ruling, leader
//! review and external countersigns (D07), consolidation, verification (D06), sign-off
//! with number (D07, D09), change requests (D08), issue (D14), escalation (D10), PDF, trail.
//!
//! Pending steps come from the server's `my_tasks` when present (kinds such as
//! `outgoing_review`); otherwise they are inferred from state and roles.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::actions::{ActionButton, ChoiceAction, DecideAction, TextAction};
use crate::api;
use crate::components::*;
use crate::labels::{self, CATEGORIES, COUNTERSIGN_STANCES, DOC_TYPES, ISSUING_FORMS, URGENCY};
use crate::router::use_router;
use crate::session::use_session;
use crate::util::{self, J, fmt_money, fmt_time, items};

#[component]
pub fn OutgoingList() -> impl IntoView {
    let session = use_session();
    let list = LocalResource::new(move || {
        let unit = session.unit_id();
        session.events.track();
        async move { api::get(&format!("/units/{unit}/outgoing")).await.map(|v| items(&v)) }
    });
    view! {
        <PageHeader title="发文">
            {session.has("handler").then(|| view! { <a class="btn primary" href="/outgoing/new">"拟稿"</a> })}
        </PageHeader>
        {show(list, |list: Vec<Value>| {
            if list.is_empty() {
                return view! { <Empty text="暂无发文。"/> }.into_any();
            }
            view! {
                <ul class="list">
                    {list.into_iter().map(|d| view! {
                        <li class="list-item">
                            <div class="list-main">
                                <a class="title" href=format!("/outgoing/{}", d.s("id"))>{d.s("title")}</a>
                                <div class="meta">
                                    <StateBadge object_type="outgoing" state=d.s("state")/>
                                    <span class="muted">{labels::lookup(DOC_TYPES, &d.s("doc_type")).to_string()}</span>
                                    {d.opt("number").map(|n| view! { <span>{n}</span> })}
                                    {super::incoming::urgency_badge(&d.s("urgency"))}
                                </div>
                            </div>
                            <span class="muted small">{fmt_time(&d.first(&["updated_at", "created_at"]))}</span>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}

// ------------------------------------------------------------------ body blocks

const BLOCK_STYLES: labels::Options = &[
    ("p", "正文段落"),
    ("h1", "一级标题 一、"),
    ("h2", "二级标题（一）"),
    ("h3", "三级标题 1."),
    ("h4", "四级标题（1）"),
];

/// One editable block; every part is a signal so editing one block never re-renders the others.
#[derive(Clone, Copy)]
struct BlockRow {
    key: u64,
    style: RwSignal<String>,
    text: RwSignal<String>,
    /// Blocks the editor does not edit (tables) pass through unchanged.
    raw: StoredValue<Value>,
}

fn new_row(key: u64, style: &str, text: &str, raw: Value) -> BlockRow {
    BlockRow { key, style: RwSignal::new(style.into()), text: RwSignal::new(text.into()), raw: StoredValue::new(raw) }
}

/// The body as stored: an array of blocks, a JSON string of one, or plain text.
fn parse_body(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o.get("blocks").and_then(Value::as_array).cloned().unwrap_or_default(),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(a)) => a,
            _ => s
                .split('\n')
                .filter(|l| !l.trim().is_empty())
                .map(|l| json!({ "kind": "paragraph", "text": l.trim() }))
                .collect(),
        },
        _ => Vec::new(),
    }
}

fn rows_from(blocks: &[Value]) -> Vec<BlockRow> {
    blocks
        .iter()
        .enumerate()
        .map(|(i, b)| match b.s("kind").as_str() {
            "heading" => {
                let level = b.num("level").unwrap_or(1.0).clamp(1.0, 4.0) as u8;
                new_row(i as u64, &format!("h{level}"), &b.s("text"), Value::Null)
            }
            "paragraph" => new_row(i as u64, "p", &b.s("text"), Value::Null),
            _ => new_row(i as u64, "raw", "", b.clone()),
        })
        .collect()
}

/// An editable body: its block rows, the next row key, and the owner that rows added later
/// live under (a kept draft's owner outlives the form re-rendered by a live refetch).
#[derive(Clone, Copy)]
struct Body {
    rows: RwSignal<Vec<BlockRow>>,
    next_key: StoredValue<u64>,
    owner: StoredValue<Owner>,
}

impl Body {
    fn new(blocks: &[Value]) -> Self {
        let initial = rows_from(blocks);
        Body {
            next_key: StoredValue::new(initial.len() as u64 + 1),
            rows: RwSignal::new(initial),
            owner: StoredValue::new(Owner::current().unwrap_or_default()),
        }
    }

    fn value(&self) -> Value {
        self.rows.with_untracked(|r| rows_to_value(r))
    }

    /// The edit of `blocks` kept in the app-wide drafts under `path`: keyed by the text it
    /// started from, so a new version of the document starts a fresh edit.
    fn kept(path: &str, blocks: &[Value]) -> Self {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        Value::Array(blocks.to_vec()).to_string().hash(&mut h);
        kept(path, &format!("body.{:x}", h.finish()), || Body::new(blocks))
    }
}

fn rows_to_value(rows: &[BlockRow]) -> Value {
    Value::Array(
        rows.iter()
            .filter_map(|r| {
                let style = r.style.get_untracked();
                let text = r.text.get_untracked().trim().to_string();
                match style.as_str() {
                    "raw" => Some(r.raw.get_value()),
                    _ if text.is_empty() => None,
                    "p" => Some(json!({ "kind": "paragraph", "text": text })),
                    h => Some(json!({ "kind": "heading", "level": h[1..].parse::<u8>().unwrap_or(1), "text": text })),
                }
            })
            .collect(),
    )
}

fn cn_number(n: u32) -> String {
    const D: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[(n % 10) as usize]),
        _ => format!("{}十{}", D[((n / 10) % 10) as usize], if n.is_multiple_of(10) { "" } else { D[(n % 10) as usize] }),
    }
}

/// GB/T 9704 heading numbers 一、（一）1.（1）, as the PDF renderer adds them.
fn heading_number(level: u8, n: u32) -> String {
    match level {
        1 => format!("{}、", cn_number(n)),
        2 => format!("（{}）", cn_number(n)),
        3 => format!("{n}."),
        _ => format!("（{n}）"),
    }
}

/// A read-only rendering close to the printed layout (numbers added like the PDF).
#[component]
fn BodyPreview(#[prop(into)] title: Signal<String>, #[prop(into)] blocks: Signal<Vec<Value>>) -> impl IntoView {
    view! {
        <div class="doc-preview" aria-label="正文预览">
            {move || (title.with(|t| t.trim().is_empty()) && blocks.with(|b| b.iter().all(|x| x.s("text").trim().is_empty())))
                .then(|| view! { <p class="muted">"填写标题和正文后，在此按印制格式预览。"</p> })}
            <div class="doc-title">{move || title.get()}</div>
            {move || {
                let mut counters = [0u32; 4];
                blocks.get().into_iter().map(|b| match b.s("kind").as_str() {
                    "heading" => {
                        let level = b.num("level").unwrap_or(1.0).clamp(1.0, 4.0) as u8;
                        let idx = (level - 1) as usize;
                        counters[idx] += 1;
                        for c in counters.iter_mut().skip(idx + 1) { *c = 0; }
                        view! { <h4>{format!("{}{}", heading_number(level, counters[idx]), b.s("text"))}</h4> }.into_any()
                    }
                    "paragraph" => view! { <p>{b.s("text")}</p> }.into_any(),
                    "table" => view! { <p class="muted">"〔表格〕"</p> }.into_any(),
                    _ => ().into_any(),
                }).collect_view()
            }}
        </div>
    }
}

#[component]
fn BodyEditor(body: Body) -> impl IntoView {
    let Body { rows, next_key, owner } = body;
    let add = move |style: &'static str| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        let row = owner.with_value(|o| o.with(|| new_row(key, style, "", Value::Null)));
        rows.update(|r| r.push(row));
    };
    let shift = move |key: u64, delta: isize| {
        rows.update(|r| {
            if let Some(i) = r.iter().position(|b| b.key == key) {
                let j = i as isize + delta;
                if j >= 0 && (j as usize) < r.len() {
                    r.swap(i, j as usize);
                }
            }
        })
    };
    view! {
        <div class="blocks">
            <For each=move || rows.get() key=|r| r.key let:row>
                {
                    let key = row.key;
                    let is_raw = row.style.get_untracked() == "raw";
                    view! {
                        <div class="doc-block">
                            {if is_raw {
                                view! { <span class="muted">"表格"</span> }.into_any()
                            } else {
                                view! { <Choice options=BLOCK_STYLES value=row.style/> }.into_any()
                            }}
                            {move || {
                                if is_raw {
                                    view! { <p class="muted">"（表格内容保持不变）"</p> }.into_any()
                                } else if row.style.get() == "p" {
                                    view! { <textarea rows="3" aria-label="段落内容" bind:value=row.text></textarea> }.into_any()
                                } else {
                                    view! { <input type="text" aria-label="标题内容" bind:value=row.text/> }.into_any()
                                }
                            }}
                            <div class="block-tools">
                                <button type="button" class="btn small" aria-label="上移" title="上移" on:click=move |_| shift(key, -1)>"↑"</button>
                                <button type="button" class="btn small" aria-label="下移" title="下移" on:click=move |_| shift(key, 1)>"↓"</button>
                                <button type="button" class="btn small" aria-label="删除此段" title="删除" on:click=move |_| rows.update(|r| r.retain(|b| b.key != key))>"✕"</button>
                            </div>
                        </div>
                    }
                }
            </For>
            <div class="row">
                <button type="button" class="btn" on:click=move |_| add("p")>"＋ 段落"</button>
                <button type="button" class="btn" on:click=move |_| add("h1")>"＋ 一级标题"</button>
                <button type="button" class="btn" on:click=move |_| add("h2")>"＋ 二级标题"</button>
            </div>
        </div>
    }
}

fn split_names(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；', '\n']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

fn join_names(v: &Value) -> String {
    match v {
        Value::Array(a) => a.iter().map(util::text_of).collect::<Vec<_>>().join("、"),
        other => util::text_of(other),
    }
}

// ------------------------------------------------------------------ editor page

#[component]
pub fn OutgoingEditor(id: Option<String>) -> impl IntoView {
    match id {
        None => view! { <OutgoingForm existing=Value::Null/> }.into_any(),
        Some(id) => {
            let res = LocalResource::new(move || {
                let id = id.clone();
                async move { api::get(&format!("/outgoing/{id}")).await }
            });
            view! { {show(res, |d: Value| view! { <OutgoingForm existing=d/> })} }.into_any()
        }
    }
}

#[component]
fn OutgoingForm(existing: Value) -> impl IntoView {
    let session = use_session();
    let router = use_router();
    let editing = existing.opt("id");
    let title = RwSignal::new(existing.s("title"));
    let doc_type = RwSignal::new(existing.opt("doc_type").unwrap_or_else(|| "notice".into()));
    let form = RwSignal::new(existing.opt("issuing_form").unwrap_or_else(|| "bureau_general".into()));
    let series = RwSignal::new(existing.opt("series").unwrap_or_else(|| "发".into()));
    let recipients = existing.get("recipients").cloned().unwrap_or(Value::Null);
    let main_to = RwSignal::new(join_names(recipients.get("main").unwrap_or(&Value::Null)));
    let cc = RwSignal::new(join_names(recipients.get("cc").unwrap_or(&Value::Null)));
    let urgency = RwSignal::new(existing.opt("urgency").unwrap_or_else(|| "normal".into()));
    let amount = RwSignal::new(existing.s("amount"));
    let leader = RwSignal::new(existing.s("signoff_leader_id"));
    let body = Body::new(&parse_body(existing.get("body").unwrap_or(&Value::Null)));
    let rows = body.rows;
    if rows.with_untracked(Vec::is_empty) {
        rows.update_untracked(|r| r.push(new_row(0, "p", "", Value::Null)));
    }
    let submit = Submit::new();
    let leaders = Signal::derive(move || session.people_with(&["principal", "deputy", "office_director"]));
    let preview = Signal::derive(move || match rows_to_value(&rows.get()) {
        Value::Array(a) => a,
        _ => Vec::new(),
    });
    // Tracks every block's text too, so the preview follows typing.
    let preview = Signal::derive(move || {
        rows.with(|r| r.iter().for_each(|b| { b.text.track(); b.style.track(); }));
        preview.get()
    });
    let editing2 = editing.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if title.get_untracked().trim().is_empty() {
            submit.fail("请填写标题。");
            return;
        }
        let amt = amount.get_untracked().trim().to_string();
        if !amt.is_empty() && !util::valid_money(&amt) {
            submit.fail("金额须为数字，最多两位小数（单位：元）。");
            return;
        }
        let body_blocks = body.value();
        if body_blocks.as_array().is_none_or(Vec::is_empty) {
            submit.fail("正文不能为空。");
            return;
        }
        let mut req = json!({
            "title": title.get_untracked().trim(),
            "doc_type": doc_type.get_untracked(),
            "issuing_form": form.get_untracked(),
            "series": series.get_untracked().trim(),
            "recipients": { "main": split_names(&main_to.get_untracked()), "cc": split_names(&cc.get_untracked()) },
            "body": body_blocks,
            "urgency": urgency.get_untracked(),
        });
        if !amt.is_empty() {
            req["amount"] = json!(amt);
        }
        if !leader.get_untracked().is_empty() {
            req["signoff_leader_id"] = json!(leader.get_untracked());
        }
        let unit = session.unit_id();
        let editing = editing2.clone();
        submit.run(
            async move {
                match editing {
                    Some(id) => api::patch(&format!("/outgoing/{id}"), req).await.map(|_| id),
                    None => api::post(&format!("/units/{unit}/outgoing"), req).await.map(|v| v.s("id")),
                }
            },
            move |id| router.go(&format!("/outgoing/{id}")),
        );
    };
    view! {
        <PageHeader title=if editing.is_some() { "修改文稿" } else { "拟稿" }/>
        <form class="stack" on:submit=save>
            <Card title="发文信息">
                <Field label="标题"><input type="text" required bind:value=title/></Field>
                <div class="cols">
                    <Field label="文种"><Choice options=DOC_TYPES value=doc_type/></Field>
                    <Field label="行文方式" hint="决定由谁签发（D07）"><Choice options=ISSUING_FORMS value=form/></Field>
                    <Field label="发文字号代字" hint="如 发、函、办发"><input type="text" required bind:value=series/></Field>
                    <Field label="紧急程度"><Choice options=URGENCY value=urgency/></Field>
                    <Field label="涉及金额（元）" hint="达到集体决策标准的须先经三重一大决策（R01）"><input type="text" inputmode="decimal" bind:value=amount/></Field>
                    {move || (form.get() == "office_by_leader").then(|| view! {
                        <Field label="授意领导（签发人）"><PickOne options=leaders value=leader placeholder="选择领导"/></Field>
                    })}
                </div>
                <Field label="主送机关" hint="多个用顿号或逗号分隔"><input type="text" bind:value=main_to/></Field>
                <Field label="抄送机关"><input type="text" bind:value=cc/></Field>
            </Card>
            <div class="grid2">
                <Card title="正文">
                    <p class="muted small">"标题序号（一、（一）1.（1））由系统按层级自动编排，无需手工输入。"</p>
                    <BodyEditor body=body/>
                </Card>
                <Card title="预览">
                    <BodyPreview title=Signal::derive(move || title.get()) blocks=preview/>
                </Card>
            </div>
            <ErrorNote submit=submit/>
            <div class="row">
                <button class="btn primary" type="submit" disabled=submit.busy()>"保存"</button>
                <a class="btn" href=editing.clone().map(|id| format!("/outgoing/{id}")).unwrap_or_else(|| "/outgoing".into())>"取消"</a>
            </div>
        </form>
    }
}

// ------------------------------------------------------------------ detail page

#[component]
pub fn OutgoingDetail(id: String) -> impl IntoView {
    let res = {
        let id = id.clone();
        LocalResource::new(move || {
            let id = id.clone();
            async move { api::get(&format!("/outgoing/{id}")).await }
        })
    };
    crate::session::refetch_on_event(use_session(), id.clone(), res);
    let reload = Callback::new(move |_: Value| res.refetch());
    view! { {show(res, move |d: Value| view! { <OutgoingView d=d reload=reload/> })} }
}

/// The steps the caller may take: the server's list, or inferred from state and roles.
fn steps(d: &Value, session: &crate::session::Session) -> Vec<(String, Option<String>)> {
    let me = session.user_id();
    // `pending`: [{kind, assignees: [{id, name, acting_id}]}]; a step is mine when I act for
    // an assignee (myself, or as the backup of an absent one, D11).
    if let Some(pending) = d.get("pending").and_then(Value::as_array) {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        for p in pending {
            let kind = p.s("kind");
            let kind = kind.strip_prefix("outgoing_").unwrap_or(&kind).to_string();
            for a in p.arr("assignees") {
                let acting = a.first(&["acting_id", "id"]);
                if acting != me {
                    continue;
                }
                let behalf = (a.s("id") != me).then(|| a.s("name"));
                if !out.iter().any(|(k, _)| *k == kind) {
                    out.push((kind.clone(), behalf));
                }
            }
        }
        return out;
    }
    if let Some(tasks) = d.get("my_tasks").and_then(Value::as_array) {
        return tasks
            .iter()
            .map(|t| {
                let k = t.s("kind");
                let k = k.rsplit('.').next().unwrap_or(&k);
                (k.strip_prefix("outgoing_").unwrap_or(k).to_string(), t.opt("on_behalf_of_name"))
            })
            .collect();
    }
    let drafter = d.first(&["drafter_id", "created_by"]) == me;
    let state = d.s("state");
    let mut out = Vec::new();
    let mut add = |k: &str, cond: bool| {
        if cond {
            out.push((k.to_string(), None));
        }
    };
    add("draft", drafter && state == "drafting");
    add("revise", drafter && state == "returned");
    add("review", session.has("section_head") && state == "section_review");
    add("countersign", session.has("section_head") && state == "countersigning");
    add("resolve", session.has("deputy") && state == "paused");
    add("consolidate", drafter && state == "consolidating");
    add("leader_review", session.has("deputy") && matches!(state.as_str(), "consolidating" | "verifying" | "signoff"));
    add("verify", session.has("office_director") && state == "verifying");
    add("signoff", session.has_any(&["principal", "deputy", "office_director"]) && state == "signoff");
    add("issue", session.has("clerk") && matches!(state.as_str(), "signed" | "numbered"));
    add("change_request", !d.arr("change_requests").is_empty() && d.s("signed_by") == me);
    out
}

#[component]
fn OutgoingView(d: Value, reload: Callback<Value>) -> impl IntoView {
    let session = use_session();
    let router = use_router();
    let id = d.s("id");
    let state = d.s("state");
    let me = session.user_id();
    let drafter = d.first(&["drafter_id", "created_by"]) == me;
    let blocks = parse_body(d.get("body").unwrap_or(&Value::Null));
    let recipients = d.get("recipients").cloned().unwrap_or(Value::Null);
    let facts = vec![
        ("文号", d.s("number")),
        ("文种", labels::lookup(DOC_TYPES, &d.s("doc_type")).to_string()),
        ("行文方式", labels::lookup(ISSUING_FORMS, &d.s("issuing_form")).to_string()),
        ("紧急程度", labels::lookup(URGENCY, &d.s("urgency")).to_string()),
        ("主送", join_names(recipients.get("main").unwrap_or(&Value::Null))),
        ("抄送", join_names(recipients.get("cc").unwrap_or(&Value::Null))),
        ("金额", fmt_money(&d.s("amount"))),
        ("拟稿人", d.opt("drafter_name").unwrap_or_else(|| session.name_of(&d.s("drafter_id")))),
        ("主办处室", d.opt("main_section_name").unwrap_or_else(|| session.section_name(&d.s("main_section_id")))),
        ("签发人", d.opt("signed_by_name").unwrap_or_else(|| session.name_of(&d.s("signed_by")))),
        ("签发意见", d.s("signoff_opinion")),
        ("签发时间", fmt_time(&d.s("signed_at"))),
        ("内容摘要值（SHA-256）", d.s("content_sha256")),
        ("内容完整性", d.get("frozen").filter(|f| !f.is_null()).map(|f| if f.b("intact") { "签发后未被改动".to_string() } else { "与签发时不一致！".to_string() }).unwrap_or_default()),
        ("暂停原因", d.s("pause_reason")),
    ];
    let countersigns = d.arr("countersigns");
    let reviews = d.arr("reviews");
    let externals = d.arr("external_countersigns");
    let versions = d.arr("versions");
    let change_requests = d.arr("change_requests");
    let my_steps = steps(&d, &session);
    let signed = matches!(state.as_str(), "signed" | "numbered" | "issued" | "archived");
    let can_escalate = session.has_any(&["deputy", "principal"]) && !signed && !matches!(state.as_str(), "drafting" | "returned" | "escalated" | "archived");
    let can_request_change = drafter && matches!(state.as_str(), "signed" | "numbered")
        && !change_requests.iter().any(|c| c.s("state") == "pending");
    let linked = d.opt("linked_proposal_id");
    let base = format!("/outgoing/{id}");
    let pdf = api::url(&format!("/outgoing/{id}/pdf"));
    let title = d.s("title");
    let number = d.s("number");
    let trail = d.arr("trail");
    view! {
        <PageHeader title=title.clone()>
            <StateBadge object_type="outgoing" state=state.clone()/>
            <a class="btn" href=pdf target="_blank" rel="noopener">"查看 PDF"</a>
        </PageHeader>
        <div class="grid2 detail">
            <div>
                <Card title="文件信息">
                    <Facts rows=facts/>
                    {linked.map(|p| view! { <p>"关联三重一大议题："<a href=format!("/proposals/{p}")>"查看议题"</a></p> })}
                </Card>
                <Card title="正文">
                    {(!number.is_empty()).then(|| view! { <p class="doc-number">{number.clone()}</p> })}
                    <BodyPreview title=Signal::stored(title.clone()) blocks=Signal::derive(move || blocks.clone())/>
                </Card>
                {(!countersigns.is_empty()).then(|| view! {
                    <Card title="会签意见">
                        <ul class="statements">
                            {countersigns.iter().map(|c| {
                                let stance = c.s("stance");
                                view! {
                                    <li>
                                        <strong>{c.opt("section_name").unwrap_or_else(|| session.section_name(&c.s("section_id")))}</strong>" "
                                        {if stance.is_empty() {
                                            view! { <Badge text="待会签" tone="plain"/> }.into_any()
                                        } else {
                                            view! { <Badge text=labels::lookup(COUNTERSIGN_STANCES, &stance).to_string() tone=if stance == "disagree" { "bad" } else { "good" }/> }.into_any()
                                        }}
                                        {c.opt("head_name").map(|n| view! { <span class="muted small">{format!(" {n}")}</span> })}
                                        {c.opt("on_behalf_of_name").map(|n| view! { <span class="behalf">{format!("代 {n}")}</span> })}
                                        {(!c.s("text").is_empty()).then(|| view! { <p class="pre">{c.s("text")}</p> })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </Card>
                })}
                {(!reviews.is_empty()).then(|| view! {
                    <Card title="审核意见">
                        <ul class="statements">
                            {reviews.iter().map(|r| view! {
                                <li>
                                    <strong>{r.s("reviewer_name")}</strong>
                                    {r.opt("on_behalf_of_name").map(|n| view! { <span class="behalf">{format!("代 {n}")}</span> })}" "
                                    <span class="muted small">{review_kind(&r.s("kind"))}</span>" "
                                    {if r.b("approve") { view! { <Badge text="同意" tone="good"/> } } else { view! { <Badge text="退回" tone="bad"/> } }}" "
                                    <span class="muted small">{fmt_time(&r.s("at"))}</span>
                                    {r.opt("opinion").map(|o| view! { <p class="pre">{o}</p> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    </Card>
                })}
                {(!externals.is_empty()).then(|| view! {
                    <Card title="外单位会签">
                        <ul>{externals.iter().map(|e| view! { <li>{format!("{}（{}）：{}", e.s("department"), e.s("signed_on"), e.s("opinion"))}</li> }).collect_view()}</ul>
                    </Card>
                })}
                {(!versions.is_empty()).then(|| view! {
                    <Card title="历次版本">
                        <ul class="statements">
                            {versions.iter().map(|v| view! {
                                <li>
                                    <strong>{format!("第 {} 版", v.first(&["version_no", "body_version"]))}</strong>" "
                                    <span class="muted small">{fmt_time(&v.first(&["created_at", "at"]))}</span>" "
                                    <span class="small">{labels::lookup(VERSION_REASONS, &v.s("reason")).to_string()}</span>
                                    {v.opt("content_sha256").map(|h| view! { <div class="mono muted">{h}</div> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    </Card>
                })}
                <Card title="流转记录"><Trail entries=trail object_type="outgoing"/></Card>
            </div>
            <div>
                <Card title="办理" act=true>
                    {my_steps.is_empty().then(|| view! { <p class="muted">"当前没有需要您办理的事项。"</p> })}
                    {my_steps.into_iter().map(|(step, behalf)| view! {
                        <div class="task-block">
                            {behalf.map(|n| view! { <p class="behalf">{format!("代 {n} 办理")}</p> })}
                            {outgoing_step(&step, &base, &d, &change_requests, reload, router)}
                        </div>
                    }).collect_view()}
                    {can_request_change.then(|| view! { <ChangeRequest path=format!("{base}/change-requests") blocks=parse_body(d.get("body").unwrap_or(&Value::Null)) reload=reload/> })}
                    {can_escalate.then(|| view! {
                        <ChoiceAction title="提交三重一大集体决策（D10）" path=format!("{base}/escalation") choice_key="category" choice_label="议题类别"
                            options=CATEGORIES text_key="reason" text_label="理由"
                            hint="文件办理暂停，并生成关联的议题草稿；议题决定后恢复办理。"
                            on_done=Callback::new(move |v: Value| {
                                let pid = v.first(&["proposal_id", "id"]);
                                if pid.is_empty() { reload.run(v) } else { router.go(&format!("/proposals/{pid}")) }
                            })/>
                    })}
                </Card>
            </div>
        </div>
    }
}

fn review_kind(k: &str) -> &'static str {
    match k {
        "section" | "section_review" | "review" => "处室审核",
        "leader" | "leader_review" => "分管领导审签",
        "verify" | "verification" => "办公室核稿",
        _ => "审核",
    }
}

fn outgoing_step(step: &str, base: &str, d: &Value, crs: &[Value], reload: Callback<Value>, _router: crate::router::Router) -> AnyView {
    match step {
        "draft" | "revise" => {
            let id = d.s("id");
            view! {
                <div class="inline-form">
                    <h3>{if step == "revise" { "退回修改" } else { "拟稿" }}</h3>
                    <div class="row">
                        <a class="btn" href=format!("/outgoing/{id}/edit")>"修改文稿"</a>
                        <ActionButton label="提交处室审核" primary=true path=format!("{base}/submit") confirm_text="提交后由处室负责人审核。确定提交？" on_done=reload/>
                    </div>
                </div>
            }
            .into_any()
        }
        "review" => view! {
            <DecideAction title="处室审核" path=format!("{base}/review") on_done=reload/>
        }
        .into_any(),
        "countersign" => view! {
            <ChoiceAction title="会签意见（D05）" path=format!("{base}/countersign-opinions") choice_key="stance" choice_label="意见"
                options=COUNTERSIGN_STANCES text_key="text" text_label="意见内容（修改意见或不同意的理由）" text_optional_for=&["agree"] on_done=reload/>
        }
        .into_any(),
        "resolve" => view! {
            <ChoiceAction title="会签分歧裁定（分管领导）" path=format!("{base}/resolve-disagreement") choice_key="ruling" choice_label="裁定"
                options=&[("proceed", "继续办理"), ("return", "退回主办处室")] text_key="text" text_label="裁定意见" on_done=reload/>
        }
        .into_any(),
        "leader_review" => view! {
            <DecideAction title="分管领导审签（D07）" path=format!("{base}/leader-review") on_done=reload/>
        }
        .into_any(),
        "external_countersign" => view! { <ExternalCountersign path=format!("{base}/external-countersigns") reload=reload/> }.into_any(),
        "consolidate" => view! {
            <Consolidate path=format!("{base}/consolidate") blocks=parse_body(d.get("body").unwrap_or(&Value::Null)) reload=reload/>
            <Countersign path=format!("{base}/countersign") reload=reload/>
        }
        .into_any(),
        "verify" => view! {
            <DecideAction title="核稿（办公室主任，D06）" path=format!("{base}/verify") yes_key="pass" yes_label="核稿通过" no_label="退回" on_done=reload/>
        }
        .into_any(),
        "signoff" => view! {
            <TextAction title="签发" path=format!("{base}/signoff") key="opinion" label="签发意见" button="签发" allow_empty=true
                confirm_text="签发后内容冻结（D08）并编发文号（D09）。确定签发？" on_done=reload/>
        }
        .into_any(),
        "issue" => view! {
            <div class="inline-form">
                <h3>"印发"</h3>
                <ActionButton label="印发并归档" primary=true path=format!("{base}/issue") confirm_text="印发后文件归档，不可修改（D14）。确定印发？" on_done=reload/>
            </div>
        }
        .into_any(),
        "change_request" => crs
            .iter()
            .filter(|c| matches!(c.s("state").as_str(), "" | "pending"))
            .map(|c| {
                view! {
                    <div class="notice">
                        <strong>"修改申请："</strong>{c.s("reason")}
                    </div>
                    <DecideAction title="审批修改申请（D08）" path=format!("/change-requests/{}/decision", c.s("id")) yes_label="批准" no_label="不批准" on_done=reload/>
                }
            })
            .collect_view()
            .into_any(),
        other => view! { <p class="muted">{labels::task_kind(other).to_string()}</p> }.into_any(),
    }
}

#[component]
fn Countersign(path: String, reload: Callback<Value>) -> impl IntoView {
    let session = use_session();
    let chosen = kept(&path, "sections", || RwSignal::new(Vec::<String>::new()));
    let submit = Submit::new();
    let sections = Signal::derive(move || session.sections.with(|ss| ss.iter().map(|s| (s.s("id"), s.s("name"))).collect::<Vec<_>>()));
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let ids = chosen.get_untracked();
        if ids.is_empty() {
            submit.fail("请选择会签处室。");
            return;
        }
        let path = path.clone();
        confirm("送会签", "文稿将同时送所选处室会签（D05）。确定？", "送会签", move || {
            let path = path.clone();
            let ids = ids.clone();
            submit.post(&path, json!({ "section_ids": ids }), move |v| {
                chosen.set(Vec::new());
                reload.run(v)
            });
        });
    };
    view! {
        <form class="inline-form" on:submit=send>
            <h3>"送会签（可选）"</h3>
            <PickMany options=sections value=chosen/>
            <ErrorNote submit=submit/>
            <button class="btn" type="submit" disabled=submit.busy()>"送会签"</button>
        </form>
    }
}

#[component]
fn Consolidate(path: String, blocks: Vec<Value>, reload: Callback<Value>) -> impl IntoView {
    let edit = Body::kept(&path, &blocks);
    let submit = Submit::new();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = edit.value();
        let path = path.clone();
        confirm("汇总定稿", "根据会签意见定稿后送办公室核稿。确定？", "定稿", move || {
            let path = path.clone();
            let body = body.clone();
            submit.post(&path, json!({ "body": body }), move |v| reload.run(v));
        });
    };
    view! {
        <form class="inline-form" on:submit=send>
            <h3>"汇总定稿（送核稿）"</h3>
            <BodyEditor body=edit/>
            <ErrorNote submit=submit/>
            <button class="btn primary" type="submit" disabled=submit.busy()>"定稿送核"</button>
        </form>
    }
}

#[component]
fn ChangeRequest(path: String, blocks: Vec<Value>, reload: Callback<Value>) -> impl IntoView {
    let open = kept(&path, "open", || RwSignal::new(false));
    let edit = Body::kept(&path, &blocks);
    let reason = draft(&path, "reason", "");
    let submit = Submit::new();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if reason.get_untracked().trim().is_empty() {
            submit.fail("请写明修改理由。");
            return;
        }
        let body = json!({ "reason": reason.get_untracked().trim(), "body": edit.value() });
        let path = path.clone();
        submit.post(&path, body, move |v| {
            open.set(false);
            reason.set(String::new());
            reload.run(v)
        });
    };
    view! {
        <div class="inline-form">
            <h3>"修改申请（D08）"</h3>
            <p class="muted small">"签发后的内容已冻结；修改须经签发领导批准，生成新版本并保留旧版本。"</p>
            {move || if open.get() {
                view! {
                    <form on:submit=send.clone()>
                        <Field label="修改理由"><input type="text" bind:value=reason/></Field>
                        <BodyEditor body=edit/>
                        <ErrorNote submit=submit/>
                        <div class="row">
                            <button class="btn primary" type="submit" disabled=submit.busy()>"提交修改申请"</button>
                            <button class="btn" type="button" on:click=move |_| open.set(false)>"取消"</button>
                        </div>
                    </form>
                }.into_any()
            } else {
                view! { <button class="btn" type="button" on:click=move |_| open.set(true)>"提出修改申请"</button> }.into_any()
            }}
        </div>
    }
}

#[component]
fn ExternalCountersign(path: String, reload: Callback<Value>) -> impl IntoView {
    let department = draft(&path, "department", "");
    let opinion = draft(&path, "opinion", "");
    let signed_on = draft(&path, "signed_on", &util::today());
    let submit = Submit::new();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if department.get_untracked().trim().is_empty() {
            submit.fail("请填写会签单位。");
            return;
        }
        let body = json!({ "department": department.get_untracked().trim(), "opinion": opinion.get_untracked().trim(), "signed_on": signed_on.get_untracked() });
        let path = path.clone();
        submit.post(&path, body, move |v| {
            department.set(String::new());
            opinion.set(String::new());
            reload.run(v)
        });
    };
    view! {
        <form class="inline-form" on:submit=send>
            <h3>"登记外单位会签（联合行文）"</h3>
            <Field label="会签单位"><input type="text" bind:value=department/></Field>
            <Field label="会签意见"><textarea rows="2" bind:value=opinion></textarea></Field>
            <Field label="会签日期"><input type="date" bind:value=signed_on/></Field>
            <ErrorNote submit=submit/>
            <button class="btn primary" type="submit" disabled=submit.busy()>"登记"</button>
        </form>
    }
}

/// Why a version of the text was saved (`reason` of `versions[]`).
const VERSION_REASONS: labels::Options = &[("draft", "拟稿"), ("consolidated", "汇总会签意见定稿"), ("change_request", "按修改申请修改")];
