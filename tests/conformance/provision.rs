//! Installs the test prerequisites on first use, so `cargo test --workspace` works on a
//! fresh machine: runs `tests/conformance/setup.sh` (idempotent: the Python SDK venv and
//! the local Docker base image `pj-test-base:1`) once per test process. Included with
//! `#[path]` by the test binaries that need it; each uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The base image the Docker tests build on (made locally; no registry is used).
pub const BASE_IMAGE: &str = "pj-test-base:1";

/// The reference application's base image, made locally from Debian's archive by
/// `scripts/debian-base-image.sh` (no registry is used).
pub const REFERENCE_BASE: &str = "debian:bookworm-slim";

/// Runs the setup script once; panics with its output when it fails.
pub fn provision() {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let result = DONE.get_or_init(|| {
        // CARGO_MANIFEST_DIR is the including crate's; the script is at the workspace root.
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let script = manifest
            .ancestors()
            .map(|d| d.join("tests/conformance/setup.sh"))
            .find(|s| s.is_file())
            .ok_or_else(|| format!("no tests/conformance/setup.sh above {}", manifest.display()))?;
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed:\n{}{}",
                script.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(e) = result {
        panic!("the test prerequisites could not be installed: {e}");
    }
}

/// Whether Docker has `image` (nothing is pulled).
pub fn has_image(image: &str) -> bool {
    Command::new("docker").args(["image", "inspect", image]).output().is_ok_and(|o| o.status.success())
}

/// Makes sure the local Docker base image exists, installing it if needed.
pub fn base_image() -> &'static str {
    if !has_image(BASE_IMAGE) {
        provision();
        assert!(has_image(BASE_IMAGE), "{BASE_IMAGE} is still missing after tests/conformance/setup.sh");
    }
    BASE_IMAGE
}

/// Makes sure the reference application's base image exists, making it if needed.
pub fn reference_base() -> &'static str {
    if !has_image(REFERENCE_BASE) {
        provision();
        assert!(
            has_image(REFERENCE_BASE),
            "{REFERENCE_BASE} is still missing after tests/conformance/setup.sh"
        );
    }
    REFERENCE_BASE
}

/// Checks a prerequisite; when it is missing, installs the prerequisites
/// (`tests/conformance/setup.sh`) and checks again. Fails, saying what is missing,
/// when it still is: no test is skipped.
pub fn require(present: impl Fn() -> bool, what: &str) -> bool {
    if present() {
        return true;
    }
    provision();
    assert!(present(), "{what} is missing after tests/conformance/setup.sh");
    true
}
