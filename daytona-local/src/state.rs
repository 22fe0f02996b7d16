//! The server's persistent state: snapshots and sandboxes in an SQLite database
//! (`state.db`), build logs in `logs/`.
//!
//! Handlers see the state as one [`Data`], through [`Store::read`] and [`Store::write`].
//! A write runs on a copy; the records it changed (each kept as JSON in a row keyed by its
//! kind and id) are committed in one transaction, and only then does the copy become what
//! readers see. So a crash or a full disk loses nothing that was acknowledged, and a
//! failed commit is an error to the caller with nothing changed, on disk or in memory.
//! The first start on a directory of an older server moves its `state.json` in once.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
}

/// Everything the server keeps. Each field is a kind of record: a list of objects with an
/// `id` is stored a row per record; anything else (a list without ids, a single value) as
/// one row. A new field needs `#[serde(default)]` only where older states lack it.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
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
}

/// A change to the state that could not be saved; nothing of it was kept. Handlers answer
/// it with a 500 that gives the reason.
#[derive(Debug, thiserror::Error)]
#[error("the local Daytona server could not save its state in {}, so nothing was changed: {reason}", path.display())]
pub(crate) struct StoreError {
    path: PathBuf,
    reason: String,
}

/// How long a write waits for another connection's lock (another process reading the
/// database, say) before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A row's key: the record's kind (a field of [`Data`]) and its id (`""` for a kind kept
/// whole, in one row).
type RowKey = (String, String);

/// A row: its key and the record as JSON.
type Row = (RowKey, String);

/// The state directory and the data in it.
pub(crate) struct Store {
    dir: PathBuf,
    db_path: PathBuf,
    /// What readers see: always what was last committed.
    data: RwLock<Data>,
    /// One writer at a time, holding the connection and the rows as committed.
    writer: Mutex<Writer>,
    /// The first failed append of each build log, until [`Store::sync_log`] reports it.
    log_errors: Mutex<HashMap<String, String>>,
    /// Commits to fail on purpose (tests of the failure path).
    #[cfg(feature = "testing")]
    fail_commits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl std::fmt::Debug for Store {
    // Never the records: sandboxes hold their env values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("db_path", &self.db_path).finish_non_exhaustive()
    }
}

struct Writer {
    conn: Connection,
    committed: BTreeMap<RowKey, String>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Store {
    /// Opens (or creates) the state in `dir`, moving an older server's `state.json` in.
    pub(crate) fn open(dir: &Path) -> std::io::Result<Store> {
        std::fs::create_dir_all(dir.join("logs"))?;
        let db_path = dir.join("state.db");
        let shown = db_path.display().to_string();
        let invalid = |e: &dyn std::fmt::Display| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{shown}: {e}"))
        };
        // Sandboxes' env values are in it: readable by its owner only (SQLite gives its
        // -wal and -shm files the database's mode).
        create_private(&db_path)?;
        let conn = open_connection(&db_path).map_err(|e| invalid(&e))?;
        let (data, committed) = load(&conn).map_err(|e| invalid(&e))?;
        let store = Store {
            dir: dir.to_path_buf(),
            db_path,
            data: RwLock::new(data),
            writer: Mutex::new(Writer { conn, committed }),
            log_errors: Mutex::new(HashMap::new()),
            #[cfg(feature = "testing")]
            fail_commits: Default::default(),
        };
        #[cfg(feature = "testing")]
        {
            let fail = store.fail_commits.clone();
            lock(&store.writer)
                .conn
                .commit_hook(Some(move || {
                    use std::sync::atomic::Ordering;
                    // `true` turns the COMMIT into a rollback, which SQLite reports as an error.
                    fail.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
                }))
                .map_err(|e| invalid(&e))?;
        }
        store.migrate_json()?;
        Ok(store)
    }

    /// Moves an older server's `state.json` into the database once: its records are
    /// committed (merged by id, so an interrupted migration can run again), then the
    /// file is renamed `state.json.migrated`.
    fn migrate_json(&self) -> std::io::Result<()> {
        let path = self.dir.join("state.json");
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let old: Data = serde_json::from_slice(&bytes).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))
        })?;
        self.write(|d| {
            for snapshot in old.snapshots {
                match d.snapshots.iter_mut().find(|s| s.id == snapshot.id) {
                    Some(held) => *held = snapshot,
                    None => d.snapshots.push(snapshot),
                }
            }
            for sandbox in old.sandboxes {
                match d.sandboxes.iter_mut().find(|s| s.id == sandbox.id) {
                    Some(held) => *held = sandbox,
                    None => d.sandboxes.push(sandbox),
                }
            }
        })
        .map_err(std::io::Error::other)?;
        let migrated = self.dir.join("state.json.migrated");
        std::fs::rename(&path, &migrated)?;
        // It holds sandboxes' env values and was written readable by all.
        set_private(&migrated)?;
        let _ = std::fs::remove_file(self.dir.join("state.json.tmp"));
        Ok(())
    }

    /// Reads the data (as last committed).
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Data) -> R) -> R {
        f(&self.data.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Changes the data: `f` runs on a copy, the records it changed are committed in one
    /// transaction, and only then do readers see the change. On an error nothing changed.
    /// What `f` changed is committed whatever it returns (an `Err` of its own included), so
    /// it decides before it changes. Writers take turns; readers are not held up while one
    /// commits. The commit waits for the disk (`synchronous = FULL`), a few milliseconds
    /// on the caller's thread, as the JSON file's rewrite did.
    pub(crate) fn write<R>(&self, f: impl FnOnce(&mut Data) -> R) -> Result<R, StoreError> {
        let mut writer = lock(&self.writer);
        let mut next = self.read(Data::clone);
        let result = f(&mut next);
        let (kinds, rows) = rows(&next).map_err(|e| self.error(&e))?;
        let (upserts, deletes) = changes(&writer.committed, &kinds, &rows);
        if upserts.is_empty() && deletes.is_empty() {
            return Ok(result);
        }
        commit(&mut writer.conn, &upserts, &deletes).map_err(|e| self.error(&e))?;
        for (key, json) in upserts {
            writer.committed.insert(key.clone(), json.clone());
        }
        for key in &deletes {
            writer.committed.remove(key);
        }
        *self.data.write().unwrap_or_else(PoisonError::into_inner) = next;
        Ok(result)
    }

    fn error(&self, reason: &dyn std::fmt::Display) -> StoreError {
        StoreError { path: self.db_path.clone(), reason: reason.to_string() }
    }

    /// Makes the next `n` commits fail, as a full disk would (tests only).
    #[cfg(feature = "testing")]
    pub(crate) fn fail_next_commits(&self, n: usize) {
        self.fail_commits.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn log_path(&self, snapshot_id: &str) -> PathBuf {
        self.dir.join("logs").join(format!("{snapshot_id}.log"))
    }

    /// Appends to a snapshot's build log (one `write` in append mode, so lines of
    /// concurrent appends do not mix). A failure is returned, and kept for
    /// [`sync_log`](Self::sync_log).
    pub(crate) fn append_log(&self, snapshot_id: &str, text: &str) -> std::io::Result<()> {
        let result = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(snapshot_id))
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = &result {
            lock(&self.log_errors).entry(snapshot_id.to_owned()).or_insert_with(|| e.to_string());
        }
        result
    }

    /// Makes a build log durable (before its build's end is committed): an error if a
    /// line could not be appended since the last call, or the log cannot be synced.
    pub(crate) fn sync_log(&self, snapshot_id: &str) -> std::io::Result<()> {
        if let Some(e) = lock(&self.log_errors).remove(snapshot_id) {
            return Err(std::io::Error::other(format!("a line of the build log could not be written: {e}")));
        }
        match std::fs::OpenOptions::new().append(true).open(self.log_path(snapshot_id)) {
            Ok(file) => file.sync_all(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Creates `path` readable by its owner only, if it does not exist.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

fn set_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The connection: WAL (readers never wait for the writer), `synchronous = FULL` (a
/// commit is on disk when it returns, also across a power cut), a busy timeout.
fn open_connection(path: &Path) -> Result<Connection, String> {
    let text = |e: rusqlite::Error| e.to_string();
    let conn = Connection::open(path).map_err(text)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(text)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(text)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("the database stays in journal mode {mode}, not WAL"));
    }
    conn.pragma_update(None, "synchronous", "FULL").map_err(text)?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(text)?;
    if version > SCHEMA_VERSION {
        return Err(format!(
            "the state was written by a newer local server (schema {version}; this one knows {SCHEMA_VERSION})"
        ));
    }
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         CREATE TABLE IF NOT EXISTS records (
             kind TEXT NOT NULL,
             id   TEXT NOT NULL,
             json TEXT NOT NULL,
             PRIMARY KEY (kind, id)
         );
         PRAGMA user_version = 1;
         COMMIT;",
    )
    .map_err(text)?;
    Ok(conn)
}

/// The schema's version (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// The data and its rows as committed, in the order they were first inserted.
fn load(conn: &Connection) -> Result<(Data, BTreeMap<RowKey, String>), String> {
    let mut committed = BTreeMap::new();
    let mut top = serde_json::Map::new();
    let mut statement =
        conn.prepare("SELECT kind, id, json FROM records ORDER BY rowid").map_err(|e| e.to_string())?;
    let mut rows = statement.query([]).map_err(|e| e.to_string())?;
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let columns: rusqlite::Result<(String, String, String)> =
            (|| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))();
        let (kind, id, json) = columns.map_err(|e| e.to_string())?;
        let value: Value =
            serde_json::from_str(&json).map_err(|e| format!("the record {kind}/{id} is not JSON: {e}"))?;
        if id.is_empty() {
            top.insert(kind.clone(), value);
        } else if let Value::Array(items) =
            top.entry(kind.clone()).or_insert_with(|| Value::Array(Vec::new()))
        {
            items.push(value);
        }
        committed.insert((kind, id), json);
    }
    let data =
        serde_json::from_value(Value::Object(top)).map_err(|e| format!("the records do not load: {e}"))?;
    Ok((data, committed))
}

/// The kinds of `data` and its rows, in its order: a list whose items all have a
/// distinct, non-empty string `id` is a row per item; anything else one row under the id
/// `""`.
fn rows(data: &Data) -> serde_json::Result<(BTreeSet<String>, Vec<Row>)> {
    let Value::Object(top) = serde_json::to_value(data)? else {
        return Err(serde::ser::Error::custom("the state is not a JSON object"));
    };
    let mut kinds = BTreeSet::new();
    let mut rows = Vec::new();
    for (kind, value) in top {
        kinds.insert(kind.clone());
        let ids: Option<Vec<&str>> = match &value {
            Value::Array(items) => items
                .iter()
                .map(|item| item.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()))
                .collect(),
            _ => None,
        };
        match (ids, &value) {
            (Some(ids), Value::Array(items)) if ids.iter().collect::<BTreeSet<_>>().len() == ids.len() => {
                for (id, item) in ids.iter().zip(items) {
                    rows.push(((kind.clone(), (*id).to_owned()), serde_json::to_string(item)?));
                }
            }
            _ => {
                rows.push(((kind, String::new()), serde_json::to_string(&value)?));
            }
        }
    }
    Ok((kinds, rows))
}

/// The rows to write (new or changed, in the data's order, so that a restart reads new
/// records in the order they were added) and to delete (gone from a kind of `kinds`;
/// rows of other kinds, from a newer server say, are left alone).
fn changes<'a>(
    committed: &BTreeMap<RowKey, String>,
    kinds: &BTreeSet<String>,
    rows: &'a [Row],
) -> (Vec<(&'a RowKey, &'a String)>, Vec<RowKey>) {
    let upserts =
        rows.iter().filter(|(key, json)| committed.get(key) != Some(json)).map(|(k, j)| (k, j)).collect();
    let present: BTreeSet<&RowKey> = rows.iter().map(|(key, _)| key).collect();
    let deletes =
        committed.keys().filter(|key| kinds.contains(&key.0) && !present.contains(key)).cloned().collect();
    (upserts, deletes)
}

/// One transaction: the changed rows written, the removed ones deleted.
fn commit(conn: &mut Connection, upserts: &[(&RowKey, &String)], deletes: &[RowKey]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut upsert = tx.prepare(
            "INSERT INTO records (kind, id, json) VALUES (?1, ?2, ?3)
             ON CONFLICT (kind, id) DO UPDATE SET json = excluded.json",
        )?;
        for ((kind, id), json) in upserts {
            upsert.execute((kind, id, json))?;
        }
        let mut delete = tx.prepare("DELETE FROM records WHERE kind = ?1 AND id = ?2")?;
        for (kind, id) in deletes {
            delete.execute((kind, id))?;
        }
    }
    // Dropped without a commit (an error above), the transaction rolls back.
    tx.commit()
}

/// A random version-4 UUID (from the OS's random source, by the `uuid` crate).
pub(crate) fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Whether `s` is UUID-shaped (as Nest's `ParseUUIDPipe` checks): the hyphenated form,
/// the only one 36 characters long.
pub(crate) fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

/// Daytona's timestamps: ISO 8601 in UTC with milliseconds (`2026-11-28T12:00:00.000Z`).
const ISO_MILLIS: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Now, as ISO 8601 with milliseconds (`2026-11-28T12:00:00.000Z`).
pub(crate) fn now_iso() -> String {
    iso(SystemTime::now())
}

pub(crate) fn iso(time: SystemTime) -> String {
    // Cannot fail: every component is in an `OffsetDateTime`, and a year of the system
    // clock has four digits.
    time::OffsetDateTime::from(time).format(ISO_MILLIS).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn iso_dates() {
        assert_eq!(iso(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(UNIX_EPOCH + Duration::from_millis(1_767_225_600_123)), "2026-01-01T00:00:00.123Z");
        assert_eq!(iso(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00.000Z");
        assert_eq!(now_iso().len(), "2026-01-01T00:00:00.123Z".len());
    }

    #[test]
    fn uuids() {
        let id = uuid();
        assert!(is_uuid(&id), "{id}");
        assert_eq!(&id[14..15], "4");
        assert_ne!(uuid(), id);
        assert!(is_uuid("67E55044-10B1-426F-9247-BB680E5FE0C8"));
        assert!(!is_uuid("pithy-jaunt-v1.0.6"));
        assert!(!is_uuid("0000000-0000-0000-0000-000000000000"));
        assert!(!is_uuid("67e5504410b1426f9247bb680e5fe0c8"));
        assert!(!is_uuid("{67e55044-10b1-426f-9247-bb680e5fe0c8}"));
    }

    fn snapshot(id: &str, name: &str) -> SnapshotRecord {
        serde_json::from_value(serde_json::json!({
            "id": id, "organizationId": "org", "general": false, "name": name, "imageName": "alpine:3.20",
            "state": "active", "size": null, "entrypoint": null, "cpu": 1, "gpu": 0, "mem": 1, "disk": 3,
            "errorReason": null, "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
            "lastUsedAt": null, "regionIds": ["us"], "initialRunnerId": "local-runner", "ref": "alpine:3.20",
            "sourceSandboxId": null, "sandboxClass": "container"
        }))
        .expect("a snapshot record")
    }

    fn sandbox(id: &str, env_value: &str) -> SandboxRecord {
        serde_json::from_value(serde_json::json!({
            "id": id, "organizationId": "org", "name": id, "snapshot": "app-v1", "user": "root",
            "env": {"TOKEN": env_value}, "labels": {"app": "demo"}, "public": false, "networkBlockAll": false,
            "target": "us", "cpu": 1, "gpu": 0, "memory": 1, "disk": 3, "state": "started",
            "desiredState": "started", "autoStopInterval": 15, "autoArchiveInterval": 10080,
            "autoDeleteInterval": -1, "volumes": [], "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z", "runnerId": "local-runner", "sandboxClass": "container",
            "toolboxProxyUrl": "http://127.0.0.1:1/toolbox", "container": format!("pj-sandbox-{id}")
        }))
        .expect("a sandbox record")
    }

    /// The whole state as JSON, to compare states.
    fn json(store: &Store) -> Value {
        store.read(|d| serde_json::to_value(d).expect("JSON"))
    }

    /// The records as SQLite holds them, read by a connection of its own.
    fn rows_on_disk(dir: &Path) -> Vec<(String, String, String)> {
        let conn = Connection::open(dir.join("state.db")).expect("open");
        let mut statement =
            conn.prepare("SELECT kind, id, json FROM records ORDER BY rowid").expect("select");
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    #[test]
    fn snapshots_and_sandboxes_survive_a_restart() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::open(dir.path()).expect("open");
        store
            .write(|d| {
                d.snapshots.push(snapshot("s1", "app-v1"));
                d.sandboxes.push(sandbox("b2", "secret-2"));
                d.sandboxes.push(sandbox("b1", "secret-1"));
            })
            .expect("saved");
        store.write(|d| d.sandboxes[0].state = "stopped".to_owned()).expect("saved");
        let before = json(&store);
        drop(store);
        let store = Store::open(dir.path()).expect("reopen");
        assert_eq!(json(&store), before);
        assert_eq!(store.read(|d| d.sandboxes[0].state.clone()), "stopped");
        assert_eq!(store.read(|d| d.sandbox("b2").map(|s| s.env["TOKEN"].clone())), Some("secret-2".into()));
        let kinds: Vec<(String, String)> =
            rows_on_disk(dir.path()).into_iter().map(|(k, id, _)| (k, id)).collect();
        // In the order they were added, within each kind.
        assert_eq!(
            kinds,
            [("sandboxes", "b2"), ("sandboxes", "b1"), ("snapshots", "s1")]
                .map(|(k, id)| (k.to_owned(), id.to_owned()))
        );
    }

    #[test]
    fn only_changed_rows_are_written_and_removed_ones_deleted() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::open(dir.path()).expect("open");
        store.write(|d| d.sandboxes.extend(["a", "b", "c"].map(|id| sandbox(id, "v")))).expect("saved");
        let committed = lock(&store.writer).committed.clone();
        let mut next = store.read(Data::clone);
        next.sandboxes[1].state = "stopped".to_owned();
        next.sandboxes.remove(2);
        let (kinds, rows) = rows(&next).expect("rows");
        let (upserts, deletes) = changes(&committed, &kinds, &rows);
        let upserts: Vec<&RowKey> = upserts.into_iter().map(|(key, _)| key).collect();
        assert_eq!(upserts, [&("sandboxes".to_owned(), "b".to_owned())]);
        assert_eq!(deletes, [("sandboxes".to_owned(), "c".to_owned())]);
        // Nothing changed: no transaction at all.
        store.write(|d| d.sandboxes.len()).expect("nothing to save");
        assert_eq!(lock(&store.writer).committed, committed);
        // Rows of a kind this server does not know are left alone.
        lock(&store.writer)
            .conn
            .execute("INSERT INTO records (kind, id, json) VALUES ('future', 'x', '{}')", [])
            .expect("insert");
        drop(store);
        let store = Store::open(dir.path()).expect("reopen");
        store.write(|d| d.sandboxes.clear()).expect("saved");
        let left: Vec<String> = rows_on_disk(dir.path()).into_iter().map(|(kind, _, _)| kind).collect();
        assert_eq!(left, ["future"]);
    }

    /// SQLite's own "disk full" (the database may not grow): the write is an error, and
    /// neither memory nor disk holds any of it; the next write that fits works.
    #[test]
    fn a_full_database_is_an_error_and_changes_nothing() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::open(dir.path()).expect("open");
        store.write(|d| d.sandboxes.push(sandbox("small", "v"))).expect("saved");
        let before = json(&store);
        {
            let writer = lock(&store.writer);
            let pages: i64 = writer.conn.pragma_query_value(None, "page_count", |r| r.get(0)).expect("pages");
            writer.conn.pragma_update(None, "max_page_count", pages).expect("limit");
        }
        let big = "x".repeat(256 * 1024);
        let error = store
            .write(|d| {
                d.snapshots.push(snapshot("s1", "app-v1"));
                d.sandboxes.push(sandbox("big", &big));
            })
            .expect_err("the database may not grow");
        let message = error.to_string();
        assert!(message.contains("could not save its state"), "{message}");
        assert!(message.contains("full"), "{message}");
        assert!(!message.contains(&big[..64]), "the record's values are not in the error");
        assert_eq!(json(&store), before, "memory unchanged");
        assert_eq!(rows_on_disk(dir.path()).len(), 1, "nothing half-written on disk");
        store.write(|d| d.sandboxes[0].state = "stopped".to_owned()).expect("a write that fits");
        drop(store);
        let store = Store::open(dir.path()).expect("reopen");
        assert_eq!(store.read(|d| (d.sandboxes.len(), d.snapshots.len())), (1, 0));
        assert_eq!(store.read(|d| d.sandboxes[0].state.clone()), "stopped");
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::open(dir.path()).expect("open");
        std::thread::scope(|scope| {
            for t in 0..8 {
                let store = &store;
                scope.spawn(move || {
                    for i in 0..25 {
                        store.write(|d| d.sandboxes.push(sandbox(&format!("t{t}-{i}"), "v"))).expect("saved");
                        // Readers run beside the writers and see whole states.
                        store.read(|d| assert!(d.sandboxes.iter().all(|s| s.env["TOKEN"] == "v")));
                    }
                });
            }
        });
        assert_eq!(store.read(|d| d.sandboxes.len()), 200);
        drop(store);
        assert_eq!(Store::open(dir.path()).expect("reopen").read(|d| d.sandboxes.len()), 200);
        assert_eq!(rows_on_disk(dir.path()).len(), 200);
    }

    #[test]
    fn an_old_state_json_is_moved_in_once() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let old = serde_json::json!({
            "snapshots": [snapshot("s1", "app-v1"), snapshot("s2", "app-v2")],
            "sandboxes": [sandbox("b1", "secret")],
        });
        std::fs::write(dir.path().join("state.json"), serde_json::to_vec_pretty(&old).expect("JSON"))
            .expect("write");
        let store = Store::open(dir.path()).expect("open");
        assert_eq!(json(&store), old);
        assert!(!dir.path().join("state.json").exists());
        let migrated = dir.path().join("state.json.migrated");
        assert!(migrated.is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
            assert_eq!(mode(&migrated), 0o600);
            assert_eq!(mode(&dir.path().join("state.db")), 0o600);
            assert_eq!(mode(&dir.path().join("state.db-wal")), 0o600);
        }
        drop(store);
        // A migration interrupted before the rename runs again without doubling anything.
        std::fs::rename(&migrated, dir.path().join("state.json")).expect("rename back");
        let store = Store::open(dir.path()).expect("reopen");
        assert_eq!(json(&store), old);
        drop(store);
        let store = Store::open(dir.path()).expect("reopen");
        assert_eq!(json(&store), old);

        let broken = tempfile::tempdir().expect("a temp dir");
        std::fs::write(broken.path().join("state.json"), "{ not json").expect("write");
        let error = Store::open(broken.path()).expect_err("refused");
        assert!(error.to_string().contains("state.json"), "{error}");
        assert!(broken.path().join("state.json").is_file(), "kept for the user to look at");
    }

    #[test]
    fn build_log_failures_are_reported() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::open(dir.path()).expect("open");
        store.append_log("s1", "one\n").expect("appended");
        store.sync_log("s1").expect("synced");
        std::fs::remove_dir_all(dir.path().join("logs")).expect("remove");
        assert!(store.append_log("s1", "two\n").is_err());
        std::fs::create_dir(dir.path().join("logs")).expect("create");
        store.append_log("s1", "three\n").expect("appended");
        let error = store.sync_log("s1").expect_err("the lost line is reported");
        assert!(error.to_string().contains("could not be written"), "{error}");
        store.sync_log("s1").expect("reported once");
    }

    #[cfg(feature = "testing")]
    #[test]
    fn a_failed_commit_changes_nothing() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::open(dir.path()).expect("open");
        store.write(|d| d.snapshots.push(snapshot("s1", "app-v1"))).expect("saved");
        let before = json(&store);
        store.fail_next_commits(1);
        let error = store.write(|d| d.snapshots[0].state = SnapshotState::Inactive).expect_err("fails");
        assert!(error.to_string().contains("could not save its state"), "{error}");
        assert_eq!(json(&store), before);
        store.write(|d| d.snapshots.push(snapshot("s2", "app-v2"))).expect("the next one works");
        drop(store);
        let store = Store::open(dir.path()).expect("reopen");
        assert_eq!(store.read(|d| (d.snapshots[0].state, d.snapshots.len())), (SnapshotState::Active, 2));
    }
}
