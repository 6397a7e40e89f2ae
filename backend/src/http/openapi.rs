//! The OpenAPI document, generated from the guarded route registry: every registered
//! route appears with its method, summary, path parameters, request body schema (from
//! the request types' `ToSchema`), security, and the error responses of API.md.
use super::api::{RouteSpec, Scope};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApiBuilder, Paths, Ref, Required, ResponseBuilder};

/// Registers `T` and every schema it refers to. `schema_from` alone registers only the named
/// schema: a nested type (e.g. the error body's `ErrorDetail`, a request's sub-object) would
/// stay an unresolvable `#/components/schemas/…` reference, and clients — and schemathesis —
/// could not check those parts.
pub fn with_schema<T: utoipa::ToSchema>(c: ComponentsBuilder) -> ComponentsBuilder {
    let mut nested = Vec::new();
    T::schemas(&mut nested);
    c.schema_from::<T>().schemas_from_iter(nested)
}

pub fn document(specs: &[RouteSpec]) -> utoipa::openapi::OpenApi {
    let mut components = ComponentsBuilder::new();
    let mut paths = Paths::new();
    for s in specs {
        let method = match s.method.as_str() {
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            "DELETE" => HttpMethod::Delete,
            _ => HttpMethod::Get,
        };
        let op_id = operation_id(s);
        let mut op = OperationBuilder::new().summary(Some(s.summary)).operation_id(Some(op_id));
        if let Some(tag) = s.path.trim_start_matches("/api/v1/").split('/').next() {
            op = op.tag(tag.to_string());
        }
        for name in path_params(s.path) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::String))),
            );
        }
        for p in s.query_params.map(|f| f()).unwrap_or_default() {
            op = op.parameter(p);
        }
        if let Some(f) = s.body_schema {
            let (c, name) = f(components);
            components = c;
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name(name))).build())
                    .build(),
            ));
        }
        let mut ok = ResponseBuilder::new().description("成功（JSON）");
        for (name, link) in links_from(s, specs) {
            ok = ok.link(name, link);
        }
        op = op.response("200", ok.build());
        let err = |d: &str| {
            ResponseBuilder::new()
                .description(d)
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Error"))).build())
                .build()
        };
        if s.guard.scope != Scope::Public {
            op = op
                .response("401", err("未登录（unauthenticated）"))
                .response("403", err("无权限或 CSRF 令牌错误（forbidden / csrf）"));
        }
        if !matches!(s.guard.scope, Scope::Public | Scope::SignedIn | Scope::System | Scope::AnyDomain) {
            op = op.response("404", err("对象不存在或不在本人所在单位（not_found）"));
        } else if s.method == axum::http::Method::DELETE || has_object_path_param(s.path) {
            // What a DELETE removes may not be there (a policy rule named in the body), nor
            // may an object the path names (an administrator's `/users/{user}/…`).
            op = op.response("404", err("对象不存在（not_found）"));
        }
        if s.method != axum::http::Method::GET {
            op = op
                .response("409", err("版本冲突或已处理（conflict）"))
                .response("422", err("输入无效或被规则拒绝（invalid / 规则编号）"));
        } else if s.refused_by_rule {
            op = op.response("422", err("被规则拒绝（规则编号，如 R07），或查询参数无效（invalid）"));
        } else if s.query_params.is_some() || has_value_path_param(s.path) {
            // Query parameters and path values (a year, a version number) are validated: a
            // malformed or unknown one is refused with the field named.
            op = op.response("422", err("查询参数或路径参数无效（invalid，details 指明参数）"));
        }
        // Sign-in refuses wrong credentials (401) and throttles repeated failures (429, R41).
        if s.guard.scope == Scope::Public && s.method == axum::http::Method::POST {
            op = op
                .response("401", err("用户名或密码错误（unauthenticated）"))
                .response("429", err("失败次数过多，请稍后再试（throttled）"));
        }
        // PDFs need the CJK fonts installed (P01, docs/fonts.md): without them the server
        // answers 503 `unavailable` instead of a PDF.
        if s.method == axum::http::Method::GET && s.path.ends_with("/pdf") {
            op = op.response("503", err("服务器尚未安装公文所需的中文字体，暂时无法生成 PDF（unavailable，docs/fonts.md）"));
        }
        // Uploads (R44): a multipart form whose field `file` holds the file; what is over the
        // unit's size limit is refused 413.
        if s.method == axum::http::Method::POST && s.path.ends_with("/attachments") {
            op = op.request_body(Some(upload_body())).response("413", err("文件超过大小限制（too_large）"));
        }
        paths.add_path_operation(s.path, vec![method], op.build());
    }
    use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
    components = with_schema::<ErrorBody>(components)
        .security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(super::api::SESSION_COOKIE))))
        .security_scheme("csrf", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-CSRF-Token"))));
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Yishi 议事 API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("三重一大集体决策与网上会办系统 HTTP API（API.md v1）。状态变更请求须携带 X-CSRF-Token。"))
                .build(),
        )
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

/// The request body of the three upload routes (`uploads::store_from_multipart`).
fn upload_body() -> utoipa::openapi::request_body::RequestBody {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let file = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .content_media_type("application/octet-stream")
        .description(Some("文件内容：PDF、图片、Office/OFD 文档、压缩包或纯文本（按内容识别，R44）；文件名取自该字段的 filename"));
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content(
            "multipart/form-data",
            ContentBuilder::new().schema(Some(ObjectBuilder::new().schema_type(Type::Object).property("file", file).required("file"))).build(),
        )
        .build()
}

fn operation_id(s: &RouteSpec) -> String {
    format!("{}_{}", s.method.as_str().to_lowercase(), s.path.trim_start_matches('/').replace(['/', '{', '}', '-'], "_"))
}

/// Links from `/me` to the operations on the caller's first unit; from a creation
/// (`POST /api/v1/units/{unit}/{things}`) to the first steps on the object it made (its `id` is
/// the answer's `id`), and from each workflow step to the steps that may follow it on the same
/// object (`$request.path.id`), both from [`WORKFLOW`]; and from a step that makes another
/// object ([`MADE`]: minutes, a publication, a change request, the proposal of an escalation, an upload's attachment)
/// to the operations on that one. Clients see the workflows in the document, and schemathesis'
/// stateful phase follows the links (create, submit, approve… the same object, in order).
fn links_from(s: &RouteSpec, specs: &[RouteSpec]) -> Vec<(String, utoipa::openapi::link::Link)> {
    // `/me` names the caller's units: it links to every operation on one of them.
    if s.method == axum::http::Method::GET && s.path == "/api/v1/me" {
        return specs
            .iter()
            .filter(|t| t.path.starts_with("/api/v1/units/{unit}") && t.path.matches('{').count() == 1)
            .map(|t| link_to(t, &[("unit", "$response.body#/units/0/unit_id")]))
            .collect();
    }
    if s.method == axum::http::Method::GET {
        return Vec::new();
    }
    let mut out = Vec::new();
    let me = (s.method.as_str(), s.path);
    for (from, to) in WORKFLOW {
        if step(from) != me {
            continue;
        }
        for target in to.iter().map(|t| step(t)) {
            let Some(t) = specs.iter().find(|t| (t.method.as_str(), t.path) == target) else { continue };
            // The same object (and agenda item) as the step's own path; after a creation (or a
            // meeting's opening, which answers with the meeting) the one the answer names. Any
            // other path parameter (an attendee) is the client's choice.
            let mut params = Vec::new();
            if t.path.contains("{id}") {
                params.push(("id", if s.path.contains("{id}") { "$request.path.id" } else { "$response.body#/id" }));
            }
            if t.path.contains("{proposal}") {
                params.push((
                    "proposal",
                    if s.path.contains("{proposal}") { "$request.path.proposal" } else { "$response.body#/items/0/proposal_id" },
                ));
            }
            out.push(link_to(t, &params));
        }
    }
    for (from, prefix, expr) in MADE {
        if step(from) == me {
            out.extend(object_links(specs, prefix, expr));
        }
    }
    out
}

/// Links to the operations on one object (`prefix` and below, no other path parameter).
fn object_links(specs: &[RouteSpec], prefix: &str, from: &str) -> Vec<(String, utoipa::openapi::link::Link)> {
    let param = prefix.rsplit_once('{').map_or("id", |(_, p)| p.trim_end_matches('}'));
    specs
        .iter()
        .filter(|t| t.path == prefix || t.path.starts_with(&format!("{prefix}/")))
        .filter(|t| t.path.matches('{').count() == 1)
        .map(|t| link_to(t, &[(param, from)]))
        .collect()
}

/// `"POST /api/v1/…"` → (method, path).
fn step(s: &str) -> (&str, &str) {
    s.split_once(' ').unwrap_or(("GET", s))
}

/// The workflows (SPEC.md A and B, API.md): each creation and step, and the steps that may
/// follow it on the same object, in every state the step can leave the object in (approved or
/// returned…). A step out of turn is still refused by the server; the links say what comes next.
pub const WORKFLOW: &[(&str, &[&str])] = &[
    // Creations (and the reads and edits of a new object).
    (
        "POST /api/v1/units/{unit}/proposals",
        &[
            "GET /api/v1/proposals/{id}",
            "PATCH /api/v1/proposals/{id}",
            "POST /api/v1/proposals/{id}/attachments",
            "POST /api/v1/proposals/{id}/preconsult-records",
            "POST /api/v1/proposals/{id}/submit",
        ],
    ),
    (
        "POST /api/v1/units/{unit}/meetings",
        &[
            "GET /api/v1/meetings/{id}",
            "GET /api/v1/meetings/{id}/materials",
            "POST /api/v1/meetings/{id}/observers",
            "POST /api/v1/meetings/{id}/notice",
        ],
    ),
    (
        "POST /api/v1/units/{unit}/outgoing",
        &[
            "GET /api/v1/outgoing/{id}",
            "GET /api/v1/outgoing/{id}/versions",
            "GET /api/v1/outgoing/{id}/pdf",
            "PATCH /api/v1/outgoing/{id}",
            "POST /api/v1/outgoing/{id}/attachments",
            "POST /api/v1/outgoing/{id}/submit",
        ],
    ),
    ("POST /api/v1/units/{unit}/incoming", &["GET /api/v1/incoming/{id}", "POST /api/v1/incoming/{id}/instructions", "POST /api/v1/incoming/{id}/distribution"]),
    // 议题 (R02–R05, R14)
    ("PATCH /api/v1/proposals/{id}", &["POST /api/v1/proposals/{id}/submit"]),
    ("POST /api/v1/proposals/{id}/attachments", &["POST /api/v1/proposals/{id}/submit"]),
    ("POST /api/v1/proposals/{id}/submit", &["POST /api/v1/proposals/{id}/submission-approval", "GET /api/v1/proposals/{id}"]),
    (
        "POST /api/v1/proposals/{id}/submission-approval",
        &["POST /api/v1/proposals/{id}/preconsult-records", "POST /api/v1/proposals/{id}/premeeting-decision", "PATCH /api/v1/proposals/{id}"],
    ),
    ("POST /api/v1/proposals/{id}/preconsult-records", &["POST /api/v1/proposals/{id}/preconsult-records", "POST /api/v1/proposals/{id}/premeeting-decision"]),
    (
        "POST /api/v1/proposals/{id}/premeeting-decision",
        &["GET /api/v1/proposals/{id}", "PATCH /api/v1/proposals/{id}", "POST /api/v1/proposals/{id}/submit"],
    ),
    ("POST /api/v1/proposals/{id}/superior-approval", &["GET /api/v1/proposals/{id}"]),
    // 会议 (R06–R13)
    (
        "POST /api/v1/meetings/{id}/notice",
        &[
            "PUT /api/v1/meetings/{id}/attendance/{user}",
            "POST /api/v1/meetings/{id}/observers",
            "POST /api/v1/meetings/{id}/written-opinions",
            "GET /api/v1/meetings/{id}/materials",
            "POST /api/v1/meetings/{id}/open",
        ],
    ),
    ("PUT /api/v1/meetings/{id}/attendance/{user}", &["PUT /api/v1/meetings/{id}/attendance/{user}", "POST /api/v1/meetings/{id}/open"]),
    ("POST /api/v1/meetings/{id}/observers", &["POST /api/v1/meetings/{id}/open"]),
    ("POST /api/v1/meetings/{id}/written-opinions", &["POST /api/v1/meetings/{id}/open"]),
    (
        "POST /api/v1/meetings/{id}/open",
        &[
            "POST /api/v1/meetings/{id}/items/{proposal}/statements",
            "POST /api/v1/meetings/{id}/items/{proposal}/vote",
            "GET /api/v1/meetings/{id}/record",
        ],
    ),
    (
        "POST /api/v1/meetings/{id}/items/{proposal}/statements",
        &["POST /api/v1/meetings/{id}/items/{proposal}/statements", "POST /api/v1/meetings/{id}/items/{proposal}/vote"],
    ),
    (
        "POST /api/v1/meetings/{id}/items/{proposal}/vote",
        &[
            "POST /api/v1/meetings/{id}/items/{proposal}/ballots",
            "POST /api/v1/meetings/{id}/items/{proposal}/close-vote",
            "POST /api/v1/meetings/{id}/close",
        ],
    ),
    (
        "POST /api/v1/meetings/{id}/items/{proposal}/ballots",
        &["POST /api/v1/meetings/{id}/items/{proposal}/ballots", "POST /api/v1/meetings/{id}/items/{proposal}/close-vote"],
    ),
    ("POST /api/v1/meetings/{id}/items/{proposal}/close-vote", &["POST /api/v1/meetings/{id}/items/{proposal}/decision"]),
    (
        "POST /api/v1/meetings/{id}/items/{proposal}/decision",
        &["POST /api/v1/meetings/{id}/close", "GET /api/v1/meetings/{id}/record"],
    ),
    ("POST /api/v1/meetings/{id}/close", &["POST /api/v1/meetings/{id}/minutes", "POST /api/v1/meetings/{id}/record-grants"]),
    ("POST /api/v1/meetings/{id}/record-grants", &["GET /api/v1/meetings/{id}/record"]),
    // 纪要与公示 (R15–R17)
    ("POST /api/v1/minutes/{id}/revisions", &["POST /api/v1/minutes/{id}/approve"]),
    ("POST /api/v1/minutes/{id}/approve", &["POST /api/v1/minutes/{id}/publication", "GET /api/v1/minutes/{id}/pdf", "POST /api/v1/minutes/{id}/revisions"]),
    ("POST /api/v1/publications/{id}/opinions", &["POST /api/v1/publications/{id}/opinions", "POST /api/v1/publications/{id}/summary"]),
    ("POST /api/v1/publications/{id}/summary", &["POST /api/v1/publications/{id}/resolution"]),
    ("POST /api/v1/publications/{id}/resolution", &["GET /api/v1/publications/{id}"]),
    // 发文 (D04–D10, D14)
    ("PATCH /api/v1/outgoing/{id}", &["POST /api/v1/outgoing/{id}/submit"]),
    ("POST /api/v1/outgoing/{id}/attachments", &["POST /api/v1/outgoing/{id}/submit"]),
    ("POST /api/v1/outgoing/{id}/submit", &["POST /api/v1/outgoing/{id}/review", "POST /api/v1/outgoing/{id}/escalation"]),
    (
        "POST /api/v1/outgoing/{id}/review",
        &[
            "POST /api/v1/outgoing/{id}/countersign",
            "POST /api/v1/outgoing/{id}/consolidate",
            "POST /api/v1/outgoing/{id}/leader-review",
            "POST /api/v1/outgoing/{id}/external-countersigns",
            "PATCH /api/v1/outgoing/{id}",
            "POST /api/v1/outgoing/{id}/submit",
        ],
    ),
    ("POST /api/v1/outgoing/{id}/countersign", &["POST /api/v1/outgoing/{id}/countersign-opinions", "POST /api/v1/outgoing/{id}/escalation"]),
    (
        "POST /api/v1/outgoing/{id}/countersign-opinions",
        &[
            "POST /api/v1/outgoing/{id}/countersign-opinions",
            "POST /api/v1/outgoing/{id}/resolve-disagreement",
            "POST /api/v1/outgoing/{id}/consolidate",
        ],
    ),
    (
        "POST /api/v1/outgoing/{id}/resolve-disagreement",
        &["POST /api/v1/outgoing/{id}/consolidate", "POST /api/v1/outgoing/{id}/countersign-opinions", "POST /api/v1/outgoing/{id}/submit"],
    ),
    (
        "POST /api/v1/outgoing/{id}/leader-review",
        &[
            "POST /api/v1/outgoing/{id}/consolidate",
            "POST /api/v1/outgoing/{id}/external-countersigns",
            "POST /api/v1/outgoing/{id}/verify",
            "POST /api/v1/outgoing/{id}/signoff",
        ],
    ),
    (
        "POST /api/v1/outgoing/{id}/external-countersigns",
        &[
            "POST /api/v1/outgoing/{id}/external-countersigns",
            "POST /api/v1/outgoing/{id}/consolidate",
            "POST /api/v1/outgoing/{id}/verify",
            "POST /api/v1/outgoing/{id}/signoff",
        ],
    ),
    (
        "POST /api/v1/outgoing/{id}/consolidate",
        &["POST /api/v1/outgoing/{id}/verify", "POST /api/v1/outgoing/{id}/leader-review", "POST /api/v1/outgoing/{id}/external-countersigns"],
    ),
    (
        "POST /api/v1/outgoing/{id}/verify",
        &[
            "POST /api/v1/outgoing/{id}/signoff",
            "POST /api/v1/outgoing/{id}/leader-review",
            "POST /api/v1/outgoing/{id}/external-countersigns",
            "POST /api/v1/outgoing/{id}/submit",
        ],
    ),
    ("POST /api/v1/outgoing/{id}/signoff", &["POST /api/v1/outgoing/{id}/issue", "POST /api/v1/outgoing/{id}/change-requests", "GET /api/v1/outgoing/{id}/pdf"]),
    ("POST /api/v1/outgoing/{id}/issue", &["GET /api/v1/outgoing/{id}/pdf", "GET /api/v1/outgoing/{id}"]),
    // 收文 (D01–D03)
    (
        "POST /api/v1/incoming/{id}/instructions",
        &["POST /api/v1/incoming/{id}/distribution", "POST /api/v1/incoming/{id}/instructions", "POST /api/v1/incoming/{id}/complete"],
    ),
    ("POST /api/v1/incoming/{id}/distribution", &["POST /api/v1/incoming/{id}/assignment"]),
    ("POST /api/v1/incoming/{id}/assignment", &["POST /api/v1/incoming/{id}/assignment", "POST /api/v1/incoming/{id}/accept"]),
    (
        "POST /api/v1/incoming/{id}/accept",
        &["POST /api/v1/incoming/{id}/progress", "POST /api/v1/incoming/{id}/office-review", "POST /api/v1/incoming/{id}/complete"],
    ),
    (
        "POST /api/v1/incoming/{id}/progress",
        &["POST /api/v1/incoming/{id}/progress", "POST /api/v1/incoming/{id}/office-review", "POST /api/v1/incoming/{id}/complete"],
    ),
    ("POST /api/v1/incoming/{id}/office-review", &["POST /api/v1/incoming/{id}/instructions"]),
    ("POST /api/v1/incoming/{id}/complete", &["POST /api/v1/incoming/{id}/complete", "POST /api/v1/incoming/{id}/archive"]),
    ("POST /api/v1/incoming/{id}/archive", &["GET /api/v1/incoming/{id}"]),
];

/// Steps that make another object: (step, that object's path prefix, where the answer names it).
/// (An outgoing document's upload answers with the document, not the attachment.)
pub const MADE: &[(&str, &str, &str)] = &[
    ("POST /api/v1/meetings/{id}/minutes", "/api/v1/minutes/{id}", "$response.body#/id"),
    ("POST /api/v1/minutes/{id}/publication", "/api/v1/publications/{id}", "$response.body#/id"),
    ("POST /api/v1/outgoing/{id}/change-requests", "/api/v1/change-requests/{cr}", "$response.body#/id"),
    ("POST /api/v1/outgoing/{id}/escalation", "/api/v1/proposals/{id}", "$response.body#/proposal/id"),
    // An upload answers with the attachment it stored (R44), which can then be downloaded.
    ("POST /api/v1/units/{unit}/attachments", "/api/v1/attachments/{id}", "$response.body#/id"),
    ("POST /api/v1/proposals/{id}/attachments", "/api/v1/attachments/{id}", "$response.body#/id"),
];

/// A link to `target`, its path parameters taken from the runtime expressions given.
fn link_to(target: &RouteSpec, params: &[(&str, &str)]) -> (String, utoipa::openapi::link::Link) {
    let id = operation_id(target);
    let mut link = utoipa::openapi::link::LinkBuilder::new().operation_id(id.clone());
    for (name, from) in params {
        link = link.parameter(*name, *from);
    }
    (id, link.build())
}

/// The common error body of API.md.
#[derive(utoipa::ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// 规则编号（如 R08）或 unauthenticated / forbidden / not_found / conflict / invalid / too_large / throttled / csrf / internal
    pub code: String,
    pub message: String,
    pub details: Option<serde_json::Value>,
}

/// Path parameters that name an object; a wrong one is a 404. Any other path parameter is a
/// value the handler parses (`{year}`, a version number `{a}`/`{b}`), refused with 422.
const OBJECT_PATH_PARAMS: &[&str] = &["id", "unit", "user", "proposal", "section", "meeting", "item", "document", "rule"];

/// The names of a route's path parameters (`/units/{unit}/calendar/{year}` → unit, year).
fn path_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|seg| seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')))
}

fn has_object_path_param(path: &str) -> bool {
    path_params(path).any(|name| OBJECT_PATH_PARAMS.contains(&name))
}

fn has_value_path_param(path: &str) -> bool {
    path_params(path).any(|name| !OBJECT_PATH_PARAMS.contains(&name))
}
