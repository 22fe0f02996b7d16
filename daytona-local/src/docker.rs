//! The Docker engine, through the `docker` CLI.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;

/// Whether a Docker engine answered, and what it said.
#[derive(Debug, Clone)]
pub(crate) struct DockerStatus {
    pub(crate) available: bool,
    pub(crate) detail: String,
}

fn docker() -> Command {
    let mut command = Command::new("docker");
    command.stdin(Stdio::null()).kill_on_drop(true);
    command
}

/// Runs `docker args...` with a timeout; (exit code, stdout, stderr). The code is `None`
/// when docker could not be started or timed out.
pub(crate) async fn run(args: &[&str], timeout: Duration) -> (Option<i32>, String, String) {
    let child = docker().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).output();
    match tokio::time::timeout(timeout, child).await {
        Ok(Ok(out)) => (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
        Ok(Err(e)) => (None, String::new(), format!("could not run the docker CLI: {e}")),
        Err(_) => (None, String::new(), format!("docker {} timed out after {timeout:?}", args.join(" "))),
    }
}

/// Asks the engine for its version.
pub(crate) async fn detect() -> DockerStatus {
    let (code, out, err) =
        run(&["version", "--format", "{{.Server.Version}}"], Duration::from_secs(15)).await;
    if code == Some(0) && !out.trim().is_empty() {
        DockerStatus { available: true, detail: format!("Docker engine {}", out.trim()) }
    } else {
        let why = err.trim();
        DockerStatus {
            available: false,
            detail: if why.is_empty() {
                "the Docker engine did not answer".to_owned()
            } else {
                why.to_owned()
            },
        }
    }
}

/// Whether an image exists locally; its size in bytes when it does.
pub(crate) async fn image_size(reference: &str) -> Option<u64> {
    let (code, out, _) =
        run(&["image", "inspect", "--format", "{{.Size}}", reference], Duration::from_secs(30)).await;
    if code == Some(0) { out.trim().parse().ok().or(Some(0)) } else { None }
}

/// `docker build -t tag .` in `dir`, each output line passed to `log`. Returns the exit
/// code (`None`: could not start, or killed at the timeout). `--pull=false`: never look
/// for a newer base; the caller has checked that every image the build needs is here
/// (the guarantee that nothing is pulled: a missing one would still be pulled).
pub(crate) async fn build(
    dir: &Path,
    tag: &str,
    timeout: Duration,
    log: impl Fn(&str) + Send + Sync,
) -> Option<i32> {
    let mut child = match docker()
        .args(["build", "--force-rm", "--pull=false", "--tag", tag, "--file", "Dockerfile", "."])
        .current_dir(dir)
        // No buildx on the machine: the classic builder works with every engine.
        .env("DOCKER_BUILDKIT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            log(&format!("could not run the docker CLI: {e}"));
            return None;
        }
    };
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let pump = async {
        tokio::join!(pump_lines(stdout, &log), pump_lines(stderr, &log));
        child.wait().await
    };
    match tokio::time::timeout(timeout, pump).await {
        Ok(Ok(status)) => status.code(),
        Ok(Err(e)) => {
            log(&format!("docker build failed to run: {e}"));
            None
        }
        Err(_) => {
            log(&format!("docker build did not finish within {timeout:?}; stopped"));
            None
        }
    }
}

async fn pump_lines<R: AsyncRead + Unpin>(reader: Option<R>, log: &(impl Fn(&str) + Send + Sync)) {
    let Some(reader) = reader else { return };
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        log(&line);
    }
}

/// `docker run -d` of a sandbox container; the container id, or the error text.
pub(crate) async fn run_sandbox(
    name: &str,
    image: &str,
    entrypoint: &[String],
    env: &[(String, String)],
    labels: &[(String, String)],
) -> Result<String, String> {
    let mut args: Vec<String> = vec!["run".into(), "--detach".into(), "--name".into(), name.into()];
    for (k, v) in labels {
        args.push("--label".into());
        args.push(format!("{k}={v}"));
    }
    for (k, v) in env {
        args.push("--env".into());
        args.push(format!("{k}={v}"));
    }
    let (first, rest) = match entrypoint.split_first() {
        Some((first, rest)) => (first.clone(), rest.to_vec()),
        None => ("sleep".to_owned(), vec!["infinity".to_owned()]),
    };
    args.push("--entrypoint".into());
    args.push(first);
    // Whatever the name holds, it is the image: nothing after `--` is an option.
    args.push("--".into());
    args.push(image.into());
    args.extend(rest);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run(&refs, Duration::from_secs(120)).await;
    if code == Some(0) { Ok(out.trim().to_owned()) } else { Err(err.trim().to_owned()) }
}

/// Removes a container (and its process).
pub(crate) async fn remove(container: &str) {
    let _ = run(&["rm", "--force", container], Duration::from_secs(60)).await;
}

/// A `docker exec` of `argv` in `container` as `user` (in `cwd` when given), with stdin
/// open (`--interactive`) when `stdin` is true, for a caller that spawns it with its own
/// stdio and bounds. Environment variables are passed by name only (`--env NAME`), their
/// values through the child's own environment, so they never appear on a command line.
pub(crate) fn exec_command(
    container: &str,
    user: &str,
    cwd: Option<&str>,
    env: &[(String, String)],
    stdin: bool,
    argv: &[&str],
) -> Command {
    let mut command = docker();
    command.arg("exec");
    if stdin {
        command.arg("--interactive");
    }
    command.args(["--user", user]);
    if let Some(cwd) = cwd {
        command.args(["--workdir", cwd]);
    }
    for (name, value) in env {
        command.args(["--env", name]);
        command.env(name, value);
    }
    command.arg(container).args(argv);
    command
}
