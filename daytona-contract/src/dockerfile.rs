//! Reading a Dockerfile as Docker reads it: the one reader of pithy's rules (`pj-image`,
//! which checks the instructions written by hand) and of the local server (which needs the
//! images a build takes and the sources of its `COPY` lines). It reads; it does not judge:
//! what pithy refuses, and the rule ids, are `pj-image`'s.
//!
//! - [`read`] splits the text into [`Instruction`]s: physical lines ending in the escape
//!   character (`\`) continue (the character removed, nothing inserted), blank and `#`
//!   comment lines inside a continued instruction are dropped, a comment never continues,
//!   the keyword is case-insensitive. [`read_escaped`] follows another escape character,
//!   as the `# escape=` parser directive ([`directives`], [`escape`]) asks.
//! - [`split_flags`] separates the leading `--name[=value]` flags from the arguments;
//!   [`json_form`] reads the JSON (exec) form, [`shell_words`] the shell form's words.
//! - [`from_args`], [`copy_args`], [`mount_options`], [`env_pairs`] and [`arg_pairs`] read
//!   the arguments of `FROM`, `COPY`/`ADD`, `RUN --mount`, `ENV` and `ARG`.
//! - [`expand`] substitutes variables as Docker's word lexer does (`$NAME`, `${NAME}`,
//!   `${NAME:-default}`, ...), and [`external_images`] uses all of the above to list the
//!   images a build takes from outside the Dockerfile: `FROM` (after the expansion of the
//!   `ARG`s declared before the first `FROM`), `COPY --from=<image>` and
//!   `RUN --mount=...,from=<image>`, stages and `scratch` left out.
//!
//! Hand-written rather than a Dockerfile parser crate: the callers need each
//! instruction's first physical line (for `Dockerfile:3:` messages) and the `COPY`
//! sources exactly as Daytona's SDK extracts them (`docs/daytona-contract.md` §2.4: flags
//! skipped without consuming a word, JSON or shell words), so such a crate would still
//! need this layer; Docker's line grammar itself is a few dozen lines.
//!
//! ```
//! use daytona_contract::dockerfile::{self, ImageUse};
//!
//! let text = "ARG BASE=debian:bookworm-slim\nFROM ${BASE} AS build\n# tools\n\
//!             RUN apt-get update && \\\n    apt-get install -y git\n\
//!             FROM build\nCOPY --from=tools:1 /bin/t /bin/t\n";
//! let read = dockerfile::read(text);
//! let keywords: Vec<(usize, &str)> = read.iter().map(|i| (i.line, i.keyword.as_str())).collect();
//! assert_eq!(keywords, [(1, "ARG"), (2, "FROM"), (4, "RUN"), (6, "FROM"), (7, "COPY")]);
//! assert_eq!(read[2].args, "apt-get update &&     apt-get install -y git");
//!
//! let images = dockerfile::external_images(text)?;
//! let named: Vec<(&str, ImageUse)> = images.iter().map(|i| (i.image.as_str(), i.used_by)).collect();
//! assert_eq!(named, [("debian:bookworm-slim", ImageUse::From), ("tools:1", ImageUse::CopyFrom)]);
//! # Ok::<(), dockerfile::ReadError>(())
//! ```

use std::collections::HashMap;
use std::fmt;

/// The instructions Docker knows, in the order of Docker's reference.
pub const INSTRUCTIONS: [&str; 18] = [
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

/// One instruction: where it starts, its keyword (upper case) and the text after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The 1-based physical line the instruction starts on.
    pub line: usize,
    /// The keyword, upper-cased (`copy` reads as `COPY`).
    pub keyword: String,
    /// Everything after the keyword, continuations joined, trimmed.
    pub args: String,
    /// Whether the last line ends in the escape character with nothing after it to
    /// continue into.
    pub unterminated: bool,
}

impl Instruction {
    /// The leading flags of the arguments and the rest ([`split_flags`]).
    ///
    /// ```
    /// let i = &daytona_contract::dockerfile::read("COPY --from=build --link /a /b\n")[0];
    /// let (flags, rest) = i.flags();
    /// assert_eq!(daytona_contract::dockerfile::flag(&flags, "from"), Some("build"));
    /// assert_eq!(rest, "/a /b");
    /// ```
    pub fn flags(&self) -> (Vec<Flag<'_>>, &str) {
        split_flags(&self.args)
    }
}

/// The instructions of `text`, in order, read with Docker's default escape character
/// `\`. Blank lines and comments are skipped; parser directives are comments here
/// ([`directives`] reads them).
///
/// ```
/// let read = daytona_contract::dockerfile::read("from debian:12\nRUN a \\\n  # inside\n  b\n");
/// assert_eq!((read[1].line, read[1].keyword.as_str(), read[1].args.as_str()), (2, "RUN", "a   b"));
/// ```
pub fn read(text: &str) -> Vec<Instruction> {
    read_escaped(text, '\\')
}

/// [`read`] with another escape character (Docker allows `\` and `` ` ``, chosen with the
/// `# escape=` parser directive; [`escape`] reads it).
///
/// ```
/// let read = daytona_contract::dockerfile::read_escaped("RUN dir c:\\ `\n  && echo done\n", '`');
/// assert_eq!(read[0].args, "dir c:\\   && echo done");
/// ```
pub fn read_escaped(text: &str, escape: char) -> Vec<Instruction> {
    let mut out = Vec::new();
    // The instruction being continued: its first line and the text so far.
    let mut current: Option<(usize, String)> = None;
    for (index, physical) in text.split('\n').enumerate() {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        let comment = physical.trim_start().starts_with('#');
        if physical.trim().is_empty() || comment {
            continue;
        }
        let trimmed = physical.trim_end();
        let continued = trimmed.ends_with(escape);
        let segment = if continued { &trimmed[..trimmed.len() - escape.len_utf8()] } else { physical };
        let (line, mut joined) = current.take().unwrap_or((index + 1, String::new()));
        joined.push_str(segment);
        if continued {
            current = Some((line, joined));
        } else {
            out.push(instruction(line, &joined, false));
        }
    }
    if let Some((line, joined)) = current {
        out.push(instruction(line, &joined, true));
    }
    out
}

fn instruction(line: usize, text: &str, unterminated: bool) -> Instruction {
    let text = text.trim();
    let (keyword, args) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    Instruction { line, keyword: keyword.to_ascii_uppercase(), args: args.trim().to_owned(), unterminated }
}

/// The parser directives at the top of a Dockerfile (`# syntax=...`, `# escape=...`),
/// as `(line, name, value)`, names lower-cased. Docker reads them only before the first
/// instruction, comment or blank line.
///
/// ```
/// let d = daytona_contract::dockerfile::directives("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n");
/// assert_eq!(d, [(1, "syntax".to_owned(), "docker/dockerfile:1".to_owned()), (2, "escape".to_owned(), "`".to_owned())]);
/// ```
pub fn directives(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix('#') else { break };
        let Some((name, value)) = rest.split_once('=') else { break };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            break;
        }
        out.push((index + 1, name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    out
}

/// The escape character `text` asks for with its `# escape=` directive (`\` without
/// one), or the error Docker gives for a value other than `\` and `` ` ``.
///
/// ```
/// use daytona_contract::dockerfile::escape;
/// assert_eq!(escape("FROM x\n"), Ok('\\'));
/// assert_eq!(escape("# escape=`\nFROM x\n"), Ok('`'));
/// assert!(escape("# escape=%\nFROM x\n").is_err());
/// ```
pub fn escape(text: &str) -> Result<char, ReadError> {
    match directives(text).into_iter().find(|(_, name, _)| name == "escape") {
        None => Ok('\\'),
        Some((_, _, value)) if value == "\\" => Ok('\\'),
        Some((_, _, value)) if value == "`" => Ok('`'),
        Some((line, _, value)) => Err(ReadError::new(
            line,
            format!("the parser directive `# escape={value}` is invalid: Docker allows only \\ and `"),
        )),
    }
}

/// A `--name=value` or `--name` flag before an instruction's arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag<'a> {
    /// The word as written (`--from=build`).
    pub text: &'a str,
    /// The name without the dashes (`from`).
    pub name: &'a str,
    /// What follows the first `=`, if any (`build`).
    pub value: Option<&'a str>,
}

/// The leading words of `args` that start with `--`, as [`Flag`]s, and the rest. A flag
/// never takes the next word as its value (`--link /a /b` is a flag and two words).
///
/// ```
/// let (flags, rest) = daytona_contract::dockerfile::split_flags("--chown=1000 --link  a b");
/// let texts: Vec<&str> = flags.iter().map(|f| f.text).collect();
/// assert_eq!((texts, rest), (vec!["--chown=1000", "--link"], "a b"));
/// assert_eq!((flags[0].name, flags[0].value, flags[1].value), ("chown", Some("1000"), None));
/// ```
pub fn split_flags(args: &str) -> (Vec<Flag<'_>>, &str) {
    let mut flags = Vec::new();
    let mut rest = args.trim_start();
    while rest.starts_with("--") {
        let (text, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let (name, value) = match text[2..].split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (&text[2..], None),
        };
        flags.push(Flag { text, name, value });
        rest = tail.trim_start();
    }
    (flags, rest)
}

/// The value of the first flag called `name` (`None` when there is none or it has no
/// value).
pub fn flag<'a>(flags: &[Flag<'a>], name: &str) -> Option<&'a str> {
    flags.iter().find(|f| f.name == name).and_then(|f| f.value)
}

/// Why a text that starts like the JSON (exec) form is not a JSON array of strings; its
/// text is the JSON parser's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonFormError(String);

impl fmt::Display for JsonFormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsonFormError {}

/// The JSON (exec) form's strings, when `args` starts with `[`; `None` for the shell
/// form.
///
/// ```
/// use daytona_contract::dockerfile::json_form;
/// assert_eq!(json_form("[\"a\", \"b c\"]"), Some(Ok(vec!["a".to_owned(), "b c".to_owned()])));
/// assert!(json_form("['a']").is_some_and(|r| r.is_err()));
/// assert_eq!(json_form("echo [x]"), None);
/// ```
pub fn json_form(args: &str) -> Option<Result<Vec<String>, JsonFormError>> {
    if !args.starts_with('[') {
        return None;
    }
    Some(serde_json::from_str::<Vec<String>>(args).map_err(|e| JsonFormError(e.to_string())))
}

/// The shell form's words, split like POSIX sh (quotes removed, no expansion), as
/// Daytona's SDK splits `COPY` lines (`shlex.split`); `None` for an unclosed quote.
///
/// ```
/// let words = daytona_contract::dockerfile::shell_words("'dir with space/f' /x");
/// assert_eq!(words, Some(vec!["dir with space/f".to_owned(), "/x".to_owned()]));
/// ```
pub fn shell_words(args: &str) -> Option<Vec<String>> {
    shlex::split(args)
}

/// Why the arguments of an instruction cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgsError {
    /// They start like the JSON form but are not a JSON array of strings.
    Json(JsonFormError),
    /// A quote is not closed.
    UnclosedQuote,
    /// Fewer words than the instruction needs (`COPY` needs a source and a destination).
    TooFew,
    /// A word is not `KEY=value` (`ENV`): the word.
    NotAPair(String),
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::Json(e) => {
                write!(f, "it starts like the JSON form but is not a JSON array of strings ({e})")
            }
            ArgsError::UnclosedQuote => f.write_str("it has an unclosed quote"),
            ArgsError::TooFew => f.write_str("it needs at least one source and a destination"),
            ArgsError::NotAPair(word) => write!(f, "{word:?} is not KEY=value"),
        }
    }
}

impl std::error::Error for ArgsError {}

/// The arguments of `FROM [--flag...] <image> [AS <name>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromArgs {
    /// The image as written (variables not expanded; [`expand`] does that).
    pub image: String,
    /// The stage name, lower-cased as Docker compares them.
    pub stage: Option<String>,
    /// The `--platform=` flag's value, if any.
    pub platform: Option<String>,
}

/// Reads the arguments of a `FROM`; `None` when they are not `<image> [AS <name>]`.
///
/// ```
/// use daytona_contract::dockerfile::from_args;
/// let f = from_args("--platform=linux/amd64 python:3.12 as Build").expect("a FROM");
/// assert_eq!((f.image.as_str(), f.stage.as_deref(), f.platform.as_deref()), ("python:3.12", Some("build"), Some("linux/amd64")));
/// assert_eq!(from_args("a b"), None);
/// ```
pub fn from_args(args: &str) -> Option<FromArgs> {
    let (flags, rest) = split_flags(args);
    let platform = flag(&flags, "platform").map(str::to_owned);
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words.as_slice() {
        [image] => Some(FromArgs { image: (*image).to_owned(), stage: None, platform }),
        [image, kw, stage] if kw.eq_ignore_ascii_case("as") => {
            Some(FromArgs { image: (*image).to_owned(), stage: Some(stage.to_ascii_lowercase()), platform })
        }
        _ => None,
    }
}

/// The arguments of `COPY` or `ADD`: flags, sources, destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyArgs<'a> {
    /// The leading flags (`--from=`, `--chown=`, `--link`, ...).
    pub flags: Vec<Flag<'a>>,
    /// Every word but the last.
    pub sources: Vec<String>,
    /// The last word.
    pub destination: String,
}

impl CopyArgs<'_> {
    /// The `--from=` flag's value: a stage, a stage's index, or an image.
    pub fn from(&self) -> Option<&str> {
        flag(&self.flags, "from")
    }
}

/// Reads the arguments of a `COPY` or `ADD` (without a heredoc) as Daytona's SDK does
/// (`docs/daytona-contract.md` §2.4): flags, then the JSON form or shell words, the last
/// one the destination.
///
/// ```
/// use daytona_contract::dockerfile::{ArgsError, copy_args};
/// let c = copy_args("--chown=1000 [\"app\", \"conf.toml\", \"/srv/\"]").expect("a COPY");
/// assert_eq!((c.sources, c.destination.as_str()), (vec!["app".to_owned(), "conf.toml".to_owned()], "/srv/"));
/// assert_eq!(copy_args("--from=build /bin/x /x").expect("a COPY").from(), Some("build"));
/// assert_eq!(copy_args("onlyone"), Err(ArgsError::TooFew));
/// ```
pub fn copy_args(args: &str) -> Result<CopyArgs<'_>, ArgsError> {
    let (flags, rest) = split_flags(args);
    let mut words = match json_form(rest) {
        Some(words) => words.map_err(ArgsError::Json)?,
        None => shell_words(rest).ok_or(ArgsError::UnclosedQuote)?,
    };
    if words.len() < 2 {
        return Err(ArgsError::TooFew);
    }
    let destination = words.pop().unwrap_or_default();
    Ok(CopyArgs { flags, sources: words, destination })
}

/// The options of a `RUN --mount=` flag's value (comma-separated, `"`-quoted fields
/// allowed, as Docker reads it with a CSV reader), as `(key, value)`; a bare key
/// (`readonly`) has no value.
///
/// ```
/// let options = daytona_contract::dockerfile::mount_options("type=bind,from=tools:1,target=/t,readonly");
/// assert_eq!(options[1], ("from".to_owned(), Some("tools:1".to_owned())));
/// assert_eq!(options[3], ("readonly".to_owned(), None));
/// ```
pub fn mount_options(value: &str) -> Vec<(String, Option<String>)> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
        .into_iter()
        .filter(|f| !f.trim().is_empty())
        .map(|f| match f.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.to_owned())),
            None => (f.trim().to_ascii_lowercase(), None),
        })
        .collect()
}

/// The `KEY=value` pairs of an `ENV` (shell words, quotes removed), or the legacy form
/// `ENV KEY value with spaces`.
///
/// ```
/// use daytona_contract::dockerfile::env_pairs;
/// assert_eq!(env_pairs("A=1 B=\"two words\""), Ok(vec![("A".into(), "1".into()), ("B".into(), "two words".into())]));
/// assert_eq!(env_pairs("HF_HOME /data/hf cache"), Ok(vec![("HF_HOME".into(), "/data/hf cache".into())]));
/// ```
pub fn env_pairs(args: &str) -> Result<Vec<(String, String)>, ArgsError> {
    let first = args.split_whitespace().next().unwrap_or("");
    if !first.contains('=') {
        // The legacy form: `ENV KEY value with spaces`.
        let (key, value) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        return Ok(vec![(key.to_owned(), value.trim().to_owned())]);
    }
    let words = shell_words(args).ok_or(ArgsError::UnclosedQuote)?;
    let mut pairs = Vec::new();
    for word in words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(ArgsError::NotAPair(word));
        };
        pairs.push((key.to_owned(), value.to_owned()));
    }
    Ok(pairs)
}

/// The names of an `ARG` with their defaults (shell words, quotes removed, variables
/// not expanded).
///
/// ```
/// use daytona_contract::dockerfile::arg_pairs;
/// assert_eq!(arg_pairs("V=1 NAME"), Ok(vec![("V".into(), Some("1".into())), ("NAME".into(), None)]));
/// ```
pub fn arg_pairs(args: &str) -> Result<Vec<(String, Option<String>)>, ArgsError> {
    let words = shell_words(args).ok_or(ArgsError::UnclosedQuote)?;
    Ok(words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (w, None),
        })
        .collect())
}

/// Why a word cannot be expanded, or a Dockerfile's images cannot be read: the
/// 1-based line it is about (0 when none) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The line of the instruction (0 for a word read alone).
    pub line: usize,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl ReadError {
    fn new(line: usize, message: impl Into<String>) -> ReadError {
        ReadError { line, message: message.into() }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "Dockerfile line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ReadError {}

/// Expands the variables of `word` and removes its quotes, as Docker's word lexer does
/// for `FROM` and `ARG` values: `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
/// `${NAME:+alternative}`, `${NAME+alternative}`, `${NAME:?message}`, `${NAME?message}`;
/// single quotes are literal, double quotes allow expansion, the escape character takes
/// the next one literally. `lookup` gives a variable's value, `None` when it is unset.
/// The pattern operators (`${NAME#...}`, `%`, `/`) are an error: this reader does not
/// follow them.
///
/// ```
/// use daytona_contract::dockerfile::expand;
/// let vars = |name: &str| (name == "V").then(|| "3.12".to_owned());
/// assert_eq!(expand("python:${V}-slim", '\\', &vars), Ok("python:3.12-slim".to_owned()));
/// assert_eq!(expand("${TAG:-bookworm}", '\\', &vars), Ok("bookworm".to_owned()));
/// assert_eq!(expand("'$V'\\$V", '\\', &vars), Ok("$V$V".to_owned()));
/// assert!(expand("${V#3.}", '\\', &vars).is_err());
/// ```
pub fn expand(
    word: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ReadError> {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let end = chars[i + 1..]
                .iter()
                .position(|&c| c == '\'')
                .ok_or_else(|| ReadError::new(0, format!("{word:?} has an unclosed single quote")))?;
            out.extend(&chars[i + 1..i + 1 + end]);
            i += end + 2;
        } else if c == '"' {
            i += 1;
            loop {
                let Some(&c) = chars.get(i) else {
                    return Err(ReadError::new(0, format!("{word:?} has an unclosed double quote")));
                };
                if c == '"' {
                    i += 1;
                    break;
                }
                if c == escape && chars.get(i + 1).is_some_and(|&n| n == '"' || n == '$' || n == escape) {
                    out.push(chars[i + 1]);
                    i += 2;
                } else if c == '$' {
                    i = dollar(&chars, i, escape, lookup, &mut out, word)?;
                } else {
                    out.push(c);
                    i += 1;
                }
            }
        } else if c == escape {
            out.extend(chars.get(i + 1));
            i += 2;
        } else if c == '$' {
            i = dollar(&chars, i, escape, lookup, &mut out, word)?;
        } else {
            out.push(c);
            i += 1;
        }
    }
    Ok(out)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands the `$` at `chars[at]` into `out`; the index after what it consumed.
fn dollar(
    chars: &[char],
    at: usize,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
    out: &mut String,
    word: &str,
) -> Result<usize, ReadError> {
    match chars.get(at + 1) {
        Some('{') => {
            let start = at + 2;
            let name_end = start + chars[start..].iter().take_while(|&&c| is_name_char(c)).count();
            let name: String = chars[start..name_end].iter().collect();
            let bad = || ReadError::new(0, format!("{word:?} has a bad substitution"));
            if name.is_empty() {
                return Err(bad());
            }
            // The closing brace, past nested `${...}`.
            let mut depth = 1;
            let mut close = None;
            let mut j = name_end;
            while j < chars.len() {
                match chars[j] {
                    '{' if j > 0 && chars[j - 1] == '$' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            close = Some(j);
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            let close = close.ok_or_else(bad)?;
            let value = lookup(&name);
            let modifier: String = chars[name_end..close].iter().collect();
            let (colon, rest) = match modifier.strip_prefix(':') {
                Some(rest) => (true, rest),
                None => (false, modifier.as_str()),
            };
            let empty = |v: &Option<String>| v.as_ref().is_none_or(|v| colon && v.is_empty());
            let expanded = if modifier.is_empty() {
                value.unwrap_or_default()
            } else if let Some(default) = rest.strip_prefix('-') {
                if empty(&value) { expand(default, escape, lookup)? } else { value.unwrap_or_default() }
            } else if let Some(alternative) = rest.strip_prefix('+') {
                if empty(&value) { String::new() } else { expand(alternative, escape, lookup)? }
            } else if let Some(message) = rest.strip_prefix('?') {
                if empty(&value) {
                    let message = expand(message, escape, lookup)?;
                    return Err(ReadError::new(0, format!("{name}: {message}")));
                }
                value.unwrap_or_default()
            } else {
                return Err(ReadError::new(
                    0,
                    format!(
                        "{word:?}: the substitution `${{{name}{modifier}}}` is not one this reader follows \
                         (it knows ${{NAME}}, :-, -, :+, +, :? and ?)"
                    ),
                ));
            };
            out.push_str(&expanded);
            Ok(close + 1)
        }
        Some(&c) if is_name_char(c) => {
            // As Docker's lexer: a name that starts with a digit is the digits only (`$1x`).
            let part: fn(char) -> bool =
                if c.is_ascii_digit() { |c| c.is_ascii_digit() } else { is_name_char };
            let end = at + 1 + chars[at + 1..].iter().take_while(|&&c| part(c)).count();
            let name: String = chars[at + 1..end].iter().collect();
            out.push_str(&lookup(&name).unwrap_or_default());
            Ok(end)
        }
        _ => {
            out.push('$');
            Ok(at + 1)
        }
    }
}

/// Where a build takes an image from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageUse {
    /// `FROM <image>`.
    From,
    /// `COPY --from=<image>`.
    CopyFrom,
    /// `RUN --mount=...,from=<image>`.
    MountFrom,
}

impl fmt::Display for ImageUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageUse::From => "FROM",
            ImageUse::CopyFrom => "COPY --from",
            ImageUse::MountFrom => "RUN --mount from",
        })
    }
}

/// An image a build takes from outside the Dockerfile, where it first does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalImage {
    /// The 1-based line of the instruction.
    pub line: usize,
    /// The image reference, variables expanded.
    pub image: String,
    /// Which instruction takes it.
    pub used_by: ImageUse,
}

/// The images a build of `text` takes from outside it, each once, in the order of first
/// use: every `FROM` that does not name an earlier stage nor `scratch` (its variables
/// expanded with the `ARG` defaults declared before the first `FROM`, as Docker does when
/// no `--build-arg` is given), every `COPY --from=` and `RUN --mount=...,from=` that names
/// no earlier stage (by name or index). `ONBUILD` instructions do not run in this build.
///
/// An error when Docker could not read it either (an invalid `# escape=`, a `FROM` that is
/// not `<image> [AS <name>]` or expands to nothing), or when this reader cannot tell
/// which image is meant (a variable in a `--from=`).
///
/// ```
/// use daytona_contract::dockerfile::{ImageUse, external_images};
/// let text = "ARG V=12\nFROM debian:${V} AS base\nFROM scratch\nCOPY --from=0 /etc/os-release /\n\
///             RUN --mount=type=bind,from=tools:1,target=/t /t/run\nFROM base\n";
/// let images = external_images(text)?;
/// let named: Vec<(usize, &str, ImageUse)> = images.iter().map(|i| (i.line, i.image.as_str(), i.used_by)).collect();
/// assert_eq!(named, [(2, "debian:12", ImageUse::From), (5, "tools:1", ImageUse::MountFrom)]);
/// assert!(external_images("FROM ${NOTHING}\n").is_err());
/// # Ok::<(), daytona_contract::dockerfile::ReadError>(())
/// ```
pub fn external_images(text: &str) -> Result<Vec<ExternalImage>, ReadError> {
    let escape = escape(text)?;
    // The ARGs declared before the first FROM: their defaults, `None` when unset.
    let mut globals: HashMap<String, Option<String>> = HashMap::new();
    // The stages so far, by index: their names, if any.
    let mut stages: Vec<Option<String>> = Vec::new();
    let mut images: Vec<ExternalImage> = Vec::new();
    let mut need = |line: usize, image: String, used_by: ImageUse| {
        if !images.iter().any(|i| i.image == image) {
            images.push(ExternalImage { line, image, used_by });
        }
    };
    let is_stage = |stages: &[Option<String>], name: &str| {
        let lower = name.to_ascii_lowercase();
        stages.iter().any(|s| s.as_deref() == Some(lower.as_str()))
            || name.parse::<usize>().is_ok_and(|index| index < stages.len())
    };
    // A `--from=` value: a stage, or an image to take.
    let reference = |stages: &[Option<String>],
                     line: usize,
                     from: &str|
     -> Result<Option<String>, ReadError> {
        if from.contains('$') {
            return Err(ReadError::new(
                line,
                format!(
                    "`from={from}` holds a variable, so which image it takes cannot be told before the build; \
                     write the image or stage name itself"
                ),
            ));
        }
        if from.is_empty() || from.eq_ignore_ascii_case("scratch") || is_stage(stages, from) {
            Ok(None)
        } else {
            Ok(Some(from.to_owned()))
        }
    };
    for i in read_escaped(text, escape) {
        match i.keyword.as_str() {
            "ARG" if stages.is_empty() => {
                let pairs = arg_words(&i.args, escape).ok_or_else(|| {
                    ReadError::new(i.line, format!("ARG {:?} has an unclosed quote", i.args))
                })?;
                for (name, default) in pairs {
                    let value = match default {
                        Some(raw) => Some(
                            expand(&raw, escape, &|n| globals.get(n).cloned().flatten())
                                .map_err(|e| ReadError::new(i.line, e.message))?,
                        ),
                        None => None,
                    };
                    globals.insert(name, value);
                }
            }
            "FROM" => {
                let from = from_args(&i.args).ok_or_else(|| {
                    ReadError::new(
                        i.line,
                        format!("FROM {:?} is not `FROM [--platform=...] <image> [AS <name>]`", i.args),
                    )
                })?;
                let image = expand(&from.image, escape, &|n| globals.get(n).cloned().flatten())
                    .map_err(|e| ReadError::new(i.line, e.message))?;
                if image.is_empty() {
                    return Err(ReadError::new(
                        i.line,
                        format!(
                            "FROM {} names no image once its variables are expanded (with the ARG defaults \
                             declared before the first FROM)",
                            from.image
                        ),
                    ));
                }
                if !image.eq_ignore_ascii_case("scratch") && !is_stage(&stages, &image) {
                    need(i.line, image, ImageUse::From);
                }
                stages.push(from.stage);
            }
            "COPY" => {
                let (flags, _) = i.flags();
                if let Some(from) = flag(&flags, "from")
                    && let Some(image) = reference(&stages, i.line, from)?
                {
                    need(i.line, image, ImageUse::CopyFrom);
                }
            }
            "RUN" => {
                let (flags, _) = i.flags();
                for mount in flags.iter().filter(|f| f.name == "mount") {
                    let options = mount_options(mount.value.unwrap_or_default());
                    for (_, from) in options.iter().filter(|(k, _)| k == "from") {
                        if let Some(image) = reference(&stages, i.line, from.as_deref().unwrap_or_default())?
                        {
                            need(i.line, image, ImageUse::MountFrom);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(images)
}

/// The words of an `ARG` as Docker splits them before expanding each default: on
/// whitespace outside quotes, quotes and escapes kept (for [`expand`]); `None` for an
/// unclosed quote.
fn arg_words(args: &str, escape: char) -> Option<Vec<(String, Option<String>)>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = args.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                word.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                word.push(c);
            }
            (q, c) if c == escape && q != Some('\'') => {
                word.push(c);
                word.extend(chars.next());
            }
            (_, c) => word.push(c),
        }
    }
    if quote.is_some() {
        return None;
    }
    if !word.is_empty() {
        words.push(word);
    }
    Some(
        words
            .into_iter()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (w, None),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests;
