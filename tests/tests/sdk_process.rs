//! Conformance: the official Daytona Python SDK (`daytona==0.226.1`, in
//! `tests/conformance/.venv`) drives `sandbox.process` against the local server on a real
//! Docker build (`tests/conformance/sdk_process.py`): exec (cwd, env, timeout, a daemon,
//! non-UTF-8 and huge output), code_run, sessions with streamed logs and input, the
//! entrypoint session and the bad inputs. The script checks each call, and the container's
//! own view (`docker exec ... ps`) for the processes that must be gone; the harness
//! (`support::sdk`) fails the test on any `FAIL` line. Afterwards the sandbox's container
//! is gone.

mod support;

use std::time::Duration;

use pj_daytona_local::BuildMode;
use serde_json::Value;
use support::{provision, sdk};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_process_exec_code_run_and_sessions() {
    provision::reference_base();
    let (server, _state) = support::server(BuildMode::Docker).await;

    let run = sdk::Script::new("sdk_process.py")
        .arg("sdk-process-v1")
        .timeout(Duration::from_secs(1200))
        .run(&server)
        .await;

    let out = &run.json;
    assert_eq!(out["sdk"], "0.226.1");
    assert_eq!(out["failed"], Value::Array(Vec::new()), "{out}");
    assert_eq!(out["passed"].as_u64(), Some(run.passes.len() as u64));
    assert_eq!(run.passes.len(), 34, "every check of the script ran: {:#?}", run.passes);
    for operation in [
        "ExecuteCommand",
        "CodeRun",
        "CreateSession",
        "ListSessions",
        "GetSession",
        "DeleteSession",
        "SessionExecuteCommand",
        "GetSessionCommand",
        "GetSessionCommandLogs",
        "SendInput",
        "GetEntrypointSession",
        "GetEntrypointLogs",
    ] {
        assert!(run.operations.contains(operation), "the SDK made the server answer {operation}");
    }
    // The streamed logs went over a WebSocket (101), as Daytona's daemon serves them.
    assert!(
        run.requests.iter().any(|r| r.operation == Some("GetSessionCommandLogs") && r.status == Some(101)),
        "no WebSocket upgrade for the followed logs"
    );

    let container = out["container"].as_str().expect("the container's name");
    let inspect =
        std::process::Command::new("docker").args(["inspect", container]).output().expect("docker runs");
    assert!(!inspect.status.success(), "the sandbox's container {container} is gone");
    server.shutdown().await;
}
