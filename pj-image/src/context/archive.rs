//! The archive path: where a context sits in the uploaded tar and how the Dockerfile
//! names it (`docs/daytona-contract.md` §3.1).

use crate::Rule;
use crate::rules::Finding;

/// The archive path of a local path as the user wrote it: Python's POSIX
/// `os.path.normpath` (purely lexical), as the Daytona SDKs compute it
/// (`docs/daytona-contract.md` §3.1).
///
/// `//`, `/./` and `a/..` collapse, a trailing `/` is dropped, `./x` becomes `x`, and
/// `.` (the crate directory itself) stays `.`.
///
/// pithy is stricter than the SDKs so that the Dockerfile and the context hashes are the
/// same on every machine:
/// - an empty path is [`Rule::Empty`];
/// - a path starting with `/` or `~` (also after normalisation) is
///   [`Rule::LocalPathAbsolute`], and so is one whose normal form starts with `\`: the
///   Python SDK strips that from the archive path, which would then no longer name the
///   local file;
/// - a path whose normal form is `..` or starts with `../` is [`Rule::LocalPathOutsideRoot`].
///
/// ```
/// use pj_image::context::archive_path;
/// assert_eq!(archive_path("./a/").unwrap(), "a");
/// assert_eq!(archive_path("a//b/./c/../d").unwrap(), "a/b/d");
/// assert_eq!(archive_path(".").unwrap(), ".");
/// assert_eq!(archive_path("/etc").unwrap_err().rule, pj_image::Rule::LocalPathAbsolute);
/// assert_eq!(archive_path("a/../../b").unwrap_err().rule, pj_image::Rule::LocalPathOutsideRoot);
/// ```
pub fn archive_path(local: &str) -> Result<String, Finding> {
    if local.is_empty() {
        return Err(Finding::new(
            Rule::Empty,
            "the local path is empty; name a file or directory relative to the crate directory, \
             e.g. \"sandbox/x\"",
        ));
    }
    if local.starts_with('/') {
        return Err(Finding::new(
            Rule::LocalPathAbsolute,
            format!(
                "`{local}` is absolute, so it would only exist on this machine; paths are relative \
                 to the crate directory; write \"sandbox/x\""
            ),
        ));
    }
    let normal = normpath(local);
    if local.starts_with('~') || normal.starts_with('~') {
        return Err(Finding::new(
            Rule::LocalPathAbsolute,
            format!(
                "`{local}`: a leading `~` is not expanded, and a home directory only exists on \
                 this machine; paths are relative to the crate directory; write \"sandbox/x\""
            ),
        ));
    }
    if normal.starts_with('\\') {
        return Err(Finding::new(
            Rule::LocalPathAbsolute,
            format!(
                "`{local}` starts with `\\`, which Daytona strips from the archive path (a Windows \
                 path?); paths are relative to the crate directory and use `/`; write \"sandbox/x\""
            ),
        ));
    }
    if normal == ".." || normal.starts_with("../") {
        return Err(Finding::new(
            Rule::LocalPathOutsideRoot,
            format!(
                "`{local}` leaves the crate directory, so the image would depend on files outside \
                 the crate; move them into the crate and write a path inside it, e.g. \"sandbox/x\""
            ),
        ));
    }
    Ok(normal)
}

/// Python's `posixpath.normpath` for a path that does not start with `/`.
fn normpath(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    if parts.is_empty() { ".".to_owned() } else { parts.join("/") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(local: &str) -> String {
        archive_path(local).expect("valid path")
    }

    fn rule(local: &str) -> Rule {
        archive_path(local).expect_err("invalid path").rule
    }

    #[test]
    fn normalises_like_python() {
        // Expected values from CPython 3.11 `posixpath.normpath`.
        for (input, expected) in [
            ("./a/", "a"),
            ("a//b/./c/../d", "a/b/d"),
            (".", "."),
            ("./", "."),
            ("a/..", "."),
            ("a/../b/", "b"),
            ("hashdemo", "hashdemo"),
            ("./hashdemo", "hashdemo"),
            ("hashdemo/", "hashdemo"),
            ("a/b/../../c", "c"),
            ("...", "..."),
            ("a/.../b", "a/.../b"),
            ("..a/b", "..a/b"),
            ("café/ß.txt", "café/ß.txt"),
            ("dir with space//f.txt", "dir with space/f.txt"),
            ("a\\b", "a\\b"),
            ("a/~b", "a/~b"),
        ] {
            assert_eq!(ok(input), expected, "{input:?}");
        }
    }

    #[test]
    fn rejects_empty_absolute_and_outside() {
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
    }

    #[test]
    fn messages_say_the_fix() {
        let absolute = archive_path("/x").expect_err("absolute");
        assert!(
            absolute.message.contains("paths are relative to the crate directory; write \"sandbox/x\""),
            "{absolute}"
        );
        for local in ["", "/x", "~/x", "\\x", "../x"] {
            let finding = archive_path(local).expect_err("invalid");
            let first = finding.message.chars().next().expect("non-empty message");
            assert!(!first.is_uppercase(), "{finding}");
            assert!(!finding.message.ends_with('.'), "{finding}");
        }
    }

    proptest! {
        #[test]
        fn normal_form_is_a_fixed_point(local in "[a./~\\\\]{0,12}") {
            if let Ok(normal) = archive_path(&local) {
                prop_assert_eq!(archive_path(&normal), Ok(normal.clone()));
                prop_assert!(!normal.is_empty());
                prop_assert!(!normal.starts_with('/'));
                prop_assert!(!normal.ends_with('/'));
                prop_assert!(!normal.contains("//"));
                prop_assert!(normal == "." || normal.split('/').all(|c| c != "." && c != ".."));
            }
        }

        #[test]
        fn never_panics(local in "\\PC{0,40}") {
            let _ = archive_path(&local);
        }
    }
}
