//! Dockerfile instructions written by hand (`dockerfile_commands`, `from_dockerfile`),
//! read into [`Instruction`]s so that the builder's rules apply to them too: the base of
//! every `FROM`, the sources of every `COPY`, the keys of `ENV` and `ARG`, the pip
//! installs of `RUN`.
//!
//! The reading is Docker's, and lives in [`daytona_contract::dockerfile`] (the local
//! server reads Dockerfiles with it too): physical lines ending in `\` continue (the
//! backslash removed, nothing inserted), blank and `#` comment lines inside a continued
//! instruction are dropped, a comment never continues, the keyword is case-insensitive;
//! [`read`], [`directives`] and [`Instruction`] are re-exported from there. This module
//! checks: what pithy cannot check is refused rather than guessed at, each with a
//! [`Rule::DockerfileInstruction`] finding that says what to write instead: heredocs
//! (`RUN <<EOF`), the `# escape=` parser directive, an unknown instruction, a malformed
//! JSON (exec) form, a `COPY` or `ADD` without a destination, and a local `ADD` source
//! (Daytona's SDK uploads `COPY` sources only, `docs/daytona-contract.md` §2.3).
//!
//! ```
//! use pj_image::rules::dockerfile::{self, Instruction};
//! let read = dockerfile::read("FROM python:3.12.10-slim\n# tools\nRUN apt-get update && \\\n    apt-get install -y git\n");
//! let keywords: Vec<(usize, &str)> = read.iter().map(|i| (i.line, i.keyword.as_str())).collect();
//! assert_eq!(keywords, [(1, "FROM"), (3, "RUN")]);
//! assert_eq!(read[1].args, "apt-get update &&     apt-get install -y git");
//! ```

use daytona_contract::dockerfile::{self as reader, ArgsError, INSTRUCTIONS as KEYWORDS};
pub use daytona_contract::dockerfile::{Instruction, directives, read};

use super::Finding;
use crate::Rule;

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

fn from(args: &str) -> Result<Checked, Finding> {
    match reader::from_args(args) {
        Some(from) => Ok(Checked::From { image: from.image, stage: from.stage }),
        None => Err(syntax(format!(
            "FROM {args:?} is not `FROM <image>:<tag> [AS <name>]`; write the base image and an optional stage name"
        ))),
    }
}

/// The JSON (exec) form's strings, when `args` starts with `[`.
fn json_form(keyword: &str, args: &str) -> Option<Result<Vec<String>, Finding>> {
    Some(reader::json_form(args)?.map_err(|e| {
        syntax(format!(
            "{keyword} {args:?} starts like the JSON form but is not a JSON array of strings ({e}); \
             write [\"a\", \"b\"] with double quotes"
        ))
    }))
}

fn run(args: &str) -> Result<Checked, Finding> {
    let (_, rest) = reader::split_flags(args);
    match json_form("RUN", rest) {
        Some(words) => {
            let words = words?;
            Ok(Checked::Run(words.iter().map(|w| crate::quote::shlex_quote(w)).collect::<Vec<_>>().join(" ")))
        }
        None => Ok(Checked::Run(rest.to_owned())),
    }
}

fn copy(keyword: &str, args: &str) -> Result<Checked, Finding> {
    let (flags, rest) = reader::split_flags(args);
    let from_stage = reader::flag(&flags, "from").is_some();
    let words = match json_form(keyword, rest) {
        Some(words) => words?,
        None => reader::shell_words(rest).ok_or_else(|| {
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
    reader::env_pairs(args).map(Checked::Env).map_err(|e| match e {
        ArgsError::NotAPair(word) => {
            syntax(format!("ENV {args:?}: {word:?} is not KEY=value; write every pair as KEY=value"))
        }
        _ => syntax(format!("ENV {args:?} has an unclosed quote; close it")),
    })
}

fn arg(args: &str) -> Result<Checked, Finding> {
    reader::arg_pairs(args)
        .map(Checked::Arg)
        .map_err(|_| syntax(format!("ARG {args:?} has an unclosed quote; close it")))
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
