//! The local server against hostile or broken input: option-like image names, malformed
//! and oversized JSON, missing and wrong credentials on every route, and arbitrary bytes
//! as request bodies. Each gets a clear 4xx (never a 5xx, a hang or a panic), and the
//! server's state directory holds what it should, nothing else. A user runs this server on
//! their own machine, so what it accepts is what reaches their Docker engine and disk.

mod support;

use std::time::Duration;

use pj_daytona::{CreateSnapshot, SnapshotState};
use pj_daytona_local::{BuildMode, LocalDaytona, Quotas, ServerConfig};
use proptest::prelude::*;
use support::server;

/// `METHOD path` of every API route, with a well-formed id where there is one.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/object-storage/push-access"),
    ("POST", "/api/snapshots"),
    ("GET", "/api/snapshots"),
    ("GET", "/api/snapshots/00000000-0000-4000-8000-000000000001"),
    ("DELETE", "/api/snapshots/00000000-0000-4000-8000-000000000001"),
    ("POST", "/api/snapshots/00000000-0000-4000-8000-000000000001/activate"),
    ("POST", "/api/snapshots/00000000-0000-4000-8000-000000000001/deactivate"),
    ("GET", "/api/snapshots/00000000-0000-4000-8000-000000000001/build-logs-url"),
    ("GET", "/api/snapshots/00000000-0000-4000-8000-000000000001/build-logs"),
    ("POST", "/api/sandbox"),
    ("GET", "/api/sandbox/00000000-0000-4000-8000-000000000001"),
    ("DELETE", "/api/sandbox/00000000-0000-4000-8000-000000000001"),
    ("GET", "/api/sandbox/00000000-0000-4000-8000-000000000001/toolbox-proxy-url"),
    ("POST", "/toolbox/00000000-0000-4000-8000-000000000001/process/execute"),
];

fn url(server: &LocalDaytona, path: &str) -> String {
    let base = server.url().trim_end_matches("/api");
    format!("{base}{path}")
}

async fn send(
    server: &LocalDaytona,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Vec<u8>,
) -> (u16, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = reqwest::Client::new()
        .request(method, url(server, path))
        .header("content-type", "application/json")
        .body(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn every_route_refuses_missing_and_wrong_credentials() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    for (method, path) in ROUTES {
        for key in [None, Some("dtn_wrong_key"), Some("")] {
            let (status, body) = send(&server, method, path, key, b"{}".to_vec()).await;
            assert_eq!(status, 401, "{method} {path} with {key:?}: {body}");
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn option_like_and_malformed_image_names_are_refused() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let key = server.api_key().to_owned();
    for image in ["--volume=/:/host:rw", "-v:1", "debian/--privileged:1", "Debian:12", "debian:12 --rm"] {
        let body = serde_json::json!({ "name": "evil-v1", "imageName": image }).to_string();
        let (status, text) = send(&server, "POST", "/api/snapshots", Some(&key), body.into_bytes()).await;
        assert_eq!(status, 400, "{image}: {text}");
        assert!(text.contains("Invalid image name format"), "{image}: {text}");
    }
    let (_, list) = send(&server, "GET", "/api/snapshots", Some(&key), Vec::new()).await;
    assert!(!list.contains("evil-v1"), "nothing was created: {list}");
    server.shutdown().await;
}

// `docs/daytona-contract.md` §4.3-4.4: gpu is 0..1, the region is validated.
#[tokio::test]
async fn requests_daytona_rejects_are_rejected_here_too() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let key = server.api_key().to_owned();
    let build = |extra: serde_json::Value| {
        let mut body = serde_json::json!({
            "name": "limits-v1",
            "buildInfo": { "dockerfileContent": "FROM alpine:3.19\n", "contextHashes": [] },
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body.to_string().into_bytes()
    };
    for (extra, says) in [
        (serde_json::json!({ "gpu": 2 }), "gpu must not be greater than 1"),
        (serde_json::json!({ "regionId": "eu" }), "Region eu is not available"),
    ] {
        let (status, text) = send(&server, "POST", "/api/snapshots", Some(&key), build(extra.clone())).await;
        assert_eq!(status, 400, "{extra}: {text}");
        assert!(text.contains(says), "{extra}: {text}");
    }
    for (n, extra) in
        [serde_json::json!({ "gpu": 1 }), serde_json::json!({ "regionId": "us" })].into_iter().enumerate()
    {
        let mut body = extra.clone();
        body["name"] = serde_json::json!(format!("limits-ok-v{n}"));
        let (status, text) = send(&server, "POST", "/api/snapshots", Some(&key), build(body)).await;
        assert_eq!(status, 200, "{extra}: {text}");
    }
    let body = serde_json::json!({ "snapshot": "x", "target": "eu" }).to_string().into_bytes();
    let (status, text) = send(&server, "POST", "/api/sandbox", Some(&key), body).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("Region eu is not available"), "{text}");
    server.shutdown().await;
}

// `docs/daytona-contract.md` §4.4: quotas are checked when a snapshot is created or
// activated, with Daytona's words, as a 400 (the live service's status).
#[tokio::test]
async fn snapshot_quotas_and_per_sandbox_limits_are_enforced_like_daytonas() {
    let state = tempfile::tempdir().expect("a temp dir");
    let mut quotas = Quotas::default();
    quotas.snapshots = 2;
    let config = ServerConfig::new(state.path()).build_mode(BuildMode::CheckOnly).quotas(quotas);
    let server = LocalDaytona::start(config).await.expect("server");
    let client = support::client(&server);
    let snapshots = client.snapshots();
    let image = |name: &str| CreateSnapshot::image(name, "alpine:3.19");
    let refusal = |e: pj_daytona::Error| (e.status().map(|s| s.as_u16()), e.to_string());

    // The defaults of a new organization: 4 CPUs, 8 GB, 10 GB per sandbox; the limit itself is allowed.
    for (cpu, memory, disk, says) in [
        (5, 1, 1, "CPU request 5 exceeds maximum allowed per sandbox (4)."),
        (1, 9, 1, "Memory request 9GB exceeds maximum allowed per sandbox (8GB)."),
        (1, 1, 11, "Disk request 11GB exceeds maximum allowed per sandbox (10GB)."),
    ] {
        let (status, text) =
            refusal(snapshots.create(&image("big-v1").resources(cpu, memory, disk)).await.expect_err(says));
        assert_eq!(status, Some(400), "{text}");
        assert!(text.contains(says), "{text}");
    }
    snapshots.create(&image("a-v1").resources(4, 8, 10)).await.expect("at the limits");
    snapshots.create(&image("b-v1")).await.expect("the second of two");
    let (status, text) = refusal(snapshots.create(&image("c-v1")).await.expect_err("a third"));
    assert_eq!(status, Some(400), "{text}");
    assert!(text.contains("Snapshot quota exceeded. Maximum allowed: 2"), "{text}");

    // An inactive snapshot does not count; activating it counts again.
    support::wait_for(&client, "b-v1", Duration::from_secs(10), |s| s == SnapshotState::Active).await;
    assert!(server.set_snapshot_state("b-v1", SnapshotState::Inactive));
    let c = snapshots.create(&image("c-v1")).await.expect("room again");
    let b = snapshots.get("b-v1").await.expect("b");
    let (status, text) = refusal(snapshots.activate(&b.id).await.expect_err("no room to activate"));
    assert_eq!(status, Some(400), "{text}");
    assert!(text.contains("Snapshot quota exceeded. Maximum allowed: 2"), "{text}");
    assert_eq!(snapshots.get("b-v1").await.expect("b").state, SnapshotState::Inactive, "left as it was");

    // A snapshot being removed does not count either.
    snapshots.delete(&c.id).await.expect("delete");
    snapshots.activate(&b.id).await.expect("room while c is removing");
    let names: Vec<String> =
        snapshots.list(&Default::default()).await.expect("list").items.into_iter().map(|s| s.name).collect();
    assert!(!names.iter().any(|n| n == "big-v1"), "no refused snapshot was stored: {names:?}");
    server.shutdown().await;
}

/// Push access is for the organization's own prefix: signed requests for keys of another
/// organization, or of the bucket's root, are refused by the S3 endpoint and store nothing.
/// (A key with `.` or `..` components cannot be sent through a URL, which resolves them;
/// `in_prefix`'s unit test covers the decoded forms.)
#[tokio::test]
async fn storage_credentials_reach_no_key_outside_the_organization() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let access = support::client(&server).object_storage().push_access().await.expect("access");
    let before = support::files(state.path());
    let org = &access.organization_id;
    for key in [
        "00000000-0000-4000-8000-00000000beef/0123abcd/context.tar".to_owned(),
        "context.tar".to_owned(),
        format!("{org}x/0123abcd/context.tar"),
    ] {
        let status = support::put_raw(&access, &key, b"not yours".to_vec()).await;
        assert!((400..500).contains(&status), "{key}: {status}");
    }
    assert_eq!(support::files(state.path()), before, "nothing was stored");
    assert_eq!(support::put_raw(&access, &access.object_key("0123abcd"), b"mine".to_vec()).await, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_and_oversized_json_bodies_get_a_4xx_and_change_nothing() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let key = server.api_key().to_owned();
    let before = support::files(state.path());
    let huge =
        format!("{{\"name\":\"big-v1\",\"imageName\":\"alpine:3.19\",\"pad\":\"{}\"}}", "x".repeat(4 << 20));
    for (what, body) in [
        ("not JSON", b"{\"name\": ".to_vec()),
        ("not an object", b"[1,2,3]".to_vec()),
        ("wrong types", br#"{"name": 7, "cpu": "many", "buildInfo": []}"#.to_vec()),
        ("deeply nested", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes()),
        ("over the body limit", huge.into_bytes()),
    ] {
        for path in ["/api/snapshots", "/api/sandbox"] {
            let (status, text) = send(&server, "POST", path, Some(&key), body.clone()).await;
            assert!((400..500).contains(&status), "{what} to {path}: {status} {text}");
        }
    }
    assert_eq!(support::files(state.path()), before, "no file was written");
    server.shutdown().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Arbitrary bytes as the body of every route that reads one: a 2xx or 4xx, never a
    /// 5xx or a dropped connection.
    #[test]
    fn arbitrary_bodies_never_break_the_server(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async {
            let state = tempfile::tempdir().expect("a temp dir");
            let server = server(state.path(), BuildMode::CheckOnly).await;
            let key = server.api_key().to_owned();
            for path in ["/api/snapshots", "/api/sandbox", "/toolbox/00000000-0000-4000-8000-000000000001/process/execute"] {
                let (status, text) = send(&server, "POST", path, Some(&key), body.clone()).await;
                prop_assert!(status < 500, "{path}: {status} {text}");
            }
            server.shutdown().await;
            Ok(())
        })?;
    }
}
