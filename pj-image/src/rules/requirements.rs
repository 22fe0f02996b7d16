//! A pip requirements file, checked line by line the way pip reads it (comments,
//! `\` continuations, `-r`/`-c` includes followed recursively), with every requirement
//! checked by [`pip::check_requirement`].
//!
//! ```
//! use pj_image::rules::requirements;
//! let dir = std::env::temp_dir().join(format!("pj-req-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("requirements.txt"), "numpy==1.26.4\ntorch>=2\n").unwrap();
//! let check = requirements::check_file(&dir.join("requirements.txt"), "sandbox/requirements.txt");
//! assert_eq!(
//!     check.findings[0].message,
//!     "sandbox/requirements.txt:2: pip package \"torch>=2\" is not pinned; write torch==<version>",
//! );
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{Finding, pip};
use crate::Rule;

/// How deep `-r`/`-c` includes may nest before pithy stops following them.
const MAX_DEPTH: usize = 32;

/// A `-r`/`-c` line of the top-level requirements file.
///
/// ```
/// use pj_image::rules::requirements::Include;
/// let include = Include { directive: "-r".into(), target: "base.txt".into(), line: 1 };
/// assert_eq!(include.directive, "-r");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// `"-r"` (also for `--requirement`) or `"-c"` (also for `--constraint`).
    pub directive: String,
    /// The file name as written.
    pub target: String,
    /// The (first physical) line number, from 1.
    pub line: usize,
}

/// What [`check_file`] found.
///
/// ```
/// use pj_image::rules::requirements::RequirementsCheck;
/// let check = RequirementsCheck::default();
/// assert!(check.findings.is_empty() && check.files.is_empty() && check.includes.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequirementsCheck {
    /// Every problem, each message prefixed with `file:line: ` (except for a missing
    /// top-level file).
    pub findings: Vec<Finding>,
    /// Every file read, absolute, in read order, without duplicates.
    pub files: Vec<PathBuf>,
    /// The `-r`/`-c` lines of the top-level file only, including ones that could not be followed.
    pub includes: Vec<Include>,
}

/// Checks the requirements file at `path` (absolute) and the files it includes.
/// `display` names it in messages, e.g. `sandbox/requirements.txt`; included files are
/// named relative to it.
///
/// - Requirement lines: per-requirement `--hash=<alg>:<hex>` options are checked (sha256,
///   sha384, sha512 with 64, 96, 128 hex digits), the rest by
///   [`pip::check_requirement`], whose rule is kept.
/// - `-r`/`--requirement` and `-c`/`--constraint` are followed, relative to the including
///   file; constraint files need valid PEP 508 but no pins.
/// - `-i`/`--index-url`, `--extra-index-url`, `-f`/`--find-links`, `--pre`, `--no-binary`,
///   `--only-binary`, `--prefer-binary`, `--require-hashes`, `--trusted-host` and `--no-index`
///   are accepted; `-e`/`--editable` and any other option are [`Rule::RequirementsFile`].
/// - Missing, unreadable, non-UTF-8 and cyclic files are [`Rule::RequirementsFile`].
///
/// ```
/// use pj_image::{Rule, rules::requirements};
/// let check = requirements::check_file(std::path::Path::new("/nonexistent/req.txt"), "req.txt");
/// assert_eq!(check.findings[0].rule, Rule::RequirementsFile);
/// assert!(check.findings[0].message.starts_with("requirements file \"req.txt\" does not exist"));
/// ```
pub fn check_file(path: &Path, display: &str) -> RequirementsCheck {
    let file = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut walker = Walker::default();
    match read(&file) {
        Ok(bytes) => walker.check_bytes(&file, display, Kind::Requirements, &bytes),
        Err(problem) => {
            let message = match problem {
                Problem::Missing => format!(
                    "requirements file {display:?} does not exist (looked at {}); create it, or fix the path",
                    file.display()
                ),
                Problem::NotFile(what) => format!(
                    "requirements path {display:?} is {what}, not a file (looked at {}); \
                     point it at a requirements file like \"requirements.txt\"",
                    file.display()
                ),
                Problem::Io(e) => format!(
                    "cannot read requirements file {display:?} ({}): {e}; check that it is readable",
                    file.display()
                ),
            };
            walker.finding(Rule::RequirementsFile, message);
        }
    }
    walker.out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Requirements,
    Constraints,
}

impl Kind {
    fn directive(self) -> &'static str {
        match self {
            Kind::Requirements => "-r",
            Kind::Constraints => "-c",
        }
    }
}

enum Problem {
    Missing,
    NotFile(&'static str),
    Io(io::Error),
}

/// Reads a regular file; never opens a FIFO or device (which could block).
fn read(path: &Path) -> Result<Vec<u8>, Problem> {
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Problem::Missing,
        _ => Problem::Io(e),
    })?;
    if !meta.is_file() {
        return Err(Problem::NotFile(if meta.is_dir() { "a directory" } else { "a special file" }));
    }
    fs::read(path).map_err(Problem::Io)
}

#[derive(Default)]
struct Walker {
    out: RequirementsCheck,
    /// (canonical path, kind) pairs already checked.
    visited: HashSet<(PathBuf, Kind)>,
    /// Canonical paths already listed in `out.files`.
    listed: HashSet<PathBuf>,
    /// The files being read, outermost first: (canonical path, display).
    stack: Vec<(PathBuf, String)>,
}

/// One option token as parsed by optparse.
struct Opt {
    spec: &'static Spec,
    /// The option as written (`--index`, `-i`).
    written: String,
    value: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A global option pithy accepts.
    Global,
    Include(Kind),
    Editable,
    Hash,
    /// A pip option pithy does not accept.
    Unsupported,
}

struct Spec {
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
    class: Class,
}

const fn spec(long: &'static str, short: Option<char>, takes_value: bool, class: Class) -> Spec {
    Spec { long, short, takes_value, class }
}

/// The options pip accepts in a requirements file (`req_file.py` SUPPORTED_OPTIONS and
/// SUPPORTED_OPTIONS_REQ).
const SPECS: &[Spec] = &[
    spec("--index-url", Some('i'), true, Class::Global),
    spec("--extra-index-url", None, true, Class::Global),
    spec("--find-links", Some('f'), true, Class::Global),
    spec("--pre", None, false, Class::Global),
    spec("--no-binary", None, true, Class::Global),
    spec("--only-binary", None, true, Class::Global),
    spec("--prefer-binary", None, false, Class::Global),
    spec("--require-hashes", None, false, Class::Global),
    spec("--trusted-host", None, true, Class::Global),
    spec("--no-index", None, false, Class::Global),
    spec("--requirement", Some('r'), true, Class::Include(Kind::Requirements)),
    spec("--constraint", Some('c'), true, Class::Include(Kind::Constraints)),
    spec("--editable", Some('e'), true, Class::Editable),
    spec("--hash", None, true, Class::Hash),
    spec("--use-feature", None, true, Class::Unsupported),
    spec("--global-option", None, true, Class::Unsupported),
    spec("--config-settings", Some('C'), true, Class::Unsupported),
];

const ACCEPTED: &str = "-r, -c, -i/--index-url, --extra-index-url, -f/--find-links, --pre, --no-binary, \
                        --only-binary, --prefer-binary, --require-hashes, --trusted-host, --no-index, \
                        and --hash after a requirement";

impl Walker {
    fn finding(&mut self, rule: Rule, message: String) {
        self.out.findings.push(Finding::new(rule, message));
    }

    fn check_bytes(&mut self, file: &Path, display: &str, kind: Kind, bytes: &[u8]) {
        let canonical = fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        self.visited.insert((canonical.clone(), kind));
        if self.listed.insert(canonical.clone()) {
            self.out.files.push(file.to_path_buf());
        }
        let text = match decode(bytes) {
            Ok(text) => text,
            Err((line, why)) => {
                self.finding(Rule::RequirementsFile, format!("{display}:{line}: {why}"));
                return;
            }
        };
        self.stack.push((canonical, display.to_owned()));
        for (line, content) in logical_lines(text) {
            self.check_line(file, display, kind, line, &content);
        }
        self.stack.pop();
    }

    fn check_line(&mut self, file: &Path, display: &str, kind: Kind, line: usize, content: &str) {
        let at = format!("{display}:{line}: ");
        let (args, options) = break_args_options(content);
        let tokens = match shlex_split(&options) {
            Ok(tokens) => tokens,
            Err(why) => {
                self.finding(Rule::RequirementsFile, format!("{at}{why} in {options:?}; close the quote"));
                return;
            }
        };
        let (opts, positional) = match parse_options(&tokens) {
            Ok(parsed) => parsed,
            Err(why) => {
                self.finding(Rule::RequirementsFile, format!("{at}{why}"));
                return;
            }
        };

        if !args.is_empty() {
            let checked = match kind {
                Kind::Requirements => pip::check_requirement(&args),
                Kind::Constraints => pip::check_syntax(&args),
            };
            if let Err(f) = checked {
                self.finding(f.rule, format!("{at}{}", f.message));
            }
        }

        let mut included = false;
        for opt in &opts {
            let written = &opt.written;
            let value = opt.value.as_deref().unwrap_or_default();
            match opt.spec.class {
                Class::Hash if !args.is_empty() => {
                    if let Err(why) = check_hash(value) {
                        self.finding(Rule::RequirementsFile, format!("{at}{why}"));
                    }
                }
                Class::Hash => self.finding(
                    Rule::RequirementsFile,
                    format!("{at}{written} {value} is not after a requirement; write it on the requirement's line, like \"name==1.2.3 --hash=sha256:<64 hex>\""),
                ),
                Class::Editable => self.finding(
                    Rule::RequirementsFile,
                    format!(
                        "{at}editable install \"{written} {value}\" is not reproducible in a snapshot: it installs local \
                         source that is not in the image; pin a released version like name==1.2.3"
                    ),
                ),
                Class::Unsupported => self.finding(
                    Rule::RequirementsFile,
                    format!(
                        "{at}option {written:?} is not supported by pithy in requirements files: it changes how pip \
                         builds or resolves in ways pithy cannot check; remove it (pass it through PipOptions.extra_options \
                         if you must)"
                    ),
                ),
                _ if !args.is_empty() => self.finding(
                    Rule::RequirementsFile,
                    format!(
                        "{at}option {written:?} after requirement {args:?} is not a per-requirement option; \
                         write it on its own line"
                    ),
                ),
                Class::Global => {}
                Class::Include(_) if included => self.finding(
                    Rule::RequirementsFile,
                    format!("{at}pip reads only the first -r/-c of a line and ignores \"{written} {value}\"; write each on its own line"),
                ),
                Class::Include(include) => {
                    included = true;
                    self.include(file, display, line, include, value);
                }
            }
        }
        for ignored in positional {
            self.finding(
                Rule::RequirementsFile,
                format!("{at}{ignored:?} after an option is ignored by pip; write each requirement on its own line"),
            );
        }
    }

    fn include(&mut self, file: &Path, display: &str, line: usize, kind: Kind, target: &str) {
        let at = format!("{display}:{line}: ");
        let directive = kind.directive();
        if self.stack.len() == 1 {
            self.out.includes.push(Include {
                directive: directive.to_owned(),
                target: target.to_owned(),
                line,
            });
        }
        if target.contains("${") {
            self.finding(
                Rule::RequirementsFile,
                format!("{at}\"{directive} {target}\" uses a variable that pip expands from the build environment, which pithy cannot follow; write the path itself"),
            );
            return;
        }
        if has_url_scheme(target) {
            self.finding(
                Rule::RequirementsFile,
                format!("{at}remote requirements file {target:?} cannot be checked and may change; save it in the project and include it by relative path"),
            );
            return;
        }
        if self.stack.len() >= MAX_DEPTH {
            self.finding(
                Rule::RequirementsFile,
                format!("{at}\"{directive} {target}\" nests includes deeper than {MAX_DEPTH} files; flatten the includes"),
            );
            return;
        }
        let base = file.parent().unwrap_or(Path::new("/"));
        let joined = base.join(target);
        let nested = std::path::absolute(&joined).unwrap_or(joined);
        let nested_display = join_display(display, target);
        let canonical = fs::canonicalize(&nested).unwrap_or_else(|_| nested.clone());
        if self.stack.iter().any(|(c, _)| *c == canonical) {
            let chain: Vec<&str> = self.stack.iter().map(|(_, d)| d.as_str()).collect();
            self.finding(
                Rule::RequirementsFile,
                format!(
                    "{at}\"{directive} {target}\" includes a file that is already being read ({} -> {nested_display}), \
                     which pip follows forever; remove the include",
                    chain.join(" -> ")
                ),
            );
            return;
        }
        if self.visited.contains(&(canonical, kind)) {
            return;
        }
        let what = match kind {
            Kind::Requirements => "included requirements file",
            Kind::Constraints => "included constraints file",
        };
        match read(&nested) {
            Ok(bytes) => self.check_bytes(&nested, &nested_display, kind, &bytes),
            Err(Problem::Missing) => self.finding(
                Rule::RequirementsFile,
                format!(
                    "{at}{what} {target:?} does not exist (looked at {}); create it, or fix the path \
                     (it is relative to the directory of {display})",
                    nested.display()
                ),
            ),
            Err(Problem::NotFile(kind_of)) => self.finding(
                Rule::RequirementsFile,
                format!(
                    "{at}{what} {target:?} is {kind_of}, not a file (looked at {}); name a file",
                    nested.display()
                ),
            ),
            Err(Problem::Io(e)) => self.finding(
                Rule::RequirementsFile,
                format!(
                    "{at}cannot read {what} {target:?} ({}): {e}; check that it is readable",
                    nested.display()
                ),
            ),
        }
    }
}

/// pip's `_scheme_re`: `^(http|https|file):` (any case).
fn has_url_scheme(target: &str) -> bool {
    ["http:", "https:", "file:"]
        .iter()
        .any(|scheme| target.get(..scheme.len()).is_some_and(|head| head.eq_ignore_ascii_case(scheme)))
}

/// Names an included file relative to the including file's display name.
fn join_display(display: &str, target: &str) -> String {
    if target.starts_with('/') {
        return target.to_owned();
    }
    let mut target = target;
    while let Some(rest) = target.strip_prefix("./") {
        target = rest;
    }
    match display.rfind('/') {
        Some(i) => format!("{}/{target}", display.get(..i).unwrap_or_default()),
        None => target.to_owned(),
    }
}

/// Checks a `--hash` value: `sha256:<64 hex>`, `sha384:<96 hex>` or `sha512:<128 hex>`.
fn check_hash(value: &str) -> Result<(), String> {
    let Some((algorithm, hex)) = value.split_once(':') else {
        return Err(format!("--hash {value:?} has no algorithm; write --hash=sha256:<64 hex>"));
    };
    let expected = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "--hash algorithm {algorithm:?} is not accepted by pip; use sha256, sha384 or sha512, \
                 like --hash=sha256:<64 hex>"
            ));
        }
    };
    if hex.len() != expected || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "--hash {value:?} must be {algorithm}:<{expected} hex digits>; write the full hex digest"
        ));
    }
    Ok(())
}

/// Text of a requirements file: UTF-8, with an optional BOM. Errors carry the line.
fn decode(bytes: &[u8]) -> Result<&str, (usize, String)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err((1, "requirements file is UTF-16 or UTF-32 encoded; save it as UTF-8".to_owned()));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        (line, "requirements file is not valid UTF-8; save it as UTF-8".to_owned())
    })
}

/// Python's `str.isspace`, as used by `\s` in pip's comment regex.
fn py_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\x1c'..='\x1f')
}

/// Python's `str.splitlines()`.
fn splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(
            c,
            '\n' | '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}'
        ) {
            lines.push(text.get(start..i).unwrap_or_default());
            let mut end = i + c.len_utf8();
            if c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n') {
                chars.next();
                end += 1;
            }
            start = end;
        }
    }
    if start < text.len() {
        lines.push(text.get(start..).unwrap_or_default());
    }
    lines
}

/// pip's `COMMENT_RE.match`: the line is a comment (`#`, possibly after whitespace).
fn is_comment_line(line: &str) -> bool {
    line.trim_start_matches(py_space).starts_with('#')
}

/// pip's `COMMENT_RE.sub("", line)`: cuts from the first `#` that starts the line or
/// follows whitespace, together with that whitespace.
fn strip_comment(line: &str) -> &str {
    let mut run_start = 0;
    let mut prev: Option<char> = None;
    for (i, c) in line.char_indices() {
        let prev_space = prev.is_some_and(py_space);
        if c == '#' && (i == 0 || prev_space) {
            let cut = if i == 0 { 0 } else { run_start };
            return line.get(..cut).unwrap_or_default();
        }
        if py_space(c) && !prev_space {
            run_start = i;
        }
        prev = Some(c);
    }
    line
}

/// pip's `preprocess` (without variable expansion): joined continuation lines, comments
/// removed, stripped, blank lines dropped. Each line keeps its first physical line number.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut joined = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, line) in splitlines(text).into_iter().enumerate() {
        let number = index + 1;
        let comment = is_comment_line(line);
        if !line.ends_with('\\') || comment {
            let line = if comment { format!(" {line}") } else { line.to_owned() };
            match pending.take() {
                Some((first, mut buffer)) => {
                    buffer.push_str(&line);
                    joined.push((first, buffer));
                }
                None => joined.push((number, line)),
            }
        } else {
            pending.get_or_insert_with(|| (number, String::new())).1.push_str(line.trim_matches('\\'));
        }
    }
    joined.extend(pending);
    joined
        .into_iter()
        .filter_map(|(number, line)| {
            let line = strip_comment(&line).trim_matches(py_space);
            (!line.is_empty()).then(|| (number, line.to_owned()))
        })
        .collect()
}

/// pip's `break_args_options`: the requirement is the space-separated tokens before the
/// first one that starts with `-`.
fn break_args_options(line: &str) -> (String, String) {
    let tokens: Vec<&str> = line.split(' ').collect();
    let split = tokens.iter().position(|t| t.starts_with('-')).unwrap_or(tokens.len());
    let (args, options) = tokens.split_at(split);
    (args.join(" "), options.join(" "))
}

/// Python's `shlex.split` (POSIX mode, no comments).
fn shlex_split(s: &str) -> Result<Vec<String>, &'static str> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut in_token = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_token {
                    tokens.push(std::mem::take(&mut current));
                    in_token = false;
                }
            }
            '\'' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => current.push(x),
                        None => return Err("unclosed quote"),
                    }
                }
            }
            '"' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\')) => current.push(x),
                            Some(x) => {
                                current.push('\\');
                                current.push(x);
                            }
                            None => return Err("unclosed quote"),
                        },
                        Some(x) => current.push(x),
                        None => return Err("unclosed quote"),
                    }
                }
            }
            '\\' => {
                in_token = true;
                match chars.next() {
                    Some(x) => current.push(x),
                    None => return Err("dangling backslash"),
                }
            }
            _ => {
                in_token = true;
                current.push(c);
            }
        }
    }
    if in_token {
        tokens.push(current);
    }
    Ok(tokens)
}

/// optparse over `tokens`: the options, and the positional arguments pip ignores.
fn parse_options(tokens: &[String]) -> Result<(Vec<Opt>, Vec<String>), String> {
    let mut opts = Vec::new();
    let mut positional = Vec::new();
    let mut iter = tokens.iter();
    while let Some(token) = iter.next() {
        if token == "--" {
            positional.extend(iter.by_ref().cloned());
            break;
        }
        if let Some(long) = token.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (long, None),
            };
            let spec = match_long(name)?;
            let value = match (spec.takes_value, inline) {
                (true, Some(value)) => Some(value),
                (true, None) => {
                    Some(iter.next().cloned().ok_or_else(|| missing_value(&format!("--{name}")))?)
                }
                (false, Some(_)) => {
                    return Err(format!("option {token:?} takes no value; write {}", spec.long));
                }
                (false, None) => None,
            };
            opts.push(Opt { spec, written: format!("--{name}"), value });
        } else if let Some(short) = token.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let letter = chars.next().unwrap_or('-');
            let rest = chars.as_str();
            let Some(spec) = SPECS.iter().find(|s| s.short == Some(letter)) else {
                return Err(format!(
                    "unknown option \"-{letter}\" in a requirements file; pip accepts {ACCEPTED}; remove it"
                ));
            };
            // Every short option pip accepts in requirements files takes a value.
            let value = if rest.is_empty() {
                iter.next().cloned().ok_or_else(|| missing_value(&format!("-{letter}")))?
            } else {
                rest.to_owned()
            };
            opts.push(Opt { spec, written: format!("-{letter}"), value: Some(value) });
        } else {
            positional.push(token.clone());
        }
    }
    Ok((opts, positional))
}

fn missing_value(option: &str) -> String {
    format!("option {option:?} needs a value; write it after the option, like \"{option} <value>\"")
}

/// optparse's long-option lookup: an exact name, or a unique prefix of one.
fn match_long(name: &str) -> Result<&'static Spec, String> {
    let written = format!("--{name}");
    if let Some(spec) = SPECS.iter().find(|s| s.long == written) {
        return Ok(spec);
    }
    let candidates: Vec<&'static Spec> = if name.is_empty() {
        Vec::new()
    } else {
        SPECS.iter().filter(|s| s.long.starts_with(&written)).collect()
    };
    match candidates.as_slice() {
        [spec] => Ok(spec),
        [] => Err(format!(
            "unknown option {written:?} in a requirements file; pip accepts {ACCEPTED}; remove it"
        )),
        many => {
            let names: Vec<&str> = many.iter().map(|s| s.long).collect();
            Err(format!(
                "ambiguous option {written:?} (it could be {}); write the full option name",
                names.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    const HEX64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    struct Dir(tempfile::TempDir);

    impl Dir {
        fn new() -> Dir {
            Dir(tempfile::tempdir().expect("temp dir"))
        }
        fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
            let path = self.0.path().join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).expect("mkdir");
            }
            fs::write(&path, content).expect("write");
            path
        }
        fn path(&self, name: &str) -> PathBuf {
            self.0.path().join(name)
        }
    }

    /// Checks `content` as `sandbox/requirements.txt`.
    fn check(content: impl AsRef<[u8]>) -> RequirementsCheck {
        let dir = Dir::new();
        let path = dir.write("requirements.txt", content);
        check_file(&path, "sandbox/requirements.txt")
    }

    fn messages(check: &RequirementsCheck) -> Vec<String> {
        check.findings.iter().map(|f| format!("[{}] {}", f.rule, f.message)).collect()
    }

    fn clean(content: &str) {
        let c = check(content);
        assert!(c.findings.is_empty(), "{:#?}", messages(&c));
    }

    fn one(content: impl AsRef<[u8]>, rule: Rule) -> String {
        let c = check(content);
        assert_eq!(c.findings.len(), 1, "{:#?}", messages(&c));
        let f = &c.findings[0];
        assert_eq!(f.rule, rule, "{f}");
        assert!(!f.message.ends_with('.'), "{f}");
        f.message.clone()
    }

    #[test]
    fn accepts_a_good_file() {
        let content = format!(
            "# pinned deps\n\
             \n\
             numpy==1.26.4  # trailing comment\n\
             requests[socks]==2.31.0 ; python_version >= \"3.8\"\n\
             torch==2.3.0 \\\n    --hash=sha256:{HEX64} \\\n    --hash sha512:{}\n\
             foo @ https://example.com/foo.whl#sha256={HEX64}\n\
             \t# indented comment \\\n\
             -i https://pypi.org/simple\n\
             --index-url=https://pypi.org/simple\n\
             -ihttps://pypi.org/simple\n\
             --extra-index-url https://x.example/simple --pre\n\
             -f ./wheels\n--find-links=./wheels\n\
             --no-binary :all:\n--only-binary=:none:\n--prefer-binary\n--require-hashes\n\
             --trusted-host example.com\n--no-index\n\
             --extra-index=https://abbreviated.example/simple\n\
             bar==1.0 --hash=sha384:{}\n",
            "a".repeat(128),
            "b".repeat(96),
        );
        let c = check(content);
        assert!(c.findings.is_empty(), "{:#?}", messages(&c));
        assert_eq!(c.files.len(), 1);
        assert!(c.files[0].is_absolute());
        assert!(c.includes.is_empty());
    }

    #[test]
    fn reports_unpinned_with_file_and_line() {
        assert_eq!(
            one("numpy==1.26.4\n\ntorch>=2\n", Rule::PipUnpinned),
            "sandbox/requirements.txt:3: pip package \"torch>=2\" is not pinned; write torch==<version>"
        );
        // Every other pip rule keeps its own rule id.
        assert!(
            one("foo==\n", Rule::PipInvalid)
                .starts_with("sandbox/requirements.txt:1: pip requirement \"foo==\"")
        );
        assert!(one("foo @ https://${HOST}/f.whl\n", Rule::PipInvalid).contains("variable"));
        assert!(one("./local/pkg\n", Rule::PipInvalid).contains("package name"));
    }

    #[test]
    fn line_numbers_follow_continuations_and_line_endings() {
        assert!(
            one("a==1\r\nb==2 \\\r\n  ; python_version > '3'\r\nc\r\n", Rule::PipUnpinned)
                .starts_with("sandbox/requirements.txt:4: ")
        );
        assert!(one("a==1\rb\r", Rule::PipUnpinned).starts_with("sandbox/requirements.txt:2: "));
        assert!(one("a==1\u{2028}b\n", Rule::PipUnpinned).starts_with("sandbox/requirements.txt:2: "));
        // A continued line is reported at its first physical line.
        assert!(one("a==1\ntor\\\nch\\\n>=2\n", Rule::PipUnpinned).contains(":2: pip package \"torch>=2\""));
        // A trailing backslash on the last line.
        assert!(one("a==1\nb\\", Rule::PipUnpinned).contains(":2: pip package \"b\""));
        // A comment line ends a continuation.
        assert!(one("b \\\n# note\nc==1\n", Rule::PipUnpinned).contains(":1: pip package \"b\""));
        clean("a==1 \\\n\n");
        clean("\u{feff}a==1\n");
        clean("");
    }

    #[test]
    fn comments_need_whitespace_before_hash() {
        clean("# only a comment\n   # indented\na==1 # ok\na==1\t#tab");
        clean(&format!("foo @ https://e.com/f.whl#sha256={HEX64} # a comment\n"));
        // Without whitespace, '#' is part of the requirement.
        one("a==1#x\n", Rule::PipInvalid);
    }

    #[test]
    fn handles_long_lines() {
        let long = format!("a==1 ; python_version >= \"3.8\"{}\n", " ".repeat(1 << 20));
        clean(&long);
        let mut many = String::new();
        for i in 0..5000 {
            let _ = writeln!(many, "pkg{i}=={i}.0");
        }
        clean(&many);
    }

    #[test]
    fn checks_hashes() {
        assert!(one("a==1 --hash=md5:abc\n", Rule::RequirementsFile).contains("--hash algorithm \"md5\""));
        assert!(
            one("a==1 --hash=sha256:abc\n", Rule::RequirementsFile)
                .contains("must be sha256:<64 hex digits>")
        );
        assert!(
            one(format!("a==1 --hash=sha256:{}g\n", &HEX64[1..]), Rule::RequirementsFile)
                .contains("must be sha256")
        );
        assert!(one(format!("a==1 --hash={HEX64}\n"), Rule::RequirementsFile).contains("has no algorithm"));
        assert!(one("a==1 --hash\n", Rule::RequirementsFile).contains("needs a value"));
        assert!(
            one(format!("--hash=sha256:{HEX64}\n"), Rule::RequirementsFile)
                .contains("not after a requirement")
        );
        // Pinning is still required with a hash.
        assert!(
            one(format!("a>=1 --hash=sha256:{HEX64}\n"), Rule::PipUnpinned).contains("write a==<version>")
        );
    }

    #[test]
    fn rejects_editables_and_other_options() {
        let m = one("-e .\n", Rule::RequirementsFile);
        assert!(
            m.starts_with("sandbox/requirements.txt:1: editable install \"-e .\" is not reproducible"),
            "{m}"
        );
        assert!(m.contains("pin a released version"));
        one("--editable=git+https://x/y#egg=y\n", Rule::RequirementsFile);
        assert!(one("--use-feature=truststore\n", Rule::RequirementsFile).contains("not supported by pithy"));
        assert!(
            one("a==1 --config-settings=x=y\n", Rule::RequirementsFile).contains("\"--config-settings\"")
        );
        assert!(one("a==1 -Cx=y\n", Rule::RequirementsFile).contains("\"-C\""));
        assert!(one("--foo\n", Rule::RequirementsFile).contains("unknown option \"--foo\""));
        assert!(one("-x y\n", Rule::RequirementsFile).contains("unknown option \"-x\""));
        assert!(one("--pr\n", Rule::RequirementsFile).contains("ambiguous option \"--pr\""));
        clean("--\n");
        assert!(one("--=x\n", Rule::RequirementsFile).contains("unknown option \"--\""));
        assert!(one("--pre=1\n", Rule::RequirementsFile).contains("takes no value"));
        assert!(one("-i\n", Rule::RequirementsFile).contains("\"-i\" needs a value"));
        assert!(one("--index-url\n", Rule::RequirementsFile).contains("\"--index-url\" needs a value"));
        assert!(one("a==1 --pre\n", Rule::RequirementsFile).contains("not a per-requirement option"));
        assert!(
            one("--pre a==1\n", Rule::RequirementsFile)
                .contains("\"a==1\" after an option is ignored by pip")
        );
        assert!(one("--index-url 'https://x\n", Rule::RequirementsFile).contains("unclosed quote"));
        assert!(one("--index-url \"https://x\n", Rule::RequirementsFile).contains("unclosed quote"));
        clean("--index-url \"https://x/a b\" --trusted-host 'x'\n");
        clean("--index-url \"https:\\\\x\\\"y\"\n");
    }

    #[test]
    fn missing_and_non_file_top_level() {
        let dir = Dir::new();
        let missing = dir.path("x");
        let c = check_file(&missing, "x");
        assert_eq!(c.findings.len(), 1);
        assert_eq!(c.findings[0].rule, Rule::RequirementsFile);
        assert_eq!(
            c.findings[0].message,
            format!(
                "requirements file \"x\" does not exist (looked at {}); create it, or fix the path",
                missing.display()
            )
        );
        assert!(c.files.is_empty());
        let c = check_file(dir.0.path(), "sandbox");
        assert!(
            c.findings[0].message.starts_with("requirements path \"sandbox\" is a directory, not a file")
        );
        let c = check_file(Path::new("/dev/null"), "null");
        assert!(c.findings[0].message.contains("a special file"), "{:?}", c.findings);
    }

    #[test]
    fn rejects_bad_encodings() {
        let m = one(b"a==1\nb==2\n\xff\n".as_slice(), Rule::RequirementsFile);
        assert_eq!(m, "sandbox/requirements.txt:3: requirements file is not valid UTF-8; save it as UTF-8");
        assert!(one(b"\xff\xfea\x00".as_slice(), Rule::RequirementsFile).contains("UTF-16"));
    }

    #[test]
    fn follows_includes() {
        let dir = Dir::new();
        let top = dir.write(
            "requirements.txt",
            "-r sub/base.txt\n--constraint=constraints.txt\na==1\n--requirement ./sub/base.txt\n",
        );
        dir.write("sub/base.txt", "-r more.txt\nb>=2\n");
        dir.write("sub/more.txt", "c==1\nd\n");
        dir.write("constraints.txt", "torch>=2\nnumpy\nbad==\n-c sub/more.txt\n");
        let c = check_file(&top, "sandbox/requirements.txt");
        assert_eq!(
            messages(&c),
            [
                "[pip-unpinned] sandbox/sub/more.txt:2: pip package \"d\" is not pinned; write d==<version>",
                "[pip-unpinned] sandbox/sub/base.txt:2: pip package \"b>=2\" is not pinned; write b==<version>",
                "[pip-invalid] sandbox/constraints.txt:3: pip requirement \"bad==\" is not valid PEP 508; write \
                 name[extras]==version[; marker], like \"requests==2.32.3\"\nunexpected end of version specifier, \
                 expected version\nbad==\n   ^^",
            ]
        );
        let names: Vec<_> = c
            .files
            .iter()
            .map(|p| p.strip_prefix(dir.0.path()).expect("under the temp dir").to_path_buf())
            .collect();
        assert_eq!(
            names,
            ["requirements.txt", "sub/base.txt", "sub/more.txt", "constraints.txt"].map(PathBuf::from)
        );
        assert!(c.files.iter().all(|p| p.is_absolute()));
        assert_eq!(
            c.includes,
            [
                Include { directive: "-r".into(), target: "sub/base.txt".into(), line: 1 },
                Include { directive: "-c".into(), target: "constraints.txt".into(), line: 2 },
                Include { directive: "-r".into(), target: "./sub/base.txt".into(), line: 4 },
            ]
        );
    }

    #[test]
    fn short_and_attached_include_forms() {
        let dir = Dir::new();
        let top = dir.write("r.txt", "-rb.txt\n-c   c.txt\n");
        dir.write("b.txt", "x==1\n");
        dir.write("c.txt", "y\n");
        let c = check_file(&top, "r.txt");
        assert!(c.findings.is_empty(), "{:#?}", messages(&c));
        assert_eq!(c.includes.len(), 2);
        assert_eq!(c.includes[0].target, "b.txt");
        assert_eq!(c.includes[1].directive, "-c");
        assert_eq!(c.files.len(), 3);
    }

    #[test]
    fn reports_broken_includes() {
        let dir = Dir::new();
        fs::create_dir_all(dir.path("adir")).expect("mkdir");
        let top = dir.write(
            "requirements.txt",
            "-r missing.txt\n-c adir\n-r https://example.com/r.txt\n-r ${REQS}\n-r a.txt -r b.txt\n",
        );
        dir.write("a.txt", "a==1\n");
        dir.write("b.txt", "b==1\n");
        let c = check_file(&top, "req.txt");
        let m = messages(&c);
        assert_eq!(m.len(), 5, "{m:#?}");
        assert_eq!(
            m[0],
            format!(
                "[requirements-file] req.txt:1: included requirements file \"missing.txt\" does not exist (looked at {}); \
                 create it, or fix the path (it is relative to the directory of req.txt)",
                dir.path("missing.txt").display()
            )
        );
        assert!(m[1].contains("req.txt:2: included constraints file \"adir\" is a directory"), "{}", m[1]);
        assert!(m[2].contains("req.txt:3: remote requirements file"), "{}", m[2]);
        assert!(m[3].contains("req.txt:4: \"-r ${REQS}\" uses a variable"), "{}", m[3]);
        assert!(m[4].contains("req.txt:5: pip reads only the first -r/-c"), "{}", m[4]);
        assert_eq!(c.includes.len(), 5);
        assert_eq!(c.files.len(), 2); // requirements.txt and a.txt
    }

    #[test]
    fn detects_cycles() {
        let dir = Dir::new();
        let a = dir.write("a.txt", "-r b.txt\na==1\n");
        dir.write("b.txt", "\n-r a.txt\nb==1\n");
        let c = check_file(&a, "req/a.txt");
        let m = messages(&c);
        assert_eq!(m.len(), 1, "{m:#?}");
        assert!(m[0].starts_with("[requirements-file] req/b.txt:2: \"-r a.txt\" includes a file that is already being read (req/a.txt -> req/b.txt -> req/a.txt)"), "{}", m[0]);
        assert_eq!(c.files.len(), 2);

        let me = dir.write("self.txt", "-r ./self.txt\n");
        let c = check_file(&me, "self.txt");
        assert_eq!(c.findings.len(), 1);
        assert!(c.findings[0].message.contains("already being read"));
    }

    #[test]
    fn reads_shared_includes_once_per_kind() {
        let dir = Dir::new();
        let top = dir.write("top.txt", "-r b.txt\n-r c.txt\n-c c.txt\n");
        dir.write("b.txt", "-r c.txt\n");
        dir.write("c.txt", "x\n");
        let c = check_file(&top, "top.txt");
        // Unpinned once as a requirements file; the constraints read of c.txt accepts it.
        assert_eq!(
            messages(&c),
            ["[pip-unpinned] c.txt:1: pip package \"x\" is not pinned; write x==<version>"]
        );
        assert_eq!(c.files.len(), 3);
    }

    #[test]
    fn limits_include_depth() {
        let dir = Dir::new();
        for i in 0..40 {
            dir.write(&format!("r{i}.txt"), format!("-r r{}.txt\n", i + 1));
        }
        dir.write("r40.txt", "a==1\n");
        let c = check_file(&dir.path("r0.txt"), "r0.txt");
        assert_eq!(c.findings.len(), 1, "{:#?}", messages(&c));
        assert!(c.findings[0].message.contains("deeper than 32"));
        assert_eq!(c.files.len(), MAX_DEPTH);
    }

    #[test]
    fn helpers_match_python() {
        assert_eq!(splitlines("a\nb\r\nc\rd\x0ce\u{85}f"), ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(splitlines("a\n"), ["a"]);
        assert_eq!(splitlines("\n\n"), ["", ""]);
        assert!(splitlines("").is_empty());
        assert_eq!(strip_comment("a # b"), "a");
        assert_eq!(strip_comment("a#b # c"), "a#b");
        assert_eq!(strip_comment("#x"), "");
        assert_eq!(strip_comment("a\u{3000}#x"), "a");
        assert_eq!(break_args_options("a==1 --hash=x -y"), ("a==1".to_owned(), "--hash=x -y".to_owned()));
        assert_eq!(break_args_options("a==1\t--hash=x"), ("a==1\t--hash=x".to_owned(), String::new()));
        assert_eq!(
            shlex_split(" a 'b c' \"d\\\"e\" f\\ g "),
            Ok(vec!["a".into(), "b c".into(), "d\"e".into(), "f g".into()])
        );
        assert_eq!(shlex_split("x\\"), Err("dangling backslash"));
        assert_eq!(join_display("a/b/r.txt", "./../c.txt"), "a/b/../c.txt");
        assert_eq!(join_display("r.txt", "c.txt"), "c.txt");
        assert_eq!(join_display("a/r.txt", "/abs/c.txt"), "/abs/c.txt");
        assert!(has_url_scheme("HTTPS://x") && has_url_scheme("file:x") && !has_url_scheme("files.txt"));
    }
}
