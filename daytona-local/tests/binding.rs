//! A binary bound to its snapshot by content (`Client::bound`), against the local
//! server: the matching snapshot is used; an inactive one (Daytona deactivates snapshots
//! unused for two weeks, so a rollback meets one) is activated and waited for; one
//! replaced or published from other code under the name is refused before anything is
//! activated or created; unusable states, a missing snapshot and a build that never ends
//! are clear errors.

mod support;

use std::time::Duration;

use pj_daytona::{CreateBuildInfo, CreateSandbox, CreateSnapshot, Error, SnapshotState, Unbound};
use pj_daytona_local::{BuildMode, LocalDaytona, Route};

const WAIT: Duration = Duration::from_secs(20);

/// A snapshot built from `dockerfile` (no contexts), and its build key.
async fn publish(server: &LocalDaytona, name: &str, dockerfile: &str) -> String {
    let client = support::client(server);
    let request = CreateSnapshot::build(name, CreateBuildInfo::new(dockerfile, Vec::<String>::new()));
    let created = client.snapshots().create(&request).await.expect("created");
    support::wait_terminal(&client, &created.id, WAIT).await;
    daytona_contract::build_key(dockerfile, &[] as &[String])
}

async fn checked_only_server(dir: &std::path::Path) -> LocalDaytona {
    support::server(dir, BuildMode::CheckOnly).await
}

#[tokio::test]
async fn the_matching_snapshot_is_used_and_an_inactive_one_is_activated_first() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = checked_only_server(state.path()).await;
    let client = support::client(&server);
    let key = publish(&server, "app-v1.0.0", "FROM alpine:3.19\n").await;

    let bound = client.bound("app-v1.0.0", &key).poll(Duration::from_millis(20)).timeout(WAIT);
    let snapshot = bound.snapshot().await.expect("active and matching");
    assert_eq!(snapshot.state, SnapshotState::Active);
    assert_eq!(server.count(Route::ActivateSnapshot), 0);

    assert!(server.set_snapshot_state("app-v1.0.0", SnapshotState::Inactive));
    let snapshot = bound.snapshot().await.expect("activated");
    assert_eq!(snapshot.state, SnapshotState::Active);
    assert_eq!(server.count(Route::ActivateSnapshot), 1, "activated once");
    server.shutdown().await;
}

#[tokio::test]
async fn a_replaced_snapshot_is_refused_before_it_is_activated_or_used() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = checked_only_server(state.path()).await;
    let client = support::client(&server);
    let compiled = daytona_contract::build_key("FROM alpine:3.19\n", &[] as &[String]);
    let found = publish(&server, "app-v1.0.0", "FROM alpine:3.19\nRUN echo other code\n").await;
    assert!(server.set_snapshot_state("app-v1.0.0", SnapshotState::Inactive));

    let bound = client.bound("app-v1.0.0", &compiled).poll(Duration::from_millis(20));
    let error = bound.create_sandbox(CreateSandbox::default()).await.expect_err("not this binary's");
    match &error {
        Error::Unbound { name, why: Unbound::Replaced { expected, found: Some(f) } } => {
            assert_eq!((name.as_str(), expected, f), ("app-v1.0.0", &compiled, &found));
        }
        other => panic!("expected a replaced snapshot, got {other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.starts_with("Snapshot app-v1.0.0 cannot be used by this binary: it was built from other code"),
        "{text}"
    );
    assert!(text.contains("cargo xtask snapshot --replace"), "{text}");
    assert_eq!(server.count(Route::ActivateSnapshot), 0, "never activated");
    assert_eq!(server.count(Route::CreateSandbox), 0, "no sandbox");

    // A snapshot made from an image has no build key at all.
    let image = CreateSnapshot::image("img-v1.0.0", "alpine:3.19");
    client.snapshots().create(&image).await.expect("created");
    let error = client.bound("img-v1.0.0", &compiled).snapshot().await.expect_err("no buildInfo");
    assert!(matches!(error, Error::Unbound { why: Unbound::Replaced { found: None, .. }, .. }), "{error:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn unusable_missing_and_never_ready_snapshots_are_clear_errors() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = checked_only_server(state.path()).await;
    let client = support::client(&server);

    // A build that fails: its one context was never uploaded.
    let dockerfile = "FROM alpine:3.19\nCOPY [\"ctx\", \"/ctx\"]\n";
    let hashes = ["0123456789abcdef0123456789abcdef".to_owned()];
    let request = CreateSnapshot::build("broken-v1.0.0", CreateBuildInfo::new(dockerfile, hashes.clone()));
    let created = client.snapshots().create(&request).await.expect("created");
    assert_eq!(support::wait_terminal(&client, &created.id, WAIT).await.state, SnapshotState::BuildFailed);
    let key = daytona_contract::build_key(dockerfile, &hashes);
    let error = client.bound("broken-v1.0.0", &key).snapshot().await.expect_err("build failed");
    assert!(
        matches!(
            &error,
            Error::Unbound { why: Unbound::State { state: SnapshotState::BuildFailed, reason: Some(_) }, .. }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("it is build_failed ("), "{error}");

    let error = client.bound("never-v1.0.0", &key).snapshot().await.expect_err("missing");
    assert!(error.is_not_found(), "{error:?}");

    server.faults().stick("slow-v1.0.0", SnapshotState::Building);
    let request = CreateSnapshot::build(
        "slow-v1.0.0",
        CreateBuildInfo::new("FROM alpine:3.19\n", Vec::<String>::new()),
    );
    client.snapshots().create(&request).await.expect("created");
    let key = daytona_contract::build_key("FROM alpine:3.19\n", &[] as &[String]);
    let bound =
        client.bound("slow-v1.0.0", &key).poll(Duration::from_millis(20)).timeout(Duration::from_millis(300));
    let error = bound.snapshot().await.expect_err("never ready");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    server.shutdown().await;
}

/// The binding creates by the checked snapshot's id, so a snapshot replaced under the same
/// name between the check and the create (here from the same code, which the build key
/// cannot tell apart) is refused, not used: the server resolves the id, and the old id is
/// gone.
#[tokio::test]
async fn a_snapshot_replaced_between_the_check_and_the_create_is_refused() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = checked_only_server(state.path()).await;
    let client = support::client(&server);
    let key = publish(&server, "app-v1.0.0", "FROM alpine:3.19\n").await;
    let checked = client.bound("app-v1.0.0", &key).snapshot().await.expect("checked");

    client.snapshots().delete(&checked.id).await.expect("deleted");
    let deadline = std::time::Instant::now() + WAIT;
    while client.snapshots().get("app-v1.0.0").await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "the snapshot is removed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(publish(&server, "app-v1.0.0", "FROM alpine:3.19\n").await, key, "the same code");
    let replacement = client.snapshots().get("app-v1.0.0").await.expect("the replacement");
    assert_ne!(replacement.id, checked.id);

    // What `Bound::create_sandbox` sends after its check: the checked id.
    let error = client
        .sandboxes()
        .create_info(&CreateSandbox::from_snapshot(&checked.id))
        .await
        .expect_err("the replaced snapshot is not used");
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!("Failed to create sandbox: Snapshot {} not found (HTTP 404)", checked.id)
    );
    // The replacement's id is resolved (this server then refuses its checked-only image,
    // naming it), so ids are taken: the refusal above is the old id's.
    let error = client
        .sandboxes()
        .create_info(&CreateSandbox::from_snapshot(&replacement.id))
        .await
        .expect_err("checked only");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");
    assert!(error.to_string().contains("app-v1.0.0"), "{error}");
    assert_eq!(server.count(Route::CreateSandbox), 2);
    server.shutdown().await;
}
