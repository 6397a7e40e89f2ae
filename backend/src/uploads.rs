//! Attachment store (R44): files are stored once by SHA-256 under `data_dir/blobs/ab/cdef…`,
//! metadata in `attachments`. The type is sniffed from the bytes (the client's claim is
//! ignored), names are sanitised, the size is limited per unit, and files are only ever
//! served as downloads (`Content-Disposition: attachment`, `nosniff`).
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::entities::attachments;
use axum::extract::Multipart;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Types accepted as attachments (sniffed). Anything that could run in a browser is refused.
const ALLOWED: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/zip",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/x-ofd",
    "text/plain",
];

/// Decides the stored content type from the bytes alone.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if let Some(t) = infer::get(bytes) {
        let m = t.mime_type();
        // OOXML files are zips: infer names them precisely when it can.
        return ALLOWED.iter().copied().find(|a| *a == m);
    }
    // Plain UTF-8 text without markup that a browser would render as HTML.
    let text = std::str::from_utf8(bytes).ok()?;
    let lower = text.chars().take(1024).collect::<String>().to_ascii_lowercase();
    if lower.contains("<html") || lower.contains("<script") || lower.contains("<!doctype") || lower.contains("<svg") {
        return None;
    }
    Some("text/plain")
}

/// Keeps letters (incl. CJK), digits and a few separators; no paths, no control characters.
pub fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '（' | '）' | '(' | ')') { c } else { '_' })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').to_string();
    let limited: String = trimmed.chars().take(120).collect();
    if limited.is_empty() { "附件".to_string() } else { limited }
}

pub fn blob_path(state: &AppState, sha256: &str) -> PathBuf {
    state.config.data_dir.join("blobs").join(&sha256[..2]).join(sha256)
}

/// The multipart form of an upload (R44), as the upload routes take it: axum's own refusal
/// (not a multipart request, no boundary) becomes the API's 422 naming the field `file`.
pub struct UploadForm(pub Multipart);

impl<S: Send + Sync> axum::extract::FromRequest<S> for UploadForm {
    type Rejection = AppError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        Multipart::from_request(req, state)
            .await
            .map(UploadForm)
            .map_err(|e| AppError::invalid("file", format!("请以 multipart/form-data 表单上传，文件放在字段 file 中（{e}）")))
    }
}

/// Reads the multipart field `file` and stores it. The caller commits `tx`.
pub async fn store_from_multipart(
    state: &AppState,
    tx: &impl ConnectionTrait,
    unit_id: &str,
    uploader_id: &str,
    owner_type: &str,
    owner_id: Option<&str>,
    mut multipart: Multipart,
) -> AppResult<attachments::Model> {
    let limit = crate::org::settings(tx, unit_id).await?.upload_limit_bytes;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| AppError::invalid("file", format!("上传内容无法解析：{e}")))? {
        if field.name() != Some("file") {
            continue;
        }
        let name = sanitize_file_name(field.file_name().unwrap_or("附件"));
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| AppError::invalid("file", format!("上传中断：{e}")))? {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(AppError::too_large(format!("附件超过本单位上限 {} MiB（R44）", limit / 1024 / 1024))
                    .with_details(serde_json::json!({"field": "file", "limit_bytes": limit})));
            }
            bytes.extend_from_slice(&chunk);
        }
        return store_bytes(state, tx, unit_id, uploader_id, owner_type, owner_id, &name, &bytes).await;
    }
    Err(AppError::invalid("file", "缺少名为 file 的上传字段"))
}

#[allow(clippy::too_many_arguments)]
pub async fn store_bytes(
    state: &AppState,
    tx: &impl ConnectionTrait,
    unit_id: &str,
    uploader_id: &str,
    owner_type: &str,
    owner_id: Option<&str>,
    file_name: &str,
    bytes: &[u8],
) -> AppResult<attachments::Model> {
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "文件为空"));
    }
    let content_type = sniff(bytes).ok_or_else(|| {
        AppError::rule("R44", "不接受此类文件（仅限 PDF、图片、Office/OFD 文档、压缩包和纯文本）")
            .with_details(serde_json::json!({"field": "file"}))
    })?;
    let sha = write_blob(state, bytes).await?;
    let m = attachments::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        unit_id: Set(unit_id.to_string()),
        owner_type: Set(owner_type.to_string()),
        owner_id: Set(owner_id.map(str::to_string)),
        uploader_id: Set(uploader_id.to_string()),
        file_name: Set(file_name.to_string()),
        content_type: Set(content_type.to_string()),
        size: Set(bytes.len() as i64),
        sha256: Set(sha),
        created_at: Set(state.clock.now()),
    }
    .insert(tx)
    .await?;
    Ok(m)
}

/// Stores bytes in the content-addressed blob store (write, fsync, rename: an acknowledged
/// file survives a crash, R43) and returns their SHA-256.
pub async fn write_blob(state: &AppState, bytes: &[u8]) -> AppResult<String> {
    let sha = hex::encode(Sha256::digest(bytes));
    let path = blob_path(state, &sha);
    if !path.exists() {
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(AppError::internal)?;
        }
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::now_v7()));
        let data = bytes.to_vec();
        let tmp2 = tmp.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp2)?;
            f.write_all(&data)?;
            f.sync_all()
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
        tokio::fs::rename(&tmp, &path).await.map_err(AppError::internal)?;
    }
    Ok(sha)
}

pub fn view(a: &attachments::Model) -> serde_json::Value {
    serde_json::json!({
        "id": a.id, "file_name": a.file_name, "content_type": a.content_type, "size": a.size,
        "sha256": a.sha256, "owner_type": a.owner_type, "owner_id": a.owner_id, "created_at": a.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r44_sniffing_refuses_html_and_accepts_pdf() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff("<!DOCTYPE html><script>alert(1)</script>".as_bytes()), None);
        assert_eq!(sniff("会议材料".as_bytes()), Some("text/plain"));
        assert_eq!(sniff(&[0x4d, 0x5a, 0x90, 0x00, 0x03]), None); // a Windows executable
    }

    #[test]
    fn r44_file_names_are_sanitised() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("C:\\a\\报告<script>.pdf"), "报告_script_.pdf");
        assert_eq!(sanitize_file_name(".htaccess"), "htaccess");
        assert_eq!(sanitize_file_name(""), "附件");
    }
}
