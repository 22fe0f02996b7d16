//! The local server against hostile or broken input: option-like image names, malformed
//! and oversized JSON, missing and wrong credentials on every route, and arbitrary bytes
//! as request bodies. Each gets a clear 4xx (never a 5xx, a hang or a panic), and the
//! server's state directory holds what it should, nothing else. A user runs this server on
//! their own machine, so what it accepts is what reaches their Docker engine and disk.

mod support;

use std::path::Path;

use pj_daytona::server::{BuildMode, LocalDaytona};
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

/// Every file under `dir`, relative.
fn files(dir: &Path) -> Vec<String> {
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

#[tokio::test]
async fn malformed_and_oversized_json_bodies_get_a_4xx_and_change_nothing() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let key = server.api_key().to_owned();
    let before = files(state.path());
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
    assert_eq!(files(state.path()), before, "no file was written");
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
