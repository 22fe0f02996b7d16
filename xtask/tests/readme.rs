//! The command sessions of README.md and the guides in `docs/` are true: every `$ ` line
//! of those pages is run by a test, in the situation the page describes, and its output
//! compared with the lines under it (`support/readme.rs`). This binary holds the check that every session has a
//! situation, and runs those that need no server and no Docker: `--dry-run` and the
//! compile errors. The drift error runs in `e2e.rs` (its fixture app), `snapshot list`
//! and `prune` in `lifecycle.rs` (theirs), the `--local` sessions in `reference.rs` (the
//! real build).

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../tests/support/app_crate.rs"]
mod app_crate;
mod support;

use support::readme::{self, PAGES, SITUATIONS, Situation};
use support::{as_a_user_in, combined};

#[test]
fn every_readme_session_is_run_by_a_test() {
    let sessions = readme::sessions(&app_crate::workspace());
    let unknown: Vec<String> = sessions
        .iter()
        .filter(|s| s.situation().is_none())
        .map(|s| match s.command.as_str() {
            "" => format!("{}: a text block with no `$ ` line", s.at()),
            command => format!("{}: `$ {command}`", s.at()),
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "no test runs these sessions; add each to SITUATIONS in xtask/tests/support/readme.rs \
         and run it where its situation is:\n{}",
        unknown.join("\n")
    );
    for (command, situation) in SITUATIONS {
        let count = sessions.iter().filter(|s| s.situation() == Some(*situation)).count();
        assert_eq!(count, 1, "the pages ({PAGES:?}) should have `$ {command}` once ({situation:?})");
    }
}

/// A session on a page the tests do not read would be dropped silently: every `$ ` line of
/// README.md and `docs/*.md` is on one of [`PAGES`].
#[test]
fn every_page_with_sessions_is_read() {
    let workspace = app_crate::workspace();
    let mut unread = Vec::new();
    for entry in std::fs::read_dir(workspace.join("docs")).expect("read docs/") {
        let path = entry.expect("an entry of docs/").path();
        let page = format!("docs/{}", path.file_name().expect("a file name").to_string_lossy());
        if !page.ends_with(".md") || PAGES.contains(&page.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read a page");
        for session in readme::parse(&text).iter().filter(|s| !s.command.is_empty()) {
            unread.push(format!("{page}:{}: `$ {}`", session.line, session.command));
        }
    }
    assert!(
        unread.is_empty(),
        "sessions on pages the tests do not read; add the page to PAGES in xtask/tests/support/readme.rs:\n{}",
        unread.join("\n")
    );
}

#[test]
fn the_parser_reads_commands_outputs_and_commandless_blocks() {
    let text = "intro\n```text\n$ one   # a comment\nout 1\n\n$ two\n```\n```sh\n$ not a session\n```\n\
                ```text\nerror: no command\n```\n";
    let sessions = readme::parse(text);
    let shown: Vec<(usize, &str, &str)> =
        sessions.iter().map(|s| (s.line, s.command.as_str(), s.expected.as_str())).collect();
    assert_eq!(shown, [(3, "one # a comment", "out 1\n"), (6, "two", ""), (12, "", "error: no command\n")]);
}

/// `cargo xtask snapshot --dry-run` in the checkout (the xtask binary is what the alias runs).
#[tokio::test(flavor = "multi_thread")]
async fn the_dry_run_session() {
    let workspace = app_crate::workspace();
    let session = readme::session(&workspace, Situation::DryRun);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(["snapshot", "--dry-run"]);
    let (code, text) = combined(in_checkout(cmd, &workspace)).await;
    assert_eq!(code, 0, "{text}");
    readme::assert_matches(&session, &text, &readme::redactions(&workspace, &app_crate::target_dir()));
}

/// The compile errors, from the real compiler: `cargo build -p pithy-jaunt` in a copy of
/// the checkout's example with the broken literals of the README and `docs/rules.md`.
#[tokio::test(flavor = "multi_thread")]
async fn the_compile_error_sessions() {
    let original: &[(&str, &str)] = &[(
        r#"    Image::base("debian:bookworm-slim")
        .apt_install(["git", "curl", "jq", "ca-certificates", "python3-venv"])
        .run_commands(["python3 -m venv /opt/venv"])
        .env([("PATH", "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")])
"#,
        r#"    Image::base("ubuntu:22.04")
        .run_commands(["apt-get update && apt-get install -y git curl jq"])
"#,
    )];
    let broken: &[(&str, &str)] = &[(r#""anthropic==0.39.0""#, r#""torch>=2""#)];
    let pip_in_run: &[(&str, &str)] = &[(
        r#"["python3 -m venv /opt/venv"]"#,
        r#"["python3 -m venv /opt/venv && /opt/venv/bin/pip install -i https://pypi.org/simple 'torch>=2'"]"#,
    )];
    for (situation, edits, missing) in [
        (Situation::CompileOriginal, original, None),
        (Situation::CompileBrokenLiterals, broken, Some("sandbox/execution.sh")),
        (Situation::CompilePipInRun, pip_in_run, None),
    ] {
        let copy = example_copy(&format!("readme-{situation:?}"), edits, missing);
        let session = readme::session(&app_crate::workspace(), situation);
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args(["build", "-p", "pithy-jaunt"]);
        let (code, text) = combined(in_checkout(cmd, &copy)).await;
        assert_eq!(code, 101, "{situation:?} should not compile:\n{text}");
        // The copy stands for the checkout.
        readme::assert_matches(&session, &text, &readme::redactions(&copy, &app_crate::target_dir()));
    }
}

/// `cmd` run in `root` as the README runs it, without colours.
fn in_checkout(mut cmd: Command, root: &Path) -> Command {
    as_a_user_in(&mut cmd, root, &app_crate::target_dir());
    cmd.env("CARGO_TERM_COLOR", "never");
    cmd
}

/// A workspace in `target/pj-apps/NAME` holding a copy of `examples/pithy-jaunt` at the
/// same path, with `edits` applied to `src/image.rs` and `missing` removed: compiler
/// messages name the same files as in the checkout. The workspace manifest is the
/// checkout's with this one member and absolute paths to the other crates.
fn example_copy(name: &str, edits: &[(&str, &str)], missing: Option<&str>) -> PathBuf {
    let workspace = app_crate::workspace();
    let root = workspace.join("target/pj-apps").join(name);
    let example = root.join("examples/pithy-jaunt");
    if example.exists() {
        std::fs::remove_dir_all(&example).expect("remove the old copy");
    }
    copy_dir(&workspace.join("examples/pithy-jaunt"), &example);
    let manifest = std::fs::read_to_string(workspace.join("Cargo.toml")).expect("the workspace manifest");
    let members = manifest.find("members = [").expect("a members list");
    let end = members + manifest[members..].find(']').expect("the end of the members list");
    let manifest =
        format!("{}members = [\"examples/pithy-jaunt\"]{}", &manifest[..members], &manifest[end + 1..])
            .replace("path = \"", &format!("path = \"{}/", workspace.display()));
    app_crate::write(&root.join("Cargo.toml"), &manifest);
    std::fs::copy(workspace.join("Cargo.lock"), root.join("Cargo.lock")).expect("copy Cargo.lock");
    let image = example.join("src/image.rs");
    let mut source = std::fs::read_to_string(&image).expect("image.rs");
    for (from, to) in edits {
        assert!(source.contains(from), "examples/pithy-jaunt/src/image.rs no longer has {from:?}");
        source = source.replacen(from, to, 1);
    }
    std::fs::write(&image, source).expect("write image.rs");
    if let Some(path) = missing {
        std::fs::remove_file(example.join(path)).expect("remove the file the session says is missing");
    }
    root
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
