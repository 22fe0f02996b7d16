//! The sandbox's file system through the toolbox: transfers streamed both ways
//! ([`upload`], [`download`], over [`transfer`]'s idle-bounded streams), and the file
//! operations ([`operations`]) with their typed answers ([`types`]).
//!
//! Transfers have no whole-request timeout (a 1 GiB file on a slow link must not be cut
//! off); each wait is bounded instead by [`Timeouts::transfer_idle`](crate::Timeouts):
//! no byte sent or received, or no answer once a body is sent, for that long fails the
//! transfer with [`Error::Timeout`](crate::Error::Timeout).

mod download;
mod operations;
mod transfer;
mod types;
mod upload;

pub use download::{Downloaded, Fetched, FileDownload};
pub use types::{FileInfo, Match, Permissions, ReplaceResult};
pub use upload::FileUpload;

use crate::Error;
use crate::sandbox::Sandbox;

/// The file system of one sandbox; from [`Sandbox::fs`].
///
/// Relative paths are resolved in the sandbox's working directory, as by the official SDK.
///
/// ```no_run
/// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
/// let fs = sandbox.fs();
/// fs.upload_bytes(b"task".to_vec(), "/tmp/task.txt").await?;
/// let back = fs.download_bytes("/tmp/task.txt").await?;
/// assert_eq!(&back[..], b"task");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Fs<'a> {
    sandbox: &'a Sandbox,
}

impl<'a> Fs<'a> {
    pub(crate) fn new(sandbox: &'a Sandbox) -> Self {
        Fs { sandbox }
    }
}

/// Refuses an empty path before anything is sent.
fn non_empty<'p>(operation: &'static str, what: &str, path: &'p str) -> Result<&'p str, Error> {
    if path.is_empty() {
        return Err(Error::Config(format!(
            "cannot {operation}: the {what} is empty (give a path in the sandbox, absolute or relative \
             to its working directory)"
        )));
    }
    Ok(path)
}
