//! Rules about whole steps rather than their values: a step that does nothing, an
//! instruction given twice.
//!
//! ```
//! use pj_image::{Image, Rule};
//! let image = Image::base("debian:12").cmd(["a"]).cmd(["b"]).apt_install(Vec::<String>::new());
//! let rules: Vec<Rule> = image.violations().iter().map(|v| v.rule).collect();
//! assert_eq!(rules, [Rule::DuplicateInstruction, Rule::Empty]);
//! ```

use super::Finding;
use crate::Rule;

/// A second `ENTRYPOINT` or `CMD` (`keyword`): only the last one takes effect.
pub(crate) fn duplicate(keyword: &str) -> Finding {
    Finding::new(
        Rule::DuplicateInstruction,
        format!(
            "a second {keyword}: only the last one takes effect, which hides the earlier one; \
             keep a single .{}(...) call",
            keyword.to_ascii_lowercase()
        ),
    )
}

/// An install `method` (`pip_install`, `apt_install`) called with no packages.
pub(crate) fn nothing_to_install(method: &str) -> Finding {
    Finding::new(
        Rule::Empty,
        format!("{method} without packages installs nothing; list packages or remove the call"),
    )
}
