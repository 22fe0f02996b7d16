//! The reference application, for real, as a user runs it: with its base image made
//! locally from Debian's archive (`scripts/debian-base-image.sh`, no registry), `cargo
//! xtask local` serves one local Daytona, `cargo xtask snapshot --local` builds
//! pithy-jaunt's image with Docker (apt from Debian, pip from PyPI), `pithy-jaunt run
//! hello` creates a sandbox from the snapshot of its own version, runs
//! `/app/execution.sh hello` in it, prints the agent runner's JSON and deletes the
//! sandbox; and `--docker` builds the same image.
//!
//! pithy-jaunt is built by xtask (as `cargo xtask snapshot` always does) in
//! `target/pj-apps/target`, beside the other applications the tests build: the
//! workspace's own target directory is locked by the `cargo test` running this.

use std::path::PathBuf;
use std::process::Command;

#[path = "../../tests/support/app_crate.rs"]
mod app_crate;
#[path = "../../tests/conformance/provision.rs"]
mod provision;
mod support;

use support::{LocalServer, Run, assert_code, docker, docker_ok, free_port_pair, output};

const SNAPSHOT: &str = "pithy-jaunt-v1.0.6";

/// `xtask <args>` in the workspace root, for the pithy-jaunt package, with no Daytona
/// credentials from the environment.
fn xtask(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args)
        .current_dir(app_crate::workspace())
        .env("CARGO_TARGET_DIR", app_crate::target_dir())
        .env_remove("DAYTONA_API_KEY")
        .env_remove("DAYTONA_API_URL")
        .env_remove("DAYTONA_JWT_TOKEN")
        .env_remove("PITHY_SNAPSHOT_OVERRIDE");
    cmd
}

fn pithy_jaunt() -> PathBuf {
    app_crate::target_dir().join("debug/pithy-jaunt")
}

/// The agent runner's JSON line: `{"python": "3.11.x", "task": "hello"}`.
fn agent_output(run: &Run) -> serde_json::Value {
    let line = run.stdout.lines().find(|l| l.starts_with('{')).unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("no JSON line ({e}) in:\n{}", run.text()))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_app_builds_for_real_and_runs_hello_in_a_sandbox() {
    let base = provision::reference_base();
    // A real build every time: an image left by an earlier run would be reused.
    let dry = output(xtask(&["snapshot", "--dry-run", "-p", "pithy-jaunt"])).await;
    assert_code(&dry, 0);
    let key = dry.stdout.lines().find_map(|l| l.strip_prefix("build key")).expect("a build key line").trim();
    let _ = docker(&["image", "rm", "--force", key, "pithy-jaunt:v1.0.6"]);

    let state = tempfile::tempdir().expect("tempdir");
    let server = LocalServer::start(xtask(&[]), state.path(), free_port_pair(), &[]);
    assert!(server.stderr().contains("builds: auto"), "{}", server.stderr());

    let mut publish = xtask(&["snapshot", "--local", "-p", "pithy-jaunt", "--timeout", "20m"]);
    publish.env("PITHY_LOCAL_STATE_DIR", state.path());
    let published = output(publish).await;
    assert_code(&published, 0);
    assert!(published.stdout.contains(&format!("snapshot    {SNAPSHOT}")), "{}", published.text());
    assert!(published.stdout.contains("state       active"), "{}", published.text());
    // A real image, built from the base on this engine: never a check-only stand-in.
    let image_line = published.stdout.lines().find(|l| l.starts_with("image ")).unwrap_or_default();
    assert!(image_line.contains("built: daytona-"), "{}", published.text());
    assert!(!published.text().contains("checked, not built"), "{}", published.text());
    let image = image_line.split_whitespace().find(|w| w.starts_with("daytona-")).expect("image tag");
    assert_eq!(image, key, "the image is tagged with the build key");
    assert!(
        published.stderr.contains(&format!("FROM {base}")),
        "the build log is followed: {}",
        published.text()
    );
    assert!(!published.text().contains(&server.key), "the API key was printed");

    // The application, as its README runs it: the exports of `cargo xtask local --env`.
    let mut env = xtask(&["local", "--env"]);
    env.env("PITHY_LOCAL_STATE_DIR", state.path());
    let exports = output(env).await;
    assert_code(&exports, 0);
    let var = |name: &str| {
        let prefix = format!("export {name}=");
        exports.stdout.lines().find_map(|l| l.strip_prefix(&prefix)).expect("an export line").to_owned()
    };
    let mut run = Command::new(pithy_jaunt());
    run.args(["run", "hello"])
        .env("DAYTONA_API_URL", var("DAYTONA_API_URL"))
        .env("DAYTONA_API_KEY", var("DAYTONA_API_KEY"));
    let ran = output(run).await;
    assert_code(&ran, 0);
    let json = agent_output(&ran);
    assert_eq!(json["task"], "hello", "{}", ran.text());
    let python = json["python"].as_str().unwrap_or_default();
    assert!(python.starts_with("3.11."), "Debian bookworm's Python in the venv: {}", ran.text());
    assert!(ran.stderr.contains(&format!("creating a sandbox from {SNAPSHOT}")), "{}", ran.text());
    assert!(ran.stderr.contains("exit code 0"), "{}", ran.text());
    assert!(!ran.text().contains(&server.key), "the API key was printed");
    // The sandbox was deleted: no container of the snapshot's image is left.
    let left = docker_ok(&["ps", "--all", "--quiet", "--filter", &format!("ancestor={image}")]);
    assert_eq!(left.trim(), "", "a sandbox container was left behind");
    drop(server);

    // `--docker` builds the same definition on the same engine.
    let built = output(xtask(&["snapshot", "--docker", "-p", "pithy-jaunt"])).await;
    assert_code(&built, 0);
    assert!(built.stdout.contains("built pithy-jaunt:v1.0.6"), "{}", built.text());
    let direct = docker_ok(&["run", "--rm", "pithy-jaunt:v1.0.6", "/app/execution.sh", "from docker"]);
    let json: serde_json::Value = serde_json::from_str(direct.trim()).expect("JSON from the agent runner");
    assert_eq!(json["task"], "from docker");
    assert_eq!(json["python"], python, "the same Python in both images");
}
