//! `apt_install` packages: Debian package names, with an optional version,
//! architecture or release, and nothing the shell would read as syntax.
//!
//! ```
//! use pj_image::{Rule, rules::apt};
//! assert!(apt::check_package("python3-venv").is_ok());
//! assert!(apt::check_package("git=1:2.39.5-0+deb12u1").is_ok());
//! assert_eq!(apt::check_package("-y").unwrap_err().rule, Rule::AptPackage);
//! ```

use super::Finding;
use crate::Rule;

/// Checks one `apt_install` element: `name[:arch][=version | /release]`.
///
/// - the name follows Debian policy §5.6.1: lowercase letters, digits, `+`, `-`, `.`,
///   at least two characters, starting with a letter or digit;
/// - a version is `[epoch:]upstream[-revision]` of `A-Za-z0-9.+~:-`, starting with a
///   digit; an architecture is `a-z0-9-`; a release (`bookworm-backports`) is
///   `A-Za-z0-9.+~-`;
/// - options (`-y`, `--no-install-recommends`) and shell syntax (blanks, `;`, `&`,
///   `|`, `$`, quotes, ...) are refused: `apt_install` writes the options itself and
///   each package is one element.
///
/// An empty element is [`Rule::Empty`]; everything else is [`Rule::AptPackage`].
///
/// ```
/// use pj_image::rules::apt;
/// assert!(apt::check_package("libc6:amd64").is_ok());
/// assert!(apt::check_package("git/bookworm-backports").is_ok());
/// assert!(apt::check_package("git curl").unwrap_err().message.contains("one element per package"));
/// assert!(apt::check_package("Git").is_err());
/// assert!(apt::check_package("git=latest").is_err());
/// ```
pub fn check_package(package: &str) -> Result<(), Finding> {
    if package.trim().is_empty() {
        return Err(Finding::new(
            Rule::Empty,
            format!("empty apt package {package:?}; write a package name like \"git\", or remove it"),
        ));
    }
    let bad = |why: String| Err(Finding::new(Rule::AptPackage, why));
    if package.starts_with('-') {
        return bad(format!(
            "apt package {package:?} is an option; apt_install already runs apt-get install -y \
             --no-install-recommends, so list package names only"
        ));
    }
    let special = |c: &char| !(c.is_ascii_alphanumeric() || c.is_whitespace() || "+.-~:=/".contains(*c));
    if let Some(c) = package.chars().find(special) {
        return bad(format!(
            "apt package {package:?} holds {c:?}, which is not part of a Debian package name and which the \
             shell could read as syntax; list package names only, like \"git\" or \"git=1:2.39.5-0+deb12u1\""
        ));
    }
    if package.chars().any(char::is_whitespace) {
        return bad(format!(
            "apt package {package:?} holds a blank; write one element per package, e.g. [\"git\", \"curl\"]"
        ));
    }
    let (head, version, release) = match package.find(['=', '/']) {
        Some(i) if package[i..].starts_with('=') => (&package[..i], Some(&package[i + 1..]), None),
        Some(i) => (&package[..i], None, Some(&package[i + 1..])),
        None => (package, None, None),
    };
    let (name, arch) = match head.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (head, None),
    };
    let name_ok = name.len() >= 2
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-".contains(c));
    if !name_ok {
        return bad(format!(
            "apt package {package:?}: {name:?} is not a Debian package name; names are lowercase letters, \
             digits, `+`, `-` and `.`, at least 2 characters, starting with a letter or digit, e.g. \"git\""
        ));
    }
    if let Some(arch) = arch
        && (arch.is_empty()
            || !arch.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    {
        return bad(format!(
            "apt package {package:?} has an invalid architecture {arch:?}; write e.g. {name}:amd64 or {name}:arm64"
        ));
    }
    if let Some(version) = version {
        let ok = version.starts_with(|c: char| c.is_ascii_digit())
            && version.chars().all(|c| c.is_ascii_alphanumeric() || ".+~:-".contains(c));
        if !ok {
            return bad(format!(
                "apt package {package:?} has an invalid version {version:?}; a Debian version is \
                 [epoch:]upstream[-revision] and starts with a digit, e.g. {name}=1:2.39.5-0+deb12u1"
            ));
        }
    }
    if let Some(release) = release {
        let ok =
            !release.is_empty() && release.chars().all(|c| c.is_ascii_alphanumeric() || ".+~-".contains(c));
        if !ok {
            return bad(format!(
                "apt package {package:?} has an invalid release {release:?}; write e.g. {name}/bookworm-backports"
            ));
        }
    }
    Ok(())
}

/// The package name of a valid element, without version, architecture or release.
pub(crate) fn name(package: &str) -> &str {
    let end = package.find([':', '=', '/']).unwrap_or(package.len());
    &package[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(p: &str) -> Option<Rule> {
        check_package(p).err().map(|f| f.rule)
    }

    #[test]
    fn accepts_debian_names_and_suffixes() {
        for ok in [
            "git",
            "g++",
            "python3.11-venv",
            "libstdc++6",
            "0ad",
            "ca-certificates",
            "git=1:2.39.5-0+deb12u1",
            "curl=7.88.1-10+deb12u8",
            "pkg=1.0~rc1",
            "libc6:amd64",
            "libc6:arm64=2.36-9",
            "git/bookworm-backports",
        ] {
            assert_eq!(rule(ok), None, "{ok}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "-y",
            "--no-install-recommends",
            "git curl",
            "git\tcurl",
            "git;rm",
            "git&&x",
            "a|b",
            "$PKG",
            "\"git\"",
            "'git'",
            "git`x`",
            "Git",
            "g",
            "+git",
            ".git",
            "git_lfs",
            "git=",
            "git=latest",
            "git=v1",
            "git:",
            "git:AMD64",
            "git/",
            "git/a/b",
            "gít",
            "*",
            "git*",
        ] {
            assert_eq!(rule(bad), Some(Rule::AptPackage), "{bad:?}");
        }
        assert_eq!(rule(""), Some(Rule::Empty));
        assert_eq!(rule("  "), Some(Rule::Empty));
    }

    #[test]
    fn names_without_suffixes() {
        assert_eq!(name("git=1:2"), "git");
        assert_eq!(name("libc6:amd64"), "libc6");
        assert_eq!(name("git/bookworm-backports"), "git");
        assert_eq!(name("python3-venv"), "python3-venv");
    }
}
