//! Conformance: the official Daytona Python SDK (`daytona==0.226.1`) through sandboxes'
//! lifecycle on the local server, on a real Docker build (`tests/conformance/sdk_lifecycle.py`,
//! through the SDK harness, `support::sdk`): a snapshot with resources, a sandbox with env
//! vars, labels and auto-stop, its cgroup limits read inside, list by labels and states, an
//! idle sandbox auto-stopped (the server's minute is one second), labels, public and intervals
//! set, stop, a toolbox call refused while stopped, start, archive, delete, and the bad inputs.
//! Then the sandboxes' containers are checked gone with `docker`.

mod support;

use std::time::Duration;

use pj_daytona_local::{BuildMode, Quotas};
use serde_json::json;
use support::{provision, sdk};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_sandboxes_through_their_lifecycle() {
    provision::base_image();
    let (server, _state) = support::server_with(|config| {
        let mut quotas = Quotas::default();
        quotas.total_memory = 32;
        quotas.total_cpu = 16;
        config
            .build_mode(BuildMode::Docker)
            .quotas(quotas)
            // The SDK polls once a second and follows the build log only while it builds.
            .min_build_time(Duration::from_secs(2))
            // One minute of auto-stop lasts one second, so the script sees an idle sandbox stop.
            .lifecycle_minute(Some(Duration::from_secs(1)))
    })
    .await;
    let sandboxes = support::SandboxContainers(&server);

    let run = sdk::Script::new("sdk_lifecycle.py").arg("sdk-lifecycle-v1").run(&server).await;
    let out = &run.json;
    assert!(
        run.passes.len() >= 35,
        "every SDK call reported ({} PASS lines):\n{}",
        run.passes.len(),
        run.stdout
    );
    assert_eq!(out["sdk"], "0.226.1");
    let sandbox = &out["sandbox"];
    assert_eq!(
        (&sandbox["cpu"], &sandbox["memory"], &sandbox["state"]),
        (&json!(2), &json!(4), &json!("started"))
    );
    assert_eq!(out["env"], "hello lifecycle|a\nb");
    // The limits as the process inside the container read them: 2 CPUs of quota, 4 GiB.
    let cgroup: Vec<String> = serde_json::from_value(out["cgroup"].clone()).expect("cgroup lines");
    let quota: Vec<f64> = cgroup[0].split_whitespace().map(|n| n.parse().expect("a number")).collect();
    assert_eq!(quota[0] / quota[1], 2.0, "{cgroup:?}");
    assert_eq!(cgroup[1], (4u64 << 30).to_string());
    assert_eq!(out["idle"]["state"], "stopped", "auto-stop: {out}");
    assert_eq!(out["intervals"], json!([30, 60, -1]));
    assert_eq!(out["onStopped"]["status"], 400, "{out}");
    assert_eq!(out["unknown"]["status"], 404);
    assert_eq!(
        out["unknown"]["message"],
        "Failed to get sandbox: Sandbox with ID or name no-such-sandbox not found"
    );
    for operation in [
        "startSandbox",
        "stopSandbox",
        "archiveSandbox",
        "replaceLabels",
        "updatePublicStatus",
        "setAutostopInterval",
        "setAutoArchiveInterval",
        "setAutoDeleteInterval",
        "listSandboxes",
    ] {
        assert!(run.operations.contains(operation), "the SDK reached {operation}: {:?}", run.operations);
    }
    let deleted: Vec<String> = serde_json::from_value(out["deleted"].clone()).expect("ids");
    assert_eq!(deleted.len(), 2);
    for id in &deleted {
        assert_eq!(support::sandbox_containers(id), "", "sandbox {id}'s container is gone");
    }
    drop(sandboxes);
    server.shutdown().await;
}
