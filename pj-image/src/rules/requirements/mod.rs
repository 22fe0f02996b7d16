//! A pip requirements file, checked line by line the way pip reads it (comments,
//! `\` continuations, `-r`/`-c` includes followed recursively), with every requirement
//! checked by [`pip::check_requirement`](super::pip::check_requirement).
//!
//! ```
//! use pj_image::rules::requirements;
//! let dir = std::env::temp_dir().join(format!("pj-req-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("requirements.txt"), "numpy==1.26.4\ntorch>=2\n").unwrap();
//! let check = requirements::check_file(&dir.join("requirements.txt"), "sandbox/requirements.txt");
//! assert_eq!(
//!     check.findings[0].message,
//!     "sandbox/requirements.txt:2: pip package \"torch>=2\" is not pinned; write torch==<version>",
//! );
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::path::{Path, PathBuf};

use super::Finding;
use crate::Rule;

use checks::Walker;
use reader::{Kind, Problem, read};

// Two parts: `reader` reads a file the way pip does (encoding, lines, `\` continuations,
// comments, option parsing); `checks` checks what it read and follows the includes.
mod checks;
mod reader;
#[cfg(test)]
mod tests;

/// A `-r`/`-c` line of the top-level requirements file.
///
/// ```
/// use pj_image::rules::requirements::Include;
/// let include = Include { directive: "-r".into(), target: "base.txt".into(), line: 1 };
/// assert_eq!(include.directive, "-r");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// `"-r"` (also for `--requirement`) or `"-c"` (also for `--constraint`).
    pub directive: String,
    /// The file name as written.
    pub target: String,
    /// The (first physical) line number, from 1.
    pub line: usize,
}

impl Include {
    /// Whether the image lacks the file this include names when pip runs: Daytona
    /// copies only the requirements file `path` (to `/.requirements.txt`), so an
    /// include must name a file copied before (`copied`: remote paths) or be inlined.
    pub(crate) fn missing_in_image(&self, path: &str, copied: &[String]) -> Option<Finding> {
        let target = self.target.trim_start_matches("./");
        let in_image = if target.starts_with('/') { target.to_owned() } else { format!("/{target}") };
        if copied.contains(&in_image) {
            return None;
        }
        Some(Finding::new(
            Rule::RequirementsFile,
            format!(
                "{path}:{}: `{} {}` names a file the image does not have: Daytona copies only {path} \
                 (to /.requirements.txt), so pip looks for {in_image}; inline its lines, or copy it first \
                 with .add_local_file(\"<path>\", {in_image:?})",
                self.line, self.directive, self.target
            ),
        ))
    }
}

/// What [`check_file`] found.
///
/// ```
/// use pj_image::rules::requirements::RequirementsCheck;
/// let check = RequirementsCheck::default();
/// assert!(check.findings.is_empty() && check.files.is_empty() && check.includes.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequirementsCheck {
    /// Every problem, each message prefixed with `file:line: ` (except for a missing
    /// top-level file).
    pub findings: Vec<Finding>,
    /// Every file read, absolute, in read order, without duplicates.
    pub files: Vec<PathBuf>,
    /// The `-r`/`-c` lines of the top-level file only, including ones that could not be followed.
    pub includes: Vec<Include>,
}

/// Checks the requirements file at `path` (absolute) and the files it includes.
/// `display` names it in messages, e.g. `sandbox/requirements.txt`; included files are
/// named relative to it.
///
/// - Requirement lines: per-requirement `--hash=<alg>:<hex>` options are checked (sha256,
///   sha384, sha512 with 64, 96, 128 hex digits), the rest by
///   [`pip::check_requirement`](super::pip::check_requirement), whose rule is kept.
/// - `-r`/`--requirement` and `-c`/`--constraint` are followed, relative to the including
///   file; constraint files need valid PEP 508 but no pins.
/// - `-i`/`--index-url`, `--extra-index-url`, `-f`/`--find-links`, `--pre`, `--no-binary`,
///   `--only-binary`, `--prefer-binary`, `--require-hashes`, `--trusted-host` and `--no-index`
///   are accepted; `-e`/`--editable` and any other option are [`Rule::RequirementsFile`].
/// - Missing, unreadable, non-UTF-8 and cyclic files are [`Rule::RequirementsFile`].
///
/// ```
/// use pj_image::{Rule, rules::requirements};
/// let check = requirements::check_file(std::path::Path::new("/nonexistent/req.txt"), "req.txt");
/// assert_eq!(check.findings[0].rule, Rule::RequirementsFile);
/// assert!(check.findings[0].message.starts_with("requirements file \"req.txt\" does not exist"));
/// ```
pub fn check_file(path: &Path, display: &str) -> RequirementsCheck {
    let file = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut walker = Walker::default();
    match read(&file) {
        Ok(bytes) => walker.check_bytes(&file, display, Kind::Requirements, &bytes),
        Err(problem) => {
            let message = match problem {
                Problem::Missing => format!(
                    "requirements file {display:?} does not exist (looked at {}); create it, or fix the path",
                    file.display()
                ),
                Problem::NotFile(what) => format!(
                    "requirements path {display:?} is {what}, not a file (looked at {}); \
                     point it at a requirements file like \"requirements.txt\"",
                    file.display()
                ),
                Problem::Io(e) => format!(
                    "cannot read requirements file {display:?} ({}): {e}; check that it is readable",
                    file.display()
                ),
            };
            walker.finding(Rule::RequirementsFile, message);
        }
    }
    walker.out
}
