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
//! A crate with several images declares the named ones in its `Cargo.toml`, and names
//! each `#[pithy_image(name = "..")]` accordingly:
//!
//! ```toml
//! [package.metadata.pithy-image]
//! images = ["gpu"]
//! ```
//!
//! For each declared image the script emits `PITHY_SNAPSHOT_<NAME>` (`<prefix>-gpu-v<version>`
//! for `gpu`, or `PITHY_SNAPSHOT_OVERRIDE_<NAME>` when set) and watches that image's track
//! file; `PITHY_IMAGES` lists the declared names for the macro, which refuses a `name` not
//! listed. The build script runs before the crate is compiled, so it cannot learn the
//! names from the attributes; the list is what makes `env!("PITHY_SNAPSHOT_GPU")` exist
//! on the first build (`docs/DESIGN.md` "Several images per crate").
//!
//! An invalid name (for example a version with `+build` metadata) fails the build with
//! a message that says what to change.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::definition::{self, IMAGES_ENV, SNAPSHOT_ENV};
use crate::{NameError, SNAPSHOT_OVERRIDE_VAR, resolve_image_snapshot_name};

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
    let metadata = Metadata::read(&manifest)?;
    // The unnamed image, then each declared one: each gets its name and its override.
    let images: Vec<Option<&str>> =
        std::iter::once(None).chain(metadata.images.iter().map(|i| Some(i.as_str()))).collect();

    writeln!(out, "cargo:rerun-if-changed=build.rs")?;
    writeln!(out, "cargo:rerun-if-changed=Cargo.toml")?;
    for &image in &images {
        let override_var = crate::image_var(SNAPSHOT_OVERRIDE_VAR, image);
        let override_name = env(&override_var);
        let name = resolve_image_snapshot_name(
            &package,
            metadata.snapshot.as_deref(),
            image,
            &version,
            override_name.as_deref(),
        )?;
        writeln!(out, "cargo:rerun-if-env-changed={override_var}")?;
        writeln!(out, "cargo:rustc-env={}={name}", crate::image_var(SNAPSHOT_ENV, image))?;
    }
    writeln!(out, "cargo:rustc-env={IMAGES_ENV}={}", metadata.images.join(","))?;
    if let Some(out_dir) = env("OUT_DIR") {
        let out_dir = PathBuf::from(out_dir);
        let mut tracked = Vec::new();
        for &image in &images {
            definition::ensure_track_file(&out_dir, image)?;
            writeln!(
                out,
                "cargo:rerun-if-changed={}",
                out_dir.join(definition::track_file(image)).display()
            )?;
            tracked.extend(definition::read_track_file(&out_dir, image));
        }
        for path in &tracked {
            writeln!(out, "cargo:rerun-if-changed={}", path.trim_end_matches('/'))?;
        }
        writeln!(out, "cargo:rustc-env=PITHY_CONTEXT_STAMP={}", stamp(&tracked))?;
    }
    Ok(())
}

/// What the build script reads from `[package.metadata.pithy-image]`.
#[derive(Debug, Default)]
struct Metadata {
    /// `snapshot`: the prefix of the snapshot names, instead of the package name.
    snapshot: Option<String>,
    /// `images`: the crate's named images (`#[pithy_image(name = "..")]`), each valid and
    /// listed once.
    images: Vec<String>,
}

impl Metadata {
    fn read(manifest: &Path) -> Result<Metadata, BuildError> {
        let fail = |message: String| BuildError::Manifest { path: manifest.to_owned(), message };
        let text = std::fs::read_to_string(manifest).map_err(|e| fail(e.to_string()))?;
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| fail(e.to_string()))?;
        let section = table.get("package").and_then(|p| p.get("metadata")).and_then(|m| m.get("pithy-image"));
        let snapshot = match section.and_then(|m| m.get("snapshot")) {
            None => None,
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(fail(format!(
                    "[package.metadata.pithy-image] snapshot must be a string like \"my-app\", found {other}"
                )));
            }
        };
        let mut images: Vec<String> = Vec::new();
        if let Some(value) = section.and_then(|m| m.get("images")) {
            let not_a_list = || {
                fail(format!(
                    "[package.metadata.pithy-image] images must be a list of image names like [\"gpu\"], found {value}"
                ))
            };
            for item in value.as_array().ok_or_else(not_a_list)? {
                let name = item.as_str().ok_or_else(not_a_list)?;
                if !crate::valid_image_name(name) {
                    return Err(NameError::ImageName { name: name.to_owned() }.into());
                }
                if images.iter().any(|i| i == name) {
                    return Err(fail(format!(
                        "[package.metadata.pithy-image] images lists {name:?} twice; list each image once"
                    )));
                }
                images.push(name.to_owned());
            }
        }
        Ok(Metadata { snapshot, images })
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
    fn declared_images_get_their_own_names_overrides_and_track_files() {
        let dir = crate_dir(
            "[package]\nname = \"app\"\n[package.metadata.pithy-image]\nsnapshot = \"agents\"\nimages = [\"gpu\", \"cuda-12\"]\n",
        );
        let out_dir = dir.path().join("out");
        std::fs::create_dir(&out_dir).expect("mkdir");
        let (d, o) = (dir.path().to_str().expect("utf-8"), out_dir.to_str().expect("utf-8"));
        let mut vars = vec![
            ("CARGO_MANIFEST_DIR", d),
            ("CARGO_PKG_NAME", "app"),
            ("CARGO_PKG_VERSION", "1.0.6"),
            ("OUT_DIR", o),
            ("PITHY_SNAPSHOT_OVERRIDE_CUDA_12", "pinned-cuda"),
        ];
        let out = run_with(&vars).expect("ok");
        for line in [
            "cargo:rustc-env=PITHY_SNAPSHOT=agents-v1.0.6",
            "cargo:rustc-env=PITHY_SNAPSHOT_GPU=agents-gpu-v1.0.6",
            "cargo:rustc-env=PITHY_SNAPSHOT_CUDA_12=pinned-cuda",
            "cargo:rustc-env=PITHY_IMAGES=gpu,cuda-12",
            "cargo:rerun-if-env-changed=PITHY_SNAPSHOT_OVERRIDE_GPU",
            &format!("cargo:rerun-if-changed={}/pithy-image.gpu.track", o),
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
        }
        // Watched track files exist, so cargo does not re-run the script on every build.
        for file in ["pithy-image.track", "pithy-image.gpu.track", "pithy-image.cuda-12.track"] {
            assert!(out_dir.join(file).exists(), "{file}");
        }
        vars[4] = ("PITHY_SNAPSHOT_OVERRIDE_CUDA_12", "bad name");
        assert!(matches!(run_with(&vars), Err(BuildError::Name(NameError::Invalid { .. }))));
    }

    #[test]
    fn bad_image_lists_fail_with_a_fix() {
        for (images, expected) in [
            ("\"gpu\"", "must be a list of image names"),
            ("[\"gpu\", 3]", "must be a list of image names"),
            ("[\"GPU\"]", "image name \"GPU\" is not valid"),
            ("[\"gpu\", \"gpu\"]", "lists \"gpu\" twice"),
        ] {
            let dir = crate_dir(&format!(
                "[package]\nname = \"app\"\n[package.metadata.pithy-image]\nimages = {images}\n"
            ));
            let d = dir.path().to_str().expect("utf-8");
            let err = run_with(&[
                ("CARGO_MANIFEST_DIR", d),
                ("CARGO_PKG_NAME", "app"),
                ("CARGO_PKG_VERSION", "1.0.0"),
            ])
            .expect_err(images);
            assert!(err.to_string().contains(expected), "{images}: {err}");
        }
    }

    #[test]
    fn tracked_directories_are_watched_and_stamped() {
        let dir = crate_dir("[package]\nname = \"app\"\n");
        let ctx = dir.path().join("sandbox");
        std::fs::create_dir(&ctx).expect("mkdir");
        let out_dir = dir.path().join("out");
        std::fs::create_dir(&out_dir).expect("mkdir");
        crate::definition::write_track_file(&out_dir, None, &[format!("{}/", ctx.display())]).expect("track");
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
