//! Tests for the context module: hash vectors, scan findings, the tar format.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tempfile::TempDir;

use super::*;

/// Creates `path` (with parents) under `root` holding `content`.
fn file(root: &Path, path: &str, content: &str) -> PathBuf {
    let path = root.join(path);
    fs::create_dir_all(path.parent().expect("a parent")).expect("create parents");
    fs::write(&path, content).expect("write file");
    path
}

/// Creates the directory `path` (with parents) under `root`.
fn dir(root: &Path, path: &str) -> PathBuf {
    let path = root.join(path);
    fs::create_dir_all(&path).expect("create dir");
    path
}

fn tempdir() -> TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn md5(source: &Path, archive: &str) -> String {
    hash(source, archive).expect("hash")
}

/// The MD5 of `input`, straight from the md5 crate.
fn md5_of(input: &str) -> String {
    use md5::Digest;
    md5::Md5::digest(input.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// Hash vectors

/// `docs/daytona-contract.md` §3.3 (the TypeScript column) and §2.5 Ex1.
#[test]
fn contract_vectors() {
    let tmp = tempdir();
    let root = tmp.path();
    // Created in reverse order, so a walk in creation or readdir order would differ.
    file(root, "hashdemo/b.txt", "world\n");
    file(root, "hashdemo/a.txt", "hello\n");
    assert_eq!(md5(&root.join("hashdemo"), "hashdemo"), "62cabd3fb3fa8038813d87977b8ab372");
    assert_eq!(md5(&root.join("hashdemo/a.txt"), "hashdemo/a.txt"), "0a2ecb2b53f40e69bca9a129666a4f11");

    file(root, "nested/z.txt", "1");
    dir(root, "nested/emptydir");
    file(root, "nested/sub/y.txt", "2");
    file(root, "nested/a.txt", "3");
    assert_eq!(md5(&root.join("nested"), "nested"), "30e0b496b75779c18af6dab75e0edbdc");

    dir(root, "emptyroot");
    assert_eq!(md5(&root.join("emptyroot"), "emptyroot"), "98b5a31518f30577b8253fbd133f507d");

    file(root, "ctx/file.txt", "hello\n");
    assert_eq!(md5(&root.join("ctx/file.txt"), "ctx/file.txt"), "0062767e43a7b98b63a594b2504ce32c");
}

/// Every vector of `tests/data/hash-vectors.json` (made with the official TypeScript SDK
/// 0.218.0, `ObjectStorage.computeHashForPathMd5`; see `docs/daytona-contract.md` §3.3).
#[test]
fn hash_vectors_json() {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/data/hash-vectors.json")).expect("valid json");
    let tmp = tempdir();
    let root = tmp.path();
    let tree = json["tree"].as_array().expect("tree");
    // Create in reverse order, so that creation order is not the walk order.
    for entry in tree.iter().rev() {
        let path = entry["path"].as_str().expect("path");
        match entry["kind"].as_str() {
            Some("file") => {
                file(root, path, entry["content"].as_str().expect("content"));
            }
            Some("dir") => {
                dir(root, path);
            }
            other => panic!("unknown kind {other:?}"),
        }
    }
    let vectors = json["vectors"].as_array().expect("vectors");
    assert_eq!(vectors.len(), 12);
    for vector in vectors {
        let local = vector["local"].as_str().expect("local");
        let archive = vector["archive"].as_str().expect("archive");
        assert_eq!(archive_path(local).as_deref(), Ok(archive), "{local}");
        assert_eq!(md5(&root.join(local), archive), vector["md5"].as_str().expect("md5"), "{local}");
        // The tar computes the same hash in its one read of the files.
        let mut tar = Vec::new();
        let tarred = write_tar_hashed(&root.join(local), archive, &Exclude::none(), &mut tar, &mut |_| {});
        if let Ok(tarred) = tarred {
            assert_eq!(tarred.md5, vector["md5"].as_str().expect("md5"), "tar of {local}");
            assert_eq!(tarred.bytes, tar.len() as u64, "{local}");
        } else {
            assert!(
                archive == "." && root.join(local).is_file(),
                "only a file named `.` has no tar: {local}"
            );
        }
    }
}

/// The hash of the tar is the hash of the bytes archived: an edit of the same size
/// between hashing and archiving shows as a different hash, never as the old one.
#[test]
fn the_tar_hash_is_of_the_content_archived() {
    let tmp = tempdir();
    let source = file(tmp.path(), "ctx/data/a.txt", "alpha\n");
    dir(tmp.path(), "ctx/data/empty");
    let before = md5(&tmp.path().join("ctx/data"), "ctx/data");
    std::fs::write(&source, "omega\n").expect("same-size edit");
    let mut tar = Vec::new();
    let tarred =
        write_tar_hashed(&tmp.path().join("ctx/data"), "ctx/data", &Exclude::none(), &mut tar, &mut |_| {})
            .expect("tar");
    assert_ne!(tarred.md5, before);
    assert_eq!(tarred.md5, md5(&tmp.path().join("ctx/data"), "ctx/data"));
    assert!(tar.windows(6).any(|w| w == b"omega\n"));
}

#[test]
fn hash_uses_the_archive_path_as_given() {
    let tmp = tempdir();
    file(tmp.path(), "app/a.txt", "x");
    let source = tmp.path().join("app");
    assert_ne!(md5(&source, "app"), md5(&source, "/app"));
    // For a file, the hash is md5(archive + bytes): no relative path is added.
    let single = file(tmp.path(), "one", "1");
    assert_eq!(md5(&single, "sandbox/one"), md5_of("sandbox/one1"));
}

#[test]
fn hash_progress_adds_up_to_the_scanned_size() {
    let tmp = tempdir();
    file(tmp.path(), "ctx/a.bin", &"a".repeat(3 * 1024 * 1024 + 17));
    file(tmp.path(), "ctx/sub/b.txt", "bb");
    dir(tmp.path(), "ctx/empty");
    let source = tmp.path().join("ctx");
    let summary = scan(&source, "ctx", ContextKind::Dir).expect("clean");
    assert_eq!(summary, ContextSummary { files: 2, bytes: 3 * 1024 * 1024 + 19 });
    let (mut calls, mut total) = (0, 0);
    let with = hash_with_progress(&source, "ctx", &Exclude::none(), &mut |bytes| {
        calls += 1;
        total += bytes;
    })
    .expect("hash");
    assert_eq!(with, md5(&source, "ctx"));
    assert_eq!(total, summary.bytes);
    assert!(calls >= 5, "{calls}");
}

#[test]
fn hash_of_a_missing_path_is_not_found() {
    let tmp = tempdir();
    let error = hash(&tmp.path().join("nope"), "nope").expect_err("missing");
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(error.to_string().contains("`nope` does not exist"), "{error}");
}

#[test]
fn deep_trees_do_not_recurse() {
    let tmp = tempdir();
    let deep = "d/".repeat(300);
    file(tmp.path(), &format!("ctx/{deep}leaf.txt"), "leaf");
    let source = tmp.path().join("ctx");
    assert_eq!(scan(&source, "ctx", ContextKind::Dir), Ok(ContextSummary { files: 1, bytes: 4 }));
    assert_eq!(md5(&source, "ctx"), md5_of(&format!("ctx{deep}leaf.txtleaf")));
    assert_eq!(members(&tar(&source, "ctx")).len(), 302);
}

// ---------------------------------------------------------------------------------------
// Scan

fn findings(source: &Path, archive: &str, kind: ContextKind) -> Vec<(ProblemKind, String)> {
    scan(source, archive, kind)
        .expect_err("problems")
        .into_iter()
        .map(|problem| (problem.kind, problem.to_string()))
        .collect()
}

#[test]
fn scan_missing_and_wrong_kind() {
    let tmp = tempdir();
    file(tmp.path(), "sandbox/a.txt", "a");

    let missing = findings(&tmp.path().join("sandbox/nope"), "sandbox/nope", ContextKind::Dir);
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].0, ProblemKind::Missing { expected: Some(ContextKind::Dir) });
    assert!(
        missing[0].1.starts_with("`sandbox/nope` does not exist (a directory is expected)"),
        "{missing:?}"
    );

    // A path through a file is missing too.
    let through = findings(&tmp.path().join("sandbox/a.txt/x"), "sandbox/a.txt/x", ContextKind::File);
    assert_eq!(through[0].0, ProblemKind::Missing { expected: Some(ContextKind::File) });

    let dir_for_file = findings(&tmp.path().join("sandbox"), "sandbox", ContextKind::File);
    assert_eq!(
        dir_for_file[0].0,
        ProblemKind::WrongKind { found: "a directory", expected: ContextKind::File }
    );
    assert_eq!(
        dir_for_file[0].1,
        "`sandbox` is a directory, but a file is expected; name a file, or copy the directory with \
         `add_local_dir`"
    );

    let file_for_dir = findings(&tmp.path().join("sandbox/a.txt"), "sandbox/a.txt", ContextKind::Dir);
    assert_eq!(
        file_for_dir[0].1,
        "`sandbox/a.txt` is a regular file, but a directory is expected; name a directory, or copy the \
         file with `add_local_file`"
    );

    assert_eq!(
        scan(&tmp.path().join("sandbox/a.txt"), "sandbox/a.txt", ContextKind::File),
        Ok(ContextSummary { files: 1, bytes: 1 })
    );
}

#[test]
fn scan_of_the_crate_directory_itself() {
    let tmp = tempdir();
    file(tmp.path(), "a.txt", "a");
    file(tmp.path(), "sub/b.txt", "bb");
    assert_eq!(scan(tmp.path(), ".", ContextKind::Dir), Ok(ContextSummary { files: 2, bytes: 3 }));
}

#[cfg(unix)]
#[test]
fn scan_reports_every_special_file_at_once() {
    use std::os::unix::fs::symlink;
    use std::os::unix::net::UnixListener;

    let tmp = tempdir();
    let sandbox = dir(tmp.path(), "sandbox");
    file(tmp.path(), "sandbox/data/a.txt", "a");
    symlink("a.txt", sandbox.join("data/link.txt")).expect("symlink");
    symlink("data", sandbox.join("dirlink")).expect("symlink");
    symlink("missing", sandbox.join("broken")).expect("symlink");
    let _listener = UnixListener::bind(sandbox.join("data/s.sock")).expect("socket");

    let found = findings(&sandbox, "sandbox", ContextKind::Dir);
    let kinds: Vec<ProblemKind> = found.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(
        kinds,
        [ProblemKind::Symlink, ProblemKind::Symlink, ProblemKind::Special("a socket"), ProblemKind::Symlink],
        "{found:?}"
    );
    // In walk order: broken, data/link.txt, data/s.sock, dirlink.
    assert!(found[0].1.starts_with("`sandbox/broken` is a symlink"), "{found:?}");
    assert_eq!(
        found[1].1,
        "`sandbox/data/link.txt` is a symlink, and Daytona's runner turns symlinks into empty files; \
         copy the target into the context instead"
    );
    assert_eq!(
        found[2].1,
        "`sandbox/data/s.sock` is a socket, which a build context cannot hold (only regular files and \
         directories); remove it or move it out of the context"
    );
    assert!(found[3].1.starts_with("`sandbox/dirlink` is a symlink"), "{found:?}");

    // hash and write_tar stop at the first one, with the same message.
    let error = hash(&sandbox, "sandbox").expect_err("symlink");
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(error.to_string(), found[0].1);
    let inner = error.get_ref().and_then(|e| e.downcast_ref::<Problem>()).expect("the problem inside");
    assert_eq!(inner.path, "sandbox/broken");
    let mut out = Vec::new();
    let error = write_tar(&sandbox, "sandbox", &mut out).expect_err("symlink");
    assert_eq!(error.to_string(), found[0].1);
    assert!(!out.ends_with(&[0; 1024]), "no end-of-archive marker after an error");
}

#[cfg(unix)]
#[test]
fn scan_rejects_a_context_reached_through_a_symlinked_directory() {
    // `sandbox` links out of the crate: `sandbox/data` is lexically inside, its files not.
    let outside = tempdir();
    file(outside.path(), "data/secret.txt", "not for the image");
    let crate_dir = tempdir();
    std::os::unix::fs::symlink(outside.path(), crate_dir.path().join("sandbox")).expect("symlink");
    let source = crate_dir.path().join("sandbox/data");
    let found = findings(&source, "sandbox/data", ContextKind::Dir);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, ProblemKind::Symlink);
    assert!(found[0].1.starts_with("`sandbox` is a symlink"), "{found:?}");
    let found = findings(
        &crate_dir.path().join("sandbox/data/secret.txt"),
        "sandbox/data/secret.txt",
        ContextKind::File,
    );
    assert!(found[0].1.starts_with("`sandbox` is a symlink"), "{found:?}");
}

#[cfg(unix)]
#[test]
fn scan_rejects_a_symlink_root() {
    let tmp = tempdir();
    file(tmp.path(), "real/a.txt", "a");
    file(tmp.path(), "real.txt", "a");
    std::os::unix::fs::symlink("real", tmp.path().join("link")).expect("symlink");
    std::os::unix::fs::symlink("real.txt", tmp.path().join("link.txt")).expect("symlink");
    for (name, kind) in [("link", ContextKind::Dir), ("link.txt", ContextKind::File)] {
        let found = findings(&tmp.path().join(name), name, kind);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, ProblemKind::Symlink);
        assert!(found[0].1.starts_with(&format!("`{name}` is a symlink")), "{found:?}");
        assert!(hash(&tmp.path().join(name), name).is_err());
        assert!(write_tar(&tmp.path().join(name), name, io::sink()).is_err());
    }
}

#[cfg(target_os = "linux")]
#[test]
fn scan_reports_non_utf8_names_and_keeps_going() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::symlink;

    let tmp = tempdir();
    let sandbox = dir(tmp.path(), "sandbox");
    let bad = sandbox.join(OsStr::from_bytes(b"caf\xe9"));
    fs::create_dir(&bad).expect("non-UTF-8 dir");
    fs::write(bad.join("ok.txt"), "x").expect("file");
    symlink("ok.txt", bad.join("link")).expect("symlink");

    let found = findings(&sandbox, "sandbox", ContextKind::Dir);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, ProblemKind::NonUtf8Name);
    assert_eq!(
        found[0].1,
        "`sandbox/caf\\xe9` has a name that is not UTF-8, which Dockerfile paths and context hashes \
         cannot express; rename it"
    );
    assert_eq!(found[1].0, ProblemKind::Symlink);
    assert!(found[1].1.starts_with("`sandbox/caf\\xe9/link` is a symlink"), "{found:?}");
    assert_eq!(hash(&sandbox, "sandbox").expect_err("non-UTF-8").to_string(), found[0].1);
}

#[cfg(unix)]
#[test]
fn scan_reports_unreadable_entries() {
    use std::os::unix::fs::PermissionsExt;

    let tmp = tempdir();
    let secret = file(tmp.path(), "sandbox/secret.txt", "s");
    let locked = dir(tmp.path(), "sandbox/locked");
    file(tmp.path(), "sandbox/locked/x", "x");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).expect("chmod");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).expect("chmod");
    if fs::File::open(&secret).is_ok() {
        // Running as root: permissions do not stop reads, nothing to test.
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).expect("chmod");
        return;
    }
    let found = findings(&tmp.path().join("sandbox"), "sandbox", ContextKind::Dir);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, ProblemKind::Unreadable(io::ErrorKind::PermissionDenied));
    assert_eq!(
        found[0].1,
        "cannot read `sandbox/locked` (permission denied); make it readable (`chmod a+rX`), or move it \
         out of the context"
    );
    assert!(found[1].1.starts_with("cannot read `sandbox/secret.txt`"), "{found:?}");
}

#[test]
fn findings_are_lowercase_without_a_period() {
    let tmp = tempdir();
    file(tmp.path(), "f", "");
    let mut all = findings(&tmp.path().join("nope"), "nope", ContextKind::File);
    all.extend(findings(&tmp.path().join("f"), "f", ContextKind::Dir));
    all.extend(findings(tmp.path(), ".", ContextKind::File));
    for (_, message) in all {
        assert!(!message.ends_with('.'), "{message}");
        assert!(!message.chars().next().is_some_and(char::is_uppercase), "{message}");
    }
}

// ---------------------------------------------------------------------------------------
// Tar

fn tar(source: &Path, archive: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let written = write_tar(source, archive, &mut out).expect("write_tar");
    assert_eq!(written, out.len() as u64);
    out
}

#[derive(Debug, PartialEq, Eq)]
struct Member {
    name: String,
    kind: tar::EntryType,
    mode: u32,
    content: Vec<u8>,
}

fn members(tar: &[u8]) -> Vec<Member> {
    let mut archive = tar::Archive::new(tar);
    let mut out = Vec::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let header = entry.header();
        assert_eq!(header.uid().expect("uid"), 0);
        assert_eq!(header.gid().expect("gid"), 0);
        assert_eq!(header.mtime().expect("mtime"), TAR_MTIME);
        assert_eq!(header.username_bytes(), Some(&b""[..]));
        assert_eq!(header.groupname_bytes(), Some(&b""[..]));
        let (kind, mode) = (header.entry_type(), header.mode().expect("mode"));
        let name = String::from_utf8(entry.path_bytes().into_owned()).expect("UTF-8 name");
        let mut content = Vec::new();
        io::Read::read_to_end(&mut entry, &mut content).expect("content");
        out.push(Member { name, kind, mode, content });
    }
    out
}

fn names(tar: &[u8]) -> Vec<String> {
    members(tar).into_iter().map(|member| member.name).collect()
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The `nested` tree of `docs/daytona-contract.md` §3.3 plus an executable script,
/// created in `order`.
fn nested(root: &Path, reverse: bool) -> PathBuf {
    let mut steps: Vec<Box<dyn Fn() + '_>> = vec![
        Box::new(|| _ = file(root, "nested/z.txt", "1")),
        Box::new(|| _ = dir(root, "nested/emptydir")),
        Box::new(|| _ = file(root, "nested/sub/y.txt", "2")),
        Box::new(|| _ = file(root, "nested/a.txt", "3")),
        Box::new(|| _ = file(root, "nested/run.sh", "#!/bin/sh\necho hi\n")),
    ];
    if reverse {
        steps.reverse();
    }
    for step in steps {
        step();
    }
    #[cfg(unix)]
    {
        for path in ["z.txt", "sub/y.txt", "a.txt"] {
            chmod(&root.join("nested").join(path), 0o644);
        }
        chmod(&root.join("nested/run.sh"), 0o755);
    }
    root.join("nested")
}

#[test]
fn tar_members_in_walk_order() {
    let tmp = tempdir();
    let source = nested(tmp.path(), false);
    let got = members(&tar(&source, "nested"));
    let expected = [
        ("nested/", tar::EntryType::Directory, 0o755, ""),
        ("nested/a.txt", tar::EntryType::Regular, 0o644, "3"),
        ("nested/emptydir/", tar::EntryType::Directory, 0o755, ""),
        ("nested/run.sh", tar::EntryType::Regular, 0o755, "#!/bin/sh\necho hi\n"),
        ("nested/sub/", tar::EntryType::Directory, 0o755, ""),
        ("nested/sub/y.txt", tar::EntryType::Regular, 0o644, "2"),
        ("nested/z.txt", tar::EntryType::Regular, 0o644, "1"),
    ];
    let expected: Vec<Member> = expected
        .iter()
        .map(|(name, kind, mode, content)| Member {
            name: (*name).to_owned(),
            kind: *kind,
            mode: if cfg!(unix) || *kind == tar::EntryType::Directory { *mode } else { 0o644 },
            content: content.as_bytes().to_vec(),
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn tar_roots() {
    let tmp = tempdir();
    file(tmp.path(), "a.txt", "a");
    file(tmp.path(), "sub/y.txt", "y");
    file(tmp.path(), "sandbox/data/x.txt", "x");
    // Archive ".": rooted at the context root itself, with no member for the root.
    assert_eq!(
        names(&tar(tmp.path(), ".")),
        ["a.txt", "sandbox/", "sandbox/data/", "sandbox/data/x.txt", "sub/", "sub/y.txt"]
    );
    // A nested archive path: no members for its parents.
    assert_eq!(
        names(&tar(&tmp.path().join("sandbox/data"), "sandbox/data")),
        ["sandbox/data/", "sandbox/data/x.txt"]
    );
    // A file: one member named by the archive path.
    let single = tar(&tmp.path().join("sandbox/data/x.txt"), "sandbox/data/x.txt");
    assert_eq!(names(&single), ["sandbox/data/x.txt"]);
    assert_eq!(single.len(), 512 * 4);
    // A file cannot be the crate directory.
    let error = write_tar(&tmp.path().join("a.txt"), ".", io::sink()).expect_err("file as .");
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn tar_is_reproducible() {
    let (one, two) = (tempdir(), tempdir());
    let first = tar(&nested(one.path(), false), "nested");
    assert_eq!(first, tar(&one.path().join("nested"), "nested"), "same tree twice");

    // Another tree with the same names and contents, created in the other order, with other
    // modification times: the same bytes.
    let source = nested(two.path(), true);
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for path in ["a.txt", "z.txt", "sub/y.txt", "run.sh"] {
        fs::File::options()
            .write(true)
            .open(source.join(path))
            .and_then(|file| file.set_modified(old))
            .expect("set mtime");
    }
    assert_eq!(first, tar(&source, "nested"), "other mtimes and creation order");
    assert_eq!(first.len() % 512, 0);
    // Changing a mode changes the tar.
    #[cfg(unix)]
    {
        chmod(&source.join("a.txt"), 0o600);
        assert_ne!(first, tar(&source, "nested"));
    }
}

#[test]
fn tar_long_names() {
    let tmp = tempdir();
    let long = format!("{}/{}.txt", "d".repeat(120), "f".repeat(150));
    file(tmp.path(), &format!("ctx/{long}"), "long");
    let got = members(&tar(&tmp.path().join("ctx"), "ctx"));
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].name, format!("ctx/{}/", "d".repeat(120)));
    assert_eq!(got[2].name, format!("ctx/{long}"));
    assert_eq!(got[2].content, b"long");
}

#[test]
fn tar_unicode_names() {
    let tmp = tempdir();
    file(tmp.path(), "vec/café/ß.txt", "unicode\n");
    file(tmp.path(), "vec/dir with space/f.txt", "space\n");
    assert_eq!(
        names(&tar(&tmp.path().join("vec"), "vec")),
        ["vec/", "vec/café/", "vec/café/ß.txt", "vec/dir with space/", "vec/dir with space/f.txt"]
    );
}

#[test]
fn tar_progress_counts_file_bytes() {
    let tmp = tempdir();
    let source = nested(tmp.path(), false);
    let mut total = 0;
    let mut out = Vec::new();
    write_tar_with_progress(&source, "nested", &Exclude::none(), &mut out, &mut |bytes| total += bytes)
        .expect("tar");
    assert_eq!(total, scan(&source, "nested", ContextKind::Dir).expect("clean").bytes);
}

/// An output that changes `file` once the first file data reaches it.
struct Meddler {
    out: Vec<u8>,
    file: PathBuf,
    grow: bool,
    done: bool,
}

impl Write for Meddler {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.extend_from_slice(buf);
        if !self.done && self.out.len() > 512 {
            self.done = true;
            let file = fs::File::options().append(true).open(&self.file)?;
            if self.grow {
                (&file).write_all(b"more")?;
            } else {
                file.set_len(1000)?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn tar_fails_when_a_file_changes_size() {
    for grow in [true, false] {
        let tmp = tempdir();
        let path = file(tmp.path(), "data.bin", &"x".repeat(64 * 1024));
        let mut meddler = Meddler { out: Vec::new(), file: path.clone(), grow, done: false };
        let error = write_tar(&path, "sandbox/data.bin", &mut meddler).expect_err("changed");
        let changed = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<FileChanged>())
            .expect("a FileChanged error");
        assert_eq!(
            changed,
            &FileChanged { path: "sandbox/data.bin".to_owned(), expected: 64 * 1024, grew: grow }
        );
        let how = if grow { "grew" } else { "shrank" };
        assert_eq!(
            error.to_string(),
            format!(
                "`sandbox/data.bin` {how} while it was being archived (it had 65536 bytes); retry once \
                 nothing is writing to it"
            )
        );
        // Nothing after the error: no padding, no end-of-archive marker.
        assert!(meddler.out.len() <= 512 + 64 * 1024, "{}", meddler.out.len());
        assert_eq!(meddler.out.last(), Some(&b'x'));
    }
}

#[test]
fn tar_stops_at_a_failing_output() {
    struct Full(usize);
    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "full"));
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let tmp = tempdir();
    let source = nested(tmp.path(), false);
    let error = write_tar(&source, "nested", Full(1000)).expect_err("full");
    assert_eq!(error.kind(), io::ErrorKind::StorageFull);
}
