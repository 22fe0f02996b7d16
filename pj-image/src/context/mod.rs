//! Build contexts: the local files and directories an image copies in.
//!
//! A context is a file or directory under the crate directory, named by a local path
//! as the user wrote it. For each one pithy needs:
//! - its [archive path](archive_path): the normalised local path, which names it in the
//!   Dockerfile (`COPY ["sandbox/x", ...]`) and roots it in the tar;
//! - a [check](scan) that it only holds what Daytona can carry (regular files and
//!   directories with UTF-8 names, all readable);
//! - its [hash]: the MD5 that names it in object storage, computed like the
//!   TypeScript SDK 0.218.0 (a deterministic walk);
//! - its [tar](write_tar): a reproducible, streamed `context.tar`.
//!
//! [`hash`] and [`write_tar`] walk the tree in the same order: entries sorted by the bytes
//! of their names, depth first, files and directories interleaved. Neither follows a
//! symlink; both refuse what [`scan`] reports, so run `scan` first to report every
//! problem at once.
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! use pj_image::context::{self, ContextKind};
//! let crate_dir = tempfile::tempdir()?;
//! std::fs::create_dir(crate_dir.path().join("sandbox"))?;
//! std::fs::write(crate_dir.path().join("sandbox/a.txt"), "hello\n")?;
//!
//! let archive = context::archive_path("./sandbox/").expect("a valid path");
//! let source = crate_dir.path().join(&archive);
//! let summary = context::scan(&source, &archive, ContextKind::Dir).expect("a clean context");
//! let md5 = context::hash(&source, &archive)?;
//! let mut tar = Vec::new();
//! context::write_tar(&source, &archive, &mut tar)?;
//! assert_eq!((archive.as_str(), summary.files, md5.len()), ("sandbox", 1, 32));
//! # Ok(())
//! # }
//! ```

mod archive;
mod hash;
mod runner;
mod scan;
mod tarball;
mod walk;

pub use archive::archive_path;
pub use hash::{hash, hash_with_progress};
pub use runner::write_runner_context;
pub use scan::scan;
pub use tarball::{FileChanged, TAR_MTIME, write_tar, write_tar_with_progress};

/// Whether a context is a single file (`add_local_file`) or a directory
/// (`add_local_dir`); [`scan`] checks that the path is of this kind.
///
/// ```
/// use pj_image::context::ContextKind;
/// assert_ne!(ContextKind::File, ContextKind::Dir);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextKind {
    /// A single regular file.
    File,
    /// A directory and everything under it.
    Dir,
}

/// What [`scan`] found in a clean context: the number of regular files and their total
/// size in bytes (the total of the `progress` calls of [`hash_with_progress`] and
/// [`write_tar_with_progress`], if nothing changes in between).
///
/// ```
/// use pj_image::context::ContextSummary;
/// let summary = ContextSummary { files: 2, bytes: 12 };
/// assert_eq!(summary, ContextSummary { files: 2, bytes: 12 });
/// assert_eq!(ContextSummary::default().files, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ContextSummary {
    /// The number of regular files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

#[cfg(test)]
mod tests;
