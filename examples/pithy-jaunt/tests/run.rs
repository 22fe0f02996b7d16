//! `pithy-jaunt run` against the local Daytona-compatible server: the binary is bound to
//! its snapshot by content (`Client::bound`), so a snapshot under its name built from
//! other code is refused before any sandbox is created, and the real definition's
//! snapshot, only checked by the server, fails with the server's way to a real build.
//!
//! The real image, built from the definition with apt and pip and run with
//! `pithy-jaunt run hello` in a sandbox, is tested in `xtask/tests/reference.rs`.

use std::path::Path;
use std::time::{Duration, Instant};

use pj_daytona::{Client, CreateBuildInfo, CreateSnapshot, SnapshotState};
use pj_daytona_local::{BuildMode, LocalDaytona, Route, ServerConfig};

const SNAPSHOT: &str = concat!("pithy-jaunt-v", env!("CARGO_PKG_VERSION"));

/// `pithy-jaunt <args>` with the credentials of `server`, off the async workers (the
/// server lives on them).
async fn run_against(server: &LocalDaytona, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pithy-jaunt"));
    cmd.args(args).env("DAYTONA_API_URL", server.url()).env("DAYTONA_API_KEY", server.api_key());
    tokio::task::spawn_blocking(move || cmd.output()).await.expect("join").expect("run pithy-jaunt")
}

async fn check_only_server(state: &Path) -> LocalDaytona {
    LocalDaytona::start(ServerConfig::new(state).build_mode(BuildMode::CheckOnly)).await.expect("server")
}

/// Creates `request` and waits until the snapshot is `active`.
async fn publish(client: &Client, request: &CreateSnapshot) {
    let created = client.snapshots().create(request).await.expect("create snapshot");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = client.snapshots().get(&created.id).await.expect("get");
        match s.state {
            SnapshotState::Active => return,
            SnapshotState::BuildFailed | SnapshotState::Error => panic!("build failed: {:?}", s.error_reason),
            _ if Instant::now() > deadline => panic!("the check did not finish"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// The definition compiled into the binary, as `pithy-jaunt image` prints it: the
/// Dockerfile and the contexts (md5, archive path).
fn compiled_definition() -> (String, Vec<(String, String)>) {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_pithy-jaunt")).arg("image").output().expect("run");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let (head, dockerfile) = text.split_once("dockerfile:\n").expect("a dockerfile section");
    let contexts = head
        .split_once("contexts:\n")
        .expect("a contexts section")
        .1
        .lines()
        .filter_map(|l| l.trim().split_once("  "))
        .map(|(md5, archive)| (md5.to_owned(), archive.to_owned()))
        .collect();
    (dockerfile.to_owned(), contexts)
}

/// A snapshot under the binary's name, built from other code (as after a `--replace` from
/// another checkout): refused with the way out, and no sandbox is created.
#[tokio::test(flavor = "multi_thread")]
async fn run_refuses_a_snapshot_built_from_other_code() {
    let state = tempfile::tempdir().expect("tempdir");
    let server = check_only_server(state.path()).await;
    let client = server.client_builder().build().expect("client");
    let other = CreateBuildInfo::new("FROM ubuntu:22.04\nRUN echo other code\n", Vec::<String>::new());
    publish(&client, &CreateSnapshot::build(SNAPSHOT, other)).await;

    let out = run_against(&server, &["run", "hello"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Snapshot {SNAPSHOT} cannot be used by this binary: it was built from other code"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("cargo xtask snapshot --replace"), "{stderr}");
    assert_eq!(server.count(Route::CreateSandbox), 0, "no sandbox was created");
    assert!(!stderr.contains(server.api_key()));
    server.shutdown().await;
}

#[test]
fn run_without_credentials_says_what_to_set() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pithy-jaunt"))
        .args(["run", "hello"])
        .env_remove("DAYTONA_API_KEY")
        .env_remove("DAYTONA_JWT_TOKEN")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DAYTONA_API_KEY"), "{stderr}");
    assert!(stderr.contains("cargo xtask local --env"), "{stderr}");
    assert!(!stderr.contains("ClientBuilder") && !stderr.contains("::"), "no Rust types: {stderr}");
}

/// The binary's own definition, which the local server only checked: it has no image, so
/// `run` fails at once and shows the server's message, which says how to get a real build.
#[tokio::test(flavor = "multi_thread")]
async fn run_on_a_checked_only_snapshot_says_it_was_not_built() {
    let state = tempfile::tempdir().expect("tempdir");
    let server = check_only_server(state.path()).await;
    let client = server.client_builder().build().expect("client");
    let (dockerfile, contexts) = compiled_definition();
    let storage = client.object_storage();
    let access = storage.push_access().await.expect("access");
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (md5, archive) in &contexts {
        storage.upload_context(&access, &crate_dir.join(archive), archive, md5).await.expect("upload");
    }
    let hashes: Vec<String> = contexts.into_iter().map(|(md5, _)| md5).collect();
    publish(&client, &CreateSnapshot::build(SNAPSHOT, CreateBuildInfo::new(dockerfile, hashes))).await;

    let started = Instant::now();
    let out = run_against(&server, &["run", "hello"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20), "it fails at once");
    assert!(stderr.contains(&format!("Snapshot {SNAPSHOT} was only checked, not built")), "{stderr}");
    assert!(stderr.contains("then run `cargo xtask snapshot --local` again, which builds it"), "{stderr}");
    assert!(stderr.contains("(HTTP 400)"), "{stderr}");
    assert!(!stderr.contains(server.api_key()));
    server.shutdown().await;
}

/// `--repo` naming a directory that is no git repository: a configuration error (2)
/// before any sandbox is created.
#[tokio::test(flavor = "multi_thread")]
async fn a_repo_that_is_no_git_repository_is_refused_before_any_sandbox() {
    let state = tempfile::tempdir().expect("tempdir");
    let server = check_only_server(state.path()).await;
    let plain = tempfile::tempdir().expect("tempdir");
    let path = plain.path().to_string_lossy().into_owned();
    let out = run_against(&server, &["run", "hello", "--repo", &path]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with(&format!("error: --repo {path}: not a git repository")), "{stderr}");
    assert!(stderr.contains("help: give a git work tree"), "{stderr}");
    assert_eq!(server.count(Route::CreateSandbox), 0, "no sandbox was created");
    server.shutdown().await;
}
