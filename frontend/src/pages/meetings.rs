//! Meetings: scheduling with an agenda of ready proposals (R06), the meeting page
//! (attendance and quorum R08, statements R10/R12, path choice R11/R12, live ballot
//! count, closing the vote and the decision R13), and the member's ballot page (R09–R11).
//!
//! Fields read from the server's meeting object: id, type, title, starts_at, location,
//! state, notice_sent_at, urgency_reason, agenda (ids or objects), attendance
//! [{user_id, status, reason, observer}], observers, quorum, items [{proposal_id, title,
//! category, state, path, mode, statements, recused, ballots_cast, eligible, voted,
//! my_ballot, tally, majority, decision}], written_opinions, minutes_id.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::actions::ActionButton;
use crate::api;
use crate::components::*;
use crate::labels::{self, ATTENDANCE, CATEGORIES, CHOICES, MEETING_TYPES, OUTCOMES, PATHS, SPEAKER_ROLES, STANCES};
use crate::router::use_router;
use crate::session::{Session, use_session};
use crate::util::{self, J, fmt_time, items};

#[component]
pub fn MeetingList() -> impl IntoView {
    let session = use_session();
    let list = LocalResource::new(move || {
        let unit = session.unit_id();
        async move { api::get(&format!("/units/{unit}/meetings")).await.map(|v| items(&v)) }
    });
    view! {
        <PageHeader title="会议">
            {session.has("clerk").then(|| view! { <a class="btn primary" href="/meetings/new">"安排会议"</a> })}
        </PageHeader>
        {show(list, |list: Vec<Value>| {
            if list.is_empty() {
                return view! { <Empty text="暂无会议。"/> }.into_any();
            }
            view! {
                <ul class="list">
                    {list.into_iter().map(|m| view! {
                        <li class="list-item">
                            <div class="list-main">
                                <a class="title" href=format!("/meetings/{}", m.s("id"))>{m.s("title")}</a>
                                <div class="meta">
                                    <StateBadge object_type="meeting" state=m.s("state")/>
                                    <span class="muted">{labels::lookup(MEETING_TYPES, &m.s("type")).to_string()}</span>
                                    <span class="muted">{m.s("location")}</span>
                                </div>
                            </div>
                            <span class="small">{fmt_time(&m.s("starts_at"))}</span>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}

#[component]
pub fn MeetingForm() -> impl IntoView {
    let session = use_session();
    let router = use_router();
    let kind = RwSignal::new("party_group".to_string());
    let title = RwSignal::new(String::new());
    let starts = RwSignal::new(String::new());
    let location = RwSignal::new(String::new());
    let agenda = RwSignal::new(Vec::<String>::new());
    let attendees = RwSignal::new(Vec::<String>::new());
    let submit = Submit::new();
    let ready = LocalResource::new(move || {
        let unit = session.unit_id();
        async move { api::get(&format!("/units/{unit}/proposals?state=ready")).await.map(|v| items(&v)) }
    });
    let ready_options = Signal::derive(move || {
        ready
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .iter()
            .map(|p| (p.s("id"), format!("{}（{}）", p.s("title"), labels::lookup(CATEGORIES, &p.s("category")))))
            .collect::<Vec<_>>()
    });
    let people = Signal::derive(move || session.people_with(&[]));
    // Members who should attend (应到会成员) are preselected.
    Effect::new(move |_| {
        let members: Vec<String> = session.people_with(&["principal", "deputy", "member"]).into_iter().map(|(id, _)| id).collect();
        if attendees.with_untracked(Vec::is_empty) && !members.is_empty() {
            attendees.set(members);
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(starts_at) = util::local_input_to_utc(&starts.get_untracked()) else {
            submit.fail("请填写会议开始时间。");
            return;
        };
        if title.get_untracked().trim().is_empty() || location.get_untracked().trim().is_empty() {
            submit.fail("请填写会议名称和地点。");
            return;
        }
        if agenda.with_untracked(Vec::is_empty) {
            submit.fail("请至少选择一个议题列入议程。");
            return;
        }
        let body = json!({
            "type": kind.get_untracked(),
            "title": title.get_untracked().trim(),
            "starts_at": starts_at,
            "location": location.get_untracked().trim(),
            "agenda": agenda.get_untracked(),
            "attendees": attendees.get_untracked(),
        });
        let unit = session.unit_id();
        submit.post(&format!("/units/{unit}/meetings"), body, move |v| {
            router.go(&format!("/meetings/{}", v.s("id")))
        });
    };
    view! {
        <PageHeader title="安排会议"/>
        <form class="stack" on:submit=save>
            <Card title="会议信息">
                <div class="cols">
                    <Field label="会议类型"><Choice options=MEETING_TYPES value=kind/></Field>
                    <Field label="开始时间（北京时间）" hint="通知须至少提前一个工作日发出（R06）">
                        <input type="datetime-local" required bind:value=starts/>
                    </Field>
                </div>
                <Field label="会议名称"><input type="text" required placeholder="例如：2026年第5次党组会议" bind:value=title/></Field>
                <Field label="地点"><input type="text" required bind:value=location/></Field>
            </Card>
            <Card title="议程（待上会的议题，逐项研究）">
                {move || match ready.get() {
                    None => view! { <Loading/> }.into_any(),
                    Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! { <Empty text="暂无待上会的议题。"/> }.into_any(),
                    Some(Ok(_)) => view! { <PickMany options=ready_options value=agenda/> }.into_any(),
                }}
            </Card>
            <Card title="参会人员">
                <p class="muted small">"已预选班子成员（应到会成员）。列席人员可在会议页面添加。"</p>
                <PickMany options=people value=attendees/>
            </Card>
            <ErrorNote submit=submit/>
            <div class="row">
                <button class="btn primary" type="submit" disabled=submit.busy()>"保存会议安排"</button>
                <a class="btn" href="/meetings">"取消"</a>
            </div>
        </form>
    }
}

/// One attendee row as the page uses it.
#[derive(Clone)]
struct Attendee {
    user_id: String,
    name: String,
    status: String,
    reason: String,
    observer: bool,
}

fn attendees(session: &Session, m: &Value) -> Vec<Attendee> {
    let names = m.get("names").cloned().unwrap_or(Value::Null);
    let mut out: Vec<Attendee> = m
        .get("attendance")
        .or_else(|| m.get("attendees"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| match a {
            Value::String(id) => Attendee { user_id: id.clone(), name: name_in(&names, session, id), status: String::new(), reason: String::new(), observer: false },
            a => {
                let id = a.first(&["user_id", "id"]);
                let name = a.first(&["display_name", "name"]);
                Attendee {
                    name: if name.is_empty() { name_in(&names, session, &id) } else { name },
                    user_id: id,
                    status: a.s("status"),
                    reason: a.s("reason"),
                    observer: a.b("observer") || a.s("kind") == "observer",
                }
            }
        })
        .collect();
    for o in m.arr("observers") {
        let id = match &o {
            Value::String(s) => s.clone(),
            o => o.first(&["user_id", "id"]),
        };
        if !out.iter().any(|a| a.user_id == id) {
            out.push(Attendee { name: name_in(&names, session, &id), user_id: id, status: "present".into(), reason: String::new(), observer: true });
        }
    }
    out
}

/// (present, should attend, required text, met) — the server's figures when it sends them.
fn quorum(m: &Value, att: &[Attendee]) -> (u64, u64, String, bool) {
    let voting: Vec<&Attendee> = att.iter().filter(|a| !a.observer).collect();
    let present_count = voting.iter().filter(|a| a.status == "present").count() as u64;
    let q = m.get("quorum").cloned().unwrap_or(Value::Null);
    let present = q.num("present").map(|n| n as u64).unwrap_or(present_count);
    let should = q.num("should_attend").map(|n| n as u64).unwrap_or(voting.len() as u64);
    let personnel = m.arr("items").iter().chain(m.arr("agenda").iter()).any(|i| i.s("category") == "key_appointment");
    let ratio = q.get("ratio").cloned().unwrap_or_else(|| {
        if personnel { json!({"num": 2, "den": 3, "inclusive": true}) } else { json!({"num": 1, "den": 2, "inclusive": false}) }
    });
    let (num, den) = (ratio.num("num").unwrap_or(1.0) as u64, ratio.num("den").unwrap_or(2.0).max(1.0) as u64);
    let inclusive = ratio.b("inclusive");
    let met_local = if inclusive { present * den >= num * should } else { present * den > num * should };
    let met = q.get("met").and_then(Value::as_bool).unwrap_or(met_local && should > 0);
    let text = if inclusive { format!("须达到应到人数的 {num}/{den}（含）") } else { format!("须超过应到人数的 {num}/{den}") };
    (present, should, text, met)
}

/// A person's name from the meeting's own `names` map (covers observers and people of
/// other units), else the unit directory.
fn name_in(names: &Value, session: &Session, id: &str) -> String {
    names.get(id).and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| session.name_of(id))
}

fn item_concluded(i: &Value) -> bool {
    i.get("decision").is_some_and(|d| !d.is_null())
        || matches!(i.s("state").as_str(), "decided" | "deferred" | "adopted" | "rejected" | "concluded" | "lapsed")
        || matches!(i.s("path").as_str(), "consensus" | "defer")
}

fn item_voting(i: &Value) -> bool {
    !item_concluded(i)
        && (i.s("state") == "voting"
            || (matches!(i.s("path").as_str(), "vote" | "secret_ballot") && i.get("tally").is_none_or(Value::is_null)))
}

fn item_vote_closed(i: &Value) -> bool {
    !item_concluded(i) && i.get("tally").is_some_and(|t| !t.is_null())
}

fn recused(i: &Value) -> Vec<String> {
    i.arr("recused").iter().map(|r| match r {
        Value::String(s) => s.clone(),
        r => r.first(&["user_id", "id"]),
    }).collect()
}

fn has_voted(i: &Value, me: &str) -> bool {
    i.get("my_ballot").is_some_and(|b| !b.is_null())
        || i.b("voted_by_me")
        || i.arr("voted").iter().chain(i.arr("voters").iter()).any(|v| util::text_of(v) == me || v.s("user_id") == me)
}

#[component]
pub fn MeetingPage(id: String) -> impl IntoView {
    let session = use_session();
    let res = {
        let id = id.clone();
        LocalResource::new(move || {
            // Ballots and decisions of others arrive as server events.
            session.events.track();
            let id = id.clone();
            async move { api::get(&format!("/meetings/{id}")).await }
        })
    };
    let reload = Callback::new(move |_: Value| res.refetch());
    let drafts = Drafts::new();
    view! { {show(res, move |m: Value| view! { <MeetingView m=m reload=reload drafts=drafts/> })} }
}

#[component]
fn MeetingView(m: Value, reload: Callback<Value>, drafts: Drafts) -> impl IntoView {
    let session = use_session();
    let router = use_router();
    let id = m.s("id");
    let state = m.s("state");
    let me = session.user_id();
    let att = attendees(&session, &m);
    let (present, should, ratio_text, met) = quorum(&m, &att);
    let is_clerk = session.has("clerk");
    let is_principal = session.has("principal");
    let noticed = m.opt("notice_sent_at").or_else(|| m.opt("noticed_at")).is_some() || matches!(state.as_str(), "noticed" | "open" | "in_progress" | "closed");
    let open = matches!(state.as_str(), "open" | "in_progress");
    let closed = state == "closed" || state == "minuted";
    let attendee_me = att.iter().any(|a| a.user_id == me && !a.observer);
    let head_office = m.s("type") == "head_office";
    let minutes_id = m.opt("minutes_id");

    let can_notice = allowed(&m, "notice", is_clerk && !noticed);
    let can_open = allowed(&m, "open", (is_clerk || is_principal) && noticed && !open && !closed);
    let can_close = allowed(&m, "close", is_principal && open);
    // Not in the meeting's `allowed_actions` vocabulary: decided here, checked by the server.
    let can_minutes = is_clerk && closed && minutes_id.is_none();
    let can_attendance = allowed(&m, "attendance", is_clerk && !closed);
    let can_observers = allowed(&m, "observers", can_attendance);
    let my_status = att.iter().find(|a| a.user_id == me).map(|a| a.status.clone()).unwrap_or_default();
    let can_written = attendee_me && noticed && !open && !closed && matches!(my_status.as_str(), "absent" | "leave");
    let can_materials = !closed && (attendee_me || is_clerk || session.has("inspector"));

    let items_list = m.arr("items");
    let proposal_options: Vec<(String, String)> = items_list
        .iter()
        .chain(m.arr("agenda").iter())
        .filter_map(|i| {
            let pid = i.first(&["proposal_id", "id"]);
            (!pid.is_empty()).then(|| (pid, i.s("title")))
        })
        .fold(Vec::new(), |mut acc: Vec<(String, String)>, (k, v)| {
            if !acc.iter().any(|(x, _)| *x == k) {
                acc.push((k, v));
            }
            acc
        });

    // Notice with optional urgency reason (R06).
    let urgency = drafts.get("notice.urgency", "");
    let notice_submit = Submit::new();
    let notice_path = format!("/meetings/{id}/notice");
    let send_notice = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let reason = urgency.get_untracked();
        let body = if reason.trim().is_empty() { json!({}) } else { json!({ "urgency_reason": reason.trim() }) };
        let path = notice_path.clone();
        confirm("发送会议通知", "通知发出后参会人员即可查阅会议材料。确定发送？", "发送", move || {
            let path = path.clone();
            let body = body.clone();
            notice_submit.post(&path, body, move |v| reload.run(v));
        });
    };

    let facts = vec![
        ("会议类型", labels::lookup(MEETING_TYPES, &m.s("type")).to_string()),
        ("时间", fmt_time(&m.s("starts_at"))),
        ("地点", m.s("location")),
        ("主持", name_in(m.get("names").unwrap_or(&Value::Null), &session, &m.s("chair_id"))),
        ("通知时间", fmt_time(&m.first(&["notice_sent_at", "noticed_at"]))),
        ("紧急召开理由", m.s("urgency_reason")),
    ];
    let pct = (present * 100).checked_div(should).unwrap_or(0).min(100);
    let minutes_path = format!("/meetings/{id}/minutes");
    let open_path = format!("/meetings/{id}/open");
    let close_path = format!("/meetings/{id}/close");
    let written = m.arr("written_opinions");
    let names = m.get("names").cloned().unwrap_or(Value::Null);
    let item_titles = proposal_options.clone();
    let (id2, id_att, id_obs, id_items, id_mat) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    let names_items = m.get("names").cloned().unwrap_or(Value::Null);
    let trail = m.arr("trail");
    view! {
        <PageHeader title=m.s("title")>
            <StateBadge object_type="meeting" state=state.clone()/>
        </PageHeader>
        <div class="grid2 detail">
            <div>
                <Card title="会议信息"><Facts rows=facts/></Card>
                <Card title="出席情况">
                    <div class=if met { "quorum met" } else { "quorum unmet" } role="status">
                        <span>{format!("实到 {present} / 应到 {should}")}</span>
                        <span class="meter" aria-hidden="true"><span style=format!("width:{pct}%")></span></span>
                        <span>{if met { "已达到法定人数" } else { "未达到法定人数" }}</span>
                    </div>
                    <p class="muted small">{format!("{ratio_text}方可开会表决（R08）。")}</p>
                    <AttendanceTable meeting_id=id_att rows=att editable=can_attendance reload=reload drafts=drafts/>
                    {can_observers.then(|| view! { <AddObserver meeting_id=id_obs reload=reload/> })}
                </Card>
                <Card title="议题">
                    {if items_list.is_empty() {
                        view! { <Empty text="议程中暂无议题。"/> }.into_any()
                    } else {
                        items_list.into_iter().enumerate().map(|(n, item)| view! {
                            <Item n=n + 1 meeting_id=id_items.clone() item=item names=names_items.clone() open=open head_office=head_office reload=reload drafts=drafts/>
                        }).collect_view().into_any()
                    }}
                </Card>
                {(!written.is_empty()).then(|| view! {
                    <Card title="书面意见（不计入表决）">
                        <ul class="statements">
                            {written.iter().map(|w| view! {
                                <li>
                                    <strong>{name_in(&names, &session, &w.first(&["author_id", "member_id", "user_id"]))}</strong>
                                    <span class="muted small">{format!(" 就“{}”", item_titles.iter().find(|(k, _)| *k == w.s("proposal_id")).map(|(_, t)| t.clone()).unwrap_or_else(|| w.s("proposal_title")))}</span>
                                    <p class="pre">{w.s("text")}</p>
                                </li>
                            }).collect_view()}
                        </ul>
                    </Card>
                })}
            </div>
            <div>
                <Card title="办理" act=true>
                    {can_notice.then(|| view! {
                        <form class="inline-form" on:submit=send_notice>
                            <h3>"发送会议通知"</h3>
                            <Field label="紧急召开理由" hint="不足一个工作日通知时必须填写，将向纪检监察显示（R06）">
                                <textarea rows="2" bind:value=urgency></textarea>
                            </Field>
                            <ErrorNote submit=notice_submit/>
                            <button class="btn primary" type="submit" disabled=notice_submit.busy()>"发送通知"</button>
                        </form>
                    })}
                    {can_open.then(|| view! {
                        <div class="inline-form">
                            <h3>"开始会议"</h3>
                            <ActionButton label="宣布开会" primary=true path=open_path
                                confirm_text="将按当前出席情况核对法定人数（R08）。确定开始？" on_done=reload/>
                        </div>
                    })}
                    {can_close.then(|| view! {
                        <div class="inline-form">
                            <h3>"结束会议"</h3>
                            <p class="muted small">"会议结束后参会人员不能再查阅会议材料（R07）。"</p>
                            <ActionButton label="结束会议" path=close_path confirm_text="结束后会议材料收回，确定结束会议？" on_done=reload/>
                        </div>
                    })}
                    {can_minutes.then(|| view! {
                        <div class="inline-form">
                            <h3>"会议纪要"</h3>
                            <ActionButton label="根据决定生成纪要草稿" primary=true path=minutes_path body=json!({})
                                on_done=Callback::new(move |v: Value| {
                                    let mid = v.first(&["id", "minutes_id"]);
                                    if mid.is_empty() { reload.run(v) } else { router.go(&format!("/minutes/{mid}")) }
                                })/>
                        </div>
                    })}
                    {minutes_id.map(|mid| view! { <p><a class="btn" href=format!("/minutes/{mid}")>"查看会议纪要"</a></p> })}
                    {can_written.then(|| view! { <WrittenOpinion meeting_id=id2.clone() options=proposal_options.clone() reload=reload/> })}
                    {(!(can_notice || can_open || can_close || can_minutes || can_written)).then(|| view! {
                        <p class="muted">"当前没有需要您办理的会议事项。"</p>
                    })}
                </Card>
                {can_materials.then(|| view! { <Materials meeting_id=id_mat/> })}
                <Card title="流转记录"><Trail entries=trail object_type="meeting"/></Card>
            </div>
        </div>
    }
}

#[component]
fn AttendanceTable(meeting_id: String, rows: Vec<Attendee>, editable: bool, reload: Callback<Value>, drafts: Drafts) -> impl IntoView {
    if rows.is_empty() {
        return view! { <Empty text="尚未确定参会人员。"/> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="stack-sm">
                <thead><tr><th>"姓名"</th><th>"出席"</th><th>"说明"</th>{editable.then(|| view! { <th></th> })}</tr></thead>
                <tbody>
                    {rows.into_iter().map(|a| {
                        let status_label = if a.observer { "列席".to_string() } else if a.status.is_empty() { "未登记".to_string() } else { labels::lookup(ATTENDANCE, &a.status).to_string() };
                        if !editable || a.observer {
                            return view! {
                                <tr><td>{a.name}</td><td>{status_label}</td><td>{a.reason}</td>{editable.then(|| view! { <td></td> })}</tr>
                            }.into_any();
                        }
                        let status = drafts.get(&format!("att.{}.status", a.user_id), if a.status.is_empty() { "present" } else { &a.status });
                        let reason = drafts.get(&format!("att.{}.reason", a.user_id), &a.reason);
                        let submit = Submit::new();
                        let path = format!("/meetings/{}/attendance/{}", meeting_id, a.user_id);
                        let save = move |_| {
                            let path = path.clone();
                            let st = status.get_untracked();
                            let r = reason.get_untracked();
                            if st != "present" && r.trim().is_empty() {
                                submit.fail("缺席或请假须写明原因。");
                                return;
                            }
                            let body = if r.trim().is_empty() { json!({ "status": st }) } else { json!({ "status": st, "reason": r.trim() }) };
                            submit.run(async move { api::put(&path, body).await }, move |v| reload.run(v));
                        };
                        view! {
                            <tr>
                                <td>{a.name.clone()}<div class="muted small">{status_label}</div></td>
                                <td data-label="出席"><Choice options=ATTENDANCE value=status/></td>
                                <td><input type="text" placeholder="缺席/请假原因" aria-label=format!("{} 的说明", a.name) bind:value=reason/><ErrorNote submit=submit/></td>
                                <td><button class="btn small" type="button" on:click=save disabled=submit.busy()>"登记"</button></td>
                            </tr>
                        }.into_any()
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn AddObserver(meeting_id: String, reload: Callback<Value>) -> impl IntoView {
    let session = use_session();
    let who = RwSignal::new(String::new());
    let submit = Submit::new();
    let people = Signal::derive(move || session.people_with(&[]));
    let add = move |_| {
        let user = who.get_untracked();
        if user.is_empty() {
            submit.fail("请选择列席人员。");
            return;
        }
        let path = format!("/meetings/{meeting_id}/observers");
        submit.post(&path, json!({ "user_id": user }), move |v| {
            who.set(String::new());
            reload.run(v)
        });
    };
    view! {
        <div class="inline-form">
            <h3>"添加列席人员（不参加表决）"</h3>
            <div class="row">
                <PickOne options=people value=who placeholder="选择人员"/>
                <button class="btn" type="button" on:click=add disabled=submit.busy()>"添加"</button>
            </div>
            <ErrorNote submit=submit/>
        </div>
    }
}

#[component]
fn WrittenOpinion(meeting_id: String, options: Vec<(String, String)>, reload: Callback<Value>) -> impl IntoView {
    let proposal = RwSignal::new(options.first().map(|(k, _)| k.clone()).unwrap_or_default());
    let text = RwSignal::new(String::new());
    let submit = Submit::new();
    let opts = Signal::derive(move || options.clone());
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (p, t) = (proposal.get_untracked(), text.get_untracked());
        if p.is_empty() || t.trim().is_empty() {
            submit.fail("请选择议题并填写书面意见。");
            return;
        }
        let path = format!("/meetings/{meeting_id}/written-opinions");
        submit.post(&path, json!({ "proposal_id": p, "text": t.trim() }), move |v| {
            text.set(String::new());
            reload.run(v)
        });
    };
    view! {
        <form class="inline-form" on:submit=send>
            <h3>"提交书面意见"</h3>
            <p class="muted small">"因故不能到会的成员可在会前提交书面意见；书面意见记入原始记录，不计入表决（R08）。"</p>
            <Field label="议题"><PickOne options=opts value=proposal/></Field>
            <Field label="意见"><textarea rows="3" bind:value=text></textarea></Field>
            <ErrorNote submit=submit/>
            <button class="btn primary" type="submit" disabled=submit.busy()>"提交书面意见"</button>
        </form>
    }
}

/// Meeting materials are fetched on demand: every view is logged (R07).
#[component]
fn Materials(meeting_id: String) -> impl IntoView {
    let loaded = RwSignal::new(None::<Result<Value, api::ApiError>>);
    let load = move |_| {
        let path = format!("/meetings/{meeting_id}/materials");
        leptos::task::spawn_local(async move {
            let r = api::get(&path).await;
            let _ = loaded.try_set(Some(r));
        });
    };
    view! {
        <Card title="会议材料">
            <p class="muted small">"仅参会人员和纪检监察可查阅，每次查阅均记录在案；会议结束后收回（R07）。"</p>
            {move || match loaded.get() {
                None => view! { <button class="btn" type="button" on:click=load.clone()>"查阅会议材料"</button> }.into_any(),
                Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                Some(Ok(v)) => {
                    let list = items(&v);
                    let list = if list.is_empty() { v.arr("proposals") } else { list };
                    view! {
                        <div class="material">
                            {list.into_iter().map(|p| {
                                let mat = p.get("materials").cloned().unwrap_or(Value::Null);
                                view! {
                                    <h3>{p.s("title")}</h3>
                                    {[("议题", "topic"), ("基本情况", "background"), ("调研论证", "research"), ("处理建议", "recommendation")]
                                        .into_iter()
                                        .filter(|(_, k)| !mat.s(k).is_empty())
                                        .map(|(l, k)| view! { <p><strong>{l}"："</strong><span class="pre">{mat.s(k)}</span></p> })
                                        .collect_view()}
                                    <ul>{p.arr("attachments").iter().map(super::proposals::attachment_link).collect_view()}</ul>
                                }
                            }).collect_view()}
                        </div>
                    }.into_any()
                }
            }}
        </Card>
    }
}

fn tally_view(t: &Value) -> impl IntoView + use<> {
    let n = |k: &str| t.num(k).map(|x| x as i64).unwrap_or(0);
    view! {
        <div class="tally" aria-label="表决结果">
            {CHOICES.iter().map(|(k, label)| view! { <div><strong>{n(k)}</strong>{*label}</div> }).collect_view()}
        </div>
        <p class="small muted">{format!("应到 {}，可表决 {}", n("should_attend"), n("eligible"))}</p>
    }
}

#[component]
fn Item(n: usize, meeting_id: String, item: Value, names: Value, open: bool, head_office: bool, reload: Callback<Value>, drafts: Drafts) -> impl IntoView {
    let session = use_session();
    let me = session.user_id();
    let pid = item.first(&["proposal_id", "id"]);
    let is_clerk = session.has("clerk");
    let is_principal = session.has("principal");
    let concluded = item_concluded(&item);
    let voting = item_voting(&item);
    let vote_closed = item_vote_closed(&item);
    let rec = recused(&item);
    let i_am_recused = rec.contains(&me);
    let voted = has_voted(&item, &me);
    let statements = item.arr("statements");
    let decision = item.get("decision").cloned().filter(|d| !d.is_null());
    let tally = item.get("tally").cloned().filter(|t| !t.is_null());
    let majority = item.get("majority").and_then(Value::as_bool).or_else(|| tally.as_ref().and_then(|t| t.get("majority")).and_then(Value::as_bool));
    let cast = item.num("ballots_cast").map(|x| x as i64);
    let eligible = item.num("eligible").map(|x| x as i64);
    let base = format!("/meetings/{meeting_id}/items/{pid}");

    let can_state = allowed(&item, "statement", is_clerk && open && !concluded && !voting);
    let can_path = allowed(&item, "vote", is_principal && open && !concluded && !voting && !vote_closed);
    let can_ballot = allowed(&item, "ballot", session.has("member") && voting && !i_am_recused && !voted);
    let can_close_vote = allowed(&item, "close_vote", is_principal && voting);
    let can_decide = allowed(&item, "decision", is_principal && vote_closed);

    // Statement form (R10, R12).
    let speaker = drafts.get(&format!("{pid}.speaker"), "");
    let role = drafts.get(&format!("{pid}.role"), "member");
    let stance = drafts.get(&format!("{pid}.stance"), "agree");
    let text = drafts.get(&format!("{pid}.text"), "");
    let st_submit = Submit::new();
    let people = Signal::derive(move || session.people_with(&[]));
    let st_path = format!("{base}/statements");
    let add_statement = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if speaker.get_untracked().is_empty() {
            st_submit.fail("请选择发言人。");
            return;
        }
        let body = json!({ "speaker_id": speaker.get_untracked(), "role": role.get_untracked(), "stance": stance.get_untracked(), "text": text.get_untracked().trim() });
        let path = st_path.clone();
        st_submit.post(&path, body, move |v| {
            text.set(String::new());
            speaker.set(String::new());
            reload.run(v)
        });
    };

    // Path choice (R11, R12).
    let path_choice = drafts.get(&format!("{pid}.path"), "vote");
    let mode = drafts.get(&format!("{pid}.mode"), "");
    let path_reason = drafts.get(&format!("{pid}.path_reason"), "");
    let path_submit = Submit::new();
    let vote_path = format!("{base}/vote");
    let choose_path = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let p = path_choice.get_untracked();
        let reason = path_reason.get_untracked();
        if p == "defer" && reason.trim().is_empty() {
            path_submit.fail("缓议须写明理由。");
            return;
        }
        let mut body = json!({ "path": p });
        if p == "vote" && !mode.get_untracked().is_empty() {
            body["mode"] = json!(mode.get_untracked());
        }
        if !reason.trim().is_empty() {
            body["reason"] = json!(reason.trim());
        }
        let path = vote_path.clone();
        let label = labels::lookup(PATHS, &p).to_string();
        confirm("议决方式", format!("确定以“{label}”方式议决本议题？"), "确定", move || {
            let path = path.clone();
            let body = body.clone();
            path_submit.post(&path, body, move |v| reload.run(v));
        });
    };

    // Decision (R13).
    let outcome = drafts.get(&format!("{pid}.outcome"), if majority == Some(false) { "rejected" } else { "adopted" });
    let dec_text = drafts.get(&format!("{pid}.dec_text"), "");
    let override_reason = drafts.get(&format!("{pid}.override"), "");
    let dec_submit = Submit::new();
    let dec_path = format!("{base}/decision");
    // R13: adopting without a majority, or not adopting with one, needs a written reason.
    let against_count = move || matches!((majority, outcome.get().as_str()), (Some(true), "rejected" | "deferred") | (Some(false), "adopted"));
    let decide = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if dec_text.get_untracked().trim().is_empty() {
            dec_submit.fail("请填写决定内容。");
            return;
        }
        let mut body = json!({ "outcome": outcome.get_untracked(), "text": dec_text.get_untracked().trim() });
        if against_count() {
            if override_reason.get_untracked().trim().is_empty() {
                dec_submit.fail("决定与表决结果不一致，须写明理由（R13）。");
                return;
            }
            body["override_reason"] = json!(override_reason.get_untracked().trim());
        }
        let path = dec_path.clone();
        let label = labels::lookup(OUTCOMES, &outcome.get_untracked()).to_string();
        confirm("作出决定", format!("决定“{label}”将记入会议原始记录，不可撤回。确定？"), "确定", move || {
            let path = path.clone();
            let body = body.clone();
            dec_submit.post(&path, body, move |v| reload.run(v));
        });
    };

    let title = item.s("title");
    let category = item.s("category");
    let item_state = item.s("state");
    let path_label = item.opt("path").map(|p| labels::lookup(PATHS, &p).to_string());
    let mode_label = item.opt("mode").map(|p| labels::lookup(labels::VOTE_MODES, &p).to_string());
    let close_vote_path = format!("{base}/close-vote");
    let ballot_href = format!("/meetings/{meeting_id}/ballot/{pid}");
    view! {
        <article class="item" aria-labelledby=format!("item-{pid}")>
            <div class="item-head">
                <h3 id=format!("item-{pid}")><a href=format!("/proposals/{pid}")>{format!("{n}. {title}")}</a></h3>
                {(!item_state.is_empty()).then(|| view! { <StateBadge object_type="item" state=item_state.clone()/> })}
                <span class="muted small">{labels::lookup(CATEGORIES, &category).to_string()}</span>
            </div>
            <div class="meta">
                {path_label.map(|l| view! { <Badge text=format!("议决方式：{l}") tone="info"/> })}
                {mode_label.map(|l| view! { <Badge text=l tone="plain"/> })}
                {(!rec.is_empty()).then(|| view! {
                    <span class="small">{format!("回避：{}", rec.iter().map(|r| name_in(&names, &session, r)).collect::<Vec<_>>().join("、"))}</span>
                })}
            </div>
            {(!statements.is_empty()).then(|| view! {
                <ul class="statements">
                    {statements.iter().map(|s| view! {
                        <li>
                            <strong>{name_in(&names, &session, &s.first(&["speaker_id", "user_id"]))}</strong>
                            <span class="muted small">{format!("（{}）", labels::lookup(SPEAKER_ROLES, &s.s("role")))}</span>
                            " " <Badge text=labels::lookup(STANCES, &s.s("stance")).to_string() tone="plain"/>
                            {(!s.s("text").is_empty()).then(|| view! { <p class="pre">{s.s("text")}</p> })}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {voting.then(|| view! {
                <div class="notice info" role="status">
                    "表决进行中"
                    {match (cast, eligible) {
                        (Some(c), Some(e)) => format!("：已投 {c} / 可投 {e}"),
                        (Some(c), None) => format!("：已投 {c}"),
                        _ => String::new(),
                    }}
                    {i_am_recused.then_some("。您对本议题回避（R09）。")}
                    {voted.then_some("。您已投票。")}
                </div>
            })}
            {can_ballot.then(|| view! { <p><a class="btn primary" href=ballot_href.clone()>"去投票"</a></p> })}
            {tally.as_ref().map(tally_view)}
            {majority.map(|m| view! { <p>{if m { "同意票超过应到会成员半数。" } else { "同意票未超过应到会成员半数。" }}</p> })}
            {decision.as_ref().map(|d| view! {
                <div class="notice info">
                    <strong>{format!("决定：{}", labels::lookup(OUTCOMES, &d.s("outcome")))}</strong>
                    <p class="pre">{d.s("text")}</p>
                    {d.opt("override_reason").map(|r| view! { <p>{format!("与表决结果不一致的理由：{r}")}</p> })}
                </div>
            })}
            {can_state.then(|| view! {
                <form class="inline-form" on:submit=add_statement>
                    <h4>"记录发言"</h4>
                    <p class="muted small">"顺序：汇报人、分管领导、其他成员，主要领导最后表态（R10）。"</p>
                    <div class="cols">
                        <Field label="发言人"><PickOne options=people value=speaker placeholder="选择发言人"/></Field>
                        <Field label="身份"><Choice options=SPEAKER_ROLES value=role/></Field>
                        <Field label="表态"><Choice options=STANCES value=stance/></Field>
                    </div>
                    <Field label="发言要点"><textarea rows="2" bind:value=text></textarea></Field>
                    <ErrorNote submit=st_submit/>
                    <button class="btn" type="submit" disabled=st_submit.busy()>"记录"</button>
                </form>
            })}
            {can_path.then(|| view! {
                <form class="inline-form" on:submit=choose_path>
                    <h4>"选择议决方式（主持人）"</h4>
                    <div class="cols">
                        <Field label="方式"><Choice options=PATHS value=path_choice/></Field>
                        {move || (path_choice.get() == "vote").then(|| view! {
                            <Field label="表决形式" hint="不选时：干部任免为无记名，其他为记名（R11）">
                                <Choice options=&[("named", "记名（口头/举手）"), ("written", "记名书面")] value=mode placeholder="默认"/>
                            </Field>
                        })}
                    </div>
                    <Field label="理由" hint="缓议必须填写"><textarea rows="2" bind:value=path_reason></textarea></Field>
                    <ErrorNote submit=path_submit/>
                    <button class="btn primary" type="submit" disabled=path_submit.busy()>"确定议决方式"</button>
                </form>
            })}
            {can_close_vote.then(|| view! {
                <div class="inline-form">
                    <ActionButton label="结束表决并计票" path=close_vote_path.clone()
                        confirm_text="结束后不能再投票，投票结果不可更改。确定结束表决？" on_done=reload/>
                </div>
            })}
            {can_decide.then(|| view! {
                <form class="inline-form" on:submit=decide>
                    <h4>"作出决定"</h4>
                    {(!head_office).then(|| view! {
                        <p class="muted small">"党组会议、党政联席会议：决定须与表决结果一致（R13）。"</p>
                    })}
                    <Field label="决定"><Choice options=OUTCOMES value=outcome/></Field>
                    <Field label="决定内容"><textarea rows="3" bind:value=dec_text></textarea></Field>
                    {move || against_count().then(|| view! {
                        <Field label="与表决结果不一致的理由" hint="将写入会议纪要（R13）">
                            <textarea rows="2" bind:value=override_reason></textarea>
                        </Field>
                    })}
                    <ErrorNote submit=dec_submit/>
                    <button class="btn primary" type="submit" disabled=dec_submit.busy()>"确定决定"</button>
                </form>
            })}
        </article>
    }
}

#[component]
pub fn BallotPage(meeting: String, proposal: String) -> impl IntoView {
    let session = use_session();
    let res = {
        let meeting = meeting.clone();
        LocalResource::new(move || {
            session.events.track();
            let meeting = meeting.clone();
            async move { api::get(&format!("/meetings/{meeting}")).await }
        })
    };
    let receipt = RwSignal::new(None::<Value>);
    let choice = RwSignal::new(String::new());
    let opinion = RwSignal::new(String::new());
    let submit = Submit::new();
    view! {
        <div class="narrow">
            {show(res, move |m: Value| {
                let me = session.user_id();
                let item = m.arr("items").into_iter().find(|i| i.first(&["proposal_id", "id"]) == proposal);
                let Some(item) = item else {
                    return view! { <ErrorBox error=api::ApiError::local("本次会议没有这个议题。")/> }.into_any();
                };
                let title = item.s("title");
                let back = format!("/meetings/{}", m.s("id"));
                let rec = recused(&item).contains(&me);
                let voting = item_voting(&item);
                let voted = has_voted(&item, &me);
                let secret = item.s("path") == "secret_ballot" || item.s("mode") == "secret";
                let principal_last = session.has("principal") && !secret;
                let path = format!("/meetings/{}/items/{}/ballots", m.s("id"), proposal);
                let send = move || {
                    let c = choice.get_untracked();
                    let o = opinion.get_untracked();
                    let path = path.clone();
                    let label = labels::lookup(CHOICES, &c).to_string();
                    confirm("确认投票", format!("您的选择：{label}。投票提交后不能更改。"), "确认投票", move || {
                        let path = path.clone();
                        let mut body = json!({ "choice": c });
                        if !o.trim().is_empty() {
                            body["opinion"] = json!(o.trim());
                        }
                        submit.post(&path, body, move |v| receipt.set(Some(v)));
                    });
                };
                let state_view = if let Some(r) = receipt.get() {
                    receipt_view(&r).into_any()
                } else if rec {
                    view! { <div class="notice">"您与本议题有利害关系，依规回避：不参加本议题表决，也不能查看本议题的投票情况（R09）。"</div> }.into_any()
                } else if voted {
                    let mine = item.get("my_ballot").cloned().unwrap_or(Value::Null);
                    view! {
                        <div class="receipt" role="status">
                            <strong>"您已对本议题投票。"</strong>
                            {mine.opt("choice").map(|c| view! { <p>{format!("您的选择：{}", labels::lookup(CHOICES, &c))}</p> })}
                            {mine.opt("receipt").or_else(|| mine.opt("receipt_id")).map(|r| view! { <p>"回执：" <code>{r}</code></p> })}
                        </div>
                    }.into_any()
                } else if !voting {
                    view! { <div class="notice info" role="status">"本议题尚未开始表决或表决已结束。表决开始后本页会自动刷新。"</div> }.into_any()
                } else {
                    let send = send.clone();
                    view! {
                        {secret.then(|| view! { <p class="notice info">"无记名投票：系统只记录您已投票，不记录您的选择与身份的对应关系。"</p> })}
                        {principal_last.then(|| view! { <p class="muted small">"记名表决时，主要领导须在其他到会成员投票后最后表态（R10）。"</p> })}
                        <div class="ballot-choices" role="group" aria-label="表决选项">
                            {CHOICES.iter().map(|(k, label)| view! {
                                <button type="button" class=format!("ballot-choice {k}")
                                    aria-pressed=move || (choice.get() == *k).to_string()
                                    on:click=move |_| choice.set(k.to_string())>{*label}</button>
                            }).collect_view()}
                        </div>
                        <Field label="意见（可不填）"><textarea rows="3" bind:value=opinion></textarea></Field>
                        <ErrorNote submit=submit/>
                        <button class="btn primary block" type="button" disabled=move || choice.get().is_empty() || submit.pending.get()
                            on:click=move |_| send()>"提交表决"</button>
                    }.into_any()
                };
                view! {
                    <p><a href=back>"← 返回会议"</a></p>
                    <h1>"投票表决"</h1>
                    <Card>
                        <p class="muted small">{m.s("title")}</p>
                        <h2>{title}</h2>
                        {state_view}
                    </Card>
                }.into_any()
            })}
        </div>
    }
}

fn receipt_view(r: &Value) -> impl IntoView + use<> {
    let code = r.first(&["receipt", "receipt_id", "receipt_code", "hash", "id"]);
    let at = fmt_time(&r.first(&["cast_at", "at", "created_at"]));
    view! {
        <div class="receipt" role="status">
            <strong>"投票成功。"</strong>
            {(!code.is_empty()).then(|| view! { <p>"投票回执：" <code>{code.clone()}</code></p> })}
            {r.opt("choice").map(|c| view! { <p>{format!("您的选择：{}", labels::lookup(CHOICES, &c))}</p> })}
            {(!at.is_empty()).then(|| view! { <p class="small">{format!("时间：{at}")}</p> })}
            <p class="small muted">"请保存回执。投票结束后不能更改。"</p>
        </div>
    }
}
