//! Reading git's machine formats into Daytona's shapes: `status --porcelain=v2 --branch -z`
//! into `GitStatus`, `log -z` into `GitCommitInfo`s, `config -z --get-regexp` into remotes.

use serde_json::{Value, json};

/// `GitStatus` (toolbox spec) from `git status --porcelain=v2 --branch -z`.
pub(super) fn status(porcelain: &[u8]) -> Value {
    let text = String::from_utf8_lossy(porcelain);
    let mut records = text.split('\0').filter(|r| !r.is_empty());
    let (mut head, mut upstream, mut ahead, mut behind) = (String::new(), String::new(), 0i64, 0i64);
    let mut files = Vec::new();
    while let Some(record) = records.next() {
        if let Some(header) = record.strip_prefix("# ") {
            let (key, value) = header.split_once(' ').unwrap_or((header, ""));
            match key {
                "branch.head" => head = value.to_owned(),
                "branch.upstream" => upstream = value.to_owned(),
                "branch.ab" => {
                    for count in value.split(' ') {
                        if let Some(n) = count.strip_prefix('+') {
                            ahead = n.parse().unwrap_or(0);
                        } else if let Some(n) = count.strip_prefix('-') {
                            behind = n.parse().unwrap_or(0);
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        let kind = record.as_bytes()[0];
        let entry = match kind {
            // `1 XY sub mH mI mW hH hI path`
            b'1' => record.splitn(9, ' ').collect::<Vec<_>>().get(8).map(|p| (xy(record), *p, "")),
            // `2 XY sub mH mI mW hH hI Xscore path`, then the original path as its own record.
            b'2' => {
                let path = record.splitn(10, ' ').nth(9);
                let original = records.next().unwrap_or_default();
                path.map(|p| (xy(record), p, original))
            }
            // `u XY sub m1 m2 m3 mW h1 h2 h3 path`
            b'u' => record.splitn(11, ' ').nth(10).map(|p| (xy(record), p, "")),
            b'?' => record.get(2..).map(|p| (("Untracked", "Untracked"), p, "")),
            _ => None,
        };
        if let Some(((staging, worktree), name, extra)) = entry {
            files.push(json!({ "name": name, "staging": staging, "worktree": worktree, "extra": extra }));
        }
    }
    let detached = head == "(detached)";
    json!({
        "currentBranch": if detached { "HEAD" } else { head.as_str() },
        "detached": detached,
        "fileStatus": files,
        "upstream": upstream,
        "branchPublished": !upstream.is_empty(),
        "ahead": ahead,
        "behind": behind,
    })
}

/// The two status letters of a porcelain v2 entry, as Daytona's names (go-git's).
fn xy(record: &str) -> (&'static str, &'static str) {
    let bytes = record.as_bytes();
    let letter = |i: usize| bytes.get(i).copied().map_or("Unmodified", status_name);
    (letter(2), letter(3))
}

fn status_name(letter: u8) -> &'static str {
    match letter {
        b'M' | b'T' => "Modified",
        b'A' => "Added",
        b'D' => "Deleted",
        b'R' => "Renamed",
        b'C' => "Copied",
        b'U' => "Updated but unmerged",
        b'?' => "Untracked",
        _ => "Unmodified",
    }
}

/// The format `history` asks `git log -z` for: fields split by US (0x1f); `%B` is the
/// whole message, as go-git's `Commit.Message`.
pub(super) const LOG_FORMAT: &str = "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%B";

/// `GitCommitInfo`s from `git log -z` in [`LOG_FORMAT`].
pub(super) fn history(log: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(log)
        .split('\0')
        .filter(|c| !c.trim().is_empty())
        .filter_map(|commit| {
            let mut fields = commit.trim_start_matches('\n').splitn(5, '\x1f');
            let (hash, author, email, timestamp, message) =
                (fields.next()?, fields.next()?, fields.next()?, fields.next()?, fields.next()?);
            Some(json!({
                "hash": hash,
                "author": author,
                "email": email,
                "timestamp": timestamp,
                "message": message,
            }))
        })
        .collect()
}

/// `GitRemote`s from `git config -z --get-regexp '^remote\..*\.url$'` (`key\nvalue\0`).
pub(super) fn remotes(config: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(config)
        .split('\0')
        .filter_map(|entry| {
            let (key, url) = entry.split_once('\n')?;
            let name = key.strip_prefix("remote.")?.strip_suffix(".url")?;
            Some(json!({ "name": name, "url": url }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_v2_becomes_daytonas_status() {
        let porcelain =
            b"# branch.oid 1234\0# branch.head main\0# branch.upstream origin/main\0# branch.ab +2 -1\0\
1 .M N... 100644 100644 100644 aaaa bbbb src/lib.rs\0\
1 A. N... 000000 100644 100644 0000 cccc new file.txt\0\
2 R. N... 100644 100644 100644 dddd dddd R100 renamed.txt\0old.txt\0\
u UU N... 100644 100644 100644 100644 e f g conflict.txt\0\
? notes.md\0";
        let status = status(porcelain);
        assert_eq!(
            (&status["currentBranch"], &status["ahead"], &status["behind"], &status["upstream"]),
            (&json!("main"), &json!(2), &json!(1), &json!("origin/main"))
        );
        assert_eq!((&status["branchPublished"], &status["detached"]), (&json!(true), &json!(false)));
        assert_eq!(
            status["fileStatus"],
            json!([
                {"name": "src/lib.rs", "staging": "Unmodified", "worktree": "Modified", "extra": ""},
                {"name": "new file.txt", "staging": "Added", "worktree": "Unmodified", "extra": ""},
                {"name": "renamed.txt", "staging": "Renamed", "worktree": "Unmodified", "extra": "old.txt"},
                {"name": "conflict.txt", "staging": "Updated but unmerged", "worktree": "Updated but unmerged", "extra": ""},
                {"name": "notes.md", "staging": "Untracked", "worktree": "Untracked", "extra": ""},
            ])
        );
    }

    #[test]
    fn a_detached_head_without_upstream() {
        let status = status(b"# branch.oid 1234\0# branch.head (detached)\0");
        assert_eq!((&status["currentBranch"], &status["detached"]), (&json!("HEAD"), &json!(true)));
        assert_eq!((&status["branchPublished"], &status["ahead"]), (&json!(false), &json!(0)));
        assert_eq!(status["fileStatus"], json!([]));
    }

    #[test]
    fn log_records_keep_the_whole_message() {
        let log = b"abc\x1fAda\x1fada@example.com\x1f2026-01-02T03:04:05+01:00\x1fsubject\n\nbody\n\0\ndef\x1fBob\x1fb@x\x1f2026-01-01T00:00:00Z\x1fone\n\0";
        let commits = history(log);
        assert_eq!(commits.len(), 2);
        assert_eq!(
            commits[0],
            json!({"hash": "abc", "author": "Ada", "email": "ada@example.com",
                   "timestamp": "2026-01-02T03:04:05+01:00", "message": "subject\n\nbody\n"})
        );
        assert_eq!(commits[1]["hash"], "def");
    }

    #[test]
    fn remotes_from_config() {
        let config = b"remote.origin.url\nfile:///srv/a.git\0remote.my.fork.url\n/srv/b\0";
        assert_eq!(
            remotes(config),
            [
                json!({"name": "origin", "url": "file:///srv/a.git"}),
                json!({"name": "my.fork", "url": "/srv/b"})
            ]
        );
    }
}
