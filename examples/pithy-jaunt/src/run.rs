//! `pithy-jaunt run`: a sandbox from this binary's snapshot, the task (and repository)
//! uploaded, the agent runner started in a session with its output streamed to the
//! terminal, its result downloaded and printed, and the sandbox deleted, also on Ctrl-C.
//!
//! Progress goes to standard error; the runner's standard output and the result to
//! standard output, so `pithy-jaunt run TASK > out` keeps what the agent produced.

use std::future::Future;
use std::io::Write;
use std::pin::pin;
use std::process::ExitCode;
use std::time::Duration;

use pj_daytona::{Cleanup, Client, CloneRequest, CreateSandbox, Error, LogChunk, Sandbox, SessionCommand};

use crate::cli::RunArgs;
use crate::forward::Forwarded;
use crate::repo::{self, Repo};

/// The runner's working directory in the sandbox, and what goes in it.
const WORKSPACE: &str = "/app/workspace";
const TASK_FILE: &str = "/app/workspace/task.txt";
const RESULT_FILE: &str = "/app/workspace/result.json";
const REPO_DIR: &str = "/app/workspace/repo";
/// Where a local repository's bundle is uploaded to be cloned from.
const BUNDLE_FILE: &str = "/tmp/pithy-jaunt-repo.bundle";
/// The session the runner runs in.
const SESSION: &str = "pithy-jaunt";

/// How long the snapshot may take to activate and the sandbox to start.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// Exit codes (also in `run --help`).
const RUNNER_FAILED: u8 = 1;
const CONFIGURATION: u8 = 2;
const INTERRUPTED: u8 = 130;

/// How the work in the sandbox ended.
enum Outcome {
    /// The runner ran; its exit code.
    Ran(i32),
    /// A step failed; what failed, with the error.
    Failed(String),
    /// Ctrl-C.
    Interrupted,
}

/// Runs `work` on a runtime of its own.
fn block_on(work: impl Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(work),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The client from `DAYTONA_*`, or the error saying what to set.
fn client() -> Result<Client, ExitCode> {
    Client::from_env().map_err(|e| {
        eprintln!("error: cannot configure the Daytona client: {e}");
        eprintln!(
            "  = help: set DAYTONA_API_KEY (or DAYTONA_JWT_TOKEN and DAYTONA_ORGANIZATION_ID); \
             for the local server: eval \"$(cargo xtask local --env)\""
        );
        ExitCode::from(CONFIGURATION)
    })
}

/// `pithy-jaunt run`.
pub fn run(args: RunArgs) -> ExitCode {
    block_on(run_async(args))
}

/// `pithy-jaunt delete SANDBOX`.
pub fn delete(id: &str) -> ExitCode {
    block_on(async {
        let client = match client() {
            Ok(c) => c,
            Err(code) => return code,
        };
        match client.sandboxes().delete(id).await {
            Ok(()) => {
                eprintln!("deleted sandbox {id}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn run_async(args: RunArgs) -> ExitCode {
    let task = args.task();
    let client = match client() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let repo = match args.repo.as_deref().map(repo::prepare).transpose() {
        Ok(repo) => repo,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(CONFIGURATION);
        }
    };
    let forwarded = Forwarded::from_env();
    for name in forwarded.skipped() {
        eprintln!("warning: {name} is not valid UTF-8: not passed into the sandbox");
    }
    let snapshot = pithy_jaunt::image::SNAPSHOT;
    // The seed's log line.
    eprintln!("Creating workspace with snapshot: {snapshot}");
    let keys = forwarded.model_keys();
    if !keys.is_empty() {
        eprintln!("passing {} into the sandbox", keys.join(" and "));
    }
    let mut request = CreateSandbox::default();
    request.labels.insert("app".to_owned(), "pithy-jaunt".to_owned());
    request.env = forwarded.into_env();
    // Bound by content: the snapshot must be built from the definition compiled into this
    // binary (an inactive one is activated first; a replaced one is refused).
    let bound =
        client.bound(snapshot, &pithy_jaunt::image::PITHY_DEFINITION.build_key).timeout(START_TIMEOUT);

    // From here on, Ctrl-C deletes what was created instead of ending the process.
    let mut interrupt = pin!(tokio::signal::ctrl_c());
    let mut interrupted = false;
    let mut create = pin!(bound.create_sandbox(request));
    let created = tokio::select! {
        created = &mut create => created,
        _ = &mut interrupt => {
            interrupted = true;
            eprintln!("interrupted: waiting for the sandbox being created, to delete it");
            create.await
        }
    };
    let sandbox = match created {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("error: {e}");
            if e.is_not_found() {
                eprintln!(
                    "  = help: publish it first: cargo xtask snapshot (or --local, for the local server)"
                );
            }
            return ExitCode::FAILURE;
        }
    };
    let id = sandbox.id().to_owned();
    eprintln!("sandbox {id} started");
    // The library's scope deletes the sandbox (unless kept) whatever the work does,
    // Ctrl-C included (then it is `Error::Interrupted`).
    let cleanup = if args.keep { Cleanup::Keep } else { Cleanup::Delete };
    let ended = sandbox
        .scoped_with(cleanup, |sandbox| async move {
            if interrupted {
                return Ok(Outcome::Interrupted);
            }
            Ok::<_, Error>(work(&sandbox, &task, repo.as_ref()).await)
        })
        .await;
    match ended {
        Ok(outcome) => {
            let code = report(outcome);
            if args.keep {
                kept(&id);
            } else {
                eprintln!("deleted sandbox {id}");
            }
            code
        }
        Err(Error::Interrupted { deleted, .. }) => {
            let code = report(Outcome::Interrupted);
            if deleted {
                eprintln!("deleted sandbox {id}");
            } else if args.keep {
                kept(&id);
            }
            code
        }
        Err(e) => {
            eprintln!("error: could not delete sandbox {id}: {e}");
            eprintln!("  = help: delete it with: pithy-jaunt delete {id}");
            ExitCode::FAILURE
        }
    }
}

fn kept(id: &str) {
    eprintln!("kept sandbox {id} (--keep); delete it with: pithy-jaunt delete {id}");
}

/// Says how the work ended; the exit code.
fn report(outcome: Outcome) -> ExitCode {
    match outcome {
        Outcome::Ran(0) => ExitCode::SUCCESS,
        Outcome::Ran(code) => {
            eprintln!("error: the agent runner failed (exit code {code})");
            ExitCode::from(RUNNER_FAILED)
        }
        Outcome::Failed(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Outcome::Interrupted => {
            eprintln!("interrupted (Ctrl-C)");
            ExitCode::from(INTERRUPTED)
        }
    }
}

/// Uploads the task (and the repository), runs the agent runner in a session with its
/// output streamed, then downloads and prints its result.
async fn work(sandbox: &Sandbox, task: &str, repo: Option<&Repo>) -> Outcome {
    match steps(sandbox, task, repo).await {
        Ok(code) => Outcome::Ran(code),
        Err(e) => Outcome::Failed(e),
    }
}

async fn steps(sandbox: &Sandbox, task: &str, repo: Option<&Repo>) -> Result<i32, String> {
    let fs = sandbox.fs();
    fs.upload_bytes(task.as_bytes().to_vec(), TASK_FILE)
        .await
        .map_err(|e| format!("uploading the task to {TASK_FILE}: {e}"))?;
    eprintln!("uploaded the task to {TASK_FILE}");
    let mut runner =
        format!("cd {WORKSPACE} && /app/execution.sh --task-file {TASK_FILE} --result {RESULT_FILE}");
    if let Some(repo) = repo {
        let request = match repo {
            Repo::Bundle { bundle, .. } => {
                fs.upload_file(bundle, BUNDLE_FILE)
                    .await
                    .map_err(|e| format!("uploading the bundle of {}: {e}", repo.source()))?;
                CloneRequest::new(BUNDLE_FILE, REPO_DIR)
            }
            Repo::Url { url, credentials: None } => CloneRequest::new(url, REPO_DIR),
            Repo::Url { url, credentials: Some((user, password)) } => {
                CloneRequest::new(url, REPO_DIR).credentials(user, password.clone())
            }
        };
        sandbox
            .git()
            .clone_repo(&request)
            .await
            .map_err(|e| format!("cloning {} into {REPO_DIR}: {e}", repo.source()))?;
        eprintln!("cloned {} into {REPO_DIR}", repo.source());
        runner.push_str(&format!(" --repo {REPO_DIR}"));
    }
    let session = sandbox
        .process()
        .create_session(SESSION)
        .await
        .map_err(|e| format!("creating the session {SESSION}: {e}"))?;
    eprintln!("running the agent runner in session {SESSION}");
    let command = session
        .spawn(&SessionCommand::new(runner))
        .await
        .map_err(|e| format!("starting the agent runner: {e}"))?;
    let mut logs = command.logs().await.map_err(|e| format!("following the runner's output: {e}"))?;
    while let Some(chunk) = logs.next().await.map_err(|e| format!("following the runner's output: {e}"))? {
        // A closed terminal (`| head`) is not a reason to stop the run: written or dropped.
        let _ = match chunk {
            LogChunk::Stdout(bytes) => write_flushed(&mut std::io::stdout().lock(), &bytes),
            LogChunk::Stderr(bytes) => write_flushed(&mut std::io::stderr().lock(), &bytes),
            _ => Ok(()),
        };
    }
    let code = command.wait().await.map_err(|e| format!("waiting for the agent runner: {e}"))?;
    eprintln!("agent runner exited with code {code}");
    match fs.download_bytes(RESULT_FILE).await {
        Ok(result) => {
            eprintln!("result ({RESULT_FILE}):");
            let mut out = std::io::stdout().lock();
            let _ = write_flushed(&mut out, &result);
            if !result.ends_with(b"\n") {
                let _ = write_flushed(&mut out, b"\n");
            }
        }
        Err(e) if code == 0 => return Err(format!("downloading the result {RESULT_FILE}: {e}")),
        Err(e) => eprintln!("no result: {e}"),
    }
    Ok(code)
}

fn write_flushed(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}
