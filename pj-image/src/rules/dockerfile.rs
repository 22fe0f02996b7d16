//! Dockerfile instructions written by hand (`dockerfile_commands`, `from_dockerfile`),
//! read into [`Instruction`]s so that the builder's rules apply to them too: the base of
//! every `FROM`, the sources of every `COPY`, the keys of `ENV` and `ARG`, the pip
//! installs of `RUN`.
//!
//! The reader follows Docker's own reading of a Dockerfile: physical lines ending in `\`
//! continue (the backslash removed, nothing inserted), blank and `#` comment lines
//! inside a continued instruction are dropped, a comment never continues, the keyword is
//! case-insensitive. What pithy cannot check is refused rather than guessed at, each with
//! a [`Rule::DockerfileInstruction`] finding that says what to write instead: heredocs
//! (`RUN <<EOF`), the `# escape=` parser directive, an unknown instruction, a malformed
//! JSON (exec) form, a `COPY` or `ADD` without a destination, and a local `ADD` source
//! (Daytona's SDK uploads `COPY` sources only, `docs/daytona-contract.md` §2.3).
//!
//! Hand-written rather than a Dockerfile parser crate: the rules need each instruction's
//! first physical line (for `Dockerfile:3:` messages and the literal a line came from)
//! and the `COPY` sources exactly as Daytona's SDK extracts them (§2.4: flags skipped
//! without consuming a word, JSON or shell words), so the crate would still need this
//! layer; Docker's line grammar itself is a few dozen lines.
//!
//! ```
//! use pj_image::rules::dockerfile::{self, Instruction};
//! let read = dockerfile::read("FROM python:3.12.10-slim\n# tools\nRUN apt-get update && \\\n    apt-get install -y git\n");
//! let keywords: Vec<(usize, &str)> = read.iter().map(|i| (i.line, i.keyword.as_str())).collect();
//! assert_eq!(keywords, [(1, "FROM"), (3, "RUN")]);
//! assert_eq!(read[1].args, "apt-get update &&     apt-get install -y git");
//! ```

use super::Finding;
use crate::Rule;

/// One instruction: where it starts, its keyword (upper case) and the text after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The 1-based physical line the instruction starts on.
    pub line: usize,
    /// The keyword, upper-cased (`copy` reads as `COPY`).
    pub keyword: String,
    /// Everything after the keyword, continuations joined, trimmed.
    pub args: String,
    /// Whether the last line ends in `\` with nothing after it to continue into.
    pub unterminated: bool,
}

/// The instructions of `text`, in order. Blank lines and comments are skipped; parser
/// directives are comments here ([`directives`] reads them).
pub fn read(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    // The instruction being continued: its first line and the text so far.
    let mut current: Option<(usize, String)> = None;
    for (index, physical) in text.split('\n').enumerate() {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        let comment = physical.trim_start().starts_with('#');
        if current.is_some() && (physical.trim().is_empty() || comment) {
            continue;
        }
        if current.is_none() && (physical.trim().is_empty() || comment) {
            continue;
        }
        let trimmed = physical.trim_end();
        let continued = trimmed.ends_with('\\');
        let segment = if continued { &trimmed[..trimmed.len() - 1] } else { physical };
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
/// let d = pj_image::rules::dockerfile::directives("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n");
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

/// Refuses the directives pithy cannot follow: `escape` changes the continuation
/// character the reader relies on.
pub fn check_directive(name: &str, value: &str) -> Result<(), Finding> {
    if name == "escape" {
        return Err(syntax(format!(
            "the parser directive `# escape={value}` changes how Docker reads line continuations, \
             which pithy does not follow; remove it and continue lines with `\\`"
        )));
    }
    Ok(())
}

/// The instructions Docker knows.
const KEYWORDS: [&str; 18] = [
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

/// An instruction, read into what the rules check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// `FROM <image> [AS <stage>]`: the image, and the stage name if any.
    From { image: String, stage: Option<String> },
    /// `RUN`: the command as shell text (the exec form joined and quoted).
    Run(String),
    /// `COPY` (`add: false`) or `ADD`: the sources and whether they come from another
    /// stage or image (`--from=`).
    Copy { sources: Vec<String>, from_stage: bool, add: bool },
    /// `ENV` pairs.
    Env(Vec<(String, String)>),
    /// `ARG` names with their defaults.
    Arg(Vec<(String, Option<String>)>),
    /// `WORKDIR <path>`.
    Workdir(String),
    /// Anything else Docker knows; nothing to check.
    Other,
}

fn syntax(message: String) -> Finding {
    Finding::new(Rule::DockerfileInstruction, message)
}

/// Reads one instruction into what the rules check, or says why it cannot be checked.
///
/// ```
/// use pj_image::rules::dockerfile::{self, Checked};
/// let i = &dockerfile::read("COPY --chown=1000 [\"app\", \"conf.toml\", \"/srv/\"]\n")[0];
/// assert_eq!(
///     dockerfile::check(i),
///     Ok(Checked::Copy { sources: vec!["app".into(), "conf.toml".into()], from_stage: false, add: false })
/// );
/// let heredoc = &dockerfile::read("RUN <<EOF\necho hi\nEOF\n")[0];
/// assert!(dockerfile::check(heredoc).unwrap_err().message.contains("heredoc"));
/// ```
pub fn check(i: &Instruction) -> Result<Checked, Finding> {
    let keyword = i.keyword.as_str();
    if i.unterminated {
        return Err(Finding::new(
            Rule::MultiLine,
            format!(
                "{keyword} ends with `\\`, which continues into the next instruction of the image; \
                 remove the trailing `\\`"
            ),
        ));
    }
    if !KEYWORDS.contains(&keyword) {
        return Err(syntax(format!(
            "`{keyword}` is not a Dockerfile instruction; Docker knows {}",
            KEYWORDS.join(", ")
        )));
    }
    if matches!(keyword, "RUN" | "COPY" | "ADD") && has_heredoc(&i.args) {
        return Err(syntax(format!(
            "{keyword} with a heredoc (`<<`) reads the Dockerfile lines after it as its content, which \
             pithy cannot check; write the content to a file and COPY it, or use printf in a RUN"
        )));
    }
    match keyword {
        "FROM" => from(&i.args),
        "RUN" => run(&i.args),
        "COPY" | "ADD" => copy(keyword, &i.args),
        "ENV" => env(&i.args),
        "ARG" => arg(&i.args),
        "WORKDIR" => Ok(Checked::Workdir(i.args.clone())),
        _ => Ok(Checked::Other),
    }
}

/// [`super::text::no_heredoc`]'s test, as a yes/no.
fn has_heredoc(args: &str) -> bool {
    super::text::no_heredoc(args, "", Rule::DockerfileInstruction).is_err()
}

/// The words after the leading `--flag` words.
fn without_flags(args: &str) -> (Vec<&str>, &str) {
    let mut flags = Vec::new();
    let mut rest = args.trim_start();
    while rest.starts_with("--") {
        let (flag, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        flags.push(flag);
        rest = tail.trim_start();
    }
    (flags, rest)
}

fn from(args: &str) -> Result<Checked, Finding> {
    let (_, rest) = without_flags(args);
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words.as_slice() {
        [image] => Ok(Checked::From { image: (*image).to_owned(), stage: None }),
        [image, kw, stage] if kw.eq_ignore_ascii_case("as") => {
            Ok(Checked::From { image: (*image).to_owned(), stage: Some(stage.to_ascii_lowercase()) })
        }
        _ => Err(syntax(format!(
            "FROM {args:?} is not `FROM <image>:<tag> [AS <name>]`; write the base image and an optional stage name"
        ))),
    }
}

/// The JSON (exec) form's strings, when `args` starts with `[`.
fn json_form(keyword: &str, args: &str) -> Option<Result<Vec<String>, Finding>> {
    if !args.starts_with('[') {
        return None;
    }
    Some(serde_json::from_str::<Vec<String>>(args).map_err(|e| {
        syntax(format!(
            "{keyword} {args:?} starts like the JSON form but is not a JSON array of strings ({e}); \
             write [\"a\", \"b\"] with double quotes"
        ))
    }))
}

fn run(args: &str) -> Result<Checked, Finding> {
    let (_, rest) = without_flags(args);
    match json_form("RUN", rest) {
        Some(words) => {
            let words = words?;
            Ok(Checked::Run(words.iter().map(|w| crate::quote::shlex_quote(w)).collect::<Vec<_>>().join(" ")))
        }
        None => Ok(Checked::Run(rest.to_owned())),
    }
}

fn copy(keyword: &str, args: &str) -> Result<Checked, Finding> {
    let (flags, rest) = without_flags(args);
    let from_stage = flags.iter().any(|f| f.starts_with("--from="));
    let words = match json_form(keyword, rest) {
        Some(words) => words?,
        None => shlex::split(rest).ok_or_else(|| {
            syntax(format!("{keyword} {args:?} has an unclosed quote; close it or use the JSON form"))
        })?,
    };
    if words.len() < 2 {
        return Err(syntax(format!(
            "{keyword} {args:?} needs at least one source and a destination: {keyword} <source>... <destination>"
        )));
    }
    let sources = words[..words.len() - 1].to_vec();
    Ok(Checked::Copy { sources, from_stage, add: keyword == "ADD" })
}

/// Whether an `ADD` source is fetched by Docker itself rather than read from the context.
pub fn is_remote(source: &str) -> bool {
    source.contains("://") || source.starts_with("git@")
}

fn env(args: &str) -> Result<Checked, Finding> {
    let first = args.split_whitespace().next().unwrap_or("");
    if !first.contains('=') {
        // The legacy form: `ENV KEY value with spaces`.
        let (key, value) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        return Ok(Checked::Env(vec![(key.to_owned(), value.trim().to_owned())]));
    }
    let words =
        shlex::split(args).ok_or_else(|| syntax(format!("ENV {args:?} has an unclosed quote; close it")))?;
    let mut pairs = Vec::new();
    for word in words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(syntax(format!(
                "ENV {args:?}: {word:?} is not KEY=value; write every pair as KEY=value"
            )));
        };
        pairs.push((key.to_owned(), value.to_owned()));
    }
    Ok(Checked::Env(pairs))
}

fn arg(args: &str) -> Result<Checked, Finding> {
    let words =
        shlex::split(args).ok_or_else(|| syntax(format!("ARG {args:?} has an unclosed quote; close it")))?;
    Ok(Checked::Arg(
        words
            .into_iter()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (w, None),
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Checked, Finding> {
        let read = read(text);
        assert_eq!(read.len(), 1, "{text:?} reads as {read:?}");
        check(&read[0])
    }

    #[test]
    fn continuations_comments_and_blank_lines() {
        let text = "# c\n\nfrom debian:12 AS base\nRUN a \\\n  # inside\n\n  b\r\nCOPY x \\\n y /z/\n";
        let read = read(text);
        let summary: Vec<(usize, &str, &str)> =
            read.iter().map(|i| (i.line, i.keyword.as_str(), i.args.as_str())).collect();
        assert_eq!(summary, [(3, "FROM", "debian:12 AS base"), (4, "RUN", "a   b"), (8, "COPY", "x  y /z/")]);
        // A comment line ending in `\` does not continue.
        assert_eq!(super::read("# a \\\nRUN b\n")[0].line, 2);
        assert!(super::read("RUN a \\").last().unwrap().unterminated);
    }

    #[test]
    fn instructions_are_read() {
        assert_eq!(
            one("FROM --platform=linux/amd64 python:3.12.10 as Build"),
            Ok(Checked::From { image: "python:3.12.10".into(), stage: Some("build".into()) })
        );
        assert_eq!(one("RUN [\"pip\", \"install\", \"a b\"]"), Ok(Checked::Run("pip install 'a b'".into())));
        assert_eq!(
            one("RUN --mount=type=cache,target=/c pip install x"),
            Ok(Checked::Run("pip install x".into()))
        );
        assert_eq!(
            one("COPY --from=build /a /b"),
            Ok(Checked::Copy { sources: vec!["/a".into()], from_stage: true, add: false })
        );
        assert_eq!(
            one("ADD 'dir with space/f' /x"),
            Ok(Checked::Copy { sources: vec!["dir with space/f".into()], from_stage: false, add: true })
        );
        assert_eq!(
            one("ENV A=1 B=\"two words\""),
            Ok(Checked::Env(vec![("A".into(), "1".into()), ("B".into(), "two words".into())]))
        );
        assert_eq!(
            one("ENV HF_TOKEN hf_abc def"),
            Ok(Checked::Env(vec![("HF_TOKEN".into(), "hf_abc def".into())]))
        );
        assert_eq!(
            one("ARG V=1 NAME"),
            Ok(Checked::Arg(vec![("V".into(), Some("1".into())), ("NAME".into(), None)]))
        );
        assert_eq!(one("EXPOSE 80"), Ok(Checked::Other));
    }

    #[test]
    fn what_cannot_be_checked_is_refused() {
        for bad in [
            "RUN <<EOF",
            "COPY <<EOF /x",
            "FETCH x",
            "COPY onlyone",
            "COPY [\"a\", /b]",
            "COPY 'unclosed /x",
            "FROM a b",
            "ENV A=1 B",
        ] {
            let f = one(bad).unwrap_err();
            assert_eq!(f.rule, Rule::DockerfileInstruction, "{bad}: {}", f.message);
        }
        assert_eq!(one("RUN a \\").unwrap_err().rule, Rule::MultiLine);
        assert!(check_directive("escape", "`").is_err());
        assert!(check_directive("syntax", "docker/dockerfile:1").is_ok());
        assert!(directives("FROM x\n# escape=`\n").is_empty());
    }
}
