//! The reference application, for real, as a user runs it and as README.md shows it:
//! with its base image made locally from Debian's archive (`scripts/debian-base-image.sh`,
//! no registry), `cargo xtask snapshot --local` builds pithy-jaunt's image with Docker
//! (apt from Debian, pip from PyPI), `cargo xtask local` serves one local Daytona,
//! `pithy-jaunt run hello` creates a sandbox from the snapshot of its own version, runs
//! the agent runner on the task in it, prints its result (result.json) and deletes the
//! sandbox (the whole job, with a repository, a key, streaming and Ctrl-C, is
//! `examples/pithy-jaunt/tests/sandbox.rs`); without the base image the same command only checks the build (which
//! `--check` refuses as not usable), and builds it once the base is back; and `--docker` builds the same image. Each step that README.md
//! shows as a `$ ` session is compared with it (`support/readme.rs`), here rather than in
//! a second build.
//!
//! pithy-jaunt is built by xtask (as `cargo xtask snapshot` always does) in
//! `target/pj-apps/target`, beside the other applications the tests build: the
//! workspace's own target directory is locked by the `cargo test` running this. The
//! local state is that target directory's default `pithy-local`, as in the README.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../tests/support/app_crate.rs"]
mod app_crate;
#[path = "../../tests/conformance/provision.rs"]
mod provision;
mod support;

use support::readme::{self, Situation};
use support::{LocalServer, as_a_user_in, assert_code, combined, docker, docker_ok, free_port_pair, output};

const SNAPSHOT: &str = "pithy-jaunt-v1.0.6";

/// `xtask <args>` in the workspace root, for the pithy-jaunt package, with no Daytona
/// credentials from the environment.
fn xtask(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args);
    as_a_user_in(&mut cmd, &app_crate::workspace(), &app_crate::target_dir());
    cmd
}

fn pithy_jaunt() -> PathBuf {
    app_crate::target_dir().join("debug/pithy-jaunt")
}

/// The agent runner's result (result.json, `{"task": "hello", "python": "3.11.x", ...}`)
/// in `text`: from a line `{` to the line `}`.
fn agent_result(text: &str) -> serde_json::Value {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| *l == "{");
    let end = lines.iter().position(|l| *l == "}");
    let json = match (start, end) {
        (Some(start), Some(end)) if start < end => lines[start..=end].join("\n"),
        _ => String::new(),
    };
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("no result ({e}) in:\n{text}"))
}

/// The README's sessions met on the way; their differences are reported together at
/// the end, so one run shows every session to update.
struct Readme {
    workspace: PathBuf,
    redactions: snapbox::Redactions,
    differences: Vec<String>,
}

impl Readme {
    fn new() -> Readme {
        let workspace = app_crate::workspace();
        let redactions = readme::redactions(&workspace, &app_crate::target_dir());
        Readme { workspace, redactions, differences: Vec::new() }
    }

    fn compare(&mut self, situation: Situation, actual: &str) {
        let session = readme::session(&self.workspace, situation);
        if let Err(e) = readme::compare(&session, actual, &self.redactions) {
            self.differences.push(e);
        }
    }

    fn assert_all_match(&self) {
        assert!(self.differences.is_empty(), "{}", self.differences.join("\n"));
    }
}

/// `$ eval "$(cargo xtask local --env)"`: the exports of the running server, and what
/// the command printed besides them (the terminal shows its standard error).
async fn exports() -> (Vec<(String, String)>, String) {
    let run = output(xtask(&["local", "--env"])).await;
    assert_code(&run, 0);
    let vars = ["DAYTONA_API_URL", "DAYTONA_API_KEY"]
        .map(|name| {
            let prefix = format!("export {name}=");
            let value = run.stdout.lines().find_map(|l| l.strip_prefix(&prefix)).expect("an export line");
            (name.to_owned(), value.to_owned())
        })
        .to_vec();
    (vars, run.stderr)
}

/// `$ cargo run -q -p pithy-jaunt -- run hello` with `exports` set.
async fn run_hello(exports: &[(String, String)]) -> (i32, String) {
    let mut run = Command::new(pithy_jaunt());
    run.args(["run", "hello"]).envs(exports.iter().map(|(k, v)| (k, v)));
    // As the README shows it: no model key, no runner setting from the test's environment.
    run.env_remove("ANTHROPIC_API_KEY").env_remove("OPENAI_API_KEY");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PITHY_JAUNT_") {
            run.env_remove(name);
        }
    }
    combined(run).await
}

/// The `$ cargo xtask local` session: the two export lines the server printed on its
/// standard output, then its standard error.
fn served(server: &LocalServer) -> String {
    format!(
        "export DAYTONA_API_URL={}\nexport DAYTONA_API_KEY={}\n{}",
        server.url,
        server.key,
        server.stderr()
    )
}

/// The reference base image under another name, so that `debian:bookworm-slim` is not
/// on the engine; put back by [`HiddenBase::restore`], or when dropped, even when the
/// test fails.
struct HiddenBase {
    base: &'static str,
}

impl HiddenBase {
    const ASIDE: &str = "pj-readme-hidden-base:bookworm-slim";

    fn hide(base: &'static str) -> HiddenBase {
        docker_ok(&["tag", base, Self::ASIDE]);
        docker_ok(&["image", "rm", base]);
        HiddenBase { base }
    }

    fn restore(&self) {
        if !provision::has_image(self.base) {
            docker_ok(&["tag", Self::ASIDE, self.base]);
        }
        let _ = docker(&["image", "rm", Self::ASIDE]);
    }
}

impl Drop for HiddenBase {
    fn drop(&mut self) {
        self.restore();
    }
}

/// A base left aside by a run that was killed is put back first.
fn unhide_left_over(base: &'static str) {
    if provision::has_image(HiddenBase::ASIDE) {
        HiddenBase { base }.restore();
    }
}

/// The local server's state directory, as the README's commands use it (no
/// `PITHY_LOCAL_STATE_DIR`), emptied.
fn fresh_state() -> PathBuf {
    let state = app_crate::target_dir().join("pithy-local");
    if state.exists() {
        std::fs::remove_dir_all(&state).expect("remove the old local state");
    }
    state
}

fn start_server(state: &Path) -> LocalServer {
    LocalServer::start(xtask(&[]), state, free_port_pair(), &[])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_app_builds_for_real_and_runs_hello_in_a_sandbox() {
    unhide_left_over(provision::REFERENCE_BASE);
    let base = provision::reference_base();
    let mut readme = Readme::new();
    // A real build every time: an image left by an earlier run would be reused.
    let dry = output(xtask(&["snapshot", "--dry-run", "-p", "pithy-jaunt"])).await;
    assert_code(&dry, 0);
    let key = dry.stdout.lines().find_map(|l| l.strip_prefix("build key")).expect("a build key line").trim();
    let _ = docker(&["image", "rm", "--force", key, "pithy-jaunt:v1.0.6"]);

    // The first `--local`: an embedded server, a real build.
    let state = fresh_state();
    let (code, published) = combined(xtask(&["snapshot", "--local", "--timeout", "20m"])).await;
    assert_eq!(code, 0, "{published}");
    readme.compare(Situation::FirstLocalBuild, &published);
    assert!(published.contains(&format!("snapshot    {SNAPSHOT}")), "{published}");
    assert!(published.contains("state       active"), "{published}");
    // A real image, built from the base on this engine: never a check-only stand-in.
    let image_line = published.lines().find(|l| l.starts_with("image ")).unwrap_or_default();
    assert!(image_line.contains("built: daytona-"), "{published}");
    assert!(!published.contains("checked, not built"), "{published}");
    let image = image_line.split_whitespace().find(|w| w.starts_with("daytona-")).expect("image tag");
    assert_eq!(image, key, "the image is tagged with the build key");
    assert!(published.contains(&format!("FROM {base}")), "the build log is followed: {published}");

    let (code, again) = combined(xtask(&["snapshot", "--local"])).await;
    assert_eq!(code, 0, "{again}");
    readme.compare(Situation::LocalUpToDate, &again);
    let (code, check) = combined(xtask(&["snapshot", "--local", "--check"])).await;
    assert_eq!(code, 0, "{check}");
    readme.compare(Situation::LocalCheck, &check);

    // `cargo xtask local` serves the same state; the application, as its README runs it.
    let mut server = start_server(&state);
    assert!(server.stderr().contains("builds: auto"), "{}", server.stderr());
    assert!(!published.contains(&server.key), "the API key was printed");
    let (code, on_server) = combined(xtask(&["snapshot", "--local"])).await;
    assert_eq!(code, 0, "{on_server}");
    readme.compare(Situation::LocalUpToDateOnServer, &on_server);
    let (vars, env_stderr) = exports().await;
    readme.compare(Situation::EvalEnv, &env_stderr);
    // Containers of the image that other tests (or a developer) left are not this run's.
    let others = docker_ok(&["ps", "--all", "--quiet", "--filter", &format!("ancestor={image}")]);
    let (code, ran) = run_hello(&vars).await;
    assert_eq!(code, 0, "{ran}");
    readme.compare(Situation::RunHello, &ran);
    let json = agent_result(&ran);
    assert_eq!(json["task"], "hello", "{ran}");
    assert_eq!(json["model_called"], false, "{ran}");
    let python = json["python"].as_str().unwrap_or_default().to_owned();
    assert!(python.starts_with("3.11."), "Debian bookworm's Python in the venv: {ran}");
    assert!(ran.starts_with(&format!("Creating workspace with snapshot: {SNAPSHOT}\n")), "{ran}");
    assert!(ran.contains("agent-runner: task: hello\n"), "{ran}");
    assert!(ran.contains("agent runner exited with code 0\n"), "{ran}");
    assert!(!ran.contains(&server.key), "the API key was printed");
    // The sandbox was deleted: no container of the snapshot's image is left.
    let left = docker_ok(&["ps", "--all", "--quiet", "--filter", &format!("ancestor={image}")]);
    let left: Vec<&str> = left.lines().filter(|id| !others.lines().any(|o| o == *id)).collect();
    assert!(left.is_empty(), "a sandbox container was left behind: {left:?}");
    server.stop();
    readme.compare(Situation::LocalServe, &served(&server));
    drop(server);

    // Without the base image: checked only, no sandbox; once it is back, the same
    // command builds it.
    let state = fresh_state();
    let hidden = HiddenBase::hide(base);
    let (code, checked) = combined(xtask(&["snapshot", "--local", "--timeout", "20m"])).await;
    assert_eq!(code, 0, "{checked}");
    readme.compare(Situation::LocalWithoutBase, &checked);
    // Checked only is not usable: --check fails (drift, 3) and says how to get a build.
    let (code, check) = combined(xtask(&["snapshot", "--local", "--check"])).await;
    assert_eq!(code, 3, "{check}");
    readme.compare(Situation::LocalCheckCheckedOnly, &check);
    let server = start_server(&state);
    let (vars, env_stderr) = exports().await;
    let (code, refused) = run_hello(&vars).await;
    assert_ne!(code, 0, "{refused}");
    readme.compare(Situation::RunHelloCheckedOnly, &format!("{env_stderr}{refused}"));
    hidden.restore();
    let (code, rebuilt) = combined(xtask(&["snapshot", "--local", "--timeout", "20m"])).await;
    assert_eq!(code, 0, "{rebuilt}");
    readme.compare(Situation::LocalOnceBaseExists, &rebuilt);
    assert!(rebuilt.contains(&format!("image       built: {key}")), "{rebuilt}");
    assert!(!rebuilt.contains(&server.key), "the API key was printed");
    drop(server);
    drop(hidden);

    // `--docker` builds the same definition on the same engine.
    let built = output(xtask(&["snapshot", "--docker", "-p", "pithy-jaunt"])).await;
    assert_code(&built, 0);
    assert!(built.stdout.contains("built pithy-jaunt:v1.0.6"), "{}", built.text());
    let direct = docker_ok(&[
        "run",
        "--rm",
        "pithy-jaunt:v1.0.6",
        "sh",
        "-c",
        "/app/execution.sh from docker >/dev/null && cat result.json",
    ]);
    let json: serde_json::Value = serde_json::from_str(direct.trim()).expect("JSON from the agent runner");
    assert_eq!(json["task"], "from docker");
    assert_eq!(json["python"], python, "the same Python in both images");
    readme.assert_all_match();
}
