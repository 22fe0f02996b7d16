//! The context tar: the `context.tar` uploaded for each context
//! (`docs/daytona-contract.md` §3.4).

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use md5::{Digest, Md5};
use tar::{Builder, EntryType, Header};

use super::Exclude;
use super::hash::{hex, read_error};
use super::walk::{NodeKind, Walk, display_path};

/// The mode of every directory entry.
const DIR_MODE: u32 = 0o755;

/// The modification time of every entry: the Unix epoch, so that the tar only depends
/// on names, contents and permission bits.
///
/// ```
/// assert_eq!(daytona_contract::context::TAR_MTIME, 0);
/// ```
pub const TAR_MTIME: u64 = 0;

/// A context file changed size while [`write_tar`] was archiving it; the tar written so
/// far is incomplete (it has no end-of-archive marker) and must be discarded.
///
/// It is the [inner error](io::Error::get_ref) of the `io::Error` that `write_tar` returns:
///
/// ```
/// # fn check(error: std::io::Error) {
/// use daytona_contract::context::FileChanged;
/// if let Some(changed) = error.get_ref().and_then(|e| e.downcast_ref::<FileChanged>()) {
///     eprintln!("{} changed; retrying", changed.path);
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChanged {
    /// The file, relative to the crate directory (`sandbox/data.bin`).
    pub path: String,
    /// Its size when archiving started.
    pub expected: u64,
    /// Whether it grew (`true`) or shrank (`false`).
    pub grew: bool,
}

impl fmt::Display for FileChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.grew { "grew" } else { "shrank" };
        write!(
            f,
            "`{}` {how} while it was being archived (it had {} bytes); retry once nothing is \
             writing to it",
            self.path, self.expected
        )
    }
}

impl std::error::Error for FileChanged {}

/// A context's content is not what was compiled: the hash of the tar just written
/// ([`Tarred::md5`]) differs from the hash the definition carries, so a file changed
/// since the crate was compiled. The tar must not be stored under the compiled hash;
/// rebuild the crate and publish again.
///
/// Uploaders return it as the [inner error](io::Error::get_ref) of an `io::Error`:
///
/// ```
/// use daytona_contract::context::ContextChanged;
/// let changed = ContextChanged {
///     archive_path: "sandbox".into(),
///     compiled: "30e0b496b75779c18af6dab75e0edbdc".into(),
///     now: "62cabd3fb3fa8038813d87977b8ab372".into(),
/// };
/// let error = std::io::Error::other(changed.clone());
/// assert_eq!(error.get_ref().and_then(|e| e.downcast_ref::<ContextChanged>()), Some(&changed));
/// assert!(changed.to_string().contains("rebuild"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextChanged {
    /// The context's archive path (`sandbox/data`).
    pub archive_path: String,
    /// The hash compiled into the application.
    pub compiled: String,
    /// The hash of the content as it was archived now.
    pub now: String,
}

impl fmt::Display for ContextChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "context `{}` changed since the crate was compiled (compiled hash {}, hash now {}); rebuild \
             the crate, then publish again",
            self.archive_path, self.compiled, self.now
        )
    }
}

impl std::error::Error for ContextChanged {}

/// Writes the context `source` (with archive path `archive`) to `out` as an uncompressed
/// tar, streaming: memory use does not depend on file sizes. Returns the number of bytes
/// written.
///
/// The tar is reproducible: the same tree always gives the same bytes.
/// - Members are rooted at `archive` (`hashdemo/`, `hashdemo/a.txt`, ...); for archive
///   `.` they are rooted at `source` itself (`a.txt`, `sub/`, `sub/y.txt`), with no
///   member for the root. A file `source` is one member named `archive`. Parents of the
///   archive path (`sandbox/` for `sandbox/data`) are not written.
/// - Members come in the walk order of [`hash`](super::hash) (sorted by name bytes, depth
///   first); directories are written as entries named with a trailing `/` and mode
///   `0755`, regular files with their permission bits (`mode & 0o777`, so an executable
///   script stays executable; `0644` on platforms without Unix modes).
/// - GNU format: uid and gid 0, empty user and group names, mtime [`TAR_MTIME`] (0), and
///   GNU long-name records for paths over 100 bytes. No padding beyond the two zero
///   blocks that end the archive.
///
/// Errors: what [`scan`](super::scan) would report (symlinks, special files, names that
/// are not UTF-8, unreadable entries), a `source` that is a file with archive `.`, any
/// error from `out`, and a file that changes size while it is read (the inner error is a
/// [`FileChanged`]). After an error nothing more is written to `out` (in particular no
/// end-of-archive marker), so a partial tar is never mistaken for a complete one.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("hashdemo"))?;
/// std::fs::write(dir.path().join("hashdemo/a.txt"), "hello\n")?;
/// let mut tar = Vec::new();
/// let written = daytona_contract::context::write_tar(&dir.path().join("hashdemo"), "hashdemo", &mut tar)?;
/// assert_eq!(written as usize, tar.len());
/// // `hashdemo/` and `hashdemo/a.txt` headers, one data block, the end-of-archive marker
/// assert_eq!(tar.len(), 5 * 512);
/// # Ok(())
/// # }
/// ```
pub fn write_tar<W: Write>(source: &Path, archive: &str, out: W) -> io::Result<u64> {
    write_tar_with_progress(source, archive, &Exclude::none(), out, &mut |_| {})
}

/// [`write_tar`] of the context less what `exclude` leaves out, calling `progress` with
/// the number of file bytes just archived after each read, e.g. to drive an upload progress bar against
/// [`ContextSummary::bytes`](super::ContextSummary::bytes).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("run.sh"), "#!/bin/sh\n")?;
/// let mut done = 0;
/// daytona_contract::context::write_tar_with_progress(
///     &dir.path().join("run.sh"),
///     "sandbox/run.sh",
///     &daytona_contract::context::Exclude::none(),
///     std::io::sink(),
///     &mut |bytes| done += bytes,
/// )?;
/// assert_eq!(done, 10);
/// # Ok(())
/// # }
/// ```
pub fn write_tar_with_progress<W: Write>(
    source: &Path,
    archive: &str,
    exclude: &Exclude,
    out: W,
    progress: &mut dyn FnMut(u64),
) -> io::Result<u64> {
    write_tar_hashed(source, archive, exclude, out, progress).map(|tarred| tarred.bytes)
}

/// What [`write_tar_hashed`] wrote: the size of the tar and the context hash of exactly
/// the bytes it archived.
///
/// ```
/// let tarred = daytona_contract::context::Tarred { bytes: 2048, md5: "0062767e43a7b98b63a594b2504ce32c".into() };
/// assert_eq!(tarred.md5.len(), 32);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tarred {
    /// The number of bytes written to the output.
    pub bytes: u64,
    /// The [`hash`](super::hash) of the context as archived: the file bytes that went
    /// into the tar, in the contract's hash order.
    pub md5: String,
}

/// [`write_tar_with_progress`], computing the context [`hash`](super::hash) in the same
/// walk: each file is read once, and the bytes read feed both the tar and the MD5. The
/// hash is therefore the hash of what the tar holds, even if a file is edited meanwhile
/// (without changing size; a size change fails with [`FileChanged`]). Compare it with
/// the hash the object is stored under before publishing the tar (`docs/DESIGN.md`,
/// "Publishing rules").
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("hashdemo"))?;
/// std::fs::write(dir.path().join("hashdemo/a.txt"), "hello\n")?;
/// std::fs::write(dir.path().join("hashdemo/b.txt"), "world\n")?;
/// let mut tar = Vec::new();
/// let tarred = daytona_contract::context::write_tar_hashed(
///     &dir.path().join("hashdemo"),
///     "hashdemo",
///     &daytona_contract::context::Exclude::none(),
///     &mut tar,
///     &mut |_| {},
/// )?;
/// assert_eq!(tarred.md5, "62cabd3fb3fa8038813d87977b8ab372");
/// assert_eq!(tarred.bytes as usize, tar.len());
/// # Ok(())
/// # }
/// ```
pub fn write_tar_hashed<W: Write>(
    source: &Path,
    archive: &str,
    exclude: &Exclude,
    out: W,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Tarred> {
    let mut builder = Builder::new(Guarded { inner: out, written: 0, failed: false });
    let mut md5 = Md5::new();
    md5.update(archive.as_bytes());
    match append_all(&mut builder, source, archive, exclude, &mut md5, progress) {
        Ok(()) => {
            let mut out = builder.into_inner()?;
            out.flush()?;
            Ok(Tarred { bytes: out.written, md5: hex(&md5.finalize()) })
        }
        Err(error) => {
            // `Builder`'s destructor would append the end-of-archive marker.
            builder.get_mut().failed = true;
            Err(error)
        }
    }
}

fn append_all<W: Write>(
    builder: &mut Builder<W>,
    source: &Path,
    archive: &str,
    exclude: &Exclude,
    md5: &mut Md5,
    progress: &mut dyn FnMut(u64),
) -> io::Result<()> {
    // The hash's order is the walk's (see `hash`): an empty directory contributes its
    // relative path, a file its relative path then its bytes.
    for item in Walk::new(source, exclude) {
        let node = item.map_err(|problem| problem.into_io_error(archive))?;
        let name = display_path(archive, &node.rel);
        match node.kind {
            NodeKind::Dir { empty } => {
                if empty {
                    md5.update(node.rel.as_bytes());
                }
                if archive == "." && node.rel.is_empty() {
                    continue;
                }
                let mut header = header(EntryType::Directory, DIR_MODE, 0);
                builder.append_data(&mut header, format!("{name}/"), io::empty())?;
            }
            NodeKind::File => {
                if archive == "." && node.rel.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "archive path `.` names the crate directory, but the context is a file; \
                         pass the file's own archive path",
                    ));
                }
                let file = File::open(&node.path).map_err(|error| read_error(&name, error))?;
                let metadata = file.metadata().map_err(|error| read_error(&name, error))?;
                if !metadata.is_file() {
                    // Replaced by something else since the walk looked at it.
                    return Err(io::Error::other(format!(
                        "`{name}` was replaced while it was being archived; retry once nothing is \
                         writing to the context"
                    )));
                }
                let size = metadata.len();
                let mut header = header(EntryType::Regular, file_mode(&metadata), size);
                md5.update(node.rel.as_bytes());
                let reader =
                    Exact { file, name: &name, expected: size, left: size, md5: &mut *md5, progress };
                builder.append_data(&mut header, &name, reader)?;
            }
        }
    }
    Ok(())
}

/// A GNU header with the fixed fields.
fn header(entry_type: EntryType, mode: u32, size: u64) -> Header {
    let mut header = Header::new_gnu();
    header.set_entry_type(entry_type);
    header.set_mode(mode);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(TAR_MTIME);
    header
}

#[cfg(unix)]
fn file_mode(metadata: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn file_mode(_metadata: &std::fs::Metadata) -> u32 {
    0o644
}

/// Reads exactly `expected` bytes from a file, or fails with [`FileChanged`]: the tar
/// crate copies whatever the reader gives after a header that already holds the size.
struct Exact<'a> {
    file: File,
    name: &'a str,
    expected: u64,
    left: u64,
    /// The context hash, fed the same bytes as the tar.
    md5: &'a mut Md5,
    progress: &'a mut dyn FnMut(u64),
}

impl Exact<'_> {
    fn changed(&self, grew: bool) -> io::Error {
        io::Error::other(FileChanged { path: self.name.to_owned(), expected: self.expected, grew })
    }
}

impl Read for Exact<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut probe = [0; 1];
            return match self.file.read(&mut probe) {
                Ok(0) => Ok(0),
                Ok(_) => Err(self.changed(true)),
                Err(error) => Err(read_error(self.name, error)),
            };
        }
        let want = usize::try_from(self.left).unwrap_or(usize::MAX).min(buf.len());
        let read = self
            .file
            .read(buf.get_mut(..want).unwrap_or_default())
            .map_err(|error| read_error(self.name, error))?;
        if read == 0 {
            return Err(self.changed(false));
        }
        self.left -= read as u64;
        self.md5.update(buf.get(..read).unwrap_or_default());
        (self.progress)(read as u64);
        Ok(read)
    }
}

/// The output: counts the bytes written and, once `failed` is set, refuses to write (so
/// `Builder`'s destructor cannot finish a broken archive).
struct Guarded<W> {
    inner: W,
    written: u64,
    failed: bool,
}

impl<W: Write> Write for Guarded<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::other("the context tar failed; not writing past the error"));
        }
        match self.inner.write(buf) {
            Ok(written) => {
                self.written += written as u64;
                Ok(written)
            }
            Err(error) => {
                if error.kind() != io::ErrorKind::Interrupted {
                    self.failed = true;
                }
                Err(error)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        self.inner.flush()
    }
}
