//! `#[pithy_image]` re-runs its checks when what it read changes (issue #3): editing a
//! tracked file (a requirements file, via `include_bytes!`) and adding a file to a
//! tracked directory (a context dir, via the build-script helper) make the next
//! `cargo build` re-check and re-embed the definition.
//!
//! This builds a small application crate with cargo in `target/pj-apps/target` (shared
//! with the xtask end-to-end tests and kept between runs, so only the first build is slow).

use std::path::Path;
use std::process::{Command, Output};

#[path = "../support/app_crate.rs"]
mod app_crate;

use app_crate::{scaffold, target_dir, write};

fn app(dir: &Path) {
    scaffold(
        dir,
        "rebuild-app",
        "0.3.1",
        "",
        r#"use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm")
        .pip_install_from_requirements("requirements.txt")
        .add_local_dir("sandbox/data", "/data")
}

fn main() {
    println!("{}", env!("PITHY_SNAPSHOT"));
    for c in PITHY_DEFINITION.contexts.iter() {
        println!("{} {}", c.archive_path, c.md5);
    }
}
"#,
    );
    write(&dir.join("requirements.txt"), "requests==2.32.3\n");
    write(&dir.join("sandbox/data/a.txt"), "alpha\n");
}

fn cargo(dir: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .args(args)
        .args(["--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo")
}

fn run_ok(dir: &Path) -> String {
    let out = cargo(dir, &["run"]);
    assert!(out.status.success(), "cargo run failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn build_err(dir: &Path) -> String {
    let out = cargo(dir, &["build"]);
    assert!(!out.status.success(), "the build should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn data_hash(stdout: &str) -> String {
    stdout.lines().find_map(|l| l.strip_prefix("sandbox/data ")).expect("data context").to_owned()
}

#[test]
fn editing_a_tracked_file_or_adding_to_a_tracked_dir_rechecks() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    app(dir);

    let first = run_ok(dir);
    assert_eq!(first.lines().next(), Some("rebuild-app-v0.3.1"));
    let data = dir.join("sandbox/data");
    assert_eq!(data_hash(&first), pj_image::context::hash(&data, "sandbox/data").expect("hash"));

    // A tracked file: the requirements file gains an unpinned line.
    write(&dir.join("requirements.txt"), "requests==2.32.3\ntorch>=2\n");
    let err = build_err(dir);
    assert!(err.contains("requirements.txt:2: pip package \"torch>=2\" is not pinned"), "{err}");
    write(&dir.join("requirements.txt"), "requests==2.32.3\ntorch==2.5.1\n");
    run_ok(dir);

    // A tracked directory: a new file changes the embedded context hash.
    write(&data.join("b.txt"), "beta\n");
    let second = run_ok(dir);
    assert_ne!(data_hash(&second), data_hash(&first));
    assert_eq!(data_hash(&second), pj_image::context::hash(&data, "sandbox/data").expect("hash"));

    // ... and a new symlink in it is caught by the next build.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("a.txt", data.join("link.txt")).expect("symlink");
        let err = build_err(dir);
        assert!(err.contains("link.txt") && err.contains("symlink"), "{err}");
    }
}
