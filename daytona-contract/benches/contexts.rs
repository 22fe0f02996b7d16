//! Context benchmarks (`cargo bench -p daytona-contract`): the throughput of
//! `daytona_contract::context::hash` on one 256 MiB file and on 10,000 small files, against the
//! machine's raw MD5 speed over an in-memory buffer and against `md5sum` on the same file, and the peak heap memory of
//! `write_tar` streaming the same contexts to `io::sink()`.
//!
//! A plain `fn main` (no criterion): each figure is the best of a few runs, after one
//! warm-up run, so the files are read from the page cache.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs;
use std::hint::black_box;
use std::io::{self, Write};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use daytona_contract::context::{ContextKind, hash, scan, write_tar};
use md5::{Digest, Md5};

/// Counts the bytes allocated through `System`, keeping the current and the peak total.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let now = CURRENT.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(size: usize) {
    CURRENT.fetch_sub(size, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only the counters are extra.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const MIB: usize = 1 << 20;
const BIG: usize = 256 * MIB;
const DIRS: usize = 100;
const FILES_PER_DIR: usize = 100;
const SMALL: usize = 1024;
const RUNS: usize = 3;

/// Deterministic filler bytes (xorshift64), so no filesystem can store the file sparsely.
fn fill(buffer: &mut [u8], state: &mut u64) {
    for chunk in buffer.chunks_mut(8) {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let bytes = state.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

/// The best time of `RUNS` runs of `f`, after one warm-up run.
fn best<T>(mut f: impl FnMut() -> T) -> Duration {
    black_box(f());
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn mib_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / MIB as f64 / time.as_secs_f64()
}

/// The peak heap growth while `f` runs, in bytes.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (PEAK.load(Ordering::Relaxed).saturating_sub(base), out)
}

fn main() -> io::Result<()> {
    let tmp = tempfile::tempdir()?;

    // The contexts: one 256 MiB file, and 10,000 files of 1 KiB in 100 directories.
    let mut state = 0x9e37_79b9_7f4a_7c15;
    let mut buffer = vec![0; MIB];
    let big = tmp.path().join("big.bin");
    let mut file = io::BufWriter::with_capacity(MIB, fs::File::create(&big)?);
    for _ in 0..BIG / MIB {
        fill(&mut buffer, &mut state);
        file.write_all(&buffer)?;
    }
    file.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()?;
    let tree = tmp.path().join("tree");
    for d in 0..DIRS {
        let dir = tree.join(format!("d{d:03}"));
        fs::create_dir_all(&dir)?;
        for f in 0..FILES_PER_DIR {
            fill(&mut buffer[..SMALL], &mut state);
            fs::write(dir.join(format!("f{f:03}.txt")), &buffer[..SMALL])?;
        }
    }
    drop(buffer);
    let summary = scan(&tree, "tree", ContextKind::Dir).map_err(|findings| {
        io::Error::other(findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    })?;
    let tree_bytes = usize::try_from(summary.bytes).map_err(io::Error::other)?;
    println!(
        "contexts: big.bin = {} MiB; tree = {} files in {DIRS} dirs, {:.1} MiB",
        BIG / MIB,
        summary.files,
        tree_bytes as f64 / MIB as f64
    );

    // Raw MD5 over an in-memory buffer.
    let mut memory = vec![0; BIG];
    fill(&mut memory, &mut state);
    let raw = mib_per_s(BIG, best(|| Md5::digest(&memory)));
    drop(memory);
    println!("raw md5 (md5 crate, in memory, {} MiB): {raw:8.1} MiB/s", BIG / MIB);

    // `hash` against `md5sum` on the same file, the page cache warm for both: runs
    // alternate, so a change in the machine's load hits both alike; best of each.
    let has_md5sum = Command::new("md5sum").arg("--version").output().is_ok();
    black_box(hash(&big, "big.bin").expect("hash big.bin"));
    let (mut hash_time, mut md5sum_time) = (Duration::MAX, Duration::MAX);
    for _ in 0..2 * RUNS {
        let start = Instant::now();
        black_box(hash(&big, "big.bin").expect("hash big.bin"));
        hash_time = hash_time.min(start.elapsed());
        if has_md5sum {
            let start = Instant::now();
            let ok = Command::new("md5sum").arg(&big).output().map(|out| out.status.success());
            if ok.unwrap_or(false) {
                md5sum_time = md5sum_time.min(start.elapsed());
            }
        }
    }
    let hash_big = mib_per_s(BIG, hash_time);
    let versus = if md5sum_time == Duration::MAX {
        println!("md5sum big.bin:                     (no md5sum on PATH)");
        String::new()
    } else {
        let md5sum = mib_per_s(BIG, md5sum_time);
        println!("md5sum big.bin:                     {md5sum:8.1} MiB/s");
        format!(", {:.2}x md5sum", hash_big / md5sum)
    };
    println!(
        "hash big.bin:                       {hash_big:8.1} MiB/s  ({:.1}% of raw md5{versus})",
        100.0 * hash_big / raw
    );
    let tree_time = best(|| hash(&tree, "tree").expect("hash tree"));
    let hash_tree = mib_per_s(tree_bytes, tree_time);
    println!(
        "hash tree:                          {hash_tree:8.1} MiB/s  ({:.1}% of raw md5; {:.0} files/s, {:.1} ms)",
        100.0 * hash_tree / raw,
        summary.files as f64 / tree_time.as_secs_f64(),
        tree_time.as_secs_f64() * 1e3
    );

    // `write_tar` to a sink: peak heap and throughput.
    let (peak_big, written) = peak_heap(|| write_tar(&big, "big.bin", io::sink()));
    let written = written?;
    let tar_big = mib_per_s(BIG, best(|| write_tar(&big, "big.bin", io::sink()).expect("tar big.bin")));
    println!(
        "write_tar big.bin -> sink:          {tar_big:8.1} MiB/s, {written} bytes, peak heap {:.1} KiB",
        peak_big as f64 / 1024.0
    );
    let (peak_tree, written) = peak_heap(|| write_tar(&tree, "tree", io::sink()));
    let written = written?;
    let tar_tree_time = best(|| write_tar(&tree, "tree", io::sink()).expect("tar tree"));
    println!(
        "write_tar tree -> sink:             {:8.1} MiB/s, {written} bytes, peak heap {:.1} KiB",
        mib_per_s(tree_bytes, tar_tree_time),
        peak_tree as f64 / 1024.0
    );
    let (peak_hash, _) = peak_heap(|| hash(&big, "big.bin"));
    println!("(hash big.bin peak heap: {:.1} KiB, the read-ahead chunks)", peak_hash as f64 / 1024.0);
    Ok(())
}
