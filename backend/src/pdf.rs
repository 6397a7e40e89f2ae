//! PDF plumbing between the flows and the `render` crate: fonts parsed once per process
//! (a CJK font takes ~0.5 s to parse), rendering off the async threads, and the response.
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use std::sync::{Arc, OnceLock};
use yishi_render::{FontConfig, FontSet, MinutesDoc, OfficialDocument};

static FONTS: OnceLock<Arc<FontSet>> = OnceLock::new();
static FONT_INIT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

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
    if let Some(f) = FONTS.get() {
        return Ok(f.clone());
    }
    let _guard = FONT_INIT.lock().await;
    if let Some(f) = FONTS.get() {
        return Ok(f.clone());
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
    let _ = FONTS.set(set.clone());
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
