//! A session command's log: its stdout and stderr in one file on the server, each chunk
//! after Daytona's marker of its stream (`\x01\x01\x01` stdout, `\x02\x02\x02` stderr), so
//! the order of the two is kept and the SDK's demultiplexer reads a followed log as it
//! reads the daemon's. Bounded at [`OUTPUT_LIMIT`](super::once::OUTPUT_LIMIT): beyond it
//! the log ends with a note and later output is not kept.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use tokio::sync::watch;

use super::once::OUTPUT_LIMIT;

/// Daytona's marker before stdout bytes in a log.
pub(crate) const STDOUT_PREFIX: &[u8] = b"\x01\x01\x01";
/// Daytona's marker before stderr bytes in a log.
pub(crate) const STDERR_PREFIX: &[u8] = b"\x02\x02\x02";

/// Which stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn prefix(self) -> &'static [u8] {
        match self {
            Stream::Stdout => STDOUT_PREFIX,
            Stream::Stderr => STDERR_PREFIX,
        }
    }
}

/// How far a log is written, and whether it is complete.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Bytes in the file.
    pub(crate) len: u64,
    /// The command ended: followers stop at `len`.
    pub(crate) done: bool,
}

#[derive(Debug)]
struct Inner {
    file: Option<std::fs::File>,
    len: u64,
    /// Payload bytes kept (markers not counted).
    kept: usize,
    cut: bool,
}

/// One command's log.
#[derive(Debug)]
pub(crate) struct CommandLog {
    path: PathBuf,
    inner: Mutex<Inner>,
    progress: watch::Sender<Progress>,
}

impl CommandLog {
    /// A new, empty log at `path`.
    pub(crate) fn create(path: PathBuf) -> std::io::Result<CommandLog> {
        let file = std::fs::File::create(&path)?;
        Ok(CommandLog {
            path,
            inner: Mutex::new(Inner { file: Some(file), len: 0, kept: 0, cut: false }),
            progress: watch::Sender::new(Progress::default()),
        })
    }

    /// Appends `data` of `stream`, up to the limit.
    pub(crate) fn append(&self, stream: Stream, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if inner.cut {
            return;
        }
        let room = OUTPUT_LIMIT.saturating_sub(inner.kept);
        let take = room.min(data.len());
        let mut bytes = Vec::with_capacity(take + 200);
        if take > 0 {
            bytes.extend_from_slice(stream.prefix());
            bytes.extend_from_slice(&data[..take]);
        }
        inner.kept += take;
        if take < data.len() {
            inner.cut = true;
            bytes.extend_from_slice(stream.prefix());
            bytes.extend_from_slice(
                format!(
                    "\n[daytona-local: this command's log is cut at {OUTPUT_LIMIT} bytes; later output is not kept]\n"
                )
                .as_bytes(),
            );
        }
        let written = match inner.file.as_mut() {
            Some(file) => file.write_all(&bytes).is_ok(),
            None => false,
        };
        if written {
            inner.len += bytes.len() as u64;
            let len = inner.len;
            self.progress.send_modify(|p| p.len = len);
        } else if inner.file.take().is_some() {
            eprintln!("daytona-local: could not write the log {}", self.path.display());
        }
    }

    /// The command ended: followers stop once they have read everything.
    pub(crate) fn finish(&self) {
        self.progress.send_modify(|p| p.done = true);
    }

    /// The whole log: the raw bytes (markers included, as the daemon's `output`), stdout
    /// and stderr apart.
    pub(crate) fn read(&self) -> std::io::Result<Logs> {
        let len = self.progress.borrow().len;
        let mut raw = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        std::fs::File::open(&self.path)?.take(len).read_to_end(&mut raw)?;
        Ok(Logs::from_raw(raw))
    }

    /// Sends the log over `socket` in binary messages: what there is now, or with
    /// `follow` as it grows until the command ends; then closes it (1000). Stops when the
    /// client goes.
    pub(crate) async fn stream(&self, mut socket: WebSocket, follow: bool) {
        let mut progress = self.progress.subscribe();
        let mut file = match std::fs::File::open(&self.path) {
            Ok(file) => file,
            Err(e) => {
                close(socket, 1011, &format!("cannot read the log: {e}")).await;
                return;
            }
        };
        let mut offset = 0u64;
        loop {
            let mut now = *progress.borrow_and_update();
            now.done |= !follow;
            while offset < now.len {
                let want = usize::try_from((now.len - offset).min(64 * 1024)).unwrap_or(64 * 1024);
                let mut chunk = vec![0u8; want];
                let read = file.seek(SeekFrom::Start(offset)).and_then(|_| file.read(&mut chunk));
                let n = match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                chunk.truncate(n);
                offset += n as u64;
                if socket.send(Message::Binary(chunk.into())).await.is_err() {
                    return;
                }
            }
            if now.done && offset >= now.len {
                close(socket, 1000, "").await;
                return;
            }
            tokio::select! {
                message = socket.recv() => match message {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                    Some(Ok(_)) => {}
                },
                changed = progress.changed() => if changed.is_err() {
                    close(socket, 1000, "").await;
                    return;
                },
            }
        }
    }
}

/// Closes `socket` with `code`.
pub(crate) async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame { code, reason: reason.to_owned().into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// A log read whole.
#[derive(Debug, Default)]
pub(crate) struct Logs {
    /// The raw log (markers included).
    pub(crate) output: String,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Logs {
    /// Demultiplexes a raw log, as the daemon's `DemuxLogBytes`: bytes before the first
    /// marker belong to neither stream.
    pub(crate) fn from_raw(raw: Vec<u8>) -> Logs {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut current: Option<Stream> = None;
        let mut pos = 0;
        while pos < raw.len() {
            let rest = &raw[pos..];
            if rest.starts_with(STDOUT_PREFIX) {
                current = Some(Stream::Stdout);
                pos += STDOUT_PREFIX.len();
                continue;
            }
            if rest.starts_with(STDERR_PREFIX) {
                current = Some(Stream::Stderr);
                pos += STDERR_PREFIX.len();
                continue;
            }
            let next = next_marker(rest).unwrap_or(rest.len()).max(1);
            match current {
                Some(Stream::Stdout) => out.extend_from_slice(&rest[..next]),
                Some(Stream::Stderr) => err.extend_from_slice(&rest[..next]),
                None => {}
            }
            pos += next;
        }
        Logs {
            output: String::from_utf8_lossy(&raw).into_owned(),
            stdout: String::from_utf8_lossy(&out).into_owned(),
            stderr: String::from_utf8_lossy(&err).into_owned(),
        }
    }
}

fn next_marker(data: &[u8]) -> Option<usize> {
    data.windows(3).position(|w| w == STDOUT_PREFIX || w == STDERR_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_demultiplexed_like_the_daemons() {
        let logs = Logs::from_raw(b"\x01\x01\x01out 1\n\x02\x02\x02err\n\x01\x01\x01out 2\n".to_vec());
        assert_eq!(logs.stdout, "out 1\nout 2\n");
        assert_eq!(logs.stderr, "err\n");
        assert!(logs.output.starts_with("\x01\x01\x01out 1"));
        let logs = Logs::from_raw(b"\x01\x01\x01a\xffb".to_vec());
        assert_eq!(logs.stdout, "a\u{fffd}b", "non-UTF-8 output is replaced, not an error");
    }

    #[test]
    fn a_log_is_cut_at_the_limit_and_says_so() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let log = CommandLog::create(dir.path().join("log")).expect("log");
        let chunk = vec![b'x'; 1024 * 1024];
        for _ in 0..5 {
            log.append(Stream::Stdout, &chunk);
        }
        log.append(Stream::Stderr, b"later");
        let logs = log.read().expect("read");
        assert_eq!(logs.stdout.matches('x').count(), OUTPUT_LIMIT);
        assert!(
            logs.stdout.ends_with("later output is not kept]\n"),
            "{}",
            &logs.stdout[logs.stdout.len() - 100..]
        );
        assert_eq!(logs.stderr, "");
    }
}
