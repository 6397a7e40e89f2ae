//! Who is signed in, which unit is selected, what roles that gives, and the live event
//! stream (SSE) that tells pages to refresh.

use std::cell::RefCell;

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::api::{self, ApiError};
use crate::util::{self, J};

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub must_change_password: bool,
    /// sysadmin / secadmin / auditor (三权分立: at most one).
    pub admin_role: Option<String>,
    /// Platform roles (sysadmin / secadmin / auditor), if the server reports them on the user.
    pub roles: Vec<String>,
}

impl User {
    pub fn name(&self) -> String {
        if self.display_name.is_empty() { self.username.clone() } else { self.display_name.clone() }
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Membership {
    pub unit_id: String,
    pub unit_name: String,
    pub roles: Vec<String>,
    pub section_id: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Me {
    pub user: User,
    pub units: Vec<Membership>,
    /// Platform roles, if reported beside the user rather than on it.
    pub roles: Vec<String>,
}

const UNIT_KEY: &str = "yishi.unit";

#[derive(Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
    /// False until the first `GET /me` has answered (signed in or not).
    pub loaded: RwSignal<bool>,
    pub unit: RwSignal<Option<String>>,
    /// Bumped on every server-sent event; pages showing live data refetch when it changes.
    pub events: RwSignal<u64>,
    /// The last event's payload (`{kind, data: {object_type, object_id, …}}`).
    pub last_event: RwSignal<Value>,
    /// The current unit's people (`GET /units/{unit}/members`), for names and pickers.
    pub members: RwSignal<Vec<Value>>,
    pub sections: RwSignal<Vec<Value>>,
    /// True once the unit's people and sections have been asked for (loaded or not), so
    /// pages render once with names instead of re-rendering (and losing input) later.
    pub directory_ready: RwSignal<bool>,
}

impl Session {
    pub fn new() -> Self {
        Session {
            me: RwSignal::new(None),
            loaded: RwSignal::new(false),
            unit: RwSignal::new(None),
            events: RwSignal::new(0),
            last_event: RwSignal::new(Value::Null),
            members: RwSignal::new(Vec::new()),
            sections: RwSignal::new(Vec::new()),
            directory_ready: RwSignal::new(false),
        }
    }

    pub fn set_me(&self, me: Me) {
        let stored = util::local_get(UNIT_KEY);
        let unit = me
            .units
            .iter()
            .find(|u| Some(&u.unit_id) == stored.as_ref())
            .or_else(|| me.units.first())
            .map(|u| u.unit_id.clone());
        self.me.set(Some(me));
        self.select_unit(unit);
        start_events(*self);
    }

    pub fn select_unit(&self, unit: Option<String>) {
        if let Some(u) = &unit {
            util::local_set(UNIT_KEY, u);
        }
        self.unit.set(unit.clone());
        self.members.set(Vec::new());
        self.sections.set(Vec::new());
        let Some(unit) = unit else {
            self.directory_ready.set(true);
            return;
        };
        self.directory_ready.set(false);
        let this = *self;
        leptos::task::spawn_local(async move {
            // Both lists are conveniences (names, pickers); pages still work without them.
            if let Ok(v) = api::get(&format!("/units/{unit}/members")).await {
                this.members.set(util::items(&v));
            }
            if let Ok(v) = api::get(&format!("/units/{unit}/sections")).await {
                this.sections.set(util::items(&v));
            }
            this.directory_ready.set(true);
        });
    }

    pub fn clear(&self) {
        api::set_csrf(None);
        stop_events();
        self.me.set(None);
        self.members.set(Vec::new());
        self.sections.set(Vec::new());
    }

    pub fn user(&self) -> User {
        self.me.with(|m| m.as_ref().map(|m| m.user.clone()).unwrap_or_default())
    }

    pub fn user_id(&self) -> String {
        self.me.with(|m| m.as_ref().map(|m| m.user.id.clone()).unwrap_or_default())
    }

    pub fn unit_id(&self) -> String {
        self.unit.get().unwrap_or_default()
    }

    pub fn membership(&self) -> Option<Membership> {
        let unit = self.unit.get()?;
        self.me.with(|m| m.as_ref()?.units.iter().find(|u| u.unit_id == unit).cloned())
    }

    /// Holds `role` in the selected unit (or as a platform role).
    pub fn has(&self, role: &str) -> bool {
        let platform = self.me.with(|m| {
            m.as_ref().is_some_and(|m| {
                m.user.admin_role.as_deref() == Some(role) || m.roles.iter().chain(m.user.roles.iter()).any(|r| r == role)
            })
        });
        platform
            || self.membership().is_some_and(|m| {
                m.roles.iter().any(|r| r == role) || (role == "member" && m.roles.iter().any(|r| r == "principal" || r == "deputy"))
            })
    }

    pub fn has_any(&self, roles: &[&str]) -> bool {
        roles.iter().any(|r| self.has(r))
    }

    /// Display name for a user id, from the unit's member list (falls back to the id).
    pub fn name_of(&self, user_id: &str) -> String {
        if user_id.is_empty() {
            return String::new();
        }
        if user_id == self.user_id() {
            return self.user().name();
        }
        self.members.with(|ms| {
            ms.iter()
                .find(|m| m.first(&["user_id", "id"]) == user_id)
                .map(|m| m.first(&["display_name", "name", "username"]))
                .unwrap_or_else(|| user_id.to_string())
        })
    }

    pub fn section_name(&self, section_id: &str) -> String {
        self.sections.with(|ss| {
            ss.iter()
                .find(|s| s.s("id") == section_id)
                .map(|s| s.s("name"))
                .unwrap_or_else(|| section_id.to_string())
        })
    }

    /// Members of the unit holding one of `roles` (all members when `roles` is empty).
    pub fn people_with(&self, roles: &[&str]) -> Vec<(String, String)> {
        self.members.with(|ms| {
            ms.iter()
                .filter(|m| {
                    roles.is_empty()
                        || m.arr("roles").iter().any(|r| roles.iter().any(|want| r.as_str() == Some(want)))
                })
                .map(|m| (m.first(&["user_id", "id"]), m.first(&["display_name", "name", "username"])))
                .collect()
        })
    }
}

/// The name of a person in a JSON field that may be a string, an id, or an object.
pub fn person(session: &Session, v: &Value) -> String {
    match v {
        Value::String(s) => session.name_of(s),
        Value::Object(_) => {
            let name = v.first(&["display_name", "name", "username"]);
            if name.is_empty() { session.name_of(&v.first(&["user_id", "id"])) } else { name }
        }
        _ => String::new(),
    }
}

/// Refetches `res` when a server event concerns the object `id` (someone else acted on it).
pub fn refetch_on_event<T: 'static>(session: Session, id: String, res: LocalResource<T>) {
    Effect::new(move |seen: Option<u64>| {
        let n = session.events.get();
        if seen.is_some() {
            let hit = session.last_event.with_untracked(|e| {
                // `resync`/`hello` carry no data: anything may have changed.
                let Some(d) = e.get("data") else { return true };
                [d.s("object_id"), d.s("proposal_id"), d.s("meeting_id"), d.s("minutes_id"), d.s("publication_id")].contains(&id)
            });
            if hit {
                res.refetch();
            }
        }
        n
    });
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

pub async fn load_me(session: Session) -> Result<(), ApiError> {
    let v = api::get("/me").await?;
    // A new tab has an empty sessionStorage but a valid cookie: take the token from /me.
    if let Some(t) = v.opt("csrf_token") {
        api::set_csrf(Some(&t));
    }
    let me: Me = serde_json::from_value(v).map_err(|e| ApiError::local(format!("服务器返回了无法识别的数据：{e}")))?;
    session.set_me(me);
    Ok(())
}

/// The open event stream and the handler it calls (kept alive as long as the stream).
type EventStream = (web_sys::EventSource, Closure<dyn FnMut(web_sys::MessageEvent)>);

thread_local! {
    static EVENTS: RefCell<Option<EventStream>> = const { RefCell::new(None) };
}

/// The event names `GET /api/v1/events` sends (backend `http/platform.rs` sends each bus
/// event under its kind; the kinds published are `task`, `vote` and `meeting`), `resync` when
/// this stream lagged behind, `hello` on every (re)connection; `message` for unnamed events.
/// Any of them refreshes; a `hello` only after a reconnection (events may have been missed).
const EVENT_NAMES: &[&str] = &["message", "task", "vote", "meeting", "resync", "hello"];

fn start_events(session: Session) {
    stop_events();
    let Ok(source) = web_sys::EventSource::new(&api::url("/events")) else { return };
    let mut connected = false;
    let on_event = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        if ev.type_() == "hello" {
            let first = !connected;
            connected = true;
            if first {
                return;
            }
        }
        let payload = ev.data().as_string().and_then(|d| serde_json::from_str::<Value>(&d).ok()).unwrap_or(Value::Null);
        session.last_event.set(payload);
        session.events.update(|n| *n += 1);
    });
    for name in EVENT_NAMES {
        let _ = source.add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
    }
    EVENTS.with(|e| *e.borrow_mut() = Some((source, on_event)));
}

fn stop_events() {
    EVENTS.with(|e| {
        if let Some((source, _)) = e.borrow_mut().take() {
            source.close();
        }
    });
}
