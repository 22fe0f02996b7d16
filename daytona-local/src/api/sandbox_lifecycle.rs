//! The sandbox lifecycle routes: start, stop, archive, labels, public, the auto-stop,
//! auto-archive and auto-delete intervals, and activity. The changes themselves are
//! [`crate::lifecycle`]'s, shared with the idle timers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::operations::Operations;
use super::sandboxes::{MAX_AUTO_ARCHIVE, find_sandbox};
use super::validate::{parse_json, string_map};
use super::{ApiError, ApiResult};
use crate::Shared;
use crate::lifecycle::{self, Failure};
use crate::state::{SandboxRecord, now_iso};

pub(super) fn implement(ops: &mut Operations) {
    ops.op("startSandbox", start)
        .op("stopSandbox", stop)
        .op("archiveSandbox", archive)
        .op("replaceLabels", replace_labels)
        .op("setAutostopInterval", set_autostop)
        .op("setAutoArchiveInterval", set_auto_archive)
        .op("setAutoDeleteInterval", set_auto_delete)
        .op("updatePublicStatus", update_public)
        .op("updateLastActivity", update_last_activity);
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Refused(message) => ApiError::bad_request(message),
            Failure::NotFound(message) => ApiError::not_found(message),
            Failure::Engine(message) | Failure::Store(message) => {
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, message)
            }
        }
    }
}

fn sandbox_json(record: &SandboxRecord) -> axum::Json<Value> {
    axum::Json(serde_json::to_value(record).unwrap_or(Value::Null))
}

async fn start(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    Ok(sandbox_json(&lifecycle::start(&shared, &id).await?))
}

async fn stop(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<axum::Json<Value>> {
    let force = match query.get("force").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::bad_request("force must be a boolean value")),
    };
    Ok(sandbox_json(&lifecycle::stop(&shared, &id, force).await?))
}

async fn archive(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    Ok(sandbox_json(&lifecycle::archive(&shared, &id)?))
}

/// Changes one field of a sandbox's record.
fn change(shared: &Shared, id: &str, edit: impl FnOnce(&mut SandboxRecord)) -> ApiResult<SandboxRecord> {
    let found = find_sandbox(shared, id)?;
    shared
        .store
        .write(|d| {
            let record = d.sandbox_mut_by_id(&found.id)?;
            edit(record);
            record.updated_at = now_iso();
            Some(record.clone())
        })?
        .ok_or_else(|| ApiError::not_found(format!("Sandbox with ID or name {id} not found")))
}

async fn replace_labels(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<axum::Json<Value>> {
    let map = parse_json(&body)?;
    if !matches!(map.get("labels"), Some(Value::Object(_))) {
        return Err(ApiError::bad_request("labels must be an object"));
    }
    let labels = string_map(map.get("labels"), "labels")?;
    let record = change(&shared, &id, |r| r.labels = labels)?;
    Ok(axum::Json(json!({ "labels": record.labels })))
}

/// An interval in minutes from the path: a whole number.
fn minutes(raw: &str) -> ApiResult<i64> {
    let value: f64 =
        raw.parse().map_err(|_| ApiError::bad_request("Validation failed (numeric string is expected)"))?;
    if !value.is_finite() || value.fract() != 0.0 || value.abs() > 1e12 {
        return Err(ApiError::bad_request("Validation failed (numeric string is expected)"));
    }
    Ok(value as i64)
}

async fn set_autostop(
    State(shared): State<Arc<Shared>>,
    Path((id, interval)): Path<(String, String)>,
) -> ApiResult<axum::Json<Value>> {
    let interval = minutes(&interval)?;
    if interval < 0 {
        return Err(ApiError::bad_request("Auto-stop interval must be non-negative"));
    }
    Ok(sandbox_json(&change(&shared, &id, |r| r.auto_stop_interval = interval)?))
}

async fn set_auto_archive(
    State(shared): State<Arc<Shared>>,
    Path((id, interval)): Path<(String, String)>,
) -> ApiResult<axum::Json<Value>> {
    let interval = minutes(&interval)?;
    if interval < 0 {
        return Err(ApiError::bad_request("Auto-archive interval must be non-negative"));
    }
    let interval = if interval == 0 { MAX_AUTO_ARCHIVE } else { interval.min(MAX_AUTO_ARCHIVE) };
    Ok(sandbox_json(&change(&shared, &id, |r| r.auto_archive_interval = interval)?))
}

async fn set_auto_delete(
    State(shared): State<Arc<Shared>>,
    Path((id, interval)): Path<(String, String)>,
) -> ApiResult<axum::Json<Value>> {
    let interval = minutes(&interval)?;
    Ok(sandbox_json(&change(&shared, &id, |r| r.auto_delete_interval = interval)?))
}

/// `public`: whether the sandbox's previews are open without the token (the preview
/// listeners read it on every connection).
async fn update_public(
    State(shared): State<Arc<Shared>>,
    Path((id, public)): Path<(String, String)>,
) -> ApiResult<axum::Json<Value>> {
    let public = match public.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(ApiError::bad_request("Validation failed (boolean string is expected)")),
    };
    Ok(sandbox_json(&change(&shared, &id, |r| r.public = public)?))
}

async fn update_last_activity(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let record = find_sandbox(&shared, &id)?;
    lifecycle::touch(&shared, &record.id);
    Ok(StatusCode::CREATED)
}
