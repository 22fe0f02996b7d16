//! The one error type of the client.

use std::time::Duration;

use reqwest::StatusCode;

/// Everything that can go wrong talking to Daytona (or its object storage).
///
/// Every variant names the `operation` that failed (`"create snapshot"`), so `Display`
/// reads like the official SDK: `Failed to create snapshot: Snapshot with name "x"
/// already exists for this organization (HTTP 409)`. No variant ever holds the API key
/// or the storage credentials: they are redacted before an error is built.
///
/// ```
/// use pj_daytona::Error;
/// fn explain(error: &Error) -> String {
///     match error.status() {
///         Some(status) if status.as_u16() == 409 => "the name is taken".to_owned(),
///         _ if error.is_retryable() => "try again later".to_owned(),
///         _ => error.to_string(),
///     }
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status.
    #[error("Failed to {operation}: {message} (HTTP {})", status.as_u16())]
    Api {
        /// What the client was doing.
        operation: &'static str,
        /// The HTTP status.
        status: StatusCode,
        /// Daytona's `message` (or `error`), the S3 `<Message>`, or the status reason.
        message: String,
        /// Daytona's `code`/`error_code`, or the S3 `<Code>`, when the body has one.
        code: Option<String>,
        /// The raw body, when it was not a JSON object (truncated to 4 KiB).
        body: Option<String>,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// The request (or a read of its body) took longer than its timeout.
    #[error("Failed to {operation}: timed out after {after:?}")]
    Timeout {
        /// What the client was doing.
        operation: &'static str,
        /// The timeout that expired.
        after: Duration,
    },
    /// The connection failed or broke (connect refused, reset, body cut short).
    #[error("Failed to {operation}: {source}")]
    Transport {
        /// What the client was doing.
        operation: &'static str,
        /// The underlying error (URLs of storage requests are stripped from it).
        #[source]
        source: reqwest::Error,
    },
    /// The server answered 2xx with a body that is not the expected JSON.
    #[error("Failed to {operation}: unexpected response body: {source}")]
    Decode {
        /// What the client was doing.
        operation: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
        /// The raw body (truncated to 4 KiB).
        body: String,
    },
    /// The object storage answered 2xx without what the protocol promises (an upload
    /// id, a part's `ETag`).
    #[error("Failed to {operation}: {message}")]
    Unexpected {
        /// What the client was doing.
        operation: &'static str,
        /// What was missing or malformed.
        message: String,
    },
    /// The snapshot a binary is bound to ([`Client::bound`](crate::Client::bound)) is
    /// not the one it was compiled for, or cannot start a sandbox.
    #[error("Snapshot {name} cannot be used by this binary: {why}")]
    Unbound {
        /// The snapshot's name.
        name: String,
        /// Why.
        why: crate::Unbound,
    },
    /// A sandbox being waited for failed instead (`error`, `build_failed`), or was
    /// deleted while something waited for it to start.
    #[error("Failed to {operation}: Sandbox {sandbox} entered error state: {state}, error reason: {}",
        reason.as_deref().unwrap_or("none given"))]
    SandboxFailed {
        /// What the client was doing.
        operation: &'static str,
        /// The sandbox's id.
        sandbox: String,
        /// The state it reached.
        state: crate::SandboxState,
        /// Daytona's `errorReason`.
        reason: Option<String>,
    },
    /// Ctrl-C arrived while [`Sandbox::scoped`](crate::Sandbox::scoped) ran its closure,
    /// which was abandoned; the sandbox was deleted unless it was to be kept.
    #[error("Interrupted (Ctrl-C) while working in sandbox {sandbox}; {}",
        if *deleted { "the sandbox was deleted" } else { "the sandbox was not deleted" })]
    Interrupted {
        /// The sandbox's id.
        sandbox: String,
        /// Whether the sandbox was deleted.
        deleted: bool,
    },
    /// A local file could not be read (a context tar).
    #[error("Failed to {operation}: {source}")]
    Io {
        /// What the client was doing.
        operation: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The client is not configured well enough to make the request (no credentials,
    /// a bad URL, an invalid argument).
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// Whether trying again later may succeed: connection failures, timeouts, and the
    /// statuses 408, 429 and 5xx. The client retries these by itself for idempotent
    /// requests (GET, HEAD, PUT of a content-addressed object), never for a POST.
    ///
    /// ```
    /// use pj_daytona::Error;
    /// let error = Error::Timeout { operation: "get snapshot", after: std::time::Duration::from_secs(30) };
    /// assert!(error.is_retryable());
    /// assert!(!Error::Config("no API key".into()).is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { status, .. } => {
                *status == StatusCode::REQUEST_TIMEOUT
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || status.is_server_error()
            }
            Error::Timeout { .. } => true,
            Error::Transport { source, .. } => !source.is_builder() && !source.is_redirect(),
            Error::Decode { .. }
            | Error::Unexpected { .. }
            | Error::Io { .. }
            | Error::Config(_)
            | Error::SandboxFailed { .. }
            | Error::Interrupted { .. }
            | Error::Unbound { .. } => false,
        }
    }

    /// The HTTP status, for [`Error::Api`].
    ///
    /// ```
    /// # let error = pj_daytona::Error::Config("x".into());
    /// if error.status().is_some_and(|s| s.as_u16() == 404) { /* not found */ }
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether this is a 404 (the snapshot, sandbox or object does not exist).
    ///
    /// ```
    /// assert!(!pj_daytona::Error::Config("x".into()).is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether this is a 409 (for snapshots: the name is already taken).
    ///
    /// ```
    /// assert!(!pj_daytona::Error::Config("x".into()).is_conflict());
    /// ```
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// Whether a time limit ran out: a request's, or a wait's (a sandbox that did not
    /// reach its state in time).
    ///
    /// ```
    /// let error = pj_daytona::Error::Timeout { operation: "wait for sandbox", after: std::time::Duration::from_secs(60) };
    /// assert!(error.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// The `Retry-After` the server asked for, for [`Error::Api`].
    ///
    /// ```
    /// assert_eq!(pj_daytona::Error::Config("x".into()).retry_after(), None);
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The operation that failed (`"create snapshot"`), if the error has one.
    ///
    /// ```
    /// let error = pj_daytona::Error::Timeout { operation: "list snapshots", after: Default::default() };
    /// assert_eq!(error.operation(), Some("list snapshots"));
    /// ```
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::Api { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Decode { operation, .. }
            | Error::Unexpected { operation, .. }
            | Error::SandboxFailed { operation, .. }
            | Error::Io { operation, .. } => Some(operation),
            Error::Config(_) | Error::Unbound { .. } | Error::Interrupted { .. } => None,
        }
    }
}

/// The maximum number of body bytes kept in an error.
pub(crate) const BODY_LIMIT: usize = 4096;

/// Truncates `text` to at most [`BODY_LIMIT`] bytes, on a char boundary.
pub(crate) fn truncate(mut text: String) -> String {
    if text.len() > BODY_LIMIT {
        let mut end = BODY_LIMIT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_wait_reads_like_the_sdk() {
        let error = Error::SandboxFailed {
            operation: "wait for sandbox",
            sandbox: "s1".into(),
            state: crate::SandboxState::Error,
            reason: Some("the container exited".into()),
        };
        assert_eq!(
            error.to_string(),
            "Failed to wait for sandbox: Sandbox s1 entered error state: error, error reason: the container exited"
        );
        assert!(!error.is_retryable() && !error.is_timeout());
        let interrupted = Error::Interrupted { sandbox: "s1".into(), deleted: true };
        assert!(interrupted.to_string().contains("sandbox s1; the sandbox was deleted"), "{interrupted}");
    }
}
