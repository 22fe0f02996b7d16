//! The context hash: the MD5 that names a context in object storage
//! (`docs/daytona-contract.md` §3.2-3.3).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use md5::{Digest, Md5};

use super::walk::{NodeKind, Walk, display_path};

/// The read buffer for file contents: large enough that MD5, not the system calls,
/// is the bottleneck.
pub(crate) const BUFFER_SIZE: usize = 1 << 20;

/// The context hash of `source` with archive path `archive`, as the TypeScript SDK
/// 0.218.0 computes it (`computeHashForPathMd5`), in 32 lowercase hex digits.
///
/// MD5 over the UTF-8 of `archive`, then:
/// - for a file, its bytes (identical in the Python and TypeScript SDKs);
/// - for a directory, a walk with entries sorted by the bytes of their names, depth
///   first, files and directories interleaved: each regular file contributes its path
///   relative to `source` (`/`-separated) followed by its bytes, and each directory with
///   no entries contributes its relative path (the root itself contributes `""`).
///
/// Names of non-empty directories, modes and times are not hashed. Unlike the SDKs, the
/// hash refuses what [`scan`](super::scan) reports: a symlink (even as `source`), a socket,
/// FIFO or device, a name that is not UTF-8, or an unreadable entry is an error, with the
/// message `scan` would give. Run `scan` first to report all of them at once.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("hashdemo"))?;
/// std::fs::write(dir.path().join("hashdemo/a.txt"), "hello\n")?;
/// std::fs::write(dir.path().join("hashdemo/b.txt"), "world\n")?;
/// let md5 = daytona_contract::context::hash(&dir.path().join("hashdemo"), "hashdemo")?;
/// assert_eq!(md5, "62cabd3fb3fa8038813d87977b8ab372");
/// # Ok(())
/// # }
/// ```
pub fn hash(source: &Path, archive: &str) -> io::Result<String> {
    hash_with_progress(source, archive, &mut |_| {})
}

/// [`hash`], calling `progress` with the number of file bytes just hashed after each
/// read (at most 1 MiB at a time), e.g. to drive a progress bar against
/// [`ContextSummary::bytes`](super::ContextSummary::bytes).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("file.txt"), "hello\n")?;
/// let mut done = 0;
/// let md5 = daytona_contract::context::hash_with_progress(
///     &dir.path().join("file.txt"),
///     "ctx/file.txt",
///     &mut |bytes| done += bytes,
/// )?;
/// assert_eq!((md5.as_str(), done), ("0062767e43a7b98b63a594b2504ce32c", 6));
/// # Ok(())
/// # }
/// ```
pub fn hash_with_progress(source: &Path, archive: &str, progress: &mut dyn FnMut(u64)) -> io::Result<String> {
    let mut md5 = Md5::new();
    md5.update(archive.as_bytes());
    let mut buffer = vec![0; BUFFER_SIZE];
    for item in Walk::new(source) {
        let node = item.map_err(|problem| problem.into_io_error(archive))?;
        match node.kind {
            NodeKind::Dir { empty: true } => md5.update(node.rel.as_bytes()),
            NodeKind::Dir { empty: false } => {}
            NodeKind::File => {
                md5.update(node.rel.as_bytes());
                let name = || display_path(archive, &node.rel);
                let mut file = File::open(&node.path).map_err(|error| read_error(&name(), error))?;
                loop {
                    let read = match file.read(&mut buffer) {
                        Ok(0) => break,
                        Ok(read) => read,
                        Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                        Err(error) => return Err(read_error(&name(), error)),
                    };
                    let chunk = buffer.get(..read).unwrap_or_default();
                    md5.update(chunk);
                    progress(chunk.len() as u64);
                }
            }
        }
    }
    Ok(hex(&md5.finalize()))
}

/// An error reading a context file, naming it.
pub(crate) fn read_error(path: &str, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("cannot read `{path}`: {error}"))
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}
