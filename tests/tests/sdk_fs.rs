//! Conformance: the official Daytona Python SDK's file system (`sandbox.fs`,
//! `daytona==0.226.1`, in `tests/conformance/.venv`) against the local server, on a real
//! Docker build (`debian:bookworm-slim`, made locally, with a `daytona` user).
//!
//! `tests/conformance/sdk_fs.py` calls every `sandbox.fs` method the way the SDK's
//! documentation shows it, with the bad inputs (missing paths, a directory without
//! `recursive`, a stopped sandbox, a deleted one), and checks the container itself with
//! `docker exec` where it matters (owner, mode, content). It prints a `PASS`/`FAIL` line per
//! check; any `FAIL` fails this test.

#[path = "../conformance/provision.rs"]
mod provision;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};
use serde_json::Value;

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_file_system() {
    let python = conformance_dir().join(".venv/bin/python");
    assert!(provision::require(|| python.is_file(), "the Python SDK venv (tests/conformance/.venv)"));
    provision::reference_base();
    let state = tempfile::tempdir().expect("a temp dir");
    let server = LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::Docker))
        .await
        .expect("server");
    let work = tempfile::tempdir().expect("a temp dir");

    let child = tokio::process::Command::new(&python)
        .arg(conformance_dir().join("sdk_fs.py"))
        .arg(work.path())
        .arg("sdk-fs-v1")
        .env("DAYTONA_API_KEY", server.api_key())
        .env("DAYTONA_API_URL", server.url())
        .env("DAYTONA_TARGET", "us")
        .env_remove("DAYTONA_JWT_TOKEN")
        .env_remove("DAYTONA_ORGANIZATION_ID")
        .env_remove("DAYTONA_SERVER_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(480), child)
        .await
        .expect("the SDK run finishes within 8 minutes")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains(server.api_key()) && !stderr.contains(server.api_key()));
    let failures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL ")).collect();
    assert!(failures.is_empty() && output.status.success(), "{}\n{stdout}\n{stderr}", failures.join("\n"));
    let out: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));

    let passed = stdout.lines().filter(|l| l.starts_with("PASS fs: ")).count();
    assert_eq!(out["checks"]["pass"], passed);
    assert!(passed >= 45, "every check ran: {passed}\n{stdout}");
    assert_eq!(out["user"], "daytona");
    assert_eq!(out["info"]["owner"], "1001", "the sandbox's user owns what it uploads");
    assert_eq!(out["info"]["permissions"], "0644");
    assert_eq!(out["downloadError"]["code"], "FILE_NOT_FOUND");
    assert_eq!(out["missingDownload"]["type"], "DaytonaNotFoundError");
    assert_eq!(out["stopped"]["status"], 400);
    assert_eq!(out["deleted"]["type"], "DaytonaNotFoundError");
    // The container is gone with the sandbox.
    let id = out["sandbox"].as_str().expect("an id");
    let ps = std::process::Command::new("docker")
        .args(["ps", "--all", "--quiet", "--filter", &format!("label=pithy.local.sandbox={id}")])
        .output()
        .expect("docker runs");
    assert_eq!(String::from_utf8_lossy(&ps.stdout).trim(), "", "the sandbox's container is removed");
    server.shutdown().await;
}
