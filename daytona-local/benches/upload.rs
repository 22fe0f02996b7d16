//! Context upload: throughput and peak memory against the local server, for growing
//! context sizes. The claim under test: the tar is streamed (daytona-contract
//! `write_tar_hashed` into 5 MiB multipart parts, at most six held at once, no temporary
//! file), so the client's memory does not grow with the context.
//!
//! `cargo bench -p pj-daytona-local --features testing --bench upload` (sizes in MiB:
//! `PJ_BENCH_MB=16,256`). The server runs in the bench's process; each size's upload runs
//! in a fresh child process, whose `VmHWM` (Linux) is the client's peak memory alone.

use std::io::Write;
use std::time::Instant;

use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn one(mb: u64) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let root = tempfile::tempdir()?;
    let dir = root.path().join("data");
    std::fs::create_dir_all(&dir)?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(dir.join("blob.bin"))?);
    let chunk: Vec<u8> = (0..1024 * 1024).map(|i| (i * 31 % 251) as u8).collect();
    for i in 0..mb {
        file.write_all(&chunk)?;
        file.write_all(&i.to_le_bytes())?;
    }
    file.flush()?;
    drop(file);
    let before = peak_rss_kib();
    runtime.block_on(async {
        let url = std::env::var("PJ_BENCH_API_URL")?;
        let key = std::env::var("PJ_BENCH_API_KEY")?;
        let client = pj_daytona::Client::builder().api_url(url).api_key(key).build()?;
        let hash = daytona_contract::context::hash(&dir, "data")?;
        let storage = client.object_storage();
        let access = storage.push_access().await?;
        let started = Instant::now();
        let outcome = storage.upload_context(&access, &dir, "data", &hash).await?;
        let elapsed = started.elapsed();
        let after = peak_rss_kib();
        println!(
            "{mb:>6} MiB  {outcome:?}  {:>8.1} ms  {:>7.1} MiB/s  peak RSS {:>7} KiB (before upload {:>7} KiB)",
            elapsed.as_secs_f64() * 1e3,
            mb as f64 / elapsed.as_secs_f64(),
            after.map_or_else(|| "?".to_owned(), |v| v.to_string()),
            before.map_or_else(|| "?".to_owned(), |v| v.to_string()),
        );
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo test --benches` runs benches with `--bench` absent: do nothing then.
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") && std::env::var("PJ_BENCH_CHILD").is_err() {
        return Ok(());
    }
    if let Ok(mb) = std::env::var("PJ_BENCH_CHILD") {
        return one(mb.parse()?);
    }
    let sizes = std::env::var("PJ_BENCH_MB").unwrap_or_else(|_| "16,128,512".to_owned());
    println!("context upload to the local server (check-only; the client in one child process per size)");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let state = tempfile::tempdir()?;
        let server =
            LocalDaytona::start(ServerConfig::new(state.path()).build_mode(BuildMode::CheckOnly)).await?;
        for mb in sizes.split(',').filter_map(|s| s.trim().parse::<u64>().ok()) {
            let status = tokio::process::Command::new(&args[0])
                .env("PJ_BENCH_CHILD", mb.to_string())
                .env("PJ_BENCH_API_URL", server.url())
                .env("PJ_BENCH_API_KEY", server.api_key())
                .status()
                .await?;
            if !status.success() {
                return Err(format!("the {mb} MiB run failed").into());
            }
        }
        server.shutdown().await;
        Ok(())
    })
}
