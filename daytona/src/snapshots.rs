//! `/snapshots`: create, get, list, delete, activate, build logs.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt, stream};
use reqwest::Method;

use crate::client::{Client, Idempotent};
use crate::error::Error;
use crate::types::{CreateSnapshot, ListSnapshots, Snapshot, SnapshotPage, UrlDto};

/// The most pages [`Snapshots::list_all`] reads (at 200 a page, a million snapshots).
pub const MAX_PAGES: u64 = 5000;

/// The snapshot endpoints; from [`Client::snapshots`].
///
/// ```no_run
/// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
/// use pj_daytona::{CreateBuildInfo, CreateSnapshot};
/// let request = CreateSnapshot::build("app-v1.0.0", CreateBuildInfo::new("FROM alpine:3.19\n", Vec::<String>::new()));
/// let snapshot = client.snapshots().create(&request).await?;
/// assert_eq!(snapshot.name, "app-v1.0.0");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Snapshots<'a> {
    client: &'a Client,
}

impl<'a> Snapshots<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Snapshots { client }
    }

    /// `POST /snapshots`. Sent once, never retried: if it fails in a way that may have
    /// reached the server (a timeout), read the snapshot by name to find out. A taken
    /// name is an [`Error::Api`] with status 409 ([`Error::is_conflict`]). The client's
    /// target fills `regionId` when the request has none.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let request = pj_daytona::CreateSnapshot::image("busybox-v1", "busybox:1.36");
    /// match client.snapshots().create(&request).await {
    ///     Err(e) if e.is_conflict() => println!("already there"),
    ///     other => { other?; }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, request: &CreateSnapshot) -> Result<Snapshot, Error> {
        let mut request = request.clone();
        if request.region_id.is_none() {
            request.region_id = self.client.target().map(str::to_owned);
        }
        let url = self.client.endpoint(&["snapshots"]);
        self.client
            .call_json("create snapshot", Idempotent::No, || {
                self.client.request(Method::POST, url.clone()).json(&request)
            })
            .await
    }

    /// `GET /snapshots/{id}`, by id or by name.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// match client.snapshots().get("app-v1.0.0").await {
    ///     Ok(snapshot) => println!("{}", snapshot.state),
    ///     Err(e) if e.is_not_found() => println!("not published yet"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, id_or_name: &str) -> Result<Snapshot, Error> {
        let url = self.client.endpoint(&["snapshots", id_or_name]);
        self.client
            .call_json("get snapshot", Idempotent::Yes, || self.client.request(Method::GET, url.clone()))
            .await
    }

    /// `GET /snapshots` (one page).
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let query = pj_daytona::ListSnapshots { name: Some("app-".into()), ..Default::default() };
    /// let page = client.snapshots().list(&query).await?;
    /// println!("{} of {}", page.items.len(), page.total);
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, query: &ListSnapshots) -> Result<SnapshotPage, Error> {
        let url = self.client.endpoint(&["snapshots"]);
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(page) = query.page {
            params.push(("page", page.to_string()));
        }
        if let Some(limit) = query.limit {
            params.push(("limit", limit.to_string()));
        }
        if let Some(name) = &query.name {
            params.push(("name", name.clone()));
        }
        if let Some(sort) = &query.sort {
            params.push(("sort", sort.clone()));
        }
        if let Some(order) = &query.order {
            params.push(("order", order.clone()));
        }
        self.client
            .call_json("list snapshots", Idempotent::Yes, || {
                self.client.request(Method::GET, url.clone()).query(&params)
            })
            .await
    }

    /// Every snapshot matching `name` (a partial match; `None` for all), page after
    /// page of `page_size` (1 to 200), oldest first. Stops after the last page, an empty
    /// page, an error, or [`MAX_PAGES`] pages. The stream is boxed, so `next()` works on
    /// it directly.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// use futures_util::StreamExt;
    /// let mut all = client.snapshots().list_all(Some("app-"), 100);
    /// while let Some(snapshot) = all.next().await {
    ///     println!("{}", snapshot?.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_all(&self, name: Option<&str>, page_size: u64) -> BoxStream<'a, Result<Snapshot, Error>> {
        struct State<'a> {
            snapshots: Snapshots<'a>,
            name: Option<String>,
            limit: u64,
            next_page: Option<u64>,
        }
        let state = State {
            snapshots: *self,
            name: name.map(str::to_owned),
            limit: page_size.clamp(1, 200),
            next_page: Some(1),
        };
        stream::unfold(state, |mut state| async move {
            let page = state.next_page.take()?;
            let query = ListSnapshots {
                page: Some(page),
                limit: Some(state.limit),
                name: state.name.clone(),
                // By creation, which never changes: under the default order (last use,
                // newest first) a snapshot used during the walk moves to the first page
                // and one of the next page would be skipped.
                sort: Some("createdAt".to_owned()),
                order: Some("asc".to_owned()),
            };
            match state.snapshots.list(&query).await {
                Ok(result) => {
                    if !result.items.is_empty() && page < result.total_pages && page < MAX_PAGES {
                        state.next_page = Some(page + 1);
                    }
                    let items: Vec<Result<Snapshot, Error>> = result.items.into_iter().map(Ok).collect();
                    Some((stream::iter(items), state))
                }
                Err(e) => Some((stream::iter(vec![Err(e)]), state)),
            }
        })
        .flatten()
        .boxed()
    }

    /// `DELETE /snapshots/{id}` (by id; sent once).
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client, id: &str) -> Result<(), pj_daytona::Error> {
    /// client.snapshots().delete(id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        let url = self.client.endpoint(&["snapshots", id]);
        self.client
            .call("delete snapshot", Idempotent::No, || self.client.request(Method::DELETE, url.clone()))
            .await
            .map(drop)
    }

    /// `POST /snapshots/{id}/activate`: bring an `inactive` snapshot back (sent once).
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client, id: &str) -> Result<(), pj_daytona::Error> {
    /// let snapshot = client.snapshots().activate(id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn activate(&self, id: &str) -> Result<Snapshot, Error> {
        let url = self.client.endpoint(&["snapshots", id, "activate"]);
        self.client
            .call_json("activate snapshot", Idempotent::No, || self.client.request(Method::POST, url.clone()))
            .await
    }

    /// `GET /snapshots/{id}/build-logs-url`: where the build log is served.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client, id: &str) -> Result<(), pj_daytona::Error> {
    /// let url = client.snapshots().build_logs_url(id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn build_logs_url(&self, id: &str) -> Result<String, Error> {
        let url = self.client.endpoint(&["snapshots", id, "build-logs-url"]);
        let dto: UrlDto = self
            .client
            .call_json("get build logs URL", Idempotent::Yes, || {
                self.client.request(Method::GET, url.clone())
            })
            .await?;
        Ok(dto.url)
    }

    /// The build log: its URL, then `GET {url}?follow={follow}` streamed as raw text.
    /// With `follow`, the server keeps the stream open while the build runs.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client, id: &str) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::LogEvent;
    /// let mut logs = client.snapshots().build_logs(id, true).await?;
    /// while let Some(event) = logs.next().await? {
    ///     match event {
    ///         LogEvent::Text(text) => print!("{text}"),
    ///         LogEvent::Idle => { /* check the snapshot's state, maybe stop */ }
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn build_logs(&self, id: &str, follow: bool) -> Result<LogStream, Error> {
        let raw = self.build_logs_url(id).await?;
        let mut url = url::Url::parse(&raw)
            .map_err(|e| Error::Config(format!("the server sent an invalid build-log URL {raw:?}: {e}")))?;
        url.query_pairs_mut().append_pair("follow", if follow { "true" } else { "false" });
        self.stream_logs(url).await
    }

    /// Streams a build log from an explicit URL (as returned by
    /// [`build_logs_url`](Self::build_logs_url), with any query already on it).
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client, url: url::Url) -> Result<(), pj_daytona::Error> {
    /// let logs = client.snapshots().stream_logs(url).await?;
    /// # Ok(()) }
    /// ```
    pub async fn stream_logs(&self, url: url::Url) -> Result<LogStream, Error> {
        let timeouts = self.client.timeouts();
        let operation = "stream build logs";
        let request = self
            .client
            .request(Method::GET, url)
            // The log stream lives as long as the build; only its start and its idle
            // periods are bounded (below and in `LogStream::next`).
            .timeout(Duration::from_secs(24 * 3600));
        let response = match tokio::time::timeout(
            timeouts.log_connect,
            self.client.send(operation, request, timeouts.log_connect, false),
        )
        .await
        {
            Ok(response) => response?,
            Err(_) => return Err(Error::Timeout { operation, after: timeouts.log_connect }),
        };
        Ok(LogStream {
            body: Box::pin(response.bytes_stream()),
            decoder: Utf8Decoder::default(),
            idle: timeouts.log_idle,
            done: false,
        })
    }
}

/// What [`LogStream::next`] read.
///
/// ```
/// let event = pj_daytona::LogEvent::Text("Step 1/3 : FROM alpine:3.19\n".into());
/// assert!(matches!(event, pj_daytona::LogEvent::Text(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// Text, decoded as UTF-8 (invalid bytes replaced); a character split across network
    /// chunks is held back until it is complete.
    Text(String),
    /// Nothing arrived for the idle timeout ([`Timeouts::log_idle`](crate::Timeouts)); the
    /// stream is still open. Check the snapshot's state and call `next` again or drop it.
    Idle,
}

/// A build-log stream; from [`Snapshots::build_logs`].
///
/// ```no_run
/// # async fn demo(mut logs: pj_daytona::LogStream) -> Result<(), pj_daytona::Error> {
/// while let Some(event) = logs.next().await? {
///     if let pj_daytona::LogEvent::Text(text) = event { print!("{text}"); }
/// }
/// # Ok(()) }
/// ```
pub struct LogStream {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    decoder: Utf8Decoder,
    idle: Duration,
    done: bool,
}

impl std::fmt::Debug for LogStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogStream")
            .field("idle", &self.idle)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl LogStream {
    /// The next piece of the log: `Ok(None)` once the server ended the stream.
    ///
    /// ```no_run
    /// # async fn demo(mut logs: pj_daytona::LogStream) -> Result<(), pj_daytona::Error> {
    /// let first = logs.next().await?;
    /// # Ok(()) }
    /// ```
    pub async fn next(&mut self) -> Result<Option<LogEvent>, Error> {
        loop {
            if self.done {
                return Ok(None);
            }
            match tokio::time::timeout(self.idle, self.body.next()).await {
                Err(_) => return Ok(Some(LogEvent::Idle)),
                Ok(None) => {
                    self.done = true;
                    let rest = self.decoder.finish();
                    if !rest.is_empty() {
                        return Ok(Some(LogEvent::Text(rest)));
                    }
                }
                Ok(Some(Err(e))) => {
                    self.done = true;
                    return Err(Error::Transport { operation: "stream build logs", source: e });
                }
                Ok(Some(Ok(chunk))) => {
                    let text = self.decoder.push(&chunk);
                    if !text.is_empty() {
                        return Ok(Some(LogEvent::Text(text)));
                    }
                }
            }
        }
    }

    /// Reads the whole stream into a string (for a finished build, or `follow=false`),
    /// giving up after `max_idle` consecutive idle periods.
    ///
    /// ```no_run
    /// # async fn demo(logs: pj_daytona::LogStream) -> Result<(), pj_daytona::Error> {
    /// let text = logs.collect(5).await?;
    /// # Ok(()) }
    /// ```
    pub async fn collect(mut self, max_idle: usize) -> Result<String, Error> {
        let mut out = String::new();
        let mut idle = 0;
        while let Some(event) = self.next().await? {
            match event {
                LogEvent::Text(text) => {
                    idle = 0;
                    out.push_str(&text);
                }
                LogEvent::Idle => {
                    idle += 1;
                    if idle >= max_idle {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }
}

/// An incremental UTF-8 decoder: keeps an incomplete trailing sequence for the next
/// chunk, replaces invalid bytes with U+FFFD.
#[derive(Debug, Default)]
pub(crate) struct Utf8Decoder {
    pending: Vec<u8>,
}

impl Utf8Decoder {
    pub(crate) fn push(&mut self, chunk: &[u8]) -> String {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(chunk);
        let mut out = String::with_capacity(bytes.len());
        let mut rest: &[u8] = &bytes;
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    out.push_str(text);
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(len) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[len..];
                        }
                        None => {
                            self.pending = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        out
    }

    pub(crate) fn finish(&mut self) -> String {
        if self.pending.is_empty() {
            String::new()
        } else {
            self.pending.clear();
            char::REPLACEMENT_CHARACTER.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Utf8Decoder;

    #[test]
    fn split_characters_wait_for_their_tail() {
        let text = "é世🚀";
        let bytes = text.as_bytes();
        for split in 0..=bytes.len() {
            let mut decoder = Utf8Decoder::default();
            let mut out = decoder.push(&bytes[..split]);
            out.push_str(&decoder.push(&bytes[split..]));
            out.push_str(&decoder.finish());
            assert_eq!(out, text, "split at {split}");
        }
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut decoder = Utf8Decoder::default();
        assert_eq!(decoder.push(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(decoder.push(b"c\xe4"), "c");
        assert_eq!(decoder.finish(), "\u{fffd}");
    }

    #[test]
    fn byte_by_byte_decoding_matches() {
        let text = "Step 1/2 : FROM ubuntu:22.04\n→ done ✓\n";
        let mut decoder = Utf8Decoder::default();
        let out: String = text.as_bytes().iter().map(|b| decoder.push(std::slice::from_ref(b))).collect();
        assert_eq!(out, text);
    }
}
