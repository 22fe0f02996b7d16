//! Conformance: the official Daytona Python SDK's file system (`sandbox.fs`,
//! `daytona==0.226.1`) against the local server (`tests/conformance/sdk_fs.py`, through the
//! SDK harness, `support::sdk`), on sandboxes of the reference image (`support::reference`:
//! Debian 12, work dir `/app`, user root).
//!
//! The script calls every `sandbox.fs` method the way the SDK's documentation shows it,
//! with the bad inputs (missing paths, a directory without `recursive`, a stopped sandbox,
//! a deleted one), then a second sandbox of the same snapshot that runs as `nobody` (its
//! files are its own, root's are refused). It checks the container itself with
//! `docker exec` where it matters (owner, mode, content); this test checks what it reported
//! and that both containers are gone.

mod support;

use std::process::Stdio;
use std::time::Duration;

use pj_daytona_local::BuildMode;
use support::{reference, sdk};

fn docker(args: &[&str]) -> std::process::Output {
    std::process::Command::new("docker").args(args).stdin(Stdio::null()).output().expect("docker runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_file_system() {
    let (server, _state) = support::server(BuildMode::Docker).await;
    let snapshot = reference::snapshot(&server).await;
    let containers = support::SandboxContainers(&server);
    let work = tempfile::tempdir().expect("a temp dir for the script's local files");

    let run = sdk::Script::new("sdk_fs.py")
        .arg(&snapshot)
        .arg(work.path().to_str().expect("a UTF-8 temp dir"))
        .timeout(Duration::from_secs(480))
        .run(&server)
        .await;
    let out = &run.json;
    let passed = run.passes.iter().filter(|l| l.starts_with("fs: ")).count();
    assert!(passed >= 55, "every check ran ({passed} PASS lines):\n{}", run.stdout);
    assert_eq!(out["sdk"], "0.226.1");
    assert_eq!(out["user"], "root", "the reference image's user");
    assert_eq!(out["info"]["owner"], "0", "the sandbox's user (root) owns what it uploads");
    assert_eq!(out["info"]["permissions"], "0644");
    assert_eq!(out["downloadError"]["code"], "FILE_NOT_FOUND");
    assert_eq!(out["missingDownload"]["type"], "DaytonaNotFoundError");
    assert_eq!(out["stopped"]["status"], 400);
    assert_eq!(out["deleted"]["type"], "DaytonaNotFoundError");
    assert_eq!(out["nobody"]["user"], "nobody");
    assert_eq!(out["nobody"]["owner"], "65534", "nobody owns what it uploads");
    assert_eq!(out["nobody"]["chown"]["status"], 400);

    // The containers are gone with the sandboxes the script deleted.
    for key in [&out["sandbox"], &out["nobody"]["sandbox"]] {
        let id = key.as_str().expect("a sandbox id");
        let ps = docker(&["ps", "--all", "--quiet", "--filter", &format!("label=pithy.local.sandbox={id}")]);
        assert_eq!(String::from_utf8_lossy(&ps.stdout).trim(), "", "the sandbox's container is removed");
    }
    drop(containers);
    server.shutdown().await;
}
