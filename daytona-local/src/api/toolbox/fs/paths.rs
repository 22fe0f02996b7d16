//! Paths the way Daytona's daemon (Go, `path/filepath` on Linux) shapes them in its answers:
//! `Clean`, `Join`, `Base`, `Dir`, `Abs`. The server never resolves a path itself: the
//! container does (relative to the sandbox's working directory); these only spell the
//! answers (`FileInfo.path`, search results) as the daemon would.

/// Go's `filepath.Clean`: the shortest equivalent path, lexically.
pub(super) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                // `..` above the root is the root; above a relative start it stays.
                _ if rooted => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Join(a, b)`: the non-empty elements joined, then cleaned.
pub(super) fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

/// Go's `filepath.Base`: the last element (`"."` for an empty path, `"/"` for the root).
pub(super) fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_owned();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_owned()
}

/// Go's `filepath.Dir`: everything but the last element, cleaned.
pub(super) fn dir(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => clean(&path[..=i]),
        None => ".".to_owned(),
    }
}

/// Go's `filepath.Abs` with `cwd` as the working directory.
pub(super) fn abs(cwd: &str, path: &str) -> String {
    if path.starts_with('/') { clean(path) } else { join(cwd, path) }
}

/// `path` as an argument a command cannot take for an option: a relative path that starts
/// with `-` gets `./` before it (the same file). Scripts also put `--` before paths where
/// the command knows it; `find` and `tar` do not, so this is for them.
pub(super) fn arg(path: &str) -> String {
    if path.starts_with('-') { format!("./{path}") } else { path.to_owned() }
}

/// The directories `mkdir` makes for `path`, outermost first (Go's `MkdirAll` makes each
/// missing one with the same mode).
pub(super) fn ancestors_and_self(path: &str) -> Vec<String> {
    let cleaned = clean(path);
    let rooted = cleaned.starts_with('/');
    let mut out = Vec::new();
    let mut current = String::new();
    for part in cleaned.split('/').filter(|p| !p.is_empty()) {
        current = match (current.is_empty(), rooted) {
            (true, true) => format!("/{part}"),
            (true, false) => part.to_owned(),
            (false, _) => format!("{current}/{part}"),
        };
        if part != "." && part != ".." {
            out.push(current.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_is_gos() {
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("a/b/../c", "a/c"),
            ("/../a", "/a"),
            ("../../a", "../../a"),
            ("a/../..", ".."),
            ("./a//b/", "a/b"),
            ("//x", "/x"),
            ("a/./b/.", "a/b"),
        ] {
            assert_eq!(clean(input), want, "{input:?}");
        }
    }

    #[test]
    fn base_dir_join_abs_are_gos() {
        assert_eq!(base(""), ".");
        assert_eq!(base("/"), "/");
        assert_eq!(base("a/b/"), "b");
        assert_eq!(base("name with space"), "name with space");
        assert_eq!(dir("a"), ".");
        assert_eq!(dir("/a"), "/");
        assert_eq!(dir("a/b/"), "a/b");
        assert_eq!(dir("/x/y/z.txt"), "/x/y");
        assert_eq!(join("dir/", "a"), "dir/a");
        assert_eq!(join("", "a"), "a");
        assert_eq!(abs("/home/u", "x/../y"), "/home/u/y");
        assert_eq!(abs("/home/u", "/etc//passwd"), "/etc/passwd");
    }

    #[test]
    fn arguments_never_read_as_options() {
        assert_eq!(arg("-rf"), "./-rf");
        assert_eq!(arg("/-rf"), "/-rf");
        assert_eq!(arg("a -b"), "a -b");
    }

    #[test]
    fn mkdir_all_makes_each_level() {
        assert_eq!(ancestors_and_self("/a/b/c"), ["/a", "/a/b", "/a/b/c"]);
        assert_eq!(ancestors_and_self("x/y/"), ["x", "x/y"]);
        assert_eq!(ancestors_and_self("../x"), ["../x"]);
        assert!(ancestors_and_self("/").is_empty());
    }
}
