//! Supervision: the inspector's and principal's compliance view (S02, S03) and the audit
//! log with hash-chain verification (R19).
//!
//! A compliance check is `{rule, check, title, status: passed|warning|violated, message,
//! evidence: [{type, id, label, link}]}`; the response groups checks per deliberation or
//! document in arrays (any top-level array of objects is shown as a section), and
//! threshold-splitting flags carry `payee`, `total`/`total_fen` and `items`.

use leptos::prelude::*;
use serde_json::Value;

use crate::api;
use crate::components::*;
use crate::labels;
use crate::session::use_session;
use crate::util::{J, fmt_money, fmt_time, items};

fn status_badge(status: &str) -> impl IntoView + use<> {
    let (text, tone) = match status {
        "passed" | "ok" => ("合规", "good"),
        "warning" => ("提示", "warn"),
        "violated" | "red" | "flag" => ("违规", "bad"),
        "" => ("", "plain"),
        other => (other, "plain"),
    };
    let text = text.to_string();
    (!text.is_empty()).then(|| view! { <Badge text=text tone=tone/> })
}

/// API links in evidence (`/api/v1/meetings/…`) open the matching page of the app.
fn app_link(link: &str) -> String {
    match link.strip_prefix("/api/v1") {
        Some(rest) if !rest.ends_with("/package") => rest.to_string(),
        _ => link.to_string(),
    }
}

const SECTION_TITLES: labels::Options = &[
    ("items", "议题与会议"),
    ("deliberations", "集体决策"),
    ("meetings", "会议"),
    ("proposals", "议题"),
    ("documents", "公文"),
    ("outgoing", "发文"),
    ("incoming", "收文"),
    ("flags", "拆分规避预警（S03）"),
    ("splitting", "拆分规避预警（S03）"),
    ("splitting_flags", "拆分规避预警（S03）"),
    ("red_flags", "红色预警"),
    ("unit_checks", "单位级检查"),
];

fn is_red(v: &Value) -> bool {
    let st = v.first(&["status", "worst"]);
    (!st.is_empty() && st != "passed") || v.arr("items").iter().any(is_red) || v.arr("checks").iter().any(|c| c.s("status") != "passed")
}

#[component]
pub fn Compliance() -> impl IntoView {
    let session = use_session();
    let only_red = RwSignal::new(true);
    let res = LocalResource::new(move || {
        let unit = session.unit_id();
        async move { api::get(&format!("/units/{unit}/compliance")).await }
    });
    let reload = Callback::new(move |_: Value| res.refetch());
    view! {
        <PageHeader title="合规监督">
            <label class="check"><input type="checkbox" bind:checked=only_red/>"只看提示与违规"</label>
        </PageHeader>
        <p class="muted">"按会议通知时限、法定人数、末位表态、回避、主要领导否决理由、缩短通知、缓议后紧急无记名投票等规则逐项检查（S02）；同一处室向同一收款方的拆分支出预警（S03）。"</p>
        {show(res, move |v: Value| {
            let summary = v.get("summary").cloned().unwrap_or(Value::Null);
            let sections: Vec<(String, Vec<Value>)> = match &v {
                Value::Array(a) => vec![("items".to_string(), a.clone())],
                Value::Object(m) => m
                    .iter()
                    .filter_map(|(k, v)| v.as_array().filter(|a| !a.is_empty() && a.iter().all(Value::is_object)).map(|a| (k.clone(), a.clone())))
                    .collect(),
                _ => Vec::new(),
            };
            let any_red = sections.iter().any(|(_, a)| a.iter().any(|e| is_red(e) || e.get("payee").is_some()));
            view! {
                {(!summary.is_null()).then(|| view! {
                    <div class="card row">
                        <Badge text=format!("合规 {}", summary.s("passed")) tone="good"/>
                        <Badge text=format!("提示 {}", summary.s("warning")) tone="warn"/>
                        <Badge text=format!("违规 {}", summary.s("violated")) tone="bad"/>
                        <Badge text=format!("拆分预警 {}", summary.s("splitting_flags")) tone="warn"/>
                        <span class="muted small">{format!("检查时间 {}", fmt_time(&v.s("generated_at")))}</span>
                    </div>
                })}
                {move || (only_red.get() && !any_red).then(|| view! { <Empty text="未发现提示或违规事项。"/> })}
                {sections.into_iter().map(|(key, list)| {
                    let red = list.iter().any(|e| is_red(e) || e.get("payee").is_some());
                    view! {
                        <div class:hidden=move || only_red.get() && !red>
                            <Card title=labels::lookup(SECTION_TITLES, &key).to_string()>
                                {list.into_iter().map(|entry| view! { <ComplianceEntry entry=entry only_red=only_red reload=reload/> }).collect_view()}
                            </Card>
                        </div>
                    }
                }).collect_view()}
            }.into_any()
        })}
    }
}

fn check_rows(checks: Vec<Value>, only_red: RwSignal<bool>) -> impl IntoView {
    (!checks.is_empty()).then(|| view! {
        <ul class="statements">
            {checks.into_iter().map(|c| {
                let red = c.s("status") != "passed";
                view! {
                    <li class:hidden=move || only_red.get() && !red>
                        {status_badge(&c.s("status"))}" "
                        <strong>{c.s("title")}</strong>" "
                        <span class="muted small">{c.s("rule")}</span>
                        <p>{c.s("message")}</p>
                        {(!c.arr("evidence").is_empty()).then(|| view! {
                            <p class="small">"依据："
                                {evidence_labels(&c.arr("evidence")).into_iter().map(|(label, link)| {
                                    match link {
                                        Some(l) => view! { <a href=app_link(&l)>{label}</a>" " }.into_any(),
                                        None => view! { <span>{label}" "</span> }.into_any(),
                                    }
                                }).collect_view()}
                            </p>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    })
}

/// Evidence without a title of its own (a reminder record, a publication) is named by its
/// type, and several of one type are counted: `督办记录 3 条`.
fn evidence_labels(list: &[Value]) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let mut counted: Vec<(String, usize)> = Vec::new();
    for e in list {
        match (e.opt("label"), e.opt("link")) {
            (Some(label), link) => out.push((label, link)),
            (None, Some(link)) => out.push((labels::lookup(EVIDENCE_TYPES, &e.s("type")).to_string(), Some(link))),
            (None, None) => {
                let t = labels::lookup(EVIDENCE_TYPES, &e.s("type")).to_string();
                match counted.iter_mut().find(|(k, _)| *k == t) {
                    Some((_, n)) => *n += 1,
                    None => counted.push((t, 1)),
                }
            }
        }
    }
    out.extend(counted.into_iter().map(|(t, n)| (if n > 1 { format!("{t} {n} 条") } else { t }, None)));
    out
}

const EVIDENCE_TYPES: labels::Options = &[
    ("incoming_reminder", "督办记录"),
    ("publication", "公示记录"),
    ("meeting", "会议"),
    ("meeting_item", "会议议题"),
    ("proposal", "议题"),
    ("minutes", "会议纪要"),
    ("incoming", "收文"),
    ("outgoing", "发文"),
    ("statement", "发言记录"),
    ("ballot", "表决记录"),
    ("attendance", "出席登记"),
    ("notice", "会议通知"),
    ("trail", "办理记录"),
    ("written_opinion", "书面意见"),
    ("archive_item", "档案"),
    ("ballot_participation", "投票记录"),
    ("secret_tally", "无记名计票"),
    ("change_request", "修改申请"),
    ("outgoing_review", "审核记录"),
    ("splitting_flag", "拆分规避提示"),
];

#[component]
fn ComplianceEntry(entry: Value, only_red: RwSignal<bool>, reload: Callback<Value>) -> impl IntoView {
    let session = use_session();
    let red = is_red(&entry);
    let worst = entry.first(&["status", "worst"]);
    let is_flag = entry.get("payee").is_some();
    let title = if is_flag {
        format!("{} · {}", entry.first(&["section_name", "section_id"]), entry.s("payee"))
    } else {
        entry.first(&["title", "name", "label", "id"])
    };
    let href = {
        let ty = entry.first(&["object_type", "type", "kind"]);
        let id = entry.first(&["object_id", "meeting_id", "proposal_id", "id"]);
        (!ty.is_empty() && !id.is_empty()).then(|| crate::router::object_href(&ty, &id)).filter(|h| h != "/")
    };
    let total = entry.opt("total").unwrap_or_else(|| entry.num("total_fen").map(|f| format!("{:.2}", f / 100.0)).unwrap_or_default());
    let sub_items: Vec<Value> = entry.arr("items").into_iter().filter(|i| i.get("checks").is_some()).collect();
    let flag_items = if is_flag { entry.arr("items") } else { Vec::new() };
    view! {
        <div class="item" class:hidden=move || only_red.get() && !red && !is_flag>
            <div class="item-head">
                <h3>{match href {
                    Some(h) => view! { <a href=h>{title.clone()}</a> }.into_any(),
                    None => view! { <span>{title.clone()}</span> }.into_any(),
                }}</h3>
                {status_badge(&worst)}
            </div>
            {is_flag.then(|| {
                let acknowledged = entry.s("state") == "acknowledged";
                // S03: the principal or an inspector looks into the flag and records what was found.
                let may_ack = !acknowledged && session.has_any(&["principal", "inspector"]);
                let ack_path = format!("/units/{}/splitting-flags/{}/acknowledge", session.unit_id(), entry.s("id"));
                view! {
                    <p>{format!("合计 {}（各笔均低于集体决策标准，但合计达到或超过标准）", fmt_money(&total))}</p>
                    <ul>
                        {flag_items.iter().map(|i| {
                            let rest = format!(" {} {}", fmt_money(&i.first(&["amount"])), fmt_time(&i.first(&["at", "created_at"])));
                            match i.opt("link") {
                                Some(l) => view! { <li><a href=app_link(&l)>{i.s("title")}</a>{rest}</li> }.into_any(),
                                None => view! { <li>{i.s("title")}{rest}</li> }.into_any(),
                            }
                        }).collect_view()}
                    </ul>
                    {acknowledged.then(|| view! {
                        <p class="notice info small">
                            {format!("已知悉：{} {}", entry.s("acknowledged_by_name"), fmt_time(&entry.s("acknowledged_at")))}
                            {entry.opt("note").map(|n| view! { <br/>{format!("核查说明：{n}")} })}
                        </p>
                    })}
                    {may_ack.then(|| view! {
                        <crate::actions::TextAction title="核查并确认知悉" path=ack_path key="note" label="核查说明（查明的情况）" button="确认知悉"
                            confirm_text="确认后该预警从待办中移除（新的支出会重新提示）。确定提交？" on_done=reload/>
                    })}
                }
            })}
            {check_rows(entry.arr("checks"), only_red)}
            {sub_items.into_iter().map(|i| {
                let red = is_red(&i);
                let href = crate::router::object_href("proposal", &i.first(&["proposal_id", "object_id"]));
                view! {
                    <div class="sub-item" class:hidden=move || only_red.get() && !red>
                        <div class="item-head">
                            <h4><a href=href>{i.s("title")}</a></h4>
                            {status_badge(&i.s("status"))}
                        </div>
                        {check_rows(i.arr("checks"), only_red)}
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
pub fn Audit() -> impl IntoView {
    let session = use_session();
    let is_auditor = session.has("auditor");
    let unit = RwSignal::new(if is_auditor { String::new() } else { session.unit_id() });
    let object = RwSignal::new(String::new());
    let actor = RwSignal::new(String::new());
    let filters = RwSignal::new((unit.get_untracked(), String::new(), String::new()));
    let entries = RwSignal::new(Vec::<Value>::new());
    // People to choose by name: the unit directory (name and section) and everyone seen
    // acting in the log so far (the auditor has no unit directory). The filter sends the id.
    let seen = RwSignal::new(Vec::<(String, String)>::new());
    let people = Signal::derive(move || {
        let mut v: Vec<(String, String)> = session.members.with(|ms| {
            ms.iter()
                .map(|m| {
                    let name = m.first(&["display_name", "name", "username"]);
                    let sec = m.s("section_id");
                    let label = if sec.is_empty() { name } else { format!("{name}（{}）", session.section_name(&sec)) };
                    (m.first(&["user_id", "id"]), label)
                })
                .collect()
        });
        seen.with(|s| {
            for p in s {
                if !v.iter().any(|(id, _)| *id == p.0) {
                    v.push(p.clone());
                }
            }
        });
        v
    });
    let cursor = RwSignal::new(None::<String>);
    let load = Submit::new();
    let fetch = move |append: bool| {
        let (u, o, a) = filters.get_untracked();
        let mut q = Vec::new();
        for (k, v) in [("unit", u), ("object", o), ("actor", a)] {
            if !v.is_empty() {
                q.push(format!("{k}={}", api::enc(&v)));
            }
        }
        if append
            && let Some(c) = cursor.get_untracked() {
                q.push(format!("cursor={}", api::enc(&c)));
            }
        let path = format!("/audit{}", if q.is_empty() { String::new() } else { format!("?{}", q.join("&")) });
        load.run(async move { api::get(&path).await }, move |v| {
            let list = items(&v);
            seen.update(|s| {
                for e in &list {
                    let id = e.s("actor_id");
                    if !id.is_empty() && !s.iter().any(|(i, _)| *i == id) {
                        let name = e.opt("actor_name").unwrap_or_else(|| session.name_of(&id));
                        s.push((id, name));
                    }
                }
            });
            entries.update(|e| {
                if !append {
                    e.clear();
                }
                e.extend(list)
            });
            cursor.set(v.opt("next_cursor"));
        });
    };
    fetch(false);
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A chosen name (or name with section) stands for its id; anything else is sent as typed.
        let a = actor.get_untracked().trim().to_string();
        let a = people.with_untracked(|p| p.iter().find(|(_, l)| *l == a).map(|(id, _)| id.clone())).unwrap_or(a);
        filters.set((unit.get_untracked().trim().to_string(), object.get_untracked().trim().to_string(), a));
        fetch(false);
    };
    let verify = Submit::new();
    let report = RwSignal::new(None::<Value>);
    let run_verify = move |_| verify.run(async move { api::get("/audit/verify").await }, move |v| report.set(Some(v)));
    let units = move || session.me.with(|m| m.as_ref().map(|m| m.units.iter().map(|u| (u.unit_id.clone(), u.unit_name.clone())).collect::<Vec<_>>()).unwrap_or_default());
    view! {
        <PageHeader title="审计日志">
            {is_auditor.then(|| view! { <button class="btn" type="button" on:click=run_verify disabled=verify.busy()>"校验哈希链"</button> })}
        </PageHeader>
        <ErrorNote submit=verify/>
        {move || report.get().map(|r| {
            let ok = r.b("ok");
            view! {
                <p class=if ok { "notice info" } else { "notice bad" } role="status">
                    {if ok {
                        format!("审计日志完整：共 {} 条，哈希链校验通过。", r.s("entries"))
                    } else {
                        let bad = r.get("first_bad").cloned().unwrap_or(Value::Null);
                        format!("审计日志校验失败：第 {} 条 {}", bad.s("seq"), bad.s("reason"))
                    }}
                </p>
            }
        })}
        <form class="filters" on:submit=search role="search">
            <Field label="单位">
                <select on:change=move |ev| unit.set(event_target_value(&ev)) prop:value=move || unit.get()>
                    {is_auditor.then(|| view! { <option value="">"全部单位"</option> })}
                    {units().into_iter().map(|(id, name)| view! { <option value=id.clone()>{name}</option> }).collect_view()}
                </select>
            </Field>
            <Field label="对象编号"><input type="search" bind:value=object/></Field>
            <Field label="操作人"><input type="search" list="audit-people" placeholder="姓名（可选）或人员编号" bind:value=actor/></Field>
            // Plain markup rather than a view per option: far less code in the wasm.
            <datalist id="audit-people" inner_html=move || {
                people.get().iter().map(|(_, l)| format!("<option value=\"{}\">", l.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;"))).collect::<String>()
            }></datalist>
            <button class="btn" type="submit">"查询"</button>
        </form>
        <ErrorNote submit=load/>
        {move || {
            let list = entries.get();
            if list.is_empty() && !load.pending.get() {
                return view! { <Empty text="没有符合条件的审计记录。"/> }.into_any();
            }
            view! {
                <div class="card table-wrap">
                    <table class="wide">
                        <thead><tr><th>"序号"</th><th>"时间"</th><th>"操作人"</th><th>"操作"</th><th>"对象"</th><th>"变更"</th><th>"来源地址"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|e| {
                                // Names where known (the server's `actor_name`, or the unit directory); else the id.
                                let actor_id = e.s("actor_id");
                                let actor = if actor_id.is_empty() { "系统".to_string() } else { e.opt("actor_name").unwrap_or_else(|| session.name_of(&actor_id)) };
                                let actor_is_id = actor == actor_id;
                                let behalf = e.opt("on_behalf_of_name").or_else(|| e.opt("on_behalf_of").map(|b| session.name_of(&b))).map(|b| format!("（代 {b}）"));
                                let change = change_text(&e, &e.s("object_type"));
                                view! {
                                    <tr>
                                        <td class="mono">{e.s("seq")}</td>
                                        <td class="small nowrap">{fmt_time(&e.s("at"))}</td>
                                        <td class="nowrap" class:mono=actor_is_id class:small=actor_is_id>{actor}{behalf}</td>
                                        <td>{labels::action(&e.s("action")).to_string()}</td>
                                        <td class="small">{labels::lookup(labels::OBJECT_TYPES, &e.s("object_type")).to_string()}<div class="mono muted">{e.s("object_id")}</div></td>
                                        <td class="small">{change}</td>
                                        <td class="mono small nowrap">{e.s("client_addr")}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                {move || cursor.get().is_some().then(|| view! {
                    <p class="more"><button class="btn" type="button" on:click=move |_| fetch(true) disabled=load.busy()>"加载更多"</button></p>
                })}
            }.into_any()
        }}
    }
}

fn change_text(e: &Value, object_type: &str) -> String {
    let state = |v: Option<&Value>| v.map(|v| v.s("state")).filter(|s| !s.is_empty()).map(|s| labels::state(object_type, &s).to_string()).unwrap_or_default();
    let (from, to) = (state(e.get("before")), state(e.get("after")));
    let note = e.get("after").map(|a| a.s("note")).unwrap_or_default();
    let mut out = String::new();
    if !from.is_empty() || !to.is_empty() {
        out = format!("{} → {}", if from.is_empty() { "—" } else { &from }, if to.is_empty() { "—" } else { &to });
    }
    if !note.is_empty() {
        out = format!("{out} {note}");
    }
    out
}
