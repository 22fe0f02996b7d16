//! Shared helpers of the daytona test binaries (`mod support;` in each).
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use pj_daytona::server::{BuildMode, LocalDaytona, ServerConfig};
use pj_daytona::{Client, RetryPolicy, Snapshot, SnapshotState};

/// A fast retry policy for tests: 3 retries, millisecond backoff.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    }
}

/// A local server in `dir`.
pub async fn server(dir: &Path, mode: BuildMode) -> LocalDaytona {
    LocalDaytona::start(ServerConfig::new(dir).build_mode(mode)).await.expect("the local server starts")
}

/// A client of `server` with fast retries.
pub fn client(server: &LocalDaytona) -> Client {
    server.client_builder().retry(fast_retries()).build().expect("a client")
}

/// Polls a snapshot until `done(state)`, for at most `timeout`.
pub async fn wait_for(
    client: &Client,
    id_or_name: &str,
    timeout: Duration,
    done: impl Fn(SnapshotState) -> bool,
) -> Snapshot {
    let deadline = Instant::now() + timeout;
    loop {
        let snapshot = client.snapshots().get(id_or_name).await.expect("the snapshot can be read");
        if done(snapshot.state) {
            return snapshot;
        }
        assert!(
            Instant::now() < deadline,
            "snapshot {id_or_name} still {} after {timeout:?} ({:?})",
            snapshot.state,
            snapshot.error_reason
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the snapshot is in a terminal state.
pub async fn wait_terminal(client: &Client, id_or_name: &str, timeout: Duration) -> Snapshot {
    wait_for(client, id_or_name, timeout, SnapshotState::is_terminal).await
}
