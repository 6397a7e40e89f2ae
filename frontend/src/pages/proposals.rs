//! 三重一大 proposals (议题): list, create/edit form with the four material parts (R02) and
//! the flags that decide the required pre-consultation records (R03), and the detail page
//! with trail, attachments and the actions the state allows (R02–R05, R14).
//!
//! Fields read from the server's proposal object: id, title, category, state, amount,
//! payee, materials{topic,background,research,recommendation}, flags{…}, urgent,
//! needs_superior_approval, confidential, conflicts, proposer_id, section_id, deputy_id,
//! required_records, preconsult_records (or records), attachments, links, trail,
//! meeting_id, minutes_id, publication_id, version.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::actions::{ActionButton, ChoiceAction, DecideAction};
use crate::api;
use crate::components::*;
use crate::labels::{self, CATEGORIES, FLAGS, PRECONSULT_KINDS, PREMEETING};
use crate::router::{object_href, query_param, use_router};
use crate::session::use_session;
use crate::util::{self, J, fmt_money, fmt_time, items};

const PROPOSERS: &[&str] = &["handler", "section_head", "deputy"];

const STATE_FILTERS: labels::Options = &[
    ("draft", "草稿"),
    ("submitted", "待分管领导审核"),
    ("preconsult", "会前酝酿"),
    ("ready", "待上会"),
    ("scheduled", "已列入议程"),
    ("voting", "表决中"),
    ("decided", "已决定"),
    ("pending_superior", "待上级批准"),
    ("minuted", "已形成纪要"),
    ("published", "公示中"),
    ("confirmed", "已确认"),
    ("archived", "已归档"),
    ("returned", "已退回"),
    ("deferred", "缓议"),
    ("lapsed", "已失效"),
];

#[component]
pub fn ProposalList() -> impl IntoView {
    let session = use_session();
    let router = use_router();
    let state = RwSignal::new(query_param("state").unwrap_or_default());
    let list = LocalResource::new(move || {
        let unit = session.unit_id();
        let st = state.get();
        async move {
            let q = if st.is_empty() { String::new() } else { format!("?state={}", api::enc(&st)) };
            api::get(&format!("/units/{unit}/proposals{q}")).await.map(|v| items(&v))
        }
    });
    Effect::new(move |_| {
        let st = state.get();
        let to = if st.is_empty() { "/proposals".to_string() } else { format!("/proposals?state={st}") };
        router.replace(&to);
    });
    view! {
        <PageHeader title="三重一大议题">
            {session.has_any(PROPOSERS).then(|| view! { <a class="btn primary" href="/proposals/new">"新建议题"</a> })}
        </PageHeader>
        <div class="filters">
            <Field label="状态"><Choice options=STATE_FILTERS value=state placeholder="全部"/></Field>
        </div>
        {show(list, move |list: Vec<Value>| {
            if list.is_empty() {
                return view! { <Empty text="没有符合条件的议题。"/> }.into_any();
            }
            view! { <ul class="list">{list.into_iter().map(|p| proposal_row(&p)).collect_view()}</ul> }.into_any()
        })}
    }
}

fn proposal_row(p: &Value) -> impl IntoView + use<> {
    let amount = p.s("amount");
    view! {
        <li class="list-item">
            <div class="list-main">
                <a class="title" href=format!("/proposals/{}", p.s("id"))>{p.s("title")}</a>
                <div class="meta">
                    <StateBadge object_type="proposal" state=p.s("state")/>
                    <span class="muted">{labels::lookup(CATEGORIES, &p.s("category")).to_string()}</span>
                    {(!amount.is_empty()).then(|| view! { <span>{fmt_money(&amount)}</span> })}
                    {p.b("urgent").then(|| view! { <Badge text="紧急" tone="bad"/> })}
                </div>
            </div>
            <span class="muted small">{fmt_time(&p.first(&["updated_at", "created_at"]))}</span>
        </li>
    }
}

/// Which pre-consultation records the flags require (R03); `publicity|hearing` means either.
pub fn required_by_flags(flags: &[String]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for f in flags {
        out.push(match f.as_str() {
            "other_departments" => "department",
            "branch_units" => "branch",
            "public_interest" => "publicity|hearing",
            "strategic" => "expert",
            "technical" => "technical",
            "legal" => "legal",
            _ => continue,
        });
    }
    out
}

fn required_label(kind: &str) -> String {
    kind.split(['|', ','])
        .flat_map(|k| k.split("_or_"))
        .map(|k| labels::lookup(PRECONSULT_KINDS, k).to_string())
        .collect::<Vec<_>>()
        .join(" 或 ")
}

#[component]
pub fn ProposalForm(id: Option<String>) -> impl IntoView {
    match id {
        None => view! { <ProposalEditor existing=Value::Null/> }.into_any(),
        Some(id) => {
            let res = LocalResource::new(move || {
                let id = id.clone();
                async move { api::get(&format!("/proposals/{id}")).await }
            });
            view! { {show(res, |p: Value| view! { <ProposalEditor existing=p/> })} }.into_any()
        }
    }
}

#[component]
fn ProposalEditor(existing: Value) -> impl IntoView {
    let session = use_session();
    let router = use_router();
    let editing = existing.opt("id");
    let m = existing.get("materials").cloned().unwrap_or(Value::Null);
    let category = RwSignal::new(existing.opt("category").unwrap_or_else(|| "major_decision".into()));
    let title = RwSignal::new(existing.s("title"));
    let amount = RwSignal::new(existing.s("amount"));
    let payee = RwSignal::new(existing.s("payee"));
    let topic = RwSignal::new(m.s("topic"));
    let background = RwSignal::new(m.s("background"));
    let research = RwSignal::new(m.s("research"));
    let recommendation = RwSignal::new(m.s("recommendation"));
    let flags_in = existing.get("flags").cloned().unwrap_or(Value::Null);
    let flags = RwSignal::new(FLAGS.iter().filter(|(k, _)| flags_in.b(k)).map(|(k, _)| k.to_string()).collect::<Vec<_>>());
    let urgent = RwSignal::new(existing.b("urgent"));
    let superior = RwSignal::new(existing.b("needs_superior_approval"));
    let confidential = RwSignal::new(existing.b("confidential"));
    let conflicts = RwSignal::new(existing.arr("conflicts").iter().map(util::text_of).collect::<Vec<_>>());
    let submit = Submit::new();

    let flag_options = Signal::derive(|| FLAGS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>());
    let people = Signal::derive(move || session.people_with(&["principal", "deputy", "member"]));
    let editing2 = editing.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if title.get_untracked().trim().is_empty() {
            submit.fail("请填写议题标题。");
            return;
        }
        let amt = amount.get_untracked().trim().to_string();
        if !amt.is_empty() && !util::valid_money(&amt) {
            submit.fail("金额须为数字，最多两位小数（单位：元）。");
            return;
        }
        let fl = flags.get_untracked();
        let flag_obj: serde_json::Map<String, Value> = FLAGS.iter().map(|(k, _)| (k.to_string(), json!(fl.iter().any(|f| f == k)))).collect();
        let mut body = json!({
            "category": category.get_untracked(),
            "title": title.get_untracked().trim(),
            "materials": {
                "topic": topic.get_untracked(),
                "background": background.get_untracked(),
                "research": research.get_untracked(),
                "recommendation": recommendation.get_untracked(),
            },
            "flags": flag_obj,
            "urgent": urgent.get_untracked(),
            "needs_superior_approval": superior.get_untracked(),
            "confidential": confidential.get_untracked(),
            "conflicts": conflicts.get_untracked(),
        });
        if !amt.is_empty() {
            body["amount"] = json!(amt);
        }
        if !payee.get_untracked().trim().is_empty() {
            body["payee"] = json!(payee.get_untracked().trim());
        }
        let unit = session.unit_id();
        let editing = editing2.clone();
        submit.run(
            async move {
                match editing {
                    Some(id) => api::patch(&format!("/proposals/{id}"), body).await.map(|_| id),
                    None => api::post(&format!("/units/{unit}/proposals"), body).await.map(|v| v.s("id")),
                }
            },
            move |id| router.go(&format!("/proposals/{id}")),
        );
    };
    let required = move || required_by_flags(&flags.get());
    view! {
        <PageHeader title=if editing.is_some() { "修改议题" } else { "新建议题" }/>
        <form class="stack" on:submit=save>
            <Card title="基本信息">
                <Field label="议题标题"><input type="text" required maxlength="200" bind:value=title/></Field>
                <div class="cols">
                    <Field label="类别"><Choice options=CATEGORIES value=category/></Field>
                    <Field label="金额（元）" hint="大额度资金使用须填写；精确到分"><input type="text" inputmode="decimal" placeholder="例如 120000.00" bind:value=amount/></Field>
                    <Field label="收款方"><input type="text" bind:value=payee/></Field>
                </div>
                <div class="checks">
                    <label class="check"><input type="checkbox" bind:checked=urgent/>"紧急事项"</label>
                    <label class="check"><input type="checkbox" bind:checked=superior/>"须报上级批准"</label>
                    <label class="check"><input type="checkbox" bind:checked=confidential/>"含不宜公开的内容（公示时不公开）"</label>
                </div>
            </Card>
            <Card title="议题材料（四部分均须填写）">
                <Field label="一、议题"><textarea rows="3" bind:value=topic></textarea></Field>
                <Field label="二、基本情况"><textarea rows="5" bind:value=background></textarea></Field>
                <Field label="三、调研论证"><textarea rows="5" bind:value=research></textarea></Field>
                <Field label="四、处理建议"><textarea rows="4" bind:value=recommendation></textarea></Field>
            </Card>
            <Card title="会前征求意见">
                <p class="muted small">"按议题性质勾选；所需记录齐备后议题才能提交会议研究（R03）。"</p>
                <PickMany options=flag_options value=flags/>
                {move || {
                    let req = required();
                    if req.is_empty() {
                        view! { <p class="muted">"无须专门的会前征求意见记录。"</p> }.into_any()
                    } else {
                        view! {
                            <p>"需要的记录："{req.iter().map(|k| required_label(k)).collect::<Vec<_>>().join("；")}</p>
                        }.into_any()
                    }
                }}
            </Card>
            <Card title="回避申报">
                <p class="muted small">"议题涉及本人或亲属的班子成员，对本议题回避表决（R09）。"</p>
                <PickMany options=people value=conflicts/>
            </Card>
            <ErrorNote submit=submit/>
            <div class="row">
                <button class="btn primary" type="submit" disabled=submit.busy()>"保存"</button>
                <a class="btn" href=editing.clone().map(|id| format!("/proposals/{id}")).unwrap_or_else(|| "/proposals".into())>"取消"</a>
            </div>
        </form>
    }
}

/// Required records with whether each is on file.
fn required_rows(p: &Value) -> Vec<(String, bool)> {
    // The server labels each requirement; fall back to the kinds.
    let labelled: Vec<(String, bool)> = p
        .arr("required_records")
        .iter()
        .filter_map(|r| Some((r.opt("label")?, r.get("satisfied")?.as_bool()?)))
        .collect();
    if !labelled.is_empty() {
        return labelled;
    }
    let records = p.get("preconsult_records").or_else(|| p.get("records")).and_then(Value::as_array).cloned().unwrap_or_default();
    let have = |kind: &str| {
        kind.split(['|', ','])
            .flat_map(|k| k.split("_or_"))
            .any(|k| records.iter().any(|r| r.s("kind") == k))
    };
    let mut required: Vec<(String, Option<bool>)> = p
        .arr("required_records")
        .iter()
        .map(|r| match r {
            Value::String(k) => (k.clone(), None),
            other => (other.s("kind"), other.get("satisfied").or_else(|| other.get("present")).and_then(Value::as_bool)),
        })
        .collect();
    if required.is_empty() {
        let flags = p.get("flags").cloned().unwrap_or(Value::Null);
        let on: Vec<String> = FLAGS.iter().filter(|(k, _)| flags.b(k)).map(|(k, _)| k.to_string()).collect();
        required = required_by_flags(&on).into_iter().map(|k| (k.to_string(), None)).collect();
    }
    required.into_iter().map(|(k, sat)| (required_label(&k), sat.unwrap_or_else(|| have(&k)))).collect()
}

#[component]
pub fn ProposalDetail(id: String) -> impl IntoView {
    let res = {
        let id = id.clone();
        LocalResource::new(move || {
            let id = id.clone();
            async move { api::get(&format!("/proposals/{id}")).await }
        })
    };
    crate::session::refetch_on_event(use_session(), id.clone(), res);
    let reload = Callback::new(move |_: Value| res.refetch());
    view! { {show(res, move |p: Value| view! { <ProposalView p=p reload=reload/> })} }
}

#[component]
fn ProposalView(p: Value, reload: Callback<Value>) -> impl IntoView {
    let session = use_session();
    let id = p.s("id");
    let state = p.s("state");
    let me = session.user_id();
    let is_proposer = !me.is_empty() && p.first(&["proposer_id", "created_by"]) == me;
    let section_deputy = session.sections.with(|ss| {
        ss.iter().find(|s| s.s("id") == p.s("section_id")).map(|s| s.s("deputy_id")).unwrap_or_default()
    });
    let deputy_id = p.opt("deputy_id").unwrap_or(section_deputy);
    let is_deputy = session.has("deputy") && (deputy_id.is_empty() || deputy_id == me);
    let is_principal = session.has("principal");
    let m = p.get("materials").cloned().unwrap_or(Value::Null);
    let amount = p.s("amount");
    let flags = p.get("flags").cloned().unwrap_or(Value::Null);
    let flag_text = FLAGS.iter().filter(|(k, _)| flags.b(k)).map(|(_, v)| *v).collect::<Vec<_>>().join("、");
    let conflicts = p.arr("conflicts").iter().map(|c| session.name_of(&util::text_of(c))).collect::<Vec<_>>().join("、");
    let required = required_rows(&p);
    let records = p.get("preconsult_records").or_else(|| p.get("records")).and_then(Value::as_array).cloned().unwrap_or_default();
    let attachments = p.arr("attachments");
    let editable = matches!(state.as_str(), "draft" | "returned");

    let can_edit = allowed(&p, "update", editable && is_proposer);
    let can_submit = allowed(&p, "submit", editable && is_proposer);
    let can_approve = allowed(&p, "submission_approval", state == "submitted" && is_deputy);
    let can_record = allowed(&p, "preconsult_record", matches!(state.as_str(), "submitted" | "preconsult") && (is_proposer || is_deputy));
    let can_decide = allowed(&p, "premeeting_decision", state == "preconsult" && is_principal);
    // Not in the proposal's `allowed_actions` vocabulary (it belongs to the minutes flow).
    let can_superior = state == "pending_superior" && session.has("clerk");
    let can_attach = allowed(&p, "attach", editable && is_proposer);

    let links = link_rows(&p);
    let record_kind = RwSignal::new("department".to_string());
    let record_summary = RwSignal::new(String::new());
    let record_files = RwSignal::new(Vec::<Value>::new());
    let record_submit = Submit::new();
    let id_for_record = id.clone();
    let add_record = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let summary = record_summary.get_untracked();
        if summary.trim().is_empty() {
            record_submit.fail("请填写记录摘要。");
            return;
        }
        let ids: Vec<String> = record_files.get_untracked().iter().map(|a| a.s("id")).collect();
        let body = json!({ "kind": record_kind.get_untracked(), "summary": summary.trim(), "attachment_ids": ids });
        let path = format!("/proposals/{}/preconsult-records", id_for_record);
        record_submit.post(&path, body, move |v| {
            record_summary.set(String::new());
            record_files.set(Vec::new());
            reload.run(v)
        });
    };

    let superior_ref = RwSignal::new(String::new());
    let superior_date = RwSignal::new(util::today());
    let superior_submit = Submit::new();
    let id_for_superior = id.clone();
    let record_superior = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if superior_ref.get_untracked().trim().is_empty() {
            superior_submit.fail("请填写上级批准文件的文号。");
            return;
        }
        let body = json!({ "document_ref": superior_ref.get_untracked().trim(), "approved_on": superior_date.get_untracked() });
        let path = format!("/proposals/{}/superior-approval", id_for_superior);
        superior_submit.post(&path, body, move |v| reload.run(v));
    };

    let any_action = can_edit || can_submit || can_approve || can_record || can_decide || can_superior;
    let facts = vec![
        ("类别", labels::lookup(CATEGORIES, &p.s("category")).to_string()),
        ("金额", fmt_money(&amount)),
        ("收款方", p.s("payee")),
        ("提出人", p.opt("proposer_name").unwrap_or_else(|| session.name_of(&p.first(&["proposer_id", "created_by"])))),
        ("所属处室", session.section_name(&p.s("section_id"))),
        ("性质", flag_text),
        ("回避人员", conflicts),
        ("提出时间", fmt_time(&p.s("created_at"))),
        ("退回理由", p.s("returned_reason")),
        ("会前酝酿", p.get("premeeting").map(|x| x.s("reason")).unwrap_or_default()),
        ("决定", p.s("decision_text")),
        ("上级批准", p.opt("superior_document_ref").map(|r| format!("{r}（{}）", p.s("superior_approved_on"))).unwrap_or_default()),
    ];
    let (urgent, superior, confidential) = (p.b("urgent"), p.b("needs_superior_approval"), p.b("confidential"));
    let trail = p.arr("trail");
    let attach_path = format!("/proposals/{id}/attachments");
    let attach_path2 = attach_path.clone();
    let edit_href = format!("/proposals/{id}/edit");
    let submit_path = format!("/proposals/{id}/submit");
    let approval_path = format!("/proposals/{id}/submission-approval");
    let decision_path = format!("/proposals/{id}/premeeting-decision");
    view! {
        <PageHeader title=p.s("title")>
            <StateBadge object_type="proposal" state=state.clone()/>
        </PageHeader>
        <div class="grid2 detail">
            <div>
                <Card title="概况">
                    <Facts rows=facts/>
                    <div class="row">
                        {urgent.then(|| view! { <Badge text="紧急" tone="bad"/> })}
                        {superior.then(|| view! { <Badge text="须报上级批准" tone="warn"/> })}
                        {confidential.then(|| view! { <Badge text="不公开" tone="warn"/> })}
                    </div>
                </Card>
                <Card title="议题材料">
                    <div class="material">
                        {[("一、议题", "topic"), ("二、基本情况", "background"), ("三、调研论证", "research"), ("四、处理建议", "recommendation")]
                            .into_iter()
                            .map(|(label, key)| {
                                let text = m.s(key);
                                view! {
                                    <h3>{label}</h3>
                                    {if text.trim().is_empty() {
                                        view! { <p class="muted">"（未填写）"</p> }.into_any()
                                    } else {
                                        view! { <p class="pre">{text}</p> }.into_any()
                                    }}
                                }
                            })
                            .collect_view()}
                    </div>
                </Card>
                <Card title="会前征求意见记录">
                    {if required.is_empty() {
                        view! { <p class="muted">"本议题无须专门的会前征求意见记录。"</p> }.into_any()
                    } else {
                        view! {
                            <ul class="plain-list">
                                {required.into_iter().map(|(k, ok)| view! {
                                    <li>
                                        {if ok { view! { <Badge text="已齐备" tone="good"/> } } else { view! { <Badge text="缺少" tone="bad"/> } }}
                                        " " {k}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                    {(!records.is_empty()).then(|| view! {
                        <ul class="statements">
                            {records.iter().map(|r| view! {
                                <li>
                                    <strong>{labels::lookup(PRECONSULT_KINDS, &r.s("kind")).to_string()}</strong>
                                    " " <span class="muted small">{fmt_time(&r.first(&["at", "created_at"]))}</span>
                                    <p class="pre">{r.s("summary")}</p>
                                </li>
                            }).collect_view()}
                        </ul>
                    })}
                </Card>
                <Card title="附件">
                    {if attachments.is_empty() {
                        view! { <p class="muted">"暂无附件。"</p> }.into_any()
                    } else {
                        view! { <ul>{attachments.iter().map(attachment_link).collect_view()}</ul> }.into_any()
                    }}
                    {can_attach.then(|| view! {
                        <Upload path=attach_path on_done=move |v| reload.run(v)/>
                        <p class="hint">"单个文件不超过单位规定的大小；文件类型由服务器检查。"</p>
                    })}
                </Card>
                <Card title="流转记录"><Trail entries=trail object_type="proposal"/></Card>
            </div>
            <div>
                {(!links.is_empty()).then(|| view! {
                    <Card title="关联">
                        <ul>{links.into_iter().map(|(label, href)| view! { <li><a href=href>{label}</a></li> }).collect_view()}</ul>
                    </Card>
                })}
                <Card title="办理" act=true>
                    {(!any_action).then(|| view! { <p class="muted">"当前状态下您没有需要办理的事项。"</p> })}
                    {can_edit.then(|| view! { <div class="inline-form"><a class="btn" href=edit_href>"修改议题"</a></div> })}
                    {can_submit.then(|| view! {
                        <div class="inline-form">
                            <h3>"提交"</h3>
                            <p class="muted small">"提交后由分管领导审核《重大事项会商提交单》（R04）。四部分材料须完整（R02）。"</p>
                            <ActionButton label="提交议题" primary=true path=submit_path
                                confirm_text="提交后材料不能再修改，确定提交？" on_done=reload/>
                        </div>
                    })}
                    {can_approve.then(|| view! {
                        <DecideAction title="审核提交单（分管领导）" path=approval_path on_done=reload/>
                    })}
                    {can_record.then(|| view! {
                        <form class="inline-form" on:submit=add_record>
                            <h3>"登记会前征求意见记录"</h3>
                            <Field label="类型"><Choice options=PRECONSULT_KINDS value=record_kind/></Field>
                            <Field label="摘要"><textarea rows="3" bind:value=record_summary></textarea></Field>
                            <Upload path=attach_path2 label="上传记录附件"
                                on_done=move |v| record_files.update(|f| f.push(v))/>
                            {move || record_files.with(|f| (!f.is_empty()).then(|| view! {
                                <p class="small">"已附："{f.iter().map(|a| a.first(&["filename", "name"])).collect::<Vec<_>>().join("、")}</p>
                            }))}
                            <ErrorNote submit=record_submit/>
                            <button class="btn primary" type="submit" disabled=record_submit.busy()>"登记"</button>
                        </form>
                    })}
                    {can_decide.then(|| view! {
                        <ChoiceAction title="会前酝酿决定（主要领导）" path=decision_path
                            choice_key="decision" choice_label="决定" options=PREMEETING text_key="reason" text_label="理由"
                            hint="大额度资金使用等必须集体研究的事项不得按一般事务处理（R01）。"
                            on_done=reload/>
                    })}
                    {can_superior.then(|| view! {
                        <form class="inline-form" on:submit=record_superior>
                            <h3>"登记上级批准（R14）"</h3>
                            <Field label="批准文件文号"><input type="text" bind:value=superior_ref/></Field>
                            <Field label="批准日期"><input type="date" bind:value=superior_date/></Field>
                            <ErrorNote submit=superior_submit/>
                            <button class="btn primary" type="submit" disabled=superior_submit.busy()>"登记"</button>
                        </form>
                    })}
                </Card>
            </div>
        </div>
    }
}

pub fn attachment_link(a: &Value) -> impl IntoView + use<> {
    let name = a.first(&["filename", "name", "file_name"]);
    let size = a.num("size").map(|s| format!("（{:.0} KB）", (s / 1024.0).ceil())).unwrap_or_default();
    view! {
        <li><a href=api::url(&format!("/attachments/{}", a.s("id"))) target="_blank" rel="noopener">{name}</a>
            <span class="muted small">{size}</span></li>
    }
}

/// Links to related objects: explicit `links` and the ids the proposal carries.
fn link_rows(p: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = p
        .arr("links")
        .iter()
        .filter_map(|l| {
            let ty = l.first(&["object_type", "type"]);
            let id = l.first(&["object_id", "id"]);
            if id.is_empty() {
                return None;
            }
            let what = labels::lookup(labels::OBJECT_TYPES, &ty).to_string();
            let title = l.first(&["title", "label"]);
            Some((if title.is_empty() { what } else { format!("{what}：{title}") }, object_href(&ty, &id)))
        })
        .collect();
    for (key, ty, label) in [
        ("meeting_id", "meeting", "所在会议"),
        ("minutes_id", "minutes", "会议纪要"),
        ("publication_id", "publication", "公示"),
        ("source_document_id", "outgoing", "来源公文"),
    ] {
        if let Some(id) = p.opt(key) {
            let href = object_href(ty, &id);
            if !out.iter().any(|(_, h)| *h == href) {
                out.push((label.to_string(), href));
            }
        }
    }
    out
}
