//! A sandbox's lifecycle from its handle: refresh, start, stop, archive, delete, wait for
//! a state, labels, intervals and public previews. Each call keeps the handle's
//! [`info`](Sandbox::info) to what the server answered; only reads are retried (a `POST`,
//! `PUT` or `DELETE` is sent once).

use std::time::Duration;

use reqwest::Method;

use crate::client::Idempotent;
use crate::sandbox::Sandbox;
use crate::types::Labels;
use crate::{DEFAULT_START_TIMEOUT, Error, SandboxInfo, SandboxState};

impl Sandbox {
    /// Reads the sandbox again (`GET /sandbox/{id}`) and keeps the answer.
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.refresh().await?;
    /// println!("{:?}", sandbox.info().state);
    /// # Ok(()) }
    /// ```
    pub async fn refresh(&mut self) -> Result<(), Error> {
        let info = self.client().sandboxes().get_info(self.id()).await?;
        self.set_info(info);
        Ok(())
    }

    /// Waits until the sandbox is in `state` (see
    /// [`Sandboxes::wait_for_state`](crate::Sandboxes::wait_for_state)), for at most
    /// `timeout`: [`Error::Timeout`] when it is not, [`Error::SandboxFailed`] when it fails
    /// on the way (`error`, `build_failed`, `destroyed`). Waiting for `destroyed` also ends
    /// when the sandbox is gone (404).
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.wait_for(pj_daytona::SandboxState::Started, std::time::Duration::from_secs(60)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for(&mut self, state: SandboxState, timeout: Duration) -> Result<(), Error> {
        self.wait_for_any(&[state], timeout).await
    }

    /// Starts a stopped or archived sandbox (`POST /sandbox/{id}/start`, sent once) and
    /// waits until it is `started`, for at most 60 s as the official SDKs do
    /// ([`start_with_timeout`](Self::start_with_timeout) for another limit). Daytona
    /// leaves a started sandbox as it is; one in another state (`error`, being stopped)
    /// is refused with its message.
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.start().await?;
    /// assert_eq!(sandbox.info().state, Some(pj_daytona::SandboxState::Started));
    /// # Ok(()) }
    /// ```
    pub async fn start(&mut self) -> Result<(), Error> {
        self.start_with_timeout(DEFAULT_START_TIMEOUT).await
    }

    /// [`start`](Self::start), waiting at most `timeout` for the sandbox to be `started`.
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.start_with_timeout(std::time::Duration::from_secs(300)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_with_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        let info = self.post("start sandbox", &["start"]).await?;
        self.set_info(info);
        self.wait_for_any(&[SandboxState::Started], timeout).await
    }

    /// Stops a started sandbox (`POST /sandbox/{id}/stop`, sent once) and waits until it
    /// is `stopped`, or `destroyed` for an ephemeral one, for at most 60 s as the official
    /// SDKs do ([`stop_with_timeout`](Self::stop_with_timeout) for another limit). A
    /// sandbox that is not started is refused with Daytona's message.
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.stop().await?;
    /// assert_eq!(sandbox.info().state, Some(pj_daytona::SandboxState::Stopped));
    /// # Ok(()) }
    /// ```
    pub async fn stop(&mut self) -> Result<(), Error> {
        self.stop_with_timeout(DEFAULT_START_TIMEOUT).await
    }

    /// [`stop`](Self::stop), waiting at most `timeout` for the sandbox to be `stopped`.
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.stop_with_timeout(std::time::Duration::from_secs(120)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn stop_with_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        let info = self.post("stop sandbox", &["stop"]).await?;
        self.set_info(info);
        self.wait_for_any(&[SandboxState::Stopped, SandboxState::Destroyed], timeout).await
    }

    /// Archives a stopped sandbox (`POST /sandbox/{id}/archive`, sent once): its file
    /// system moves to cheaper storage and [`start`](Self::start) restores it. As the
    /// official SDK, it does not wait: the state may be `archiving` for a while
    /// ([`wait_for`](Self::wait_for) `archived` when it matters). A sandbox that is not
    /// stopped, or an ephemeral one, is refused with Daytona's message.
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.stop().await?;
    /// sandbox.archive().await?;
    /// # Ok(()) }
    /// ```
    pub async fn archive(&mut self) -> Result<(), Error> {
        let info = self.post("archive sandbox", &["archive"]).await?;
        self.set_info(info);
        Ok(())
    }

    /// Deletes the sandbox: `DELETE /sandbox/{id}` (sent once); its container is removed.
    /// A sandbox already gone is a 404 ([`Error::is_not_found`]).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.delete().await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self) -> Result<(), Error> {
        self.client().sandboxes().delete(self.id()).await
    }

    /// Replaces all the sandbox's labels with `labels` (`PUT /sandbox/{id}/labels`, sent
    /// once).
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.replace_labels([("team", "infra"), ("stage", "ci")]).await?;
    /// assert_eq!(sandbox.info().labels["team"], "infra");
    /// # Ok(()) }
    /// ```
    pub async fn replace_labels<K, V>(
        &mut self,
        labels: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(), Error>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let body = Labels { labels: labels.into_iter().map(|(k, v)| (k.into(), v.into())).collect() };
        let url = self.client().endpoint(&["sandbox", self.id(), "labels"]);
        let answer: Labels = self
            .client()
            .call_json("replace sandbox labels", Idempotent::No, || {
                self.client().request(Method::PUT, url.clone()).json(&body)
            })
            .await?;
        let mut info = self.info().clone();
        info.labels = answer.labels;
        self.set_info(info);
        Ok(())
    }

    /// Sets the auto-stop interval: the sandbox stops after `minutes` without activity
    /// (0 = never). `POST /sandbox/{id}/autostop/{minutes}`, sent once.
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.set_auto_stop_interval(0).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_auto_stop_interval(&mut self, minutes: u32) -> Result<(), Error> {
        let info = self.post("set auto-stop interval", &["autostop", &minutes.to_string()]).await?;
        self.set_info(info);
        Ok(())
    }

    /// Sets the auto-archive interval: a stopped sandbox is archived after `minutes` (0 =
    /// the maximum, 30 days at Daytona). `POST /sandbox/{id}/autoarchive/{minutes}`, sent
    /// once.
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.set_auto_archive_interval(60).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_auto_archive_interval(&mut self, minutes: u32) -> Result<(), Error> {
        let info = self.post("set auto-archive interval", &["autoarchive", &minutes.to_string()]).await?;
        self.set_info(info);
        Ok(())
    }

    /// Sets the auto-delete interval: a stopped sandbox is deleted after `minutes`
    /// (negative = never, 0 = as soon as it stops). `POST /sandbox/{id}/autodelete/{minutes}`,
    /// sent once.
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.set_auto_delete_interval(-1).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_auto_delete_interval(&mut self, minutes: i32) -> Result<(), Error> {
        let info = self.post("set auto-delete interval", &["autodelete", &minutes.to_string()]).await?;
        self.set_info(info);
        Ok(())
    }

    /// Sets whether the sandbox's previews are open without a token
    /// (`POST /sandbox/{id}/public/{public}`, sent once).
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.set_public(true).await?;
    /// assert!(sandbox.info().public);
    /// # Ok(()) }
    /// ```
    pub async fn set_public(&mut self, public: bool) -> Result<(), Error> {
        let info = self
            .post("set sandbox public status", &["public", if public { "true" } else { "false" }])
            .await?;
        self.set_info(info);
        Ok(())
    }

    /// `POST /sandbox/{id}/{segments...}` (sent once), answered with the sandbox.
    async fn post(&self, operation: &'static str, segments: &[&str]) -> Result<SandboxInfo, Error> {
        let mut path = vec!["sandbox", self.id()];
        path.extend_from_slice(segments);
        let url = self.client().endpoint(&path);
        self.client()
            .call_json(operation, Idempotent::No, || self.client().request(Method::POST, url.clone()))
            .await
    }

    /// Waits for any of `states`, keeping the last answer; a sandbox gone (404) while
    /// `destroyed` is one of them counts as `destroyed`.
    async fn wait_for_any(&mut self, states: &[SandboxState], timeout: Duration) -> Result<(), Error> {
        match self.client().sandboxes().wait_for_any(self.id(), states, timeout).await {
            Ok(info) => self.set_info(info),
            Err(e) if e.is_not_found() && states.contains(&SandboxState::Destroyed) => {
                let mut info = self.info().clone();
                info.state = Some(SandboxState::Destroyed);
                self.set_info(info);
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }
}
