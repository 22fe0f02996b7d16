//! The entrypoint session: what the sandbox's container runs as its main process, and its
//! output. Daytona's daemon runs the snapshot's entrypoint in a session named
//! `entrypoint`; here the container's own process is that command (`docker inspect`
//! names it and says when it ended), and its output is the container's log (`docker
//! logs`, stdout and stderr apart, in their order by Docker's timestamps).

use std::process::Stdio;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use super::super::{ApiError, ApiResult};
use super::command_log::{Logs, STDERR_PREFIX, STDOUT_PREFIX, Stream, close};
use super::once::OUTPUT_LIMIT;
use super::shell::quote;
use crate::docker;

/// The container's main process.
#[derive(Debug)]
pub(crate) struct Entrypoint {
    /// Its command line, each word quoted (the daemon's `ShellQuoteJoin`).
    pub(crate) command: String,
    /// Its exit code, once it has ended.
    pub(crate) exit_code: Option<i32>,
}

/// What `container` runs, from `docker inspect`.
pub(crate) async fn inspect(container: &str) -> ApiResult<Entrypoint> {
    let format = "{{json .Path}}\n{{json .Args}}\n{{.State.Running}}\n{{.State.ExitCode}}";
    let (code, out, err) = docker::run(
        &["inspect", "--type", "container", "--format", format, container],
        Duration::from_secs(20),
    )
    .await;
    if code != Some(0) {
        return Err(ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot inspect the sandbox's container: {}", err.trim()),
        ));
    }
    let lines: Vec<&str> = out.lines().collect();
    let path: String = lines.first().and_then(|l| serde_json::from_str(l).ok()).unwrap_or_default();
    let args: Vec<String> = lines.get(1).and_then(|l| serde_json::from_str(l).ok()).unwrap_or_default();
    let running = lines.get(2).is_some_and(|l| l.trim() == "true");
    let exit_code = lines.get(3).and_then(|l| l.trim().parse().ok()).filter(|_| !running);
    let command = std::iter::once(path).chain(args).map(|w| quote(&w)).collect::<Vec<_>>().join(" ");
    Ok(Entrypoint { command, exit_code })
}

fn logs_command(container: &str, follow: bool) -> Command {
    let mut command = Command::new("docker");
    command.arg("logs");
    if follow {
        command.arg("--follow");
    } else {
        command.arg("--timestamps");
    }
    command
        .arg(container)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// The container's log so far, up to [`OUTPUT_LIMIT`] per stream (then cut, saying so).
pub(crate) async fn logs(container: &str) -> ApiResult<Logs> {
    let failed = |why: String| {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read the entrypoint's logs: {why}"))
    };
    let mut child = logs_command(container, false).spawn().map_err(|e| failed(format!("docker: {e}")))?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(failed("the docker CLI's pipes are missing".to_owned()));
    };
    let read = async { tokio::join!(bounded(stdout), bounded(stderr)) };
    let ((out, out_cut), (err, err_cut)) = tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .map_err(|_| failed("docker logs took over 60 s".to_owned()))?;
    let _ = child.start_kill();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    if !out_cut && !err_cut && !matches!(status, Ok(Ok(s)) if s.success()) {
        return Err(failed(String::from_utf8_lossy(&err).trim().to_owned()));
    }
    let mut raw = Vec::new();
    let mut last = None;
    for (stream, line) in merge(&out, &err) {
        if last != Some(stream) {
            raw.extend_from_slice(prefix(stream));
            last = Some(stream);
        }
        raw.extend_from_slice(line);
    }
    for (cut, stream) in [(out_cut, Stream::Stdout), (err_cut, Stream::Stderr)] {
        if cut {
            raw.extend_from_slice(prefix(stream));
            raw.extend_from_slice(
                format!("\n[daytona-local: the entrypoint's log is cut at {OUTPUT_LIMIT} bytes]\n")
                    .as_bytes(),
            );
        }
    }
    Ok(Logs::from_raw(raw))
}

fn prefix(stream: Stream) -> &'static [u8] {
    match stream {
        Stream::Stdout => STDOUT_PREFIX,
        Stream::Stderr => STDERR_PREFIX,
    }
}

/// Reads to the end, keeping up to [`OUTPUT_LIMIT`] bytes; whether there was more.
async fn bounded(mut reader: impl AsyncRead + Unpin) -> (Vec<u8>, bool) {
    let mut data = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut cut = false;
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let take = OUTPUT_LIMIT.saturating_sub(data.len()).min(n);
        data.extend_from_slice(&buf[..take]);
        cut |= take < n;
    }
    (data, cut)
}

/// `docker logs --timestamps` lines of both streams, in time order, timestamps removed.
fn merge<'a>(out: &'a [u8], err: &'a [u8]) -> Vec<(Stream, &'a [u8])> {
    fn lines(data: &[u8]) -> Vec<(&[u8], &[u8])> {
        data.split_inclusive(|b| *b == b'\n')
            .map(|line| match line.iter().position(|b| *b == b' ') {
                Some(space) => (&line[..space], &line[space + 1..]),
                None => (&line[..0], line),
            })
            .collect()
    }
    let (out, err) = (lines(out), lines(err));
    let (mut i, mut j) = (0, 0);
    let mut merged = Vec::with_capacity(out.len() + err.len());
    while i < out.len() || j < err.len() {
        // Docker's timestamps are fixed-width RFC 3339: text order is time order.
        let take_out = j >= err.len() || (i < out.len() && out[i].0 <= err[j].0);
        if take_out {
            merged.push((Stream::Stdout, out[i].1));
            i += 1;
        } else {
            merged.push((Stream::Stderr, err[j].1));
            j += 1;
        }
    }
    merged
}

/// Sends the container's log as it grows over `socket`, each chunk after its stream's
/// marker, until the container's main process ends (close 1000) or the client goes.
pub(crate) async fn follow(container: &str, mut socket: WebSocket) {
    let mut child = match logs_command(container, true).spawn() {
        Ok(child) => child,
        Err(e) => return close(socket, 1011, &format!("docker: {e}")).await,
    };
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return close(socket, 1011, "the docker CLI's pipes are missing").await;
    };
    let (mut out_buf, mut err_buf) = (vec![0u8; 32 * 1024], vec![0u8; 32 * 1024]);
    let (mut out_open, mut err_open) = (true, true);
    while out_open || err_open {
        let (stream, n) = tokio::select! {
            read = stdout.read(&mut out_buf), if out_open => (Stream::Stdout, read.unwrap_or(0)),
            read = stderr.read(&mut err_buf), if err_open => (Stream::Stderr, read.unwrap_or(0)),
            message = socket.recv() => match message {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            },
        };
        if n == 0 {
            match stream {
                Stream::Stdout => out_open = false,
                Stream::Stderr => err_open = false,
            }
            continue;
        }
        let data = match stream {
            Stream::Stdout => &out_buf[..n],
            Stream::Stderr => &err_buf[..n],
        };
        let mut chunk = prefix(stream).to_vec();
        chunk.extend_from_slice(data);
        if socket.send(Message::Binary(chunk.into())).await.is_err() {
            return;
        }
    }
    close(socket, 1000, "").await;
}

/// Sends `logs` over `socket` at once and closes it (a WebSocket without `follow`).
pub(crate) async fn send_once(logs: Logs, mut socket: WebSocket) {
    if !logs.output.is_empty() && socket.send(Message::Binary(logs.output.into_bytes().into())).await.is_err()
    {
        return;
    }
    close(socket, 1000, "").await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_streams_are_merged_in_time_order() {
        let out = b"2026-01-01T00:00:00.000000001Z a\n2026-01-01T00:00:00.000000003Z c\n";
        let err = b"2026-01-01T00:00:00.000000002Z b\n";
        let merged = merge(out, err);
        let text: Vec<(Stream, &[u8])> = merged;
        assert_eq!(
            text,
            vec![(Stream::Stdout, &b"a\n"[..]), (Stream::Stderr, &b"b\n"[..]), (Stream::Stdout, &b"c\n"[..])]
        );
    }
}
