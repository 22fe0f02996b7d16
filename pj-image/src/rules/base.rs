//! What well-known official base images provide: a `python` command, pip, whether the
//! distribution's packaged Python is externally managed (PEP 668), and the package
//! manager. The inference rules ([`Rule::PipNeedsPython`](crate::Rule::PipNeedsPython),
//! [`Rule::PipExternallyManaged`](crate::Rule::PipExternallyManaged),
//! [`Rule::PackageManager`](crate::Rule::PackageManager)) start from here; a base not
//! in this table is unknown and gets no inference finding at all.
//!
//! Sources, per repository (the official images on Docker Hub, built from
//! docker-library's definitions):
//!
//! - `ubuntu`, `debian`: the root file systems hold no Python at all (Canonical's and
//!   Debian's minimal `ubuntu-oci` / `debuerreotype` builds); apt is the package
//!   manager. Debian's packaged Python ships `/usr/lib/python3.X/EXTERNALLY-MANAGED`
//!   from Debian 12 bookworm on (python3.11 3.11.2-1, PEP 668), Ubuntu from 23.04 on
//!   (python3.11 in lunar). Debian's `python3` packages give `python3` only; `python`
//!   comes from `python-is-python3` (since Debian 11 and Ubuntu 20.04; older releases
//!   may get a Python 2 `python` from dependencies, so they are left unknown).
//! - `alpine`: apk, no Python. Alpine's `python3` package installs `python` and
//!   `python3`; pip is `py3-pip`; `EXTERNALLY-MANAGED` since Alpine 3.19 (python3
//!   3.11.6-r1). Releases before 3.18 are left unknown.
//! - `busybox`: no package manager and no Python, whatever the tag.
//! - `python`: docker-library/python's `Dockerfile-linux.template` (one template for the
//!   Debian, slim and Alpine variants) builds CPython into `/usr/local`, puts
//!   `/usr/local/bin` first on `PATH`, checks `pip3 --version`, and links `python` to
//!   `python3` ("make some useful symlinks": `ln -svT python3 /usr/local/bin/python`);
//!   that Python has no `EXTERNALLY-MANAGED`. Debian variants use apt, Alpine variants apk.
//!   Windows variants are left unknown.
//!
//! ```
//! use pj_image::rules::base::{self, PackageManager};
//! let ubuntu = base::lookup("ubuntu:22.04").unwrap();
//! assert!(!ubuntu.python && ubuntu.package_manager == PackageManager::Apt);
//! let python = base::lookup("docker.io/library/python:3.12-slim-bookworm").unwrap();
//! assert!(python.python && python.pip);
//! assert!(base::lookup("myorg/img:1").is_none());
//! ```

/// The package manager of a base image.
///
/// ```
/// use pj_image::rules::base::{self, PackageManager};
/// assert_eq!(base::lookup("alpine:3.20").unwrap().package_manager, PackageManager::Apk);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageManager {
    /// `apt-get` / `apt` (Debian, Ubuntu, Debian-based `python` variants).
    Apt,
    /// `apk` (Alpine, Alpine-based `python` variants).
    Apk,
    /// None at all (busybox).
    None,
}

/// What a known base image provides when a build starts from it.
///
/// ```
/// use pj_image::rules::base;
/// let debian = base::lookup("debian:bookworm-slim").unwrap();
/// assert_eq!(debian.repository, "debian");
/// assert!(!debian.python3 && !debian.pip);
/// assert_eq!(debian.packaged_python_externally_managed, Some(true));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Base {
    /// The official repository: `ubuntu`, `debian`, `alpine`, `busybox` or `python`.
    pub repository: &'static str,
    /// A `python` command on `PATH`.
    pub python: bool,
    /// A `python3` command on `PATH`.
    pub python3: bool,
    /// pip for that `python`.
    pub pip: bool,
    /// Whether the distribution's *packaged* Python (what `apt-get install python3` or
    /// `apk add python3` installs) is externally managed; `None` when the tag does not
    /// say which release it is built on.
    pub packaged_python_externally_managed: Option<bool>,
    /// The package manager.
    pub package_manager: PackageManager,
}

/// What the base image `reference` provides, or `None` when pithy does not know it.
///
/// The reference may carry the Docker Hub prefix (`docker.io/`, `docker.io/library/`,
/// `library/`) and a digest: `name:tag@sha256:..` is judged by its tag, and a digest
/// without a tag is unknown.
///
/// ```
/// use pj_image::rules::base;
/// assert!(base::lookup("ubuntu:jammy-20240911.1").is_some());
/// assert!(base::lookup("debian:bookworm-20241111-slim@sha256:0123").is_some());
/// assert!(base::lookup("debian@sha256:0123").is_none());
/// assert!(base::lookup("pj-test-base:1").is_none());
/// ```
pub fn lookup(reference: &str) -> Option<Base> {
    let name_tag = reference.split('@').next()?;
    let slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let colon = name_tag[slash..].rfind(':')? + slash;
    let (name, tag) = (&name_tag[..colon], &name_tag[colon + 1..]);
    let name =
        name.strip_prefix("docker.io/").or_else(|| name.strip_prefix("index.docker.io/")).unwrap_or(name);
    let name = name.strip_prefix("library/").unwrap_or(name);
    match name {
        "ubuntu" => ubuntu(tag),
        "debian" => debian(tag),
        "alpine" => alpine(tag),
        "busybox" if !tag.is_empty() => Some(Base {
            repository: "busybox",
            python: false,
            python3: false,
            pip: false,
            packaged_python_externally_managed: None,
            package_manager: PackageManager::None,
        }),
        "python" => python(tag),
        _ => None,
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn distro(repository: &'static str, externally_managed: bool, package_manager: PackageManager) -> Base {
    Base {
        repository,
        python: false,
        python3: false,
        pip: false,
        packaged_python_externally_managed: Some(externally_managed),
        package_manager,
    }
}

/// Ubuntu codenames and their versions (`YYMM`), from focal on.
const UBUNTU: &[(&str, u32)] = &[
    ("focal", 2004),
    ("groovy", 2010),
    ("hirsute", 2104),
    ("impish", 2110),
    ("jammy", 2204),
    ("kinetic", 2210),
    ("lunar", 2304),
    ("mantic", 2310),
    ("noble", 2404),
    ("oracular", 2410),
    ("plucky", 2504),
    ("questing", 2510),
];

/// `22.04`, `jammy`, `jammy-20240911.1`.
fn ubuntu(tag: &str) -> Option<Base> {
    let version = match tag.split_once('.') {
        Some((yy, mm)) if yy.len() == 2 && mm.len() == 2 && digits(yy) && digits(mm) => {
            yy.parse::<u32>().ok()? * 100 + mm.parse::<u32>().ok()?
        }
        _ => {
            let (codename, date) = tag.split_once('-').unwrap_or((tag, ""));
            let date_ok = date.is_empty() || {
                let (day, build) = date.split_once('.').unwrap_or((date, "0"));
                day.len() == 8 && digits(day) && digits(build)
            };
            if !date_ok {
                return None;
            }
            UBUNTU.iter().find(|(c, _)| *c == codename)?.1
        }
    };
    (version >= 2004).then(|| distro("ubuntu", version >= 2304, PackageManager::Apt))
}

/// Debian releases from 11 on, by number and codename.
const DEBIAN: &[(&str, u32)] = &[("bullseye", 11), ("bookworm", 12), ("trixie", 13)];

/// `12`, `12.8`, `bookworm`, `bookworm-slim`, `bookworm-20241111-slim`, `12-slim`,
/// `bookworm-backports`.
fn debian(tag: &str) -> Option<Base> {
    let mut parts = tag.split('-');
    let release = parts.next()?;
    let major = match release.split_once('.') {
        Some((major, point)) if digits(major) && digits(point) => major.parse().ok()?,
        None if digits(release) => release.parse().ok()?,
        _ => DEBIAN.iter().find(|(c, _)| *c == release)?.1,
    };
    if !DEBIAN.iter().any(|(_, n)| *n == major) {
        return None;
    }
    if !parts.all(|p| p == "slim" || p == "backports" || (p.len() == 8 && digits(p))) {
        return None;
    }
    Some(distro("debian", major >= 12, PackageManager::Apt))
}

/// `3.18`, `3.19.1`.
fn alpine(tag: &str) -> Option<Base> {
    let minor: u32 = alpine_version(tag)?;
    (minor >= 18).then(|| distro("alpine", minor >= 19, PackageManager::Apk))
}

/// The minor version of `3.N` or `3.N.P`.
fn alpine_version(version: &str) -> Option<u32> {
    let mut parts = version.split('.');
    if parts.next()? != "3" {
        return None;
    }
    let minor = parts.next().filter(|m| digits(m))?.parse().ok()?;
    match (parts.next(), parts.next()) {
        (None, None) => Some(minor),
        (Some(p), None) if digits(p) => Some(minor),
        _ => None,
    }
}

/// `3`, `3.12`, `3.12.10`, `3.13.0rc1`, `3.14-rc`, each optionally followed by
/// `-slim`, `-slim-<debian>`, `-<debian>`, `-alpine` or `-alpine3.N`.
fn python(tag: &str) -> Option<Base> {
    let mut parts = tag.split('-').peekable();
    let version = parts.next()?;
    let numbers = version.trim_end_matches(|c: char| c.is_ascii_digit());
    let numbers = ["rc", "a", "b"].iter().find_map(|p| numbers.strip_suffix(p)).map_or(version, |n| {
        // `3.13.0rc1`: the pre-release marker sits between digits.
        if n.ends_with(|c: char| c.is_ascii_digit()) { n } else { version }
    });
    let mut numbers = numbers.split('.');
    if numbers.next()? != "3" || !numbers.all(digits) {
        return None;
    }
    if parts.peek() == Some(&"rc") {
        parts.next();
    }
    let variant: Vec<&str> = parts.collect();
    let debian = |release: &str| DEBIAN.iter().find(|(c, _)| *c == release).map(|(_, n)| *n);
    let (package_manager, externally_managed) = match variant.as_slice() {
        [] | ["slim"] => (PackageManager::Apt, None),
        ["slim", release] | [release] if debian(release).is_some() => {
            (PackageManager::Apt, debian(release).map(|n| n >= 12))
        }
        ["alpine"] => (PackageManager::Apk, None),
        [alpine] => {
            let minor = alpine_version(alpine.strip_prefix("alpine")?)?;
            (PackageManager::Apk, Some(minor >= 19))
        }
        _ => return None,
    };
    Some(Base {
        repository: "python",
        python: true,
        python3: true,
        pip: true,
        packaged_python_externally_managed: externally_managed,
        package_manager,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn em(reference: &str) -> Option<bool> {
        lookup(reference).unwrap_or_else(|| panic!("{reference} unknown")).packaged_python_externally_managed
    }

    fn pm(reference: &str) -> PackageManager {
        lookup(reference).unwrap_or_else(|| panic!("{reference} unknown")).package_manager
    }

    #[test]
    fn ubuntu_by_number_codename_and_date() {
        for (tag, managed) in [
            ("22.04", false),
            ("20.04", false),
            ("23.04", true),
            ("24.04", true),
            ("24.10", true),
            ("jammy", false),
            ("noble", true),
            ("focal", false),
            ("lunar", true),
            ("jammy-20240911.1", false),
            ("noble-20241015", true),
        ] {
            let reference = format!("ubuntu:{tag}");
            assert_eq!(em(&reference), Some(managed), "{reference}");
            let base = lookup(&reference).expect("known");
            assert!(!base.python && !base.python3 && !base.pip);
            assert_eq!(base.package_manager, PackageManager::Apt);
        }
        for unknown in
            ["ubuntu:18.04", "ubuntu:bionic", "ubuntu:latest", "ubuntu:rolling", "ubuntu:jammy-x", "ubuntu"]
        {
            assert!(lookup(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn debian_releases_and_variants() {
        for (tag, managed) in [
            ("11", false),
            ("12", true),
            ("12.8", true),
            ("13", true),
            ("bookworm", true),
            ("bookworm-slim", true),
            ("bookworm-20241111-slim", true),
            ("bookworm-20241111", true),
            ("bookworm-backports", true),
            ("12-slim", true),
            ("bullseye", false),
            ("bullseye-slim", false),
            ("trixie", true),
        ] {
            assert_eq!(em(&format!("debian:{tag}")), Some(managed), "{tag}");
        }
        for unknown in
            ["debian:10", "debian:buster", "debian:stable", "debian:sid", "debian:bookworm-fat", "debian:14"]
        {
            assert!(lookup(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn alpine_and_busybox() {
        assert_eq!(em("alpine:3.18"), Some(false));
        assert_eq!(em("alpine:3.19.1"), Some(true));
        assert_eq!(em("alpine:3.21"), Some(true));
        assert_eq!(pm("alpine:3.20"), PackageManager::Apk);
        for unknown in ["alpine:3.17", "alpine:edge", "alpine:20240923", "alpine:3", "alpine:3.19.1.2"] {
            assert!(lookup(unknown).is_none(), "{unknown}");
        }
        for tag in ["busybox:1.36", "busybox:1.37.0-glibc", "busybox:musl"] {
            let base = lookup(tag).expect("busybox");
            assert_eq!(base.package_manager, PackageManager::None);
            assert!(!base.python);
        }
    }

    #[test]
    fn python_variants() {
        for (tag, manager, managed) in [
            ("3.12", PackageManager::Apt, None),
            ("3", PackageManager::Apt, None),
            ("3.12.10", PackageManager::Apt, None),
            ("3.12-slim", PackageManager::Apt, None),
            ("3.12.10-slim-bookworm", PackageManager::Apt, Some(true)),
            ("3.13-bookworm", PackageManager::Apt, Some(true)),
            ("3.11-slim-bullseye", PackageManager::Apt, Some(false)),
            ("3.13.0rc1-slim", PackageManager::Apt, None),
            ("3.14-rc-slim-trixie", PackageManager::Apt, Some(true)),
            ("3.11-alpine3.20", PackageManager::Apk, Some(true)),
            ("3.11-alpine3.18", PackageManager::Apk, Some(false)),
            ("3.12-alpine", PackageManager::Apk, None),
        ] {
            let base = lookup(&format!("python:{tag}")).unwrap_or_else(|| panic!("{tag} unknown"));
            assert!(base.python && base.python3 && base.pip, "{tag}");
            assert_eq!(
                (base.package_manager, base.packaged_python_externally_managed),
                (manager, managed),
                "{tag}"
            );
        }
        for unknown in [
            "python:2.7",
            "python:3.12-windowsservercore-ltsc2022",
            "python:3.12-nanoserver",
            "python:3.12-slim-jessie",
            "python:latest",
            "python:3.x",
        ] {
            assert!(lookup(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn prefixes_and_digests() {
        for reference in [
            "docker.io/library/ubuntu:22.04",
            "docker.io/ubuntu:22.04",
            "library/ubuntu:22.04",
            "index.docker.io/library/ubuntu:22.04",
            "ubuntu:22.04@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(lookup(reference), lookup("ubuntu:22.04"), "{reference}");
        }
        for unknown in [
            "ubuntu@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "myorg/ubuntu:22.04",
            "ghcr.io/library/ubuntu:22.04",
            "localhost:5000/ubuntu:22.04",
            "pj-test-base:1",
            "myorg/img:1",
        ] {
            assert!(lookup(unknown).is_none(), "{unknown}");
        }
    }
}
