//! The toolbox's file-system operations (tag `file-system` of `toolbox.json`), with the
//! shapes, statuses and words of Daytona's daemon and of what SDK 0.226.1 sends.
//!
//! Each runs in the sandbox's container as the sandbox's user ([`sh`]): the container
//! resolves paths (relative ones against its working directory) and owns what is written,
//! as the daemon does inside a sandbox. Metadata operations are here; [`transfer`] streams
//! uploads and downloads, [`text`] finds and replaces in files' contents. [`paths`] and
//! [`info`] spell the answers as the daemon (Go) does.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::super::operations::Operations;
use super::super::{ApiError, ApiResult};
use super::{Running, running};
use crate::Shared;
use info::STAT_FORMAT;
use sh::Kind;

mod info;
mod paths;
mod sh;
mod text;
mod transfer;

pub(super) fn implement(ops: &mut Operations) {
    ops.op("GetFileInfo", get_file_info)
        .op("ListFiles", list_files)
        .op("CreateFolder", create_folder)
        .op("MoveFile", move_file)
        .op("DeleteFile", delete_file)
        .op("SetFilePermissions", set_file_permissions)
        .op("SearchFiles", search_files);
    transfer::implement(ops);
    text::implement(ops);
}

/// How long a metadata operation may take.
const QUICK: Duration = Duration::from_secs(60);
/// How long an operation over a tree (list, search, find) may take.
const TREE: Duration = Duration::from_secs(300);
/// The most a listing or search answer holds.
const LISTING_LIMIT: usize = 32 << 20;

/// A request's query parameters; the first of a repeated name counts, as in gin.
#[derive(Debug, Default)]
struct Query(HashMap<String, String>);

impl Query {
    fn parse(raw: Option<&str>) -> Query {
        let mut map = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            map.entry(name.into_owned()).or_insert_with(|| value.into_owned());
        }
        Query(map)
    }

    /// The parameter, or `""` when absent (gin's `c.Query`).
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    /// The parameter, refused with the daemon's `message` when absent or empty.
    fn required(&self, name: &str, message: &str) -> ApiResult<&str> {
        match self.get(name) {
            "" => Err(ApiError::bad_request(message)),
            value => Ok(value),
        }
    }
}

/// The sandbox and the request's query.
fn request(shared: &Shared, id: &str, query: Option<&str>) -> ApiResult<(Running, Query)> {
    Ok((running(shared, id)?, Query::parse(query)))
}

/// Splits NUL-terminated fields.
fn fields(out: &[u8]) -> Vec<String> {
    out.split(|b| *b == 0).map(|f| String::from_utf8_lossy(f).into_owned()).collect()
}

/// Go's octal mode (`strconv.ParseUint(mode, 8, 32)`), as the permission bits Go's
/// `os.Mkdir`/`os.Chmod` apply (`& 0o777`), written in octal for a script.
fn parse_mode(mode: &str) -> ApiResult<String> {
    let valid = !mode.is_empty() && mode.bytes().all(|b| (b'0'..=b'7').contains(&b));
    match u32::from_str_radix(mode, 8) {
        Ok(value) if valid => Ok(format!("{:o}", value & 0o777)),
        _ => Err(ApiError::bad_request("invalid mode format")),
    }
}

/// Sorts paths the way Go's `filepath.Walk` visits them: lexically, element by element.
fn walk_order<T>(items: &mut [(String, T)]) {
    items.sort_by(|(a, _), (b, _)| a.split('/').cmp(b.split('/')));
}

const GET_INFO: &str = r#"probe "$1"
printf '%s\0' "$PWD"
stat -L -c "$2" -- "$1"
"#;

async fn get_file_info(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<axum::Json<Value>> {
    let (sandbox, query) = request(&shared, &id, query.as_deref())?;
    let path = query.required("path", "path is required")?;
    let out = sh::run(&sandbox, GET_INFO, &[path, STAT_FORMAT], 1 << 20, QUICK)
        .await?
        .map_err(|f| f.into_error("stat"))?;
    let parts = fields(&out);
    let (cwd, record) = match parts.as_slice() {
        [cwd, record, ..] => (cwd.as_str(), record.as_str()),
        _ => ("/", ""),
    };
    info::describe(cwd, path, record)
        .map(axum::Json)
        .ok_or_else(|| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("stat {path}: unreadable answer")))
}

const LIST: &str = r#"probe "$1"
[ -d "$1" ] || die notdir "$1"
{ [ -r "$1" ] && [ -x "$1" ]; } || die denied "$1"
printf '%s\0' "$PWD"
find "$2" -mindepth 1 -maxdepth "$3" -exec sh -c '
format=$1; shift
# One stat for the whole batch: a line per entry, in order, when every entry can be read.
if records=$(stat -L -c "$format" -- "$@" 2>/dev/null); then
    printf "%s\n" "$records" | {
        for entry; do IFS= read -r record; printf "%s\0%s\0" "$entry" "$record"; done
    }
else
    # Some cannot (a dangling link): each alone, and those skipped, as the daemon skips them.
    for entry; do
        record=$(stat -L -c "$format" -- "$entry" 2>/dev/null) && printf "%s\0%s\0" "$entry" "$record"
    done
fi' sh "$4" {} +
exit 0
"#;

async fn list_files(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<axum::Json<Value>> {
    let (sandbox, query) = request(&shared, &id, query.as_deref())?;
    let path = match query.get("path") {
        "" => ".",
        path => path,
    };
    let depth = match query.get("depth") {
        "" => 1,
        depth => depth.parse::<u32>().ok().filter(|d| *d >= 1).ok_or_else(|| {
            ApiError::bad_request(format!("invalid depth {depth:?}: depth must be an integer >= 1"))
        })?,
    };
    let find_root = paths::arg(path);
    let depth_arg = depth.to_string();
    let out = sh::run(&sandbox, LIST, &[path, &find_root, &depth_arg, STAT_FORMAT], LISTING_LIMIT, TREE)
        .await?
        .map_err(|f| f.into_error("open"))?;
    let parts = fields(&out);
    let Some((cwd, rest)) = parts.split_first() else { return Ok(axum::Json(json!([]))) };
    let root = paths::abs(cwd, path);
    let mut entries: Vec<(String, Value)> = rest
        .chunks_exact(2)
        .filter_map(|pair| {
            let rel = pair[0].strip_prefix(find_root.as_str())?.trim_start_matches('/');
            let full = paths::join(&root, rel);
            let info = info::Stat::parse(&pair[1])?.file_info(&paths::base(rel), &full);
            Some((full, info))
        })
        .collect();
    walk_order(&mut entries);
    Ok(axum::Json(Value::Array(entries.into_iter().map(|(_, info)| info).collect())))
}

const MKDIR: &str = r#"mode=$(printf '%o' $(( 0$1 & ~0$(umask) )))
shift
for dir; do
    [ -d "$dir" ] && continue
    [ -e "$dir" ] && die notdir "$dir"
    e=$(mkdir -m "$mode" -- "$dir" 2>&1) || [ -d "$dir" ] || case $e in
        *'Permission denied'*) die denied "$dir" ;;
        *'Not a directory'*) die notdir "$dir" ;;
        *) die failed "$dir" "$e" ;;
    esac
done
"#;

async fn create_folder(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<StatusCode> {
    let (sandbox, query) = request(&shared, &id, query.as_deref())?;
    let path = query.required("path", "path is required")?;
    let mode = match query.get("mode") {
        "" => "755".to_owned(),
        mode => parse_mode(mode)?,
    };
    let dirs = paths::ancestors_and_self(path);
    let mut args = vec![mode.as_str()];
    args.extend(dirs.iter().map(String::as_str));
    sh::run(&sandbox, MKDIR, &args, 1 << 20, QUICK)
        .await?
        // The daemon answers 400 for every failure of `os.MkdirAll`.
        .map_err(|f| ApiError(StatusCode::BAD_REQUEST, f.message("mkdir")))?;
    Ok(StatusCode::CREATED)
}

const MOVE: &str = r#"probe "$1"
probe "$3"
[ -e "$2" ] && die exists "$2"
e=$(mv -- "$1" "$2" 2>&1) || die failed "$1" "$e"
exit 0
"#;

async fn move_file(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<StatusCode> {
    let (sandbox, query) = request(&shared, &id, query.as_deref())?;
    let (source, destination) = match (query.get("source"), query.get("destination")) {
        ("", _) | (_, "") => return Err(ApiError::bad_request("source and destination paths are required")),
        both => both,
    };
    let parent = paths::dir(destination);
    sh::run(&sandbox, MOVE, &[source, destination, &parent], 1 << 20, TREE).await?.map_err(|f| {
        match f.kind {
            Kind::Exists => ApiError(StatusCode::CONFLICT, "destination already exists".to_owned()),
            Kind::Failed => ApiError::bad_request(format!("failed to move file: {}", f.message("rename"))),
            _ => f.into_error("stat"),
        }
    })?;
    Ok(StatusCode::OK)
}

const DELETE: &str = r#"probe "$1"
if [ "$2" = true ]; then
    e=$(rm -rf -- "$1" 2>&1) || die failed "$1" "$e"
else
    [ -d "$1" ] && die invalid "$1" "cannot delete directory without recursive flag"
    e=$(rm -f -- "$1" 2>&1) || die failed "$1" "$e"
fi
exit 0
"#;

async fn delete_file(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<StatusCode> {
    let (sandbox, query) = request(&shared, &id, query.as_deref())?;
    let path = query.required("path", "path is required")?;
    let recursive = if query.get("recursive") == "true" { "true" } else { "false" };
    sh::run(&sandbox, DELETE, &[path, recursive], 1 << 20, TREE).await?.map_err(|f| match f.kind {
        // `os.Remove`/`os.RemoveAll` failures are 400s in the daemon.
        Kind::Failed => ApiError::bad_request(f.message("remove")),
        _ => f.into_error("stat"),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

const PERMISSIONS: &str = r#"probe "$1"
if [ -n "$2" ]; then
    e=$(chmod "$2" -- "$1" 2>&1) || die failed "$1" "$e"
fi
if [ -n "$3" ] || [ -n "$4" ]; then
    spec=$3
    [ -n "$4" ] && spec="$3:$4"
    e=$(chown "$spec" -- "$1" 2>&1) || case $e in
        *'invalid user'*|*'unknown user'*) die invalid "$1" "user not found" ;;
        *'invalid group'*|*'unknown group'*) die invalid "$1" "group not found" ;;
        *) die failed "$1" "$e" ;;
    esac
fi
exit 0
"#;

async fn set_file_permissions(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<StatusCode> {
    let (sandbox, query) = request(&shared, &id, query.as_deref())?;
    let path = query.required("path", "path is required")?;
    let mode = match query.get("mode") {
        "" => String::new(),
        mode => parse_mode(mode)?,
    };
    let (owner, group) = (query.get("owner"), query.get("group"));
    // A name that starts with `-` is no user (and must not reach chown as an option).
    if owner.starts_with('-') {
        return Err(ApiError::bad_request("user not found"));
    }
    if group.starts_with('-') || group.contains(':') || owner.contains(':') {
        return Err(ApiError::bad_request(if owner.contains(':') {
            "user not found"
        } else {
            "group not found"
        }));
    }
    sh::run(&sandbox, PERMISSIONS, &[path, &mode, owner, group], 1 << 20, QUICK).await?.map_err(
        |f| match f.kind {
            Kind::Failed if f.detail.starts_with("chmod") => {
                ApiError::bad_request(format!("failed to change mode: {}", f.message("chmod")))
            }
            Kind::Failed => {
                ApiError::bad_request(format!("failed to change ownership: {}", f.message("chown")))
            }
            _ => f.into_error("stat"),
        },
    )?;
    Ok(StatusCode::OK)
}

const SEARCH: &str = r#"[ -e "$1" ] || [ -L "$1" ] || exit 0
find "$2" -name "$3" -print0
exit 0
"#;

async fn search_files(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<axum::response::Response> {
    let (sandbox, query) = request(&shared, &id, query.as_deref())?;
    let (path, pattern) = match (query.get("path"), query.get("pattern")) {
        ("", _) | (_, "") => return Err(ApiError::bad_request("path and pattern are required")),
        both => both,
    };
    let find_root = paths::arg(path);
    // A missing root is an empty answer, as the daemon's `filepath.Walk` gives.
    let out = sh::run(&sandbox, SEARCH, &[path, &find_root, pattern], LISTING_LIMIT, TREE)
        .await?
        .map_err(|f| f.into_error("lstat"))?;
    let mut found: Vec<(String, ())> = out
        .split(|b| *b == 0)
        .filter(|f| !f.is_empty())
        .filter_map(|f| {
            let entry = String::from_utf8_lossy(f);
            let rel = entry.strip_prefix(find_root.as_str())?.trim_start_matches('/');
            Some((if rel.is_empty() { path.to_owned() } else { paths::join(path, rel) }, ()))
        })
        .collect();
    walk_order(&mut found);
    let files: Vec<String> = found.into_iter().map(|(f, ())| f).collect();
    Ok(axum::Json(json!({ "files": files })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_parsed_like_go() {
        assert_eq!(parse_mode("755").ok(), Some("755".to_owned()));
        assert_eq!(parse_mode("0700").ok(), Some("700".to_owned()));
        assert_eq!(parse_mode("4755").ok(), Some("755".to_owned()));
        for bad in ["", "+7", "8", "rwx", "7 ", "777777777777"] {
            assert!(parse_mode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn queries_keep_the_first_value_and_decode() {
        let query = Query::parse(Some("path=a%20b%0Ac&path=x&mode="));
        assert_eq!(query.get("path"), "a b\nc");
        assert_eq!(query.get("mode"), "");
        assert!(query.required("mode", "mode is required").is_err());
    }

    #[test]
    fn walk_order_is_by_element() {
        let mut items = vec![("a-b".to_owned(), ()), ("a/z".to_owned(), ()), ("a".to_owned(), ())];
        walk_order(&mut items);
        let order: Vec<&str> = items.iter().map(|(p, ())| p.as_str()).collect();
        assert_eq!(order, ["a", "a/z", "a-b"]);
    }
}
