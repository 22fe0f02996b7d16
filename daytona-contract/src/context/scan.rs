//! Checking a context before it is hashed and archived.

use std::fs::{self, File};
use std::path::Path;

use super::walk::{NodeKind, Unfit, Walk, describe, is_missing};
use super::{ContextKind, ContextSummary, Problem, ProblemKind};

/// Checks the context at `source` (absolute; `archive` is its [archive
/// path](super::archive_path), used to name paths in messages) and reports every problem
/// at once, in walk order:
/// - [`ProblemKind::Missing`], [`ProblemKind::WrongKind`]: `source` does not exist, or is
///   a directory where a file is expected (or the reverse); nothing else is reported then;
/// - [`ProblemKind::Symlink`], [`ProblemKind::Special`]: a symlink anywhere, `source`
///   and the directories of its archive path included (`sandbox` for `sandbox/data`: a
///   link there could lead out of the crate; Daytona's runner turns symlinks into empty
///   files), or a socket, FIFO or device;
/// - [`ProblemKind::NonUtf8Name`]: a file or directory name that is not UTF-8;
/// - [`ProblemKind::Unreadable`]: a file that cannot be opened or a directory that cannot
///   be listed.
///
/// Messages name paths relative to the crate directory (`sandbox/data/link.txt`). On
/// success, returns the number of regular files and their total size.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use daytona_contract::context::{ContextKind, ContextSummary, ProblemKind, scan};
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("sandbox/data"))?;
/// std::fs::write(dir.path().join("sandbox/data/a.txt"), "hello\n")?;
/// let summary = scan(&dir.path().join("sandbox"), "sandbox", ContextKind::Dir);
/// assert_eq!(summary, Ok(ContextSummary { files: 1, bytes: 6 }));
///
/// let errors = scan(&dir.path().join("sandbox"), "sandbox", ContextKind::File).unwrap_err();
/// assert!(matches!(errors[0].kind, ProblemKind::WrongKind { expected: ContextKind::File, .. }));
/// assert!(errors[0].to_string().contains("`sandbox` is a directory"));
/// # Ok(())
/// # }
/// ```
pub fn scan(source: &Path, archive: &str, kind: ContextKind) -> Result<ContextSummary, Vec<Problem>> {
    if let Some(problem) = symlinked_parent(source, archive) {
        return Err(vec![problem]);
    }
    let at = |kind| vec![Problem { path: archive.to_owned(), kind }];
    match fs::symlink_metadata(source) {
        Err(error) if is_missing(&error) => {
            return Err(at(ProblemKind::Missing { expected: Some(kind) }));
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
                return Err(at(ProblemKind::WrongKind { found: describe(file_type), expected: kind }));
            }
        }
    }

    let mut summary = ContextSummary::default();
    let mut problems = Vec::new();
    for item in Walk::new(source) {
        match item {
            Ok(node) if node.kind == NodeKind::File => {
                let opened = File::open(&node.path).and_then(|file| file.metadata());
                match opened {
                    Ok(metadata) => {
                        summary.files += 1;
                        summary.bytes = summary.bytes.saturating_add(metadata.len());
                    }
                    Err(error) => problems.push(
                        Unfit { rel: node.rel, kind: ProblemKind::Unreadable(error.kind()) }.at(archive),
                    ),
                }
            }
            Ok(_) => {}
            Err(unfit) => problems.push(unfit.at(archive)),
        }
    }
    if problems.is_empty() { Ok(summary) } else { Err(problems) }
}

/// The first directory of the archive path above `source` that is a symlink (`sandbox`
/// for `sandbox/data` when `sandbox` links elsewhere), reported before anything else: the
/// archive path is lexically inside the crate, the files it reaches through a link need
/// not be.
fn symlinked_parent(source: &Path, archive: &str) -> Option<Problem> {
    if archive == "." || archive.is_empty() {
        return None;
    }
    let parts: Vec<&str> = archive.split('/').collect();
    let mut dir = source.to_path_buf();
    for _ in &parts {
        dir.pop();
    }
    let mut rel = String::new();
    for part in parts.iter().take(parts.len() - 1) {
        dir.push(part);
        if !rel.is_empty() {
            rel.push('/');
        }
        rel.push_str(part);
        if fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(Problem { path: rel, kind: ProblemKind::Symlink });
        }
    }
    None
}
