//! The pj-daytona client against the local Daytona-compatible server (check-only builds,
//! no Docker needed): every endpoint, Daytona's error shapes, retries with call counts,
//! Retry-After, timeouts, dropped connections, S3 authentication, build checks, fault
//! injection, persistence and redaction.

#[path = "../../tests/conformance/provision.rs"]
mod provision;
mod support;

use std::io::{Read, Write};
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use daytona_contract::context::ContextChanged;
use futures_util::StreamExt;
use pj_daytona::{
    Client, CreateBuildInfo, CreateSandbox, CreateSnapshot, Error, ListSnapshots, LogEvent, RetryPolicy,
    SnapshotState, Timeouts, Upload, UploadProgress,
};
use pj_daytona_local::{BuildMode, Fault, LocalDaytona, Route, ServerConfig};
use rusty_s3::S3Action;
use support::{client, fast_retries, server, wait_terminal};

const SECS: Duration = Duration::from_secs(30);

/// A crate directory with `ctx/file.txt` (`hello\n`, `docs/daytona-contract.md` §2.5 Ex1) and
/// `sandbox/`.
fn crate_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir_all(dir.path().join("ctx")).expect("mkdir");
    std::fs::write(dir.path().join("ctx/file.txt"), "hello\n").expect("write");
    std::fs::create_dir_all(dir.path().join("sandbox/bin")).expect("mkdir");
    std::fs::write(dir.path().join("sandbox/bin/run.sh"), "#!/bin/sh\necho run\n").expect("write");
    std::fs::write(dir.path().join("sandbox/README"), "sandbox files\n").expect("write");
    dir
}

fn md5(root: &Path, archive: &str) -> String {
    daytona_contract::context::hash(&root.join(archive), archive).expect("hashable")
}

async fn upload(client: &Client, root: &Path, archive: &str) -> (String, Upload) {
    let storage = client.object_storage();
    let access = storage.push_access().await.expect("push access");
    let hash = md5(root, archive);
    let outcome = storage.upload_context(&access, &root.join(archive), archive, &hash).await.expect("upload");
    (hash, outcome)
}

fn build(name: &str, dockerfile: &str, hashes: &[String]) -> CreateSnapshot {
    CreateSnapshot::build(name, CreateBuildInfo::new(dockerfile, hashes.iter().cloned()))
}

#[tokio::test]
async fn snapshot_lifecycle_upload_create_follow_get_list_delete() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    let root = crate_dir();

    let (file_hash, first) = upload(&client, root.path(), "ctx/file.txt").await;
    assert_eq!(file_hash, "0062767e43a7b98b63a594b2504ce32c", "docs/daytona-contract.md §2.5 Ex1");
    assert!(matches!(first, Upload::Uploaded { bytes } if bytes > 0 && bytes % 512 == 0), "{first:?}");
    let (dir_hash, _) = upload(&client, root.path(), "sandbox").await;
    assert!(server.object_path(&file_hash).is_file());
    // The object on "disk" is the tar daytona-contract writes.
    let mut expected = Vec::new();
    daytona_contract::context::write_tar(&root.path().join("sandbox"), "sandbox", &mut expected)
        .expect("tar");
    assert_eq!(std::fs::read(server.object_path(&dir_hash)).expect("stored"), expected);

    // A second upload of the same content is a HEAD and nothing else.
    server.clear_requests();
    let (_, again) = upload(&client, root.path(), "ctx/file.txt").await;
    assert_eq!(again, Upload::Present);
    assert_eq!((server.count(Route::S3Head), server.count(Route::S3Put)), (1, 0));

    let dockerfile = "FROM ubuntu:22.04\nCOPY [\"ctx/file.txt\", \"/app/file.txt\"]\nCOPY [\"sandbox\", \"/app/sandbox\"]\n\
                      ENTRYPOINT [\"sleep\", \"infinity\"]\n";
    let hashes = vec![file_hash.clone(), dir_hash.clone()];
    let created = client
        .snapshots()
        .create(&build("app-v1.0.0", dockerfile, &hashes).resources(2, 4, 8))
        .await
        .expect("created");
    assert_eq!((created.name.as_str(), created.state), ("app-v1.0.0", SnapshotState::Pending));
    assert_eq!((created.cpu, created.mem, created.disk), (2.0, 4.0, 8.0));
    assert_eq!(created.entrypoint.as_deref(), Some(&["sleep".to_owned(), "infinity".to_owned()][..]));
    let info = created.build_info.as_ref().expect("build info");
    assert_eq!(info.snapshot_ref, daytona_contract::build_key(dockerfile, &hashes));
    assert_eq!(info.context_hashes.as_deref(), Some(&hashes[..]));

    let logs = client
        .snapshots()
        .build_logs(&created.id, true)
        .await
        .expect("log stream")
        .collect(50)
        .await
        .expect("logs");
    assert!(logs.contains("every COPY source is present"), "{logs}");
    assert!(logs.contains("(local server) checked, not built"), "{logs}");
    assert!(
        logs.ends_with(
            "Snapshot app-v1.0.0 is active: checked, not built (the local server runs with --local-build \
             check, which never builds images)\n"
        ),
        "{logs}"
    );

    let active = client.snapshots().get("app-v1.0.0").await.expect("by name");
    assert_eq!(active.state, SnapshotState::Active);
    assert_eq!(client.snapshots().get(&created.id).await.expect("by id").name, "app-v1.0.0");
    let url = client.snapshots().build_logs_url(&created.id).await.expect("url");
    assert_eq!(url, format!("{}/snapshots/{}/build-logs", server.url(), created.id));

    let page = client
        .snapshots()
        .list(&ListSnapshots { name: Some("APP-".into()), ..Default::default() })
        .await
        .expect("list");
    assert_eq!((page.total, page.page, page.total_pages, page.items.len()), (1, 1, 1, 1));

    client.snapshots().delete(&created.id).await.expect("deleted");
    // `docs/daytona-contract.md` §5: deletion goes through `removing`.
    let removing = client.snapshots().get(&created.id).await.expect("still there, for now");
    assert_eq!(removing.state, SnapshotState::Removing);
    let activate = client.snapshots().activate(&created.id).await.expect_err("removing");
    assert_eq!(activate.status().map(|s| s.as_u16()), Some(400), "{activate}");
    let deadline = Instant::now() + SECS;
    let gone = loop {
        match client.snapshots().get(&created.id).await {
            Err(e) => break e,
            Ok(s) => assert_eq!(s.state, SnapshotState::Removing, "removing only leads to gone"),
        }
        assert!(Instant::now() < deadline, "still removing after {SECS:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(gone.is_not_found(), "{gone}");
    assert_eq!(
        gone.to_string(),
        format!("Failed to get snapshot: Snapshot {} not found (HTTP 404)", created.id)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn list_all_walks_every_page() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    for i in 0..5 {
        client
            .snapshots()
            .create(&CreateSnapshot::image(format!("img-{i}"), "busybox:1.36"))
            .await
            .expect("created");
    }
    client.snapshots().create(&CreateSnapshot::image("other", "busybox:1.36")).await.expect("created");
    server.clear_requests();
    let names: Vec<String> =
        client.snapshots().list_all(Some("img-"), 2).map(|s| s.expect("listed").name).collect().await;
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["img-0", "img-1", "img-2", "img-3", "img-4"]);
    assert_eq!(server.count(Route::ListSnapshots), 3, "pages of 2, 2 and 1");
    for list in server.requests() {
        let query = list.query.unwrap_or_default();
        assert!(query.contains("sort=createdAt") && query.contains("order=asc"), "a stable order: {query}");
    }

    let page = client
        .snapshots()
        .list(&ListSnapshots { page: Some(3), limit: Some(2), ..Default::default() })
        .await
        .expect("page 3");
    assert_eq!((page.total, page.total_pages, page.items.len()), (6, 3, 2));
    server.shutdown().await;
}

#[tokio::test]
async fn duplicate_names_get_daytonas_409() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    let request = build("dup-v1", "FROM busybox:1.36\n", &[]);
    client.snapshots().create(&request).await.expect("first");
    let error = client.snapshots().create(&request).await.expect_err("second");
    assert!(error.is_conflict());
    assert!(!error.is_retryable());
    assert_eq!(
        error.to_string(),
        "Failed to create snapshot: Snapshot with name \"dup-v1\" already exists for this organization (HTTP 409)"
    );
    match &error {
        Error::Api { operation, code, body, retry_after, .. } => {
            assert_eq!((*operation, code, body, retry_after), ("create snapshot", &None, &None, &None));
        }
        other => panic!("not an API error: {other:?}"),
    }
    server.shutdown().await;
}

/// Raw requests, to see Daytona's error body itself.
async fn raw(
    server: &LocalDaytona,
    method: reqwest::Method,
    path: &str,
    body: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", server.url()))
        .bearer_auth(server.api_key())
        .timeout(SECS);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_owned());
    }
    let response = request.send().await.expect("a response");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn errors_have_daytonas_shape_and_messages() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let (status, body) = raw(&server, reqwest::Method::GET, "/snapshots/nope", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["statusCode"], 404);
    assert_eq!(body["error"], "Not Found");
    assert_eq!(body["message"], "Snapshot nope not found");
    assert_eq!(body["path"], "/api/snapshots/nope");
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{body}");

    let cases: &[(reqwest::Method, &str, Option<&str>, u16, &str)] = &[
        (reqwest::Method::DELETE, "/snapshots/not-a-uuid", None, 400, "Validation failed (uuid is expected)"),
        (reqwest::Method::GET, "/snapshots?limit=500", None, 400, "limit must not be greater than 200"),
        (reqwest::Method::GET, "/snapshots?page=0", None, 400, "page must not be less than 1"),
        (
            reqwest::Method::GET,
            "/snapshots?sort=size",
            None,
            400,
            "sort must be one of the following values: name, state, lastUsedAt, createdAt",
        ),
        (
            reqwest::Method::POST,
            "/snapshots",
            Some("{\"name\":\"a b\",\"imageName\":\"busybox:1.36\"}"),
            400,
            "Invalid snapshot name format. May contain letters, digits, dots, colons, and dashes",
        ),
        (
            reqwest::Method::POST,
            "/snapshots",
            Some(
                "{\"name\":\"a\",\"imageName\":\"busybox:1.36\",\"buildInfo\":{\"dockerfileContent\":\"FROM x:1\\n\"}}",
            ),
            400,
            "Cannot specify an image name when using a build info entry",
        ),
        (
            reqwest::Method::POST,
            "/snapshots",
            Some(
                "{\"name\":\"a\",\"entrypoint\":[\"sh\"],\"buildInfo\":{\"dockerfileContent\":\"FROM x:1\\n\"}}",
            ),
            400,
            "Cannot specify an entrypoint when using a build info entry",
        ),
        (
            reqwest::Method::POST,
            "/snapshots",
            Some("{\"name\":\"a\"}"),
            400,
            "Must specify an image name when not using a build info entry",
        ),
        (
            reqwest::Method::POST,
            "/snapshots",
            Some("{\"name\":\"a\",\"imageName\":\"busybox:latest\"}"),
            400,
            "Images with tag \":latest\" are not allowed",
        ),
        (
            reqwest::Method::POST,
            "/snapshots",
            Some("{\"name\":\"a\",\"imageName\":\"busybox\"}"),
            400,
            "Image name must include a tag (e.g., ubuntu:22.04) or digest (@sha256:...)",
        ),
        (
            reqwest::Method::POST,
            "/snapshots",
            Some("{\"name\":\"a\",\"cpu\":-1,\"imageName\":\"busybox:1\"}"),
            400,
            "cpu must not be less than 0",
        ),
        (reqwest::Method::POST, "/snapshots", Some("[1]"), 400, "The request body must be a JSON object"),
        (reqwest::Method::GET, "/no/such/route", None, 404, "Cannot GET /api/no/such/route"),
    ];
    for (method, path, body, status, message) in cases {
        let (got_status, got) = raw(&server, method.clone(), path, *body).await;
        assert_eq!((got_status, got["message"].as_str()), (*status, Some(*message)), "{method} {path}");
        assert_eq!(got["statusCode"], *status);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn transient_failures_of_gets_are_retried_and_counted() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    client.snapshots().create(&CreateSnapshot::image("r-v1", "busybox:1.36")).await.expect("created");

    for status in [500, 502, 503, 504, 408] {
        server.clear_requests();
        server.faults().fail_next(Route::GetSnapshot, 2, status);
        let snapshot = client.snapshots().get("r-v1").await.expect("succeeds on the third attempt");
        assert_eq!(snapshot.name, "r-v1");
        assert_eq!(server.count(Route::GetSnapshot), 3, "status {status}");
    }

    // Past max_retries (3) the last error is returned: 4 attempts in all.
    server.clear_requests();
    server.faults().fail_next(Route::GetSnapshot, 10, 503);
    let error = client.snapshots().get("r-v1").await.expect_err("gives up");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(error.is_retryable());
    assert_eq!(error.to_string(), "Failed to get snapshot: Injected fault (HTTP 503)");
    assert_eq!(server.count(Route::GetSnapshot), 4);
    server.faults().clear();

    // A 4xx is final.
    server.clear_requests();
    server.faults().fail_next(Route::GetSnapshot, 1, 400);
    assert_eq!(
        client.snapshots().get("r-v1").await.expect_err("final").status().map(|s| s.as_u16()),
        Some(400)
    );
    assert_eq!(server.count(Route::GetSnapshot), 1);

    // Without retries, one attempt.
    let once = server.client_builder().retry(RetryPolicy::none()).build().expect("client");
    server.clear_requests();
    server.faults().fail_next(Route::GetSnapshot, 1, 503);
    assert!(once.snapshots().get("r-v1").await.is_err());
    assert_eq!(server.count(Route::GetSnapshot), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_post_is_never_repeated() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    server.faults().fail_next(Route::CreateSnapshot, 1, 503);
    let error =
        client.snapshots().create(&CreateSnapshot::image("p-v1", "busybox:1.36")).await.expect_err("503");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(error.is_retryable(), "retryable by the caller, after reconciling");
    assert_eq!(server.count(Route::CreateSnapshot), 1);

    // A timed-out POST is not repeated either.
    let impatient = server
        .client_builder()
        .retry(fast_retries())
        .timeouts(Timeouts { request: Duration::from_millis(300), ..Default::default() })
        .build()
        .expect("client");
    server.faults().delay_next(Route::CreateSnapshot, 1, Duration::from_secs(2));
    let error = impatient
        .snapshots()
        .create(&CreateSnapshot::image("p-v2", "busybox:1.36"))
        .await
        .expect_err("timeout");
    assert!(matches!(error, Error::Timeout { operation: "create snapshot", .. }), "{error:?}");
    assert_eq!(server.count(Route::CreateSnapshot), 2);
    // ... and the caller reconciles by name: the server did create it.
    assert_eq!(client.snapshots().get("p-v2").await.expect("created once").name, "p-v2");

    server.faults().fail_next(Route::ActivateSnapshot, 1, 502);
    server.faults().fail_next(Route::DeleteSnapshot, 1, 502);
    let id = client.snapshots().get("p-v2").await.expect("get").id;
    assert!(client.snapshots().activate(&id).await.is_err());
    assert!(client.snapshots().delete(&id).await.is_err());
    assert_eq!((server.count(Route::ActivateSnapshot), server.count(Route::DeleteSnapshot)), (1, 1));
    server.shutdown().await;
}

#[tokio::test]
async fn retry_after_is_honoured_and_bounded() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);

    server.faults().rate_limit_next(Route::ListSnapshots, 1, Duration::from_secs(1));
    let started = Instant::now();
    client.snapshots().list(&ListSnapshots::default()).await.expect("succeeds after waiting");
    // The backoff of this client is 5-20 ms: only Retry-After explains a 1 s wait.
    assert!(started.elapsed() >= Duration::from_millis(950), "waited {:?}", started.elapsed());
    assert_eq!(server.count(Route::ListSnapshots), 2);

    // A Retry-After longer than max_retry_after (5 s here) is not waited for.
    server.clear_requests();
    server.faults().rate_limit_next(Route::ListSnapshots, 1, Duration::from_secs(120));
    let error = client.snapshots().list(&ListSnapshots::default()).await.expect_err("429");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(server.count(Route::ListSnapshots), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn every_request_has_a_timeout() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    client(&server)
        .snapshots()
        .create(&CreateSnapshot::image("t-v1", "busybox:1.36"))
        .await
        .expect("created");
    let timeouts = Timeouts { request: Duration::from_millis(300), ..Default::default() };
    let once = server.client_builder().retry(RetryPolicy::none()).timeouts(timeouts).build().expect("client");
    server.faults().delay_next(Route::GetSnapshot, 1, Duration::from_secs(3));
    let error = once.snapshots().get("t-v1").await.expect_err("times out");
    assert!(
        matches!(error, Error::Timeout { operation: "get snapshot", after } if after == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(error.to_string(), "Failed to get snapshot: timed out after 300ms");

    // With retries, the second attempt answers in time.
    let retrying = server.client_builder().retry(fast_retries()).timeouts(timeouts).build().expect("client");
    server.clear_requests();
    server.faults().delay_next(Route::GetSnapshot, 1, Duration::from_secs(3));
    assert_eq!(retrying.snapshots().get("t-v1").await.expect("second attempt").name, "t-v1");
    assert_eq!(server.count(Route::GetSnapshot), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_connection_dropped_mid_body_is_retried() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    client.snapshots().create(&CreateSnapshot::image("d-v1", "busybox:1.36")).await.expect("created");
    server.faults().drop_next(Route::GetSnapshot, 1);
    assert_eq!(client.snapshots().get("d-v1").await.expect("retried").name, "d-v1");
    assert_eq!(server.count(Route::GetSnapshot), 2);

    let once = server.client_builder().retry(RetryPolicy::none()).build().expect("client");
    server.faults().drop_next(Route::ListSnapshots, 1);
    let error = once.snapshots().list(&ListSnapshots::default()).await.expect_err("cut");
    assert!(matches!(error, Error::Transport { operation: "list snapshots", .. }), "{error:?}");
    assert!(error.is_retryable());
    server.shutdown().await;
}

#[tokio::test]
async fn connection_refused_is_a_retryable_transport_error() {
    let port = StdListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let client = Client::builder()
        .api_key("dtn_nobody_listens")
        .api_url(format!("http://127.0.0.1:{port}/api"))
        .retry(fast_retries())
        .build()
        .expect("client");
    let error = client.snapshots().get("x").await.expect_err("refused");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert!(!format!("{error} {error:?}").contains("dtn_nobody_listens"));
}

/// A one-shot HTTP server on 127.0.0.1 that records the request head and answers with
/// `response`; returns (url, join handle giving the request head).
fn one_shot(response: String) -> (String, std::thread::JoinHandle<String>) {
    let listener = StdListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/api", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("a connection");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
            if stream.read(&mut byte).unwrap_or(0) == 0 {
                break;
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let key = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase().starts_with("authorization:").then(|| l[14..].trim().to_owned())
            })
            .unwrap_or_default();
        let body = response.replace("{AUTH}", &key);
        let reply = format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(reply.as_bytes());
        head
    });
    (url, handle)
}

/// Every error path a server can drive, with answers that echo the API key and the
/// storage secret and session token the client holds (in bodies and headers): no error
/// shows any of them, in `Display` or `Debug`.
#[tokio::test]
async fn no_secret_the_client_holds_reaches_an_error() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = server.client_builder().retry(RetryPolicy::none()).build().expect("client");
    let storage = client.object_storage();
    let access = storage.push_access().await.expect("push access");
    let root = big_crate_dir();
    let leak = |route, status| server.faults().inject(route, 1, Fault::Leak { status });
    let mut errors = Vec::new();

    leak(Route::GetSnapshot, 500);
    errors.push(client.snapshots().get("x").await.expect_err("leak"));
    leak(Route::ListSnapshots, 400);
    errors.push(client.snapshots().list(&ListSnapshots::default()).await.expect_err("leak"));
    leak(Route::CreateSnapshot, 409);
    errors.push(
        client.snapshots().create(&build("leak-v1", "FROM alpine:3.19\n", &[])).await.expect_err("leak"),
    );
    leak(Route::GetSnapshot, 200);
    errors.push(client.snapshots().get("x").await.expect_err("undecodable"));
    leak(Route::PushAccess, 200);
    errors.push(storage.push_access().await.expect_err("undecodable credentials"));
    leak(Route::PushAccess, 503);
    errors.push(storage.push_access().await.expect_err("leak"));
    leak(Route::S3Head, 403);
    errors.push(storage.context_exists(&access, &"0".repeat(32)).await.expect_err("leak"));
    let hash = md5(root.path(), "big");
    for route in [Route::S3Post, Route::S3Put] {
        leak(route, 403);
        errors.push(
            storage.upload_context(&access, &root.path().join("big"), "big", &hash).await.expect_err("leak"),
        );
    }
    leak(Route::S3Put, 500);
    let small = crate_dir();
    errors.push(
        storage
            .upload_context(&access, &small.path().join("sandbox"), "sandbox", &md5(small.path(), "sandbox"))
            .await
            .expect_err("leak"),
    );

    let secrets = [server.api_key(), access.secret.expose(), access.session_token.expose()];
    for error in &errors {
        for shown in [error.to_string(), format!("{error:?}")] {
            for secret in secrets {
                assert!(!shown.contains(secret), "a secret in: {shown}");
            }
        }
    }
    let redacted = errors.iter().filter(|e| format!("{e:?}").contains("[REDACTED]")).count();
    assert!(redacted >= 4, "the echoed secrets were there, and redacted: {errors:#?}");
    let decode = &errors[4];
    assert!(format!("{decode:?}").contains("withheld"), "{decode:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn an_oversized_answer_is_refused_not_buffered() {
    // 40 MiB of JSON-looking bytes, over the client's 32 MiB cap for any answer.
    let listener = StdListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/api", listener.local_addr().expect("addr"));
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("a connection");
        stream.set_write_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let mut head = [0u8; 4096];
        let _ = stream.read(&mut head);
        let size = 40usize << 20;
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {size}\r\nconnection: close\r\n\r\n["
        );
        let _ = stream.write_all(reply.as_bytes());
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..40 {
            if stream.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let client =
        Client::builder().api_key("k1234").api_url(url).retry(RetryPolicy::none()).build().expect("client");
    let error = client.snapshots().get("x").await.expect_err("too large");
    assert!(matches!(error, Error::Unexpected { .. }), "{error:?}");
    assert!(error.to_string().contains("over 32 MiB"), "{error}");
    drop(client);
    // Joined off the runtime's thread, which must stay free to close the connection.
    let _ = tokio::task::spawn_blocking(move || server.join()).await;
}

#[tokio::test]
async fn headers_name_pithy_and_credentials_never_show() {
    let key = "dtn_super_secret_key_1234";
    let (url, head) = one_shot("{\"message\":\"bad credentials {AUTH}\",\"code\":\"E_AUTH\"}".to_owned());
    let client =
        Client::builder().api_key(key).api_url(url).retry(RetryPolicy::none()).build().expect("client");
    let error = client.snapshots().get("s").await.expect_err("400");
    let head = head.join().expect("the server thread");
    let lower = head.to_ascii_lowercase();
    assert!(head.starts_with("GET /api/snapshots/s HTTP/1.1\r\n"), "{head}");
    assert!(lower.contains(&format!("authorization: bearer {key}")), "{head}");
    assert_eq!(pj_daytona::USER_AGENT_VALUE, "pithy-daytona/0.1.0");
    assert!(lower.contains("user-agent: pithy-daytona/0.1.0\r\n"), "{head}");
    assert!(lower.contains("x-daytona-sdk-version: 0.1.0\r\n"), "{head}");
    assert!(lower.contains("x-daytona-source: pithy"), "{head}");
    assert!(!lower.contains("x-daytona-organization-id"), "API keys are organization-scoped: {head}");

    // The server echoed the key; the error does not.
    assert_eq!(error.to_string(), "Failed to get snapshot: bad credentials Bearer [REDACTED] (HTTP 400)");
    match &error {
        Error::Api { code, .. } => assert_eq!(code.as_deref(), Some("E_AUTH")),
        other => panic!("{other:?}"),
    }
    for text in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{client:?}"),
        format!("{:?}", Client::builder().api_key(key)),
    ] {
        assert!(!text.contains(key), "{text}");
    }

    // A raw (non-JSON) body is kept, redacted too.
    let (url, head) = one_shot("<html>no {AUTH}</html>".to_owned());
    let client =
        Client::builder().api_key(key).api_url(url).retry(RetryPolicy::none()).build().expect("client");
    let error = client.snapshots().list(&ListSnapshots::default()).await.expect_err("400");
    head.join().expect("thread");
    match &error {
        Error::Api { body, message, .. } => {
            assert_eq!(body.as_deref(), Some("<html>no Bearer [REDACTED]</html>"));
            assert_eq!(message, "<html>no Bearer [REDACTED]</html>");
        }
        other => panic!("{other:?}"),
    }

    // JWT credentials send the organization.
    let (url, head) = one_shot("{}".to_owned());
    let client = Client::builder()
        .jwt("eyJ.jwt.sig", "org-42")
        .api_url(url)
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let _ = client.snapshots().get("s").await;
    let head = head.join().expect("thread").to_ascii_lowercase();
    assert!(head.contains("x-daytona-organization-id: org-42"), "{head}");
    assert!(head.contains("authorization: bearer eyj.jwt.sig"), "{head}");
}

#[tokio::test]
async fn api_keys_and_jwts_are_checked() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = LocalDaytona::start(
        ServerConfig::new(state.path()).build_mode(BuildMode::CheckOnly).jwt("eyJ.local.jwt"),
    )
    .await
    .expect("server");
    let wrong = Client::builder()
        .api_key("dtn_wrong")
        .api_url(server.url())
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let error = wrong.snapshots().list(&ListSnapshots::default()).await.expect_err("401");
    assert_eq!(error.to_string(), "Failed to list snapshots: Unauthorized (HTTP 401)");

    let jwt = Client::builder()
        .jwt("eyJ.local.jwt", server.organization_id())
        .api_url(server.url())
        .build()
        .expect("client");
    jwt.snapshots().list(&ListSnapshots::default()).await.expect("JWT with the organization");
    let other_org =
        Client::builder().jwt("eyJ.local.jwt", "someone-else").api_url(server.url()).build().expect("client");
    assert_eq!(
        other_org
            .snapshots()
            .list(&ListSnapshots::default())
            .await
            .expect_err("403")
            .status()
            .map(|s| s.as_u16()),
        Some(403)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn s3_verifies_signatures_tokens_and_scope() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    let access = client.object_storage().push_access().await.expect("push access");
    assert_eq!(access.storage_url, server.storage_url());
    assert_eq!((access.bucket.as_str(), access.region.as_str()), ("daytona-volume-builds", "us-east-1"));
    assert_eq!(access.organization_id, server.organization_id());
    assert!(!format!("{access:?}").contains(access.secret.expose()));

    let bucket = rusty_s3::Bucket::new(
        url::Url::parse(&access.storage_url).expect("url"),
        rusty_s3::UrlStyle::Path,
        access.bucket.clone(),
        access.region.clone(),
    )
    .expect("bucket");
    let http = reqwest::Client::new();
    let put = |creds: rusty_s3::Credentials, key: String| {
        let url = bucket.put_object(Some(&creds), &key).sign(Duration::from_secs(60));
        let http = http.clone();
        async move { http.put(url).body("data").send().await.expect("a response").status().as_u16() }
    };
    let key = access.object_key("0123456789abcdef0123456789abcdef");
    let (ak, secret, token) = (
        access.access_key.clone(),
        access.secret.expose().to_owned(),
        access.session_token.expose().to_owned(),
    );
    assert_eq!(
        put(rusty_s3::Credentials::new_with_token(&ak, "wrong-secret", &token), key.clone()).await,
        403,
        "bad signature"
    );
    assert_eq!(put(rusty_s3::Credentials::new(&ak, &secret), key.clone()).await, 403, "no session token");
    assert_eq!(
        put(rusty_s3::Credentials::new_with_token(&ak, &secret, "forged"), key.clone()).await,
        400,
        "wrong token: S3's InvalidToken"
    );
    assert_eq!(
        put(rusty_s3::Credentials::new_with_token("AKNOBODY", &secret, &token), key.clone()).await,
        403,
        "unknown key"
    );
    let other = "other-org/0123456789abcdef0123456789abcdef/context.tar".to_owned();
    assert_eq!(
        put(rusty_s3::Credentials::new_with_token(&ak, &secret, &token), other).await,
        403,
        "outside the org"
    );
    assert_eq!(
        put(rusty_s3::Credentials::new_with_token(&ak, &secret, &token), key.clone()).await,
        200,
        "all correct"
    );
    let unsigned = http
        .put(format!("{}/{}/{key}", access.storage_url, access.bucket))
        .body("x")
        .send()
        .await
        .expect("response");
    assert_eq!(unsigned.status().as_u16(), 403, "unsigned");
    assert!(
        client
            .object_storage()
            .context_exists(&access, "0123456789abcdef0123456789abcdef")
            .await
            .expect("HEAD")
    );
    assert!(
        !client
            .object_storage()
            .context_exists(&access, "ffffffffffffffffffffffffffffffff")
            .await
            .expect("HEAD")
    );
    // The log never holds the signing parameters.
    assert!(server.requests().iter().all(|r| !r.query.as_deref().unwrap_or("").contains(&token)));
    server.shutdown().await;
}

#[tokio::test]
async fn uploads_retry_put_and_head() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    let root = crate_dir();
    server.faults().fail_next(Route::S3Head, 1, 503);
    server.faults().fail_next(Route::S3Put, 1, 500);
    server.faults().drop_next(Route::S3Put, 1);
    let (hash, outcome) = upload(&client, root.path(), "sandbox").await;
    assert!(matches!(outcome, Upload::Uploaded { .. }));
    assert_eq!((server.count(Route::S3Head), server.count(Route::S3Put)), (2, 3));
    let mut expected = Vec::new();
    daytona_contract::context::write_tar(&root.path().join("sandbox"), "sandbox", &mut expected)
        .expect("tar");
    assert_eq!(
        std::fs::read(server.object_path(&hash)).expect("stored"),
        expected,
        "the retried PUT sent the whole tar"
    );

    // S3 errors keep their code.
    let once = server.client_builder().retry(RetryPolicy::none()).build().expect("client");
    let access = once.object_storage().push_access().await.expect("access");
    server.faults().fail_next(Route::S3Head, 1, 503);
    let error = once.object_storage().context_exists(&access, &hash).await.expect_err("503");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    server.shutdown().await;
}

/// A crate directory whose `big/` context is over two 5 MiB parts: `big/data.bin`
/// (12 MiB of a byte pattern that never repeats a part) and `big/small.txt`.
fn big_crate_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir_all(dir.path().join("big")).expect("mkdir");
    let data: Vec<u8> = (0u32..12 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(dir.path().join("big/data.bin"), data).expect("write");
    std::fs::write(dir.path().join("big/small.txt"), "small\n").expect("write");
    dir
}

/// Files left under the server's state directory whose name says they are parts of a
/// multipart upload.
fn leftover_parts(state: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![state.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n.to_string_lossy().contains(".part-")) {
                found.push(path);
            }
        }
    }
    found
}

// `docs/daytona-contract.md` §3.5: the Python SDK uploads every context as an S3
// multipart upload of 5 MiB parts; pithy does so for contexts over one part, streaming.
#[tokio::test]
async fn large_contexts_stream_as_multipart_uploads_and_retry_each_step() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    let root = big_crate_dir();
    server.faults().fail_next(Route::S3Post, 1, 503);
    server.faults().fail_next(Route::S3Put, 1, 500);
    server.faults().drop_next(Route::S3Put, 1);
    let (hash, outcome) = upload(&client, root.path(), "big").await;
    let mut expected = Vec::new();
    daytona_contract::context::write_tar(&root.path().join("big"), "big", &mut expected).expect("tar");
    assert_eq!(outcome, Upload::Uploaded { bytes: expected.len() as u64 });
    assert_eq!(std::fs::read(server.object_path(&hash)).expect("stored"), expected, "the parts, in order");
    // create (503, then again), 3 parts (5 + 5 + 2 MiB) of which one failed (500) and one
    // was stored but its answer cut off (so stored again), complete
    let ok = |route| server.requests().iter().filter(|r| r.route == route && r.status == Some(200)).count();
    assert_eq!((ok(Route::S3Post), ok(Route::S3Put)), (2, 4), "{:#?}", server.requests());
    assert_eq!((server.count(Route::S3Post), server.count(Route::S3Put)), (3, 5));
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.route == Route::S3Post && r.query.as_deref().is_some_and(|q| q.contains("uploads"))),
        "a multipart upload was started"
    );
    assert_eq!(leftover_parts(state.path()), Vec::<PathBuf>::new());

    let (_, again) = upload(&client, root.path(), "big").await;
    assert_eq!(again, Upload::Present);
    server.shutdown().await;
}

#[tokio::test]
async fn a_multipart_upload_whose_content_is_not_the_hash_is_aborted_and_stores_nothing() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    let root = big_crate_dir();
    let storage = client.object_storage();
    let access = storage.push_access().await.expect("push access");
    // The hash compiled before `small.txt` was edited (same size): the parts already sent
    // hold the new content, so the upload must not be completed.
    let compiled = md5(root.path(), "big");
    std::fs::write(root.path().join("big/small.txt"), "SMALL\n").expect("edit");
    let mut events = Vec::new();
    let error = storage
        .upload_context_with_progress(&access, &root.path().join("big"), "big", &compiled, &mut |e| {
            events.push(e)
        })
        .await
        .expect_err("changed since hashed");
    let changed = match &error {
        Error::Io { source, .. } => source.get_ref().and_then(|e| e.downcast_ref::<ContextChanged>()),
        _ => None,
    };
    assert_eq!(changed.map(|c| c.now.clone()), Some(md5(root.path(), "big")), "{error}");
    assert!(events.iter().all(|e| !matches!(e, UploadProgress::Uploading { .. })), "{events:?}");
    assert!(!server.object_path(&compiled).exists(), "nothing stored under the compiled hash");
    assert!(server.count(Route::S3Put) >= 2, "parts were sent while the tar was written");
    let aborted = server.requests().iter().any(|r| {
        r.method == "DELETE"
            && r.query.as_deref().is_some_and(|q| q.contains("uploadId"))
            && r.status == Some(204)
    });
    assert!(aborted, "the multipart upload was aborted: {:#?}", server.requests());
    assert_eq!(leftover_parts(state.path()), Vec::<PathBuf>::new(), "the parts are gone");
    server.shutdown().await;
}

#[tokio::test]
async fn upload_progress_reports_each_step_and_the_failing_one() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    let root = crate_dir();
    let storage = client.object_storage();
    let access = storage.push_access().await.expect("push access");
    let (source, hash) = (root.path().join("sandbox"), md5(root.path(), "sandbox"));

    let mut events = Vec::new();
    let outcome = storage
        .upload_context_with_progress(&access, &source, "sandbox", &hash, &mut |e| events.push(e))
        .await
        .expect("upload");
    let Upload::Uploaded { bytes } = outcome else { panic!("{outcome:?}") };
    assert_eq!(events.first(), Some(&UploadProgress::Archiving), "{events:?}");
    assert_eq!(events.last(), Some(&UploadProgress::Uploading { bytes }), "{events:?}");
    let archived: u64 =
        events.iter().map(|e| if let UploadProgress::Archived { bytes } = e { *bytes } else { 0 }).sum();
    let sizes = "#!/bin/sh\necho run\n".len() + "sandbox files\n".len();
    assert_eq!(archived, sizes as u64, "every file byte, once");

    let mut again = Vec::new();
    let outcome = storage
        .upload_context_with_progress(&access, &source, "sandbox", &hash, &mut |e| again.push(e))
        .await
        .expect("present");
    assert_eq!((outcome, again), (Upload::Present, vec![UploadProgress::Present]));

    // A context that cannot be archived fails after `Archiving`, with the tar's error.
    let mut failed = Vec::new();
    let missing = root.path().join("nope");
    let error = storage
        .upload_context_with_progress(&access, &missing, "nope", &"0".repeat(32), &mut |e| failed.push(e))
        .await
        .expect_err("nothing to archive");
    assert_eq!(failed, [UploadProgress::Archiving]);
    assert!(
        matches!(&error, Error::Io { source, .. } if source.to_string().starts_with("`nope` does not exist")),
        "{error}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn builds_check_contexts_and_copy_sources() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    let root = crate_dir();
    let (hash, _) = upload(&client, root.path(), "ctx/file.txt").await;

    let missing = "0123456789abcdef0123456789abcdef".to_owned();
    let s = client
        .snapshots()
        .create(&build(
            "nohash-v1",
            "FROM a:1\nCOPY [\"ctx/file.txt\", \"/f\"]\n",
            &[hash.clone(), missing.clone()],
        ))
        .await
        .expect("created");
    let failed = wait_terminal(&client, &s.id, SECS).await;
    assert_eq!(failed.state, SnapshotState::BuildFailed);
    assert_eq!(
        failed.error_reason.as_deref(),
        Some(format!("Context {missing} is not in object storage (expected daytona-volume-builds/{}/{missing}/context.tar)", server.organization_id()).as_str())
    );

    let s = client
        .snapshots()
        .create(&build(
            "outside-v1",
            "FROM a:1\nCOPY [\"ctx/file.txt\", \"/f\"]\nCOPY ctx/other.txt /o\n",
            std::slice::from_ref(&hash),
        ))
        .await
        .expect("created");
    let failed = wait_terminal(&client, &s.id, SECS).await;
    assert_eq!(failed.state, SnapshotState::BuildFailed);
    assert_eq!(
        failed.error_reason.as_deref(),
        Some("COPY source is not in the build context (the union of the context tars): \"ctx/other.txt\"")
    );
    let logs =
        client.snapshots().build_logs(&s.id, false).await.expect("logs").collect(5).await.expect("text");
    assert!(logs.contains("ERROR: COPY source is not in the build context"), "{logs}");

    let s = client
        .snapshots()
        .create(&build("globs-v1", "FROM a:1\nCOPY ctx/*.txt /x/\nCOPY . /all\n", &[hash]))
        .await
        .expect("created");
    assert_eq!(wait_terminal(&client, &s.id, SECS).await.state, SnapshotState::Active);
    server.shutdown().await;
}

#[tokio::test]
async fn stuck_and_failed_builds_can_be_injected() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let timeouts = Timeouts { log_idle: Duration::from_millis(200), ..Default::default() };
    let client = server.client_builder().retry(fast_retries()).timeouts(timeouts).build().expect("client");

    server.faults().stick("stuck-v1", SnapshotState::Building);
    let s = client.snapshots().create(&build("stuck-v1", "FROM a:1\n", &[])).await.expect("created");
    let mut logs = client.snapshots().build_logs(&s.id, true).await.expect("stream");
    let mut idle = 0;
    let mut text = String::new();
    for _ in 0..20 {
        match logs.next().await.expect("open") {
            Some(LogEvent::Text(t)) => text.push_str(&t),
            Some(LogEvent::Idle) => {
                idle += 1;
                if idle == 3 {
                    break;
                }
            }
            None => panic!("a followed stream of a building snapshot stays open"),
        }
    }
    assert_eq!(idle, 3);
    assert!(text.contains("held in state building by fault injection"), "{text}");
    assert_eq!(client.snapshots().get(&s.id).await.expect("get").state, SnapshotState::Building);

    server.faults().fail_build("broken-v1", "the runner ran out of disk");
    let s = client.snapshots().create(&build("broken-v1", "FROM a:1\n", &[])).await.expect("created");
    let failed = wait_terminal(&client, &s.id, SECS).await;
    assert_eq!(
        (failed.state, failed.error_reason.as_deref()),
        (SnapshotState::BuildFailed, Some("the runner ran out of disk"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn inactive_snapshots_are_activated() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    let s = client.snapshots().create(&build("act-v1", "FROM a:1\n", &[])).await.expect("created");
    wait_terminal(&client, &s.id, SECS).await;
    let error = client.snapshots().activate(&s.id).await.expect_err("already active");
    assert_eq!(
        error.to_string(),
        format!("Failed to activate snapshot: Snapshot {} is already active (HTTP 400)", s.id)
    );

    assert!(server.set_snapshot_state("act-v1", SnapshotState::Inactive));
    assert_eq!(client.snapshots().get("act-v1").await.expect("get").state, SnapshotState::Inactive);
    let pending = client.snapshots().activate(&s.id).await.expect("activated");
    assert_eq!(pending.state, SnapshotState::Pending);
    assert_eq!(wait_terminal(&client, &s.id, SECS).await.state, SnapshotState::Active);

    server.faults().stick("b-v1", SnapshotState::Building);
    let b = client.snapshots().create(&build("b-v1", "FROM a:1\n", &[])).await.expect("created");
    support::wait_for(&client, &b.id, SECS, |s| s == SnapshotState::Building).await;
    let error = client.snapshots().activate(&b.id).await.expect_err("building");
    assert_eq!(
        error.to_string(),
        format!(
            "Failed to activate snapshot: Snapshot {} cannot be activated - it is in building state (HTTP 400)",
            b.id
        )
    );
    server.shutdown().await;
}

/// `POST /snapshots/{id}/deactivate` (the client has no call for it; Daytona answers
/// with no body): the snapshot is `inactive` until activated again; an unknown id is 404.
#[tokio::test]
async fn deactivated_snapshots_are_inactive_until_activated() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    let s = client.snapshots().create(&build("deact-v1", "FROM a:1\n", &[])).await.expect("created");
    assert_eq!(wait_terminal(&client, &s.id, SECS).await.state, SnapshotState::Active);

    let (status, _) =
        raw(&server, reqwest::Method::POST, &format!("/snapshots/{}/deactivate", s.id), None).await;
    assert_eq!(status, 204);
    assert_eq!(client.snapshots().get("deact-v1").await.expect("get").state, SnapshotState::Inactive);
    client.snapshots().activate(&s.id).await.expect("activated");
    assert_eq!(wait_terminal(&client, &s.id, SECS).await.state, SnapshotState::Active);

    let unknown = "00000000-0000-4000-8000-000000000009";
    let (status, body) =
        raw(&server, reqwest::Method::POST, &format!("/snapshots/{unknown}/deactivate"), None).await;
    assert_eq!(
        (status, &body["message"]),
        (404, &serde_json::json!(format!("Snapshot {unknown} not found")))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn state_survives_a_restart() {
    let state = tempfile::tempdir().expect("a temp dir");
    let first = server(state.path(), BuildMode::CheckOnly).await;
    let (key, org) = (first.api_key().to_owned(), first.organization_id().to_owned());
    let c = client(&first);
    let s = c.snapshots().create(&build("keep-v1", "FROM a:1\n", &[])).await.expect("created");
    wait_terminal(&c, &s.id, SECS).await;
    first.shutdown().await;

    let second = server(state.path(), BuildMode::CheckOnly).await;
    assert_eq!((second.api_key(), second.organization_id()), (key.as_str(), org.as_str()));
    let c = client(&second);
    let kept = c.snapshots().get("keep-v1").await.expect("kept");
    assert_eq!((kept.id.as_str(), kept.state), (s.id.as_str(), SnapshotState::Active));
    let logs = c.snapshots().build_logs(&s.id, false).await.expect("logs").collect(5).await.expect("text");
    assert!(logs.contains("Snapshot keep-v1 is active"), "{logs}");
    second.shutdown().await;
}

/// A snapshot that was only checked has no image: creating a sandbox from it fails at
/// once, with a 400 saying so and how to get a real build; nothing is created.
#[tokio::test]
async fn sandboxes_from_a_checked_only_snapshot_are_refused_with_the_way_out() {
    let state = tempfile::tempdir().expect("a temp dir");
    let server = server(state.path(), BuildMode::CheckOnly).await;
    let client = client(&server);
    let s = client.snapshots().create(&build("sb-v1", "FROM a:1\n", &[])).await.expect("created");
    let s = wait_terminal(&client, &s.id, SECS).await;
    assert_eq!(s.state, SnapshotState::Active);
    assert_eq!(
        s.checked_only.as_deref(),
        Some("the local server runs with --local-build check, which never builds images")
    );

    let error =
        client.sandboxes().create_info(&CreateSandbox::from_snapshot("sb-v1")).await.expect_err("refused");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    let text = error.to_string();
    assert!(
        text.starts_with(
            "Failed to create sandbox: Snapshot sb-v1 was only checked, not built (the local server runs with \
             --local-build check, which never builds images), so no sandbox can run from it."
        ),
        "{text}"
    );
    assert!(text.contains("scripts/debian-base-image.sh"), "{text}");
    assert!(text.contains("then run `cargo xtask snapshot --local` again, which builds it"), "{text}");
    assert_eq!(server.count(Route::CreateSandbox), 1, "sent once, not retried");

    let error = client.sandboxes().create_info(&CreateSandbox::from_snapshot("nope")).await.expect_err("404");
    assert_eq!(error.to_string(), "Failed to create sandbox: Snapshot nope not found (HTTP 404)");
    server.shutdown().await;
}

#[test]
fn configuration_reads_the_environment_like_the_sdks() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    };
    let client = pj_daytona::ClientBuilder::from_env_with(env(&[
        ("DAYTONA_API_KEY", "dtn_env_key"),
        ("DAYTONA_API_URL", "http://127.0.0.1:9/api"),
        ("DAYTONA_TARGET", "eu"),
    ]))
    .build()
    .expect("client");
    assert_eq!((client.api_url(), client.target()), ("http://127.0.0.1:9/api", Some("eu")));
    assert!(!format!("{client:?}").contains("dtn_env_key"));

    let client = pj_daytona::ClientBuilder::from_env_with(env(&[
        ("DAYTONA_JWT_TOKEN", "eyJ"),
        ("DAYTONA_ORGANIZATION_ID", "org"),
    ]))
    .target("us")
    .build()
    .expect("client");
    assert_eq!((client.api_url(), client.target()), (pj_daytona::DEFAULT_API_URL, Some("us")));

    let error = pj_daytona::ClientBuilder::from_env_with(env(&[("DAYTONA_JWT_TOKEN", "eyJ")]))
        .build()
        .expect_err("no org");
    assert!(
        error.to_string().starts_with("Authentication credentials not found. Set DAYTONA_API_KEY"),
        "{error}"
    );
    // CLI users read it: environment variables, no Rust types.
    assert!(error.to_string().contains("DAYTONA_JWT_TOKEN and DAYTONA_ORGANIZATION_ID"), "{error}");
    assert!(!error.to_string().contains("ClientBuilder") && !error.to_string().contains("::"), "{error}");
    let error = pj_daytona::ClientBuilder::from_env_with(env(&[("DAYTONA_API_KEY", "  ")]))
        .build()
        .expect_err("blank");
    assert!(matches!(error, Error::Config(_)));
}
