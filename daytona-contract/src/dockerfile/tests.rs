//! The reader against Docker's reading: lines, directives, flags, forms, arguments,
//! expansion, and the images a build takes.

use super::*;

fn summary(text: &str) -> Vec<(usize, String, String)> {
    read(text).into_iter().map(|i| (i.line, i.keyword, i.args)).collect()
}

fn owned(items: &[(usize, &str, &str)]) -> Vec<(usize, String, String)> {
    items.iter().map(|(l, k, a)| (*l, (*k).to_owned(), (*a).to_owned())).collect()
}

#[test]
fn continuations_comments_and_blank_lines() {
    let text = "# c\n\nfrom debian:12 AS base\nRUN a \\\n  # inside\n\n  b\r\nCOPY x \\\n y /z/\n";
    assert_eq!(
        summary(text),
        owned(&[(3, "FROM", "debian:12 AS base"), (4, "RUN", "a   b"), (8, "COPY", "x  y /z/")])
    );
    // A comment line ending in `\` does not continue.
    assert_eq!(read("# a \\\nRUN b\n")[0].line, 2);
    let last = read("RUN a \\");
    assert!(last[0].unterminated && last[0].args == "a");
    assert!(!read("RUN a\n")[0].unterminated);
    // A keyword alone, and text without a final newline.
    assert_eq!(summary("ONBUILD\nEXPOSE 80"), owned(&[(1, "ONBUILD", ""), (2, "EXPOSE", "80")]));
    assert!(read("").is_empty() && read("\n# only\n\n").is_empty());
}

#[test]
fn another_escape_character() {
    let text = "# escape=`\nFROM mcr.microsoft.com/windows:ltsc2022\nRUN dir c:\\ `\n    && echo done\n";
    assert_eq!(escape(text), Ok('`'));
    let read = read_escaped(text, escape(text).expect("escape"));
    assert_eq!(read.len(), 2);
    assert_eq!(read[1].args, "dir c:\\     && echo done");
    // With `\`, the backslash after c: continues instead.
    assert_eq!(super::read(text)[1].args, "dir c:\\ `");
    let bad = escape("# escape=ab\nFROM x\n").unwrap_err();
    assert_eq!(bad.line, 1);
    assert!(bad.message.contains("only \\ and `"), "{bad}");
}

#[test]
fn directives_only_at_the_top() {
    assert_eq!(
        directives("#Syntax = docker/dockerfile:1\n# escape=\\\n\nFROM x\n"),
        [
            (1, "syntax".to_owned(), "docker/dockerfile:1".to_owned()),
            (2, "escape".to_owned(), "\\".to_owned())
        ]
    );
    assert!(directives("FROM x\n# escape=`\n").is_empty());
    assert!(directives("# a comment\n# escape=`\n").is_empty());
    assert_eq!(escape("FROM x\n# escape=`\n"), Ok('\\'));
}

#[test]
fn flags_and_forms() {
    let (flags, rest) = split_flags("  --mount=type=cache,target=/c --network=none pip install x");
    assert_eq!(rest, "pip install x");
    assert_eq!(
        flags.iter().map(|f| (f.name, f.value)).collect::<Vec<_>>(),
        [("mount", Some("type=cache,target=/c")), ("network", Some("none"))]
    );
    assert_eq!(flag(&flags, "network"), Some("none"));
    assert_eq!(flag(&flags, "from"), None);
    assert_eq!(split_flags("--link").1, "");
    assert_eq!(json_form("[]"), Some(Ok(Vec::new())));
    let error = json_form("[\"a\", /b]").expect("JSON form").unwrap_err();
    assert!(!error.to_string().is_empty());
    assert_eq!(shell_words("a 'b c' \"d\\\"e\""), Some(vec!["a".into(), "b c".into(), "d\"e".into()]));
    assert_eq!(shell_words("'unclosed"), None);
}

#[test]
fn arguments_of_from_copy_env_and_arg() {
    let f = from_args("python:3.12.10").expect("FROM");
    assert_eq!((f.image.as_str(), f.stage, f.platform), ("python:3.12.10", None, None));
    assert_eq!(from_args(""), None);
    assert_eq!(from_args("a AS"), None);
    assert_eq!(from_args("a FROM b"), None);

    let c = copy_args("--link --chmod=644 'dir with space/f' b.txt /y/").expect("COPY");
    assert_eq!(c.sources, ["dir with space/f", "b.txt"]);
    assert_eq!((c.destination.as_str(), c.from()), ("/y/", None));
    assert!(matches!(copy_args("[\"a\", /b]"), Err(ArgsError::Json(_))));
    assert_eq!(copy_args("'unclosed /x"), Err(ArgsError::UnclosedQuote));
    assert_eq!(copy_args("--from=x"), Err(ArgsError::TooFew));

    assert_eq!(env_pairs("A=1 B"), Err(ArgsError::NotAPair("B".into())));
    assert_eq!(env_pairs("A='x"), Err(ArgsError::UnclosedQuote));
    assert_eq!(env_pairs("EMPTY"), Ok(vec![("EMPTY".into(), String::new())]));
    assert_eq!(
        arg_pairs("A=\"x y\" B="),
        Ok(vec![("A".into(), Some("x y".into())), ("B".into(), Some(String::new()))])
    );
    assert_eq!(arg_pairs("A='x"), Err(ArgsError::UnclosedQuote));
}

#[test]
fn mount_options_read_like_csv() {
    assert_eq!(
        mount_options("type=bind,\"source=a,b\",from=img:1"),
        [
            ("type".to_owned(), Some("bind".to_owned())),
            ("source".to_owned(), Some("a,b".to_owned())),
            ("from".to_owned(), Some("img:1".to_owned())),
        ]
    );
    assert_eq!(
        mount_options("FROM=x,,ro"),
        [("from".to_owned(), Some("x".to_owned())), ("ro".to_owned(), None)]
    );
    assert!(mount_options("").is_empty());
}

#[test]
fn expansion_like_docker() {
    let vars = |name: &str| match name {
        "SET" => Some("value".to_owned()),
        "EMPTY" => Some(String::new()),
        _ => None,
    };
    let e = |word: &str| expand(word, '\\', &vars);
    assert_eq!(e("$SET/${SET}x"), Ok("value/valuex".into()));
    assert_eq!(e("a${UNSET}b$UNSET"), Ok("ab".into()));
    assert_eq!(e("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}"), Ok("d d  d".into()));
    assert_eq!(e("${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${UNSET+alt}"), Ok("alt||alt|".into()));
    assert_eq!(e("${UNSET:-${SET}}"), Ok("value".into()));
    assert_eq!(e("\"$SET x\"'$SET'"), Ok("value x$SET".into()));
    assert_eq!(e("\"a\\\"b\\$SET\\n\""), Ok("a\"b$SET\\n".into()));
    assert_eq!(e("cost$ $1x"), Ok("cost$ x".into()));
    assert_eq!(expand("`$SET", '`', &vars), Ok("$SET".into()));
    assert!(e("${UNSET:?is required}").unwrap_err().message.contains("UNSET: is required"));
    assert_eq!(e("${EMPTY?unset only}"), Ok(String::new()));
    for bad in ["${}", "${SET", "${SET%x}", "${SET/a/b}", "'open", "\"open"] {
        assert!(e(bad).is_err(), "{bad}");
    }
}

fn images(text: &str) -> Vec<(usize, String, ImageUse)> {
    external_images(text)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        .into_iter()
        .map(|i| (i.line, i.image, i.used_by))
        .collect()
}

#[test]
fn images_skip_stages_scratch_and_flags() {
    let dockerfile = "FROM --platform=linux/amd64 rust:1.95 AS build\nRUN cargo build\n\
        from debian:bookworm-slim\nCOPY --from=build /x /x\nFROM Build AS again\nFROM scratch\nFROM rust:1.95\n";
    assert_eq!(
        images(dockerfile),
        [(1, "rust:1.95".to_owned(), ImageUse::From), (3, "debian:bookworm-slim".to_owned(), ImageUse::From)]
    );
    assert!(images("RUN true\n").is_empty());
    assert!(images("FROM scratch AS empty\nFROM empty\nCOPY x /x\n").is_empty());
}

#[test]
fn images_after_arg_expansion_before_the_first_from_only() {
    let text = "ARG REGISTRY=local ARCH\nARG BASE=${REGISTRY}/base:${TAG:-1}\nFROM $BASE\n\
        ARG LATER=nope\nFROM ${LATER:-late}:2\nFROM \"quoted:${ARCH:-amd64}\"\n";
    assert_eq!(
        images(text),
        [
            (3, "local/base:1".to_owned(), ImageUse::From),
            (5, "late:2".to_owned(), ImageUse::From),
            (6, "quoted:amd64".to_owned(), ImageUse::From),
        ]
    );
    // Only Docker's escape is literal in an ARG default's single quotes.
    assert_eq!(images("ARG A='x$y'\nFROM $A\n")[0].1, "x$y");
    let error = external_images("ARG EMPTY\nRUN true\nFROM ${EMPTY}\n").unwrap_err();
    assert_eq!(error.line, 3);
    assert!(error.to_string().starts_with("Dockerfile line 3: FROM ${EMPTY} names no image"), "{error}");
    assert_eq!(external_images("FROM a b\n").unwrap_err().line, 1);
    assert!(external_images("ARG A='open\nFROM x\n").is_err());
}

#[test]
fn images_of_copy_from_and_mounts() {
    let text = "FROM base:1 AS one\nFROM base:1\nCOPY --from=one /a /a\nCOPY --from=0 /a /a\n\
        COPY --from=tools:2 --chown=1 /t /t\nCOPY --from=7 /b /b\nADD --chown=1 x /x\n\
        RUN --mount=type=cache,target=/c --mount=type=bind,from=helper:3,target=/h /h/run\n\
        RUN --mount=from=ONE,target=/o true\nONBUILD COPY --from=later:1 /l /l\nCOPY --from=tools:2 /u /u\n";
    assert_eq!(
        images(text),
        [
            (1, "base:1".to_owned(), ImageUse::From),
            (5, "tools:2".to_owned(), ImageUse::CopyFrom),
            (6, "7".to_owned(), ImageUse::CopyFrom),
            (8, "helper:3".to_owned(), ImageUse::MountFrom),
        ]
    );
    let error = external_images("FROM a:1\nCOPY --from=${X} /a /a\n").unwrap_err();
    assert_eq!(error.line, 2);
    assert!(error.message.contains("holds a variable"), "{error}");
    // With another escape character, continuations follow it.
    let windows = "# escape=`\nFROM base:1\nCOPY `\n  --from=tools:2 /t /t\n";
    assert_eq!(images(windows)[1], (3, "tools:2".to_owned(), ImageUse::CopyFrom));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Whatever text a client sends as a Dockerfile, reading it never panics, and every
    /// instruction's line is one of the text's lines.
    #[test]
    fn arbitrary_text_never_panics(text in "(\\PC|[\\\\`\"'$#{}\\n ])*") {
        let lines = text.split('\n').count();
        for i in read(&text) {
            proptest::prop_assert!(i.line >= 1 && i.line <= lines);
        }
        let _ = external_images(&text);
        let _ = expand(&text, '\\', &|_| Some("v".to_owned()));
    }
}
