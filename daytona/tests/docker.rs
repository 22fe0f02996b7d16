//! End to end with this machine's Docker engine: the local server builds a small image
//! from an uploaded context (base image `pj-test-base:1`, made locally by
//! `tests/conformance/setup.sh`; no registry is reachable), `docker run` of the result
//! shows the copied file, a sandbox runs it and the toolbox executes commands in it.

#[path = "../../tests/conformance/provision.rs"]
mod provision;
mod support;

use std::time::Duration;

use pj_daytona::server::{BuildMode, LocalDaytona, ServerConfig};
use pj_daytona::{
    CreateBuildInfo, CreateSandbox, CreateSnapshot, ExecuteRequest, SandboxState, SnapshotState,
};

const BASE: &str = "pj-test-base:1";
const BUILD: Duration = Duration::from_secs(300);

fn docker(args: &[&str]) -> Option<std::process::Output> {
    std::process::Command::new("docker").args(args).stdin(std::process::Stdio::null()).output().ok()
}

fn docker_ready() -> bool {
    let engine = || docker(&["info", "--format", "{{.ServerVersion}}"]).is_some_and(|o| o.status.success());
    provision::require(engine, "a reachable Docker engine")
        && provision::require(
            || docker(&["image", "inspect", BASE]).is_some_and(|o| o.status.success()),
            "the Docker base image pj-test-base:1",
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_a_real_image_runs_a_sandbox_and_executes_commands() {
    if !docker_ready() {
        return;
    }
    let state = tempfile::tempdir().expect("a temp dir");
    let server = LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::Docker))
        .await
        .expect("server");
    assert!(server.docker_available().await);
    let client = support::client(&server);

    let root = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir_all(root.path().join("ctx")).expect("mkdir");
    std::fs::write(root.path().join("ctx/hello.txt"), "hello from pithy\n").expect("write");
    let hash =
        daytona_contract::context::hash(&root.path().join("ctx/hello.txt"), "ctx/hello.txt").expect("hash");
    let storage = client.object_storage();
    let access = storage.push_access().await.expect("access");
    storage
        .upload_context(&access, &root.path().join("ctx/hello.txt"), "ctx/hello.txt", &hash)
        .await
        .expect("upload");

    // A nonce makes the build key new, so the engine really builds (no earlier image).
    let nonce = format!(
        "{:016x}",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos()
    );
    let dockerfile = format!(
        "FROM {BASE}\nCOPY [\"ctx/hello.txt\", \"/opt/hello.txt\"]\nRUN echo {nonce} > /opt/built.txt\nENTRYPOINT [\"sleep\", \"infinity\"]\n"
    );
    let build_key = daytona_contract::build_key(&dockerfile, std::slice::from_ref(&hash));
    let request =
        CreateSnapshot::build("docker-e2e-v1", CreateBuildInfo::new(dockerfile.clone(), [hash.clone()]));
    let created = client.snapshots().create(&request).await.expect("created");
    let logs = client
        .snapshots()
        .build_logs(&created.id, true)
        .await
        .expect("stream")
        .collect(150)
        .await
        .expect("logs");
    let built = support::wait_terminal(&client, &created.id, BUILD).await;
    assert_eq!(built.state, SnapshotState::Active, "{:?}\n{logs}", built.error_reason);
    assert!(built.size.is_some());
    assert!(logs.contains(&format!("Step 1/4 : FROM {BASE}")), "{logs}");
    assert!(logs.contains(&format!("Successfully tagged {build_key}")), "{logs}");

    let run = docker(&["run", "--rm", "--entrypoint", "cat", &build_key, "/opt/hello.txt", "/opt/built.txt"])
        .expect("docker run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(String::from_utf8_lossy(&run.stdout), format!("hello from pithy\n{nonce}\n"));

    // The same definition under another name reuses the build, as Daytona does.
    let again = client
        .snapshots()
        .create(&CreateSnapshot::build("docker-e2e-v2", CreateBuildInfo::new(dockerfile, [hash])))
        .await
        .expect("created");
    assert_eq!(support::wait_terminal(&client, &again.id, BUILD).await.state, SnapshotState::Active);
    let logs = client
        .snapshots()
        .build_logs(&again.id, false)
        .await
        .expect("stream")
        .collect(5)
        .await
        .expect("logs");
    assert!(logs.contains("is already built; reusing it"), "{logs}");

    // A sandbox of the snapshot, and commands through the toolbox.
    let mut request = CreateSandbox::from_snapshot("docker-e2e-v1");
    request.env.insert("GREETING".into(), "hi there".into());
    request.labels.insert("team".into(), "x".into());
    request.auto_stop_interval = Some(0);
    let sandbox = client.sandboxes().create(&request).await.expect("sandbox");
    assert_eq!(
        (sandbox.labels.get("team").map(String::as_str), sandbox.auto_stop_interval, sandbox.target.as_str()),
        (Some("x"), Some(0.0), "us")
    );
    let sandbox =
        client.sandboxes().wait_until_started(&sandbox.id, Duration::from_secs(60)).await.expect("started");
    assert_eq!(sandbox.state, Some(SandboxState::Started));
    let sandboxes = client.sandboxes();
    let out = sandboxes
        .execute(&sandbox.id, &ExecuteRequest::new("cat /opt/hello.txt; echo \"$GREETING\""))
        .await
        .expect("exec");
    assert_eq!((out.exit_code, out.result.as_str()), (0, "hello from pithy\nhi there\n"));
    let out = sandboxes
        .execute(&sandbox.id, &ExecuteRequest::new("pwd; echo oops >&2; exit 3").cwd("/opt"))
        .await
        .expect("exec");
    assert_eq!((out.exit_code, out.result.as_str()), (3, "/opt\noops\n"));
    let error = sandboxes
        .execute(&sandbox.id, &ExecuteRequest::new("sleep 5").timeout(1))
        .await
        .expect_err("timeout");
    assert_eq!(error.to_string(), "Failed to execute command: Command timed out after 1 seconds (HTTP 408)");
    let container = format!("pj-sandbox-{}", sandbox.id);
    assert!(docker(&["inspect", &container]).is_some_and(|o| o.status.success()));
    sandboxes.delete(&sandbox.id).await.expect("deleted");
    assert!(docker(&["inspect", &container]).is_some_and(|o| !o.status.success()), "the container is gone");

    // A failing RUN is a build_failed with the engine's output in the log.
    let failing = format!("FROM {BASE}\nRUN echo {nonce} && exit 7\n");
    let failing_key = daytona_contract::build_key(&failing, &[] as &[String]);
    let broken = client
        .snapshots()
        .create(&CreateSnapshot::build(
            "docker-broken-v1",
            CreateBuildInfo::new(failing, Vec::<String>::new()),
        ))
        .await
        .expect("created");
    let broken = support::wait_terminal(&client, &broken.id, BUILD).await;
    assert_eq!(broken.state, SnapshotState::BuildFailed);
    assert_eq!(broken.error_reason.as_deref(), Some("docker build exited with code 7; see the build log"));
    let logs = client
        .snapshots()
        .build_logs(&broken.id, false)
        .await
        .expect("stream")
        .collect(5)
        .await
        .expect("logs");
    assert!(logs.contains("returned a non-zero code: 7"), "{logs}");

    server.shutdown().await;
    let _ = docker(&["rmi", "--force", &build_key, &failing_key]);
}
