//! Authentication of every API route: the API key, or a JWT with the organization header.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;
use crate::Shared;

pub(super) async fn authenticate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let org_header =
        request.headers().get("X-Daytona-Organization-ID").and_then(|v| v.to_str().ok()).map(str::to_owned);
    match bearer {
        Some(token) if token == shared.api_key.expose() => next.run(request).await,
        Some(token) if shared.jwt.as_ref().is_some_and(|jwt| token == jwt.expose()) => {
            if org_header.as_deref() == Some(shared.organization_id.as_str()) {
                next.run(request).await
            } else {
                ApiError(
                    StatusCode::FORBIDDEN,
                    "Organization ID is required with a JWT (X-Daytona-Organization-ID)".into(),
                )
                .into_response()
            }
        }
        _ => ApiError(StatusCode::UNAUTHORIZED, "Unauthorized".into()).into_response(),
    }
}
