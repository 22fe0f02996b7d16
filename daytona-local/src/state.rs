//! The server's persistent state: snapshots and sandboxes in `state.json`, build logs
//! in `logs/`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use pj_daytona::SnapshotState;

/// A snapshot as stored, serialised exactly as Daytona's `SnapshotDto`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SnapshotRecord {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) general: bool,
    pub(crate) name: String,
    pub(crate) image_name: String,
    pub(crate) state: SnapshotState,
    pub(crate) size: Option<f64>,
    pub(crate) entrypoint: Option<Vec<String>>,
    pub(crate) cpu: u32,
    pub(crate) gpu: u32,
    pub(crate) mem: u32,
    pub(crate) disk: u32,
    pub(crate) error_reason: Option<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) last_used_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) build_info: Option<BuildInfoRecord>,
    pub(crate) region_ids: Vec<String>,
    pub(crate) initial_runner_id: Option<String>,
    #[serde(rename = "ref")]
    pub(crate) image_ref: Option<String>,
    pub(crate) source_sandbox_id: Option<String>,
    pub(crate) sandbox_class: String,
    /// Why the build was only checked, not built (the local server's own field; Daytona
    /// never sends it). Sandboxes cannot run from such a snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) checked_only: Option<String>,
}

/// `BuildInfo`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BuildInfoRecord {
    pub(crate) dockerfile_content: String,
    pub(crate) context_hashes: Vec<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) snapshot_ref: String,
}

/// A sandbox as stored, serialised as Daytona's `Sandbox`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SandboxRecord {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) name: String,
    pub(crate) snapshot: String,
    pub(crate) user: String,
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) public: bool,
    pub(crate) network_block_all: bool,
    /// Required by the 0.226 SDK's `Sandbox` model, though not in Daytona's published
    /// OpenAPI schema (`docs/daytona-contract.md` §5.1); the local server never exposes
    /// `/dev/kvm`.
    #[serde(default)]
    pub(crate) kvm: bool,
    #[serde(default)]
    pub(crate) spot: bool,
    pub(crate) target: String,
    pub(crate) cpu: u32,
    pub(crate) gpu: u32,
    pub(crate) memory: u32,
    pub(crate) disk: u32,
    pub(crate) state: String,
    pub(crate) desired_state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_reason: Option<String>,
    pub(crate) auto_stop_interval: i64,
    #[serde(default)]
    pub(crate) auto_pause_interval: i64,
    pub(crate) auto_archive_interval: i64,
    pub(crate) auto_delete_interval: i64,
    pub(crate) volumes: Vec<serde_json::Value>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_activity_at: Option<String>,
    pub(crate) runner_id: String,
    pub(crate) sandbox_class: String,
    pub(crate) toolbox_proxy_url: String,
    /// The Docker container running it (not part of Daytona's DTO).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) container: Option<String>,
    /// Why `disk` is not enforced on its container, when the engine's storage driver
    /// cannot limit a container's disk (the local server's own field; Daytona never sends
    /// it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) disk_not_enforced: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Data {
    pub(crate) snapshots: Vec<SnapshotRecord>,
    pub(crate) sandboxes: Vec<SandboxRecord>,
}

impl Data {
    /// A snapshot by name, or by id.
    pub(crate) fn snapshot(&self, id_or_name: &str) -> Option<&SnapshotRecord> {
        self.snapshots
            .iter()
            .find(|s| s.name == id_or_name)
            .or_else(|| self.snapshots.iter().find(|s| s.id == id_or_name))
    }

    pub(crate) fn snapshot_mut_by_id(&mut self, id: &str) -> Option<&mut SnapshotRecord> {
        self.snapshots.iter_mut().find(|s| s.id == id)
    }

    pub(crate) fn sandbox(&self, id_or_name: &str) -> Option<&SandboxRecord> {
        self.sandboxes
            .iter()
            .find(|s| s.id == id_or_name)
            .or_else(|| self.sandboxes.iter().find(|s| s.name == id_or_name))
    }

    /// A sandbox by id (not by name).
    pub(crate) fn sandbox_by_id(&self, id: &str) -> Option<&SandboxRecord> {
        self.sandboxes.iter().find(|s| s.id == id)
    }

    /// A sandbox by id, to change.
    pub(crate) fn sandbox_mut_by_id(&mut self, id: &str) -> Option<&mut SandboxRecord> {
        self.sandboxes.iter_mut().find(|s| s.id == id)
    }
}

/// The state directory and the data in it.
#[derive(Debug)]
pub(crate) struct Store {
    dir: PathBuf,
    data: Mutex<Data>,
}

impl Store {
    pub(crate) fn open(dir: &Path) -> std::io::Result<Store> {
        std::fs::create_dir_all(dir.join("logs"))?;
        let path = dir.join("state.json");
        let data = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Data::default(),
            Err(e) => return Err(e),
        };
        Ok(Store { dir: dir.to_path_buf(), data: Mutex::new(data) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the data.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Data) -> R) -> R {
        f(&self.lock())
    }

    /// Changes the data and writes it to disk (atomically: a temporary file renamed).
    pub(crate) fn write<R>(&self, f: impl FnOnce(&mut Data) -> R) -> R {
        let mut data = self.lock();
        let result = f(&mut data);
        if let Err(e) = self.save(&data) {
            eprintln!("daytona-local: could not save {}: {e}", self.dir.join("state.json").display());
        }
        result
    }

    fn save(&self, data: &Data) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(data).map_err(std::io::Error::other)?;
        let tmp = self.dir.join("state.json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(tmp, self.dir.join("state.json"))
    }

    pub(crate) fn log_path(&self, snapshot_id: &str) -> PathBuf {
        self.dir.join("logs").join(format!("{snapshot_id}.log"))
    }

    /// Appends to a snapshot's build log.
    pub(crate) fn append_log(&self, snapshot_id: &str, text: &str) {
        let result = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(snapshot_id))
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = result {
            eprintln!("daytona-local: could not write the build log of {snapshot_id}: {e}");
        }
    }
}

/// A random version-4 UUID.
pub(crate) fn uuid() -> String {
    let mut bytes = fastrand::u128(..).to_be_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// Whether `s` is UUID-shaped (as Nest's `ParseUUIDPipe` checks).
pub(crate) fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A random string of `len` characters from `alphabet`.
pub(crate) fn random_string(len: usize, alphabet: &[u8]) -> String {
    (0..len).map(|_| char::from(alphabet[fastrand::usize(..alphabet.len())])).collect()
}

/// Now, as ISO 8601 with milliseconds (`2026-11-28T12:00:00.000Z`).
pub(crate) fn now_iso() -> String {
    iso(SystemTime::now())
}

pub(crate) fn iso(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn iso_dates() {
        assert_eq!(iso(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(UNIX_EPOCH + Duration::from_millis(1_767_225_600_123)), "2026-01-01T00:00:00.123Z");
        assert_eq!(iso(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn uuids() {
        let id = uuid();
        assert!(is_uuid(&id), "{id}");
        assert_eq!(&id[14..15], "4");
        assert!(!is_uuid("pithy-jaunt-v1.0.6"));
        assert!(!is_uuid("0000000-0000-0000-0000-000000000000"));
    }
}
