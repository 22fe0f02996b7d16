//! Downloads. One file: `GET files/download` (the file's bytes with its `Content-Length`;
//! a GET, so retried on a transient failure until its body starts). Many files:
//! `POST files/bulk-download`, as SDK 0.226.1 does, whose `multipart/form-data` answer has
//! a `file` part per file sent and an `error` part (a JSON `ErrorResponse`) per file not;
//! it is parsed as it arrives (`multer`). Bodies are read a chunk at a time, each wait
//! bounded by `Timeouts::transfer_idle`; only [`Fs::download_bytes`] and in-memory
//! [`FileDownload::bytes`] hold a file whole.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::{Method, Response, StatusCode};
use serde::Deserialize;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::transfer::{body_chunks, finish_temp, temp_beside, with_path};
use super::{Fs, non_empty};
use crate::Error;
use crate::client::{Idempotent, SMALL_BODY};

/// One file of [`Fs::download_many`]: its path in the sandbox, and whether it is kept in
/// memory or written to a local file.
///
/// ```
/// use pj_daytona::FileDownload;
/// let files = [FileDownload::bytes("/app/result.json"), FileDownload::file("/app/out.tar", "out.tar")];
/// assert_eq!(files[1].remote(), "/app/out.tar");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDownload {
    remote: String,
    local: Option<PathBuf>,
}

impl FileDownload {
    /// `remote`, kept in memory.
    ///
    /// ```
    /// let download = pj_daytona::FileDownload::bytes("/tmp/small.txt");
    /// # let _ = download;
    /// ```
    pub fn bytes(remote: impl Into<String>) -> Self {
        FileDownload { remote: remote.into(), local: None }
    }

    /// `remote`, streamed into the local file `local` (written whole or not at all).
    ///
    /// ```
    /// let download = pj_daytona::FileDownload::file("/tmp/big.bin", "big.bin");
    /// # let _ = download;
    /// ```
    pub fn file(remote: impl Into<String>, local: impl Into<PathBuf>) -> Self {
        FileDownload { remote: remote.into(), local: Some(local.into()) }
    }

    /// Its path in the sandbox.
    ///
    /// ```
    /// assert_eq!(pj_daytona::FileDownload::bytes("a").remote(), "a");
    /// ```
    pub fn remote(&self) -> &str {
        &self.remote
    }
}

/// Where a downloaded file's bytes went.
///
/// ```
/// # fn show(fetched: pj_daytona::Fetched) {
/// match fetched {
///     pj_daytona::Fetched::Bytes(bytes) => println!("{} bytes in memory", bytes.len()),
///     pj_daytona::Fetched::File(path) => println!("written to {}", path.display()),
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// Kept in memory ([`FileDownload::bytes`]).
    Bytes(Bytes),
    /// Written to this local file ([`FileDownload::file`]).
    File(PathBuf),
}

/// The outcome of one file of [`Fs::download_many`]: a file the toolbox could not send
/// (missing, a directory, unreadable) is its own error, not the call's.
///
/// ```no_run
/// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
/// for done in sandbox.fs().download_many([pj_daytona::FileDownload::bytes("/etc/hostname")]).await? {
///     match done.result {
///         Ok(fetched) => println!("{}: {fetched:?}", done.remote),
///         Err(e) if e.is_not_found() => println!("{}: missing", done.remote),
///         Err(e) => return Err(e),
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Downloaded {
    /// The path asked for.
    pub remote: String,
    /// Its bytes, or why the toolbox did not send them.
    pub result: Result<Fetched, Error>,
}

/// A bulk download's per-file error (Daytona's `ErrorResponse`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorPart {
    #[serde(alias = "status_code")]
    status_code: Option<u16>,
    message: Option<String>,
    #[serde(alias = "error_code")]
    code: Option<String>,
}

impl Fs<'_> {
    /// Reads `remote` whole into memory (for files that fit; stream big ones with
    /// [`download_file`](Self::download_file) or [`download_stream`](Self::download_stream)).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let bytes = sandbox.fs().download_bytes("/tmp/result.json").await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_bytes(&self, remote: &str) -> Result<Bytes, Error> {
        let response = self.open_download(remote).await?;
        // The announced length reserves at most 64 MiB up front: a server cannot make the
        // client allocate more than it actually sends.
        let reserve = response.content_length().unwrap_or(0).min(64 << 20);
        let mut body = BytesMut::with_capacity(usize::try_from(reserve).unwrap_or(0));
        let mut chunks = std::pin::pin!(body_chunks(DOWNLOAD, response, self.idle()));
        while let Some(chunk) = chunks.next().await {
            body.extend_from_slice(&chunk?);
        }
        Ok(body.freeze())
    }

    /// Streams `remote` into the local file `local`: written to a temp file beside it,
    /// then renamed, so `local` is whole or untouched. Missing parent directories are
    /// made. The bytes written.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.fs().download_file("/tmp/result.json", "result.json").await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_file(&self, remote: &str, local: impl AsRef<Path>) -> Result<u64, Error> {
        let local = local.as_ref();
        let response = self.open_download(remote).await?;
        let (temp, mut file) = temp_beside(DOWNLOAD, local).await?;
        let written = copy(body_chunks(DOWNLOAD, response, self.idle()), &mut file, local).await?;
        finish_temp(DOWNLOAD, temp, file, local).await?;
        Ok(written)
    }

    /// Streams `remote` into `writer` (flushed at the end); the bytes written. On an
    /// error part of the file may have been written.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let mut out: Vec<u8> = Vec::new();
    /// let written = sandbox.fs().download_to("/app/result.json", &mut out).await?;
    /// assert_eq!(written, out.len() as u64);
    /// # Ok(()) }
    /// ```
    pub async fn download_to<W>(&self, remote: &str, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let response = self.open_download(remote).await?;
        copy(body_chunks(DOWNLOAD, response, self.idle()), writer, Path::new(remote)).await
    }

    /// `remote`'s bytes as a stream of chunks. The file is opened first (a missing one is
    /// this call's error); the stream then yields its content, or an error if the transfer
    /// breaks, stalls for `Timeouts::transfer_idle`, or ends short of its length.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// use futures_util::StreamExt;
    /// let mut chunks = std::pin::pin!(sandbox.fs().download_stream("/tmp/log.txt").await?);
    /// while let Some(chunk) = chunks.next().await {
    ///     print!("{}", String::from_utf8_lossy(&chunk?));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn download_stream(
        &self,
        remote: &str,
    ) -> Result<impl Stream<Item = Result<Bytes, Error>> + Send + 'static, Error> {
        let response = self.open_download(remote).await?;
        Ok(body_chunks(DOWNLOAD, response, self.idle()))
    }

    /// Downloads many files in one request, each into memory or a local file as asked.
    /// The call fails when the request does (the sandbox, the connection); a file the
    /// toolbox could not send is an error in its own [`Downloaded`]. Results are in the
    /// order asked.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::FileDownload;
    /// let done = sandbox.fs().download_many([
    ///     FileDownload::bytes("/app/result.json"),
    ///     FileDownload::file("/app/trace.log", "trace.log"),
    /// ]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_many(
        &self,
        files: impl IntoIterator<Item = FileDownload>,
    ) -> Result<Vec<Downloaded>, Error> {
        const OPERATION: &str = "download files";
        let files: Vec<FileDownload> = files.into_iter().collect();
        if files.is_empty() {
            return Ok(Vec::new());
        }
        for file in &files {
            non_empty(OPERATION, "source path", &file.remote)?;
        }
        let url = self.sandbox.toolbox(&["files", "bulk-download"]).await?;
        let paths: Vec<&str> = files.iter().map(|f| f.remote.as_str()).collect();
        let body = serde_json::json!({ "paths": paths });
        // A POST that only reads: retried like a GET, until its answer starts.
        let response = self
            .start(OPERATION, Idempotent::Yes, || {
                self.sandbox.client().untimed_request(Method::POST, url.clone()).json(&body)
            })
            .await?;
        let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let boundary = multer::parse_boundary(content_type).map_err(|_| Error::Unexpected {
            operation: OPERATION,
            message: format!("the answer is not multipart/form-data (Content-Type {content_type:?})"),
        })?;
        let mut results: Vec<Option<Result<Fetched, Error>>> = files.iter().map(|_| None).collect();
        let mut parts = multer::Multipart::new(body_chunks(OPERATION, response, self.idle()), boundary);
        while let Some(mut part) = parts.next_field().await.map_err(|e| multipart_error(OPERATION, e))? {
            let path = part_path(part.headers()).ok_or_else(|| Error::Unexpected {
                operation: OPERATION,
                message: "a part of the answer names no file".to_owned(),
            })?;
            let index = (0..files.len())
                .find(|&i| files[i].remote == path && results[i].is_none())
                .ok_or_else(|| Error::Unexpected {
                    operation: OPERATION,
                    message: format!(
                        "the answer has a part for {path:?}, which was not asked for (or twice)"
                    ),
                })?;
            let expected =
                part.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            let result = match part.name() {
                Some("error") => Err(error_part(OPERATION, &mut part).await?),
                _ => match &files[index].local {
                    None => {
                        let mut bytes = BytesMut::new();
                        while let Some(chunk) =
                            part.chunk().await.map_err(|e| multipart_error(OPERATION, e))?
                        {
                            bytes.extend_from_slice(&chunk);
                        }
                        check_length(OPERATION, &path, expected, bytes.len() as u64)?;
                        Ok(Fetched::Bytes(bytes.freeze()))
                    }
                    Some(local) => save_part(OPERATION, &mut part, local, &path, expected).await?,
                },
            };
            results[index] = Some(result);
        }
        Ok(files
            .into_iter()
            .zip(results)
            .map(|(file, result)| {
                let result = result.unwrap_or_else(|| {
                    Err(Error::Unexpected {
                        operation: OPERATION,
                        message: format!("the answer has nothing for {:?}", file.remote),
                    })
                });
                Downloaded { remote: file.remote, result }
            })
            .collect())
    }

    fn idle(&self) -> Duration {
        self.sandbox.client().timeouts().transfer_idle
    }

    /// `GET files/download?path=`: the response, its body not yet read.
    async fn open_download(&self, remote: &str) -> Result<Response, Error> {
        non_empty(DOWNLOAD, "source path", remote)?;
        let url = self.sandbox.toolbox(&["files", "download"]).await?;
        self.start(DOWNLOAD, Idempotent::Yes, || {
            self.sandbox.client().untimed_request(Method::GET, url.clone()).query(&[("path", remote)])
        })
        .await
    }

    /// Sends a transfer's request and waits at most the idle timeout for its answer to
    /// start (retried when `idempotent`); the body is the caller's to stream.
    async fn start<F>(
        &self,
        operation: &'static str,
        idempotent: Idempotent,
        make: F,
    ) -> Result<Response, Error>
    where
        F: Fn() -> reqwest::RequestBuilder,
    {
        let client = self.sandbox.client();
        let idle = self.idle();
        client
            .retrying(idempotent, || async {
                tokio::time::timeout(idle, client.send(operation, make(), idle, false))
                    .await
                    .unwrap_or(Err(Error::Timeout { operation, after: idle }))
            })
            .await
    }
}

const DOWNLOAD: &str = "download file";

/// Copies `chunks` into `writer` and flushes it; the bytes written.
async fn copy<W>(
    chunks: impl Stream<Item = Result<Bytes, Error>>,
    writer: &mut W,
    dest: &Path,
) -> Result<u64, Error>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    let io = |source: io::Error| Error::Io { operation: DOWNLOAD, source: with_path(dest, &source) };
    let mut chunks = std::pin::pin!(chunks);
    let mut written = 0u64;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        writer.write_all(&chunk).await.map_err(io)?;
        written += chunk.len() as u64;
    }
    writer.flush().await.map_err(io)?;
    Ok(written)
}

/// Streams one `file` part into a temp file beside `local`, renamed when whole. A local
/// write failure is this file's error (the rest of the part is read and dropped, so the
/// next files still come); a broken answer is the call's.
async fn save_part(
    operation: &'static str,
    part: &mut multer::Field<'_>,
    local: &Path,
    path: &str,
    expected: Option<u64>,
) -> Result<Result<Fetched, Error>, Error> {
    let mut target = Some(temp_beside(operation, local).await);
    let mut failed: Option<Error> = None;
    let mut received = 0u64;
    while let Some(chunk) = part.chunk().await.map_err(|e| multipart_error(operation, e))? {
        received += chunk.len() as u64;
        if let Some(Ok((_, file))) = &mut target
            && let Err(source) = file.write_all(&chunk).await
        {
            failed = Some(Error::Io { operation, source: with_path(local, &source) });
            target = None;
        }
    }
    check_length(operation, path, expected, received)?;
    Ok(match (target, failed) {
        (_, Some(error)) | (Some(Err(error)), _) => Err(error),
        (Some(Ok((temp, mut file))), None) => match file.flush().await {
            Err(source) => Err(Error::Io { operation, source: with_path(local, &source) }),
            Ok(()) => {
                finish_temp(operation, temp, file, local).await.map(|()| Fetched::File(local.to_path_buf()))
            }
        },
        (None, None) => Err(Error::Unexpected { operation, message: format!("{path}: not written") }),
    })
}

/// A part shorter or longer than its own `Content-Length` breaks the answer.
fn check_length(
    operation: &'static str,
    path: &str,
    expected: Option<u64>,
    received: u64,
) -> Result<(), Error> {
    match expected {
        Some(expected) if expected != received => Err(Error::Unexpected {
            operation,
            message: format!("{path}: the answer held {received} of its {expected} bytes"),
        }),
        _ => Ok(()),
    }
}

/// The error of an `error` part, as [`Error::Api`] with its status, message and code.
async fn error_part(operation: &'static str, part: &mut multer::Field<'_>) -> Result<Error, Error> {
    let mut text = Vec::new();
    while let Some(chunk) = part.chunk().await.map_err(|e| multipart_error(operation, e))? {
        if text.len() < SMALL_BODY {
            text.extend_from_slice(&chunk);
        }
    }
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    Ok(match serde_json::from_str::<ErrorPart>(&text) {
        Ok(part) => Error::Api {
            operation,
            status: part
                .status_code
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: part.message.unwrap_or_else(|| text.clone()),
            code: part.code,
            body: None,
            retry_after: None,
        },
        Err(_) => Error::Unexpected { operation, message: crate::error::truncate(text) },
    })
}

/// A broken multipart answer: the transfer's own error when the body stream failed (a
/// timeout, a cut connection), else what was malformed.
fn multipart_error(operation: &'static str, error: multer::Error) -> Error {
    if let multer::Error::StreamReadFailed(source) = error {
        return match source.downcast::<Error>() {
            Ok(inner) => *inner,
            Err(other) => Error::Unexpected { operation, message: other.to_string() },
        };
    }
    Error::Unexpected { operation, message: format!("the multipart answer is malformed: {error}") }
}

/// The path a part is for: `filename*=utf-8''...` (lossless) or else `filename="..."`.
fn part_path(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_DISPOSITION)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let params = split_params(&text);
    if let Some(encoded) = params.iter().find(|(k, _)| k.eq_ignore_ascii_case("filename*")).map(|(_, v)| v)
        && let Some((charset, rest)) = encoded.split_once('\'')
        && charset.eq_ignore_ascii_case("utf-8")
        && let Some((_, encoded)) = rest.split_once('\'')
    {
        return percent_encoding::percent_decode_str(encoded).decode_utf8().ok().map(|s| s.into_owned());
    }
    params.into_iter().find(|(k, _)| k.eq_ignore_ascii_case("filename")).map(|(_, v)| v)
}

/// The `key=value` parameters of a header value, quoted values unescaped.
fn split_params(text: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = text.chars().peekable();
    // Skip the disposition type.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ';').is_some() {}
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ';')).collect();
        if key.is_empty() {
            return params;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => value.extend(chars.next()),
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                value = std::iter::from_fn(|| chars.next_if(|c| *c != ';')).collect();
            }
        }
        params.push((key.trim().to_owned(), value.trim_end().to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn disposition(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers
            .insert(CONTENT_DISPOSITION, HeaderValue::from_bytes(value.as_bytes()).expect("a header value"));
        headers
    }

    #[test]
    fn part_paths_prefer_the_lossless_name() {
        let headers = disposition(
            "form-data; name=\"file\"; filename=\"/tmp/a \\\"q\\\";name-_.txt\"; \
             filename*=utf-8''%2Ftmp%2Fa%20%22q%22%3Bname-%C3%A9.txt",
        );
        assert_eq!(part_path(&headers).as_deref(), Some("/tmp/a \"q\";name-\u{e9}.txt"));
        let headers = disposition("form-data; name=\"error\"; filename=\"/tmp/a \\\"q\\\";b\"");
        assert_eq!(part_path(&headers).as_deref(), Some("/tmp/a \"q\";b"));
        assert_eq!(part_path(&disposition("form-data; name=\"file\"")), None);
    }

    #[tokio::test]
    async fn error_parts_become_api_errors() {
        let body = "--B\r\nContent-Disposition: form-data; name=\"error\"; filename=\"/x\"\r\n\
                    Content-Type: application/json\r\n\r\n\
                    {\"statusCode\":404,\"message\":\"file not found: /x\",\"code\":\"FILE_NOT_FOUND\"}\r\n--B--\r\n";
        let stream = futures_util::stream::once(async move { Ok::<_, Error>(Bytes::from(body)) });
        let mut parts = multer::Multipart::new(stream, "B");
        let mut part = parts.next_field().await.expect("a part").expect("one part");
        let error = error_part("download files", &mut part).await.expect("a readable part");
        assert!(error.is_not_found(), "{error:?}");
        assert_eq!(error.to_string(), "Failed to download files: file not found: /x (HTTP 404)");
    }
}
