//! Checking a context before it is hashed and archived.

use std::fs::{self, File};
use std::path::Path;

use crate::Rule;
use crate::rules::Finding;

use super::walk::{NodeKind, Problem, ProblemKind, Walk, describe, is_missing};
use super::{ContextKind, ContextSummary};

/// Checks the context at `source` (absolute; `archive` is its [archive
/// path](super::archive_path), used to name paths in messages) and reports every problem
/// at once, in walk order:
/// - [`Rule::LocalPathMissing`]: `source` does not exist, or is a directory where a file
///   is expected (or the reverse);
/// - [`Rule::ContextSpecialFile`]: a symlink anywhere, `source` included (Daytona's runner
///   turns symlinks into empty files), or a socket, FIFO or device;
/// - [`Rule::ContextNonUtf8Name`]: a file or directory name that is not UTF-8;
/// - [`Rule::ContextUnreadable`]: a file that cannot be opened or a directory that cannot
///   be listed.
///
/// Messages name paths relative to the crate directory (`sandbox/data/link.txt`). On
/// success, returns the number of regular files and their total size.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use pj_image::context::{ContextKind, ContextSummary, scan};
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("sandbox/data"))?;
/// std::fs::write(dir.path().join("sandbox/data/a.txt"), "hello\n")?;
/// let summary = scan(&dir.path().join("sandbox"), "sandbox", ContextKind::Dir);
/// assert_eq!(summary, Ok(ContextSummary { files: 1, bytes: 6 }));
///
/// let errors = scan(&dir.path().join("sandbox"), "sandbox", ContextKind::File).unwrap_err();
/// assert_eq!(errors[0].rule, pj_image::Rule::LocalPathMissing);
/// assert!(errors[0].message.contains("`sandbox` is a directory"));
/// # Ok(())
/// # }
/// ```
pub fn scan(source: &Path, archive: &str, kind: ContextKind) -> Result<ContextSummary, Vec<Finding>> {
    let expected = match kind {
        ContextKind::File => "a file",
        ContextKind::Dir => "a directory",
    };
    match fs::symlink_metadata(source) {
        Err(error) if is_missing(&error) => {
            return Err(vec![Finding::new(
                Rule::LocalPathMissing,
                format!(
                    "`{archive}` does not exist ({expected} is expected); create it, or fix the \
                     path (it is relative to the crate directory)"
                ),
            )]);
        }
        // Anything else (unreadable, special) is reported by the walk.
        Err(_) => {}
        Ok(metadata) => {
            let file_type = metadata.file_type();
            let wrong = match kind {
                ContextKind::File => file_type.is_dir(),
                ContextKind::Dir => file_type.is_file(),
            };
            if wrong {
                let fix = match kind {
                    ContextKind::File => "name a file, or copy the directory with `add_local_dir`",
                    ContextKind::Dir => "name a directory, or copy the file with `add_local_file`",
                };
                return Err(vec![Finding::new(
                    Rule::LocalPathMissing,
                    format!("`{archive}` is {}, but {expected} is expected; {fix}", describe(file_type)),
                )]);
            }
        }
    }

    let mut summary = ContextSummary::default();
    let mut findings = Vec::new();
    for item in Walk::new(source) {
        match item {
            Ok(node) if node.kind == NodeKind::File => {
                let opened = File::open(&node.path).and_then(|file| file.metadata());
                match opened {
                    Ok(metadata) => {
                        summary.files += 1;
                        summary.bytes = summary.bytes.saturating_add(metadata.len());
                    }
                    Err(error) => findings.push(
                        Problem { rel: node.rel, kind: ProblemKind::Unreadable(error) }.into_finding(archive),
                    ),
                }
            }
            Ok(_) => {}
            Err(problem) => findings.push(problem.into_finding(archive)),
        }
    }
    if findings.is_empty() { Ok(summary) } else { Err(findings) }
}
