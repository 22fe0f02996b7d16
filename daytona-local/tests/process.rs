//! The toolbox's process operations against real containers: `execute` (cwd, env,
//! timeout killing the process tree inside the container, a daemon that keeps the output
//! open, huge and non-UTF-8 output), `code-run`, sessions (state between commands, sync and
//! async commands, exit codes, logs whole and followed over a WebSocket, input, delete),
//! the entrypoint session, and their bad inputs. Plain HTTP, as any client sends it; the
//! container's own view (`docker exec ps`, `docker logs`) is the oracle.
//!
//! The sandbox image is `debian:bookworm-slim` (made locally by
//! `tests/conformance/setup.sh`) with `python3` and `procps` from Debian's archive.

#[path = "../../tests/conformance/provision.rs"]
mod provision;
mod support;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use pj_daytona::{CreateBuildInfo, CreateSandbox, CreateSnapshot, SnapshotState};
use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const DOCKERFILE: &str = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends python3 procps && rm -rf /var/lib/apt/lists/*\n";
/// What the sandbox's container runs: output on both streams, then it stays up.
const ENTRYPOINT: [&str; 3] = ["sh", "-c", "echo started; echo warning >&2; exec sleep infinity"];
/// The server's bound on kept output (`once::OUTPUT_LIMIT`).
const LIMIT: usize = 4 * 1024 * 1024;

fn docker(args: &[&str]) -> std::process::Output {
    std::process::Command::new("docker")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("docker runs")
}

/// Removes a sandbox's container when the test ends, also when it fails before
/// [`Fixture::finish`] deletes the sandbox.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "--force", &self.0]);
    }
}

/// A server, a snapshot of [`DOCKERFILE`] and a started sandbox of it.
struct Fixture {
    _guard: Container,
    server: LocalDaytona,
    http: reqwest::Client,
    toolbox: String,
    id: String,
    container: String,
    _state: tempfile::TempDir,
}

impl Fixture {
    async fn new(name: &str) -> Fixture {
        provision::reference_base();
        let state = tempfile::tempdir().expect("a temp dir");
        let server = LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::Docker))
            .await
            .expect("server");
        let client = support::client(&server);
        // Daytona takes no entrypoint with a build: the built image's snapshot gets one.
        let built = format!("{name}-build");
        let request = CreateSnapshot::build(&built, CreateBuildInfo::new(DOCKERFILE, Vec::<String>::new()));
        client.snapshots().create(&request).await.expect("snapshot created");
        let snapshot = support::wait_terminal(&client, &built, Duration::from_secs(900)).await;
        assert_eq!(snapshot.state, SnapshotState::Active, "{:?}", snapshot.error_reason);
        let image = daytona_contract::build_key(DOCKERFILE, &[] as &[String]);
        let mut request = CreateSnapshot::image(name, image);
        request.entrypoint = Some(ENTRYPOINT.iter().map(|s| (*s).to_owned()).collect());
        client.snapshots().create(&request).await.expect("snapshot created");
        let snapshot = support::wait_terminal(&client, name, Duration::from_secs(120)).await;
        assert_eq!(snapshot.state, SnapshotState::Active, "{:?}", snapshot.error_reason);
        let sandbox =
            client.sandboxes().create_info(&CreateSandbox::from_snapshot(name)).await.expect("sandbox");
        client
            .sandboxes()
            .wait_for_state(&sandbox.id, pj_daytona::SandboxState::Started, Duration::from_secs(60))
            .await
            .expect("started");
        let toolbox = format!("{}/toolbox/{}", server.url().trim_end_matches("/api"), sandbox.id);
        let container = format!("pj-sandbox-{}", sandbox.id);
        assert!(docker(&["inspect", &container]).status.success(), "the sandbox's container is {container}");
        Fixture {
            _guard: Container(container.clone()),
            server,
            http: reqwest::Client::new(),
            toolbox,
            id: sandbox.id,
            container,
            _state: state,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.toolbox) };
        let mut request = self.http.request(method, url).bearer_auth(self.server.api_key());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn exec(&self, body: Value) -> (u16, Value) {
        self.post("/process/execute", body).await
    }

    /// Processes in the container whose command line contains `needle`, zombies left out
    /// (reaped or not, they are dead).
    fn alive(&self, needle: &str) -> Vec<String> {
        let out = docker(&["exec", &self.container, "ps", "-eo", "stat=,args="]);
        assert!(out.status.success(), "ps: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|l| l.contains(needle) && !l.starts_with('Z') && !l.contains("ps -eo"))
            .map(str::to_owned)
            .collect()
    }

    async fn finish(self) {
        let client = support::client(&self.server);
        client.sandboxes().delete(&self.id).await.expect("deleted");
        assert!(!docker(&["inspect", &self.container]).status.success(), "the container is gone");
        self.server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_runs_in_the_container_and_kills_at_the_timeout() {
    let f = Fixture::new("process-execute-v1").await;

    let (status, out) = f.exec(json!({"command": "pwd; echo \"$GREETING\"; echo oops >&2; exit 3", "cwd": "/usr", "envs": {"GREETING": "hi"}})).await;
    assert_eq!((status, out), (200, json!({"exitCode": 3, "result": "/usr\nhi\noops\n"})));
    // The command is read by the image's bash (listed in /etc/shells), as Daytona picks it.
    let (_, out) = f.exec(json!({"command": "echo $BASH_VERSION | cut -c1"})).await;
    assert_eq!(out["result"], "5\n");
    let (_, out) = f.exec(json!({"command": "printf 'a\\377\\376b'"})).await;
    assert_eq!(out["result"], "a\u{fffd}\u{fffd}b", "non-UTF-8 output is replaced, not an error");
    let (status, out) = f.exec(json!({"command": "pwd", "cwd": "/no/such/dir"})).await;
    assert_eq!(
        (status, out),
        (200, json!({"exitCode": -1, "result": "chdir /no/such/dir: no such file or directory"}))
    );

    // At the timeout the tree inside the container is killed, daemons of it included.
    let started = Instant::now();
    let (status, out) =
        f.exec(json!({"command": "sleep 4242 & sh -c 'sleep 4343'; echo never", "timeout": 2})).await;
    assert_eq!((status, out["message"].as_str()), (408, Some("command execution timeout")), "{out}");
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    assert_eq!(f.alive("sleep 4242"), Vec::<String>::new());
    assert_eq!(f.alive("sleep 4343"), Vec::<String>::new());

    // A daemon that keeps the command's output open does not hold the answer.
    let started = Instant::now();
    let (status, out) = f.exec(json!({"command": "sleep 300 & echo started", "timeout": 60})).await;
    assert_eq!((status, out), (200, json!({"exitCode": 0, "result": "started\n"})));
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    assert_eq!(f.alive("sleep 300").len(), 1, "the daemon runs on");

    // Huge output is cut at the bound, and says so.
    let (status, out) =
        f.exec(json!({"command": "head -c 6000000 /dev/zero | tr '\\0' x", "timeout": 60})).await;
    assert_eq!(status, 200);
    let result = out["result"].as_str().expect("a result");
    assert_eq!(result.matches('x').count(), LIMIT);
    assert!(
        result.ends_with(&format!(
            "[daytona-local: output cut at {LIMIT} bytes; {} more bytes were not kept]\n",
            6_000_000 - LIMIT
        )),
        "{}",
        &result[result.len() - 120..]
    );

    // Bad inputs.
    let (status, out) = f.exec(json!({"command": "  "})).await;
    assert_eq!((status, out["message"].as_str()), (400, Some("command cannot be empty or whitespace-only")));
    let (status, out) = f.exec(json!({"command": "true", "envs": {"A-B": "x"}})).await;
    assert_eq!((status, out["message"].as_str()), (400, Some("invalid environment variable name: 'A-B'")));
    let (status, _) = f.exec(json!({"command": "true", "timeout": -1})).await;
    assert_eq!(status, 400);
    let unknown =
        format!("{}/toolbox/no-such-sandbox/process/execute", f.server.url().trim_end_matches("/api"));
    let (status, out) = f.post(&unknown, json!({"command": "true"})).await;
    assert_eq!(status, 404, "{out}");

    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_run_uses_the_images_interpreters() {
    let f = Fixture::new("process-code-run-v1").await;
    let code = "import os, sys\nprint(sys.argv[1:], os.environ['WHO'])\nprint('to stderr', file=sys.stderr)\nsys.exit(4)\n";
    let (status, out) = f
        .post(
            "/process/code-run",
            json!({"code": code, "language": "python", "argv": ["a", "b"], "envs": {"WHO": "me"}}),
        )
        .await;
    assert_eq!((status, out), (200, json!({"exitCode": 4, "result": "['a', 'b'] me\nto stderr\n"})));
    let (status, out) = f
        .post(
            "/process/code-run",
            json!({"code": "import time\ntime.sleep(30)", "language": "python", "timeout": 1}),
        )
        .await;
    assert_eq!(status, 408, "{out}");
    assert_eq!(f.alive("python3").len(), 0);
    // The image has no node: a clear 400, not a shell's "not found".
    let (status, out) =
        f.post("/process/code-run", json!({"code": "console.log(1)", "language": "javascript"})).await;
    assert_eq!(status, 400);
    assert_eq!(
        out["message"],
        "code-run cannot run javascript in this sandbox: its image has no node on the PATH"
    );
    let (status, out) = f.post("/process/code-run", json!({"code": "puts 1", "language": "ruby"})).await;
    assert_eq!(status, 400);
    assert!(out["message"].as_str().is_some_and(|m| m.starts_with("unsupported language: ruby")), "{out}");
    f.finish().await;
}

/// Reads a followed log over a WebSocket, demultiplexed as the SDK does; each message
/// with the time it came.
async fn follow(url: &str, key: &str) -> Vec<(Instant, Vec<u8>)> {
    let url = url.replacen("http", "ws", 1);
    let mut request = url.into_client_request().expect("a request");
    request.headers_mut().insert("Authorization", format!("Bearer {key}").parse().expect("a header"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("the WebSocket opens");
    let mut messages = Vec::new();
    while let Some(message) =
        tokio::time::timeout(Duration::from_secs(30), socket.next()).await.expect("a message within 30 s")
    {
        match message.expect("a frame") {
            Message::Binary(data) => messages.push((Instant::now(), data.to_vec())),
            Message::Text(text) => messages.push((Instant::now(), text.as_bytes().to_vec())),
            Message::Close(frame) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1000));
                break;
            }
            _ => {}
        }
    }
    messages
}

/// Splits a raw log at Daytona's stream markers.
fn demux(raw: &[u8]) -> (String, String) {
    let (mut out, mut err, mut current) = (Vec::new(), Vec::new(), 0u8);
    let mut i = 0;
    while i < raw.len() {
        if raw[i..].starts_with(b"\x01\x01\x01") || raw[i..].starts_with(b"\x02\x02\x02") {
            current = raw[i];
            i += 3;
            continue;
        }
        match current {
            1 => out.push(raw[i]),
            2 => err.push(raw[i]),
            _ => {}
        }
        i += 1;
    }
    (String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_keep_state_and_stream_their_logs() {
    let f = Fixture::new("process-sessions-v1").await;
    let (status, _) = f.post("/process/session", json!({"sessionId": "work"})).await;
    assert_eq!(status, 201);
    let (status, out) = f.post("/process/session", json!({"sessionId": "work"})).await;
    assert_eq!((status, out["message"].as_str()), (409, Some("session already exists")));
    let (status, out) = f.post("/process/session", json!({"sessionId": "entrypoint"})).await;
    assert_eq!(status, 400, "{out}");

    // Shell state lasts from one command to the next.
    let (status, out) =
        f.post("/process/session/work/exec", json!({"command": "cd /tmp && export X=42"})).await;
    assert_eq!((status, &out["exitCode"]), (200, &json!(0)), "{out}");
    let (status, out) =
        f.post("/process/session/work/exec", json!({"command": "pwd; echo $X; echo e >&2; false"})).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&out["stdout"], &out["stderr"], &out["exitCode"]),
        (&json!("/tmp\n42\n"), &json!("e\n"), &json!(1)),
        "{out}"
    );
    // `output` is the raw log, stream markers included, as Daytona's daemon answers it
    // (each stream in order; between the two, the order docker delivered them in).
    let raw = out["output"].as_str().expect("output");
    assert!(raw.contains("\u{1}\u{1}\u{1}") && raw.contains("\u{2}\u{2}\u{2}"), "{out}");
    assert_eq!(demux(raw.as_bytes()), ("/tmp\n42\n".to_owned(), "e\n".to_owned()));
    let first = out["cmdId"].as_str().expect("a command id").to_owned();
    let (status, out) = f.get(&format!("/process/session/work/command/{first}")).await;
    assert_eq!(
        (status, out),
        (200, json!({"id": first, "command": "pwd; echo $X; echo e >&2; false", "exitCode": 1}))
    );

    // An async command answers at once; its log is followed while it runs.
    let script = "for i in 1 2 3; do echo out $i; echo err $i >&2; sleep 1; done";
    let (status, out) =
        f.post("/process/session/work/exec", json!({"command": script, "runAsync": true})).await;
    assert_eq!(status, 202, "{out}");
    let id = out["cmdId"].as_str().expect("a command id").to_owned();
    let (_, running) = f.get(&format!("/process/session/work/command/{id}")).await;
    assert_eq!(running.get("exitCode"), None, "still running: {running}");
    let messages = follow(
        &format!("{}/process/session/work/command/{id}/logs?follow=true", f.toolbox),
        f.server.api_key(),
    )
    .await;
    let (_, done) = f.get(&format!("/process/session/work/command/{id}")).await;
    assert_eq!(done["exitCode"], 0);
    let raw: Vec<u8> = messages.iter().flat_map(|(_, m)| m.clone()).collect();
    assert_eq!(demux(&raw), ("out 1\nout 2\nout 3\n".to_owned(), "err 1\nerr 2\nerr 3\n".to_owned()));
    let first_at = messages.first().expect("messages").0;
    let last_at = messages.last().expect("messages").0;
    assert!(
        last_at - first_at > Duration::from_millis(1500),
        "output came as it was written, not at the end"
    );
    let (status, out) = f.get(&format!("/process/session/work/command/{id}/logs")).await;
    assert_eq!(
        (status, &out["stdout"], &out["stderr"]),
        (200, &json!("out 1\nout 2\nout 3\n"), &json!("err 1\nerr 2\nerr 3\n"))
    );

    // Input to an async command, echoed in its log.
    let (_, out) = f
        .post(
            "/process/session/work/exec",
            json!({"command": "read line; echo \"got $line\"", "runAsync": true}),
        )
        .await;
    let reader = out["cmdId"].as_str().expect("a command id").to_owned();
    let (status, out) =
        f.post(&format!("/process/session/work/command/{reader}/input"), json!({"data": "hello"})).await;
    assert_eq!(status, 204, "{out}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let out = loop {
        let (_, out) = f.get(&format!("/process/session/work/command/{reader}")).await;
        if out.get("exitCode").is_some() || Instant::now() > deadline {
            break out;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(out["exitCode"], 0, "{out}");
    let (_, logs) = f.get(&format!("/process/session/work/command/{reader}/logs")).await;
    assert_eq!(logs["stdout"], "hello\ngot hello\n");
    let (status, out) =
        f.post(&format!("/process/session/work/command/{reader}/input"), json!({"data": "late"})).await;
    assert_eq!(
        (status, out["message"].as_str()),
        (410, Some("command has already completed with exit code 0"))
    );

    // Huge output in a session is cut at the bound and says so; a daemon does not hold it.
    let (status, out) = f
        .post(
            "/process/session/work/exec",
            json!({"command": "head -c 5000000 /dev/zero | tr '\\0' q; sleep 777 &"}),
        )
        .await;
    assert_eq!((status, &out["exitCode"]), (200, &json!(0)));
    let stdout = out["stdout"].as_str().expect("stdout");
    assert_eq!(stdout.matches('q').count(), LIMIT);
    assert!(stdout.ends_with("later output is not kept]\n"));
    assert_eq!(f.alive("sleep 777").len(), 1);

    // Listing, missing things, and deletion, which kills the session's processes.
    let (status, out) = f.get("/process/session").await;
    assert_eq!(status, 200);
    assert_eq!(out.as_array().map(Vec::len), Some(1));
    assert_eq!(out[0]["sessionId"], "work");
    assert_eq!(out[0]["commands"].as_array().map(Vec::len), Some(5));
    let (status, out) = f.get("/process/session/nope").await;
    assert_eq!((status, out["message"].as_str()), (404, Some("session not found")));
    let (status, out) = f.get("/process/session/work/command/nope").await;
    assert_eq!((status, out["message"].as_str()), (404, Some("command not found")));
    let (status, _) = f.post("/process/session/nope/exec", json!({"command": "true"})).await;
    assert_eq!(status, 404);
    let (status, _) = f.call(reqwest::Method::DELETE, "/process/session/work", None).await;
    assert_eq!(status, 204);
    assert_eq!(f.alive("sleep 777"), Vec::<String>::new(), "the session's processes are gone");
    let (status, _) = f.get("/process/session/work").await;
    assert_eq!(status, 404);

    // `exit` ends the session's shell: the command's code is the shell's.
    f.post("/process/session", json!({"sessionId": "short"})).await;
    let (status, out) = f.post("/process/session/short/exec", json!({"command": "exit 3"})).await;
    assert_eq!((status, &out["exitCode"]), (200, &json!(3)), "{out}");
    let (status, out) = f.post("/process/session/short/exec", json!({"command": "true"})).await;
    assert_eq!(status, 400, "{out}");

    // The entrypoint session: the container's main process and its output.
    let (status, out) = f.get("/process/session/entrypoint").await;
    assert_eq!(status, 200);
    assert_eq!(
        out["commands"][0]["command"],
        "'sh' '-c' 'echo started; echo warning >&2; exec sleep infinity'"
    );
    assert_eq!(out["commands"][0].get("exitCode"), None);
    let (status, out) = f.get("/process/session/entrypoint/logs").await;
    assert_eq!(
        (status, &out["stdout"], &out["stderr"]),
        (200, &json!("started\n"), &json!("warning\n")),
        "{out}"
    );
    let docker_logs = docker(&["logs", &f.container]);
    assert_eq!(String::from_utf8_lossy(&docker_logs.stdout), "started\n");
    // Followed, the entrypoint's log comes as it is (the process runs on, so the stream
    // stays open: read what came, then close).
    let url = format!("{}/process/session/entrypoint/logs?follow=true", f.toolbox).replacen("http", "ws", 1);
    let mut request = url.into_client_request().expect("a request");
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {}", f.server.api_key()).parse().expect("a header"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("the WebSocket opens");
    let mut raw = Vec::new();
    while demux(&raw) != ("started\n".to_owned(), "warning\n".to_owned()) {
        match tokio::time::timeout(Duration::from_secs(20), socket.next()).await {
            Ok(Some(Ok(Message::Binary(data)))) => raw.extend_from_slice(&data),
            other => panic!("the entrypoint's log, streamed: {other:?} after {raw:?}"),
        }
    }
    drop(socket);

    // Deleting the sandbox ends its sessions: no `docker exec` of the server's is left
    // on this machine for the container (the host's process table is the oracle).
    f.post("/process/session", json!({"sessionId": "last"})).await;
    let (status, _) =
        f.post("/process/session/last/exec", json!({"command": "sleep 1000", "runAsync": true})).await;
    assert_eq!(status, 202);
    assert!(!host_processes_naming(&f.container).is_empty(), "the session's shell is a docker exec");
    let container = f.container.clone();
    f.finish().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !host_processes_naming(&container).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(host_processes_naming(&container), Vec::<String>::new());
}

/// The command lines of this machine's processes that name `needle`.
fn host_processes_naming(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}
