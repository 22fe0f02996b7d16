//! What the test binaries of `tests/tests/` share (`mod support;` in each): a local server
//! to test against ([`server`]) and the guard that removes its sandboxes' containers
//! ([`SandboxContainers`]), the official-SDK harness ([`sdk`]), the reference image as a
//! snapshot ([`reference`]), and the operation coverage data and page ([`coverage`]).
//!
//! A driver of an official-SDK script is a few lines:
//!
//! ```ignore
//! let (server, _state) = support::server(BuildMode::Docker).await;
//! let snapshot = support::reference::snapshot(&server).await;
//! let run = support::sdk::run(&server, "sdk_fs.py", &[&snapshot]).await;
//! assert_eq!(run.json["uploaded"], "hello");
//! server.shutdown().await;
//! ```
#![allow(dead_code)]

pub mod containers;
pub mod coverage;
#[path = "../../conformance/provision.rs"]
pub mod provision;
pub mod reference;
pub mod sdk;

#[allow(unused_imports)] // not every test binary calls it
pub use containers::sandbox_containers;

use std::time::Duration;

use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};

/// A local server on a fresh state directory (keep the directory alive as long as the
/// server: it is removed when dropped).
pub async fn server(mode: BuildMode) -> (LocalDaytona, tempfile::TempDir) {
    server_with(|config| config.build_mode(mode)).await
}

/// A local server on a fresh state directory, configured by `configure` (build mode,
/// quotas, build time, ...).
pub async fn server_with(
    configure: impl FnOnce(ServerConfig) -> ServerConfig,
) -> (LocalDaytona, tempfile::TempDir) {
    let state = tempfile::tempdir().expect("a temp dir for the server's state");
    let server = LocalDaytona::start(configure(ServerConfig::new(state.path())))
        .await
        .expect("the local server starts");
    (server, state)
}

/// Removes, when dropped, the container of every sandbox of `server`: those it still
/// lists and those its request log names. Declared after the server, it runs also when the
/// test fails half-way (a script that stopped before deleting its sandboxes, or one that
/// created a sandbox and reached it no further, which the request log alone misses).
pub struct SandboxContainers<'a>(pub &'a LocalDaytona);

impl Drop for SandboxContainers<'_> {
    fn drop(&mut self) {
        let mut ids: Vec<String> = self
            .0
            .requests()
            .iter()
            .filter_map(|r| {
                let rest =
                    r.path.strip_prefix("/toolbox/").or_else(|| r.path.strip_prefix("/api/sandbox/"))?;
                rest.split('/').next().map(str::to_owned)
            })
            .chain(listed_sandboxes(self.0))
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .collect();
        ids.sort();
        ids.dedup();
        for id in ids {
            let _ = std::process::Command::new("docker")
                .args(["rm", "--force", &format!("pj-sandbox-{id}")])
                .stdin(std::process::Stdio::null())
                .output();
        }
    }
}

/// The ids `listSandboxes` answers (none when it does not answer), all sandboxes not deleted. A drop may run inside the
/// test's runtime, which must not block: the request goes from a thread with its own.
fn listed_sandboxes(server: &LocalDaytona) -> Vec<String> {
    let url = format!("{}/sandbox?limit=200", server.url().trim_end_matches('/'));
    let key = server.api_key().to_owned();
    let ask = move || -> Option<Vec<String>> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        runtime.block_on(async {
            let answer = reqwest::Client::new()
                .get(&url)
                .bearer_auth(&key)
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .ok()?;
            let listed: serde_json::Value = answer.json().await.ok()?;
            // A page of `items` (SDK 0.226.1's list); the tests make far fewer than 200.
            let items = listed.get("items").unwrap_or(&listed).as_array()?;
            Some(items.iter().filter_map(|s| Some(s["id"].as_str()?.to_owned())).collect())
        })
    };
    std::thread::spawn(ask).join().ok().flatten().unwrap_or_default()
}
