//! Sessions: shells that keep their state, commands run in them synchronously or in the
//! background, and their logs as a stream.

use bytes::Bytes;

use crate::Error;
use crate::sandbox::{Sandbox, not_yet};

/// A session of a sandbox; from [`Process::create_session`](crate::Process::create_session).
///
/// ```no_run
/// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
/// use pj_daytona::SessionCommand;
/// let session = sandbox.process().create_session("build").await?;
/// let command = session.spawn(&SessionCommand::new("make")).await?;
/// let exit_code = command.wait().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    sandbox: Sandbox,
    id: String,
}

/// A command for a session.
///
/// ```
/// let command = pj_daytona::SessionCommand::new("echo hi");
/// assert_eq!(command.command, "echo hi");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SessionCommand {
    /// The shell command.
    pub command: String,
}

impl SessionCommand {
    /// A command.
    ///
    /// ```
    /// let command = pj_daytona::SessionCommand::new("ls");
    /// ```
    pub fn new(command: impl Into<String>) -> Self {
        SessionCommand { command: command.into() }
    }
}

impl Session {
    /// The session's id.
    ///
    /// ```no_run
    /// # fn demo(session: pj_daytona::Session) { println!("{}", session.id()); }
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Starts a command in the background (`runAsync`): its logs stream while it runs.
    ///
    /// ```no_run
    /// # async fn demo(session: pj_daytona::Session) -> Result<(), pj_daytona::Error> {
    /// let command = session.spawn(&pj_daytona::SessionCommand::new("sleep 1; echo done")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn spawn(&self, command: &SessionCommand) -> Result<Command, Error> {
        let _ = (&self.sandbox, command);
        Err(not_yet("execute session command"))
    }

    /// Deletes the session (its shell and what runs in it).
    ///
    /// ```no_run
    /// # async fn demo(session: pj_daytona::Session) -> Result<(), pj_daytona::Error> {
    /// session.delete().await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self) -> Result<(), Error> {
        Err(not_yet("delete session"))
    }
}

/// A command started in a session.
///
/// ```no_run
/// # async fn demo(command: pj_daytona::Command) -> Result<(), pj_daytona::Error> {
/// let mut logs = command.logs().await?;
/// while let Some(chunk) = logs.next().await? {
///     if let pj_daytona::LogChunk::Stdout(bytes) = chunk { print!("{}", String::from_utf8_lossy(&bytes)); }
/// }
/// let exit_code = command.wait().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Command {
    session: Session,
    id: String,
}

/// A piece of a command's output, as it came.
///
/// ```
/// let chunk = pj_daytona::LogChunk::Stdout(bytes::Bytes::from_static(b"hi\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogChunk {
    /// Standard output.
    Stdout(Bytes),
    /// Standard error.
    Stderr(Bytes),
}

/// A command's log as it comes; from [`Command::logs`].
///
/// ```no_run
/// # async fn demo(mut logs: pj_daytona::CommandLogs) -> Result<(), pj_daytona::Error> {
/// while let Some(chunk) = logs.next().await? { let _ = chunk; }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct LogStream {
    _private: (),
}

impl LogStream {
    /// The next chunk, or `None` once the command has ended and its log is read.
    ///
    /// ```no_run
    /// # async fn demo(mut logs: pj_daytona::CommandLogs) -> Result<(), pj_daytona::Error> {
    /// let first = logs.next().await?;
    /// # Ok(()) }
    /// ```
    pub async fn next(&mut self) -> Result<Option<LogChunk>, Error> {
        Err(not_yet("follow command logs"))
    }
}

impl Command {
    /// The command's id.
    ///
    /// ```no_run
    /// # fn demo(command: pj_daytona::Command) { println!("{}", command.id()); }
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Follows the command's log from its start until it ends.
    ///
    /// ```no_run
    /// # async fn demo(command: pj_daytona::Command) -> Result<(), pj_daytona::Error> {
    /// let logs = command.logs().await?;
    /// # Ok(()) }
    /// ```
    pub async fn logs(&self) -> Result<LogStream, Error> {
        let _ = &self.session;
        Err(not_yet("follow command logs"))
    }

    /// Waits for the command to end; its exit code.
    ///
    /// ```no_run
    /// # async fn demo(command: pj_daytona::Command) -> Result<(), pj_daytona::Error> {
    /// assert_eq!(command.wait().await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn wait(&self) -> Result<i32, Error> {
        Err(not_yet("get session command"))
    }
}
