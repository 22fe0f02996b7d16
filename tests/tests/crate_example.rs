//! pj-daytona's crate page opens with a complete example, `daytona/examples/sandbox.rs`
//! (the page includes that file as a `no_run` doc test, so what the page shows is what
//! runs here): this test runs it against the local server on the reference snapshot, bound
//! by the reference definition's build key, in a real container.
//!
//! Expected values are the test's own: the task's words one per line (what the command
//! streams) and their count (what it writes to the result file); and the container itself,
//! through `docker ps`, shows that the sandbox is gone afterwards.

mod support;

#[path = "../../daytona/examples/sandbox.rs"]
#[allow(dead_code)] // its `main`, which `cargo run --example sandbox` runs
mod example;

use pj_daytona_local::BuildMode;
use support::reference;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crate_page_example_runs_a_task_in_a_sandbox() {
    let (server, _state) = support::server(BuildMode::Docker).await;
    let snapshot = reference::snapshot(&server).await;
    let containers = support::SandboxContainers(&server);
    let client = server.client_builder().build().expect("a client of the test server");
    let build_key = &pithy_jaunt::PITHY_DEFINITION.build_key;

    let task = "count the words of this task";
    let outcome = example::run_task(&client, &snapshot, build_key, task).await.expect("the example runs");

    let words: Vec<&str> = task.split_whitespace().collect();
    assert_eq!(outcome.exit_code, 0, "the command's exit code; it printed:\n{}", outcome.streamed);
    assert_eq!(outcome.streamed, format!("{}\n", words.join("\n")), "the streamed output: one word a line");
    assert_eq!(outcome.result, words.len().to_string(), "the downloaded result: the word count");

    // The sandbox the example made (its toolbox calls name it) has no container left.
    let ids: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.path.strip_prefix("/toolbox/")?.split('/').next().map(str::to_owned))
        .collect();
    let id = ids.first().expect("the example reached a sandbox's toolbox");
    assert!(ids.iter().all(|other| other == id), "one sandbox: {ids:?}");
    assert_eq!(support::sandbox_containers(id), "", "the example deleted its sandbox's container");

    // Bound means bound: a build key the snapshot was not built from is refused, and no
    // sandbox is made.
    let refused = example::run_task(&client, &snapshot, "daytona-0000:daytona", task).await;
    match refused {
        Err(pj_daytona::Error::Unbound { .. }) => {}
        Err(other) => panic!("another build key should be refused as unbound, not {other}"),
        Ok(_) => panic!("another build key should be refused, not run"),
    }

    drop(containers);
    server.shutdown().await;
}
