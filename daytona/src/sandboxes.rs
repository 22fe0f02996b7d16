//! `/sandbox`: create, get, list (a stream over Daytona's cursor pages), delete, wait for a
//! state; handles ([`Sandbox`]) for the rest.

use std::time::{Duration, Instant};

use futures_util::stream::{self, BoxStream, StreamExt};
use reqwest::Method;

use crate::client::{Client, Idempotent};
use crate::error::Error;
use crate::sandbox::Sandbox;
use crate::snapshots::MAX_PAGES;
use crate::types::{CreateSandbox, ListSandboxes, SandboxInfo, SandboxPage, SandboxState, UrlDto};

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

    /// Polls the sandbox until it is in `state` (every 100 ms at first, then up to once a
    /// second), for at most `timeout`; a sandbox that fails on the way (`error`,
    /// `build_failed`, or `destroyed` when that is not the state waited for) is
    /// [`Error::SandboxFailed`] with Daytona's reason, and one that is not there in time
    /// is [`Error::Timeout`]. A sandbox that is gone answers 404 ([`Error::is_not_found`]).
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
        self.wait_for_any(id_or_name, &[wanted], timeout).await
    }

    /// [`wait_for_state`](Self::wait_for_state) for any of the states `wanted`.
    pub(crate) async fn wait_for_any(
        &self,
        id_or_name: &str,
        wanted: &[SandboxState],
        timeout: Duration,
    ) -> Result<SandboxInfo, Error> {
        let operation = "wait for sandbox";
        let deadline = Instant::now() + timeout;
        // Fast at first (a local sandbox starts in about a second), then at the SDKs' pace.
        let mut pause = Duration::from_millis(100);
        loop {
            let sandbox = self.get_info(id_or_name).await?;
            match sandbox.state {
                Some(state) if wanted.contains(&state) => return Ok(sandbox),
                Some(state) if state.is_failed() || state == SandboxState::Destroyed => {
                    return Err(Error::SandboxFailed {
                        operation,
                        sandbox: sandbox.id,
                        state,
                        reason: sandbox.error_reason,
                    });
                }
                _ => {}
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout { operation, after: timeout });
            }
            tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
            pause = (pause * 3 / 2).min(Duration::from_secs(1));
        }
    }

    /// Every sandbox matching `query`, as Daytona's cursor pages come (`GET /sandbox`,
    /// what the official SDK's `Daytona.list` calls): the next page is asked for only once
    /// the stream has handed out this one's sandboxes, so a walk stopped early reads no
    /// more. Ends after the last page, an empty page, an error (handed out as the last
    /// item), or [`MAX_PAGES`](crate::MAX_PAGES) pages. The items are handles; their
    /// [`info`](Sandbox::info) has no env (Daytona leaves it out of lists:
    /// [`refresh`](Sandbox::refresh) reads it).
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// use futures_util::TryStreamExt;
    /// use pj_daytona::{ListSandboxes, SandboxState};
    /// let query = ListSandboxes::default().label("app", "pithy").state(SandboxState::Started);
    /// let mut sandboxes = client.sandboxes().list(&query);
    /// while let Some(sandbox) = sandboxes.try_next().await? {
    ///     println!("{} {:?}", sandbox.id(), sandbox.info().state);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self, query: &ListSandboxes) -> BoxStream<'static, Result<Sandbox, Error>> {
        struct Walk {
            client: Client,
            params: Vec<(&'static str, String)>,
            /// `None` once the last page was read.
            cursor: Option<Option<String>>,
            pages: u64,
        }
        let walk = Walk { client: self.client.clone(), params: query.params(), cursor: Some(None), pages: 0 };
        stream::unfold(walk, |mut walk| async move {
            let cursor = walk.cursor.take()?;
            walk.pages += 1;
            let page = walk.client.sandboxes().list_page(&walk.params, cursor.as_deref()).await;
            let items: Vec<Result<Sandbox, Error>> = match page {
                Ok(page) => {
                    let next = page.next_cursor.filter(|next| !next.is_empty());
                    // A cursor repeated would walk the same page forever.
                    if !page.items.is_empty() && walk.pages < MAX_PAGES && next != cursor {
                        walk.cursor = next.map(Some);
                    }
                    page.items.into_iter().map(|info| Ok(Sandbox::new(walk.client.clone(), info))).collect()
                }
                Err(e) => vec![Err(e)],
            };
            Some((stream::iter(items), walk))
        })
        .flatten()
        .boxed()
    }

    /// One page of `GET /sandbox`: the page after `cursor` (the first without one).
    async fn list_page(
        &self,
        params: &[(&'static str, String)],
        cursor: Option<&str>,
    ) -> Result<SandboxPage, Error> {
        let url = self.client.endpoint(&["sandbox"]);
        self.client
            .call_json("list sandboxes", Idempotent::Yes, || {
                let request = self.client.request(Method::GET, url.clone()).query(params);
                match cursor {
                    Some(cursor) => request.query(&[("cursor", cursor)]),
                    None => request,
                }
            })
            .await
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
