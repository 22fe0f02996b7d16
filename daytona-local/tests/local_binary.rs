//! The `daytona-local` binary: it prints its URL and API key, serves the API, and
//! without a Docker engine (here: no `docker` on its PATH) it says so in the build log
//! and in the snapshot's state instead of pretending it built.

use std::process::Stdio;
use std::time::{Duration, Instant};

use pj_daytona::{Client, CreateBuildInfo, CreateSnapshot, RetryPolicy, SnapshotState};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Starts the binary on `state` with no `docker` on its PATH; (child, URL, key).
async fn spawn(state: &std::path::Path, args: &[&str]) -> (tokio::process::Child, String, String) {
    let empty_path = tempfile::tempdir().expect("a temp dir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_daytona-local"))
        .arg("--state-dir")
        .arg(state)
        .args(args)
        .env("PATH", empty_path.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut read = async || {
        tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("a line within 30 s")
            .expect("readable")
            .expect("a line")
    };
    let url_line = read().await;
    let key_line = read().await;
    let url = url_line.strip_prefix("export DAYTONA_API_URL=").expect("the URL line").to_owned();
    let key = key_line.strip_prefix("export DAYTONA_API_KEY=").expect("the key line").to_owned();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/api"), "{url}");
    assert!(key.starts_with("dtn_local_"), "{key}");
    (child, url, key)
}

async fn wait_terminal(client: &Client, id: &str) -> pj_daytona::Snapshot {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let snapshot = client.snapshots().get(id).await.expect("get");
        if snapshot.state.is_terminal() {
            return snapshot;
        }
        assert!(Instant::now() < deadline, "still {}", snapshot.state);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates the snapshot `name` (`FROM busybox:1.36`, an image this machine does not
/// have), waits until its build ends, and returns it with its build log.
async fn build_busybox(client: &Client, name: &str) -> (pj_daytona::Snapshot, String) {
    let request =
        CreateSnapshot::build(name, CreateBuildInfo::new("FROM busybox:1.36\n", Vec::<String>::new()));
    let created = client.snapshots().create(&request).await.expect("created");
    let snapshot = wait_terminal(client, &created.id).await;
    let logs = client
        .snapshots()
        .build_logs(&created.id, false)
        .await
        .expect("logs")
        .collect(5)
        .await
        .expect("text");
    (snapshot, logs)
}

/// A client for the spawned server that reports every failure at once (no retries).
fn client(url: &str, key: &str) -> Client {
    Client::builder().api_key(key).api_url(url).retry(RetryPolicy::none()).build().expect("client")
}

#[tokio::test]
async fn without_docker_builds_fail_and_say_why() {
    let state = tempfile::tempdir().expect("a temp dir");
    let (mut child, url, key) = spawn(state.path(), &["--local-build", "docker"]).await;
    let client = client(&url, &key);
    let (snapshot, logs) = build_busybox(&client, "nodocker-v1").await;
    assert_eq!(snapshot.state, SnapshotState::BuildFailed);
    let reason = snapshot.error_reason.unwrap_or_default();
    assert!(
        reason.starts_with(
            "No Docker engine is reachable from the local Daytona server, so the image cannot be built: \
             could not run the docker CLI"
        ),
        "{reason}"
    );
    assert!(logs.contains(&format!("ERROR: {reason}")), "{logs}");
    child.kill().await.expect("the server stops");
}

/// The default build mode is `auto`: without an engine the build is checked, not built,
/// and says so everywhere (log, DTO); a sandbox is refused at once with a 400 that
/// says how to get a real build. A second server on the same state directory is
/// refused, naming the first.
#[tokio::test]
async fn auto_without_docker_checks_says_so_and_refuses_sandboxes() {
    let state = tempfile::tempdir().expect("a temp dir");
    let (mut child, url, key) = spawn(state.path(), &[]).await;
    let client = client(&url, &key);
    let (snapshot, logs) = build_busybox(&client, "checked-v1").await;
    assert_eq!(snapshot.state, SnapshotState::Active);
    let reason = snapshot.checked_only.expect("checked only");
    assert!(reason.starts_with("no Docker engine is reachable"), "{reason}");
    assert!(logs.contains("checked, not built"), "{logs}");

    let error = client
        .sandboxes()
        .create(&pj_daytona::CreateSandbox::from_snapshot("checked-v1"))
        .await
        .expect_err("refused");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error}");
    let text = error.to_string();
    assert!(text.contains("Snapshot checked-v1 was only checked, not built"), "{text}");
    assert!(text.contains("then run `cargo xtask snapshot --local` again"), "{text}");

    let second = tokio::process::Command::new(env!("CARGO_BIN_EXE_daytona-local"))
        .arg("--state-dir")
        .arg(state.path())
        .stdin(Stdio::null())
        .output();
    let second = tokio::time::timeout(Duration::from_secs(30), second).await.expect("ends").expect("runs");
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("another local Daytona server is using the state directory"), "{stderr}");
    assert!(stderr.contains(&format!("at {url}")), "{stderr}");
    child.kill().await.expect("the server stops");
}

/// `--lifecycle-minute-ms` (how long a minute of the idle intervals lasts) is in the help
/// and takes a number of milliseconds; anything else is refused before a server starts.
#[test]
fn the_lifecycle_minute_flag_takes_milliseconds() {
    let binary = env!("CARGO_BIN_EXE_daytona-local");
    let help = std::process::Command::new(binary).arg("--help").output().expect("the binary runs");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--lifecycle-minute-ms N"));
    let state = tempfile::tempdir().expect("a temp dir");
    let bad = std::process::Command::new(binary)
        .arg("--state-dir")
        .arg(state.path())
        .args(["--lifecycle-minute-ms", "soon"])
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--lifecycle-minute-ms"));
    assert!(bad.stdout.is_empty(), "no server started");
}
