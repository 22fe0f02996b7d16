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

impl SandboxState {
    /// The wire name (`build_failed`).
    ///
    /// ```
    /// assert_eq!(pj_daytona::SandboxState::BuildFailed.as_str(), "build_failed");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxState::Creating => "creating",
            SandboxState::Restoring => "restoring",
            SandboxState::Destroyed => "destroyed",
            SandboxState::Destroying => "destroying",
            SandboxState::Started => "started",
            SandboxState::Stopped => "stopped",
            SandboxState::Starting => "starting",
            SandboxState::Stopping => "stopping",
            SandboxState::Error => "error",
            SandboxState::BuildFailed => "build_failed",
            SandboxState::PendingBuild => "pending_build",
            SandboxState::BuildingSnapshot => "building_snapshot",
            SandboxState::PullingSnapshot => "pulling_snapshot",
            SandboxState::Archived => "archived",
            SandboxState::Archiving => "archiving",
            SandboxState::Resizing => "resizing",
            SandboxState::Snapshotting => "snapshotting",
            SandboxState::Forking => "forking",
            SandboxState::Pausing => "pausing",
            SandboxState::Paused => "paused",
            SandboxState::Resuming => "resuming",
            SandboxState::Unknown => "unknown",
        }
    }

    /// Whether a sandbox in this state has failed and will not reach another by itself:
    /// `error`, `build_failed` (what the official SDK stops waiting at).
    ///
    /// ```
    /// assert!(pj_daytona::SandboxState::Error.is_failed());
    /// assert!(!pj_daytona::SandboxState::Stopped.is_failed());
    /// ```
    pub fn is_failed(self) -> bool {
        matches!(self, SandboxState::Error | SandboxState::BuildFailed)
    }
}

impl std::fmt::Display for SandboxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What Daytona says about a sandbox (its `Sandbox` schema): the data behind a
/// [`Sandbox`](crate::Sandbox) handle. `Debug` lists the env's keys, never its values
/// (a user's keys travel in them).
///
/// ```
/// let sandbox: pj_daytona::SandboxInfo = serde_json::from_str(r#"{"id":"s1","organizationId":"o",
///     "name":"s1","user":"daytona","env":{"API_KEY":"sk-123"},"labels":{},"public":false,
///     "networkBlockAll":false,"target":"us","cpu":1,"gpu":0,"memory":1,"disk":3,"state":"started",
///     "toolboxProxyUrl":"http://127.0.0.1:1/toolbox"}"#).unwrap();
/// assert_eq!(sandbox.state, Some(pj_daytona::SandboxState::Started));
/// assert!(!format!("{sandbox:?}").contains("sk-123"));
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
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
    /// Environment variables (empty in a [`list`](crate::Sandboxes::list)'s items: Daytona
    /// leaves them out there).
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
    /// Auto-archive interval in minutes (0 = the maximum).
    #[serde(default)]
    pub auto_archive_interval: Option<f64>,
    /// Auto-delete interval in minutes (negative = off, 0 = as soon as it stops).
    #[serde(default)]
    pub auto_delete_interval: Option<f64>,
    /// The toolbox base URL (the SDK prepends it to `/{id}/process/execute`).
    #[serde(default)]
    pub toolbox_proxy_url: Option<String>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
}

impl fmt::Debug for SandboxInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxInfo")
            .field("id", &self.id)
            .field("organization_id", &self.organization_id)
            .field("name", &self.name)
            .field("snapshot", &self.snapshot)
            .field("user", &self.user)
            .field("env", &EnvKeys(&self.env))
            .field("labels", &self.labels)
            .field("public", &self.public)
            .field("target", &self.target)
            .field("cpu", &self.cpu)
            .field("gpu", &self.gpu)
            .field("memory", &self.memory)
            .field("disk", &self.disk)
            .field("state", &self.state)
            .field("error_reason", &self.error_reason)
            .field("auto_stop_interval", &self.auto_stop_interval)
            .field("auto_archive_interval", &self.auto_archive_interval)
            .field("auto_delete_interval", &self.auto_delete_interval)
            .field("toolbox_proxy_url", &self.toolbox_proxy_url)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// An env map in `Debug`: its keys, each value withheld.
struct EnvKeys<'a>(&'a BTreeMap<String, String>);

impl fmt::Debug for EnvKeys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.keys().map(|k| (k, format_args!("<withheld>")))).finish()
    }
}

/// The body of `POST /sandbox` (`CreateSandbox`). Unset fields are not sent. `Debug`
/// lists the env's keys, never its values.
///
/// ```
/// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1.0.0")
///     .env("A", "1")
///     .auto_stop_interval(0);
/// let json = serde_json::to_string(&request).unwrap();
/// assert_eq!(json, r#"{"snapshot":"app-v1.0.0","env":{"A":"1"},"labels":{},"autoStopInterval":0}"#);
/// ```
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
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
    /// CPU cores (the snapshot's when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// GPUs (the snapshot's when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<u32>,
    /// Memory in GB (the snapshot's when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
    /// Disk in GB (the snapshot's when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<u32>,
    /// Auto-stop interval in minutes (0 = off; server default 15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_stop_interval: Option<u32>,
    /// Auto-archive interval in minutes (0 = the maximum; server default 7 days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_archive_interval: Option<u32>,
    /// Auto-delete interval in minutes (negative = off, 0 = as soon as it stops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_delete_interval: Option<i32>,
}

impl fmt::Debug for CreateSandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateSandbox")
            .field("name", &self.name)
            .field("snapshot", &self.snapshot)
            .field("user", &self.user)
            .field("env", &EnvKeys(&self.env))
            .field("labels", &self.labels)
            .field("public", &self.public)
            .field("target", &self.target)
            .field("cpu", &self.cpu)
            .field("gpu", &self.gpu)
            .field("memory", &self.memory)
            .field("disk", &self.disk)
            .field("auto_stop_interval", &self.auto_stop_interval)
            .field("auto_archive_interval", &self.auto_archive_interval)
            .field("auto_delete_interval", &self.auto_delete_interval)
            .finish()
    }
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

    /// Sets the sandbox's name (Daytona uses the id when unset).
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1").name("build-42");
    /// assert_eq!(request.name.as_deref(), Some("build-42"));
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds an environment variable (its value never shows in `Debug`).
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1").env("OPENAI_API_KEY", "sk-...");
    /// assert!(request.env.contains_key("OPENAI_API_KEY"));
    /// assert!(!format!("{request:?}").contains("sk-"));
    /// ```
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(name.into(), value.into());
        self
    }

    /// Adds a label.
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1").label("team", "infra");
    /// assert_eq!(request.labels["team"], "infra");
    /// ```
    pub fn label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(name.into(), value.into());
        self
    }

    /// Sets the CPU cores, memory (GB) and disk (GB); the snapshot's own when unset.
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1").resources(1, 1, 3);
    /// assert_eq!((request.cpu, request.memory, request.disk), (Some(1), Some(1), Some(3)));
    /// ```
    pub fn resources(mut self, cpu: u32, memory: u32, disk: u32) -> Self {
        (self.cpu, self.memory, self.disk) = (Some(cpu), Some(memory), Some(disk));
        self
    }

    /// Sets the number of GPUs.
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1").gpu(1);
    /// assert_eq!(request.gpu, Some(1));
    /// ```
    pub fn gpu(mut self, gpus: u32) -> Self {
        self.gpu = Some(gpus);
        self
    }

    /// Sets the OS user the sandbox's processes run as.
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1").user("root");
    /// assert_eq!(request.user.as_deref(), Some("root"));
    /// ```
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Sets whether the sandbox's previews are open without a token.
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1").public(true);
    /// assert_eq!(request.public, Some(true));
    /// ```
    pub fn public(mut self, public: bool) -> Self {
        self.public = Some(public);
        self
    }

    /// Sets the auto-stop interval in minutes (0 = never stops by itself).
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1").auto_stop_interval(30);
    /// assert_eq!(request.auto_stop_interval, Some(30));
    /// ```
    pub fn auto_stop_interval(mut self, minutes: u32) -> Self {
        self.auto_stop_interval = Some(minutes);
        self
    }

    /// Sets the auto-archive interval in minutes (0 = the maximum).
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1").auto_archive_interval(60);
    /// assert_eq!(request.auto_archive_interval, Some(60));
    /// ```
    pub fn auto_archive_interval(mut self, minutes: u32) -> Self {
        self.auto_archive_interval = Some(minutes);
        self
    }

    /// Sets the auto-delete interval in minutes after the sandbox stops (negative = never,
    /// 0 = as soon as it stops).
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1").auto_delete_interval(-1);
    /// assert_eq!(request.auto_delete_interval, Some(-1));
    /// ```
    pub fn auto_delete_interval(mut self, minutes: i32) -> Self {
        self.auto_delete_interval = Some(minutes);
        self
    }

    /// Makes the sandbox ephemeral: deleted as soon as it stops. As the official SDKs'
    /// `ephemeral=True`, this is an auto-delete interval of 0 (replacing any other).
    ///
    /// ```
    /// let request = pj_daytona::CreateSandbox::from_snapshot("app-v1").ephemeral();
    /// assert_eq!(request.auto_delete_interval, Some(0));
    /// ```
    pub fn ephemeral(mut self) -> Self {
        self.auto_delete_interval = Some(0);
        self
    }
}

/// Daytona's filters for listing sandboxes (`GET /sandbox`, [`Sandboxes::list`](crate::Sandboxes::list)),
/// as the official SDK's `ListSandboxesQuery`. Unset filters are not sent; sandboxes must
/// match all that are set.
///
/// ```
/// use pj_daytona::{ListSandboxes, SandboxState};
/// let query = ListSandboxes::default().label("app", "pithy").state(SandboxState::Started).page_size(50);
/// assert_eq!(query.labels["app"], "pithy");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ListSandboxes {
    /// Sandboxes whose id starts with this (case-insensitive).
    pub id: Option<String>,
    /// Sandboxes whose name starts with this (case-insensitive).
    pub name: Option<String>,
    /// Sandboxes that carry all these labels.
    pub labels: BTreeMap<String, String>,
    /// Sandboxes in one of these states (all but `destroyed` when empty).
    pub states: Vec<SandboxState>,
    /// Sandboxes made from one of these snapshots (by name).
    pub snapshots: Vec<String>,
    /// Sandboxes in one of these regions.
    pub targets: Vec<String>,
    /// At least this many CPU cores.
    pub min_cpu: Option<u32>,
    /// At most this many CPU cores.
    pub max_cpu: Option<u32>,
    /// At least this much memory (GiB).
    pub min_memory_gib: Option<u32>,
    /// At most this much memory (GiB).
    pub max_memory_gib: Option<u32>,
    /// At least this much disk (GiB).
    pub min_disk_gib: Option<u32>,
    /// At most this much disk (GiB).
    pub max_disk_gib: Option<u32>,
    /// Public, or not.
    pub is_public: Option<bool>,
    /// Recoverable (from a runner's error), or not.
    pub is_recoverable: Option<bool>,
    /// Created after this time (ISO 8601, `2026-01-01T00:00:00Z`).
    pub created_at_after: Option<String>,
    /// Created before this time (ISO 8601).
    pub created_at_before: Option<String>,
    /// Last active after this time (ISO 8601).
    pub last_event_after: Option<String>,
    /// Last active before this time (ISO 8601).
    pub last_event_before: Option<String>,
    /// Also sandboxes in error that are being deleted.
    pub include_errored_deleted: bool,
    /// Sort field: `name`, `cpu`, `memoryGib`, `diskGib`, `lastActivityAt` or `createdAt`
    /// (the default).
    pub sort: Option<String>,
    /// `asc` or `desc` (the default).
    pub order: Option<String>,
    /// Sandboxes per page, 1 to 200 (server default 100).
    pub page_size: Option<u32>,
}

impl ListSandboxes {
    /// Only sandboxes carrying this label (with the others set).
    ///
    /// ```
    /// let query = pj_daytona::ListSandboxes::default().label("app", "pithy");
    /// assert_eq!(query.labels.len(), 1);
    /// ```
    pub fn label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(name.into(), value.into());
        self
    }

    /// Also sandboxes in `state` (the filter is the set of states given).
    ///
    /// ```
    /// let query = pj_daytona::ListSandboxes::default().state(pj_daytona::SandboxState::Stopped);
    /// assert_eq!(query.states, [pj_daytona::SandboxState::Stopped]);
    /// ```
    pub fn state(mut self, state: SandboxState) -> Self {
        self.states.push(state);
        self
    }

    /// Only sandboxes whose name starts with `prefix`.
    ///
    /// ```
    /// let query = pj_daytona::ListSandboxes::default().name("build-");
    /// assert_eq!(query.name.as_deref(), Some("build-"));
    /// ```
    pub fn name(mut self, prefix: impl Into<String>) -> Self {
        self.name = Some(prefix.into());
        self
    }

    /// Sandboxes per page (1 to 200); the stream reads the next page when this one is used up.
    ///
    /// ```
    /// let query = pj_daytona::ListSandboxes::default().page_size(20);
    /// assert_eq!(query.page_size, Some(20));
    /// ```
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// The query string, as the official SDK sends it: labels as one JSON object, each
    /// list as repeated keys.
    pub(crate) fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        let mut one = |key, value: Option<String>| {
            if let Some(value) = value {
                params.push((key, value));
            }
        };
        one("id", self.id.clone());
        one("name", self.name.clone());
        if !self.labels.is_empty() {
            one("labels", serde_json::to_string(&self.labels).ok());
        }
        one("minCpu", self.min_cpu.map(|v| v.to_string()));
        one("maxCpu", self.max_cpu.map(|v| v.to_string()));
        one("minMemoryGiB", self.min_memory_gib.map(|v| v.to_string()));
        one("maxMemoryGiB", self.max_memory_gib.map(|v| v.to_string()));
        one("minDiskGiB", self.min_disk_gib.map(|v| v.to_string()));
        one("maxDiskGiB", self.max_disk_gib.map(|v| v.to_string()));
        one("isPublic", self.is_public.map(|v| v.to_string()));
        one("isRecoverable", self.is_recoverable.map(|v| v.to_string()));
        one("createdAtAfter", self.created_at_after.clone());
        one("createdAtBefore", self.created_at_before.clone());
        one("lastEventAfter", self.last_event_after.clone());
        one("lastEventBefore", self.last_event_before.clone());
        one("includeErroredDeleted", self.include_errored_deleted.then(|| "true".to_owned()));
        one("sort", self.sort.clone());
        one("order", self.order.clone());
        one("limit", self.page_size.map(|v| v.to_string()));
        params.extend(self.states.iter().map(|s| ("states", s.as_str().to_owned())));
        params.extend(self.snapshots.iter().map(|s| ("snapshots", s.clone())));
        params.extend(self.targets.iter().map(|s| ("regionIds", s.clone())));
        params
    }
}

/// One page of `GET /sandbox` (`ListSandboxesResponse`): the sandboxes and the cursor of
/// the next page (`None` on the last).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SandboxPage {
    #[serde(default)]
    pub(crate) items: Vec<SandboxInfo>,
    #[serde(default)]
    pub(crate) next_cursor: Option<String>,
}

/// The answer of `PUT /sandbox/{id}/labels` (`SandboxLabels`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Labels {
    pub(crate) labels: BTreeMap<String, String>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_never_show_in_debug() {
        let request = CreateSandbox::from_snapshot("app-v1").env("OPENAI_API_KEY", "sk-secret-value");
        let shown = format!("{request:?} {request:#?}");
        assert!(shown.contains("OPENAI_API_KEY"), "the keys are listed: {shown}");
        assert!(!shown.contains("sk-secret-value"), "a value leaked: {shown}");

        let info: SandboxInfo = serde_json::from_value(serde_json::json!({
            "id": "s1", "env": {"ANTHROPIC_API_KEY": "sk-ant-secret", "A": "visible?"}, "state": "started"
        }))
        .expect("a sandbox");
        let shown = format!("{info:?} {info:#?}");
        assert!(shown.contains("ANTHROPIC_API_KEY") && shown.contains("\"A\""), "{shown}");
        assert!(!shown.contains("sk-ant-secret") && !shown.contains("visible?"), "a value leaked: {shown}");
    }

    #[test]
    fn list_filters_are_sent_as_the_sdk_sends_them() {
        let mut query = ListSandboxes::default()
            .label("app", "pithy")
            .state(SandboxState::Started)
            .state(SandboxState::Stopped)
            .page_size(20);
        query.min_cpu = Some(1);
        query.is_public = Some(false);
        let params = query.params();
        let get =
            |key: &str| params.iter().filter(|(k, _)| *k == key).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        assert_eq!(get("labels"), [r#"{"app":"pithy"}"#]);
        assert_eq!(get("states"), ["started", "stopped"]);
        assert_eq!(get("limit"), ["20"]);
        assert_eq!(get("minCpu"), ["1"]);
        assert_eq!(get("isPublic"), ["false"]);
        assert!(get("includeErroredDeleted").is_empty(), "false is the server's default");
        assert!(ListSandboxes::default().params().is_empty());
    }

    #[test]
    fn sandbox_states_print_their_wire_names() {
        for state in [SandboxState::BuildFailed, SandboxState::PendingBuild, SandboxState::Started] {
            let wire = serde_json::to_value(state).expect("a state");
            assert_eq!(wire, state.as_str());
            assert_eq!(state.to_string(), state.as_str());
        }
    }
}
