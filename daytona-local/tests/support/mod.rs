//! Shared helpers of the daytona test binaries (`mod support;` in each).
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use pj_daytona::{Client, RetryPolicy, Snapshot, SnapshotState, StorageAccess};
use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};

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

/// `PUT` of raw bytes as the object `key`, signed with the push-access credentials like
/// any S3 client would: the storage takes whatever bytes a client sends.
pub async fn put_raw(access: &StorageAccess, key: &str, bytes: Vec<u8>) -> u16 {
    let endpoint = url::Url::parse(&access.storage_url).expect("storage URL");
    let region = if access.region.is_empty() { "us-east-1".to_owned() } else { access.region.clone() };
    let bucket = rusty_s3::Bucket::new(endpoint, rusty_s3::UrlStyle::Path, access.bucket.clone(), region)
        .expect("bucket");
    let credentials = rusty_s3::Credentials::new_with_token(
        access.access_key.clone(),
        access.secret.expose().to_owned(),
        access.session_token.expose().to_owned(),
    );
    let url = rusty_s3::S3Action::sign(&bucket.put_object(Some(&credentials), key), Duration::from_secs(60));
    reqwest::Client::new().put(url).body(bytes).send().await.expect("an answer").status().as_u16()
}

/// Every file under `dir`, relative.
pub fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap_or(&path).display().to_string());
            }
        }
    }
    out.sort();
    out
}
