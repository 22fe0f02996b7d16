//! The `daytona-local` binary: it prints its URL and API key, serves the API, and
//! without a Docker engine (here: no `docker` on its PATH) it says so in the build log
//! and in the snapshot's state instead of pretending it built.

use std::process::Stdio;
use std::time::{Duration, Instant};

use pj_daytona::{Client, CreateBuildInfo, CreateSnapshot, RetryPolicy, SnapshotState};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Starts the binary on `state` with no `docker` on its PATH; (child, URL, key).
async fn spawn(state: &std::path::Path, args: &[&str]) -> (tokio::process::Child, String, String) {
    spawn_limited(state, args, None).await
}

/// [`spawn`], with no file it writes larger than `file_limit_kib` KiB when given (bash's
/// `ulimit -f`, with SIGXFSZ ignored: a write past the limit fails with EFBIG, as one on
/// a full disk fails with ENOSPC).
async fn spawn_limited(
    state: &std::path::Path,
    args: &[&str],
    file_limit_kib: Option<u64>,
) -> (tokio::process::Child, String, String) {
    let binary = env!("CARGO_BIN_EXE_daytona-local");
    let mut command = match file_limit_kib {
        None => tokio::process::Command::new(binary),
        Some(kib) => {
            let mut bash = tokio::process::Command::new("/bin/bash");
            bash.arg("-c").arg(format!("trap '' XFSZ && ulimit -f {kib} && exec \"$0\" \"$@\"")).arg(binary);
            bash
        }
    };
    let empty_path = tempfile::tempdir().expect("a temp dir");
    let mut child = command
        .arg("--state-dir")
        .arg(state)
        .args(args)
        .env("PATH", empty_path.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut read = async || {
        tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("a line within 30 s")
            .expect("readable")
            .expect("a line")
    };
    let url_line = read().await;
    let key_line = read().await;
    let url = url_line.strip_prefix("export DAYTONA_API_URL=").expect("the URL line").to_owned();
    let key = key_line.strip_prefix("export DAYTONA_API_KEY=").expect("the key line").to_owned();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/api"), "{url}");
    assert!(key.starts_with("dtn_local_"), "{key}");
    (child, url, key)
}

async fn wait_terminal(client: &Client, id: &str) -> pj_daytona::Snapshot {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let snapshot = client.snapshots().get(id).await.expect("get");
        if snapshot.state.is_terminal() {
            return snapshot;
        }
        assert!(Instant::now() < deadline, "still {}", snapshot.state);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates the snapshot `name` (`FROM busybox:1.36`, an image this machine does not
/// have), waits until its build ends, and returns it with its build log.
async fn build_busybox(client: &Client, name: &str) -> (pj_daytona::Snapshot, String) {
    let request =
        CreateSnapshot::build(name, CreateBuildInfo::new("FROM busybox:1.36\n", Vec::<String>::new()));
    let created = client.snapshots().create(&request).await.expect("created");
    let snapshot = wait_terminal(client, &created.id).await;
    let logs = client
        .snapshots()
        .build_logs(&created.id, false)
        .await
        .expect("logs")
        .collect(5)
        .await
        .expect("text");
    (snapshot, logs)
}

/// A client for the spawned server that reports every failure at once (no retries).
fn client(url: &str, key: &str) -> Client {
    Client::builder().api_key(key).api_url(url).retry(RetryPolicy::none()).build().expect("client")
}

#[tokio::test]
async fn without_docker_builds_fail_and_say_why() {
    let state = tempfile::tempdir().expect("a temp dir");
    let (mut child, url, key) = spawn(state.path(), &["--local-build", "docker"]).await;
    let client = client(&url, &key);
    let (snapshot, logs) = build_busybox(&client, "nodocker-v1").await;
    assert_eq!(snapshot.state, SnapshotState::BuildFailed);
    let reason = snapshot.error_reason.unwrap_or_default();
    assert!(
        reason.starts_with(
            "No Docker engine is reachable from the local Daytona server, so the image cannot be built: \
             could not run the docker CLI"
        ),
        "{reason}"
    );
    assert!(logs.contains(&format!("ERROR: {reason}")), "{logs}");
    child.kill().await.expect("the server stops");
}

/// The default build mode is `auto`: without an engine the build is checked, not built,
/// and says so everywhere (log, DTO); a sandbox is refused at once with a 400 that
/// says how to get a real build. A second server on the same state directory is
/// refused, naming the first.
#[tokio::test]
async fn auto_without_docker_checks_says_so_and_refuses_sandboxes() {
    let state = tempfile::tempdir().expect("a temp dir");
    let (mut child, url, key) = spawn(state.path(), &[]).await;
    let client = client(&url, &key);
    let (snapshot, logs) = build_busybox(&client, "checked-v1").await;
    assert_eq!(snapshot.state, SnapshotState::Active);
    let reason = snapshot.checked_only.expect("checked only");
    assert!(reason.starts_with("no Docker engine is reachable"), "{reason}");
    assert!(logs.contains("checked, not built"), "{logs}");

    let error = client
        .sandboxes()
        .create(&pj_daytona::CreateSandbox::from_snapshot("checked-v1"))
        .await
        .expect_err("refused");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error}");
    let text = error.to_string();
    assert!(text.contains("Snapshot checked-v1 was only checked, not built"), "{text}");
    assert!(text.contains("then run `cargo xtask snapshot --local` again"), "{text}");

    let second = tokio::process::Command::new(env!("CARGO_BIN_EXE_daytona-local"))
        .arg("--state-dir")
        .arg(state.path())
        .stdin(Stdio::null())
        .output();
    let second = tokio::time::timeout(Duration::from_secs(30), second).await.expect("ends").expect("runs");
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("another local Daytona server is using the state directory"), "{stderr}");
    assert!(stderr.contains(&format!("at {url}")), "{stderr}");
    child.kill().await.expect("the server stops");
}

/// `--help` names every flag, with its default where it has one; bad values are usage
/// errors (exit 2) that name the flag.
#[tokio::test]
async fn help_lists_every_flag_with_its_default() {
    let run = |args: &'static [&'static str]| async move {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_daytona-local"))
            .args(args)
            .stdin(Stdio::null())
            .output();
        tokio::time::timeout(Duration::from_secs(30), output).await.expect("ends").expect("runs")
    };
    let help = run(&["--help"]).await;
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8(help.stdout).expect("UTF-8");
    let flags = [
        ("--state-dir <DIR>", Some(".daytona-local")),
        ("--port <N>", Some("0")),
        ("--s3-port <N>", Some("0")),
        ("--api-key <KEY>", Some("the saved one, or a new random key")),
        ("--local-build <MODE>", Some("auto")),
        ("--check-only", None),
        ("--min-build-time <S>", Some("0")),
        ("--quota <NAME=N>", None),
        ("-h, --help", None),
    ];
    for (flag, default) in flags {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("{flag}: {text}"));
        if let Some(default) = default {
            assert!(line.ends_with(&format!("[default: {default}]")), "{line}");
        }
    }
    assert!(text.contains("snapshots (100), cpu-per-sandbox (4)"), "{text}");
    assert!(text.contains("export DAYTONA_API_URL=..."), "{text}");

    for (args, says) in [
        (&["--bogus"][..], "--bogus"),
        (&["--quota", "gpus=1"][..], "unknown quota \"gpus\""),
        (&["--local-build", "fast"][..], "use auto, docker or check"),
        (&["--port", "70000"][..], "--port"),
        (&["--check-only", "--local-build", "docker"][..], "cannot be used with"),
    ] {
        let refused = run(args).await;
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// A fresh state directory gets its own key: `dtn_local_` and 40 characters of a-z0-9
/// from the OS's CSPRNG, saved readable by its owner only, the same after a restart.
#[tokio::test]
async fn each_state_dir_gets_its_own_random_key() {
    let (one, two) = (tempfile::tempdir().expect("a temp dir"), tempfile::tempdir().expect("a temp dir"));
    let (mut first, _, key_one) = spawn(one.path(), &["--local-build", "check"]).await;
    let (mut second, _, key_two) = spawn(two.path(), &["--local-build", "check"]).await;
    assert_ne!(key_one, key_two);
    for key in [&key_one, &key_two] {
        let random = key.strip_prefix("dtn_local_").expect("the prefix");
        assert_eq!(random.len(), 40, "{key}");
        assert!(random.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{key}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(one.path().join("identity.json")).expect("saved").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    first.kill().await.expect("stops");
    second.kill().await.expect("stops");
    let (mut again, _, key_again) = spawn(one.path(), &["--local-build", "check"]).await;
    assert_eq!(key_again, key_one);
    again.kill().await.expect("stops");
}

/// With no room to write (a 1 MiB limit on the size of every file it writes, which the
/// database's log reaches), creates fail with a 500 that says the state could not be
/// saved, never a 200 for something that is not kept. Killed then (a crash) and
/// restarted without the limit, the server has exactly the snapshots it acknowledged.
#[tokio::test]
async fn a_full_disk_is_an_error_and_a_crash_loses_nothing_acknowledged() {
    const LIMIT_KIB: u64 = 1024;
    let state = tempfile::tempdir().expect("a temp dir");
    let args = ["--local-build", "check", "--quota", "snapshots=100000"];
    let (mut child, url, key) = spawn_limited(state.path(), &args, Some(LIMIT_KIB)).await;
    let client = client(&url, &key);
    let mut acknowledged = Vec::new();
    let failure = loop {
        assert!(acknowledged.len() < 2000, "no write failed under a {LIMIT_KIB} KiB limit");
        let name = format!("fill-{:04}", acknowledged.len());
        match client.snapshots().create(&CreateSnapshot::image(name.as_str(), "alpine:3.20")).await {
            Ok(created) => {
                assert_eq!(created.name, name);
                acknowledged.push(name);
            }
            Err(e) => break e,
        }
    };
    assert!(!acknowledged.is_empty(), "the first create failed already: {failure}");
    assert_eq!(failure.status().map(|s| s.as_u16()), Some(500), "{failure}");
    let text = failure.to_string();
    assert!(text.contains("could not save its state") && text.contains("nothing was changed"), "{text}");
    eprintln!("{} creates acknowledged, then: {text}", acknowledged.len());
    // Still serving, and what it serves is what it acknowledged.
    assert_eq!(names(&client).await, acknowledged);
    child.kill().await.expect("killed");

    let (mut child, url, key_again) = spawn(state.path(), &["--local-build", "check"]).await;
    assert_eq!(key_again, key);
    let restarted = self::client(&url, &key);
    assert_eq!(names(&restarted).await, acknowledged);
    child.kill().await.expect("stops");
}

/// Every snapshot's name, sorted.
async fn names(client: &Client) -> Vec<String> {
    use futures_util::TryStreamExt;
    let all: Vec<pj_daytona::Snapshot> =
        client.snapshots().list_all(None, 200).try_collect().await.expect("listed");
    let mut names: Vec<String> = all.into_iter().map(|s| s.name).collect();
    names.sort();
    names
}
