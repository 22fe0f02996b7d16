//! A small application crate that uses pj-image and `#[pithy_image]`, written for a
//! test and built with cargo in `target/pj-apps/target` (shared by the test binaries
//! that build such apps, so the dependencies compile once). Included with `#[path]`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|d| d.join("pj-image-macros").is_dir() && d.join("Cargo.lock").is_file())
        .expect("the workspace root above CARGO_MANIFEST_DIR")
        .to_path_buf()
}

/// The target directory the apps are built in.
pub fn target_dir() -> PathBuf {
    workspace().join("target/pj-apps/target")
}

/// Writes `text` to `path` (creating directories) unless it already holds it, so an
/// unchanged file keeps its modification time.
pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent directory")).expect("mkdir");
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).expect("write");
    }
}

/// Writes the crate `name` `version` into `dir`: Cargo.toml (its own workspace, path
/// dependencies on this workspace's pj-image and pj-image-macros, `extra_manifest`
/// appended to `[package]`), this workspace's Cargo.lock (same dependency versions),
/// build.rs calling the build-script helper, and `src/main.rs`.
pub fn scaffold(dir: &Path, name: &str, version: &str, extra_manifest: &str, main_rs: &str) {
    // As docs/your-project.md ("Use pithy in your project") asks of a workspace: the context hash
    // runs in the compiler, optimised even in debug builds.
    let table = "[workspace]\n\n[profile.dev.package.md-5]\nopt-level = 3\n";
    write_crate(dir, name, version, extra_manifest, table, main_rs);
    if !dir.join("Cargo.lock").exists() {
        std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    }
}

/// The same crate as [`scaffold`] writes, as a member of a workspace whose root is above
/// `dir` (no `[workspace]` table, no Cargo.lock of its own).
pub fn member(dir: &Path, name: &str, version: &str, extra_manifest: &str, main_rs: &str) {
    write_crate(dir, name, version, extra_manifest, "", main_rs);
}

/// Cargo.toml (with `workspace_table` after `[package]`), build.rs and `src/main.rs`.
fn write_crate(
    dir: &Path,
    name: &str,
    version: &str,
    extra_manifest: &str,
    workspace_table: &str,
    main_rs: &str,
) {
    let ws = workspace();
    write(
        &dir.join("Cargo.toml"),
        &format!(
            r#"[package]
name = "{name}"
version = "{version}"
edition = "2024"
{extra_manifest}
{workspace_table}
[dependencies]
pj-image = {{ path = "{ws}/pj-image" }}
pj-image-macros = {{ path = "{ws}/pj-image-macros" }}

[build-dependencies]
pj-image = {{ path = "{ws}/pj-image" }}
"#,
            ws = ws.display()
        ),
    );
    write(&dir.join("build.rs"), "fn main() { pj_image::build::run(); }\n");
    write(&dir.join("src/main.rs"), main_rs);
}
