//! pj-daytona's sandbox file system (`Sandbox::fs`) against the local server, on a real
//! container of the reference image (Debian 12, work dir `/app`, user root).
//!
//! Every method, with its errors: a missing file (not found, its path in the message), a
//! directory deleted without `recursive`, a stopped sandbox (the server's message), a
//! deleted one. What the client reports is checked against the container itself
//! (`docker exec` of `cat`, `stat`, `sha256sum`), and a transfer of 128 MiB generated on
//! the fly is checked by the sha256 the container computes. The official Python SDK
//! (`tests/conformance/sdk_fs_cross.py`) then reads the same sandbox: it downloads what
//! Rust uploaded, lists and infos the same paths, and uploads a file Rust reads back.

mod support;

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::StreamExt;
use pj_daytona::{
    Client, CreateSandbox, Error, Fetched, FileDownload, FileUpload, Permissions, RetryPolicy, Sandbox,
    Timeouts,
};
use pj_daytona_local::{BuildMode, LocalDaytona, Route};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{reference, sdk};
use tokio::io::{AsyncRead, ReadBuf};

/// The size of the big transfer.
const BIG: u64 = 128 << 20;

/// A deterministic stream of `left` bytes (xorshift64), never held whole.
struct Pattern {
    state: u64,
    left: u64,
}

impl Pattern {
    fn new(seed: u64, len: u64) -> Self {
        Pattern { state: seed | 1, left: len }
    }
}

impl AsyncRead for Pattern {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = usize::try_from(self.left).unwrap_or(usize::MAX).min(buf.remaining()) / 8 * 8;
        let n = if n == 0 { usize::try_from(self.left).unwrap_or(0).min(buf.remaining()) } else { n };
        let mut out = vec![0u8; n];
        for chunk in out.chunks_mut(8) {
            let mut x = self.state;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.state = x;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        self.left -= n as u64;
        buf.put_slice(&out);
        Poll::Ready(Ok(()))
    }
}

/// The sha256 (hex) of the pattern, computed here, independently of the client.
async fn pattern_sha(seed: u64, len: u64) -> String {
    use tokio::io::AsyncReadExt;
    let mut reader = Pattern::new(seed, len);
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).await.expect("the pattern reads");
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
    }
    hex(&sha.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn file_sha(path: &Path) -> (String, u64) {
    use std::io::Read;
    let mut file = std::fs::File::open(path).expect("the downloaded file");
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).expect("reads");
        if n == 0 {
            break;
        }
        size += n as u64;
        sha.update(&buf[..n]);
    }
    (hex(&sha.finalize()), size)
}

/// `docker exec` in the sandbox's container: stdout, or the test fails with stderr.
fn exec(container: &str, script: &str) -> String {
    let out = std::process::Command::new("docker")
        .args(["exec", "--user", "0", container, "sh", "-c", script])
        .stdin(Stdio::null())
        .output()
        .expect("docker runs");
    assert!(out.status.success(), "docker exec {script:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn container_of(sandbox: &Sandbox) -> String {
    let id = support::sandbox_containers(sandbox.id());
    let id = id.lines().next().unwrap_or_default().trim().to_owned();
    assert!(!id.is_empty(), "sandbox {} has a container", sandbox.id());
    id
}

async fn sandbox(client: &Client, snapshot: &str) -> Sandbox {
    client
        .sandboxes()
        .create_with_timeout(&CreateSandbox::from_snapshot(snapshot), Duration::from_secs(180))
        .await
        .expect("a sandbox of the reference snapshot")
}

/// An error that says not found and names `path`.
fn assert_not_found(error: &Error, path: &str) {
    assert!(error.is_not_found(), "not found expected: {error:?}");
    assert!(error.to_string().contains(path), "the message names {path}: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_file_system_against_the_container_and_the_sdk() {
    let (server, _state) = support::server(BuildMode::Docker).await;
    let snapshot = reference::snapshot(&server).await;
    let containers = support::SandboxContainers(&server);
    let client = server.client_builder().build().expect("a client of the local server");
    let sandbox = sandbox(&client, &snapshot).await;
    let container = container_of(&sandbox);
    let fs = sandbox.fs();
    let local = tempfile::tempdir().expect("a temp dir");

    // ---- uploads, each checked in the container ----
    fs.upload_bytes("hello", "/app/fs/hello.txt").await.expect("upload bytes");
    assert_eq!(exec(&container, "cat /app/fs/hello.txt"), "hello");
    let source = local.path().join("source.txt");
    std::fs::write(&source, "from a local file\n").expect("a local file");
    fs.upload_file(&source, "fs/relative.txt").await.expect("upload a file to a relative path");
    assert_eq!(exec(&container, "cat /app/fs/relative.txt"), "from a local file\n", "relative to /app");
    fs.upload_reader(&b"replaced"[..], "/app/fs/hello.txt").await.expect("upload from a reader");
    assert_eq!(exec(&container, "cat /app/fs/hello.txt"), "replaced", "an upload replaces the file");
    fs.upload_many([
        FileUpload::bytes("one", "/app/fs/many/one.txt"),
        FileUpload::file(&source, "/app/fs/many/deep/two.txt"),
        FileUpload::reader(Pattern::new(7, 100_000), "/app/fs/many/three.bin"),
        FileUpload::bytes(Vec::new(), "/app/fs/many/empty"),
    ])
    .await
    .expect("a bulk upload");
    assert_eq!(
        exec(&container, "cat /app/fs/many/one.txt /app/fs/many/deep/two.txt"),
        "onefrom a local file\n"
    );
    assert_eq!(
        exec(&container, "sha256sum < /app/fs/many/three.bin | cut -d' ' -f1").trim(),
        pattern_sha(7, 100_000).await
    );
    assert_eq!(exec(&container, "stat -c %s /app/fs/many/empty").trim(), "0");

    // A missing local file is said before anything is sent, with its path.
    let missing_local = local.path().join("nope.bin");
    let error = fs.upload_file(&missing_local, "/app/fs/nope.bin").await.expect_err("no local file");
    assert!(matches!(error, Error::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("nope.bin"), "{error}");
    // A destination the toolbox cannot write: its words, sent once.
    let error =
        fs.upload_bytes("x", "/app/fs/hello.txt/under-a-file").await.expect_err("a file as a directory");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");
    assert!(error.to_string().contains("/app/fs/hello.txt/under-a-file"), "{error}");
    let error = fs.upload_bytes("x", "").await.expect_err("an empty path");
    assert!(matches!(error, Error::Config(_)), "{error:?}");

    // ---- the big transfer: generated on the fly, checked by the container's sha256 ----
    let big_sha = pattern_sha(42, BIG).await;
    fs.upload_reader(Pattern::new(42, BIG), "/app/fs/big.bin").await.expect("a 128 MiB upload");
    let in_container =
        exec(&container, "sha256sum /app/fs/big.bin | cut -d' ' -f1; stat -c %s /app/fs/big.bin");
    assert_eq!(in_container, format!("{big_sha}\n{BIG}\n"), "the container holds the generated bytes");
    let big_local = local.path().join("down/big.bin");
    let written = fs.download_file("/app/fs/big.bin", &big_local).await.expect("a 128 MiB download");
    assert_eq!((written, file_sha(&big_local)), (BIG, (big_sha.clone(), BIG)));
    let leftovers: Vec<_> = std::fs::read_dir(big_local.parent().expect("a parent"))
        .expect("the download dir")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("big.bin")], "no temp file left beside it");
    let mut stream = std::pin::pin!(fs.download_stream("/app/fs/big.bin").await.expect("a stream"));
    let (mut sha, mut size) = (Sha256::new(), 0u64);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("a chunk");
        size += chunk.len() as u64;
        sha.update(&chunk);
    }
    assert_eq!((hex(&sha.finalize()), size), (big_sha.clone(), BIG), "the stream is the file");

    // ---- downloads ----
    assert_eq!(&fs.download_bytes("/app/fs/hello.txt").await.expect("download bytes")[..], b"replaced");
    assert_eq!(
        &fs.download_bytes("fs/relative.txt").await.expect("a relative path")[..],
        b"from a local file\n"
    );
    let mut sink = Vec::new();
    assert_eq!(fs.download_to("/app/fs/many/one.txt", &mut sink).await.expect("download to a writer"), 3);
    assert_eq!(sink, b"one");
    let many_local = local.path().join("many/two.txt");
    let done = fs
        .download_many([
            FileDownload::bytes("/app/fs/many/one.txt"),
            FileDownload::file("/app/fs/many/deep/two.txt", &many_local),
            FileDownload::bytes("/app/fs/missing.txt"),
            FileDownload::bytes("/app/fs/many"),
            FileDownload::bytes("/app/fs/many/empty"),
        ])
        .await
        .expect("a bulk download");
    let remotes: Vec<&str> = done.iter().map(|d| d.remote.as_str()).collect();
    assert_eq!(
        remotes,
        [
            "/app/fs/many/one.txt",
            "/app/fs/many/deep/two.txt",
            "/app/fs/missing.txt",
            "/app/fs/many",
            "/app/fs/many/empty"
        ]
    );
    assert_eq!(done[0].result.as_ref().expect("one.txt"), &Fetched::Bytes("one".into()));
    assert_eq!(done[1].result.as_ref().expect("two.txt"), &Fetched::File(many_local.clone()));
    assert_eq!(std::fs::read_to_string(&many_local).expect("written"), "from a local file\n");
    assert_not_found(done[2].result.as_ref().expect_err("missing"), "/app/fs/missing.txt");
    let error = done[3].result.as_ref().expect_err("a directory");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");
    assert_eq!(done[4].result.as_ref().expect("empty"), &Fetched::Bytes(Default::default()));

    // A missing file: not found with its path, and no local file made.
    assert_not_found(
        &fs.download_bytes("/app/fs/missing.txt").await.expect_err("missing"),
        "/app/fs/missing.txt",
    );
    let not_made = local.path().join("not-made.txt");
    let error = fs.download_file("/app/fs/missing.txt", &not_made).await.expect_err("missing");
    assert_not_found(&error, "/app/fs/missing.txt");
    assert!(!not_made.exists(), "a failed download leaves nothing");
    match fs.download_stream("/app/fs/missing.txt").await {
        Err(error) => assert_not_found(&error, "/app/fs/missing.txt"),
        Ok(_) => panic!("a stream of a missing file"),
    }
    let error = fs.download_bytes("/app/fs").await.expect_err("a directory");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");

    // ---- operations, each checked in the container ----
    fs.create_folder("/app/fs/dir/sub", 0o750).await.expect("create a folder");
    assert_eq!(exec(&container, "stat -c %a /app/fs/dir/sub").trim(), "750");
    fs.upload_bytes("alpha\nTODO: beta\ngamma\n", "/app/fs/dir/notes.txt").await.expect("upload notes");
    fs.upload_bytes("TODO: delta\n", "/app/fs/dir/sub/more.md").await.expect("upload more");

    let listing = fs.list("/app/fs/dir").await.expect("list");
    let mut names: Vec<(&str, bool)> = listing.iter().map(|e| (e.name.as_str(), e.is_dir)).collect();
    names.sort();
    assert_eq!(names, [("notes.txt", false), ("sub", true)]);
    let deep = fs.list_depth("/app/fs/dir", 2).await.expect("list two levels");
    let mut paths: Vec<&str> = deep.iter().filter_map(|e| e.path.as_deref()).collect();
    paths.sort();
    assert_eq!(paths, ["/app/fs/dir/notes.txt", "/app/fs/dir/sub", "/app/fs/dir/sub/more.md"]);
    assert!(matches!(fs.list_depth("/app/fs", 0).await, Err(Error::Config(_))), "depth 0 is refused");

    let info = fs.info("/app/fs/dir/notes.txt").await.expect("info");
    let stat = exec(&container, "stat -c '%s %a %u %g' /app/fs/dir/notes.txt");
    assert_eq!(
        format!("{} {} {} {}\n", info.size, info.permissions.trim_start_matches('0'), info.owner, info.group),
        stat
    );
    assert!(!info.is_dir && info.mode.starts_with('-'), "{info:?}");
    assert!(fs.info("/app/fs/dir").await.expect("info of a dir").is_dir);

    let found = fs.find("/app/fs/dir", "TODO").await.expect("find");
    let mut lines: Vec<(&str, u64, &str)> =
        found.iter().map(|m| (m.file.as_str(), m.line, m.content.as_str())).collect();
    lines.sort();
    assert_eq!(
        lines,
        [("/app/fs/dir/notes.txt", 2, "TODO: beta"), ("/app/fs/dir/sub/more.md", 1, "TODO: delta")]
    );
    let mut searched = fs.search("/app/fs", "*.md").await.expect("search");
    searched.sort();
    assert_eq!(searched, ["/app/fs/dir/sub/more.md"]);

    let replaced = fs
        .replace(&["/app/fs/dir/notes.txt", "/app/fs/dir/missing.txt"], "TODO", "DONE")
        .await
        .expect("replace");
    assert_eq!(replaced.len(), 2, "{replaced:?}");
    let ok = replaced.iter().find(|r| r.file.ends_with("notes.txt")).expect("notes.txt's result");
    assert!(ok.success, "{ok:?}");
    let failed = replaced.iter().find(|r| r.file.ends_with("missing.txt")).expect("missing.txt's result");
    assert!(!failed.success && failed.error.is_some(), "{failed:?}");
    assert_eq!(exec(&container, "cat /app/fs/dir/notes.txt"), "alpha\nDONE: beta\ngamma\n");

    fs.set_permissions(
        "/app/fs/dir/notes.txt",
        &Permissions::new().mode(0o600).owner("nobody").group("nogroup"),
    )
    .await
    .expect("set permissions");
    assert_eq!(exec(&container, "stat -c '%a %U %G' /app/fs/dir/notes.txt"), "600 nobody nogroup\n");
    let error = fs
        .set_permissions("/app/fs/dir/notes.txt", &Permissions::new().owner("no-such-user"))
        .await
        .expect_err("an unknown user");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");

    fs.rename("/app/fs/dir/notes.txt", "/app/fs/dir/renamed.txt").await.expect("rename");
    assert_eq!(exec(&container, "ls /app/fs/dir"), "renamed.txt\nsub\n");
    let error =
        fs.rename("/app/fs/dir/renamed.txt", "/app/fs/dir/sub").await.expect_err("onto an existing path");
    assert!(error.is_conflict(), "{error:?}");

    let error = fs.delete("/app/fs/dir", false).await.expect_err("a directory without recursive");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");
    assert!(error.to_string().contains("recursive"), "{error}");
    fs.delete("/app/fs/dir/renamed.txt", false).await.expect("delete a file");
    fs.delete("/app/fs/dir", true).await.expect("delete a tree");
    assert_eq!(exec(&container, "test -e /app/fs/dir && echo there || echo gone"), "gone\n");

    // Missing paths: not found, the path in the message.
    assert_not_found(&fs.info("/app/fs/ghost").await.expect_err("info"), "/app/fs/ghost");
    assert_not_found(&fs.list("/app/fs/ghost").await.expect_err("list"), "/app/fs/ghost");
    assert_not_found(&fs.delete("/app/fs/ghost", true).await.expect_err("delete"), "/app/fs/ghost");
    assert_not_found(&fs.rename("/app/fs/ghost", "/app/fs/ghost2").await.expect_err("move"), "/app/fs/ghost");
    assert_not_found(
        &fs.set_permissions("/app/fs/ghost", &Permissions::new().mode(0o644)).await.expect_err("chmod"),
        "/app/fs/ghost",
    );

    retries_timeouts_and_cut_transfers(&server, &sandbox, local.path()).await;

    // ---- the official Python SDK reads the same sandbox ----
    let request = json!({
        "download": ["/app/fs/hello.txt", "/app/fs/many/three.bin"],
        "download_to_file": ["/app/fs/big.bin"],
        "info": ["/app/fs/hello.txt", "/app/fs/many"],
        "list": ["/app/fs/many"],
        "search": [["/app/fs/many", "*.txt"]],
        "find": [["/app/fs/many", "from a local"]],
        "upload": {"/app/fs/from-sdk.txt": "written by the Python SDK"},
    });
    let sdk_dir = tempfile::tempdir().expect("a temp dir for the SDK");
    let run = sdk::Script::new("sdk_fs_cross.py")
        .arg(sandbox.id())
        .arg(request.to_string())
        .arg(sdk_dir.path().to_str().expect("a UTF-8 temp dir"))
        .timeout(Duration::from_secs(300))
        .run(&server)
        .await;
    let out = &run.json;
    assert_eq!(out["sdk"], "0.226.1");
    assert_eq!(
        out["download"]["/app/fs/hello.txt"],
        json!({"sha256": hex(&Sha256::digest(b"replaced")), "size": 8})
    );
    assert_eq!(
        out["download"]["/app/fs/many/three.bin"],
        json!({"sha256": pattern_sha(7, 100_000).await, "size": 100_000})
    );
    assert_eq!(out["download"]["/app/fs/big.bin"], json!({"sha256": big_sha, "size": BIG}));
    for path in ["/app/fs/hello.txt", "/app/fs/many"] {
        let ours = fs.info(path).await.expect("info");
        assert_eq!(out["info"][path], info_json(&ours), "{path}: the SDK and pithy agree");
    }
    let mut ours: Vec<Value> = fs.list("/app/fs/many").await.expect("list").iter().map(info_json).collect();
    ours.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    assert_eq!(out["list"]["/app/fs/many"], Value::Array(ours));
    let mut ours = fs.search("/app/fs/many", "*.txt").await.expect("search");
    ours.sort();
    let mut theirs: Vec<String> = serde_json::from_value(out["search"][0].clone()).expect("search results");
    theirs.sort();
    assert_eq!(theirs, ours);
    let ours: Vec<Value> = fs
        .find("/app/fs/many", "from a local")
        .await
        .expect("find")
        .iter()
        .map(|m| json!({"file": m.file, "line": m.line, "content": m.content}))
        .collect();
    assert_eq!(out["find"][0], Value::Array(ours));
    assert_eq!(
        &fs.download_bytes("/app/fs/from-sdk.txt").await.expect("the SDK's upload")[..],
        b"written by the Python SDK"
    );

    // ---- a stopped sandbox, then a deleted one ----
    let mut stopping = sandbox.clone();
    stopping.stop().await.expect("the sandbox stops");
    assert_eq!(stopping.info().state, Some(pj_daytona::SandboxState::Stopped));
    let error = fs.download_bytes("/app/fs/hello.txt").await.expect_err("a stopped sandbox");
    assert_stopped(&error, sandbox.id());
    assert_stopped(&fs.upload_bytes("x", "/app/fs/x").await.expect_err("a stopped sandbox"), sandbox.id());
    assert_stopped(&fs.list("/app").await.expect_err("a stopped sandbox"), sandbox.id());
    assert_stopped(
        &fs.download_many([FileDownload::bytes("/app/fs/hello.txt")]).await.expect_err("a stopped sandbox"),
        sandbox.id(),
    );
    client.sandboxes().delete(sandbox.id()).await.expect("delete the sandbox");
    let error = fs.info("/app").await.expect_err("a deleted sandbox");
    assert!(error.is_not_found(), "{error:?}");
    assert!(fs.download_bytes("/app/fs/hello.txt").await.expect_err("a deleted sandbox").is_not_found());
    assert!(fs.upload_bytes("x", "/app/x").await.expect_err("a deleted sandbox").is_not_found());

    drop(containers);
    server.shutdown().await;
}

/// Reads are retried, writes sent once; a stalled transfer times out after
/// `Timeouts::transfer_idle`; a body cut short is an error that leaves no local file.
/// (Faults on `Route::Other`: the toolbox's file routes, the next request of which is the
/// one under test.)
async fn retries_timeouts_and_cut_transfers(server: &LocalDaytona, sandbox: &Sandbox, local: &Path) {
    let fs = sandbox.fs();
    let sent = |end: &str| server.requests().iter().filter(|r| r.path.ends_with(end)).count();

    server.clear_requests();
    server.faults().fail_next(Route::Other, 1, 503);
    assert_eq!(&fs.download_bytes("/app/fs/hello.txt").await.expect("retried after a 503")[..], b"replaced");
    assert_eq!(sent("/files/download"), 2, "a download (GET) is retried");
    server.clear_requests();
    server.faults().fail_next(Route::Other, 1, 503);
    let error = fs.upload_bytes("once", "/app/fs/once.txt").await.expect_err("a 503");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{error:?}");
    assert_eq!(sent("/files/bulk-upload"), 1, "an upload is sent once");
    server.clear_requests();
    server.faults().fail_next(Route::Other, 1, 503);
    fs.create_folder("/app/fs/once", 0o755).await.expect_err("a 503");
    assert_eq!(sent("/files/folder"), 1, "a change is sent once");

    server.faults().drop_next(Route::Other, 1);
    let cut = local.join("cut.bin");
    let error = fs.download_file("/app/fs/many/three.bin", &cut).await.expect_err("a body cut short");
    assert!(!matches!(error, Error::Api { .. }), "{error:?}");
    assert!(!cut.exists(), "a cut download leaves nothing");

    let idle = Duration::from_millis(300);
    let impatient = server
        .client_builder()
        .retry(RetryPolicy::none())
        .timeouts(Timeouts { transfer_idle: idle, ..Default::default() })
        .build()
        .expect("a client");
    let same = impatient.sandboxes().get(sandbox.id()).await.expect("the same sandbox");
    server.faults().delay_next(Route::Other, 1, Duration::from_secs(2));
    let error = same.fs().download_bytes("/app/fs/hello.txt").await.expect_err("a stalled download");
    assert!(matches!(error, Error::Timeout { after, .. } if after == idle), "{error:?}");
    server.faults().delay_next(Route::Other, 1, Duration::from_secs(2));
    let error = same.fs().upload_bytes("slow", "/app/fs/slow.txt").await.expect_err("a stalled upload");
    assert!(matches!(error, Error::Timeout { after, .. } if after == idle), "{error:?}");
    // What is not stalled still goes through that client.
    same.fs().upload_reader(Pattern::new(3, 8 << 20), "/app/fs/steady.bin").await.expect("a steady upload");
    assert_eq!(
        same.fs().download_bytes("/app/fs/steady.bin").await.expect("a steady download").len(),
        8 << 20
    );
}

fn info_json(info: &pj_daytona::FileInfo) -> Value {
    json!({
        "name": info.name,
        "path": info.path,
        "size": info.size,
        "mode": info.mode,
        "permissions": info.permissions,
        "is_dir": info.is_dir,
        "mod_time": info.mod_time,
        "owner": info.owner,
        "group": info.group,
    })
}

/// The server's message for a sandbox that is not started.
fn assert_stopped(error: &Error, id: &str) {
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");
    assert!(error.to_string().contains(&format!("Sandbox {id} is not started")), "{error}");
}
