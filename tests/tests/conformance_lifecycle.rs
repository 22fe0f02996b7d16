//! Conformance: the official Daytona Python SDK (`daytona==0.226.1`) through sandboxes'
//! lifecycle on the local server, on a real Docker build (`tests/conformance/sdk_lifecycle.py`):
//! a snapshot with resources, a sandbox with env vars, labels and auto-stop, its cgroup limits
//! read inside, list by labels and states, an idle sandbox auto-stopped (the server's minute
//! is one second), labels, public and intervals set, stop, a toolbox call refused while stopped,
//! start, archive, delete, and the bad inputs. The script prints a PASS or FAIL line per SDK
//! call; any FAIL fails this test. The containers are then checked gone with `docker`.

#[path = "../conformance/provision.rs"]
mod provision;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use pj_daytona_local::{BuildMode, LocalDaytona, Quotas, ServerConfig};
use serde_json::Value;

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// The sandboxes' containers that carry the local server's label for `id`.
fn containers_of(id: &str) -> String {
    let out = std::process::Command::new("docker")
        .args(["ps", "--all", "--quiet", "--filter", &format!("label=pithy.local.sandbox={id}")])
        .output()
        .expect("docker runs");
    assert!(out.status.success(), "docker ps failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Deletes every sandbox the server still has (a script that failed half-way leaves some),
/// and removes their containers.
async fn clean_up(server: &LocalDaytona) {
    let http = reqwest::Client::new();
    let base = server.url();
    let listed: Value = match http
        .get(format!("{base}/sandbox?includeErroredDeleted=true"))
        .bearer_auth(server.api_key())
        .send()
        .await
    {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    for item in listed["items"].as_array().into_iter().flatten() {
        let Some(id) = item["id"].as_str() else { continue };
        let _ = http.delete(format!("{base}/sandbox/{id}")).bearer_auth(server.api_key()).send().await;
        let _ = std::process::Command::new("docker")
            .args(["rm", "--force", &format!("pj-sandbox-{id}")])
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_sandboxes_through_their_lifecycle() {
    let python = conformance_dir().join(".venv/bin/python");
    provision::require(|| python.is_file(), "the Python SDK venv (tests/conformance/.venv)");
    provision::base_image();
    let state = tempfile::tempdir().expect("a temp dir");
    let mut quotas = Quotas::default();
    quotas.total_memory = 32;
    quotas.total_cpu = 16;
    let config = ServerConfig::new(state.path())
        .build_mode(BuildMode::Docker)
        .quotas(quotas)
        // The SDK polls once a second and follows the build log only while it is building.
        .min_build_time(Duration::from_secs(2))
        // One minute of auto-stop lasts one second, so the script sees an idle sandbox stop.
        .lifecycle_minute(Some(Duration::from_secs(1)));
    let server = LocalDaytona::start(config).await.expect("server");
    let work = tempfile::tempdir().expect("a temp dir");

    let child = tokio::process::Command::new(&python)
        .arg(conformance_dir().join("sdk_lifecycle.py"))
        .arg(work.path())
        .arg("sdk-lifecycle-v1")
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
    let output = tokio::time::timeout(Duration::from_secs(400), child).await;
    clean_up(&server).await;
    let output = output.expect("the SDK run finishes within 400 s").expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = format!("{stdout}\n{stderr}");

    let failed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL ")).collect();
    assert!(failed.is_empty(), "the SDK saw failures:\n{report}");
    assert!(output.status.success(), "the SDK run failed:\n{report}");
    let passed = stdout.lines().filter(|l| l.starts_with("PASS lifecycle: ")).count();
    assert_eq!(passed, 21, "every SDK call reports a PASS line:\n{report}");
    assert!(!report.contains(server.api_key()), "the API key is not in the output");

    let out: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {report}"));
    assert_eq!(out["sdk"], "0.226.1");
    let sandbox = &out["sandbox"];
    assert_eq!(
        (&sandbox["cpu"], &sandbox["memory"], &sandbox["state"]),
        (&2.into(), &4.into(), &"started".into())
    );
    assert_eq!(out["env"]["result"], "hello lifecycle|a\nb");
    // The limits as the process inside the container read them: 2 CPUs of quota, 4 GiB.
    let cgroup: Vec<String> = serde_json::from_value(out["cgroup"].clone()).expect("cgroup lines");
    let quota: Vec<f64> = cgroup[0].split_whitespace().map(|n| n.parse().expect("a number")).collect();
    assert_eq!(quota[0] / quota[1], 2.0, "{cgroup:?}");
    assert_eq!(cgroup[1], (4u64 << 30).to_string());
    assert_eq!(out["idle"]["state"], "stopped", "auto-stop: {out}");
    assert_eq!(out["intervals"], serde_json::json!([30, 60, -1]));
    assert_eq!(out["onStopped"]["status"], 400, "{out}");
    assert_eq!(out["unknown"]["status"], 404);
    assert_eq!(
        out["unknown"]["message"],
        "Failed to get sandbox: Sandbox with ID or name no-such-sandbox not found"
    );
    let deleted: Vec<String> = serde_json::from_value(out["deleted"].clone()).expect("ids");
    assert_eq!(deleted.len(), 2);
    for id in &deleted {
        assert_eq!(containers_of(id), "", "sandbox {id}'s container is gone");
    }
    server.shutdown().await;
}
