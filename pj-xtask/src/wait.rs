//! Waiting for a snapshot: the state is polled on its own clock, and the build log is
//! followed beside it, so a dropped log stream neither hangs nor fails the run.

use std::time::{Duration, Instant};

use pj_daytona::{Client, LogEvent, Snapshot, SnapshotState};

use crate::failure::{Failure, code};

/// How often the state is read.
const POLL: Duration = Duration::from_millis(1000);
/// How many times a dropped log stream is re-opened.
const LOG_RECONNECTS: usize = 3;

/// Waits until the snapshot is `active`, `error` or `build_failed`, or the deadline.
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

/// Follows the build log, printing each line with a prefix; re-opens a dropped stream
/// and skips what was already printed.
async fn follow(client: Client, id: String) {
    let mut printed: usize = 0;
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
        let mut seen: usize = 0;
        let mut idle = 0;
        loop {
            match stream.next().await {
                Ok(Some(LogEvent::Text(text))) => {
                    idle = 0;
                    // After a reconnect the server sends the log from the start again.
                    let skip = printed.saturating_sub(seen).min(text.len());
                    seen += text.len();
                    let Some(new) = text.get(skip..) else { continue };
                    printed += new.len();
                    pending.push_str(new);
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

fn flush(pending: &mut String) {
    if !pending.is_empty() {
        eprintln!("    │ {}", pending.trim_end());
        pending.clear();
    }
}
