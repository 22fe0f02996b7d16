//! `process/execute` round trip: the median and 90th percentile of 100 calls of `true`
//! against one sandbox (a real container), from Rust with plain HTTP and from the official
//! Python SDK's `sandbox.process.exec("true")` (`benches/sdk_execute.py`, the venv of
//! `tests/conformance`) on the same server and sandbox.
//!
//! `cargo bench -p pj-daytona-local --bench execute --profile dev` (`PJ_BENCH_CALLS=N`
//! for another count; the dev profile because `docker exec` dominates the round trip and
//! needs no optimised build). Needs Docker with `debian:bookworm-slim` (`tests/conformance/setup.sh` makes
//! it) and Debian's archive for the first build of the sandbox's image.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pj_daytona::{CreateBuildInfo, CreateSandbox, CreateSnapshot, SnapshotState};
use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};

const DOCKERFILE: &str = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends python3 procps && rm -rf /var/lib/apt/lists/*\n";

/// (median, p90) in milliseconds.
fn summary(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.9))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo test --benches` runs benches without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let calls: usize = std::env::var("PJ_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let state = tempfile::tempdir()?;
        let server =
            LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::Docker)).await?;
        let client = server.client_builder().build()?;
        client
            .snapshots()
            .create(&CreateSnapshot::build(
                "bench-execute-v1",
                CreateBuildInfo::new(DOCKERFILE, Vec::<String>::new()),
            ))
            .await?;
        let deadline = Instant::now() + Duration::from_secs(900);
        loop {
            let snapshot = client.snapshots().get("bench-execute-v1").await?;
            if snapshot.state == SnapshotState::Active {
                break;
            }
            if snapshot.state.is_terminal() || Instant::now() > deadline {
                return Err(
                    format!("the snapshot is {} ({:?})", snapshot.state, snapshot.error_reason).into()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let sandbox =
            client.sandboxes().create_info(&CreateSandbox::from_snapshot("bench-execute-v1")).await?;
        client
            .sandboxes()
            .wait_for_state(&sandbox.id, pj_daytona::SandboxState::Started, Duration::from_secs(60))
            .await?;

        let url = format!("{}/toolbox/{}/process/execute", server.url().trim_end_matches("/api"), sandbox.id);
        let http = reqwest::Client::new();
        let call = || async {
            let response = http
                .post(&url)
                .bearer_auth(server.api_key())
                .json(&serde_json::json!({"command": "true"}))
                .send()
                .await?
                .error_for_status()?;
            let body: serde_json::Value = response.json().await?;
            if body["exitCode"] != 0 {
                return Err(format!("execute true answered {body}").into());
            }
            Ok::<(), Box<dyn std::error::Error>>(())
        };
        for _ in 0..5 {
            call().await?;
        }
        let mut rust = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            call().await?;
            rust.push(started.elapsed().as_secs_f64() * 1e3);
        }

        let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/.venv/bin/python");
        let output = tokio::process::Command::new(&python)
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/sdk_execute.py"))
            .arg(&sandbox.id)
            .arg(calls.to_string())
            .env("DAYTONA_API_KEY", server.api_key())
            .env("DAYTONA_API_URL", server.url())
            .env("DAYTONA_TARGET", "us")
            .output()
            .await
            .map_err(|e| format!("{}: {e} (run tests/conformance/setup.sh)", python.display()))?;
        if !output.status.success() {
            return Err(format!("the SDK's run failed:\n{}", String::from_utf8_lossy(&output.stderr)).into());
        }
        let sdk: serde_json::Value = serde_json::from_slice(&output.stdout)?;
        let sdk: Vec<f64> = serde_json::from_value(sdk["ms"].clone())?;

        let (median, p90) = summary(rust);
        let (sdk_median, sdk_p90) = summary(sdk);
        println!("process/execute of `true`, {calls} calls against one sandbox (docker exec per call)");
        println!("  Rust, plain HTTP (reqwest)          median {median:>7.1} ms   p90 {p90:>7.1} ms");
        println!("  Python SDK 0.226.1 process.exec     median {sdk_median:>7.1} ms   p90 {sdk_p90:>7.1} ms");

        client.sandboxes().delete(&sandbox.id).await?;
        server.shutdown().await;
        Ok(())
    })
}
