//! Conformance: the official Daytona Python SDK (`daytona==0.226.1`, in
//! `tests/conformance/.venv`) drives `sandbox.process` against the local server on a real
//! Docker build (`tests/conformance/sdk_process.py`): exec, code_run, sessions with
//! streamed logs, the entrypoint session and the bad inputs. The script checks each call
//! and the container's own view (`docker exec ... ps`); this test fails on any `FAIL`
//! line, and checks that the sandbox's container is gone afterwards.

#[path = "../conformance/provision.rs"]
mod provision;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_process_exec_code_run_and_sessions() {
    let conformance = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let python = conformance.join(".venv/bin/python");
    provision::require(|| python.is_file(), "the Python SDK venv (tests/conformance/.venv)");
    provision::reference_base();
    let state = tempfile::tempdir().expect("a temp dir");
    let server = LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::Docker))
        .await
        .expect("server");
    let work = tempfile::tempdir().expect("a temp dir");

    let child = tokio::process::Command::new(&python)
        .arg(conformance.join("sdk_process.py"))
        .arg(work.path())
        .arg("sdk-process-v1")
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
    let output = tokio::time::timeout(Duration::from_secs(1200), child)
        .await
        .expect("the SDK run finishes within 20 minutes")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains(server.api_key()) && !stderr.contains(server.api_key()));
    let failures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL ")).collect();
    assert!(failures.is_empty() && output.status.success(), "{}\n{stdout}\n{stderr}", failures.join("\n"));
    let out: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(out["sdk"], "0.226.1");
    assert_eq!(out["failed"], Value::Array(Vec::new()), "{out}");
    let passes = stdout.lines().filter(|l| l.starts_with("PASS process: ")).count();
    assert_eq!(out["passed"].as_u64(), Some(passes as u64));
    assert_eq!(passes, 34, "every check of the script ran\n{stdout}");

    let container = out["container"].as_str().expect("the container's name");
    let inspect =
        std::process::Command::new("docker").args(["inspect", container]).output().expect("docker runs");
    assert!(!inspect.status.success(), "the sandbox's container {container} is gone");
    server.shutdown().await;
}
