//! An operation the local server does not implement, as the official Python SDK sees it:
//! `sandbox.fork()`, `sandbox.computer_use.start()` (through the toolbox) and
//! `daytona.volume.list()` raise the SDK's error with the server's 501 message naming the
//! operation, on a sandbox of the reference image (`tests/conformance/sdk_unimplemented.py`).

mod support;

use std::collections::BTreeSet;

use pj_daytona_local::{BuildMode, implemented_operations};
use support::{reference, sdk};

const CALLED: [&str; 3] = ["forkSandbox", "StartComputerUse", "listVolumes"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_raises_the_servers_501_message() {
    for op in CALLED {
        assert!(
            !implemented_operations().contains(&op),
            "{op} is implemented now: make tests/conformance/sdk_unimplemented.py call another operation"
        );
    }
    let (server, _state) = support::server(BuildMode::Docker).await;
    let snapshot = reference::snapshot(&server).await;

    let run = sdk::run(&server, "sdk_unimplemented.py", &[&snapshot]).await;

    assert_eq!(run.unimplemented, BTreeSet::from(CALLED), "the SDK reached exactly these 501s");
    for op in CALLED {
        let error = &run.json["errors"][op];
        assert_eq!(error["status"], 501, "{op}: {error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.ends_with(&format!("the local Daytona server does not implement {op}")), "{message}");
    }
    assert_eq!(
        run.json["errors"]["forkSandbox"]["message"],
        "Failed to fork sandbox: the local Daytona server does not implement forkSandbox"
    );
    server.shutdown().await;
}
