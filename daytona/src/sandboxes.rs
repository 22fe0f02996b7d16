//! `/sandbox`: create, get, list, delete, wait for a state; handles ([`Sandbox`]) for the rest.

use std::time::{Duration, Instant};

use reqwest::Method;

use crate::client::{Client, Idempotent};
use crate::error::Error;
use crate::sandbox::Sandbox;
use crate::types::{CreateSandbox, SandboxInfo, SandboxState, UrlDto};

/// How long [`Sandboxes::create`] waits for a sandbox to start: the official SDKs' default.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(60);

/// The sandbox endpoints; from [`Client::sandboxes`].
///
/// ```no_run
/// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
/// use pj_daytona::{CreateSandbox, ExecuteRequest};
/// let sandbox = client.sandboxes().create(&CreateSandbox::from_snapshot("pithy-jaunt-v1.0.6")).await?;
/// let output = sandbox.process().exec(&ExecuteRequest::new("uname -a")).await?;
/// println!("{} {}", output.exit_code, output.result);
/// sandbox.delete().await?;
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

    /// Creates a sandbox (`POST /sandbox`, sent once) and waits until it is `started`,
    /// for at most 60 s as the official SDKs do ([`create_with_timeout`](Self::create_with_timeout)
    /// for another limit). The client's target fills `target` when unset.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let sandbox = client.sandboxes().create(&pj_daytona::CreateSandbox::from_snapshot("app-v1")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, request: &CreateSandbox) -> Result<Sandbox, Error> {
        self.create_with_timeout(request, DEFAULT_START_TIMEOUT).await
    }

    /// [`create`](Self::create), waiting at most `timeout` for the sandbox to start.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1");
    /// let sandbox = client.sandboxes().create_with_timeout(&request, std::time::Duration::from_secs(180)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_with_timeout(
        &self,
        request: &CreateSandbox,
        timeout: Duration,
    ) -> Result<Sandbox, Error> {
        let info = self.create_info(request).await?;
        let info = self.wait_for_state(&info.id, SandboxState::Started, timeout).await?;
        Ok(Sandbox::new(self.client.clone(), info))
    }

    /// `POST /sandbox` (sent once), without waiting: what Daytona answered.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let info = client.sandboxes().create_info(&pj_daytona::CreateSandbox::from_snapshot("app-v1")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_info(&self, request: &CreateSandbox) -> Result<SandboxInfo, Error> {
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

    /// A handle on an existing sandbox: `GET /sandbox/{idOrName}`.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let sandbox = client.sandboxes().get("my-sandbox").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, id_or_name: &str) -> Result<Sandbox, Error> {
        Ok(Sandbox::new(self.client.clone(), self.get_info(id_or_name).await?))
    }

    /// `GET /sandbox/{idOrName}`: what Daytona says about the sandbox.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let info = client.sandboxes().get_info("my-sandbox").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_info(&self, id_or_name: &str) -> Result<SandboxInfo, Error> {
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

    /// Polls the sandbox once a second until it is in `state`, for at most `timeout`; a
    /// sandbox that fails on the way (`error`, `build_failed`, `destroyed`) is an error
    /// with Daytona's reason.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::SandboxState;
    /// let info = client.sandboxes().wait_for_state("my-sandbox", SandboxState::Started, std::time::Duration::from_secs(60)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_state(
        &self,
        id_or_name: &str,
        wanted: SandboxState,
        timeout: Duration,
    ) -> Result<SandboxInfo, Error> {
        let operation = "wait for sandbox";
        let deadline = Instant::now() + timeout;
        loop {
            let sandbox = self.get_info(id_or_name).await?;
            match sandbox.state {
                Some(state) if state == wanted => return Ok(sandbox),
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
}
