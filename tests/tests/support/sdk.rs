//! The official-SDK harness: runs `tests/conformance/<script>` with the venv's Python
//! (`daytona==0.226.1`) against a local server, and fails the test loudly on anything but
//! a clean run.
//!
//! A script prints one line per SDK call, `PASS <area>: <what>` or
//! `FAIL <area>: <what>: <why>`, and last a JSON object (what the test asserts on). The
//! run fails the test when: the venv is missing (after `tests/conformance/setup.sh`), the
//! script exits non-zero or outlives its timeout, prints a `FAIL` line, no `PASS` line, or
//! no final JSON object (or one with `"failure"`), shows the API key or a storage secret,
//! or makes the server answer from a route that the operation list does not name. It also
//! compares what the script made the server answer with its record,
//! `daytona-local/coverage/sdk/<script>.ops` (the coverage page's "SDK" status): every
//! operation recorded must have been answered again; `PJ_BLESS=1` rewrites the record.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use pj_daytona_local::{LocalDaytona, RequestRecord, Route, implemented_operations};
use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::coverage::{self, REGENERATE};
use super::provision;

/// The default bound of one script's run.
pub const TIMEOUT: Duration = Duration::from_secs(600);

/// At most this much of each output stream is kept.
const OUTPUT_LIMIT: u64 = 16 << 20;

/// `tests/conformance/`.
pub fn conformance_dir() -> PathBuf {
    coverage::workspace().join("tests/conformance")
}

/// The venv's Python; installs the venv (`tests/conformance/setup.sh`) when it is
/// missing, and fails the test when it still is.
pub fn python() -> PathBuf {
    let python = conformance_dir().join(".venv/bin/python");
    provision::require(|| python.is_file(), "the Python SDK venv (tests/conformance/.venv)");
    python
}

/// What a clean run of a script gave.
#[derive(Debug)]
pub struct SdkRun {
    /// The final JSON object.
    pub json: Value,
    /// The `PASS` lines, without `PASS `.
    pub passes: Vec<String>,
    /// The implemented operations the script made the server answer.
    pub operations: BTreeSet<&'static str>,
    /// The operations it called that the server does not implement (answered 501).
    pub unimplemented: BTreeSet<&'static str>,
    /// The server's request log of the run.
    pub requests: Vec<RequestRecord>,
    /// The script's standard output and error.
    pub stdout: String,
    /// The script's standard error.
    pub stderr: String,
}

/// A script to run: `Script::new("sdk_fs.py").arg(&snapshot).run(&server).await`.
#[derive(Debug, Clone)]
pub struct Script {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    timeout: Duration,
}

/// Runs `tests/conformance/<script> ARGS...` against `server` (see [`Script`]).
pub async fn run(server: &LocalDaytona, script: &str, args: &[&str]) -> SdkRun {
    let mut s = Script::new(script);
    for a in args {
        s = s.arg(*a);
    }
    s.run(server).await
}

impl Script {
    /// `tests/conformance/<name>`, no arguments, [`TIMEOUT`].
    pub fn new(name: &str) -> Script {
        Script { name: name.to_owned(), args: Vec::new(), env: Vec::new(), timeout: TIMEOUT }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Script {
        self.args.push(arg.into());
        self
    }

    /// Sets an environment variable for the script.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Script {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Bounds the run (the script is killed after it).
    pub fn timeout(mut self, timeout: Duration) -> Script {
        self.timeout = timeout;
        self
    }

    /// Runs the script against `server` with `DAYTONA_API_KEY`, `DAYTONA_API_URL` and
    /// `DAYTONA_TARGET=us` (no other Daytona variable of the environment), and checks the
    /// run (see the module's documentation).
    pub async fn run(self, server: &LocalDaytona) -> SdkRun {
        let script = conformance_dir().join(&self.name);
        assert!(script.is_file(), "no SDK script {}", script.display());
        let python = python();
        let started = Instant::now();
        let mut command = tokio::process::Command::new(&python);
        command
            .arg(&script)
            .args(&self.args)
            .current_dir(conformance_dir())
            .env("DAYTONA_API_KEY", server.api_key())
            .env("DAYTONA_API_URL", server.url())
            .env("DAYTONA_TARGET", "us")
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env_remove("DAYTONA_JWT_TOKEN")
            .env_remove("DAYTONA_ORGANIZATION_ID")
            .env_remove("DAYTONA_SERVER_URL")
            .env_remove("DAYTONA_API_BASE_URL")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
        let stdout = tokio::spawn(read_all(child.stdout.take()));
        let stderr = tokio::spawn(read_all(child.stderr.take()));
        let status = tokio::time::timeout(self.timeout, child.wait()).await;
        if status.is_err() {
            let _ = child.kill().await;
        }
        let stdout = bounded(stdout).await;
        let stderr = bounded(stderr).await;
        let name = &self.name;
        let shown = || format!("--- stdout of {name}\n{stdout}\n--- stderr of {name}\n{}", tail(&stderr, 60));

        // No secret in anything the SDK printed, whatever else happened.
        let mut secrets = vec![server.api_key().to_owned()];
        for (secret, token) in server.issued_storage_secrets() {
            secrets.extend([secret, token]);
        }
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            assert!(
                !stdout.contains(secret.as_str()) && !stderr.contains(secret.as_str()),
                "{name} printed a secret (the API key or a storage credential)"
            );
        }

        let status = match status {
            Err(_) => panic!("{name} did not finish within {:?}; killed\n{}", self.timeout, shown()),
            Ok(status) => status.unwrap_or_else(|e| panic!("waiting for {name}: {e}")),
        };
        let fails: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL ")).collect();
        assert!(fails.is_empty(), "{name}: {} failed:\n{}\n\n{}", fails.len(), fails.join("\n"), shown());
        assert!(status.success(), "{name} exited with {status}\n{}", shown());
        let passes: Vec<String> =
            stdout.lines().filter_map(|l| l.strip_prefix("PASS ")).map(str::to_owned).collect();
        assert!(!passes.is_empty(), "{name} printed no PASS line: it checked nothing\n{}", shown());
        let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
        let json: Value = serde_json::from_str(last)
            .ok()
            .filter(Value::is_object)
            .unwrap_or_else(|| panic!("{name}: the last line is not a JSON object\n{}", shown()));
        assert!(json.get("failure").is_none(), "{name} reported a failure: {}\n{}", json["failure"], shown());

        let requests: Vec<RequestRecord> =
            server.requests().into_iter().filter(|r| r.at >= started).collect();
        let run = SdkRun {
            operations: answered(&requests, true),
            unimplemented: answered(&requests, false),
            json,
            passes,
            requests,
            stdout,
            stderr,
        };
        only_listed_routes(name, &run.requests);
        check_record(name, &run.operations);
        for line in &run.passes {
            eprintln!("PASS {line}");
        }
        run
    }
}

/// The operations the requests were answered by: implemented ones (not 501) or not.
fn answered(requests: &[RequestRecord], implemented: bool) -> BTreeSet<&'static str> {
    let known: BTreeSet<&str> = implemented_operations().into_iter().collect();
    requests
        .iter()
        .filter(|r| r.fault.is_none())
        .filter_map(|r| Some((r.operation?, r.status?)))
        .filter(|(op, status)| known.contains(op) == implemented && (*status == 501) != implemented)
        .map(|(op, _)| op)
        .collect()
}

/// Every API request was answered by an operation of the list, or refused before one was
/// chosen: the 404 fallback (`Cannot GET ...`, e.g. the SDK's event socket) or a 401.
fn only_listed_routes(name: &str, requests: &[RequestRecord]) {
    let s3 = [Route::S3Head, Route::S3Get, Route::S3List, Route::S3Put, Route::S3Post, Route::S3Other];
    let unnamed: Vec<String> = requests
        .iter()
        .filter(|r| !s3.contains(&r.route) && r.fault.is_none() && r.operation.is_none())
        .filter(|r| r.status.is_some_and(|s| s != 404 && s != 401))
        .map(|r| format!("{} {} -> {:?}", r.method, r.path, r.status))
        .collect();
    assert!(
        unnamed.is_empty(),
        "{name}: the server answered requests from a route the operation list does not name:\n{}",
        unnamed.join("\n")
    );
}

/// Compares what the run made the server answer with the script's record, or rewrites
/// the record (`PJ_BLESS=1`).
fn check_record(name: &str, answered: &BTreeSet<&'static str>) {
    let path = coverage::sdk_record_path(name);
    if coverage::blessing() {
        coverage::write_record(name, answered);
        return;
    }
    assert!(
        path.is_file(),
        "{name} has no coverage record ({}): run its driver with PJ_BLESS=1 to write it, then regenerate \
         the page ({REGENERATE})",
        path.display()
    );
    let recorded = coverage::read_record(&path);
    let missing: Vec<&String> = recorded.iter().filter(|op| !answered.contains(op.as_str())).collect();
    assert!(
        missing.is_empty(),
        "{name} no longer made the server answer {missing:?}, which {} records (and docs/local-daytona.md \
         shows as tested with the SDK); if that is intended, rerun with PJ_BLESS=1 ({REGENERATE})",
        path.display()
    );
    let new: Vec<&&str> = answered.iter().filter(|op| !recorded.contains(**op)).collect();
    if !new.is_empty() {
        eprintln!(
            "note: {name} also made the server answer {new:?}, not in {} (credit them with {REGENERATE})",
            path.display()
        );
    }
}

async fn read_all<R: tokio::io::AsyncRead + Unpin>(stream: Option<R>) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(stream) = stream {
        let _ = stream.take(OUTPUT_LIMIT).read_to_end(&mut out).await;
    }
    out
}

/// The output a reader collected; a process the script left behind that holds the pipe
/// open is not waited for beyond a few seconds.
async fn bounded(reader: tokio::task::JoinHandle<Vec<u8>>) -> String {
    match tokio::time::timeout(Duration::from_secs(10), reader).await {
        Ok(Ok(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => "(the output was not closed: a process the script started still holds it)".to_owned(),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
