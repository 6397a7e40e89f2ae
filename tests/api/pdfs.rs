//! PDF endpoints over the demo data: minutes (P01, P03), the publication version with
//! withheld items (R16), outgoing documents in the GB/T 9704 layout (P02, D14), and their
//! access control (as for the object).
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use yishi::store::entities::{minutes, outgoing_documents, publications};
use yishi_tests::*;

fn pdf_text(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("yishi-pdf-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("x.pdf");
    std::fs::write(&f, bytes).unwrap();
    let out = std::process::Command::new("pdftotext").arg(&f).arg("-").output().expect("pdftotext (poppler-utils) is installed by scripts/test.sh");
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&out.stdout).to_string()
}

async fn seeded() -> TestApp {
    let app = spawn_app().await;
    yishi::demo::seed_flows(&app.state, &app.org).await.unwrap();
    app
}

#[tokio::test]
async fn p03_minutes_pdf_carries_header_serial_items_and_attendance() {
    let app = seeded().await;
    let m = minutes::Entity::find()
        .filter(minutes::Column::UnitId.eq(app.unit()))
        .filter(minutes::Column::State.eq("approved"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo has approved minutes");
    let principal = app.login("zhangwei").await;
    let (status, headers, bytes) = principal.get_bytes(&format!("/api/v1/minutes/{}/pdf", m.id)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(bytes.starts_with(b"%PDF"));
    assert!(bytes.len() < 500_000, "a minutes PDF should stay small: {} bytes", bytes.len());
    let text = pdf_text(&bytes);
    let serial = m.serial.clone().unwrap();
    assert!(text.contains(&serial), "serial {serial} missing in:\n{text}");
    assert!(text.contains("会议纪要") && text.contains("出席"), "{text}");
    // Staff may not read unpublished minutes; another unit learns nothing.
    let (status, _, _) = app.login("hejun").await.get_bytes(&format!("/api/v1/minutes/{}/pdf", m.id)).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn r16_publication_pdf_is_open_to_staff_of_the_unit() {
    let app = seeded().await;
    let p = publications::Entity::find()
        .filter(publications::Column::UnitId.eq(app.unit()))
        .filter(publications::Column::State.eq("open"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo has an open publication");
    let staff = app.login("hejun").await;
    let (status, _, bytes) = staff.get_bytes(&format!("/api/v1/publications/{}/pdf", p.id)).await;
    assert_eq!(status, 200);
    assert!(pdf_text(&bytes).contains("现将会议议定事项纪要如下"));
}

#[tokio::test]
async fn d14_p02_outgoing_pdf_has_number_and_is_visible_only_to_participants() {
    let app = seeded().await;
    let d = outgoing_documents::Entity::find()
        .filter(outgoing_documents::Column::UnitId.eq(app.unit()))
        .filter(outgoing_documents::Column::Number.is_not_null())
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo has a numbered document");
    let principal = app.login("zhangwei").await;
    let (status, headers, bytes) = principal.get_bytes(&format!("/api/v1/outgoing/{}/pdf", d.id)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(headers["content-type"], "application/pdf");
    let text = pdf_text(&bytes);
    let number = d.number.clone().unwrap();
    assert!(text.contains(&number), "文号 {number} missing in:\n{text}");
    assert!(text.contains(&d.title.chars().take(6).collect::<String>()), "{text}");
    // D13: a staff member who took no part sees nothing (not even that it exists).
    let (status, _, _) = app.login("luoyan").await.get_bytes(&format!("/api/v1/outgoing/{}/pdf", d.id)).await;
    assert!(status == 404 || status == 403, "{status}");
}

/// R18 / D14 / P01: archive packages carry the rendered PDFs, and every file matches the
/// SHA-256 in the manifest.
#[tokio::test]
async fn r18_archive_packages_hold_pdfs_matching_their_manifest() {
    use sha2::Digest;
    use std::io::Read;
    use yishi::store::entities::archive_items;
    let app = seeded().await;
    let items = archive_items::Entity::find().filter(archive_items::Column::UnitId.eq(app.unit())).all(app.db()).await.unwrap();
    let kinds: Vec<&str> = items.iter().map(|a| a.kind.as_str()).collect();
    assert!(kinds.contains(&"outgoing") && kinds.iter().any(|k| *k != "outgoing"), "{kinds:?}");
    let principal = app.login("zhangwei").await;
    for item in &items {
        let (status, _, bytes) = principal.get_bytes(&format!("/api/v1/archive/{}/package", item.id)).await;
        assert_eq!(status, 200, "{}: {}", item.kind, String::from_utf8_lossy(&bytes));
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let manifest: serde_json::Value = {
            let mut s = String::new();
            zip.by_name("manifest.json").unwrap().read_to_string(&mut s).unwrap();
            serde_json::from_str(&s).unwrap()
        };
        let files = manifest["files"].as_array().unwrap();
        assert!(files.iter().any(|f| f["path"].as_str().unwrap().ends_with(".pdf")), "{} package without PDF: {manifest}", item.kind);
        for f in files {
            let mut buf = Vec::new();
            zip.by_name(f["path"].as_str().unwrap()).unwrap().read_to_end(&mut buf).unwrap();
            assert_eq!(hex::encode(sha2::Sha256::digest(&buf)), f["sha256"].as_str().unwrap(), "{}", f["path"]);
            if f["path"].as_str().unwrap().ends_with(".pdf") {
                assert!(buf.starts_with(b"%PDF"));
            }
        }
    }
}

/// P01: a PDF needs the CJK fonts installed (docs/fonts.md). Without them the PDF routes answer
/// 503 `unavailable` in the API.md error format, and the OpenAPI document says so (found by the
/// stateful fuzzing on a machine without `fonts-noto-cjk`: `GET /api/v1/outgoing/{id}/pdf` 503,
/// undocumented).
#[tokio::test]
async fn p01_pdf_routes_document_503_when_the_fonts_are_missing() {
    let app = spawn_app().await;
    let doc = app.anon().get("/api/openapi.json").await.ok().clone();
    let mut pdf_routes = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.ends_with("/pdf") {
            continue;
        }
        pdf_routes += 1;
        let r = &item["get"]["responses"]["503"];
        assert_eq!(r["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Error", "{path} documents 503");
    }
    assert_eq!(pdf_routes, 3, "minutes, publications and outgoing documents render PDFs");
    // Operations that render nothing do not list it.
    assert!(doc["paths"]["/api/v1/outgoing/{id}"]["get"]["responses"]["503"].is_null());
}
