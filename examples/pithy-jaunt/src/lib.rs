//! pithy-jaunt's sandbox image, as a library: the binary (`src/main.rs`) uses it, and so
//! do the workspace's conformance tests, which create sandboxes from this reference image
//! (`tests/tests/support/reference.rs`).

pub mod image;

pub use image::{PITHY_DEFINITION, SNAPSHOT, image};
