//! Context hashes remembered by the metadata of what was hashed, so a crate that is
//! compiled again with unchanged contexts (any code edit, or cargo's second compile
//! after the build script learns which contexts to watch) does not read them again.
//!
//! An entry is used only when the stamp of the tree (every entry's relative path, kind,
//! size, modification and change times, inode and device) is the one recorded. The
//! change time (`ctime`) cannot be set by programs, so an edit changes the stamp even
//! if it keeps the size and restores the modification time. Like git's "racily clean"
//! index entries, a hash is not recorded when a time in the tree is too close to the
//! moment hashing began (a later edit in the same clock tick would keep the stamp), nor
//! when the stamp changed while hashing.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use md5::{Digest, Md5};

use super::Exclude;
use super::hash::{hash_with_progress, hex};
use super::walk::{NodeKind, Walk};

/// How close to the start of hashing a time may be for the hash to be recorded, on a
/// file system with sub-second times (a clock tick is at most 10 ms on Linux).
const RACY: Duration = Duration::from_millis(50);

/// The same, on a file system whose times are whole seconds (FAT has 2 s).
const RACY_COARSE: Duration = Duration::from_secs(3);

/// Hashes by context, kept in one file (normally in the crate's `OUT_DIR`).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use daytona_contract::context::HashCache;
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a.txt"), "hello\n")?;
/// let file = dir.path().join("hashes");
/// let mut cache = HashCache::open(&file);
/// let md5 = cache.hash(&dir.path().join("a.txt"), "ctx/a.txt", &Default::default())?;
/// assert_eq!(md5, daytona_contract::context::hash(&dir.path().join("a.txt"), "ctx/a.txt")?);
/// cache.save()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct HashCache {
    /// Where the entries are saved; `None`: nothing is remembered.
    file: Option<PathBuf>,
    /// Key (MD5 of source and archive path) → (stamp, hash).
    entries: HashMap<String, (String, String)>,
    changed: bool,
}

impl HashCache {
    /// The entries saved in `file` (none if it is missing or unreadable).
    ///
    /// ```
    /// let cache = daytona_contract::context::HashCache::open("/nonexistent/hashes");
    /// assert!(cache.is_empty());
    /// ```
    pub fn open(file: impl Into<PathBuf>) -> Self {
        let file = file.into();
        let entries = std::fs::read_to_string(&file)
            .map(|text| {
                text.lines()
                    .filter_map(|line| {
                        let mut fields = line.split(' ');
                        let (key, stamp, md5) = (fields.next()?, fields.next()?, fields.next()?);
                        let hex32 = |s: &str| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
                        (hex32(key) && hex32(stamp) && hex32(md5) && fields.next().is_none())
                            .then(|| (key.to_owned(), (stamp.to_owned(), md5.to_owned())))
                    })
                    .collect()
            })
            .unwrap_or_default();
        HashCache { file: Some(file), entries, changed: false }
    }

    /// A cache that remembers nothing: [`hash`](Self::hash) always reads.
    ///
    /// ```
    /// assert!(daytona_contract::context::HashCache::none().is_empty());
    /// ```
    pub fn none() -> Self {
        HashCache::default()
    }

    /// Whether no hash is remembered.
    ///
    /// ```
    /// assert!(daytona_contract::context::HashCache::none().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The [`hash`](super::hash) of the context less what `exclude` leaves out, from the cache when its stamp is the
    /// one recorded, else read (and recorded unless racy, see the module docs).
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("a.txt"), "hello\n")?;
    /// let mut cache = daytona_contract::context::HashCache::none();
    /// assert_eq!(cache.hash(&dir.path().join("a.txt"), "ctx/a.txt", &Default::default())?.len(), 32);
    /// # Ok(())
    /// # }
    /// ```
    pub fn hash(&mut self, source: &Path, archive: &str, exclude: &Exclude) -> io::Result<String> {
        let read = || hash_with_progress(source, archive, exclude, &mut |_| {});
        if self.file.is_none() {
            return read();
        }
        let key = key(source, archive, exclude);
        let before = stamp(source, exclude);
        if let (Some(stamp), Some((recorded, md5))) = (&before, self.entries.get(&key))
            && stamp.digest == *recorded
        {
            return Ok(md5.clone());
        }
        let started = SystemTime::now();
        let md5 = read()?;
        match (before, stamp(source, exclude)) {
            (Some(before), Some(after)) if before.digest == after.digest && !after.racy(started) => {
                self.entries.insert(key, (after.digest, md5.clone()));
                self.changed = true;
            }
            _ => {
                self.changed |= self.entries.remove(&key).is_some();
            }
        }
        Ok(md5)
    }

    /// Writes the entries back (atomically, by rename) if any changed.
    ///
    /// ```
    /// daytona_contract::context::HashCache::none().save().unwrap();
    /// ```
    pub fn save(&self) -> io::Result<()> {
        let Some(file) = self.file.as_ref().filter(|_| self.changed) else { return Ok(()) };
        let dir = file.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        let mut sorted: Vec<_> = self.entries.iter().collect();
        sorted.sort();
        for (key, (stamp, md5)) in sorted {
            writeln!(tmp, "{key} {stamp} {md5}")?;
        }
        tmp.persist(file).map_err(|e| e.error)?;
        Ok(())
    }
}

/// The entry of a context: its place, its archive path and what it leaves out.
fn key(source: &Path, archive: &str, exclude: &Exclude) -> String {
    let mut md5 = Md5::new();
    md5.update(source.as_os_str().as_encoded_bytes());
    md5.update([0]);
    md5.update(archive.as_bytes());
    for pattern in exclude.patterns() {
        md5.update([0]);
        md5.update(pattern.as_bytes());
    }
    hex(&md5.finalize())
}

/// The metadata of a tree, digested, and its latest time.
struct Stamp {
    digest: String,
    latest: SystemTime,
    coarse: bool,
}

impl Stamp {
    /// Whether a time in the tree is so close to `started` that an edit in the same clock
    /// tick could have left no trace in it.
    fn racy(&self, started: SystemTime) -> bool {
        let margin = if self.coarse { RACY_COARSE } else { RACY };
        self.latest + margin > started
    }
}

/// The stamp of the tree at `source`, or `None` when it cannot be walked cleanly (the
/// hash then reports why).
fn stamp(source: &Path, exclude: &Exclude) -> Option<Stamp> {
    let mut md5 = Md5::new();
    let mut latest = SystemTime::UNIX_EPOCH;
    let mut coarse = true;
    for item in Walk::new(source, exclude) {
        let node = item.ok()?;
        let metadata = std::fs::symlink_metadata(&node.path).ok()?;
        md5.update(node.rel.as_bytes());
        md5.update([0, matches!(node.kind, NodeKind::File) as u8]);
        md5.update(metadata.len().to_le_bytes());
        for time in times(&metadata) {
            let since = time.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
            md5.update(since.as_nanos().to_le_bytes());
            coarse &= since.subsec_nanos() == 0;
            latest = latest.max(time);
        }
        md5.update(identity(&metadata));
    }
    Some(Stamp { digest: hex(&md5.finalize()), latest, coarse })
}

/// Modification and change times (only the first where there is no change time).
#[cfg(unix)]
fn times(metadata: &std::fs::Metadata) -> Vec<SystemTime> {
    use std::os::unix::fs::MetadataExt;
    let changed = u64::try_from(metadata.ctime()).ok().map(|secs| {
        SystemTime::UNIX_EPOCH
            + Duration::from_secs(secs)
            + Duration::from_nanos(u64::try_from(metadata.ctime_nsec()).unwrap_or(0))
    });
    metadata.modified().ok().into_iter().chain(changed).collect()
}

#[cfg(not(unix))]
fn times(metadata: &std::fs::Metadata) -> Vec<SystemTime> {
    metadata.modified().ok().into_iter().collect()
}

/// Inode and device: a file replaced by another (an editor's save) is another entry.
#[cfg(unix)]
fn identity(metadata: &std::fs::Metadata) -> [u8; 16] {
    use std::os::unix::fs::MetadataExt;
    let mut out = [0; 16];
    out[..8].copy_from_slice(&metadata.ino().to_le_bytes());
    out[8..].copy_from_slice(&metadata.dev().to_le_bytes());
    out
}

#[cfg(not(unix))]
fn identity(_metadata: &std::fs::Metadata) -> [u8; 16] {
    [0; 16]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file written long enough ago that its hash may be recorded.
    fn settled(path: &Path, text: &str) {
        std::fs::write(path, text).expect("write");
        std::thread::sleep(RACY * 2);
    }

    #[test]
    fn a_recorded_hash_is_reused_only_while_the_stamp_holds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ctx = dir.path().join("ctx");
        std::fs::create_dir(&ctx).expect("mkdir");
        settled(&ctx.join("a.txt"), "hello\n");
        let file = dir.path().join("hashes");
        let mut cache = HashCache::open(&file);
        let first = cache.hash(&ctx, "ctx", &Exclude::none()).expect("hash");
        cache.save().expect("save");
        assert_eq!(HashCache::open(&file).entries.len(), 1, "recorded");

        // A recorded hash is what is returned, without reading: plant a wrong one.
        let text = std::fs::read_to_string(&file).expect("read");
        let planted = text.replace(&first, &"f".repeat(32));
        std::fs::write(&file, planted).expect("plant");
        let mut cache = HashCache::open(&file);
        assert_eq!(
            cache.hash(&ctx, "ctx", &Exclude::none()).expect("hash"),
            "f".repeat(32),
            "from the cache"
        );

        // A same-size edit that even restores the modification time changes the stamp
        // (its change time moved), so the tree is read again.
        let before = std::fs::metadata(ctx.join("a.txt")).and_then(|m| m.modified()).expect("mtime");
        std::fs::write(ctx.join("a.txt"), "HELLO\n").expect("edit");
        std::fs::File::options()
            .write(true)
            .open(ctx.join("a.txt"))
            .and_then(|f| f.set_modified(before))
            .expect("restore mtime");
        let now = cache.hash(&ctx, "ctx", &Exclude::none()).expect("hash");
        assert_eq!(now, super::super::hash(&ctx, "ctx").expect("hash"));
        assert_ne!(now, first);
    }

    #[test]
    fn a_hash_taken_right_after_an_edit_is_not_recorded() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.txt"), "hello\n").expect("write");
        let mut cache = HashCache::open(dir.path().join("hashes"));
        cache.hash(&dir.path().join("a.txt"), "a.txt", &Exclude::none()).expect("hash");
        assert!(cache.is_empty(), "racy: the file was written within {RACY:?}");
    }

    #[test]
    fn a_corrupt_cache_file_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("hashes");
        std::fs::write(&file, "not a cache\n\u{0}\u{1}\nabc def ghi\n").expect("write");
        assert!(HashCache::open(&file).is_empty());
    }
}
