//! Idle sandboxes stopped, archived and deleted on their intervals, as Daytona's sandbox
//! manager does: a started sandbox idle (no toolbox call, no state change, no
//! `updateLastActivity`) for longer than its `autoStopInterval` minutes is stopped (deleted
//! when `autoDeleteInterval` is 0); a stopped one idle for longer than its
//! `autoDeleteInterval` (when not negative) is deleted, else past its `autoArchiveInterval`
//! archived. How long a minute lasts is the server's
//! [`ServerConfig::lifecycle_minute`](crate::ServerConfig::lifecycle_minute), so tests can make
//! one short.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::Shared;
use crate::state::SandboxRecord;

/// What an idle sandbox is due for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    Stop,
    Archive,
    Delete,
}

/// How long `record` has been idle at `now`; `None` when its activity time does not read.
fn idle(record: &SandboxRecord, now: OffsetDateTime) -> Option<Duration> {
    let last = record.last_activity_at.as_deref().unwrap_or(&record.updated_at);
    let last = OffsetDateTime::parse(last, &Rfc3339).ok()?;
    Some(Duration::try_from(now - last).unwrap_or_default())
}

/// Whether `minutes` (of `minute` each) have gone by in `idle`.
fn past(idle: Duration, minutes: i64, minute: Duration) -> bool {
    let minutes = u32::try_from(minutes).unwrap_or(u32::MAX);
    idle > minute.saturating_mul(minutes)
}

/// What `record` is due for at `now`, if anything.
pub(crate) fn due(record: &SandboxRecord, now: OffsetDateTime, minute: Duration) -> Option<Due> {
    if record.state != record.desired_state {
        return None;
    }
    let idle = idle(record, now)?;
    match record.state.as_str() {
        "started" if record.auto_stop_interval > 0 && past(idle, record.auto_stop_interval, minute) => {
            Some(Due::Stop)
        }
        "stopped" if record.auto_delete_interval >= 0 && past(idle, record.auto_delete_interval, minute) => {
            Some(Due::Delete)
        }
        "stopped" if record.auto_delete_interval != 0 && past(idle, record.auto_archive_interval, minute) => {
            Some(Due::Archive)
        }
        _ => None,
    }
}

/// Checks every sandbox a few times a `minute`, until the server shuts down.
pub(crate) async fn run(shared: Arc<Shared>, minute: Duration) {
    let tick = (minute / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(tick) => {}
        }
        let now = OffsetDateTime::now_utc();
        let due: Vec<(String, Due)> = shared.store.read(|d| {
            d.sandboxes.iter().filter_map(|s| Some((s.id.clone(), due(s, now, minute)?))).collect()
        });
        for (id, what) in due {
            let done = match what {
                Due::Stop => super::stop(&shared, &id, false).await.map(drop),
                Due::Archive => super::archive(&shared, &id).map(drop),
                Due::Delete => super::destroy(&shared, &id).await.map(drop),
            };
            if let Err(e) = done {
                eprintln!("daytona-local: the idle sandbox {id} was due for {what:?}, which failed: {e:?}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(state: &str, idle_minutes: i64, stop: i64, archive: i64, delete: i64) -> SandboxRecord {
        let last = OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(1000 - idle_minutes);
        let last = last.format(&Rfc3339).expect("a date");
        let json = serde_json::json!({
            "id": "s1", "organizationId": "o", "name": "s1", "snapshot": "snap", "user": "root",
            "env": {}, "labels": {}, "public": false, "networkBlockAll": false, "target": "us",
            "cpu": 1, "gpu": 0, "memory": 1, "disk": 3, "state": state, "desiredState": state,
            "autoStopInterval": stop, "autoArchiveInterval": archive, "autoDeleteInterval": delete,
            "volumes": [], "createdAt": last, "updatedAt": last, "lastActivityAt": last,
            "runnerId": "local-runner", "sandboxClass": "container", "toolboxProxyUrl": "http://x/toolbox",
        });
        serde_json::from_value(json).expect("a record")
    }

    fn at(record: &SandboxRecord) -> Option<Due> {
        due(record, OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(1000), Duration::from_secs(60))
    }

    #[test]
    fn a_started_sandbox_stops_once_idle_past_its_interval() {
        assert_eq!(at(&record("started", 16, 15, 10080, -1)), Some(Due::Stop));
        assert_eq!(at(&record("started", 14, 15, 10080, -1)), None);
        assert_eq!(at(&record("started", 600, 0, 10080, -1)), None, "0 turns auto-stop off");
        let mut stopping = record("started", 16, 15, 10080, -1);
        stopping.desired_state = "stopped".to_owned();
        assert_eq!(at(&stopping), None, "a change under way is left alone");
    }

    #[test]
    fn a_stopped_sandbox_is_deleted_or_archived_on_its_intervals() {
        assert_eq!(at(&record("stopped", 61, 15, 60, -1)), Some(Due::Archive));
        assert_eq!(at(&record("stopped", 59, 15, 60, -1)), None);
        assert_eq!(at(&record("stopped", 31, 15, 60, 30)), Some(Due::Delete));
        assert_eq!(at(&record("stopped", 1, 15, 60, 0)), Some(Due::Delete), "ephemeral");
        assert_eq!(at(&record("stopped", 600, 15, 10080, -1)), None);
        assert_eq!(at(&record("archived", 600_000, 15, 60, 30)), None, "archived sandboxes stay");
        assert_eq!(at(&record("error", 600_000, 15, 60, 30)), None);
    }

    #[test]
    fn a_scaled_minute_scales_every_interval() {
        let started = record("started", 0, 15, 10080, -1);
        let now = OffsetDateTime::parse(started.last_activity_at.as_deref().unwrap_or_default(), &Rfc3339)
            .expect("a date")
            + time::Duration::milliseconds(200);
        assert_eq!(due(&started, now, Duration::from_millis(10)), Some(Due::Stop), "15 x 10 ms < 200 ms");
        assert_eq!(due(&started, now, Duration::from_millis(20)), None, "15 x 20 ms > 200 ms");
    }
}
