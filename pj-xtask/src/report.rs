//! What the commands print.

use std::time::Duration;

use pj_daytona::Snapshot;
use pj_image::{ContextKind, Definition, context};

use crate::project::{Project, Scanned};

pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

pub fn resources(def: &Definition) -> String {
    let r = def.resources;
    format!("cpu {}, memory {} GB, disk {} GB, gpu {}", r.cpu, r.memory, r.disk, r.gpu)
}

/// "1 file", "3 files".
pub fn files(n: u64) -> String {
    if n == 1 { "1 file".to_owned() } else { format!("{n} files") }
}

/// `--dry-run`: everything that would be published, without touching the network.
pub fn dry_run(project: &Project, def: &Definition, contexts: &[Scanned]) {
    println!("snapshot    {}", project.snapshot);
    println!("package     {} {} ({})", project.package, project.version, project.manifest_path.display());
    println!("resources   {}", resources(def));
    println!("build key   {}", def.build_key);
    println!("contexts    {}", contexts.len());
    for Scanned { context: c, summary, exclude } in contexts {
        let kind = match c.kind {
            ContextKind::File => "file",
            ContextKind::Dir => "dir ",
        };
        let count = files(summary.files);
        println!("  {kind}  {:<40} {count:>10} {:>10}  {}", c.archive_path, bytes(summary.bytes), c.md5);
        if !exclude.is_empty() {
            let left_out = context::excluded(c.source_path(), exclude);
            println!(
                "        excluded {} ({}) by {}",
                files(left_out.files),
                bytes(left_out.bytes),
                exclude.patterns().join(" ")
            );
        }
    }
    println!("dockerfile");
    for line in def.dockerfile.lines() {
        println!("  {line}");
    }
}

/// The final summary of a snapshot; with the local server, whether an image was built.
pub fn summary(snap: &Snapshot, elapsed: Duration, local: bool) {
    let size = snap.size.map_or_else(|| "unknown".to_owned(), |s| format!("{s:.2} GB"));
    println!("snapshot    {}", snap.name);
    println!("id          {}", snap.id);
    println!("state       {}", snap.state);
    println!("size        {size}");
    println!("resources   cpu {}, memory {} GB, disk {} GB, gpu {}", snap.cpu, snap.mem, snap.disk, snap.gpu);
    if local {
        match (&snap.checked_only, snap.state) {
            (Some(reason), _) => println!("image       not built: checked only, because {reason}"),
            (None, pj_daytona::SnapshotState::Active) => {
                let image = snap
                    .build_info
                    .as_ref()
                    .map_or_else(|| snap.image_name.clone().unwrap_or_default(), |b| b.snapshot_ref.clone());
                println!("image       built: {image} on this machine's Docker engine");
            }
            (None, _) => println!("image       none yet"),
        }
    }
    println!("elapsed     {:.1}s", elapsed.as_secs_f64());
}
