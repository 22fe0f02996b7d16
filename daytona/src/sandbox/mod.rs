//! The sandbox handle: what Daytona said about one sandbox, and the client to act on it.
//! Lifecycle (`lifecycle.rs`), processes and sessions (`process.rs`, `session.rs`), files
//! (`fs.rs`), git (`git.rs`) and previews (`preview.rs`) are its parts; each reaches the
//! sandbox's toolbox through [`Sandbox::toolbox`].

mod fs;
mod git;
mod lifecycle;
mod logs;
mod preview;
mod process;
mod scoped;
mod session;

pub use fs::{
    Downloaded, Fetched, FileDownload, FileInfo, FileUpload, Fs, Match, Permissions, ReplaceResult,
};
pub use git::{
    Branches, CloneRequest, CommitInfo, CommitRequest, FileState, FileStatus, Git, GitCredentials, GitStatus,
    SyncRequest,
};
pub use logs::{LogChunk, LogStream as CommandLogs};
pub use preview::PreviewUrl;
pub use process::{CodeRunRequest, Language, Process};
pub use scoped::Cleanup;
pub use session::{
    Command, CommandInfo, CommandOutput, DEFAULT_SESSION_EXEC_TIMEOUT, Session, SessionCommand,
    SessionExecOutput, SessionInfo,
};

use std::fmt;

use url::Url;

use crate::{Client, Error, SandboxInfo};

/// One sandbox: its [`SandboxInfo`] as last read, and the client to act on it. Cheap to
/// clone (the client is an `Arc`); from [`Sandboxes::create`](crate::Sandboxes::create),
/// [`Sandboxes::get`](crate::Sandboxes::get) or
/// [`Bound::create_sandbox`](crate::Bound::create_sandbox).
///
/// ```no_run
/// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
/// use pj_daytona::{CreateSandbox, ExecuteRequest};
/// let sandbox = client.sandboxes().create(&CreateSandbox::from_snapshot("app-v1.0.0")).await?;
/// let out = sandbox.process().exec(&ExecuteRequest::new("uname -a")).await?;
/// println!("{}: {}", sandbox.id(), out.result);
/// sandbox.delete().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Sandbox {
    client: Client,
    info: SandboxInfo,
}

impl fmt::Debug for Sandbox {
    // The id, name and state: never the env (a user's keys travel in it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("id", &self.info.id)
            .field("name", &self.info.name)
            .field("state", &self.info.state)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    pub(crate) fn new(client: Client, info: SandboxInfo) -> Self {
        Sandbox { client, info }
    }

    /// The sandbox's id.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) {
    /// println!("working in {}", sandbox.id());
    /// # }
    /// ```
    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// What Daytona said about the sandbox when it was last read (see
    /// [`refresh`](Self::refresh)).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) {
    /// println!("{} CPUs, {} GB", sandbox.info().cpu, sandbox.info().memory);
    /// # }
    /// ```
    pub fn info(&self) -> &SandboxInfo {
        &self.info
    }

    /// The client this handle uses.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) {
    /// println!("{}", sandbox.client().api_url());
    /// # }
    /// ```
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn set_info(&mut self, info: SandboxInfo) {
        self.info = info;
    }

    /// Commands and sessions in the sandbox.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let out = sandbox.process().exec(&pj_daytona::ExecuteRequest::new("ls /")).await?;
    /// # Ok(()) }
    /// ```
    pub fn process(&self) -> Process<'_> {
        Process::new(self)
    }

    /// The sandbox's file system.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.fs().upload_bytes(b"hello".to_vec(), "/tmp/hello.txt").await?;
    /// # Ok(()) }
    /// ```
    pub fn fs(&self) -> Fs<'_> {
        Fs::new(self)
    }

    /// Git repositories in the sandbox.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.git().clone_repo(&pj_daytona::CloneRequest::new("https://github.com/octocat/Hello-World", "work/hello")).await?;
    /// # Ok(()) }
    /// ```
    pub fn git(&self) -> Git<'_> {
        Git::new(self)
    }

    /// The URL of a toolbox operation: `{toolboxProxyUrl}/{id}/{segments...}`, each
    /// segment percent-encoded. The proxy URL is the sandbox's own when Daytona sent it,
    /// else asked for (`GET /sandbox/{id}/toolbox-proxy-url`).
    pub(crate) async fn toolbox(&self, segments: &[&str]) -> Result<Url, Error> {
        let base = match &self.info.toolbox_proxy_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => self.client.sandboxes().toolbox_url(&self.info.id).await?,
        };
        let mut url = Url::parse(&base)
            .ok()
            .filter(|u| !u.cannot_be_a_base())
            .ok_or_else(|| Error::Config(format!("the server sent an invalid toolbox URL {base:?}")))?;
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push(&self.info.id).extend(segments);
        }
        Ok(url)
    }
}
