//! What a context cannot be: a local path Daytona cannot name ([`PathError`], from
//! [`archive_path`](super::archive_path)) and a tree it cannot carry ([`Problem`], from
//! [`scan`](super::scan), and the first one from [`hash`](super::hash) and
//! [`write_tar`](super::write_tar)).
//!
//! Each says what and where, with a message that says the fix. The engine decides which
//! of its rules each one is (pj-image's `rules/context.rs`); this crate knows no rule ids.

use std::{fmt, io};

use super::ContextKind;

/// Why a local path cannot be a context's archive path (`docs/daytona-contract.md`
/// §3.1): pithy is stricter than the SDKs, so that the Dockerfile and the context hashes
/// are the same on every machine.
///
/// ```
/// use daytona_contract::context::{PathError, archive_path};
/// assert_eq!(archive_path("/etc"), Err(PathError::Absolute { local: "/etc".into() }));
/// assert!(matches!(archive_path("a/../../b"), Err(PathError::OutsideRoot { .. })));
/// assert_eq!(archive_path("").unwrap_err().local(), "");
/// ```
// Exhaustive on purpose: the engine maps every variant to a rule, and a new one must
// make it decide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path is empty.
    #[error(
        "the local path is empty; name a file or directory relative to the crate directory, e.g. \"sandbox/x\""
    )]
    Empty,
    /// The path starts with `/`.
    #[error(
        "`{local}` is absolute, so it would only exist on this machine; paths are relative to the crate \
         directory; write \"sandbox/x\""
    )]
    Absolute {
        /// The path as written.
        local: String,
    },
    /// The path starts with `~` (also after normalisation), which nothing expands.
    #[error(
        "`{local}`: a leading `~` is not expanded, and a home directory only exists on this machine; paths \
         are relative to the crate directory; write \"sandbox/x\""
    )]
    Home {
        /// The path as written.
        local: String,
    },
    /// The normal form starts with `\`, which the Python SDK strips from the archive
    /// path, so it would no longer name the local file.
    #[error(
        "`{local}` starts with `\\`, which Daytona strips from the archive path (a Windows path?); paths \
         are relative to the crate directory and use `/`; write \"sandbox/x\""
    )]
    Backslash {
        /// The path as written.
        local: String,
    },
    /// The normal form is `..` or starts with `../`: it leaves the crate directory.
    #[error(
        "`{local}` leaves the crate directory, so the image would depend on files outside the crate; move \
         them into the crate and write a path inside it, e.g. \"sandbox/x\""
    )]
    OutsideRoot {
        /// The path as written.
        local: String,
    },
}

impl PathError {
    /// The path as written (empty for [`PathError::Empty`]).
    ///
    /// ```
    /// use daytona_contract::context::archive_path;
    /// assert_eq!(archive_path("../x").unwrap_err().local(), "../x");
    /// ```
    pub fn local(&self) -> &str {
        match self {
            PathError::Empty => "",
            PathError::Absolute { local }
            | PathError::Home { local }
            | PathError::Backslash { local }
            | PathError::OutsideRoot { local } => local,
        }
    }
}

/// Something in a context that Daytona cannot carry: where (`path`, relative to the
/// crate directory, e.g. `sandbox/data/link.txt`) and what (`kind`). Its message names
/// the path and says the fix.
///
/// [`scan`](super::scan) reports every problem at once; [`hash`](super::hash) and
/// [`write_tar`](super::write_tar) stop at the first, as an `io::Error` whose message is
/// the problem's and whose [inner error](io::Error::get_ref) is the `Problem`.
///
/// ```
/// use daytona_contract::context::{Problem, ProblemKind};
/// let problem = Problem { path: "sandbox/link".into(), kind: ProblemKind::Symlink };
/// assert!(problem.to_string().starts_with("`sandbox/link` is a symlink"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The path relative to the crate directory; bytes that are not UTF-8 are written
    /// as `\xNN`.
    pub path: String,
    /// What is wrong with it.
    pub kind: ProblemKind,
}

/// What is wrong with a [`Problem`]'s path.
///
/// ```
/// use daytona_contract::context::ProblemKind;
/// assert_ne!(ProblemKind::Symlink, ProblemKind::NonUtf8Name);
/// ```
// Exhaustive on purpose, like `PathError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// It does not exist; `expected` is the kind [`scan`](super::scan) was asked for
    /// (`None` from the walk of [`hash`](super::hash) and [`write_tar`](super::write_tar)).
    Missing {
        /// The kind of context expected there.
        expected: Option<ContextKind>,
    },
    /// It exists but is not of the expected kind.
    WrongKind {
        /// What it is, with an article: "a directory", "a regular file", ...
        found: &'static str,
        /// The kind of context expected there.
        expected: ContextKind,
    },
    /// A symlink (Daytona's runner turns symlinks into empty files).
    Symlink,
    /// A socket, FIFO or device; the text names which, with an article ("a socket").
    Special(&'static str),
    /// A name that is not UTF-8.
    NonUtf8Name,
    /// A file that cannot be opened or a directory that cannot be listed.
    Unreadable(io::ErrorKind),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        let message = match self.kind {
            ProblemKind::Missing { expected: Some(expected) } => format!(
                "`{path}` does not exist ({} is expected); create it, or fix the path (it is relative to the \
                 crate directory)",
                article(expected)
            ),
            ProblemKind::Missing { expected: None } => format!(
                "`{path}` does not exist; create it, or fix the path (it is relative to the crate directory)"
            ),
            ProblemKind::WrongKind { found, expected } => {
                let fix = match expected {
                    ContextKind::File => "name a file, or copy the directory with `add_local_dir`",
                    ContextKind::Dir => "name a directory, or copy the file with `add_local_file`",
                };
                format!("`{path}` is {found}, but {} is expected; {fix}", article(expected))
            }
            ProblemKind::Symlink => format!(
                "`{path}` is a symlink, and Daytona's runner turns symlinks into empty files; copy the target \
                 into the context instead"
            ),
            ProblemKind::Special(what) => format!(
                "`{path}` is {what}, which a build context cannot hold (only regular files and directories); \
                 remove it or move it out of the context"
            ),
            ProblemKind::NonUtf8Name => format!(
                "`{path}` has a name that is not UTF-8, which Dockerfile paths and context hashes cannot \
                 express; rename it"
            ),
            ProblemKind::Unreadable(kind) => format!(
                "cannot read `{path}` ({kind}); make it readable (`chmod a+rX`), or move it out of the context"
            ),
        };
        f.write_str(&message)
    }
}

impl std::error::Error for Problem {}

impl Problem {
    /// The error [`hash`](super::hash) and [`write_tar`](super::write_tar) return for this
    /// problem: its message, the most fitting error kind, and the problem as inner error.
    pub(crate) fn into_io_error(self) -> io::Error {
        let kind = match self.kind {
            ProblemKind::Missing { .. } => io::ErrorKind::NotFound,
            ProblemKind::Unreadable(kind) => kind,
            ProblemKind::WrongKind { .. }
            | ProblemKind::Symlink
            | ProblemKind::Special(_)
            | ProblemKind::NonUtf8Name => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, self)
    }
}

/// "a file" or "a directory".
fn article(kind: ContextKind) -> &'static str {
    match kind {
        ContextKind::File => "a file",
        ContextKind::Dir => "a directory",
    }
}
