//! Commands in the sandbox: `process/execute`, `process/code-run`, and the way to
//! sessions (`session.rs`).

use std::time::Duration;

use reqwest::Method;

use crate::client::Idempotent;
use crate::sandbox::{Sandbox, Session, not_yet};
use crate::{Error, ExecuteRequest, ExecuteResponse};

/// Commands and sessions of one sandbox; from [`Sandbox::process`].
///
/// ```no_run
/// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
/// let out = sandbox.process().exec(&pj_daytona::ExecuteRequest::new("echo hi")).await?;
/// assert_eq!(out.result.trim(), "hi");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Process<'a> {
    sandbox: &'a Sandbox,
}

impl<'a> Process<'a> {
    pub(crate) fn new(sandbox: &'a Sandbox) -> Self {
        Process { sandbox }
    }

    /// Runs a shell command and waits for it: `POST process/execute` (sent once).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let out = sandbox.process().exec(&pj_daytona::ExecuteRequest::new("ls").cwd("/")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn exec(&self, request: &ExecuteRequest) -> Result<ExecuteResponse, Error> {
        let url = self.sandbox.toolbox(&["process", "execute"]).await?;
        let client = self.sandbox.client();
        // The command's own timeout (the server's default when unset) on top of the request's.
        let timeout = client.timeouts().request + Duration::from_secs(request.timeout.unwrap_or(10));
        client
            .call_json("execute command", Idempotent::No, || {
                client.request(Method::POST, url.clone()).json(request).timeout(timeout)
            })
            .await
    }

    /// Creates a session (a shell that keeps its state between commands):
    /// `POST process/session`.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let session = sandbox.process().create_session("agent").await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_session(&self, id: &str) -> Result<Session, Error> {
        let _ = id;
        Err(not_yet("create session"))
    }
}
