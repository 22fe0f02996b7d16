//! Conformance: the official Daytona Python SDK (`daytona==0.226.1`) drives a sandbox's git,
//! info, ports and preview URL on the local server (`tests/conformance/sdk_git.py`), on a real
//! Docker build of `debian:bookworm-slim` with git and python3 (made locally; no registry).
//! The script reports PASS/FAIL per SDK call; this test fails on any FAIL, then checks the
//! end state with `docker exec` (the container's own view), fetches the preview URL itself,
//! and deletes the sandboxes.

#[path = "../conformance/provision.rs"]
mod provision;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};
use serde_json::Value;

/// The script's password (never shown outside the sandbox's git).
const PASSWORD: &str = "sdk-pw-7Hq-never-shown";

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

fn docker(args: &[&str]) -> std::process::Output {
    std::process::Command::new("docker").args(args).stdin(Stdio::null()).output().expect("docker runs")
}

/// `sh -c script` in sandbox `id`'s container; its output.
fn in_sandbox(id: &str, script: &str) -> String {
    let out = docker(&["exec", &format!("pj-sandbox-{id}"), "sh", "-c", script]);
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Removes the sandboxes' containers when the test ends, also when it fails.
struct Containers(Vec<String>);

impl Drop for Containers {
    fn drop(&mut self) {
        for container in &self.0 {
            let _ = docker(&["rm", "--force", container]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_git_info_ports_and_previews() {
    let python = conformance_dir().join(".venv/bin/python");
    if !provision::require(|| python.is_file(), "the Python SDK venv (tests/conformance/.venv)") {
        return;
    }
    provision::base_image();
    provision::reference_base();
    let state = tempfile::tempdir().expect("a temp dir");
    let server = LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::Docker))
        .await
        .expect("server");
    let work = tempfile::tempdir().expect("a temp dir");

    let child = tokio::process::Command::new(&python)
        .arg(conformance_dir().join("sdk_git.py"))
        .arg(work.path())
        .arg("sdk-git-v1")
        .current_dir(work.path())
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
    let output = tokio::time::timeout(Duration::from_secs(900), child)
        .await
        .expect("the SDK run finishes within 15 minutes")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let _containers = Containers(
        stdout
            .lines()
            .filter_map(|l| l.strip_prefix("SANDBOX "))
            .map(|id| format!("pj-sandbox-{id}"))
            .collect(),
    );
    assert!(output.status.success(), "the SDK run failed:\n{stdout}\n{stderr}");
    let fails: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL ")).collect();
    assert!(fails.is_empty(), "the SDK saw failures:\n{}\n\n{stdout}\n{stderr}", fails.join("\n"));
    let passes = stdout.lines().filter(|l| l.starts_with("PASS ")).count();
    assert!(passes >= 60, "every SDK call reported ({passes} PASS lines):\n{stdout}");
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD), "the password never shows");
    assert!(!stdout.contains(server.api_key()) && !stderr.contains(server.api_key()));
    let out: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(out["sdk"], "0.226.1");

    // The container's own view of what the SDK did.
    let id = out["sandbox"].as_str().expect("the sandbox id").to_owned();
    let later = out["git"]["later"].as_str().expect("a sha");
    assert_eq!(in_sandbox(&id, "git -C /root/workspace/repo rev-parse HEAD"), later, "pulled");
    assert_eq!(in_sandbox(&id, "git -C /srv/git/second.git rev-parse main"), later);
    let commit = out["git"]["commit"].as_str().expect("the commit's sha");
    assert_eq!(
        in_sandbox(&id, &format!("git -C /root/workspace/repo log -1 --format=%an {commit}")),
        "Ada L"
    );
    assert_eq!(in_sandbox(&id, "git config --global user.name || true"), "", "configure_user was local");
    assert!(in_sandbox(&id, "cat /root/.git-credentials").contains("127.0.0.1"), "authenticate stored them");

    // The preview URL, fetched by this test: the sandbox's page with the token only.
    let url = out["preview"]["url"].as_str().expect("the preview URL");
    let http = reqwest::Client::new();
    let refused = http.get(url).send().await.expect("an answer");
    assert_eq!(refused.status().as_u16(), 401);
    let with_key = http.get(url).bearer_auth(server.api_key()).send().await.expect("an answer");
    assert_eq!(with_key.text().await.expect("a body"), "<h1>served from the sandbox</h1>");

    let no_git = out["noGitSandbox"].as_str().expect("the sandbox without git").to_owned();
    assert_eq!(out["noGit"]["status"], 400);
    let client = server.client_builder().build().expect("a client");
    for sandbox in [&id, &no_git] {
        client.sandboxes().delete(sandbox).await.expect("deleted");
        let left = docker(&["ps", "--all", "--quiet", "--filter", &format!("name=pj-sandbox-{sandbox}")]);
        assert_eq!(String::from_utf8_lossy(&left.stdout).trim(), "", "the container is gone");
    }
    server.shutdown().await;
}
