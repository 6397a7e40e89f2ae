//! HTTP layer: one file per resource, each with `routes(Api) -> Api`; the guarded
//! registry (`api.rs`); the OpenAPI document (`openapi.rs`); and the router that puts
//! them together with the cross-cutting layers (request ids, tracing, panics → JSON 500,
//! every error body in the API.md format, security headers, the frontend at `/`).
pub mod admin;
pub mod api;
pub mod openapi;
pub mod pdfs;
pub mod platform;
pub mod session;

use crate::state::AppState;
use api::{Api, RouteSpec};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Every guarded API route, in registration order.
pub fn api(state: AppState) -> Api {
    let api = Api::new(state);
    let api = session::routes(api);
    let api = admin::routes(api);
    let api = platform::routes(api);
    // Flow modules register here.
    let api = crate::oversight::routes(api);
    let api = crate::deliberation::routes(api);
    let api = crate::incoming::routes(api);
    let api = crate::outgoing::routes(api);
    let api = pdfs::routes(api);
    let api = crate::minutes::routes(api);
    api
}

pub fn route_specs(state: AppState) -> Vec<RouteSpec> {
    api(state).into_parts().1
}

pub fn router(state: AppState) -> Router {
    let (routes, specs) = api(state.clone()).into_parts();
    let doc = openapi::document(&specs);
    let docs_router: Router<AppState> = Router::new().merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", doc));
    let dist = state.config.dist_dir.clone();
    let index = dist.join("index.html");
    let x_request_id = HeaderName::from_static("x-request-id");
    routes
        .merge(docs_router)
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed)
        // SPA: a deep link (`/proposals/abc`) is answered with index.html and 200 — the app's
        // router shows the page (`not_found_service` would send the same file with 404).
        .fallback_service(ServeDir::new(dist).fallback(ServeFile::new(index)))
        .layer(axum::middleware::from_fn(json_errors))
        .layer(DefaultBodyLimit::max(100 * 1024 * 1024))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .with_state(state)
}

async fn api_not_found() -> Response {
    crate::error::AppError::new("not_found", "没有这个接口（no such API route）").into_response()
}

async fn method_not_allowed() -> Response {
    let mut r = crate::error::AppError::new("invalid", "该接口不支持此 HTTP 方法（method not allowed）").into_response();
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    crate::error::AppError::internal("handler panicked").into_response()
}

/// Rewrites any error response of an `/api` route that is not already JSON (axum's
/// extractor rejections: bad JSON, wrong content type, bad path or query) into the
/// API.md error body, so clients only ever parse one format.
async fn json_errors(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    if !is_api || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::TOO_MANY_REQUESTS => "throttled",
        s if s.is_server_error() => "internal",
        _ => "invalid",
    };
    let message = if text.is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { format!("请求格式错误：{text}") };
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    let mut out = Response::new(Body::from(body.to_string()));
    *out.status_mut() = parts.status;
    // Malformed bodies are 422 with code "invalid" (API.md), whatever axum chose.
    if code == "invalid" && (parts.status == StatusCode::BAD_REQUEST || parts.status == StatusCode::UNSUPPORTED_MEDIA_TYPE) {
        *out.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    out
}
