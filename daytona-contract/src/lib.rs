//! # daytona-contract: what Daytona defines and every side must agree on
//!
//! The image engine (`pj-image`), the Daytona client and local server (`pj-daytona`) and
//! the publisher (`xtask`) each compute parts of Daytona's wire contract; this crate is
//! the one place they come from (`docs/DESIGN.md` "Who owns what", the measurements in
//! `docs/daytona-contract.md`):
//! - snapshot names: Daytona's name rule ([`valid_snapshot_name`]) and pithy's
//!   `<prefix>-v<version>` ([`snapshot_name`], [`resolve_snapshot_name`]);
//! - the build key the server builds a definition under ([`build_key`]) and the context
//!   hashes it is computed from ([`context_hashes`]);
//! - build contexts ([`context`]): the one [`Context`] record, archive paths, the
//!   deterministic walk, the MD5 context hash, the reproducible tar, and the runner's
//!   build context;
//! - Dockerfiles ([`dockerfile`]): the one reader of their instructions, flags and
//!   arguments, and the images a build takes from outside them.
//!
//! It knows nothing of pithy's rules: where a path or a tree cannot be carried, it says
//! what and where with its own errors ([`context::PathError`], [`context::Problem`]), and
//! the engine maps them to its rule ids.
//!
//! ```
//! use daytona_contract::{Context, ContextKind, build_key, context_hashes};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join("ctx"))?;
//! std::fs::write(dir.path().join("ctx/file.txt"), "hello\n")?;
//!
//! let archive = daytona_contract::context::archive_path("./ctx//file.txt")?;
//! let source = dir.path().join(&archive);
//! let md5 = daytona_contract::context::hash(&source, &archive)?;
//! let context = Context::new(source.to_string_lossy().into_owned(), archive, ContextKind::File, md5);
//! assert_eq!(context_hashes(std::slice::from_ref(&context)), ["0062767e43a7b98b63a594b2504ce32c"]);
//!
//! let dockerfile = "FROM alpine:3.19\nCOPY [\"ctx/file.txt\", \"/app/file.txt\"]\n";
//! assert!(build_key(dockerfile, &context_hashes(&[context])).starts_with("daytona-"));
//! assert!(daytona_contract::valid_snapshot_name("pithy-jaunt-v1.0.6"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod build_key;
pub mod context;
pub mod dockerfile;
mod naming;

pub use build_key::{build_key, context_hashes};
pub use context::{Context, ContextKind, ContextSummary};
pub use naming::{
    NameError, SNAPSHOT_OVERRIDE_VAR, image_snapshot_name, image_var, resolve_image_snapshot_name,
    resolve_snapshot_name, snapshot_name, valid_image_name, valid_snapshot_name,
};
