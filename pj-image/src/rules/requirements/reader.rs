//! pip's requirements-file reader: the bytes of a file (regular files only), their
//! encoding, `str.splitlines()`, `\` continuations, comments, and each line's
//! requirement and options (`shlex.split` and optparse over pip's option table).

use std::fs;
use std::io;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Requirements,
    Constraints,
}

impl Kind {
    pub(super) fn directive(self) -> &'static str {
        match self {
            Kind::Requirements => "-r",
            Kind::Constraints => "-c",
        }
    }
}

pub(super) enum Problem {
    Missing,
    NotFile(&'static str),
    Io(io::Error),
}

/// Reads a regular file; never opens a FIFO or device (which could block).
pub(super) fn read(path: &Path) -> Result<Vec<u8>, Problem> {
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Problem::Missing,
        _ => Problem::Io(e),
    })?;
    if !meta.is_file() {
        return Err(Problem::NotFile(if meta.is_dir() { "a directory" } else { "a special file" }));
    }
    fs::read(path).map_err(Problem::Io)
}

/// One option token as parsed by optparse.
pub(super) struct Opt {
    pub(super) spec: &'static Spec,
    /// The option as written (`--index`, `-i`).
    pub(super) written: String,
    pub(super) value: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    /// A global option pithy accepts.
    Global,
    Include(Kind),
    Editable,
    Hash,
    /// A pip option pithy does not accept.
    Unsupported,
}

pub(super) struct Spec {
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
    pub(super) class: Class,
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

/// pip's `_scheme_re`: `^(http|https|file):` (any case).
pub(super) fn has_url_scheme(target: &str) -> bool {
    ["http:", "https:", "file:"]
        .iter()
        .any(|scheme| target.get(..scheme.len()).is_some_and(|head| head.eq_ignore_ascii_case(scheme)))
}

/// Text of a requirements file: UTF-8, with an optional BOM. Errors carry the line.
pub(super) fn decode(bytes: &[u8]) -> Result<&str, (usize, String)> {
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
pub(super) fn splitlines(text: &str) -> Vec<&str> {
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
pub(super) fn strip_comment(line: &str) -> &str {
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
pub(super) fn logical_lines(text: &str) -> Vec<(usize, String)> {
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
pub(super) fn break_args_options(line: &str) -> (String, String) {
    let tokens: Vec<&str> = line.split(' ').collect();
    let split = tokens.iter().position(|t| t.starts_with('-')).unwrap_or(tokens.len());
    let (args, options) = tokens.split_at(split);
    (args.join(" "), options.join(" "))
}

/// Python's `shlex.split` (POSIX mode, no comments).
pub(super) fn shlex_split(s: &str) -> Result<Vec<String>, &'static str> {
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
pub(super) fn parse_options(tokens: &[String]) -> Result<(Vec<Opt>, Vec<String>), String> {
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
