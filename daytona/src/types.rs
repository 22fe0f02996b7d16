//! The JSON shapes of the Daytona API (Daytona's OpenAPI schema, as measured in
//! `docs/daytona-contract.md` §4-§5), in the fields pithy uses.
//!
//! Response types are lenient: unknown fields are ignored and most fields default, so a
//! newer server does not break the client. Request types omit unset fields, like the
//! official Python client.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The state of a snapshot (`SnapshotState`).
///
/// ```
/// use pj_daytona::SnapshotState;
/// let state: SnapshotState = serde_json::from_str("\"build_failed\"").unwrap();
/// assert_eq!(state, SnapshotState::BuildFailed);
/// assert!(state.is_terminal());
/// let unknown: SnapshotState = serde_json::from_str("\"teleporting\"").unwrap();
/// assert_eq!(unknown, SnapshotState::Unknown);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SnapshotState {
    /// Waiting for a runner.
    Pending,
    /// Being built from its `buildInfo`.
    Building,
    /// Its image is being pulled.
    Pulling,
    /// Being snapshotted from a sandbox.
    Snapshotting,
    /// Ready for sandboxes.
    Active,
    /// Deactivated after a period of disuse; activate it to use it again.
    Inactive,
    /// Failed for a reason other than the build (see `errorReason`).
    Error,
    /// The build failed (see `errorReason`).
    BuildFailed,
    /// Being deleted.
    Removing,
    /// A state this client does not know.
    #[serde(other)]
    Unknown,
}

impl SnapshotState {
    /// Whether the state no longer changes by itself: `active`, `error`, `build_failed`
    /// (the states the official SDK stops polling at).
    ///
    /// ```
    /// assert!(!pj_daytona::SnapshotState::Building.is_terminal());
    /// ```
    pub fn is_terminal(self) -> bool {
        matches!(self, SnapshotState::Active | SnapshotState::Error | SnapshotState::BuildFailed)
    }

    /// The wire name (`build_failed`).
    ///
    /// ```
    /// assert_eq!(pj_daytona::SnapshotState::BuildFailed.as_str(), "build_failed");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotState::Pending => "pending",
            SnapshotState::Building => "building",
            SnapshotState::Pulling => "pulling",
            SnapshotState::Snapshotting => "snapshotting",
            SnapshotState::Active => "active",
            SnapshotState::Inactive => "inactive",
            SnapshotState::Error => "error",
            SnapshotState::BuildFailed => "build_failed",
            SnapshotState::Removing => "removing",
            SnapshotState::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for SnapshotState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The build information of a snapshot (`BuildInfo`).
///
/// ```
/// let info: pj_daytona::BuildInfo = serde_json::from_str(r#"{"dockerfileContent":"FROM a:1\n",
///     "contextHashes":[],"createdAt":"2026-01-01T00:00:00.000Z",
///     "updatedAt":"2026-01-01T00:00:00.000Z","snapshotRef":"daytona-ab:daytona"}"#).unwrap();
/// assert_eq!(info.snapshot_ref, "daytona-ab:daytona");
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct BuildInfo {
    /// The Dockerfile.
    pub dockerfile_content: Option<String>,
    /// The context hashes, in the order they were sent.
    pub context_hashes: Option<Vec<String>>,
    /// When the build info was created.
    pub created_at: String,
    /// When it was last updated.
    pub updated_at: String,
    /// The server's build key: `daytona-<sha256(dockerfile + sorted hashes)>:daytona`.
    pub snapshot_ref: String,
}

/// A snapshot (`SnapshotDto`).
///
/// ```
/// let snapshot: pj_daytona::Snapshot = serde_json::from_str(r#"{"id":"1","general":false,
///     "name":"app-v1.0.0","state":"active","cpu":1,"gpu":0,"mem":1,"disk":3}"#).unwrap();
/// assert_eq!(snapshot.state, pj_daytona::SnapshotState::Active);
/// assert_eq!(snapshot.error_reason, None);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Snapshot {
    /// The id (a UUID).
    pub id: String,
    /// The owning organization.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// Whether it is one of Daytona's general snapshots.
    #[serde(default)]
    pub general: bool,
    /// The name.
    pub name: String,
    /// The image name, for snapshots made from an image.
    #[serde(default)]
    pub image_name: Option<String>,
    /// The state.
    pub state: SnapshotState,
    /// The image size in GB, once known.
    #[serde(default)]
    pub size: Option<f64>,
    /// The entrypoint.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// CPU cores.
    #[serde(default)]
    pub cpu: f64,
    /// GPUs.
    #[serde(default)]
    pub gpu: f64,
    /// Memory in GB.
    #[serde(default)]
    pub mem: f64,
    /// Disk in GB.
    #[serde(default)]
    pub disk: f64,
    /// Why it is in `error` or `build_failed`.
    #[serde(default)]
    pub error_reason: Option<String>,
    /// Creation time (ISO 8601).
    #[serde(default)]
    pub created_at: String,
    /// Last update time (ISO 8601).
    #[serde(default)]
    pub updated_at: String,
    /// Last use (ISO 8601).
    #[serde(default)]
    pub last_used_at: Option<String>,
    /// The build information, for snapshots built from a Dockerfile.
    #[serde(default)]
    pub build_info: Option<BuildInfo>,
    /// The regions it is available in.
    #[serde(default)]
    pub region_ids: Option<Vec<String>>,
    /// The image reference in Daytona's registry.
    #[serde(default, rename = "ref")]
    pub image_ref: Option<String>,
    /// Local server only (Daytona never sends it): why this snapshot was checked but
    /// not built, so that no sandbox can run from it. `None` for a built image.
    #[serde(default)]
    pub checked_only: Option<String>,
}

/// A page of snapshots (`PaginatedSnapshots`).
///
/// ```
/// let page: pj_daytona::SnapshotPage =
///     serde_json::from_str(r#"{"items":[],"total":0,"page":1,"totalPages":0}"#).unwrap();
/// assert!(page.items.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SnapshotPage {
    /// The snapshots of this page.
    pub items: Vec<Snapshot>,
    /// The number of snapshots over all pages.
    pub total: u64,
    /// This page's number (from 1).
    pub page: u64,
    /// The number of pages.
    pub total_pages: u64,
}

/// The build part of a [`CreateSnapshot`] (`CreateBuildInfo`).
///
/// ```
/// let info = pj_daytona::CreateBuildInfo::new("FROM alpine:3.19\n", ["0123456789abcdef0123456789abcdef"]);
/// assert_eq!(info.context_hashes.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateBuildInfo {
    /// The Dockerfile.
    pub dockerfile_content: String,
    /// The MD5 hashes of the uploaded contexts, in Dockerfile order.
    pub context_hashes: Vec<String>,
}

impl CreateBuildInfo {
    /// Build info from a Dockerfile and its context hashes.
    ///
    /// ```
    /// let info = pj_daytona::CreateBuildInfo::new("FROM alpine:3.19\n", Vec::<String>::new());
    /// assert!(info.context_hashes.is_empty());
    /// ```
    pub fn new<S: Into<String>>(
        dockerfile: impl Into<String>,
        context_hashes: impl IntoIterator<Item = S>,
    ) -> Self {
        CreateBuildInfo {
            dockerfile_content: dockerfile.into(),
            context_hashes: context_hashes.into_iter().map(Into::into).collect(),
        }
    }
}

/// The body of `POST /snapshots` (`CreateSnapshot`). Unset fields are not sent.
///
/// ```
/// let request = pj_daytona::CreateSnapshot::build(
///     "app-v1.0.0",
///     pj_daytona::CreateBuildInfo::new("FROM alpine:3.19\n", Vec::<String>::new()),
/// )
/// .resources(2, 4, 8);
/// let json = serde_json::to_string(&request).unwrap();
/// assert_eq!(json, r#"{"name":"app-v1.0.0","cpu":2,"memory":4,"disk":8,"buildInfo":{"dockerfileContent":"FROM alpine:3.19\n","contextHashes":[]}}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateSnapshot {
    /// The snapshot name.
    pub name: String,
    /// An image to pull instead of a build.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    /// The entrypoint (only with `image_name`; a build takes it from the Dockerfile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// CPU cores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// GPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<u32>,
    /// Memory in GB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
    /// Disk in GB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<u32>,
    /// The build.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_info: Option<CreateBuildInfo>,
    /// The region; the client's target when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
}

impl CreateSnapshot {
    /// A snapshot built from a Dockerfile and uploaded contexts.
    ///
    /// ```
    /// let request = pj_daytona::CreateSnapshot::build("s", pj_daytona::CreateBuildInfo::new("FROM a:1\n", ["h"]));
    /// assert_eq!(request.name, "s");
    /// ```
    pub fn build(name: impl Into<String>, build_info: CreateBuildInfo) -> Self {
        CreateSnapshot { name: name.into(), build_info: Some(build_info), ..CreateSnapshot::default() }
    }

    /// A snapshot of an existing image (`imageName`).
    ///
    /// ```
    /// let request = pj_daytona::CreateSnapshot::image("s", "alpine:3.19");
    /// assert_eq!(request.image_name.as_deref(), Some("alpine:3.19"));
    /// ```
    pub fn image(name: impl Into<String>, image_name: impl Into<String>) -> Self {
        CreateSnapshot { name: name.into(), image_name: Some(image_name.into()), ..CreateSnapshot::default() }
    }

    /// Sets CPU cores, memory (GB) and disk (GB).
    ///
    /// ```
    /// let request = pj_daytona::CreateSnapshot::image("s", "alpine:3.19").resources(1, 2, 3);
    /// assert_eq!((request.cpu, request.memory, request.disk), (Some(1), Some(2), Some(3)));
    /// ```
    pub fn resources(mut self, cpu: u32, memory: u32, disk: u32) -> Self {
        self.cpu = Some(cpu);
        self.memory = Some(memory);
        self.disk = Some(disk);
        self
    }

    /// Sets the region.
    ///
    /// ```
    /// let request = pj_daytona::CreateSnapshot::image("s", "alpine:3.19").region("eu");
    /// assert_eq!(request.region_id.as_deref(), Some("eu"));
    /// ```
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region_id = Some(region.into());
        self
    }
}

/// Filters and paging of `GET /snapshots`.
///
/// ```
/// let query = pj_daytona::ListSnapshots { name: Some("app-".into()), limit: Some(50), ..Default::default() };
/// assert_eq!(query.page, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListSnapshots {
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Page size, 1 to 200 (server default 100).
    pub limit: Option<u64>,
    /// Partial name match.
    pub name: Option<String>,
    /// Sort field: `name`, `state`, `lastUsedAt` or `createdAt`.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub order: Option<String>,
}

/// Temporary object-storage credentials from `GET /object-storage/push-access`
/// (`StorageAccessDto`). `secret` and `session_token` never print.
///
/// ```
/// let access: pj_daytona::StorageAccess = serde_json::from_str(r#"{"accessKey":"AK","secret":"S",
///     "sessionToken":"T","storageUrl":"http://127.0.0.1:9000","organizationId":"org",
///     "bucket":"daytona-volume-builds","region":"us-east-1"}"#).unwrap();
/// assert!(!format!("{access:?}").contains("\"S\""));
/// assert_eq!(access.object_key("abc"), "org/abc/context.tar");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StorageAccess {
    /// The access key id.
    pub access_key: String,
    /// The secret key.
    pub secret: Secret,
    /// The session token (sent as `x-amz-security-token`).
    pub session_token: Secret,
    /// The S3 endpoint (with scheme).
    pub storage_url: String,
    /// The organization: the first segment of every object key.
    pub organization_id: String,
    /// The bucket.
    pub bucket: String,
    /// The signing region (`us-east-1` when the server sends an empty one).
    #[serde(default)]
    pub region: String,
}

impl StorageAccess {
    /// The object key of a context: `{organizationId}/{md5}/context.tar`.
    ///
    /// ```
    /// # let access: pj_daytona::StorageAccess = serde_json::from_str(r#"{"accessKey":"AK","secret":"S",
    /// #     "sessionToken":"T","storageUrl":"http://x","organizationId":"o","bucket":"b","region":""}"#).unwrap();
    /// assert_eq!(access.object_key("h"), "o/h/context.tar");
    /// ```
    pub fn object_key(&self, hash: &str) -> String {
        format!("{}/{hash}/context.tar", self.organization_id)
    }
}

/// The state of a sandbox (`SandboxState`).
///
/// ```
/// let state: pj_daytona::SandboxState = serde_json::from_str("\"started\"").unwrap();
/// assert_eq!(state, pj_daytona::SandboxState::Started);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum SandboxState {
    Creating,
    Restoring,
    Destroyed,
    Destroying,
    Started,
    Stopped,
    Starting,
    Stopping,
    Error,
    BuildFailed,
    PendingBuild,
    BuildingSnapshot,
    PullingSnapshot,
    Archived,
    Archiving,
    Resizing,
    Snapshotting,
    Forking,
    Pausing,
    Paused,
    Resuming,
    /// `unknown`, or a state this client does not know.
    #[serde(other)]
    Unknown,
}

/// What Daytona says about a sandbox (its `Sandbox` schema): the data behind a
/// [`Sandbox`](crate::Sandbox) handle.
///
/// ```
/// let sandbox: pj_daytona::SandboxInfo = serde_json::from_str(r#"{"id":"s1","organizationId":"o",
///     "name":"s1","user":"daytona","env":{},"labels":{},"public":false,"networkBlockAll":false,
///     "target":"us","cpu":1,"gpu":0,"memory":1,"disk":3,"state":"started",
///     "toolboxProxyUrl":"http://127.0.0.1:1/toolbox"}"#).unwrap();
/// assert_eq!(sandbox.state, Some(pj_daytona::SandboxState::Started));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SandboxInfo {
    /// The id.
    pub id: String,
    /// The owning organization.
    #[serde(default)]
    pub organization_id: String,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The snapshot it was created from.
    #[serde(default)]
    pub snapshot: Option<String>,
    /// The OS user.
    #[serde(default)]
    pub user: String,
    /// Environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Whether previews are public.
    #[serde(default)]
    pub public: bool,
    /// The region.
    #[serde(default)]
    pub target: String,
    /// CPU cores.
    #[serde(default)]
    pub cpu: f64,
    /// GPUs.
    #[serde(default)]
    pub gpu: f64,
    /// Memory in GB.
    #[serde(default)]
    pub memory: f64,
    /// Disk in GB.
    #[serde(default)]
    pub disk: f64,
    /// The state.
    #[serde(default)]
    pub state: Option<SandboxState>,
    /// Why it is in `error`.
    #[serde(default)]
    pub error_reason: Option<String>,
    /// Auto-stop interval in minutes (0 = off).
    #[serde(default)]
    pub auto_stop_interval: Option<f64>,
    /// The toolbox base URL (the SDK prepends it to `/{id}/process/execute`).
    #[serde(default)]
    pub toolbox_proxy_url: Option<String>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// The body of `POST /sandbox` (`CreateSandbox`). Unset fields are not sent.
///
/// ```
/// let mut request = pj_daytona::CreateSandbox::from_snapshot("app-v1.0.0");
/// request.env.insert("A".into(), "1".into());
/// request.auto_stop_interval = Some(0);
/// let json = serde_json::to_string(&request).unwrap();
/// assert_eq!(json, r#"{"snapshot":"app-v1.0.0","env":{"A":"1"},"labels":{},"autoStopInterval":0}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateSandbox {
    /// The name (default: the id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The snapshot id or name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// The OS user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Whether previews are public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// The region; the client's target when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// CPU cores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// GPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<u32>,
    /// Memory in GB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
    /// Disk in GB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<u32>,
    /// Auto-stop interval in minutes (0 = off; server default 15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_stop_interval: Option<u32>,
    /// Auto-archive interval in minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_archive_interval: Option<u32>,
    /// Auto-delete interval in minutes (negative = off, 0 = on stop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_delete_interval: Option<i32>,
}

impl CreateSandbox {
    /// A sandbox from a snapshot (id or name).
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1.0.0");
    /// assert_eq!(request.snapshot.as_deref(), Some("app-v1.0.0"));
    /// ```
    pub fn from_snapshot(snapshot: impl Into<String>) -> Self {
        CreateSandbox { snapshot: Some(snapshot.into()), ..CreateSandbox::default() }
    }
}

/// A command for the toolbox `process/execute` endpoint.
///
/// `Debug` shows the environment's names, never its values.
///
/// ```
/// let request = pj_daytona::ExecuteRequest::new("echo hi").cwd("/app").timeout(30);
/// assert_eq!(serde_json::to_string(&request).unwrap(),
///     r#"{"command":"echo hi","cwd":"/app","timeout":30}"#);
/// ```
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ExecuteRequest {
    /// The shell command.
    pub command: String,
    /// The working directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Extra environment variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envs: Option<BTreeMap<String, String>>,
    /// Timeout in seconds (server default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

impl fmt::Debug for ExecuteRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecuteRequest")
            .field("command", &self.command)
            .field("cwd", &self.cwd)
            .field("envs", &self.envs.as_ref().map(EnvNames))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// An environment in `Debug`: its names, each value `[REDACTED]` (a user's keys travel
/// in it).
pub(crate) struct EnvNames<'a>(pub(crate) &'a BTreeMap<String, String>);

impl fmt::Debug for EnvNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.keys().map(|name| (name, "[REDACTED]"))).finish()
    }
}

impl ExecuteRequest {
    /// A command with the server's defaults.
    ///
    /// ```
    /// let request = pj_daytona::ExecuteRequest::new("ls");
    /// assert_eq!(request.command, "ls");
    /// ```
    pub fn new(command: impl Into<String>) -> Self {
        ExecuteRequest { command: command.into(), ..ExecuteRequest::default() }
    }

    /// Sets the working directory.
    ///
    /// ```
    /// let request = pj_daytona::ExecuteRequest::new("ls").cwd("/");
    /// assert_eq!(request.cwd.as_deref(), Some("/"));
    /// ```
    pub fn cwd(mut self, cwd: impl Into<String>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }

    /// Sets an environment variable for the command.
    ///
    /// ```
    /// let request = pj_daytona::ExecuteRequest::new("echo $KEY").env("KEY", "s3cret");
    /// assert_eq!(request.envs.as_ref().map(|e| e["KEY"].as_str()), Some("s3cret"));
    /// assert!(!format!("{request:?}").contains("s3cret"));
    /// ```
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.envs.get_or_insert_with(BTreeMap::new).insert(name.into(), value.into());
        self
    }

    /// Sets the timeout in seconds.
    ///
    /// ```
    /// let request = pj_daytona::ExecuteRequest::new("ls").timeout(5);
    /// assert_eq!(request.timeout, Some(5));
    /// ```
    pub fn timeout(mut self, seconds: u64) -> Self {
        self.timeout = Some(seconds);
        self
    }
}

/// The result of a toolbox command.
///
/// ```
/// let response: pj_daytona::ExecuteResponse = serde_json::from_str(r#"{"exitCode":0,"result":"hi\n"}"#).unwrap();
/// assert_eq!(response.exit_code, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ExecuteResponse {
    /// The exit code.
    pub exit_code: i64,
    /// Standard output and error, combined.
    #[serde(default)]
    pub result: String,
}

/// A `{"url": ...}` response.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct UrlDto {
    pub(crate) url: String,
}
