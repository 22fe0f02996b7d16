//! Context rules: which of pithy's rules a local path or a context tree breaks when
//! Daytona cannot carry it. What Daytona can carry, and the message that says the fix,
//! are the contract's ([`context::archive_path`], [`context::scan`] in
//! `daytona-contract`); this module only names the rule.

use std::path::Path;

use crate::Rule;
use crate::context::{self, ContextKind, ContextSummary, Exclude, PathError, Problem, ProblemKind};
use crate::rules::Finding;

/// The archive path of a local path as written ([`context::archive_path`]), or the
/// finding: [`Rule::Empty`] for an empty path, [`Rule::LocalPathAbsolute`] for one that
/// starts with `/`, `~` or `\`, [`Rule::LocalPathOutsideRoot`] for one that leaves the
/// crate directory.
///
/// ```
/// use pj_image::{Rule, rules::context::archive_path};
/// assert_eq!(archive_path("./sandbox/").unwrap(), "sandbox");
/// assert_eq!(archive_path("/etc").unwrap_err().rule, Rule::LocalPathAbsolute);
/// assert_eq!(archive_path("a/../../b").unwrap_err().rule, Rule::LocalPathOutsideRoot);
/// ```
pub fn archive_path(local: &str) -> Result<String, Finding> {
    context::archive_path(local).map_err(|error| Finding::new(path_rule(&error), error.to_string()))
}

/// Checks a context like Daytona can carry it ([`context::scan`]) and reports every
/// problem as a finding: [`Rule::LocalPathMissing`] (missing, or not of the expected
/// kind), [`Rule::ContextSpecialFile`] (a symlink, socket, FIFO or device),
/// [`Rule::ContextNonUtf8Name`], [`Rule::ContextUnreadable`].
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use pj_image::{ContextKind, Rule, rules::context::scan};
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("sandbox"))?;
/// let findings = scan(&dir.path().join("sandbox"), "sandbox", ContextKind::File).unwrap_err();
/// assert_eq!(findings[0].rule, Rule::LocalPathMissing);
/// assert!(findings[0].message.contains("`sandbox` is a directory"));
/// # Ok(())
/// # }
/// ```
pub fn scan(source: &Path, archive: &str, kind: ContextKind) -> Result<ContextSummary, Vec<Finding>> {
    scan_excluding(source, archive, kind, &Exclude::none())
}

/// [`scan`] of what `exclude` leaves in ([`context::scan_excluding`]).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use pj_image::{ContextKind, context::Exclude, rules::context::scan_excluding};
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("app/target"))?;
/// std::fs::write(dir.path().join("app/target/a.o"), "x")?;
/// let summary = scan_excluding(&dir.path().join("app"), "app", ContextKind::Dir, &Exclude::new(["target"]).unwrap());
/// assert_eq!(summary.unwrap().files, 0);
/// # Ok(())
/// # }
/// ```
pub fn scan_excluding(
    source: &Path,
    archive: &str,
    kind: ContextKind,
    exclude: &Exclude,
) -> Result<ContextSummary, Vec<Finding>> {
    context::scan_excluding(source, archive, kind, exclude).map_err(|problems| {
        problems.iter().map(|problem| Finding::new(problem_rule(problem), problem.to_string())).collect()
    })
}

/// What a directory context leaves out: the patterns of `<source>/.dockerignore` (when
/// `dockerignore`), then `exclude`, compiled together; or the finding
/// ([`Rule::ContextExclude`]) with the index in `exclude` of the pattern it is about
/// (`None`: the `.dockerignore` file).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use pj_image::{Rule, rules::context::exclusion};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join(".dockerignore"), "# build output\ntarget\n")?;
/// let exclude = exclusion(dir.path(), "app", &["*.log".to_owned()], true).unwrap();
/// assert_eq!(exclude.patterns(), ["target", "*.log"]);
/// let (at, finding) = exclusion(dir.path(), "app", &["ok".into(), "[".into()], false).unwrap_err();
/// assert_eq!((at, finding.rule), (Some(1), Rule::ContextExclude));
/// # Ok(())
/// # }
/// ```
pub fn exclusion(
    source: &Path,
    archive: &str,
    exclude: &[String],
    dockerignore: bool,
) -> Result<Exclude, (Option<usize>, Finding)> {
    let mut compiled = Exclude::none();
    if dockerignore {
        let file = source.join(".dockerignore");
        let shown = format!("{archive}/.dockerignore");
        let text = std::fs::read_to_string(&file).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                format!("`{shown}` does not exist; create it, or set `dockerignore: false`")
            } else {
                format!(
                    "cannot read `{shown}` ({e}); make it a readable UTF-8 file, or set `dockerignore: false`"
                )
            };
            (None, Finding::new(Rule::ContextExclude, why))
        })?;
        for line in Exclude::dockerignore_patterns(&text) {
            compiled.add(&line).map_err(|e| {
                (
                    None,
                    Finding::new(Rule::ContextExclude, format!("in `{shown}`: {e}; fix or remove that line")),
                )
            })?;
        }
    }
    for (at, pattern) in exclude.iter().enumerate() {
        compiled
            .add(pattern)
            .map_err(|e| (Some(at), Finding::new(Rule::ContextExclude, format!("{e}; fix or remove it"))))?;
    }
    Ok(compiled)
}

/// The rule an archive-path error breaks.
fn path_rule(error: &PathError) -> Rule {
    match error {
        PathError::Empty => Rule::Empty,
        PathError::Absolute { .. } | PathError::Home { .. } | PathError::Backslash { .. } => {
            Rule::LocalPathAbsolute
        }
        PathError::OutsideRoot { .. } => Rule::LocalPathOutsideRoot,
    }
}

/// The rule a context problem breaks.
fn problem_rule(problem: &Problem) -> Rule {
    match problem.kind {
        ProblemKind::Missing { .. } | ProblemKind::WrongKind { .. } => Rule::LocalPathMissing,
        ProblemKind::Symlink | ProblemKind::Special(_) => Rule::ContextSpecialFile,
        ProblemKind::NonUtf8Name => Rule::ContextNonUtf8Name,
        ProblemKind::Unreadable(_) => Rule::ContextUnreadable,
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    fn rule(local: &str) -> Rule {
        archive_path(local).expect_err("invalid path").rule
    }

    #[test]
    fn archive_path_rules() {
        assert_eq!(rule(""), Rule::Empty);
        assert_eq!(rule("/etc/hostname"), Rule::LocalPathAbsolute);
        assert_eq!(rule("//x"), Rule::LocalPathAbsolute);
        assert_eq!(rule("~/x"), Rule::LocalPathAbsolute);
        assert_eq!(rule("~"), Rule::LocalPathAbsolute);
        assert_eq!(rule("./~x"), Rule::LocalPathAbsolute);
        assert_eq!(rule("\\x"), Rule::LocalPathAbsolute);
        assert_eq!(rule("./\\x"), Rule::LocalPathAbsolute);
        assert_eq!(rule(".."), Rule::LocalPathOutsideRoot);
        assert_eq!(rule("../x"), Rule::LocalPathOutsideRoot);
        assert_eq!(rule("./../x"), Rule::LocalPathOutsideRoot);
        assert_eq!(rule("a/../.."), Rule::LocalPathOutsideRoot);
        assert_eq!(rule("a/../../b/c"), Rule::LocalPathOutsideRoot);
        assert_eq!(archive_path("./a//b/").as_deref(), Ok("a/b"));
    }

    #[test]
    fn archive_path_messages_are_the_contracts() {
        // The message text is the contract's; the finding keeps it whole.
        let absolute = archive_path("/x").expect_err("absolute");
        assert_eq!(
            absolute.message,
            "`/x` is absolute, so it would only exist on this machine; paths are relative to the crate \
             directory; write \"sandbox/x\""
        );
    }

    #[test]
    fn every_problem_kind_has_its_rule() {
        let at = |kind| Problem { path: "sandbox/x".into(), kind };
        for (kind, rule) in [
            (ProblemKind::Missing { expected: None }, Rule::LocalPathMissing),
            (ProblemKind::Missing { expected: Some(ContextKind::Dir) }, Rule::LocalPathMissing),
            (
                ProblemKind::WrongKind { found: "a directory", expected: ContextKind::File },
                Rule::LocalPathMissing,
            ),
            (ProblemKind::Symlink, Rule::ContextSpecialFile),
            (ProblemKind::Special("a FIFO"), Rule::ContextSpecialFile),
            (ProblemKind::NonUtf8Name, Rule::ContextNonUtf8Name),
            (ProblemKind::Unreadable(io::ErrorKind::PermissionDenied), Rule::ContextUnreadable),
        ] {
            assert_eq!(problem_rule(&at(kind)), rule, "{kind:?}");
        }
    }

    #[test]
    fn scan_findings_keep_the_contracts_messages() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("sandbox")).expect("mkdir");
        std::fs::write(dir.path().join("sandbox/a.txt"), "a").expect("write");
        let findings =
            scan(&dir.path().join("sandbox"), "sandbox", ContextKind::File).expect_err("a directory");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, Rule::LocalPathMissing);
        assert_eq!(
            findings[0].message,
            "`sandbox` is a directory, but a file is expected; name a file, or copy the directory with \
             `add_local_dir`"
        );
        let missing = scan(&dir.path().join("nope"), "nope", ContextKind::Dir).expect_err("missing");
        assert_eq!(missing[0].rule, Rule::LocalPathMissing);
        assert_eq!(
            scan(&dir.path().join("sandbox"), "sandbox", ContextKind::Dir),
            Ok(ContextSummary { files: 1, bytes: 1 })
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_a_special_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("real.txt"), "a").expect("write");
        std::os::unix::fs::symlink("real.txt", dir.path().join("link.txt")).expect("symlink");
        let findings =
            scan(&dir.path().join("link.txt"), "link.txt", ContextKind::File).expect_err("symlink");
        assert_eq!(findings[0].rule, Rule::ContextSpecialFile);
        assert!(findings[0].message.starts_with("`link.txt` is a symlink"), "{findings:?}");
    }
}
