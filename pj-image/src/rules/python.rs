//! `debian_slim`'s Python version: the SDK's check and its pinned micro versions
//! (`docs/daytona-contract.md` §2.2).
//!
//! ```
//! use pj_image::{Image, Rule};
//! assert!(Image::debian_slim("3.12").dockerfile().starts_with("FROM python:3.12.10-slim-bookworm\n"));
//! assert_eq!(Image::debian_slim("3.8").violations()[0].rule, Rule::PythonVersion);
//! ```

use super::Finding;
use crate::Rule;

/// The SDK's pinned micro versions for `debian_slim` (`docs/daytona-contract.md` §2.2).
const PYTHON_SERIES: [(&str, &str); 5] =
    [("3.9", "3.9.22"), ("3.10", "3.10.17"), ("3.11", "3.11.12"), ("3.12", "3.12.10"), ("3.13", "3.13.3")];

/// The SDK's `__process_python_version`: `^3(\.\d{1,2}){1,2}(rc\d*)?$`, a supported
/// series, and the pinned micro version for `major.minor` (a full version is kept).
pub(crate) fn resolve_version(version: &str) -> Result<String, Finding> {
    let supported = "supported series are 3.9, 3.10, 3.11, 3.12 and 3.13, e.g. \"3.12\" or \"3.12.1\"";
    let (numbers, rc) = match version.find("rc") {
        Some(i) => (&version[..i], Some(&version[i + 2..])),
        None => (version, None),
    };
    let parts: Vec<&str> = numbers.split('.').collect();
    let well_formed = parts.len() >= 2
        && parts.len() <= 3
        && parts[0] == "3"
        && parts[1..].iter().all(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
        && rc.is_none_or(|r| r.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(Finding::new(
            Rule::PythonVersion,
            format!("invalid Python version {version:?}; {supported}"),
        ));
    }
    // The SDK takes the series from the first two dot components, rc suffix included.
    let series: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let Some((_, micro)) = PYTHON_SERIES.iter().find(|(s, _)| *s == series) else {
        return Err(Finding::new(
            Rule::PythonVersion,
            format!("unsupported Python version {version:?}; Daytona's {supported}"),
        ));
    };
    Ok(if parts.len() == 3 { version.to_owned() } else { (*micro).to_owned() })
}

/// The base image `debian_slim` starts from, for a resolved version.
pub(crate) fn debian_slim_base(resolved: &str) -> String {
    format!("python:{resolved}-slim-bookworm")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values: the debian_slim table of docs/daytona-contract.md §2.2.
    #[test]
    fn python_versions_follow_the_sdk_table() {
        assert_eq!(resolve_version("3.9").unwrap(), "3.9.22");
        assert_eq!(resolve_version("3.10").unwrap(), "3.10.17");
        assert_eq!(resolve_version("3.11").unwrap(), "3.11.12");
        assert_eq!(resolve_version("3.12").unwrap(), "3.12.10");
        assert_eq!(resolve_version("3.13").unwrap(), "3.13.3");
        assert_eq!(resolve_version("3.12.1").unwrap(), "3.12.1");
        assert_eq!(resolve_version("3.12.0rc1").unwrap(), "3.12.0rc1");
        for bad in ["3.8", "3.14", "3.12rc1"] {
            let f = resolve_version(bad).unwrap_err();
            assert!(f.message.starts_with("unsupported"), "{bad}: {}", f.message);
        }
        for bad in ["4.0", "3", "", "3.x", "3.123", "3.12.1.1", "3.12 "] {
            let f = resolve_version(bad).unwrap_err();
            assert!(f.message.starts_with("invalid"), "{bad}: {}", f.message);
        }
    }
}
