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

/// JSON fields whose string values are credentials, wherever they appear.
const CREDENTIAL_FIELDS: &[&str] =
    &["secret", "sessionToken", "accessKey", "apiKey", "token", "password", "secretAccessKey"];

/// Replaces the string value of every credential field (`"secret": "..."`) in `text` with
/// `[REDACTED]`. A text scan, not a parse: it works on the malformed or truncated bodies
/// that error values keep, which is where a credential could otherwise leak.
pub(crate) fn scrub_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while let Some(quote) = rest.find('"') {
        out.push_str(&rest[..quote]);
        rest = &rest[quote..];
        for field in CREDENTIAL_FIELDS {
            let Some(after) =
                rest.strip_prefix('"').and_then(|r| r.strip_prefix(field)).and_then(|r| r.strip_prefix('"'))
            else {
                continue;
            };
            let Some(value) = after.trim_start().strip_prefix(':').map(str::trim_start) else { continue };
            let Some(body) = value.strip_prefix('"') else { continue };
            out.push_str(&rest[..rest.len() - body.len()]);
            out.push_str("[REDACTED]");
            // The value ends at the next unescaped quote (or the end of a truncated body).
            let mut escaped = false;
            let end = body
                .char_indices()
                .find(|&(_, c)| {
                    let closes = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    closes
                })
                .map_or(body.len(), |(i, _)| i);
            rest = &body[end..];
            continue 'scan;
        }
        out.push('"');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_fields_are_scrubbed_even_in_broken_json() {
        let body =
            r#"{"accessKey":"AKIA1","secret" : "s3cr\"et","sessionToken":"tok-123","storageUrl":"http://x"}"#;
        let scrubbed = scrub_credentials(body);
        for leaked in ["AKIA1", "s3cr", "tok-123"] {
            assert!(!scrubbed.contains(leaked), "{scrubbed}");
        }
        assert!(scrubbed.contains(r#""storageUrl":"http://x""#), "{scrubbed}");
        // Truncated in the middle of a value, as error bodies are.
        assert_eq!(scrub_credentials(r#"{"secret":"abcdef"#), r#"{"secret":"[REDACTED]"#);
        assert_eq!(scrub_credentials("no \"quotes\" here"), "no \"quotes\" here");
        assert_eq!(scrub_credentials(r#"{"tokens":"keep"}"#), r#"{"tokens":"keep"}"#);
    }

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
