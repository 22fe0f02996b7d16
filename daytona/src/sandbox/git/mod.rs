//! Git in the sandbox through the toolbox (`/git/...`), with the requests and answers of
//! the official SDK 0.226.1. Credentials are [`Secret`](crate::Secret)s: they go on the
//! wire and nowhere else; every error of a git call is scrubbed of them and of any URL's
//! `user:password@` (see `redact`).

mod answers;
mod redact;
mod requests;

pub use answers::{Branches, CommitInfo, FileState, FileStatus, GitStatus};
pub use requests::{CloneRequest, CommitRequest, GitCredentials, SyncRequest};

use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::client::{Idempotent, decode};
use crate::sandbox::Sandbox;
use answers::CommitAnswer;
use redact::CallSecrets;

/// The least time a clone, pull or push is given: a transfer outlasts an ordinary request
/// (the local server's own bound of a transfer is 10 minutes).
const TRANSFER: Duration = Duration::from_secs(600);

/// Git repositories of one sandbox; from [`Sandbox::git`]. Paths are the repository's
/// directory in the sandbox; relative ones are resolved in the sandbox's working
/// directory.
///
/// ```no_run
/// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
/// use pj_daytona::{CloneRequest, CommitRequest, SyncRequest};
/// let git = sandbox.git();
/// git.clone_repo(&CloneRequest::new("https://example.com/repo.git", "work/repo").credentials("me", "t0k3n")).await?;
/// sandbox.fs().upload_bytes(b"hello".to_vec(), "work/repo/hello.txt").await?;
/// git.add("work/repo", ["hello.txt"]).await?;
/// let sha = git.commit(&CommitRequest::new("work/repo", "Say hello", "Ada L", "ada@example.com")).await?;
/// git.push(&SyncRequest::new("work/repo").credentials("me", "t0k3n")).await?;
/// println!("pushed {sha}");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Git<'a> {
    sandbox: &'a Sandbox,
}

impl<'a> Git<'a> {
    pub(crate) fn new(sandbox: &'a Sandbox) -> Self {
        Git { sandbox }
    }

    /// Clones a repository into the sandbox: `POST git/clone`, sent once. With a commit,
    /// the clone is left at it (detached HEAD).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::CloneRequest;
    /// sandbox.git().clone_repo(&CloneRequest::new("https://example.com/r.git", "r").branch("dev")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn clone_repo(&self, request: &CloneRequest) -> Result<(), Error> {
        require("url", &request.url, "the repository URL to clone")?;
        require("path", &request.path, "the directory to clone into")?;
        let secrets = CallSecrets::default()
            .with(request.credentials.as_ref().map(|c| &c.password))
            .with_url(&request.url);
        self.post("clone repository", Method::POST, "clone", &request.body(), &secrets, Some(TRANSFER))
            .await
            .map(drop)
    }

    /// The repository's status: `GET git/status`.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let status = sandbox.git().status("work/repo").await?;
    /// println!("on {}, {} ahead, {} files changed", status.current_branch, status.ahead, status.file_status.len());
    /// # Ok(()) }
    /// ```
    pub async fn status(&self, path: &str) -> Result<GitStatus, Error> {
        self.get("get git status", "status", path).await
    }

    /// Stages files (paths relative to the repository; `"."` for all): `POST git/add`.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.git().add("work/repo", ["src/main.rs", "README.md"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn add<I, S>(&self, path: &str, files: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        require("path", path, "the repository's directory")?;
        let files: Vec<String> = files.into_iter().map(|f| f.as_ref().to_owned()).collect();
        let body = serde_json::json!({ "path": path, "files": files });
        self.post("add files", Method::POST, "add", &body, &CallSecrets::default(), None).await.map(drop)
    }

    /// Commits what is staged: `POST git/commit`; answers the new commit's sha.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::CommitRequest;
    /// let sha = sandbox.git().commit(&CommitRequest::new("work/repo", "Fix", "Ada L", "ada@example.com")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn commit(&self, request: &CommitRequest) -> Result<String, Error> {
        require("path", &request.path, "the repository's directory")?;
        let operation = "commit changes";
        let body =
            self.post(operation, Method::POST, "commit", request, &CallSecrets::default(), None).await?;
        let answer: CommitAnswer = decode(operation, &body)?;
        Ok(answer.hash)
    }

    /// The local branches and the checked-out one: `GET git/branches`.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let branches = sandbox.git().branches("work/repo").await?;
    /// println!("{:?}, on {:?}", branches.branches, branches.current);
    /// # Ok(()) }
    /// ```
    pub async fn branches(&self, path: &str) -> Result<Branches, Error> {
        self.get("list branches", "branches", path).await
    }

    /// Creates a branch at HEAD and checks it out (as Daytona's toolbox does):
    /// `POST git/branches`.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.git().create_branch("work/repo", "feature").await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_branch(&self, path: &str, name: &str) -> Result<(), Error> {
        self.branch_call("create branch", Method::POST, path, name).await
    }

    /// Deletes a local branch (even when not merged): `DELETE git/branches`.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.git().delete_branch("work/repo", "feature").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_branch(&self, path: &str, name: &str) -> Result<(), Error> {
        self.branch_call("delete branch", Method::DELETE, path, name).await
    }

    /// Checks out a branch (or a commit, detached): `POST git/checkout`.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.git().checkout("work/repo", "main").await?;
    /// # Ok(()) }
    /// ```
    pub async fn checkout(&self, path: &str, branch: &str) -> Result<(), Error> {
        require("path", path, "the repository's directory")?;
        require("branch", branch, "the branch or commit to check out")?;
        let body = serde_json::json!({ "path": path, "branch": branch });
        self.post("checkout branch", Method::POST, "checkout", &body, &CallSecrets::default(), None)
            .await
            .map(drop)
    }

    /// Pulls from the remote: `POST git/pull`, sent once.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.git().pull(&pj_daytona::SyncRequest::new("work/repo")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn pull(&self, request: &SyncRequest) -> Result<(), Error> {
        self.sync("pull changes", "pull", request, false).await
    }

    /// Pushes to the remote: `POST git/push`, sent once.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::SyncRequest;
    /// sandbox.git().push(&SyncRequest::new("work/repo").branch("feature").set_upstream(true).credentials("me", "t0k3n")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn push(&self, request: &SyncRequest) -> Result<(), Error> {
        self.sync("push changes", "push", request, true).await
    }

    /// The commits reachable from HEAD, newest first: `GET git/history`.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// for commit in sandbox.git().history("work/repo").await? {
    ///     println!("{} {} {}", &commit.hash[..7], commit.author, commit.message.trim());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn history(&self, path: &str) -> Result<Vec<CommitInfo>, Error> {
        self.get("get commit history", "history", path).await
    }

    async fn branch_call(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        name: &str,
    ) -> Result<(), Error> {
        require("path", path, "the repository's directory")?;
        require("name", name, "the branch's name")?;
        let body = serde_json::json!({ "path": path, "name": name });
        self.post(operation, method, "branches", &body, &CallSecrets::default(), None).await.map(drop)
    }

    async fn sync(
        &self,
        operation: &'static str,
        segment: &str,
        request: &SyncRequest,
        push: bool,
    ) -> Result<(), Error> {
        require("path", &request.path, "the repository's directory")?;
        let secrets = CallSecrets::default().with(request.credentials.as_ref().map(|c| &c.password));
        self.post(operation, Method::POST, segment, &request.body(push), &secrets, Some(TRANSFER))
            .await
            .map(drop)
    }

    /// A `GET git/{segment}?path=` answering JSON; retried (it changes nothing).
    async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        segment: &str,
        path: &str,
    ) -> Result<T, Error> {
        require("path", path, "the repository's directory")?;
        let secrets = CallSecrets::default();
        let url = self.sandbox.toolbox(&["git", segment]).await?;
        let client = self.sandbox.client();
        client
            .call_json(operation, Idempotent::Yes, || {
                client.request(Method::GET, url.clone()).query(&[("path", path)])
            })
            .await
            .map_err(|e| secrets.scrub_error(e))
    }

    /// A call with a JSON body, sent once (git changes the repository); errors scrubbed of
    /// `secrets`. A `transfer` bound, when given, replaces a shorter request timeout.
    async fn post(
        &self,
        operation: &'static str,
        method: Method,
        segment: &str,
        body: &(impl Serialize + Sync),
        secrets: &CallSecrets,
        transfer: Option<Duration>,
    ) -> Result<Bytes, Error> {
        let url = self.sandbox.toolbox(&["git", segment]).await.map_err(|e| secrets.scrub_error(e))?;
        let client = self.sandbox.client();
        let timeout = transfer.map_or(client.timeouts().request, |t| t.max(client.timeouts().request));
        client
            .call(operation, Idempotent::No, || {
                client.request(method.clone(), url.clone()).json(body).timeout(timeout)
            })
            .await
            .map_err(|e| secrets.scrub_error(e))
    }
}

/// A clear error for an empty argument, before anything is sent.
fn require(field: &str, value: &str, what: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::Config(format!("the git {field} is empty: give {what}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::{Client, SandboxInfo};

    /// A hostile toolbox on loopback: it answers every request 400, its message saying the
    /// request's URL and password in prose (as a careless server or git would).
    async fn echoing_toolbox() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let address = listener.local_addr().expect("its address");
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                let body = loop {
                    let Ok(n) = stream.read(&mut buffer).await else { return };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&request).into_owned();
                    let Some(end) = text.find("\r\n\r\n") else { continue };
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_owned())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break text[end + 4..].to_owned();
                    }
                };
                let sent: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let message = format!(
                    "fatal: unable to access '{}': {} rejected password {}",
                    sent["url"].as_str().unwrap_or("(no url)"),
                    sent["username"].as_str().unwrap_or("-"),
                    sent["password"].as_str().unwrap_or("-"),
                );
                let answer = serde_json::json!({ "message": message }).to_string();
                let response = format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            }
        });
        format!("http://{address}/toolbox")
    }

    #[tokio::test]
    async fn a_server_that_echoes_credentials_shows_none() {
        let toolbox = echoing_toolbox().await;
        let client = Client::builder()
            .api_key("k-unused")
            .api_url("http://127.0.0.1:1/api")
            .build()
            .expect("a client");
        let info: SandboxInfo =
            serde_json::from_value(serde_json::json!({ "id": "sb1", "toolboxProxyUrl": toolbox }))
                .expect("an info");
        let sandbox = Sandbox::new(client, info);
        let git = sandbox.git();
        let clone = CloneRequest::new("https://alice:url-pw-5150@example.com/r.git", "r")
            .credentials("bob", "field-pw-8086");
        let push = SyncRequest::new("r").credentials("bob", "field-pw-8086");
        let errors = [
            git.clone_repo(&clone).await.expect_err("the toolbox refuses"),
            git.push(&push).await.expect_err("the toolbox refuses"),
            git.pull(&push).await.expect_err("the toolbox refuses"),
        ];
        for error in &errors {
            assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");
            for shown in [error.to_string(), format!("{error:?}")] {
                for secret in ["url-pw-5150", "field-pw-8086", "alice:"] {
                    assert!(!shown.contains(secret), "{secret} in {shown}");
                }
            }
        }
        let shown = errors[0].to_string();
        assert!(shown.contains("https://[REDACTED]@example.com/r.git") && shown.contains("bob"), "{shown}");
    }

    #[tokio::test]
    async fn empty_arguments_are_refused_before_sending() {
        let client =
            Client::builder().api_key("k").api_url("http://127.0.0.1:1/api").build().expect("a client");
        let info: SandboxInfo = serde_json::from_value(serde_json::json!({ "id": "sb1" })).expect("an info");
        let sandbox = Sandbox::new(client, info);
        let error = sandbox.git().status("").await.expect_err("no path");
        assert!(matches!(&error, Error::Config(m) if m.contains("path")), "{error}");
        let error = sandbox.git().clone_repo(&CloneRequest::new("", "r")).await.expect_err("no url");
        assert!(matches!(&error, Error::Config(m) if m.contains("url")), "{error}");
    }
}
