//! One pip requirement (as passed to `pip_install`): valid PEP 508, not a pip option,
//! and pinned to one exact version or a URL with a hash.
//!
//! ```
//! use pj_image::{Rule, rules::pip};
//! assert!(pip::check_requirement("numpy==1.26.4").is_ok());
//! assert_eq!(pip::check_requirement("numpy").unwrap_err().rule, Rule::PipUnpinned);
//! assert_eq!(pip::check_requirement("numpy==").unwrap_err().rule, Rule::PipInvalid);
//! ```

use std::str::FromStr;

use pep508_rs::pep440_rs::Operator;
use pep508_rs::{Requirement, VersionOrUrl};

use super::{Finding, text};
use crate::Rule;
use crate::call::{PipOptionField, PipOptions};

/// Checks one pip requirement string.
///
/// - empty or whitespace-only: [`Rule::Empty`];
/// - starts with `-` (`--index-url=x`, `-e .`): [`Rule::PipOptionAsPackage`];
/// - not valid PEP 508, or holds a `${VAR}` reference: [`Rule::PipInvalid`], with the
///   parser's caret diagram;
/// - not pinned: [`Rule::PipUnpinned`]. Pinned means exactly one `==` (not `==1.*`) or
///   `===` specifier, or a URL with a `#sha256=<64 hex>` (or sha384/96, sha512/128)
///   fragment. Extras and markers are fine. `name===anything` is accepted although
///   pep508_rs only takes PEP 440 versions after `===`.
///
/// ```
/// use pj_image::rules::pip;
/// assert!(pip::check_requirement("requests[socks]==2.31.0; python_version >= \"3.8\"").is_ok());
/// assert_eq!(
///     pip::check_requirement("torch>=2").unwrap_err().message,
///     "pip package \"torch>=2\" is not pinned; write torch==<version>",
/// );
/// ```
pub fn check_requirement(req: &str) -> Result<(), Finding> {
    let analyzed = analyze(req)?;
    let name = &analyzed.name;
    let message = match analyzed.pin {
        Pin::Exact => return Ok(()),
        Pin::Version => format!("pip package {req:?} is not pinned; write {name}==<version>"),
        Pin::UrlNoHash(url) => {
            let add = if url.contains('#') { "&sha256=<hash>" } else { "#sha256=<hash>" };
            format!(
                "pip package {req:?} is not pinned: the file behind a URL can change; \
                 add {add} to the URL, like {name} @ {url}{add}, or write {name}==<version>"
            )
        }
        Pin::UrlBadHash(part) => format!(
            "pip package {req:?} has a malformed URL hash {part:?}; \
             write #sha256=<64 hex> (or sha384=<96 hex>, sha512=<128 hex>)"
        ),
        Pin::UrlWeakHash(part) => {
            format!("pip package {req:?} is pinned with the weak hash {part:?}; use #sha256=<64 hex> instead")
        }
    };
    Err(Finding::new(Rule::PipUnpinned, message))
}

/// The package name of a requirement, as written (`"Torch_Vision"` for
/// `"Torch_Vision>=1"`), when the requirement is valid PEP 508, pinned or not; `None`
/// when [`check_requirement`] would report anything other than [`Rule::PipUnpinned`].
///
/// ```
/// use pj_image::rules::pip;
/// assert_eq!(pip::requirement_name("Torch_Vision[x]>=1 ; os_name == 'nt'").as_deref(), Some("Torch_Vision"));
/// assert_eq!(pip::requirement_name("--pre"), None);
/// ```
pub fn requirement_name(req: &str) -> Option<String> {
    analyze(req).ok().map(|a| a.name)
}

/// Checks syntax only ([`check_requirement`] without the pin rule), for constraint files.
pub(crate) fn check_syntax(req: &str) -> Result<(), Finding> {
    analyze(req).map(|_| ())
}

struct Analyzed {
    /// The name as written.
    name: String,
    pin: Pin,
}

enum Pin {
    Exact,
    Version,
    /// The URL as written.
    UrlNoHash(String),
    /// The fragment part (`sha256=abc`).
    UrlBadHash(String),
    UrlWeakHash(String),
}

fn analyze(req: &str) -> Result<Analyzed, Finding> {
    let trimmed = req.trim();
    if trimmed.is_empty() {
        return Err(Finding::new(
            Rule::Empty,
            format!(
                "empty pip requirement {req:?}; write a pinned package like \"requests==2.32.3\", or remove it"
            ),
        ));
    }
    if trimmed.starts_with('-') {
        return Err(Finding::new(
            Rule::PipOptionAsPackage,
            format!(
                "pip option {req:?} passed as a package; pass options through PipOptions \
                 (index_url, extra_index_urls, find_links, pre, extra_options)"
            ),
        ));
    }
    if let Some(i) = req.find("${") {
        let rest = req.get(i..).unwrap_or_default();
        let var = rest.find('}').and_then(|end| rest.get(..=end)).unwrap_or(rest);
        return Err(Finding::new(
            Rule::PipInvalid,
            format!(
                "pip requirement {req:?} contains the variable {var:?}, which would be expanded from the \
                 build environment (if at all) and cannot be checked; write the value itself"
            ),
        ));
    }

    let requirement = match parse(req) {
        Ok(r) => r,
        Err(first) => match arbitrary_equality(req) {
            Some(substituted) => parse(&substituted).map_err(|e| invalid(req, &e))?,
            None => return Err(invalid(req, &first)),
        },
    };

    let name: String =
        trimmed.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')).collect();
    let name = if name.is_empty() { requirement.name.to_string() } else { name };

    let pin = match &requirement.version_or_url {
        None => Pin::Version,
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            let exact = specifiers.len() == 1
                && specifiers.iter().all(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual));
            if exact { Pin::Exact } else { Pin::Version }
        }
        Some(VersionOrUrl::Url(url)) => {
            let written = url.given().unwrap_or(url.as_str()).to_owned();
            url_pin(url.fragment(), written)
        }
    };
    Ok(Analyzed { name, pin })
}

/// Whether a URL fragment holds a strong hash, the way pip reads it
/// (`[#&](sha256|sha384|sha512|...)=<hex>`).
fn url_pin(fragment: Option<&str>, url: String) -> Pin {
    let Some(fragment) = fragment else {
        return Pin::UrlNoHash(url);
    };
    let mut problem = None;
    for part in fragment.split('&') {
        let Some((algorithm, hex)) = part.split_once('=') else {
            continue;
        };
        let expected = match algorithm {
            "sha256" => 64,
            "sha384" => 96,
            "sha512" => 128,
            "md5" | "sha1" | "sha224" => {
                problem.get_or_insert(Pin::UrlWeakHash(part.to_owned()));
                continue;
            }
            _ => continue,
        };
        if hex.len() == expected && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Pin::Exact;
        }
        problem.get_or_insert(Pin::UrlBadHash(part.to_owned()));
    }
    problem.unwrap_or(Pin::UrlNoHash(url))
}

/// A PEP 508 error, with character columns into the parsed input.
struct ParseError {
    message: String,
    column: usize,
    width: usize,
}

fn parse(input: &str) -> Result<Requirement, ParseError> {
    // pep508_rs is not known to panic, but a panic here would crash the compiler's
    // macro expansion; turn one into an ordinary error instead.
    let result = std::panic::catch_unwind(|| Requirement::from_str(input));
    match result {
        Ok(Ok(requirement)) => Ok(requirement),
        Ok(Err(e)) => {
            let column = e.input.get(..e.start).map_or(0, |s| s.chars().count());
            let width =
                e.input.get(e.start..e.start.saturating_add(e.len)).map_or(1, |s| s.chars().count()).max(1);
            Err(ParseError { message: e.message.to_string(), column, width })
        }
        Err(_) => Err(ParseError {
            message: "the PEP 508 parser failed on this input".to_owned(),
            column: 0,
            width: input.chars().count().max(1),
        }),
    }
}

fn invalid(req: &str, e: &ParseError) -> Finding {
    let trimmed = req.trim_start();
    let hint = if req.contains("--hash") {
        "; --hash is requirements-file syntax, use pip_install_from_requirements, \
         or pin a URL with #sha256=<hash>"
    } else if trimmed.starts_with(['.', '/', '~'])
        || trimmed.split('@').next().is_some_and(|h| h.contains("://"))
    {
        "; a local path is not in the image and a bare URL names no package, \
         pin a released version, or write name @ https://...#sha256=<hash>"
    } else {
        ""
    };
    Finding::new(
        Rule::PipInvalid,
        format!(
            "pip requirement {req:?} is not valid PEP 508; write name[extras]==version[; marker], \
             like \"requests==2.32.3\"{hint}\n{}\n{req}\n{}{}",
            lowercase_first(&e.message),
            " ".repeat(e.column),
            "^".repeat(e.width),
        ),
    )
}

/// `"Expected x"` becomes `"expected x"`; `"URL ..."` stays.
fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    match (chars.next(), chars.next()) {
        (Some(first), second) if first.is_uppercase() && !second.is_some_and(char::is_uppercase) => {
            first.to_lowercase().chain(message.chars().skip(1)).collect()
        }
        _ => message.to_owned(),
    }
}

/// For `name===<arbitrary>`, the same requirement with the arbitrary string replaced by
/// as many `0`s (a valid version, and the same character columns for error diagrams).
fn arbitrary_equality(req: &str) -> Option<String> {
    let head_end = req.find([';', '@']).unwrap_or(req.len());
    let operator = req.get(..head_end)?.find("===")?;
    let after = operator + 3;
    let rest = req.get(after..)?;
    let start = after + (rest.len() - rest.trim_start().len());
    let tail = req.get(start..)?;
    let len = tail.find(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | ')')).unwrap_or(tail.len());
    let token = tail.get(..len)?;
    if token.is_empty() {
        return None;
    }
    Some(format!("{}{}{}", req.get(..start)?, "0".repeat(token.chars().count()), tail.get(len..)?))
}

/// Checks the values of [`PipOptions`], in field order: each URL or path must stay on
/// one line and not be empty, `extra_options` must stay on one raw line; none may start
/// a heredoc. Returns each finding with its field and value, and whether the options
/// can be rendered (an empty URL is reported, but breaks nothing).
pub(crate) fn check_options(o: &PipOptions) -> (Vec<(PipOptionField, String, Finding)>, bool) {
    let mut findings = Vec::new();
    let mut renderable = true;
    let values = o.find_links.iter().map(|v| (PipOptionField::FindLinks, "--find-links", v));
    let values = values
        .chain(o.index_url.iter().map(|v| (PipOptionField::IndexUrl, "--index-url", v)))
        .chain(o.extra_index_urls.iter().map(|v| (PipOptionField::ExtraIndexUrls, "--extra-index-url", v)));
    for (field, flag, v) in values {
        let what = format!("pip option {flag}");
        match text::single_line(v, &what).and_then(|()| text::no_heredoc(v, &what, Rule::RunHeredoc)) {
            Err(f) => {
                renderable = false;
                findings.push((field, v.clone(), f));
            }
            Ok(()) if v.trim().is_empty() => findings.push((
                field,
                v.clone(),
                Finding::new(
                    Rule::PipOption,
                    format!("pip option {flag} is empty; give a URL or path, or leave it out"),
                ),
            )),
            Ok(()) => {}
        }
    }
    let extra = &o.extra_options;
    let line = text::raw_line(extra, "pip extra_options")
        .and_then(|()| text::no_heredoc(extra, "pip extra_options", Rule::RunHeredoc));
    if let Err(f) = line {
        renderable = false;
        findings.push((PipOptionField::ExtraOptions, extra.clone(), f));
    }
    (findings, renderable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEX64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn finding(req: &str, rule: Rule) -> String {
        match check_requirement(req) {
            Ok(()) => panic!("{req:?} accepted"),
            Err(f) => {
                assert_eq!(f.rule, rule, "{f}");
                assert!(!f.message.ends_with('.'), "{f}");
                f.message
            }
        }
    }

    fn accepted(req: &str) {
        if let Err(f) = check_requirement(req) {
            panic!("{req:?} rejected: {f}");
        }
    }

    #[test]
    fn accepts_pins() {
        for req in [
            "numpy==1.26.4",
            "requests[security,socks]==2.31.0",
            "torch==2.3.0+cu121",
            "foo==1.0; python_version >= \"3.8\" and sys_platform == \"linux\"",
            "Django == 4.2.11",
            "foo==1.0rc1",
            "foo==1.0.post1.dev2",
            "foo (==1.0)",
            "  foo==1.0  ",
            "foo===1.0",
            "foo===1.0-weird",
            "foo === weird+local!x",
            "foo[bar]===1.0-weird ; python_version > \"3\"",
        ] {
            accepted(req);
        }
    }

    #[test]
    fn accepts_hashed_urls() {
        accepted(&format!("foo @ https://example.com/foo-1.0-py3-none-any.whl#sha256={HEX64}"));
        accepted(&format!("foo @ https://example.com/foo.whl#sha256={}", HEX64.to_ascii_uppercase()));
        accepted(&format!("foo @ https://example.com/foo.whl#sha384={}", "a".repeat(96)));
        accepted(&format!("foo @ https://example.com/foo.whl#sha512={}", "a".repeat(128)));
        accepted(&format!("foo @ https://example.com/foo.whl#egg=foo&sha256={HEX64}"));
        accepted(&format!("foo[x] @ https://example.com/foo.whl#sha256={HEX64} ; python_version >= \"3.8\""));
    }

    #[test]
    fn rejects_empty() {
        for req in ["", "   ", "\t\n"] {
            assert!(finding(req, Rule::Empty).starts_with("empty pip requirement"));
        }
    }

    #[test]
    fn rejects_options() {
        assert_eq!(
            finding("--index-url=evil", Rule::PipOptionAsPackage),
            "pip option \"--index-url=evil\" passed as a package; pass options through PipOptions \
             (index_url, extra_index_urls, find_links, pre, extra_options)"
        );
        finding("-e .", Rule::PipOptionAsPackage);
        finding("  -r requirements.txt", Rule::PipOptionAsPackage);
    }

    #[test]
    fn rejects_invalid_with_diagram() {
        let message = finding("foo==", Rule::PipInvalid);
        assert!(
            message
                .starts_with("pip requirement \"foo==\" is not valid PEP 508; write name[extras]==version")
        );
        assert!(message.ends_with("\nfoo==\n   ^^"), "{message}");
        assert!(message.contains("\nunexpected end of version specifier"), "{message}");

        assert!(finding("foo bar", Rule::PipInvalid).contains("expected one of"));
        assert!(
            finding("./local/pkg", Rule::PipInvalid)
                .contains("URL requirement must be preceded by a package name")
        );
        assert!(
            finding("foo==1.0 --hash=sha256:abc", Rule::PipInvalid)
                .contains("--hash is requirements-file syntax")
        );
        finding("foo===", Rule::PipInvalid);
        finding("foo @ not a url", Rule::PipInvalid);
        finding("foo==1.0; bogus_marker == 'x'", Rule::PipInvalid);
        // The `===` fallback reports the real problem, with columns of the original text.
        let message = finding("foo===1.0-weird; nope", Rule::PipInvalid);
        assert!(message.contains("\nfoo===1.0-weird; nope\n"), "{message}");
        // Non-ASCII text keeps the carets aligned by character.
        let message = finding("fé==1", Rule::PipInvalid);
        assert!(message.ends_with("\nfé==1\n ^"), "{message}");
    }

    #[test]
    fn rejects_variables() {
        let message = finding("foo @ https://${TOKEN}@example.com/foo.whl", Rule::PipInvalid);
        assert!(message.contains("the variable \"${TOKEN}\""), "{message}");
        assert!(finding("foo==${V", Rule::PipInvalid).contains("\"${V\""));
    }

    #[test]
    fn rejects_unpinned_versions() {
        assert_eq!(
            finding("torch>=2", Rule::PipUnpinned),
            "pip package \"torch>=2\" is not pinned; write torch==<version>"
        );
        for (req, name) in [
            ("torch", "torch"),
            ("torch==1.*", "torch"),
            ("torch==1.0,<2", "torch"),
            ("torch~=2.0", "torch"),
            ("torch!=1.0", "torch"),
            ("torch<2", "torch"),
            ("Torch_Vision[x]>=1 ; os_name == 'nt'", "Torch_Vision"),
            ("foo===weird,<2", "foo"),
        ] {
            let expected = format!("pip package {req:?} is not pinned; write {name}==<version>");
            assert_eq!(finding(req, Rule::PipUnpinned), expected);
        }
    }

    #[test]
    fn rejects_unhashed_urls() {
        assert_eq!(
            finding("foo @ https://example.com/foo.whl", Rule::PipUnpinned),
            "pip package \"foo @ https://example.com/foo.whl\" is not pinned: the file behind a URL can change; \
             add #sha256=<hash> to the URL, like foo @ https://example.com/foo.whl#sha256=<hash>, \
             or write foo==<version>"
        );
        assert!(
            finding("foo @ https://example.com/foo.whl#egg=foo", Rule::PipUnpinned)
                .contains("like foo @ https://example.com/foo.whl#egg=foo&sha256=<hash>")
        );
        assert!(
            finding("foo @ https://example.com/f.whl#sha256=abc", Rule::PipUnpinned)
                .contains("malformed URL hash \"sha256=abc\"")
        );
        assert!(
            finding(&format!("foo @ https://e.com/f.whl#sha256={HEX64}0"), Rule::PipUnpinned)
                .contains("malformed")
        );
        assert!(
            finding(&format!("foo @ https://e.com/f.whl#sha512={HEX64}"), Rule::PipUnpinned)
                .contains("malformed")
        );
        let weak = format!("foo @ https://e.com/f.whl#md5={}", "a".repeat(32));
        assert!(finding(&weak, Rule::PipUnpinned).contains("weak hash"));
    }

    #[test]
    fn names_as_written() {
        assert_eq!(requirement_name("Torch_Vision>=1").as_deref(), Some("Torch_Vision"));
        assert_eq!(requirement_name("foo.bar-baz==1").as_deref(), Some("foo.bar-baz"));
        assert_eq!(requirement_name(" foo===1.0-weird").as_deref(), Some("foo"));
        assert_eq!(requirement_name("foo @ https://e.com/f.whl").as_deref(), Some("foo"));
        assert_eq!(requirement_name(""), None);
        assert_eq!(requirement_name("-e ."), None);
        assert_eq!(requirement_name("foo=="), None);
    }

    #[test]
    fn syntax_only_ignores_pins() {
        assert!(check_syntax("torch>=2").is_ok());
        assert!(check_syntax("torch").is_ok());
        assert_eq!(check_syntax("torch>=").expect_err("rejected").rule, Rule::PipInvalid);
    }

    #[test]
    fn helpers() {
        assert_eq!(lowercase_first("Expected x"), "expected x");
        assert_eq!(lowercase_first("URL requirement"), "URL requirement");
        assert_eq!(lowercase_first(""), "");
        assert_eq!(lowercase_first("É"), "é");
        assert_eq!(arbitrary_equality("foo===1.0-x ; m").as_deref(), Some("foo===00000 ; m"));
        assert_eq!(arbitrary_equality("foo==="), None);
        assert_eq!(arbitrary_equality("foo==1"), None);
        assert_eq!(arbitrary_equality("foo @ https://x/a===b"), None);
    }

    proptest! {
        #[test]
        fn never_panics(req in "[a-zA-Z0-9=<>!~@;.,()\\[\\] \"'#:/$\\{\\}_*+&é\t-]{0,40}") {
            let _ = check_requirement(&req);
            let _ = requirement_name(&req);
        }

        #[test]
        fn never_panics_on_any_string(req in any::<String>()) {
            let _ = check_requirement(&req);
        }
    }
}
