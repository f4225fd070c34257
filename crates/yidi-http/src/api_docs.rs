//! The hub's own API documentation: `GET /api/openapi.json`, an OpenAPI 3.0 document written by
//! hand (`api_docs/openapi.json`), and `GET /api/docs`, a self-contained page
//! (`api_docs/docs.html`) that reads it, lists the operations and lets a user try GET requests
//! with an agency token. The page loads nothing from elsewhere, so it works on an isolated
//! network; its Content-Security-Policy keeps it that way.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The OpenAPI document, as served.
pub const OPENAPI_JSON: &str = include_str!("api_docs/openapi.json");

/// The documentation page, as served.
pub const DOCS_HTML: &str = include_str!("api_docs/docs.html");

/// Only this origin; inline script and style are the page's own.
const DOCS_CSP: &str = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                        connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'";

/// `/api/openapi.json` and `/api/docs`; no state, no authentication (they describe, not reveal).
pub fn routes() -> Router {
    Router::new().route("/api/openapi.json", get(openapi)).route("/api/docs", get(docs))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], OPENAPI_JSON).into_response()
}

async fn docs() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, DOCS_CSP)],
        DOCS_HTML,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document is JSON, OpenAPI 3.0, documents the national entry point, and every `$ref`
    /// in it resolves (the integration test checks each agency path against the server).
    #[test]
    fn openapi_is_json_and_refs_resolve() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).expect("openapi.json parses");
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.0"));
        assert!(doc["paths"].get(crate::server::CALL_SERVICE_PATHS[0]).is_some());
        let mut stack = vec![&doc];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::Object(map) => {
                    if let Some(r) = map.get("$ref").and_then(|r| r.as_str()) {
                        let target = r.strip_prefix('#').and_then(|p| doc.pointer(p));
                        assert!(target.is_some(), "unresolved $ref {r}");
                    }
                    stack.extend(map.values());
                }
                serde_json::Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    }
}
