//! The deterministic walk shared by [`scan`](super::scan), [`hash`](super::hash) and
//! [`write_tar`](super::write_tar): entries sorted by the bytes of their names, depth
//! first, files and directories interleaved (the TypeScript SDK 0.218.0 order).
//!
//! The walk never follows a symlink and never recurses: it keeps an explicit stack, so
//! a deep tree cannot overflow the thread's stack.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{self, FileType};
use std::io;
use std::path::PathBuf;

use super::{Exclude, Problem, ProblemKind};

/// A regular file or directory met by the walk.
#[derive(Debug)]
pub(crate) struct Node {
    /// The path on disk.
    pub(crate) path: PathBuf,
    /// The path relative to the walked root, `/`-separated; `""` for the root itself.
    pub(crate) rel: String,
    pub(crate) kind: NodeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    File,
    /// `empty`: the directory has no entries at all.
    Dir {
        empty: bool,
    },
}

/// Something the walk cannot put in a context, where it sits relative to the walked
/// root; [`Unfit::at`] names it relative to the crate directory.
#[derive(Debug)]
pub(crate) struct Unfit {
    /// The path relative to the walked root, `/`-separated, with any byte that is not
    /// UTF-8 written as `\xNN`; `""` for the root itself.
    pub(crate) rel: String,
    pub(crate) kind: ProblemKind,
}

/// How the messages name a context path: relative to the crate directory, e.g.
/// `sandbox/data/link.txt` for `rel = "data/link.txt"` under archive `sandbox`.
pub(crate) fn display_path(archive: &str, rel: &str) -> String {
    if rel.is_empty() {
        archive.to_owned()
    } else if archive == "." || archive.is_empty() {
        rel.to_owned()
    } else {
        format!("{archive}/{rel}")
    }
}

/// What a file type is, with an article: "a directory", "a FIFO", ...
pub(crate) fn describe(file_type: FileType) -> &'static str {
    if file_type.is_symlink() {
        return "a symlink";
    }
    if file_type.is_dir() {
        return "a directory";
    }
    if file_type.is_file() {
        return "a regular file";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
    }
    "a special file"
}

/// A name as UTF-8, with each byte that is not UTF-8 written as `\xNN`.
fn escape_name(name: &std::ffi::OsStr) -> String {
    let mut out = String::new();
    for chunk in name.as_encoded_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

impl Unfit {
    /// The problem, named relative to the crate directory (under archive path `archive`).
    pub(crate) fn at(self, archive: &str) -> Problem {
        Problem { path: display_path(archive, &self.rel), kind: self.kind }
    }

    /// The error `hash` and `write_tar` return for this problem.
    pub(crate) fn into_io_error(self, archive: &str) -> io::Error {
        self.at(archive).into_io_error()
    }
}

/// One directory being listed: its path, its `rel`, and its entries not yet visited,
/// sorted in reverse so that `pop` gives the next one.
#[derive(Debug)]
struct Frame {
    dir: PathBuf,
    rel: String,
    entries: Vec<(OsString, io::Result<FileType>)>,
}

/// The walk, as an iterator of nodes and problems in walk order. A consumer that stops
/// at the first problem (`hash`, `write_tar`) sees exactly what `scan` reports first.
#[derive(Debug)]
pub(crate) struct Walk {
    root: Option<PathBuf>,
    stack: Vec<Frame>,
    queue: VecDeque<Result<Node, Unfit>>,
    exclude: Exclude,
}

impl Walk {
    /// The whole tree under `root`, less what `exclude` leaves out: an excluded entry is
    /// never visited (an excluded directory, nothing below it), and a directory whose
    /// entries are all excluded is empty.
    pub(crate) fn new(root: impl Into<PathBuf>, exclude: &Exclude) -> Walk {
        Walk { root: Some(root.into()), stack: Vec::new(), queue: VecDeque::new(), exclude: exclude.clone() }
    }

    fn visit_root(&mut self, root: PathBuf) {
        match fs::symlink_metadata(&root) {
            Ok(metadata) => self.visit(root, String::new(), Ok(metadata.file_type())),
            Err(error) if is_missing(&error) => self
                .queue
                .push_back(Err(Unfit { rel: String::new(), kind: ProblemKind::Missing { expected: None } })),
            Err(error) => self
                .queue
                .push_back(Err(Unfit { rel: String::new(), kind: ProblemKind::Unreadable(error.kind()) })),
        }
    }

    fn visit(&mut self, path: PathBuf, rel: String, file_type: io::Result<FileType>) {
        let file_type = match file_type {
            Ok(file_type) => file_type,
            Err(error) => {
                self.queue.push_back(Err(Unfit { rel, kind: ProblemKind::Unreadable(error.kind()) }));
                return;
            }
        };
        if file_type.is_symlink() {
            self.queue.push_back(Err(Unfit { rel, kind: ProblemKind::Symlink }));
        } else if file_type.is_file() {
            self.queue.push_back(Ok(Node { path, rel, kind: NodeKind::File }));
        } else if file_type.is_dir() {
            match list(&path) {
                Ok(mut entries) => {
                    if !self.exclude.is_empty() {
                        entries.retain(|(name, _)| {
                            !self.exclude.excludes(&child_rel(&rel, &display_name(name)))
                        });
                    }
                    let empty = entries.is_empty();
                    self.queue.push_back(Ok(Node {
                        path: path.clone(),
                        rel: rel.clone(),
                        kind: NodeKind::Dir { empty },
                    }));
                    if !empty {
                        self.stack.push(Frame { dir: path, rel, entries });
                    }
                }
                Err(error) => {
                    self.queue.push_back(Err(Unfit { rel, kind: ProblemKind::Unreadable(error.kind()) }))
                }
            }
        } else {
            self.queue.push_back(Err(Unfit { rel, kind: ProblemKind::Special(describe(file_type)) }));
        }
    }
}

impl Iterator for Walk {
    type Item = Result<Node, Unfit>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if let Some(root) = self.root.take() {
                self.visit_root(root);
                continue;
            }
            let frame = self.stack.last_mut()?;
            let Some((name, file_type)) = frame.entries.pop() else {
                self.stack.pop();
                continue;
            };
            let path = frame.dir.join(&name);
            let rel = child_rel(&frame.rel, &display_name(&name));
            if name.to_str().is_none() {
                // Report the name, then keep walking so that `scan` reports every problem.
                self.queue.push_back(Err(Unfit { rel: rel.clone(), kind: ProblemKind::NonUtf8Name }));
            }
            self.visit(path, rel, file_type);
        }
    }
}

/// A name as the walk reports it: UTF-8, or escaped (see [`escape_name`]).
fn display_name(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, str> {
    match name.to_str() {
        Some(name) => std::borrow::Cow::Borrowed(name),
        None => std::borrow::Cow::Owned(escape_name(name)),
    }
}

/// The relative path of `name` in the directory at `rel`.
fn child_rel(rel: &str, name: &str) -> String {
    if rel.is_empty() { name.to_owned() } else { format!("{rel}/{name}") }
}

/// The entries of `dir`, sorted in reverse by the bytes of their names.
fn list(dir: &std::path::Path) -> io::Result<Vec<(OsString, io::Result<FileType>)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        entries.push((entry.file_name(), entry.file_type()));
    }
    // `OsString`'s order is the order of its bytes (on Unix, the raw name).
    entries.sort_unstable_by(|a, b| b.0.cmp(&a.0));
    Ok(entries)
}

/// Whether an error from `stat` means the path does not exist (also when a parent is a
/// file rather than a directory).
pub(crate) fn is_missing(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory)
}
