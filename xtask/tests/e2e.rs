//! End to end: `cargo xtask snapshot` run as a process against the local
//! Daytona-compatible server, for every row of the publishing table (`docs/DESIGN.md`,
//! "Publishing rules"), the modes, and the faults it must survive. Each test starts
//! its own server in-process (fault injection, request log) and points the xtask
//! binary at it through DAYTONA_API_URL / DAYTONA_API_KEY.
//!
//! The application under test is a small crate written to `target/pj-apps/e2e-app`
//! and built in `target/pj-apps/target` (shared with other tests; only the first build
//! is slow).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use pj_daytona_local::{BuildMode, LocalDaytona, Quotas, Route, ServerConfig};

#[path = "../../tests/conformance/provision.rs"]
mod provision;
use pj_daytona::{CreateBuildInfo, CreateSnapshot, SnapshotState};

const NAME: &str = "e2e-app-v0.4.2";

#[path = "../../tests/support/app_crate.rs"]
mod app_crate;
mod support;

use support::readme::{self, Situation};
use support::{LocalServer, Run, assert_code, combined, docker, docker_ok, free_port_pair, output};

use app_crate::{target_dir, workspace, write};

/// The application crate, written once per test binary.
fn app() -> &'static Path {
    static APP: OnceLock<PathBuf> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = workspace().join("target/pj-apps/e2e-app");
        app_crate::scaffold(
            &dir,
            "e2e-app",
            "0.4.2",
            "\n[package.metadata.pithy-image]\n",
            r#"use pj_image::{DirOptions, Image};
use pj_image_macros::pithy_image;

#[pithy_image(cpu = 1, memory = 1, disk = 3)]
fn image() -> Image {
    Image::base("pj-test-base:1")
        .add_local_file("sandbox/hello.txt", "/app/hello.txt")
        .add_local_dir_with(
            "sandbox/data",
            "/app/data",
            DirOptions { exclude: vec!["*.log".into(), "scratch".into()], ..Default::default() },
        )
        .run_commands(["cat /app/hello.txt"])
}

fn main() {
    println!("{}", env!("PITHY_SNAPSHOT"));
}
"#,
        );
        write(&dir.join("sandbox/hello.txt"), "hello from pithy\n");
        write(&dir.join("sandbox/data/a.txt"), "alpha\n");
        // Left out by the definition's excludes: never hashed, uploaded or built.
        write(&dir.join("sandbox/data/debug.log"), "noise\n");
        write(&dir.join("sandbox/data/scratch/tmp.bin"), "0123456789");
        dir
    })
}

async fn server(build_time: Duration) -> (LocalDaytona, tempfile::TempDir) {
    let state = tempfile::tempdir().expect("tempdir");
    let config = ServerConfig::new(state.path()).build_mode(BuildMode::CheckOnly).min_build_time(build_time);
    (LocalDaytona::start(config).await.expect("server"), state)
}

/// A server that builds with Docker (`auto`, on `pj-test-base:1`), for what `--check`
/// must pass on: a snapshot only checked, not built, is not usable.
async fn building_server() -> (LocalDaytona, tempfile::TempDir) {
    provision::base_image();
    let state = tempfile::tempdir().expect("tempdir");
    let config = ServerConfig::new(state.path()).build_mode(BuildMode::Auto);
    (LocalDaytona::start(config).await.expect("server"), state)
}

/// `xtask <args>` in the application's directory, with no Daytona credentials from
/// the environment.
fn command(args: &[&str]) -> std::process::Command {
    command_in(app(), args)
}

/// `xtask <args>` in the application crate `dir`, with no Daytona credentials from the
/// environment.
fn command_in(dir: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("DAYTONA_API_KEY")
        .env_remove("DAYTONA_JWT_TOKEN")
        .env_remove("PITHY_SNAPSHOT_OVERRIDE");
    cmd
}

/// Runs `xtask <args>` against `server` and checks that its API key was not printed.
async fn xtask(server: Option<&LocalDaytona>, args: &[&str]) -> Run {
    let mut cmd = command(args);
    if let Some(s) = server {
        cmd.env("DAYTONA_API_URL", s.url()).env("DAYTONA_API_KEY", s.api_key());
    }
    let run = output(cmd).await;
    if let Some(s) = server {
        assert!(!run.text().contains(s.api_key()), "the API key was printed:\n{}", run.text());
    }
    run
}

fn client(server: &LocalDaytona) -> pj_daytona::Client {
    server.client_builder().build().expect("client")
}

async fn count_named(server: &LocalDaytona) -> usize {
    let all = client(server).snapshots().list(&Default::default()).await.expect("list");
    all.items.iter().filter(|s| s.name == NAME).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_then_up_to_date_with_no_upload_and_a_single_read() {
    let (server, _state) = server(Duration::ZERO).await;
    let first = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&first, 0);
    assert!(first.stdout.contains(NAME) && first.stdout.contains("active"), "{}", first.text());
    assert_eq!(server.count(Route::CreateSnapshot), 1);
    assert_eq!(server.count(Route::S3Put), 2, "two contexts uploaded");

    server.clear_requests();
    let second = xtask(Some(&server), &["snapshot"]).await;
    assert_code(&second, 0);
    assert!(second.stderr.contains("is up to date"), "{}", second.text());
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "a single read: {requests:?}");
    assert_eq!(requests[0].route, Route::GetSnapshot);
    assert_eq!(count_named(&server).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_everything_and_touches_nothing() {
    let (server, _state) = server(Duration::ZERO).await;
    let run = xtask(Some(&server), &["snapshot", "--dry-run"]).await;
    assert_code(&run, 0);
    for expected in [
        NAME,
        "FROM pj-test-base:1",
        "COPY [\"sandbox/hello.txt\", \"/app/hello.txt\"]",
        "sandbox/data",
        "cpu 1, memory 1 GB, disk 3 GB",
        "daytona-",
    ] {
        assert!(run.stdout.contains(expected), "missing {expected:?} in:\n{}", run.text());
    }
    // The hashes printed are those of what is uploaded: the directory without its
    // excluded entries, hashed as a tree that never had them.
    let clean = tempfile::tempdir().expect("tempdir");
    write(&clean.path().join("sandbox/data/a.txt"), "alpha\n");
    let md5 = pj_image::context::hash(&clean.path().join("sandbox/data"), "sandbox/data").expect("hash");
    assert!(run.stdout.contains(&md5), "{md5} in:\n{}", run.stdout);
    assert!(run.stdout.contains("excluded 2 files (16 B) by *.log scratch"), "{}", run.stdout);
    assert!(server.requests().is_empty(), "--dry-run must not call the server");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_missing_then_match_then_drift() {
    let (server, _state) = building_server().await;
    let missing = xtask(Some(&server), &["snapshot", "--check"]).await;
    assert_code(&missing, 3);
    assert!(missing.stderr.contains("does not exist"), "{}", missing.text());
    assert_eq!(server.count(Route::CreateSnapshot), 0);
    assert_eq!(server.count(Route::PushAccess), 0);

    assert_code(&xtask(Some(&server), &["snapshot"]).await, 0);
    let ok = xtask(Some(&server), &["snapshot", "--check"]).await;
    assert_code(&ok, 0);
    assert!(ok.stdout.contains("up to date"));

    // Another definition under the same name.
    let (server2, _state2) = self::server(Duration::ZERO).await;
    let other = CreateSnapshot::build(
        NAME,
        CreateBuildInfo::new("FROM pj-test-base:1\nRUN echo other\n", Vec::<String>::new()),
    )
    .resources(1, 1, 3);
    client(&server2).snapshots().create(&other).await.expect("create");
    let drift = xtask(Some(&server2), &["snapshot", "--check"]).await;
    assert_code(&drift, 3);
    assert!(drift.stderr.contains("different definition"), "{}", drift.text());
    assert!(drift.stderr.contains("- RUN echo other"), "{}", drift.text());
    assert!(drift.stderr.contains("bump the version in"), "{}", drift.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn different_definition_is_refused_unless_replace() {
    let (server, _state) = building_server().await;
    let other =
        CreateSnapshot::build(NAME, CreateBuildInfo::new("FROM pj-test-base:1\n", Vec::<String>::new()))
            .resources(2, 1, 3);
    client(&server).snapshots().create(&other).await.expect("create");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = xtask(Some(&server), &["snapshot"]).await;
    assert_code(&refused, 3);
    assert!(refused.stderr.contains("cpu: snapshot 2, definition 1"), "{}", refused.text());
    assert!(refused.stderr.contains("bump the version in Cargo.toml"), "{}", refused.text());
    assert_eq!(server.count(Route::DeleteSnapshot), 0, "never deletes unless asked");
    assert_eq!(server.count(Route::PushAccess), 0, "nothing uploaded for a refused name");
    // README.md shows this refusal as a terminal does.
    let mut cmd = command(&["snapshot"]);
    cmd.env("DAYTONA_API_URL", server.url()).env("DAYTONA_API_KEY", server.api_key());
    let (code, shown) = combined(cmd).await;
    assert_eq!(code, 3, "{shown}");
    assert!(!shown.contains(server.api_key()), "the API key was printed:\n{shown}");
    let session = readme::session(&workspace(), Situation::DriftRefused);
    readme::assert_matches(&session, &shown, &readme::redactions(app(), &target_dir()));
    assert_eq!(server.count(Route::DeleteSnapshot), 0, "never deletes unless asked");

    // The DELETE is carried out but its answer is cut off: the run reads the name to
    // learn it is gone, instead of failing.
    server.faults().drop_next(Route::DeleteSnapshot, 1);
    let replaced = xtask(Some(&server), &["snapshot", "--replace", "--timeout", "60s"]).await;
    assert_code(&replaced, 0);
    assert!(
        replaced.stderr.contains("reading it by name to see whether it was deleted"),
        "{}",
        replaced.text()
    );
    assert_eq!(server.count(Route::DeleteSnapshot), 1);
    assert_eq!(count_named(&server).await, 1);
    assert_code(&xtask(Some(&server), &["snapshot", "--check"]).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn inactive_is_activated_and_building_is_attached() {
    let (server, _state) = server(Duration::ZERO).await;
    assert_code(&xtask(Some(&server), &["snapshot"]).await, 0);
    assert!(server.set_snapshot_state(NAME, SnapshotState::Inactive));
    let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&run, 0);
    assert!(run.stderr.contains("inactive; activating"), "{}", run.text());
    assert_eq!(server.count(Route::ActivateSnapshot), 1);
    assert_eq!(server.count(Route::CreateSnapshot), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn attaches_to_a_build_in_progress() {
    let (server, _state) = server(Duration::from_secs(10)).await;
    // A first run gives up while the build is still going; the next one attaches.
    let first = xtask(Some(&server), &["snapshot", "--timeout", "1s"]).await;
    assert_code(&first, 5);
    assert!(first.stderr.contains("still"), "{}", first.text());
    let again = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&again, 0);
    assert!(again.stderr.contains("following it"), "{}", again.text());
    assert_eq!(server.count(Route::CreateSnapshot), 1, "no duplicate create");
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_build_shows_the_reason() {
    let (server, _state) = server(Duration::ZERO).await;
    server.faults().fail_build(NAME, "injected: RUN exited with 2");
    let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&run, 4);
    assert!(run.stderr.contains("injected: RUN exited with 2"), "{}", run.text());
    // Re-running does not rebuild a failed name on its own.
    let again = xtask(Some(&server), &["snapshot"]).await;
    assert_code(&again, 4);
    assert_eq!(server.count(Route::CreateSnapshot), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn stuck_pending_ends_at_the_deadline_and_rerun_attaches() {
    let (server, _state) = server(Duration::ZERO).await;
    server.faults().stick(NAME, SnapshotState::Pending);
    let run = xtask(Some(&server), &["snapshot", "--timeout", "3s"]).await;
    assert_code(&run, 5);
    assert!(run.stderr.contains("still pending"), "{}", run.text());
    assert!(run.stderr.contains("re-run"), "{}", run.text());
    assert_eq!(count_named(&server).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_that_turns_inactive_or_removing_while_waited_on_stops_the_wait_at_once() {
    for (state, says) in
        [(SnapshotState::Inactive, "became inactive"), (SnapshotState::Removing, "being removed")]
    {
        let (server, _state) = server(Duration::ZERO).await;
        server.faults().stick(NAME, state);
        // A wait that ran to the deadline would exit 5 (timeout); this one stops at once.
        let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
        assert_code(&run, 3);
        assert!(run.stderr.contains(says), "{}", run.text());
        assert!(!run.stderr.contains("at the deadline"), "{}", run.text());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_being_removed_is_refused_with_the_way_out() {
    let state = tempfile::tempdir().expect("tempdir");
    let config = ServerConfig::new(state.path())
        .build_mode(BuildMode::CheckOnly)
        .removal_time(Duration::from_secs(60));
    let server = LocalDaytona::start(config).await.expect("server");
    assert_code(&xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await, 0);
    let snap = client(&server).snapshots().get(NAME).await.expect("published");
    client(&server).snapshots().delete(&snap.id).await.expect("deleted");
    let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&run, 3);
    assert!(run.stderr.contains("is being removed"), "{}", run.text());
    assert!(run.stderr.contains("wait until it is gone"), "{}", run.text());
    assert_eq!(server.count(Route::CreateSnapshot), 1, "nothing created while the name is taken");
}

/// Daytona's quota refusals are configuration errors with the way out, not failures to
/// retry: the snapshot count, then a per-sandbox limit under the definition's `disk = 3`.
#[tokio::test(flavor = "multi_thread")]
async fn quota_refusals_say_what_to_do() {
    let state = tempfile::tempdir().expect("tempdir");
    let mut quotas = Quotas::default();
    quotas.snapshots = 1;
    let config = ServerConfig::new(state.path()).build_mode(BuildMode::CheckOnly).quotas(quotas);
    let server = LocalDaytona::start(config).await.expect("server");
    client(&server)
        .snapshots()
        .create(&CreateSnapshot::image("other-v1", "alpine:3.19"))
        .await
        .expect("the one");
    let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&run, 2);
    assert!(run.stderr.contains("Snapshot quota exceeded. Maximum allowed: 1"), "{}", run.text());
    assert!(run.stderr.contains("delete the snapshots this organization no longer needs"), "{}", run.text());
    assert_eq!(
        server.count(Route::CreateSnapshot),
        2,
        "the other snapshot, then one refused create (never retried)"
    );
    assert_eq!(count_named(&server).await, 0);
    server.shutdown().await;

    let state = tempfile::tempdir().expect("tempdir");
    let mut quotas = Quotas::default();
    quotas.disk_per_sandbox = 2;
    let config = ServerConfig::new(state.path()).build_mode(BuildMode::CheckOnly).quotas(quotas);
    let server = LocalDaytona::start(config).await.expect("server");
    let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&run, 2);
    assert!(
        run.stderr.contains("Disk request 3GB exceeds maximum allowed per sandbox (2GB)"),
        "{}",
        run.text()
    );
    assert!(run.stderr.contains("lower cpu, memory or disk in #[pithy_image(...)]"), "{}", run.text());
    assert_eq!(count_named(&server).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_the_output_when_the_server_echoes_them() {
    for (route, status) in
        [(Route::S3Head, 403), (Route::PushAccess, 200), (Route::S3Put, 403), (Route::GetSnapshot, 401)]
    {
        let (server, _state) = server(Duration::ZERO).await;
        server.faults().inject(route, 10, pj_daytona_local::Fault::Leak { status });
        let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
        assert_ne!(run.code, 0, "{route:?} {status}: {}", run.text());
        let shown = run.text();
        assert!(!shown.contains(server.api_key()), "{route:?}: the API key in:\n{shown}");
        for (secret, token) in server.issued_storage_secrets() {
            assert!(
                !shown.contains(&secret) && !shown.contains(&token),
                "{route:?}: a storage secret in:\n{shown}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_and_rate_limits_are_retried() {
    let (server, _state) = server(Duration::ZERO).await;
    server.faults().fail_next(Route::GetSnapshot, 3, 500);
    server.faults().fail_next(Route::PushAccess, 2, 503);
    server.faults().rate_limit_next(Route::S3Head, 1, Duration::from_secs(1));
    let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&run, 0);
    assert_eq!(server.count(Route::S3Head), 3, "two contexts, one HEAD retried after its Retry-After");
    assert!(server.count(Route::GetSnapshot) >= 4, "the 500 burst was retried");
    assert!(server.count(Route::PushAccess) >= 3, "push-access retried");
    assert_eq!(server.count(Route::CreateSnapshot), 1);
    assert_eq!(count_named(&server).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_upload_and_a_lost_create_response_converge_without_duplicates() {
    let (server, _state) = building_server().await;
    server.faults().drop_next(Route::S3Put, 1);
    server.faults().drop_next(Route::CreateSnapshot, 1);
    let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&run, 0);
    assert!(run.stderr.contains("reading it by name"), "{}", run.text());
    assert_eq!(server.count(Route::CreateSnapshot), 1, "the POST is not repeated blindly");
    assert_eq!(count_named(&server).await, 1);
    assert_code(&xtask(Some(&server), &["snapshot", "--check"]).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limited_create_is_reconciled_then_sent_again_after_retry_after() {
    let (server, _state) = server(Duration::ZERO).await;
    server.faults().rate_limit_next(Route::CreateSnapshot, 1, Duration::from_secs(2));
    let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&run, 0);
    assert!(run.stderr.contains("reading it by name"), "{}", run.text());
    assert!(run.stderr.contains("trying again in 2 s"), "{}", run.text());
    let creates: Vec<_> =
        server.requests().into_iter().filter(|r| r.route == Route::CreateSnapshot).collect();
    assert_eq!(creates.len(), 2, "{creates:#?}");
    let waited = creates[1].at.duration_since(creates[0].at);
    assert!(waited >= Duration::from_secs(2), "sent again after {waited:?}, before the Retry-After of 2 s");
    assert_eq!(count_named(&server).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cut_log_stream_neither_hangs_nor_fails() {
    let (server, _state) = server(Duration::from_secs(3)).await;
    server.faults().drop_next(Route::BuildLogs, 2);
    let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&run, 0);
    assert!(run.stdout.contains("active"), "{}", run.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_api_key_is_a_configuration_error_and_is_not_printed() {
    let (server, _state) = server(Duration::ZERO).await;
    let wrong = "dtn_wrong_key_that_must_not_be_printed";
    let mut cmd = command(&["snapshot"]);
    cmd.env("DAYTONA_API_URL", server.url()).env("DAYTONA_API_KEY", wrong);
    let run = output(cmd).await;
    let text = run.text();
    assert_code(&run, 2);
    assert!(text.contains("check DAYTONA_API_KEY"), "{text}");
    assert!(!text.contains(wrong), "the key was printed: {text}");
    assert_eq!(server.count(Route::CreateSnapshot), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_are_a_configuration_error() {
    let run = xtask(None, &["snapshot"]).await;
    assert_code(&run, 2);
    assert!(run.stderr.contains("DAYTONA_API_KEY"), "{}", run.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn local_mode_publishes_then_is_up_to_date() {
    let state = tempfile::tempdir().expect("tempdir");
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let mut cmd = command(&["snapshot", "--local", "--local-build", "check"]);
        cmd.env("PITHY_LOCAL_STATE_DIR", state.path());
        let run = output(cmd).await;
        assert_code(&run, 0);
        outputs.push(run.stderr);
    }
    assert!(outputs[0].contains("created e2e-app-v0.4.2"), "{}", outputs[0]);
    assert!(outputs[1].contains("is up to date"), "{}", outputs[1]);
}

fn build_key(run: &Run) -> String {
    run.stdout
        .lines()
        .find_map(|l| l.strip_prefix("build key").map(|k| k.trim().to_owned()))
        .expect("a build key line")
}

/// Both Docker targets build the definition on the locally created base image
/// (`tests/conformance/setup.sh` makes `pj-test-base:1`; no registry is used), and the
/// image holds the copied files.
#[tokio::test(flavor = "multi_thread")]
async fn docker_and_local_targets_build_a_working_image() {
    provision::base_image();

    let built = xtask(None, &["snapshot", "--docker"]).await;
    assert_code(&built, 0);
    assert!(built.stdout.contains("built e2e-app:v0.4.2"), "{}", built.text());
    let shown = docker_ok(&["run", "--rm", "e2e-app:v0.4.2", "cat", "/app/hello.txt", "/app/data/a.txt"]);
    assert_eq!(shown, "hello from pithy\nalpha\n");
    let listed = docker_ok(&["run", "--rm", "e2e-app:v0.4.2", "ls", "-A", "/app/data"]);
    assert_eq!(listed, "a.txt\n", "the excluded files are not in the image");

    let state = tempfile::tempdir().expect("tempdir");
    // Auto (the default) builds: the engine has the base image.
    let published = xtask_local(state.path(), &["snapshot", "--local", "--timeout", "5m"]).await;
    assert_code(&published, 0);
    assert!(published.stdout.contains("image       built: daytona-"), "{}", published.text());
    assert!(!published.text().contains("checked, not built"), "{}", published.text());
    let key = build_key(&xtask(None, &["snapshot", "--dry-run"]).await);
    let shown = docker_ok(&["run", "--rm", &key, "cat", "/app/hello.txt", "/app/data/a.txt"]);
    assert_eq!(shown, "hello from pithy\nalpha\n");
    let listed = docker_ok(&["run", "--rm", &key, "ls", "-A", "/app/data"]);
    assert_eq!(listed, "a.txt\n", "the excluded files were not uploaded");
}

#[tokio::test(flavor = "multi_thread")]
async fn build_logs_are_streamed_with_a_prefix_beside_the_states() {
    let (server, _state) = server(Duration::from_secs(3)).await;
    let run = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&run, 0);
    assert!(run.stderr.contains(&format!("│ Building snapshot {NAME}")), "{}", run.text());
    assert!(run.stderr.contains(&format!("{NAME}: building")), "{}", run.text());
    assert!(server.count(Route::BuildLogs) >= 1);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.route == Route::BuildLogs && r.query.as_deref() == Some("follow=true"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_snapshot_reports_state_and_match() {
    let (server, _state) = building_server().await;
    assert_code(&xtask(Some(&server), &["snapshot"]).await, 0);
    let ok = xtask(Some(&server), &["verify-snapshot"]).await;
    assert_code(&ok, 0);
    for expected in
        ["state       active", "cpu 1, memory 1 GB, disk 3 GB", "match       yes", "build key   daytona-"]
    {
        assert!(ok.stdout.contains(expected), "missing {expected:?}:\n{}", ok.text());
    }
    let missing = xtask(Some(&server), &["verify-snapshot", "other-v1"]).await;
    assert_code(&missing, 3);
    assert!(missing.stderr.contains("other-v1 does not exist"), "{}", missing.text());
}

/// Ctrl-C in the middle of a build leaves everything re-runnable: the next run attaches
/// to the same snapshot and converges, with no second create.
#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_run_converges_when_re_run() {
    let (server, _state) = server(Duration::from_secs(6)).await;
    let mut cmd = command(&["snapshot", "--timeout", "60s"]);
    cmd.env("DAYTONA_API_URL", server.url())
        .env("DAYTONA_API_KEY", server.api_key())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("spawn xtask");
    // Interrupt once the snapshot has been created.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while server.count(Route::CreateSnapshot) == 0 {
        assert!(std::time::Instant::now() < deadline, "xtask never created the snapshot");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill").args(["-INT", &pid]).status().expect("kill");
    assert!(killed.success());
    let out =
        tokio::task::spawn_blocking(move || child.wait_with_output()).await.expect("join").expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("re-run the same command"));

    let again = xtask(Some(&server), &["snapshot", "--timeout", "60s"]).await;
    assert_code(&again, 0);
    assert_eq!(server.count(Route::CreateSnapshot), 1, "the re-run attached instead of creating again");
    assert_eq!(count_named(&server).await, 1);
}

/// `xtask <args>` with the local state directory `state`.
async fn xtask_local(state: &Path, args: &[&str]) -> Run {
    let mut cmd = command(args);
    cmd.env("PITHY_LOCAL_STATE_DIR", state);
    output(cmd).await
}

/// The whole local flow with one server: `cargo xtask local` serves on a fixed port and
/// prints the exports; `--env` prints the same lines; `snapshot --local`, `--check` and
/// `verify-snapshot --local` use it (its request log shows the publish) instead of
/// starting their own; a second server on the state directory is refused; a sandbox
/// from the checked-only snapshot is refused at once with the way out; after Ctrl-C,
/// `--env` says none runs and `server.json` is gone.
#[tokio::test(flavor = "multi_thread")]
async fn one_local_server_serves_snapshot_local_and_applications() {
    let state = tempfile::tempdir().expect("tempdir");
    let port = free_port_pair();
    let mut server = LocalServer::start(command(&[]), state.path(), port, &["--local-build", "check"]);
    assert_eq!(server.url, format!("http://127.0.0.1:{port}/api"));
    assert!(server.key.starts_with("dtn_local_"), "a saved local key");
    assert!(server.stderr().contains("builds: check"), "{}", server.stderr());
    let saved = std::fs::read_to_string(state.path().join("server.json")).expect("server.json");
    assert!(saved.contains(&server.url) && !saved.contains(&server.key), "{saved}");

    let env = xtask_local(state.path(), &["local", "--env"]).await;
    assert_code(&env, 0);
    assert_eq!(
        env.stdout,
        format!("export DAYTONA_API_URL={}\nexport DAYTONA_API_KEY={}\n", server.url, server.key)
    );

    let second = xtask_local(state.path(), &["local", "--port", &free_port_pair().to_string()]).await;
    assert_code(&second, 1);
    assert!(
        second.stderr.contains("another local Daytona server is using the state directory"),
        "{}",
        second.text()
    );

    let published = xtask_local(state.path(), &["snapshot", "--local", "--timeout", "60s"]).await;
    assert_code(&published, 0);
    let using = format!("using the running local Daytona server at {}", server.url);
    assert!(published.stderr.contains(&using), "{}", published.text());
    assert!(!published.stderr.contains("embedded"), "no second server: {}", published.text());
    assert!(published.stderr.contains("checked, not built"), "{}", published.text());
    assert!(
        published.stdout.contains(
            "image       not built: checked only, because the local server runs with --local-build check"
        ),
        "{}",
        published.text()
    );
    assert!(!published.text().contains(&server.key), "the key was printed");
    server.wait_for_stderr("POST /api/snapshots 200");
    let client = pj_daytona::Client::builder()
        .api_key(server.key.as_str())
        .api_url(server.url.as_str())
        .build()
        .expect("client");
    let held = client.snapshots().get(NAME).await.expect("the running server holds the snapshot");
    assert_eq!(held.name, NAME);
    assert!(state.path().join("state.db").is_file(), "kept in the state directory");

    // Checked only is not usable: --check and verify-snapshot say so and how to build it.
    let check = xtask_local(state.path(), &["snapshot", "--local", "--check"]).await;
    assert_code(&check, 3);
    assert!(
        check.stderr.contains(&format!(
            "error: snapshot {NAME} matches the definition but was only checked, not built\n  \
             = note: the local server checked it like Daytona's runner but built no image, because the local \
             server runs with --local-build check, which never builds images\n  = note: no sandbox can run from it\n  \
             = help: --local-build check never builds: run `cargo xtask snapshot --local` without it"
        )),
        "{}",
        check.text()
    );
    let verify = xtask_local(state.path(), &["verify-snapshot", "--local"]).await;
    assert_code(&verify, 3);
    assert!(verify.stderr.contains(&using), "{}", verify.text());
    assert!(verify.stdout.contains("match       yes"), "{}", verify.text());
    assert!(verify.stderr.contains("was only checked, not built"), "{}", verify.text());
    let mismatch = xtask_local(state.path(), &["snapshot", "--local", "--local-build", "docker"]).await;
    assert_code(&mismatch, 2);
    assert!(mismatch.stderr.contains("builds with --local-build check, not docker"), "{}", mismatch.text());

    let error = client
        .sandboxes()
        .create(&pj_daytona::CreateSandbox::from_snapshot(NAME))
        .await
        .expect_err("refused");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert!(error.to_string().contains(&format!("Snapshot {NAME} was only checked, not built")), "{error}");

    assert_eq!(server.stop(), Some(0), "Ctrl-C is a clean stop:\n{}", server.stderr());
    assert!(!state.path().join("server.json").exists(), "server.json is removed on shutdown");
    let none = xtask_local(state.path(), &["local", "--env"]).await;
    assert_code(&none, 2);
    assert!(none.stdout.is_empty(), "nothing for eval: {}", none.stdout);
    assert!(none.stderr.contains("no local Daytona server is running"), "{}", none.text());
    assert!(none.stderr.contains("cargo xtask local"), "{}", none.text());

    // The key is saved: a restart on another port gives the same one.
    let again = LocalServer::start(command(&[]), state.path(), free_port_pair(), &["--local-build", "check"]);
    assert_eq!(again.key, server.key);
}

/// A `server.json` left behind by a server that died is stale (no process holds the
/// state directory's lock): `--env` says none runs and `--local` starts its own.
#[tokio::test(flavor = "multi_thread")]
async fn a_stale_server_json_is_ignored() {
    let state = tempfile::tempdir().expect("tempdir");
    std::fs::write(state.path().join("server.lock"), "").expect("lock file");
    std::fs::write(
        state.path().join("server.json"),
        r#"{"url": "http://127.0.0.1:9/api", "storageUrl": "http://127.0.0.1:10", "pid": 999999, "buildMode": "auto", "standalone": true}"#,
    )
    .expect("server.json");
    let env = xtask_local(state.path(), &["local", "--env"]).await;
    assert_code(&env, 2);
    assert!(env.stderr.contains("no local Daytona server is running"), "{}", env.text());

    let run =
        xtask_local(state.path(), &["snapshot", "--local", "--local-build", "check", "--timeout", "60s"])
            .await;
    assert_code(&run, 0);
    assert!(run.stderr.contains("started an embedded local Daytona server"), "{}", run.text());
    assert!(!run.text().contains("127.0.0.1:9/api"), "{}", run.text());
    assert!(!state.path().join("server.json").exists(), "the embedded server removed its own");
}

/// `--help` names the credential variables; a missing key names variables, no Rust type.
#[tokio::test(flavor = "multi_thread")]
async fn help_and_missing_credentials_name_the_variables() {
    for sub in ["snapshot", "verify-snapshot"] {
        let help = xtask(None, &[sub, "--help"]).await;
        assert_code(&help, 0);
        for var in [
            "DAYTONA_API_KEY",
            "DAYTONA_JWT_TOKEN",
            "DAYTONA_ORGANIZATION_ID",
            "DAYTONA_API_URL",
            "DAYTONA_TARGET",
        ] {
            assert!(help.stdout.contains(var), "{sub} --help lacks {var}:\n{}", help.stdout);
        }
    }
    let help = xtask(None, &["local", "--help"]).await;
    assert_code(&help, 0);
    for flag in ["--port", "--env", "--local-build", "3986"] {
        assert!(help.stdout.contains(flag), "local --help lacks {flag}:\n{}", help.stdout);
    }
    let run = xtask(None, &["snapshot"]).await;
    assert_code(&run, 2);
    assert!(run.stderr.contains("DAYTONA_JWT_TOKEN and DAYTONA_ORGANIZATION_ID"), "{}", run.text());
    assert!(!run.stderr.contains("ClientBuilder") && !run.stderr.contains("::"), "{}", run.text());
}

/// The base image of [`later_app`], made only in the middle of its test.
const LATER_BASE: &str = "pj-e2e-later:1";
const LATER_NAME: &str = "e2e-later-v0.1.0";

/// An application on a base image that does not exist until its test makes it.
fn later_app() -> PathBuf {
    let dir = workspace().join("target/pj-apps/e2e-later");
    app_crate::scaffold(
        &dir,
        "e2e-later",
        "0.1.0",
        "\n[package.metadata.pithy-image]\n",
        &format!(
            r#"use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(cpu = 1, memory = 1, disk = 3)]
fn image() -> Image {{
    Image::base("{LATER_BASE}")
        .add_local_file("sandbox/hello.txt", "/app/hello.txt")
        .run_commands(["cat /app/hello.txt"])
}}

fn main() {{
    println!("{{}}", env!("PITHY_SNAPSHOT"));
}}
"#
        ),
    );
    write(&dir.join("sandbox/hello.txt"), "made later\n");
    dir
}

/// Docker images a test makes, removed when it ends, whether it passed or not.
struct RemoveImages(Vec<String>);

impl Drop for RemoveImages {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = docker(&["image", "rm", image]);
        }
    }
}

/// A new user's path with `--local` (auto): published before the base image exists, the
/// snapshot is checked only and the help says to make the base image and re-run; once
/// it exists, the same command builds it (no --replace), and a third run is up to date.
/// `--check` in between stays read-only.
#[tokio::test(flavor = "multi_thread")]
async fn a_checked_only_snapshot_is_built_by_the_same_command_once_its_base_image_exists() {
    provision::base_image();
    let app = later_app();
    let key = build_key(&output(command_in(&app, &["snapshot", "--dry-run"])).await);
    // Removed first too: a tag left by an interrupted run would build at once.
    let images = RemoveImages(vec![LATER_BASE.to_owned(), key.clone()]);
    drop(RemoveImages(images.0.clone()));
    let state = tempfile::tempdir().expect("tempdir");
    let publish = || {
        let mut cmd = command_in(&app, &["snapshot", "--local", "--timeout", "5m"]);
        cmd.env("PITHY_LOCAL_STATE_DIR", state.path());
        output(cmd)
    };

    let first = publish().await;
    assert_code(&first, 0);
    assert!(
        first.stdout.contains(&format!(
            "image       not built: checked only, because the base image {LATER_BASE} is not on this machine's Docker engine"
        )),
        "{}",
        first.text()
    );
    assert!(
        first.stderr.contains(
            "help: make the base image on this machine's Docker engine (no registry is used; e.g. \
             `bash scripts/debian-base-image.sh` for debian:bookworm-slim), then re-run this command: \
             it builds the snapshot, no --replace needed"
        ),
        "{}",
        first.text()
    );

    docker_ok(&["tag", provision::BASE_IMAGE, LATER_BASE]);

    // --check reads only: still checked only (not usable: exit 3), nothing rebuilt.
    let mut check = command_in(&app, &["snapshot", "--local", "--check"]);
    check.env("PITHY_LOCAL_STATE_DIR", state.path());
    let check = output(check).await;
    assert_code(&check, 3);
    assert!(
        check
            .stderr
            .contains(&format!("because the base image {LATER_BASE} is not on this machine's Docker engine")),
        "{}",
        check.text()
    );
    assert!(
        check.stderr.contains(
            "help: make the base image on this machine's Docker engine (no registry is used; e.g. \
             `bash scripts/debian-base-image.sh` for debian:bookworm-slim), then run \
             `cargo xtask snapshot --local`: it builds the snapshot, no --replace needed"
        ),
        "{}",
        check.text()
    );
    assert!(!check.text().contains("building it"), "{}", check.text());

    let second = publish().await;
    assert_code(&second, 0);
    assert!(
        second.stderr.contains(&format!(
            "    {LATER_NAME} was only checked, not built; the base image is now on this engine: building it"
        )),
        "{}",
        second.text()
    );
    assert!(second.stdout.contains(&format!("image       built: {key}")), "{}", second.text());
    assert!(!second.text().contains("--replace"), "{}", second.text());
    assert!(!second.text().contains("checked, not built:"), "{}", second.text());
    assert_eq!(docker_ok(&["run", "--rm", &key, "cat", "/app/hello.txt"]), "made later\n");

    let third = publish().await;
    assert_code(&third, 0);
    assert!(third.stderr.contains(&format!("    {LATER_NAME} is up to date\n")), "{}", third.text());
    assert!(!third.stderr.contains("building it"), "{}", third.text());
    assert!(!third.stderr.contains("deleting"), "{}", third.text());
    assert!(third.stdout.contains(&format!("image       built: {key}")), "{}", third.text());
    drop(images);
    assert!(!provision::has_image(LATER_BASE), "the tag is removed");
}

/// Without a Docker engine's help (`--local-build check`), a checked-only snapshot stays
/// as it is: re-running says why and how to get a build, and rebuilds nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_checked_only_snapshot_that_still_cannot_be_built_is_kept_and_says_what_to_do() {
    let state = tempfile::tempdir().expect("tempdir");
    let mut runs = Vec::new();
    for _ in 0..2 {
        let run = xtask_local(state.path(), &["snapshot", "--local", "--local-build", "check"]).await;
        assert_code(&run, 0);
        runs.push(run);
    }
    let again = &runs[1];
    assert!(
        again.stderr.contains(&format!(
            "    {NAME} is up to date, but was only checked, not built: the local server runs with --local-build check"
        )),
        "{}",
        again.text()
    );
    assert!(
        again.stderr.contains("help: --local-build check never builds: publish without it"),
        "{}",
        again.text()
    );
    assert!(!again.stderr.contains("deleting") && !again.stderr.contains("created"), "{}", again.text());
}

/// An application whose `[package.metadata.pithy-image] snapshot` is `e2e-meta`, built
/// in its own directory so that building it with `PITHY_SNAPSHOT_OVERRIDE` never races
/// the other tests' app.
fn override_app() -> PathBuf {
    let dir = workspace().join("target/pj-apps/e2e-override");
    app_crate::scaffold(
        &dir,
        "e2e-override",
        "0.3.1",
        "\n[package.metadata.pithy-image]\nsnapshot = \"e2e-meta\"\n",
        r#"use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(cpu = 1, memory = 1, disk = 3)]
fn image() -> Image {
    Image::base("pj-test-base:1")
        .add_local_file("sandbox/hello.txt", "/app/hello.txt")
        .run_commands(["cat /app/hello.txt"])
}

fn main() {
    println!("{}", env!("PITHY_SNAPSHOT"));
}
"#,
    );
    write(&dir.join("sandbox/hello.txt"), "overridden\n");
    dir
}

/// The name is resolved once, by the build script: `PITHY_SNAPSHOT_OVERRIDE` set when the
/// crate is built is the name xtask publishes under (the binary's own
/// `env!("PITHY_SNAPSHOT")`), and the `--docker` tag follows it. Unset, the name is the
/// metadata's again.
#[tokio::test(flavor = "multi_thread")]
async fn the_override_set_at_build_time_is_the_published_name_and_the_docker_tag() {
    const PINNED: &str = "e2e-pinned-v0.3.1";
    let dir = override_app();
    let (server, _state) = server(Duration::ZERO).await;
    let run = |args: &[&str], pinned: bool| {
        let mut cmd = command_in(&dir, args);
        cmd.env("DAYTONA_API_URL", server.url()).env("DAYTONA_API_KEY", server.api_key());
        if pinned {
            cmd.env("PITHY_SNAPSHOT_OVERRIDE", PINNED);
        }
        output(cmd)
    };

    let dry = run(&["snapshot", "--dry-run"], true).await;
    assert_code(&dry, 0);
    assert!(dry.stdout.contains(&format!("snapshot    {PINNED}\n")), "{}", dry.text());

    let published = run(&["snapshot", "--timeout", "60s"], true).await;
    assert_code(&published, 0);
    let all = client(&server).snapshots().list(&Default::default()).await.expect("list");
    let names: Vec<&str> = all.items.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, [PINNED], "published under the override only");
    // The binary that was built asks for the very name that was published.
    let binary = target_dir().join("debug/e2e-override");
    let asked = std::process::Command::new(&binary).output().expect("run the app");
    assert_eq!(String::from_utf8_lossy(&asked.stdout), format!("{PINNED}\n"));

    provision::base_image();
    let _remove = RemoveImages(vec!["e2e-pinned:v0.3.1".to_owned()]);
    let built = run(&["snapshot", "--docker"], true).await;
    assert_code(&built, 0);
    assert!(built.stdout.contains("built e2e-pinned:v0.3.1"), "{}", built.text());

    // Without the override the build script runs again and the metadata's name is back.
    let unpinned = run(&["snapshot", "--dry-run"], false).await;
    assert_code(&unpinned, 0);
    assert!(unpinned.stdout.contains("snapshot    e2e-meta-v0.3.1\n"), "{}", unpinned.text());
}

/// A crate whose build script does not call `pj_image::build::run()` has no snapshot
/// name in its definition; xtask says what to add instead of guessing one.
#[tokio::test(flavor = "multi_thread")]
async fn without_the_build_script_helper_xtask_asks_for_it() {
    let dir = workspace().join("target/pj-apps/e2e-no-helper");
    app_crate::scaffold(
        &dir,
        "e2e-no-helper",
        "0.1.0",
        "\n[package.metadata.pithy-image]\n",
        r#"use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("pj-test-base:1").run_commands(["true"])
}

fn main() {}
"#,
    );
    write(&dir.join("build.rs"), "fn main() {}\n");
    let run = output(command_in(&dir, &["snapshot", "--dry-run"])).await;
    assert_code(&run, 2);
    assert!(run.stderr.contains("has no snapshot name"), "{}", run.text());
    assert!(run.stderr.contains("fn main() { pj_image::build::run(); }"), "{}", run.text());
}

/// An application whose context [`a_same_size_edit_after_the_build_is_refused_and_nothing_is_stored`]
/// edits while xtask runs (its own crate, so the other tests' app stays intact).
fn edited_app() -> PathBuf {
    let dir = workspace().join("target/pj-apps/e2e-edited");
    app_crate::scaffold(
        &dir,
        "e2e-edited",
        "0.1.0",
        "\n[package.metadata.pithy-image]\n",
        r#"use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(cpu = 1, memory = 1, disk = 3)]
fn image() -> Image {
    Image::base("pj-test-base:1").add_local_dir("sandbox/data", "/app/data")
}

fn main() {}
"#,
    );
    write(&dir.join("sandbox/data/a.txt"), "alpha\n");
    dir
}

/// A file edited (same size) after cargo compiled the crate and before the upload read
/// it: the tar's hash is not the compiled one, so the run stops with "rebuild" and no
/// object is stored, neither under the compiled hash nor under the new one.
#[tokio::test(flavor = "multi_thread")]
async fn a_same_size_edit_after_the_build_is_refused_and_nothing_is_stored() {
    let (server, _state) = server(Duration::ZERO).await;
    let app = edited_app();
    let data = app.join("sandbox/data");
    let compiled = pj_image::context::hash(&data, "sandbox/data").expect("hash");
    // Push access comes after the build and before the upload: the edit lands in its delay.
    server.faults().delay_next(Route::PushAccess, 1, Duration::from_secs(3));
    let mut cmd = command_in(&app, &["snapshot", "--timeout", "60s"]);
    cmd.env("DAYTONA_API_URL", server.url()).env("DAYTONA_API_KEY", server.api_key());
    let run = tokio::spawn(output(cmd));
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    while server.count(Route::PushAccess) == 0 {
        assert!(
            std::time::Instant::now() < deadline && !run.is_finished(),
            "xtask never asked for push access"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    write(&data.join("a.txt"), "omega\n");
    let now = pj_image::context::hash(&data, "sandbox/data").expect("hash");
    let run = run.await.expect("join");
    assert_code(&run, 2);
    assert!(
        run.stderr.contains("context `sandbox/data` changed since the crate was compiled")
            && run.stderr.contains(&format!("compiled hash {compiled}, hash now {now}"))
            && run.stderr.contains("rebuild the crate"),
        "{}",
        run.text()
    );
    assert_eq!(server.count(Route::S3Put), 0, "nothing uploaded");
    assert_eq!(server.count(Route::CreateSnapshot), 0);
    for hash in [&compiled, &now] {
        assert!(!server.object_path(hash).exists(), "an object under {hash}");
    }
}

/// Manifests that the last compilation did not include (an editor's expansion of an
/// unsaved buffer, an older build's fixed-name file) are never published: xtask reads
/// the one named in the dep-info of the artifact cargo built.
#[tokio::test(flavor = "multi_thread")]
async fn a_planted_manifest_is_not_what_is_published() {
    let first = xtask(None, &["snapshot", "--dry-run"]).await;
    assert_code(&first, 0);
    let build = target_dir().join("debug/build");
    let out_dirs: Vec<PathBuf> = std::fs::read_dir(&build)
        .expect("build dirs")
        .filter_map(Result::ok)
        .map(|e| e.path().join("out"))
        .filter(|out| out.parent().is_some_and(|p| p.to_string_lossy().contains("/e2e-app-")) && out.is_dir())
        .collect();
    assert!(!out_dirs.is_empty(), "no OUT_DIR of e2e-app under {}", build.display());
    let rendered = pj_image::Image::base("planted:1").render().expect("valid");
    let foreign =
        pj_image::Definition::new("image", &rendered, pj_image::Resources::default()).with_snapshot(NAME);
    for out in &out_dirs {
        // What an editor's expansion writes now, and what older versions read.
        foreign.write_manifest(out).expect("plant a foreign manifest");
        std::fs::write(out.join("pithy-image.json"), foreign.to_json()).expect("plant the old name");
    }
    let run = xtask(None, &["snapshot", "--dry-run"]).await;
    assert_code(&run, 0);
    assert!(run.stdout.contains("FROM pj-test-base:1"), "{}", run.text());
    assert!(!run.text().contains("planted"), "the planted manifest was read:\n{}", run.text());
}

/// Two unnamed `#[pithy_image]` functions in one crate (in different modules) do not
/// compile: they would be two definitions for one snapshot name. The error points at the
/// second one's attribute (named images: `xtask/tests/images.rs`, `pj-image-macros/tests/images`).
#[tokio::test(flavor = "multi_thread")]
async fn two_images_in_one_crate_are_a_compile_error() {
    let dir = workspace().join("target/pj-apps/e2e-two");
    app_crate::scaffold(
        &dir,
        "e2e-two",
        "0.1.0",
        "\n[package.metadata.pithy-image]\n",
        r#"mod first {
    use pj_image::Image;
    #[pj_image_macros::pithy_image]
    fn image() -> Image {
        Image::base("pj-test-base:1")
    }
}

mod second {
    use pj_image::Image;
    #[pj_image_macros::pithy_image]
    fn other() -> Image {
        Image::base("pj-test-base:2")
    }
}

fn main() {}
"#,
    );
    let run = output(command_in(&dir, &["snapshot", "--dry-run"])).await;
    assert_code(&run, 2);
    assert!(
        run.stderr.contains("the name `only_one_pithy_image_per_crate` is defined multiple times")
            && run.stderr.contains("--> src/main.rs:11:5"),
        "{}",
        run.text()
    );
}
