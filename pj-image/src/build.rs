//! The build-script helper: gives the application its snapshot name through
//! `env!("PITHY_SNAPSHOT")` and makes Cargo re-run the `#[pithy_image]` checks when a
//! file or directory the definition reads changes.
//!
//! ```no_run
//! // build.rs of the application crate: `fn main() { pj_image::build::run(); }`
//! pj_image::build::run();
//! ```
//!
//! ```ignore
//! // anywhere in the application
//! const SNAPSHOT: &str = env!("PITHY_SNAPSHOT"); // "pithy-jaunt-v1.0.6"
//! ```
//!
//! This is the one place the snapshot name is resolved. What it emits:
//! - `cargo:rustc-env=PITHY_SNAPSHOT=<name>`, the name from
//!   [`resolve_snapshot_name`](crate::resolve_snapshot_name()): `<prefix>-v<version>` with
//!   the prefix from `[package.metadata.pithy-image] snapshot` or the package name, or
//!   the value of `PITHY_SNAPSHOT_OVERRIDE` when set. Cargo puts it in rustc's
//!   environment, so `#[pithy_image]` reads it too and stores it in the definition
//!   ([`Definition::snapshot`](crate::Definition::snapshot)), which is where
//!   `cargo xtask snapshot` takes the name from;
//! - `cargo:rerun-if-changed` for `build.rs`, `Cargo.toml`, and every file and directory
//!   the macro read (listed by the macro in `$OUT_DIR/pithy-image.track`), plus
//!   `cargo:rustc-env=PITHY_CONTEXT_STAMP=<digest>` of those trees, so adding a file to
//!   a context directory recompiles the crate and re-runs the checks;
//! - `cargo:rerun-if-env-changed=PITHY_SNAPSHOT_OVERRIDE`.
//!
//! An invalid name (for example a version with `+build` metadata) fails the build with
//! a message that says what to change.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::definition::SNAPSHOT_ENV;
use crate::{NameError, SNAPSHOT_OVERRIDE_VAR, resolve_snapshot_name};

/// Why the build script cannot give the crate a snapshot name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A variable Cargo sets for build scripts is missing.
    #[error(
        "environment variable {0} is not set; call pj_image::build::run() from a build script (build.rs)"
    )]
    MissingEnv(&'static str),
    /// `Cargo.toml` cannot be read or parsed.
    #[error("cannot read {path}: {message}")]
    Manifest {
        /// The manifest path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The name is invalid.
    #[error(transparent)]
    Name(#[from] NameError),
    /// Writing the instructions failed.
    #[error("cannot write build-script output: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs the helper for the current build script: prints Cargo's instructions, or the
/// error and exits with status 1 (Cargo then shows the message and stops the build).
pub fn run() {
    let env = |key: &str| std::env::var(key).ok();
    let stdout = std::io::stdout();
    if let Err(e) = emit(&env, &mut stdout.lock()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Writes the build-script instructions to `out`, reading variables through `env`
/// (testable form of [`run`]).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"app\"\n[package.metadata.pithy-image]\nsnapshot = \"agents\"\n").unwrap();
/// let vars = [("CARGO_MANIFEST_DIR", dir.path().to_str().unwrap()), ("CARGO_PKG_NAME", "app"),
///             ("CARGO_PKG_VERSION", "1.0.6"), ("OUT_DIR", dir.path().to_str().unwrap())];
/// let env = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
/// let mut out = Vec::new();
/// pj_image::build::emit(&env, &mut out).unwrap();
/// assert!(String::from_utf8(out).unwrap().contains("cargo:rustc-env=PITHY_SNAPSHOT=agents-v1.0.6\n"));
/// ```
pub fn emit(env: &dyn Fn(&str) -> Option<String>, out: &mut dyn Write) -> Result<(), BuildError> {
    let var = |key: &'static str| env(key).ok_or(BuildError::MissingEnv(key));
    let manifest_dir = PathBuf::from(var("CARGO_MANIFEST_DIR")?);
    let package = var("CARGO_PKG_NAME")?;
    let version = var("CARGO_PKG_VERSION")?;
    let manifest = manifest_dir.join("Cargo.toml");
    let metadata_snapshot = metadata_snapshot(&manifest)?;
    let override_name = env(SNAPSHOT_OVERRIDE_VAR);
    let name =
        resolve_snapshot_name(&package, metadata_snapshot.as_deref(), &version, override_name.as_deref())?;

    writeln!(out, "cargo:rerun-if-changed=build.rs")?;
    writeln!(out, "cargo:rerun-if-changed=Cargo.toml")?;
    writeln!(out, "cargo:rerun-if-env-changed={SNAPSHOT_OVERRIDE_VAR}")?;
    writeln!(out, "cargo:rustc-env={SNAPSHOT_ENV}={name}")?;
    if let Some(out_dir) = env("OUT_DIR") {
        let out_dir = PathBuf::from(out_dir);
        let tracked = crate::definition::read_track_file(&out_dir);
        writeln!(out, "cargo:rerun-if-changed={}", out_dir.join(crate::definition::TRACK_FILE).display())?;
        for path in &tracked {
            writeln!(out, "cargo:rerun-if-changed={}", path.trim_end_matches('/'))?;
        }
        writeln!(out, "cargo:rustc-env=PITHY_CONTEXT_STAMP={}", stamp(&tracked))?;
    }
    Ok(())
}

/// `[package.metadata.pithy-image] snapshot`, if set.
fn metadata_snapshot(manifest: &Path) -> Result<Option<String>, BuildError> {
    let fail = |message: String| BuildError::Manifest { path: manifest.to_owned(), message };
    let text = std::fs::read_to_string(manifest).map_err(|e| fail(e.to_string()))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| fail(e.to_string()))?;
    let value = table
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("pithy-image"))
        .and_then(|m| m.get("snapshot"));
    match value {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(fail(format!(
            "[package.metadata.pithy-image] snapshot must be a string like \"my-app\", found {other}"
        ))),
    }
}

/// A digest of the tracked trees (relative paths, sizes and modification times), so a
/// change in a context directory changes the crate's environment and recompiles it.
fn stamp(tracked: &[String]) -> String {
    let mut sha = Sha256::new();
    for path in tracked {
        sha.update(path.as_bytes());
        sha.update([0]);
        walk_stamp(Path::new(path.trim_end_matches('/')), &mut sha, 0);
    }
    sha.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn walk_stamp(path: &Path, sha: &mut Sha256, depth: usize) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        sha.update(b"missing");
        return;
    };
    sha.update(meta.len().to_le_bytes());
    if let Ok(modified) = meta.modified()
        && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
    {
        sha.update(since.as_nanos().to_le_bytes());
    }
    if meta.is_dir() && depth < 64 {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        for entry in entries {
            sha.update(entry.as_os_str().as_encoded_bytes());
            sha.update([0]);
            walk_stamp(&entry, sha, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(vars: &[(&str, &str)]) -> Result<String, BuildError> {
        let env = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned());
        let mut out = Vec::new();
        emit(&env, &mut out)?;
        Ok(String::from_utf8(out).expect("utf-8"))
    }

    fn crate_dir(manifest: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("Cargo.toml"), manifest).expect("write");
        dir
    }

    #[test]
    fn name_from_package_metadata_and_override() {
        let dir = crate_dir("[package]\nname = \"pithy-jaunt\"\nversion = \"1.0.6\"\n");
        let d = dir.path().to_str().expect("utf-8");
        let base =
            [("CARGO_MANIFEST_DIR", d), ("CARGO_PKG_NAME", "pithy-jaunt"), ("CARGO_PKG_VERSION", "1.0.6")];
        let out = run_with(&base).expect("ok");
        assert!(out.contains("cargo:rustc-env=PITHY_SNAPSHOT=pithy-jaunt-v1.0.6\n"), "{out}");
        assert!(out.contains("cargo:rerun-if-env-changed=PITHY_SNAPSHOT_OVERRIDE\n"));
        assert!(out.contains("cargo:rerun-if-changed=Cargo.toml\n"));

        let mut with_override = base.to_vec();
        with_override.push(("PITHY_SNAPSHOT_OVERRIDE", "other-v2"));
        assert!(run_with(&with_override).expect("ok").contains("PITHY_SNAPSHOT=other-v2\n"));
        with_override[3] = ("PITHY_SNAPSHOT_OVERRIDE", "bad name");
        assert!(matches!(run_with(&with_override), Err(BuildError::Name(_))));
    }

    #[test]
    fn invalid_versions_and_metadata_fail_with_a_fix() {
        let dir = crate_dir("[package]\nname = \"app\"\n");
        let d = dir.path().to_str().expect("utf-8");
        let err = run_with(&[
            ("CARGO_MANIFEST_DIR", d),
            ("CARGO_PKG_NAME", "app"),
            ("CARGO_PKG_VERSION", "1.0.0+git.5"),
        ])
        .expect_err("build metadata");
        assert!(err.to_string().contains("drop the `+git.5` suffix"), "{err}");

        let dir = crate_dir("[package]\nname = \"app\"\n[package.metadata.pithy-image]\nsnapshot = 3\n");
        let d = dir.path().to_str().expect("utf-8");
        let err =
            run_with(&[("CARGO_MANIFEST_DIR", d), ("CARGO_PKG_NAME", "app"), ("CARGO_PKG_VERSION", "1.0.0")])
                .expect_err("not a string");
        assert!(err.to_string().contains("must be a string"), "{err}");

        let err = run_with(&[("CARGO_PKG_NAME", "app")]).expect_err("no manifest dir");
        assert!(matches!(err, BuildError::MissingEnv("CARGO_MANIFEST_DIR")));
    }

    #[test]
    fn tracked_directories_are_watched_and_stamped() {
        let dir = crate_dir("[package]\nname = \"app\"\n");
        let ctx = dir.path().join("sandbox");
        std::fs::create_dir(&ctx).expect("mkdir");
        let out_dir = dir.path().join("out");
        std::fs::create_dir(&out_dir).expect("mkdir");
        crate::definition::write_track_file(&out_dir, &[format!("{}/", ctx.display())]).expect("track");
        let d = dir.path().to_str().expect("utf-8");
        let o = out_dir.to_str().expect("utf-8");
        let vars = [
            ("CARGO_MANIFEST_DIR", d),
            ("CARGO_PKG_NAME", "app"),
            ("CARGO_PKG_VERSION", "1.0.0"),
            ("OUT_DIR", o),
        ];
        let first = run_with(&vars).expect("ok");
        assert!(first.contains(&format!("cargo:rerun-if-changed={}\n", ctx.display())), "{first}");
        std::fs::write(ctx.join("new.txt"), "x").expect("write");
        let second = run_with(&vars).expect("ok");
        let stamp_of = |s: &str| s.lines().find(|l| l.contains("PITHY_CONTEXT_STAMP")).map(str::to_owned);
        assert_ne!(stamp_of(&first), stamp_of(&second), "adding a file changes the stamp");
        assert_eq!(stamp_of(&second), stamp_of(&run_with(&vars).expect("ok")), "stable otherwise");
    }
}
