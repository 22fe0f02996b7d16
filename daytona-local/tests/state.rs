//! The server's state through its API: a failed write is a 500 and leaves nothing behind,
//! what was acknowledged survives a restart, parallel writers lose nothing, and the state
//! of an older server (`state.json`) moves in once. The database itself is read with a
//! connection of the test's own.

mod support;

use std::path::Path;
use std::time::Duration;

use futures_util::TryStreamExt;
use pj_daytona::{Client, CreateSnapshot, Snapshot, SnapshotState};
use pj_daytona_local::{BuildMode, LocalDaytona, Quotas, ServerConfig};
use support::{client, server, wait_terminal};

const SECS: Duration = Duration::from_secs(30);

/// Every snapshot, by name (sorted).
async fn names(client: &Client) -> Vec<String> {
    let all: Vec<Snapshot> = client.snapshots().list_all(None, 200).try_collect().await.expect("listed");
    let mut names: Vec<String> = all.into_iter().map(|s| s.name).collect();
    names.sort();
    names
}

/// The ids of the records of `kind` in `state.db`, read by SQLite directly.
fn ids_on_disk(dir: &Path, kind: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(dir.join("state.db")).expect("state.db opens");
    let mut statement = conn.prepare("SELECT id FROM records WHERE kind = ?1 ORDER BY id").expect("a query");
    statement
        .query_map([kind], |row| row.get(0))
        .expect("rows")
        .collect::<rusqlite::Result<Vec<String>>>()
        .expect("ids")
}

/// A failed commit (as a full disk gives) is a 500 with the reason, for a create and for a
/// delete; nothing of either is kept, in the answers, on disk or after a restart, and the
/// next write works.
#[tokio::test]
async fn a_failed_write_is_a_500_and_keeps_nothing() {
    let state = tempfile::tempdir().expect("a temp dir");
    let first = server(state.path(), BuildMode::CheckOnly).await;
    let c = client(&first);
    let kept = c.snapshots().create(&CreateSnapshot::image("kept-v1", "alpine:3.20")).await.expect("created");
    let kept = wait_terminal(&c, &kept.id, SECS).await;
    assert_eq!(kept.state, SnapshotState::Active);

    first.fail_next_state_writes(1);
    let error =
        c.snapshots().create(&CreateSnapshot::image("lost-v1", "alpine:3.20")).await.expect_err("not saved");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500), "{error}");
    let text = error.to_string();
    assert!(text.contains("could not save its state"), "{text}");
    assert!(text.contains("nothing was changed"), "{text}");
    assert_eq!(names(&c).await, ["kept-v1"]);

    first.fail_next_state_writes(1);
    let error = c.snapshots().delete(&kept.id).await.expect_err("not saved");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500), "{error}");
    assert_eq!(c.snapshots().get("kept-v1").await.expect("still there").state, SnapshotState::Active);
    assert_eq!(ids_on_disk(state.path(), "snapshots"), std::slice::from_ref(&kept.id));
    first.shutdown().await;

    let second = server(state.path(), BuildMode::CheckOnly).await;
    let c = client(&second);
    assert_eq!(names(&c).await, ["kept-v1"]);
    assert_eq!(c.snapshots().get("kept-v1").await.expect("kept").state, SnapshotState::Active);
    let again =
        c.snapshots().create(&CreateSnapshot::image("lost-v1", "alpine:3.20")).await.expect("now saved");
    wait_terminal(&c, &again.id, SECS).await;
    assert_eq!(names(&c).await, ["kept-v1", "lost-v1"]);
    second.shutdown().await;
}

/// Snapshots (built, removed, deactivated) are as they were after a restart, ids,
/// states and reasons alike; the key and organization too.
#[tokio::test]
async fn snapshots_survive_a_restart() {
    let state = tempfile::tempdir().expect("a temp dir");
    let first = server(state.path(), BuildMode::CheckOnly).await;
    let (key, org) = (first.api_key().to_owned(), first.organization_id().to_owned());
    let c = client(&first);
    let mut before = Vec::new();
    for name in ["a-v1", "b-v1", "c-v1"] {
        let s = c.snapshots().create(&CreateSnapshot::image(name, "alpine:3.20")).await.expect("created");
        before.push(wait_terminal(&c, &s.id, SECS).await);
    }
    first.set_snapshot_state("b-v1", SnapshotState::Inactive);
    c.snapshots().delete(&before[2].id).await.expect("deleted");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let shown =
        |s: &Snapshot| format!("{} {} {} {:?} {}", s.id, s.name, s.state, s.checked_only, s.created_at);
    let mut listed: Vec<Snapshot> = c.snapshots().list_all(None, 200).try_collect().await.expect("listed");
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    let listed: Vec<String> = listed.iter().map(shown).collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    first.shutdown().await;

    let second = server(state.path(), BuildMode::CheckOnly).await;
    assert_eq!((second.api_key(), second.organization_id()), (key.as_str(), org.as_str()));
    let c = client(&second);
    let mut after: Vec<Snapshot> = c.snapshots().list_all(None, 200).try_collect().await.expect("listed");
    after.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(after.iter().map(shown).collect::<Vec<_>>(), listed);
    assert_eq!(after[1].state, SnapshotState::Inactive);
    second.shutdown().await;
}

/// 48 creates at once on 4 threads (and their builds writing beside them): every one is
/// answered, listed, on disk and still there after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_creates_lose_nothing() {
    const N: usize = 48;
    let state = tempfile::tempdir().expect("a temp dir");
    let mut quotas = Quotas::default();
    quotas.snapshots = 1000;
    let config = ServerConfig::new(state.path()).build_mode(BuildMode::CheckOnly).quotas(quotas);
    let first = LocalDaytona::start(config.clone()).await.expect("starts");
    let c = client(&first);
    let creates = (0..N).map(|i| {
        let c = c.clone();
        async move { c.snapshots().create(&CreateSnapshot::image(format!("p{i:02}-v1"), "alpine:3.20")).await }
    });
    let created: Vec<Snapshot> =
        futures_util::future::try_join_all(creates).await.expect("every create is answered 200");
    let mut expected: Vec<String> = created.iter().map(|s| s.name.clone()).collect();
    expected.sort();
    assert_eq!(names(&c).await, expected);
    let mut ids: Vec<String> = created.iter().map(|s| s.id.clone()).collect();
    ids.sort();
    assert_eq!(ids_on_disk(state.path(), "snapshots"), ids);
    for s in &created {
        wait_terminal(&c, &s.id, SECS).await;
    }
    first.shutdown().await;

    let second = LocalDaytona::start(config).await.expect("starts again");
    let c = client(&second);
    assert_eq!(names(&c).await, expected);
    second.shutdown().await;
}

/// The `state.json` of an older server: its snapshots and sandboxes are served after the
/// first start, the file is renamed `state.json.migrated` (readable by its owner only),
/// and a second start neither loses nor doubles anything.
#[tokio::test]
async fn an_old_state_json_moves_in_once() {
    let state = tempfile::tempdir().expect("a temp dir");
    // As the JSON-file server wrote it (serde_json::to_vec_pretty of its records).
    let old = r#"{
  "snapshots": [
    {
      "id": "6f9c1c53-43c5-4d3b-9f55-0d1b8e6f2a10",
      "organizationId": "1b0f3c7e-8a3d-4c55-b2c1-5e9f7a6d4c21",
      "general": false,
      "name": "old-app-v1.0.0",
      "imageName": "",
      "state": "active",
      "size": null,
      "entrypoint": ["sleep", "infinity"],
      "cpu": 1,
      "gpu": 0,
      "mem": 1,
      "disk": 3,
      "errorReason": null,
      "createdAt": "2026-11-01T10:00:00.000Z",
      "updatedAt": "2026-11-01T10:00:05.000Z",
      "lastUsedAt": null,
      "buildInfo": {
        "dockerfileContent": "FROM a:1\n",
        "contextHashes": [],
        "createdAt": "2026-11-01T10:00:00.000Z",
        "updatedAt": "2026-11-01T10:00:00.000Z",
        "snapshotRef": "0123456789abcdef"
      },
      "regionIds": ["us"],
      "initialRunnerId": "local-runner",
      "ref": "local/0123456789abcdef",
      "sourceSandboxId": null,
      "sandboxClass": "container",
      "checkedOnly": "the local server runs with --local-build check, which never builds images"
    }
  ],
  "sandboxes": [
    {
      "id": "9d2b7c41-5e8a-4f1b-8c3d-2a6e0f9b7d55",
      "organizationId": "1b0f3c7e-8a3d-4c55-b2c1-5e9f7a6d4c21",
      "name": "old-sandbox",
      "snapshot": "old-app-v1.0.0",
      "user": "root",
      "env": {"GREETING": "hello"},
      "labels": {"app": "old"},
      "public": false,
      "networkBlockAll": false,
      "target": "us",
      "cpu": 1,
      "gpu": 0,
      "memory": 1,
      "disk": 3,
      "state": "started",
      "desiredState": "started",
      "autoStopInterval": 15,
      "autoArchiveInterval": 10080,
      "autoDeleteInterval": -1,
      "volumes": [],
      "createdAt": "2026-11-01T10:01:00.000Z",
      "updatedAt": "2026-11-01T10:01:01.000Z",
      "runnerId": "local-runner",
      "sandboxClass": "container",
      "toolboxProxyUrl": "http://127.0.0.1:3986/toolbox",
      "container": "pj-sandbox-9d2b7c41-5e8a-4f1b-8c3d-2a6e0f9b7d55"
    }
  ]
}"#;
    std::fs::write(state.path().join("state.json"), old).expect("written");
    std::fs::create_dir_all(state.path().join("logs")).expect("logs");
    std::fs::write(state.path().join("logs/6f9c1c53-43c5-4d3b-9f55-0d1b8e6f2a10.log"), "built long ago\n")
        .expect("a log");

    for _ in 0..2 {
        let server = server(state.path(), BuildMode::CheckOnly).await;
        let c = client(&server);
        let s = c.snapshots().get("old-app-v1.0.0").await.expect("migrated");
        assert_eq!(s.id, "6f9c1c53-43c5-4d3b-9f55-0d1b8e6f2a10");
        assert_eq!((s.state, s.created_at.as_str()), (SnapshotState::Active, "2026-11-01T10:00:00.000Z"));
        assert!(s.checked_only.as_deref().is_some_and(|r| r.contains("--local-build check")), "{s:?}");
        let logs =
            c.snapshots().build_logs(&s.id, false).await.expect("logs").collect(5).await.expect("text");
        assert_eq!(logs, "built long ago\n");
        let sandbox = c.sandboxes().get_info("9d2b7c41-5e8a-4f1b-8c3d-2a6e0f9b7d55").await.expect("migrated");
        assert_eq!(sandbox.name, "old-sandbox");
        assert_eq!(sandbox.labels.get("app").map(String::as_str), Some("old"));
        assert_eq!(names(&c).await, ["old-app-v1.0.0"]);
        server.shutdown().await;
        assert!(!state.path().join("state.json").exists());
        assert_eq!(std::fs::read_to_string(state.path().join("state.json.migrated")).expect("kept"), old);
        assert_eq!(ids_on_disk(state.path(), "sandboxes"), ["9d2b7c41-5e8a-4f1b-8c3d-2a6e0f9b7d55"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for file in ["state.json.migrated", "state.db", "identity.json"] {
                let mode = std::fs::metadata(state.path().join(file)).expect("there").permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{file}");
            }
        }
    }
}

/// An `identity.json` that cannot be read stops the server with the reason; it is not
/// replaced by a new key behind the user's back.
#[tokio::test]
async fn an_unreadable_identity_is_an_error_not_a_new_key() {
    let state = tempfile::tempdir().expect("a temp dir");
    std::fs::write(state.path().join("identity.json"), "{ broken").expect("written");
    let error = LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::CheckOnly))
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("identity.json is not a saved identity"), "{error}");
    assert_eq!(std::fs::read_to_string(state.path().join("identity.json")).expect("kept"), "{ broken");
}
