//! `/sandbox` and the toolbox: create, get, delete, run a command.

use std::time::{Duration, Instant};

use reqwest::Method;

use crate::client::{Client, Idempotent};
use crate::error::Error;
use crate::types::{CreateSandbox, ExecuteRequest, ExecuteResponse, Sandbox, SandboxState, UrlDto};

/// The sandbox endpoints; from [`Client::sandboxes`].
///
/// ```no_run
/// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
/// use pj_daytona::{CreateSandbox, ExecuteRequest};
/// let sandboxes = client.sandboxes();
/// let sandbox = sandboxes.create(&CreateSandbox::from_snapshot("pithy-jaunt-v1.0.6")).await?;
/// let sandbox = sandboxes.wait_until_started(&sandbox.id, std::time::Duration::from_secs(120)).await?;
/// let output = sandboxes.execute(&sandbox.id, &ExecuteRequest::new("uname -a")).await?;
/// println!("{} {}", output.exit_code, output.result);
/// sandboxes.delete(&sandbox.id).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Sandboxes<'a> {
    client: &'a Client,
}

impl<'a> Sandboxes<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Sandboxes { client }
    }

    /// `POST /sandbox` (sent once). The client's target fills `target` when unset.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let sandbox = client.sandboxes().create(&pj_daytona::CreateSandbox::from_snapshot("app-v1")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, request: &CreateSandbox) -> Result<Sandbox, Error> {
        let mut request = request.clone();
        if request.target.is_none() {
            request.target = self.client.target().map(str::to_owned);
        }
        let url = self.client.endpoint(&["sandbox"]);
        self.client
            .call_json("create sandbox", Idempotent::No, || {
                self.client.request(Method::POST, url.clone()).json(&request)
            })
            .await
    }

    /// `GET /sandbox/{idOrName}`.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let sandbox = client.sandboxes().get("my-sandbox").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, id_or_name: &str) -> Result<Sandbox, Error> {
        let url = self.client.endpoint(&["sandbox", id_or_name]);
        self.client
            .call_json("get sandbox", Idempotent::Yes, || self.client.request(Method::GET, url.clone()))
            .await
    }

    /// `DELETE /sandbox/{idOrName}` (sent once).
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// client.sandboxes().delete("my-sandbox").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, id_or_name: &str) -> Result<(), Error> {
        let url = self.client.endpoint(&["sandbox", id_or_name]);
        self.client
            .call("delete sandbox", Idempotent::No, || self.client.request(Method::DELETE, url.clone()))
            .await
            .map(drop)
    }

    /// Polls the sandbox once a second until it is `started` (or fails: `error`,
    /// `build_failed`, `destroyed`), for at most `timeout`.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let sandbox = client.sandboxes().wait_until_started("my-sandbox", std::time::Duration::from_secs(60)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_until_started(&self, id_or_name: &str, timeout: Duration) -> Result<Sandbox, Error> {
        let operation = "wait for sandbox";
        let deadline = Instant::now() + timeout;
        loop {
            let sandbox = self.get(id_or_name).await?;
            match sandbox.state {
                Some(SandboxState::Started) => return Ok(sandbox),
                Some(state @ (SandboxState::Error | SandboxState::BuildFailed | SandboxState::Destroyed)) => {
                    return Err(Error::Config(format!(
                        "Failed to {operation}: sandbox {} is {state:?}: {}",
                        sandbox.id,
                        sandbox.error_reason.as_deref().unwrap_or("no reason given")
                    )));
                }
                _ => {}
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout { operation, after: timeout });
            }
            tokio::time::sleep(
                Duration::from_secs(1).min(deadline.saturating_duration_since(Instant::now())),
            )
            .await;
        }
    }

    /// The sandbox's toolbox base URL: `GET /sandbox/{id}/toolbox-proxy-url`.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let base = client.sandboxes().toolbox_url("sandbox-id").await?;
    /// # Ok(()) }
    /// ```
    pub async fn toolbox_url(&self, sandbox_id: &str) -> Result<String, Error> {
        let url = self.client.endpoint(&["sandbox", sandbox_id, "toolbox-proxy-url"]);
        let dto: UrlDto = self
            .client
            .call_json("get toolbox URL", Idempotent::Yes, || self.client.request(Method::GET, url.clone()))
            .await?;
        Ok(dto.url)
    }

    /// Runs a shell command in the sandbox: `POST {toolbox}/{id}/process/execute`
    /// (sent once). The HTTP timeout is the request timeout plus the command's own.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let out = client.sandboxes().execute("sandbox-id", &pj_daytona::ExecuteRequest::new("echo hi")).await?;
    /// assert_eq!(out.result.trim(), "hi");
    /// # Ok(()) }
    /// ```
    pub async fn execute(
        &self,
        sandbox_id: &str,
        request: &ExecuteRequest,
    ) -> Result<ExecuteResponse, Error> {
        let operation = "execute command";
        let base = self.toolbox_url(sandbox_id).await?;
        let mut url = url::Url::parse(&base)
            .map_err(|e| Error::Config(format!("the server sent an invalid toolbox URL {base:?}: {e}")))?;
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend([sandbox_id, "process", "execute"]);
        }
        let timeout = self.client.timeouts().request + Duration::from_secs(request.timeout.unwrap_or(10));
        self.client
            .call_json(operation, Idempotent::No, || {
                self.client.request(Method::POST, url.clone()).json(request).timeout(timeout)
            })
            .await
    }
}
