//! The toolbox's git operations (`toolbox.json` tag `git`), with the request and response
//! shapes the official SDK (0.226.1, `daytona/_sync/git.py`) sends and reads.
//!
//! Daytona's daemon carries its own git; the local server runs the image's `git` in the
//! container (see [`cli`]), and an image without one gets a 400 that says so. Relative
//! paths are resolved in the sandbox's working directory, as the daemon's are.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::super::operations::Operations;
use super::super::{ApiError, ApiResult};
use super::running;
use crate::Shared;
use cli::{Credentials, Git, Run, TRANSFER, operand};

mod cli;
mod parse;

pub(super) fn implement(ops: &mut Operations) {
    ops.op("CloneRepository", clone)
        .op("InitRepository", init)
        .op("GetStatus", status)
        .op("ListBranches", branches)
        .op("CreateBranch", create_branch)
        .op("DeleteBranch", delete_branch)
        .op("CheckoutBranch", checkout)
        .op("AddFiles", add)
        .op("CommitChanges", commit)
        .op("GetCommitHistory", history)
        .op("ResetChanges", reset)
        .op("RestoreFiles", restore)
        .op("PullChanges", pull)
        .op("PushChanges", push)
        .op("ListRemotes", remotes)
        .op("AddRemote", add_remote)
        .op("GetGitConfig", get_config)
        .op("SetGitConfig", set_config)
        .op("ConfigureUser", configure_user)
        .op("Authenticate", authenticate);
}

type Sandbox = State<Arc<Shared>>;

/// A JSON body into its request type; a wrong body is a 400 naming the problem.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
}

/// A required query parameter.
fn query<'a>(query: &'a HashMap<String, String>, name: &str) -> ApiResult<&'a str> {
    query.get(name).map(String::as_str).ok_or_else(|| ApiError::bad_request(format!("{name} is required")))
}

/// The git of sandbox `id`, with `paths` resolved as Daytona does.
async fn git(shared: &Shared, id: &str, paths: &[&str]) -> ApiResult<Git> {
    Git::new(running(shared, id)?, paths).await
}

#[derive(Deserialize)]
struct CloneRequest {
    url: String,
    path: String,
    branch: Option<String>,
    commit_id: Option<String>,
    username: Option<String>,
    password: Option<String>,
    insecure_skip_tls: Option<bool>,
    depth: Option<u32>,
}

async fn clone(State(shared): Sandbox, Path(id): Path<String>, bytes: Bytes) -> ApiResult<StatusCode> {
    let request: CloneRequest = body(&bytes)?;
    let credentials = Credentials::from_request(request.username, request.password)?;
    let url = operand("url", &request.url)?;
    let path = operand("path", &request.path)?;
    let git = git(&shared, &id, &[path]).await?;
    let mut args = vec!["clone".to_owned()];
    if let Some(branch) = &request.branch {
        args.extend(["--branch".into(), operand("branch", branch)?.to_owned()]);
    }
    if let Some(depth) = request.depth.filter(|d| *d > 0) {
        args.push(format!("--depth={depth}"));
    }
    args.extend(["--".into(), url.to_owned(), path.to_owned()]);
    let mut config = Vec::new();
    if request.insecure_skip_tls == Some(true) {
        config.push("http.sslVerify=false".to_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = Run { credentials: credentials.as_ref(), config, timeout: Some(TRANSFER), ..Run::default() };
    git.run_with("clone", &args, run).await?;
    if let Some(commit) = &request.commit_id {
        let commit = operand("commit_id", commit)?;
        git.run("checkout", &["-C", path, "checkout", "--detach", commit, "--"]).await?;
    }
    Ok(StatusCode::OK)
}

#[derive(Deserialize)]
struct InitRequest {
    path: String,
    bare: Option<bool>,
    initial_branch: Option<String>,
}

async fn init(State(shared): Sandbox, Path(id): Path<String>, bytes: Bytes) -> ApiResult<StatusCode> {
    let request: InitRequest = body(&bytes)?;
    let path = operand("path", &request.path)?;
    let git = git(&shared, &id, &[path]).await?;
    let mut args = vec!["init".to_owned()];
    if request.bare == Some(true) {
        args.push("--bare".into());
    }
    if let Some(branch) = &request.initial_branch {
        args.push(format!("--initial-branch={}", operand("initial_branch", branch)?));
    }
    args.extend(["--".into(), path.to_owned()]);
    git.run("init", &args.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    Ok(StatusCode::CREATED)
}

async fn status(
    State(shared): Sandbox,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<axum::Json<Value>> {
    let path = query(&q, "path")?;
    let git = git(&shared, &id, &[path]).await?;
    let out = git
        .run("status", &["--no-optional-locks", "-C", path, "status", "--porcelain=v2", "--branch", "-z"])
        .await?;
    Ok(axum::Json(parse::status(&out.stdout)))
}

async fn branches(
    State(shared): Sandbox,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<axum::Json<Value>> {
    let path = query(&q, "path")?;
    let git = git(&shared, &id, &[path]).await?;
    let out =
        git.run("branch", &["-C", path, "for-each-ref", "--format=%(refname:short)", "refs/heads/"]).await?;
    let branches: Vec<String> = out.stdout_text().lines().map(str::to_owned).collect();
    // Exit 1: HEAD is detached, and `current` is empty, as Daytona's is.
    let head =
        git.attempt(&["-C", path, "symbolic-ref", "--quiet", "--short", "HEAD"], Run::default()).await?;
    let current = if head.success() { head.stdout_text().trim().to_owned() } else { String::new() };
    Ok(axum::Json(json!({ "branches": branches, "current": current })))
}

#[derive(Deserialize)]
struct BranchRequest {
    path: String,
    name: String,
}

/// Creates the branch at HEAD and checks it out, as Daytona's daemon does.
async fn create_branch(
    State(shared): Sandbox,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<StatusCode> {
    let request: BranchRequest = body(&bytes)?;
    let name = operand("name", &request.name)?;
    let git = git(&shared, &id, &[&request.path]).await?;
    git.run("checkout", &["-C", &request.path, "checkout", "-b", name]).await?;
    Ok(StatusCode::CREATED)
}

async fn delete_branch(
    State(shared): Sandbox,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<StatusCode> {
    let request: BranchRequest = body(&bytes)?;
    let name = operand("name", &request.name)?;
    let git = git(&shared, &id, &[&request.path]).await?;
    git.run("branch", &["-C", &request.path, "branch", "-D", name]).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct CheckoutRequest {
    path: String,
    branch: String,
}

/// A branch, or else a commit (detached), as Daytona's daemon tries them.
async fn checkout(State(shared): Sandbox, Path(id): Path<String>, bytes: Bytes) -> ApiResult<StatusCode> {
    let request: CheckoutRequest = body(&bytes)?;
    let branch = operand("branch", &request.branch)?;
    let git = git(&shared, &id, &[&request.path]).await?;
    // The trailing `--`: the name is a revision, never a file.
    git.run("checkout", &["-C", &request.path, "checkout", branch, "--"]).await?;
    Ok(StatusCode::OK)
}

#[derive(Deserialize)]
struct AddRequest {
    path: String,
    files: Vec<String>,
}

async fn add(State(shared): Sandbox, Path(id): Path<String>, bytes: Bytes) -> ApiResult<StatusCode> {
    let request: AddRequest = body(&bytes)?;
    let git = git(&shared, &id, &[&request.path]).await?;
    if !request.files.is_empty() {
        let mut args = vec!["-C", &request.path, "add", "--"];
        args.extend(request.files.iter().map(String::as_str));
        git.run("add", &args).await?;
    }
    Ok(StatusCode::OK)
}

#[derive(Deserialize)]
struct CommitRequest {
    path: String,
    message: String,
    author: String,
    email: String,
    allow_empty: Option<bool>,
}

/// Commits as `author <email>` (author and committer, through git's environment); answers
/// the new commit's full hash.
async fn commit(
    State(shared): Sandbox,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<axum::Json<Value>> {
    let request: CommitRequest = body(&bytes)?;
    let git = git(&shared, &id, &[&request.path]).await?;
    let mut args = vec!["-C", &request.path, "commit", "--file=-"];
    if request.allow_empty == Some(true) {
        args.push("--allow-empty");
    }
    let env = ["GIT_AUTHOR", "GIT_COMMITTER"]
        .iter()
        .flat_map(|who| {
            [(format!("{who}_NAME"), request.author.clone()), (format!("{who}_EMAIL"), request.email.clone())]
        })
        .collect();
    let run = Run { env, stdin: Some(request.message.as_bytes()), ..Run::default() };
    git.run_with("commit", &args, run).await?;
    let head = git.run("rev-parse", &["-C", &request.path, "rev-parse", "HEAD"]).await?;
    Ok(axum::Json(json!({ "hash": head.stdout_text().trim() })))
}

async fn history(
    State(shared): Sandbox,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<axum::Json<Value>> {
    let path = query(&q, "path")?;
    let git = git(&shared, &id, &[path]).await?;
    let out = git.run("log", &["-C", path, "log", "-z", parse::LOG_FORMAT]).await?;
    Ok(axum::Json(Value::Array(parse::history(&out.stdout))))
}

#[derive(Deserialize)]
struct ResetRequest {
    path: String,
    mode: Option<String>,
    target: Option<String>,
    files: Option<Vec<String>>,
}

async fn reset(State(shared): Sandbox, Path(id): Path<String>, bytes: Bytes) -> ApiResult<StatusCode> {
    let request: ResetRequest = body(&bytes)?;
    let mut args = vec!["-C".to_owned(), request.path.clone(), "reset".to_owned()];
    match request.mode.as_deref() {
        None => {}
        Some(mode @ ("soft" | "mixed" | "hard" | "merge" | "keep")) => args.push(format!("--{mode}")),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "mode must be one of soft, mixed, hard, merge or keep, not {other:?}"
            )));
        }
    }
    if let Some(target) = &request.target {
        args.push(operand("target", target)?.to_owned());
    }
    if let Some(files) = request.files.filter(|f| !f.is_empty()) {
        args.push("--".into());
        args.extend(files);
    }
    let git = git(&shared, &id, &[&request.path]).await?;
    git.run("reset", &args.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    Ok(StatusCode::OK)
}

#[derive(Deserialize)]
struct RestoreRequest {
    path: String,
    files: Vec<String>,
    staged: Option<bool>,
    worktree: Option<bool>,
    source: Option<String>,
}

async fn restore(State(shared): Sandbox, Path(id): Path<String>, bytes: Bytes) -> ApiResult<StatusCode> {
    let request: RestoreRequest = body(&bytes)?;
    if request.files.is_empty() {
        return Err(ApiError::bad_request("files must name at least one path"));
    }
    let mut args = vec!["-C".to_owned(), request.path.clone(), "restore".to_owned()];
    if request.staged == Some(true) {
        args.push("--staged".into());
    }
    if request.worktree == Some(true) {
        args.push("--worktree".into());
    }
    if let Some(source) = &request.source {
        args.push(format!("--source={}", operand("source", source)?));
    }
    args.push("--".into());
    args.extend(request.files);
    let git = git(&shared, &id, &[&request.path]).await?;
    git.run("restore", &args.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    Ok(StatusCode::OK)
}

#[derive(Deserialize)]
struct SyncRequest {
    path: String,
    username: Option<String>,
    password: Option<String>,
    branch: Option<String>,
    remote: Option<String>,
    #[serde(default)]
    set_upstream: Option<bool>,
}

/// `git pull [remote [branch]]`: the remote defaults to `origin` when a branch is named,
/// else the current branch's upstream is pulled.
async fn pull(State(shared): Sandbox, Path(id): Path<String>, bytes: Bytes) -> ApiResult<StatusCode> {
    let request: SyncRequest = body(&bytes)?;
    let credentials = Credentials::from_request(request.username, request.password)?;
    let mut args = vec!["-C".to_owned(), request.path.clone(), "pull".to_owned(), "--no-edit".to_owned()];
    let remote = match (&request.remote, &request.branch) {
        (Some(remote), _) => Some(operand("remote", remote)?.to_owned()),
        (None, Some(_)) => Some("origin".to_owned()),
        (None, None) => None,
    };
    if let Some(remote) = remote {
        args.push(remote);
        if let Some(branch) = &request.branch {
            args.push(operand("branch", branch)?.to_owned());
        }
    }
    let git = git(&shared, &id, &[&request.path]).await?;
    let run = Run { credentials: credentials.as_ref(), timeout: Some(TRANSFER), ..Run::default() };
    git.run_with("pull", &args.iter().map(String::as_str).collect::<Vec<_>>(), run).await?;
    Ok(StatusCode::OK)
}

/// `git push [--set-upstream] <remote or origin> <branch or HEAD>`.
async fn push(State(shared): Sandbox, Path(id): Path<String>, bytes: Bytes) -> ApiResult<StatusCode> {
    let request: SyncRequest = body(&bytes)?;
    let credentials = Credentials::from_request(request.username, request.password)?;
    let mut args = vec!["-C".to_owned(), request.path.clone(), "push".to_owned()];
    if request.set_upstream == Some(true) {
        args.push("--set-upstream".into());
    }
    let remote = request.remote.as_deref().unwrap_or("origin");
    args.push(operand("remote", remote)?.to_owned());
    args.push(operand("branch", request.branch.as_deref().unwrap_or("HEAD"))?.to_owned());
    let git = git(&shared, &id, &[&request.path]).await?;
    let run = Run { credentials: credentials.as_ref(), timeout: Some(TRANSFER), ..Run::default() };
    git.run_with("push", &args.iter().map(String::as_str).collect::<Vec<_>>(), run).await?;
    Ok(StatusCode::OK)
}

async fn remotes(
    State(shared): Sandbox,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<axum::Json<Value>> {
    let path = query(&q, "path")?;
    let git = git(&shared, &id, &[path]).await?;
    let args = ["-C", path, "config", "--local", "-z", "--get-regexp", r"^remote\..*\.url$"];
    let out = git.attempt(&args, Run::default()).await?;
    // Exit 1: no remote at all.
    match out.code {
        Some(0 | 1) => Ok(axum::Json(json!({ "remotes": parse::remotes(&out.stdout) }))),
        _ => Err(cli::failure("remote", &out, None)),
    }
}

#[derive(Deserialize)]
struct AddRemoteRequest {
    path: String,
    name: String,
    url: String,
    fetch: Option<bool>,
    overwrite: Option<bool>,
}

async fn add_remote(State(shared): Sandbox, Path(id): Path<String>, bytes: Bytes) -> ApiResult<StatusCode> {
    let request: AddRemoteRequest = body(&bytes)?;
    let name = operand("name", &request.name)?;
    let url = operand("url", &request.url)?;
    let path = request.path.as_str();
    let git = git(&shared, &id, &[path]).await?;
    if request.overwrite == Some(true) {
        let exists = git.attempt(&["-C", path, "remote", "get-url", "--", name], Run::default()).await?;
        if exists.success() {
            git.run("remote", &["-C", path, "remote", "remove", "--", name]).await?;
        }
    }
    let mut args = vec!["-C", path, "remote", "add"];
    if request.fetch == Some(true) {
        args.push("--fetch");
    }
    args.extend(["--", name, url]);
    let run = Run { timeout: Some(TRANSFER), ..Run::default() };
    git.run_with("remote add", &args, run).await?;
    Ok(StatusCode::CREATED)
}

/// `--global` (the default), `--system`, or `--local` in the repository at `path`.
fn scope_args(scope: Option<&str>, path: Option<&str>) -> ApiResult<Vec<String>> {
    match (scope.unwrap_or("global"), path) {
        ("global", _) => Ok(vec!["config".into(), "--global".into()]),
        ("system", _) => Ok(vec!["config".into(), "--system".into()]),
        ("local", Some(path)) if !path.is_empty() => {
            Ok(vec!["-C".into(), path.to_owned(), "config".into(), "--local".into()])
        }
        ("local", _) => Err(ApiError::bad_request("path is required when scope is \"local\"")),
        (other, _) => {
            Err(ApiError::bad_request(format!("scope must be one of global, local or system, not {other:?}")))
        }
    }
}

async fn get_config(
    State(shared): Sandbox,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<axum::Json<Value>> {
    let key = operand("key", query(&q, "key")?)?;
    let path = q.get("path").map(String::as_str);
    let mut args = scope_args(q.get("scope").map(String::as_str), path)?;
    args.extend(["--get".into(), key.to_owned()]);
    let git = git(&shared, &id, &path.into_iter().collect::<Vec<_>>()).await?;
    let out = git.attempt(&args.iter().map(String::as_str).collect::<Vec<_>>(), Run::default()).await?;
    match out.code {
        Some(0) => Ok(axum::Json(json!({ "value": out.stdout_text().trim_end_matches('\n') }))),
        // Exit 1: the key is not set.
        Some(1) => Ok(axum::Json(json!({ "value": null }))),
        _ => Err(cli::failure("config", &out, None)),
    }
}

#[derive(Deserialize)]
struct SetConfigRequest {
    key: String,
    value: String,
    scope: Option<String>,
    path: Option<String>,
}

async fn set_config(State(shared): Sandbox, Path(id): Path<String>, bytes: Bytes) -> ApiResult<StatusCode> {
    let request: SetConfigRequest = body(&bytes)?;
    let key = operand("key", &request.key)?;
    let path = request.path.as_deref();
    let mut args = scope_args(request.scope.as_deref(), path)?;
    // After the key, git reads no more options: a value may start with '-'.
    args.extend([key.to_owned(), request.value.clone()]);
    let git = git(&shared, &id, &path.into_iter().collect::<Vec<_>>()).await?;
    git.run("config", &args.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    Ok(StatusCode::OK)
}

#[derive(Deserialize)]
struct ConfigureUserRequest {
    name: String,
    email: String,
    scope: Option<String>,
    path: Option<String>,
}

async fn configure_user(
    State(shared): Sandbox,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<StatusCode> {
    let request: ConfigureUserRequest = body(&bytes)?;
    let path = request.path.as_deref();
    let scope = scope_args(request.scope.as_deref(), path)?;
    let git = git(&shared, &id, &path.into_iter().collect::<Vec<_>>()).await?;
    for (key, value) in [("user.name", &request.name), ("user.email", &request.email)] {
        let mut args = scope.clone();
        args.extend([key.to_owned(), value.clone()]);
        git.run("config", &args.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    }
    Ok(StatusCode::OK)
}

#[derive(Deserialize)]
struct AuthenticateRequest {
    username: String,
    password: String,
    host: Option<String>,
    protocol: Option<String>,
}

/// Persists the credentials with git's `store` helper (plaintext in the user's
/// `~/.git-credentials`, as Daytona documents), passed to `git credential approve` on its
/// stdin, never on a command line.
async fn authenticate(State(shared): Sandbox, Path(id): Path<String>, bytes: Bytes) -> ApiResult<StatusCode> {
    let request: AuthenticateRequest = body(&bytes)?;
    let host = request.host.unwrap_or_else(|| "github.com".to_owned());
    let protocol = request.protocol.unwrap_or_else(|| "https".to_owned());
    let fields = [&request.username, &request.password, &host, &protocol];
    if fields.iter().any(|v| v.contains(['\n', '\0'])) {
        return Err(ApiError::bad_request("credentials must not contain newlines"));
    }
    let git = git(&shared, &id, &[]).await?;
    let helpers =
        git.attempt(&["config", "--global", "--get-all", "credential.helper"], Run::default()).await?;
    if !helpers.stdout_text().lines().any(|h| h.trim() == "store") {
        git.run("config", &["config", "--global", "--add", "credential.helper", "store"]).await?;
    }
    let input = format!(
        "protocol={protocol}\nhost={host}\nusername={}\npassword={}\n\n",
        request.username, request.password
    );
    let run = Run { stdin: Some(input.as_bytes()), ..Run::default() };
    let approved = git
        .attempt(&["-c", "credential.helper=", "-c", "credential.helper=store", "credential", "approve"], run)
        .await?;
    if !approved.success() {
        return Err(cli::failure("credential approve", &approved, Some(&request.password)));
    }
    Ok(StatusCode::OK)
}
