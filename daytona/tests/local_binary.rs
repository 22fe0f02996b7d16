//! The `daytona-local` binary: it prints its URL and API key, serves the API, and
//! without a Docker engine (here: no `docker` on its PATH) it says so in the build log
//! and in the snapshot's state instead of pretending it built.

use std::process::Stdio;
use std::time::{Duration, Instant};

use daytona::{Client, CreateBuildInfo, CreateSnapshot, RetryPolicy, SnapshotState};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn without_docker_builds_fail_and_say_why() {
    let state = tempfile::tempdir().expect("a temp dir");
    let empty_path = tempfile::tempdir().expect("a temp dir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_daytona-local"))
        .arg("--state-dir")
        .arg(state.path())
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
    let url = url_line.strip_prefix("DAYTONA_API_URL=").expect("the URL line");
    let key = key_line.strip_prefix("DAYTONA_API_KEY=").expect("the key line");
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/api"), "{url}");
    assert!(key.starts_with("dtn_local_"), "{key}");

    let client =
        Client::builder().api_key(key).api_url(url).retry(RetryPolicy::none()).build().expect("client");
    let request = CreateSnapshot::build(
        "nodocker-v1",
        CreateBuildInfo::new("FROM busybox:1.36\n", Vec::<String>::new()),
    );
    let created = client.snapshots().create(&request).await.expect("created");
    let deadline = Instant::now() + Duration::from_secs(60);
    let snapshot = loop {
        let snapshot = client.snapshots().get(&created.id).await.expect("get");
        if snapshot.state.is_terminal() {
            break snapshot;
        }
        assert!(Instant::now() < deadline, "still {}", snapshot.state);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(snapshot.state, SnapshotState::BuildFailed);
    let reason = snapshot.error_reason.unwrap_or_default();
    assert!(
        reason.starts_with(
            "No Docker engine is reachable from the local Daytona server, so the image cannot be built: \
             could not run the docker CLI"
        ),
        "{reason}"
    );
    let logs = client
        .snapshots()
        .build_logs(&created.id, false)
        .await
        .expect("logs")
        .collect(5)
        .await
        .expect("text");
    assert!(logs.contains(&format!("ERROR: {reason}")), "{logs}");
    child.kill().await.expect("the server stops");
}
