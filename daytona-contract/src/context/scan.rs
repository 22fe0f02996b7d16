//! Checking a context before it is hashed and archived.

use std::fs::{self, File};
use std::path::Path;

use super::walk::{NodeKind, Unfit, Walk, describe, display_path, is_missing};
use super::{ContextKind, ContextSummary, Exclude, Problem, ProblemKind};

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
    scan_excluding(source, archive, kind, &Exclude::none())
}

/// [`scan`] of what is left once `exclude` leaves entries out: an excluded entry is
/// neither counted nor checked (a socket under an excluded `target/` is fine).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use daytona_contract::context::{ContextKind, ContextSummary, Exclude, scan_excluding};
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("app/target"))?;
/// std::fs::write(dir.path().join("app/main.py"), "print()\n")?;
/// std::fs::write(dir.path().join("app/target/big.bin"), vec![0; 4096])?;
/// let exclude = Exclude::new(["target"]).unwrap();
/// let summary = scan_excluding(&dir.path().join("app"), "app", ContextKind::Dir, &exclude);
/// assert_eq!(summary, Ok(ContextSummary { files: 1, bytes: 8 }));
/// # Ok(())
/// # }
/// ```
pub fn scan_excluding(
    source: &Path,
    archive: &str,
    kind: ContextKind,
    exclude: &Exclude,
) -> Result<ContextSummary, Vec<Problem>> {
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
    for item in Walk::new(source, exclude) {
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

/// The `n` largest regular files of a context (less what `exclude` leaves out), largest
/// first, each named relative to the crate directory, e.g. to say what makes a context
/// too large. Entries the walk cannot read are skipped ([`scan`] reports them).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use daytona_contract::context::{Exclude, largest_files};
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("app"))?;
/// std::fs::write(dir.path().join("app/big.bin"), vec![0; 300])?;
/// std::fs::write(dir.path().join("app/small.txt"), "x")?;
/// let top = largest_files(&dir.path().join("app"), "app", &Exclude::none(), 1);
/// assert_eq!(top, [("app/big.bin".to_owned(), 300)]);
/// # Ok(())
/// # }
/// ```
pub fn largest_files(source: &Path, archive: &str, exclude: &Exclude, n: usize) -> Vec<(String, u64)> {
    let mut files: Vec<(String, u64)> = Walk::new(source, exclude)
        .flatten()
        .filter(|node| node.kind == NodeKind::File)
        .filter_map(|node| Some((display_path(archive, &node.rel), fs::metadata(&node.path).ok()?.len())))
        .collect();
    files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    files.truncate(n);
    files
}

/// What `exclude` leaves out of the directory `source`: the regular files in excluded
/// entries (below an excluded directory, all of them), counted and sized, e.g. for a
/// dry run to show what an upload saves. Entries that could not be uploaded anyway
/// (symlinks, unreadable ones) are skipped, not reported.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use daytona_contract::context::{ContextSummary, Exclude, excluded};
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("target/debug"))?;
/// std::fs::write(dir.path().join("target/debug/app"), vec![0; 100])?;
/// std::fs::write(dir.path().join("main.rs"), "fn main() {}\n")?;
/// let left_out = excluded(dir.path(), &Exclude::new(["target"]).unwrap());
/// assert_eq!(left_out, ContextSummary { files: 1, bytes: 100 });
/// # Ok(())
/// # }
/// ```
pub fn excluded(source: &Path, exclude: &Exclude) -> ContextSummary {
    let mut summary = ContextSummary::default();
    if exclude.is_empty() {
        return summary;
    }
    for node in Walk::new(source, &Exclude::none()).flatten() {
        // The walk with `exclude` skips an entry that is excluded or below an excluded
        // directory; the same test, prefix by prefix.
        let mut prefix = String::new();
        let left_out = node.rel.split('/').any(|part| {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            exclude.excludes(&prefix)
        });
        if left_out && node.kind == NodeKind::File {
            summary.files += 1;
            summary.bytes =
                summary.bytes.saturating_add(fs::metadata(&node.path).map(|m| m.len()).unwrap_or(0));
        }
    }
    summary
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
