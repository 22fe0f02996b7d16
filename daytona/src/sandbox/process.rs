//! Commands in the sandbox: `process/execute` (a shell command), `process/code-run`
//! (a program in Python, JavaScript or TypeScript), and the sessions (`session.rs`).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;

use crate::client::Idempotent;
use crate::sandbox::session::waited;
use crate::sandbox::{Sandbox, Session, SessionInfo};
use crate::{Error, ExecuteRequest, ExecuteResponse};

/// How long the client waits for a command sent without a timeout of its own (the
/// longest the local server lets one run).
const NO_TIMEOUT_WAIT: Duration = Duration::from_secs(3600);

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

/// The language of [`Process::code_run`].
///
/// ```
/// assert_eq!(pj_daytona::Language::Python.as_str(), "python");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Language {
    /// Python 3 (`python3`).
    Python,
    /// JavaScript (`node`).
    #[serde(rename = "javascript")]
    JavaScript,
    /// TypeScript (`ts-node`).
    #[serde(rename = "typescript")]
    TypeScript,
}

impl Language {
    /// Daytona's name of the language.
    ///
    /// ```
    /// assert_eq!(pj_daytona::Language::TypeScript.as_str(), "typescript");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
        }
    }
}

/// A program for [`Process::code_run`]: its code, language, arguments, environment and
/// timeout. `Debug` shows the environment's names, never its values.
///
/// ```
/// use pj_daytona::{CodeRunRequest, Language};
/// let request = CodeRunRequest::new(Language::Python, "import sys; print(sys.argv[1:])")
///     .arg("one")
///     .env("TOKEN", "s3cret")
///     .timeout(30);
/// assert!(!format!("{request:?}").contains("s3cret"));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CodeRunRequest {
    /// The program.
    pub code: String,
    /// Its language.
    pub language: Language,
    /// Its arguments (shell words: they are joined with spaces, as Daytona does).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub argv: Vec<String>,
    /// Extra environment variables.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub envs: BTreeMap<String, String>,
    /// Timeout in seconds (the server kills the program then); `None` or 0 for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

impl fmt::Debug for CodeRunRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeRunRequest")
            .field("code", &self.code)
            .field("language", &self.language)
            .field("argv", &self.argv)
            .field("envs", &crate::types::EnvNames(&self.envs))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl CodeRunRequest {
    /// A program with no arguments, environment or timeout.
    ///
    /// ```
    /// let request = pj_daytona::CodeRunRequest::new(pj_daytona::Language::JavaScript, "console.log(1)");
    /// assert_eq!(request.code, "console.log(1)");
    /// ```
    pub fn new(language: Language, code: impl Into<String>) -> Self {
        CodeRunRequest { code: code.into(), language, argv: Vec::new(), envs: BTreeMap::new(), timeout: None }
    }

    /// Adds an argument.
    ///
    /// ```
    /// let request = pj_daytona::CodeRunRequest::new(pj_daytona::Language::Python, "").arg("-v");
    /// assert_eq!(request.argv, ["-v"]);
    /// ```
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.argv.push(arg.into());
        self
    }

    /// Sets an environment variable.
    ///
    /// ```
    /// let request = pj_daytona::CodeRunRequest::new(pj_daytona::Language::Python, "").env("MODE", "fast");
    /// assert_eq!(request.envs["MODE"], "fast");
    /// ```
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.envs.insert(name.into(), value.into());
        self
    }

    /// Sets the timeout in seconds.
    ///
    /// ```
    /// let request = pj_daytona::CodeRunRequest::new(pj_daytona::Language::Python, "").timeout(5);
    /// assert_eq!(request.timeout, Some(5));
    /// ```
    pub fn timeout(mut self, seconds: u64) -> Self {
        self.timeout = Some(seconds);
        self
    }
}

impl<'a> Process<'a> {
    pub(crate) fn new(sandbox: &'a Sandbox) -> Self {
        Process { sandbox }
    }

    /// Runs a shell command and waits for it: `POST process/execute` (sent once). Its
    /// stdout and stderr come merged in `result`. A command that outlives its timeout is
    /// killed and the error is [`Error::Timeout`].
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::ExecuteRequest;
    /// let out = sandbox.process().exec(&ExecuteRequest::new("echo $WHO in $PWD").cwd("/tmp").env("WHO", "me").timeout(10)).await?;
    /// assert_eq!((out.exit_code, out.result.as_str()), (0, "me in /tmp\n"));
    /// # Ok(()) }
    /// ```
    pub async fn exec(&self, request: &ExecuteRequest) -> Result<ExecuteResponse, Error> {
        self.run_once("execute", "execute command", request, request.timeout).await
    }

    /// Runs a program in Python, JavaScript or TypeScript and waits for it:
    /// `POST process/code-run` (sent once). Its output comes merged in `result`; a
    /// program that outlives its timeout is killed and the error is [`Error::Timeout`].
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::{CodeRunRequest, Language};
    /// let out = sandbox.process().code_run(&CodeRunRequest::new(Language::Python, "print(6 * 7)")).await?;
    /// assert_eq!(out.result, "42\n");
    /// # Ok(()) }
    /// ```
    pub async fn code_run(&self, request: &CodeRunRequest) -> Result<ExecuteResponse, Error> {
        self.run_once("code-run", "run code", request, request.timeout).await
    }

    /// `POST process/{path}` with `body`, waiting as long as the command may run; the
    /// server's 408 (the command was killed at its timeout) as [`Error::Timeout`].
    async fn run_once<B: Serialize>(
        &self,
        path: &str,
        operation: &'static str,
        body: &B,
        timeout: Option<u64>,
    ) -> Result<ExecuteResponse, Error> {
        let url = self.sandbox.toolbox(&["process", path]).await?;
        let client = self.sandbox.client();
        let limit = timeout.filter(|t| *t > 0).map(Duration::from_secs);
        // The command's own time (plus a margin for the server to kill it and answer) on
        // top of the request's.
        let wait = client.timeouts().request + limit.map_or(NO_TIMEOUT_WAIT, |t| t + Duration::from_secs(5));
        let result = client
            .call_json(operation, Idempotent::No, || {
                client.request(Method::POST, url.clone()).json(body).timeout(wait)
            })
            .await;
        match (result, limit) {
            (Err(Error::Api { status: StatusCode::REQUEST_TIMEOUT, .. }), Some(after)) => {
                Err(Error::Timeout { operation, after })
            }
            (other, _) => other.map_err(|e| waited(e, wait)),
        }
    }

    /// Creates a session (a shell that keeps its state between commands):
    /// `POST process/session`. An id already in use is a conflict
    /// ([`Error::is_conflict`]).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let session = sandbox.process().create_session("agent").await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_session(&self, id: &str) -> Result<Session, Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Create<'a> {
            session_id: &'a str,
        }
        let url = self.sandbox.toolbox(&["process", "session"]).await?;
        let client = self.sandbox.client();
        client
            .call("create session", Idempotent::No, || {
                client.request(Method::POST, url.clone()).json(&Create { session_id: id })
            })
            .await?;
        Ok(self.session(id))
    }

    /// A handle on an existing session, by id (no request is made; a missing session
    /// is reported by the first call on it).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let info = sandbox.process().session("agent").info().await?;
    /// # Ok(()) }
    /// ```
    pub fn session(&self, id: impl Into<String>) -> Session {
        Session::new(self.sandbox.clone(), id.into())
    }

    /// A session and its commands: `GET process/session/{id}`; a missing one is
    /// [`Error::is_not_found`].
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let info = sandbox.process().get_session("agent").await?;
    /// println!("{} commands", info.commands.len());
    /// # Ok(()) }
    /// ```
    pub async fn get_session(&self, id: &str) -> Result<SessionInfo, Error> {
        self.session(id).info().await
    }

    /// The sandbox's sessions: `GET process/session`.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// for session in sandbox.process().list_sessions().await? { println!("{}", session.id); }
    /// # Ok(()) }
    /// ```
    pub async fn list_sessions(&self) -> Result<Vec<SessionInfo>, Error> {
        let url = self.sandbox.toolbox(&["process", "session"]).await?;
        let client = self.sandbox.client();
        client.call_json("list sessions", Idempotent::Yes, || client.request(Method::GET, url.clone())).await
    }

    /// Deletes a session (its shell and what runs in it): `DELETE process/session/{id}`.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.process().delete_session("agent").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_session(&self, id: &str) -> Result<(), Error> {
        self.session(id).delete().await
    }
}
