//! pj-daytona's sandbox lifecycle against the local server, on real containers of the
//! reference image (published small, 1 CPU / 1 GB / 3 GB, so that several fit in the
//! organization's quotas): create (by the bound snapshot's id, with env, labels, resources,
//! user, intervals; an ephemeral one by name), get, list (a stream over cursor pages, with
//! filters), replace labels, the three intervals, public, stop, start, archive, waits (one
//! timing out, one failing because the container died), delete, and the errors the server
//! answers. What the Rust calls did is checked with the official Python SDK on the same
//! sandboxes (`tests/conformance/sdk_handle.py`) and with `docker` (no container left).
//! Scoped cleanup: the closure's error and a panic both leave no sandbox behind.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use pj_daytona::{Cleanup, Client, CreateSandbox, Error, ListSandboxes, Sandbox, SandboxState};
use pj_daytona_local::{BuildMode, LocalDaytona, Route};
use serde_json::json;
use support::sdk;

const SNAPSHOT: &str = "life-v1.0.0";

/// The ids a list gives, sorted.
async fn listed(client: &Client, query: &ListSandboxes) -> Vec<String> {
    let sandboxes: Vec<Sandbox> = client.sandboxes().list(query).try_collect().await.expect("the list");
    let mut ids: Vec<String> = sandboxes.iter().map(|s| s.id().to_owned()).collect();
    ids.sort();
    ids
}

/// `docker kill` of a sandbox's container: it exits 137, as if it crashed.
fn kill_container(id: &str) {
    let out = std::process::Command::new("docker")
        .args(["kill", &format!("pj-sandbox-{id}")])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("docker runs");
    assert!(out.status.success(), "docker kill failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    ids.sort();
    ids
}

async fn setup() -> (LocalDaytona, tempfile::TempDir, Client) {
    let (server, state) = support::server(BuildMode::Docker).await;
    support::reference::publish(&server, SNAPSHOT, 1, 1, 3).await;
    let client = server.client_builder().build().expect("a client");
    (server, state, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_through_its_lifecycle_as_the_sdk_sees_it() {
    let (server, _state, client) = setup().await;
    let containers = support::SandboxContainers(&server);
    let run = format!("life-{}", std::process::id());

    // Created by the bound snapshot's id (the binding's way), with all the options.
    let request = CreateSandbox::default()
        .env("PJ_SECRET", "s3cr3t-value-never-printed")
        .env("PLAIN", "x")
        .label("run", &run)
        .label("role", "main")
        .resources(1, 1, 3)
        .user("root")
        .auto_stop_interval(0)
        .auto_archive_interval(60)
        .auto_delete_interval(-1)
        .public(false);
    let bound = client.bound(SNAPSHOT, &pithy_jaunt::PITHY_DEFINITION.build_key);
    let mut main = bound.create_sandbox(request).await.expect("created from the bound snapshot");
    let creates: Vec<_> = server.requests().into_iter().filter(|r| r.route == Route::CreateSandbox).collect();
    assert_eq!(creates.len(), 1);
    let id = main.id().to_owned();
    let info = main.info();
    assert_eq!(info.state, Some(SandboxState::Started));
    assert_eq!(info.snapshot.as_deref(), Some(SNAPSHOT), "the server names the snapshot it used");
    assert_eq!((info.cpu, info.memory, info.disk), (1.0, 1.0, 3.0));
    assert_eq!(info.user, "root");
    assert_eq!(info.labels.get("run"), Some(&run));
    assert_eq!(
        (info.auto_stop_interval, info.auto_archive_interval, info.auto_delete_interval),
        (Some(0.0), Some(60.0), Some(-1.0))
    );
    let shown = format!("{main:?} {info:?}");
    assert!(!shown.contains("s3cr3t-value"), "an env value in Debug: {shown}");

    // Ephemeral, by name: deleted when it stops.
    let mut ephemeral = client
        .sandboxes()
        .create(
            &CreateSandbox::from_snapshot(SNAPSHOT).name(format!("{run}-eph")).label("run", &run).ephemeral(),
        )
        .await
        .expect("an ephemeral sandbox");
    assert_eq!(ephemeral.info().auto_delete_interval, Some(0.0));

    // Get by id and by name; a missing one is a 404.
    let got = client.sandboxes().get(&id).await.expect("by id");
    assert_eq!(got.info().env.keys().collect::<Vec<_>>(), ["PJ_SECRET", "PLAIN"]);
    let by_name = client.sandboxes().get(&format!("{run}-eph")).await.expect("by name");
    assert_eq!(by_name.id(), ephemeral.id());
    let missing = client.sandboxes().get("no-such-sandbox").await.expect_err("missing");
    assert!(missing.is_not_found(), "{missing:?}");
    assert_eq!(
        missing.to_string(),
        "Failed to get sandbox: Sandbox with ID or name no-such-sandbox not found (HTTP 404)"
    );

    // List: by label, page by page (one sandbox a page), by state, by name prefix.
    let both = sorted(&[&id, ephemeral.id()]);
    assert_eq!(listed(&client, &ListSandboxes::default().label("run", &run)).await, both);
    server.clear_requests();
    assert_eq!(listed(&client, &ListSandboxes::default().label("run", &run).page_size(1)).await, both);
    let pages = server.requests().iter().filter(|r| r.operation == Some("listSandboxes")).count();
    assert_eq!(pages, 2, "one page per sandbox, and no request past the last page");
    let mut first = client.sandboxes().list(&ListSandboxes::default().label("run", &run).page_size(1));
    assert!(first.next().await.is_some());
    drop(first);
    assert_eq!(
        listed(&client, &ListSandboxes::default().label("role", "main")).await,
        vec![id.clone()],
        "labels filter together"
    );
    assert!(
        listed(&client, &ListSandboxes::default().label("run", &run).state(SandboxState::Stopped))
            .await
            .is_empty()
    );
    assert_eq!(
        listed(&client, &ListSandboxes::default().name(format!("{run}-e"))).await,
        [ephemeral.id().to_owned()]
    );
    let mut bad = ListSandboxes::default();
    bad.sort = Some("size".into());
    let error = client.sandboxes().list(&bad).try_collect::<Vec<_>>().await.expect_err("a bad sort");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error}");

    // Labels, intervals, public: each answer kept on the handle.
    main.replace_labels([("run", run.as_str()), ("stage", "ci")]).await.expect("labels");
    assert_eq!(
        main.info().labels,
        BTreeMap::from([("run".into(), run.clone()), ("stage".into(), "ci".into())])
    );
    main.set_auto_stop_interval(30).await.expect("auto-stop");
    assert_eq!(main.info().auto_stop_interval, Some(30.0));
    main.set_auto_archive_interval(120).await.expect("auto-archive");
    assert_eq!(main.info().auto_archive_interval, Some(120.0));
    main.set_auto_delete_interval(600).await.expect("auto-delete");
    assert_eq!(main.info().auto_delete_interval, Some(600.0));
    main.set_public(true).await.expect("public");
    assert!(main.info().public);

    // The official SDK on the same sandboxes.
    let sdk_run = sdk::Script::new("sdk_handle.py")
        .arg("run")
        .arg(&run)
        .arg(&id)
        .arg(ephemeral.id())
        .run(&server)
        .await;
    let seen = &sdk_run.json["sandboxes"][&id];
    assert_eq!(seen["state"], "started");
    assert_eq!(seen["labels"], json!({"run": run, "stage": "ci"}));
    assert_eq!(
        (&seen["autoStop"], &seen["autoArchive"], &seen["autoDelete"]),
        (&json!(30), &json!(120), &json!(600))
    );
    assert_eq!(seen["public"], true);
    assert_eq!((&seen["cpu"], &seen["memory"]), (&json!(1), &json!(1)));
    assert_eq!(seen["envKeys"], json!(["PJ_SECRET", "PLAIN"]));
    assert_eq!(seen["whoami"], "root", "the user the sandbox was created with");
    assert_eq!(seen["secretArrived"], "yes");
    assert_eq!(sdk_run.json["sandboxes"][ephemeral.id()]["autoDelete"], 0);
    // `stage` replaced `role`: only the label filter both sides share.
    assert_eq!(sdk_run.json["listed"], json!(both));
    assert!(!sdk_run.stdout.contains("s3cr3t-value"), "the SDK script printed an env value");

    // Stop, then what a stopped sandbox refuses; start, archive.
    main.stop().await.expect("stopped");
    assert_eq!(main.info().state, Some(SandboxState::Stopped));
    let again = main.stop().await.expect_err("a stopped sandbox does not stop");
    assert_eq!(again.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(again.to_string(), "Failed to stop sandbox: Sandbox is not started (HTTP 400)");
    let sdk_stopped = sdk::Script::new("sdk_handle.py").arg("run").arg(&run).arg(&id).run(&server).await;
    assert_eq!(sdk_stopped.json["sandboxes"][&id]["state"], "stopped", "the SDK sees it stopped");
    main.set_auto_stop_interval(0).await.expect("intervals change on a stopped sandbox too");
    assert_eq!(main.info().state, Some(SandboxState::Stopped));
    main.start().await.expect("started again");
    assert_eq!(main.info().state, Some(SandboxState::Started));
    main.start().await.expect("Daytona leaves a started sandbox as it is");
    let not_stopped = main.archive().await.expect_err("a started sandbox is not archived");
    assert_eq!(not_stopped.to_string(), "Failed to archive sandbox: Sandbox is not stopped (HTTP 400)");
    main.stop().await.expect("stopped");
    main.archive().await.expect("archived");
    main.wait_for(SandboxState::Archived, Duration::from_secs(10)).await.expect("archived");
    main.refresh().await.expect("refreshed");
    assert_eq!(main.info().state, Some(SandboxState::Archived));
    assert_eq!(main.info().env.len(), 2, "a refresh reads the env the list leaves out");
    main.start().await.expect("started from the archive");

    // A wait that times out; a wait the sandbox fails (its container died).
    let timeout =
        main.wait_for(SandboxState::Stopped, Duration::from_secs(2)).await.expect_err("never stops");
    assert!(timeout.is_timeout(), "{timeout:?}");
    assert_eq!(timeout.to_string(), "Failed to wait for sandbox: timed out after 2s");
    kill_container(&id);
    let failed = main.wait_for(SandboxState::Stopped, Duration::from_secs(30)).await.expect_err("it failed");
    match &failed {
        Error::SandboxFailed { sandbox, state: SandboxState::Error, reason: Some(reason), .. } => {
            assert_eq!(sandbox, &id);
            assert!(reason.contains("137"), "the exit code is in the reason: {reason}");
        }
        other => panic!("expected the sandbox's failure, got {other:?}"),
    }
    assert!(
        failed.to_string().starts_with(&format!(
            "Failed to wait for sandbox: Sandbox {id} entered error state: error, error reason: "
        )),
        "{failed}"
    );
    let refused = main.start().await.expect_err("an errored sandbox does not start");
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400), "{refused}");

    // The ephemeral one is gone once stopped.
    ephemeral.stop().await.expect("stopped");
    assert_eq!(ephemeral.info().state, Some(SandboxState::Destroyed));
    assert!(client.sandboxes().get(ephemeral.id()).await.expect_err("gone").is_not_found());
    assert_eq!(support::sandbox_containers(ephemeral.id()), "");

    // Delete; then everything about it is a 404.
    main.delete().await.expect("deleted");
    assert_eq!(support::sandbox_containers(&id), "", "its container is gone");
    assert!(main.delete().await.expect_err("deleted twice").is_not_found());
    assert!(main.refresh().await.expect_err("gone").is_not_found());
    assert!(main.set_public(false).await.expect_err("gone").is_not_found());
    assert!(main.start().await.expect_err("gone").is_not_found());
    assert!(listed(&client, &ListSandboxes::default().label("run", &run)).await.is_empty());
    drop(containers);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_deletes_the_sandbox_after_an_error_a_panic_or_success() {
    let (server, _state, client) = setup().await;
    let containers = support::SandboxContainers(&server);
    let request = CreateSandbox::from_snapshot(SNAPSHOT);
    let sandboxes = client.sandboxes();
    let create = || sandboxes.create(&request);

    // Success: the value, and the sandbox deleted.
    let sandbox = create().await.expect("a sandbox");
    let id = sandbox.id().to_owned();
    let value =
        sandbox.scoped(|s| async move { Ok::<_, Error>(s.info().state) }).await.expect("the closure's value");
    assert_eq!(value, Some(SandboxState::Started));
    assert!(client.sandboxes().get(&id).await.expect_err("deleted").is_not_found());
    assert_eq!(support::sandbox_containers(&id), "");

    // The closure's error comes back, and the sandbox is deleted.
    let sandbox = create().await.expect("a sandbox");
    let id = sandbox.id().to_owned();
    let error = sandbox
        .scoped(|mut s| async move {
            s.stop().await?;
            s.archive().await?;
            Err::<(), _>(Error::Config("the work failed".into()))
        })
        .await
        .expect_err("the closure's error");
    assert_eq!(error.to_string(), "the work failed");
    assert!(client.sandboxes().get(&id).await.expect_err("deleted").is_not_found());
    assert_eq!(support::sandbox_containers(&id), "", "no container after the error");

    // A panic goes on, after the sandbox is deleted.
    let sandbox = create().await.expect("a sandbox");
    let id = sandbox.id().to_owned();
    let task = tokio::spawn(sandbox.scoped(|_s| async move {
        if std::hint::black_box(true) {
            panic!("the work panicked");
        }
        Ok::<(), Error>(())
    }));
    let joined = task.await.expect_err("the panic goes on");
    assert!(joined.is_panic());
    assert!(client.sandboxes().get(&id).await.expect_err("deleted").is_not_found());
    assert_eq!(support::sandbox_containers(&id), "", "no container after the panic");

    // A closure that deleted the sandbox itself is not an error.
    let sandbox = create().await.expect("a sandbox");
    sandbox.scoped(|s| async move { s.delete().await }).await.expect("already gone is fine");

    // Kept: the sandbox is still there.
    let sandbox = create().await.expect("a sandbox");
    let id = sandbox.id().to_owned();
    sandbox.scoped_with(Cleanup::Keep, |_| async { Ok::<_, Error>(()) }).await.expect("kept");
    let kept = client.sandboxes().get(&id).await.expect("still there");
    assert_eq!(kept.info().state, Some(SandboxState::Started));
    kept.delete().await.expect("deleted");
    assert_eq!(support::sandbox_containers(&id), "");
    drop(containers);
    server.shutdown().await;
}
