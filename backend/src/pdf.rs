//! PDF plumbing between the flows and the `render` crate: fonts parsed once and kept while
//! PDFs are being made (a CJK font takes ~0.5 s to parse), rendering off the async threads,
//! and the response.
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use yishi_render::{FontConfig, FontSet, MinutesDoc, OfficialDocument};

/// The parsed fonts, kept while PDFs are being made and dropped once none was made for
/// `YISHI_PDF_FONTS_IDLE_SECS` (default [`FONTS_IDLE_SECS`]): the CJK faces hold about 120 MB
/// of heap (`yishi demo`, which renders while it seeds: 140 MiB RSS with them, a server that
/// rendered nothing 26 MiB). After a release the next PDF parses them again: 0.14 s for the
/// first PDF against 0.02 s for the next, measured on a 2-core Xeon.
static FONTS: IdleKept<FontSet> = IdleKept::new();
static FONT_INIT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const FONTS_IDLE_SECS: u64 = 120;

/// A value kept while it is used and dropped once idle.
pub struct IdleKept<T> {
    slot: std::sync::Mutex<Option<(Arc<T>, Instant)>>,
}

impl<T> IdleKept<T> {
    pub const fn new() -> IdleKept<T> {
        IdleKept { slot: std::sync::Mutex::new(None) }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<(Arc<T>, Instant)>> {
        self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The kept value, marked as used at `now`.
    pub fn get(&self, now: Instant) -> Option<Arc<T>> {
        let mut slot = self.slot();
        let (v, used) = slot.as_mut()?;
        *used = now;
        Some(v.clone())
    }

    pub fn put(&self, v: Arc<T>, now: Instant) {
        *self.slot() = Some((v, now));
    }

    /// Drops the value if it was not used for `idle` and nobody else holds it (a render in
    /// progress keeps it); true if it was dropped.
    pub fn release_if_idle(&self, now: Instant, idle: Duration) -> bool {
        let taken = {
            let mut slot = self.slot();
            match slot.as_ref() {
                Some((v, used)) if now.saturating_duration_since(*used) >= idle && Arc::strong_count(v) == 1 => slot.take(),
                _ => None,
            }
        };
        // Freed outside the lock: a FontSet is many allocations.
        taken.is_some()
    }
}

/// Releases the parsed fonts once no PDF was made for `YISHI_PDF_FONTS_IDLE_SECS`; called
/// every few seconds by the memory trimmer (`memory::spawn_trimmer`).
pub fn release_idle_fonts() {
    static IDLE: OnceLock<Duration> = OnceLock::new();
    let idle = *IDLE.get_or_init(|| Duration::from_secs(crate::config::tuning("YISHI_PDF_FONTS_IDLE_SECS", FONTS_IDLE_SECS, 1..=86_400 * 365)));
    if FONTS.release_if_idle(Instant::now(), idle) {
        tracing::info!(idle_secs = idle.as_secs(), "PDF fonts released after a while without PDFs");
    }
}

fn font_config(state: &AppState) -> FontConfig {
    let f = &state.config.fonts;
    FontConfig {
        fangsong: f.fangsong.clone(),
        kaiti: f.kaiti.clone(),
        heiti: f.heiti.clone(),
        xiaobiaosong: f.xiaobiaosong.clone(),
        songti: f.songti.clone(),
        ..Default::default()
    }
}

pub async fn fonts(state: &AppState) -> AppResult<Arc<FontSet>> {
    if let Some(f) = FONTS.get(Instant::now()) {
        return Ok(f);
    }
    let _guard = FONT_INIT.lock().await;
    if let Some(f) = FONTS.get(Instant::now()) {
        return Ok(f);
    }
    let cfg = font_config(state);
    let set = tokio::task::spawn_blocking(move || FontSet::load(&cfg))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| {
            // The installation lacks the fonts, not the request: a clear 503 for the user, the
            // font search for the administrator's log (docs/fonts.md).
            tracing::error!(error = %e, "PDF fonts unavailable");
            AppError::new(
                "unavailable",
                "服务器尚未安装公文所需的中文字体，暂时无法生成 PDF；请联系系统管理员按运维手册安装字体（docs/fonts.md）后重试",
            )
            .with_details(serde_json::json!({"missing": "fonts"}))
        })?;
    let set = Arc::new(set);
    FONTS.put(set.clone(), Instant::now());
    Ok(set)
}

pub async fn render_document(state: &AppState, doc: OfficialDocument) -> AppResult<Vec<u8>> {
    let fonts = fonts(state).await?;
    tokio::task::spawn_blocking(move || yishi_render::render_document(&doc, &fonts))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::invalid("body", format!("文档无法排版：{e}")))
}

pub async fn render_minutes(state: &AppState, m: MinutesDoc) -> AppResult<Vec<u8>> {
    let fonts = fonts(state).await?;
    tokio::task::spawn_blocking(move || yishi_render::render_minutes(&m, &fonts))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::invalid("body", format!("纪要无法排版：{e}")))
}

/// `application/pdf`, shown inline (the browser's viewer), with a UTF-8 file name.
pub fn response(bytes: Vec<u8>, file_name: &str) -> AppResult<Response> {
    let mut resp = Response::new(Body::from(bytes));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    let encoded: String = file_name
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("inline; filename=\"document.pdf\"; filename*=UTF-8''{encoded}")).map_err(AppError::internal)?,
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::IdleKept;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn kept_fonts_are_dropped_once_idle_and_not_while_a_render_holds_them() {
        let kept: IdleKept<String> = IdleKept::new();
        let t0 = Instant::now();
        let idle = Duration::from_secs(120);
        assert!(kept.get(t0).is_none());
        kept.put(Arc::new("fonts".to_string()), t0);
        // Used at 100 s: still kept at 200 s (100 s idle), dropped at 220 s.
        assert!(kept.get(t0 + Duration::from_secs(100)).is_some());
        assert!(!kept.release_if_idle(t0 + Duration::from_secs(200), idle));
        assert!(kept.get(t0 + Duration::from_secs(100)).is_some());
        // A render in progress holds it: not dropped however long idle.
        let held = kept.get(t0 + Duration::from_secs(100)).unwrap();
        assert!(!kept.release_if_idle(t0 + Duration::from_secs(1_000), idle));
        drop(held);
        assert!(kept.release_if_idle(t0 + Duration::from_secs(1_000), idle));
        assert!(kept.get(t0 + Duration::from_secs(1_001)).is_none());
    }
}
