//! End to end with this machine's Docker engine: the local server builds a small image
//! from an uploaded context (base image `pj-test-base:1`, made locally by
//! `tests/conformance/setup.sh`; no registry is reachable), `docker run` of the result
//! shows the copied file, a sandbox runs it and the toolbox executes commands in it.
//! Hostile context tars go through the same path, and sandboxes meet the quotas.

#[path = "../../tests/conformance/provision.rs"]
mod provision;
mod support;

use std::time::Duration;

use pj_daytona::{
    CreateBuildInfo, CreateSandbox, CreateSnapshot, ExecuteRequest, SandboxState, SnapshotState,
};
use pj_daytona_local::{BuildMode, LocalDaytona, Quotas, ServerConfig};

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
    let sandbox = client.sandboxes().create_info(&request).await.expect("sandbox");
    assert_eq!(
        (sandbox.labels.get("team").map(String::as_str), sandbox.auto_stop_interval, sandbox.target.as_str()),
        (Some("x"), Some(0.0), "us")
    );
    let sandbox = client
        .sandboxes()
        .wait_for_state(&sandbox.id, pj_daytona::SandboxState::Started, Duration::from_secs(60))
        .await
        .expect("started");
    assert_eq!(sandbox.state, Some(SandboxState::Started));
    let handle = client.sandboxes().get(&sandbox.id).await.expect("a handle");
    let out = handle
        .process()
        .exec(&ExecuteRequest::new("cat /opt/hello.txt; echo \"$GREETING\""))
        .await
        .expect("exec");
    assert_eq!((out.exit_code, out.result.as_str()), (0, "hello from pithy\nhi there\n"));
    let out = handle
        .process()
        .exec(&ExecuteRequest::new("pwd; echo oops >&2; exit 3").cwd("/opt"))
        .await
        .expect("exec");
    assert_eq!((out.exit_code, out.result.as_str()), (3, "/opt\noops\n"));
    let error = handle.process().exec(&ExecuteRequest::new("sleep 5").timeout(1)).await.expect_err("timeout");
    // The server's 408 for a command it killed at its timeout is the client's Error::Timeout.
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(error.to_string(), "Failed to execute command: timed out after 1s");
    let container = format!("pj-sandbox-{}", sandbox.id);
    assert!(docker(&["inspect", &container]).is_some_and(|o| o.status.success()));
    handle.delete().await.expect("deleted");
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

/// A nonce, so that each run's build keys are new and the engine really builds.
fn nonce() -> String {
    format!(
        "{:032x}",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos()
    )
}

/// One member of a hand-made tar: its raw path (which may climb out or be absolute), its
/// type, its data, and the target of a link.
struct Member<'a> {
    path: &'a str,
    kind: tar::EntryType,
    data: &'a [u8],
    link: &'a str,
}

impl<'a> Member<'a> {
    fn file(path: &'a str, data: &'a [u8]) -> Self {
        Member { path, kind: tar::EntryType::Regular, data, link: "" }
    }

    fn link(path: &'a str, kind: tar::EntryType, link: &'a str) -> Self {
        Member { path, kind, data: b"", link }
    }
}

/// A tar written header by header, with the names as given: the `tar` crate's own
/// setters refuse what a hostile client would send.
fn tar_bytes(members: &[Member<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for m in members {
        let mut header = tar::Header::new_ustar();
        header.as_old_mut().name[..m.path.len()].copy_from_slice(m.path.as_bytes());
        header.as_old_mut().linkname[..m.link.len()].copy_from_slice(m.link.as_bytes());
        header.set_entry_type(m.kind);
        header.set_size(m.data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append(&header, m.data).expect("append");
    }
    builder.into_inner().expect("finish")
}

/// Hostile context tars, uploaded through the S3 endpoint and built by the real engine
/// (`docs/daytona-contract.md` §3.4, the runner's rules): a member climbing out of the
/// context and a member claiming a terabyte fail the build with the member named, and
/// nothing is written outside the state directory; absolute paths land inside the
/// context; symbolic and hard links become empty files, so no host file reaches the image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_context_tars_fail_the_build_or_stay_inside_it() {
    if !docker_ready() {
        return;
    }
    let root = tempfile::tempdir().expect("a temp dir");
    let state = root.path().join("a/b/state");
    let server =
        LocalDaytona::start(ServerConfig::new(&state).build_mode(BuildMode::Docker)).await.expect("server");
    let client = support::client(&server);
    let access = client.object_storage().push_access().await.expect("access");
    let nonce = nonce();
    let mut huge = tar::Header::new_gnu();
    huge.set_path("ctx/huge.bin").expect("path");
    huge.set_size(1 << 40);
    huge.set_entry_type(tar::EntryType::Regular);
    huge.set_cksum();
    let mut bomb = huge.as_bytes().to_vec();
    bomb.extend_from_slice(&[0; 1024]);

    let failing = [
        (
            "climbing",
            tar_bytes(&[Member::file("ctx/../../../../../escaped.txt", b"out")]),
            "a context tar member leaves the build context: ctx/../../../../../escaped.txt",
        ),
        ("bomb", bomb, "ctx/huge.bin claims 1099511627776 bytes past the end of the tar"),
    ];
    for (at, (what, tar, says)) in failing.into_iter().enumerate() {
        let hash = format!("{at:x}{}", &nonce[1..]);
        assert_eq!(support::put_raw(&access, &access.object_key(&hash), tar).await, 200, "{what} uploaded");
        let dockerfile = format!("FROM {BASE}\nCOPY [\"ctx\", \"/ctx\"]\n");
        let request =
            CreateSnapshot::build(format!("hostile-{what}-v1"), CreateBuildInfo::new(dockerfile, [hash]));
        let created = client.snapshots().create(&request).await.expect("created");
        let done = support::wait_terminal(&client, &created.id, BUILD).await;
        assert_eq!(done.state, SnapshotState::BuildFailed, "{what}: {:?}", done.error_reason);
        let reason = done.error_reason.unwrap_or_default();
        assert!(reason.contains(says), "{what}: {reason}");
    }
    let climbed =
        support::files(root.path()).into_iter().filter(|f| f.ends_with("escaped.txt")).collect::<Vec<_>>();
    assert!(climbed.is_empty(), "nothing climbed out: {climbed:?}");

    let hash = format!("f{}", &nonce[1..]);
    let tar = tar_bytes(&[
        Member::file("/abs/inside.txt", b"inside\n"),
        Member::file("ctx/ok.txt", b"ok\n"),
        Member::link("ctx/passwd", tar::EntryType::Symlink, "/etc/passwd"),
        Member::link("ctx/hostname", tar::EntryType::Link, "/etc/hostname"),
    ]);
    assert_eq!(support::put_raw(&access, &access.object_key(&hash), tar).await, 200);
    let dockerfile = format!(
        "FROM {BASE}\nCOPY [\"ctx\", \"/ctx\"]\nCOPY [\"abs/inside.txt\", \"/inside.txt\"]\nRUN echo {nonce}\n\
         ENTRYPOINT [\"sleep\", \"infinity\"]\n"
    );
    let build_key = daytona_contract::build_key(&dockerfile, std::slice::from_ref(&hash));
    let request = CreateSnapshot::build("hostile-links-v1", CreateBuildInfo::new(dockerfile, [hash]));
    let created = client.snapshots().create(&request).await.expect("created");
    let done = support::wait_terminal(&client, &created.id, BUILD).await;
    assert_eq!(done.state, SnapshotState::Active, "{:?}", done.error_reason);
    let run = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        &build_key,
        "-c",
        "for f in /ctx/passwd /ctx/hostname; do test -L $f && echo link || wc -c < $f; done; cat /inside.txt /ctx/ok.txt",
    ])
    .expect("docker run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(String::from_utf8_lossy(&run.stdout), "0\n0\ninside\nok\n", "links are empty files");
    server.shutdown().await;
    let _ = docker(&["rmi", "--force", &build_key]);
}

/// The organization's totals across running sandboxes, and the per-sandbox limits, as
/// Daytona enforces them when a sandbox is created; a deleted sandbox frees its share.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandboxes_are_held_to_the_organizations_totals() {
    if !docker_ready() {
        return;
    }
    let state = tempfile::tempdir().expect("a temp dir");
    let mut quotas = Quotas::default();
    quotas.total_memory = 3;
    let config = ServerConfig::new(state.path()).build_mode(BuildMode::Docker).quotas(quotas);
    let server = LocalDaytona::start(config).await.expect("server");
    let client = support::client(&server);
    let mut request = CreateSnapshot::image("quota-base-v1", BASE).resources(1, 2, 3);
    request.entrypoint = Some(vec!["sleep".into(), "infinity".into()]);
    let snapshot = client.snapshots().create(&request).await.expect("created");
    assert_eq!(support::wait_terminal(&client, &snapshot.id, BUILD).await.state, SnapshotState::Active);

    let sandboxes = client.sandboxes();
    let from = CreateSandbox::from_snapshot("quota-base-v1");
    let first = sandboxes.create_info(&from).await.expect("2 GB of 3");
    let refused = sandboxes.create_info(&from).await.expect_err("4 GB of 3");
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400), "{refused}");
    assert!(refused.to_string().contains("Total memory limit exceeded. Maximum allowed: 3GiB."), "{refused}");
    let mut big = from.clone();
    big.cpu = Some(5);
    let refused = sandboxes.create_info(&big).await.expect_err("5 CPUs");
    assert!(
        refused.to_string().contains("CPU request 5 exceeds maximum allowed per sandbox (4)."),
        "{refused}"
    );

    sandboxes.delete(&first.id).await.expect("deleted");
    let second = sandboxes.create_info(&from).await.expect("room again");
    sandboxes.delete(&second.id).await.expect("deleted");
    server.shutdown().await;
}

/// The build log of snapshot `id`, whole.
async fn build_log(client: &pj_daytona::Client, id: &str) -> String {
    client.snapshots().build_logs(id, false).await.expect("stream").collect(200).await.expect("logs")
}

/// No registry in any build mode: an image a build needs that the engine lacks (here
/// `COPY --from=<image>`, in `docker` and `auto` modes; a `FROM` after `ARG` expansion
/// in `docker` mode) fails the build with the reason before `docker build` runs, so
/// nothing is pulled; an image-name snapshot of an absent image ends in `error`, never
/// `active`. The engine is the oracle: the images are still absent afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_missing_from_the_engine_fail_and_are_never_pulled() {
    if !docker_ready() {
        return;
    }
    let nonce = nonce();
    let absent = format!("pj-absent-{}:1", &nonce[16..]);
    let on_engine = |image: &str| docker(&["image", "inspect", image]).is_some_and(|o| o.status.success());
    assert!(!on_engine(&absent), "{absent} must not exist before the test");
    for mode in [BuildMode::Docker, BuildMode::Auto] {
        let state = tempfile::tempdir().expect("a temp dir");
        let server =
            LocalDaytona::start(ServerConfig::new(state.path()).build_mode(mode)).await.expect("server");
        let client = support::client(&server);
        let mut cases = vec![(
            "copy-from",
            format!("FROM {BASE}\nCOPY --from={absent} /etc/hostname /x\nRUN echo {nonce} {mode:?}\n"),
            format!("{absent} (COPY --from on line 2)"),
        )];
        if mode == BuildMode::Docker {
            // In auto mode a missing FROM base means "check only" (tested in xtask's e2e).
            cases.push((
                "from-arg",
                format!("ARG REPO=pj-absent-{}\nFROM ${{REPO}}:1\nRUN echo {nonce}\n", &nonce[16..]),
                format!("{absent} (FROM on line 2)"),
            ));
        }
        for (what, dockerfile, named) in cases {
            let key = daytona_contract::build_key(&dockerfile, &[] as &[String]);
            let request = CreateSnapshot::build(
                format!("missing-{what}-{mode:?}-v1").to_lowercase(),
                CreateBuildInfo::new(dockerfile, Vec::<String>::new()),
            );
            let created = client.snapshots().create(&request).await.expect("created");
            let done = support::wait_terminal(&client, &created.id, BUILD).await;
            let reason = done.error_reason.clone().unwrap_or_default();
            assert_eq!(done.state, SnapshotState::BuildFailed, "{mode:?} {what}: {reason}");
            assert_eq!(done.checked_only, None, "{mode:?} {what}");
            assert!(reason.contains(&named), "{mode:?} {what}: {reason}");
            assert!(reason.contains("the local server pulls from no registry"), "{mode:?} {what}: {reason}");
            let logs = build_log(&client, &created.id).await;
            assert!(logs.contains(&format!("ERROR: {reason}")), "{logs}");
            assert!(!logs.contains("Step 1/"), "docker build never ran: {logs}");
            assert!(!on_engine(&key), "{mode:?} {what}: no image was built");
        }

        let pulled = client
            .snapshots()
            .create(&CreateSnapshot::image(
                format!("absent-image-{mode:?}-v1").to_lowercase(),
                absent.clone(),
            ))
            .await
            .expect("created");
        let done = support::wait_terminal(&client, &pulled.id, BUILD).await;
        let reason = done.error_reason.clone().unwrap_or_default();
        assert_eq!(done.state, SnapshotState::Error, "{mode:?}: {reason}");
        assert_eq!(done.checked_only, None);
        assert!(
            reason.starts_with(&format!("Image {absent} is not on this machine's Docker engine")),
            "{reason}"
        );
        assert!(reason.contains("the local server pulls from no registry"), "{reason}");
        let refused = client
            .sandboxes()
            .create(&CreateSandbox::from_snapshot(done.name.as_str()))
            .await
            .expect_err("no sandbox from a failed snapshot");
        assert_eq!(refused.status().map(|s| s.as_u16()), Some(400), "{refused}");
        server.shutdown().await;
    }
    assert!(!on_engine(&absent), "{absent} was pulled");
}

/// The server reads a Dockerfile's images as Docker does: a `FROM` built from `ARG`
/// defaults (declared before the first `FROM`, with `${NAME:-default}`), a stage, and
/// `COPY --from=<image>` of an image on the engine build for real in `auto` mode, and
/// the engine's own result agrees (the file copied from the other image is there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_named_through_args_stages_and_copy_from_are_found_and_built() {
    if !docker_ready() {
        return;
    }
    let state = tempfile::tempdir().expect("a temp dir");
    let server = LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::Auto))
        .await
        .expect("server");
    let client = support::client(&server);
    let nonce = nonce();
    let dockerfile = format!(
        "ARG REPO=pj-test\nARG IMAGE=${{REPO}}-base\nFROM ${{IMAGE}}:${{TAG:-1}} AS Stage\nRUN echo {nonce} > /n\n\
         FROM stage\nCOPY --from={BASE} /bin/busybox /copied\nCOPY --from=0 /n /n\n"
    );
    let key = daytona_contract::build_key(&dockerfile, &[] as &[String]);
    let created = client
        .snapshots()
        .create(&CreateSnapshot::build("args-v1", CreateBuildInfo::new(dockerfile, Vec::<String>::new())))
        .await
        .expect("created");
    let done = support::wait_terminal(&client, &created.id, BUILD).await;
    assert_eq!(done.state, SnapshotState::Active, "{:?}", done.error_reason);
    assert_eq!(done.checked_only, None, "built, not only checked");
    let run = docker(&["run", "--rm", "--entrypoint", "sh", &key, "-c", "test -x /copied && cat /n"])
        .expect("docker run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(String::from_utf8_lossy(&run.stdout), format!("{nonce}\n"));
    server.shutdown().await;
    let _ = docker(&["rmi", "--force", &key]);
}
