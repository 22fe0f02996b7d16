//! What git calls send: a clone, a commit, a push or pull, and the credentials of a
//! remote. Credentials are [`Secret`]s, and a URL's `user:password@` never shows in
//! `Debug`.

use std::fmt;

use serde::Serialize;

use super::redact::hide_userinfo;
use crate::Secret;

/// A user name and a password or token for a remote, as git's HTTP authentication takes
/// them. The password never shows in `Debug`.
///
/// ```
/// let credentials = pj_daytona::GitCredentials::new("me", "ghp_example");
/// assert_eq!(credentials.username, "me");
/// assert!(!format!("{credentials:?}").contains("ghp_example"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GitCredentials {
    /// The user name.
    pub username: String,
    /// The password or token.
    pub password: Secret,
}

impl GitCredentials {
    /// Credentials of `username` with `password` (or a token).
    ///
    /// ```
    /// let credentials = pj_daytona::GitCredentials::new("me", pj_daytona::Secret::new("t0k3n"));
    /// assert_eq!(credentials.password.expose(), "t0k3n");
    /// ```
    pub fn new(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        GitCredentials { username: username.into(), password: password.into() }
    }
}

/// What to clone, and where: `url` into `path` (relative paths are resolved in the
/// sandbox's working directory), optionally a branch, a commit (left checked out,
/// detached), credentials and a depth.
///
/// ```
/// use pj_daytona::CloneRequest;
/// let request = CloneRequest::new("https://example.com/repo.git", "work/repo")
///     .branch("main")
///     .credentials("me", "ghp_example")
///     .depth(1);
/// assert_eq!(request.path, "work/repo");
/// assert!(!format!("{request:?}").contains("ghp_example"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloneRequest {
    /// The repository URL (`https://`, `file://`, ...).
    pub url: String,
    /// Where to clone it in the sandbox.
    pub path: String,
    /// The branch to clone (the remote's default when unset).
    pub branch: Option<String>,
    /// The commit to check out after cloning (detached HEAD).
    pub commit: Option<String>,
    /// Credentials for the remote.
    pub credentials: Option<GitCredentials>,
    /// A shallow clone of this many commits.
    pub depth: Option<u32>,
}

impl fmt::Debug for CloneRequest {
    // The URL without its `user:password@`: a token may travel in it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloneRequest")
            .field("url", &hide_userinfo(&self.url))
            .field("path", &self.path)
            .field("branch", &self.branch)
            .field("commit", &self.commit)
            .field("credentials", &self.credentials)
            .field("depth", &self.depth)
            .finish()
    }
}

impl CloneRequest {
    /// A clone of `url` into `path`.
    ///
    /// ```
    /// let request = pj_daytona::CloneRequest::new("https://example.com/repo.git", "repo");
    /// assert_eq!(request.branch, None);
    /// ```
    pub fn new(url: impl Into<String>, path: impl Into<String>) -> Self {
        CloneRequest {
            url: url.into(),
            path: path.into(),
            branch: None,
            commit: None,
            credentials: None,
            depth: None,
        }
    }

    /// Clones `branch` instead of the remote's default.
    ///
    /// ```
    /// let request = pj_daytona::CloneRequest::new("file:///srv/r.git", "r").branch("dev");
    /// assert_eq!(request.branch.as_deref(), Some("dev"));
    /// ```
    pub fn branch(mut self, branch: impl Into<String>) -> Self {
        self.branch = Some(branch.into());
        self
    }

    /// Checks out `commit` (a sha) after cloning, leaving HEAD detached.
    ///
    /// ```
    /// let request = pj_daytona::CloneRequest::new("file:///srv/r.git", "r").commit("3f2a9c1");
    /// assert_eq!(request.commit.as_deref(), Some("3f2a9c1"));
    /// ```
    pub fn commit(mut self, commit: impl Into<String>) -> Self {
        self.commit = Some(commit.into());
        self
    }

    /// Authenticates to the remote with `username` and `password` (or a token).
    ///
    /// ```
    /// let request = pj_daytona::CloneRequest::new("https://example.com/r.git", "r").credentials("me", "t0k3n");
    /// assert_eq!(request.credentials.map(|c| c.username).as_deref(), Some("me"));
    /// ```
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.credentials = Some(GitCredentials::new(username, password));
        self
    }

    /// Makes a shallow clone of the last `depth` commits.
    ///
    /// ```
    /// let request = pj_daytona::CloneRequest::new("https://example.com/r.git", "r").depth(1);
    /// assert_eq!(request.depth, Some(1));
    /// ```
    pub fn depth(mut self, depth: u32) -> Self {
        self.depth = Some(depth);
        self
    }

    pub(super) fn body(&self) -> CloneBody<'_> {
        let (username, password) = split(self.credentials.as_ref());
        CloneBody {
            url: &self.url,
            path: &self.path,
            branch: self.branch.as_deref(),
            commit_id: self.commit.as_deref(),
            username,
            password,
            depth: self.depth,
        }
    }
}

/// A commit of what is staged in the repository at `path`, as `author <email>`.
///
/// ```
/// let request = pj_daytona::CommitRequest::new("work/repo", "Fix the parser", "Ada L", "ada@example.com")
///     .allow_empty(true);
/// assert!(request.allow_empty);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CommitRequest {
    /// The repository.
    pub path: String,
    /// The commit message.
    pub message: String,
    /// The author's (and committer's) name.
    pub author: String,
    /// The author's (and committer's) email.
    pub email: String,
    /// Commit even when nothing is staged.
    pub allow_empty: bool,
}

impl CommitRequest {
    /// A commit in `path` with `message` by `author <email>`.
    ///
    /// ```
    /// let request = pj_daytona::CommitRequest::new("repo", "Initial commit", "Ada L", "ada@example.com");
    /// assert!(!request.allow_empty);
    /// ```
    pub fn new(
        path: impl Into<String>,
        message: impl Into<String>,
        author: impl Into<String>,
        email: impl Into<String>,
    ) -> Self {
        CommitRequest {
            path: path.into(),
            message: message.into(),
            author: author.into(),
            email: email.into(),
            allow_empty: false,
        }
    }

    /// Commits even when nothing is staged.
    ///
    /// ```
    /// let request = pj_daytona::CommitRequest::new("repo", "Empty", "A", "a@example.com").allow_empty(true);
    /// assert!(request.allow_empty);
    /// ```
    pub fn allow_empty(mut self, allow: bool) -> Self {
        self.allow_empty = allow;
        self
    }
}

/// A push or a pull of the repository at `path`: the remote (`origin` when unset), the
/// branch (the current one, or its upstream for a pull), credentials, and for a push
/// whether to record the branch as upstream.
///
/// ```
/// use pj_daytona::SyncRequest;
/// let push = SyncRequest::new("work/repo").branch("feature").set_upstream(true).credentials("me", "t0k3n");
/// assert!(push.set_upstream);
/// assert!(!format!("{push:?}").contains("t0k3n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncRequest {
    /// The repository.
    pub path: String,
    /// The remote (`origin` when unset).
    pub remote: Option<String>,
    /// The branch.
    pub branch: Option<String>,
    /// Credentials for the remote.
    pub credentials: Option<GitCredentials>,
    /// For a push: record the pushed branch as the upstream (`--set-upstream`); a pull
    /// ignores it.
    pub set_upstream: bool,
}

impl SyncRequest {
    /// A push or pull of `path` with git's defaults.
    ///
    /// ```
    /// let pull = pj_daytona::SyncRequest::new("repo");
    /// assert_eq!(pull.remote, None);
    /// ```
    pub fn new(path: impl Into<String>) -> Self {
        SyncRequest { path: path.into(), remote: None, branch: None, credentials: None, set_upstream: false }
    }

    /// Uses `remote` instead of `origin`.
    ///
    /// ```
    /// let pull = pj_daytona::SyncRequest::new("repo").remote("upstream");
    /// assert_eq!(pull.remote.as_deref(), Some("upstream"));
    /// ```
    pub fn remote(mut self, remote: impl Into<String>) -> Self {
        self.remote = Some(remote.into());
        self
    }

    /// Pushes or pulls `branch`.
    ///
    /// ```
    /// let push = pj_daytona::SyncRequest::new("repo").branch("main");
    /// assert_eq!(push.branch.as_deref(), Some("main"));
    /// ```
    pub fn branch(mut self, branch: impl Into<String>) -> Self {
        self.branch = Some(branch.into());
        self
    }

    /// Authenticates to the remote with `username` and `password` (or a token).
    ///
    /// ```
    /// let push = pj_daytona::SyncRequest::new("repo").credentials("me", "t0k3n");
    /// assert!(push.credentials.is_some());
    /// ```
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.credentials = Some(GitCredentials::new(username, password));
        self
    }

    /// For a push: records the pushed branch as the upstream.
    ///
    /// ```
    /// let push = pj_daytona::SyncRequest::new("repo").set_upstream(true);
    /// assert!(push.set_upstream);
    /// ```
    pub fn set_upstream(mut self, set: bool) -> Self {
        self.set_upstream = set;
        self
    }

    pub(super) fn body(&self, push: bool) -> SyncBody<'_> {
        let (username, password) = split(self.credentials.as_ref());
        SyncBody {
            path: &self.path,
            remote: self.remote.as_deref(),
            branch: self.branch.as_deref(),
            username,
            password,
            set_upstream: (push && self.set_upstream).then_some(true),
        }
    }
}

fn split(credentials: Option<&GitCredentials>) -> (Option<&str>, Option<&str>) {
    match credentials {
        Some(c) => (Some(c.username.as_str()), Some(c.password.expose())),
        None => (None, None),
    }
}

/// `GitCloneRequest` on the wire (snake_case, as the toolbox takes it).
#[derive(Serialize)]
pub(super) struct CloneBody<'a> {
    url: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    depth: Option<u32>,
}

/// `GitPushRequest` / `GitPullRequest` on the wire.
#[derive(Serialize)]
pub(super) struct SyncBody<'a> {
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    set_upstream: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_bodies_are_the_sdks() {
        let clone = CloneRequest::new("file:///srv/o.git", "r").commit("abc").credentials("u", "p");
        assert_eq!(
            serde_json::to_value(clone.body()).expect("serializes"),
            serde_json::json!({"url": "file:///srv/o.git", "path": "r", "commit_id": "abc", "username": "u", "password": "p"})
        );
        let push = SyncRequest::new("r").set_upstream(true);
        assert_eq!(
            serde_json::to_value(push.body(true)).expect("serializes"),
            serde_json::json!({"path": "r", "set_upstream": true})
        );
        assert_eq!(
            serde_json::to_value(push.body(false)).expect("serializes"),
            serde_json::json!({"path": "r"})
        );
        let commit = CommitRequest::new("r", "m", "A", "a@x");
        assert_eq!(
            serde_json::to_value(&commit).expect("serializes"),
            serde_json::json!({"path": "r", "message": "m", "author": "A", "email": "a@x", "allow_empty": false})
        );
    }

    #[test]
    fn debug_shows_no_credential() {
        let clone = CloneRequest::new("https://me:url-secret@example.com/r.git", "r")
            .credentials("me", "field-secret");
        let shown = format!("{clone:?}");
        assert!(!shown.contains("url-secret") && !shown.contains("field-secret"), "{shown}");
        assert!(shown.contains("https://[REDACTED]@example.com/r.git"), "{shown}");
    }
}
