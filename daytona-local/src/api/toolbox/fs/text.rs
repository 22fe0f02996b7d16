//! Finding and replacing text in files, with the daemon's rules: `files/find` walks a tree
//! (symbolic links not followed), skips files with a NUL in their first 512 bytes, and
//! answers every line holding the pattern (a plain substring) with its number;
//! `files/replace` replaces every occurrence of a plain substring in each listed file.
//!
//! Both stream the files' bytes through the server instead of holding them: find reads a
//! `tar` of the tree made in the sandbox (no tool inside needs to agree with Go's rules),
//! replace pipes each file through a streaming replacer into a temporary file in the
//! sandbox and copies it over the original (same inode, owner and mode, like Go's
//! `os.WriteFile`) only when every byte got there.

use std::io::{BufRead, Read};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

use super::super::super::operations::Operations;
use super::super::super::validate::parse_json;
use super::super::super::{ApiError, ApiResult};
use super::super::{Running, running};
use super::sh::{self, Failure, Kind, Proc};
use super::transfer::open_read;
use super::{QUICK, Query, TREE, paths, walk_order};
use crate::Shared;

pub(super) fn implement(ops: &mut Operations) {
    ops.op("FindInFiles", find_in_files).op("ReplaceInFiles", replace_in_files);
}

/// The most the matches of one find hold (their lines' bytes).
const MATCHES_LIMIT: usize = 32 << 20;
/// Go's `bufio.MaxScanTokenSize`: a longer line ends the scan of its file.
const MAX_LINE: u64 = 64 * 1024;

// ---- find ----

/// A tar of the tree at `$1` (`D`, then the tar), or of the one file (`F`, then a tar of
/// `$3` in `$2`). A symbolic link as the root, or nothing there, gives nothing: Go's
/// `filepath.Walk` does not follow the root.
const FIND: &str = r#"[ -L "$1" ] && exit 0
if [ -d "$1" ]; then
    cd -- "$1" 2>/dev/null || exit 0
    printf D
    exec tar -cf - . 2>/dev/null
elif [ -f "$1" ]; then
    cd -- "$2" 2>/dev/null || exit 0
    printf F
    exec tar -cf - "$3" 2>/dev/null
fi
exit 0
"#;

/// The lines of a file (tar entry) that hold `pattern`, as the daemon scans them.
fn scan(entry: &mut impl Read, pattern: &[u8], file: &str, found: &mut Found) -> std::io::Result<()> {
    // One read of up to 512 bytes decides whether it is binary, as the daemon's does.
    let mut head = vec![0u8; 512];
    let mut filled = 0;
    while filled < head.len() {
        match entry.read(&mut head[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    head.truncate(filled);
    if head.is_empty() || head.contains(&0) {
        return Ok(());
    }
    let mut lines = std::io::BufReader::new(Read::chain(std::io::Cursor::new(head), entry));
    let finder = memchr::memmem::Finder::new(pattern);
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let n = Read::take(&mut lines, MAX_LINE).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if n as u64 == MAX_LINE && !lines.fill_buf()?.is_empty() {
            // Longer than the daemon's scanner takes: it stops reading this file.
            return Ok(());
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        number += 1;
        if finder.find(&line).is_some() {
            found.push(file, number, &line)?;
        }
    }
}

/// The matches found so far, bounded.
#[derive(Debug, Default)]
struct Found {
    matches: Vec<Value>,
    bytes: usize,
}

impl Found {
    fn push(&mut self, file: &str, line: u64, content: &[u8]) -> std::io::Result<()> {
        self.bytes += content.len() + file.len();
        if self.bytes > MATCHES_LIMIT {
            return Err(std::io::Error::other("too many matches"));
        }
        let content = String::from_utf8_lossy(content);
        self.matches.push(json!({ "file": file, "line": line, "content": content }));
        Ok(())
    }
}

/// Reads the tar stream of [`FIND`] (after its first byte) and scans each regular file.
fn scan_tar(mut stream: impl Read, root: &str, pattern: &[u8]) -> std::io::Result<Vec<Value>> {
    let mut kind = [0u8; 1];
    if stream.read(&mut kind)? == 0 {
        return Ok(Vec::new());
    }
    let mut found = Found::default();
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !matches!(entry.header().entry_type(), tar::EntryType::Regular | tar::EntryType::Continuous) {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let file = match kind[0] {
            b'D' => paths::join(root, name.trim_start_matches("./")),
            _ => root.to_owned(),
        };
        scan(&mut entry, pattern, &file, &mut found)?;
    }
    Ok(found.matches)
}

async fn find_in_files(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<axum::Json<Value>> {
    let sandbox = running(&shared, &id)?;
    let query = Query::parse(query.as_deref());
    let (path, pattern) = match (query.get("path"), query.get("pattern")) {
        ("", _) | (_, "") => return Err(ApiError::bad_request("path and pattern are required")),
        both => both,
    };
    let (parent, file) = (paths::dir(path), format!("./{}", paths::base(path)));
    let mut proc = Proc::spawn(&sandbox, FIND, &[path, &parent, &file], false)?;
    let stdout = proc.stdout.take();
    let (root, pattern) = (path.to_owned(), pattern.as_bytes().to_vec());
    let scanning = tokio::task::spawn_blocking(move || match stdout {
        Some(stdout) => scan_tar(tokio_util::io::SyncIoBridge::new(stdout), &root, &pattern),
        None => Ok(Vec::new()),
    });
    let matches = match tokio::time::timeout(TREE, scanning).await {
        Ok(Ok(Ok(matches))) => matches,
        Ok(Ok(Err(e))) if e.to_string() == "too many matches" => {
            return Err(ApiError::bad_request(format!(
                "the matches are more than the local server holds ({} MiB); narrow the pattern or the path",
                MATCHES_LIMIT >> 20
            )));
        }
        Ok(Ok(Err(e))) => {
            // A docker failure explains a broken stream better than the stream does.
            let _ = tokio::time::timeout(QUICK, proc.finish()).await.unwrap_or(Ok(Ok(())))?;
            return Err(ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("reading the files under {path}: {e}"),
            ));
        }
        Ok(Err(e)) => return Err(ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("find failed: {e}"))),
        Err(_) => {
            return Err(ApiError(
                StatusCode::REQUEST_TIMEOUT,
                format!("finding in {path} did not finish within {} seconds", TREE.as_secs()),
            ));
        }
    };
    // Unreadable files are skipped, as the daemon skips them: only Docker's failures count.
    let _ = tokio::time::timeout(QUICK, proc.finish()).await.unwrap_or(Ok(Ok(())))?;
    // The daemon walks directories in name order; a tar has them in the directory's order.
    let mut matches: Vec<(String, Value)> =
        matches.into_iter().map(|m| (m["file"].as_str().unwrap_or_default().to_owned(), m)).collect();
    walk_order(&mut matches);
    Ok(axum::Json(Value::Array(matches.into_iter().map(|(_, m)| m).collect())))
}

// ---- replace ----

/// Replaces every occurrence of a pattern in a stream of chunks, left to right and without
/// overlaps (Go's `strings.ReplaceAll`), holding back only what could begin a match.
#[derive(Debug)]
struct Replacer<'a> {
    finder: memchr::memmem::Finder<'a>,
    value: &'a [u8],
    carry: Vec<u8>,
}

impl<'a> Replacer<'a> {
    fn new(pattern: &'a [u8], value: &'a [u8]) -> Self {
        Replacer { finder: memchr::memmem::Finder::new(pattern), value, carry: Vec::new() }
    }

    /// The output for `chunk` (and what was held back before it).
    fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(chunk);
        let len = self.finder.needle().len();
        let mut out = Vec::with_capacity(buf.len());
        let mut at = 0;
        while let Some(i) = self.finder.find(&buf[at..]) {
            out.extend_from_slice(&buf[at..at + i]);
            out.extend_from_slice(self.value);
            at += i + len;
        }
        let keep = (len - 1).min(buf.len() - at);
        out.extend_from_slice(&buf[at..buf.len() - keep]);
        self.carry = buf[buf.len() - keep..].to_vec();
        out
    }

    /// What was held back at the end.
    fn finish(self) -> Vec<u8> {
        self.carry
    }
}

/// Makes a temporary file, says its path, then copies stdin into it.
const STAGE: &str = r#"t=$(mktemp) || die failed "$1" "cannot make a temporary file"
printf '%s\n' "$t"
exec cat > "$t"
"#;

/// Copies the temporary file `$2` over `$1` (keeping `$1`'s inode, owner and mode), then
/// removes it; `$3` = `abort` only removes it.
const COMMIT: &str = r#"if [ "$3" = abort ]; then rm -f -- "$2"; exit 0; fi
e=$( { cat -- "$2" > "$1"; } 2>&1 ); rc=$?
rm -f -- "$2"
[ "$rc" -eq 0 ] || die failed "$1" "$e"
exit 0
"#;

/// The daemon's words for a file `os.ReadFile` could not read.
fn read_error(path: &str, failure: &Failure) -> String {
    match failure.kind {
        Kind::IsDir => format!("read {path}: is a directory"),
        _ => failure.message("open"),
    }
}

/// Replaces in one file; the daemon's words when it could not.
async fn replace_one(sandbox: &Running, path: &str, pattern: &[u8], value: &[u8]) -> Result<(), String> {
    let mut reading = match open_read(sandbox, path).await {
        Err(ApiError(_, message)) => return Err(message),
        Ok(Err(failure)) => return Err(read_error(path, &failure)),
        Ok(Ok(reading)) => reading,
    };
    let mut stage = Proc::spawn(sandbox, STAGE, &[path], true).map_err(|ApiError(_, m)| m)?;
    let mut temp = Vec::new();
    if let Some(stdout) = stage.stdout.take() {
        let mut stdout = tokio::io::BufReader::new(stdout);
        let _ = tokio::time::timeout(QUICK, (&mut stdout).take(4096).read_until(b'\n', &mut temp)).await;
    }
    let temp = String::from_utf8_lossy(&temp).trim_end_matches('\n').to_owned();
    let copied = async {
        let Some(mut stdin) = stage.stdin.take() else { return Err("no stdin".to_owned()) };
        let mut replacer = Replacer::new(pattern, value);
        let mut left = reading.size;
        let mut buf = vec![0u8; 64 * 1024];
        while left > 0 {
            let want = buf.len().min(usize::try_from(left).unwrap_or(buf.len()));
            let n = reading.reader.read(&mut buf[..want]).await.map_err(|e| format!("read {path}: {e}"))?;
            if n == 0 {
                return Err(format!("read {path}: the file ended {left} bytes early"));
            }
            left -= n as u64;
            stdin.write_all(&replacer.feed(&buf[..n])).await.map_err(|e| format!("write {path}: {e}"))?;
        }
        stdin.write_all(&replacer.finish()).await.map_err(|e| format!("write {path}: {e}"))?;
        stdin.shutdown().await.map_err(|e| format!("write {path}: {e}"))
    };
    let copied =
        tokio::time::timeout(TREE, copied).await.unwrap_or_else(|_| Err(format!("write {path}: timed out")));
    drop(reading);
    let staged = match tokio::time::timeout(QUICK, stage.finish()).await {
        Ok(Ok(Ok(()))) if !temp.is_empty() => copied,
        Ok(Ok(Err(failure))) => Err(failure.message("write")),
        Ok(Err(ApiError(_, message))) => Err(message),
        _ => Err(format!("write {path}: the temporary copy did not finish")),
    };
    if temp.is_empty() {
        return staged;
    }
    let action = if staged.is_ok() { "commit" } else { "abort" };
    let committed = sh::run(sandbox, COMMIT, &[path, &temp, action], 1 << 20, TREE).await;
    staged?;
    match committed {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(failure)) => Err(format!("open {path}: {}", sh::errno_words(&failure.detail))),
        Err(ApiError(_, message)) => Err(message),
    }
}

async fn replace_in_files(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<axum::Json<Value>> {
    let sandbox = running(&shared, &id)?;
    let invalid = |why: &str| ApiError::bad_request(format!("invalid request body: {why}"));
    let map = parse_json(&body).map_err(|ApiError(_, m)| invalid(&m))?;
    let files: Vec<String> = match map.get("files") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|f| f.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| invalid("files must be an array of strings"))?,
        _ => return Err(invalid("files is required (an array of paths)")),
    };
    let pattern = match map.get("pattern") {
        Some(Value::String(p)) if !p.is_empty() => p.clone(),
        _ => return Err(invalid("pattern is required (a non-empty string)")),
    };
    let value = match map.get("newValue") {
        Some(Value::String(v)) => v.clone(),
        _ => return Err(invalid("newValue is required (a string)")),
    };
    let mut results = Vec::with_capacity(files.len());
    for file in files {
        results.push(match replace_one(&sandbox, &file, pattern.as_bytes(), value.as_bytes()).await {
            Ok(()) => json!({ "file": file, "success": true }),
            Err(error) => json!({ "file": file, "success": false, "error": error }),
        });
    }
    Ok(axum::Json(Value::Array(results)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace_in_chunks(input: &[u8], pattern: &[u8], value: &[u8], size: usize) -> Vec<u8> {
        let mut replacer = Replacer::new(pattern, value);
        let mut out = Vec::new();
        for chunk in input.chunks(size.max(1)) {
            out.extend(replacer.feed(chunk));
        }
        out.extend(replacer.finish());
        out
    }

    #[test]
    fn replacing_in_chunks_is_replace_all() {
        let input = b"aaa-ab-aaaa-b-aab";
        for size in 1..input.len() + 1 {
            for (pattern, value) in [(&b"aa"[..], &b"X"[..]), (b"ab", b""), (b"b", b"bbb"), (b"aab", b"Y")] {
                let want = String::from_utf8_lossy(input).replace(
                    std::str::from_utf8(pattern).unwrap_or_default(),
                    std::str::from_utf8(value).unwrap_or_default(),
                );
                assert_eq!(
                    String::from_utf8_lossy(&replace_in_chunks(input, pattern, value, size)),
                    want,
                    "{pattern:?} in chunks of {size}"
                );
            }
        }
    }

    #[test]
    fn scanning_follows_the_daemons_rules() {
        let mut found = Found::default();
        scan(&mut &b"one TODO\r\ntwo\nthree TODO"[..], b"TODO", "f", &mut found).expect("scan");
        assert_eq!(
            found.matches,
            vec![
                json!({"file": "f", "line": 1, "content": "one TODO"}),
                json!({"file": "f", "line": 3, "content": "three TODO"}),
            ]
        );
        let mut binary = Found::default();
        scan(&mut &b"TODO\0 binary"[..], b"TODO", "b", &mut binary).expect("scan");
        assert!(binary.matches.is_empty());
        let mut long = Found::default();
        let mut text = vec![b'x'; 70_000];
        text.extend_from_slice(b"\nTODO\n");
        scan(&mut &text[..], b"TODO", "l", &mut long).expect("scan");
        assert!(long.matches.is_empty(), "a line past 64 KiB ends the scan");
    }
}
