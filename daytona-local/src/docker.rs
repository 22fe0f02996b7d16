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

/// Runs `docker args...` with `envs` in the child's own environment (for `--env NAME`
/// without a value), with a timeout; like [`run`].
async fn run_with_env(
    args: &[String],
    envs: &[(String, String)],
    timeout: Duration,
) -> (Option<i32>, String, String) {
    let mut command = docker();
    command.args(args).envs(envs.iter().map(|(k, v)| (k, v)));
    let child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).output();
    match tokio::time::timeout(timeout, child).await {
        Ok(Ok(out)) => (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
        Ok(Err(e)) => (None, String::new(), format!("could not run the docker CLI: {e}")),
        Err(_) => (
            None,
            String::new(),
            format!("docker {} timed out after {timeout:?}", args.first().map_or("", String::as_str)),
        ),
    }
}

/// What a sandbox's container runs with (`docker run`).
#[derive(Debug)]
pub(crate) struct SandboxContainer<'a> {
    /// The container's name.
    pub(crate) name: &'a str,
    /// The snapshot's image.
    pub(crate) image: &'a str,
    /// The snapshot's entrypoint (empty: `sleep infinity`).
    pub(crate) entrypoint: &'a [String],
    /// The sandbox's environment variables.
    pub(crate) env: &'a [(String, String)],
    /// Docker labels (the sandbox id, for the watcher).
    pub(crate) labels: &'a [(String, String)],
    /// `--cpus`.
    pub(crate) cpus: u32,
    /// `--memory` (and `--memory-swap`, so swap adds nothing), in GiB.
    pub(crate) memory_gib: u32,
    /// `--storage-opt size=`, in GiB, where the storage driver can enforce it.
    pub(crate) disk_gib: Option<u32>,
    /// `--gpus`, when more than 0.
    pub(crate) gpus: u32,
    /// `--network none` (`networkBlockAll`).
    pub(crate) network_none: bool,
}

/// Environment variable names the docker CLI reads itself: a value for one of them in
/// the CLI's own environment would change where or how it talks to the engine.
fn read_by_the_cli(name: &str) -> bool {
    name.starts_with("DOCKER_")
        || matches!(
            name.to_ascii_uppercase().as_str(),
            "HOME"
                | "PATH"
                | "TMPDIR"
                | "XDG_CONFIG_HOME"
                | "XDG_RUNTIME_DIR"
                | "HTTP_PROXY"
                | "HTTPS_PROXY"
                | "NO_PROXY"
                | "ALL_PROXY"
        )
}

/// Whether a sandbox environment variable can be given to `docker run`: its name must be a
/// name (`docker run` and the kernel take no `=`, NUL or whitespace in it), its value holds
/// no NUL. A value with a line break cannot go through an env file; it goes through the
/// CLI's environment, which is refused for the names the CLI reads itself.
pub(crate) fn check_env(name: &str, value: &str) -> Result<(), String> {
    if name.is_empty() || name.contains(['=', '\0']) || name.chars().any(char::is_whitespace) {
        return Err(format!("env: {name:?} is not a valid variable name"));
    }
    if value.contains('\0') {
        return Err(format!("env: the value of {name} holds a NUL character"));
    }
    if value.contains(['\n', '\r']) && read_by_the_cli(name) {
        return Err(format!(
            "env: the local server cannot pass a value with a line break for {name}, a variable the \
             docker CLI reads itself"
        ));
    }
    Ok(())
}

/// `docker run -d` of a sandbox container (under [`docker-init`](https://docs.docker.com/reference/cli/docker/container/run/#init),
/// so `docker stop` ends it at once and orphans are reaped); the container id, or the
/// engine's error. Environment values never appear on the command line: single-line ones go
/// through an env file readable by the server's user only, removed after the run, the others
/// through the CLI's environment (`--env NAME`). A failed run leaves no container behind.
pub(crate) async fn run_sandbox(spec: &SandboxContainer<'_>) -> Result<String, String> {
    let mut args: Vec<String> =
        vec!["run".into(), "--detach".into(), "--init".into(), "--name".into(), spec.name.into()];
    for (k, v) in spec.labels {
        args.push("--label".into());
        args.push(format!("{k}={v}"));
    }
    args.extend(["--cpus".into(), spec.cpus.to_string()]);
    let memory = format!("{}g", spec.memory_gib);
    args.extend(["--memory".into(), memory.clone(), "--memory-swap".into(), memory]);
    if let Some(disk) = spec.disk_gib {
        args.extend(["--storage-opt".into(), format!("size={disk}g")]);
    }
    if spec.gpus > 0 {
        args.extend(["--gpus".into(), spec.gpus.to_string()]);
    }
    if spec.network_none {
        args.extend(["--network".into(), "none".into()]);
    }
    let mut file =
        tempfile::NamedTempFile::new().map_err(|e| format!("could not write the env file: {e}"))?;
    let mut through_env = Vec::new();
    {
        use std::io::Write;
        for (name, value) in spec.env {
            check_env(name, value)?;
            if value.contains(['\n', '\r']) {
                through_env.push((name.clone(), value.clone()));
                args.extend(["--env".into(), name.clone()]);
            } else {
                writeln!(file, "{name}={value}").map_err(|e| format!("could not write the env file: {e}"))?;
            }
        }
        file.flush().map_err(|e| format!("could not write the env file: {e}"))?;
    }
    args.extend(["--env-file".into(), file.path().display().to_string()]);
    let (first, rest) = match spec.entrypoint.split_first() {
        Some((first, rest)) => (first.clone(), rest.to_vec()),
        None => ("sleep".to_owned(), vec!["infinity".to_owned()]),
    };
    args.push("--entrypoint".into());
    args.push(first);
    // Whatever the name holds, it is the image: nothing after `--` is an option.
    args.push("--".into());
    args.push(spec.image.into());
    args.extend(rest);
    let (code, out, err) = run_with_env(&args, &through_env, Duration::from_secs(120)).await;
    drop(file);
    if code == Some(0) {
        return Ok(out.trim().to_owned());
    }
    // `docker run` creates, then starts: a failed start leaves a created container.
    let _ = remove(spec.name).await;
    // The CLI's usage hint after the engine's words is noise in an API answer.
    let err: Vec<&str> = err
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Run 'docker run --help'"))
        .collect();
    Err(if err.is_empty() { format!("docker run exited with {code:?}") } else { err.join(" ") })
}

/// Whether the engine's answer says the container does not exist.
pub(crate) fn is_missing(stderr: &str) -> bool {
    stderr.contains("No such container") || stderr.contains("No such object")
}

/// One `docker` command on a container that answers nothing worth keeping; the engine's
/// error when it failed.
async fn container_command(args: &[&str], timeout: Duration) -> Result<(), String> {
    let (code, _, err) = run(args, timeout).await;
    if code == Some(0) {
        Ok(())
    } else if err.trim().is_empty() {
        Err(format!("docker {} exited with {code:?}", args.first().copied().unwrap_or_default()))
    } else {
        Err(err.trim().to_owned())
    }
}

/// Removes a container (and its process). A container that is already gone is removed.
pub(crate) async fn remove(container: &str) -> Result<(), String> {
    match container_command(&["rm", "--force", container], Duration::from_secs(60)).await {
        Err(e) if !is_missing(&e) => Err(e),
        _ => Ok(()),
    }
}

/// `docker start` of a stopped container.
pub(crate) async fn start(container: &str) -> Result<(), String> {
    container_command(&["start", container], Duration::from_secs(60)).await
}

/// `docker stop` (SIGTERM, then SIGKILL after `grace`), or `docker kill` (SIGKILL) when
/// `force`. A container that is not running is stopped already.
pub(crate) async fn stop(container: &str, force: bool, grace: Duration) -> Result<(), String> {
    let result = if force {
        container_command(&["kill", container], Duration::from_secs(30)).await
    } else {
        let seconds = grace.as_secs().to_string();
        container_command(&["stop", "--time", &seconds, container], grace + Duration::from_secs(30)).await
    };
    match result {
        Err(e) if e.contains("is not running") => Ok(()),
        other => other,
    }
}

/// What the engine says of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Observed {
    /// The engine has no such container.
    Missing,
    /// Its process runs.
    Running,
    /// It is paused (`docker pause`).
    Paused,
    /// Its process ended (or never started: `created`); with the exit code, whether the
    /// kernel's OOM killer ended it, and the engine's error, if any.
    Exited { code: i64, oom_killed: bool, error: String },
    /// Being created, removed or restarted: the engine's status word.
    Busy(String),
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerState {
    #[serde(default)]
    status: String,
    #[serde(default, rename = "OOMKilled")]
    oom_killed: bool,
    #[serde(default)]
    exit_code: i64,
    #[serde(default)]
    error: String,
}

/// A container's state (`docker inspect`); `Err` when the engine did not answer.
pub(crate) async fn observe(container: &str) -> Result<Observed, String> {
    let (code, out, err) = run(
        &["inspect", "--type", "container", "--format", "{{json .State}}", container],
        Duration::from_secs(30),
    )
    .await;
    if code != Some(0) {
        return if is_missing(&err) { Ok(Observed::Missing) } else { Err(err.trim().to_owned()) };
    }
    let state: ContainerState =
        serde_json::from_str(out.trim()).map_err(|e| format!("docker inspect answered {out:?}: {e}"))?;
    Ok(match state.status.as_str() {
        "running" => Observed::Running,
        "paused" => Observed::Paused,
        "exited" | "dead" | "created" => {
            Observed::Exited { code: state.exit_code, oom_killed: state.oom_killed, error: state.error }
        }
        other => Observed::Busy(other.to_owned()),
    })
}

/// The status word (`running`, `exited`, ...) of every container carrying `label`, by
/// container name; `Err` when the engine did not answer.
pub(crate) async fn statuses(label: &str) -> Result<std::collections::HashMap<String, String>, String> {
    let filter = format!("label={label}");
    let (code, out, err) = run(
        &["ps", "--all", "--no-trunc", "--filter", &filter, "--format", "{{.Names}}\t{{.State}}"],
        Duration::from_secs(30),
    )
    .await;
    if code != Some(0) {
        return Err(err.trim().to_owned());
    }
    Ok(out
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(name, state)| (name.to_owned(), state.trim().to_owned()))
        .collect())
}

/// `docker events` of the containers carrying `label` from `since` until `until` (Unix
/// seconds), one JSON object a line, for a caller that reads its stdout while it runs
/// (killed when dropped). The end bounds a stream its server can no longer kill (a server
/// killed with SIGKILL drops nothing): it ends by itself.
pub(crate) fn events(label: &str, since: u64, until: u64) -> Command {
    let mut command = docker();
    command
        .args(["events", "--filter", "type=container", "--filter", &format!("label={label}")])
        .args(["--since", &since.to_string(), "--until", &until.to_string()])
        .args(["--format", "{{json .}}"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

/// What the engine offers sandboxes: its CPUs and whether it can give a container GPUs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Engine {
    /// The CPUs the engine can give a container (`docker info` `NCPU`).
    pub(crate) cpus: u32,
    /// Whether a GPU runtime is installed (`nvidia` among `docker info`'s runtimes).
    pub(crate) gpus: bool,
    /// The storage driver (`overlay2`, `fuse-overlayfs`, ...).
    pub(crate) storage_driver: String,
}

/// Asks the engine what it offers (`docker info`).
pub(crate) async fn engine() -> Result<Engine, String> {
    let (code, out, err) = run(&["info", "--format", "{{json .}}"], Duration::from_secs(30)).await;
    if code != Some(0) {
        return Err(err.trim().to_owned());
    }
    let info: serde_json::Value =
        serde_json::from_str(out.trim()).map_err(|e| format!("docker info answered something else: {e}"))?;
    let cpus = info.get("NCPU").and_then(serde_json::Value::as_u64).unwrap_or(0);
    let gpus = info
        .get("Runtimes")
        .and_then(serde_json::Value::as_object)
        .is_some_and(|runtimes| runtimes.keys().any(|name| name.contains("nvidia")));
    let storage_driver =
        info.get("Driver").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
    Ok(Engine { cpus: u32::try_from(cpus).unwrap_or(u32::MAX), gpus, storage_driver })
}

/// Whether `user` exists for `docker exec` in a running container: `Err` with the engine's
/// words when it does not (numeric ids always do).
pub(crate) async fn check_user(container: &str, user: &str) -> Result<(), String> {
    // `true` may be missing from the image: the user is looked up before the program is.
    let (code, out, err) = run(&["exec", "--user", user, container, "true"], Duration::from_secs(30)).await;
    // The runtime's error comes on the exec's own output, not the CLI's stderr.
    let said = format!("{} {}", out.trim(), err.trim());
    if code == Some(0)
        || !(said.contains("unable to find user") || said.contains("no matching entries in passwd"))
    {
        Ok(())
    } else {
        Err(said.trim().to_owned())
    }
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
