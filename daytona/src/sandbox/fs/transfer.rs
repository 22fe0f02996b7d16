//! What uploads and downloads share: a watchdog of progress for a request body, response
//! bodies read a chunk at a time with each wait bounded, and temp files renamed into
//! place. Nothing here holds more than one chunk.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::Response;

use crate::Error;

/// When a request body last moved: its stream touches it at each chunk, and
/// [`stalled`](Self::stalled) resolves once it has not moved for the idle timeout. Also
/// keeps the first local read error, so a failed upload reports it rather than the broken
/// connection it caused.
#[derive(Debug)]
pub(super) struct Progress {
    start: Instant,
    last_ms: AtomicU64,
    read_error: Mutex<Option<io::Error>>,
}

impl Progress {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Progress { start: Instant::now(), last_ms: AtomicU64::new(0), read_error: Mutex::new(None) })
    }

    pub(super) fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    pub(super) fn fail(&self, error: &io::Error) {
        if let Ok(mut slot) = self.read_error.lock()
            && slot.is_none()
        {
            *slot = Some(io::Error::new(error.kind(), error.to_string()));
        }
    }

    pub(super) fn take_read_error(&self) -> Option<io::Error> {
        self.read_error.lock().ok().and_then(|mut slot| slot.take())
    }

    /// Resolves once nothing has moved for `idle`.
    pub(super) async fn stalled(&self, idle: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + idle;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// The chunks of a response body, each awaited at most `idle`; a body shorter than its
/// `Content-Length` ends in an error, never in a short file taken for whole.
pub(super) fn body_chunks(
    operation: &'static str,
    response: Response,
    idle: Duration,
) -> impl Stream<Item = Result<Bytes, Error>> + Send + 'static {
    struct State<S> {
        body: S,
        expected: Option<u64>,
        received: u64,
        done: bool,
    }
    let state = State {
        expected: response.content_length(),
        body: Box::pin(response.bytes_stream()),
        received: 0,
        done: false,
    };
    futures_util::stream::unfold(state, move |mut state| async move {
        if state.done {
            return None;
        }
        let item = match tokio::time::timeout(idle, state.body.next()).await {
            Err(_) => Err(Error::Timeout { operation, after: idle }),
            Ok(Some(Ok(chunk))) => {
                state.received += chunk.len() as u64;
                return Some((Ok(chunk), state));
            }
            Ok(Some(Err(source))) => Err(Error::Transport { operation, source }),
            Ok(None) => match state.expected {
                Some(expected) if expected != state.received => Err(Error::Unexpected {
                    operation,
                    message: format!("the answer ended after {} of its {expected} bytes", state.received),
                }),
                _ => return None,
            },
        };
        state.done = true;
        Some((item, state))
    })
}

/// `error` with `path` in its words.
pub(super) fn with_path(path: &Path, error: &io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// A temp file beside `dest` (same directory, so the final rename is atomic), its parent
/// made first.
pub(super) async fn temp_beside(
    operation: &'static str,
    dest: &Path,
) -> Result<(tempfile::TempPath, tokio::fs::File), Error> {
    let io = |source: io::Error| Error::Io { operation, source: with_path(dest, &source) };
    let parent = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    tokio::fs::create_dir_all(&parent).await.map_err(io)?;
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".part")
        .tempfile_in(&parent)
        .map_err(io)?;
    let file = temp.reopen().map_err(io)?;
    Ok((temp.into_temp_path(), tokio::fs::File::from_std(file)))
}

/// Flushes `file` to disk and renames `temp` to `dest` (whole or not at all).
pub(super) async fn finish_temp(
    operation: &'static str,
    temp: tempfile::TempPath,
    file: tokio::fs::File,
    dest: &Path,
) -> Result<(), Error> {
    let io = |source: io::Error| Error::Io { operation, source: with_path(dest, &source) };
    file.sync_all().await.map_err(io)?;
    drop(file);
    temp.persist(dest).map_err(|e| io(e.error))
}
