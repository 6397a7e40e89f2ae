//! Demo and test data: 示例市国土资源局 with its leadership, office, four sections,
//! handlers, staff and an inspector, plus the three administrators. Used by `yishi demo`
//! and by the integration tests (which need a realistic unit in milliseconds).
use crate::audit::{self, Actor, NewEntry};
use crate::db::Db;
use crate::error::AppResult;
use crate::store::entities::{calendars, memberships, sections, units, users};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::json;
use std::collections::BTreeMap;

pub const DEMO_PASSWORD: &str = "Yishi@2026demo";
pub const UNIT_NAME: &str = "示例市国土资源局";
pub const UNIT_CODE: &str = "X国土资";

/// (username, display name, roles, section key, what they do)
pub const PEOPLE: &[(&str, &str, &[&str], Option<&str>, &str)] = &[
    ("zhangwei", "张伟", &["principal"], None, "党组书记、局长（主要领导）"),
    ("lina", "李娜", &["deputy"], None, "副局长（分管办公室、财务处）"),
    ("wangqiang", "王强", &["deputy"], None, "副局长（分管规划处、耕地保护处）"),
    ("liuyang", "刘洋", &["member"], None, "党组成员"),
    ("chenjing", "陈静", &["member"], None, "党组成员、纪检组长"),
    ("zhaomin", "赵敏", &["office_director", "section_head"], Some("office"), "办公室主任"),
    ("sunli", "孙丽", &["clerk"], Some("office"), "办公室文秘"),
    ("mali", "马丽", &["handler"], Some("office"), "办公室承办人"),
    ("zhoujie", "周杰", &["section_head"], Some("planning"), "规划处处长"),
    ("huangxin", "黄欣", &["handler"], Some("planning"), "规划处承办人"),
    ("wuhua", "吴华", &["section_head"], Some("finance"), "财务处处长"),
    ("xuming", "徐明", &["handler"], Some("finance"), "财务处承办人"),
    ("zhengkai", "郑凯", &["section_head"], Some("farmland"), "耕地保护处处长"),
    ("gaofei", "高飞", &["handler"], Some("farmland"), "耕地保护处承办人"),
    ("hejun", "何军", &["staff"], Some("planning"), "干部职工"),
    ("luoyan", "罗燕", &["staff"], Some("finance"), "干部职工"),
    ("songtao", "宋涛", &["inspector"], None, "驻局纪检监察组"),
];

/// (key, name, deputy username)
pub const SECTIONS: &[(&str, &str, &str)] = &[
    ("office", "办公室", "lina"),
    ("planning", "规划处", "wangqiang"),
    ("finance", "财务处", "lina"),
    ("farmland", "耕地保护处", "wangqiang"),
];

pub const ADMINS: &[(&str, &str, &str)] = &[
    ("sysadmin", "系统管理员", "sysadmin"),
    ("secadmin", "安全管理员", "secadmin"),
    ("auditor", "审计管理员", "auditor"),
];

#[derive(Clone, Debug)]
pub struct DemoOrg {
    pub unit_id: String,
    /// username → user id
    pub users: BTreeMap<String, String>,
    /// section key → section id
    pub sections: BTreeMap<String, String>,
}

impl DemoOrg {
    pub fn user(&self, username: &str) -> String {
        self.users.get(username).cloned().unwrap_or_default()
    }
    pub fn section(&self, key: &str) -> String {
        self.sections.get(key).cloned().unwrap_or_default()
    }
}

/// Seeds the organisation in one transaction. All accounts share `DEMO_PASSWORD` and need
/// no password change (it is a demo). `unit_suffix` lets tests create several units.
pub async fn seed_org(db: &Db, now: DateTime<Utc>, unit_suffix: &str) -> AppResult<DemoOrg> {
    let hash = crate::auth::hash_password(DEMO_PASSWORD)?;
    let tx = db.begin_write().await?;
    let unit_id = uuid::Uuid::now_v7().to_string();
    units::ActiveModel {
        id: Set(unit_id.clone()),
        name: Set(format!("{UNIT_NAME}{unit_suffix}")),
        short_code: Set(format!("{UNIT_CODE}{unit_suffix}")),
        parent_id: Set(None),
        settings: Set(json!({ "minutes_header": format!("{UNIT_NAME}{unit_suffix}会议纪要") }).to_string()),
        created_at: Set(now),
        version: Set(1),
    }
    .insert(&*tx)
    .await?;
    let (h, w) = yishi_domain::calendar::china_2026();
    calendars::ActiveModel {
        unit_id: Set(unit_id.clone()),
        year: Set(2026),
        holidays: Set(serde_json::to_string(&h)?),
        workdays: Set(serde_json::to_string(&w)?),
        version: Set(1),
    }
    .insert(&*tx)
    .await?;
    let mut user_ids = BTreeMap::new();
    let suffix_user = |u: &str| if unit_suffix.is_empty() { u.to_string() } else { format!("{u}{unit_suffix}") };
    let mk_user = |username: String, display: &str, admin: Option<&str>| users::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        username: Set(username),
        display_name: Set(display.to_string()),
        password_hash: Set(hash.clone()),
        admin_role: Set(admin.map(str::to_string)),
        must_change_password: Set(false),
        active: Set(true),
        created_at: Set(now),
        version: Set(1),
    };
    for (username, display, _, _, _) in PEOPLE {
        let u = mk_user(suffix_user(username), display, None).insert(&*tx).await?;
        user_ids.insert(username.to_string(), u.id);
    }
    if unit_suffix.is_empty() {
        for (username, display, role) in ADMINS {
            let u = mk_user(username.to_string(), display, Some(role)).insert(&*tx).await?;
            user_ids.insert(username.to_string(), u.id);
        }
    }
    let mut section_ids = BTreeMap::new();
    for (key, name, deputy) in SECTIONS {
        let id = uuid::Uuid::now_v7().to_string();
        sections::ActiveModel {
            id: Set(id.clone()),
            unit_id: Set(unit_id.clone()),
            name: Set(name.to_string()),
            deputy_id: Set(user_ids.get(*deputy).cloned()),
            created_at: Set(now),
            version: Set(1),
        }
        .insert(&*tx)
        .await?;
        section_ids.insert(key.to_string(), id);
    }
    for (username, _, roles, section, _) in PEOPLE {
        memberships::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            unit_id: Set(unit_id.clone()),
            user_id: Set(user_ids.get(*username).cloned().unwrap_or_default()),
            roles: Set(serde_json::to_string(roles)?),
            section_id: Set(section.and_then(|s| section_ids.get(s).cloned())),
            backup_user_id: Set(None),
            created_at: Set(now),
            version: Set(1),
        }
        .insert(&*tx)
        .await?;
    }
    // AB岗: each handler backs up the other handler of a neighbouring section; the office
    // director is backed by the clerk's colleague.
    for (a, b) in [("huangxin", "gaofei"), ("gaofei", "huangxin"), ("xuming", "mali"), ("mali", "xuming"), ("zhoujie", "zhengkai"), ("zhengkai", "zhoujie")] {
        if let (Some(a_id), Some(b_id)) = (user_ids.get(a), user_ids.get(b)) {
            if let Some(m) = crate::org::membership(&*tx, &unit_id, a_id).await? {
                let mut am: memberships::ActiveModel = m.into();
                am.backup_user_id = Set(Some(b_id.clone()));
                am.update(&*tx).await?;
            }
        }
    }
    crate::authz::bump_policy_version(&*tx).await?;
    audit::append(&*tx, now, &Actor::system(), NewEntry {
        unit_id: Some(unit_id.clone()),
        action: "demo.seed".into(),
        object_type: "unit".into(),
        object_id: Some(unit_id.clone()),
        before: serde_json::Value::Null,
        after: json!({ "people": PEOPLE.len() }),
        permanent: false,
    })
    .await?;
    tx.commit().await?;
    Ok(DemoOrg { unit_id, users: user_ids, sections: section_ids })
}

/// The demo's business data in various states (proposals, meetings, documents).
/// Flow modules add their part here.
pub async fn seed_flows(state: &crate::state::AppState, org: &DemoOrg) -> AppResult<()> {
    crate::incoming::demo::seed(state, org).await?;
    crate::outgoing::demo::seed(state, org).await?;
    crate::deliberation::demo::seed(state, org).await?;
    crate::minutes::demo::seed(state, org).await?;
    crate::oversight::demo::seed(state, org).await?;
    Ok(())
}

pub fn print_accounts() {
    println!("\n演示账户（密码均为 {DEMO_PASSWORD}）：");
    println!("  {:<12} {:<6} {}", "用户名", "姓名", "职务/角色");
    for (u, d, _, _, what) in PEOPLE {
        println!("  {:<12} {:<6} {}", u, d, what);
    }
    for (u, d, _) in ADMINS {
        println!("  {:<12} {:<6} 三员（{}）", u, d, d);
    }
}
