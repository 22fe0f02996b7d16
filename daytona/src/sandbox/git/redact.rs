//! Keeping git credentials out of errors. The server, or git behind it, may echo the
//! remote's URL (`https://user:token@host/...`) or the password in a failure message; the
//! client scrubs both from every error of a git call, whatever the server did.

use crate::Error;
use crate::secret::{Secret, redact};

/// What replaces a URL's `user:password@`.
const HIDDEN_USERINFO: &str = "[REDACTED]@";

/// The secrets of one git call: the password of its credentials, and the password (or,
/// without one, the user: a token given as user name) of its URL's `user:password@`.
#[derive(Default)]
pub(super) struct CallSecrets(Vec<Secret>);

impl CallSecrets {
    /// Adds a password.
    pub(super) fn with(mut self, secret: Option<&Secret>) -> Self {
        if let Some(secret) = secret.filter(|s| !s.is_empty()) {
            self.0.push(secret.clone());
        }
        self
    }

    /// Adds what a URL's userinfo holds.
    pub(super) fn with_url(mut self, url: &str) -> Self {
        if let Ok(parsed) = url::Url::parse(url) {
            match parsed.password() {
                Some(password) => self.0.push(Secret::new(password)),
                None if !parsed.username().is_empty() => self.0.push(Secret::new(parsed.username())),
                None => {}
            }
        }
        self
    }

    /// `text` with every secret and every URL's userinfo replaced.
    pub(super) fn scrub(&self, text: &str) -> String {
        let secrets: Vec<&Secret> = self.0.iter().collect();
        redact(&hide_userinfo(text), &secrets)
    }

    /// `error` with its messages and bodies scrubbed.
    pub(super) fn scrub_error(&self, error: Error) -> Error {
        match error {
            Error::Api { operation, status, message, code, body, retry_after } => Error::Api {
                operation,
                status,
                message: self.scrub(&message),
                code: code.map(|c| self.scrub(&c)),
                body: body.map(|b| self.scrub(&b)),
                retry_after,
            },
            Error::Decode { operation, source, body } => {
                Error::Decode { operation, source, body: self.scrub(&body) }
            }
            Error::Unexpected { operation, message } => {
                Error::Unexpected { operation, message: self.scrub(&message) }
            }
            Error::Config(message) => Error::Config(self.scrub(&message)),
            other => other,
        }
    }
}

/// `text` with the userinfo of every URL in it (`scheme://user:pass@host`) replaced by
/// `[REDACTED]@`. A text scan, not a parse: the URL sits inside git's prose and quotes.
pub(super) fn hide_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let after = at + 3;
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        // The authority ends at a path, a quote or a space; an '@' before that ends a userinfo.
        let authority_end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#' | '\'' | '"' | '`' | '<' | '>') || c.is_whitespace())
            .unwrap_or(rest.len());
        if let Some(userinfo_end) = rest[..authority_end].rfind('@') {
            out.push_str(HIDDEN_USERINFO);
            rest = &rest[userinfo_end + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_hidden_wherever_a_url_is() {
        assert_eq!(
            hide_userinfo("fatal: unable to access 'https://me:t0ken@example.com/r.git/': 403"),
            "fatal: unable to access 'https://[REDACTED]@example.com/r.git/': 403"
        );
        assert_eq!(hide_userinfo("https://ghp_abc@github.com x"), "https://[REDACTED]@github.com x");
        assert_eq!(hide_userinfo("a p@ss:w@rd@h:1 b"), "a p@ss:w@rd@h:1 b", "no scheme, no URL");
        assert_eq!(hide_userinfo("http://u:p@ss@h/x"), "http://[REDACTED]@h/x");
        assert_eq!(
            hide_userinfo("file:///srv/x.git and mail@example.com"),
            "file:///srv/x.git and mail@example.com"
        );
        assert_eq!(hide_userinfo("ends with http://"), "ends with http://");
    }

    #[test]
    fn every_error_text_is_scrubbed() {
        let secrets = CallSecrets::default()
            .with(Some(&Secret::new("pw-field-123")))
            .with_url("https://alice:url-pw-456@example.com/r.git");
        let error = Error::Api {
            operation: "clone repository",
            status: reqwest::StatusCode::UNAUTHORIZED,
            message: "git clone https://alice:url-pw-456@example.com/r.git: password pw-field-123 refused"
                .into(),
            code: None,
            body: Some("raw url-pw-456 pw-field-123".into()),
            retry_after: None,
        };
        let error = secrets.scrub_error(error);
        for shown in [error.to_string(), format!("{error:?}")] {
            for secret in ["pw-field-123", "url-pw-456", "alice:"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
        assert!(error.to_string().contains("https://[REDACTED]@example.com/r.git"), "{error}");
    }

    #[test]
    fn a_token_as_user_name_is_a_secret() {
        let secrets = CallSecrets::default().with_url("https://ghp_token123@github.com/o/r");
        assert_eq!(secrets.scrub("auth failed for ghp_token123"), "auth failed for [REDACTED]");
    }
}
