//! The sandboxes' records kept to their containers: a container that exited is `stopped`
//! (exit code 0) or in `error` with the reason (its exit code, the OOM killer); one removed
//! outside the server puts its sandbox in `error`; one started outside makes it `started`
//! again. This happens when the server starts (its records against the engine, including
//! what a previous run left half done), on every `docker events` message about a sandbox's
//! container, and in a sweep every [`SWEEP`] in case a message was missed.
//!
//! Only records in a settled state are touched: a transitional one (`starting`,
//! `stopping`, ...) belongs to the request moving it. When the engine does not answer,
//! nothing changes: an unreachable daemon says nothing about a container.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::LABEL;
use crate::Shared;
use crate::docker::{self, Observed};
use crate::state::{SandboxRecord, now_iso};

/// How often every record is checked against the engine, besides the events.
const SWEEP: Duration = Duration::from_secs(10);

/// How long one `docker events` stream runs before the next takes over (from where it
/// ended, so no event falls between them).
const STREAM: Duration = Duration::from_secs(60);

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The reason of a sandbox whose container is gone.
pub(crate) fn removed(container: &str) -> String {
    format!("The sandbox's container {container} no longer exists: it was removed outside the local server")
}

/// The desired state that goes with a settled state (none for `error`: it keeps what
/// was wanted, as Daytona does).
pub(crate) fn desired_for(state: &str) -> Option<&'static str> {
    match state {
        "started" => Some("started"),
        "stopped" => Some("stopped"),
        "archived" => Some("archived"),
        _ => None,
    }
}

/// Where a sandbox that should be `expected` (`started`, `stopped` or `archived`) is, given
/// what the engine says of its container: its state and error reason. `None` while the
/// engine is busy with it (being created, removed, restarted).
pub(crate) fn landed(
    expected: &str,
    record: &SandboxRecord,
    observed: &Observed,
) -> Option<(String, Option<String>)> {
    let container = record.container.as_deref().unwrap_or_default();
    let error = |reason: String| Some(("error".to_owned(), Some(reason)));
    match observed {
        Observed::Running => Some(("started".to_owned(), None)),
        Observed::Paused => error(format!(
            "The sandbox's container {container} was paused outside the local server (`docker unpause` it)"
        )),
        Observed::Exited { .. } if expected != "started" => Some((expected.to_owned(), None)),
        Observed::Exited { code: 0, oom_killed: false, .. } => Some(("stopped".to_owned(), None)),
        Observed::Exited { code, oom_killed, error: engine } => {
            let mut reason = if *oom_killed {
                format!(
                    "The sandbox's container was killed for running out of memory (OOM; its limit is {} GiB)",
                    record.memory
                )
            } else {
                format!("The sandbox's container exited with code {code}")
            };
            if !oom_killed && *code > 128 && *code < 160 {
                reason.push_str(&format!(" (killed by signal {})", code - 128));
            }
            if !engine.is_empty() {
                reason.push_str(&format!(": {engine}"));
            }
            error(reason)
        }
        Observed::Missing => error(removed(container)),
        Observed::Busy(_) => None,
    }
}

/// The change a settled record takes from what the engine says of its container; `None`:
/// it is right as it is, or not the watcher's to change.
pub(crate) fn settle(record: &SandboxRecord, observed: &Observed) -> Option<(String, Option<String>)> {
    match record.state.as_str() {
        "started" | "stopped" | "archived" => {
            let (state, reason) = landed(&record.state, record, observed)?;
            (state != record.state || reason != record.error_reason).then_some((state, reason))
        }
        // Started again outside the server, unless it is being deleted.
        "error" if record.desired_state != "destroyed" && *observed == Observed::Running => {
            Some(("started".to_owned(), None))
        }
        _ => None,
    }
}

/// Applies what the engine said of `container` to the record of sandbox `id`, unless the
/// record changed since `seen` (its `updatedAt` before the engine was asked): then a
/// request moved it meanwhile, and the observation may be older than that move.
fn apply(shared: &Shared, id: &str, container: &str, seen: &str, observed: &Observed) {
    // Not saved: the next event or sweep tries again.
    let _ = shared.store.write(|d| {
        let Some(record) = d.sandbox_mut_by_id(id) else { return };
        if record.container.as_deref() != Some(container) || record.updated_at != seen {
            return;
        }
        if let Some((state, reason)) = settle(record, observed) {
            if let Some(desired) = desired_for(&state) {
                desired.clone_into(&mut record.desired_state);
            }
            record.state = state;
            record.error_reason = reason;
            record.updated_at = now_iso();
            record.last_activity_at = Some(record.updated_at.clone());
        }
    });
}

/// Checks one sandbox against the engine.
async fn check(shared: &Shared, id: &str) {
    let Some((container, seen)) = shared
        .store
        .read(|d| d.sandbox_by_id(id).and_then(|r| Some((r.container.clone()?, r.updated_at.clone()))))
    else {
        return;
    };
    if let Ok(observed) = docker::observe(&container).await {
        apply(shared, id, &container, &seen, &observed);
    }
}

/// At the server's start: every record against the engine. Records a previous run left
/// in a transitional state are settled too: a create or start that was under way is taken
/// as started, a stop as stopped, and a delete whose container is gone is finished. `Err`
/// when the engine did not answer (the watcher tries again).
pub(crate) async fn at_start(shared: &Shared) -> Result<(), String> {
    docker::statuses(LABEL).await?;
    let records: Vec<SandboxRecord> = shared.store.read(|d| d.sandboxes.clone());
    for record in records {
        let Some(container) = record.container.clone() else {
            if super::in_transition(&record.state) {
                let _ = shared.store.write(|d| {
                    super::update(d, &record.id, |r| {
                        r.state = "error".to_owned();
                        r.error_reason =
                            Some("The local server stopped while the sandbox was being created".to_owned());
                    })
                });
            }
            continue;
        };
        let observed = docker::observe(&container).await?;
        if record.state == "destroying" {
            if observed == Observed::Missing {
                let _ = shared.store.write(|d| d.sandboxes.retain(|s| s.id != record.id));
            } else {
                let _ = shared.store.write(|d| {
                    super::update(d, &record.id, |r| {
                        r.state = "error".to_owned();
                        r.error_reason = Some(
                            "The local server stopped while the sandbox was being deleted; delete it again"
                                .to_owned(),
                        );
                    })
                });
            }
            continue;
        }
        let settled = match record.state.as_str() {
            "creating" | "starting" | "restoring" => "started",
            "stopping" => "stopped",
            "archiving" => "archived",
            other => other,
        };
        let updated = shared.store.write(|d| {
            super::update(d, &record.id, |r| settled.clone_into(&mut r.state)).map(|r| r.updated_at)
        });
        if let Ok(Some(seen)) = updated {
            apply(shared, &record.id, &container, &seen, &observed);
        }
    }
    Ok(())
}

/// Every settled record whose container's status (one `docker ps`) does not match it is
/// checked.
async fn sweep(shared: &Shared) {
    let Ok(statuses) = docker::statuses(LABEL).await else { return };
    let suspects: Vec<String> = shared.store.read(|d| {
        d.sandboxes
            .iter()
            .filter(|r| {
                let Some(container) = &r.container else { return false };
                let running = statuses.get(container).map(|s| s == "running");
                match r.state.as_str() {
                    "started" => running != Some(true),
                    "stopped" | "archived" => running != Some(false),
                    "error" => running == Some(true),
                    _ => false,
                }
            })
            .map(|r| r.id.clone())
            .collect()
    });
    for id in suspects {
        check(shared, &id).await;
    }
}

/// The sandbox a `docker events` line is about.
fn event_sandbox(line: &str) -> Option<String> {
    let event: serde_json::Value = serde_json::from_str(line).ok()?;
    let action = event.get("Action").or_else(|| event.get("status"))?.as_str()?;
    if !matches!(action, "start" | "die" | "destroy" | "oom" | "pause" | "unpause" | "stop" | "restart") {
        return None;
    }
    Some(event.pointer("/Actor/Attributes")?.get(LABEL)?.as_str()?.to_owned())
}

/// Keeps the records to their containers while the server runs: follows `docker events`
/// about sandbox containers (one bounded stream after another, [`STREAM`] each) and sweeps
/// every [`SWEEP`]. `started`: whether [`at_start`] succeeded; until it does, each sweep tries it
/// again.
pub(crate) async fn watch(shared: Arc<Shared>, mut started: bool) {
    let mut shutdown = shared.shutdown.clone();
    let mut sweeps = tokio::time::interval(SWEEP);
    sweeps.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut since = unix_now();
    loop {
        let until = since.max(unix_now()) + STREAM.as_secs();
        let mut child = docker::events(LABEL, since, until).spawn().ok();
        let mut lines = child.as_mut().and_then(|c| c.stdout.take()).map(|out| BufReader::new(out).lines());
        loop {
            let next = async {
                match lines.as_mut() {
                    Some(lines) => lines.next_line().await.ok().flatten(),
                    None => None,
                }
            };
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = sweeps.tick() => {
                    if started {
                        sweep(&shared).await;
                    } else {
                        started = at_start(&shared).await.is_ok();
                    }
                }
                line = next => match line {
                    Some(line) => {
                        if let Some(id) = event_sandbox(&line) {
                            check(&shared, &id).await;
                        }
                    }
                    None => break,
                },
            }
        }
        drop(child);
        // The next stream starts where this one was to end, or, when it ended early (the
        // engine restarted, there is no CLI), where it stopped: events in between are
        // replayed, which only checks their sandboxes again.
        let ended_early = unix_now() < until;
        since = if ended_early { since.max(unix_now().saturating_sub(1)) } else { until };
        if ended_early {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
        if shared.is_shutting_down() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(state: &str, desired: &str) -> SandboxRecord {
        let json = serde_json::json!({
            "id": "s1", "organizationId": "o", "name": "s1", "snapshot": "snap", "user": "root",
            "env": {}, "labels": {}, "public": false, "networkBlockAll": false, "target": "us",
            "cpu": 1, "gpu": 0, "memory": 2, "disk": 3, "state": state, "desiredState": desired,
            "autoStopInterval": 15, "autoArchiveInterval": 10080, "autoDeleteInterval": -1,
            "volumes": [], "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
            "runnerId": "local-runner", "sandboxClass": "container", "toolboxProxyUrl": "http://x/toolbox",
            "container": "pj-sandbox-s1",
        });
        serde_json::from_value(json).expect("a record")
    }

    fn exited(code: i64, oom_killed: bool) -> Observed {
        Observed::Exited { code, oom_killed, error: String::new() }
    }

    #[test]
    fn a_started_sandbox_follows_its_container() {
        let started = record("started", "started");
        assert_eq!(settle(&started, &Observed::Running), None);
        assert_eq!(settle(&started, &exited(0, false)), Some(("stopped".to_owned(), None)));
        let (state, reason) = settle(&started, &exited(137, false)).expect("a change");
        assert_eq!(state, "error");
        assert_eq!(
            reason.as_deref(),
            Some("The sandbox's container exited with code 137 (killed by signal 9)")
        );
        let (_, reason) = settle(&started, &exited(137, true)).expect("a change");
        assert_eq!(
            reason.as_deref(),
            Some("The sandbox's container was killed for running out of memory (OOM; its limit is 2 GiB)")
        );
        let (state, reason) = settle(&started, &Observed::Missing).expect("a change");
        assert_eq!((state.as_str(), reason), ("error", Some(removed("pj-sandbox-s1"))));
        assert_eq!(settle(&started, &Observed::Busy("removing".to_owned())), None);
    }

    #[test]
    fn stopped_and_failed_sandboxes_change_only_when_the_engine_contradicts_them() {
        let stopped = record("stopped", "stopped");
        assert_eq!(
            settle(&stopped, &exited(137, false)),
            None,
            "a stopped container's exit code is no error"
        );
        assert_eq!(settle(&stopped, &Observed::Running), Some(("started".to_owned(), None)));
        assert_eq!(settle(&stopped, &Observed::Missing).map(|c| c.0), Some("error".to_owned()));
        let archived = record("archived", "archived");
        assert_eq!(settle(&archived, &exited(0, false)), None);
        let failed = record("error", "started");
        assert_eq!(settle(&failed, &Observed::Missing), None);
        assert_eq!(settle(&failed, &Observed::Running), Some(("started".to_owned(), None)));
        let deleting = record("error", "destroyed");
        assert_eq!(settle(&deleting, &Observed::Running), None);
        for busy in ["starting", "stopping", "creating", "destroying"] {
            assert_eq!(settle(&record(busy, "started"), &Observed::Missing), None, "{busy}");
        }
    }

    #[test]
    fn events_name_the_sandbox() {
        let die = r#"{"status":"die","Action":"die","Actor":{"Attributes":{"exitCode":"137","pithy.local.sandbox":"abc"}}}"#;
        assert_eq!(event_sandbox(die).as_deref(), Some("abc"));
        let create = r#"{"Action":"create","Actor":{"Attributes":{"pithy.local.sandbox":"abc"}}}"#;
        assert_eq!(event_sandbox(create), None);
        assert_eq!(event_sandbox("not json"), None);
    }
}
