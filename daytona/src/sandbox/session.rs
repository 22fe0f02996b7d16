//! Sessions: shells that keep their state (`cd`, `export`) from one command to the next,
//! commands run in them synchronously ([`Session::exec`]) or in the background
//! ([`Session::spawn`]), and a background command's log, input and exit code
//! ([`Command`]). The toolbox's `process/session/...` operations.

use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::client::Idempotent;
use crate::sandbox::Sandbox;
use crate::sandbox::logs::LogStream;
use crate::{Client, Error};

/// How long [`Session::exec`] waits for a command that sets no timeout of its own (the
/// longest the local server lets a command run; Daytona's daemon has no limit).
pub const DEFAULT_SESSION_EXEC_TIMEOUT: Duration = Duration::from_secs(3600);

/// The longest pause between two polls of [`Command::wait`].
const WAIT_POLL_MAX: Duration = Duration::from_secs(1);

/// A session of a sandbox; from [`Process::create_session`](crate::Process::create_session)
/// or [`Process::session`](crate::Process::session).
///
/// ```no_run
/// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
/// use pj_daytona::SessionCommand;
/// let session = sandbox.process().create_session("build").await?;
/// session.exec(&SessionCommand::new("cd /app")).await?;
/// let command = session.spawn(&SessionCommand::new("make")).await?;
/// let exit_code = command.wait().await?;
/// session.delete().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    sandbox: Sandbox,
    id: String,
}

/// A command for a session: the shell text, and how to run it.
///
/// ```
/// use std::time::Duration;
/// let command = pj_daytona::SessionCommand::new("read name; echo hi $name")
///     .suppress_input_echo(true)
///     .timeout(Duration::from_secs(60));
/// assert_eq!(command.command, "read name; echo hi $name");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SessionCommand {
    /// The shell command.
    pub command: String,
    /// Whether input sent with [`Command::send_input`] stays out of the command's log
    /// (by default the server echoes it there, as stdout).
    pub suppress_input_echo: bool,
    /// How long [`Session::exec`] waits for the command (client side: the command goes on
    /// in the session); [`DEFAULT_SESSION_EXEC_TIMEOUT`] when unset. Not used by
    /// [`Session::spawn`].
    pub timeout: Option<Duration>,
}

impl SessionCommand {
    /// A command.
    ///
    /// ```
    /// let command = pj_daytona::SessionCommand::new("ls");
    /// assert!(!command.suppress_input_echo);
    /// ```
    pub fn new(command: impl Into<String>) -> Self {
        SessionCommand { command: command.into(), ..SessionCommand::default() }
    }

    /// Keeps input sent to the command out of its log.
    ///
    /// ```
    /// let command = pj_daytona::SessionCommand::new("read secret").suppress_input_echo(true);
    /// assert!(command.suppress_input_echo);
    /// ```
    pub fn suppress_input_echo(mut self, suppress: bool) -> Self {
        self.suppress_input_echo = suppress;
        self
    }

    /// How long [`Session::exec`] waits for the command.
    ///
    /// ```
    /// let command = pj_daytona::SessionCommand::new("make").timeout(std::time::Duration::from_secs(600));
    /// assert_eq!(command.timeout, Some(std::time::Duration::from_secs(600)));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    fn body(&self, run_async: bool) -> ExecBody<'_> {
        ExecBody { command: &self.command, run_async, suppress_input_echo: self.suppress_input_echo }
    }
}

/// The body of `POST process/session/{id}/exec`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecBody<'a> {
    command: &'a str,
    run_async: bool,
    suppress_input_echo: bool,
}

/// What the server says about a session: its id and its commands, oldest first.
///
/// ```
/// let info: pj_daytona::SessionInfo = serde_json::from_str(
///     r#"{"sessionId":"s","commands":[{"id":"c1","command":"ls","exitCode":0}]}"#).unwrap();
/// assert_eq!(info.commands[0].exit_code, Some(0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SessionInfo {
    /// The session's id.
    #[serde(rename = "sessionId")]
    pub id: String,
    /// Its commands, oldest first.
    #[serde(default)]
    pub commands: Vec<CommandInfo>,
}

/// What the server says about a session command.
///
/// ```
/// let info: pj_daytona::CommandInfo = serde_json::from_str(r#"{"id":"c1","command":"sleep 9"}"#).unwrap();
/// assert_eq!(info.exit_code, None, "still running");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CommandInfo {
    /// The command's id.
    pub id: String,
    /// The shell command.
    pub command: String,
    /// Its exit code, once it has ended.
    #[serde(default)]
    pub exit_code: Option<i32>,
}

/// A command's output read whole: stdout and stderr apart.
///
/// ```
/// let output: pj_daytona::CommandOutput = serde_json::from_str(r#"{"stdout":"hi\n","stderr":""}"#).unwrap();
/// assert_eq!(output.stdout, "hi\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommandOutput {
    /// Standard output (invalid UTF-8 replaced by the server).
    #[serde(default)]
    pub stdout: String,
    /// Standard error.
    #[serde(default)]
    pub stderr: String,
}

/// The result of [`Session::exec`]: the command's id, exit code and output.
///
/// ```
/// let done: pj_daytona::SessionExecOutput = serde_json::from_str(
///     r#"{"cmdId":"c1","exitCode":0,"stdout":"hi\n","stderr":""}"#).unwrap();
/// assert_eq!((done.exit_code, done.output.stdout.as_str()), (0, "hi\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SessionExecOutput {
    /// The command's id (for [`Session::command`]).
    #[serde(rename = "cmdId")]
    pub command_id: String,
    /// Its exit code.
    pub exit_code: i32,
    /// Its stdout and stderr.
    #[serde(flatten)]
    pub output: CommandOutput,
}

/// A timeout error saying how long the client waited in all (not only the request's
/// share of it).
pub(crate) fn waited(error: Error, wait: Duration) -> Error {
    match error {
        Error::Timeout { operation, .. } => Error::Timeout { operation, after: wait },
        other => other,
    }
}

/// The answer to an async exec: the new command's id.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spawned {
    cmd_id: String,
}

impl Session {
    pub(crate) fn new(sandbox: Sandbox, id: String) -> Self {
        Session { sandbox, id }
    }

    /// The session's id.
    ///
    /// ```no_run
    /// # fn demo(session: pj_daytona::Session) { println!("{}", session.id()); }
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The toolbox URL `process/session/{id}/{rest...}`.
    async fn url(&self, rest: &[&str]) -> Result<Url, Error> {
        let mut segments = vec!["process", "session", self.id.as_str()];
        segments.extend_from_slice(rest);
        self.sandbox.toolbox(&segments).await
    }

    fn client(&self) -> &Client {
        self.sandbox.client()
    }

    /// The session and its commands: `GET process/session/{id}`.
    ///
    /// ```no_run
    /// # async fn demo(session: pj_daytona::Session) -> Result<(), pj_daytona::Error> {
    /// for command in session.info().await?.commands {
    ///     println!("{} -> {:?}", command.command, command.exit_code);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn info(&self) -> Result<SessionInfo, Error> {
        let url = self.url(&[]).await?;
        let client = self.client();
        client.call_json("get session", Idempotent::Yes, || client.request(Method::GET, url.clone())).await
    }

    /// Runs a command in the session and waits for it (its stdout and stderr, and exit
    /// code); the shell's state (`cd`, `export`) carries over to the next command.
    ///
    /// ```no_run
    /// # async fn demo(session: pj_daytona::Session) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::SessionCommand;
    /// session.exec(&SessionCommand::new("export GREETING=hi")).await?;
    /// let done = session.exec(&SessionCommand::new("echo $GREETING")).await?;
    /// assert_eq!((done.exit_code, done.output.stdout.as_str()), (0, "hi\n"));
    /// # Ok(()) }
    /// ```
    pub async fn exec(&self, command: &SessionCommand) -> Result<SessionExecOutput, Error> {
        let url = self.url(&["exec"]).await?;
        let client = self.client();
        let wait = client.timeouts().request + command.timeout.unwrap_or(DEFAULT_SESSION_EXEC_TIMEOUT);
        let body = command.body(false);
        client
            .call_json("execute session command", Idempotent::No, || {
                client.request(Method::POST, url.clone()).json(&body).timeout(wait)
            })
            .await
            .map_err(|e| waited(e, wait))
    }

    /// Starts a command in the background (`runAsync`) and returns at once: follow its
    /// log with [`Command::logs`], wait for it with [`Command::wait`].
    ///
    /// ```no_run
    /// # async fn demo(session: pj_daytona::Session) -> Result<(), pj_daytona::Error> {
    /// let command = session.spawn(&pj_daytona::SessionCommand::new("sleep 1; echo done")).await?;
    /// assert_eq!(command.wait().await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn spawn(&self, command: &SessionCommand) -> Result<Command, Error> {
        let url = self.url(&["exec"]).await?;
        let client = self.client();
        let body = command.body(true);
        let spawned: Spawned = client
            .call_json("execute session command", Idempotent::No, || {
                client.request(Method::POST, url.clone()).json(&body)
            })
            .await?;
        Ok(self.command(spawned.cmd_id))
    }

    /// A handle on a command of this session, by id (no request is made).
    ///
    /// ```no_run
    /// # async fn demo(session: pj_daytona::Session) -> Result<(), pj_daytona::Error> {
    /// let done = session.exec(&pj_daytona::SessionCommand::new("ls")).await?;
    /// let output = session.command(done.command_id).output().await?;
    /// # Ok(()) }
    /// ```
    pub fn command(&self, id: impl Into<String>) -> Command {
        Command { session: self.clone(), id: id.into() }
    }

    /// Deletes the session: its shell and everything running in it are killed.
    ///
    /// ```no_run
    /// # async fn demo(session: pj_daytona::Session) -> Result<(), pj_daytona::Error> {
    /// session.delete().await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self) -> Result<(), Error> {
        let url = self.url(&[]).await?;
        let client = self.client();
        client.call("delete session", Idempotent::No, || client.request(Method::DELETE, url.clone())).await?;
        Ok(())
    }
}

/// A command of a session, usually one started in the background with
/// [`Session::spawn`].
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

impl Command {
    /// The command's id.
    ///
    /// ```no_run
    /// # fn demo(command: pj_daytona::Command) { println!("{}", command.id()); }
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The session it runs in.
    ///
    /// ```no_run
    /// # fn demo(command: pj_daytona::Command) { println!("{}", command.session().id()); }
    /// ```
    pub fn session(&self) -> &Session {
        &self.session
    }

    async fn url(&self, rest: &[&str]) -> Result<Url, Error> {
        let mut segments = vec!["command", self.id.as_str()];
        segments.extend_from_slice(rest);
        self.session.url(&segments).await
    }

    /// What the server says about the command now (its exit code once it has ended):
    /// `GET process/session/{session}/command/{id}`.
    ///
    /// ```no_run
    /// # async fn demo(command: pj_daytona::Command) -> Result<(), pj_daytona::Error> {
    /// if command.info().await?.exit_code.is_none() { println!("still running"); }
    /// # Ok(()) }
    /// ```
    pub async fn info(&self) -> Result<CommandInfo, Error> {
        let url = self.url(&[]).await?;
        let client = self.session.client();
        client
            .call_json("get session command", Idempotent::Yes, || client.request(Method::GET, url.clone()))
            .await
    }

    /// Follows the command's log from its start until it ends: a stream of stdout and
    /// stderr chunks as they come (a WebSocket to the toolbox).
    ///
    /// ```no_run
    /// # async fn demo(command: pj_daytona::Command) -> Result<(), pj_daytona::Error> {
    /// use futures_util::TryStreamExt;
    /// let chunks: Vec<pj_daytona::LogChunk> = command.logs().await?.try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub async fn logs(&self) -> Result<LogStream, Error> {
        let url = self.url(&["logs"]).await?;
        LogStream::open(self.session.client(), url).await
    }

    /// The command's output so far, read whole, stdout and stderr apart.
    ///
    /// ```no_run
    /// # async fn demo(command: pj_daytona::Command) -> Result<(), pj_daytona::Error> {
    /// let output = command.output().await?;
    /// print!("{}", output.stdout);
    /// # Ok(()) }
    /// ```
    pub async fn output(&self) -> Result<CommandOutput, Error> {
        let url = self.url(&["logs"]).await?;
        let client = self.session.client();
        client
            .call_json("get session command logs", Idempotent::Yes, || {
                client.request(Method::GET, url.clone())
            })
            .await
    }

    /// Waits for the command to end; its exit code. Polls the command (50 ms, doubling
    /// up to 1 s between polls); bound it with `tokio::time::timeout` if it may run for
    /// ever.
    ///
    /// ```no_run
    /// # async fn demo(command: pj_daytona::Command) -> Result<(), pj_daytona::Error> {
    /// assert_eq!(command.wait().await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn wait(&self) -> Result<i32, Error> {
        let mut pause = Duration::from_millis(50);
        loop {
            if let Some(code) = self.info().await?.exit_code {
                return Ok(code);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(WAIT_POLL_MAX);
        }
    }

    /// Writes `data` to the command's standard input (a newline is added when missing);
    /// the command must have been started with [`Session::spawn`] and still be running.
    ///
    /// ```no_run
    /// # async fn demo(command: pj_daytona::Command) -> Result<(), pj_daytona::Error> {
    /// command.send_input("yes").await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_input(&self, data: &str) -> Result<(), Error> {
        #[derive(Serialize)]
        struct Input<'a> {
            data: &'a str,
        }
        let url = self.url(&["input"]).await?;
        let client = self.session.client();
        client
            .call("send session command input", Idempotent::No, || {
                client.request(Method::POST, url.clone()).json(&Input { data })
            })
            .await?;
        Ok(())
    }
}
