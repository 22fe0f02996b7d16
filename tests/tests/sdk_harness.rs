//! The official-SDK harness (`support/sdk.rs`) fails the test on every way a script can
//! go wrong, instead of passing in silence: a `FAIL` line, no `PASS` line, no final JSON
//! object, a `"failure"` in it, a non-zero exit, the API key in the output, a hang
//! (`tests/conformance/harness_selftest.py` misbehaves in each way on purpose).

mod support;

use std::time::Duration;

use pj_daytona_local::BuildMode;
use support::sdk::Script;

/// The panic message of running `harness_selftest.py mode`, which must fail.
async fn failure(server: &pj_daytona_local::LocalDaytona, mode: &str) -> String {
    let script = Script::new("harness_selftest.py").arg(mode).timeout(Duration::from_secs(5));
    // The run borrows the server; a panic in it is caught as the test's would be.
    let outcome = panic_of(script.run(server)).await;
    outcome.unwrap_or_else(|| panic!("the harness accepted a run of mode {mode}"))
}

/// Polls `future` and returns its panic message, or `None` when it completed.
async fn panic_of<F: std::future::Future>(future: F) -> Option<String> {
    let mut future = std::pin::pin!(future);
    let caught = std::panic::AssertUnwindSafe(std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(_)) => std::task::Poll::Ready(None),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(payload) => std::task::Poll::Ready(Some(
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default(),
            )),
        }
    }));
    caught.0.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_run_fails_the_test_and_says_why() {
    let (server, _state) = support::server(BuildMode::CheckOnly).await;
    for (mode, says) in [
        ("fail", "harness_selftest.py: 1 failed:\nFAIL selftest: another call: it went wrong"),
        ("no-pass", "printed no PASS line"),
        ("no-json", "the last line is not a JSON object"),
        ("failure-json", "reported a failure"),
        ("exit", "exited with exit status: 3"),
        ("secret", "printed a secret"),
        ("hang", "did not finish within 5s; killed"),
    ] {
        let message = failure(&server, mode).await;
        assert!(message.contains(says), "{mode}: {message}");
        assert!(!message.contains(server.api_key()), "{mode}: the failure shows the key");
    }
    server.shutdown().await;
}
