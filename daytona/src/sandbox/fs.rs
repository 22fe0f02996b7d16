//! The sandbox's file system through the toolbox: transfers streamed both ways, and the
//! file operations.

use std::path::Path;

use bytes::Bytes;

use crate::Error;
use crate::sandbox::{Sandbox, not_yet};

/// The file system of one sandbox; from [`Sandbox::fs`].
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

    /// Writes `data` to `remote` (created or replaced).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.fs().upload_bytes("hello", "/tmp/hello.txt").await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_bytes(&self, data: impl Into<Bytes>, remote: &str) -> Result<(), Error> {
        let _ = (self.sandbox, data.into(), remote);
        Err(not_yet("upload file"))
    }

    /// Streams the local file `local` to `remote`, never holding it whole in memory.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.fs().upload_file("input.csv", "/home/daytona/input.csv").await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_file(&self, local: impl AsRef<Path>, remote: &str) -> Result<(), Error> {
        let _ = (local.as_ref(), remote);
        Err(not_yet("upload file"))
    }

    /// Reads `remote` whole.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let bytes = sandbox.fs().download_bytes("/tmp/result.json").await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_bytes(&self, remote: &str) -> Result<Bytes, Error> {
        let _ = remote;
        Err(not_yet("download file"))
    }

    /// Streams `remote` into the local file `local` (written whole or not at all).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.fs().download_file("/tmp/result.json", "result.json").await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_file(&self, remote: &str, local: impl AsRef<Path>) -> Result<(), Error> {
        let _ = (remote, local.as_ref());
        Err(not_yet("download file"))
    }
}
