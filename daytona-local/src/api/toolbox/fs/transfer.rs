//! Uploads and downloads, streamed: a request body (or one multipart part of it) flows into
//! the stdin of `cat > FILE` in the sandbox, and a file flows from `cat` in the sandbox into
//! the response body, a chunk at a time with back-pressure both ways. Nothing holds a whole
//! file: a 1 GiB transfer passes with the server's memory flat (`benches/fs_transfer.rs`).
//!
//! Shapes are the daemon's and SDK 0.226.1's: `files/bulk-upload` takes `files[i].path` and
//! `files[i].file` parts (the SDK's `upload_file` and `upload_files` both use it) and answers
//! `{"files": [{"path", "bytes"}]}` or a 400 with `{"errors": [...], "files": [...]}`;
//! `files/bulk-download` answers `multipart/form-data` with a `file` part per file (the
//! requested path in `filename*`) and an `error` part with a JSON `ErrorResponse` per file it
//! could not send (the SDK's `download_file` and `download_files` both use it).

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::mpsc;

use super::super::super::operations::Operations;
use super::super::super::validate::parse_json;
use super::super::super::{ApiError, ApiResult};
use super::super::{Running, running};
use super::sh::{self, Failure, Kind, Proc};
use super::{Query, paths};
use crate::Shared;
use crate::state::now_iso;

pub(super) fn implement(ops: &mut Operations) {
    ops.op("UploadFiles", upload_files)
        .op("UploadFile", upload_file)
        .op("DownloadFile", download_file)
        .op("DownloadFiles", download_files);
}

/// How long a transfer may wait on either side (no byte read, none written) before it is
/// abandoned: the bound of every stream.
const STALL: Duration = Duration::from_secs(120);
/// The size of the chunks a download sends.
const CHUNK: usize = 64 * 1024;
/// The longest `files[i].path` value read.
const PATH_LIMIT: usize = 64 * 1024;

// ---- uploads ----

/// Makes the parent directory (`$2`), creates or truncates `$1` (Go's `os.Create`), says
/// the working directory (for the answer's absolute path), then copies stdin into it.
const WRITE: &str = r#"e=$(mkdir -p -- "$2" 2>&1) || die failed "$2" "$e"
e=$( { : > "$1"; } 2>&1 ) || die failed "$1" "$e"
printf '%s' "$PWD"
exec cat > "$1"
"#;

/// Why feeding a file stopped early.
#[derive(Debug)]
enum Feed {
    /// The client's side: its body ended in error, or sent nothing for [`STALL`].
    Source(String),
    /// The sandbox's side: the script stopped reading.
    Sink,
}

/// Copies `source` into `stdin` (then closes it); when the sandbox stops reading, the rest
/// of `source` is still read (and dropped), so the next part of a multipart body can be
/// reached. The bytes written, and why it stopped early if it did.
async fn pump<S, E>(source: &mut S, stdin: Option<ChildStdin>) -> (u64, Option<Feed>)
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let mut sink = stdin;
    let mut written = 0u64;
    let mut broken = sink.is_none();
    loop {
        let chunk = match tokio::time::timeout(STALL, source.next()).await {
            Err(_) => {
                return (written, Some(Feed::Source(format!("no data for {} seconds", STALL.as_secs()))));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return (written, Some(Feed::Source(e.to_string()))),
            Ok(Some(Ok(chunk))) => chunk,
        };
        if let Some(stdin) = sink.as_mut() {
            match tokio::time::timeout(STALL, stdin.write_all(&chunk)).await {
                Ok(Ok(())) => written += chunk.len() as u64,
                _ => {
                    sink = None;
                    broken = true;
                }
            }
        }
    }
    if let Some(mut stdin) = sink
        && tokio::time::timeout(STALL, stdin.shutdown()).await.map_or(true, |r| r.is_err())
    {
        broken = true;
    }
    (written, broken.then_some(Feed::Sink))
}

/// Writes `source` to `dest` in the sandbox: the bytes written and the working directory
/// `dest` was resolved in, or the daemon's words for the failure (`DEST: create: ...`).
async fn write_file<S, E>(sandbox: &Running, dest: &str, source: &mut S) -> Result<(u64, String), String>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let parent = paths::dir(dest);
    let mut proc = match Proc::spawn(sandbox, WRITE, &[dest, &parent], true) {
        Ok(proc) => proc,
        Err(ApiError(_, message)) => {
            let _ = pump(source, None).await;
            return Err(format!("{dest}: {message}"));
        }
    };
    let stdin = proc.stdin.take();
    let stdout = proc.stdout.take();
    let (written, fed) = pump(source, stdin).await;
    let cwd = tokio::time::timeout(STALL, sh::read_bounded(stdout, PATH_LIMIT)).await;
    let ended = match tokio::time::timeout(STALL, proc.finish()).await {
        Err(_) => return Err(format!("{dest}: write: the sandbox did not finish writing within {STALL:?}")),
        Ok(Err(ApiError(_, message))) => return Err(format!("{dest}: {message}")),
        Ok(Ok(ended)) => ended,
    };
    if let Err(failure) = ended {
        return Err(match failure.kind {
            Kind::Failed if failure.path == parent => {
                format!("{dest}: mkdir {parent}: {}", sh::errno_words(&failure.detail))
            }
            Kind::Failed if failure.path == dest => {
                format!("{dest}: create: open {dest}: {}", sh::errno_words(&failure.detail))
            }
            _ => format!("{dest}: write: {}", sh::errno_words(&failure.detail)),
        });
    }
    match fed {
        Some(Feed::Source(why)) => Err(format!("{dest}: write: {why}")),
        Some(Feed::Sink) => Err(format!("{dest}: write: the sandbox stopped reading")),
        None => {
            let cwd = cwd.ok().and_then(Result::ok).unwrap_or_default();
            Ok((written, String::from_utf8_lossy(&cwd).into_owned()))
        }
    }
}

/// The multipart boundary of a `multipart/form-data` request.
fn boundary(headers: &HeaderMap) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = content_type.split(';').next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    multer::parse_boundary(content_type).ok()
}

/// The index in a part name `files[i].path` / `files[i].file` (as the daemon reads it).
fn part_index<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    name.ends_with(suffix).then(|| {
        let rest = name.strip_prefix("files[").unwrap_or(name);
        rest.strip_suffix(&format!("]{suffix}")).unwrap_or(rest)
    })
}

/// Reads a small text part, at most [`PATH_LIMIT`] bytes.
async fn small_text(field: &mut multer::Field<'_>) -> Result<String, String> {
    let mut text = Vec::new();
    while let Some(chunk) = tokio::time::timeout(STALL, field.chunk())
        .await
        .map_err(|_| format!("no data for {} seconds", STALL.as_secs()))?
        .map_err(|e| e.to_string())?
    {
        if text.len() + chunk.len() > PATH_LIMIT {
            return Err(format!("longer than {PATH_LIMIT} bytes"));
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).map_err(|_| "not UTF-8".to_owned())
}

fn bulk_answer(errors: Vec<String>, files: Vec<Value>) -> Response {
    if errors.is_empty() {
        (StatusCode::OK, axum::Json(json!({ "files": files }))).into_response()
    } else {
        (StatusCode::BAD_REQUEST, axum::Json(json!({ "errors": errors, "files": files }))).into_response()
    }
}

async fn upload_files(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    request: Request,
) -> ApiResult<Response> {
    let sandbox = running(&shared, &id)?;
    let Some(boundary) = boundary(request.headers()) else {
        return Ok(bulk_answer(vec!["invalid multipart form".to_owned()], Vec::new()));
    };
    let mut multipart = multer::Multipart::new(request.into_body().into_data_stream(), boundary);
    let mut dests: HashMap<String, String> = HashMap::new();
    let mut errors = Vec::new();
    let mut files = Vec::new();
    loop {
        let mut field = match tokio::time::timeout(STALL, multipart.next_field()).await {
            Ok(Ok(Some(field))) => field,
            Ok(Ok(None)) => break,
            Ok(Err(e)) => {
                errors.push(format!("reading part: {e}"));
                break;
            }
            Err(_) => {
                errors.push(format!("reading part: no data for {} seconds", STALL.as_secs()));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(index) = part_index(&name, ".path") {
            let index = index.to_owned();
            match small_text(&mut field).await {
                Err(e) => errors.push(format!("path[{index}]: {e}")),
                Ok(text) if text.trim().is_empty() => errors.push(format!("path[{index}]: empty path")),
                Ok(text) => {
                    dests.insert(index, text.trim().to_owned());
                }
            }
        } else if let Some(index) = part_index(&name, ".file") {
            let Some(dest) = dests.get(index).cloned() else {
                errors.push(format!("file[{index}]: missing .path metadata"));
                continue;
            };
            match write_file(&sandbox, &dest, &mut field).await {
                Ok((bytes, _)) => files.push(json!({ "path": dest, "bytes": bytes })),
                Err(e) => errors.push(e),
            }
        }
    }
    Ok(bulk_answer(errors, files))
}

async fn upload_file(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> ApiResult<axum::Json<Value>> {
    let sandbox = running(&shared, &id)?;
    let query = Query::parse(query.as_deref());
    let path = query.required("path", "path is required")?.to_owned();
    let written = match boundary(request.headers()) {
        // A multipart body: its part named `file`.
        Some(boundary) => {
            let mut multipart = multer::Multipart::new(request.into_body().into_data_stream(), boundary);
            loop {
                match tokio::time::timeout(STALL, multipart.next_field()).await {
                    Ok(Ok(Some(mut field))) if field.name() == Some("file") => {
                        break write_file(&sandbox, &path, &mut field).await;
                    }
                    Ok(Ok(Some(_))) => continue,
                    Ok(Ok(None)) => {
                        return Err(ApiError::bad_request("file is required (a part named \"file\")"));
                    }
                    Ok(Err(e)) => return Err(ApiError::bad_request(format!("invalid multipart form: {e}"))),
                    Err(_) => return Err(ApiError::bad_request("invalid multipart form: no data")),
                }
            }
        }
        // Any other body is the file's bytes.
        None => write_file(&sandbox, &path, &mut request.into_body().into_data_stream()).await,
    };
    let (_, cwd) = written.map_err(ApiError::bad_request)?;
    Ok(axum::Json(json!({
        "name": paths::base(&path),
        "path": paths::abs(if cwd.is_empty() { "/" } else { &cwd }, &path),
        "type": "file",
    })))
}

// ---- downloads ----

/// Opens `$1` for reading, says its size (of the open file, so it cannot change between
/// the two), then copies it to stdout.
const READ: &str = r#"probe "$1"
[ -d "$1" ] && die isdir "$1"
[ -r "$1" ] || die denied "$1"
exec 3<"$1"
stat -L -c %s /proc/self/fd/3 || die failed "$1" "cannot read its size"
exec cat <&3
"#;

/// A file being read in the sandbox.
#[derive(Debug)]
pub(super) struct Reading {
    pub(super) proc: Proc,
    pub(super) reader: BufReader<ChildStdout>,
    /// Its size when it was opened.
    pub(super) size: u64,
}

/// Starts reading `path`: its size, or why it cannot be read.
pub(super) async fn open_read(sandbox: &Running, path: &str) -> ApiResult<Result<Reading, Failure>> {
    let opened = async {
        let mut proc = Proc::spawn(sandbox, READ, &[path], false)?;
        let Some(stdout) = proc.stdout.take() else {
            return Err(ApiError(StatusCode::INTERNAL_SERVER_ERROR, "docker exec gave no stdout".into()));
        };
        let mut reader = BufReader::with_capacity(CHUNK, stdout);
        let mut line = Vec::new();
        let read = (&mut reader).take(64).read_until(b'\n', &mut line).await;
        if let Some(size) = read.ok().and_then(|_| std::str::from_utf8(&line).ok()?.trim().parse().ok()) {
            return Ok(Ok(Reading { proc, reader, size }));
        }
        drop(reader);
        match proc.finish().await? {
            Err(failure) => Ok(Err(failure)),
            Ok(()) => {
                Ok(Err(Failure { kind: Kind::Failed, path: path.to_owned(), detail: "no size".into() }))
            }
        }
    };
    tokio::time::timeout(STALL, opened).await.unwrap_or_else(|_| {
        Err(ApiError(StatusCode::REQUEST_TIMEOUT, format!("opening {path} took longer than {STALL:?}")))
    })
}

/// Sends exactly `reading.size` bytes of the file into `tx`; an error (the file shrank,
/// the sandbox stopped) is sent as one, which cuts the response short so the client sees a
/// truncated transfer, never a short file taken for whole. False when it could not finish.
async fn send_file(mut reading: Reading, tx: &mpsc::Sender<Result<Bytes, std::io::Error>>) -> bool {
    let mut left = reading.size;
    while left > 0 {
        let mut buf = vec![0u8; CHUNK.min(usize::try_from(left).unwrap_or(CHUNK))];
        let n = match tokio::time::timeout(STALL, reading.reader.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            outcome => {
                let why = match outcome {
                    Ok(Err(e)) => e.to_string(),
                    Err(_) => format!("the sandbox sent nothing for {} seconds", STALL.as_secs()),
                    Ok(Ok(_)) => format!("the file ended {left} bytes early"),
                };
                let _ = tx.send(Err(std::io::Error::other(why))).await;
                return false;
            }
        };
        buf.truncate(n);
        left -= n as u64;
        if !matches!(tokio::time::timeout(STALL, tx.send(Ok(Bytes::from(buf)))).await, Ok(Ok(()))) {
            return false;
        }
    }
    // All of it was sent: whatever `cat` still has (the file grew) is not wanted.
    drop(reading.proc);
    true
}

/// A response body fed by `rx`.
fn channel_body(rx: mpsc::Receiver<Result<Bytes, std::io::Error>>) -> Body {
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// `filename` for a quoted header parameter (the daemon's rule): `\` and `"` escaped, CR,
/// LF and NUL dropped, other controls and characters beyond Latin-1 as `_`.
fn latin1(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\r' | '\n' | '\0' => {}
            c if (c as u32) < 0x20 || c as u32 == 0x7f || c as u32 > 0xff => out.push('_'),
            c => out.push(c),
        }
    }
    out
}

/// RFC 5987 percent-encoding: everything but `attr-char` encoded (the lossless name the
/// SDK matches a part to its request by).
fn rfc5987(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A part's `Content-Disposition`: its name (`file` or `error`) and the requested path.
fn disposition(kind: &str, path: &str) -> String {
    format!("form-data; name=\"{kind}\"; filename=\"{}\"; filename*=utf-8''{}", latin1(path), rfc5987(path))
}

async fn download_file(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let sandbox = running(&shared, &id)?;
    let query = Query::parse(query.as_deref());
    let path = query.required("path", "path is required")?;
    let reading = open_read(&sandbox, path).await?.map_err(|f| match f.kind {
        Kind::IsDir => ApiError::bad_request("path must be a file"),
        _ => f.into_error("stat"),
    })?;
    let size = reading.size;
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move { send_file(reading, &tx).await });
    let name = paths::base(path);
    let mut response = Response::new(channel_body(rx));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    let attachment =
        format!("attachment; filename=\"{}\"; filename*=utf-8''{}", latin1(&name), rfc5987(&name));
    if let Ok(value) = HeaderValue::from_str(&attachment) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert("content-description", HeaderValue::from_static("File Transfer"));
    headers.insert("content-transfer-encoding", HeaderValue::from_static("binary"));
    Ok(response)
}

/// The daemon's per-file error of a bulk download: status, code and words.
fn download_error(path: &str, failure: &Failure) -> (StatusCode, &'static str, String) {
    match failure.kind {
        Kind::Missing => (StatusCode::NOT_FOUND, "FILE_NOT_FOUND", format!("file not found: {path}")),
        Kind::Denied => (StatusCode::FORBIDDEN, "FILE_ACCESS_DENIED", format!("permission denied: {path}")),
        Kind::IsDir => (
            StatusCode::BAD_REQUEST,
            "INVALID_FILE_PATH",
            format!("invalid file path: path points to a directory: {path}"),
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "FILE_READ_FAILED",
            format!("failed to open file: {}", failure.message("open")),
        ),
    }
}

fn error_part(
    boundary: &str,
    first: bool,
    path: &str,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Bytes {
    let body = json!({
        "statusCode": status.as_u16(),
        "message": message,
        "code": code,
        "timestamp": now_iso(),
        "path": path,
        "method": "POST",
    });
    let lead = if first { "" } else { "\r\n" };
    Bytes::from(format!(
        "{lead}--{boundary}\r\nContent-Disposition: {}\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{body}",
        disposition("error", path)
    ))
}

async fn download_files(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let sandbox = running(&shared, &id)?;
    let invalid = || ApiError::bad_request("request body must be {\"paths\": [ ... ]} and non-empty");
    let map = parse_json(&body).map_err(|_| invalid())?;
    let paths: Vec<String> = match map.get("paths") {
        Some(Value::Array(items)) if !items.is_empty() => {
            items.iter().map(|p| p.as_str().map(str::to_owned)).collect::<Option<_>>().ok_or_else(invalid)?
        }
        _ => return Err(invalid()),
    };
    // The first file is opened before the answer starts: when the sandbox cannot run
    // commands at all (its container stopped), that is the request's error, not a part's.
    let mut first_opened = match paths.first() {
        Some(path) if !path.is_empty() => Some(open_read(&sandbox, path).await?),
        _ => None,
    };
    let boundary = format!("DAYTONA-FILE-BOUNDARY-{}", uuid::Uuid::new_v4().simple());
    let (tx, rx) = mpsc::channel(4);
    let parts_boundary = boundary.clone();
    tokio::spawn(async move {
        let boundary = parts_boundary;
        for (i, path) in paths.iter().enumerate() {
            let first = i == 0;
            let send = |bytes: Bytes| tokio::time::timeout(STALL, tx.send(Ok(bytes)));
            if path.is_empty() {
                let message = "invalid file path: path is empty";
                let part =
                    error_part(&boundary, first, path, StatusCode::BAD_REQUEST, "INVALID_FILE_PATH", message);
                if !matches!(send(part).await, Ok(Ok(()))) {
                    return;
                }
                continue;
            }
            let opened = match first_opened.take() {
                Some(opened) => Ok(opened),
                None => open_read(&sandbox, path).await,
            };
            let part = match opened {
                Ok(Ok(reading)) => {
                    let head = format!(
                        "{}--{boundary}\r\nContent-Disposition: {}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\r\n",
                        if first { "" } else { "\r\n" },
                        disposition("file", path),
                        reading.size
                    );
                    if !matches!(send(Bytes::from(head)).await, Ok(Ok(()))) || !send_file(reading, &tx).await
                    {
                        return;
                    }
                    continue;
                }
                Ok(Err(failure)) => {
                    let (status, code, message) = download_error(path, &failure);
                    error_part(&boundary, first, path, status, code, &message)
                }
                Err(ApiError(status, message)) => {
                    let code = if status.is_client_error() { "BAD_REQUEST" } else { "INTERNAL_SERVER_ERROR" };
                    error_part(&boundary, first, path, status, code, &message)
                }
            };
            if !matches!(send(part).await, Ok(Ok(()))) {
                return;
            }
        }
        let _ =
            tokio::time::timeout(STALL, tx.send(Ok(Bytes::from(format!("\r\n--{boundary}--\r\n"))))).await;
    });
    let mut response = Response::new(channel_body(rx));
    let content_type = format!("multipart/form-data; boundary={boundary}");
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_are_read_like_the_daemon() {
        assert_eq!(part_index("files[3].path", ".path"), Some("3"));
        assert_eq!(part_index("files[3].file", ".file"), Some("3"));
        assert_eq!(part_index("files[3].file", ".path"), None);
        assert_eq!(part_index("other", ".file"), None);
    }

    #[test]
    fn names_survive_the_header_losslessly() {
        let name = "/tmp/a \"quoted\"\nname-é.txt";
        let header = disposition("file", name);
        assert!(
            header.starts_with("form-data; name=\"file\"; filename=\"/tmp/a \\\"quoted\\\"name-\u{e9}.txt\""),
            "{header}"
        );
        assert!(header.ends_with("filename*=utf-8''%2Ftmp%2Fa%20%22quoted%22%0Aname-%C3%A9.txt"), "{header}");
        assert_eq!(latin1("a\u{1}b\u{4e2d}"), "a_b_");
    }
}
