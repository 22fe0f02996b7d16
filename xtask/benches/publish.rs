//! Publishing side by side: the official Python SDK (0.226.1, the conformance venv) and
//! pithy's `cargo xtask snapshot` publish the same definition — a 10,000-file directory
//! (20 MiB) and a 256 MiB file — each against a fresh local server (check-only builds,
//! so the server's work is equal), alternating, 3 rounds. Prints each run's client time
//! (process start → the server receiving `POST /snapshots`), its wall time (start →
//! the process exiting with the snapshot active), the medians and their ratios, and the
//! up-to-date time (a second pithy publish on the same server).
//!
//! ```text
//! bash tests/conformance/setup.sh     # once: the SDK's venv
//! cargo bench -p xtask --bench publish --profile dev
//! ```
//!
//! `--profile dev` times the xtask binary `cargo xtask` runs. The data and the generated
//! application live in one temp dir (about 280 MiB plus one server's objects at a time),
//! removed at the end; the application builds in `target/pj-apps/target`, as the e2e
//! tests' applications do. `PJ_BENCH_ROUNDS=N` changes the number of rounds;
//! `PJ_BENCH_DIR=DIR` generates the application in `DIR/bench-app` and keeps it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pj_daytona_local::{BuildMode, LocalDaytona, Route, ServerConfig};

#[path = "../../tests/support/app_crate.rs"]
mod app_crate;

type Result<T, E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

const FILES: usize = 10_000;
const DIR_BYTES: usize = 20 << 20;
const BIG_BYTES: usize = 256 << 20;
const NAME: &str = "bench-app-v0.1.0";

const MAIN_RS: &str = r#"use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(cpu = 1, memory = 1, disk = 3)]
fn image() -> Image {
    Image::base("debian:bookworm-slim")
        .add_local_dir("data", "/app/data")
        .add_local_file("big.bin", "/app/big.bin")
}

fn main() {
    println!("{}", env!("PITHY_SNAPSHOT"));
}
"#;

/// Deterministic filler bytes (a xorshift stream), so contexts don't compress or dedupe.
fn fill(buf: &mut [u8], seed: &mut u64) {
    for chunk in buf.chunks_mut(8) {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        chunk.copy_from_slice(&seed.to_le_bytes()[..chunk.len()]);
    }
}

/// The application crate and its contexts in `app`: `data/` (100 directories of 100
/// files) and `big.bin`.
fn generate(app: &Path) -> Result<()> {
    app_crate::scaffold(app, "bench-app", "0.1.0", "\n[package.metadata.pithy-image]\n", MAIN_RS);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut buf = vec![0u8; DIR_BYTES / FILES];
    for i in 0..FILES {
        let dir = app.join(format!("data/d{:02}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&dir)?;
        }
        fill(&mut buf, &mut seed);
        std::fs::write(dir.join(format!("f{:04}.bin", i % 100)), &buf)?;
    }
    let mut big = std::io::BufWriter::new(std::fs::File::create(app.join("big.bin"))?);
    let mut chunk = vec![0u8; 1 << 20];
    for _ in 0..BIG_BYTES >> 20 {
        fill(&mut chunk, &mut seed);
        big.write_all(&chunk)?;
    }
    big.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}

/// One publish: client time (until the server saw `POST /snapshots`) and wall time.
struct Timing {
    client: Duration,
    wall: Duration,
}

/// Runs `cmd` against a server and times it; the server's request log (polled every
/// 5 ms) says when the create request arrived.
async fn timed(server: &LocalDaytona, mut cmd: Command, what: &str) -> Result<Timing> {
    cmd.env("DAYTONA_API_URL", server.url())
        .env("DAYTONA_API_KEY", server.api_key())
        .env_remove("DAYTONA_JWT_TOKEN")
        .env_remove("DAYTONA_TARGET")
        .env_remove("PITHY_SNAPSHOT_OVERRIDE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("cannot start {what}: {e}"))?;
    let done = tokio::task::spawn_blocking(move || child.wait_with_output());
    tokio::pin!(done);
    let mut client = None;
    let out = loop {
        tokio::select! {
            out = &mut done => break out??,
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
        if client.is_none() && server.count(Route::CreateSnapshot) > 0 {
            client = Some(started.elapsed());
        }
    };
    let wall = started.elapsed();
    if !out.status.success() {
        return Err(
            format!("{what} failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr)).into()
        );
    }
    let client = client.or_else(|| (server.count(Route::CreateSnapshot) > 0).then_some(wall));
    Ok(Timing { client: client.unwrap_or_default(), wall })
}

/// A fresh check-only server with its state in a new directory under `root`.
async fn fresh_server(root: &Path) -> Result<(LocalDaytona, tempfile::TempDir)> {
    let state = tempfile::tempdir_in(root)?;
    let server =
        LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::CheckOnly)).await?;
    Ok((server, state))
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

async fn bench(root: &Path, rounds: usize) -> Result<()> {
    let ws = app_crate::workspace();
    let app = root.join("bench-app");
    let python = ws.join("tests/conformance/.venv/bin/python");
    if !python.is_file() {
        return Err(
            format!("{} is missing: run `bash tests/conformance/setup.sh` first", python.display()).into()
        );
    }
    eprintln!(
        "generating {FILES} files ({} MiB) and a {} MiB file in {}",
        DIR_BYTES >> 20,
        BIG_BYTES >> 20,
        root.display()
    );
    generate(&app)?;
    let target = app_crate::target_dir();
    eprintln!("building the application (hashes its contexts at compile time)");
    let built = Command::new(env!("CARGO"))
        .args(["build", "--quiet"])
        .current_dir(&app)
        .env("CARGO_TARGET_DIR", &target)
        .status()?;
    if !built.success() {
        return Err("building the benchmark application failed".into());
    }
    let sdk = || {
        let mut cmd = Command::new(&python);
        cmd.arg(ws.join("xtask/benches/sdk_publish.py"))
            .arg(NAME)
            .current_dir(&app)
            .env("PJ_CONFORMANCE_DIR", ws.join("tests/conformance"));
        cmd
    };
    let pithy = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.args(["snapshot", "--timeout", "10m"]).current_dir(&app).env("CARGO_TARGET_DIR", &target);
        cmd
    };
    let (mut sdk_runs, mut pithy_runs, mut fresh_runs) = (Vec::new(), Vec::new(), Vec::new());
    println!("{:<8} {:<6} {:>10} {:>10}", "round", "client", "to create", "wall");
    for round in 1..=rounds {
        for which in ["sdk", "pithy"] {
            let (server, state) = fresh_server(root).await?;
            let timing = if which == "sdk" {
                timed(&server, sdk(), "the SDK's publish").await?
            } else {
                timed(&server, pithy(), "cargo xtask snapshot").await?
            };
            println!("{round:<8} {which:<6} {:>10} {:>10}", secs(timing.client), secs(timing.wall));
            if which == "sdk" {
                sdk_runs.push(timing);
            } else {
                pithy_runs.push(timing);
                let again = timed(&server, pithy(), "the up-to-date cargo xtask snapshot").await?;
                println!("{round:<8} {:<6} {:>10} {:>10}  (up to date)", "pithy", "-", secs(again.wall));
                fresh_runs.push(again.wall);
            }
            server.shutdown().await;
            drop(state);
        }
    }
    let med = |runs: &[Timing], f: fn(&Timing) -> Duration| median(runs.iter().map(f).collect());
    let (sdk_client, pithy_client) = (med(&sdk_runs, |t| t.client), med(&pithy_runs, |t| t.client));
    let (sdk_wall, pithy_wall) = (med(&sdk_runs, |t| t.wall), med(&pithy_runs, |t| t.wall));
    println!();
    println!("median of {rounds}        official SDK    pithy   ratio (pithy / SDK)");
    let ratio = |p: Duration, s: Duration| p.as_secs_f64() / s.as_secs_f64().max(1e-9);
    println!(
        "client (to create) {:>12} {:>8}   {:.2}",
        secs(sdk_client),
        secs(pithy_client),
        ratio(pithy_client, sdk_client)
    );
    println!(
        "wall               {:>12} {:>8}   {:.2}",
        secs(sdk_wall),
        secs(pithy_wall),
        ratio(pithy_wall, sdk_wall)
    );
    println!("up to date (pithy, second publish): {}", secs(median(fresh_runs)));
    Ok(())
}

fn main() -> Result<()> {
    // `cargo test --benches` runs benches without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let rounds = std::env::var("PJ_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    // `PJ_BENCH_DIR=DIR` keeps the generated application there, to publish it by hand.
    if let Some(dir) = std::env::var_os("PJ_BENCH_DIR") {
        std::fs::create_dir_all(&dir)?;
        return runtime.block_on(bench(Path::new(&dir), rounds));
    }
    let root = tempfile::Builder::new().prefix("pj-publish-bench").tempdir()?;
    let outcome = runtime.block_on(bench(root.path(), rounds));
    drop(runtime);
    root.close()?;
    outcome
}
