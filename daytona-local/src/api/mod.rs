//! The Daytona API routes: Daytona's JSON shapes, statuses and error bodies.
//!
//! The router and Daytona's error body are here. Every operation of Daytona's specifications
//! is routed by its `operationId` ([`operations`]): those in [`implement`] by their
//! handlers, the others with a 501 naming them. The handlers are by resource:
//! [`auth`] (the API key or JWT of every route), [`object_storage`] (push access),
//! [`snapshots`], [`sandboxes`] (with the toolbox), and [`validate`] checks request
//! bodies and queries the way Daytona's class-validator does.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Shared;
use super::state::now_iso;
use auth::authenticate;
use object_storage::push_access;
use operations::Operations;
use sandboxes::{create_sandbox, delete_sandbox, get_sandbox, toolbox_proxy_url};
use snapshots::{
    activate_snapshot, build_logs, build_logs_url, create_snapshot, deactivate_snapshot, delete_snapshot,
    get_snapshot, list_snapshots,
};

mod auth;
mod object_storage;
pub(crate) mod operations;
pub(crate) mod preview;
mod sandbox_lifecycle;
mod sandbox_list;
mod sandboxes;
mod snapshots;
pub(crate) mod toolbox;
mod validate;

/// An error a handler returns; [`finish_error`] gives it Daytona's body.
#[derive(Debug)]
pub(crate) struct ApiError(StatusCode, String);

#[derive(Debug, Clone)]
struct ErrorMessage(String);

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        ApiError(StatusCode::BAD_REQUEST, message.into())
    }
    fn not_found(message: impl Into<String>) -> Self {
        ApiError(StatusCode::NOT_FOUND, message.into())
    }
}

/// A change the state could not save: a 500 with the reason (nothing was changed).
impl From<crate::state::StoreError> for ApiError {
    fn from(e: crate::state::StoreError) -> Self {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self.0;
        response.extensions_mut().insert(ErrorMessage(self.1));
        response
    }
}

/// Daytona's error body: `{"path", "timestamp", "statusCode", "error", "message"}`.
pub(crate) fn error_json(status: StatusCode, path: &str, message: &str) -> Response {
    let body = json!({
        "path": path,
        "timestamp": now_iso(),
        "statusCode": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message,
    });
    (status, axum::Json(body)).into_response()
}

/// Turns an [`ApiError`] response into Daytona's JSON error, keeping its headers.
pub(crate) fn finish_error(response: Response, path: &str) -> Response {
    let Some(ErrorMessage(message)) = response.extensions().get::<ErrorMessage>().cloned() else {
        return response;
    };
    let (parts, _) = response.into_parts();
    let mut finished = error_json(parts.status, path, &message);
    for (name, value) in &parts.headers {
        finished.headers_mut().insert(name, value.clone());
    }
    finished
}

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let mut ops = Operations::new();
    implement(&mut ops);
    ops.router()
        // Inside authentication: only an authenticated toolbox request is activity.
        .route_layer(middleware::from_fn_with_state(shared.clone(), crate::lifecycle::activity))
        .route_layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .fallback(not_found)
        .with_state(shared)
}

/// Every operation the server implements, by Daytona's `operationId` (see
/// [`operations`]); the others answer 501.
pub(crate) fn implement(ops: &mut Operations) {
    ops.op("getPushAccess", push_access);
    ops.op("createSnapshot", create_snapshot)
        .op("getAllSnapshots", list_snapshots)
        .op("getSnapshot", get_snapshot)
        .op("removeSnapshot", delete_snapshot)
        .op("activateSnapshot", activate_snapshot)
        .op("deactivateSnapshot", deactivate_snapshot)
        .op("getSnapshotBuildLogsUrl", build_logs_url)
        .op("getSnapshotBuildLogs", build_logs);
    ops.op("createSandbox", create_sandbox)
        .op("getSandbox", get_sandbox)
        .op("deleteSandbox", delete_sandbox)
        .op("getToolboxProxyUrl", toolbox_proxy_url);
    preview::implement(ops);
    sandbox_lifecycle::implement(ops);
    sandbox_list::implement(ops);
    toolbox::implement(ops);
}

async fn not_found(request: Request) -> ApiError {
    ApiError::not_found(format!("Cannot {} {}", request.method(), request.uri().path()))
}
