//! `#[pithy_image]`: a Daytona image definition that the compiler checks.
//!
//! ```
//! use pj_image::Image;
//! use pj_image_macros::pithy_image;
//!
//! #[pithy_image(cpu = 2, memory = 4, disk = 8)]
//! pub fn image() -> Image {
//!     Image::base("python:3.12.10-slim-bookworm")
//!         .run_commands(["python -m venv /opt/venv"])
//!         .env([("PATH", "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")])
//!         .pip_install(["openai==1.54.0", "anthropic==0.39.0"])
//!         .workdir("/app")
//! }
//!
//! // The checked, rendered definition, embedded next to the function.
//! assert_eq!(PITHY_DEFINITION.dockerfile, image().dockerfile());
//! assert!(PITHY_DEFINITION.dockerfile.contains("RUN python -m pip install anthropic==0.39.0 openai==1.54.0\n"));
//! assert_eq!(PITHY_DEFINITION.resources.cpu, 2);
//! ```
//!
//! In an application, `.add_local_file("sandbox/execution.sh", "/app/execution.sh")`
//! and the like name files relative to the crate directory, and the crate's build
//! script (`pj_image::build::run()`) gives it its snapshot name.
//!
//! The macro reads the body's method chain, lowers it into pj-image's own calls
//! through pj-image's method table (`pj_image::call`), builds the same
//! [`pj_image::Image`] at compile time, runs every rule, and reports **all**
//! violations in one compile, each on the literal that is wrong, with the fix and the
//! rule's id:
//!
//! ```text
//! error: pip package "torch>=2" is not pinned; write torch==<version> [pip-unpinned]
//!  --> src/main.rs:7:23
//!   |
//! 7 |         .pip_install(["torch>=2"])
//!   |                       ^^^^^^^^^^
//! ```
//!
//! - The rules that rely on pithy's knowledge of well-known base images
//!   (`pip-needs-python`, `pip-externally-managed`, `package-manager`) can be silenced
//!   for an image that builds anyway: `#[pithy_image(cpu = 2, allow(pip-needs-python))]`.
//!   Their errors say so in a `= help:` line; no other rule can be silenced.
//! - Every argument must be a literal (a string, an array of strings, `(key, value)`
//!   tuples, a `PipOptions { .. }` of literals): anything else cannot be checked at
//!   compile time and is an error that says so.
//! - Local paths resolve against the crate directory (`CARGO_MANIFEST_DIR`, or
//!   `PITHY_IMAGE_MANIFEST_DIR` when set, for tests). Archive paths stay relative, so
//!   the Dockerfile and hashes are the same on every machine.
//! - Resources: `cpu`, `memory` and `disk` (GB), optional `gpu`, within Daytona's limits
//!   (`pj_image::Resources::MAX`); defaults 1, 1, 3, 0.
//! - On success the function is emitted unchanged, next to
//!   `pub const PITHY_DEFINITION: pj_image::Definition` (the checked, rendered
//!   definition); the same definition is written to `$OUT_DIR/pithy-image-<digest>.json`
//!   and included in the crate, for `cargo xtask snapshot` (see `pj_image::definition`).
//!   One image per name per crate when it has a build script (a second one is a
//!   compile error on its name, or its attribute when unnamed). Files read are tracked with
//!   `include_bytes!`; directories through the crate's build script, which must call
//!   `pj_image::build::run()`.
//! - Several images per crate: `#[pithy_image(name = "gpu")]` (lowercase letters, digits
//!   and `-`) embeds `PITHY_DEFINITION_GPU` instead, for the snapshot
//!   `<prefix>-gpu-v<version>` that the application reads with `env!("PITHY_SNAPSHOT_GPU")`.
//!   The name must be listed in the crate's `Cargo.toml`, `[package.metadata.pithy-image]
//!   images = ["gpu"]`, so that the build script (which runs first) can give it its name;
//!   an unlisted name is a compile error that says so.
//! - The snapshot name is not resolved here: the build script resolves it and hands it
//!   to rustc as `PITHY_SNAPSHOT` (`cargo:rustc-env`), which the macro reads from the
//!   compiler's environment and stores in the definition's `snapshot` field (empty
//!   without the build script).
//! - On error the function is still emitted, so the rest of the crate keeps compiling
//!   and rust-analyzer keeps working. The macro never panics.

use proc_macro::TokenStream;

mod attr;
mod chain;
mod ctxt;
mod expand;
mod lower;

/// Checks an image definition at compile time and embeds it; see the [crate docs](crate).
#[proc_macro_attribute]
pub fn pithy_image(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::pithy_image(attr.into(), item.into()).into()
}
