//! Administration under 三权分立: the system administrator manages accounts, units and
//! sections; the security administrator manages members' roles, AB-post backups and unit
//! settings; the clerk keeps the unit's working-day calendar (R06, R45).

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use crate::api;
use crate::components::*;
use crate::labels::{self, CATEGORIES, MEETING_TYPES, ROLES};
use crate::session::use_session;
use crate::util::{self, J, items};

/// The unit roles a security administrator assigns (platform roles are not unit roles).
const UNIT_ROLES: usize = 9;

#[component]
pub fn Users() -> impl IntoView {
    let list = LocalResource::new(|| async { api::get("/users").await.map(|v| items(&v)) });
    let username = RwSignal::new(String::new());
    let display = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let submit = Submit::new();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({ "username": username.get_untracked().trim(), "display_name": display.get_untracked().trim(), "password": password.get_untracked() });
        submit.post("/users", body, move |_| {
            username.set(String::new());
            display.set(String::new());
            password.set(String::new());
            list.refetch();
        });
    };
    view! {
        <PageHeader title="用户账户"/>
        <div class="grid2">
            <Card title="账户列表">
                {show(list, move |users: Vec<Value>| view! {
                    <div class="table-wrap">
                        <table class="stack-sm">
                            <thead><tr><th>"姓名"</th><th>"用户名"</th><th>"管理角色"</th><th>"重置密码"</th></tr></thead>
                            <tbody>{users.into_iter().map(|u| view! { <UserRow u=u/> }).collect_view()}</tbody>
                        </table>
                    </div>
                })}
            </Card>
            <Card title="新建账户">
                <form on:submit=create>
                    <Field label="用户名"><input type="text" required autocomplete="off" bind:value=username/></Field>
                    <Field label="姓名"><input type="text" required bind:value=display/></Field>
                    <Field label="初始密码" hint="用户首次登录须修改密码"><input type="password" required autocomplete="new-password" bind:value=password/></Field>
                    <ErrorNote submit=submit/>
                    <button class="btn primary" type="submit" disabled=submit.busy()>"创建"</button>
                </form>
            </Card>
        </div>
    }
}

#[component]
fn UserRow(u: Value) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let submit = Submit::new();
    let done = RwSignal::new(false);
    let id = u.s("id");
    let name = u.first(&["display_name", "username"]);
    let name2 = name.clone();
    let reset = move |_| {
        let p = password.get_untracked();
        if p.is_empty() {
            submit.fail("请输入临时密码。");
            return;
        }
        let path = format!("/users/{id}/password-reset");
        let name = name2.clone();
        confirm("重置密码", format!("重置 {name} 的密码？该用户下次登录须修改密码。"), "重置", move || {
            let path = path.clone();
            let p = p.clone();
            submit.post(&path, json!({ "password": p }), move |_| {
                password.set(String::new());
                done.set(true)
            });
        });
    };
    view! {
        <tr>
            <td>{name.clone()}{u.b("must_change_password").then(|| view! { <span class="muted small">" （待改密码）"</span> })}</td>
            <td class="mono" data-label="用户名">{u.s("username")}</td>
            <td data-label="管理角色">{u.opt("admin_role").map(|r| labels::lookup(ROLES, &r).to_string()).unwrap_or_default()}</td>
            <td>
                <div class="row">
                    <input type="password" autocomplete="new-password" placeholder="临时密码" aria-label=format!("{name} 的临时密码") bind:value=password/>
                    <button class="btn small" type="button" on:click=reset disabled=submit.busy()>"重置"</button>
                </div>
                {move || done.get().then(|| view! { <span class="success small">"已重置"</span> })}
                <ErrorNote submit=submit/>
            </td>
        </tr>
    }
}

/// Units the caller administers: all units for administrators, else their own.
fn unit_choices() -> LocalResource<Result<Vec<(String, String)>, api::ApiError>> {
    let session = use_session();
    LocalResource::new(move || async move {
        match api::get("/units").await {
            Ok(v) => Ok(items(&v).iter().map(|u| (u.s("id"), format!("{}（{}）", u.s("name"), u.s("short_code")))).collect()),
            Err(e) if e.status == 403 => Ok(session
                .me
                .get_untracked()
                .map(|m| m.units.iter().map(|u| (u.unit_id.clone(), u.unit_name.clone())).collect())
                .unwrap_or_default()),
            Err(e) => Err(e),
        }
    })
}

#[component]
fn UnitPicker(value: RwSignal<String>) -> impl IntoView {
    let units = unit_choices();
    let options = Signal::derive(move || units.get().and_then(Result::ok).unwrap_or_default());
    Effect::new(move |_| {
        if value.with_untracked(String::is_empty)
            && let Some((id, _)) = options.get().first() {
                value.set(id.clone());
            }
    });
    view! {
        <div class="filters">
            <Field label="单位"><PickOne options=options value=value placeholder="选择单位"/></Field>
        </div>
        {move || units.get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
    }
}

#[component]
pub fn Units() -> impl IntoView {
    let list = LocalResource::new(|| async { api::get("/units").await.map(|v| items(&v)) });
    let name = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let parent = RwSignal::new(String::new());
    let submit = Submit::new();
    let parents = Signal::derive(move || list.get().and_then(Result::ok).unwrap_or_default().iter().map(|u| (u.s("id"), u.s("name"))).collect::<Vec<_>>());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut body = json!({ "name": name.get_untracked().trim(), "short_code": code.get_untracked().trim() });
        if !parent.get_untracked().is_empty() {
            body["parent_id"] = json!(parent.get_untracked());
        }
        submit.post("/units", body, move |_| {
            name.set(String::new());
            code.set(String::new());
            list.refetch();
        });
    };
    let selected = RwSignal::new(String::new());
    view! {
        <PageHeader title="单位与处室"/>
        <div class="grid2">
            <Card title="单位">
                {show(list, move |units: Vec<Value>| {
                    if units.is_empty() {
                        return view! { <Empty text="尚无单位。"/> }.into_any();
                    }
                    view! {
                        <ul class="list">
                            {units.into_iter().map(|u| {
                                let id = u.s("id");
                                let id2 = id.clone();
                                view! {
                                    <li class="list-item" class:active=move || selected.get() == id2>
                                        <div class="list-main">
                                            <strong>{u.s("name")}</strong>
                                            <div class="meta"><span class="muted">{format!("机关代字：{}", u.s("short_code"))}</span></div>
                                        </div>
                                        <button class="btn small" type="button" on:click=move |_| selected.set(id.clone())>"处室"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Card>
            <Card title="新建单位">
                <form on:submit=create>
                    <Field label="单位名称"><input type="text" required placeholder="例如 X市国土资源局" bind:value=name/></Field>
                    <Field label="机关代字" hint="用于文号，如 X国土资"><input type="text" required bind:value=code/></Field>
                    <Field label="上级单位"><PickOne options=parents value=parent placeholder="（无）"/></Field>
                    <ErrorNote submit=submit/>
                    <button class="btn primary" type="submit" disabled=submit.busy()>"创建"</button>
                </form>
            </Card>
        </div>
        {move || {
            let u = selected.get();
            (!u.is_empty()).then(|| view! { <Sections unit=u/> })
        }}
    }
}

#[component]
fn Sections(unit: String) -> impl IntoView {
    let unit2 = unit.clone();
    let list = LocalResource::new(move || {
        let unit = unit2.clone();
        async move { api::get(&format!("/units/{unit}/sections")).await.map(|v| items(&v)) }
    });
    let unit3 = unit.clone();
    let members = LocalResource::new(move || {
        let unit = unit3.clone();
        async move { api::get(&format!("/units/{unit}/members")).await.map(|v| items(&v)) }
    });
    let deputies = Signal::derive(move || {
        members
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .iter()
            .filter(|m| m.arr("roles").iter().any(|r| r.as_str() == Some("deputy") || r.as_str() == Some("principal")))
            .map(|m| (m.s("user_id"), m.first(&["display_name", "username"])))
            .collect::<Vec<_>>()
    });
    let name = RwSignal::new(String::new());
    let deputy = RwSignal::new(String::new());
    let submit = Submit::new();
    let unit4 = unit.clone();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut body = json!({ "name": name.get_untracked().trim() });
        if !deputy.get_untracked().is_empty() {
            body["deputy_id"] = json!(deputy.get_untracked());
        }
        let path = format!("/units/{unit4}/sections");
        submit.post(&path, body, move |_| {
            name.set(String::new());
            list.refetch();
        });
    };
    view! {
        <Card title="处（科）室与分管领导（分工）">
            {show(list, move |secs: Vec<Value>| {
                if secs.is_empty() {
                    return view! { <Empty text="尚无处室。"/> }.into_any();
                }
                let unit = unit.clone();
                view! {
                    <div class="table-wrap">
                        <table class="stack-sm">
                            <thead><tr><th>"处室"</th><th>"分管领导"</th><th></th></tr></thead>
                            <tbody>
                                {secs.into_iter().map(|s| {
                                    let sec_name = RwSignal::new(s.s("name"));
                                    let sec_deputy = RwSignal::new(s.s("deputy_id"));
                                    let save = Submit::new();
                                    let path = format!("/units/{}/sections/{}", unit, s.s("id"));
                                    let update = move |_| {
                                        let body = json!({ "name": sec_name.get_untracked().trim(), "deputy_id": Some(sec_deputy.get_untracked()).filter(|d| !d.is_empty()) });
                                        let path = path.clone();
                                        save.run(async move { api::put(&path, body).await }, move |_| list.refetch());
                                    };
                                    view! {
                                        <tr>
                                            <td data-label="处室名称"><input type="text" aria-label="处室名称" bind:value=sec_name/></td>
                                            <td data-label="分管领导"><PickOne options=deputies value=sec_deputy placeholder="（未指定）"/></td>
                                            <td><button class="btn small" type="button" on:click=update disabled=save.busy()>"保存"</button><ErrorNote submit=save/></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            })}
            <form class="inline-form" on:submit=create>
                <h3>"新建处室"</h3>
                <div class="cols">
                    <Field label="名称"><input type="text" required bind:value=name/></Field>
                    <Field label="分管领导"><PickOne options=deputies value=deputy placeholder="（稍后指定）"/></Field>
                </div>
                <ErrorNote submit=submit/>
                <button class="btn primary" type="submit" disabled=submit.busy()>"新建"</button>
            </form>
        </Card>
    }
}

#[component]
pub fn Members() -> impl IntoView {
    let unit = RwSignal::new(String::new());
    view! {
        <PageHeader title="人员角色与AB岗"/>
        <p class="muted">"角色按单位设置；系统管理员、安全管理员、审计管理员三权分立，不得兼任。AB岗：A岗登记外出后，其待办转由B岗代办（D11）。"</p>
        <UnitPicker value=unit/>
        {move || {
            let u = unit.get();
            (!u.is_empty()).then(|| view! { <MemberTable unit=u/> })
        }}
    }
}

#[component]
fn MemberTable(unit: String) -> impl IntoView {
    let u1 = unit.clone();
    let list = LocalResource::new(move || {
        let unit = u1.clone();
        async move { api::get(&format!("/units/{unit}/members")).await.map(|v| items(&v)) }
    });
    let u2 = unit.clone();
    let sections = LocalResource::new(move || {
        let unit = u2.clone();
        async move { api::get(&format!("/units/{unit}/sections")).await.map(|v| items(&v)) }
    });
    let users = LocalResource::new(|| async { api::get("/users").await.map(|v| items(&v)) });
    let section_options = Signal::derive(move || sections.get().and_then(Result::ok).unwrap_or_default().iter().map(|s| (s.s("id"), s.s("name"))).collect::<Vec<_>>());
    let people = Signal::derive(move || {
        list.get().and_then(Result::ok).unwrap_or_default().iter().map(|m| (m.s("user_id"), m.first(&["display_name", "username"]))).collect::<Vec<_>>()
    });
    let user_options = Signal::derive(move || {
        users.get().and_then(Result::ok).unwrap_or_default().iter().map(|u| (u.s("id"), format!("{}（{}）", u.s("display_name"), u.s("username")))).collect::<Vec<_>>()
    });
    let new_user = RwSignal::new(String::new());
    let unit_for_new = unit.clone();
    let reload = Callback::new(move |_: ()| list.refetch());
    view! {
        <Card title="人员">
            {show(list, move |ms: Vec<Value>| {
                if ms.is_empty() {
                    return view! { <Empty text="本单位尚无人员。"/> }.into_any();
                }
                let unit = unit.clone();
                view! {
                    <div class="table-wrap">
                        <table class="stack-sm">
                            <thead><tr><th>"姓名"</th><th>"角色"</th><th>"处室"</th><th>"B岗"</th><th></th></tr></thead>
                            <tbody>
                                {ms.into_iter().map(|m| view! {
                                    <MemberRow unit=unit.clone() m=m sections=section_options people=people reload=reload/>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            })}
            <div class="inline-form">
                <h3>"添加人员"</h3>
                <p class="muted small">"选择账户后，勾选其角色并保存。"</p>
                <div class="row"><PickOne options=user_options value=new_user placeholder="选择账户"/></div>
                {move || {
                    let u = new_user.get();
                    (!u.is_empty()).then(|| {
                        let m = json!({ "user_id": u, "display_name": user_options.get().into_iter().find(|(k, _)| *k == u).map(|(_, v)| v).unwrap_or_default(), "roles": [] });
                        view! {
                            <table class="stack-sm"><tbody>
                                <MemberRow unit=unit_for_new.clone() m=m sections=section_options people=people
                                    reload=Callback::new(move |_: ()| { new_user.set(String::new()); reload.run(()) })/>
                            </tbody></table>
                        }
                    })
                }}
            </div>
        </Card>
    }
}

#[component]
fn MemberRow(
    unit: String,
    m: Value,
    sections: Signal<Vec<(String, String)>>,
    people: Signal<Vec<(String, String)>>,
    reload: Callback<()>,
) -> impl IntoView {
    let user = m.s("user_id");
    let roles = RwSignal::new(m.arr("roles").iter().map(util::text_of).collect::<Vec<_>>());
    let section = RwSignal::new(m.s("section_id"));
    let backup = RwSignal::new(m.s("backup_user_id"));
    let role_options = Signal::derive(|| ROLES[..UNIT_ROLES].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>());
    let user2 = user.clone();
    let backups = Signal::derive(move || people.get().into_iter().filter(|(k, _)| *k != user2).collect::<Vec<_>>());
    let submit = Submit::new();
    let saved = RwSignal::new(false);
    let old_backup = m.s("backup_user_id");
    let save = move |_| {
        let body = json!({ "roles": roles.get_untracked(), "section_id": Some(section.get_untracked()).filter(|s| !s.is_empty()) });
        let member_path = format!("/units/{unit}/members/{user}");
        let backup_path = format!("{member_path}/backup");
        let b = backup.get_untracked();
        let old_backup = old_backup.clone();
        submit.run(
            async move {
                api::put(&member_path, body).await?;
                if b != old_backup {
                    api::put(&backup_path, json!({ "backup_user_id": Some(b).filter(|x| !x.is_empty()) })).await?;
                }
                Ok(())
            },
            move |_| {
                saved.set(true);
                reload.run(())
            },
        );
    };
    view! {
        <tr>
            <td>{m.first(&["display_name", "username"])}<div class="muted small mono">{m.s("username")}</div></td>
            <td data-label="角色"><PickMany options=role_options value=roles/></td>
            <td data-label="处室"><PickOne options=sections value=section placeholder="（无）"/></td>
            <td data-label="B岗（AB岗代办人）"><PickOne options=backups value=backup placeholder="（未设置）"/></td>
            <td>
                <button class="btn small" type="button" on:click=save disabled=submit.busy()>"保存"</button>
                {move || saved.get().then(|| view! { <span class="success small">" 已保存"</span> })}
                <ErrorNote submit=submit/>
            </td>
        </tr>
    }
}

/// One quorum ratio row: enabled (for overrides), numerator, denominator, inclusive.
#[derive(Clone, Copy)]
struct RatioRow {
    on: RwSignal<bool>,
    num: RwSignal<String>,
    den: RwSignal<String>,
    inclusive: RwSignal<bool>,
}

impl RatioRow {
    fn from(v: Option<&Value>) -> RatioRow {
        let v = v.cloned().unwrap_or(Value::Null);
        RatioRow {
            on: RwSignal::new(!v.is_null()),
            num: RwSignal::new(v.opt("num").unwrap_or_else(|| "1".into())),
            den: RwSignal::new(v.opt("den").unwrap_or_else(|| "2".into())),
            inclusive: RwSignal::new(v.b("inclusive")),
        }
    }
    fn value(&self) -> Option<Value> {
        let n: u32 = self.num.get_untracked().trim().parse().ok()?;
        let d: u32 = self.den.get_untracked().trim().parse().ok()?;
        Some(json!({ "num": n, "den": d, "inclusive": self.inclusive.get_untracked() }))
    }
}

#[component]
fn RatioEditor(#[prop(into)] label: String, row: RatioRow, optional: bool) -> impl IntoView {
    view! {
        <tr>
            <td>
                {if optional {
                    view! { <label class="check"><input type="checkbox" bind:checked=row.on/>{label.clone()}</label> }.into_any()
                } else {
                    view! { <span>{label.clone()}</span> }.into_any()
                }}
            </td>
            <td><input type="number" min="1" aria-label="分子" bind:value=row.num disabled=move || optional && !row.on.get()/></td>
            <td><input type="number" min="1" aria-label="分母" bind:value=row.den disabled=move || optional && !row.on.get()/></td>
            <td><label class="check"><input type="checkbox" bind:checked=row.inclusive disabled=move || optional && !row.on.get()/>"含本数（以上）"</label></td>
        </tr>
    }
}

#[component]
pub fn Settings() -> impl IntoView {
    let unit = RwSignal::new(String::new());
    view! {
        <PageHeader title="单位设置"/>
        <UnitPicker value=unit/>
        {move || {
            let u = unit.get();
            (!u.is_empty()).then(|| {
                let u2 = u.clone();
                let res = LocalResource::new(move || {
                    let u = u2.clone();
                    async move { api::get(&format!("/units/{u}/settings")).await }
                });
                view! { {show(res, move |s: Value| view! { <SettingsForm unit=u.clone() s=s/> })} }
            })
        }}
    }
}

#[component]
fn SettingsForm(unit: String, s: Value) -> impl IntoView {
    let text = |k: &str| RwSignal::new(s.s(k));
    let fund = text("fund_threshold");
    let margin = text("split_margin");
    let pub_days = text("publication_days");
    let day_kind = RwSignal::new(s.opt("publication_day_kind").unwrap_or_else(|| "working".into()));
    let idle = text("session_idle_minutes");
    let upload_mib = RwSignal::new(s.num("upload_limit_bytes").map(|b| format!("{}", (b / 1048576.0).round())).unwrap_or_default());
    let window = text("split_window_days");
    let lapse = text("deferral_lapse_days");
    let secret = RwSignal::new(s.b("secret_ballot_always"));
    let header = text("minutes_header");
    let dl = s.get("deadline_days").cloned().unwrap_or(Value::Null);
    let (dl_urgent, dl_exp, dl_normal) = (RwSignal::new(dl.s("urgent")), RwSignal::new(dl.s("expedited")), RwSignal::new(dl.s("normal")));
    let q = s.get("quorum").cloned().unwrap_or(Value::Null);
    let default_ratio = RatioRow::from(q.get("default"));
    let by_cat: Vec<(&str, &str, RatioRow)> = CATEGORIES.iter().map(|(k, l)| (*k, *l, RatioRow::from(q.get("by_category").and_then(|m| m.get(*k))))).collect();
    let by_type: Vec<(&str, &str, RatioRow)> = MEETING_TYPES.iter().map(|(k, l)| (*k, *l, RatioRow::from(q.get("by_meeting_type").and_then(|m| m.get(*k))))).collect();
    let submit = Submit::new();
    let saved = RwSignal::new(false);
    let (by_cat2, by_type2) = (by_cat.clone(), by_type.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !util::valid_money(&fund.get_untracked()) {
            submit.fail("集体决策资金标准须为金额（元，最多两位小数）。");
            return;
        }
        let num = |s: RwSignal<String>| s.get_untracked().trim().parse::<u64>().ok();
        let overrides = |rows: &[(&str, &str, RatioRow)]| -> Map<String, Value> {
            rows.iter().filter(|(_, _, r)| r.on.get_untracked()).filter_map(|(k, _, r)| r.value().map(|v| (k.to_string(), v))).collect()
        };
        let Some(default) = default_ratio.value() else {
            submit.fail("默认法定人数比例须为正整数。");
            return;
        };
        let mut body = json!({
            "fund_threshold": fund.get_untracked().trim(),
            "quorum": { "default": default, "by_category": overrides(&by_cat2), "by_meeting_type": overrides(&by_type2) },
            "publication_day_kind": day_kind.get_untracked(),
            "secret_ballot_always": secret.get_untracked(),
            "minutes_header": Some(header.get_untracked().trim().to_string()).filter(|h| !h.is_empty()),
        });
        for (k, sig) in [("split_margin", margin), ("publication_days", pub_days), ("session_idle_minutes", idle), ("split_window_days", window), ("deferral_lapse_days", lapse)] {
            if let Some(n) = num(sig) {
                body[k] = json!(n);
            }
        }
        if let Some(mib) = num(upload_mib) {
            body["upload_limit_bytes"] = json!(mib * 1024 * 1024);
        }
        if let (Some(u), Some(e), Some(n)) = (num(dl_urgent), num(dl_exp), num(dl_normal)) {
            body["deadline_days"] = json!({ "urgent": u, "expedited": e, "normal": n });
        }
        let path = format!("/units/{unit}/settings");
        saved.set(false);
        submit.run(async move { api::put(&path, body).await }, move |_| saved.set(true));
    };
    view! {
        <form class="stack" on:submit=save>
            <Card title="集体决策">
                <div class="cols">
                    <Field label="大额资金集体决策标准（元）" hint="达到或超过此金额必须集体研究（R01）"><input type="text" inputmode="decimal" bind:value=fund/></Field>
                    <Field label="意见分歧幅度" hint="同意与不同意人数相差不超过此数时不得表决，应缓议（R12）"><input type="number" min="0" bind:value=margin/></Field>
                    <Field label="缓议失效期限（天）" hint="R13"><input type="number" min="1" bind:value=lapse/></Field>
                    <Field label="拆分预警时间窗（天）" hint="S03"><input type="number" min="1" bind:value=window/></Field>
                </div>
                <label class="check"><input type="checkbox" bind:checked=secret/>"本单位规定一律无记名投票（R12）"</label>
            </Card>
            <Card title="法定人数（R08）">
                <p class="muted small">"实到人数须超过（或达到，勾选“含本数”）应到人数的 分子/分母；多个比例同时适用时取最严格的。"</p>
                <div class="table-wrap">
                    <table>
                        <thead><tr><th>"适用范围"</th><th>"分子"</th><th>"分母"</th><th></th></tr></thead>
                        <tbody>
                            <RatioEditor label="默认" row=default_ratio optional=false/>
                            {by_cat.into_iter().map(|(_, l, r)| view! { <RatioEditor label=format!("类别：{l}") row=r optional=true/> }).collect_view()}
                            {by_type.into_iter().map(|(_, l, r)| view! { <RatioEditor label=format!("会议：{l}") row=r optional=true/> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </Card>
            <Card title="公示、纪要与公文">
                <div class="cols">
                    <Field label="公示期"><input type="number" min="1" bind:value=pub_days/></Field>
                    <Field label="公示期计算方式">
                        <Choice options=&[("working", "工作日"), ("calendar", "自然日")] value=day_kind/>
                    </Field>
                    <Field label="统一纪要文头" hint="不填使用单位名称（R15）"><input type="text" bind:value=header/></Field>
                    <Field label="特急件办理期限（工作日）"><input type="number" min="1" bind:value=dl_urgent/></Field>
                    <Field label="加急件办理期限（工作日）"><input type="number" min="1" bind:value=dl_exp/></Field>
                    <Field label="平件办理期限（工作日）"><input type="number" min="1" bind:value=dl_normal/></Field>
                </div>
            </Card>
            <Card title="安全">
                <div class="cols">
                    <Field label="会话空闲超时（分钟）" hint="R41"><input type="number" min="1" bind:value=idle/></Field>
                    <Field label="附件大小上限（MB）" hint="R44"><input type="number" min="1" bind:value=upload_mib/></Field>
                </div>
            </Card>
            <ErrorNote submit=submit/>
            {move || saved.get().then(|| view! { <p class="success" role="status">"设置已保存。"</p> })}
            <div class="row"><button class="btn primary" type="submit" disabled=submit.busy()>"保存设置"</button></div>
        </form>
    }
}

#[component]
pub fn Calendar() -> impl IntoView {
    let session = use_session();
    let year = RwSignal::new(util::this_year().to_string());
    let res = LocalResource::new(move || {
        let unit = session.unit_id();
        let y = year.get();
        async move { api::get(&format!("/units/{unit}/calendar/{y}")).await }
    });
    let this = util::this_year();
    let years = Signal::derive(move || (this - 1..=this + 1).map(|y| (y.to_string(), format!("{y} 年"))).collect::<Vec<_>>());
    view! {
        <PageHeader title="工作日历"/>
        <p class="muted">"周末默认休息。在此登记法定节假日和调休上班日；会议通知时限、公示期和办理期限按此计算（R06、R45）。"</p>
        <div class="filters"><Field label="年份"><PickOne options=years value=year/></Field></div>
        {show(res, move |c: Value| view! { <CalendarForm year=year.get_untracked() c=c/> })}
    }
}

fn dates_of(v: &Value, key: &str) -> String {
    v.arr(key).iter().map(util::text_of).collect::<Vec<_>>().join("\n")
}

fn parse_dates(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for d in s.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、').filter(|d| !d.is_empty()) {
        let ok = d.len() == 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-' && d.chars().filter(char::is_ascii_digit).count() == 8;
        if !ok {
            return Err(format!("日期格式应为 YYYY-MM-DD：{d}"));
        }
        out.push(d.to_string());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[component]
fn CalendarForm(year: String, c: Value) -> impl IntoView {
    let session = use_session();
    let holidays = RwSignal::new(dates_of(&c, "holidays"));
    let workdays = RwSignal::new(dates_of(&c, "workdays"));
    let submit = Submit::new();
    let saved = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (h, w) = match (parse_dates(&holidays.get_untracked()), parse_dates(&workdays.get_untracked())) {
            (Ok(h), Ok(w)) => (h, w),
            (Err(e), _) | (_, Err(e)) => {
                submit.fail(&e);
                return;
            }
        };
        let path = format!("/units/{}/calendar/{}", session.unit_id(), year);
        saved.set(false);
        submit.run(async move { api::put(&path, json!({ "holidays": h, "workdays": w })).await }, move |_| saved.set(true));
    };
    view! {
        <form on:submit=save>
            <div class="grid2">
                <Card title="法定节假日">
                    <Field label="每行一个日期" hint="例如 2026-10-01"><textarea rows="12" class="mono" bind:value=holidays></textarea></Field>
                </Card>
                <Card title="调休上班日（周末上班）">
                    <Field label="每行一个日期"><textarea rows="12" class="mono" bind:value=workdays></textarea></Field>
                </Card>
            </div>
            <ErrorNote submit=submit/>
            {move || saved.get().then(|| view! { <p class="success" role="status">"工作日历已保存。"</p> })}
            <button class="btn primary" type="submit" disabled=submit.busy()>"保存"</button>
        </form>
    }
}
