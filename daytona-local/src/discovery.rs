//! One server per state directory: a lock held while a server runs, and `server.json`
//! saying where it listens, so that other processes find it instead of starting a
//! second server on the same state.
//!
//! The lock (`server.lock`, an advisory file lock) is what proves a server is alive: the
//! kernel releases it when the process ends, however it ends. `server.json` is removed
//! on a clean shutdown; one left by a crash is stale and is ignored, since nobody holds
//! the lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{BuildMode, Identity};
use pj_daytona::ClientBuilder;
use pj_daytona::Secret;

const LOCK_FILE: &str = "server.lock";
const INFO_FILE: &str = "server.json";

/// What `server.json` holds (no secret: the key stays in `identity.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerInfo {
    pub(crate) url: String,
    pub(crate) storage_url: String,
    pub(crate) pid: u32,
    pub(crate) build_mode: String,
    pub(crate) standalone: bool,
}

/// The state directory, held by a running server: removes `server.json`, then releases
/// the lock, when dropped.
#[derive(Debug)]
pub(crate) struct Claim {
    dir: PathBuf,
    _lock: File,
}

impl Claim {
    /// Takes the state directory's lock, or says which server holds it.
    pub(crate) fn take(dir: &Path) -> io::Result<Claim> {
        let lock = open_lock(dir)?;
        match lock.try_lock() {
            Ok(()) => Ok(Claim { dir: dir.to_path_buf(), _lock: lock }),
            Err(TryLockError::WouldBlock) => {
                let who = match read_info(dir) {
                    Some(info) => format!("pid {}, at {}", info.pid, info.url),
                    None => "it is starting or stopping".to_owned(),
                };
                Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!(
                        "another local Daytona server is using the state directory {} ({who}); use that one, or stop it first",
                        dir.display()
                    ),
                ))
            }
            Err(TryLockError::Error(e)) => Err(e),
        }
    }

    /// Writes `server.json` (atomically: a temporary file renamed).
    pub(crate) fn announce(&self, info: &ServerInfo) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(info).map_err(io::Error::other)?;
        let tmp = self.dir.join("server.json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(tmp, self.dir.join(INFO_FILE))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.dir.join(INFO_FILE));
    }
}

fn open_lock(dir: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).truncate(false).write(true).open(dir.join(LOCK_FILE))
}

fn read_info(dir: &Path) -> Option<ServerInfo> {
    std::fs::read(dir.join(INFO_FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

/// A local Daytona server found running on a state directory, by [`discover`].
///
/// ```no_run
/// # fn demo() -> std::io::Result<()> {
/// if let Some(running) = pj_daytona_local::discover("target/pithy-local".as_ref())? {
///     println!("export DAYTONA_API_URL={}", running.url);
///     let client = running.client_builder().build();
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct RunningServer {
    /// The API base URL (`http://127.0.0.1:<port>/api`).
    pub url: String,
    /// The S3 endpoint.
    pub storage_url: String,
    /// The server's process id.
    pub pid: u32,
    /// Its build mode.
    pub build_mode: BuildMode,
    /// Whether it serves other processes until stopped (`cargo xtask local`,
    /// `daytona-local`), rather than being embedded in a command that will soon end.
    pub standalone: bool,
    api_key: Secret,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("url", &self.url)
            .field("storage_url", &self.storage_url)
            .field("pid", &self.pid)
            .field("build_mode", &self.build_mode)
            .field("standalone", &self.standalone)
            .field("api_key", &self.api_key)
            .finish()
    }
}

impl RunningServer {
    /// Its API key (saved in the state directory, so it is the same after a restart).
    ///
    /// ```no_run
    /// # fn demo(running: &pj_daytona_local::RunningServer) {
    /// let key: &str = running.api_key().expose();
    /// # }
    /// ```
    pub fn api_key(&self) -> &Secret {
        &self.api_key
    }

    /// A [`ClientBuilder`] pointed at it with its API key.
    ///
    /// ```no_run
    /// # fn demo(running: &pj_daytona_local::RunningServer) -> Result<(), pj_daytona::Error> {
    /// let client = running.client_builder().build()?;
    /// # Ok(()) }
    /// ```
    pub fn client_builder(&self) -> ClientBuilder {
        ClientBuilder::new().api_key(self.api_key.clone()).api_url(self.url.clone())
    }
}

/// The local server running on `state_dir`, if one is: its lock is held and it has
/// written `server.json` (waited for up to 5 s while it starts). A `server.json` that
/// nobody's lock backs is stale and ignored. Fails only when the directory cannot be
/// read, or a server holds it without saying where it listens.
///
/// ```no_run
/// # fn demo() -> std::io::Result<()> {
/// match pj_daytona_local::discover("target/pithy-local".as_ref())? {
///     Some(running) => println!("a server runs at {} (pid {})", running.url, running.pid),
///     None => println!("none is running; start one with `cargo xtask local`"),
/// }
/// # Ok(()) }
/// ```
pub fn discover(state_dir: &Path) -> io::Result<Option<RunningServer>> {
    if !state_dir.join(LOCK_FILE).is_file() {
        return Ok(None);
    }
    let lock = open_lock(state_dir)?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match lock.try_lock() {
            // Nobody holds it: no server, whatever server.json says.
            Ok(()) => return Ok(None),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(e),
        }
        if let Some(info) = read_info(state_dir) {
            let identity: Identity = std::fs::read(state_dir.join("identity.json"))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{} is missing or unreadable", state_dir.join("identity.json").display()),
                    )
                })?;
            return Ok(Some(RunningServer {
                url: info.url,
                storage_url: info.storage_url,
                pid: info.pid,
                build_mode: info.build_mode.parse().unwrap_or_default(),
                standalone: info.standalone,
                api_key: Secret::new(identity.api_key),
            }));
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "a local Daytona server holds {} but has not said where it listens ({} is missing)",
                    state_dir.display(),
                    state_dir.join(INFO_FILE).display()
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
