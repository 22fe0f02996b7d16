//! pj-image (being written).

pub mod context;
pub mod rules;
mod violation;

pub use violation::{Part, PipOptionField, Rule, Site, Violation, Violations};
