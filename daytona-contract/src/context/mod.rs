//! Build contexts: the local files and directories an image copies in.
//!
//! A context is a file or directory under the crate directory, named by a local path
//! as the user wrote it, and recorded as one [`Context`] from the renderer to the
//! upload. For each one pithy needs:
//! - its [archive path](archive_path): the normalised local path, which names it in the
//!   Dockerfile (`COPY ["sandbox/x", ...]`) and roots it in the tar;
//! - a [check](scan) that it only holds what Daytona can carry (regular files and
//!   directories with UTF-8 names, all readable), reported as [`Problem`]s;
//! - its [hash]: the MD5 that names it in object storage, computed like the
//!   TypeScript SDK 0.218.0 (a deterministic walk);
//! - its [tar](write_tar): a reproducible, streamed `context.tar`;
//! - for a local `docker build`, [the runner's build context](write_runner_context).
//!
//! [`hash`] and [`write_tar`] walk the tree in the same order: entries sorted by the bytes
//! of their names, depth first, files and directories interleaved. Neither follows a
//! symlink; both refuse what [`scan`] reports, so run `scan` first to report every
//! problem at once.
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! use daytona_contract::context::{self, ContextKind};
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

use std::borrow::Cow;
use std::path::Path;

mod archive;
mod cache;
mod exclude;
mod hash;
mod problem;
mod runner;
mod scan;
mod tarball;
mod walk;

pub use archive::archive_path;
pub use cache::HashCache;
pub use exclude::{Exclude, PatternError};
pub use hash::{hash, hash_with_progress};
pub use problem::{PathError, Problem, ProblemKind};
pub use runner::write_runner_context;
pub use scan::{excluded, largest_files, scan, scan_excluding};
pub use tarball::{
    ContextChanged, FileChanged, TAR_MTIME, Tarred, write_tar, write_tar_hashed, write_tar_with_progress,
};

/// One build context: a local file or directory, uploaded as `context.tar` under its
/// hash and copied by the Dockerfile from its archive path. The one record of a context
/// from the renderer to the definition, the manifest and the upload.
///
/// Its fields are `Cow<'static, str>`, so `#[pithy_image]` can embed a definition's
/// contexts in a `const`; its serde form is the manifest's (`source`, `archive_path`,
/// `kind`, `md5`). Where sizes are needed, pair it with the [`ContextSummary`] of
/// [`scan`].
///
/// ```
/// use daytona_contract::{Context, ContextKind};
/// let c = Context::new("/src/app/sandbox/run.sh", "sandbox/run.sh", ContextKind::File, "0062767e43a7b98b63a594b2504ce32c");
/// assert_eq!(c.archive_path, "sandbox/run.sh");
/// assert_eq!(c.source_path(), std::path::Path::new("/src/app/sandbox/run.sh"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Context {
    /// The absolute local path (when the definition was rendered).
    pub source: Cow<'static, str>,
    /// The path inside the context archive and in the Dockerfile's `COPY`.
    pub archive_path: Cow<'static, str>,
    /// File or directory.
    pub kind: ContextKind,
    /// The Daytona context hash (MD5 hex) of `archive_path` and the content.
    pub md5: Cow<'static, str>,
    /// What a directory context leaves out (see [`Exclude`]): the cleaned patterns of
    /// `DirOptions::exclude` and of its `.dockerignore`, in order. Empty for most.
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    pub exclude: Cow<'static, [Cow<'static, str>]>,
}

impl Context {
    /// A context from its parts.
    ///
    /// ```
    /// use daytona_contract::{Context, ContextKind};
    /// let c = Context::new(String::from("/app/data"), "data", ContextKind::Dir, "30e0b496b75779c18af6dab75e0edbdc");
    /// assert_eq!(c.kind, ContextKind::Dir);
    /// ```
    pub fn new(
        source: impl Into<Cow<'static, str>>,
        archive_path: impl Into<Cow<'static, str>>,
        kind: ContextKind,
        md5: impl Into<Cow<'static, str>>,
    ) -> Context {
        Context {
            source: source.into(),
            archive_path: archive_path.into(),
            kind,
            md5: md5.into(),
            exclude: Cow::Borrowed(&[]),
        }
    }

    /// The same context, leaving out what `patterns` exclude (cleaned ones, as
    /// [`Exclude::patterns`] gives them).
    ///
    /// ```
    /// use daytona_contract::{Context, ContextKind};
    /// let c = Context::new("/app/web", "web", ContextKind::Dir, "").excluding(["node_modules"]);
    /// assert!(c.exclusion().unwrap().excludes("node_modules"));
    /// ```
    pub fn excluding<I, S>(mut self, patterns: I) -> Context
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.exclude = patterns.into_iter().map(Into::into).collect::<Vec<_>>().into();
        self
    }

    /// [`Context::exclude`], compiled. Patterns that were checked when the context was
    /// made always compile; a manifest edited by hand may not.
    ///
    /// ```
    /// use daytona_contract::{Context, ContextKind};
    /// assert!(Context::new("/app/a.txt", "a.txt", ContextKind::File, "").exclusion().unwrap().is_empty());
    /// ```
    pub fn exclusion(&self) -> Result<Exclude, PatternError> {
        Exclude::new(self.exclude.iter())
    }

    /// [`Context::source`] as a path, to [`scan`], [`hash`] or [`write_tar`] it.
    ///
    /// ```
    /// use daytona_contract::{Context, ContextKind};
    /// let c = Context::new("/app/run.sh", "run.sh", ContextKind::File, "");
    /// assert!(c.source_path().is_absolute());
    /// ```
    pub fn source_path(&self) -> &Path {
        Path::new(self.source.as_ref())
    }
}

/// Whether a context is a single file (`add_local_file`) or a directory
/// (`add_local_dir`); [`scan`] checks that the path is of this kind. In the manifest,
/// `"file"` or `"dir"`.
///
/// ```
/// use daytona_contract::context::ContextKind;
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
/// use daytona_contract::context::ContextSummary;
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
