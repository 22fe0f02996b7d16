//! The UI tests of `#[pithy_image]`: every error pinned with its exact text and the
//! literal it points at (`tests/ui/**`), and valid definitions that compile and run
//! (`tests/pass`); the same for crates with a build script that declares named images
//! (`tests/images/{fail,pass}`). Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p pj-image-macros --test ui`, then read every diff.

// Setting an environment variable is `unsafe` in edition 2024: trybuild compiles the
// cases in its own project under target/tests/trybuild, so the macro cannot find the
// fixtures through CARGO_MANIFEST_DIR and reads PITHY_IMAGE_MANIFEST_DIR instead; the
// cargo and rustc processes trybuild starts inherit it from this process.
#![allow(unsafe_code)]

use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// Fixtures that git cannot hold portably, made for the run and removed after it (also
/// when a case fails): a file whose name is not UTF-8, and a context over 1 MB.
struct Generated(PathBuf);

impl Generated {
    fn create(fixtures: &Path) -> Generated {
        let dir = fixtures.join("generated");
        let _ = std::fs::remove_dir_all(&dir);
        let nonutf8 = dir.join("nonutf8");
        std::fs::create_dir_all(&nonutf8).expect("create tests/fixtures/generated");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
            std::fs::write(nonutf8.join(name), "latin-1 name\n").expect("write a non-UTF-8 file name");
        }
        // Over a 1 MB context budget (`max_context_mb = 1`): 2 MB of weights beside a small file.
        let big = dir.join("big");
        std::fs::create_dir_all(&big).expect("create tests/fixtures/generated/big");
        std::fs::write(big.join("model.bin"), vec![0u8; 2_000_000]).expect("write model.bin");
        std::fs::write(big.join("notes.txt"), "small\n").expect("write notes.txt");
        Generated(dir)
    }
}

impl Drop for Generated {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn ui() {
    // SAFETY: set before trybuild starts any thread or child process; nothing else in
    // this test binary reads or writes the environment concurrently (one #[test]).
    unsafe { std::env::set_var("PITHY_IMAGE_MANIFEST_DIR", FIXTURES) };
    let _generated = Generated::create(Path::new(FIXTURES));
    {
        // Crates without a build script: the cases run when `t` is dropped.
        let t = trybuild::TestCases::new();
        t.compile_fail("tests/ui/**/*.rs");
        t.pass("tests/pass/*.rs");
    }
    // Crates as their build script (`pj_image::build::run`) compiles them: it announces
    // the images of `[package.metadata.pithy-image] images = ["gpu", "cpu"]` in
    // PITHY_IMAGES, and the macro then allows one image per name.
    // SAFETY: as above; the first cases' processes have all ended.
    unsafe { std::env::set_var("PITHY_IMAGES", "gpu,cpu") };
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/images/fail/*.rs");
    t.pass("tests/images/pass/*.rs");
}
