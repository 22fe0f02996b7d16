//! A session command's log as it comes: the toolbox's WebSocket (`logs?follow=true`),
//! opened through the client's own HTTP stack (an HTTP/1.1 upgrade of a reqwest request:
//! the same TLS roots, proxy and headers as every other call), and demultiplexed into
//! stdout and stderr by Daytona's stream markers (`\x01\x01\x01` before stdout bytes,
//! `\x02\x02\x02` before stderr bytes).

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE};
use reqwest::{Method, StatusCode, Upgraded};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use url::Url;

use crate::{Client, Error};

/// Daytona's marker before stdout bytes in a command's log.
const STDOUT_MARKER: &[u8] = b"\x01\x01\x01";
/// Daytona's marker before stderr bytes in a command's log.
const STDERR_MARKER: &[u8] = b"\x02\x02\x02";

const OPERATION: &str = "follow session command logs";

/// A piece of a command's output, as it came.
///
/// ```
/// use pj_daytona::LogChunk;
/// let chunk = LogChunk::Stdout(bytes::Bytes::from_static(b"hi\n"));
/// assert_eq!(chunk.bytes(), b"hi\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogChunk {
    /// Standard output.
    Stdout(Bytes),
    /// Standard error.
    Stderr(Bytes),
}

impl LogChunk {
    /// The chunk's bytes, whichever stream they came on.
    ///
    /// ```
    /// let chunk = pj_daytona::LogChunk::Stderr(bytes::Bytes::from_static(b"oops\n"));
    /// assert_eq!(String::from_utf8_lossy(chunk.bytes()), "oops\n");
    /// ```
    pub fn bytes(&self) -> &[u8] {
        match self {
            LogChunk::Stdout(bytes) | LogChunk::Stderr(bytes) => bytes,
        }
    }
}

/// A command's log as it comes, from its start until the command ends; from
/// [`Command::logs`](crate::Command::logs). A [`Stream`] of [`LogChunk`]s (use
/// `futures_util::StreamExt`), or read with the inherent [`next`](Self::next).
///
/// ```no_run
/// # async fn demo(mut logs: pj_daytona::CommandLogs) -> Result<(), pj_daytona::Error> {
/// while let Some(chunk) = logs.next().await? {
///     match chunk {
///         pj_daytona::LogChunk::Stdout(bytes) => print!("{}", String::from_utf8_lossy(&bytes)),
///         pj_daytona::LogChunk::Stderr(bytes) => eprint!("{}", String::from_utf8_lossy(&bytes)),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
pub struct LogStream {
    /// `None` once the server closed it (or it broke).
    socket: Option<WebSocketStream<Upgraded>>,
    demux: Demux,
    ready: VecDeque<LogChunk>,
}

impl fmt::Debug for LogStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogStream")
            .field("open", &self.socket.is_some())
            .field("buffered", &self.ready.len())
            .finish_non_exhaustive()
    }
}

impl LogStream {
    /// Opens the followed log at `url` (a toolbox `.../logs` URL).
    pub(crate) async fn open(client: &Client, mut url: Url) -> Result<LogStream, Error> {
        url.query_pairs_mut().append_pair("follow", "true");
        let socket = connect(client, url).await?;
        Ok(LogStream { socket: Some(socket), demux: Demux::default(), ready: VecDeque::new() })
    }

    /// The next chunk, or `None` once the command has ended and its log is read.
    ///
    /// ```no_run
    /// # async fn demo(mut logs: pj_daytona::CommandLogs) -> Result<(), pj_daytona::Error> {
    /// let first = logs.next().await?;
    /// # Ok(()) }
    /// ```
    pub async fn next(&mut self) -> Result<Option<LogChunk>, Error> {
        StreamExt::next(self).await.transpose()
    }

    fn broken(&mut self, message: String) -> Poll<Option<Result<LogChunk, Error>>> {
        self.socket = None;
        Poll::Ready(Some(Err(Error::Unexpected { operation: OPERATION, message })))
    }
}

impl Stream for LogStream {
    type Item = Result<LogChunk, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(chunk) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(chunk)));
            }
            let Some(socket) = this.socket.as_mut() else {
                return Poll::Ready(None);
            };
            match socket.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(Message::Binary(data)))) => this.demux.feed(&data, &mut this.ready),
                Poll::Ready(Some(Ok(Message::Text(text)))) => {
                    this.demux.feed(text.as_bytes(), &mut this.ready)
                }
                Poll::Ready(Some(Ok(Message::Close(frame)))) => {
                    this.demux.finish(&mut this.ready);
                    // 1000 (or no code) is the end of the command; anything else is the
                    // server saying the log could not be read, as the SDK reports it.
                    match frame.filter(|f| f.code != CloseCode::Normal) {
                        Some(frame) => {
                            return this.broken(format!(
                                "the server closed the log with code {}: {}",
                                u16::from(frame.code),
                                frame.reason
                            ));
                        }
                        None => this.socket = None,
                    }
                }
                Poll::Ready(Some(Ok(_))) => {}
                Poll::Ready(None)
                | Poll::Ready(Some(Err(
                    tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed,
                ))) => {
                    this.demux.finish(&mut this.ready);
                    this.socket = None;
                }
                Poll::Ready(Some(Err(e))) => return this.broken(format!("the log's connection broke: {e}")),
            }
        }
    }
}

/// Opens a WebSocket at `url` with the client's headers (authorization included): an
/// HTTP/1.1 upgrade through reqwest, so TLS, proxies and roots are the client's own.
async fn connect(client: &Client, url: Url) -> Result<WebSocketStream<Upgraded>, Error> {
    let key = generate_key();
    let timeout = client.timeouts().request;
    let request = client
        .request(Method::GET, url)
        .version(reqwest::Version::HTTP_11)
        .header(CONNECTION, "Upgrade")
        .header(UPGRADE, "websocket")
        .header(SEC_WEBSOCKET_VERSION, "13")
        .header(SEC_WEBSOCKET_KEY, key.as_str());
    let request = request.build().map_err(|e| client.transport(OPERATION, e, timeout, false))?;
    let again = request.try_clone();
    let mut response =
        client.http().execute(request).await.map_err(|e| client.transport(OPERATION, e, timeout, false))?;
    // A WebSocket is an HTTP/1.1 upgrade; a client that negotiated HTTP/2 with the server
    // (ALPN over TLS) cannot make it, so the request goes again on an HTTP/1.1-only client
    // (reqwest's defaults: the same TLS roots).
    if response.version() == reqwest::Version::HTTP_2
        && let Some(request) = again
    {
        let http1 = reqwest::Client::builder()
            .http1_only()
            .connect_timeout(client.timeouts().connect)
            .build()
            .map_err(|e| Error::Config(format!("could not build an HTTP/1.1 client for the log: {e}")))?;
        response =
            http1.execute(request).await.map_err(|e| client.transport(OPERATION, e, timeout, false))?;
    }
    match response.status() {
        StatusCode::SWITCHING_PROTOCOLS => {}
        status if status.is_success() => {
            return Err(Error::Unexpected {
                operation: OPERATION,
                message: format!("the server answered {status} instead of opening a WebSocket"),
            });
        }
        _ => return Err(client.api_error(OPERATION, response, timeout, false).await),
    }
    let accepted = response.headers().get(SEC_WEBSOCKET_ACCEPT).and_then(|v| v.to_str().ok());
    if accepted != Some(derive_accept_key(key.as_bytes()).as_str()) {
        return Err(Error::Unexpected {
            operation: OPERATION,
            message: "the server's WebSocket handshake has a wrong Sec-WebSocket-Accept".to_owned(),
        });
    }
    let upgraded = response.upgrade().await.map_err(|e| client.transport(OPERATION, e, timeout, false))?;
    Ok(WebSocketStream::from_raw_socket(upgraded, Role::Client, None).await)
}

/// Which stream the bytes being read belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Stdout,
    Stderr,
}

/// Splits a raw log into stdout and stderr chunks as it arrives. Bytes before the first
/// marker belong to neither stream (as the daemon's and the SDK's demultiplexers read
/// them); a marker split between two messages is held until the next one.
#[derive(Debug, Default)]
struct Demux {
    current: Option<Which>,
    /// The end of the last message when it may be the start of a marker (1 or 2 bytes).
    carry: Vec<u8>,
}

impl Demux {
    fn feed(&mut self, data: &[u8], out: &mut VecDeque<LogChunk>) {
        let owned;
        let data = if self.carry.is_empty() {
            data
        } else {
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(data);
            owned = joined;
            &owned[..]
        };
        let mut pos = 0;
        while pos < data.len() {
            let rest = &data[pos..];
            if rest.starts_with(STDOUT_MARKER) || rest.starts_with(STDERR_MARKER) {
                self.current =
                    Some(if rest.starts_with(STDOUT_MARKER) { Which::Stdout } else { Which::Stderr });
                pos += STDOUT_MARKER.len();
                continue;
            }
            if let Some(len) = next_marker(rest) {
                self.emit(&rest[..len], out);
                pos += len;
                continue;
            }
            // No marker in the rest: hold back a tail that may start one the next
            // message completes.
            let (now, later) = rest.split_at(rest.len() - partial_marker_len(rest));
            self.emit(now, out);
            self.carry = later.to_vec();
            break;
        }
    }

    /// The log ended: what was held back is data.
    fn finish(&mut self, out: &mut VecDeque<LogChunk>) {
        let carry = std::mem::take(&mut self.carry);
        self.emit(&carry, out);
    }

    fn emit(&self, data: &[u8], out: &mut VecDeque<LogChunk>) {
        if data.is_empty() {
            return;
        }
        let bytes = Bytes::copy_from_slice(data);
        match self.current {
            Some(Which::Stdout) => out.push_back(LogChunk::Stdout(bytes)),
            Some(Which::Stderr) => out.push_back(LogChunk::Stderr(bytes)),
            None => {}
        }
    }
}

/// Where the next whole marker starts in `data`.
fn next_marker(data: &[u8]) -> Option<usize> {
    data.windows(STDOUT_MARKER.len()).position(|w| w == STDOUT_MARKER || w == STDERR_MARKER)
}

/// How many bytes at the end of `data` may begin a marker the next message completes.
fn partial_marker_len(data: &[u8]) -> usize {
    for len in (1..STDOUT_MARKER.len()).rev() {
        if data.len() >= len {
            let tail = &data[data.len() - len..];
            if STDOUT_MARKER.starts_with(tail) || STDERR_MARKER.starts_with(tail) {
                return len;
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demux(messages: &[&[u8]]) -> (String, String, Vec<LogChunk>) {
        let mut demux = Demux::default();
        let mut out = VecDeque::new();
        for message in messages {
            demux.feed(message, &mut out);
        }
        demux.finish(&mut out);
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        for chunk in &out {
            match chunk {
                LogChunk::Stdout(b) => stdout.extend_from_slice(b),
                LogChunk::Stderr(b) => stderr.extend_from_slice(b),
            }
        }
        (
            String::from_utf8_lossy(&stdout).into_owned(),
            String::from_utf8_lossy(&stderr).into_owned(),
            out.into_iter().collect(),
        )
    }

    #[test]
    fn markers_split_the_streams() {
        let (out, err, chunks) = demux(&[b"\x01\x01\x01one\n\x02\x02\x02bad\n\x01\x01\x01two\n"]);
        assert_eq!((out.as_str(), err.as_str()), ("one\ntwo\n", "bad\n"));
        assert_eq!(chunks.len(), 3, "one chunk per run of a stream: {chunks:?}");
    }

    #[test]
    fn a_marker_split_between_messages_is_still_a_marker() {
        let log: &[u8] = b"\x01\x01\x01out\n\x02\x02\x02err\n\x01\x01\x01more";
        // Every way of cutting the log in two reads the same.
        for cut in 0..=log.len() {
            let (out, err, _) = demux(&[&log[..cut], &log[cut..]]);
            assert_eq!((out.as_str(), err.as_str()), ("out\nmore", "err\n"), "cut at {cut}");
        }
        // And byte by byte.
        let bytes: Vec<&[u8]> = log.chunks(1).collect();
        let (out, err, _) = demux(&bytes);
        assert_eq!((out.as_str(), err.as_str()), ("out\nmore", "err\n"));
    }

    #[test]
    fn unmarked_bytes_and_lone_marker_bytes() {
        let (out, err, _) = demux(&[b"before any marker", b"\x01\x01\x01a\x01b\x02", b"c\x01"]);
        assert_eq!((out.as_str(), err.as_str()), ("a\x01b\x02c\x01", ""));
    }
}
