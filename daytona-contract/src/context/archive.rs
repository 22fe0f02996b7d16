//! The archive path: where a context sits in the uploaded tar and how the Dockerfile
//! names it (`docs/daytona-contract.md` §3.1).

use super::PathError;

/// The archive path of a local path as the user wrote it: Python's POSIX
/// `os.path.normpath` (purely lexical), as the Daytona SDKs compute it
/// (`docs/daytona-contract.md` §3.1).
///
/// `//`, `/./` and `a/..` collapse, a trailing `/` is dropped, `./x` becomes `x`, and
/// `.` (the crate directory itself) stays `.`.
///
/// pithy is stricter than the SDKs so that the Dockerfile and the context hashes are the
/// same on every machine:
/// - an empty path is [`PathError::Empty`];
/// - a path starting with `/` is [`PathError::Absolute`], one starting with `~` (also
///   after normalisation) is [`PathError::Home`], and one whose normal form starts with
///   `\` is [`PathError::Backslash`]: the Python SDK strips that from the archive path,
///   which would then no longer name the local file;
/// - a path whose normal form is `..` or starts with `../` is [`PathError::OutsideRoot`].
///
/// ```
/// use daytona_contract::context::{PathError, archive_path};
/// assert_eq!(archive_path("./a/").unwrap(), "a");
/// assert_eq!(archive_path("a//b/./c/../d").unwrap(), "a/b/d");
/// assert_eq!(archive_path(".").unwrap(), ".");
/// assert!(matches!(archive_path("/etc"), Err(PathError::Absolute { .. })));
/// assert!(matches!(archive_path("a/../../b"), Err(PathError::OutsideRoot { .. })));
/// ```
pub fn archive_path(local: &str) -> Result<String, PathError> {
    if local.is_empty() {
        return Err(PathError::Empty);
    }
    let owned = || local.to_owned();
    if local.starts_with('/') {
        return Err(PathError::Absolute { local: owned() });
    }
    let normal = normpath(local);
    if local.starts_with('~') || normal.starts_with('~') {
        return Err(PathError::Home { local: owned() });
    }
    if normal.starts_with('\\') {
        return Err(PathError::Backslash { local: owned() });
    }
    if normal == ".." || normal.starts_with("../") {
        return Err(PathError::OutsideRoot { local: owned() });
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

    /// The variant's name, so one table lists every case.
    fn error(local: &str) -> &'static str {
        match archive_path(local).expect_err("invalid path") {
            PathError::Empty => "empty",
            PathError::Absolute { .. } => "absolute",
            PathError::Home { .. } => "home",
            PathError::Backslash { .. } => "backslash",
            PathError::OutsideRoot { .. } => "outside",
        }
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
        assert_eq!(error(""), "empty");
        assert_eq!(error("/etc/hostname"), "absolute");
        assert_eq!(error("//x"), "absolute");
        assert_eq!(error("~/x"), "home");
        assert_eq!(error("~"), "home");
        assert_eq!(error("./~x"), "home");
        assert_eq!(error("\\x"), "backslash");
        assert_eq!(error("./\\x"), "backslash");
        assert_eq!(error(".."), "outside");
        assert_eq!(error("../x"), "outside");
        assert_eq!(error("./../x"), "outside");
        assert_eq!(error("a/../.."), "outside");
        assert_eq!(error("a/../../b/c"), "outside");
        assert_eq!(archive_path("a/../../b").expect_err("outside").local(), "a/../../b");
    }

    #[test]
    fn messages_say_the_fix() {
        let absolute = archive_path("/x").expect_err("absolute").to_string();
        assert!(
            absolute.contains("paths are relative to the crate directory; write \"sandbox/x\""),
            "{absolute}"
        );
        for local in ["", "/x", "~/x", "\\x", "../x"] {
            let message = archive_path(local).expect_err("invalid").to_string();
            let first = message.chars().next().expect("non-empty message");
            assert!(!first.is_uppercase(), "{message}");
            assert!(!message.ends_with('.'), "{message}");
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
