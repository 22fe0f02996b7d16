//! `dockerfile_commands` and `from_dockerfile` through the builder: the SDK's text kept
//! as it is (`docs/daytona-contract.md` §2.2), the contexts of the `COPY` lines, and the
//! builder's rules applied to the instructions, each at the literal or the file line it
//! is about.

use std::path::Path;

use pj_image::{Image, Rule, Site};

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("ctx/app/sub")).expect("mkdir");
    std::fs::write(root.join("ctx/app/main.py"), "print('hi')\n").expect("write");
    std::fs::write(root.join("ctx/app/sub/b.txt"), "b\n").expect("write");
    std::fs::write(root.join("ctx/file.txt"), "hello\n").expect("write");
    dir
}

fn base(root: &Path) -> Image {
    Image::base("python:3.12.10-slim-bookworm").context_root(root)
}

fn rules(image: &Image) -> Vec<(Rule, Site)> {
    image.violations().iter().map(|v| (v.rule, v.site)).collect()
}

#[test]
fn lines_are_appended_as_written_and_copy_sources_become_contexts() {
    let dir = tree();
    let image = base(dir.path()).dockerfile_commands(
        ["COPY app /app", "# a comment", "RUN echo 'hi' && \\", "    echo there", "COPY file.txt /x/"],
        "ctx/",
    );
    let rendered = image.render().expect("valid");
    assert_eq!(
        rendered.dockerfile,
        "FROM python:3.12.10-slim-bookworm\nCOPY app /app\n# a comment\nRUN echo 'hi' && \\\n    echo there\nCOPY file.txt /x/\n"
    );
    let archives: Vec<&str> = rendered.contexts.iter().map(|c| c.archive_path.as_ref()).collect();
    assert_eq!(archives, ["app", "file.txt"]);
    // md5("file.txt" + "hello\n"): contract §3's hash of a file under its archive path.
    assert_eq!(rendered.contexts[1].md5, "2ce19e9f034d91e8bcf6c4766bca6107");
}

#[test]
fn every_instruction_is_held_to_the_builder_rules_at_its_literal() {
    let dir = tree();
    let image = base(dir.path()).dockerfile_commands(
        [
            "FROM ubuntu AS build",
            "COPY missing.txt /m",
            "COPY ../outside /o",
            "COPY *.txt /t/",
            "ENV MODEL=gpt-4o HF_TOKEN=hf_abc",
            "ARG GITHUB_TOKEN=ghp_x",
            "RUN pip install 'torch>=2'",
            "RUN cat <<EOF",
            "ADD file.txt /f",
            "ADD https://example.com/x.tgz /x",
            "COPY --from=build /a /b",
            "FROM build",
        ],
        "ctx/",
    );
    let item = |i| Site::item(2, 0, i);
    assert_eq!(
        rules(&image),
        [
            (Rule::BaseUnpinned, item(0)),
            (Rule::LocalPathMissing, item(1)),
            (Rule::LocalPathOutsideRoot, item(2)),
            (Rule::CopyPathSpecialChar, item(3)),
            (Rule::EnvSecret, item(4)),
            (Rule::EnvSecret, item(5)),
            (Rule::PipUnpinned, item(6)),
            (Rule::DockerfileInstruction, item(7)),
            (Rule::DockerfileInstruction, item(8)),
        ]
    );
    let messages: Vec<String> = image.violations().iter().map(|v| v.message.clone()).collect();
    assert!(messages[1].contains("`ctx/missing.txt` does not exist"), "{}", messages[1]);
    assert!(messages[4].contains("\"HF_TOKEN\""), "{}", messages[4]);
}

#[test]
fn an_instruction_continued_over_literals_is_reported_at_its_first() {
    let dir = tree();
    let image =
        base(dir.path()).dockerfile_commands(["RUN echo a && \\", "    pip install torch==2.5.1 numpy"], "");
    assert_eq!(rules(&image), [(Rule::PipUnpinned, Site::item(2, 0, 0))]);
    // A last line that continues would swallow the next step: left out and reported.
    let open = base(dir.path()).dockerfile_commands(["RUN echo \\"], "").workdir("/app");
    assert_eq!(rules(&open), [(Rule::MultiLine, Site::item(2, 0, 0))]);
    assert_eq!(open.dockerfile(), "FROM python:3.12.10-slim-bookworm\nWORKDIR /app\n");
}

#[test]
fn the_context_directory_must_be_a_directory_inside_the_root() {
    let dir = tree();
    let missing = base(dir.path()).dockerfile_commands(["COPY app /app"], "nope");
    assert_eq!(rules(&missing), [(Rule::LocalPathMissing, Site::arg(2, 1))]);
    let outside = base(dir.path()).dockerfile_commands(["COPY app /app"], "../ctx");
    assert_eq!(rules(&outside), [(Rule::LocalPathOutsideRoot, Site::arg(2, 1))]);
    let empty = base(dir.path()).dockerfile_commands(Vec::<String>::new(), "");
    assert_eq!(rules(&empty), [(Rule::Empty, Site::arg(2, 0))]);
    // The SDK appends one empty line for an empty list (contract §2.2).
    assert_eq!(empty.dockerfile(), "FROM python:3.12.10-slim-bookworm\n\n");
}

#[test]
fn from_dockerfile_keeps_the_text_and_names_file_and_line() {
    let dir = tree();
    std::fs::write(
        dir.path().join("ctx/Dockerfile"),
        "# syntax=docker/dockerfile:1\r\nFROM python:3.12\r\nCOPY app /app\r\nRUN pip install \\\r\n  requests\r\nENV A=1",
    )
    .expect("write");
    let image = Image::from_dockerfile("ctx/Dockerfile").context_root(dir.path()).workdir("/app");
    let violations = image.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].rule, Rule::PipUnpinned);
    assert_eq!(violations[0].site, Site::arg(0, 0));
    assert!(
        violations[0].message.starts_with("ctx/Dockerfile:4: pip package \"requests\""),
        "{}",
        violations[0].message
    );
    // CRLF read as LF; no newline at the end of the file, so the next step starts one.
    assert_eq!(
        image.dockerfile(),
        "# syntax=docker/dockerfile:1\nFROM python:3.12\nCOPY app /app\nRUN pip install \\\n  requests\nENV A=1\nWORKDIR /app\n"
    );
    let missing = Image::from_dockerfile("ctx/Nope").context_root(dir.path());
    assert_eq!(rules(&missing), [(Rule::LocalPathMissing, Site::arg(0, 0))]);
    std::fs::write(dir.path().join("ctx/Escaped"), "# escape=`\nFROM python:3.12\n").expect("write");
    let escaped = Image::from_dockerfile("ctx/Escaped").context_root(dir.path());
    assert_eq!(rules(&escaped), [(Rule::DockerfileInstruction, Site::arg(0, 0))]);
    assert!(escaped.violations()[0].message.starts_with("ctx/Escaped:1: "));
}
