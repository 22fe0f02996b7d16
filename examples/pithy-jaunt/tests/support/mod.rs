//! What pithy-jaunt's sandbox tests share with the workspace's (`tests/tests/support/`):
//! the reference image published on a local server, and the containers of a sandbox as
//! Docker lists them.
#![allow(dead_code)]

#[path = "../../../../tests/tests/support/containers.rs"]
pub mod containers;
#[path = "../../../../tests/conformance/provision.rs"]
pub mod provision;
#[path = "../../../../tests/tests/support/reference.rs"]
pub mod reference;

pub use containers::sandbox_containers;
