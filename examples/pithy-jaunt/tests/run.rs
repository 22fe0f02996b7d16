//! `pithy-jaunt run` against the local Daytona-compatible server with real Docker
//! builds: the sandbox comes from the snapshot named by `env!("PITHY_SNAPSHOT")`, runs
//! `/app/execution.sh` with the task, and is deleted afterwards.
//!
//! What is tested here is the application's use of its snapshot, so the snapshot is a
//! small stand-in built in seconds on the busybox base `pj-test-base:1`
//! (tests/conformance/setup.sh). The real image, built from the definition with apt and
//! pip and run with `pithy-jaunt run hello`, is tested in `xtask/tests/reference.rs`.

use std::time::{Duration, Instant};

use pj_daytona::server::{BuildMode, LocalDaytona, ServerConfig};
use pj_daytona::{CreateBuildInfo, CreateSnapshot, SnapshotState};

#[path = "../../../tests/conformance/provision.rs"]
mod provision;

const SNAPSHOT: &str = concat!("pithy-jaunt-v", env!("CARGO_PKG_VERSION"));

/// `pithy-jaunt <args>` with the credentials of `server`, off the async workers (the
/// server lives on them).
async fn run_against(server: &LocalDaytona, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pithy-jaunt"));
    cmd.args(args).env("DAYTONA_API_URL", server.url()).env("DAYTONA_API_KEY", server.api_key());
    tokio::task::spawn_blocking(move || cmd.output()).await.expect("join").expect("run pithy-jaunt")
}

#[tokio::test(flavor = "multi_thread")]
async fn run_creates_a_sandbox_from_its_own_snapshot_and_runs_the_task() {
    let base = provision::base_image();
    let state = tempfile::tempdir().expect("tempdir");
    let server = LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::Docker))
        .await
        .expect("server");
    let client = server.client_builder().build().expect("client");
    let dockerfile = format!(
        "FROM {base}\n\
        RUN mkdir -p /app && printf '#!/bin/sh\\necho \"task: $*\"\\n' > /app/execution.sh && chmod +x /app/execution.sh\n"
    );
    let request = CreateSnapshot::build(SNAPSHOT, CreateBuildInfo::new(dockerfile, Vec::<String>::new()));
    let created = client.snapshots().create(&request).await.expect("create snapshot");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let s = client.snapshots().get(&created.id).await.expect("get");
        match s.state {
            SnapshotState::Active => break,
            SnapshotState::BuildFailed | SnapshotState::Error => panic!("build failed: {:?}", s.error_reason),
            _ if Instant::now() > deadline => panic!("build did not finish"),
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }

    let out = run_against(&server, &["run", "fix", "the bug"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(stdout.trim(), "task: fix the bug");
    assert!(stderr.contains(&format!("creating a sandbox from {SNAPSHOT}")), "{stderr}");
    assert!(!stdout.contains(server.api_key()) && !stderr.contains(server.api_key()));
    server.shutdown().await;
}

#[test]
fn run_without_credentials_says_what_to_set() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pithy-jaunt"))
        .arg("run")
        .env_remove("DAYTONA_API_KEY")
        .env_remove("DAYTONA_JWT_TOKEN")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DAYTONA_API_KEY"), "{stderr}");
    assert!(stderr.contains("cargo xtask local --env"), "{stderr}");
    assert!(!stderr.contains("ClientBuilder") && !stderr.contains("::"), "no Rust types: {stderr}");
}

/// A snapshot the local server only checked has no image: `run` fails at once and
/// shows the server's message, which says how to get a real build.
#[tokio::test(flavor = "multi_thread")]
async fn run_on_a_checked_only_snapshot_says_it_was_not_built() {
    let state = tempfile::tempdir().expect("tempdir");
    let server = LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::CheckOnly))
        .await
        .expect("server");
    let client = server.client_builder().build().expect("client");
    let request =
        CreateSnapshot::build(SNAPSHOT, CreateBuildInfo::new("FROM ubuntu:22.04\n", Vec::<String>::new()));
    let created = client.snapshots().create(&request).await.expect("create snapshot");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.snapshots().get(&created.id).await.expect("get").state != SnapshotState::Active {
        assert!(Instant::now() < deadline, "the check did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let started = Instant::now();
    let out = run_against(&server, &["run", "hello"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20), "it fails at once");
    assert!(stderr.contains(&format!("Snapshot {SNAPSHOT} was only checked, not built")), "{stderr}");
    assert!(stderr.contains("then run `cargo xtask snapshot --local` again, which builds it"), "{stderr}");
    assert!(stderr.contains("(HTTP 400)"), "{stderr}");
    assert!(!stderr.contains(server.api_key()));
    server.shutdown().await;
}
