//! pj-daytona's git and preview URLs (`Sandbox::git`, `Sandbox::preview_url`) against the
//! local server, on a sandbox of the reference image (Debian 12 with git and python3, work
//! dir `/app`), with no network: the repositories live inside the sandbox (`file://`).
//!
//! Every result is checked against an independent view: the container's own git
//! (`docker exec`), and the official Python SDK (`tests/conformance/sdk_git_crosscheck.py`)
//! reading the same repository and port. Then the errors: a missing repository, credentials
//! that must not show in a failed clone's error, a stopped sandbox, a deleted one.

mod support;

use std::process::Stdio;
use std::time::Duration;

use pj_daytona::{
    Client, CloneRequest, CommitRequest, CreateSandbox, Error, ExecuteRequest, FileState, Sandbox,
    SandboxState, SyncRequest,
};
use pj_daytona_local::{BuildMode, LocalDaytona};
use serde_json::{Value, json};
use support::{reference, sdk};

/// The bare repository every clone comes from.
const ORIGIN: &str = "file:///srv/origin.git";

/// Passwords that must never show in an error.
const PASSWORD: &str = "git-pw-Zq81-never-shown";
const URL_PASSWORD: &str = "url-pw-Kx47-never-shown";

/// The port of the HTTP server in the sandbox that the preview URL reaches.
const PORT: u16 = 8000;
const PAGE: &str = "<h1>preview of the sandbox</h1>";

fn docker(args: &[&str]) -> std::process::Output {
    std::process::Command::new("docker").args(args).stdin(Stdio::null()).output().expect("docker runs")
}

/// `sh -c script` in the sandbox's container (the container's own view); its output.
fn in_container(sandbox: &Sandbox, script: &str) -> String {
    let out = docker(&["exec", &format!("pj-sandbox-{}", sandbox.id()), "sh", "-c", script]);
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

/// A setup command through the toolbox's execute; fails the test unless it exits 0.
async fn exec(sandbox: &Sandbox, command: &str) -> String {
    let out = sandbox
        .process()
        .exec(&ExecuteRequest::new(command).timeout(60))
        .await
        .unwrap_or_else(|e| panic!("{command}: {e}"));
    assert_eq!(out.exit_code, 0, "{command}: {}", out.result);
    out.result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_and_preview_urls_on_a_sandbox() {
    let (server, _state) = support::server(BuildMode::Docker).await;
    let snapshot = reference::snapshot(&server).await;
    let containers = support::SandboxContainers(&server);
    let client = server.client_builder().build().expect("a client of the test server");
    let sandbox =
        client.sandboxes().create(&CreateSandbox::from_snapshot(&snapshot)).await.expect("a sandbox starts");

    let shas = seed(&sandbox).await;
    clones(&sandbox, &shas).await;
    let pushed = changes_commits_and_branches(&sandbox).await;
    push_and_pull(&sandbox, &pushed).await;
    let preview = preview(&sandbox).await;
    crosscheck_with_the_sdk(&server, &sandbox, &preview).await;
    credentials_never_show(&sandbox).await;
    missing_repository(&sandbox).await;
    stopped_and_deleted(&client, sandbox).await;

    drop(containers);
    server.shutdown().await;
}

/// The commits of the origin: main's first and second, and feature's.
struct Shas {
    first: String,
    main: String,
    feature: String,
}

/// A bare origin with two commits on main and one on feature, made by the sandbox's git.
async fn seed(sandbox: &Sandbox) -> Shas {
    exec(
        sandbox,
        "set -e; git init -q --bare -b main /srv/origin.git; git init -q -b main /srv/seed; cd /srv/seed; \
         git config user.name Seed; git config user.email seed@example.com; \
         echo one > README.md; git add README.md; git commit -qm first; \
         echo two >> README.md; git commit -qam second; \
         git checkout -qb feature; echo f > feature.txt; git add feature.txt; git commit -qm feat; \
         git push -q /srv/origin.git main feature",
    )
    .await;
    let rev = |r: &str| in_container(sandbox, &format!("git -C /srv/origin.git rev-parse {r}"));
    Shas { first: rev("main~1"), main: rev("main"), feature: rev("feature") }
}

async fn clones(sandbox: &Sandbox, shas: &Shas) {
    let git = sandbox.git();
    git.clone_repo(&CloneRequest::new(ORIGIN, "work/one")).await.expect("a clone of a file:// origin");
    // A relative path is in the work dir, /app.
    assert_eq!(
        in_container(sandbox, "git -C /app/work/one rev-parse HEAD"),
        shas.main,
        "the clone is at main"
    );
    git.clone_repo(&CloneRequest::new(ORIGIN, "/app/work/feat").branch("feature"))
        .await
        .expect("a branch's clone");
    assert_eq!(in_container(sandbox, "git -C /app/work/feat rev-parse --abbrev-ref HEAD"), "feature");
    assert_eq!(in_container(sandbox, "git -C /app/work/feat rev-parse HEAD"), shas.feature);
    git.clone_repo(&CloneRequest::new(ORIGIN, "work/old").commit(&shas.first))
        .await
        .expect("a commit's clone");
    assert_eq!(
        in_container(sandbox, "git -C /app/work/old rev-parse HEAD"),
        shas.first,
        "left at the commit"
    );
    let old = git.status("work/old").await.expect("the status of a detached clone");
    assert!(old.detached, "{old:?}");
    git.clone_repo(&CloneRequest::new(ORIGIN, "work/shallow").depth(1)).await.expect("a shallow clone");
    assert_eq!(in_container(sandbox, "git -C /app/work/shallow rev-list --count HEAD"), "1");
    git.clone_repo(&CloneRequest::new(ORIGIN, "work/two")).await.expect("a second clone");
}

/// Status, add, commit, history and branches in `work/one`; answers the sha to push.
async fn changes_commits_and_branches(sandbox: &Sandbox) -> String {
    let git = sandbox.git();
    let repo = "work/one";
    let clean = git.status(repo).await.expect("the status of a clean clone");
    assert_eq!(
        (
            clean.current_branch.as_str(),
            clean.ahead,
            clean.behind,
            clean.branch_published,
            clean.file_status.len()
        ),
        ("main", 0, 0, true, 0),
        "{clean:?}"
    );
    exec(sandbox, "cd /app/work/one && echo changed >> README.md && echo new > new.txt").await;
    let changed = git.status(repo).await.expect("the status of changes");
    let mut files: Vec<(&str, FileState, FileState)> =
        changed.file_status.iter().map(|f| (f.name.as_str(), f.staging, f.worktree)).collect();
    files.sort_by_key(|f| f.0);
    assert_eq!(
        in_container(sandbox, "git -C /app/work/one status --porcelain"),
        " M README.md\n?? new.txt",
        "the container's view"
    );
    assert_eq!(
        files,
        [
            ("README.md", FileState::Unmodified, FileState::Modified),
            ("new.txt", FileState::Untracked, FileState::Untracked)
        ]
    );

    git.add(repo, ["README.md", "new.txt"]).await.expect("files staged");
    assert_eq!(in_container(sandbox, "git -C /app/work/one status --porcelain"), "M  README.md\nA  new.txt");
    let sha = git
        .commit(&CommitRequest::new(repo, "Add new.txt", "Ada L", "ada@example.com"))
        .await
        .expect("a commit");
    assert_eq!(in_container(sandbox, "git -C /app/work/one rev-parse HEAD"), sha, "the answered sha is HEAD");
    assert_eq!(
        in_container(sandbox, "git -C /app/work/one log -1 --format='%an <%ae>|%cn|%s'"),
        "Ada L <ada@example.com>|Ada L|Add new.txt"
    );
    let ahead = git.status(repo).await.expect("status after the commit");
    assert_eq!((ahead.ahead, ahead.behind), (1, 0), "{ahead:?}");

    let nothing = git
        .commit(&CommitRequest::new(repo, "empty", "A", "a@example.com"))
        .await
        .expect_err("nothing is staged");
    assert_eq!(nothing.status().map(|s| s.as_u16()), Some(400), "{nothing}");
    assert!(nothing.to_string().contains("nothing to commit"), "the server's message: {nothing}");
    let empty = git
        .commit(&CommitRequest::new(repo, "empty", "A", "a@example.com").allow_empty(true))
        .await
        .expect("an empty commit, allowed");
    assert_eq!(in_container(sandbox, "git -C /app/work/one rev-parse HEAD"), empty);

    let history = git.history(repo).await.expect("the history");
    let hashes: Vec<&str> = history.iter().map(|c| c.hash.as_str()).collect();
    assert_eq!(
        hashes.join("\n"),
        in_container(sandbox, "git -C /app/work/one log --format=%H"),
        "newest first"
    );
    assert_eq!((history[1].author.as_str(), history[1].email.as_str()), ("Ada L", "ada@example.com"));
    assert_eq!(history[1].message.trim(), "Add new.txt");

    git.create_branch(repo, "topic").await.expect("a branch created");
    let branches = git.branches(repo).await.expect("the branches");
    assert_eq!(branches.branches, ["main", "topic"]);
    assert_eq!(branches.current.as_deref(), Some("topic"), "a new branch is checked out");
    assert_eq!(in_container(sandbox, "git -C /app/work/one symbolic-ref --short HEAD"), "topic");
    git.checkout(repo, "main").await.expect("main checked out");
    assert_eq!(in_container(sandbox, "git -C /app/work/one symbolic-ref --short HEAD"), "main");
    git.delete_branch(repo, "topic").await.expect("the branch deleted");
    assert_eq!(
        in_container(sandbox, "git -C /app/work/one for-each-ref --format='%(refname:short)' refs/heads/"),
        "main"
    );
    let missing = git.delete_branch(repo, "topic").await.expect_err("the branch is gone");
    assert!(missing.is_not_found(), "{missing}");
    let nope = git.checkout(repo, "nope").await.expect_err("no such branch");
    assert!(nope.is_not_found() && nope.to_string().contains("nope"), "{nope}");
    empty
}

async fn push_and_pull(sandbox: &Sandbox, pushed: &str) {
    let git = sandbox.git();
    git.push(&SyncRequest::new("work/one")).await.expect("pushed to origin");
    assert_eq!(in_container(sandbox, "git -C /srv/origin.git rev-parse main"), pushed, "the origin has it");
    git.pull(&SyncRequest::new("work/two")).await.expect("pulled into the second clone");
    assert_eq!(
        in_container(sandbox, "git -C /app/work/two rev-parse HEAD"),
        pushed,
        "the second clone has it"
    );

    // A new branch, pushed with its upstream recorded.
    git.create_branch("work/two", "side").await.expect("a branch");
    git.push(&SyncRequest::new("work/two").branch("side").set_upstream(true))
        .await
        .expect("pushed with upstream");
    assert_eq!(in_container(sandbox, "git -C /srv/origin.git rev-parse side"), pushed);
    let status = git.status("work/two").await.expect("the status");
    assert_eq!(status.upstream.as_deref(), Some("origin/side"), "{status:?}");
    assert_eq!(
        in_container(sandbox, "git -C /app/work/two rev-parse --abbrev-ref side@{upstream}"),
        "origin/side"
    );
}

/// An HTTP server in the sandbox, reached through the preview URL from the host.
async fn preview(sandbox: &Sandbox) -> pj_daytona::PreviewUrl {
    exec(sandbox, &format!("mkdir -p /tmp/site && printf '%s' '{PAGE}' > /tmp/site/index.html")).await;
    exec(
        sandbox,
        &format!(
            "(nohup python3 -m http.server {PORT} --bind 127.0.0.1 --directory /tmp/site >/dev/null 2>&1 &)"
        ),
    )
    .await;
    exec(
        sandbox,
        &format!(
            "for i in $(seq 100); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {PORT}))' \
             2>/dev/null && exit 0; sleep 0.1; done; exit 1"
        ),
    )
    .await;
    let preview = sandbox.preview_url(PORT).await.expect("the preview URL");
    assert_eq!(preview.sandbox_id, sandbox.id());
    let url = reqwest::Url::parse(&preview.url).expect("an absolute URL");
    assert_eq!(
        url.host_str(),
        Some("127.0.0.1"),
        "the local server's preview is on loopback: {}",
        preview.url
    );
    assert!(!format!("{preview:?}").contains(preview.token.expose()), "no token in Debug");
    let http = reqwest::Client::new();
    let page = http
        .get(&preview.url)
        .header("X-Daytona-Preview-Token", preview.token.expose())
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("the preview answers");
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.text().await.expect("a page"), PAGE, "the sandbox's page");
    let refused = http.get(&preview.url).timeout(Duration::from_secs(30)).send().await.expect("an answer");
    assert_eq!(refused.status().as_u16(), 401, "a private sandbox's preview wants the token");
    assert_eq!(sandbox.preview_url(PORT).await.expect("again").url, preview.url, "the same URL every time");
    preview
}

/// The official SDK reads the same repository and port: it must see what pithy's client saw.
async fn crosscheck_with_the_sdk(server: &LocalDaytona, sandbox: &Sandbox, preview: &pj_daytona::PreviewUrl) {
    // Leave changes for the status to show.
    exec(
        sandbox,
        "cd /app/work/one && echo more >> README.md && echo s > scratch.txt && git add scratch.txt",
    )
    .await;
    let repo = "/app/work/one";
    let run = sdk::Script::new("sdk_git_crosscheck.py")
        .arg(sandbox.id())
        .arg(repo)
        .arg(PORT.to_string())
        .env("PJ_PREVIEW_TOKEN", preview.token.expose())
        .run(server)
        .await;
    assert!(!run.stdout.contains(preview.token.expose()), "the SDK script printed no token");
    let out = &run.json;
    assert_eq!(out["sdk"], "0.226.1");

    let git = sandbox.git();
    let status = git.status(repo).await.expect("the status");
    let mut files: Vec<Value> = status
        .file_status
        .iter()
        .map(|f| json!([f.name, state_name(f.staging), state_name(f.worktree)]))
        .collect();
    files.sort_by_key(Value::to_string);
    assert_eq!(
        out["status"],
        json!({
            "currentBranch": status.current_branch,
            "ahead": status.ahead,
            "behind": status.behind,
            "branchPublished": status.branch_published,
            "files": files,
        }),
        "the SDK's status is pithy's"
    );
    assert_eq!(files.len(), 2, "README.md modified, scratch.txt added: {files:?}");
    let branches = git.branches(repo).await.expect("the branches");
    assert_eq!(out["branches"], json!({ "branches": branches.branches, "current": branches.current }));
    let history: Vec<String> =
        git.history(repo).await.expect("the history").into_iter().map(|c| c.hash).collect();
    assert_eq!(out["history"], json!(history));
    assert_eq!(
        out["preview"],
        json!({ "url": preview.url, "sandboxId": sandbox.id() }),
        "the SDK's preview link"
    );
}

/// Daytona's name of a file state, as the SDK prints it.
fn state_name(state: FileState) -> String {
    serde_json::to_value(state).expect("serializes").as_str().expect("a name").to_owned()
}

/// Clones that fail with credentials set: neither password shows in the error.
async fn credentials_never_show(sandbox: &Sandbox) {
    let git = sandbox.git();
    // Nothing listens on port 9 in the sandbox; the URL carries a password of its own.
    let url = format!("http://dev:{URL_PASSWORD}@127.0.0.1:9/origin.git");
    let request = CloneRequest::new(&url, "work/authed").credentials("dev", PASSWORD);
    assert!(!format!("{request:?}").contains(PASSWORD) && !format!("{request:?}").contains(URL_PASSWORD));
    let refused = git.clone_repo(&request).await.expect_err("nothing to clone from");
    let missing = git
        .clone_repo(&CloneRequest::new("file:///srv/none.git", "work/none").credentials("dev", PASSWORD))
        .await
        .expect_err("no such repository");
    assert!(missing.is_not_found(), "{missing}");
    let push = git
        .push(&SyncRequest::new("work/one").remote(&url).credentials("dev", PASSWORD))
        .await
        .expect_err("nothing to push to");
    for error in [&refused, &missing, &push] {
        eprintln!("a failed git call with credentials: {error}");
        assert!(error.status().is_some(), "the server's answer: {error:?}");
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains(PASSWORD) && !shown.contains(URL_PASSWORD), "a password shows: {shown}");
        }
    }
    assert!(refused.to_string().contains("127.0.0.1"), "the error still says where: {refused}");
}

async fn missing_repository(sandbox: &Sandbox) {
    let git = sandbox.git();
    let error = git.status("/tmp").await.expect_err("no repository in /tmp");
    assert!(error.is_not_found() && error.to_string().contains("not a git repository"), "{error}");
    let error = git.history("/srv/nowhere").await.expect_err("no such directory");
    assert!(error.status().is_some_and(|s| s.is_client_error()), "{error}");
    assert!(error.to_string().contains("/srv/nowhere"), "the server's message names the path: {error}");
    let empty = git.status(" ").await.expect_err("an empty path");
    assert!(matches!(empty, Error::Config(_)) && empty.to_string().contains("path"), "{empty}");
}

/// A stopped sandbox's git is refused with the server's message; a deleted one's is not
/// found, and so is its preview.
async fn stopped_and_deleted(client: &Client, sandbox: Sandbox) {
    let mut stopping = sandbox.clone();
    stopping.stop().await.expect("the sandbox stops");
    assert_eq!(stopping.info().state, Some(SandboxState::Stopped));
    let stopped = sandbox.git().status("work/one").await.expect_err("a stopped sandbox");
    assert_eq!(stopped.status().map(|s| s.as_u16()), Some(400), "{stopped}");
    assert!(stopped.to_string().contains("not started"), "the server's message: {stopped}");

    client.sandboxes().delete(sandbox.id()).await.expect("deleted");
    let gone = sandbox.git().branches("work/one").await.expect_err("a deleted sandbox");
    assert!(gone.is_not_found(), "{gone}");
    let gone = sandbox.preview_url(PORT).await.expect_err("a deleted sandbox's preview");
    assert!(gone.is_not_found(), "{gone}");
    assert_eq!(support::sandbox_containers(sandbox.id()), "", "the container is gone");
}
