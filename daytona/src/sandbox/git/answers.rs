//! What git calls answer: a repository's status, its branches, its history.

use serde::{Deserialize, Serialize};

/// The status of a repository: its branch, how far it is from its upstream, and its
/// changed files; from [`Git::status`](crate::Git::status).
///
/// ```
/// let status: pj_daytona::GitStatus = serde_json::from_str(
///     r#"{"currentBranch":"main","ahead":1,"behind":0,"fileStatus":[
///         {"name":"a.txt","staging":"Added","worktree":"Unmodified","extra":""}]}"#)?;
/// assert_eq!(status.current_branch, "main");
/// assert_eq!(status.file_status[0].staging, pj_daytona::FileState::Added);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GitStatus {
    /// The checked-out branch (empty when HEAD is detached).
    pub current_branch: String,
    /// Commits not yet pushed to the upstream.
    #[serde(default)]
    pub ahead: u32,
    /// Upstream commits not yet pulled.
    #[serde(default)]
    pub behind: u32,
    /// Whether the branch has an upstream on a remote.
    #[serde(default)]
    pub branch_published: bool,
    /// Whether HEAD is detached.
    #[serde(default)]
    pub detached: bool,
    /// The upstream branch (`origin/main`), empty when unset.
    #[serde(default)]
    pub upstream: Option<String>,
    /// The files that differ from HEAD (staged or not) or are untracked.
    #[serde(default)]
    pub file_status: Vec<FileStatus>,
}

/// One changed file of a [`GitStatus`].
///
/// ```
/// let file: pj_daytona::FileStatus =
///     serde_json::from_str(r#"{"name":"a.txt","staging":"Untracked","worktree":"Untracked","extra":""}"#)?;
/// assert_eq!(file.worktree, pj_daytona::FileState::Untracked);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileStatus {
    /// The path in the repository.
    pub name: String,
    /// Its state in the index.
    pub staging: FileState,
    /// Its state in the work tree.
    pub worktree: FileState,
    /// More (the original name of a renamed file).
    #[serde(default)]
    pub extra: String,
}

/// The state of a file in the index or the work tree (Daytona's names).
///
/// ```
/// let state: pj_daytona::FileState = serde_json::from_str(r#""Updated but unmerged""#)?;
/// assert_eq!(state, pj_daytona::FileState::UpdatedButUnmerged);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FileState {
    /// Unchanged.
    Unmodified,
    /// Not tracked.
    Untracked,
    /// Changed.
    Modified,
    /// New.
    Added,
    /// Removed.
    Deleted,
    /// Renamed.
    Renamed,
    /// Copied.
    Copied,
    /// In conflict.
    #[serde(rename = "Updated but unmerged")]
    UpdatedButUnmerged,
    /// A state this client does not know.
    #[serde(other)]
    Unknown,
}

/// A repository's local branches and the checked-out one; from
/// [`Git::branches`](crate::Git::branches).
///
/// ```
/// let branches: pj_daytona::Branches = serde_json::from_str(r#"{"branches":["main","topic"],"current":"topic"}"#)?;
/// assert_eq!(branches.current.as_deref(), Some("topic"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Branches {
    /// The local branches.
    pub branches: Vec<String>,
    /// The checked-out branch (`None` or empty when HEAD is detached).
    #[serde(default)]
    pub current: Option<String>,
}

/// One commit of a repository's history; from [`Git::history`](crate::Git::history).
///
/// ```
/// let commit: pj_daytona::CommitInfo = serde_json::from_str(
///     r#"{"hash":"3f2a","author":"Ada L","email":"ada@example.com","message":"Fix\n","timestamp":"2024-05-01T10:00:00Z"}"#)?;
/// assert_eq!(commit.author, "Ada L");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommitInfo {
    /// The full sha.
    pub hash: String,
    /// The author's name.
    pub author: String,
    /// The author's email.
    pub email: String,
    /// The message.
    pub message: String,
    /// When it was authored, as the server wrote it.
    pub timestamp: String,
}

/// The answer of a commit.
#[derive(Deserialize)]
pub(super) struct CommitAnswer {
    pub(super) hash: String,
}
