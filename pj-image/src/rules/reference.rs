//! Container image references (`[domain[:port]/]path[:tag][@digest]`), checked by a
//! hand-rolled copy of the distribution/reference grammar (`reference.go`) with a
//! specific message for every way a reference can be wrong.
//!
//! ```
//! use pj_image::rules::reference;
//! let r = reference::check_base("nvcr.io/nvidia/pytorch:24.01-py3").unwrap();
//! assert_eq!(r.domain.as_deref(), Some("nvcr.io"));
//! assert!(reference::check_base("ubuntu").is_err()); // no tag
//! ```

use std::fmt;

use super::Finding;
use crate::Rule;

/// Longest image name (domain and path, without tag or digest) the registry accepts.
const NAME_TOTAL_LENGTH_MAX: usize = 255;
/// Longest tag the registry accepts.
const TAG_LENGTH_MAX: usize = 128;

/// A parsed image reference. Nothing is normalised: no `docker.io` domain or `library/`
/// prefix is added, and `latest` is not filled in for a missing tag.
///
/// ```
/// use pj_image::rules::reference::{self, ImageRef};
/// let r = reference::parse("localhost:5000/team/app:1.0").unwrap();
/// assert_eq!(r, ImageRef {
///     domain: Some("localhost:5000".into()),
///     path: "team/app".into(),
///     tag: Some("1.0".into()),
///     digest: None,
/// });
/// assert_eq!(r.to_string(), "localhost:5000/team/app:1.0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry host, with its port if any (`nvcr.io`, `localhost:5000`).
    pub domain: Option<String>,
    /// The repository path (`ubuntu`, `library/ubuntu`, `nvidia/pytorch`).
    pub path: String,
    /// The tag, without the `:`.
    pub tag: Option<String>,
    /// The digest with its algorithm (`sha256:<64 hex>`), without the `@`.
    pub digest: Option<String>,
}

impl ImageRef {
    /// The name: domain and path, without tag or digest.
    ///
    /// ```
    /// use pj_image::rules::reference;
    /// assert_eq!(reference::parse("nvcr.io/nvidia/pytorch:24.01-py3").unwrap().name(), "nvcr.io/nvidia/pytorch");
    /// ```
    pub fn name(&self) -> String {
        match &self.domain {
            Some(domain) => format!("{domain}/{}", self.path),
            None => self.path.clone(),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(domain) = &self.domain {
            write!(f, "{domain}/")?;
        }
        f.write_str(&self.path)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

fn bad(message: String) -> Finding {
    Finding::new(Rule::BaseReference, message)
}

/// Parses `reference` with the distribution/reference grammar.
///
/// The first `/`-separated component is a domain when there are more components and it
/// contains `.` or `:` or is `localhost`. Path components are lowercase letters and digits
/// separated by `.`, `_`, `__` or dashes; a tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; a
/// digest is `sha256:<64 lowercase hex>` (or sha384/96, sha512/128). The name is at most 255
/// characters. Every error is a [`Rule::BaseReference`] finding that says how to fix it.
///
/// ```
/// use pj_image::rules::reference;
/// assert_eq!(reference::parse("ubuntu:22.04").unwrap().tag.as_deref(), Some("22.04"));
/// let err = reference::parse("Ubuntu:22.04").unwrap_err();
/// assert!(err.message.starts_with("uppercase letter in repository \"Ubuntu\""));
/// ```
pub fn parse(reference: &str) -> Result<ImageRef, Finding> {
    check_characters(reference)?;

    let (name_tag, digest) = match reference.split_once('@') {
        Some((name_tag, digest)) => (name_tag, Some(digest)),
        None => (reference, None),
    };
    if let Some(digest) = digest
        && digest.contains('@')
    {
        return Err(bad(format!(
            "base image {reference:?} has more than one '@'; write one digest, like \"name@sha256:<64 lowercase hex>\""
        )));
    }

    // The tag follows the last ':' that is not part of the domain (no '/' after it).
    let (name, tag) = match name_tag.rfind(':') {
        Some(i) if !name_tag[i..].contains('/') => (&name_tag[..i], Some(&name_tag[i + 1..])),
        _ => (name_tag, None),
    };

    if name.is_empty() {
        let before = if tag.is_some() { "':'" } else { "'@'" };
        return Err(bad(format!(
            "base image {reference:?} has no repository name before {before}; write a name like \"ubuntu:22.04\""
        )));
    }

    let (domain, path) = split_domain(name);
    if let Some(domain) = domain {
        check_domain(domain, reference)?;
    }
    check_path(path, domain.is_some(), reference)?;
    if name.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(bad(format!(
            "image name is {} characters long; registries accept at most {NAME_TOTAL_LENGTH_MAX}, use a shorter repository name",
            name.len()
        )));
    }
    if let Some(tag) = tag {
        check_tag(tag, name, example_version(domain, path).unwrap_or("1.0"))?;
    }
    if let Some(digest) = digest {
        check_digest(digest, name)?;
    }

    Ok(ImageRef {
        domain: domain.map(str::to_owned),
        path: path.to_owned(),
        tag: tag.map(str::to_owned),
        digest: digest.map(str::to_owned),
    })
}

/// Parses `reference` like [`parse`], then requires it to be pinned: a tag that is not
/// `latest`, `lts` or `stable` (any case), or a digest. An unpinned reference is a
/// [`Rule::BaseUnpinned`] finding; `localhost:5000/foo` has no tag (`:5000` is a port).
///
/// ```
/// use pj_image::{Rule, rules::reference};
/// assert!(reference::check_base("ubuntu:22.04").is_ok());
/// assert!(reference::check_base("python:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").is_ok());
/// let err = reference::check_base("python:latest").unwrap_err();
/// assert_eq!(err.rule, Rule::BaseUnpinned);
/// assert_eq!(
///     err.message,
///     "base image \"python:latest\" uses the floating tag \"latest\"; pin a version like \"python:3.12.10-slim-bookworm\"",
/// );
/// ```
pub fn check_base(reference: &str) -> Result<ImageRef, Finding> {
    let image = parse(reference)?;
    if image.digest.is_some() {
        return Ok(image);
    }
    let name = image.name();
    let example = example_version(image.domain.as_deref(), &image.path).unwrap_or("<version>");
    match &image.tag {
        None => Err(Finding::new(
            Rule::BaseUnpinned,
            format!(
                "base image {reference:?} has no tag; pin a version like \"{name}:{example}\", \
                 or a digest \"{name}@sha256:<64 hex>\""
            ),
        )),
        Some(tag) if ["latest", "lts", "stable"].iter().any(|f| tag.eq_ignore_ascii_case(f)) => {
            Err(Finding::new(
                Rule::BaseUnpinned,
                format!(
                    "base image {reference:?} uses the floating tag {tag:?}; pin a version like \"{name}:{example}\""
                ),
            ))
        }
        Some(_) => Ok(image),
    }
}

/// A known-good version for a few well-known Docker Hub images, used in messages.
fn example_version(domain: Option<&str>, path: &str) -> Option<&'static str> {
    let hub = match domain {
        None => true,
        Some(d) => d == "docker.io" || d == "index.docker.io",
    };
    if !hub {
        return None;
    }
    let repo = path.strip_prefix("library/").unwrap_or(path);
    match repo {
        "ubuntu" => Some("22.04"),
        "python" => Some("3.12.10-slim-bookworm"),
        "debian" => Some("bookworm-20250428-slim"),
        "alpine" => Some("3.21.3"),
        "node" => Some("22.15.0-bookworm-slim"),
        _ => None,
    }
}

/// Rejects characters that can never appear in a reference, before the grammar runs,
/// so the message names the real problem.
fn check_characters(reference: &str) -> Result<(), Finding> {
    if reference.is_empty() {
        return Err(bad("empty base image reference; write an image like \"ubuntu:22.04\"".into()));
    }
    if reference.trim().is_empty() {
        return Err(bad(format!(
            "base image {reference:?} is only whitespace; write an image like \"ubuntu:22.04\""
        )));
    }
    if reference.contains(['\n', '\r']) {
        return Err(bad(format!(
            "base image {reference:?} contains a line break, which would inject Dockerfile lines; \
             write one reference on one line, like \"ubuntu:22.04\""
        )));
    }
    if let Some(i) = reference.find('$') {
        let var = variable_at(&reference[i..]);
        return Err(bad(format!(
            "base image {reference:?} contains {var:?}; variables are not expanded in the base image, \
             write the literal value, like \"ubuntu:22.04\""
        )));
    }
    if reference.chars().any(char::is_whitespace) {
        let trimmed = reference.trim();
        let fix = if trimmed.chars().any(char::is_whitespace) {
            "remove it, a reference is one word like \"ubuntu:22.04\"".to_string()
        } else {
            format!("write {trimmed:?}")
        };
        return Err(bad(format!("base image {reference:?} contains whitespace; {fix}")));
    }
    if let Some(c) = reference.chars().find(|c| c.is_control()) {
        return Err(bad(format!("base image {reference:?} contains the control character {c:?}; remove it")));
    }
    if let Some(c) = reference.chars().find(|c| !c.is_ascii()) {
        return Err(bad(format!(
            "base image {reference:?} contains the non-ASCII character {c:?}; references are ASCII, \
             write lowercase letters, digits, '.', '_', '-', '/', ':' and '@' only"
        )));
    }
    Ok(())
}

/// The `$VAR` or `${VAR}` text starting at `s` (which starts with `$`).
fn variable_at(s: &str) -> &str {
    let end = if s.starts_with("${") {
        s.find('}').map_or(s.len(), |i| i + 1)
    } else {
        s.char_indices()
            .skip(1)
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(s.len(), |(i, _)| i)
    };
    s.get(..end).unwrap_or(s)
}

/// Splits `name` into an optional domain and the path, like `splitDockerDomain`.
fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (Some(first), rest),
        _ => (None, name),
    }
}

/// `host[:port]`, where host is a domain name or a bracketed IPv6 address.
fn check_domain(domain: &str, reference: &str) -> Result<(), Finding> {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return Err(bad(format!(
                "registry {domain:?} in {reference:?} opens '[' without ']'; write an IPv6 registry like \"[::1]:5000\""
            )));
        };
        if ip.is_empty() || !ip.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return Err(bad(format!(
                "registry {domain:?} in {reference:?} is not a valid IPv6 address; write hex digits and ':' inside the brackets"
            )));
        }
        match after {
            "" => (None, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => {
                    return Err(bad(format!(
                        "registry {domain:?} in {reference:?} has {after:?} after ']'; write \"[address]:port\""
                    )));
                }
            },
        }
    } else {
        match domain.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(domain), None),
        }
    };

    if let Some(host) = host {
        if host.is_empty() {
            return Err(bad(format!(
                "registry {domain:?} in {reference:?} has no host name before ':'; write \"host:port\", like \"localhost:5000\""
            )));
        }
        for label in host.split('.') {
            if label.is_empty() {
                return Err(bad(format!(
                    "registry host {host:?} in {reference:?} has an empty part between dots; remove the extra '.'"
                )));
            }
            if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
                return Err(bad(format!(
                    "registry host {host:?} in {reference:?} contains {c:?}; host names are letters, digits, '-' and '.'"
                )));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(bad(format!(
                    "registry host {host:?} in {reference:?} has a part {label:?} that starts or ends with '-'; \
                     host name parts start and end with a letter or digit"
                )));
            }
        }
    }
    if let Some(port) = port
        && (port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(bad(format!(
            "registry port {port:?} in {reference:?} is not a number; write \"host:port/repository\", like \"localhost:5000/app:1.0\""
        )));
    }
    Ok(())
}

/// Path components: `[a-z0-9]+` joined by `.`, `_`, `__` or `-+`, separated by `/`.
fn check_path(path: &str, has_domain: bool, reference: &str) -> Result<(), Finding> {
    if path.is_empty() {
        return Err(bad(format!(
            "base image {reference:?} has no repository after the registry; write \"registry/repository:tag\""
        )));
    }
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(bad(format!(
            "uppercase letter in repository {path:?}; repository names are lowercase, write {:?}",
            path.to_ascii_lowercase()
        )));
    }
    for component in path.split('/') {
        if component.is_empty() {
            return Err(bad(format!(
                "empty path component in repository {path:?} of {reference:?}; remove the extra '/'"
            )));
        }
        if let Some(c) = component
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
        {
            if c == ':' && !has_domain && !path.contains('/') {
                return Err(bad(format!(
                    "{component:?} in {reference:?} looks like a registry with a port but has no repository after it; \
                     write \"host:port/repository:tag\""
                )));
            }
            return Err(bad(format!(
                "invalid character {c:?} in repository {path:?}; repository names use lowercase letters, digits, \
                 '.', '_', '-' and '/' only"
            )));
        }
        check_component_separators(component, path)?;
    }
    Ok(())
}

fn check_component_separators(component: &str, path: &str) -> Result<(), Finding> {
    let starts_ok = component.starts_with(|c: char| c.is_ascii_alphanumeric());
    let ends_ok = component.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !starts_ok || !ends_ok {
        return Err(bad(format!(
            "repository component {component:?} in {path:?} starts or ends with a separator; \
             components start and end with a lowercase letter or digit"
        )));
    }
    for run in component.split(|c: char| c.is_ascii_alphanumeric()).filter(|s| !s.is_empty()) {
        let ok = run == "." || run == "_" || run == "__" || run.chars().all(|c| c == '-');
        if !ok {
            return Err(bad(format!(
                "repository component {component:?} in {path:?} has the separator {run:?}; \
                 separate letters and digits with '.', '_', '__' or dashes only"
            )));
        }
    }
    Ok(())
}

fn check_tag(tag: &str, name: &str, example: &str) -> Result<(), Finding> {
    if tag.is_empty() {
        return Err(bad(format!(
            "empty tag after ':' in \"{name}:\"; write a tag like \"{name}:{example}\" or remove the ':'"
        )));
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if let Some(c) = tag.chars().find(|&c| !(word(c) || c == '.' || c == '-')) {
        return Err(bad(format!(
            "invalid character {c:?} in tag {tag:?}; tags use letters, digits, '_', '.' and '-' only"
        )));
    }
    if !tag.starts_with(word) {
        return Err(bad(format!(
            "tag {tag:?} starts with {:?}; a tag starts with a letter, digit or '_'",
            tag.chars().next().unwrap_or('.')
        )));
    }
    if tag.len() > TAG_LENGTH_MAX {
        return Err(bad(format!(
            "tag of {name:?} is {} characters long; tags are at most {TAG_LENGTH_MAX}",
            tag.len()
        )));
    }
    Ok(())
}

fn check_digest(digest: &str, name: &str) -> Result<(), Finding> {
    const SHAPE: &str = "digest must be sha256:<64 lowercase hex>";
    if digest.is_empty() {
        return Err(bad(format!(
            "empty digest after '@' in \"{name}@\"; write \"{name}@sha256:<64 lowercase hex>\" or remove the '@'"
        )));
    }
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(bad(format!(
            "{SHAPE} (or sha384:<96 hex>, sha512:<128 hex>); {digest:?} has no algorithm, write \"sha256:{digest}\" if it is a sha256"
        )));
    };
    let expected = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(bad(format!(
                "{SHAPE}; the algorithm {algorithm:?} is not supported, use sha256 (or sha384, sha512)"
            )));
        }
    };
    if let Some(c) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(bad(format!("{SHAPE}; {c:?} in {digest:?} is not a hex digit")));
    }
    if hex.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(bad(format!(
            "{SHAPE}; the hex in {digest:?} must be lowercase, write \"{algorithm}:{}\"",
            hex.to_ascii_lowercase()
        )));
    }
    if hex.len() != expected {
        return Err(bad(format!(
            "{SHAPE}; {digest:?} has {} hex digits, {algorithm} needs {expected}",
            hex.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn ok(reference: &str) -> ImageRef {
        match parse(reference) {
            Ok(r) => r,
            Err(f) => panic!("{reference:?} rejected: {f}"),
        }
    }

    fn err(reference: &str) -> String {
        match parse(reference) {
            Ok(r) => panic!("{reference:?} accepted as {r:?}"),
            Err(f) => {
                assert_eq!(f.rule, Rule::BaseReference, "{f}");
                assert!(!f.message.ends_with('.'), "{f}");
                f.message
            }
        }
    }

    fn unpinned(reference: &str) -> String {
        match check_base(reference) {
            Ok(r) => panic!("{reference:?} accepted as {r:?}"),
            Err(f) => {
                assert_eq!(f.rule, Rule::BaseUnpinned, "{f}");
                f.message
            }
        }
    }

    fn r(domain: Option<&str>, path: &str, tag: Option<&str>, digest: Option<&str>) -> ImageRef {
        ImageRef {
            domain: domain.map(Into::into),
            path: path.into(),
            tag: tag.map(Into::into),
            digest: digest.map(Into::into),
        }
    }

    #[test]
    fn accepts_common_references() {
        assert_eq!(ok("ubuntu"), r(None, "ubuntu", None, None));
        assert_eq!(ok("ubuntu:22.04"), r(None, "ubuntu", Some("22.04"), None));
        assert_eq!(ok("library/ubuntu:22.04"), r(None, "library/ubuntu", Some("22.04"), None));
        assert_eq!(
            ok("nvcr.io/nvidia/pytorch:24.01-py3"),
            r(Some("nvcr.io"), "nvidia/pytorch", Some("24.01-py3"), None)
        );
        assert_eq!(ok("localhost/foo"), r(Some("localhost"), "foo", None, None));
        assert_eq!(ok("localhost:5000/foo/bar:1"), r(Some("localhost:5000"), "foo/bar", Some("1"), None));
        assert_eq!(ok("registry:5000/foo"), r(Some("registry:5000"), "foo", None, None));
        assert_eq!(ok("[::1]:5000/foo:2"), r(Some("[::1]:5000"), "foo", Some("2"), None));
        assert_eq!(ok("[fe80::1]/foo"), r(Some("[fe80::1]"), "foo", None, None));
        assert_eq!(
            ok("My-Registry.Example.com/app:1"),
            r(Some("My-Registry.Example.com"), "app", Some("1"), None)
        );
        let digest = format!("sha256:{HEX64}");
        assert_eq!(ok(&format!("ubuntu@{digest}")), r(None, "ubuntu", None, Some(&digest)));
        assert_eq!(ok(&format!("ubuntu:22.04@{digest}")), r(None, "ubuntu", Some("22.04"), Some(&digest)));
        ok(&format!("ubuntu@sha384:{}", "a".repeat(96)));
        ok(&format!("ubuntu@sha512:{}", "a".repeat(128)));
        // `localhost:5000` alone is the image "localhost" with tag "5000", as in Docker.
        assert_eq!(ok("localhost:5000"), r(None, "localhost", Some("5000"), None));
        // A first component without '.', ':' and not localhost is part of the path.
        assert_eq!(ok("foo/bar"), r(None, "foo/bar", None, None));
    }

    #[test]
    fn accepts_every_separator() {
        ok("x/a.b_c__d-e---f/g:1");
        // With a '.', the first component is a domain, and domains have no '_' (as in Docker).
        assert!(err("a.b_c/g:1").contains("registry host"));
        ok("a0/1b");
        ok(&"a".repeat(255));
        ok(&format!("a:{}", "A".repeat(128)));
        ok("a:_tag.with-Dots");
    }

    #[test]
    fn display_and_name_round_trip() {
        for s in ["ubuntu", "ubuntu:1", "localhost:5000/a/b:c", &format!("x.io/y@sha256:{HEX64}")] {
            assert_eq!(ok(s).to_string(), s);
        }
        assert_eq!(ok("x.io/y:1").name(), "x.io/y");
        assert_eq!(ok("y:1").name(), "y");
    }

    #[test]
    fn rejects_bad_characters() {
        assert!(err("").starts_with("empty base image reference"));
        assert!(err("  ").contains("only whitespace"));
        assert!(err("ubuntu:22.04\nRUN evil").contains("line break"));
        assert!(err("ubuntu\r").contains("line break"));
        assert!(err("ubuntu:${TAG}").contains("\"${TAG}\""));
        assert!(err("ubuntu:$TAG-x").contains("\"$TAG\""));
        assert!(err("ubuntu:${TAG").contains("\"${TAG\""));
        assert!(err("a b:1").contains("whitespace; remove it"));
        assert!(err(" ubuntu:22.04").contains("write \"ubuntu:22.04\""));
        assert!(err("ubuntu\t").contains("whitespace"));
        assert!(err("ubu\u{7}ntu").contains("control character"));
        assert!(err("ubüntu").contains("non-ASCII"));
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!(
            err("Ubuntu:22.04"),
            "uppercase letter in repository \"Ubuntu\"; repository names are lowercase, write \"ubuntu\""
        );
        assert!(err("x.io/Team/App").contains("\"team/app\""));
        assert!(err(":tag").contains("no repository name before ':'"));
        assert!(err(&format!("@sha256:{HEX64}")).contains("no repository name before '@'"));
        assert!(err("ubuntu//x").contains("empty path component"));
        assert!(err("/ubuntu").contains("empty path component"));
        assert!(err("ubuntu/").contains("empty path component"));
        assert!(err("x.io/").contains("no repository after the registry"));
        assert!(err("ubu!ntu").contains("invalid character '!'"));
        assert!(err("a..b").contains("separator \"..\""));
        assert!(err("a___b").contains("separator \"___\""));
        assert!(err("a._b").contains("separator \"._\""));
        assert!(err("a-.b").contains("separator \"-.\""));
        assert!(err("-a").contains("starts or ends with a separator"));
        assert!(err("a_").contains("starts or ends with a separator"));
        assert!(err("a:b:c").contains("looks like a registry with a port"));
        assert!(err(&"a".repeat(256)).contains("256 characters long"));
        assert!(err(&format!("x.io/{}", "a".repeat(251))).contains("256 characters long"));
    }

    #[test]
    fn rejects_bad_domains() {
        assert!(err("local_host.io/a").contains("contains '_'"));
        assert!(err("-x.io/a").contains("starts or ends with '-'"));
        assert!(err("x..io/a").contains("empty part between dots"));
        assert!(err(":5000/a").contains("no host name before ':'"));
        assert!(err("localhost:/a").contains("port \"\""));
        assert!(err("localhost:50a0/a").contains("port \"50a0\" in"));
        assert!(err("[::1/a").contains("without ']'"));
        assert!(err("[::g]/a").contains("not a valid IPv6"));
        assert!(err("[]:5000/a").contains("not a valid IPv6"));
        assert!(err("[]/a").contains("invalid character '['"));
        assert!(err("[::1]x/a").contains("after ']'"));
        assert!(err("[::1]:/a").contains("not a number"));
    }

    #[test]
    fn rejects_bad_tags() {
        assert_eq!(
            err("ubuntu:"),
            "empty tag after ':' in \"ubuntu:\"; write a tag like \"ubuntu:22.04\" or remove the ':'"
        );
        assert!(err("localhost:5000/foo:").contains("like \"localhost:5000/foo:1.0\""));
        assert!(err("ubuntu:.x").contains("starts with '.'"));
        assert!(err("ubuntu:-x").contains("starts with '-'"));
        assert!(err("ubuntu:a+b").contains("invalid character '+' in tag"));
        assert!(err(&format!("a:{}", "b".repeat(129))).contains("129 characters long"));
    }

    #[test]
    fn rejects_bad_digests() {
        assert!(err("ubuntu@").contains("empty digest"));
        assert!(err("ubuntu@sha256:abc").starts_with("digest must be sha256:<64 lowercase hex>"));
        assert!(err("ubuntu@sha256:abc").contains("3 hex digits"));
        assert!(err(&format!("ubuntu@sha512:{HEX64}")).contains("sha512 needs 128"));
        assert!(err(&format!("ubuntu@{HEX64}")).contains("no algorithm"));
        assert!(err(&format!("ubuntu@md5:{HEX64}")).contains("\"md5\" is not supported"));
        assert!(err(&format!("ubuntu@sha256:{}", HEX64.to_ascii_uppercase())).contains("must be lowercase"));
        assert!(err(&format!("ubuntu@sha256:{}g", &HEX64[1..])).contains("'g'"));
        assert!(err(&format!("a@sha256:{HEX64}@sha256:{HEX64}")).contains("more than one '@'"));
    }

    #[test]
    fn check_base_accepts_pinned() {
        check_base("ubuntu:22.04").expect("pinned");
        check_base("python:3.12-latest").expect("pinned");
        check_base("localhost:5000/foo:1").expect("pinned");
        check_base(&format!("ubuntu@sha256:{HEX64}")).expect("pinned");
        check_base(&format!("python:latest@sha256:{HEX64}")).expect("pinned");
        check_base(&format!("localhost:5000/foo@sha256:{HEX64}")).expect("pinned");
    }

    #[test]
    fn check_base_rejects_unpinned() {
        assert_eq!(
            unpinned("ubuntu"),
            "base image \"ubuntu\" has no tag; pin a version like \"ubuntu:22.04\", or a digest \"ubuntu@sha256:<64 hex>\""
        );
        assert_eq!(
            unpinned("python:latest"),
            "base image \"python:latest\" uses the floating tag \"latest\"; pin a version like \"python:3.12.10-slim-bookworm\""
        );
        assert_eq!(
            unpinned("localhost:5000/foo"),
            "base image \"localhost:5000/foo\" has no tag; pin a version like \"localhost:5000/foo:<version>\", \
             or a digest \"localhost:5000/foo@sha256:<64 hex>\""
        );
        assert!(unpinned("node:LTS").contains("floating tag \"LTS\""));
        assert!(unpinned("debian:Stable").contains("\"debian:bookworm-20250428-slim\""));
        assert!(unpinned("docker.io/library/alpine:latest").contains("\"docker.io/library/alpine:3.21.3\""));
        assert!(unpinned("ghcr.io/x/python").contains("\"ghcr.io/x/python:<version>\""));
        // Grammar errors come first, with their own rule.
        assert_eq!(check_base("Ubuntu").expect_err("rejected").rule, Rule::BaseReference);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in ["@", ":", "/", "[", "]", "[:", "a@:", "a@:x", "x.io/[", "::", "a:b@c:d", "é:1", "a/b:c/d"]
        {
            let _ = check_base(s);
        }
    }
}
