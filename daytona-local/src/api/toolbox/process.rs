//! The toolbox's process operations: `execute` (one command, its output and exit code).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::super::operations::Operations;
use super::super::validate::{optional_string, parse_json, string_map};
use super::super::{ApiError, ApiResult};
use super::running;
use crate::{Shared, docker};

pub(super) fn implement(ops: &mut Operations) {
    ops.op("ExecuteCommand", execute);
}

/// The longest command timeout the toolbox accepts, in seconds.
const MAX_EXEC_SECONDS: u64 = 3600;

async fn execute(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<axum::Json<Value>> {
    let map = parse_json(&body)?;
    let mut errors = Vec::new();
    let command = optional_string(&map, "command", &mut errors);
    let cwd = optional_string(&map, "cwd", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::bad_request(errors.join(", ")));
    }
    let Some(command) = command else { return Err(ApiError::bad_request("command must be a string")) };
    let envs: Vec<(String, String)> = string_map(map.get("envs"), "envs")?.into_iter().collect();
    let timeout = match map.get("timeout") {
        None | Some(Value::Null) => 10,
        Some(v) => v.as_u64().filter(|t| *t > 0 && *t <= MAX_EXEC_SECONDS).ok_or_else(|| {
            ApiError::bad_request(format!("timeout must be an integer from 1 to {MAX_EXEC_SECONDS}"))
        })?,
    };
    let sandbox = running(&shared, &id)?;
    match docker::exec(
        &sandbox.container,
        &sandbox.user,
        &command,
        cwd.as_deref(),
        &envs,
        Duration::from_secs(timeout),
    )
    .await
    {
        Some((exit_code, result)) => Ok(axum::Json(json!({ "exitCode": exit_code, "result": result }))),
        None => {
            Err(ApiError(StatusCode::REQUEST_TIMEOUT, format!("Command timed out after {timeout} seconds")))
        }
    }
}
