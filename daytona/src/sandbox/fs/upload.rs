//! Uploads: `POST files/bulk-upload`, as SDK 0.226.1 sends every upload, one file or many.
//!
//! The `multipart/form-data` body is assembled here as a stream (reqwest's `multipart`
//! form is not used: it wants a length for streamed parts or buffers them, and a reader's
//! length is unknown): for each file a `files[i].path` part, then a `files[i].file` part
//! whose content is read 64 KiB at a time from the bytes, the local file or the reader, as
//! the connection takes it. The body goes out chunked; memory stays flat at any size.
//! Uploads are sent once (a POST that writes is never retried).

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream};
use futures_util::{StreamExt, TryStreamExt};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

use super::transfer::{Progress, with_path};
use super::{Fs, non_empty};
use crate::Error;
use crate::client::BODY_MAX;

/// The size of the chunks read from a local file or reader.
const CHUNK: usize = 64 * 1024;

/// One file of [`Fs::upload_many`]: where it goes in the sandbox, and where its bytes
/// come from (memory, a local file, or any [`AsyncRead`]).
///
/// ```
/// use pj_daytona::FileUpload;
/// let files = vec![
///     FileUpload::bytes("print('hi')", "/app/main.py"),
///     FileUpload::file("data.csv", "/app/data.csv"),
///     FileUpload::reader(tokio::io::empty(), "/app/empty"),
/// ];
/// assert_eq!(files[0].remote(), "/app/main.py");
/// ```
pub struct FileUpload {
    remote: String,
    source: Source,
}

enum Source {
    Bytes(Bytes),
    File(PathBuf),
    Reader(Pin<Box<dyn AsyncRead + Send>>),
}

impl fmt::Debug for FileUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Bytes(bytes) => format!("{} bytes", bytes.len()),
            Source::File(path) => format!("file {}", path.display()),
            Source::Reader(_) => "a reader".to_owned(),
        };
        f.debug_struct("FileUpload").field("remote", &self.remote).field("source", &source).finish()
    }
}

impl FileUpload {
    /// `data` to `remote`.
    ///
    /// ```
    /// let upload = pj_daytona::FileUpload::bytes(vec![1u8, 2, 3], "/tmp/three");
    /// # let _ = upload;
    /// ```
    pub fn bytes(data: impl Into<Bytes>, remote: impl Into<String>) -> Self {
        FileUpload { remote: remote.into(), source: Source::Bytes(data.into()) }
    }

    /// The local file `local` to `remote`, read as it is sent.
    ///
    /// ```
    /// let upload = pj_daytona::FileUpload::file("report.pdf", "/tmp/report.pdf");
    /// # let _ = upload;
    /// ```
    pub fn file(local: impl Into<PathBuf>, remote: impl Into<String>) -> Self {
        FileUpload { remote: remote.into(), source: Source::File(local.into()) }
    }

    /// Everything `reader` gives, until its end, to `remote`, read as it is sent.
    ///
    /// ```
    /// let upload = pj_daytona::FileUpload::reader(&b"streamed"[..], "/tmp/streamed");
    /// # let _ = upload;
    /// ```
    pub fn reader(reader: impl AsyncRead + Send + 'static, remote: impl Into<String>) -> Self {
        FileUpload { remote: remote.into(), source: Source::Reader(Box::pin(reader)) }
    }

    /// Where it goes in the sandbox.
    ///
    /// ```
    /// assert_eq!(pj_daytona::FileUpload::bytes("", "a.txt").remote(), "a.txt");
    /// ```
    pub fn remote(&self) -> &str {
        &self.remote
    }

    /// The content, read lazily: a local file is opened when its part is reached.
    fn content(self) -> BoxStream<'static, io::Result<Bytes>> {
        match self.source {
            Source::Bytes(bytes) => stream::once(async move { Ok(bytes) }).boxed(),
            Source::File(path) => {
                stream::once(
                    async move { tokio::fs::File::open(&path).await.map_err(|e| with_path(&path, &e)) },
                )
                .map_ok(|file| ReaderStream::with_capacity(file, CHUNK))
                .try_flatten()
                .boxed()
            }
            Source::Reader(reader) => ReaderStream::with_capacity(reader, CHUNK).boxed(),
        }
    }
}

impl Fs<'_> {
    /// Writes `data` to `remote` (created or replaced; missing parent directories are
    /// made).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.fs().upload_bytes("hello", "/tmp/hello.txt").await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_bytes(&self, data: impl Into<Bytes>, remote: &str) -> Result<(), Error> {
        self.upload("upload file", vec![FileUpload::bytes(data, remote)]).await
    }

    /// Streams the local file `local` to `remote`, never holding it whole in memory.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.fs().upload_file("input.csv", "/home/daytona/input.csv").await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_file(&self, local: impl AsRef<Path>, remote: &str) -> Result<(), Error> {
        self.upload("upload file", vec![FileUpload::file(local.as_ref(), remote)]).await
    }

    /// Streams everything `reader` gives to `remote`, 64 KiB at a time; its length need
    /// not be known.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let file = tokio::fs::File::open("big.tar").await.expect("a local file");
    /// sandbox.fs().upload_reader(file, "/tmp/big.tar").await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_reader(
        &self,
        reader: impl AsyncRead + Send + 'static,
        remote: &str,
    ) -> Result<(), Error> {
        self.upload("upload file", vec![FileUpload::reader(reader, remote)]).await
    }

    /// Uploads many files in one request, each streamed in turn. When the toolbox cannot
    /// write some, the error lists each with its reason (the others are written).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::FileUpload;
    /// sandbox.fs().upload_many([
    ///     FileUpload::bytes("fn main() {}", "/app/src/main.rs"),
    ///     FileUpload::file("Cargo.toml", "/app/Cargo.toml"),
    /// ]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_many(&self, files: impl IntoIterator<Item = FileUpload>) -> Result<(), Error> {
        self.upload("upload files", files.into_iter().collect()).await
    }

    async fn upload(&self, operation: &'static str, files: Vec<FileUpload>) -> Result<(), Error> {
        if files.is_empty() {
            return Ok(());
        }
        for file in &files {
            non_empty(operation, "destination path", &file.remote)?;
            if let Source::File(path) = &file.source {
                // Said before anything is sent: a missing or unreadable local file.
                let meta = tokio::fs::metadata(path)
                    .await
                    .map_err(|e| Error::Io { operation, source: with_path(path, &e) })?;
                if meta.is_dir() {
                    let source = io::Error::new(io::ErrorKind::InvalidInput, "is a directory, not a file");
                    return Err(Error::Io { operation, source: with_path(path, &source) });
                }
            }
        }
        let url = self.sandbox.toolbox(&["files", "bulk-upload"]).await?;
        let client = self.sandbox.client();
        let idle = client.timeouts().transfer_idle;
        let boundary = boundary();
        let progress = Progress::new();
        let watched = Arc::clone(&progress);
        let body = multipart(&boundary, files).map(move |chunk| {
            watched.touch();
            if let Err(e) = &chunk {
                watched.fail(e);
            }
            chunk
        });
        let request = client
            .untimed_request(Method::POST, url)
            .header(CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(reqwest::Body::wrap_stream(body));
        progress.touch();
        let sent = async {
            let response = client.send(operation, request, idle, false).await?;
            progress.touch();
            client.read_body(operation, response, idle, BODY_MAX, false).await
        };
        let outcome = tokio::select! {
            outcome = sent => outcome,
            () = progress.stalled(idle) => Err(Error::Timeout { operation, after: idle }),
        };
        match (outcome, progress.take_read_error()) {
            (Err(_), Some(source)) => Err(Error::Io { operation, source }),
            (outcome, _) => outcome.map(drop),
        }
    }
}

/// A boundary no content will hold by chance: 128 bits from the standard library's
/// randomly keyed hasher (no random-number crate needed for this).
fn boundary() -> String {
    let state = std::collections::hash_map::RandomState::new();
    let mut high = state.build_hasher();
    high.write_u8(1);
    let mut low = state.build_hasher();
    low.write_u8(2);
    format!("pithy-upload-{:016x}{:016x}", high.finish(), low.finish())
}

/// A file name safe inside a quoted header parameter (the toolbox reads the destination
/// from the `files[i].path` part, not from it).
fn header_file_name(remote: &str) -> String {
    let base = remote.rsplit('/').next().unwrap_or_default();
    let name: String =
        base.chars().map(|c| if matches!(c, '"' | '\\' | '\r' | '\n') { '_' } else { c }).collect();
    if name.is_empty() { "upload".to_owned() } else { name }
}

/// The whole `multipart/form-data` body, as a stream.
fn multipart(
    boundary: &str,
    files: Vec<FileUpload>,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + use<> {
    let mut parts: Vec<BoxStream<'static, io::Result<Bytes>>> = Vec::with_capacity(files.len() * 3 + 1);
    for (i, file) in files.into_iter().enumerate() {
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files[{i}].path\"\r\n\r\n{remote}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"files[{i}].file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n",
            remote = file.remote,
            name = header_file_name(&file.remote),
        );
        parts.push(stream::once(async move { Ok(Bytes::from(head)) }).boxed());
        parts.push(file.content());
        parts.push(stream::once(async { Ok(Bytes::from_static(b"\r\n")) }).boxed());
    }
    let end = Bytes::from(format!("--{boundary}--\r\n"));
    parts.push(stream::once(async move { Ok(end) }).boxed());
    stream::iter(parts).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_body_is_the_sdks_multipart() {
        let files =
            vec![FileUpload::bytes("abc", "/tmp/a \"b\".txt"), FileUpload::reader(&b"xyz"[..], "rel/c")];
        let chunks: Vec<Bytes> = multipart("B", files).try_collect().await.expect("in-memory sources");
        let body = String::from_utf8(chunks.concat()).expect("text");
        assert_eq!(
            body,
            "--B\r\nContent-Disposition: form-data; name=\"files[0].path\"\r\n\r\n/tmp/a \"b\".txt\r\n\
             --B\r\nContent-Disposition: form-data; name=\"files[0].file\"; filename=\"a _b_.txt\"\r\n\
             Content-Type: application/octet-stream\r\n\r\nabc\r\n\
             --B\r\nContent-Disposition: form-data; name=\"files[1].path\"\r\n\r\nrel/c\r\n\
             --B\r\nContent-Disposition: form-data; name=\"files[1].file\"; filename=\"c\"\r\n\
             Content-Type: application/octet-stream\r\n\r\nxyz\r\n--B--\r\n"
        );
    }

    #[tokio::test]
    async fn a_missing_local_file_fails_the_body_with_its_path() {
        let missing = Path::new("/nonexistent/pithy-upload-test");
        let error = multipart("B", vec![FileUpload::file(missing, "x")])
            .try_collect::<Vec<Bytes>>()
            .await
            .expect_err("no such file");
        assert!(error.to_string().contains("/nonexistent/pithy-upload-test"), "{error}");
    }

    #[test]
    fn boundaries_differ() {
        assert_ne!(boundary(), boundary());
    }
}
