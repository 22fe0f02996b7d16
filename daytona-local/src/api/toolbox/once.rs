//! One command in a sandbox's container, start to end, as `process/execute` and
//! `process/code-run` run it: its output (stdout and stderr merged, bounded), its exit
//! code, and at the timeout the whole process tree killed inside the container.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Running;
use super::shell::{self, Piece, Scanner};
use crate::docker;

/// The most output the server keeps of one command, in bytes (4 MiB). Beyond it the
/// output is cut and says so at its end ([`cut_note`]).
pub(crate) const OUTPUT_LIMIT: usize = 4 * 1024 * 1024;

/// What is appended to output cut at [`OUTPUT_LIMIT`].
pub(crate) fn cut_note(dropped: u64) -> String {
    format!("\n[daytona-local: output cut at {OUTPUT_LIMIT} bytes; {dropped} more bytes were not kept]\n")
}

/// What to run.
#[derive(Debug)]
pub(crate) struct Once<'a> {
    /// The shell command line (the picked shell reads it from stdin).
    pub(crate) command: &'a str,
    /// Where to run it (relative to the container's working directory).
    pub(crate) cwd: Option<&'a str>,
    /// Environment variables for it.
    pub(crate) envs: &'a [(String, String)],
    /// A program that must be on the `PATH` (code-run's interpreter).
    pub(crate) need: Option<&'a str>,
    /// When to kill it.
    pub(crate) timeout: Duration,
}

/// How it ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// It ran to its end: exit code, output (lossy UTF-8, with the cut note if cut).
    Finished(i64, String),
    /// It ran past the timeout; its process tree was killed (`killed`: and is gone).
    TimedOut { killed: bool },
    /// `cwd` is not a directory it can enter.
    NoDirectory,
    /// `need` is not on the `PATH`.
    Missing,
    /// `docker exec` itself failed (the engine's words).
    Docker(String),
}

/// Runs `once` in the sandbox's container as its user.
pub(crate) async fn run(sandbox: &Running, once: &Once<'_>) -> Outcome {
    let nonce = shell::nonce();
    let argv = shell::once_argv(&nonce, once.cwd, once.need);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let child = docker::exec_command(&sandbox.container, &sandbox.user, None, once.envs, true, &argv)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return Outcome::Docker(format!("could not run the docker CLI: {e}")),
    };
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Outcome::Docker("the docker CLI's pipes are missing".to_owned());
    };
    // The command goes in whole, then stdin closes: the shell reads to its end.
    let command = once.command.as_bytes().to_vec();
    let feed = tokio::spawn(async move {
        let _ = stdin.write_all(&command).await;
        let _ = stdin.shutdown().await;
    });
    // docker's own errors (no such container, user, ...), bounded.
    let errors = tokio::spawn(async move {
        let mut text = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut text).await;
        String::from_utf8_lossy(&text).trim().to_owned()
    });

    let mut collected = Collected::default();
    let mut scanner = Scanner::new(&nonce);
    let read = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match stdout.read(&mut buf).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => n,
            };
            for piece in scanner.feed(&buf[..n]) {
                match piece {
                    Piece::Data(data) => collected.push(&data),
                    Piece::Marker(marker) => match marker.split_once(':') {
                        Some(("pid", pid)) => collected.pid = pid.parse().ok(),
                        Some(("exit", code)) => return Some(End::Exit(code.parse().unwrap_or(-1))),
                        _ if marker == "chdir" => return Some(End::NoDirectory),
                        _ if marker == "missing" => return Some(End::Missing),
                        _ => {}
                    },
                }
            }
        }
    };
    let ended = tokio::time::timeout(once.timeout, read).await;
    feed.abort();
    let outcome = match ended {
        Ok(Some(End::Exit(code))) => Outcome::Finished(code, collected.text()),
        Ok(Some(End::NoDirectory)) => Outcome::NoDirectory,
        Ok(Some(End::Missing)) => Outcome::Missing,
        Ok(None) => {
            // The stream ended without our marker: docker could not run it, or the
            // wrapper was killed from inside.
            if let Some(rest) = scanner.finish() {
                collected.push(&rest);
            }
            let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
            let code = status.ok().and_then(Result::ok).and_then(|s| s.code());
            let said = tokio::time::timeout(Duration::from_secs(5), errors).await.ok().and_then(Result::ok);
            match (collected.pid, code) {
                (Some(_), Some(code)) => Outcome::Finished(i64::from(code), collected.text()),
                // The runtime's own failure (no such user, ...) may come on either stream.
                _ => Outcome::Docker(
                    said.filter(|s| !s.is_empty())
                        .or_else(|| Some(collected.text().trim().to_owned()).filter(|s| !s.is_empty()))
                        .unwrap_or_else(|| {
                            format!("docker exec ended without running the command (exit code {code:?})")
                        }),
                ),
            }
        }
        Err(_) => {
            let killed = match collected.pid {
                Some(pid) => shell::kill_tree(&sandbox.container, pid, false, None).await,
                None => false,
            };
            Outcome::TimedOut { killed }
        }
    };
    // The docker CLI may still wait on a stream a daemon holds: it is not needed.
    let _ = child.start_kill();
    outcome
}

enum End {
    Exit(i64),
    NoDirectory,
    Missing,
}

/// Output up to [`OUTPUT_LIMIT`], and how much more there was.
#[derive(Default)]
struct Collected {
    kept: Vec<u8>,
    dropped: u64,
    pid: Option<u32>,
}

impl Collected {
    fn push(&mut self, data: &[u8]) {
        let room = OUTPUT_LIMIT.saturating_sub(self.kept.len());
        let take = room.min(data.len());
        self.kept.extend_from_slice(&data[..take]);
        self.dropped += (data.len() - take) as u64;
    }

    fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.kept).into_owned();
        if self.dropped > 0 {
            text.push_str(&cut_note(self.dropped));
        }
        text
    }
}
