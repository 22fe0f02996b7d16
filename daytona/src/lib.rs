//! # pj-daytona: an async client for the Daytona API
//!
//! Daytona has no official Rust SDK; this crate is one, on tokio, built for [pithy] and
//! useful on its own: sandboxes with the reach of the Python SDK's `Sandbox` (a
//! [`Sandbox`] handle: create from a snapshot, list as a paged stream, start, stop,
//! archive, delete, labels and intervals, commands and sessions with streamed logs,
//! streamed file transfers, git, preview URLs; [`Sandbox::scoped`] deletes one whatever
//! happens), snapshots (create from a Dockerfile and uploaded contexts, get, list, delete,
//! activate, follow the build log) and object storage (push access and content-addressed
//! context uploads over S3 SigV4).
//!
//! A task in a sandbox, whole: the sandbox is created from the application's own snapshot
//! ([`Client::bound`]: refused unless the snapshot was built from the compiled definition),
//! the task uploaded, a command run in a session with its logs printed as they come, the
//! result downloaded, and the sandbox deleted whatever happened ([`Sandbox::scoped`]). This
//! is the crate's example `examples/sandbox.rs`, and the test `tests/tests/crate_example.rs`
//! of the repository runs it against the local server on a real container.
//!
#![doc = concat!("```no_run\n", include_str!("../examples/sandbox.rs"), "```")]
//!
//! Configuration follows the official SDKs (`DAYTONA_API_KEY`, or `DAYTONA_JWT_TOKEN` with
//! `DAYTONA_ORGANIZATION_ID`; `DAYTONA_API_URL`; `DAYTONA_TARGET`). Every request has a
//! timeout; transient failures of idempotent requests are retried with capped, jittered
//! exponential backoff (honouring `Retry-After`); a `POST` is never repeated. Credentials
//! never appear in `Debug`, `Display` or errors.
//!
//! Publishing a snapshot from a Dockerfile and a context, following its build log:
//!
//! ```no_run
//! # async fn demo() -> Result<(), pj_daytona::Error> {
//! use pj_daytona::{Client, CreateBuildInfo, CreateSnapshot, LogEvent};
//!
//! let client = Client::from_env()?;
//! let storage = client.object_storage();
//! let access = storage.push_access().await?;
//! let md5 = "0062767e43a7b98b63a594b2504ce32c";
//! storage.upload_context(&access, "ctx/file.txt".as_ref(), "ctx/file.txt", md5).await?;
//!
//! let dockerfile = "FROM ubuntu:22.04\nCOPY [\"ctx/file.txt\", \"/app/file.txt\"]\n";
//! let request = CreateSnapshot::build("demo-v1.0.0", CreateBuildInfo::new(dockerfile, [md5])).resources(1, 1, 3);
//! let snapshot = client.snapshots().create(&request).await?;
//! let mut logs = client.snapshots().build_logs(&snapshot.id, true).await?;
//! while let Some(event) = logs.next().await? {
//!     if let LogEvent::Text(text) = event { print!("{text}"); }
//! }
//! # Ok(()) }
//! ```
//!
//! The local Daytona-compatible server that tests and offline work run against (API, S3
//! endpoint, Docker builds and sandboxes) is the separate crate `pj-daytona-local`; this
//! crate is the client alone.
//!
//! [pithy]: https://example.invalid/pithy

mod binding;
mod client;
mod config;
mod error;
mod sandbox;
mod sandboxes;
mod secret;
mod snapshots;
mod storage;
mod types;

pub use binding::{Bound, Unbound};
pub use client::{Client, DEFAULT_SOURCE, USER_AGENT_VALUE};
pub use config::{ClientBuilder, Credentials, DEFAULT_API_URL, RetryPolicy, Timeouts};
pub use error::Error;
pub use sandbox::{
    Branches, Cleanup, CloneRequest, CodeRunRequest, Command, CommandInfo, CommandLogs, CommandOutput,
    CommitInfo, CommitRequest, DEFAULT_SESSION_EXEC_TIMEOUT, Downloaded, Fetched, FileDownload, FileInfo,
    FileState, FileStatus, FileUpload, Fs, Git, GitCredentials, GitStatus, Language, LogChunk, Match,
    Permissions, PreviewUrl, Process, ReplaceResult, Sandbox, Session, SessionCommand, SessionExecOutput,
    SessionInfo, SyncRequest,
};
pub use sandboxes::{DEFAULT_START_TIMEOUT, Sandboxes};
pub use secret::Secret;
pub use snapshots::{LogEvent, LogStream, MAX_PAGES, Snapshots};
pub use storage::{ObjectStorage, Upload, UploadProgress};
pub use types::{
    BuildInfo, CreateBuildInfo, CreateSandbox, CreateSnapshot, ExecuteRequest, ExecuteResponse,
    ListSandboxes, ListSnapshots, SandboxInfo, SandboxState, Snapshot, SnapshotPage, SnapshotState,
    StorageAccess,
};
