//! The toolbox's process operations: `execute` and `code-run` (one command, its output
//! and exit code, see [`once`](super::once)); the sessions are in
//! [`sessions`](super::sessions).
//!
//! As Daytona's daemon (`apps/daemon/pkg/toolbox/process/execute.go`): the command runs
//! in zsh or bash when the image lists one in `/etc/shells`, else `sh`, reading the command
//! from stdin; stdout and stderr are merged; a `cwd` that cannot be entered is an exit
//! code of -1 with Go's words; at the timeout the process tree is killed and the answer is
//! 408 `command execution timeout`. Unlike the daemon, the answer comes when the command
//! ends even if a daemon it started (`sleep 300 &`) still holds its output, the output is
//! kept up to [`OUTPUT_LIMIT`](super::once::OUTPUT_LIMIT) (then cut, saying so), and a
//! command without a timeout is still killed after [`MAX_SECONDS`].

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::super::operations::Operations;
use super::super::validate::{optional_string, parse_json, string_list, string_map};
use super::super::{ApiError, ApiResult};
use super::once::{self, Once, Outcome};
use super::shell::quote;
use super::{Running, running, sessions};
use crate::Shared;

pub(super) fn implement(ops: &mut Operations) {
    ops.op("ExecuteCommand", execute).op("CodeRun", code_run);
    sessions::implement(ops);
}

/// The longest a command may run, in seconds: the largest `timeout` accepted, and the
/// limit of a command sent without one (Daytona's daemon has none; the local server
/// never waits without a bound).
pub(crate) const MAX_SECONDS: u64 = 3600;

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
        return Err(ApiError::bad_request(format!("invalid request body: {}", errors.join(", "))));
    }
    let command = command.unwrap_or_default();
    if command.trim().is_empty() {
        return Err(ApiError::bad_request("command cannot be empty or whitespace-only"));
    }
    let envs = envs(&map)?;
    let timeout = timeout(&map)?;
    let sandbox = running(&shared, &id)?;
    let once = Once { command: &command, cwd: cwd.as_deref(), envs: &envs, need: None, timeout };
    match once::run(&sandbox, &once).await {
        Outcome::Finished(exit_code, result) => {
            Ok(axum::Json(json!({ "exitCode": exit_code, "result": result })))
        }
        // Go's words for a working directory it cannot enter, as the daemon answers.
        Outcome::NoDirectory => Ok(axum::Json(json!({
            "exitCode": -1,
            "result": format!("chdir {}: no such file or directory", cwd.unwrap_or_default()),
        }))),
        other => Err(failure(other, &sandbox, None)),
    }
}

/// The languages `code-run` knows (as Daytona's daemon), and the program each needs.
fn interpreter(language: &str) -> Option<&'static str> {
    match language {
        "python" => Some("python3"),
        "javascript" => Some("node"),
        // Daytona runs `npx ts-node`; the local server runs the image's own `ts-node`
        // and never lets npx fetch one from a registry.
        "typescript" => Some("ts-node"),
        _ => None,
    }
}

/// The shell command that runs `code` in `language` with `argv` (joined with spaces,
/// unquoted, as Daytona does: they are shell words). The code goes through a pipe, as
/// the daemon's does, here as one quoted word of the builtin `printf`.
fn code_command(language: &str, code: &str, argv: &[String]) -> String {
    let args = argv.join(" ");
    match language {
        "python" => format!("printf '%s' {} | python3 -u - {args}", quote(code)),
        "javascript" => {
            format!("printf '%s' {} | node - {args}", quote(&format!("process.argv.splice(1, 1);\n{code}")))
        }
        _ => format!(
            "_f=/tmp/dtn_$$.ts; printf '%s' {} > \"$_f\"; ts-node -T --ignore-diagnostics 5107 -O '{{\"module\":\"CommonJS\"}}' \"$_f\" {args}; _dtn_ec=$?; rm -f \"$_f\"; exit $_dtn_ec",
            quote(&format!("process.argv.splice(1, 1);\n{code}"))
        ),
    }
}

async fn code_run(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<axum::Json<Value>> {
    let map = parse_json(&body)?;
    let mut errors = Vec::new();
    let code = optional_string(&map, "code", &mut errors);
    let language = optional_string(&map, "language", &mut errors);
    let argv = string_list(map.get("argv"), "argv", &mut errors).unwrap_or_default();
    if code.is_none() {
        errors.push("code is required".to_owned());
    }
    if language.is_none() {
        errors.push("language is required".to_owned());
    }
    if !errors.is_empty() {
        return Err(ApiError::bad_request(format!("invalid request body: {}", errors.join(", "))));
    }
    let (code, language) = (code.unwrap_or_default(), language.unwrap_or_default());
    let Some(program) = interpreter(&language) else {
        return Err(ApiError::bad_request(format!(
            "unsupported language: {language} (the languages are python, javascript and typescript)"
        )));
    };
    let envs = envs(&map)?;
    let timeout = timeout(&map)?;
    let sandbox = running(&shared, &id)?;
    let command = code_command(&language, &code, &argv);
    let once = Once { command: &command, cwd: None, envs: &envs, need: Some(program), timeout };
    match once::run(&sandbox, &once).await {
        // The daemon's matplotlib charts (`artifacts`) are not made here.
        Outcome::Finished(exit_code, result) => {
            Ok(axum::Json(json!({ "exitCode": exit_code, "result": result })))
        }
        other => Err(failure(other, &sandbox, Some((&language, program)))),
    }
}

/// The error of a run that did not finish.
fn failure(outcome: Outcome, sandbox: &Running, code_run: Option<(&str, &str)>) -> ApiError {
    match outcome {
        Outcome::TimedOut { killed: true } => {
            ApiError(StatusCode::REQUEST_TIMEOUT, "command execution timeout".to_owned())
        }
        Outcome::TimedOut { killed: false } => ApiError(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "command execution timeout; some of its processes in container {} could not be killed",
                sandbox.container
            ),
        ),
        Outcome::Missing => match code_run {
            Some((language, program)) => ApiError::bad_request(format!(
                "code-run cannot run {language} in this sandbox: its image has no {program} on the PATH"
            )),
            None => ApiError(StatusCode::INTERNAL_SERVER_ERROR, "unexpected interpreter check".to_owned()),
        },
        Outcome::Docker(why) => {
            ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("docker exec in the sandbox failed: {why}"))
        }
        Outcome::NoDirectory => ApiError::bad_request("the working directory cannot be entered"),
        Outcome::Finished(..) => ApiError(StatusCode::INTERNAL_SERVER_ERROR, "unexpected success".to_owned()),
    }
}

/// `envs`: string values, names as the daemon accepts them.
pub(super) fn envs(map: &Map<String, Value>) -> ApiResult<Vec<(String, String)>> {
    let envs: Vec<(String, String)> = string_map(map.get("envs"), "envs")?.into_iter().collect();
    for (name, _) in &envs {
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(ApiError::bad_request(format!("invalid environment variable name: '{name}'")));
        }
    }
    Ok(envs)
}

/// `timeout` in seconds: 0 or none is no timeout of the caller's (the server's
/// [`MAX_SECONDS`] then); more than [`MAX_SECONDS`] is refused.
fn timeout(map: &Map<String, Value>) -> ApiResult<Duration> {
    match map.get("timeout") {
        None | Some(Value::Null) => Ok(Duration::from_secs(MAX_SECONDS)),
        Some(value) => match value.as_u64() {
            Some(0) => Ok(Duration::from_secs(MAX_SECONDS)),
            Some(t) if t <= MAX_SECONDS => Ok(Duration::from_secs(t)),
            Some(_) => Err(ApiError::bad_request(format!(
                "timeout must be at most {MAX_SECONDS} seconds on the local server"
            ))),
            None => {
                Err(ApiError::bad_request("invalid request body: timeout must be a non-negative integer"))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_passed_in_base64_and_argv_as_shell_words() {
        let command = code_command("python", "print('hi')", &["a".into(), "b c".into()]);
        assert_eq!(command, r"printf '%s' 'print('\''hi'\'')' | python3 -u - a b c");
        assert!(code_command("javascript", "1", &[]).ends_with("1' | node - "));
        assert_eq!(interpreter("ruby"), None);
    }

    #[test]
    fn timeouts_and_env_names() {
        let map = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert_eq!(timeout(&map(json!({}))).ok(), Some(Duration::from_secs(MAX_SECONDS)));
        assert_eq!(timeout(&map(json!({"timeout": 0}))).ok(), Some(Duration::from_secs(MAX_SECONDS)));
        assert_eq!(timeout(&map(json!({"timeout": 5}))).ok(), Some(Duration::from_secs(5)));
        assert!(timeout(&map(json!({"timeout": -1}))).is_err());
        assert!(timeout(&map(json!({"timeout": MAX_SECONDS + 1}))).is_err());
        assert!(envs(&map(json!({"envs": {"A_1": "x", "_b": ""}}))).is_ok());
        for bad in ["1A", "A-B", "", "A B"] {
            assert!(envs(&map(json!({"envs": {bad: "x"}}))).is_err(), "{bad:?}");
        }
    }
}
