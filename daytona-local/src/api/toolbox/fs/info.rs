//! `FileInfo`, the daemon's description of a file, from a `stat` record made in the
//! container: `stat -L -c "$STAT"` (it follows symbolic links, like Go's `os.Stat`).

use serde_json::{Value, json};

use super::paths;

/// The `stat -c` format of a record: raw mode (hex), size, uid, gid, mtime (seconds since
/// the epoch) and mtime (human, for its nanoseconds). GNU's and BusyBox's `stat` both
/// write it the same way.
pub(super) const STAT_FORMAT: &str = "%f %s %u %g %Y %y";

/// One file's `stat` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stat {
    mode: u32,
    size: u64,
    uid: u32,
    gid: u32,
    secs: i64,
    nanos: u32,
}

const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;

impl Stat {
    /// Reads a record written with [`STAT_FORMAT`].
    pub(super) fn parse(record: &str) -> Option<Stat> {
        let mut fields = record.split_whitespace();
        let mode = u32::from_str_radix(fields.next()?, 16).ok()?;
        let size = fields.next()?.parse().ok()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        let secs = fields.next()?.parse().ok()?;
        // `%y` is `2026-01-02 03:04:05.123456789 +0000`: the nanoseconds follow the dot.
        let _date = fields.next();
        let nanos = fields
            .next()
            .and_then(|time| time.split_once('.'))
            .and_then(|(_, frac)| {
                let digits: String = frac.chars().take(9).collect();
                format!("{digits:0<9}").parse().ok()
            })
            .unwrap_or(0);
        Some(Stat { mode, size, uid, gid, secs, nanos })
    }

    /// Whether it is a directory.
    pub(super) fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// The daemon's `FileInfo` for it: `name` as Go's `filepath.Base`, `path` in full.
    pub(super) fn file_info(&self, name: &str, full_path: &str) -> Value {
        json!({
            "name": name,
            "path": full_path,
            "size": self.size,
            "mode": go_mode(self.mode),
            "modTime": go_time(self.secs, self.nanos),
            "modifiedAt": rfc3339(self.secs, self.nanos),
            "isDir": self.is_dir(),
            "owner": self.uid.to_string(),
            "group": self.gid.to_string(),
            "permissions": format!("{:04o}", self.mode & 0o777),
        })
    }
}

/// The `FileInfo` of `path` (as asked) whose record is `record`, with `cwd` the working
/// directory it was resolved in.
pub(super) fn describe(cwd: &str, path: &str, record: &str) -> Option<Value> {
    let stat = Stat::parse(record)?;
    Some(stat.file_info(&paths::base(path), &paths::abs(cwd, path)))
}

/// Go's `FileMode.String()` of a Unix mode: type letters (`d`, `L`, `D`, `p`, `S`, `u`,
/// `g`, `c`, `t`, in Go's order) or `-`, then `rwxrwxrwx`.
pub(super) fn go_mode(mode: u32) -> String {
    let kind = mode & S_IFMT;
    // Go's letters in the order of its mode bits: dalTLDpSugct?
    let letters = [
        (kind == S_IFDIR, 'd'),
        (kind == 0o120_000, 'L'),
        (kind == 0o060_000 || kind == 0o020_000, 'D'),
        (kind == 0o010_000, 'p'),
        (kind == 0o140_000, 'S'),
        (mode & 0o4000 != 0, 'u'),
        (mode & 0o2000 != 0, 'g'),
        (kind == 0o020_000, 'c'),
        (mode & 0o1000 != 0, 't'),
    ];
    let mut out: String = letters.iter().filter(|(set, _)| *set).map(|(_, c)| *c).collect();
    if out.is_empty() {
        out.push('-');
    }
    for (i, c) in "rwxrwxrwx".chars().enumerate() {
        out.push(if mode & (1 << (8 - i)) != 0 { c } else { '-' });
    }
    out
}

fn fraction(nanos: u32) -> String {
    if nanos == 0 {
        return String::new();
    }
    let digits = format!("{nanos:09}");
    format!(".{}", digits.trim_end_matches('0'))
}

/// `YYYY-MM-DD`, `HH:MM:SS` of a Unix time in UTC (the epoch for one out of range).
fn utc(secs: i64) -> (String, String) {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    (
        format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()),
    )
}

/// Go's `time.Time.String()` in UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`.
fn go_time(secs: i64, nanos: u32) -> String {
    let (date, clock) = utc(secs);
    format!("{date} {clock}{} +0000 UTC", fraction(nanos))
}

/// RFC 3339 with Go's trimmed nanoseconds (`time.RFC3339Nano`), in UTC.
fn rfc3339(secs: i64, nanos: u32) -> String {
    let (date, clock) = utc(secs);
    format!("{date}T{clock}{}Z", fraction(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_from_both_stats() {
        let stat =
            Stat::parse("81a4 12 1000 1000 1796665208 2026-12-07 17:40:08.831187215 +0000").expect("record");
        assert!(!stat.is_dir());
        let info = stat.file_info("a.txt", "/home/u/a.txt");
        assert_eq!(info["mode"], "-rw-r--r--");
        assert_eq!(info["permissions"], "0644");
        assert_eq!(info["size"], 12);
        assert_eq!(info["owner"], "1000");
        assert_eq!(info["modTime"], "2026-12-07 17:40:08.831187215 +0000 UTC");
        assert_eq!(info["modifiedAt"], "2026-12-07T17:40:08.831187215Z");
        let whole = Stat::parse("41ed 4096 0 0 0 1970-01-01 00:00:00.000000000 +0000").expect("record");
        assert!(whole.is_dir());
        assert_eq!(whole.file_info("/", "/")["modifiedAt"], "1970-01-01T00:00:00Z");
        assert_eq!(Stat::parse("nonsense"), None);
    }

    #[test]
    fn modes_are_gos() {
        assert_eq!(go_mode(0o100_644), "-rw-r--r--");
        assert_eq!(go_mode(0o040_755), "drwxr-xr-x");
        assert_eq!(go_mode(0o041_777), "dtrwxrwxrwx");
        assert_eq!(go_mode(0o020_666), "Dcrw-rw-rw-");
        assert_eq!(go_mode(0o104_755), "urwxr-xr-x");
        assert_eq!(go_mode(0o010_600), "prw-------");
    }
}
