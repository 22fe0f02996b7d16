//! The guide `docs/your-project.md` ("Use pithy in your project") is true: this test makes
//! a fresh workspace in a temporary directory from that page's code blocks, exactly, and
//! runs in it what the page says: `cargo xtask snapshot --dry-run`, `--local` (a real Docker build),
//! `--local` again (up to date), `--local --check`, a compile error on a broken literal,
//! and the application printing its snapshot name read with `env!`.
//!
//! A code block whose first line is a comment naming a path (`# app/Cargo.toml`,
//! `// app/src/main.rs`) is that file, written as it stands, that line included (it is a
//! comment in the file's language). The workspace manifest comes twice, `(pithy by git)`
//! and `(pithy by path)`: the by-path one is written, with this checkout in place of
//! `/path/to/pithy` (the only substitution), and the by-git one must say the same with
//! this workspace's repository URL. Edit the page and this test follows it, or fails
//! saying which block it cannot use.
//!
//! Build time: the workspace compiles pj-image, the macro and pj-xtask (tokio, axum, s3s,
//! reqwest, ...). It starts from this checkout's `Cargo.lock` (the page says to commit
//! one; ours is the starting point, so the versions are the ones this checkout tests) and
//! builds in `target/pj-oot`, kept between runs, so only the first run is slow. The local
//! server's state is in the temporary directory, so every run publishes from nothing; the
//! one image it builds is removed at the end, even when the test fails.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../tests/support/app_crate.rs"]
mod app_crate;
#[path = "../../tests/conformance/provision.rs"]
mod provision;
mod support;

use support::readme::{self, Situation};
use support::{Run, as_a_user_in, assert_code, combined, docker, output};

/// The guide whose code blocks are the workspace.
const PAGE: &str = "docs/your-project.md";
/// Where the by-path manifest expects the checkout of pithy.
const PLACEHOLDER: &str = "/path/to/pithy";
const BY_GIT: &str = "(pithy by git)";
const BY_PATH: &str = "(pithy by path)";

/// The commands the test runs; the page must show each of them.
const DRY_RUN: &[&str] = &["xtask", "snapshot", "--dry-run"];
const LOCAL: &[&str] = &["xtask", "snapshot", "--local"];
const LOCAL_CHECK: &[&str] = &["xtask", "snapshot", "--local", "--check"];

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_workspace_builds_publishes_checks_and_runs() {
    let checkout = app_crate::workspace();
    let text = std::fs::read_to_string(checkout.join(PAGE)).expect(PAGE);
    let section = Section { text: &text, first_line: 1 };
    for command in [DRY_RUN, LOCAL, LOCAL_CHECK] {
        let line = format!("cargo {}", command.join(" "));
        assert!(
            section.text.lines().any(|l| l.starts_with(&format!("{line} "))),
            "{PAGE} no longer shows `{line}`: update this test with it"
        );
    }
    provision::reference_base();

    let temp = tempfile::Builder::new().prefix("pj-oot-").tempdir().expect("a temporary directory");
    let root = temp.path().join("workspace");
    write_workspace(&section, &checkout, &root);
    let (package, version) = application(&root);
    let snapshot = format!("{package}-v{version}");
    let user = User { root: root.clone(), state: temp.path().join("pithy-local") };

    let dry = output(user.cargo(DRY_RUN)).await;
    assert_code(&dry, 0);
    assert!(dry.stdout.contains(&format!("snapshot    {snapshot}\n")), "{}", dry.text());
    let key = field(&dry, "build key");
    let _image = BuiltImage(key.clone());

    let first = output(user.cargo(LOCAL)).await;
    assert_code(&first, 0);
    for line in [
        format!("created {snapshot} ("),
        "started an embedded local Daytona server".to_owned(),
        format!("image       built: {key} on this machine's Docker engine"),
    ] {
        assert!(first.text().contains(&line), "no {line:?} in the first --local:\n{}", first.text());
    }
    assert!(provision::has_image(&key), "the first --local did not build {key}:\n{}", first.text());

    let again = output(user.cargo(LOCAL)).await;
    assert_code(&again, 0);
    assert!(again.stderr.contains(&format!("{snapshot} is up to date\n")), "{}", again.text());
    assert!(!again.text().contains("created"), "the second --local created again:\n{}", again.text());

    let check = output(user.cargo(LOCAL_CHECK)).await;
    assert_code(&check, 0);
    let up_to_date = format!("{snapshot} is up to date: it exists, is active, and matches the definition");
    assert!(check.stdout.contains(&up_to_date), "{}", check.text());

    broken_literal_is_a_compile_error(&user).await;

    let session = readme::session(&checkout, Situation::OwnProjectApp);
    let (code, printed) = combined(user.cargo(&["run", "-q", "-p", &package])).await;
    assert_eq!(code, 0, "{printed}");
    assert_eq!(printed, format!("{snapshot}\n"), "the app prints its own snapshot name");
    readme::assert_matches(&session, &printed, &readme::redactions(&root, &target_dir()));
}

/// The first `add_local_file` source in `app/src/main.rs` renamed to a file that does not
/// exist: the build stops on that literal, with the rule's id; the file is restored after.
async fn broken_literal_is_a_compile_error(user: &User) {
    let main_rs = user.root.join("app/src/main.rs");
    let source = std::fs::read_to_string(&main_rs).expect("app/src/main.rs");
    let call = ".add_local_file(\"";
    let start = source.find(call).map(|i| i + call.len() - 1).unwrap_or_else(|| {
        panic!("the app/src/main.rs of {PAGE} has no {call}..): choose another literal to break here")
    });
    let end = start + 1 + source[start + 1..].find('"').expect("the end of the literal");
    let broken = source[..start].to_owned() + "\"sandbox/no-such-file.sh" + &source[end..];
    let line = source[..start].lines().count();
    let column = start - source[..start].rfind('\n').map_or(0, |i| i + 1) + 1;
    std::fs::write(&main_rs, broken).expect("write the broken app/src/main.rs");
    let run = output(user.cargo(DRY_RUN)).await;
    std::fs::write(&main_rs, &source).expect("restore app/src/main.rs");
    assert_code(&run, 2);
    for expected in [
        "error: `sandbox/no-such-file.sh` does not exist (a file is expected); create it, or fix the path \
         (it is relative to the crate directory) [local-path-missing]"
            .to_owned(),
        format!("--> app/src/main.rs:{line}:{column}\n"),
        "does not compile".to_owned(),
    ] {
        assert!(run.stderr.contains(&expected), "no {expected:?} in:\n{}", run.text());
    }
}

/// The page's text, and the line it starts on.
struct Section<'a> {
    text: &'a str,
    first_line: usize,
}

/// A code block of the page that is a file.
#[derive(Debug)]
struct FileBlock {
    /// Its line in the page.
    line: usize,
    path: String,
    /// What follows the path on the naming line, e.g. `(pithy by git)`.
    variant: String,
    text: String,
}

/// The code blocks whose first line is `# PATH ...` or `// PATH ...`, PATH being a
/// relative path with a `.` or a `/` in it (so a comment that starts a shell block is
/// not a file).
fn file_blocks(section: &Section<'_>) -> Vec<FileBlock> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (index, line) in section.text.lines().enumerate() {
        match &mut open {
            None if line.starts_with("```") => open = Some((section.first_line + index + 1, String::new())),
            None => {}
            Some((start, text)) if line == "```" => {
                let naming = text.lines().next().unwrap_or_default();
                let named = naming.strip_prefix("# ").or_else(|| naming.strip_prefix("// "));
                if let Some((path, variant)) = named.map(|n| n.split_once(' ').unwrap_or((n, "")))
                    && (path.contains('.') || path.contains('/'))
                {
                    blocks.push(FileBlock {
                        line: *start,
                        path: path.to_owned(),
                        variant: variant.trim().to_owned(),
                        text: std::mem::take(text),
                    });
                }
                open = None;
            }
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    assert!(open.is_none(), "{PAGE}: a code block is not closed");
    blocks
}

/// Writes the page's files into `root`: each file once, the workspace manifest by path
/// on `checkout` (after checking its by-git twin), and this checkout's `Cargo.lock`.
fn write_workspace(section: &Section<'_>, checkout: &Path, root: &Path) {
    let blocks = file_blocks(section);
    let mut written: Vec<&str> = Vec::new();
    for block in &blocks {
        let at = format!("{PAGE}:{} (`{}`)", block.line, block.path);
        assert!(
            !block.path.starts_with('/') && !block.path.split('/').any(|part| part == ".."),
            "{at}: a file of the workspace is a relative path inside it"
        );
        let text = match block.variant.as_str() {
            BY_GIT => {
                let by_path = blocks
                    .iter()
                    .find(|b| b.path == block.path && b.variant == BY_PATH)
                    .unwrap_or_else(|| panic!("{at}: a {BY_GIT} block needs its {BY_PATH} twin"));
                same_but_the_source(block, by_path, checkout);
                continue;
            }
            BY_PATH => {
                assert!(
                    block.text.contains(PLACEHOLDER),
                    "{at}: the by-path manifest should name {PLACEHOLDER}"
                );
                block.text.replace(PLACEHOLDER, &checkout.display().to_string())
            }
            "" => block.text.clone(),
            other => panic!("{at}: unknown variant {other:?}; the variants are {BY_GIT} and {BY_PATH}"),
        };
        assert!(!written.contains(&block.path.as_str()), "{at}: the page shows this file twice");
        written.push(&block.path);
        app_crate::write(&root.join(&block.path), &text);
    }
    for needed in ["Cargo.toml", ".cargo/config.toml", "xtask/Cargo.toml", "xtask/src/main.rs"] {
        assert!(written.contains(&needed), "{PAGE} has no `{needed}` block");
    }
    // The starting point for the lock file the page says to commit: the versions this
    // checkout is tested with, and the dependencies compiled once in target/pj-oot.
    std::fs::copy(checkout.join("Cargo.lock"), root.join("Cargo.lock")).expect("copy Cargo.lock");
}

/// The by-git manifest is the by-path one with `NAME = { git = "REPOSITORY" }` for each
/// `NAME = { path = "/path/to/pithy/DIR" }`, where DIR in the checkout is the package NAME
/// and REPOSITORY is the workspace's `repository`.
fn same_but_the_source(by_git: &FileBlock, by_path: &FileBlock, checkout: &Path) {
    let manifest = std::fs::read_to_string(checkout.join("Cargo.toml")).expect("the workspace manifest");
    let repository = manifest
        .lines()
        .find_map(|l| l.strip_prefix("repository = \"")?.strip_suffix('"'))
        .expect("the workspace's repository URL");
    let (git_lines, path_lines): (Vec<&str>, Vec<&str>) =
        (by_git.text.lines().collect(), by_path.text.lines().collect());
    let at = format!("{PAGE}:{} and {}", by_git.line, by_path.line);
    assert_eq!(git_lines.len(), path_lines.len(), "{at}: the two manifests should differ only in the source");
    for (git, path) in git_lines.iter().skip(1).zip(path_lines.iter().skip(1)) {
        if git == path {
            continue;
        }
        let dependency = |line: &str, key: &str| -> Option<(String, String)> {
            let (name, rest) = line.split_once(" = { ")?;
            let value = rest.strip_prefix(&format!("{key} = \""))?.strip_suffix("\" }")?;
            Some((name.to_owned(), value.to_owned()))
        };
        let (Some((git_name, url)), Some((path_name, dir))) =
            (dependency(git, "git"), dependency(path, "path"))
        else {
            panic!("{at}: the manifests differ in more than the source:\n  {git}\n  {path}");
        };
        assert_eq!(git_name, path_name, "{at}: the same dependencies, in the same order");
        assert_eq!(url, repository, "{at}: by git, from the workspace's repository");
        let dir = dir
            .strip_prefix(&format!("{PLACEHOLDER}/"))
            .unwrap_or_else(|| panic!("{at}: {dir} is not in {PLACEHOLDER}"));
        let crate_manifest = std::fs::read_to_string(checkout.join(dir).join("Cargo.toml"))
            .unwrap_or_else(|e| panic!("{at}: {dir}/Cargo.toml in the checkout: {e}"));
        assert!(
            crate_manifest.contains(&format!("\nname = \"{path_name}\"\n")),
            "{at}: {dir} in the checkout is not the package {path_name}"
        );
    }
}

/// The application's package name and version, as cargo reads them (the package with
/// `[package.metadata.pithy-image]`).
fn application(root: &Path) -> (String, String) {
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["metadata", "--no-deps", "--format-version", "1", "--offline"])
        .current_dir(root)
        .output()
        .expect("cargo metadata");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    let apps: Vec<&serde_json::Value> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["metadata"].get("pithy-image").is_some())
        .collect();
    let [app] = apps.as_slice() else {
        panic!("one package with [package.metadata.pithy-image], not {}", apps.len())
    };
    let text = |key: &str| app[key].as_str().expect("a string").to_owned();
    (text("name"), text("version"))
}

/// Where the temporary workspace is built: kept between runs (see the top of this file).
fn target_dir() -> PathBuf {
    app_crate::workspace().join("target/pj-oot")
}

/// The user in the temporary workspace, with the local server's state beside it.
struct User {
    root: PathBuf,
    state: PathBuf,
}

impl User {
    /// `cargo ARGS` as the user runs it, without colours.
    fn cargo(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args(args);
        as_a_user_in(&mut cmd, &self.root, &target_dir());
        cmd.env("PITHY_LOCAL_STATE_DIR", &self.state).env("CARGO_TERM_COLOR", "never");
        cmd
    }
}

/// The value of a `--dry-run` summary line, e.g. `build key   daytona-...:daytona`.
fn field(run: &Run, name: &str) -> String {
    run.stdout
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no `{name}` line in:\n{}", run.text()))
}

/// The image the local server builds (tagged with the build key); removed when dropped,
/// so a run leaves only what was there before, even when it fails.
struct BuiltImage(String);

impl Drop for BuiltImage {
    fn drop(&mut self) {
        if provision::has_image(&self.0) {
            let _ = docker(&["image", "rm", &self.0]);
        }
    }
}
