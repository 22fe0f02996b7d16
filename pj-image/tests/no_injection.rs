//! Property: whatever strings a definition holds, the Dockerfile pj-image renders is
//! parsed by Docker into exactly the instructions that were written, one per line, and
//! the arguments Docker sees are the user's strings (`docs/daytona-contract.md` §2.1 quoting;
//! `docs/DESIGN.md` "Compatibility with Daytona": never a broken Dockerfile).
//!
//! `parse` below follows BuildKit's Dockerfile parser where it matters for injection:
//! physical lines split on `\n` (a trailing `\r` stripped), blank and `#` lines
//! skipped, a line ending in `\` (plus blanks) continues onto the next one, and a
//! `RUN`/`COPY`/`ADD` word like `<<EOF` starts a heredoc that swallows lines up to `EOF`.

use pj_image::{Image, PipOptions};
use proptest::prelude::*;

#[derive(Debug)]
struct Instruction {
    keyword: String,
    rest: String,
    physical_lines: usize,
}

/// BuildKit splits the line into shell words (removing quotes) and takes a word
/// matching `^\d*<<-?[^<]*$` as a heredoc. Splitting on blanks and dropping leading
/// quotes and brackets over-approximates that: it finds every heredoc BuildKit finds.
fn heredoc_terminator(word: &str) -> Option<String> {
    let rest = word.trim_start_matches(['"', '\'', '[']).trim_start_matches(|c: char| c.is_ascii_digit());
    let after = rest.strip_prefix("<<")?;
    let after = after.strip_prefix('-').unwrap_or(after);
    if after.contains('<') {
        return None;
    }
    Some(after.trim_matches(|c| c == '"' || c == '\'').to_owned())
}

fn parse(dockerfile: &str) -> Vec<Instruction> {
    let lines: Vec<&str> = dockerfile.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut logical = line.to_owned();
        let mut count = 1;
        loop {
            let trimmed = logical.trim_end_matches([' ', '\t']);
            if !trimmed.ends_with('\\') || i >= lines.len() {
                break;
            }
            logical = trimmed[..trimmed.len() - 1].to_owned();
            while i < lines.len() {
                let next = lines[i];
                i += 1;
                count += 1;
                let nt = next.trim_start();
                if nt.is_empty() || nt.starts_with('#') {
                    continue;
                }
                logical.push_str(next);
                break;
            }
        }
        let logical = logical.trim_start();
        let (keyword, rest) = logical.split_once([' ', '\t']).unwrap_or((logical, ""));
        let keyword = keyword.to_ascii_uppercase();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for word in rest.split_ascii_whitespace() {
                if let Some(end) = heredoc_terminator(word) {
                    while i < lines.len() {
                        count += 1;
                        i += 1;
                        if lines[i - 1].trim_start_matches('\t') == end {
                            break;
                        }
                    }
                }
            }
        }
        out.push(Instruction { keyword, rest: rest.to_owned(), physical_lines: count });
    }
    out
}

/// POSIX-shell word splitting for what `shlex.quote` produces: bare words and
/// single-quoted runs (`'it'"'"'s'`).
fn sh_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            '"' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                    cur.push(q);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn json_strings(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not valid JSON ({e}): {s:?}"))
}

/// Strings that stress the quoting: shell and Dockerfile metacharacters, line breaks,
/// heredoc markers, unicode, and arbitrary text.
fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            " ",
            "\n",
            "\r",
            "\\",
            "a\\",
            "a \\ ",
            "<<EOF",
            "cat <<EOF",
            "EOF",
            "\"",
            "'",
            "$HOME",
            "`id`",
            "a\nRUN evil",
            "x\r\nCMD [\"evil\"]",
            "\u{0}",
            "é🚀",
            "# comment",
            "\t",
            "[",
            "]",
            "a b",
            "--pre",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,12}",
        "[ -~\n\r\t\\\\\"'<]{0,16}",
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Pip(Vec<String>, PipOptions),
    Run(Vec<String>),
    Env(Vec<(String, String)>),
    Workdir(String),
    Entrypoint(Vec<String>),
    Cmd(Vec<String>),
    File(String, String),
    Apt(Vec<String>),
}

fn step() -> impl Strategy<Value = Step> {
    let opts = (prop::collection::vec(nasty(), 0..2), prop::option::of(nasty()), any::<bool>(), nasty())
        .prop_map(|(find_links, index_url, pre, extra_options)| PipOptions {
            find_links,
            index_url,
            extra_index_urls: vec![],
            pre,
            extra_options,
        });
    prop_oneof![
        (prop::collection::vec(nasty(), 0..3), opts).prop_map(|(p, o)| Step::Pip(p, o)),
        prop::collection::vec(nasty(), 1..3).prop_map(Step::Run),
        prop::collection::vec((nasty(), nasty()), 1..3).prop_map(Step::Env),
        nasty().prop_map(Step::Workdir),
        prop::collection::vec(nasty(), 0..3).prop_map(Step::Entrypoint),
        prop::collection::vec(nasty(), 0..3).prop_map(Step::Cmd),
        (prop::sample::select(vec!["ctx/a b.txt", "ctx/é\"q\\.txt", "missing"]), nasty())
            .prop_map(|(l, r)| Step::File(l.to_owned(), format!("/{r}"))),
        prop::collection::vec(nasty(), 0..3).prop_map(Step::Apt),
    ]
}

fn context_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("ctx")).expect("mkdir");
    std::fs::write(dir.path().join("ctx/a b.txt"), "a").expect("write");
    std::fs::write(dir.path().join("ctx/é\"q\\.txt"), "b").expect("write");
    dir
}

proptest! {
    // 512 cases by default; PROPTEST_CASES=50000 for a deeper run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn rendered_dockerfiles_hold_exactly_the_written_instructions(
        base in nasty(), steps in prop::collection::vec(step(), 0..6)
    ) {
        let dir = context_dir();
        let mut image = Image::base(format!("ubuntu:{base}")).context_root(dir.path());
        for s in steps.clone() {
            image = match s {
                Step::Pip(p, o) => image.pip_install_with(p, o),
                Step::Run(c) => image.run_commands(c),
                Step::Env(e) => image.env(e),
                Step::Workdir(w) => image.workdir(w),
                Step::Entrypoint(a) => image.entrypoint(a),
                Step::Cmd(a) => image.cmd(a),
                Step::File(l, r) => image.add_local_file(l, r),
                Step::Apt(p) => image.apt_install(p),
            };
        }
        let dockerfile = image.dockerfile();
        prop_assert!(dockerfile.is_empty() || dockerfile.ends_with('\n'));
        let physical = dockerfile.matches('\n').count();
        let parsed = parse(&dockerfile);
        // One instruction per physical line: nothing joined, swallowed or skipped.
        prop_assert_eq!(parsed.len(), physical, "{:?}", dockerfile);
        for ins in &parsed {
            prop_assert_eq!(ins.physical_lines, 1);
            prop_assert!(
                ["FROM", "RUN", "COPY", "ENV", "WORKDIR", "ENTRYPOINT", "CMD"].contains(&ins.keyword.as_str()),
                "unexpected instruction {:?} in {:?}", ins.keyword, dockerfile
            );
        }

        // The arguments Docker sees are the user's strings.
        let mut envs: Vec<(String, String)> =
            steps.iter().filter_map(|s| match s { Step::Env(e) => Some(e.clone()), _ => None }).flatten()
                // A pair with a line break cannot be written on one line; it must not appear.
                .filter(|(k, v)| !format!("{k}{v}").contains(['\n', '\r', '\0']))
                .collect();
        let mut execs = steps.iter().filter_map(|s| match s {
            Step::Entrypoint(a) | Step::Cmd(a) => Some(a.clone()),
            _ => None,
        });
        for ins in &parsed {
            match ins.keyword.as_str() {
                "ENV" => {
                    // Rendered ENV lines are the renderable pairs, in order.
                    prop_assert!(!envs.is_empty(), "ENV line {:?} matches no written pair", ins.rest);
                    let (key, expected) = envs.remove(0);
                    let value = ins.rest.strip_prefix(&format!("{key}="));
                    prop_assert!(value.is_some(), "ENV line {:?} is not for key {:?}", ins.rest, key);
                    // For a portable name, Docker's split at the first `=` gives the value
                    // back; other names are `env-key` violations and split differently.
                    let portable = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if portable {
                        prop_assert_eq!(sh_words(value.unwrap_or_default()).concat(), expected);
                    }
                }
                "ENTRYPOINT" | "CMD" => {
                    let expected = execs.next().expect("a written exec instruction");
                    prop_assert_eq!(json_strings(&ins.rest), expected);
                }
                "COPY" if ins.rest.starts_with('[') => {
                    let args = json_strings(&ins.rest);
                    prop_assert_eq!(args.len(), 2);
                }
                _ => {}
            }
        }
    }
}

#[test]
fn the_parser_sees_injections() {
    // The model of Docker's parser must itself catch what the SDK gets wrong (Ex3, Ex4).
    let broken = "FROM a:1\nENV NL='line1\nline2'\nRUN echo \\\nRUN b\nRUN cat <<EOF\nRUN c\nEOF\n";
    let parsed = parse(broken);
    let lines = broken.matches('\n').count();
    assert_ne!(parsed.len(), lines);
    assert!(parsed.iter().any(|i| i.physical_lines > 1));
    assert!(parsed.iter().any(|i| i.keyword == "LINE2'"));
}
