//! `pithy-jaunt run` doing the whole job in a real sandbox: the reference image
//! (`tests/tests/support/reference.rs`) published on a local server (loopback only),
//! then the binary run as a user runs it, its standard output read as it comes.
//!
//! The oracles are outside the binary: the repository's HEAD from `git rev-parse` in the
//! test's own checkout, the key's fingerprint computed here, the sandbox's container as
//! Docker lists it (`docker ps --filter label=pithy.local.sandbox=<id>`), and the runner's
//! gate file created with `docker exec` in that container. Streaming is shown by order,
//! not by time: the runner waits at its gate (`PITHY_JAUNT_GATE`) until the test has seen
//! its first lines, so they came while it still ran.

mod support;

use std::process::Stdio;
use std::sync::Mutex;

use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};
use tokio::sync::mpsc;

use support::sandbox_containers;

const SNAPSHOT: &str = concat!("pithy-jaunt-v", env!("CARGO_PKG_VERSION"));
/// The runner's gate in the sandbox.
const GATE: &str = "/app/workspace/go";

/// A server that builds with Docker, with the reference snapshot published. The tests
/// of this file publish one after the other: the first builds, the others find Docker's
/// cache.
async fn server_with_snapshot() -> (LocalDaytona, tempfile::TempDir) {
    static PUBLISHING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let state = tempfile::tempdir().expect("a temp dir for the server's state");
    let server = LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::Docker))
        .await
        .expect("the local server starts");
    let _one_at_a_time = PUBLISHING.lock().await;
    assert_eq!(support::reference::snapshot(&server).await, SNAPSHOT);
    (server, state)
}

/// A marker that stands for a model key: random, so it can only come from this test.
fn marker() -> String {
    use std::hash::BuildHasher;
    let random = |salt: u128| std::collections::hash_map::RandomState::new().hash_one(salt);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("sk-ant-test-{:016x}{:016x}", random(now), random(u128::from(std::process::id())))
}

/// Removes, when dropped, the containers of the sandboxes it was told about: a failing
/// test leaves none behind (the binary is killed when its handle drops).
#[derive(Default)]
struct Containers(Mutex<Vec<String>>);

impl Containers {
    fn track(&self, id: &str) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(id.to_owned());
    }
}

impl Drop for Containers {
    fn drop(&mut self) {
        for id in self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
            for container in sandbox_containers(id).lines() {
                let _ = std::process::Command::new("docker").args(["rm", "--force", container]).output();
            }
        }
    }
}

/// `pithy-jaunt <args>` against `server`, offline (the runner never calls a model), with
/// no model key from the test's own environment.
fn jaunt(server: &LocalDaytona, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_pithy-jaunt"));
    cmd.args(args)
        .env("DAYTONA_API_URL", server.url())
        .env("DAYTONA_API_KEY", server.api_key())
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env("PITHY_JAUNT_OFFLINE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// A running `pithy-jaunt`: its standard output read line by line by the test, its
/// standard error by a task that passes each line on.
struct Running {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    stdout_seen: String,
    stderr: mpsc::UnboundedReceiver<String>,
    stderr_seen: String,
}

impl Running {
    fn spawn(mut cmd: tokio::process::Command) -> Running {
        let mut child = cmd.spawn().expect("pithy-jaunt starts");
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        let mut stderr = BufReader::new(child.stderr.take().expect("piped")).lines();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, stdout, stdout_seen: String::new(), stderr: rx, stderr_seen: String::new() }
    }

    fn seen(&self) -> String {
        format!("--- stdout:\n{}--- stderr:\n{}", self.stdout_seen, self.stderr_seen)
    }

    /// Reads standard output up to the line containing `needle`.
    async fn stdout_until(&mut self, needle: &str) {
        loop {
            match self.stdout.next_line().await.expect("read stdout") {
                Some(line) => {
                    self.stdout_seen.push_str(&line);
                    self.stdout_seen.push('\n');
                    if line.contains(needle) {
                        return;
                    }
                }
                None => panic!("stdout ended before {needle:?}\n{}", self.seen()),
            }
        }
    }

    /// Reads standard error up to the line containing `needle`; that line.
    async fn stderr_until(&mut self, needle: &str) -> String {
        loop {
            match self.stderr.recv().await {
                Some(line) => {
                    self.stderr_seen.push_str(&line);
                    self.stderr_seen.push('\n');
                    if line.contains(needle) {
                        return line;
                    }
                }
                None => panic!("stderr ended before {needle:?}\n{}", self.seen()),
            }
        }
    }

    /// The sandbox's id, from the binary's progress line.
    async fn sandbox_id(&mut self, containers: &Containers) -> String {
        let line = self.stderr_until("started").await;
        let id = line
            .strip_prefix("sandbox ")
            .and_then(|rest| rest.strip_suffix(" started"))
            .unwrap_or_else(|| panic!("no sandbox id in {line:?}"))
            .to_owned();
        containers.track(&id);
        id
    }

    /// Reads both streams to their end and waits for the exit code.
    async fn finish(mut self) -> (i32, String, String) {
        while let Some(line) = self.stdout.next_line().await.expect("read stdout") {
            self.stdout_seen.push_str(&line);
            self.stdout_seen.push('\n');
        }
        while let Some(line) = self.stderr.recv().await {
            self.stderr_seen.push_str(&line);
            self.stderr_seen.push('\n');
        }
        let status = self.child.wait().await.expect("wait for pithy-jaunt");
        (status.code().unwrap_or(-1), self.stdout_seen, self.stderr_seen)
    }
}

/// The result.json the binary printed: from its first line `{` to the end.
fn printed_result(stdout: &str) -> serde_json::Value {
    let start = match stdout.find("\n{\n") {
        _ if stdout.starts_with("{\n") => 0,
        Some(i) => i + 1,
        None => panic!("no result printed:\n{stdout}"),
    };
    serde_json::from_str(&stdout[start..])
        .unwrap_or_else(|e| panic!("the result is not JSON ({e}):\n{stdout}"))
}

/// `git -C dir args`, which must succeed; its output, trimmed.
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Opens the runner's gate: the file it waits for, made in the sandbox's container.
fn open_gate(id: &str) {
    let containers = sandbox_containers(id);
    let container = containers.lines().next().unwrap_or_else(|| panic!("no container for sandbox {id}"));
    let out = std::process::Command::new("docker")
        .args(["exec", container, "touch", GATE])
        .output()
        .expect("docker exec runs");
    assert!(out.status.success(), "docker exec touch: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn run_with_a_local_repository_streams_its_work_and_leaves_no_container() {
    let (server, _state) = server_with_snapshot().await;
    let containers = Containers::default();
    let repo = tempfile::tempdir().expect("tempdir");
    git(repo.path(), &["init", "--quiet", "--initial-branch=main"]);
    std::fs::write(repo.path().join("README.md"), "# The jaunt fixture\n\nA repository made by the test.\n")
        .expect("write");
    std::fs::create_dir(repo.path().join("src")).expect("mkdir");
    std::fs::write(repo.path().join("src/lib.rs"), "pub fn answer() -> u32 { 42 }\n").expect("write");
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "--quiet", "-m", "first"]);
    std::fs::write(repo.path().join("NOTES.txt"), "a second commit\n").expect("write");
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "--quiet", "-m", "second"]);
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let files = git(repo.path(), &["ls-files"]).lines().count();
    let key = marker();

    let repo_arg = repo.path().to_string_lossy().into_owned();
    let mut cmd = jaunt(&server, &["run", "count", "the", "files", "--repo", &repo_arg]);
    cmd.env("ANTHROPIC_API_KEY", &key).env("PITHY_JAUNT_GATE", GATE);
    let mut run = Running::spawn(cmd);
    let id = run.sandbox_id(&containers).await;
    // The runner's first lines arrive while it waits at its gate: streamed, not buffered
    // until the end, and the result is not printed yet.
    run.stdout_until("agent-runner: waiting for").await;
    assert!(run.stdout_seen.contains("agent-runner: task: count the files\n"), "{}", run.seen());
    assert!(run.stdout_seen.contains(&format!("HEAD {head} on main, {files} files")), "{}", run.seen());
    assert!(run.child.try_wait().expect("try_wait").is_none(), "pithy-jaunt is still running");
    assert!(!run.stdout_seen.contains("\"task\""), "no result yet:\n{}", run.seen());
    open_gate(&id);
    let (code, stdout, stderr) = run.finish().await;
    let all = format!("--- stdout:\n{stdout}--- stderr:\n{stderr}");
    assert_eq!(code, 0, "{all}");

    // The seed's log line, the key passed by name and never shown.
    assert!(stderr.starts_with(&format!("Creating workspace with snapshot: {SNAPSHOT}\n")), "{all}");
    assert!(stderr.contains("passing ANTHROPIC_API_KEY into the sandbox"), "{all}");
    assert!(!all.contains(&key), "the key was printed:\n{all}");
    assert!(!all.contains(server.api_key()), "the Daytona key was printed:\n{all}");
    assert!(stderr.contains(&format!("cloned {repo_arg} into /app/workspace/repo")), "{all}");

    // The downloaded result: the key reached the runner (its fingerprint, computed here),
    // the repository is the test's own (its HEAD from git here), no model was called.
    let result = printed_result(&stdout);
    assert_eq!(result["task"], "count the files", "{all}");
    let fingerprint: String = Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(result["model_keys"]["ANTHROPIC_API_KEY"]["sha256"], fingerprint.as_str(), "{all}");
    assert!(result["model_keys"].get("OPENAI_API_KEY").is_none(), "{all}");
    assert_eq!(result["repository"]["head"], head.as_str(), "{all}");
    assert_eq!(result["repository"]["branch"], "main", "{all}");
    assert_eq!(result["repository"]["files"], files, "{all}");
    assert_eq!(result["repository"]["readme_first_line"], "# The jaunt fixture", "{all}");
    assert_eq!(result["offline"], true, "{all}");
    assert_eq!(result["model_called"], false, "{all}");
    let printed = stderr.find("result (/app/workspace/result.json):");
    let ran = stderr.find("agent runner exited with code 0");
    assert!(ran.is_some() && printed > ran, "{all}");

    // Deleted: the binary said so, and Docker has no container of it.
    assert!(stderr.contains(&format!("deleted sandbox {id}\n")), "{all}");
    assert_eq!(sandbox_containers(&id), "", "a container of sandbox {id} was left");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_while_the_runner_runs_deletes_the_sandbox() {
    let (server, _state) = server_with_snapshot().await;
    let containers = Containers::default();
    let mut cmd = jaunt(&server, &["run", "wait", "forever"]);
    cmd.env("PITHY_JAUNT_GATE", GATE);
    let mut run = Running::spawn(cmd);
    let id = run.sandbox_id(&containers).await;
    run.stdout_until("agent-runner: waiting for").await;
    assert_ne!(sandbox_containers(&id), "", "the sandbox runs");
    let pid = run.child.id().expect("running").to_string();
    let kill = std::process::Command::new("kill").args(["-INT", &pid]).output().expect("kill runs");
    assert!(kill.status.success(), "kill -INT: {}", String::from_utf8_lossy(&kill.stderr));
    let (code, stdout, stderr) = run.finish().await;
    let all = format!("--- stdout:\n{stdout}--- stderr:\n{stderr}");
    assert_eq!(code, 130, "{all}");
    assert!(stderr.contains("interrupted (Ctrl-C)\n"), "{all}");
    assert!(stderr.contains(&format!("deleted sandbox {id}\n")), "{all}");
    assert!(!stdout.contains("\"task\""), "no result after an interrupt:\n{all}");
    assert_eq!(sandbox_containers(&id), "", "a container of sandbox {id} was left");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_keeps_the_sandbox_and_says_how_to_delete_it() {
    let (server, _state) = server_with_snapshot().await;
    let containers = Containers::default();
    let mut run = Running::spawn(jaunt(&server, &["run", "hello", "--keep"]));
    let id = run.sandbox_id(&containers).await;
    let (code, stdout, stderr) = run.finish().await;
    let all = format!("--- stdout:\n{stdout}--- stderr:\n{stderr}");
    assert_eq!(code, 0, "{all}");
    assert_eq!(printed_result(&stdout)["task"], "hello", "{all}");
    assert!(
        stderr.contains(&format!("kept sandbox {id} (--keep); delete it with: pithy-jaunt delete {id}\n")),
        "{all}"
    );
    assert!(!stderr.contains("deleted sandbox"), "{all}");
    assert_ne!(sandbox_containers(&id), "", "the kept sandbox has its container");

    // The way out it printed.
    let deleted = jaunt(&server, &["delete", &id]).output().await.expect("pithy-jaunt delete runs");
    let said = String::from_utf8_lossy(&deleted.stderr);
    assert_eq!(deleted.status.code(), Some(0), "{said}");
    assert_eq!(said, format!("deleted sandbox {id}\n"));
    assert_eq!(sandbox_containers(&id), "", "a container of sandbox {id} was left");
    server.shutdown().await;
}
