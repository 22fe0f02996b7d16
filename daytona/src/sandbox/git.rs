//! Git in the sandbox through the toolbox.

use crate::Error;
use crate::sandbox::{Sandbox, not_yet};

/// Git repositories of one sandbox; from [`Sandbox::git`].
///
/// ```no_run
/// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
/// sandbox.git().clone_repo(&pj_daytona::CloneRequest::new("https://example.com/repo.git", "work/repo")).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Git<'a> {
    sandbox: &'a Sandbox,
}

/// What to clone, and where.
///
/// ```
/// let request = pj_daytona::CloneRequest::new("https://example.com/repo.git", "work/repo");
/// assert_eq!(request.path, "work/repo");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloneRequest {
    /// The repository URL.
    pub url: String,
    /// Where to clone it in the sandbox.
    pub path: String,
}

impl CloneRequest {
    /// A clone of `url` into `path`.
    ///
    /// ```
    /// let request = pj_daytona::CloneRequest::new("https://example.com/repo.git", "repo");
    /// ```
    pub fn new(url: impl Into<String>, path: impl Into<String>) -> Self {
        CloneRequest { url: url.into(), path: path.into() }
    }
}

impl<'a> Git<'a> {
    pub(crate) fn new(sandbox: &'a Sandbox) -> Self {
        Git { sandbox }
    }

    /// Clones a repository into the sandbox: `POST git/clone`.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.git().clone_repo(&pj_daytona::CloneRequest::new("https://example.com/r.git", "r")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn clone_repo(&self, request: &CloneRequest) -> Result<(), Error> {
        let _ = (self.sandbox, request);
        Err(not_yet("clone repository"))
    }
}
