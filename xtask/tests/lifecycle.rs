//! End to end: `cargo xtask snapshot list` and `snapshot prune` run as processes
//! against an in-process local server (check-only builds), with the package's snapshots
//! of several versions made directly with the client, beside look-alike names of other
//! packages that the list API's `name` filter (a substring match,
//! `docs/daytona-contract.md` §4.2) returns too.
//!
//! The application is `lc-app` 1.10.0, written to `target/pj-apps/lc-app` (its own
//! crate, so this binary never races `e2e.rs` over the files of `e2e-app`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pj_daytona::{Client, CreateBuildInfo, CreateSnapshot, SnapshotState};
use pj_daytona_local::{BuildMode, LocalDaytona, Route, ServerConfig};

#[path = "../../tests/support/app_crate.rs"]
mod app_crate;
mod support;

use support::readme::{self, Situation};
use support::{Run, assert_code, combined, output};

const CURRENT: &str = "lc-app-v1.10.0";

/// The application crate, written once per test binary.
fn app() -> &'static Path {
    static APP: OnceLock<PathBuf> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = app_crate::workspace().join("target/pj-apps/lc-app");
        app_crate::scaffold(
            &dir,
            "lc-app",
            "1.10.0",
            "\n[package.metadata.pithy-image]\n",
            r#"use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(cpu = 1, memory = 1, disk = 3)]
fn image() -> Image {
    Image::base("pj-test-base:1").run_commands(["echo lifecycle"])
}

fn main() {
    println!("{}", env!("PITHY_SNAPSHOT"));
}
"#,
        );
        dir
    })
}

async fn server() -> (LocalDaytona, tempfile::TempDir) {
    let state = tempfile::tempdir().expect("tempdir");
    // Deleted snapshots stay `removing` for the whole test, so they can be seen.
    let config = ServerConfig::new(state.path())
        .build_mode(BuildMode::CheckOnly)
        .removal_time(Duration::from_secs(600));
    (LocalDaytona::start(config).await.expect("server"), state)
}

fn client(server: &LocalDaytona) -> Client {
    server.client_builder().build().expect("client")
}

/// Runs `xtask <args>` in the application's directory against `server`, and checks
/// that its API key was not printed.
async fn xtask(server: &LocalDaytona, args: &[&str]) -> Run {
    let target_dir = app_crate::target_dir();
    support::xtask_against(
        env!("CARGO_BIN_EXE_xtask"),
        app(),
        &target_dir,
        server.url(),
        server.api_key(),
        args,
    )
    .await
}

/// Waits until the server's build of `name` has ended (check-only builds take a moment).
async fn settled(client: &Client, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let snapshot = client.snapshots().get(name).await.expect("the snapshot");
        if snapshot.state.is_terminal() {
            return;
        }
        assert!(Instant::now() < deadline, "{name} is still {}", snapshot.state);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Publishes the current version with `cargo xtask snapshot`; its Dockerfile.
async fn publish_current(server: &LocalDaytona) -> String {
    assert_code(&xtask(server, &["snapshot", "--timeout", "60s"]).await, 0);
    let current = client(server).snapshots().get(CURRENT).await.expect("published");
    current.build_info.expect("built from a Dockerfile").dockerfile_content.expect("its Dockerfile")
}

/// Creates `name` from `dockerfile` with `cpu` (memory 1, disk 3), waits for its build,
/// and puts it in `state`.
async fn built(server: &LocalDaytona, name: &str, dockerfile: &str, cpu: u32, state: SnapshotState) {
    let client = client(server);
    let request = CreateSnapshot::build(name, CreateBuildInfo::new(dockerfile, Vec::<String>::new()))
        .resources(cpu, 1, 3);
    client.snapshots().create(&request).await.expect("create");
    settled(&client, name).await;
    assert!(server.set_snapshot_state(name, state));
}

/// Creates `name` from the image `alpine:3.19` and waits until it is settled.
async fn from_image(server: &LocalDaytona, name: &str) {
    let client = client(server);
    client.snapshots().create(&CreateSnapshot::image(name, "alpine:3.19")).await.expect("create");
    settled(&client, name).await;
}

/// Look-alike names the `name` filter returns for `lc-app` that are not its versions.
const LOOK_ALIKES: [&str; 4] = ["lc-app-extra-v1.0.0", "my-lc-app-v1.0.0", "lc-app-v1", "lc-app-vnext"];

async fn look_alikes(server: &LocalDaytona) {
    for name in LOOK_ALIKES {
        from_image(server, name).await;
    }
}

/// The rows of the `snapshot list` table: (current?, words after the marker).
fn rows(stdout: &str) -> Vec<(bool, Vec<String>)> {
    stdout
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("VERSION"))
        .skip(1)
        .take_while(|l| l.starts_with("* ") || l.starts_with("  "))
        .map(|l| (l.starts_with('*'), l[2..].split_whitespace().map(str::to_owned).collect()))
        .collect()
}

/// The names on the server now, with their states.
async fn states(server: &LocalDaytona) -> Vec<(String, SnapshotState)> {
    let all = client(server).snapshots().list(&Default::default()).await.expect("list");
    let mut out: Vec<(String, SnapshotState)> = all.items.into_iter().map(|s| (s.name, s.state)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn state_of(states: &[(String, SnapshotState)], name: &str) -> Option<SnapshotState> {
    states.iter().find(|(n, _)| n == name).map(|(_, s)| *s)
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_this_packages_versions_newest_first_with_state_and_match() {
    let (server, _state) = server().await;
    let dockerfile = publish_current(&server).await;
    built(&server, "lc-app-v2.0.0", "FROM pj-test-base:1\nRUN echo two\n", 1, SnapshotState::Active).await;
    built(&server, "lc-app-v1.9.0", &dockerfile, 1, SnapshotState::Active).await;
    built(&server, "lc-app-v1.9.1", &dockerfile, 2, SnapshotState::Inactive).await;
    built(&server, "lc-app-v1.2.0", "FROM pj-test-base:1\nRUN echo old\n", 1, SnapshotState::BuildFailed)
        .await;
    from_image(&server, "lc-app-v1.10.0-rc.1").await;
    look_alikes(&server).await;
    server.clear_requests();

    let run = xtask(&server, &["snapshot", "list"]).await;
    assert_code(&run, 0);
    let rows = rows(&run.stdout);
    let versions: Vec<&str> = rows.iter().map(|(_, words)| words[0].as_str()).collect();
    assert_eq!(versions, ["2.0.0", "1.10.0", "1.10.0-rc.1", "1.9.1", "1.9.0", "1.2.0"], "{}", run.text());
    let current: Vec<&str> = rows.iter().filter(|(c, _)| *c).map(|(_, w)| w[0].as_str()).collect();
    assert_eq!(current, ["1.10.0"], "only the current version is marked:\n{}", run.stdout);
    let state_and_match: Vec<(&str, &str)> =
        rows.iter().map(|(_, w)| (w[1].as_str(), w.last().map_or("", String::as_str))).collect();
    assert_eq!(
        state_and_match,
        [
            ("active", "no"),
            ("active", "yes"),
            ("active", "-"),
            ("inactive", "image"),
            ("active", "yes"),
            ("build_failed", "no"),
        ],
        "{}",
        run.stdout
    );
    for name in LOOK_ALIKES {
        assert!(!run.stdout.contains(name), "{name} is not lc-app's:\n{}", run.stdout);
    }
    assert!(run.stdout.contains("6 snapshots of lc-app; * the current version (1.10.0)"), "{}", run.stdout);
    let lists: Vec<_> = server.requests().into_iter().filter(|r| r.route == Route::ListSnapshots).collect();
    assert!(!lists.is_empty());
    for list in &lists {
        let query = list.query.as_deref().unwrap_or_default();
        assert!(query.contains("name=lc-app"), "the list is filtered by name: {query}");
    }
    assert_eq!(server.count(Route::DeleteSnapshot), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_without_any_snapshot_says_how_to_publish() {
    let (server, _state) = server().await;
    look_alikes(&server).await;
    let run = xtask(&server, &["snapshot", "list"]).await;
    assert_code(&run, 0);
    assert!(run.stdout.contains("no snapshots named lc-app-v<version>"), "{}", run.text());
    assert!(run.stdout.contains("cargo xtask snapshot"), "{}", run.text());
}

/// Versions 1.0.0 to 1.10.0 of lc-app, the current one (1.10.0) published by xtask, and
/// one newer version published from other code; plus the look-alikes.
async fn many_versions(server: &LocalDaytona) {
    let dockerfile = publish_current(server).await;
    for minor in 0..10 {
        let state = if minor % 2 == 0 { SnapshotState::Inactive } else { SnapshotState::Active };
        built(server, &format!("lc-app-v1.{minor}.0"), &dockerfile, 1, state).await;
    }
    built(server, "lc-app-v1.11.0", &dockerfile, 1, SnapshotState::Active).await;
    look_alikes(server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_is_a_dry_run_unless_yes_then_deletes_exactly_the_old_versions() {
    let (server, _state) = server().await;
    many_versions(&server).await;
    let before = states(&server).await;

    let dry = xtask(&server, &["snapshot", "prune", "--keep", "3"]).await;
    assert_code(&dry, 0);
    assert_eq!(server.count(Route::DeleteSnapshot), 0, "a dry run deletes nothing");
    assert_eq!(states(&server).await, before);
    assert!(dry.stdout.contains("dry run"), "{}", dry.stdout);
    for (version, says) in [
        ("1.11.0", "keep          1.11.0   active        one of the 3 newest (--keep 3)"),
        ("1.10.0", "keep          1.10.0   active        the current version"),
        ("1.9.0", "keep          1.9.0    active        one of the 3 newest (--keep 3)"),
        ("1.8.0", "would delete  1.8.0    inactive"),
        ("1.0.0", "would delete  1.0.0    inactive"),
    ] {
        assert!(dry.stdout.contains(says), "{version}: no {says:?} in:\n{}", dry.stdout);
    }
    assert!(dry.stdout.contains("re-run with --yes"), "{}", dry.stdout);

    let run = xtask(&server, &["snapshot", "prune", "--keep", "3", "--yes"]).await;
    assert_code(&run, 0);
    let after = states(&server).await;
    let deleted: Vec<String> = (0..9).map(|minor| format!("lc-app-v1.{minor}.0")).collect();
    for name in &deleted {
        assert_eq!(state_of(&after, name), Some(SnapshotState::Removing), "{name}:\n{}", run.stdout);
        assert!(run.stdout.contains(&format!("deleted {name}\n")), "{name}:\n{}", run.stdout);
    }
    assert_eq!(server.count(Route::DeleteSnapshot), deleted.len());
    for kept in ["lc-app-v1.11.0", CURRENT, "lc-app-v1.9.0"] {
        assert_eq!(state_of(&after, kept), Some(SnapshotState::Active), "{kept}");
    }
    for name in LOOK_ALIKES {
        assert_eq!(state_of(&after, name), state_of(&before, name), "{name} is not lc-app's");
    }
    assert!(run.stdout.contains("deleted 9 snapshots; 3 kept"), "{}", run.stdout);

    // Again: those being removed are shown as such and not deleted again.
    server.clear_requests();
    let again = xtask(&server, &["snapshot", "prune", "--keep", "3", "--yes"]).await;
    assert_code(&again, 0);
    assert_eq!(server.count(Route::DeleteSnapshot), 0);
    assert!(
        again.stdout.contains("skip          1.0.0    removing      already being removed"),
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("nothing to delete; 3 kept"), "{}", again.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_keep_zero_still_keeps_the_current_version_and_newer_ones() {
    let (server, _state) = server().await;
    many_versions(&server).await;
    let run = xtask(&server, &["snapshot", "prune", "--keep", "0", "--yes"]).await;
    assert_code(&run, 0);
    let after = states(&server).await;
    assert_eq!(state_of(&after, CURRENT), Some(SnapshotState::Active), "{}", run.stdout);
    assert_eq!(state_of(&after, "lc-app-v1.11.0"), Some(SnapshotState::Active), "{}", run.stdout);
    assert!(
        run.stdout.contains("keep          1.11.0   active        newer than the current version"),
        "{}",
        run.stdout
    );
    for minor in 0..10 {
        let name = format!("lc-app-v1.{minor}.0");
        assert_eq!(state_of(&after, &name), Some(SnapshotState::Removing), "{name}:\n{}", run.stdout);
    }
    assert_eq!(server.count(Route::DeleteSnapshot), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_delete_is_reported_and_the_others_are_still_deleted() {
    let (server, _state) = server().await;
    many_versions(&server).await;
    server.faults().fail_next(Route::DeleteSnapshot, 1, 500);
    let run = xtask(&server, &["snapshot", "prune", "--keep", "9", "--yes"]).await;
    assert_code(&run, 1);
    // Versions 1.0.0 to 1.2.0 go (newest first: 1.2.0 is the one that failed).
    assert!(run.stdout.contains("failed to delete lc-app-v1.2.0"), "{}", run.text());
    assert!(run.stderr.contains("error: 1 of 3 deletions failed"), "{}", run.text());
    assert!(run.stderr.contains("cannot delete lc-app-v1.2.0"), "{}", run.text());
    assert!(run.stdout.contains("deleted 2 snapshots; 9 kept"), "{}", run.text());
    let after = states(&server).await;
    assert_eq!(state_of(&after, "lc-app-v1.2.0"), Some(SnapshotState::Inactive));
    for name in ["lc-app-v1.1.0", "lc-app-v1.0.0"] {
        assert_eq!(state_of(&after, name), Some(SnapshotState::Removing), "{name}");
    }
    assert_eq!(server.count(Route::DeleteSnapshot), 3);

    // Re-running finishes the job.
    let again = xtask(&server, &["snapshot", "prune", "--keep", "9", "--yes"]).await;
    assert_code(&again, 0);
    assert_eq!(state_of(&states(&server).await, "lc-app-v1.2.0"), Some(SnapshotState::Removing));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_and_prune_need_their_arguments_and_publishing_keeps_its_flags() {
    let (server, _state) = server().await;
    let no_keep = xtask(&server, &["snapshot", "prune"]).await;
    assert_code(&no_keep, 2);
    assert!(no_keep.stderr.contains("--keep <N>"), "{}", no_keep.text());
    let mixed = xtask(&server, &["snapshot", "--check", "list"]).await;
    assert_code(&mixed, 2);
    for sub in ["list", "prune"] {
        let help = xtask(&server, &["snapshot", sub, "--help"]).await;
        assert_code(&help, 0);
        assert!(
            help.stdout.contains("Examples:") && help.stdout.contains("DAYTONA_API_KEY"),
            "{}",
            help.stdout
        );
    }
    assert!(server.requests().is_empty(), "nothing reached the server");
    // `snapshot` alone still publishes.
    let check = xtask(&server, &["snapshot", "--check"]).await;
    assert_code(&check, 3);
    assert!(check.stderr.contains(&format!("snapshot {CURRENT} does not exist")), "{}", check.text());
}

/// `--local` (an embedded server in a state directory of its own) like the other commands.
#[tokio::test(flavor = "multi_thread")]
async fn list_and_prune_work_with_local() {
    let state = tempfile::tempdir().expect("tempdir");
    let local = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"));
        support::as_a_user_in(&mut cmd, app(), &app_crate::target_dir());
        cmd.args(args).args(["--local", "--local-build", "check"]).env("PITHY_LOCAL_STATE_DIR", state.path());
        output(cmd)
    };
    assert_code(&local(&["snapshot", "--timeout", "60s"]).await, 0);
    let list = local(&["snapshot", "list"]).await;
    assert_code(&list, 0);
    let rows = rows(&list.stdout);
    assert_eq!(rows.len(), 1, "{}", list.text());
    assert!(rows[0].0, "{}", list.text());
    assert_eq!((rows[0].1[0].as_str(), rows[0].1.last().map(String::as_str)), ("1.10.0", Some("yes")));
    assert!(list.stderr.contains("started an embedded local Daytona server"), "{}", list.text());
    let prune = local(&["snapshot", "prune", "--keep", "0", "--yes"]).await;
    assert_code(&prune, 0);
    assert!(prune.stdout.contains("nothing to delete; 1 kept"), "{}", prune.text());
}

/// README.md's `snapshot list` and `snapshot prune --keep 2` sessions, as a terminal
/// shows them (standard output and error in one).
#[tokio::test(flavor = "multi_thread")]
async fn the_readme_sessions() {
    let (server, _state) = server().await;
    let dockerfile = publish_current(&server).await;
    built(&server, "lc-app-v1.9.0", &dockerfile, 1, SnapshotState::Active).await;
    built(&server, "lc-app-v1.8.0", "FROM pj-test-base:1\nRUN echo old\n", 1, SnapshotState::Inactive).await;
    built(&server, "lc-app-v1.7.0", "FROM pj-test-base:1\nRUN false\n", 1, SnapshotState::BuildFailed).await;
    look_alikes(&server).await;
    let redactions = readme::redactions(app(), &app_crate::target_dir());
    for (situation, args) in [
        (Situation::SnapshotList, &["snapshot", "list"][..]),
        (Situation::SnapshotPrune, &["snapshot", "prune", "--keep", "2"][..]),
    ] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"));
        support::as_a_user_in(&mut cmd, app(), &app_crate::target_dir());
        cmd.args(args).env("DAYTONA_API_URL", server.url()).env("DAYTONA_API_KEY", server.api_key());
        let (code, shown) = combined(cmd).await;
        assert_eq!(code, 0, "{shown}");
        let session = readme::session(&app_crate::workspace(), situation);
        readme::assert_matches(&session, &shown, &redactions);
    }
    assert_eq!(server.count(Route::DeleteSnapshot), 0);
}
