//! Small helpers: lenient reading of JSON objects from the server, and times shown in
//! Asia/Shanghai (UTC+8, no daylight saving) without pulling a time-zone database into wasm.

use serde_json::Value;
use wasm_bindgen::JsValue;

/// Lenient field access: a missing or differently typed field reads as empty, so a page
/// still renders what it can when the server adds or omits a field.
pub trait J {
    /// The field as text (numbers and booleans are formatted; null/missing → "").
    fn s(&self, key: &str) -> String;
    fn opt(&self, key: &str) -> Option<String> {
        Some(self.s(key)).filter(|s| !s.is_empty())
    }
    fn b(&self, key: &str) -> bool;
    fn arr(&self, key: &str) -> Vec<Value>;
    fn num(&self, key: &str) -> Option<f64>;
    /// First non-empty text among several candidate keys.
    fn first(&self, keys: &[&str]) -> String {
        keys.iter().map(|k| self.s(k)).find(|s| !s.is_empty()).unwrap_or_default()
    }
}

pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

impl J for Value {
    fn s(&self, key: &str) -> String {
        self.get(key).map(text_of).unwrap_or_default()
    }
    fn b(&self, key: &str) -> bool {
        self.get(key).and_then(Value::as_bool).unwrap_or(false)
    }
    fn arr(&self, key: &str) -> Vec<Value> {
        self.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
    }
    fn num(&self, key: &str) -> Option<f64> {
        match self.get(key)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// A list response: `{items: [...]}` or a bare array.
pub fn items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        _ => v.arr("items"),
    }
}

const SHANGHAI_OFFSET_MS: f64 = 8.0 * 3600.0 * 1000.0;

fn shanghai_parts(rfc3339: &str) -> Option<js_sys::Date> {
    let ms = js_sys::Date::new(&JsValue::from_str(rfc3339)).get_time();
    if ms.is_nan() {
        return None;
    }
    Some(js_sys::Date::new(&JsValue::from_f64(ms + SHANGHAI_OFFSET_MS)))
}

/// `2026-05-01T01:30:00Z` → `2026-05-01 09:30` (Asia/Shanghai).
pub fn fmt_time(rfc3339: &str) -> String {
    match shanghai_parts(rfc3339) {
        Some(d) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            d.get_utc_full_year(),
            d.get_utc_month() + 1,
            d.get_utc_date(),
            d.get_utc_hours(),
            d.get_utc_minutes()
        ),
        None => rfc3339.to_string(),
    }
}

/// A `datetime-local` value (`2026-05-01T09:30`, meant as Asia/Shanghai) → RFC 3339 UTC.
pub fn local_input_to_utc(local: &str) -> Option<String> {
    if local.len() < 16 {
        return None;
    }
    let d = js_sys::Date::new(&JsValue::from_str(&format!("{}:00+08:00", &local[..16])));
    if d.get_time().is_nan() {
        return None;
    }
    let iso = String::from(d.to_iso_string());
    Some(iso.replace(".000Z", "Z"))
}

/// Today's date in Asia/Shanghai, `YYYY-MM-DD`.
pub fn today() -> String {
    let now = js_sys::Date::now() + SHANGHAI_OFFSET_MS;
    let d = js_sys::Date::new(&JsValue::from_f64(now));
    format!("{:04}-{:02}-{:02}", d.get_utc_full_year(), d.get_utc_month() + 1, d.get_utc_date())
}

pub fn this_year() -> i32 {
    today().get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026)
}

/// `120000.5` / `"120000.50"` → `¥120,000.50`.
pub fn fmt_money(amount: &str) -> String {
    let amount = amount.trim();
    if amount.is_empty() {
        return String::new();
    }
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let (sign, digits) = int.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("", int));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let frac = format!("{frac:0<2}");
    format!("¥{sign}{grouped}.{}", frac.get(..2).unwrap_or("00"))
}

/// A money amount as typed: digits with at most two decimals.
pub fn valid_money(s: &str) -> bool {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    !int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.len() <= 2
        && frac.chars().all(|c| c.is_ascii_digit())
        && !(s.contains('.') && frac.is_empty())
}

pub fn local_get(key: &str) -> Option<String> {
    web_sys::window()?.local_storage().ok()??.get_item(key).ok()?
}

pub fn local_set(key: &str, value: &str) {
    if let Some(Ok(Some(s))) = web_sys::window().map(|w| w.local_storage()) {
        let _ = s.set_item(key, value);
    }
}
