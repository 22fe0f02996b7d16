//! What the test binaries of `tests/tests/` share (`mod support;` in each): a local server
//! to test against ([`server`]), the official-SDK harness ([`sdk`]), the reference image
//! as a snapshot ([`reference`]), and the operation coverage data and page ([`coverage`]).
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

pub mod coverage;
#[path = "../../conformance/provision.rs"]
pub mod provision;
pub mod reference;
pub mod sdk;

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
