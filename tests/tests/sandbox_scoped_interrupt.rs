//! Ctrl-C in a binary working in `Sandbox::scoped`: the binary (`src/bin/scoped-interrupt.rs`)
//! creates a sandbox of the reference image and works in it; the test sends it SIGINT once
//! it is inside the closure. The sandbox must be deleted (its container gone, checked with
//! `docker`; the server answers 404), and the binary exit with the interruption as its error.

mod support;

use std::process::Stdio;
use std::time::Duration;

use pj_daytona_local::BuildMode;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_deletes_the_sandbox_and_ends_the_binary_with_the_interruption() {
    let (server, _state) = support::server(BuildMode::Docker).await;
    let containers = support::SandboxContainers(&server);
    let snapshot = support::reference::publish(&server, "interrupt-v1.0.0", 1, 1, 3).await;

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_scoped-interrupt"))
        .arg(&snapshot)
        .env("DAYTONA_API_URL", server.url())
        .env("DAYTONA_API_KEY", server.api_key())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut id = None;
    let inside = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = stdout.next_line().await.expect("stdout reads") {
            if let Some(created) = line.strip_prefix("sandbox ") {
                id = Some(created.to_owned());
            }
            if line == "working" {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(inside, Ok(true), "the binary reached its closure");
    let id = id.expect("the binary printed its sandbox");
    assert_ne!(support::sandbox_containers(&id), "", "the sandbox's container runs");

    let pid = child.id().expect("the binary runs").to_string();
    let sent = std::process::Command::new("kill").args(["-INT", &pid]).status().expect("kill runs");
    assert!(sent.success(), "SIGINT sent");
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("the binary ends after Ctrl-C")
        .expect("its status");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).await.expect("stderr reads");
    assert_eq!(status.code(), Some(130), "the interruption is the binary's error: {stderr}");
    assert_eq!(
        stderr.trim(),
        format!("error: Interrupted (Ctrl-C) while working in sandbox {id}; the sandbox was deleted")
    );
    assert_eq!(support::sandbox_containers(&id), "", "no container left");
    let client = server.client_builder().build().expect("a client");
    let gone = client.sandboxes().get(&id).await.expect_err("deleted");
    assert!(gone.is_not_found(), "{gone:?}");
    drop(containers);
    server.shutdown().await;
}
