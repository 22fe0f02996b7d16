//! Preview URLs: a port of the sandbox reached from outside.

/// A port's preview URL and the token that opens a private one.
///
/// ```
/// let preview = pj_daytona::PreviewUrl { url: "http://127.0.0.1:3000".into(), token: None };
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PreviewUrl {
    /// The URL.
    pub url: String,
    /// The `x-daytona-preview-token` of a private sandbox.
    pub token: Option<crate::Secret>,
}

impl std::fmt::Debug for PreviewUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreviewUrl").field("url", &self.url).field("token", &self.token).finish()
    }
}
