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
        for seg in s.path.split('/') {
            if let Some(name) = seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::String))),
                );
            }
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
        // Uploads refuse what is over the unit's size limit (413, R44).
        if s.method == axum::http::Method::POST && s.path.ends_with("/attachments") {
            op = op.response("413", err("文件超过大小限制（too_large）"));
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

fn operation_id(s: &RouteSpec) -> String {
    format!("{}_{}", s.method.as_str().to_lowercase(), s.path.trim_start_matches('/').replace(['/', '{', '}', '-'], "_"))
}

/// Links from `/me` to the operations on the caller's first unit, and from a creation
/// (`POST /api/v1/units/{unit}/{things}`) to what can be done with the object it made (`/api/v1/{things}/{id}…`, with no other path parameter): its `id` is the
/// answer's `id`. Clients see the workflow in the document, and schemathesis' stateful phase
/// follows the links (create, then read, change, submit… the same object).
fn links_from(s: &RouteSpec, specs: &[RouteSpec]) -> Vec<(String, utoipa::openapi::link::Link)> {
    // `/me` names the caller's units: it links to every operation on one of them.
    if s.method == axum::http::Method::GET && s.path == "/api/v1/me" {
        return specs
            .iter()
            .filter(|t| t.path.starts_with("/api/v1/units/{unit}") && t.path.matches('{').count() == 1)
            .map(|t| link_to(t, "unit", "$response.body#/units/0/unit_id"))
            .collect();
    }
    let segs: Vec<&str> = s.path.split('/').collect();
    let ["", "api", "v1", "units", "{unit}", things] = segs.as_slice() else {
        return Vec::new();
    };
    if s.method != axum::http::Method::POST || things.starts_with('{') {
        return Vec::new();
    }
    let prefix = format!("/api/v1/{things}/{{id}}");
    specs
        .iter()
        .filter(|t| t.path == prefix || t.path.starts_with(&format!("{prefix}/")))
        .filter(|t| t.path.matches('{').count() == 1)
        .map(|t| link_to(t, "id", "$response.body#/id"))
        .collect()
}

/// A link to `target`, its one path parameter taken from the answer at `from`.
fn link_to(target: &RouteSpec, param: &str, from: &str) -> (String, utoipa::openapi::link::Link) {
    let id = operation_id(target);
    (id.clone(), utoipa::openapi::link::LinkBuilder::new().operation_id(id).parameter(param, from).build())
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

fn has_value_path_param(path: &str) -> bool {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')))
        .any(|name| !OBJECT_PATH_PARAMS.contains(&name))
}
