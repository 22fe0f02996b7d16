//! The rules: checks on single values, shared by the builder (at run time) and the
//! `#[pithy_image]` macro (at compile time). Each check returns a [`Finding`]; the
//! builder places it at a [`Site`](crate::Site) and turns it into a
//! [`Violation`](crate::Violation).

pub mod apt;
pub mod base;
pub mod catalogue;
pub mod context;
pub mod dockerfile;
pub(crate) mod instructions;
pub mod pip;
pub mod pip_command;
pub(crate) mod plan;
pub(crate) mod provision;
pub mod pyproject;
pub(crate) mod python;
pub mod reference;
pub mod requirements;
pub mod resources;
pub(crate) mod shell;
pub mod text;

use crate::Rule;

/// The rule an `allow(..)` names, if it exists and may be silenced; otherwise a
/// [`Rule::Allow`] finding that says why not and lists the rules that can be.
///
/// ```
/// use pj_image::{Rule, rules};
/// assert_eq!(rules::allowable("pip-needs-python"), Ok(Rule::PipNeedsPython));
/// assert!(rules::allowable("pip-unpinned").unwrap_err().message.contains("cannot be silenced"));
/// assert!(rules::allowable("no-such-rule").unwrap_err().message.contains("unknown rule"));
/// ```
pub fn allowable(id: &str) -> Result<Rule, Finding> {
    let silenceable: Vec<&str> = Rule::SILENCEABLE.iter().map(|r| r.id()).collect();
    let silenceable = silenceable.join(", ");
    match Rule::from_id(id) {
        Some(rule) if rule.silenceable() => Ok(rule),
        Some(rule) => Err(Finding::new(
            Rule::Allow,
            format!(
                "rule {rule} cannot be silenced: it does not depend on what a base image holds, so breaking it \
                 is a mistake on any base; fix the definition instead (only {silenceable} can be allowed)"
            ),
        )),
        None => Err(Finding::new(
            Rule::Allow,
            format!("unknown rule {id:?} in allow(..); the rules that can be silenced are {silenceable}"),
        )),
    }
}

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
