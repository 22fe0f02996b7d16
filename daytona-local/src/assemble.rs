//! The runner's build context from the uploaded context tars, in two steps:
//!
//! - [`index`] reads only the tars' headers (seeking over the data) and says which
//!   member provides each path of the union: enough for the runner's checks, so a
//!   check-only build never copies a byte.
//! - [`extract`] writes the directory `docker build` reads, only when an image is
//!   built: each winning member's bytes are copied straight from its tar at its
//!   offset (in the kernel where it can), on two threads.
//!
//! The safety rules are Daytona's runner's (`docs/daytona-contract.md` §3.4): directories
//! are dropped, every other member becomes a regular file (links become empty files),
//! no path may climb out of the context, and a later context's file replaces an earlier
//! one at the same path.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The most entries the context tars of one build may hold together (far over any real
/// context; a bound on the index's memory).
const MAX_ENTRIES: usize = 1_000_000;

/// Where one file of the build context comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Member {
    /// Which tar (index into the tars given to [`index`]).
    tar: usize,
    /// The offset of its data in that tar.
    offset: u64,
    /// Its size; 0 for links and other non-regular members (they become empty files).
    size: u64,
    /// Its permission bits.
    mode: u32,
}

/// The union of the context tars: each file path (normalized, relative) and the member
/// that provides it.
#[derive(Debug)]
pub(super) struct Index {
    tars: Vec<PathBuf>,
    members: BTreeMap<String, Member>,
}

impl Index {
    /// The paths of the files in the build context (the Dockerfile aside).
    pub(super) fn files(&self) -> BTreeSet<String> {
        self.members.keys().cloned().collect()
    }
}

/// Reads the headers of `tars`, in order, into an [`Index`]; errors name the tar or the
/// member that breaks a rule.
pub(super) fn index(tars: &[PathBuf]) -> Result<Index, String> {
    index_within(tars, MAX_ENTRIES)
}

/// [`index`] with a bound on the entries (a test makes a bomb of a dozen).
fn index_within(tars: &[PathBuf], max_entries: usize) -> Result<Index, String> {
    let mut members = BTreeMap::new();
    let mut entries_seen: usize = 0;
    for (at, tar_path) in tars.iter().enumerate() {
        let file = File::open(tar_path).map_err(|e| format!("cannot open {}: {e}", tar_path.display()))?;
        let tar_len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut archive = tar::Archive::new(BufReader::new(file));
        let entries =
            archive.entries_with_seek().map_err(|e| format!("{} is not a tar: {e}", tar_path.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{} is not a valid tar: {e}", tar_path.display()))?;
            let header = entry.header();
            if header.entry_type().is_dir() {
                continue;
            }
            let raw = entry.path().map_err(|e| format!("a tar member has an invalid path: {e}"))?;
            let Some(rel) = normalize(&raw.to_string_lossy()) else {
                return Err(format!("a context tar member leaves the build context: {}", raw.display()));
            };
            if rel.is_empty() {
                continue;
            }
            entries_seen += 1;
            if entries_seen > max_entries {
                return Err(format!(
                    "the context tars hold more than {max_entries} entries; make the contexts smaller"
                ));
            }
            let size = if header.entry_type().is_file() { entry.size() } else { 0 };
            // A header may claim any size: the data must be in the tar, or extracting
            // would read past it (a "tar bomb" of declared sizes).
            if entry.raw_file_position().saturating_add(size) > tar_len {
                return Err(format!(
                    "{} is truncated or malformed: {} claims {size} bytes past the end of the tar",
                    tar_path.display(),
                    raw.display()
                ));
            }
            let mode = header.mode().unwrap_or(0o644) & 0o7777;
            members.insert(rel, Member { tar: at, offset: entry.raw_file_position(), size, mode });
        }
    }
    // A path that is a file and also holds files cannot be written (the runner fails too).
    for path in members.keys() {
        let below = format!("{path}/");
        if members.range(below.clone()..).next().is_some_and(|(p, _)| p.starts_with(&below)) {
            return Err(format!("a context path is both a file and a directory: {path}"));
        }
    }
    Ok(Index { tars: tars.to_vec(), members })
}

/// Writes the build context of `index` into `dir` (replacing what is there): every file,
/// then the Dockerfile at the root.
pub(super) fn extract(index: &Index, dir: &Path, dockerfile: &str) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // Directories first (once each), so the writers only create files.
    let parents: BTreeSet<&str> =
        index.members.keys().filter_map(|p| p.rsplit_once('/').map(|(parent, _)| parent)).collect();
    for parent in parents {
        let path = dir.join(parent);
        std::fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    }
    let members: Vec<(&String, &Member)> = index.members.iter().collect();
    let half = members.len().div_ceil(2).max(1);
    std::thread::scope(|scope| {
        let writers: Vec<_> =
            members.chunks(half).map(|part| scope.spawn(|| write_files(index, dir, part))).collect();
        writers
            .into_iter()
            .try_for_each(|w| w.join().unwrap_or_else(|_| Err("an extracting thread panicked".to_owned())))
    })?;
    std::fs::write(dir.join("Dockerfile"), dockerfile)
        .map_err(|e| format!("cannot write the Dockerfile: {e}"))
}

/// Writes `members` under `dir`, each tar opened once per thread.
fn write_files(index: &Index, dir: &Path, members: &[(&String, &Member)]) -> Result<(), String> {
    let mut open: Vec<Option<File>> = index.tars.iter().map(|_| None).collect();
    for (rel, member) in members {
        let target = dir.join(rel);
        let mut out = File::create(&target).map_err(|e| format!("cannot write {rel}: {e}"))?;
        if member.size > 0 {
            let tar_path = &index.tars[member.tar];
            let slot = &mut open[member.tar];
            let tar = match slot {
                Some(tar) => tar,
                None => slot.insert(
                    File::open(tar_path).map_err(|e| format!("cannot open {}: {e}", tar_path.display()))?,
                ),
            };
            tar.seek(SeekFrom::Start(member.offset)).map_err(|e| format!("cannot extract {rel}: {e}"))?;
            // `Take<&File>` into a `File`: std copies in the kernel (copy_file_range) where it can.
            let copied = std::io::copy(&mut Read::take(&*tar, member.size), &mut out)
                .map_err(|e| format!("cannot extract {rel}: {e}"))?;
            if copied != member.size {
                return Err(format!("cannot extract {rel}: the tar ends inside it"));
            }
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = out.set_permissions(std::fs::Permissions::from_mode(member.mode | 0o400));
        }
    }
    Ok(())
}

/// A relative path without `.` segments or a leading `/`; `None` if it climbs out
/// with `..`.
pub(super) fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar member: path, content, entry type, mode. The path is written raw, so it
    /// may climb out.
    fn tar(dir: &Path, name: &str, members: &[(&str, &[u8], tar::EntryType, u32)]) -> PathBuf {
        let path = dir.join(name);
        let mut builder = tar::Builder::new(File::create(&path).expect("create"));
        for (member, data, kind, mode) in members {
            let mut header = tar::Header::new_ustar();
            header.as_old_mut().name[..member.len()].copy_from_slice(member.as_bytes());
            header.set_entry_type(*kind);
            header.set_size(data.len() as u64);
            header.set_mode(*mode);
            if *kind == tar::EntryType::Symlink {
                header.set_link_name("a.txt").expect("link name");
            }
            header.set_cksum();
            builder.append(&header, *data).expect("append");
        }
        builder.finish().expect("finish");
        path
    }

    use tar::EntryType::{Directory, Regular, Symlink};

    #[test]
    fn the_union_later_contexts_win_links_are_empty_modes_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let first = tar(
            tmp.path(),
            "1.tar",
            &[
                ("ctx/", b"", Directory, 0o755),
                ("ctx/a.txt", b"first", Regular, 0o644),
                ("./ctx/run.sh", b"#!/bin/sh\n", Regular, 0o755),
                ("ctx/link.txt", b"", Symlink, 0o777),
            ],
        );
        let second = tar(tmp.path(), "2.tar", &[("ctx/a.txt", b"second", Regular, 0o600)]);
        let index = index(&[first, second]).expect("index");
        assert_eq!(
            index.files().into_iter().collect::<Vec<_>>(),
            ["ctx/a.txt", "ctx/link.txt", "ctx/run.sh"]
        );
        let out = tmp.path().join("out");
        std::fs::create_dir_all(out.join("stale")).expect("mkdir");
        extract(&index, &out, "FROM x:1\n").expect("extract");
        let read = |p: &str| std::fs::read_to_string(out.join(p)).expect("read");
        assert_eq!(read("ctx/a.txt"), "second");
        assert_eq!(read("ctx/run.sh"), "#!/bin/sh\n");
        assert_eq!(read("Dockerfile"), "FROM x:1\n");
        let link = std::fs::symlink_metadata(out.join("ctx/link.txt")).expect("link");
        assert!(link.is_file() && link.len() == 0, "{link:?}");
        assert!(!out.join("stale").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &str| std::fs::metadata(out.join(p)).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode("ctx/run.sh"), 0o755);
            assert_eq!(mode("ctx/a.txt"), 0o600);
        }
    }

    #[test]
    fn no_path_climbs_out_and_no_path_is_file_and_directory() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let climbing = tar(tmp.path(), "up.tar", &[("ctx/../../evil", b"x", Regular, 0o644)]);
        let err = index(&[climbing]).expect_err("climbs out");
        assert_eq!(err, "a context tar member leaves the build context: ctx/../../evil");
        let file = tar(tmp.path(), "f.tar", &[("x", b"file", Regular, 0o644)]);
        let dir = tar(tmp.path(), "d.tar", &[("x/y", b"below", Regular, 0o644)]);
        let err = index(&[file, dir]).expect_err("both");
        assert_eq!(err, "a context path is both a file and a directory: x");
        let err = index(&[tmp.path().join("missing.tar")]).expect_err("missing");
        assert!(err.starts_with("cannot open"), "{err}");
    }

    #[test]
    fn a_bomb_of_entries_is_refused_at_the_bound_across_all_tars() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let names: Vec<String> = (0..7).map(|n| format!("ctx/{n}.txt")).collect();
        let mut members: Vec<(&str, &[u8], tar::EntryType, u32)> = vec![("ctx/", b"", Directory, 0o755)];
        members.extend(names.iter().map(|n| (n.as_str(), &b""[..], Regular, 0o644)));
        let first = tar(tmp.path(), "1.tar", &members);
        let second = tar(tmp.path(), "2.tar", &members[1..6]);
        // Directories do not count; the same path in two tars counts twice (both are read).
        assert!(index_within(&[first.clone(), second.clone()], 12).is_ok());
        let error = index_within(&[first, second], 11).expect_err("12 entries over a bound of 11");
        assert_eq!(error, "the context tars hold more than 11 entries; make the contexts smaller");
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize("./a//b/./c/").as_deref(), Some("a/b/c"));
        assert_eq!(normalize("/abs").as_deref(), Some("abs"));
        assert_eq!(normalize("a/../b"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// An uploaded tar is whatever bytes a client sent: reading it never panics, and
        /// whatever it indexes stays inside the build context.
        #[test]
        fn arbitrary_bytes_as_a_context_tar_never_panic(
            head in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
            real in proptest::prelude::any::<bool>(),
        ) {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("ctx.tar");
            let mut bytes = Vec::new();
            if real {
                // A valid tar with its first block replaced by the arbitrary bytes.
                let valid = tar(dir.path(), "valid.tar", &[("ctx/a.txt", b"hello", tar::EntryType::Regular, 0o644)]);
                bytes = std::fs::read(valid).expect("read");
                let n = head.len().min(bytes.len());
                bytes[..n].copy_from_slice(&head[..n]);
            } else {
                bytes.extend_from_slice(&head);
            }
            std::fs::write(&path, &bytes).expect("write");
            if let Ok(index) = index(&[path]) {
                for file in index.files() {
                    proptest::prop_assert!(normalize(&file).as_deref() == Some(file.as_str()), "{file}");
                    proptest::prop_assert!(!file.starts_with('/') && !file.split('/').any(|c| c == ".."), "{file}");
                }
            }
        }
    }

    #[test]
    fn a_member_claiming_more_data_than_the_tar_holds_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bomb.tar");
        let mut header = tar::Header::new_gnu();
        header.set_path("ctx/huge.bin").expect("path");
        header.set_size(1 << 40);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        let mut bytes = header.as_bytes().to_vec();
        bytes.extend_from_slice(&[0; 1024]);
        std::fs::write(&path, bytes).expect("write");
        let error = index(&[path]).expect_err("a 1 TiB member in a 1.5 KiB tar");
        assert!(error.contains("claims 1099511627776 bytes past the end of the tar"), "{error}");
    }
}
