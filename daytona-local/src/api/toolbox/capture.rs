//! One `docker exec` of a program (an argv, never a shell line made of request values) in a
//! sandbox, as its user, whose output the handler reads whole: bounded in time and in
//! bytes, with optional bytes on its stdin and environment values passed by name.

use std::process::Stdio;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::super::{ApiError, ApiResult};
use super::Running;
use crate::docker;

/// What a captured program printed and how it ended.
#[derive(Debug)]
pub(crate) struct Captured {
    /// The exit code (`None`: killed by a signal).
    pub(crate) code: Option<i32>,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
}

impl Captured {
    pub(crate) fn success(&self) -> bool {
        self.code == Some(0)
    }

    pub(crate) fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub(crate) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// How a program runs: its directory, environment, stdin, and its bounds.
#[derive(Debug, Clone)]
pub(crate) struct Capture<'a> {
    pub(crate) cwd: Option<&'a str>,
    /// Passed by name (`--env NAME`), values through docker's own environment.
    pub(crate) env: &'a [(String, String)],
    pub(crate) stdin: Option<&'a [u8]>,
    pub(crate) timeout: Duration,
    /// The most bytes kept of stdout (and of stderr); more is an error.
    pub(crate) limit: usize,
}

impl Default for Capture<'_> {
    fn default() -> Self {
        Capture { cwd: None, env: &[], stdin: None, timeout: Duration::from_secs(60), limit: 16 << 20 }
    }
}

/// Runs `argv` in the sandbox's container as its user. A program the image does not have is
/// a 400 naming it; docker's own failures (a container gone) are errors, never results.
pub(crate) async fn capture(sandbox: &Running, argv: &[&str], how: &Capture<'_>) -> ApiResult<Captured> {
    let program = argv.first().copied().unwrap_or_default();
    let mut child =
        docker::exec_command(&sandbox.container, &sandbox.user, how.cwd, how.env, how.stdin.is_some(), argv)
            .stdin(if how.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("could not run the docker CLI: {e}"))
            })?;
    let stdin = child.stdin.take();
    let input = how.stdin.map(<[u8]>::to_vec);
    let feed = async move {
        if let (Some(mut pipe), Some(bytes)) = (stdin, input) {
            // A program that exits without reading its input is not an error here.
            let _ = pipe.write_all(&bytes).await;
            let _ = pipe.shutdown().await;
        }
    };
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let run = async {
        let ((), out, err) =
            tokio::join!(feed, read_bounded(stdout, how.limit), read_bounded(stderr, how.limit));
        (out, err, child.wait().await)
    };
    let (out, err, status) = match tokio::time::timeout(how.timeout, run).await {
        Ok(done) => done,
        Err(_) => {
            // `kill_on_drop` ends docker's client; the program in the container goes with it.
            return Err(ApiError(
                StatusCode::REQUEST_TIMEOUT,
                format!("{program} did not finish within {} seconds", how.timeout.as_secs()),
            ));
        }
    };
    let (Some(stdout), Some(stderr)) = (out, err) else {
        return Err(ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{program} printed more than {} MiB; the local server stops there", how.limit >> 20),
        ));
    };
    let status = status
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("docker exec failed: {e}")))?;
    let captured = Captured { code: status.code(), stdout, stderr };
    refuse_docker_failure(program, &captured)?;
    Ok(captured)
}

/// Reads to the end, or `None` past `limit` bytes: the rest is read and dropped, so the
/// program is never blocked on a full pipe and ends by itself (or at the timeout).
async fn read_bounded<R: AsyncRead + Unpin>(reader: Option<R>, limit: usize) -> Option<Vec<u8>> {
    let Some(mut reader) = reader else { return Some(Vec::new()) };
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut over = false;
    loop {
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) if !over && bytes.len() + n <= limit => bytes.extend_from_slice(&chunk[..n]),
            Ok(_) => {
                over = true;
                bytes = Vec::new();
            }
        }
    }
    if over { None } else { Some(bytes) }
}

/// `docker exec` answers 126/127 with the runtime's words when the program cannot start,
/// and docker's client says "Error response from daemon" when docker itself failed (the
/// container gone, say): neither is the program's result.
fn refuse_docker_failure(program: &str, captured: &Captured) -> ApiResult<()> {
    // The runtime's words come on stdout or stderr, depending on the engine's version.
    let said = format!("{}{}", captured.stderr_text(), captured.stdout_text());
    let runtime = matches!(captured.code, Some(126 | 127))
        && (said.contains("OCI runtime exec failed") || said.contains("exec failed:"));
    if runtime && (said.contains("executable file not found") || said.contains("no such file or directory")) {
        return Err(ApiError::bad_request(format!(
            "the sandbox's image has no `{program}` (the local Daytona server runs the image's own \
             `{program}`); install it in the snapshot's image"
        )));
    }
    if runtime || captured.stderr_text().starts_with("Error response from daemon") {
        return Err(ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("docker exec of {program} failed: {}", said.trim()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_the_image_lacks_is_named() {
        let captured = Captured {
            code: Some(126),
            stderr: Vec::new(),
            stdout: b"OCI runtime exec failed: exec failed: unable to start container process: exec: \"git\": executable file not found in $PATH: unknown\n".to_vec(),
        };
        let error = refuse_docker_failure("git", &captured).expect_err("refused");
        assert_eq!(error.0, StatusCode::BAD_REQUEST);
        assert!(error.1.contains("image has no `git`"), "{}", error.1);
    }

    #[tokio::test]
    async fn output_past_the_limit_is_refused_and_drained() {
        let big = vec![b'x'; 300 * 1024];
        assert_eq!(read_bounded(Some(&big[..]), 1 << 20).await.map(|b| b.len()), Some(big.len()));
        assert!(read_bounded(Some(&big[..]), 100 * 1024).await.is_none());
    }

    #[test]
    fn a_programs_own_failure_is_its_result() {
        let captured = Captured {
            code: Some(128),
            stdout: Vec::new(),
            stderr: b"fatal: not a git repository\n".to_vec(),
        };
        assert!(refuse_docker_failure("git", &captured).is_ok());
    }
}
