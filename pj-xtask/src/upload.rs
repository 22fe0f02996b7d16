//! Uploading the contexts that object storage does not have yet, with progress. The
//! sequence itself (HEAD, spool the tar while hashing it, verify, PUT) is the client's
//! (`ObjectStorage::upload_context_with_progress`); this module says what happens and
//! names the step that failed. Contexts are read only here, once: the hash of the bytes
//! uploaded must be the hash compiled into the application, or nothing is stored.

use std::collections::HashSet;

use daytona_contract::Context;
use daytona_contract::context::ContextChanged;
use indicatif::{ProgressBar, ProgressStyle};
use pj_daytona::{Client, ObjectStorage, StorageAccess, UploadProgress};

use crate::failure::{Failure, code};
use crate::project::{self, Scanned};
use crate::report::bytes;

/// Uploads each distinct context of the definition that object storage lacks, checking
/// and sizing it first ([`project::scan`]).
pub async fn contexts(client: &Client, contexts: &[Context]) -> Result<(), Failure> {
    if contexts.is_empty() {
        return Ok(());
    }
    let storage = client.object_storage();
    let access =
        storage.push_access().await.map_err(|e| Failure::api("cannot get object storage access", &e))?;
    let mut seen = HashSet::new();
    for c in contexts {
        if seen.insert(c.md5.clone()) {
            upload(&storage, &access, &project::scan(c)?).await?;
        }
    }
    Ok(())
}

/// Uploads one context unless it is there, printing each step and a progress bar while
/// the tar is written.
async fn upload(
    storage: &ObjectStorage<'_>,
    access: &StorageAccess,
    scanned: &Scanned,
) -> Result<(), Failure> {
    let Scanned { context: c, summary } = scanned;
    let mut last = None;
    let mut bar = None;
    let mut follow = |event| {
        match event {
            UploadProgress::Present => {
                eprintln!("    context {} ({}) is already uploaded", c.archive_path, &c.md5[..8]);
            }
            UploadProgress::Archiving => {
                let files =
                    if summary.files == 1 { "1 file".to_owned() } else { format!("{} files", summary.files) };
                eprintln!("    archiving {} ({files}, {})", c.archive_path, bytes(summary.bytes));
                bar = Some(
                    ProgressBar::new(summary.bytes).with_style(
                        ProgressStyle::with_template("    {bar:30} {bytes}/{total_bytes} {bytes_per_sec}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    ),
                );
            }
            UploadProgress::Archived { bytes } => {
                if let Some(bar) = &bar {
                    bar.inc(bytes);
                }
            }
            UploadProgress::Uploading { bytes: size } => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
                eprintln!("    uploading {} ({})", c.archive_path, bytes(size));
            }
            _ => {}
        }
        last = Some(event);
    };
    let outcome = storage
        .upload_context_with_progress(access, c.source_path(), &c.archive_path, &c.md5, &mut follow)
        .await;
    let Err(e) = outcome else { return Ok(()) };
    // The last step reported is the one that failed (see `UploadProgress`).
    Err(match (last, e) {
        (None, e) => Failure::api(&format!("cannot check context {}", c.archive_path), &e),
        (
            Some(UploadProgress::Archiving | UploadProgress::Archived { .. }),
            pj_daytona::Error::Io { source, .. },
        ) => match source.get_ref().and_then(|e| e.downcast_ref::<ContextChanged>()) {
            Some(changed) => {
                project::changed_since_compiled(&changed.archive_path, &changed.compiled, &changed.now)
            }
            None => Failure::new(code::FAILED, format!("cannot archive {}: {source}", c.archive_path))
                .help("fix it and re-run"),
        },
        (_, e) => Failure::api(&format!("cannot upload context {}", c.archive_path), &e),
    })
}
