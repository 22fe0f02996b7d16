//! pj-daytona's sandbox client side by side with the official Python SDK (0.226.1) on the
//! same local server, the same sandbox and the same file: a 1 GiB upload and download
//! (throughput, and the client's peak RSS) and the `exec` round trip of `true` (median and
//! p90 of 100 calls after 5 unmeasured ones).
//!
//! ```text
//! cargo bench -p pj-daytona-local --bench sandbox_client
//! PJ_BENCH_MB=64 PJ_BENCH_ROUNDS=1 cargo bench -p pj-daytona-local --bench sandbox_client   # quick
//! ```
//!
//! `PJ_BENCH_MB` is the file's size in MiB (1024), `PJ_BENCH_ROUNDS` the rounds (5),
//! `PJ_BENCH_CALLS` the exec calls per round and side (100). Needs Docker with
//! `debian:bookworm-slim` and the official SDK's venv (`tests/conformance/setup.sh` makes
//! both), and three times the file's size free on the disk of the temporary directory.
//! Without `--bench` (`cargo test --benches`) it does nothing. Each round runs every
//! operation by both sides back to back (who goes first alternates between rounds), and
//! the exec calls in 5 batches with the sides taking turns, so both see the same load on
//! the machine; the table gives the median throughput and CPU time over the rounds, the
//! highest peak RSS, and the exec median and p90 over all calls. Each round's line ends
//! with the load average: on a shared machine it moves the figures more than anything.
//!
//! How it measures:
//! - The server (`LocalDaytona`) runs in this process; each client runs in its own child
//!   process, one per operation: pithy's is this bench binary itself, started again with
//!   `PJ_BENCH_CLIENT=1` (so it is built with the `bench` profile, which is `release`, what
//!   a user ships), doing `client.sandboxes().get(id)` then `sandbox.fs().upload_file`,
//!   `sandbox.fs().download_file` or `sandbox.process().exec`; the SDK's is
//!   `benches/sdk_client.py` doing `Daytona().get(id)` then `sandbox.fs.upload_file(local,
//!   remote)`, `sandbox.fs.download_file(remote, local)` or `sandbox.process.exec("true")`.
//!   Both take `DAYTONA_API_URL`/`DAYTONA_API_KEY` from the environment, never argv.
//! - Time: each client times its one call (monotonic clock), not its start-up; it also
//!   reports the CPU time (user + system, all threads) the call took.
//! - Peak RSS: each client reads its own `VmHWM` from `/proc/self/status` (Linux) after the
//!   operation, just before it exits: the kernel's high-water mark of the process's
//!   resident memory, the whole life of the process included (the interpreter and the
//!   SDK's imports for Python, the runtime for Rust). The parent cannot read it once the
//!   child has exited, and `getrusage(RUSAGE_CHILDREN)` gives the maximum over all children,
//!   not each one's.
//! - Content: the file is made once on the host, deterministically (splitmix64); after
//!   each upload `docker exec <container> sha256sum` must give the host's `sha256sum` of
//!   it, and after each download the host's `sha256sum` of the downloaded file too. The
//!   remote file is removed before each upload, the downloaded one after its check.
//! - The sandbox is `debian:bookworm-slim` as a snapshot (no build: the quickest realistic
//!   image; the transfers are `cat` in a `docker exec` either way).
//!
//! The server-side claims (its own memory during transfers, the time it adds to an exec)
//! are `benches/fs_transfer.rs` and `benches/execute.rs`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pj_daytona::{CreateSandbox, CreateSnapshot, ExecuteRequest, SnapshotState};
use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error>;

const IMAGE: &str = "debian:bookworm-slim";
const REMOTE: &str = "/tmp/pj-bench.bin";
/// The targets of the issue: the client's peak RSS under this.
const RSS_LIMIT_MIB: f64 = 64.0;
/// The exec calls of a round run in this many batches per side, the sides taking turns.
const EXEC_BATCHES: usize = 5;

/// The machine's load average (`/proc/loadavg`): other work skews the figures.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!("load average {}", text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// This process's `VmHWM` (peak resident memory) in KiB.
fn peak_rss_kib() -> Result<u64, Error> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| "no VmHWM in /proc/self/status (Linux only)".into())
}

/// This process's CPU time (user + system, all threads) in seconds, from
/// `/proc/self/stat` (fields 14 and 15, in USER_HZ ticks: 100 a second on Linux).
fn cpu_seconds() -> Result<f64, Error> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The fields after the command name (which may hold spaces) in brackets.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default().split_whitespace().collect();
    let tick =
        |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).ok_or("no CPU times in /proc/self/stat");
    Ok((tick(11)? + tick(12)?) / 100.0)
}

/// pithy's client: one operation in this (child) process, one JSON line on stdout.
/// Arguments: `upload LOCAL REMOTE`, `download REMOTE LOCAL` or `exec CALLS`, after the
/// sandbox id.
fn client(args: &[String]) -> Result<(), Error> {
    let [op, sandbox_id, rest @ ..] = args else {
        return Err("usage: PJ_BENCH_CLIENT=1 sandbox_client OP SANDBOX_ID ARGS...".into());
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(async {
        let client = pj_daytona::Client::builder()
            .api_url(std::env::var("DAYTONA_API_URL")?)
            .api_key(std::env::var("DAYTONA_API_KEY")?)
            .build()?;
        let sandbox = client.sandboxes().get(sandbox_id).await?;
        let before_kib = peak_rss_kib()?;
        let cpu = cpu_seconds()?;
        let started = Instant::now();
        let mut ms = Vec::new();
        match (op.as_str(), rest) {
            ("upload", [local, remote]) => {
                sandbox.fs().upload_file(local, remote).await?;
            }
            ("download", [remote, local]) => {
                sandbox.fs().download_file(remote, local).await?;
            }
            ("exec", [calls]) => {
                let request = ExecuteRequest::new("true");
                for i in 0..5 + calls.parse::<usize>()? {
                    let started = Instant::now();
                    let out = sandbox.process().exec(&request).await?;
                    if out.exit_code != 0 {
                        return Err(format!("exec true answered {}: {}", out.exit_code, out.result).into());
                    }
                    if i >= 5 {
                        ms.push(started.elapsed().as_secs_f64() * 1e3);
                    }
                }
            }
            _ => return Err(format!("unknown operation {op} {rest:?}").into()),
        }
        let seconds = started.elapsed().as_secs_f64();
        let cpu_seconds = cpu_seconds()? - cpu;
        Ok::<_, Error>(json!({
            "seconds": seconds, "cpu_seconds": cpu_seconds, "ms": ms,
            "before_kib": before_kib, "peak_kib": peak_rss_kib()?,
        }))
    })?;
    println!("{report}");
    Ok(())
}

/// What one client's run reported.
struct Run {
    seconds: f64,
    cpu_seconds: f64,
    ms: Vec<f64>,
    before_mib: f64,
    peak_mib: f64,
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Pithy,
    Sdk,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Pithy => "pithy (pj-daytona, release)",
            Side::Sdk => "official Python SDK 0.226.1",
        }
    }
}

/// The bench's fixed parts: the server, the sandbox, the file.
struct Bench<'a> {
    server: &'a LocalDaytona,
    sandbox: &'a str,
    container: String,
    source: PathBuf,
    sha256: String,
    mb: u64,
}

impl Bench<'_> {
    /// Runs one client in a child process for `op` and reads its JSON line.
    fn run(&self, side: Side, op: &[&str]) -> Result<Run, Error> {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut command = match side {
            Side::Pithy => {
                let mut c = Command::new(std::env::current_exe()?);
                c.env("PJ_BENCH_CLIENT", "1");
                c
            }
            Side::Sdk => {
                let mut c = Command::new(manifest.join("../tests/conformance/.venv/bin/python"));
                c.arg(manifest.join("benches/sdk_client.py"));
                c
            }
        };
        let out = command
            .arg(op[0])
            .arg(self.sandbox)
            .args(&op[1..])
            .env("DAYTONA_API_URL", self.server.url())
            .env("DAYTONA_API_KEY", self.server.api_key())
            .env("DAYTONA_TARGET", "us")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{}: {e} (tests/conformance/setup.sh makes the SDK's venv)", side.name()))?;
        if !out.status.success() {
            return Err(format!(
                "{} {op:?} failed ({}):\n{}",
                side.name(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        let line = String::from_utf8_lossy(&out.stdout);
        let report: Value = serde_json::from_str(line.lines().last().unwrap_or_default())
            .map_err(|e| format!("{} printed {line:?}: {e}", side.name()))?;
        let number = |key: &str| report[key].as_f64().ok_or(format!("no {key} in {report}"));
        Ok(Run {
            seconds: number("seconds")?,
            cpu_seconds: number("cpu_seconds")?,
            ms: serde_json::from_value(report["ms"].clone())?,
            before_mib: number("before_kib")? / 1024.0,
            peak_mib: number("peak_kib")? / 1024.0,
        })
    }

    /// An upload, checked in the container (the remote file removed first).
    fn upload(&self, side: Side) -> Result<Run, Error> {
        checked(Command::new("docker").args(["exec", &self.container, "rm", "-f", REMOTE]))?;
        let run = self.run(side, &["upload", utf8(&self.source)?, REMOTE])?;
        self.check(side, "uploaded", Some(&self.container), Path::new(REMOTE))?;
        Ok(run)
    }

    /// A download, checked on the host (the downloaded file removed after).
    fn download(&self, side: Side) -> Result<Run, Error> {
        let target = self.source.with_extension("down");
        let run = self.run(side, &["download", REMOTE, utf8(&target)?])?;
        let checked = self.check(side, "downloaded", None, &target);
        std::fs::remove_file(&target)?;
        checked.map(|()| run)
    }

    fn check(&self, side: Side, what: &str, container: Option<&str>, path: &Path) -> Result<(), Error> {
        let got = sha256(container, path)?;
        if got != self.sha256 {
            return Err(
                format!("{}: the {what} file's sha256 is {got}, not {}", side.name(), self.sha256).into()
            );
        }
        Ok(())
    }

    /// One round: each operation by both sides in `order` (who goes first alternates
    /// between rounds: the page cache, the disk's write-back, other load on the machine);
    /// the exec calls in batches, the sides taking turns, so both see the same load.
    fn round(&self, order: [Side; 2], calls: usize, results: &mut [Results; 2]) -> Result<(), Error> {
        for side in order {
            results[side as usize].upload.push(self.upload(side)?);
        }
        for side in order {
            results[side as usize].download.push(self.download(side)?);
        }
        let batch = calls.div_ceil(EXEC_BATCHES);
        let mut left = calls;
        while left > 0 {
            let n = left.min(batch);
            for side in order {
                results[side as usize].exec.push(self.run(side, &["exec", &n.to_string()])?);
            }
            left -= n;
        }
        Ok(())
    }
}

fn utf8(path: &Path) -> Result<&str, Error> {
    path.to_str().ok_or_else(|| format!("{} is not UTF-8", path.display()).into())
}

fn checked(command: &mut Command) -> Result<String, Error> {
    let out = command.stdin(Stdio::null()).output()?;
    if !out.status.success() {
        return Err(format!("{command:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The sha256 of a file, by `sha256sum` on the host or in the container (`docker exec`).
fn sha256(container: Option<&str>, path: &Path) -> Result<String, Error> {
    let out = match container {
        Some(name) => checked(Command::new("docker").args(["exec", name, "sha256sum", "--"]).arg(path))?,
        None => checked(Command::new("sha256sum").arg("--").arg(path))?,
    };
    out.split_whitespace().next().map(str::to_owned).ok_or_else(|| format!("sha256sum said {out:?}").into())
}

/// `size` bytes of splitmix64's output: the same file on every run.
fn make_file(path: &Path, size: u64) -> Result<(), Error> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut block = vec![0u8; 1 << 16];
    let mut left = size;
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            word.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}

/// Free bytes on the file system of `dir` (`df`).
fn free_bytes(dir: &Path) -> Result<u64, Error> {
    let out = checked(Command::new("df").args(["--output=avail", "-B1"]).arg(dir))?;
    out.lines().last().and_then(|l| l.trim().parse().ok()).ok_or_else(|| format!("df said {out:?}").into())
}

/// The `q` quantile (nearest rank; the median of an even count is the mean of the middle two).
fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let at = (values.len() as f64 - 1.0) * q;
    if q == 0.5 && values.len().is_multiple_of(2) {
        return (values[at.floor() as usize] + values[at.ceil() as usize]) / 2.0;
    }
    values[at.round() as usize]
}

/// Every run of one side.
#[derive(Default)]
struct Results {
    upload: Vec<Run>,
    download: Vec<Run>,
    exec: Vec<Run>,
}

impl Results {
    /// Median throughput over the runs, MiB/s.
    fn throughput(runs: &[Run], mb: u64) -> f64 {
        quantile(&mut runs.iter().map(|r| mb as f64 / r.seconds).collect::<Vec<_>>(), 0.5)
    }

    fn cpu(runs: &[Run]) -> f64 {
        quantile(&mut runs.iter().map(|r| r.cpu_seconds).collect::<Vec<_>>(), 0.5)
    }

    fn peak(runs: &[Run]) -> f64 {
        runs.iter().map(|r| r.peak_mib).fold(0.0, f64::max)
    }

    fn before(runs: &[Run]) -> f64 {
        runs.iter().map(|r| r.before_mib).fold(0.0, f64::max)
    }

    /// Every exec call's milliseconds.
    fn exec_ms(&self) -> Vec<f64> {
        self.exec.iter().flat_map(|r| r.ms.iter().copied()).collect()
    }
}

fn print_table(bench: &Bench<'_>, rounds: usize, calls: usize, [pithy, sdk]: &[Results; 2]) {
    let mb = bench.mb;
    println!();
    println!(
        "{mb} MiB upload and download, {rounds} round(s), median throughput and client CPU time, highest \
         client peak RSS (in brackets: before the operation); exec of `true`: {calls} calls per round \
         and side, median and p90 over all"
    );
    println!("| | {} | {} | pithy / SDK |", Side::Pithy.name(), Side::Sdk.name());
    println!("|---|---|---|---|");
    for (what, p, s) in [("upload", &pithy.upload, &sdk.upload), ("download", &pithy.download, &sdk.download)]
    {
        let (tp, ts) = (Results::throughput(p, mb), Results::throughput(s, mb));
        println!("| {what}, throughput | {tp:.1} MiB/s | {ts:.1} MiB/s | {:.2} |", tp / ts);
        let (pp, ps) = (Results::peak(p), Results::peak(s));
        let (bp, bs) = (Results::before(p), Results::before(s));
        println!(
            "| {what}, client peak RSS | {pp:.1} MiB ({bp:.1}) | {ps:.1} MiB ({bs:.1}) | {:.2} |",
            pp / ps
        );
        let (cp, cs) = (Results::cpu(p), Results::cpu(s));
        println!("| {what}, client CPU time | {cp:.2} s | {cs:.2} s | {:.2} |", cp / cs);
    }
    let (mut p, mut s) = (pithy.exec_ms(), sdk.exec_ms());
    let (pm, sm) = (quantile(&mut p, 0.5), quantile(&mut s, 0.5));
    println!("| exec round trip, median | {pm:.1} ms | {sm:.1} ms | {:.2} |", pm / sm);
    let (p9, s9) = (quantile(&mut p, 0.9), quantile(&mut s, 0.9));
    println!("| exec round trip, p90 | {p9:.1} ms | {s9:.1} ms | {:.2} |", p9 / s9);
    let (pp, ps) = (Results::peak(&pithy.exec), Results::peak(&sdk.exec));
    println!("| exec, client peak RSS | {pp:.1} MiB | {ps:.1} MiB | {:.2} |", pp / ps);

    let pithy_peak = [&pithy.upload, &pithy.download, &pithy.exec]
        .into_iter()
        .map(|r| Results::peak(r))
        .fold(0.0, f64::max);
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!();
    println!("targets:");
    println!(
        "  throughput at least the SDK's: upload {}, download {}",
        verdict(Results::throughput(&pithy.upload, mb) >= Results::throughput(&sdk.upload, mb)),
        verdict(Results::throughput(&pithy.download, mb) >= Results::throughput(&sdk.download, mb))
    );
    println!(
        "  client peak RSS under {RSS_LIMIT_MIB} MiB: {} ({pithy_peak:.1} MiB)",
        verdict(pithy_peak < RSS_LIMIT_MIB)
    );
    println!("  exec median at most the SDK's: {}", verdict(pm <= sm));
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    if std::env::var_os("PJ_BENCH_CLIENT").is_some() {
        return client(&args[1..]);
    }
    // `cargo test --benches` runs benches without `--bench`: do nothing then.
    if !args.iter().any(|a| a == "--bench") {
        return Ok(());
    }
    let mb: u64 = env_or("PJ_BENCH_MB", 1024);
    let rounds: usize = env_or("PJ_BENCH_ROUNDS", 5);
    let calls: usize = env_or("PJ_BENCH_CALLS", 100);
    if mb == 0 || rounds == 0 || calls == 0 {
        return Err("PJ_BENCH_MB, PJ_BENCH_ROUNDS and PJ_BENCH_CALLS must be positive".into());
    }
    let size = mb << 20;
    checked(Command::new("docker").args(["image", "inspect", IMAGE]))
        .map_err(|_| format!("{IMAGE} is not on the Docker engine; run tests/conformance/setup.sh"))?;

    // The source and one downloaded copy on the host; the sandbox's copy on the same disk.
    let dir = tempfile::tempdir()?;
    let free = free_bytes(dir.path())?;
    if free < 3 * size {
        return Err(format!(
            "{} has {} MiB free; the bench needs {} MiB",
            dir.path().display(),
            free >> 20,
            3 * mb
        )
        .into());
    }
    let source = dir.path().join("source.bin");
    let started = Instant::now();
    make_file(&source, size)?;
    let expected = sha256(None, &source)?;
    println!(
        "made {} ({mb} MiB, sha256 {expected}) in {:.1} s",
        source.display(),
        started.elapsed().as_secs_f64()
    );

    let runtime = tokio::runtime::Runtime::new()?;
    let state = tempfile::tempdir()?;
    let server = runtime
        .block_on(LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::Docker)))?;
    let client = server.client_builder().build()?;
    let sandbox = runtime.block_on(async {
        let snapshot =
            client.snapshots().create(&CreateSnapshot::image("sandbox-client-bench", IMAGE)).await?;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let snapshot = client.snapshots().get(&snapshot.id).await?;
            if snapshot.state == SnapshotState::Active {
                break;
            }
            if snapshot.state.is_terminal() || Instant::now() > deadline {
                return Err(
                    format!("the snapshot is {} ({:?})", snapshot.state, snapshot.error_reason).into()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok::<_, Error>(
            client.sandboxes().create(&CreateSandbox::from_snapshot("sandbox-client-bench")).await?,
        )
    })?;
    let bench = Bench {
        server: &server,
        sandbox: sandbox.id(),
        container: format!("pj-sandbox-{}", sandbox.id()),
        source,
        sha256: expected,
        mb,
    };
    println!("sandbox {} ({IMAGE}), server {}, {}", sandbox.id(), server.url(), load_average());

    let mut results = [Results::default(), Results::default()];
    let outcome = (0..rounds).try_for_each(|i| {
        let order = if i % 2 == 0 { [Side::Pithy, Side::Sdk] } else { [Side::Sdk, Side::Pithy] };
        bench.round(order, calls, &mut results)?;
        for side in order {
            let r = &results[side as usize];
            let (up, down) = (r.upload.last().ok_or("no upload")?, r.download.last().ok_or("no download")?);
            let mut exec = r.exec.iter().rev().take(EXEC_BATCHES).flat_map(|r| r.ms.iter().copied()).collect::<Vec<_>>();
            println!(
                "round {}: {:<28} upload {:>6.1} MiB/s ({:>5.1} MiB)  download {:>6.1} MiB/s ({:>5.1} MiB)  exec median {:>5.1} ms",
                i + 1,
                side.name(),
                mb as f64 / up.seconds,
                up.peak_mib,
                mb as f64 / down.seconds,
                down.peak_mib,
                quantile(&mut exec, 0.5),
            );
        }
        println!("  {}", load_average());
        Ok::<_, Error>(())
    });
    let deleted = runtime.block_on(sandbox.delete());
    if deleted.is_err() {
        let _ = checked(Command::new("docker").args(["rm", "--force", &bench.container]));
    }
    let printed = outcome.map(|()| print_table(&bench, rounds, calls, &results));
    drop(bench);
    runtime.block_on(server.shutdown());
    printed?;
    Ok(deleted?)
}
