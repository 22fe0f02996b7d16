//! Conformance: the official Daytona Python SDK (`daytona==0.226.1`, installed in
//! `tests/conformance/.venv` by `tests/conformance/setup.sh`) against the local server.
//!
//! The SDK creates a snapshot from an `Image` with a local file and a local directory
//! (so it uploads both through the S3 endpoint, with its own obstore client, SigV4 and
//! the session token), follows the build log, gets it, lists it, gets its own
//! `DaytonaConflictError` on a second create of the same name, deletes it and gets
//! `DaytonaNotFoundError`. The only change to the SDK is the `allow_http` of
//! `docs/daytona-contract.md` §7.

mod support;

use std::time::Duration;

use pj_daytona_local::{BuildMode, Route};
use serde_json::Value;
use support::{provision, sdk};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_creates_follows_lists_conflicts_and_deletes() {
    // The SDK polls once a second and streams logs only once it sees `building`.
    let (server, _state) = support::server_with(|config| {
        config.build_mode(BuildMode::CheckOnly).min_build_time(Duration::from_secs(3))
    })
    .await;

    let work = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir_all(work.path().join("ctx")).expect("mkdir");
    std::fs::write(work.path().join("ctx/file.txt"), "hello\n").expect("write");
    std::fs::create_dir_all(work.path().join("sandbox/bin")).expect("mkdir");
    std::fs::write(work.path().join("sandbox/bin/run.sh"), "#!/bin/sh\necho run\n").expect("write");
    std::fs::write(work.path().join("sandbox/README"), "sandbox files\n").expect("write");

    let workdir = work.path().to_str().expect("a UTF-8 path");
    let out = sdk::run(&server, "sdk_snapshot.py", &[workdir, "sdk-conformance-v1"]).await.json;

    assert_eq!(out["sdk"], "0.226.1");
    assert_eq!(out["created"]["state"], "active", "{out}");
    assert_eq!(out["got"]["state"], "active");
    assert_eq!(out["got"]["id"], out["created"]["id"]);
    assert_eq!(
        (&out["got"]["cpu"], &out["got"]["mem"], &out["got"]["disk"]),
        (&Value::from(1), &Value::from(1), &Value::from(3))
    );
    let dockerfile = "FROM pj-test-base:1\nCOPY [\"ctx/file.txt\", \"/app/file.txt\"]\nCOPY [\"sandbox\", \"/app/sandbox\"]\nRUN cat /app/file.txt\n";
    assert_eq!(out["got"]["dockerfile"], dockerfile);
    let hashes: Vec<String> = serde_json::from_value(out["got"]["hashes"].clone()).expect("hashes");
    assert_eq!(hashes.len(), 2);
    assert_eq!(
        hashes[0], "0062767e43a7b98b63a594b2504ce32c",
        "the SDK's file hash (docs/daytona-contract.md §2.5 Ex1)"
    );
    assert_eq!(
        hashes[0],
        pj_image::context::hash(&work.path().join("ctx/file.txt"), "ctx/file.txt").expect("hash")
    );
    assert_eq!(out["got"]["snapshotRef"], pj_image::build_key(dockerfile, &hashes));
    for hash in &hashes {
        assert!(server.object_path(hash).is_file(), "the SDK uploaded {hash} through S3");
    }

    // The SDK followed the build log (it only does so while the snapshot is building).
    let logs: Vec<String> = serde_json::from_value(out["logs"].clone()).expect("logs");
    let text = logs.join("\n");
    assert!(text.contains("Creating snapshot sdk-conformance-v1 (SnapshotState.BUILDING)"), "{text}");
    assert!(text.contains("every COPY source is present"), "{text}");
    assert!(text.contains("Created snapshot sdk-conformance-v1 (SnapshotState.ACTIVE)"), "{text}");

    let names: Vec<String> = serde_json::from_value(out["list"]["names"].clone()).expect("names");
    assert_eq!(names, ["sdk-conformance-v1"]);
    assert_eq!((&out["list"]["total"], &out["list"]["totalPages"]), (&Value::from(1), &Value::from(1)));

    assert_eq!(out["conflict"]["type"], "DaytonaConflictError");
    assert_eq!(out["conflict"]["status"], 409);
    assert_eq!(
        out["conflict"]["message"],
        "Failed to create snapshot: Snapshot with name \"sdk-conformance-v1\" already exists for this organization"
    );
    // The SDK reads the deleted snapshot as `removing` until it is gone.
    let removing: Vec<String> = serde_json::from_value(out["removingStates"].clone()).expect("states");
    assert!(!removing.is_empty() && removing.iter().all(|s| s == "removing"), "{removing:?}");
    assert_eq!(out["afterDelete"]["type"], "DaytonaNotFoundError");
    assert_eq!(
        out["afterDelete"]["message"],
        "Failed to get snapshot: Snapshot sdk-conformance-v1 not found"
    );

    // What went over the wire: two uploads (always multipart in this SDK) on the first
    // create, none on the second (HEAD finds both objects), two POSTs, one delete.
    let count = |route| server.count(route);
    assert_eq!(count(Route::PushAccess), 2);
    assert_eq!(count(Route::S3Head), 4);
    assert_eq!(count(Route::S3Put), 2, "one part per context");
    assert_eq!(count(Route::S3Post), 4, "create + complete per context");
    assert_eq!(count(Route::CreateSnapshot), 2);
    assert!(count(Route::BuildLogsUrl) >= 1 && count(Route::BuildLogs) >= 1);
    assert_eq!(count(Route::DeleteSnapshot), 1);
    // The only failures: the first HEADs (404: not uploaded yet), the second create
    // (409), the get after delete (404), and the SDK's event socket, which Daytona's SDK
    // tolerates a 404 for (docs/daytona-contract.md §4.1).
    for record in server.requests().iter().filter(|r| r.status.is_none_or(|s| s >= 400)) {
        let expected = match record.route {
            Route::S3Head | Route::GetSnapshot => record.status == Some(404),
            Route::CreateSnapshot => record.status == Some(409),
            Route::Other => record.path.starts_with("/api/socket.io") && record.status == Some(404),
            _ => false,
        };
        assert!(expected, "unexpected failure: {record:?}");
    }
    server.shutdown().await;
}

/// The SDK's sandbox life on a real Docker build: `Daytona.create` from the snapshot
/// (its generated `Sandbox` model accepts the server's answer), `process.exec` through
/// the toolbox proxy (a file of the image, `env=`, a non-zero exit code, `cwd=`), and
/// `Daytona.delete`, after which the container is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_creates_a_sandbox_runs_commands_and_deletes_it() {
    provision::base_image();
    let (server, _state) = support::server(BuildMode::Docker).await;
    let work = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir_all(work.path().join("ctx")).expect("mkdir");
    std::fs::write(work.path().join("ctx/file.txt"), "hello from the image\n").expect("write");

    let workdir = work.path().to_str().expect("a UTF-8 path");
    let out = sdk::run(&server, "sdk_sandbox.py", &[workdir, "sdk-sandbox-v1"]).await.json;

    assert_eq!(out["sdk"], "0.226.1");
    assert_eq!(out["snapshot"]["state"], "active", "{out}");
    let sandbox = &out["sandbox"];
    let id = sandbox["id"].as_str().expect("a sandbox id").to_owned();
    assert_eq!(sandbox["state"], "started", "{out}");
    assert_eq!(sandbox["snapshot"], "sdk-sandbox-v1");
    assert_eq!(sandbox["target"], "us");
    assert_eq!(
        (&sandbox["cpu"], &sandbox["memory"], &sandbox["disk"]),
        (&Value::from(1), &Value::from(1), &Value::from(3))
    );
    assert_eq!(sandbox["labels"]["code-toolbox-language"], "python", "the SDK's label is kept");
    assert_eq!(sandbox["toolboxProxyUrl"], format!("{}/toolbox", server.url().trim_end_matches("/api")));

    assert_eq!(out["file"], serde_json::json!({"exitCode": 0, "result": "hello from the image\n"}));
    assert_eq!(out["env"], serde_json::json!({"exitCode": 0, "result": "hi\n"}));
    assert_eq!(out["exit"]["exitCode"], 3, "{out}");
    assert_eq!(out["cwd"], serde_json::json!({"exitCode": 0, "result": "/app\n"}));

    assert_eq!(out["deleted"]["state"], "destroyed");
    assert_eq!(out["afterDelete"]["type"], "DaytonaNotFoundError");
    assert_eq!(out["afterDelete"]["status"], 404);
    assert_eq!(support::sandbox_containers(&id), "", "the sandbox's container is gone");

    let count = |route| server.count(route);
    assert_eq!(count(Route::CreateSandbox), 1);
    assert_eq!(count(Route::ToolboxExecute), 4, "every exec went through the toolbox");
    assert_eq!(count(Route::DeleteSandbox), 1);
    for record in server.requests().iter().filter(|r| r.status.is_none_or(|s| s >= 400)) {
        let expected = match record.route {
            Route::S3Head | Route::GetSandbox => record.status == Some(404),
            Route::Other => record.path.starts_with("/api/socket.io") && record.status == Some(404),
            _ => false,
        };
        assert!(expected, "unexpected failure: {record:?}");
    }
    server.shutdown().await;
}
