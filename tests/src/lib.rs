//! End-to-end tests live in tests/.
//!
//! This library holds no code: it makes the `rust,no_run` blocks of the guide
//! `docs/sandboxes.md` doc tests, so the guide compiles against the current API
//! (`cargo test -p pj-tests --doc`).

/// The guide `docs/sandboxes.md`, whose Rust blocks are this crate's doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/sandboxes.md")]
pub struct SandboxesGuide;
