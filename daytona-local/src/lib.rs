//! # pj-daytona-local: a small, real Daytona for tests and offline use
//!
//! [`LocalDaytona`] serves, on loopback only:
//! - the API endpoints pithy uses, with Daytona's JSON shapes, statuses and error bodies
//!   (`docs/daytona-contract.md` §4-§5, §8), behind API-key (or JWT + organization) auth;
//! - an S3 endpoint for build contexts: [s3s] verifying SigV4 signatures over [s3s-fs],
//!   accepting only the temporary credentials handed out by push access, with their
//!   session token, inside the organization's prefix;
//! - builds like Daytona's runner: every context hash must be in storage, every `COPY`
//!   source inside the union of the context tars; then a real `docker build` of the
//!   runner's build context, tagged with the build key. [`BuildMode`] decides, per build:
//!   `Auto` builds when the engine answers and has the base images locally (no registry
//!   is used), else only checks; a checked-only snapshot says so (build log,
//!   `checkedOnly`) and no sandbox is created from it. It never pretends.
//! - sandboxes as `docker run` of a snapshot's image (with their cpu and memory limits,
//!   their state kept to the container's), and the toolbox (process, sessions, files,
//!   git, ports, previews) in the container as the sandbox's user; every operation of
//!   Daytona's specifications that it does not implement answers 501 naming it
//!   ([`operations`]).
//!
//! State (snapshots, sandboxes, build logs, objects) lives in a directory, so a restart
//! keeps it. One server at a time runs on a directory: it holds the directory's lock
//! and writes `server.json`, which [`discover`] reads (`cargo xtask snapshot --local`
//! uses a running `cargo xtask local` this way).
//!
//! With the `testing` feature (tests only; `cargo xtask local` and `daytona-local` never
//! enable it), faults can be injected per route (`Faults`) and every request is logged
//! (`LocalDaytona::requests`).
//!
//! ```
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use pj_daytona::{CreateBuildInfo, CreateSnapshot};
//! use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};
//!
//! let state = tempfile::tempdir()?;
//! let config = ServerConfig::new(state.path()).build_mode(BuildMode::CheckOnly);
//! let server = LocalDaytona::start(config).await?;
//! let client = server.client_builder().build()?;
//!
//! let request = CreateSnapshot::build("demo-v1.0.0", CreateBuildInfo::new("FROM alpine:3.20\n", [""; 0]));
//! client.snapshots().create(&request).await?;
//! assert_eq!(client.snapshots().get("demo-v1.0.0").await?.name, "demo-v1.0.0");
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! [s3s]: https://docs.rs/s3s
//! [s3s-fs]: https://docs.rs/s3s-fs

mod api;
mod assemble;
mod build;
mod discovery;
mod docker;
mod lifecycle;
mod observe;
mod quotas;
mod s3;
mod secrets;
mod state;
#[cfg(feature = "testing")]
mod testing;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use api::operations::{Operation, Spec, implemented_operations, operations, operations_source};
pub use build::build_decision;
pub use discovery::{RunningServer, discover};
pub use quotas::Quotas;
#[cfg(feature = "testing")]
pub use testing::{Fault, Faults, RequestRecord, Route};

use observe::Listener;
use pj_daytona::ClientBuilder;
use pj_daytona::Secret;
use pj_daytona::SnapshotState;
use state::{Store, uuid};
#[cfg(feature = "testing")]
use testing::RequestLog;

/// How the server turns a snapshot's build into an image.
///
/// Whatever the mode, a snapshot that was checked but not built says so: its build log
/// ends with "checked, not built" and the reason, its DTO carries `checkedOnly` (see
/// [`Snapshot::checked_only`](pj_daytona::Snapshot::checked_only)), and creating a sandbox
/// from it is refused with a 400 that says how to get a real build.
///
/// ```
/// use pj_daytona_local::BuildMode;
/// assert_eq!("auto".parse::<BuildMode>(), Ok(BuildMode::Auto));
/// assert_eq!(BuildMode::CheckOnly.to_string(), "check");
/// assert!("fast".parse::<BuildMode>().unwrap_err().contains("auto, docker or check"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildMode {
    /// Decided per build: `docker build` when the engine is reachable and already has
    /// every base image of the Dockerfile's `FROM` lines (the local server pulls from no
    /// registry), else the runner's checks only, with the reason in the build log.
    #[default]
    Auto,
    /// Run the runner's checks, then `docker build` on this machine's engine. Without a
    /// reachable engine, builds end in `build_failed` with an `errorReason` that says so.
    Docker,
    /// Run the runner's checks only, and mark the snapshot `active` without an image
    /// (the build log says so). For fast protocol tests; sandboxes cannot run.
    CheckOnly,
}

impl BuildMode {
    /// The name used by the command-line flags (`auto`, `docker`, `check`).
    ///
    /// ```
    /// assert_eq!(pj_daytona_local::BuildMode::Docker.as_str(), "docker");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            BuildMode::Auto => "auto",
            BuildMode::Docker => "docker",
            BuildMode::CheckOnly => "check",
        }
    }
}

impl fmt::Display for BuildMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for BuildMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(BuildMode::Auto),
            "docker" => Ok(BuildMode::Docker),
            "check" | "check-only" => Ok(BuildMode::CheckOnly),
            other => Err(format!("unknown build mode {other:?}: use auto, docker or check")),
        }
    }
}

/// The configuration of a [`LocalDaytona`].
///
/// ```
/// let config = pj_daytona_local::ServerConfig::new("/tmp/daytona-local")
///     .api_key("dtn_local_test")
///     .build_mode(pj_daytona_local::BuildMode::CheckOnly);
/// assert_eq!(config.port, 0);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Where state lives (created if missing).
    pub state_dir: PathBuf,
    /// The API key; `None`: the one saved in the state directory, or a new random one.
    pub api_key: Option<Secret>,
    /// A JWT that is accepted too, with `X-Daytona-Organization-ID` naming the
    /// organization.
    pub jwt: Option<Secret>,
    /// The API port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// The S3 port on 127.0.0.1 (0: any free port).
    pub s3_port: u16,
    /// How builds are done.
    pub build_mode: BuildMode,
    /// The longest a `docker build` may take.
    pub build_timeout: Duration,
    /// The least time a build stays `building` (default 0), so that pollers like the
    /// official SDK (one request a second) see the state and follow the build log.
    pub min_build_time: Duration,
    /// How long a deleted snapshot stays `removing` before it is gone (default 300 ms), as
    /// Daytona's do while the runners drop the image.
    pub removal_time: Duration,
    /// The organization's limits (Daytona's defaults for a new organization).
    pub quotas: Quotas,
    /// The default region (`regionIds` of snapshots, `target` of sandboxes).
    pub region: String,
    /// Whether it serves other processes until stopped (`cargo xtask local`,
    /// `daytona-local`). Written to `server.json`, so that `cargo xtask snapshot --local`
    /// uses such a server instead of starting its own; an embedded server (`false`, the
    /// default) lives only as long as its command.
    pub standalone: bool,
    /// Print a line per request to stderr (method, path, status; never a credential).
    pub log_requests: bool,
    /// How long one minute of the sandboxes' `autoStopInterval`, `autoArchiveInterval` and
    /// `autoDeleteInterval` lasts (default: a minute, as in Daytona); `None`: idle sandboxes
    /// are never stopped, archived or deleted (the intervals are kept and shown). Tests make
    /// it short to see a sandbox stop.
    pub lifecycle_minute: Option<Duration>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("state_dir", &self.state_dir)
            .field("api_key", &self.api_key)
            .field("jwt", &self.jwt)
            .field("port", &self.port)
            .field("s3_port", &self.s3_port)
            .field("build_mode", &self.build_mode)
            .field("build_timeout", &self.build_timeout)
            .field("min_build_time", &self.min_build_time)
            .field("removal_time", &self.removal_time)
            .field("quotas", &self.quotas)
            .field("region", &self.region)
            .field("standalone", &self.standalone)
            .field("log_requests", &self.log_requests)
            .field("lifecycle_minute", &self.lifecycle_minute)
            .finish()
    }
}

impl ServerConfig {
    /// Defaults: any free ports, [`BuildMode::Auto`] (30 minutes at most per build),
    /// region `us`, embedded (not standalone).
    ///
    /// ```
    /// let config = pj_daytona_local::ServerConfig::new("state");
    /// assert_eq!(config.region, "us");
    /// ```
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        ServerConfig {
            state_dir: state_dir.into(),
            api_key: None,
            jwt: None,
            port: 0,
            s3_port: 0,
            build_mode: BuildMode::Auto,
            build_timeout: Duration::from_secs(30 * 60),
            min_build_time: Duration::ZERO,
            removal_time: Duration::from_millis(300),
            quotas: Quotas::default(),
            region: "us".to_owned(),
            standalone: false,
            log_requests: false,
            lifecycle_minute: Some(Duration::from_secs(60)),
        }
    }

    /// Sets how long one minute of the sandboxes' idle intervals lasts (see
    /// [`lifecycle_minute`](Self::lifecycle_minute)); `None` turns auto-stop, auto-archive
    /// and auto-delete off.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = pj_daytona_local::ServerConfig::new("state").lifecycle_minute(Some(Duration::from_millis(100)));
    /// assert_eq!(config.lifecycle_minute, Some(Duration::from_millis(100)));
    /// ```
    pub fn lifecycle_minute(mut self, minute: Option<Duration>) -> Self {
        self.lifecycle_minute = minute;
        self
    }

    /// Prints a line per request to stderr (see [`log_requests`](Self::log_requests)).
    ///
    /// ```
    /// let config = pj_daytona_local::ServerConfig::new("state").log_requests(true);
    /// assert!(config.log_requests);
    /// ```
    pub fn log_requests(mut self, log: bool) -> Self {
        self.log_requests = log;
        self
    }

    /// Marks it as a standalone server that other processes may use (see
    /// [`standalone`](Self::standalone)).
    ///
    /// ```
    /// let config = pj_daytona_local::ServerConfig::new("state").standalone(true);
    /// assert!(config.standalone);
    /// ```
    pub fn standalone(mut self, standalone: bool) -> Self {
        self.standalone = standalone;
        self
    }

    /// Sets the API key.
    ///
    /// ```
    /// let config = pj_daytona_local::ServerConfig::new("state").api_key("k");
    /// # let _ = config;
    /// ```
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Also accept this JWT (with the organization header).
    ///
    /// ```
    /// let config = pj_daytona_local::ServerConfig::new("state").jwt("eyJ");
    /// # let _ = config;
    /// ```
    pub fn jwt(mut self, jwt: impl Into<Secret>) -> Self {
        self.jwt = Some(jwt.into());
        self
    }

    /// Sets the build mode.
    ///
    /// ```
    /// let config = pj_daytona_local::ServerConfig::new("state").build_mode(pj_daytona_local::BuildMode::CheckOnly);
    /// # let _ = config;
    /// ```
    pub fn build_mode(mut self, mode: BuildMode) -> Self {
        self.build_mode = mode;
        self
    }

    /// Sets the least time a build stays `building`.
    ///
    /// ```
    /// let config = pj_daytona_local::ServerConfig::new("state").min_build_time(std::time::Duration::from_secs(3));
    /// # let _ = config;
    /// ```
    pub fn min_build_time(mut self, at_least: Duration) -> Self {
        self.min_build_time = at_least;
        self
    }

    /// Sets how long a deleted snapshot stays `removing`.
    ///
    /// ```
    /// let config = pj_daytona_local::ServerConfig::new("state").removal_time(std::time::Duration::from_secs(2));
    /// # let _ = config;
    /// ```
    pub fn removal_time(mut self, removing_for: Duration) -> Self {
        self.removal_time = removing_for;
        self
    }

    /// Sets the organization's limits (see [`Quotas`]).
    ///
    /// ```
    /// let mut quotas = pj_daytona_local::Quotas::default();
    /// quotas.total_memory = 64;
    /// let config = pj_daytona_local::ServerConfig::new("state").quotas(quotas);
    /// assert_eq!(config.quotas.total_memory, 64);
    /// ```
    pub fn quotas(mut self, quotas: Quotas) -> Self {
        self.quotas = quotas;
        self
    }

    /// Sets the ports (0: any free port).
    ///
    /// ```
    /// let config = pj_daytona_local::ServerConfig::new("state").ports(3000, 3001);
    /// # let _ = config;
    /// ```
    pub fn ports(mut self, api: u16, s3: u16) -> Self {
        self.port = api;
        self.s3_port = s3;
        self
    }
}

/// Identity saved in the state directory, so a restart keeps the key and organization.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identity {
    api_key: String,
    organization_id: String,
}

/// What the handlers share.
pub(crate) struct Shared {
    store: Store,
    #[cfg(feature = "testing")]
    faults: Faults,
    #[cfg(feature = "testing")]
    log: RequestLog,
    credentials: Arc<s3::CredentialStore>,
    api_key: Secret,
    jwt: Option<Secret>,
    organization_id: String,
    region: String,
    s3_region: String,
    bucket: String,
    s3_root: PathBuf,
    builds_dir: PathBuf,
    mode: BuildMode,
    log_requests: bool,
    build_timeout: Duration,
    min_build_time: Duration,
    removal_time: Duration,
    quotas: Quotas,
    base_url: String,
    storage_url: String,
    docker: tokio::sync::Mutex<Option<docker::DockerStatus>>,
    lifecycle: lifecycle::Lifecycle,
    shutdown: watch::Receiver<bool>,
    /// The listeners of the preview URLs handed out (`api/preview`).
    previews: api::preview::Previews,
    /// The toolbox's process sessions (in memory, as Daytona's daemon keeps them; their
    /// command logs under `sessions/` in the state directory).
    sessions: Arc<api::toolbox::session::Sessions>,
}

impl Shared {
    /// The engine's status: checked at startup, re-checked while unreachable.
    async fn docker_status(&self) -> docker::DockerStatus {
        let mut cached = self.docker.lock().await;
        match &*cached {
            Some(status) if status.available => status.clone(),
            _ => {
                let status = docker::detect().await;
                *cached = Some(status.clone());
                status
            }
        }
    }

    fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }
}

/// A running local Daytona; stops on [`shutdown`](Self::shutdown) (or when dropped,
/// less gracefully).
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let server = pj_daytona_local::LocalDaytona::start(pj_daytona_local::ServerConfig::new(dir.path())).await?;
/// println!("DAYTONA_API_URL={}", server.url());
/// server.shutdown().await;
/// # Ok(()) }
/// ```
pub struct LocalDaytona {
    shared: Arc<Shared>,
    url: String,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// Held while it runs: no second server on the same state directory.
    claim: Option<discovery::Claim>,
}

impl fmt::Debug for LocalDaytona {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalDaytona")
            .field("url", &self.url)
            .field("storage_url", &self.shared.storage_url)
            .field("api_key", &self.shared.api_key)
            .field("organization_id", &self.shared.organization_id)
            .field("build_mode", &self.shared.mode)
            .finish_non_exhaustive()
    }
}

/// The bucket contexts go to (the SDK's default bucket name).
pub const BUCKET: &str = "daytona-volume-builds";

impl LocalDaytona {
    /// Starts the server: claims the state directory (fails, naming the other server,
    /// when one already runs on it), binds both listeners on 127.0.0.1, writes
    /// `server.json` (see [`discover`]), checks the Docker engine and resumes builds
    /// that a previous run left unfinished.
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// let server = pj_daytona_local::LocalDaytona::start(pj_daytona_local::ServerConfig::new("state")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start(config: ServerConfig) -> std::io::Result<LocalDaytona> {
        let dir = config.state_dir.clone();
        std::fs::create_dir_all(&dir)?;
        let claim = discovery::Claim::take(&dir)?;
        let identity = load_identity(&dir, config.api_key.as_ref())?;
        let store = Store::open(&dir)?;
        let s3_root = dir.join("s3");
        let builds_dir = dir.join("builds");
        std::fs::create_dir_all(&builds_dir)?;

        let api_listener = bind(config.port, "API").await?;
        let s3_listener = bind(config.s3_port, "S3").await?;
        let base_url = format!("http://{}", api_listener.local_addr()?);
        let storage_url = format!("http://{}", s3_listener.local_addr()?);
        let credentials = Arc::new(s3::CredentialStore::default());
        let s3_service = s3::service(&s3_root, BUCKET, credentials.clone())?;
        let (stop, shutdown) = watch::channel(false);

        let docker = match config.build_mode {
            BuildMode::Docker | BuildMode::Auto => Some(docker::detect().await),
            BuildMode::CheckOnly => None,
        };
        if let Some(status) =
            docker.as_ref().filter(|s| !s.available && config.build_mode == BuildMode::Docker)
        {
            eprintln!(
                "daytona-local: no Docker engine is reachable ({}); builds will fail until one is",
                status.detail
            );
        }
        let shared = Arc::new(Shared {
            store,
            #[cfg(feature = "testing")]
            faults: Faults::default(),
            #[cfg(feature = "testing")]
            log: RequestLog::default(),
            credentials,
            api_key: Secret::new(identity.api_key),
            jwt: config.jwt.clone(),
            organization_id: identity.organization_id,
            region: config.region.clone(),
            s3_region: "us-east-1".to_owned(),
            bucket: BUCKET.to_owned(),
            s3_root,
            builds_dir,
            mode: config.build_mode,
            log_requests: config.log_requests,
            build_timeout: config.build_timeout,
            min_build_time: config.min_build_time,
            removal_time: config.removal_time,
            quotas: config.quotas,
            base_url: base_url.clone(),
            storage_url,
            docker: tokio::sync::Mutex::new(docker),
            lifecycle: lifecycle::Lifecycle::default(),
            shutdown: shutdown.clone(),
            previews: api::preview::Previews::default(),
            sessions: Arc::new(api::toolbox::session::Sessions::new(dir.join("sessions"))),
        });

        let api = api::router(shared.clone())
            .layer(axum::middleware::from_fn_with_state((shared.clone(), Listener::Api), observe::observe));
        let s3_router = axum::Router::new()
            .fallback(s3::handle)
            .with_state(s3_service)
            .layer(axum::middleware::from_fn_with_state((shared.clone(), Listener::S3), observe::observe));
        let mut tasks =
            vec![serve(api_listener, api, shutdown.clone()), serve(s3_listener, s3_router, shutdown)];
        // Sandboxes: the records against the engine before the first request is answered,
        // then kept to it, and idle ones stopped on their intervals.
        if config.build_mode != BuildMode::CheckOnly {
            let reconciled = match shared.docker_status().await.available {
                true => lifecycle::reconcile::at_start(&shared).await,
                false => Err("no Docker engine is reachable".to_owned()),
            };
            if let Err(e) = &reconciled {
                eprintln!(
                    "daytona-local: the sandboxes' states were not checked against Docker ({e}); will retry"
                );
            }
            tasks.push(tokio::spawn(lifecycle::reconcile::watch(shared.clone(), reconciled.is_ok())));
            if let Some(minute) = config.lifecycle_minute {
                tasks.push(tokio::spawn(lifecycle::autostop::run(shared.clone(), minute)));
            }
        }

        // Builds a previous run left unfinished start again.
        let unfinished: Vec<(String, SnapshotState)> = shared.store.read(|d| {
            d.snapshots
                .iter()
                .filter(|s| {
                    matches!(
                        s.state,
                        SnapshotState::Pending | SnapshotState::Building | SnapshotState::Pulling
                    )
                })
                .map(|s| (s.id.clone(), s.state))
                .collect()
        });
        for (id, _) in unfinished {
            // Reported, not fatal: the build's end checks the log (`Store::sync_log`).
            if let Err(e) = shared.store.append_log(&id, "(local server) restarted; building again\n") {
                eprintln!("daytona-local: could not write the build log of {id}: {e}");
            }
            tokio::spawn(build::run(shared.clone(), id));
        }
        let url = format!("{base_url}/api");
        claim.announce(&discovery::ServerInfo {
            url: url.clone(),
            storage_url: shared.storage_url.clone(),
            pid: std::process::id(),
            build_mode: config.build_mode.as_str().to_owned(),
            standalone: config.standalone,
        })?;
        Ok(LocalDaytona { shared, url, stop, tasks, claim: Some(claim) })
    }

    /// The API base URL (`http://127.0.0.1:<port>/api`), for `DAYTONA_API_URL`.
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// assert!(server.url().ends_with("/api"));
    /// # }
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The API key (the local server's own; tests pass it to clients).
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// let key = server.api_key();
    /// # }
    /// ```
    pub fn api_key(&self) -> &str {
        self.shared.api_key.expose()
    }

    /// The S3 endpoint (`http://127.0.0.1:<port>`), as push access hands it out.
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// assert!(server.storage_url().starts_with("http://127.0.0.1:"));
    /// # }
    /// ```
    pub fn storage_url(&self) -> &str {
        &self.shared.storage_url
    }

    /// The organization every request acts in.
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// let org = server.organization_id();
    /// # }
    /// ```
    pub fn organization_id(&self) -> &str {
        &self.shared.organization_id
    }

    /// The state directory's S3 root: objects are files at `<root>/<bucket>/<key>`.
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// let tar = server.object_path("0062767e43a7b98b63a594b2504ce32c");
    /// # }
    /// ```
    pub fn object_path(&self, hash: &str) -> PathBuf {
        self.shared
            .s3_root
            .join(BUCKET)
            .join(self.shared.organization_id.as_str())
            .join(hash)
            .join("context.tar")
    }

    /// A [`ClientBuilder`] pointed at this server with its API key.
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) -> Result<(), pj_daytona::Error> {
    /// let client = server.client_builder().build()?;
    /// # Ok(()) }
    /// ```
    pub fn client_builder(&self) -> ClientBuilder {
        ClientBuilder::new().api_key(self.shared.api_key.clone()).api_url(self.url.clone())
    }

    /// The fault controls.
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// server.faults().fail_next(pj_daytona_local::Route::CreateSnapshot, 1, 500);
    /// # }
    /// ```
    #[cfg(feature = "testing")]
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Every request received so far (oldest first).
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// for record in server.requests() { println!("{} {}", record.method, record.path); }
    /// # }
    /// ```
    #[cfg(feature = "testing")]
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.log.snapshot()
    }

    /// Every storage secret and session token push access has issued (still valid), for
    /// tests that check no output shows them.
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona, output: &str) {
    /// for (secret, token) in server.issued_storage_secrets() {
    ///     assert!(!output.contains(&secret) && !output.contains(&token));
    /// }
    /// # }
    /// ```
    #[cfg(feature = "testing")]
    pub fn issued_storage_secrets(&self) -> Vec<(String, String)> {
        self.shared.credentials.all()
    }

    /// How many requests of `route` were received.
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// assert_eq!(server.count(pj_daytona_local::Route::S3Put), 0);
    /// # }
    /// ```
    #[cfg(feature = "testing")]
    pub fn count(&self, route: Route) -> usize {
        self.shared.log.snapshot().iter().filter(|r| r.route == route).count()
    }

    /// Forgets the requests received so far.
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// server.clear_requests();
    /// # }
    /// ```
    #[cfg(feature = "testing")]
    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Sets the state of a snapshot (by id or name) directly, as Daytona does over
    /// time (an unused snapshot going `inactive`). Returns whether it exists (and the
    /// change was saved).
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// server.set_snapshot_state("app-v1.0.0", pj_daytona::SnapshotState::Inactive);
    /// # }
    /// ```
    #[cfg(feature = "testing")]
    pub fn set_snapshot_state(&self, id_or_name: &str, state: SnapshotState) -> bool {
        self.shared
            .store
            .write(|d| {
                let id = d.snapshot(id_or_name).map(|s| s.id.clone());
                match id.and_then(|id| d.snapshot_mut_by_id(&id)) {
                    Some(s) => {
                        s.state = state;
                        s.updated_at = state::now_iso();
                        true
                    }
                    None => false,
                }
            })
            .unwrap_or_else(|e| {
                eprintln!("daytona-local: {e}");
                false
            })
    }

    /// Makes the next `n` commits of the state fail, as a full disk would: the requests
    /// that change state answer 500 with the reason, and nothing of them is kept.
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// server.fail_next_state_writes(1);
    /// # }
    /// ```
    #[cfg(feature = "testing")]
    pub fn fail_next_state_writes(&self, n: usize) {
        self.shared.store.fail_next_commits(n);
    }

    /// How it builds.
    ///
    /// ```no_run
    /// # fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// println!("builds: {}", server.build_mode());
    /// # }
    /// ```
    pub fn build_mode(&self) -> BuildMode {
        self.shared.mode
    }

    /// Whether a Docker engine answered (always `false` in [`BuildMode::CheckOnly`]).
    ///
    /// ```no_run
    /// # async fn demo(server: &pj_daytona_local::LocalDaytona) {
    /// if !server.docker_available().await { eprintln!("builds will fail"); }
    /// # }
    /// ```
    pub async fn docker_available(&self) -> bool {
        self.shared.mode != BuildMode::CheckOnly && self.shared.docker_status().await.available
    }

    /// Stops both listeners and any open log stream (waiting up to 5 s for open
    /// connections).
    ///
    /// ```no_run
    /// # async fn demo(server: pj_daytona_local::LocalDaytona) {
    /// server.shutdown().await;
    /// # }
    /// ```
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for LocalDaytona {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
        // Removes server.json and releases the state directory.
        drop(self.claim.take());
    }
}

/// Binds 127.0.0.1:`port`, saying which listener could not.
async fn bind(port: u16, what: &str) -> std::io::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse { "; choose another port" } else { "" };
        std::io::Error::new(e.kind(), format!("cannot listen on 127.0.0.1:{port} for the {what}: {e}{hint}"))
    })
}

fn serve(listener: TcpListener, router: axum::Router, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let signal = async move {
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(signal).await {
            eprintln!("daytona-local: server error: {e}");
        }
    })
}

/// Writes a file that holds a secret: created readable by its owner only (a temporary file
/// is created with mode 0600, then renamed over `path`), so it is never readable by
/// others, not even between a write and a chmod.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = tempfile::NamedTempFile::new_in(path.parent().unwrap_or(Path::new(".")))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The saved identity (with `api_key` instead of its key when given), or a new one: a key
/// of 40 characters from the OS's CSPRNG and a new organization id. An unreadable
/// `identity.json` is an error, never silently replaced by a new key.
fn load_identity(dir: &Path, api_key: Option<&Secret>) -> std::io::Result<Identity> {
    let path = dir.join("identity.json");
    let saved: Option<Identity> = match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not a saved identity ({e}); remove it for a new API key", path.display()),
            )
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let identity = match saved {
        Some(mut identity) => {
            if let Some(key) = api_key {
                identity.api_key = key.expose().to_owned();
            }
            identity
        }
        None => Identity {
            api_key: match api_key {
                Some(key) => key.expose().to_owned(),
                None => format!(
                    "dtn_local_{}",
                    secrets::random_string(40, secrets::API_KEY_ALPHABET).map_err(std::io::Error::other)?
                ),
            },
            organization_id: uuid(),
        },
    };
    let json = serde_json::to_vec_pretty(&identity).map_err(std::io::Error::other)?;
    write_private(&path, &json)?;
    Ok(identity)
}
