//! The context hash: the MD5 that names a context in object storage
//! (`docs/daytona-contract.md` §3.2-3.3).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::mpsc;
use std::thread;

use md5::{Digest, Md5};

use super::Exclude;
use super::walk::{NodeKind, Walk, display_path};

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
    hash_with_progress(source, archive, &Exclude::none(), &mut |_| {})
}

/// [`hash`] of the context less what `exclude` leaves out (excluded entries are not
/// read), calling `progress` with the number of file bytes just hashed after each chunk
/// (at most 256 KiB at a time), e.g. to drive a progress bar against
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
///     &daytona_contract::context::Exclude::none(),
///     &mut |bytes| done += bytes,
/// )?;
/// assert_eq!((md5.as_str(), done), ("0062767e43a7b98b63a594b2504ce32c", 6));
/// # Ok(())
/// # }
/// ```
pub fn hash_with_progress(
    source: &Path,
    archive: &str,
    exclude: &Exclude,
    progress: &mut dyn FnMut(u64),
) -> io::Result<String> {
    let mut md5 = Md5::new();
    md5.update(archive.as_bytes());
    read_ahead(source, archive, exclude, &mut |chunk, file_bytes| {
        md5.update(chunk);
        if file_bytes > 0 {
            progress(file_bytes);
        }
    })?;
    Ok(hex(&md5.finalize()))
}

/// The size of one read-ahead chunk: small enough that a chunk is still in the CPU's
/// cache when it is hashed, and that `progress` moves at least every 256 KiB.
const CHUNK: usize = 256 << 10;
/// How many chunks are in flight between the reading thread and the hashing one.
const CHUNKS: usize = 4;

/// Feeds `consume` the bytes the hash covers after the archive path (names and file
/// contents, in walk order), with the number of file bytes in each chunk. A second
/// thread walks and reads while this one consumes, so the reads (system calls and
/// copies out of the page cache) overlap the hashing instead of adding to it
/// (`docs/dependencies.md` §3). Small files share chunks.
fn read_ahead(
    source: &Path,
    archive: &str,
    exclude: &Exclude,
    consume: &mut dyn FnMut(&[u8], u64),
) -> io::Result<()> {
    thread::scope(|scope| {
        let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Chunk>>(CHUNKS);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
        for _ in 0..CHUNKS {
            // The receiver is alive: it is moved into the reader below.
            let _ = empty_tx.send(vec![0; CHUNK]);
        }
        thread::Builder::new().name("context-read".into()).spawn_scoped(scope, move || {
            let mut reader = Reader { chunk: Chunk::default(), full: full_tx, empty: empty_rx };
            if let Err(error) = reader.read_all(source, archive, exclude) {
                // The hashing side may be gone already; then nobody needs the error.
                let _ = reader.full.send(Err(error));
            }
        })?;
        for chunk in full_rx {
            let chunk = chunk?;
            consume(chunk.buf.get(..chunk.len).unwrap_or_default(), chunk.file_bytes);
            // The reader may have finished; then the buffer is simply dropped.
            let _ = empty_tx.send(chunk.buf);
        }
        Ok(())
    })
}

/// A buffer of `CHUNK` bytes, `len` of them filled, `file_bytes` of those from files.
#[derive(Debug, Default)]
struct Chunk {
    buf: Vec<u8>,
    len: usize,
    file_bytes: u64,
}

/// The reading side of [`read_ahead`]: fills chunks and hands them over in order.
#[derive(Debug)]
struct Reader {
    chunk: Chunk,
    full: mpsc::SyncSender<io::Result<Chunk>>,
    empty: mpsc::Receiver<Vec<u8>>,
}

impl Reader {
    fn read_all(&mut self, source: &Path, archive: &str, exclude: &Exclude) -> io::Result<()> {
        for item in Walk::new(source, exclude) {
            let node = item.map_err(|problem| problem.into_io_error(archive))?;
            match node.kind {
                NodeKind::Dir { empty: true } => self.put(node.rel.as_bytes())?,
                NodeKind::Dir { empty: false } => {}
                NodeKind::File => {
                    self.put(node.rel.as_bytes())?;
                    let name = || display_path(archive, &node.rel);
                    let mut file = File::open(&node.path).map_err(|error| read_error(&name(), error))?;
                    loop {
                        let chunk = self.room()?;
                        let read = match file.read(chunk.buf.get_mut(chunk.len..).unwrap_or_default()) {
                            Ok(0) => break,
                            Ok(read) => read,
                            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                            Err(error) => return Err(read_error(&name(), error)),
                        };
                        chunk.len += read;
                        chunk.file_bytes += read as u64;
                    }
                }
            }
        }
        self.send()
    }

    /// Appends `bytes` (a name), across chunks if need be.
    fn put(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let chunk = self.room()?;
            let free = chunk.buf.get_mut(chunk.len..).unwrap_or_default();
            let n = free.len().min(bytes.len());
            let (now, later) = bytes.split_at(n);
            free.get_mut(..n).unwrap_or_default().copy_from_slice(now);
            chunk.len += n;
            bytes = later;
        }
        Ok(())
    }

    /// The current chunk, after handing over a full one and taking an empty one.
    fn room(&mut self) -> io::Result<&mut Chunk> {
        if self.chunk.len == self.chunk.buf.len() {
            self.send()?;
            let buf = self.empty.recv().map_err(|_| hasher_gone())?;
            self.chunk = Chunk { buf, len: 0, file_bytes: 0 };
        }
        Ok(&mut self.chunk)
    }

    /// Hands the current chunk over, if it holds anything.
    fn send(&mut self) -> io::Result<()> {
        let chunk = std::mem::take(&mut self.chunk);
        if chunk.len == 0 {
            return Ok(());
        }
        self.full.send(Ok(chunk)).map_err(|_| hasher_gone())
    }
}

/// The reader's error when the hashing side stopped first (it only stops on an error
/// the reader sent, so this one is never seen).
fn hasher_gone() -> io::Error {
    io::Error::other("the context hash stopped reading")
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
