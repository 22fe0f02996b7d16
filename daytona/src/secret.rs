//! A string that never shows itself in `Debug` or `Display`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret string (an API key, a JWT, an S3 secret or session token).
///
/// `Debug` and `Display` print `[REDACTED]`; the value is only reachable through
/// [`Secret::expose`], so it cannot end up in a log line or an error by accident.
///
/// ```
/// use pj_daytona::Secret;
/// let key = Secret::new("dtn_0123456789");
/// assert_eq!(format!("{key} {key:?}"), "[REDACTED] Secret([REDACTED])");
/// assert_eq!(key.expose(), "dtn_0123456789");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    ///
    /// ```
    /// let token = pj_daytona::Secret::new(String::from("t0k3n"));
    /// assert!(!token.is_empty());
    /// ```
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value itself. Use it only to put it on the wire.
    ///
    /// ```
    /// assert_eq!(pj_daytona::Secret::new("k").expose(), "k");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    ///
    /// ```
    /// assert!(pj_daytona::Secret::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// Replaces every occurrence of each non-trivial secret in `text` with `[REDACTED]`.
pub(crate) fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        // A very short "secret" would redact ordinary words; keys are long.
        if secret.0.len() >= 4 && out.contains(secret.0.as_str()) {
            out = out.replace(secret.0.as_str(), "[REDACTED]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_replaces_every_occurrence() {
        let key = Secret::new("dtn_secret");
        assert_eq!(redact("a dtn_secret b dtn_secret", &[&key]), "a [REDACTED] b [REDACTED]");
        assert_eq!(redact("nothing here", &[&key]), "nothing here");
    }

    #[test]
    fn serde_round_trip_keeps_the_value() {
        let s: Secret = serde_json::from_str("\"abc\"").expect("a string");
        assert_eq!(s.expose(), "abc");
        assert_eq!(serde_json::to_string(&s).expect("serializes"), "\"abc\"");
    }
}
