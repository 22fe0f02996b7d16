//! Uploading the contexts that object storage does not have yet, with progress.

use std::collections::HashSet;
use std::io::{Seek, SeekFrom};

use daytona::Client;
use indicatif::{ProgressBar, ProgressStyle};

use crate::failure::{Failure, code};
use crate::project::Scanned;
use crate::report::bytes;

pub async fn contexts(client: &Client, contexts: &[Scanned]) -> Result<(), Failure> {
    if contexts.is_empty() {
        return Ok(());
    }
    let storage = client.object_storage();
    let access =
        storage.push_access().await.map_err(|e| Failure::api("cannot get object storage access", &e))?;
    let mut seen = HashSet::new();
    for Scanned { context: c, summary } in contexts {
        if !seen.insert(c.md5.clone()) {
            continue;
        }
        let present = storage
            .context_exists(&access, &c.md5)
            .await
            .map_err(|e| Failure::api(&format!("cannot check context {}", c.archive_path), &e))?;
        if present {
            eprintln!("    context {} ({}) is already uploaded", c.archive_path, &c.md5[..8]);
            continue;
        }
        let files = summary.files;
        let files = if files == 1 { "1 file".to_owned() } else { format!("{files} files") };
        eprintln!("    archiving {} ({files}, {})", c.archive_path, bytes(summary.bytes));
        let bar = ProgressBar::new(summary.bytes).with_style(
            ProgressStyle::with_template("    {bar:30} {bytes}/{total_bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let (source, archive, progress) = (c.source_path().to_owned(), c.archive_path.clone(), bar.clone());
        let spooled = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            let mut file = tempfile::tempfile()?;
            daytona_contract::context::write_tar_with_progress(&source, &archive, &mut file, &mut |n| {
                progress.inc(n)
            })?;
            file.seek(SeekFrom::Start(0))?;
            Ok(file)
        })
        .await
        .map_err(|e| Failure::new(code::FAILED, format!("archiving {} stopped: {e}", c.archive_path)))?
        .map_err(|e| {
            Failure::new(code::FAILED, format!("cannot archive {}: {e}", c.archive_path))
                .help("fix it and re-run")
        })?;
        bar.finish_and_clear();
        let size = spooled.metadata().map(|m| m.len()).unwrap_or(0);
        eprintln!("    uploading {} ({})", c.archive_path, bytes(size));
        storage
            .put_context_file(&access, &c.md5, spooled)
            .await
            .map_err(|e| Failure::api(&format!("cannot upload context {}", c.archive_path), &e))?;
    }
    Ok(())
}
