//! A sandbox's lifecycle from its handle: refresh, start, stop, archive, delete, wait for
//! a state, labels and intervals.

use std::time::Duration;

use crate::sandbox::Sandbox;
use crate::{Error, SandboxState};

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

    /// Waits until the sandbox is in `state` (polling once a second), for at most
    /// `timeout`; a sandbox that fails on the way (`error`, `build_failed`, `destroyed`)
    /// is an error with Daytona's reason.
    ///
    /// ```no_run
    /// # async fn demo(mut sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.wait_for(pj_daytona::SandboxState::Started, std::time::Duration::from_secs(60)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for(&mut self, state: SandboxState, timeout: Duration) -> Result<(), Error> {
        let info = self.client().sandboxes().wait_for_state(self.id(), state, timeout).await?;
        self.set_info(info);
        Ok(())
    }

    /// Deletes the sandbox: `DELETE /sandbox/{id}` (sent once).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.delete().await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self) -> Result<(), Error> {
        self.client().sandboxes().delete(self.id()).await
    }
}
