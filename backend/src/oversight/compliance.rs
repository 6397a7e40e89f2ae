//! S02: the unit's compliance report — every deliberation, proposal and document with its
//! checks, the unit-wide checks, and the S03 flags — as JSON or CSV.
use super::facts;
use super::splitting;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use yishi_domain::enums::Category;
use yishi_domain::oversight::deliberation::{self as dl, Context};
use yishi_domain::oversight::documents::{self as docs, Org};
use yishi_domain::oversight::{Check, Status, worst};
use yishi_domain::roles::Role;
use yishi_domain::time::{local_date, local_end_of_day, local_start_of_day};

/// Query of `GET /api/v1/units/{unit}/compliance`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    /// `YYYY-MM-DD` (Asia/Shanghai), inclusive: meetings by their date, proposals and
    /// documents by their creation, flags by their items.
    pub from: Option<String>,
    pub to: Option<String>,
    /// A proposal category (`large_fund` …): only deliberations and proposals of it.
    pub category: Option<String>,
    /// Only red flags: checks that are not `passed` (and entries holding one).
    pub only_red: Option<bool>,
    /// Comma-separated rule ids, e.g. `R06,R13`.
    pub rule: Option<String>,
    /// Comma-separated sections: `deliberations,proposals,documents,unit,splitting`.
    pub kind: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

pub struct Filters {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub category: Option<Category>,
    pub only_red: bool,
    pub rules: Option<Vec<String>>,
    pub kinds: Vec<&'static str>,
    pub csv: bool,
}

const KINDS: &[&str] = &["deliberations", "proposals", "documents", "unit", "splitting"];

fn parse_date(field: &str, v: &Option<String>) -> AppResult<Option<NaiveDate>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::invalid(field, format!("{field} 须为 YYYY-MM-DD 格式的日期"))),
    }
}

impl Filters {
    pub fn parse(q: &ComplianceQuery) -> AppResult<Filters> {
        let from = parse_date("from", &q.from)?;
        let to = parse_date("to", &q.to)?;
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            return Err(AppError::invalid("from", "起始日期不能晚于截止日期"));
        }
        let category = match q.category.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(c) => Some(Category::parse_field(c, "category")?),
        };
        let rules = q.rule.as_deref().map(|r| {
            r.split(',').map(|x| x.trim().to_ascii_uppercase()).filter(|x| !x.is_empty()).collect::<Vec<_>>()
        });
        let kinds = match q.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => KINDS.to_vec(),
            Some(k) => {
                let mut out = Vec::new();
                for part in k.split(',').map(str::trim) {
                    match KINDS.iter().find(|x| **x == part) {
                        Some(x) => out.push(*x),
                        None => {
                            return Err(AppError::invalid("kind", format!("kind 只能是 {} 中的一项或多项", KINDS.join("、"))));
                        }
                    }
                }
                out
            }
        };
        let csv = match q.format.as_deref().unwrap_or("json") {
            "json" | "" => false,
            "csv" => true,
            _ => return Err(AppError::invalid("format", "format 只能是 json 或 csv")),
        };
        Ok(Filters { from, to, category, only_red: q.only_red.unwrap_or(false), rules, kinds, csv })
    }

    fn in_range(&self, t: DateTime<Utc>) -> bool {
        let d = local_date(t);
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|x| d <= x)
    }

    fn wants(&self, kind: &str) -> bool {
        self.kinds.contains(&kind)
    }

    /// Applies the rule and only-red filters to a list of checks.
    fn keep(&self, checks: Vec<Check>) -> Vec<Check> {
        checks
            .into_iter()
            .filter(|c| self.rules.as_ref().is_none_or(|r| r.contains(&c.rule)))
            .filter(|c| !self.only_red || c.status.is_red())
            .collect()
    }

    /// [`Filters::keep`], counting the statuses in `counts` before the only-red filter (the
    /// summary tells how many checks passed even when only the red ones are listed).
    fn count_keep(&self, counts: &mut Counts, checks: Vec<Check>) -> Vec<Check> {
        for c in checks.iter().filter(|c| self.rules.as_ref().is_none_or(|r| r.contains(&c.rule))) {
            match c.status {
                Status::Passed => counts.passed += 1,
                Status::Warning => counts.warning += 1,
                Status::Violated => counts.violated += 1,
            }
        }
        self.keep(checks)
    }
}

#[derive(Default)]
struct Counts {
    passed: usize,
    warning: usize,
    violated: usize,
}

/// Replaces user ids in messages with display names (ids are UUIDs: no accidental match).
fn humanize(mut checks: Vec<Check>, names: &HashMap<String, String>) -> Vec<Check> {
    for c in &mut checks {
        for (id, name) in names {
            if c.message.contains(id.as_str()) {
                c.message = c.message.replace(id.as_str(), name);
            }
        }
    }
    checks
}

fn checks_json(checks: &[Check]) -> Value {
    serde_json::to_value(checks).unwrap_or(Value::Array(Vec::new()))
}

/// The report; see `oversight` for the JSON shape.
pub async fn report(state: &AppState, unit: &str, f: &Filters) -> AppResult<Value> {
    let db = &state.db.conn;
    let now = state.clock.now();
    let settings = crate::org::settings(db, unit).await?;
    let calendar = crate::org::calendar(db, unit).await?;
    let principal_ids: Vec<String> = crate::org::holders_of(db, unit, Role::Principal).await?.into_iter().map(|m| m.user_id).collect();
    let office_directors: Vec<String> =
        crate::org::holders_of(db, unit, Role::OfficeDirector).await?.into_iter().map(|m| m.user_id).collect();
    let names = splitting::user_names(db, unit).await?;
    let ctx = Context { calendar: &calendar, settings: &settings, principal_ids: &principal_ids, now };
    let dfacts = facts::deliberations(db, unit).await?;
    let mut counts = Counts::default();

    let mut deliberations = Vec::new();
    if f.wants("deliberations") {
        for m in &dfacts.meetings {
            if m.starts_at.is_some_and(|t| !f.in_range(t)) {
                continue;
            }
            let cat_ok = |c: &str| f.category.is_none_or(|x| x.as_str() == c);
            if f.category.is_some() && !m.items.iter().any(|i| cat_ok(&i.category)) {
                continue;
            }
            let minutes = dfacts.minutes_by_meeting.get(&m.id).cloned().unwrap_or_default();
            let mut meeting_checks = dl::meeting_checks(&ctx, m, &minutes);
            for p in dfacts.publications.iter().filter(|p| p.meeting_id == m.id) {
                meeting_checks.push(dl::check_publication(&ctx, &p.record, &p.confidential));
                meeting_checks.extend(dl::check_summary(&ctx, &p.record));
            }
            let meeting_checks = humanize(meeting_checks, &names);
            let mut items = Vec::new();
            let mut all = meeting_checks.clone();
            for i in m.items.iter().filter(|i| cat_ok(&i.category)) {
                let ic = humanize(dl::item_checks(&ctx, m, i), &names);
                all.extend(ic.iter().cloned());
                let ic = f.keep(ic);
                if f.only_red && ic.is_empty() {
                    continue;
                }
                items.push(json!({
                    "object_type": "proposal", "object_id": i.proposal_id, "item_id": i.id, "proposal_id": i.proposal_id,
                    "title": i.title, "category": i.category, "state": i.state, "path": i.path, "outcome": i.outcome,
                    "status": worst(&ic).as_str(), "checks": checks_json(&ic),
                }));
            }
            let all = f.count_keep(&mut counts, all);
            if all.is_empty() && (f.only_red || f.rules.is_some()) {
                continue;
            }
            let date = m.starts_at.map(local_date).map(|d| d.to_string()).unwrap_or_default();
            deliberations.push(json!({
                "object_type": "meeting", "object_id": m.id, "meeting_id": m.id,
                "title": format!("{}（{}）", m.title, date), "meeting_title": m.title, "meeting_type": m.meeting_type,
                "starts_at": m.starts_at, "date": date, "state": m.state,
                "status": worst(&all).as_str(), "checks": checks_json(&all), "items": items,
            }));
        }
    }

    let mut proposals = Vec::new();
    if f.wants("proposals") {
        for p in &dfacts.proposals {
            let Some(row) = dfacts.proposal_rows.get(&p.id) else { continue };
            if !f.in_range(row.created_at) || f.category.is_some_and(|c| c.as_str() != p.category) {
                continue;
            }
            let checks: Vec<Check> = [dl::check_premeeting(&ctx, p), dl::check_archive(p, &dfacts.archive)].into_iter().flatten().collect();
            let checks = f.count_keep(&mut counts, humanize(checks, &names));
            if checks.is_empty() {
                continue;
            }
            proposals.push(json!({
                "object_type": "proposal", "object_id": p.id, "title": p.title, "category": p.category, "state": p.state,
                "status": worst(&checks).as_str(), "checks": checks_json(&checks),
            }));
        }
    }

    let mut documents = Vec::new();
    if f.wants("documents") && f.category.is_none() {
        let dd = facts::documents(db, unit, &dfacts.proposal_rows).await?;
        for d in &dd.outgoing {
            let Some(row) = dd.outgoing_rows.get(&d.id) else { continue };
            if !f.in_range(row.created_at) {
                continue;
            }
            let org = Org {
                principals: principal_ids.clone(),
                deputy_in_charge: dd.deputies.get(&row.main_section_id).cloned().flatten(),
                office_directors: office_directors.clone(),
            };
            let checks = f.count_keep(&mut counts, humanize(docs::outgoing_checks(d, &org, settings.fund_threshold.fen()), &names));
            if checks.is_empty() {
                continue;
            }
            documents.push(json!({
                "object_type": "outgoing", "object_id": d.id, "title": d.title, "number": d.number, "state": d.state,
                "issuing_form": d.issuing_form, "status": worst(&checks).as_str(), "checks": checks_json(&checks),
            }));
        }
        for d in &dd.incoming {
            let Some(row) = dd.incoming_rows.get(&d.id) else { continue };
            if !f.in_range(row.created_at) {
                continue;
            }
            let checks = f.count_keep(&mut counts, humanize(docs::check_deadline(d, &calendar, now).into_iter().collect(), &names));
            if checks.is_empty() {
                continue;
            }
            documents.push(json!({
                "object_type": "incoming", "object_id": d.id, "title": d.title, "number": d.source_number, "state": d.state,
                "status": worst(&checks).as_str(), "checks": checks_json(&checks),
            }));
        }
    }

    let mut unit_checks = Vec::new();
    if f.wants("unit") {
        let mut checks = vec![dl::check_serials(&dfacts.minutes)];
        let (chain, full_at) = crate::audit::verify_recent(db, &state.audit_verified, now).await?;
        checks.push(if chain.ok {
            Check::new(
                "R19",
                "audit_chain",
                "审计日志完整性",
                Status::Passed,
                format!(
                    "审计日志哈希链完整，共 {} 条（全量校验于 {}，其后新增的记录已逐条校验；全量校验每 {} 分钟至少一次，也可随时在审计页执行）",
                    chain.entries,
                    full_at.with_timezone(&yishi_domain::time::SHANGHAI).format("%Y-%m-%d %H:%M"),
                    crate::audit::FULL_VERIFY_EVERY_MINUTES
                ),
            )
        } else {
            Check::new("R19", "audit_chain", "审计日志完整性", Status::Violated, "审计日志哈希链校验失败：有记录被篡改、删除或调换顺序，请审计管理员核查")
        });
        let checks = f.count_keep(&mut counts, checks);
        if !checks.is_empty() {
            unit_checks.push(json!({
                "object_type": "unit", "object_id": unit, "title": "单位整体", "status": worst(&checks).as_str(), "checks": checks_json(&checks),
            }));
        }
    }

    let mut flags = Vec::new();
    if f.wants("splitting") && f.rules.as_ref().is_none_or(|r| r.iter().any(|x| x == "S03")) {
        let from = f.from.map(local_start_of_day);
        let to = f.to.map(local_end_of_day);
        flags = splitting::list(state, unit, from, to).await?;
        if f.only_red {
            flags.retain(|x| x["state"] == "open");
        }
    }

    let open_flags = flags.iter().filter(|x| x["state"] == "open").count();
    Ok(json!({
        "unit_id": unit,
        "generated_at": now,
        "filters": {
            "from": f.from.map(|d| d.to_string()), "to": f.to.map(|d| d.to_string()),
            "category": f.category.map(|c| c.as_str()), "only_red": f.only_red, "rule": f.rules, "kind": f.kinds,
        },
        "summary": {
            "passed": counts.passed,
            "warning": counts.warning,
            "violated": counts.violated,
            "red_flags": counts.warning + counts.violated + open_flags,
            "splitting_flags": open_flags,
        },
        "deliberations": deliberations,
        "proposals": proposals,
        "documents": documents,
        "unit_checks": unit_checks,
        "splitting": flags,
    }))
}

// ------------------------------------------------------------------ CSV

fn cell(s: &str) -> String {
    // Spreadsheet formula injection: a cell starting with = + - @ is prefixed with '.
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn row(fields: &[&str]) -> String {
    let mut line = fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

fn status_label(s: &str) -> &'static str {
    match s {
        "violated" => "违规",
        "warning" => "提示",
        _ => "合规",
    }
}

fn evidence_text(c: &Value) -> String {
    c["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| match e["label"].as_str() {
            Some(l) if !l.is_empty() => format!("{}:{}({})", e["type"].as_str().unwrap_or(""), e["id"].as_str().unwrap_or(""), l),
            _ => format!("{}:{}", e["type"].as_str().unwrap_or(""), e["id"].as_str().unwrap_or("")),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

const OBJECT_LABELS: &[(&str, &str)] =
    &[("meeting", "会议"), ("proposal", "议题"), ("outgoing", "发文"), ("incoming", "收文"), ("unit", "单位"), ("splitting_flag", "拆分预警")];

fn object_label(t: &str) -> &str {
    OBJECT_LABELS.iter().find(|(k, _)| *k == t).map(|(_, v)| *v).unwrap_or(t)
}

/// The report as CSV (UTF-8 with BOM so that spreadsheet programs read the Chinese right):
/// one row per check, and one per S03 flag.
pub fn to_csv(report: &Value) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&row(&["对象类型", "对象编号", "对象", "日期", "议题", "规则", "检查项", "结果", "说明", "依据"]));
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    for section in ["deliberations", "proposals", "documents", "unit_checks"] {
        for e in report[section].as_array().into_iter().flatten() {
            let ty = s(&e["object_type"]);
            let date = s(&e["date"]);
            for c in e["checks"].as_array().into_iter().flatten() {
                // Item checks of a meeting name their item (first evidence label).
                let subject = c["evidence"]
                    .as_array()
                    .and_then(|ev| ev.iter().find(|x| x["type"] == "proposal"))
                    .map(|x| s(&x["label"]))
                    .unwrap_or_default();
                out.push_str(&row(&[
                    object_label(&ty),
                    &s(&e["object_id"]),
                    &s(&e["title"]),
                    &date,
                    &subject,
                    &s(&c["rule"]),
                    &s(&c["title"]),
                    status_label(c["status"].as_str().unwrap_or("")),
                    &s(&c["message"]),
                    &evidence_text(c),
                ]));
            }
        }
    }
    for fl in report["splitting"].as_array().into_iter().flatten() {
        let items = fl["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| format!("{}:{}({} 元)", s(&i["object_type"]), s(&i["id"]), s(&i["amount"])))
            .collect::<Vec<_>>()
            .join("; ");
        let state = if fl["state"] == "acknowledged" { "提示（已核查）" } else { "提示" };
        out.push_str(&row(&[
            "拆分预警",
            &s(&fl["id"]),
            &s(&fl["title"]),
            &fl["last_at"].as_str().map(|t| t.get(..10).unwrap_or(t).to_string()).unwrap_or_default(),
            "",
            "S03",
            &s(&fl["kind_label"]),
            state,
            &s(&fl["message"]),
            &items,
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn s02_csv_quotes_cells_and_defuses_formulas() {
        assert_eq!(cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(cell("=SUM(A1)"), "\"'=SUM(A1)\"");
        assert_eq!(cell("-1"), "\"'-1\"");
        assert_eq!(row(&["x", "y"]), "\"x\",\"y\"\r\n");
    }

    #[test]
    fn s02_filters_validate_dates_kinds_and_format() {
        let q = ComplianceQuery { from: Some("2026-13-01".into()), ..Default::default() };
        assert_eq!(Filters::parse(&q).err().unwrap().code, "invalid");
        let q = ComplianceQuery { kind: Some("deliberations,nope".into()), ..Default::default() };
        assert!(Filters::parse(&q).is_err());
        let q = ComplianceQuery { category: Some("large_fund".into()), rule: Some("r06, R13".into()), format: Some("csv".into()), ..Default::default() };
        let f = Filters::parse(&q).unwrap();
        assert!(f.csv);
        assert_eq!(f.rules, Some(vec!["R06".to_string(), "R13".to_string()]));
        let q = ComplianceQuery { from: Some("2026-02-01".into()), to: Some("2026-01-01".into()), ..Default::default() };
        assert!(Filters::parse(&q).is_err());
    }
}
