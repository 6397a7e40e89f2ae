//! After the meeting: minutes (draft, revisions, approval with serial, PDF; R15), internal
//! publication (staff portal, opinions, clerk summary, principal resolution; R16, R17, S01),
//! the disclosure catalogue (S01) and the archive with package export (R18).
//!
//! Fields read: minutes {id, meeting_id, meeting_title, state, serial, version, body,
//! versions, items, publication_id}; publication {id, minutes_id, title, serial, open,
//! closes_at, body, items, summary, resolution}; disclosure and archive list items
//! {id, title, kind, category, outcome, decided_on|archived_at, amount}.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::actions::{ActionButton, ChoiceAction, TextAction};
use crate::api;
use crate::components::*;
use crate::labels::{self, CATEGORIES, OUTCOMES, RESOLUTIONS};
use crate::router::use_router;
use crate::session::use_session;
use crate::util::{J, fmt_money, fmt_time, items};

#[component]
pub fn MinutesPage(id: String) -> impl IntoView {
    let res = {
        let id = id.clone();
        LocalResource::new(move || {
            let id = id.clone();
            async move { api::get(&format!("/minutes/{id}")).await }
        })
    };
    crate::session::refetch_on_event(use_session(), id.clone(), res);
    let reload = Callback::new(move |_: Value| res.refetch());
    view! { {show(res, move |m: Value| view! { <MinutesView m=m reload=reload/> })} }
}

#[component]
fn MinutesView(m: Value, reload: Callback<Value>) -> impl IntoView {
    let session = use_session();
    let router = use_router();
    let id = m.s("id");
    let state = m.s("state");
    let serial = m.first(&["serial", "serial_of_minutes"]);
    let draft = state == "draft";
    let approved = state == "approved";
    let publication = m.opt("publication_id");
    let can_approve = allowed(&m, "approve", session.has("principal") && draft);
    let can_revise = allowed(&m, "revise", session.has("clerk"));
    let can_publish = allowed(&m, "publish", session.has("clerk") && approved && publication.is_none());

    // The clerk edits the narrative only (导语, each item's summary, 结束语); decisions,
    // tallies and reasons come from the meeting record and cannot be edited (R15).
    let body = m.get("body").cloned().unwrap_or(Value::Null);
    let opening = RwSignal::new(body.s("opening"));
    let closing = RwSignal::new(body.s("closing"));
    let item_rows: Vec<(String, String, RwSignal<String>)> = m
        .arr("items")
        .iter()
        .map(|i| (i.s("proposal_id"), i.s("title"), RwSignal::new(i.s("summary"))))
        .collect();
    let reason = RwSignal::new(String::new());
    let revise_submit = Submit::new();
    let revise_path = format!("/minutes/{id}/revisions");
    let rows_for_save = item_rows.clone();
    let revise = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if reason.get_untracked().trim().is_empty() {
            revise_submit.fail("请写明修订理由。");
            return;
        }
        let items: Vec<Value> = rows_for_save
            .iter()
            .map(|(pid, _, summary)| json!({ "proposal_id": pid, "summary": summary.get_untracked() }))
            .collect();
        let b = json!({
            "body": { "opening": opening.get_untracked(), "closing": closing.get_untracked(), "items": items },
            "reason": reason.get_untracked().trim(),
        });
        let path = revise_path.clone();
        revise_submit.post(&path, b, move |v| {
            reason.set(String::new());
            let new_id = v.s("id");
            if new_id.is_empty() { reload.run(v) } else { router.go(&format!("/minutes/{new_id}")) }
        });
    };

    // Items that may be withheld from publication (不公开为例外, R16).
    let withheld: Vec<(String, String, RwSignal<bool>, RwSignal<String>)> = m
        .arr("items")
        .iter()
        .map(|i| (i.s("proposal_id"), i.s("title"), RwSignal::new(i.b("confidential")), RwSignal::new(String::new())))
        .collect();
    let publish_submit = Submit::new();
    let publish_path = format!("/minutes/{id}/publication");
    let withheld2 = withheld.clone();
    let publish = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut list = Vec::new();
        for (pid, title, on, why) in &withheld2 {
            if on.get_untracked() {
                if why.get_untracked().trim().is_empty() {
                    publish_submit.fail(&format!("“{title}”不公开，须写明理由。"));
                    return;
                }
                list.push(json!({ "proposal_id": pid, "reason": why.get_untracked().trim() }));
            }
        }
        let path = publish_path.clone();
        let b = json!({ "withheld": list });
        confirm("发布公示", "纪要将在机关内部公示，全体干部职工可查阅并提出意见（R16）。确定发布？", "发布", move || {
            let path = path.clone();
            let b = b.clone();
            publish_submit.post(&path, b, move |v| {
                let pubid = v.s("id");
                if pubid.is_empty() { reload.run(v) } else { router.go(&format!("/publications/{pubid}")) }
            });
        });
    };

    let versions = m.arr("versions");
    let facts = vec![
        ("会议", m.first(&["meeting_title", "title"])),
        ("纪要期号", serial.clone()),
        ("版本", format!("第 {} 版", m.first(&["version_no", "version"]))),
        ("批准时间", fmt_time(&m.s("approved_at"))),
        ("修订理由", m.s("revision_reason")),
    ];
    let meeting_href = m.opt("meeting_id").map(|mid| format!("/meetings/{mid}"));
    let pdf = api::url(&format!("/minutes/{id}/pdf"));
    let approve_path = format!("/minutes/{id}/approve");
    let text = m.first(&["text"]);
    let current = id.clone();
    view! {
        <PageHeader title=if serial.is_empty() { "会议纪要".to_string() } else { format!("会议纪要 {serial}") }>
            <StateBadge object_type="minutes" state=state.clone()/>
            <a class="btn" href=pdf target="_blank" rel="noopener">"查看 PDF"</a>
        </PageHeader>
        <div class="grid2 detail">
            <div>
                <Card title="概况">
                    <Facts rows=facts/>
                    {meeting_href.map(|h| view! { <p><a href=h>"返回会议"</a></p> })}
                </Card>
                <Card title="纪要正文">
                    {if text.trim().is_empty() { view! { <p class="muted">"（无正文）"</p> }.into_any() } else { view! { <div class="pre">{text}</div> }.into_any() }}
                </Card>
                {(!versions.is_empty()).then(|| view! {
                    <Card title="历次版本">
                        <ul class="statements">
                            {versions.iter().map(|v| {
                                let vid = v.s("id");
                                let label = format!("第 {} 版", v.first(&["version_no", "version"]));
                                view! {
                                    <li>
                                        {if vid == current || vid.is_empty() {
                                            view! { <strong>{label}</strong> }.into_any()
                                        } else {
                                            view! { <a href=format!("/minutes/{vid}")>{label}</a> }.into_any()
                                        }}" "
                                        <StateBadge object_type="minutes" state=v.s("state")/>" "
                                        <span class="muted small">{v.s("serial")}" "{fmt_time(&v.first(&["approved_at", "created_at"]))}</span>
                                        {v.opt("revision_reason").map(|r| view! { <p class="small">{format!("修订理由：{r}")}</p> })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </Card>
                })}
            </div>
            <div>
                <Card title="办理" act=true>
                    {can_approve.then(|| view! {
                        <div class="inline-form">
                            <h3>"批准纪要（主要领导）"</h3>
                            <p class="muted small">"批准后编发期号，纪要不可再改；更正须另行修订并重新批准（R15）。"</p>
                            <ActionButton label="批准纪要" primary=true path=approve_path confirm_text="批准后纪要不可修改。确定批准？" on_done=reload/>
                        </div>
                    })}
                    {can_publish.then(|| view! {
                        <form class="inline-form" on:submit=publish>
                            <h3>"机关内部公示"</h3>
                            <p class="muted small">"勾选不公开的议题并写明理由；其余内容向全体干部职工公示。"</p>
                            {withheld.iter().map(|(_, title, on, why)| {
                                let (on, why) = (*on, *why);
                                view! {
                                    <fieldset>
                                        <label class="check"><input type="checkbox" bind:checked=on/>{format!("不公开：{title}")}</label>
                                        {move || on.get().then(|| view! {
                                            <Field label="不公开理由"><input type="text" bind:value=why/></Field>
                                        })}
                                    </fieldset>
                                }
                            }).collect_view()}
                            <ErrorNote submit=publish_submit/>
                            <button class="btn primary" type="submit" disabled=publish_submit.busy()>"发布公示"</button>
                        </form>
                    })}
                    {publication.map(|p| view! { <p><a class="btn" href=format!("/publications/{p}")>"查看公示"</a></p> })}
                    {can_revise.then(|| view! {
                        <form class="inline-form" on:submit=revise>
                            <h3>{if approved { "修订纪要（形成新版本，须重新批准）" } else { "修改纪要草稿（形成新版本）" }}</h3>
                            <Field label="导语"><textarea rows="3" bind:value=opening></textarea></Field>
                            {item_rows.iter().map(|(_, title, summary)| {
                                let summary = *summary;
                                view! {
                                    <Field label=format!("议题：{title}") hint="决定内容和表决结果以会议记录为准，不能修改">
                                        <textarea rows="3" bind:value=summary></textarea>
                                    </Field>
                                }
                            }).collect_view()}
                            <Field label="结束语"><textarea rows="2" bind:value=closing></textarea></Field>
                            <Field label="修订理由"><input type="text" bind:value=reason/></Field>
                            <ErrorNote submit=revise_submit/>
                            <button class="btn" type="submit" disabled=revise_submit.busy()>"保存为新版本"</button>
                        </form>
                    })}
                    {(!(can_approve || can_publish || can_revise)).then(|| view! { <p class="muted">"当前没有需要您办理的事项。"</p> })}
                </Card>
            </div>
        </div>
    }
}

#[component]
pub fn PublicationList() -> impl IntoView {
    let session = use_session();
    let list = LocalResource::new(move || {
        let unit = session.unit_id();
        async move {
            let mut list = items(&api::get(&format!("/units/{unit}/publications")).await?);
            // Open publications first (S01), then newest.
            list.sort_by(|a, b| is_open(b).cmp(&is_open(a)).then_with(|| b.s("closes_at").cmp(&a.s("closes_at"))));
            Ok(list)
        }
    });
    view! {
        <PageHeader title="机关内部公示"/>
        <p class="muted">"会议纪要在机关内部公示期间，干部职工可实名提出意见；意见仅办公室、主要领导和纪检监察可见。"</p>
        {show(list, |list: Vec<Value>| {
            if list.is_empty() {
                return view! { <Empty text="暂无公示。"/> }.into_any();
            }
            view! {
                <ul class="list">
                    {list.into_iter().map(|p| {
                        let open = is_open(&p);
                        view! {
                            <li class="list-item">
                                <div class="list-main">
                                    <a class="title" href=format!("/publications/{}", p.s("id"))>{p.first(&["title", "meeting_title", "serial"])}</a>
                                    <div class="meta">
                                        {if open { view! { <Badge text="公示中" tone="good"/> } } else { view! { <Badge text="已结束" tone="plain"/> } }}
                                        <span class="muted">{p.s("serial")}</span>
                                    </div>
                                </div>
                                <span class="small muted">{format!("截止 {}", fmt_time(&p.s("closes_at")))}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}

fn is_open(p: &Value) -> bool {
    p.get("open").and_then(Value::as_bool).unwrap_or_else(|| p.s("state") == "open")
}

#[component]
pub fn PublicationPage(id: String) -> impl IntoView {
    let res = {
        let id = id.clone();
        LocalResource::new(move || {
            let id = id.clone();
            async move { api::get(&format!("/publications/{id}")).await }
        })
    };
    crate::session::refetch_on_event(use_session(), id.clone(), res);
    let reload = Callback::new(move |_: Value| res.refetch());
    // Kept outside the view so the confirmation survives the reload after submitting.
    let sent = RwSignal::new(false);
    view! { {show(res, move |p: Value| view! { <PublicationView p=p reload=reload sent=sent/> })} }
}

#[component]
fn PublicationView(p: Value, reload: Callback<Value>, sent: RwSignal<bool>) -> impl IntoView {
    let session = use_session();
    let id = p.s("id");
    let open = is_open(&p);
    let summary = p.opt("summary").or_else(|| p.get("summary").map(|s| s.s("text")).filter(|s| !s.is_empty()));
    let resolution = p.get("resolution").cloned().filter(|r| !r.is_null());
    let is_clerk = session.has("clerk");
    let is_principal = session.has("principal");
    let reads_opinions = is_clerk || is_principal || session.has("inspector");
    // The minutes behind the publication (the clerk revises them after an "adjust", R17).
    let adjust_pending = is_clerk && resolution.as_ref().is_some_and(|r| r.s("decision") == "adjust");
    let minutes_href = p.opt("minutes_id").filter(|_| reads_opinions).map(|m| format!("/minutes/{m}"));
    let can_comment = allowed(&p, "opinion", open);
    let can_summary = allowed(&p, "summary", is_clerk && !open && summary.is_none());
    let can_resolve = allowed(&p, "resolution", is_principal && !open && summary.is_some() && resolution.is_none());

    let opinions = {
        let id = id.clone();
        LocalResource::new(move || {
            let id = id.clone();
            async move {
                if reads_opinions { api::get(&format!("/publications/{id}/opinions")).await.map(|v| items(&v)) } else { Ok(Vec::new()) }
            }
        })
    };
    let reload_all = Callback::new(move |v: Value| {
        opinions.refetch();
        reload.run(v)
    });
    let body = p.first(&["text"]);
    let published_items = if body.trim().is_empty() { p.arr("items") } else { Vec::new() };
    let mine = p.arr("my_opinions");
    let withheld = p.num("withheld_count").map(|n| n as i64).unwrap_or(0);
    let opinion_path = format!("/publications/{id}/opinions");
    let summary_path = format!("/publications/{id}/summary");
    let resolution_path = format!("/publications/{id}/resolution");
    view! {
        <PageHeader title=p.first(&["title", "meeting_title", "serial"])>
            {if open { view! { <Badge text="公示中" tone="good"/> } } else { view! { <Badge text="公示已结束" tone="plain"/> } }}
        </PageHeader>
        <div class="grid2 detail">
            <div>
                <Card title="公示内容">
                    <Facts rows=vec![
                        ("纪要期号", p.s("serial")),
                        ("公示开始", fmt_time(&p.first(&["opened_at", "opens_at", "published_at"]))),
                        ("公示截止", fmt_time(&p.s("closes_at"))),
                    ]/>
                    {(!body.trim().is_empty()).then(|| view! { <div class="pre">{body.clone()}</div> })}
                    {published_items.iter().map(|i| view! {
                        <div class="item">
                            <h3>{i.s("title")}</h3>
                            {i.opt("outcome").map(|o| view! { <Badge text=labels::lookup(OUTCOMES, &o).to_string() tone="info"/> })}
                            <p class="pre">{i.first(&["decision_text", "text", "decision"])}</p>
                        </div>
                    }).collect_view()}
                    {(withheld > 0).then(|| view! { <p class="muted small">{format!("另有 {withheld} 项依规不予公开。")}</p> })}
                </Card>
                {(!mine.is_empty()).then(|| view! {
                    <Card title="我提出的意见">
                        <ul class="statements">
                            {mine.iter().map(|o| view! { <li><span class="muted small">{fmt_time(&o.s("created_at"))}</span><p class="pre">{o.s("text")}</p></li> }).collect_view()}
                        </ul>
                    </Card>
                })}
                {reads_opinions.then(|| view! {
                    <Card title="收到的意见">
                        {show(opinions, move |list: Vec<Value>| {
                            if list.is_empty() {
                                return view! { <p class="muted">"暂未收到意见。"</p> }.into_any();
                            }
                            view! {
                                <ul class="statements">
                                    {list.iter().map(|o| view! {
                                        <li>
                                            <strong>{o.opt("author_name").unwrap_or_else(|| session.name_of(&o.first(&["author_id", "user_id"])))}</strong>" "
                                            <span class="muted small">{fmt_time(&o.first(&["at", "created_at"]))}</span>
                                            <p class="pre">{o.s("text")}</p>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        })}
                    </Card>
                })}
            </div>
            <div>
                <Card title="办理" act=true>
                    {summary.clone().map(|s| view! { <div class="notice info"><strong>"意见汇总："</strong><p class="pre">{s}</p></div> })}
                    {resolution.map(|r| {
                        let adjust = r.s("decision") == "adjust";
                        view! {
                            <div class="notice info">
                                <strong>{format!("主要领导决定：{}", labels::lookup(RESOLUTIONS, &r.s("decision")))}</strong>
                                <p>{r.s("note")}</p>
                                {(adjust && is_clerk).then(|| view! {
                                    <p class="small">"请据此修订纪要（形成新版本），经主要领导审定后重新公示（R17）。"</p>
                                })}
                            </div>
                        }
                    })}
                    {minutes_href.map(|h| view! { <p><a class="btn" href=h>{if adjust_pending { "修订纪要" } else { "查看纪要" }}</a></p> })}
                    {can_comment.then(|| view! {
                        {move || sent.get().then(|| view! { <p class="success" role="status">"意见已提交，感谢您的参与。"</p> })}
                        <TextAction title="提出意见" path=opinion_path.clone() key="text" label="意见（实名，仅办公室、主要领导和纪检监察可见）"
                            button="提交意见" on_done=Callback::new(move |v: Value| { sent.set(true); reload_all.run(v) })/>
                    })}
                    {can_summary.then(|| view! {
                        <TextAction title="汇总公示意见（办公室）" path=summary_path.clone() key="text" label="意见汇总（没有意见时也须填写，如“公示期间未收到意见”）"
                            confirm_text="汇总提交后由主要领导作出决定。确定提交？" on_done=reload_all/>
                    })}
                    {can_resolve.then(|| view! {
                        <ChoiceAction title="公示后决定（主要领导）" path=resolution_path.clone() choice_key="decision" choice_label="决定"
                            options=RESOLUTIONS text_key="note" text_label="说明" text_optional_for=&["confirm"] on_done=reload_all/>
                    })}
                    {(!(can_comment || can_summary || can_resolve)).then(|| view! {
                        <p class="muted">{if open { "公示期间可查阅。" } else { "公示已结束。" }}</p>
                    })}
                </Card>
            </div>
        </div>
    }
}

#[component]
pub fn Disclosures() -> impl IntoView {
    let session = use_session();
    let list = LocalResource::new(move || {
        let unit = session.unit_id();
        async move { api::get(&format!("/units/{unit}/disclosures")).await.map(|v| items(&v)) }
    });
    view! {
        <PageHeader title="对内公开目录"/>
        <p class="muted">"经公示确认的重大决策、干部任免和大额资金使用事项。"</p>
        {show(list, |list: Vec<Value>| {
            if list.is_empty() {
                return view! { <Empty text="暂无公开事项。"/> }.into_any();
            }
            view! {
                <div class="card table-wrap">
                    <table class="stack-sm compact">
                        <thead><tr><th>"事项"</th><th>"类别"</th><th>"决定"</th><th>"金额"</th><th>"日期"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|d| view! {
                                <tr>
                                    <td>{d.s("title")}{d.opt("serial").map(|s| view! { <div class="muted small">{s}</div> })}
                                        {d.opt("decision").map(|t| view! { <div class="small">{t}</div> })}</td>
                                    <td data-label="类别">{labels::lookup(CATEGORIES, &d.s("category")).to_string()}</td>
                                    <td data-label="决定">{labels::lookup(OUTCOMES, &d.s("outcome")).to_string()}</td>
                                    <td data-label="金额" class="nowrap">{fmt_money(&d.s("amount"))}</td>
                                    <td data-label="日期" class="nowrap">{fmt_time(&d.first(&["confirmed_at", "decided_on", "date"])).chars().take(10).collect::<String>()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        })}
    }
}

const ARCHIVE_KINDS: labels::Options = &[("proposal", "三重一大决策"), ("outgoing", "发文"), ("incoming", "收文")];

#[component]
pub fn ArchivePage() -> impl IntoView {
    let session = use_session();
    let kind = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let query = RwSignal::new((String::new(), String::new()));
    let list = LocalResource::new(move || {
        let unit = session.unit_id();
        let (k, text) = query.get();
        async move {
            let mut params = Vec::new();
            if !k.is_empty() {
                params.push(format!("kind={}", api::enc(&k)));
            }
            if !text.is_empty() {
                params.push(format!("q={}", api::enc(&text)));
            }
            let qs = if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
            api::get(&format!("/units/{unit}/archive{qs}")).await.map(|v| items(&v))
        }
    });
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        query.set((kind.get_untracked(), q.get_untracked().trim().to_string()));
    };
    // Archived deliberations stay readable for the principal, the office and inspectors; the
    // other members' access ended with the meeting (R07), so no link for them. Packages are
    // exported by the principal and the office (R18).
    let sees_deliberations = session.has_any(&["principal", "clerk", "office_director", "inspector"]);
    let exports = session.has_any(&["principal", "clerk"]);
    view! {
        <PageHeader title="档案"/>
        <p class="muted">"归档记录永久保存，任何人（含系统管理员）均不能修改（R18）。"</p>
        <form class="filters" on:submit=search role="search">
            <Field label="类型"><Choice options=ARCHIVE_KINDS value=kind placeholder="全部"/></Field>
            <Field label="关键词"><input type="search" bind:value=q/></Field>
            <button class="btn" type="submit">"查询"</button>
        </form>
        {show(list, move |list: Vec<Value>| {
            if list.is_empty() {
                return view! { <Empty text="没有符合条件的档案。"/> }.into_any();
            }
            view! {
                <ul class="list">
                    {list.into_iter().map(|a| {
                        let kind = a.first(&["kind", "object_type"]);
                        let object_id = a.first(&["object_id"]);
                        let href = (!object_id.is_empty() && (sees_deliberations || kind != "proposal"))
                            .then(|| crate::router::object_href(&kind, &object_id));
                        view! {
                            <li class="list-item">
                                <div class="list-main">
                                    {match href {
                                        Some(h) => view! { <a class="title" href=h>{a.s("title")}</a> }.into_any(),
                                        None => view! { <span class="title">{a.s("title")}</span> }.into_any(),
                                    }}
                                    <div class="meta">
                                        <Badge text=labels::lookup(ARCHIVE_KINDS, &kind).to_string()/>
                                        <span class="muted">{fmt_time(&a.first(&["archived_at", "created_at"]))}</span>
                                    </div>
                                </div>
                                {exports.then(|| view! {
                                    <a class="btn small" href=api::url(&format!("/archive/{}/package", a.s("id"))) download="">"导出档案包"</a>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}
