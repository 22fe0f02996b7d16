//! The reference image as a snapshot on a test server: pithy-jaunt's definition
//! (`examples/pithy-jaunt`, `pithy_jaunt::PITHY_DEFINITION`: Debian 12 with git, curl,
//! jq, Python 3 in a venv with the model SDKs, `/app` as work dir), its contexts uploaded
//! and built for real by the server's `docker build` (Docker's layer cache makes every
//! build after the first take seconds). The official-SDK scripts create their sandboxes
//! from it.

use std::time::{Duration, Instant};

use pj_daytona::{Client, CreateBuildInfo, CreateSnapshot, SnapshotState};
use pj_daytona_local::{BuildMode, LocalDaytona};

use super::provision;

/// The snapshot's name: the one pithy-jaunt's binary uses (`pithy-jaunt-v<version>`).
pub const SNAPSHOT: &str = pithy_jaunt::SNAPSHOT;

/// How long the first build may take (apt and pip download; later builds are cached).
const BUILD_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// Publishes the reference image on `server` (a server that builds with Docker:
/// `BuildMode::Docker`, or `Auto`), with the definition's resources (2 CPUs, 4 GB, 8 GB),
/// and returns its name once it is `active`. Fails the test, saying why, when there is no
/// Docker engine, the build fails, or the snapshot is only checked.
pub async fn snapshot(server: &LocalDaytona) -> String {
    let definition = &pithy_jaunt::PITHY_DEFINITION;
    let resources = definition.resources;
    publish(server, SNAPSHOT, resources.cpu, resources.memory, resources.disk).await
}

/// [`snapshot`] under another name and with other resources (e.g. smaller, for a script
/// that runs several sandboxes at once within the organization's quotas: 10 CPUs and
/// 10 GB of memory for all sandboxes together).
pub async fn publish(server: &LocalDaytona, name: &str, cpu: u32, memory: u32, disk: u32) -> String {
    assert_ne!(
        server.build_mode(),
        BuildMode::CheckOnly,
        "the reference snapshot needs a server that builds with Docker (BuildMode::Docker)"
    );
    assert!(server.docker_available().await, "the reference snapshot needs a Docker engine; none answers");
    provision::reference_base();
    let definition = &pithy_jaunt::PITHY_DEFINITION;
    let client = server.client_builder().build().expect("a client of the test server");
    upload_contexts(&client).await;
    let hashes: Vec<String> = definition.contexts.iter().map(|c| c.md5.to_string()).collect();
    let request =
        CreateSnapshot::build(name, CreateBuildInfo::new(definition.dockerfile.to_string(), hashes))
            .resources(cpu, memory, disk);
    let created = client.snapshots().create(&request).await.expect("the reference snapshot is created");
    let deadline = Instant::now() + BUILD_TIMEOUT;
    let snapshot = loop {
        let snapshot = client.snapshots().get(&created.id).await.expect("the reference snapshot can be read");
        if snapshot.state.is_terminal() {
            break snapshot;
        }
        assert!(Instant::now() < deadline, "the reference image did not build within {BUILD_TIMEOUT:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    if snapshot.state != SnapshotState::Active {
        let logs = match client.snapshots().build_logs(&created.id, false).await {
            Ok(stream) => stream.collect(5).await.unwrap_or_else(|e| format!("(no build log: {e})")),
            Err(e) => format!("(no build log: {e})"),
        };
        panic!(
            "the reference image did not build: {:?}, {}\n{logs}",
            snapshot.state,
            snapshot.error_reason.as_deref().unwrap_or("no reason given")
        );
    }
    assert_eq!(
        snapshot.checked_only, None,
        "the reference snapshot was only checked, not built: no sandbox can start from it"
    );
    snapshot.name
}

/// Uploads the definition's contexts (the files of `examples/pithy-jaunt/sandbox`).
async fn upload_contexts(client: &Client) {
    let storage = client.object_storage();
    let access = storage.push_access().await.expect("push access");
    for context in pithy_jaunt::PITHY_DEFINITION.contexts.iter() {
        storage
            .upload_context(&access, context.source_path(), &context.archive_path, &context.md5)
            .await
            .unwrap_or_else(|e| panic!("uploading {}: {e}", context.archive_path));
    }
}
