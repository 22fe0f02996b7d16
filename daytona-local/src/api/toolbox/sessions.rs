//! The toolbox's session operations, with the daemon's shapes, statuses and messages
//! (`apps/daemon/pkg/toolbox/process/session/`); the sessions themselves are in
//! [`session`](super::session), the entrypoint in [`entrypoint`](super::entrypoint).
//!
//! Logs are answered as the daemon answers SDKs from 0.167 on, whatever the client: JSON
//! with `output` (the raw log, stream markers included), `stdout` and `stderr`; followed
//! (`follow=true` on a WebSocket upgrade) as binary messages of the raw log, closed with
//! 1000 when the command ends.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::super::operations::Operations;
use super::super::validate::{optional_string, parse_json};
use super::super::{ApiError, ApiResult};
use super::command_log::Logs;
use super::session::{Command, ENTRYPOINT_COMMAND, ENTRYPOINT_SESSION, Session};
use super::{entrypoint, running};
use crate::Shared;

pub(super) fn implement(ops: &mut Operations) {
    ops.op("CreateSession", create)
        .op("ListSessions", list)
        .op("GetSession", get)
        .op("DeleteSession", delete)
        .op("SessionExecuteCommand", execute)
        .op("GetSessionCommand", get_command)
        .op("GetSessionCommandLogs", command_logs)
        .op("SendInput", send_input)
        .op("GetEntrypointSession", get_entrypoint)
        .op("GetEntrypointLogs", entrypoint_logs);
}

/// A session id becomes a directory name in the container: no `/`, no `.` or `..`.
fn check_session_id(id: &str) -> ApiResult<()> {
    if id.is_empty() || id == "." || id == ".." || id.contains(['/', '\0']) || id.len() > 255 {
        return Err(ApiError::bad_request(format!(
            "invalid session ID {id:?}: the local server takes 1 to 255 characters, without '/', other than '.' and '..'"
        )));
    }
    Ok(())
}

fn command_json(command: &Command) -> Value {
    let mut json = json!({ "id": command.id, "command": command.command });
    if let Some(ending) = command.ending() {
        json["exitCode"] = json!(ending.code);
    }
    json
}

fn session_json(session: &Session) -> Value {
    let commands: Vec<Value> = session.commands().iter().map(|c| command_json(c)).collect();
    json!({ "sessionId": session.id, "commands": commands })
}

fn logs_json(logs: Logs) -> axum::Json<Value> {
    axum::Json(json!({ "output": logs.output, "stdout": logs.stdout, "stderr": logs.stderr }))
}

async fn create(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let map = parse_json(&body)?;
    let mut errors = Vec::new();
    let session_id = optional_string(&map, "sessionId", &mut errors);
    let Some(session_id) = session_id.filter(|_| errors.is_empty()) else {
        return Err(ApiError::bad_request(
            "invalid request body: sessionId is required and must be a string",
        ));
    };
    if session_id == ENTRYPOINT_SESSION {
        return Err(ApiError::bad_request(
            "provided session ID is reserved and cannot be created/overridden",
        ));
    }
    check_session_id(&session_id)?;
    let sandbox = running(&shared, &id)?;
    shared.sessions.create(&sandbox, &session_id, shared.shutdown.clone()).await?;
    Ok(StatusCode::CREATED)
}

async fn list(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    let sandbox = running(&shared, &id)?;
    let sessions: Vec<Value> =
        shared.sessions.list(&sandbox.container).iter().map(|s| session_json(s)).collect();
    Ok(axum::Json(Value::Array(sessions)))
}

async fn get(
    State(shared): State<Arc<Shared>>,
    Path((id, session_id)): Path<(String, String)>,
) -> ApiResult<axum::Json<Value>> {
    let sandbox = running(&shared, &id)?;
    if session_id == ENTRYPOINT_SESSION {
        return entrypoint_session(&sandbox.container).await;
    }
    let session = shared.sessions.get(&sandbox.container, &session_id)?;
    Ok(axum::Json(session_json(&session)))
}

async fn delete(
    State(shared): State<Arc<Shared>>,
    Path((id, session_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    if session_id == ENTRYPOINT_SESSION {
        return Err(ApiError::bad_request("can't delete entrypoint session"));
    }
    let sandbox = running(&shared, &id)?;
    shared.sessions.delete(&sandbox.container, &session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A boolean field, absent or null being `false`.
fn flag(map: &serde_json::Map<String, Value>, field: &str) -> ApiResult<bool> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::bad_request(format!("invalid request body: {field} must be a boolean"))),
    }
}

async fn execute(
    State(shared): State<Arc<Shared>>,
    Path((id, session_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    if session_id == ENTRYPOINT_SESSION {
        return Err(ApiError::bad_request("can't execute command in entrypoint session"));
    }
    let map = parse_json(&body)?;
    let mut errors = Vec::new();
    let command = optional_string(&map, "command", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::bad_request(format!("invalid request body: {}", errors.join(", "))));
    }
    let command = command.unwrap_or_default();
    if command.trim().is_empty() {
        return Err(ApiError::bad_request("command cannot be empty"));
    }
    // `async` is the older name of `runAsync`.
    let run_async = flag(&map, "runAsync")? || flag(&map, "async")?;
    let suppress_echo = flag(&map, "suppressInputEcho")?;
    let sandbox = running(&shared, &id)?;
    let session = shared.sessions.get(&sandbox.container, &session_id)?;
    let command = session.execute(&command, run_async, suppress_echo)?;
    if run_async {
        let body =
            json!({ "cmdId": command.id, "output": null, "stdout": null, "stderr": null, "exitCode": null });
        return Ok((StatusCode::ACCEPTED, axum::Json(body)).into_response());
    }
    let ending = command.wait().await;
    if let Some(why) = ending.error {
        return Err(ApiError::bad_request(format!("failed to execute command: {why}")));
    }
    let logs = command
        .log
        .read()
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("failed to read log file: {e}")))?;
    let body = json!({
        "cmdId": command.id,
        "output": logs.output,
        "stdout": logs.stdout,
        "stderr": logs.stderr,
        "exitCode": ending.code,
    });
    Ok(axum::Json(body).into_response())
}

/// The session's command, or the daemon's 404s.
fn find_command(
    shared: &Shared,
    container: &str,
    session_id: &str,
    command_id: &str,
) -> ApiResult<Arc<Command>> {
    shared
        .sessions
        .get(container, session_id)?
        .command(command_id)
        .ok_or_else(|| ApiError::not_found("command not found"))
}

async fn get_command(
    State(shared): State<Arc<Shared>>,
    Path((id, session_id, command_id)): Path<(String, String, String)>,
) -> ApiResult<axum::Json<Value>> {
    let sandbox = running(&shared, &id)?;
    if session_id == ENTRYPOINT_SESSION {
        let main = entrypoint::inspect(&sandbox.container).await?;
        if command_id != ENTRYPOINT_COMMAND {
            return Err(ApiError::not_found("command not found"));
        }
        return Ok(axum::Json(entrypoint_command_json(&main)));
    }
    let command = find_command(&shared, &sandbox.container, &session_id, &command_id)?;
    Ok(axum::Json(command_json(&command)))
}

fn follows(query: &HashMap<String, String>) -> bool {
    query.get("follow").is_some_and(|f| f == "true")
}

async fn command_logs(
    State(shared): State<Arc<Shared>>,
    Path((id, session_id, command_id)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let sandbox = running(&shared, &id)?;
    if session_id == ENTRYPOINT_SESSION {
        if command_id != ENTRYPOINT_COMMAND {
            return Err(ApiError::not_found("command not found"));
        }
        return entrypoint_logs_of(sandbox.container, &query, upgrade).await;
    }
    let command = find_command(&shared, &sandbox.container, &session_id, &command_id)?;
    match upgrade {
        // As the daemon: a WebSocket gets the log (followed with `follow=true`, else what
        // there is now); a plain request gets it whole.
        Ok(upgrade) => {
            let follow = follows(&query);
            Ok(upgrade.on_upgrade(move |socket| async move { command.log.stream(socket, follow).await }))
        }
        Err(_) => {
            let logs = command.log.read().map_err(|e| {
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("failed to read log file: {e}"))
            })?;
            Ok(logs_json(logs).into_response())
        }
    }
}

async fn send_input(
    State(shared): State<Arc<Shared>>,
    Path((id, session_id, command_id)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    if session_id == ENTRYPOINT_SESSION {
        return Err(ApiError::bad_request("can't send input to entrypoint session"));
    }
    let map = parse_json(&body)?;
    let mut errors = Vec::new();
    let data = optional_string(&map, "data", &mut errors);
    let Some(data) = data.filter(|_| errors.is_empty()) else {
        return Err(ApiError::bad_request("invalid request body: data is required and must be a string"));
    };
    if data.len() > 1024 * 1024 {
        return Err(ApiError::bad_request(
            "data is over 1 MiB; the local server takes at most 1 MiB per call",
        ));
    }
    let sandbox = running(&shared, &id)?;
    let session = shared.sessions.get(&sandbox.container, &session_id)?;
    let command = session.command(&command_id).ok_or_else(|| ApiError::not_found("command not found"))?;
    session.send_input(&command, &data).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn entrypoint_command_json(main: &entrypoint::Entrypoint) -> Value {
    let mut json = json!({ "id": ENTRYPOINT_COMMAND, "command": main.command });
    if let Some(code) = main.exit_code {
        json["exitCode"] = json!(code);
    }
    json
}

async fn entrypoint_session(container: &str) -> ApiResult<axum::Json<Value>> {
    let main = entrypoint::inspect(container).await?;
    Ok(axum::Json(json!({ "sessionId": ENTRYPOINT_SESSION, "commands": [entrypoint_command_json(&main)] })))
}

async fn get_entrypoint(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let sandbox = running(&shared, &id)?;
    entrypoint_session(&sandbox.container).await
}

async fn entrypoint_logs(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let sandbox = running(&shared, &id)?;
    entrypoint_logs_of(sandbox.container, &query, upgrade).await
}

async fn entrypoint_logs_of(
    container: String,
    query: &HashMap<String, String>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    match upgrade {
        Ok(upgrade) if follows(query) => {
            Ok(upgrade.on_upgrade(move |socket| async move { entrypoint::follow(&container, socket).await }))
        }
        Ok(upgrade) => {
            let logs = entrypoint::logs(&container).await?;
            Ok(upgrade.on_upgrade(move |socket| async move { entrypoint::send_once(logs, socket).await }))
        }
        Err(_) => Ok(logs_json(entrypoint::logs(&container).await?).into_response()),
    }
}
