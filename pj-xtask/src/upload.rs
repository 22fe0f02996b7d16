//! Uploading the contexts that object storage does not have yet, with progress. The
//! sequence itself (write the tar while hashing and sending it, verify, store) is the
//! client's (`ObjectStorage::send_context`); this module checks every context at once,
//! uploads the missing ones two at a time, and names the step that failed. Contexts are
//! read only here, once: the hash of the bytes uploaded must be the hash compiled into
//! the application, or nothing is stored.

use std::collections::HashSet;

use daytona_contract::Context;
use daytona_contract::context::ContextChanged;
use futures_util::{StreamExt, TryStreamExt, future};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use pj_daytona::{Client, ObjectStorage, StorageAccess, UploadProgress};

use crate::failure::{Failure, code};
use crate::project::{self, Scanned};
use crate::report::{self, bytes};

/// Contexts uploaded at once: one reading thread each, on a 2-core machine already
/// enough to keep the storage busy (each upload has several parts in flight).
const UPLOADS_AT_ONCE: usize = 2;

/// Uploads each distinct context of the definition that object storage lacks, checking
/// and sizing it first ([`project::scan`]). All `HEAD`s go out at once; then one line per
/// context to upload, in the definition's order, and the uploads.
pub async fn contexts(client: &Client, contexts: &[Context]) -> Result<(), Failure> {
    if contexts.is_empty() {
        return Ok(());
    }
    let storage = client.object_storage();
    let access =
        storage.push_access().await.map_err(|e| Failure::api("cannot get object storage access", &e))?;
    let mut seen = HashSet::new();
    let distinct: Vec<&Context> = contexts.iter().filter(|c| seen.insert(c.md5.clone())).collect();
    let present = future::try_join_all(distinct.iter().map(|c| async {
        storage
            .context_exists(&access, &c.md5)
            .await
            .map_err(|e| Failure::api(&format!("cannot check context {}", c.archive_path), &e))
    }))
    .await?;
    let mut missing = Vec::new();
    for (c, present) in distinct.into_iter().zip(present) {
        if present {
            eprintln!("    context {} ({}) is already uploaded", c.archive_path, &c.md5[..8]);
        } else {
            missing.push(project::scan(c)?);
        }
    }
    let bars = MultiProgress::new();
    for Scanned { context: c, summary, .. } in &missing {
        let files = report::files(summary.files);
        eprintln!("    uploading {} ({files}, {})", c.archive_path, bytes(summary.bytes));
    }
    futures_util::stream::iter(missing.iter().map(|scanned| upload(&storage, &access, scanned, &bars)))
        .buffer_unordered(UPLOADS_AT_ONCE)
        .try_collect::<()>()
        .await
}

/// Uploads one context that storage lacks, with a progress bar while it is read.
async fn upload(
    storage: &ObjectStorage<'_>,
    access: &StorageAccess,
    scanned: &Scanned,
    bars: &MultiProgress,
) -> Result<(), Failure> {
    let Scanned { context: c, summary, exclude } = scanned;
    let bar = bars.add(
        ProgressBar::new(summary.bytes).with_style(
            ProgressStyle::with_template("    {prefix} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
    );
    bar.set_prefix(c.archive_path.clone());
    let mut follow = |event| {
        if let UploadProgress::Archived { bytes } = event {
            bar.inc(bytes);
        }
    };
    let outcome =
        storage.send_context(access, c.source_path(), &c.archive_path, &c.md5, exclude, &mut follow).await;
    bar.finish_and_clear();
    let Err(e) = outcome else { return Ok(()) };
    // An I/O error is the tar's (see `UploadProgress`); any other, the storage's.
    Err(match e {
        pj_daytona::Error::Io { source, .. } => {
            match source.get_ref().and_then(|e| e.downcast_ref::<ContextChanged>()) {
                Some(changed) => {
                    project::changed_since_compiled(&changed.archive_path, &changed.compiled, &changed.now)
                }
                None => Failure::new(code::FAILED, format!("cannot archive {}: {source}", c.archive_path))
                    .help("fix it and re-run"),
            }
        }
        e => Failure::api(&format!("cannot upload context {}", c.archive_path), &e),
    })
}
