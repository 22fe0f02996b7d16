//! Waiting for a snapshot: the state is polled on its own clock, and the build log is
//! followed beside it, so a dropped log stream neither hangs nor fails the run.

use std::time::{Duration, Instant};

use pj_daytona::{Client, LogEvent, Snapshot, SnapshotState};

use crate::failure::{Failure, code};

/// How often the state is read.
const POLL: Duration = Duration::from_millis(1000);
/// How many times a dropped log stream is re-opened.
const LOG_RECONNECTS: usize = 3;

/// Waits until the snapshot is `active`, `error` or `build_failed`, or the deadline; stops
/// at once in a state it would not leave by itself (`inactive`, `removing`, unknown).
pub async fn until_done(
    client: &Client,
    first: Snapshot,
    deadline: Instant,
    follow_logs: bool,
) -> Result<Snapshot, Failure> {
    let id = first.id.clone();
    let name = first.name.clone();
    let mut state = first.state;
    eprintln!("    {name}: {state}");
    let logs = follow_logs.then(|| tokio::spawn(follow(client.clone(), id.clone())));
    let mut current = first;
    let outcome = loop {
        if current.state.is_terminal() {
            break Ok(current);
        }
        if let Some(stopped) = stopped(&current) {
            break Err(stopped);
        }
        if Instant::now() >= deadline {
            break Err(Failure::new(
                code::TIMEOUT,
                format!("snapshot {name} is still {state} at the deadline"),
            )
            .note("the build goes on on the server; nothing is lost")
            .help("re-run the same command to attach again, or raise --timeout"));
        }
        tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
        match client.snapshots().get(&id).await {
            Ok(s) => current = s,
            // Transient failures are retried inside the client; what remains is reported
            // only if it lasts until the deadline.
            Err(e) if e.is_retryable() => continue,
            Err(e) => break Err(Failure::api(&format!("cannot read snapshot {name}"), &e)),
        }
        if current.state != state {
            state = current.state;
            eprintln!("    {name}: {state}");
        }
    };
    if let Some(task) = logs {
        if outcome.is_ok() {
            // Let the stream print what is left, briefly; it must not hold the result back.
            let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
        } else {
            task.abort();
        }
    }
    outcome
}

/// A state the snapshot does not leave by itself towards `active`: waiting on would only
/// end at the deadline (30 minutes by default), so the wait stops and says what to do.
fn stopped(snap: &Snapshot) -> Option<Failure> {
    let name = &snap.name;
    let failure = match snap.state {
        SnapshotState::Inactive => {
            Failure::new(code::DRIFT, format!("snapshot {name} became inactive while waiting"))
                .note("Daytona deactivates snapshots; an inactive one is not used until activated")
                .help("re-run the same command: publishing activates an inactive snapshot")
        }
        SnapshotState::Removing => Failure::new(code::DRIFT, format!("snapshot {name} is being removed"))
            .note("it was deleted while this command waited for it")
            .help("wait until it is gone, then re-run to build it again"),
        SnapshotState::Unknown => {
            Failure::new(code::FAILED, format!("snapshot {name} is in a state this pithy does not know"))
                .note(
                    "Daytona may have added a state; waiting for it to change could last until the deadline",
                )
                .help("check the snapshot in Daytona's dashboard, and update pithy")
        }
        _ => return None,
    };
    Some(failure)
}

/// Follows the build log, printing each line with a prefix; re-opens a dropped stream
/// and skips what was already printed.
async fn follow(client: Client, id: String) {
    let mut resume = Resume::default();
    let mut pending = String::new();
    for attempt in 0..=LOG_RECONNECTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let url = match client.snapshots().build_logs_url(&id).await {
            Ok(url) => url,
            Err(_) => continue,
        };
        let Ok(mut parsed) = url.parse::<url::Url>() else { return };
        parsed.query_pairs_mut().append_pair("follow", "true");
        let Ok(mut stream) = client.snapshots().stream_logs(parsed).await else { continue };
        resume.reopened();
        let mut idle = 0;
        loop {
            match stream.next().await {
                Ok(Some(LogEvent::Text(text))) => {
                    idle = 0;
                    pending.push_str(resume.unseen(&text));
                    while let Some(pos) = pending.find('\n') {
                        eprintln!("    │ {}", pending[..pos].trim_end_matches('\r'));
                        pending.drain(..=pos);
                    }
                }
                Ok(Some(LogEvent::Idle)) => {
                    idle += 1;
                    // Stop following once the build is over.
                    if idle >= 2
                        && let Ok(s) = client.snapshots().get(&id).await
                        && (s.state.is_terminal() || s.state == SnapshotState::Inactive)
                    {
                        flush(&mut pending);
                        return;
                    }
                }
                Ok(None) => {
                    flush(&mut pending);
                    return;
                }
                Err(_) => break,
            }
        }
    }
    flush(&mut pending);
}

/// What of a re-opened log is new: the server sends the log from the start again, so
/// the first `printed` bytes of each stream are skipped.
#[derive(Debug, Default)]
struct Resume {
    /// Bytes of the log printed so far (over all streams).
    printed: usize,
    /// Bytes of the current stream received so far.
    seen: usize,
}

impl Resume {
    fn reopened(&mut self) {
        self.seen = 0;
    }

    /// The part of `text`, the next chunk of the current stream, not printed yet. A skip
    /// point inside a character (the log changed, or a replacement character stood for
    /// different bytes) moves on to the next character instead of dropping the chunk.
    fn unseen<'a>(&mut self, text: &'a str) -> &'a str {
        let mut skip = self.printed.saturating_sub(self.seen).min(text.len());
        while !text.is_char_boundary(skip) {
            skip += 1;
        }
        self.seen += text.len();
        let new = text.get(skip..).unwrap_or_default();
        self.printed += new.len();
        new
    }
}

fn flush(pending: &mut String) {
    if !pending.is_empty() {
        eprintln!("    │ {}", pending.trim_end());
        pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Resume;

    #[test]
    fn a_reopened_log_prints_only_what_is_new() {
        let mut resume = Resume::default();
        resume.reopened();
        assert_eq!(resume.unseen("Step 1/2\n"), "Step 1/2\n");
        assert_eq!(resume.unseen("Step 2"), "Step 2");
        // The stream drops; the new one starts from the beginning, cut elsewhere.
        resume.reopened();
        assert_eq!(resume.unseen("Step 1/"), "");
        assert_eq!(resume.unseen("2\nStep 2/2\n"), "/2\n");
    }

    #[test]
    fn a_skip_point_inside_a_character_keeps_the_rest_of_the_chunk() {
        let mut resume = Resume::default();
        resume.reopened();
        assert_eq!(resume.unseen("ab"), "ab");
        assert_eq!(resume.unseen("c"), "c");
        // Re-opened, the log now begins with a 2-byte character where "ab" was, so the
        // skip point (3 bytes) falls inside the next one ("é" at bytes 2..4).
        resume.reopened();
        assert_eq!(resume.unseen("\u{e9}\u{e9}done\n"), "done\n");
    }
}
