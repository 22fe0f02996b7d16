//! Scripts in the sandbox: `sh -c SCRIPT sh ARG...` through `docker exec`, as the sandbox's
//! user, so the container resolves every path (relative ones against the sandbox's working
//! directory) and files belong to that user, as the daemon makes them.
//!
//! Paths and patterns are only ever arguments (`"$1"`), never part of the script's text, so
//! no quote, space, newline or `$` in them can change what runs. A script reports why it
//! could not do its work with [`PRELUDE`]'s `die KIND PATH [DETAIL]` (exit 64): the server
//! turns that into the daemon's status and words ([`Failure`]). Every run is bounded: in
//! time by its caller, in output by [`read_bounded`], in stderr by [`STDERR_LIMIT`].

use std::process::Stdio;

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::task::JoinHandle;

use super::super::Running;
use crate::api::{ApiError, ApiResult};
use crate::docker;

/// Shell functions every script starts with. `LC_ALL=C` keeps the tools' messages in
/// English, which [`probe`](PRELUDE) classifies.
const PRELUDE: &str = r#"export LC_ALL=C
die() { printf '\n%s\0%s\0%s' "$1" "$2" "${3-}" >&2; exit 64; }
probe() {
    e=$(stat -L -c '' -- "$1" 2>&1 >/dev/null) && return 0
    case $e in
        *'No such file'*) die missing "$1" ;;
        *'Permission denied'*) die denied "$1" ;;
        *'Not a directory'*) die notdir "$1" ;;
        *) die failed "$1" "$e" ;;
    esac
}
"#;

/// The exit code of `die`.
const DIED: i32 = 64;

/// How much of a script's stderr is kept (the rest is read and dropped).
const STDERR_LIMIT: usize = 64 * 1024;

/// Why a script could not do its work, as `die` said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    pub(super) kind: Kind,
    /// The path it is about, as the script got it.
    pub(super) path: String,
    /// The tool's own words, when the kind is not enough.
    pub(super) detail: String,
}

/// The kinds of [`Failure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// ENOENT.
    Missing,
    /// EACCES.
    Denied,
    /// ENOTDIR.
    NotDir,
    /// A directory where a file is needed.
    IsDir,
    /// Something is already there.
    Exists,
    /// The request cannot be done as asked (the detail says why).
    Invalid,
    /// A tool failed; the detail holds its message.
    Failed,
}

impl Failure {
    /// The daemon's status for it.
    pub(super) fn status(&self) -> StatusCode {
        match self.kind {
            Kind::Missing => StatusCode::NOT_FOUND,
            Kind::Denied => StatusCode::FORBIDDEN,
            Kind::Exists => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Go's words for it: `{op} {path}: no such file or directory` and the like.
    pub(super) fn message(&self, op: &str) -> String {
        let path = &self.path;
        match self.kind {
            Kind::Missing => format!("{op} {path}: no such file or directory"),
            Kind::Denied => format!("{op} {path}: permission denied"),
            Kind::NotDir => format!("{op} {path}: not a directory"),
            Kind::IsDir => format!("{op} {path}: is a directory"),
            Kind::Exists => format!("{op} {path}: file exists"),
            Kind::Invalid => self.detail.clone(),
            Kind::Failed if self.detail.is_empty() => format!("{op} {path}: failed"),
            Kind::Failed => format!("{op} {path}: {}", errno_words(&self.detail)),
        }
    }

    /// As an error answer of operation `op`.
    pub(super) fn into_error(self, op: &str) -> ApiError {
        ApiError(self.status(), self.message(op))
    }
}

/// The error words at the end of a tool's message (`sh: 1: cannot create x: Permission
/// denied` → `permission denied`), lower-cased like Go's.
pub(super) fn errno_words(message: &str) -> String {
    let last = message.trim().rsplit(": ").next().unwrap_or_default().trim();
    let mut chars = last.chars();
    match chars.next() {
        Some(first) if chars.clone().next().is_some_and(char::is_lowercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => last.to_owned(),
    }
}

/// A script running in the sandbox, with its pipes.
#[derive(Debug)]
pub(super) struct Proc {
    child: Child,
    /// Its stdin, when spawned with one.
    pub(super) stdin: Option<ChildStdin>,
    /// Its stdout.
    pub(super) stdout: Option<ChildStdout>,
    stderr: Option<JoinHandle<Vec<u8>>>,
}

impl Proc {
    /// Starts `script` (after [`PRELUDE`]) with `args` as `$1`, `$2`, ... The child is
    /// killed when the `Proc` is dropped.
    pub(super) fn spawn(sandbox: &Running, script: &str, args: &[&str], stdin: bool) -> ApiResult<Proc> {
        let text = format!("{PRELUDE}{script}");
        let mut argv = vec!["sh", "-c", text.as_str(), "sh"];
        argv.extend_from_slice(args);
        let mut command = docker::exec_command(&sandbox.container, &sandbox.user, None, &[], stdin, &argv);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        if stdin {
            command.stdin(Stdio::piped());
        }
        let mut child = command.spawn().map_err(|e| {
            ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("could not run the docker CLI: {e}"))
        })?;
        let stderr = child.stderr.take().map(|err| tokio::spawn(read_stderr(err)));
        Ok(Proc { stdin: child.stdin.take(), stdout: child.stdout.take(), child, stderr })
    }

    /// Closes the pipes, waits for the script's end and says how it ended: `Ok(Ok(()))`,
    /// a [`Failure`] it reported, or an error of Docker's (the container is not running,
    /// the image has no `sh`, ...). The caller bounds the wait.
    pub(super) async fn finish(mut self) -> ApiResult<Result<(), Failure>> {
        drop(self.stdin.take());
        drop(self.stdout.take());
        let status = self.child.wait().await.map_err(|e| {
            ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("docker exec did not finish: {e}"))
        })?;
        let stderr = match self.stderr.take() {
            Some(task) => task.await.unwrap_or_default(),
            None => Vec::new(),
        };
        outcome(status.code(), &stderr)
    }
}

async fn read_stderr(mut err: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match err.read(&mut buf).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                let room = STDERR_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
}

/// What a script's exit code and stderr mean.
fn outcome(code: Option<i32>, stderr: &[u8]) -> ApiResult<Result<(), Failure>> {
    let text = String::from_utf8_lossy(stderr);
    if let Some(error) = docker_error(code, &text) {
        return Err(error);
    }
    match code {
        Some(0) => Ok(Ok(())),
        Some(DIED) => Ok(Err(parse_die(stderr).unwrap_or_else(|| Failure {
            kind: Kind::Failed,
            path: String::new(),
            detail: text.trim().to_owned(),
        }))),
        other => {
            let detail = match text.trim() {
                "" => match other {
                    Some(code) => format!("exit code {code}"),
                    None => "killed".to_owned(),
                },
                said => said.to_owned(),
            };
            Ok(Err(Failure { kind: Kind::Failed, path: String::new(), detail }))
        }
    }
}

/// The record `die` wrote last: `\nKIND\0PATH\0DETAIL`.
fn parse_die(stderr: &[u8]) -> Option<Failure> {
    let mut parts = stderr.rsplitn(3, |b| *b == 0);
    let detail = parts.next()?;
    let path = parts.next()?;
    let head = parts.next()?;
    let kind = head.rsplit(|b| *b == b'\n').next()?;
    let kind = match kind {
        b"missing" => Kind::Missing,
        b"denied" => Kind::Denied,
        b"notdir" => Kind::NotDir,
        b"isdir" => Kind::IsDir,
        b"exists" => Kind::Exists,
        b"invalid" => Kind::Invalid,
        b"failed" => Kind::Failed,
        _ => return None,
    };
    Some(Failure {
        kind,
        path: String::from_utf8_lossy(path).into_owned(),
        detail: String::from_utf8_lossy(detail).trim().to_owned(),
    })
}

/// Docker's own failures (not the script's): an error of the daemon, or an exec that
/// could not start.
fn docker_error(code: Option<i32>, stderr: &str) -> Option<ApiError> {
    let said = stderr.trim();
    if said.contains("Error response from daemon") {
        let status = if said.contains("is not running") || said.contains("No such container") {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        return Some(ApiError(status, format!("the sandbox's container cannot run commands: {said}")));
    }
    if matches!(code, Some(126 | 127))
        && (said.contains("OCI runtime") || said.contains("unable to find user"))
    {
        return Some(ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "the sandbox cannot run the file-system operations (they run sh and its standard tools as the sandbox's user): {said}"
            ),
        ));
    }
    None
}

/// Reads `reader` to its end, refusing more than `limit` bytes.
pub(super) async fn read_bounded(reader: Option<ChildStdout>, limit: usize) -> ApiResult<Vec<u8>> {
    let Some(reader) = reader else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    let read = reader.take(limit as u64 + 1).read_to_end(&mut out).await;
    read.map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("reading from docker exec: {e}")))?;
    if out.len() > limit {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("the answer is larger than the local server holds ({} MiB); ask for less", limit >> 20),
        ));
    }
    Ok(out)
}

/// Runs `script` with `args` to its end within `timeout`: its stdout (at most `limit`
/// bytes), or the [`Failure`] it reported.
pub(super) async fn run(
    sandbox: &Running,
    script: &str,
    args: &[&str],
    limit: usize,
    timeout: std::time::Duration,
) -> ApiResult<Result<Vec<u8>, Failure>> {
    let work = async {
        let mut proc = Proc::spawn(sandbox, script, args, false)?;
        let stdout = read_bounded(proc.stdout.take(), limit).await;
        let ended = proc.finish().await?;
        let stdout = stdout?;
        Ok(ended.map(|()| stdout))
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(ApiError(
            StatusCode::REQUEST_TIMEOUT,
            format!("the file-system operation did not finish within {} seconds", timeout.as_secs()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn die_records_are_read_back_whatever_the_path_holds() {
        let stderr = b"noise\nmore\nmissing\0/a\nb\0".to_vec();
        let failure = parse_die(&stderr).expect("a record");
        assert_eq!(failure.kind, Kind::Missing);
        assert_eq!(failure.path, "/a\nb");
        assert_eq!(failure.message("stat"), "stat /a\nb: no such file or directory");
        assert_eq!(failure.status(), StatusCode::NOT_FOUND);
        let failed = parse_die(b"\nfailed\0x\0rm: can't remove 'x': Read-only file system").expect("record");
        assert_eq!(failed.message("remove"), "remove x: read-only file system");
    }

    #[test]
    fn docker_failures_are_not_script_failures() {
        let error = outcome(Some(1), b"Error response from daemon: container abc is not running\n");
        assert!(
            matches!(error, Err(ApiError(StatusCode::BAD_REQUEST, ref m)) if m.contains("is not running"))
        );
        let no_user =
            outcome(Some(126), b"unable to find user daytona: no matching entries in passwd file\n");
        assert!(
            matches!(no_user, Err(ApiError(StatusCode::BAD_REQUEST, ref m)) if m.contains("unable to find user"))
        );
        let no_sh =
            outcome(Some(126), b"OCI runtime exec failed: exec: \"sh\": executable file not found in $PATH");
        assert!(matches!(no_sh, Err(ApiError(StatusCode::BAD_REQUEST, ref m)) if m.contains("they run sh")));
        let ok = outcome(Some(0), b"");
        assert!(matches!(ok, Ok(Ok(()))));
        let failed = outcome(Some(2), b"");
        assert!(matches!(failed, Ok(Err(Failure { kind: Kind::Failed, .. }))));
    }

    #[test]
    fn errno_words_are_gos() {
        assert_eq!(errno_words("sh: 1: cannot create /x: Permission denied\n"), "permission denied");
        assert_eq!(errno_words("cat: write error: No space left on device"), "no space left on device");
        assert_eq!(errno_words("EOF"), "EOF");
    }
}
