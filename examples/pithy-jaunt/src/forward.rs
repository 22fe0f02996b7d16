//! What goes from pithy-jaunt's environment into the sandbox's: the model keys (secrets:
//! held as [`Secret`], shown by name only) and the runner's `PITHY_JAUNT_*` settings.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;

use pj_daytona::Secret;

/// The model keys passed into the sandbox when set (and not empty).
pub const MODEL_KEYS: [&str; 2] = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"];

/// The prefix of the runner's settings (`PITHY_JAUNT_OFFLINE`, `PITHY_JAUNT_MODEL`, ...).
pub const RUNNER_PREFIX: &str = "PITHY_JAUNT_";

/// The variables for the sandbox. `Debug` shows their names, never a value.
#[derive(Default)]
pub struct Forwarded {
    vars: BTreeMap<String, Secret>,
    /// Names that were set but not as UTF-8 (not passed).
    skipped: Vec<String>,
}

impl fmt::Debug for Forwarded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Forwarded").field("names", &self.names()).field("skipped", &self.skipped).finish()
    }
}

impl Forwarded {
    /// From this process's environment.
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars_os())
    }

    fn from_vars(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        let mut forwarded = Forwarded::default();
        for (name, value) in vars {
            let Some(name) = name.to_str() else { continue };
            if !(MODEL_KEYS.contains(&name) || name.starts_with(RUNNER_PREFIX)) {
                continue;
            }
            match value.into_string() {
                Ok(value) if value.is_empty() && MODEL_KEYS.contains(&name) => {}
                Ok(value) => {
                    forwarded.vars.insert(name.to_owned(), Secret::new(value));
                }
                Err(_) => forwarded.skipped.push(name.to_owned()),
            }
        }
        forwarded
    }

    /// The names passed, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.vars.keys().map(String::as_str).collect()
    }

    /// The model keys passed.
    pub fn model_keys(&self) -> Vec<&str> {
        self.names().into_iter().filter(|n| MODEL_KEYS.contains(n)).collect()
    }

    /// The names set in a form that cannot be passed (not UTF-8).
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// The variables as the sandbox's `env`.
    pub fn into_env(self) -> BTreeMap<String, String> {
        self.vars.into_iter().map(|(name, value)| (name, value.expose().to_owned())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Forwarded {
        Forwarded::from_vars(pairs.iter().map(|(k, v)| (OsString::from(k), OsString::from(v))))
    }

    #[test]
    fn model_keys_and_runner_settings_pass_and_nothing_else() {
        let f = vars(&[
            ("ANTHROPIC_API_KEY", "sk-ant-1"),
            ("PITHY_JAUNT_OFFLINE", "1"),
            ("DAYTONA_API_KEY", "dtn_x"),
            ("HOME", "/root"),
            ("OPENAI_API_KEY", ""),
        ]);
        assert_eq!(f.names(), ["ANTHROPIC_API_KEY", "PITHY_JAUNT_OFFLINE"]);
        assert_eq!(f.model_keys(), ["ANTHROPIC_API_KEY"]);
        let env = f.into_env();
        assert_eq!(env["ANTHROPIC_API_KEY"], "sk-ant-1");
        assert!(!env.contains_key("DAYTONA_API_KEY"), "Daytona's own key stays out of the sandbox");
    }

    #[test]
    fn debug_shows_names_never_values() {
        let f = vars(&[("ANTHROPIC_API_KEY", "sk-ant-secret-value"), ("OPENAI_API_KEY", "sk-oa-value")]);
        let shown = format!("{f:?}");
        assert!(shown.contains("ANTHROPIC_API_KEY") && shown.contains("OPENAI_API_KEY"), "{shown}");
        assert!(!shown.contains("secret-value") && !shown.contains("sk-oa"), "{shown}");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_that_is_not_utf8_is_named_as_skipped() {
        use std::os::unix::ffi::OsStringExt;
        let f =
            Forwarded::from_vars([(OsString::from("OPENAI_API_KEY"), OsString::from_vec(vec![0xff, 0xfe]))]);
        assert!(f.names().is_empty());
        assert_eq!(f.skipped(), ["OPENAI_API_KEY"]);
    }
}
