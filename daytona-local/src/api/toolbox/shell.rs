//! The shell scripts the toolbox runs inside a sandbox's container, and how their output
//! is read back.
//!
//! Every script is POSIX `sh` (dash, bash and busybox ash run them alike) and speaks to
//! the server in-band: a line `\x01PJ<nonce>:<what>` on its stdout marks where a command's
//! output ends (`exit:<code>`), which process to kill at a timeout (`pid:<pid>`) or what
//! went wrong before the command ran. The nonce is random per run, so no command's output
//! is mistaken for a marker, and [`Scanner`] finds markers however the stream is chunked.
//! The server never waits for the end of a stream: a daemon a command leaves behind
//! (`sleep 300 &`) may hold it open for ever.

use std::time::Duration;

use crate::docker;

/// Picks the shell a command runs in as Daytona's daemon does: zsh, else bash, when
/// `/etc/shells` lists it (and it exists), else `sh`. Sets `__dl_s`.
const PICK_SHELL: &str = r#"__dl_s=sh
if [ -r /etc/shells ]; then
  __dl_uz= __dl_z= __dl_ub= __dl_b=
  while IFS= read -r __dl_l || [ -n "$__dl_l" ]; do
    case $__dl_l in
      /usr/bin/zsh) __dl_uz=1 ;;
      /bin/zsh) __dl_z=1 ;;
      /usr/bin/bash) __dl_ub=1 ;;
      /bin/bash) __dl_b=1 ;;
    esac
  done < /etc/shells
  if [ -n "$__dl_uz" ] && [ -x /usr/bin/zsh ]; then __dl_s=/usr/bin/zsh
  elif [ -n "$__dl_z" ] && [ -x /bin/zsh ]; then __dl_s=/bin/zsh
  elif [ -n "$__dl_ub" ] && [ -x /usr/bin/bash ]; then __dl_s=/usr/bin/bash
  elif [ -n "$__dl_b" ] && [ -x /bin/bash ]; then __dl_s=/bin/bash
  fi
fi
"#;

/// One command, read by the picked shell from stdin (no length limit, as Daytona pipes
/// it), stderr merged into stdout. Arguments: nonce, `1` and a directory to `cd` into
/// first (else `0` and empty), a program that must be on `PATH` (else empty).
fn once_script() -> String {
    format!(
        r#"printf '\001PJ%s:pid:%s\n' "$1" "$$"
if [ "$2" = 1 ]; then cd -- "$3" 2>/dev/null || {{ printf '\001PJ%s:chdir\n' "$1"; exit 0; }}; fi
if [ -n "$4" ] && ! command -v "$4" >/dev/null 2>&1; then printf '\001PJ%s:missing\n' "$1"; exit 0; fi
{PICK_SHELL}"$__dl_s" 2>&1
printf '\001PJ%s:exit:%s\n' "$1" "$?"
"#
    )
}

/// The argv of a `docker exec` running [`once_script`].
pub(crate) fn once_argv(nonce: &str, cwd: Option<&str>, need: Option<&str>) -> Vec<String> {
    vec![
        "sh".into(),
        "-c".into(),
        once_script(),
        "sh".into(),
        nonce.into(),
        if cwd.is_some() { "1" } else { "0" }.into(),
        cwd.unwrap_or_default().into(),
        need.unwrap_or_default().into(),
    ]
}

/// A session's shell: makes the session's directory (under `$HOME/.daytona/sessions`, as
/// Daytona's daemon does, else under `/tmp`), keeps its stdout and stderr as fds 7 and 8
/// for the markers, says `ready:<pid>:<dir>` and becomes the picked shell, which then reads
/// the commands the server writes to its stdin. Arguments: nonce, session id.
fn session_script() -> String {
    format!(
        r#"__dl_d="${{HOME:-/tmp}}/.daytona/sessions/$2"
if ! mkdir -p "$__dl_d" 2>/dev/null || [ ! -w "$__dl_d" ]; then
  __dl_d="/tmp/.daytona-local-$(id -u 2>/dev/null)/sessions/$2"
  mkdir -p "$__dl_d" || {{ printf '\001PJ%s:fail:cannot create %s\n' "$1" "$__dl_d"; exit 1; }}
fi
{PICK_SHELL}exec 7>&1 8>&2
printf '\001PJ%s:ready:%s:%s\n' "$1" "$$" "$__dl_d"
exec "$__dl_s"
"#
    )
}

/// The argv of a `docker exec --interactive` running a session's shell.
pub(crate) fn session_argv(nonce: &str, session_id: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), session_script(), "sh".into(), nonce.into(), session_id.into()]
}

/// What the server writes to a session's shell to run one command: the command into a
/// file (`printf`, a builtin: no length limit, no parsing of the command by this shell),
/// then `. file` in the shell itself, so `cd` and `export` last, with stdin from
/// `/dev/null` (synchronous) or a FIFO the server writes input to (`<>`, so it never
/// blocks and never ends, as Daytona keeps an async command's stdin open), stdout and
/// stderr the session's own. Then the exit code as a marker on both streams: a command's
/// output has ended when both markers have come.
pub(crate) fn session_command(
    nonce: &str,
    seq: u64,
    file: &str,
    input: Option<&str>,
    command: &str,
) -> String {
    let file = quote(file);
    let stdin = match input {
        Some(fifo) => {
            let fifo = quote(fifo);
            format!("rm -f {fifo}; mkfifo {fifo}; {{ . {file}; }} 0<>{fifo}")
        }
        None => format!("{{ . {file}; }} </dev/null"),
    };
    let cleanup = match input {
        Some(fifo) => format!("rm -f {} {file}", quote(fifo)),
        None => format!("rm -f {file}"),
    };
    format!(
        "printf '%s' {} > {file}\n{stdin} >&7 2>&8 7>&- 8>&-\n__dl_ec=$?\n{cleanup}\nprintf '\\001PJ%s:%s:%s\\n' {nonce} {seq} \"$__dl_ec\" >&7\nprintf '\\001PJ%s:%s:%s\\n' {nonce} {seq} \"$__dl_ec\" >&8\n",
        quote(command)
    )
}

/// Kills process `$1` inside the container and everything it started: every process of
/// its session or process group (`docker exec` makes each exec a session leader, so
/// `sleep 300 &` is in it even once orphaned) and every descendant, read from `/proc` (no
/// `ps` needed). `$2` is the first signal (`TERM` gives `$3` tenths of a second to exit),
/// then `KILL` until none is left. Zombies are dead already and skipped. Exits 0 when the
/// tree is gone.
const KILL_TREE: &str = r#"__dl_r=$1 __dl_sig=$2 __dl_grace=$3 __dl_i=0
while [ $__dl_i -lt 60 ]; do
  __dl_list=" " __dl_found=1
  while [ $__dl_found = 1 ]; do
    __dl_found=0
    for __dl_f in /proc/[0-9]*/stat; do
      __dl_p=${__dl_f#/proc/}; __dl_p=${__dl_p%/stat}
      [ "$__dl_p" = "$$" ] && continue
      case "$__dl_list" in *" $__dl_p "*) continue ;; esac
      read -r __dl_line < "$__dl_f" 2>/dev/null || continue
      set -- ${__dl_line##*) }
      [ "$1" = Z ] && continue
      if [ "$__dl_p" = "$__dl_r" ] || [ "$3" = "$__dl_r" ] || [ "$4" = "$__dl_r" ]; then
        __dl_list="$__dl_list$__dl_p " __dl_found=1
        continue
      fi
      case "$__dl_list" in *" $2 "*) __dl_list="$__dl_list$__dl_p " __dl_found=1 ;; esac
    done
  done
  [ "$__dl_list" = " " ] && exit 0
  if [ $__dl_i -ge "$__dl_grace" ]; then __dl_sig=KILL; fi
  kill -s $__dl_sig $__dl_list 2>/dev/null
  __dl_i=$((__dl_i + 1))
  sleep 0.1
done
exit 1
"#;

/// Kills the process tree of `pid` in `container` (as root: whatever the user's
/// processes became), with `TERM` first and `KILL` after `grace` when `graceful`, and
/// runs `then` (a shell command line) afterwards. Whether the tree is gone.
pub(crate) async fn kill_tree(container: &str, pid: u32, graceful: bool, then: Option<&str>) -> bool {
    let script = match then {
        Some(more) => format!("( {KILL_TREE} ); __dl_gone=$?\n{more}\nexit $__dl_gone\n"),
        None => KILL_TREE.to_owned(),
    };
    let pid = pid.to_string();
    let (signal, grace) = if graceful { ("TERM", "10") } else { ("KILL", "0") };
    let (code, _, _) = docker::run(
        &["exec", "--user", "0", container, "sh", "-c", &script, "sh", &pid, signal, grace],
        Duration::from_secs(20),
    )
    .await;
    code == Some(0)
}

/// `s` as one single-quoted shell word.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A fresh nonce for markers: a random (version 4) UUID's 122 bits, in hex.
pub(crate) fn nonce() -> String {
    crate::state::uuid().replace('-', "")
}

/// The marker prefix of `nonce`.
pub(crate) fn marker(nonce: &str) -> Vec<u8> {
    format!("\x01PJ{nonce}:").into_bytes()
}

/// Splits a stream into output and markers, however it is chunked.
#[derive(Debug)]
pub(crate) struct Scanner {
    prefix: Vec<u8>,
    pending: Vec<u8>,
}

/// A piece of a scanned stream.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Output of the command.
    Data(Vec<u8>),
    /// A marker's text, after the prefix and without its newline.
    Marker(String),
}

/// The longest a marker's text can be (a session directory path is the longest part).
const MAX_MARKER: usize = 8192;

impl Scanner {
    pub(crate) fn new(nonce: &str) -> Scanner {
        Scanner { prefix: marker(nonce), pending: Vec::new() }
    }

    /// The pieces `chunk` completes; a possible start of a marker is held back.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Vec<Piece> {
        self.pending.extend_from_slice(chunk);
        let mut pieces = Vec::new();
        loop {
            match find(&self.pending, &self.prefix) {
                Some(at) => {
                    let text_start = at + self.prefix.len();
                    let Some(newline) = self.pending[text_start..].iter().position(|b| *b == b'\n') else {
                        if self.pending.len() - text_start > MAX_MARKER {
                            // Not one of ours after all: output.
                            pieces.push(Piece::Data(self.pending.drain(..text_start).collect()));
                            continue;
                        }
                        if at > 0 {
                            pieces.push(Piece::Data(self.pending.drain(..at).collect()));
                        }
                        break;
                    };
                    if at > 0 {
                        pieces.push(Piece::Data(self.pending[..at].to_vec()));
                    }
                    let text = String::from_utf8_lossy(&self.pending[text_start..text_start + newline]);
                    pieces.push(Piece::Marker(text.into_owned()));
                    self.pending.drain(..text_start + newline + 1);
                }
                None => {
                    let keep = partial_suffix(&self.pending, &self.prefix);
                    let cut = self.pending.len() - keep;
                    if cut > 0 {
                        pieces.push(Piece::Data(self.pending.drain(..cut).collect()));
                    }
                    break;
                }
            }
        }
        pieces
    }

    /// What is left at the end of the stream (output that looked like a marker's start).
    pub(crate) fn finish(&mut self) -> Option<Vec<u8>> {
        (!self.pending.is_empty()).then(|| std::mem::take(&mut self.pending))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The length of the longest suffix of `data` that is a proper prefix of `prefix`.
fn partial_suffix(data: &[u8], prefix: &[u8]) -> usize {
    (1..prefix.len().min(data.len() + 1)).rev().find(|&n| data.ends_with(&prefix[..n])).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(nonce: &str, chunks: &[&[u8]]) -> (Vec<u8>, Vec<String>) {
        let mut scanner = Scanner::new(nonce);
        let (mut data, mut markers) = (Vec::new(), Vec::new());
        for chunk in chunks {
            for piece in scanner.feed(chunk) {
                match piece {
                    Piece::Data(d) => data.extend(d),
                    Piece::Marker(m) => markers.push(m),
                }
            }
        }
        data.extend(scanner.finish().unwrap_or_default());
        (data, markers)
    }

    #[test]
    fn markers_are_found_however_the_stream_is_cut() {
        let stream = b"hello\x01P\x01PJabc:pid:7\nout\x01PJab\x01PJabc:exit:3\ntail";
        let expected = (b"hello\x01Pout\x01PJabtail".to_vec(), vec!["pid:7".to_owned(), "exit:3".to_owned()]);
        assert_eq!(scan_all("abc", &[stream]), expected);
        for size in 1..stream.len() {
            let chunks: Vec<&[u8]> = stream.chunks(size).collect();
            assert_eq!(scan_all("abc", &chunks), expected, "chunks of {size}");
        }
    }

    #[test]
    fn a_held_back_prefix_is_output_at_the_end() {
        assert_eq!(scan_all("abc", &[b"x\x01PJa"]), (b"x\x01PJa".to_vec(), vec![]));
        assert_eq!(scan_all("abc", &[b"x\x01PJabc:exit"]), (b"x\x01PJabc:exit".to_vec(), vec![]));
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
