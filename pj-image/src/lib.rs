//! # pj-image: Daytona images as checked Rust
//!
//! The engine of [pithy](https://example.invalid/pithy): an image builder in the
//! vocabulary of Daytona's SDK ([`Image`]), the rules that check a definition
//! ([`rules`], reported as [`Violations`]) and the Dockerfile renderer, byte-compatible
//! with Daytona's Python SDK 0.226.1. Build contexts ([`context`]: archive paths, the MD5
//! context hash, a deterministic streamed tar), snapshot names and the build key are
//! Daytona's contract and come from the `daytona-contract` crate, re-exported here. The
//! `#[pithy_image]` macro runs the same builder and rules at compile time; `cargo xtask
//! snapshot` publishes the result.
//!
//! ```
//! use pj_image::{Image, Rule};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join("sandbox"))?;
//! std::fs::write(dir.path().join("sandbox/execution.sh"), "#!/bin/sh\necho run\n")?;
//!
//! let image = Image::base("debian:bookworm-slim")
//!     .context_root(dir.path())
//!     .apt_install(["ca-certificates", "curl", "git", "jq", "python3-venv"])
//!     .run_commands(["python3 -m venv /opt/venv"])
//!     .env([("PATH", "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")])
//!     .pip_install(["openai==1.54.0", "anthropic==0.39.0"])
//!     .add_local_file("sandbox/execution.sh", "/app/execution.sh")
//!     .workdir("/app");
//!
//! let rendered = image.render()?;
//! assert_eq!(rendered.dockerfile, "FROM debian:bookworm-slim\n\
//!     RUN apt-get update && apt-get install -y --no-install-recommends \
//!     ca-certificates curl git jq python3-venv && rm -rf /var/lib/apt/lists/*\n\
//!     RUN python3 -m venv /opt/venv\n\
//!     ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n\
//!     RUN python -m pip install anthropic==0.39.0 openai==1.54.0\n\
//!     COPY [\"sandbox/execution.sh\", \"/app/execution.sh\"]\n\
//!     WORKDIR /app\n");
//! assert_eq!(rendered.contexts[0].archive_path, "sandbox/execution.sh");
//!
//! // Mistakes are reported together, each with a rule id, the value and the fix.
//! let errors = Image::base("python:latest").pip_install(["torch>=2"]).validate().unwrap_err();
//! assert_eq!(errors[0].rule, Rule::BaseUnpinned);
//! assert_eq!(errors[1].message, "pip package \"torch>=2\" is not pinned; write torch==<version>");
//!
//! // pithy knows what well-known bases hold: the official ubuntu image has no Python.
//! let errors = Image::base("ubuntu:22.04").pip_install(["openai==1.54.0"]).validate().unwrap_err();
//! assert_eq!(errors[0].rule, Rule::PipNeedsPython);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Where Daytona's SDK would write a broken Dockerfile (a newline in an argument, a
//! `"` inside an `ENTRYPOINT` argument, a requirements path with spaces), pj-image
//! reports a violation or writes the correct form: the Dockerfile never holds other
//! instructions than the ones written.
//!
//! Snapshot names and the server's build key come from `daytona-contract`, so the build
//! script, the macro, xtask and the local server can never disagree: [`snapshot_name`],
//! [`build_key`].

pub mod build;
pub mod call;
pub mod definition;
mod image;
mod quote;
mod render;
mod resources;
pub mod rules;

pub use call::{DirOptions, PipOptionField, PipOptions};
/// Build contexts, as Daytona defines them: re-exported from `daytona-contract`.
pub use daytona_contract::context;
pub use daytona_contract::{
    Context, ContextKind, NameError, SNAPSHOT_OVERRIDE_VAR, build_key, image_snapshot_name, image_var,
    resolve_image_snapshot_name, resolve_snapshot_name, snapshot_name, valid_image_name, valid_snapshot_name,
};
pub use definition::Definition;
pub use image::Image;
pub use render::Rendered;
pub use resources::Resources;
pub use rules::catalogue::{Part, Rule, Site, Violation, Violations};
