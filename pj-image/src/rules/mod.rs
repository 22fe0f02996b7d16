//! The rules: checks on single values, shared by the builder (at run time) and the
//! `#[pithy_image]` macro (at compile time). Each check returns a [`Finding`]; the
//! builder places it at a [`Site`](crate::Site) and turns it into a
//! [`Violation`](crate::Violation).

pub mod pip;
pub mod pyproject;
pub mod reference;
pub mod requirements;
pub mod text;

use crate::Rule;

/// A rule broken by one value, before it is placed in a definition.
///
/// ```
/// use pj_image::rules::{Finding, pip};
/// let finding: Finding = pip::check_requirement("torch>=2").unwrap_err();
/// assert_eq!(finding.rule, pj_image::Rule::PipUnpinned);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule that was broken.
    pub rule: Rule,
    /// What is wrong and how to fix it (lowercase, no trailing period).
    pub message: String,
}

impl Finding {
    /// A finding of `rule` with `message`.
    pub fn new(rule: Rule, message: impl Into<String>) -> Self {
        Finding { rule, message: message.into() }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.rule, self.message)
    }
}
