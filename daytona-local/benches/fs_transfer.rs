//! Toolbox file transfer: 1 GiB uploaded to a sandbox and downloaded from it through the
//! local server, with the throughput of each route and the *server's* peak memory. The
//! claim under test: uploads and downloads stream (request body → `docker exec -i` stdin of
//! `cat > FILE`; `cat` → response body), so the server's RSS stays under 64 MiB whatever
//! the file's size. The bench fails when it does not.
//!
//! `cargo bench -p pj-daytona-local --bench fs_transfer` (size in MiB: `PJ_BENCH_MB=256`).
//! The server is the `daytona-local` binary in a child process (release build), whose
//! `VmHWM` (`/proc/<pid>/status`, Linux) is its peak resident memory. The bytes are made as
//! they are sent and uploads go to `/dev/null` in the sandbox (`PJ_BENCH_DEST` names a real
//! file instead), downloads read a sparse file: the bench needs no disk, which the machines
//! it runs on share. Side by side: the Docker engine's own `docker exec -i` / `docker exec
//! cat` (the floor every route stands on, no server), and the official Python SDK's
//! streaming `upload_file_stream`/`download_file_stream` of the same size on the same
//! server (`tests/conformance/.venv`, when present).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use pj_daytona::{CreateSandbox, CreateSnapshot, SnapshotState};

type Error = Box<dyn std::error::Error>;

/// What downloads read: a sparse file of the run's size (made with `truncate`).
const SOURCE: &str = "/tmp/bench-source.bin";

/// The server's peak RSS limit the claim names.
const LIMIT_KIB: u64 = 64 * 1024;

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The server in a child process, and what it printed.
struct Server {
    child: Child,
    url: String,
    key: String,
    _state: tempfile::TempDir,
}

impl Server {
    fn start() -> Result<Server, Error> {
        let state = tempfile::tempdir()?;
        let mut child = Command::new(env!("CARGO_BIN_EXE_daytona-local"))
            .args(["--local-build", "docker", "--state-dir"])
            .arg(state.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (mut url, mut key) = (String::new(), String::new());
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            if let Some(value) = line.strip_prefix("export DAYTONA_API_URL=") {
                url = value.to_owned();
            } else if let Some(value) = line.strip_prefix("export DAYTONA_API_KEY=") {
                key = value.to_owned();
            }
            if !url.is_empty() && !key.is_empty() {
                break;
            }
        }
        if url.is_empty() || key.is_empty() {
            return Err("daytona-local did not print its URL and key".into());
        }
        Ok(Server { child, url, key, _state: state })
    }

    fn peak_kib(&self) -> u64 {
        status_kib(self.child.id(), "VmHWM:")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn docker(args: &[&str]) -> Result<String, Error> {
    let out = Command::new("docker").args(args).stdin(Stdio::null()).output()?;
    if !out.status.success() {
        return Err(format!("docker {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn mib_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / (1 << 20) as f64 / elapsed.as_secs_f64()
}

/// One line of the report.
fn report(what: &str, bytes: u64, elapsed: Duration, peak_kib: Option<u64>) {
    let peak =
        peak_kib.map_or_else(String::new, |k| format!("  server peak RSS {:>6.1} MiB", k as f64 / 1024.0));
    println!("  {what:<44} {:>7.1} s  {:>7.1} MiB/s{peak}", elapsed.as_secs_f64(), mib_per_s(bytes, elapsed));
}

/// `size` bytes of a fixed pattern, in 256 KiB chunks, made as they are sent (no file:
/// the bench needs no disk on the host).
fn pattern_stream(size: u64) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> {
    let chunk = bytes::Bytes::from(
        (0..256u32 * 1024).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect::<Vec<u8>>(),
    );
    futures_util::stream::unfold(size, move |left| {
        let chunk = chunk.clone();
        async move {
            (left > 0).then(|| {
                let n = left.min(chunk.len() as u64);
                (Ok(chunk.slice(..n as usize)), left - n)
            })
        }
    })
}

/// A multipart body as the SDK's `upload_file` sends it (`files[0].path`, `files[0].file`).
fn multipart_body(size: u64, dest: &str) -> (String, reqwest::Body) {
    let boundary = "pj-bench-boundary-5b1e";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files[0].path\"\r\n\r\n{dest}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"files[0].file\"; filename=\"{dest}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes::Bytes::from(head)) })
        .chain(pattern_stream(size))
        .chain(futures_util::stream::once(async move { Ok(bytes::Bytes::from(tail)) }));
    (format!("multipart/form-data; boundary={boundary}"), reqwest::Body::wrap_stream(body))
}

/// Reads a response body to its end; its length.
async fn drain(response: reqwest::Response) -> Result<u64, Error> {
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{status}: {}", response.text().await.unwrap_or_default()).into());
    }
    let mut stream = response.bytes_stream();
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        total += chunk?.len() as u64;
    }
    Ok(total)
}

/// The official SDK's streaming `upload_file_stream`/`download_file_stream` of `size`
/// bytes (made as they are read; the downloaded bytes counted and dropped): their times,
/// from the script's output.
fn sdk_run(
    server: &Server,
    sandbox: &str,
    size: u64,
    dest: &str,
    source: &str,
) -> Result<Option<(f64, f64)>, Error> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let python = root.join(".venv/bin/python");
    if !python.is_file() {
        println!(
            "  (the official SDK: no venv at {}; tests/conformance/setup.sh makes it)",
            python.display()
        );
        return Ok(None);
    }
    let script = r#"
import io, sys, time
sys.path.insert(0, sys.argv[1])
import sdk_http
sdk_http.allow_http()
from daytona import Daytona

class Pattern(io.RawIOBase):
    def __init__(self, size):
        self.left = size
        self.chunk = bytes((i * 2654435761 >> 11) & 255 for i in range(65536))
    def readable(self):
        return True
    def readinto(self, buf):
        n = min(len(buf), self.left, len(self.chunk))
        buf[:n] = self.chunk[:n]
        self.left -= n
        return n

size, dest, source = int(sys.argv[3]), sys.argv[4], sys.argv[5]
sandbox = Daytona().get(sys.argv[2])
t = time.monotonic(); sandbox.fs.upload_file_stream(io.BufferedReader(Pattern(size), 1 << 20), dest); up = time.monotonic() - t
t = time.monotonic(); got = sum(len(c) for c in sandbox.fs.download_file_stream(source)); down = time.monotonic() - t
assert got == size, got
print(f"{up} {down}")
"#;
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&root)
        .arg(sandbox)
        .arg(size.to_string())
        .arg(dest)
        .arg(source)
        .env("DAYTONA_API_URL", &server.url)
        .env("DAYTONA_API_KEY", &server.key)
        .env("DAYTONA_TARGET", "us")
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(format!("the SDK run failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut times = text.split_whitespace().filter_map(|t| t.parse::<f64>().ok());
    Ok(times.next().zip(times.next()))
}

fn main() -> Result<(), Error> {
    // `cargo test --benches` runs benches without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let mb: u64 = std::env::var("PJ_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    let size = mb << 20;
    let image = std::env::var("PJ_BENCH_IMAGE").unwrap_or_else(|_| "debian:bookworm-slim".to_owned());
    docker(&["image", "inspect", &image])
        .map_err(|_| format!("{image} is not on the engine; run tests/conformance/setup.sh"))?;

    // Where uploads go and what downloads read. By default no disk is used (the machines
    // this runs on share theirs): uploads go to /dev/null, downloads read a sparse file;
    // `PJ_BENCH_DEST=/tmp/x` writes a real file (then compared with the sparse one's size).
    let dest = std::env::var("PJ_BENCH_DEST").unwrap_or_else(|_| "/dev/null".to_owned());
    let server = Server::start()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let client = pj_daytona::Client::builder().api_url(&server.url).api_key(server.key.clone()).build()?;
    let sandbox = runtime.block_on(async {
        let created = client.snapshots().create(&CreateSnapshot::image("fs-bench", &image)).await?;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let snapshot = client.snapshots().get(&created.id).await?;
            if snapshot.state == SnapshotState::Active {
                break;
            }
            if snapshot.state.is_terminal() || Instant::now() > deadline {
                return Err(format!("snapshot {}: {:?}", snapshot.state, snapshot.error_reason).into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let sandbox = client.sandboxes().create_info(&CreateSandbox::from_snapshot("fs-bench")).await?;
        client
            .sandboxes()
            .wait_for_state(&sandbox.id, pj_daytona::SandboxState::Started, Duration::from_secs(60))
            .await?;
        Ok::<_, Error>(sandbox.id)
    })?;
    let container = format!("pj-sandbox-{sandbox}");
    docker(&["exec", &container, "truncate", "-s", &size.to_string(), SOURCE])?;
    let toolbox = format!("{}/toolbox/{sandbox}", server.url.trim_end_matches("/api"));
    let http = reqwest::Client::new();
    println!(
        "toolbox file transfer of {mb} MiB through the local server (release build, child process; \
         sandbox image {image}; uploads to {dest}, downloads of a sparse file); server RSS before: {:.1} MiB",
        server.peak_kib() as f64 / 1024.0
    );

    let result = runtime.block_on(async {
        // The engine's floor: docker exec -i / docker exec cat of the same file, no server.
        let started = Instant::now();
        let mut floor = Command::new("docker")
            .args(["exec", "-i", &container, "sh", "-c", "cat > \"$1\"", "sh", &dest])
            .stdin(Stdio::piped())
            .spawn()?;
        let mut stdin = floor.stdin.take().ok_or("no stdin")?;
        let mut chunks = Box::pin(pattern_stream(size));
        while let Some(chunk) = chunks.next().await {
            stdin.write_all(&chunk?)?;
        }
        drop(stdin);
        if !floor.wait()?.success() {
            return Err::<(), Error>("docker exec -i failed".into());
        }
        report(&format!("docker exec -i cat > {dest} (no server)"), size, started.elapsed(), None);
        let started = Instant::now();
        let out = Command::new("docker")
            .args(["exec", &container, "cat", SOURCE])
            .stdout(Stdio::null())
            .status()?;
        if !out.success() {
            return Err("docker exec cat failed".into());
        }
        report("docker exec cat FILE (no server)", size, started.elapsed(), None);

        // Upload: the SDK's route (bulk multipart), then upload-v2 with a raw body.
        let (content_type, body) = multipart_body(size, &dest);
        let started = Instant::now();
        let response = http
            .post(format!("{toolbox}/files/bulk-upload"))
            .bearer_auth(&server.key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await?;
        let elapsed = started.elapsed();
        let answer = response.text().await?;
        if !answer.contains(&format!("\"bytes\":{size}")) {
            return Err(format!("bulk upload: {answer}").into());
        }
        report("upload   POST files/bulk-upload (multipart)", size, elapsed, Some(server.peak_kib()));
        let started = Instant::now();
        let response = http
            .post(format!("{toolbox}/files/upload-v2"))
            .query(&[("path", dest.as_str())])
            .bearer_auth(&server.key)
            .body(reqwest::Body::wrap_stream(pattern_stream(size)))
            .send()
            .await?;
        let elapsed = started.elapsed();
        if !response.status().is_success() {
            return Err(format!("upload-v2: {}", response.text().await?).into());
        }
        report("upload   POST files/upload-v2 (raw body)", size, elapsed, Some(server.peak_kib()));
        // The container's view, when the uploads went to a file.
        if dest != "/dev/null" {
            let written = docker(&["exec", &container, "stat", "-c", "%s", "--", &dest])?;
            if written != size.to_string() {
                return Err(format!("{dest} has {written} bytes").into());
            }
        }

        // Download: single (octet-stream), then the SDK's route (bulk, multipart).
        let started = Instant::now();
        let got = drain(
            http.get(format!("{toolbox}/files/download"))
                .query(&[("path", SOURCE)])
                .bearer_auth(&server.key)
                .send()
                .await?,
        )
        .await?;
        if got != size {
            return Err(format!("download gave {got} bytes").into());
        }
        report("download GET  files/download", size, started.elapsed(), Some(server.peak_kib()));
        let started = Instant::now();
        let got = drain(
            http.post(format!("{toolbox}/files/bulk-download"))
                .bearer_auth(&server.key)
                .json(&serde_json::json!({ "paths": [SOURCE] }))
                .send()
                .await?,
        )
        .await?;
        if got < size {
            return Err(format!("bulk download gave {got} bytes").into());
        }
        report(
            "download POST files/bulk-download (multipart)",
            size,
            started.elapsed(),
            Some(server.peak_kib()),
        );
        Ok(())
    });
    if let Err(e) = result {
        let _ = docker(&["rm", "--force", &container]);
        return Err(e);
    }

    // The official SDK, same size, same server.
    match sdk_run(&server, &sandbox, size, &dest, SOURCE) {
        Ok(Some((up, down))) => {
            report(
                "SDK sandbox.fs.upload_file_stream",
                size,
                Duration::from_secs_f64(up),
                Some(server.peak_kib()),
            );
            report(
                "SDK sandbox.fs.download_file_stream",
                size,
                Duration::from_secs_f64(down),
                Some(server.peak_kib()),
            );
        }
        Ok(None) => {}
        Err(e) => println!("  the official SDK run failed: {e}"),
    }
    let peak = server.peak_kib();
    runtime.block_on(client.sandboxes().delete(&sandbox))?;
    println!(
        "server peak RSS over the whole run: {:.1} MiB (limit {} MiB)",
        peak as f64 / 1024.0,
        LIMIT_KIB / 1024
    );
    if peak > LIMIT_KIB {
        return Err(format!("the server's peak RSS {peak} KiB is over {LIMIT_KIB} KiB").into());
    }
    Ok(())
}
