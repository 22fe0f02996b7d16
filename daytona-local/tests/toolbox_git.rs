//! The toolbox's git, info and port operations and the preview URL, against a real
//! container: a snapshot built from `debian:bookworm-slim` with `git` and `python3` (made
//! locally; no registry is used), a sandbox of it running as the user `dev`, and every
//! answer checked against the container's own view (`docker exec git ...`, `cat`), not
//! against the server's. No network: repositories are `file://` ones made in the sandbox,
//! and an HTTP one served in the sandbox (basic auth) for the credentials.

#[path = "../../tests/conformance/provision.rs"]
mod provision;
mod support;

use std::time::Duration;

use pj_daytona::{Client, CreateBuildInfo, CreateSandbox, CreateSnapshot, SnapshotState};
use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};
use reqwest::Method;
use serde_json::{Value, json};

const BUILD: Duration = Duration::from_secs(600);

/// The image of the sandbox: git and python3, a user `dev`, a `WORKDIR`.
const DOCKERFILE: &str = "FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends git python3 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home dev && mkdir /workspace /srv/git && chown dev /workspace /srv/git
WORKDIR /workspace
";

/// A password that must never be seen outside the sandbox's git.
const PASSWORD: &str = "pw-Zq8-never-shown";

fn docker(args: &[&str]) -> std::process::Output {
    std::process::Command::new("docker")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the docker CLI runs")
}

/// Removes a container when the test ends, also when it fails.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "--force", &self.0]);
    }
}

impl Container {
    /// `sh -c script` in the container as `dev` (the oracle); its stdout, asserted to succeed.
    fn sh(&self, script: &str) -> String {
        let out = docker(&["exec", "--user", "dev", "--workdir", "/workspace", &self.0, "sh", "-c", script]);
        assert!(
            out.status.success(),
            "{script}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }
}

/// The toolbox of one sandbox, over plain HTTP with the API key.
struct Toolbox {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Toolbox {
    fn new(server: &LocalDaytona, id: &str) -> Self {
        Toolbox {
            http: reqwest::Client::new(),
            base: format!("{}/toolbox/{id}", server.url().trim_end_matches("/api")),
            key: server.api_key().to_owned(),
        }
    }

    /// (status, JSON body or `null`, raw body).
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value, String) {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.timeout(Duration::from_secs(120)).send().await.expect("the toolbox answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value, String) {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value, String) {
        self.call(Method::GET, path, None).await
    }

    /// A call that must succeed with `status`; its JSON.
    async fn ok(&self, method: Method, path: &str, body: Option<Value>, status: u16) -> Value {
        let (got, json, text) = self.call(method, path, body).await;
        assert_eq!(got, status, "{path}: {text}");
        json
    }
}

/// A server, a snapshot of `dockerfile` and a started sandbox of it (as `user`).
async fn sandbox(
    state: &std::path::Path,
    name: &str,
    dockerfile: &str,
    user: Option<&str>,
) -> (LocalDaytona, Client, String, Container) {
    let server = LocalDaytona::start(ServerConfig::new(state).build_mode(BuildMode::Docker))
        .await
        .expect("the server starts");
    let client = support::client(&server);
    let created = client
        .snapshots()
        .create(&CreateSnapshot::build(name, CreateBuildInfo::new(dockerfile, Vec::<String>::new())))
        .await
        .expect("snapshot created");
    let built = support::wait_terminal(&client, &created.id, BUILD).await;
    assert_eq!(built.state, SnapshotState::Active, "{:?}", built.error_reason);
    let mut request = CreateSandbox::from_snapshot(name);
    request.user = user.map(str::to_owned);
    let sandbox = client.sandboxes().create_info(&request).await.expect("sandbox created");
    let container = Container(format!("pj-sandbox-{}", sandbox.id));
    client
        .sandboxes()
        .wait_for_state(&sandbox.id, pj_daytona::SandboxState::Started, Duration::from_secs(60))
        .await
        .expect("started");
    (server, client, sandbox.id, container)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_through_the_toolbox_is_the_containers_git() {
    provision::reference_base();
    let state = tempfile::tempdir().expect("a temp dir");
    let (server, client, id, container) =
        sandbox(state.path(), "git-tools-v1", DOCKERFILE, Some("dev")).await;
    let tb = Toolbox::new(&server, &id);

    // An origin with two commits on main and a branch `feature`, made in the sandbox.
    container.sh("set -e; git init -q -b main /srv/git/seed && cd /srv/git/seed \
         && git config user.name Seed && git config user.email seed@example.com \
         && echo one > README.md && git add README.md && git commit -qm first \
         && echo two >> README.md && git commit -qam second \
         && git checkout -qb feature && echo f > feature.txt && git add feature.txt && git commit -qm feat \
         && git checkout -q main && git clone -q --bare /srv/git/seed /srv/git/origin.git");
    let first = container.sh("git -C /srv/git/seed rev-parse main~1");
    let main = container.sh("git -C /srv/git/seed rev-parse main");

    // Clone into a relative path: the sandbox's working directory (WORKDIR /workspace).
    let clone = json!({"url": "file:///srv/git/origin.git", "path": "repo"});
    tb.ok(Method::POST, "/git/clone", Some(clone), 200).await;
    assert_eq!(container.sh("git -C /workspace/repo rev-parse HEAD"), main);
    assert_eq!(container.sh("stat -c %U /workspace/repo/README.md"), "dev", "git ran as the sandbox's user");
    let clone = json!({"url": "file:///srv/git/origin.git", "path": "/workspace/feat", "branch": "feature"});
    tb.ok(Method::POST, "/git/clone", Some(clone), 200).await;
    assert_eq!(container.sh("git -C /workspace/feat rev-parse --abbrev-ref HEAD"), "feature");
    let clone = json!({"url": "file:///srv/git/origin.git", "path": "old", "commit_id": first});
    tb.ok(Method::POST, "/git/clone", Some(clone), 200).await;
    assert_eq!(container.sh("git -C /workspace/old rev-parse HEAD"), first);
    let (status, _, text) =
        tb.post("/git/clone", json!({"url": "file:///srv/git/origin.git", "path": "repo"})).await;
    assert_eq!(status, 409, "a clone onto a non-empty directory: {text}");
    let (status, _, text) =
        tb.post("/git/clone", json!({"url": "file:///srv/git/none.git", "path": "x"})).await;
    assert_eq!(status, 404, "{text}");
    assert!(text.contains("does not appear to be a git repository"), "{text}");
    let (status, _, _) =
        tb.post("/git/clone", json!({"url": "--upload-pack=touch /tmp/p", "path": "y"})).await;
    assert_eq!(status, 400, "an option is not a URL");

    // Status of a clean clone, then of changes.
    let clean = tb.ok(Method::GET, "/git/status?path=repo", None, 200).await;
    assert_eq!(
        (
            &clean["currentBranch"],
            &clean["upstream"],
            &clean["branchPublished"],
            &clean["ahead"],
            &clean["behind"]
        ),
        (&json!("main"), &json!("origin/main"), &json!(true), &json!(0), &json!(0))
    );
    assert_eq!(clean["fileStatus"], json!([]));
    container.sh("cd repo && echo changed >> README.md && echo new > new.txt");
    let status = tb.ok(Method::GET, "/git/status?path=/workspace/repo", None, 200).await;
    let files: Vec<(String, String, String)> = status["fileStatus"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or_default().into(),
                f["staging"].to_string(),
                f["worktree"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            ("README.md".into(), "\"Unmodified\"".into(), "\"Modified\"".into()),
            ("new.txt".into(), "\"Untracked\"".into(), "\"Untracked\"".into())
        ]
    );
    assert_eq!(container.sh("git -C repo status --porcelain"), " M README.md\n?? new.txt");

    // Add, commit as the author given; the answer is the container's HEAD.
    tb.ok(Method::POST, "/git/add", Some(json!({"path": "repo", "files": ["README.md", "new.txt"]})), 200)
        .await;
    assert_eq!(container.sh("git -C repo status --porcelain"), "M  README.md\nA  new.txt");
    let commit = json!({"path": "repo", "message": "Add new.txt\n\nWith a body.", "author": "Ada L", "email": "ada@example.com"});
    let committed = tb.ok(Method::POST, "/git/commit", Some(commit), 200).await;
    let head = container.sh("git -C repo rev-parse HEAD");
    assert_eq!(committed["hash"], head);
    assert_eq!(
        container.sh("git -C repo log -1 --format='%an <%ae>|%cn|%B'"),
        "Ada L <ada@example.com>|Ada L|Add new.txt\n\nWith a body."
    );
    let status = tb.ok(Method::GET, "/git/status?path=repo", None, 200).await;
    assert_eq!((&status["ahead"], &status["behind"]), (&json!(1), &json!(0)));
    let nothing = json!({"path": "repo", "message": "empty", "author": "A", "email": "a@x"});
    let (code, _, text) = tb.post("/git/commit", nothing.clone()).await;
    assert!((400..500).contains(&code) && text.contains("nothing to commit"), "{code} {text}");
    let mut empty = nothing;
    empty["allow_empty"] = json!(true);
    let empty = tb.ok(Method::POST, "/git/commit", Some(empty), 200).await;
    assert_eq!(empty["hash"], container.sh("git -C repo rev-parse HEAD"));

    // History: newest first, every commit, the whole message.
    let history = tb.ok(Method::GET, "/git/history?path=repo", None, 200).await;
    let history = history.as_array().expect("a list");
    assert_eq!(history.len().to_string(), container.sh("git -C repo rev-list --count HEAD"));
    assert_eq!((&history[0]["hash"], &history[0]["message"]), (&empty["hash"], &json!("empty\n")));
    assert_eq!(
        (&history[1]["author"], &history[1]["email"], &history[1]["message"]),
        (&json!("Ada L"), &json!("ada@example.com"), &json!("Add new.txt\n\nWith a body.\n"))
    );
    assert_eq!(history[1]["timestamp"], container.sh("git -C repo log -1 --skip=1 --format=%aI"));

    // Branches: create (and check out, as Daytona does), list, checkout, delete.
    tb.ok(Method::POST, "/git/branches", Some(json!({"path": "repo", "name": "topic"})), 201).await;
    assert_eq!(container.sh("git -C repo symbolic-ref --short HEAD"), "topic");
    let branches = tb.ok(Method::GET, "/git/branches?path=repo", None, 200).await;
    assert_eq!(branches, json!({"branches": ["main", "topic"], "current": "topic"}));
    tb.ok(Method::POST, "/git/checkout", Some(json!({"path": "repo", "branch": "main"})), 200).await;
    assert_eq!(container.sh("git -C repo symbolic-ref --short HEAD"), "main");
    tb.ok(Method::DELETE, "/git/branches", Some(json!({"path": "repo", "name": "topic"})), 204).await;
    assert_eq!(container.sh("git -C repo branch --list topic"), "");
    let (code, _, text) =
        tb.call(Method::DELETE, "/git/branches", Some(json!({"path": "repo", "name": "topic"}))).await;
    assert_eq!(code, 404, "{text}");
    let (code, _, text) = tb.post("/git/checkout", json!({"path": "repo", "branch": "nope"})).await;
    assert_eq!(code, 404, "{text}");
    let (code, _, _) = tb.post("/git/branches", json!({"path": "repo", "name": "-f"})).await;
    assert_eq!(code, 400, "an option is not a branch name");
    tb.ok(Method::POST, "/git/checkout", Some(json!({"path": "repo", "branch": first})), 200).await;
    let detached = tb.ok(Method::GET, "/git/status?path=repo", None, 200).await;
    assert_eq!((&detached["currentBranch"], &detached["detached"]), (&json!("HEAD"), &json!(true)));
    assert_eq!(tb.ok(Method::GET, "/git/branches?path=repo", None, 200).await["current"], "");
    tb.ok(Method::POST, "/git/checkout", Some(json!({"path": "repo", "branch": "main"})), 200).await;

    // Reset and restore.
    container.sh("cd repo && echo staged >> new.txt && git add new.txt");
    tb.ok(Method::POST, "/git/reset", Some(json!({"path": "repo"})), 200).await;
    assert_eq!(container.sh("git -C repo status --porcelain"), " M new.txt", "a mixed reset unstages");
    tb.ok(Method::POST, "/git/restore", Some(json!({"path": "repo", "files": ["new.txt"]})), 200).await;
    assert_eq!(container.sh("cat repo/new.txt"), "new");
    container.sh("cd repo && echo again >> README.md && git add README.md");
    let restore = json!({"path": "repo", "files": ["README.md"], "staged": true});
    tb.ok(Method::POST, "/git/restore", Some(restore), 200).await;
    assert_eq!(container.sh("git -C repo status --porcelain"), " M README.md", "restore --staged unstages");
    let hard = json!({"path": "repo", "mode": "hard", "target": "HEAD~1"});
    tb.ok(Method::POST, "/git/reset", Some(hard), 200).await;
    assert_eq!(container.sh("git -C repo rev-parse HEAD"), head);
    assert_eq!(container.sh("git -C repo status --porcelain"), "");
    let (code, _, _) = tb.post("/git/reset", json!({"path": "repo", "mode": "sideways"})).await;
    assert_eq!(code, 400);

    // A second repository (init --bare), a remote to it, push and pull.
    tb.ok(
        Method::POST,
        "/git/init",
        Some(json!({"path": "/srv/git/second.git", "bare": true, "initial_branch": "main"})),
        201,
    )
    .await;
    assert_eq!(container.sh("git -C /srv/git/second.git rev-parse --is-bare-repository"), "true");
    let remote = json!({"path": "repo", "name": "second", "url": "file:///srv/git/second.git"});
    tb.ok(Method::POST, "/git/remotes", Some(remote.clone()), 201).await;
    let (code, _, text) = tb.post("/git/remotes", remote).await;
    assert_eq!(code, 409, "the remote exists: {text}");
    let remotes = tb.ok(Method::GET, "/git/remotes?path=repo", None, 200).await;
    assert_eq!(
        remotes,
        json!({"remotes": [{"name": "origin", "url": "file:///srv/git/origin.git"}, {"name": "second", "url": "file:///srv/git/second.git"}]})
    );
    let push = json!({"path": "repo", "remote": "second", "branch": "main", "set_upstream": true});
    tb.ok(Method::POST, "/git/push", Some(push), 200).await;
    assert_eq!(container.sh("git -C /srv/git/second.git rev-parse main"), head);
    assert_eq!(container.sh("git -C repo rev-parse --abbrev-ref @{upstream}"), "second/main");
    container.sh("set -e; git clone -q /srv/git/second.git /srv/git/other && cd /srv/git/other \
         && echo later > later.txt && git add later.txt \
         && git -c user.name=O -c user.email=o@x commit -qm later && git push -q origin main");
    let later = container.sh("git -C /srv/git/other rev-parse HEAD");
    let status = tb.ok(Method::GET, "/git/status?path=repo", None, 200).await;
    assert_eq!(status["upstream"], "second/main");
    tb.ok(Method::POST, "/git/pull", Some(json!({"path": "repo"})), 200).await;
    assert_eq!(container.sh("git -C repo rev-parse HEAD"), later);
    assert_eq!(container.sh("cat repo/later.txt"), "later");
    // A rejected push (the remote moved on) is a conflict.
    container.sh("cd /srv/git/other && echo x > x && git add x && git -c user.name=O -c user.email=o@x commit -qm x && git push -q origin main");
    container.sh("cd repo && echo y > y && git add y && git -c user.name=O -c user.email=o@x commit -qm y");
    let (code, _, text) = tb.post("/git/push", json!({"path": "repo", "remote": "second"})).await;
    assert_eq!(code, 409, "{text}");
    let overwrite =
        json!({"path": "repo", "name": "second", "url": "file:///srv/git/origin.git", "overwrite": true});
    tb.ok(Method::POST, "/git/remotes", Some(overwrite), 201).await;
    assert_eq!(container.sh("git -C repo remote get-url second"), "file:///srv/git/origin.git");

    // Config: global (the sandbox user's ~/.gitconfig), local, unset, and the user.
    let set = json!({"key": "pithy.test", "value": "-a value-"});
    tb.ok(Method::POST, "/git/config", Some(set), 200).await;
    assert_eq!(container.sh("git config --file /home/dev/.gitconfig pithy.test"), "-a value-");
    let got = tb.ok(Method::GET, "/git/config?key=pithy.test", None, 200).await;
    assert_eq!(got, json!({"value": "-a value-"}));
    let unset = tb.ok(Method::GET, "/git/config?key=pithy.unset&scope=global", None, 200).await;
    assert_eq!(unset, json!({"value": null}));
    let user = json!({"name": "Local Dev", "email": "dev@example.com", "scope": "local", "path": "repo"});
    tb.ok(Method::POST, "/git/config/user", Some(user), 200).await;
    assert_eq!(container.sh("git -C repo config --local user.name"), "Local Dev");
    let got = tb.ok(Method::GET, "/git/config?key=user.email&scope=local&path=repo", None, 200).await;
    assert_eq!(got["value"], "dev@example.com");
    let (code, _, text) = tb.post("/git/config", json!({"key": "a.b", "value": "c", "scope": "local"})).await;
    assert_eq!((code, text.contains("path is required")), (400, true), "{text}");

    // Errors of paths that hold no repository.
    let (code, _, text) = tb.get("/git/status?path=/tmp").await;
    assert_eq!(code, 404, "{text}");
    let (code, _, text) = tb.get("/git/history?path=/nowhere").await;
    assert_eq!(code, 404, "{text}");
    let (code, body, _) = tb.get("/git/status").await;
    assert_eq!((code, &body["message"]), (400, &json!("path is required")));

    // Credentials: an HTTP repository in the sandbox that wants basic auth.
    credentials(&tb, &container).await;

    client.sandboxes().delete(&id).await.expect("deleted");
    server.shutdown().await;
}

/// A dumb-HTTP git server in the sandbox (python3, basic auth `dev`/[`PASSWORD`]): a clone
/// with the right credentials works, a wrong password is a 401 whose answer does not show
/// it, nothing is stored, and `Authenticate` stores them for later clones.
async fn credentials(tb: &Toolbox, container: &Container) {
    let server = format!(
        r#"import base64, functools, http.server
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"dev:{PASSWORD}").decode():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", 8123), functools.partial(H, directory="/srv/git")).serve_forever()
"#
    );
    std::fs::write(std::env::temp_dir().join("pj-git-auth-server.py"), &server).expect("write");
    let copied = docker(&[
        "cp",
        &std::env::temp_dir().join("pj-git-auth-server.py").display().to_string(),
        &format!("{}:/srv/git/server.py", container.0),
    ]);
    assert!(copied.status.success());
    container.sh("git -C /srv/git/origin.git update-server-info");
    let started =
        docker(&["exec", "--detach", "--user", "dev", &container.0, "python3", "/srv/git/server.py"]);
    assert!(started.status.success());
    container.sh("for i in $(seq 50); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 8123))' 2>/dev/null && exit 0; sleep 0.1; done; exit 1");

    let url = "http://127.0.0.1:8123/origin.git";
    let (code, _, text) = tb.post("/git/clone", json!({"url": url, "path": "anon"})).await;
    assert_eq!(code, 401, "no credentials: {text}");
    let wrong = json!({"url": url, "path": "wrong", "username": "dev", "password": "not-the-password"});
    let (code, _, text) = tb.post("/git/clone", wrong).await;
    assert_eq!(code, 401, "{text}");
    assert!(!text.contains("not-the-password"), "the password is not in the answer: {text}");
    let right = json!({"url": url, "path": "authed", "username": "dev", "password": PASSWORD});
    let (code, _, text) = tb.post("/git/clone", right).await;
    assert_eq!(code, 200, "{text}");
    assert!(!text.contains(PASSWORD));
    assert_eq!(container.sh("cat authed/README.md"), "one\ntwo");
    // Not stored anywhere git keeps things.
    let stored =
        container.sh("cat authed/.git/config; cat ~/.git-credentials 2>/dev/null; cat ~/.gitconfig; true");
    assert!(!stored.contains(PASSWORD), "{stored}");
    // A push of a new commit, with the credentials, is refused by the (read-only) dumb
    // server, and the error does not carry them either.
    container.sh("cd authed && git -c user.name=D -c user.email=d@x commit -q --allow-empty -m more");
    let push = json!({"path": "authed", "username": "dev", "password": PASSWORD});
    let (code, _, text) = tb.post("/git/push", push).await;
    assert!((400..500).contains(&code), "{code} {text}");
    assert!(!text.contains(PASSWORD), "{text}");

    // Authenticate persists them (git's store helper), and a clone without any works.
    let auth = json!({"username": "dev", "password": PASSWORD, "host": "127.0.0.1:8123", "protocol": "http"});
    tb.ok(Method::POST, "/git/credentials", Some(auth), 200).await;
    assert_eq!(container.sh("git config --global --get-all credential.helper"), "store");
    assert!(container.sh("cat ~/.git-credentials").contains("127.0.0.1"));
    tb.ok(Method::POST, "/git/clone", Some(json!({"url": url, "path": "stored"})), 200).await;
    assert_eq!(container.sh("cat stored/README.md"), "one\ntwo");
}

/// Info, ports and the preview URL: home and work dir as the container says, a server
/// started in the sandbox seen listening, and its answer fetched from the host through the
/// preview URL (with the token; refused without it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_ports_and_the_preview_url_reach_the_sandbox() {
    provision::reference_base();
    let state = tempfile::tempdir().expect("a temp dir");
    let (server, client, id, container) = sandbox(state.path(), "git-info-v1", DOCKERFILE, None).await;
    let tb = Toolbox::new(&server, &id);

    assert_eq!(tb.ok(Method::GET, "/user-home-dir", None, 200).await, json!({"dir": "/root"}));
    assert_eq!(tb.ok(Method::GET, "/work-dir", None, 200).await, json!({"dir": "/workspace"}));
    let version = tb.ok(Method::GET, "/version", None, 200).await;
    assert!(version["version"].as_str().is_some_and(|v| v.starts_with("pj-daytona-local-")), "{version}");

    assert_eq!(tb.ok(Method::GET, "/port/8000/in-use", None, 200).await, json!({"isInUse": false}));
    let (code, _, _) = tb.get("/port/70000/in-use").await;
    assert_eq!(code, 400);
    let page = "<h1>served from the sandbox</h1>";
    container.sh(&format!("mkdir -p /tmp/site && printf '%s' '{page}' > /tmp/site/index.html"));
    let started = docker(&[
        "exec",
        "--detach",
        &container.0,
        "python3",
        "-m",
        "http.server",
        "8000",
        "--bind",
        "127.0.0.1",
        "--directory",
        "/tmp/site",
    ]);
    assert!(started.status.success());
    let mut in_use = false;
    for _ in 0..100 {
        in_use = tb.ok(Method::GET, "/port/8000/in-use", None, 200).await["isInUse"] == json!(true);
        if in_use {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(in_use, "the server in the sandbox listens on 8000");
    let ports = tb.ok(Method::GET, "/port", None, 200).await;
    assert!(ports["ports"].as_array().is_some_and(|p| p.contains(&json!(8000))), "{ports}");
    // The container's own socket table agrees.
    assert!(container.sh("cat /proc/net/tcp").contains(":1F40 00000000:0000 0A"));

    // The preview URL: on 127.0.0.1, stable, the token required for this private sandbox.
    let api = reqwest::Client::new();
    let preview_url = format!("{}/sandbox/{id}/ports/8000/preview-url", server.url());
    let get_preview = || api.get(&preview_url).bearer_auth(server.api_key()).send();
    let preview: Value = get_preview().await.expect("answer").json().await.expect("json");
    let url = preview["url"].as_str().expect("a url").to_owned();
    let token = preview["token"].as_str().expect("a token").to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(preview["sandboxId"], id);
    let again: Value = get_preview().await.expect("answer").json().await.expect("json");
    assert_eq!(again["url"], url);
    let fetched = api.get(&url).header("X-Daytona-Preview-Token", &token).send().await.expect("answer");
    assert_eq!(fetched.status().as_u16(), 200);
    assert_eq!(fetched.text().await.expect("body"), page);
    let with_key =
        api.get(format!("{url}/index.html")).bearer_auth(server.api_key()).send().await.expect("answer");
    assert_eq!((with_key.status().as_u16(), with_key.text().await.expect("body")), (200, page.to_owned()));
    let refused = api.get(&url).send().await.expect("answer");
    assert_eq!(refused.status().as_u16(), 401);
    let wrong = api.get(&url).header("X-Daytona-Preview-Token", "nope").send().await.expect("answer");
    assert_eq!(wrong.status().as_u16(), 401);
    // Many requests in a row, each its own relay.
    for _ in 0..5 {
        let r = api.get(&url).header("X-Daytona-Preview-Token", &token).send().await.expect("answer");
        assert_eq!(r.text().await.expect("body"), page);
    }
    // A port nothing listens on: a 502 that says so.
    let closed: Value = api
        .get(format!("{}/sandbox/{id}/ports/8001/preview-url", server.url()))
        .bearer_auth(server.api_key())
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let closed_url = closed["url"].as_str().expect("a url");
    assert_eq!(closed["token"], token, "one token per sandbox");
    let bad = api.get(closed_url).header("X-Daytona-Preview-Token", &token).send().await.expect("answer");
    assert_eq!(bad.status().as_u16(), 502);
    assert!(bad.text().await.expect("body").contains("Nothing answered on port 8001"));
    let (code, _, _) = {
        let r = api
            .get(format!("{}/sandbox/{id}/ports/0/preview-url", server.url()))
            .bearer_auth(server.api_key())
            .send()
            .await
            .expect("answer");
        (r.status().as_u16(), (), ())
    };
    assert_eq!(code, 400);

    client.sandboxes().delete(&id).await.expect("deleted");
    // The sandbox is gone: its preview says so.
    let gone = api.get(&url).header("X-Daytona-Preview-Token", &token).send().await.expect("answer");
    assert_eq!(gone.status().as_u16(), 404);
    server.shutdown().await;
}

/// An image without git (busybox): a clear 400 naming git; info and ports still work with
/// the image's sh and cat, and the preview says the image cannot run its relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_without_git_says_so() {
    let base = provision::base_image();
    let state = tempfile::tempdir().expect("a temp dir");
    let dockerfile = format!("FROM {base}\nENTRYPOINT [\"sleep\", \"infinity\"]\n");
    let (server, client, id, _container) = sandbox(state.path(), "no-git-v1", &dockerfile, None).await;
    let tb = Toolbox::new(&server, &id);
    for (method, path, body) in [
        (Method::GET, "/git/status?path=/root", None),
        (Method::POST, "/git/clone", Some(json!({"url": "file:///x", "path": "/root/x"}))),
        (Method::POST, "/git/init", Some(json!({"path": "/root/y"}))),
    ] {
        let (code, body, text) = tb.call(method, path, body).await;
        assert_eq!(code, 400, "{path}: {text}");
        assert_eq!(body["statusCode"], 400);
        assert!(body["message"].as_str().is_some_and(|m| m.contains("image has no `git`")), "{text}");
    }
    assert_eq!(tb.ok(Method::GET, "/user-home-dir", None, 200).await, json!({"dir": "/root"}));
    assert_eq!(
        tb.ok(Method::GET, "/work-dir", None, 200).await,
        json!({"dir": "/root"}),
        "no WORKDIR: the home"
    );
    assert_eq!(tb.ok(Method::GET, "/port/80/in-use", None, 200).await, json!({"isInUse": false}));

    let api = reqwest::Client::new();
    let preview: Value = api
        .get(format!("{}/sandbox/{id}/ports/80/preview-url", server.url()))
        .bearer_auth(server.api_key())
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let url = preview["url"].as_str().expect("a url");
    let answer = api.get(url).bearer_auth(server.api_key()).send().await.expect("answer");
    assert_eq!(answer.status().as_u16(), 502);
    assert!(answer.text().await.expect("body").contains("neither python3 nor bash"));

    // A stopped container's toolbox is an error, not a result.
    client.sandboxes().delete(&id).await.expect("deleted");
    let (code, _, _) = tb.get("/git/status?path=/root").await;
    assert_eq!(code, 404);
    server.shutdown().await;
}
