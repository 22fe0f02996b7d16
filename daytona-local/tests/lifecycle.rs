//! Sandboxes that are what they claim, with this machine's Docker engine: the limits a
//! process sees in its cgroup, the network and user a sandbox was created with, states that
//! follow the container (killed, removed, exited, out of memory, gone across a restart),
//! start/stop/archive/labels/intervals/list through the API, idle sandboxes stopped, and a
//! `docker rm` that fails for real answering an error. Every check reads the container's own
//! view (`docker exec`, `docker inspect`), not the server's answer alone.

#[path = "../../tests/conformance/provision.rs"]
mod provision;
mod support;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use pj_daytona::{CreateSnapshot, SnapshotState};
use pj_daytona_local::{BuildMode, LocalDaytona, Quotas, ServerConfig};
use serde_json::{Value, json};

const BASE: &str = "pj-test-base:1";
const BUILD: Duration = Duration::from_secs(300);
/// The most a state change observed from outside may take (generous: the server follows
/// `docker events`, so it is usually well under a second).
const SETTLE: Duration = Duration::from_secs(30);

fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).stdin(Stdio::null()).output().expect("the docker CLI runs")
}

/// `docker args...`, which must succeed; its stdout.
fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn container(id: &str) -> String {
    format!("pj-sandbox-{id}")
}

/// Removes the containers of the sandboxes a test made, whatever happens to the test.
#[derive(Default)]
struct Cleanup(std::sync::Mutex<Vec<String>>);

impl Cleanup {
    fn add(&self, id: &str) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(container(id));
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
            let _ = docker(&["rm", "--force", name]);
        }
    }
}

/// Daytona's API of a local server, as plain HTTP.
struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    fn new(server: &LocalDaytona) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: server.url().trim_end_matches("/api").to_owned(),
            key: server.api_key().to_owned(),
        }
    }

    /// `method path` (under the server's root) with a JSON body; the status and the JSON
    /// answer (`null` when there is none).
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method: reqwest::Method = method.parse().expect("a method");
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.call(method, path, body).await;
        assert!((200..300).contains(&status), "{method} {path}: {status} {answer}");
        answer
    }

    async fn create(&self, body: Value, cleanup: &Cleanup) -> Value {
        let sandbox = self.ok("POST", "/api/sandbox", Some(body)).await;
        cleanup.add(sandbox["id"].as_str().expect("an id"));
        sandbox
    }

    async fn get(&self, id: &str) -> Value {
        self.ok("GET", &format!("/api/sandbox/{id}"), None).await
    }

    /// Polls a sandbox until `done` says so, for at most `within`.
    async fn wait(&self, id: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let sandbox = self.get(id).await;
            if done(&sandbox) {
                return sandbox;
            }
            assert!(Instant::now() < deadline, "sandbox {id} did not change within {within:?}: {sandbox}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn execute(&self, id: &str, command: &str) -> (u16, Value) {
        self.call("POST", &format!("/toolbox/{id}/process/execute"), Some(json!({ "command": command })))
            .await
    }
}

fn docker_ready() {
    provision::require(
        || docker(&["info", "--format", "{{.ServerVersion}}"]).status.success(),
        "a reachable Docker engine",
    );
    provision::base_image();
}

/// A server on `dir` that builds with Docker, with room for the sandboxes these tests make.
async fn start_server(dir: &std::path::Path, minute: Option<Duration>) -> LocalDaytona {
    let mut quotas = Quotas::default();
    quotas.total_cpu = 64;
    quotas.total_memory = 64;
    quotas.total_disk = 500;
    quotas.cpu_per_sandbox = 64;
    let config = ServerConfig::new(dir).build_mode(BuildMode::Docker).quotas(quotas).lifecycle_minute(minute);
    LocalDaytona::start(config).await.expect("the local server starts")
}

/// A snapshot of the local base image running `entrypoint`.
async fn snapshot(server: &LocalDaytona, name: &str, entrypoint: &[&str]) {
    let client = support::client(server);
    let mut request = CreateSnapshot::image(name, BASE).resources(1, 1, 3);
    request.entrypoint = Some(entrypoint.iter().map(|s| (*s).to_owned()).collect());
    let created = client.snapshots().create(&request).await.expect("a snapshot");
    let done = support::wait_terminal(&client, &created.id, BUILD).await;
    assert_eq!(done.state, SnapshotState::Active, "{:?}", done.error_reason);
}

/// A number a cgroup file holds, from inside the container.
fn cgroup(container: &str, v2: &str, v1: &str) -> String {
    let script = format!("cat /sys/fs/cgroup/{v2} 2>/dev/null || cat {v1}");
    docker_ok(&["exec", container, "sh", "-c", &script])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_runs_with_its_resources_network_user_and_env() {
    docker_ready();
    let state = tempfile::tempdir().expect("a temp dir");
    let server = start_server(state.path(), None).await;
    let api = Api::new(&server);
    let cleanup = Cleanup::default();
    snapshot(&server, "limits-v1", &["sleep", "infinity"]).await;

    let env = json!({ "PLAIN": "a b=c", "LINES": "one\ntwo", "QUOTE": "it's \"q\"" });
    let sandbox = api
        .create(json!({ "snapshot": "limits-v1", "cpu": 2, "memory": 4, "disk": 5, "env": env }), &cleanup)
        .await;
    let id = sandbox["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        (&sandbox["state"], &sandbox["cpu"], &sandbox["memory"]),
        (&json!("started"), &json!(2), &json!(4))
    );
    let name = container(&id);

    // The limits as the process inside sees them (cgroup v2, or v1's files).
    let cpu = cgroup(
        &name,
        "cpu.max",
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us; cat /sys/fs/cgroup/cpu/cpu.cfs_period_us",
    );
    let cpu: Vec<f64> = cpu.split_whitespace().map(|n| n.parse().expect("a number")).collect();
    assert_eq!(cpu.len(), 2, "quota and period: {cpu:?}");
    assert_eq!(cpu[0] / cpu[1], 2.0, "2 CPUs of quota: {cpu:?}");
    let memory = cgroup(&name, "memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes");
    assert_eq!(memory, (4u64 << 30).to_string(), "4 GiB");
    let limits =
        docker_ok(&["inspect", "--format", "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}", &name]);
    assert_eq!(limits, format!("2000000000 {}", 4u64 << 30));

    // Disk: enforced by the storage driver, or said so in the answer.
    let storage = docker_ok(&["inspect", "--format", "{{json .HostConfig.StorageOpt}}", &name]);
    match sandbox["diskNotEnforced"].as_str() {
        Some(why) => {
            assert!(
                why.starts_with("disk 5 GiB is not enforced: the Docker engine's storage driver"),
                "{why}"
            );
            assert_eq!(storage, "null", "no limit set when it is said not to be");
        }
        None => assert_eq!(storage, r#"{"size":"5g"}"#),
    }

    // The environment, multi-line values included, in the container.
    let printed =
        docker_ok(&["exec", &name, "sh", "-c", "printf '%s|%s|%s' \"$PLAIN\" \"$LINES\" \"$QUOTE\""]);
    assert_eq!(printed, "a b=c|one\ntwo|it's \"q\"");
    let (status, out) = api.execute(&id, "echo \"$PLAIN\"").await;
    assert_eq!((status, &out["result"]), (200, &json!("a b=c\n")));

    assert_eq!(sandbox["public"], false);

    // No network at all with networkBlockAll.
    let blocked = api
        .create(json!({ "snapshot": "limits-v1", "networkBlockAll": true, "public": true }), &cleanup)
        .await;
    assert_eq!((&blocked["networkBlockAll"], &blocked["public"]), (&json!(true), &json!(true)));
    let blocked_name = container(blocked["id"].as_str().expect("an id"));
    assert_eq!(docker_ok(&["inspect", "--format", "{{.HostConfig.NetworkMode}}", &blocked_name]), "none");
    let interfaces = docker_ok(&["exec", &blocked_name, "sh", "-c", "ls /sys/class/net"]);
    assert_eq!(interfaces, "lo", "only the loopback interface");

    // A numeric user the image does not name works; a user it lacks is refused.
    let numeric = api.create(json!({ "snapshot": "limits-v1", "user": "1234" }), &cleanup).await;
    let (_, out) = api.execute(numeric["id"].as_str().expect("an id"), "id -u").await;
    assert_eq!(out["result"], "1234\n");
    let (status, refused) = api
        .call(
            "POST",
            "/api/sandbox",
            Some(json!({ "snapshot": "limits-v1", "user": "nosuch", "name": "no-user" })),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("User nosuch does not exist in the image of snapshot limits-v1"),
        "{message}"
    );
    let (status, _) = api.call("GET", "/api/sandbox/no-user", None).await;
    assert_eq!(status, 404, "no sandbox is left of a refused create");

    // What the engine cannot do is refused, never stored and ignored.
    let engine_cpus: u32 = docker_ok(&["info", "--format", "{{.NCPU}}"]).parse().expect("NCPU");
    let has_gpus = docker_ok(&["info", "--format", "{{json .Runtimes}}"]).contains("nvidia");
    let mut refusals = vec![
        (
            json!({ "cpu": engine_cpus + 1 }),
            format!("No available runners: the local Docker engine has {engine_cpus} CPUs"),
        ),
        (
            json!({ "networkAllowList": "10.0.0.0/8" }),
            "The local server cannot limit a sandbox's network to an allow list".to_owned(),
        ),
        (
            json!({ "volumes": [{ "volumeId": "v", "mountPath": "/v" }] }),
            "The local server cannot mount volumes".to_owned(),
        ),
        (json!({ "env": { "A=B": "c" } }), "env: \"A=B\" is not a valid variable name".to_owned()),
        (
            json!({ "env": { "DOCKER_HOST": "x\ny" } }),
            "env: the local server cannot pass a value with a line break for DOCKER_HOST".to_owned(),
        ),
    ];
    if !has_gpus {
        refusals.push((
            json!({ "gpu": 1 }),
            "No available runners: the local Docker engine has no GPU runtime".to_owned(),
        ));
    }
    for (fields, says) in refusals {
        let mut body = json!({ "snapshot": "limits-v1" });
        for (k, v) in fields.as_object().expect("fields") {
            body[k] = v.clone();
        }
        let (status, answer) = api.call("POST", "/api/sandbox", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(&says), "{body}: {message}");
    }
    let (_, listed) = api.call("GET", "/api/sandbox", None).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(3), "only the three created: {listed}");

    for sandbox in [&sandbox, &blocked, &numeric] {
        api.ok("DELETE", &format!("/api/sandbox/{}", sandbox["id"].as_str().expect("an id")), None).await;
    }
    assert_eq!(docker_ok(&["ps", "--all", "--quiet", "--filter", &format!("name={name}")]), "");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn states_follow_the_containers_also_across_a_restart() {
    docker_ready();
    let state = tempfile::tempdir().expect("a temp dir");
    let server = start_server(state.path(), None).await;
    let api = Api::new(&server);
    let cleanup = Cleanup::default();
    snapshot(&server, "states-v1", &["sleep", "infinity"]).await;
    snapshot(&server, "brief-v1", &["sh", "-c", "sleep 2"]).await;
    snapshot(&server, "greedy-v1", &["sh", "-c", "sleep 1; head -c 1500m /dev/zero | tail"]).await;

    let killed =
        api.create(json!({ "snapshot": "states-v1" }), &cleanup).await["id"].as_str().map(str::to_owned);
    let removed =
        api.create(json!({ "snapshot": "states-v1" }), &cleanup).await["id"].as_str().map(str::to_owned);
    let brief =
        api.create(json!({ "snapshot": "brief-v1" }), &cleanup).await["id"].as_str().map(str::to_owned);
    let greedy = api.create(json!({ "snapshot": "greedy-v1", "memory": 1 }), &cleanup).await["id"]
        .as_str()
        .map(str::to_owned);
    let (killed, removed, brief, greedy) =
        (killed.expect("id"), removed.expect("id"), brief.expect("id"), greedy.expect("id"));
    for id in [&killed, &removed] {
        assert_eq!(api.get(id).await["state"], "started");
    }

    let outside = Instant::now();
    docker_ok(&["kill", &container(&killed)]);
    docker_ok(&["rm", "--force", &container(&removed)]);
    let not_started = |s: &Value| s["state"] != "started";
    let sandbox = api.wait(&killed, SETTLE, not_started).await;
    eprintln!("the kill was seen after {:?}", outside.elapsed());
    assert_eq!(sandbox["state"], "error");
    assert_eq!(sandbox["errorReason"], "The sandbox's container exited with code 137 (killed by signal 9)");
    let sandbox = api.wait(&removed, SETTLE, not_started).await;
    assert_eq!(sandbox["state"], "error");
    let reason = sandbox["errorReason"].as_str().unwrap_or_default();
    assert!(reason.contains("no longer exists: it was removed outside the local server"), "{reason}");
    let sandbox = api.wait(&brief, SETTLE, not_started).await;
    assert_eq!(
        (&sandbox["state"], &sandbox["errorReason"]),
        (&json!("stopped"), &Value::Null),
        "exit 0: {sandbox}"
    );
    let sandbox = api.wait(&greedy, SETTLE, not_started).await;
    assert_eq!(sandbox["state"], "error");
    assert_eq!(
        sandbox["errorReason"],
        "The sandbox's container was killed for running out of memory (OOM; its limit is 1 GiB)"
    );
    // The toolbox refuses a sandbox that is not started.
    let (status, answer) = api.execute(&killed, "true").await;
    assert_eq!(status, 400, "{answer}");

    // A restart: one container removed while the server was down, one left running.
    let kept =
        api.create(json!({ "snapshot": "states-v1" }), &cleanup).await["id"].as_str().map(str::to_owned);
    let lost =
        api.create(json!({ "snapshot": "states-v1" }), &cleanup).await["id"].as_str().map(str::to_owned);
    let (kept, lost) = (kept.expect("id"), lost.expect("id"));
    server.shutdown().await;
    docker_ok(&["rm", "--force", &container(&lost)]);
    let server = start_server(state.path(), None).await;
    let api = Api::new(&server);
    assert_eq!(api.get(&kept).await["state"], "started");
    let sandbox = api.get(&lost).await;
    assert_eq!(sandbox["state"], "error", "right after the start: {sandbox}");
    let (status, out) = api.execute(&kept, "echo still here").await;
    assert_eq!((status, &out["result"]), (200, &json!("still here\n")));

    for id in [&killed, &removed, &brief, &greedy, &kept, &lost] {
        api.ok("DELETE", &format!("/api/sandbox/{id}"), None).await;
    }
    for id in [&killed, &kept] {
        assert!(!docker(&["inspect", &container(id)]).status.success(), "{id}'s container is gone");
    }
    server.shutdown().await;
}

/// Makes `docker rm` of a container fail for real: a file of its writable layer is made
/// immutable on the host (`chattr +i`), so the engine cannot remove the layer. Undone on drop.
struct Immutable(String);

impl Immutable {
    fn new(name: &str) -> Immutable {
        docker_ok(&["exec", name, "sh", "-c", "echo pinned > /tmp/pinned"]);
        let upper = docker_ok(&["inspect", "--format", "{{.GraphDriver.Data.UpperDir}}", name]);
        assert!(!upper.is_empty() && upper != "<no value>", "the storage driver has an upper dir: {upper:?}");
        let file = format!("{upper}/tmp/pinned");
        let out = Command::new("chattr").args(["+i", &file]).output().expect("chattr runs");
        assert!(out.status.success(), "chattr +i {file}: {}", String::from_utf8_lossy(&out.stderr));
        Immutable(file)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").args(["-i", &self.0]).output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_docker_rm_is_an_error_and_the_sandbox_stays() {
    docker_ready();
    let state = tempfile::tempdir().expect("a temp dir");
    let server = start_server(state.path(), None).await;
    let api = Api::new(&server);
    let cleanup = Cleanup::default();
    snapshot(&server, "pinned-v1", &["sleep", "infinity"]).await;
    let id = api.create(json!({ "snapshot": "pinned-v1" }), &cleanup).await["id"].as_str().map(str::to_owned);
    let id = id.expect("an id");
    let pinned = Immutable::new(&container(&id));

    let (status, answer) = api.call("DELETE", &format!("/api/sandbox/{id}"), None).await;
    assert_eq!(status, 500, "{answer}");
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("Could not delete sandbox {id}: docker rm of its container failed:")),
        "{message}"
    );
    assert!(message.contains("operation not permitted"), "the engine's words: {message}");
    let sandbox = api.get(&id).await;
    assert_eq!((&sandbox["state"], &sandbox["desiredState"]), (&json!("error"), &json!("destroyed")));
    assert!(sandbox["errorReason"].as_str().unwrap_or_default().starts_with("Deleting the sandbox failed"));
    let (_, listed) = api.call("GET", "/api/sandbox", None).await;
    assert_eq!(listed["items"], json!([]), "hidden from lists, as Daytona hides errored deletions");
    let (_, listed) = api.call("GET", "/api/sandbox?includeErroredDeleted=true", None).await;
    assert_eq!(listed["items"][0]["id"], id.as_str());

    drop(pinned);
    let deleted = api.ok("DELETE", &format!("/api/sandbox/{id}"), None).await;
    assert_eq!(deleted["state"], "destroyed");
    assert!(!docker(&["inspect", &container(&id)]).status.success(), "the container is gone");
    let (status, _) = api.call("GET", &format!("/api/sandbox/{id}"), None).await;
    assert_eq!(status, 404);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_stop_archive_labels_intervals_and_lists() {
    docker_ready();
    let state = tempfile::tempdir().expect("a temp dir");
    let server = start_server(state.path(), None).await;
    let api = Api::new(&server);
    let cleanup = Cleanup::default();
    snapshot(&server, "life-v1", &["sleep", "infinity"]).await;
    snapshot(&server, "life-v2", &["sleep", "infinity"]).await;
    let a = api
        .create(
            json!({ "snapshot": "life-v1", "name": "alpha", "labels": { "team": "x", "tier": "1" } }),
            &cleanup,
        )
        .await;
    let b = api
        .create(json!({ "snapshot": "life-v1", "name": "beta", "labels": { "team": "x" } }), &cleanup)
        .await;
    let c = api
        .create(json!({ "snapshot": "life-v2", "name": "gamma", "labels": { "team": "y" } }), &cleanup)
        .await;
    let [a, b, c] = [&a, &b, &c].map(|s| s["id"].as_str().expect("an id").to_owned());
    let running = |id: &str| docker_ok(&["inspect", "--format", "{{.State.Running}}", &container(id)]);

    // Stop (by name), then the toolbox refuses it; start again.
    let stopped = api.ok("POST", "/api/sandbox/alpha/stop", None).await;
    assert_eq!((&stopped["state"], &stopped["desiredState"]), (&json!("stopped"), &json!("stopped")));
    assert_eq!(running(&a), "false");
    let (status, answer) = api.execute(&a, "true").await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["message"], format!("Sandbox {a} is not started (state: stopped)"));
    let (status, answer) = api.call("POST", &format!("/api/sandbox/{a}/stop"), None).await;
    assert_eq!((status, &answer["message"]), (400, &json!("Sandbox is not started")));
    let started = api.ok("POST", &format!("/api/sandbox/{a}/start"), None).await;
    assert_eq!(started["state"], "started");
    assert_eq!(running(&a), "true");
    let again = api.ok("POST", &format!("/api/sandbox/{a}/start"), None).await;
    assert_eq!(again["state"], "started", "starting a started sandbox changes nothing");
    let (_, out) = api.execute(&a, "echo back").await;
    assert_eq!(out["result"], "back\n");

    // Archive: only a stopped sandbox; start brings it back.
    let (status, answer) = api.call("POST", &format!("/api/sandbox/{a}/archive"), None).await;
    assert_eq!((status, &answer["message"]), (400, &json!("Sandbox is not stopped")));
    api.ok("POST", &format!("/api/sandbox/{a}/stop?force=true"), None).await;
    let archived = api.ok("POST", &format!("/api/sandbox/{a}/archive"), None).await;
    assert_eq!(archived["state"], "archived");
    assert_eq!(running(&a), "false");
    assert_eq!(api.ok("POST", &format!("/api/sandbox/{a}/start"), None).await["state"], "started");
    assert_eq!(running(&a), "true");

    // Labels and intervals.
    let labels =
        api.ok("PUT", &format!("/api/sandbox/{b}/labels"), Some(json!({ "labels": { "team": "z" } }))).await;
    assert_eq!(labels, json!({ "labels": { "team": "z" } }));
    assert_eq!(api.get(&b).await["labels"], json!({ "team": "z" }));
    assert_eq!(api.ok("POST", &format!("/api/sandbox/{b}/autostop/45"), None).await["autoStopInterval"], 45);
    assert_eq!(
        api.ok("POST", &format!("/api/sandbox/{b}/autoarchive/0"), None).await["autoArchiveInterval"],
        43200
    );
    assert_eq!(
        api.ok("POST", &format!("/api/sandbox/{b}/autodelete/-1"), None).await["autoDeleteInterval"],
        -1
    );
    for (path, says) in [
        (format!("/api/sandbox/{b}/autostop/-1"), "Auto-stop interval must be non-negative"),
        (format!("/api/sandbox/{b}/autoarchive/-5"), "Auto-archive interval must be non-negative"),
        (format!("/api/sandbox/{b}/autodelete/soon"), "Validation failed (numeric string is expected)"),
    ] {
        let (status, answer) = api.call("POST", &path, None).await;
        assert_eq!((status, answer["message"].as_str()), (400, Some(says)), "{path}");
    }
    let (status, _) = api.call("POST", &format!("/api/sandbox/{b}/last-activity"), None).await;
    assert_eq!(status, 201);
    // Public: the previews' token check (read by the preview listener on each connection).
    assert_eq!(api.ok("POST", &format!("/api/sandbox/{b}/public/true"), None).await["public"], true);
    assert_eq!(api.get(&b).await["public"], true);
    assert_eq!(api.ok("POST", &format!("/api/sandbox/{b}/public/false"), None).await["public"], false);
    let (status, _) = api.call("POST", &format!("/api/sandbox/{b}/public/maybe"), None).await;
    assert_eq!(status, 400);

    // Lists: labels, states, snapshots, names, paging.
    let ids = |answer: &Value| -> Vec<String> {
        answer["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    api.ok("POST", &format!("/api/sandbox/{c}/stop"), None).await;
    let labels = urlencode(r#"{"team":"x"}"#);
    assert_eq!(ids(&api.ok("GET", &format!("/api/sandbox?labels={labels}"), None).await), [a.as_str()]);
    assert_eq!(ids(&api.ok("GET", "/api/sandbox?states=stopped", None).await), [c.as_str()]);
    let mut started_ones = ids(&api.ok("GET", "/api/sandbox?states=started&states=archived", None).await);
    started_ones.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(started_ones, expected);
    assert_eq!(ids(&api.ok("GET", "/api/sandbox?snapshots=life-v2", None).await), [c.as_str()]);
    assert_eq!(
        ids(&api.ok("GET", "/api/sandbox?name=BE", None).await),
        [b.as_str()],
        "a name prefix, any case"
    );
    let listed = api.ok("GET", "/api/sandbox?sort=name&order=asc", None).await;
    assert_eq!(ids(&listed), [a.clone(), b.clone(), c.clone()]);
    assert_eq!(listed["nextCursor"], Value::Null);
    assert!(listed["items"][0].get("env").is_none(), "list items carry no environment");
    // One page at a time, a sandbox deleted between pages moving nothing.
    let first = api.ok("GET", "/api/sandbox?sort=name&order=asc&limit=1", None).await;
    assert_eq!(ids(&first), [a.as_str()]);
    let cursor = first["nextCursor"].as_str().expect("a next page").to_owned();
    api.ok("DELETE", &format!("/api/sandbox/{a}"), None).await;
    let second =
        api.ok("GET", &format!("/api/sandbox?sort=name&order=asc&limit=1&cursor={cursor}"), None).await;
    assert_eq!(ids(&second), [b.as_str()]);
    let cursor = second["nextCursor"].as_str().expect("a next page").to_owned();
    let third =
        api.ok("GET", &format!("/api/sandbox?sort=name&order=asc&limit=1&cursor={cursor}"), None).await;
    assert_eq!((ids(&third), &third["nextCursor"]), (vec![c.clone()], &Value::Null));
    let old = api.ok("GET", "/api/sandbox/paginated?page=2&limit=1&sort=name&order=asc", None).await;
    assert_eq!(
        (ids(&old), &old["total"], &old["page"], &old["totalPages"]),
        (vec![c.clone()], &json!(2), &json!(2), &json!(2))
    );
    for bad in [
        "states=running",
        "limit=0",
        "limit=201",
        "labels=nope",
        "sort=size",
        "cursor=zz",
        "createdAtAfter=yesterday",
    ] {
        let (status, answer) = api.call("GET", &format!("/api/sandbox?{bad}"), None).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }

    // An unknown sandbox, for every operation.
    for (method, path) in [
        ("POST", "start"),
        ("POST", "stop"),
        ("POST", "archive"),
        ("POST", "autostop/5"),
        ("POST", "autoarchive/5"),
        ("POST", "autodelete/5"),
        ("POST", "last-activity"),
        ("POST", "public/true"),
        ("DELETE", ""),
    ] {
        let (status, answer) =
            api.call(method, format!("/api/sandbox/nosuch/{path}").trim_end_matches('/'), None).await;
        assert_eq!(
            (status, answer["message"].as_str()),
            (404, Some("Sandbox with ID or name nosuch not found")),
            "{path}"
        );
    }
    let (status, _) = api.call("PUT", "/api/sandbox/nosuch/labels", Some(json!({ "labels": {} }))).await;
    assert_eq!(status, 404);

    for id in [&b, &c] {
        api.ok("DELETE", &format!("/api/sandbox/{id}"), None).await;
    }
    server.shutdown().await;
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sandboxes_stop_archive_and_delete_on_a_short_minute() {
    docker_ready();
    let state = tempfile::tempdir().expect("a temp dir");
    // One "minute" lasts a second.
    let server = start_server(state.path(), Some(Duration::from_secs(1))).await;
    let api = Api::new(&server);
    let cleanup = Cleanup::default();
    snapshot(&server, "idle-v1", &["sleep", "infinity"]).await;

    // Busy, then idle: it stays started while the toolbox is used, stops once idle.
    let busy = api.create(json!({ "snapshot": "idle-v1", "autoStopInterval": 3 }), &cleanup).await;
    let busy = busy["id"].as_str().expect("an id").to_owned();
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        let (status, _) = api.execute(&busy, "true").await;
        assert_eq!(status, 200);
        assert_eq!(api.get(&busy).await["state"], "started", "a sandbox in use is not idle");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let stopped = api.wait(&busy, SETTLE, |s| s["state"] != "started" && s["state"] != "stopping").await;
    assert_eq!(stopped["state"], "stopped");
    assert_eq!(docker_ok(&["inspect", "--format", "{{.State.Running}}", &container(&busy)]), "false");

    // Stopped and idle past autoArchiveInterval: archived.
    api.ok("POST", &format!("/api/sandbox/{busy}/autoarchive/1"), None).await;
    api.wait(&busy, SETTLE, |s| s["state"] == "archived").await;

    // Ephemeral (autoDeleteInterval 0): deleted once it stops.
    let ephemeral = api
        .create(json!({ "snapshot": "idle-v1", "autoStopInterval": 1, "autoDeleteInterval": 0 }), &cleanup)
        .await;
    let ephemeral = ephemeral["id"].as_str().expect("an id").to_owned();
    let deadline = Instant::now() + SETTLE;
    loop {
        let (status, _) = api.call("GET", &format!("/api/sandbox/{ephemeral}"), None).await;
        if status == 404 {
            break;
        }
        assert!(Instant::now() < deadline, "the ephemeral sandbox was not deleted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!docker(&["inspect", &container(&ephemeral)]).status.success(), "its container is gone");

    // autoStopInterval 0: never stopped.
    let kept = api.create(json!({ "snapshot": "idle-v1", "autoStopInterval": 0 }), &cleanup).await;
    let kept = kept["id"].as_str().expect("an id").to_owned();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(api.get(&kept).await["state"], "started");

    for id in [&busy, &kept] {
        api.ok("DELETE", &format!("/api/sandbox/{id}"), None).await;
    }
    server.shutdown().await;
}
