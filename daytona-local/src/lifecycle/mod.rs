//! A sandbox's life after its creation: its container started, stopped, archived and
//! removed, by the API and by the idle timers, and its record kept to what the engine says.
//!
//! Every change goes the same way. Under the store's lock the record is checked and put in a
//! transitional state (`starting`, `stopping`, `destroying`) that nothing else touches: a
//! second request is refused with Daytona's "State change in progress", and [`reconcile`]
//! leaves it alone. Then the engine is asked. Then the record takes the state the engine
//! reached, or, when the engine failed, goes back to where it was and the caller gets the
//! engine's words. [`reconcile`] keeps the other records to their containers (one that
//! exits, is killed or is removed outside the server), at start and while the server runs;
//! [`autostop`] stops, archives and deletes idle sandboxes on their intervals
//! ([`ServerConfig::lifecycle_minute`](crate::ServerConfig::lifecycle_minute)).

use std::time::Duration;

use crate::state::{Data, SandboxRecord, StoreError, now_iso};
use crate::{Shared, docker, quotas};

pub(crate) mod autostop;
pub(crate) mod reconcile;
pub(crate) mod resources;

/// The Docker label on a sandbox's container; its value is the sandbox id.
pub(crate) const LABEL: &str = "pithy.local.sandbox";

/// How long `docker stop` waits after SIGTERM before it kills (the container runs under
/// `docker-init`, which passes SIGTERM on, so most stop at once).
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Why an operation on a sandbox did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Not in the sandbox's state, or not possible here (a 400, Daytona's `SandboxError`).
    Refused(String),
    /// No such sandbox (404).
    NotFound(String),
    /// The engine failed; its words (500).
    Engine(String),
    /// The state could not be saved (500); nothing of the change was kept.
    Store(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e.to_string())
    }
}

/// What the server has learnt of the engine for its sandboxes.
#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    /// The engine's CPUs, GPUs and disk limits.
    pub(crate) resources: resources::Facts,
}

fn not_found(id: &str) -> Failure {
    Failure::NotFound(format!("Sandbox with ID or name {id} not found"))
}

/// Whether a request (or the server's start) is moving the sandbox out of `state`.
pub(crate) fn in_transition(state: &str) -> bool {
    matches!(state, "creating" | "starting" | "stopping" | "archiving" | "destroying" | "restoring")
}

/// What a sandbox in its state holds of the organization's totals, as Daytona counts:
/// a stopped one keeps its disk, an archived or failed one holds nothing.
pub(crate) fn usage(record: &SandboxRecord) -> quotas::Request {
    match record.state.as_str() {
        "stopped" | "archiving" => quotas::Request { disk: record.disk, ..quotas::Request::default() },
        "archived" | "error" | "build_failed" | "destroyed" | "destroying" => quotas::Request::default(),
        _ => asked(record),
    }
}

/// Everything the sandbox asks for.
pub(crate) fn asked(record: &SandboxRecord) -> quotas::Request {
    quotas::Request { cpu: record.cpu, memory: record.memory, disk: record.disk }
}

/// Changes the record of `id` (when it is still there), marking the change.
fn update(d: &mut Data, id: &str, change: impl FnOnce(&mut SandboxRecord)) -> Option<SandboxRecord> {
    let record = d.sandbox_mut_by_id(id)?;
    change(record);
    record.updated_at = now_iso();
    Some(record.clone())
}

/// Moves a record to `state` (desired `desired`); a state change counts as activity, as in
/// Daytona.
fn set_state(record: &mut SandboxRecord, state: &str, desired: &str) {
    record.state = state.to_owned();
    record.desired_state = desired.to_owned();
    if state != "error" {
        record.error_reason = None;
    }
    record.last_activity_at = Some(now_iso());
}

/// The record of `id` as it is now.
fn current(shared: &Shared, id: &str) -> Result<SandboxRecord, Failure> {
    shared.store.read(|d| d.sandbox(id).cloned()).ok_or_else(|| not_found(id))
}

/// The engine failed to `what` the sandbox: a container that is gone puts it in `error`;
/// otherwise it goes back to where it was, and the caller gets the engine's words.
fn engine_failed(shared: &Shared, before: &SandboxRecord, what: &str, error: String) -> Failure {
    if docker::is_missing(&error) {
        let reason = reconcile::removed(before.container.as_deref().unwrap_or_default());
        if let Err(e) = shared.store.write(|d| {
            update(d, &before.id, |r| {
                r.state = "error".to_owned();
                r.error_reason = Some(reason.clone());
            })
        }) {
            return e.into();
        }
        return Failure::Refused(reason);
    }
    if let Err(e) = shared.store.write(|d| {
        update(d, &before.id, |r| {
            r.state.clone_from(&before.state);
            r.desired_state.clone_from(&before.desired_state);
        })
    }) {
        return e.into();
    }
    Failure::Engine(format!("Could not {what} sandbox {}: {error}", before.id))
}

/// After the engine carried out a change: the state its container is in (`expected`
/// unless the engine says otherwise).
async fn land(shared: &Shared, before: &SandboxRecord, expected: &str) -> Result<SandboxRecord, Failure> {
    let container = before.container.clone().unwrap_or_default();
    // When the engine cannot be asked, it has just done what was asked of it.
    let landed = match docker::observe(&container).await {
        Ok(observed) => reconcile::landed(expected, before, &observed),
        Err(_) => None,
    };
    let (state, reason) = landed.unwrap_or_else(|| (expected.to_owned(), None));
    shared
        .store
        .write(|d| {
            update(d, &before.id, |r| {
                let desired = reconcile::desired_for(&state).unwrap_or(expected);
                set_state(r, &state, desired);
                r.error_reason = reason;
            })
        })?
        .ok_or_else(|| not_found(&before.id))
}

/// `startSandbox`: a stopped or archived sandbox's container started again (a started one
/// is left as it is, as Daytona does).
pub(crate) async fn start(shared: &Shared, id: &str) -> Result<SandboxRecord, Failure> {
    let begun = shared.store.write(|d| {
        let record = d.sandbox(id).cloned().ok_or_else(|| not_found(id))?;
        if record.state == "started" {
            return Ok(None);
        }
        if in_transition(&record.state) {
            return Err(Failure::Refused("State change in progress".to_owned()));
        }
        if !matches!(record.state.as_str(), "stopped" | "archived") || record.container.is_none() {
            return Err(Failure::Refused(not_valid(&record)));
        }
        let used = d
            .sandboxes
            .iter()
            .filter(|s| s.id != record.id)
            .map(usage)
            .fold(quotas::Request::default(), quotas::Request::plus);
        shared.quotas.one_more_sandbox(used, asked(&record)).map_err(Failure::Refused)?;
        update(d, &record.id, |r| {
            r.state = "starting".to_owned();
            r.desired_state = "started".to_owned();
        });
        Ok(Some(record))
    })??;
    let Some(before) = begun else { return current(shared, id) };
    let container = before.container.clone().unwrap_or_default();
    if let Err(e) = docker::start(&container).await {
        return Err(engine_failed(shared, &before, "start", e));
    }
    land(shared, &before, "started").await
}

/// Daytona's refusal of a start from a state other than stopped or archived.
fn not_valid(record: &SandboxRecord) -> String {
    match &record.error_reason {
        Some(reason) => format!("Sandbox is not in valid state ({}: {reason})", record.state),
        None => format!("Sandbox is not in valid state ({})", record.state),
    }
}

/// `stopSandbox`: the container stopped (SIGTERM, or SIGKILL when `force`); an ephemeral
/// sandbox (`autoDeleteInterval` 0) is deleted instead, as Daytona does.
pub(crate) async fn stop(shared: &Shared, id: &str, force: bool) -> Result<SandboxRecord, Failure> {
    let before = shared.store.write(|d| {
        let record = d.sandbox(id).cloned().ok_or_else(|| not_found(id))?;
        // Daytona's checks, the state first: its "State change in progress" for a failed
        // sandbox (whose desired state is still `started`) would mislead.
        if in_transition(&record.state) {
            return Err(Failure::Refused("State change in progress".to_owned()));
        }
        if record.state != "started" {
            return Err(Failure::Refused("Sandbox is not started".to_owned()));
        }
        let desired = if record.auto_delete_interval == 0 { "destroyed" } else { "stopped" };
        update(d, &record.id, |r| {
            r.state = "stopping".to_owned();
            r.desired_state = desired.to_owned();
        });
        Ok(record)
    })??;
    let container = before.container.clone().unwrap_or_default();
    if let Err(e) = docker::stop(&container, force, STOP_GRACE).await {
        return Err(engine_failed(shared, &before, "stop", e));
    }
    // The sessions' shells died with the container's processes.
    shared.sessions.end_container(&container);
    if before.auto_delete_interval == 0 {
        return remove(shared, before).await;
    }
    land(shared, &before, "stopped").await
}

/// `archiveSandbox`: a stopped sandbox becomes `archived`. Its container stays on the
/// engine, stopped, with its files (the local server has no object storage to move them
/// to); `startSandbox` starts it again.
pub(crate) fn archive(shared: &Shared, id: &str) -> Result<SandboxRecord, Failure> {
    shared.store.write(|d| {
        let record = d.sandbox(id).cloned().ok_or_else(|| not_found(id))?;
        if in_transition(&record.state) {
            return Err(Failure::Refused("State change in progress".to_owned()));
        }
        if record.state != "stopped" {
            return Err(Failure::Refused("Sandbox is not stopped".to_owned()));
        }
        if record.auto_delete_interval == 0 {
            return Err(Failure::Refused("Ephemeral sandboxes cannot be archived".to_owned()));
        }
        update(d, &record.id, |r| set_state(r, "archived", "archived")).ok_or_else(|| not_found(id))
    })?
}

/// `deleteSandbox`: the container removed, then the record. When `docker rm` fails the
/// sandbox stays, in `error` with the engine's words, and the caller gets them too.
pub(crate) async fn destroy(shared: &Shared, id: &str) -> Result<SandboxRecord, Failure> {
    let before = shared.store.write(|d| {
        let record = d.sandbox(id).cloned().ok_or_else(|| not_found(id))?;
        // A sandbox still being created is let go: its create removes the container.
        if in_transition(&record.state) && record.state != "creating" {
            return Err(Failure::Refused("Sandbox state change in progress".to_owned()));
        }
        update(d, &record.id, |r| {
            r.state = "destroying".to_owned();
            r.desired_state = "destroyed".to_owned();
        });
        Ok(record)
    })??;
    remove(shared, before).await
}

/// Removes the container of a sandbox being deleted, then its record.
async fn remove(shared: &Shared, before: SandboxRecord) -> Result<SandboxRecord, Failure> {
    if let Some(container) = &before.container
        && let Err(e) = docker::remove(container).await
    {
        let kept = shared.store.write(|d| {
            update(d, &before.id, |r| {
                r.state = "error".to_owned();
                r.desired_state = "destroyed".to_owned();
                r.error_reason =
                    Some(format!("Deleting the sandbox failed (docker rm: {e}); delete it again"));
            })
        });
        // The engine's failure is the answer; the record stays `destroying` if this failed too.
        if let Err(saved) = kept {
            eprintln!("daytona-local: sandbox {}'s failed deletion was not recorded: {saved}", before.id);
        }
        return Err(Failure::Engine(format!(
            "Could not delete sandbox {}: docker rm of its container failed: {e}",
            before.id
        )));
    }
    if let Some(container) = &before.container {
        // Its sessions' shells went with the container.
        shared.sessions.end_container(container);
    }
    shared.store.write(|d| d.sandboxes.retain(|s| s.id != before.id))?;
    let mut gone = before;
    gone.state = "destroyed".to_owned();
    gone.desired_state = "destroyed".to_owned();
    gone.updated_at = now_iso();
    Ok(gone)
}

/// Records activity on a started sandbox (a toolbox call, `updateLastActivity`): its
/// idle timers start again.
pub(crate) fn touch(shared: &Shared, id: &str) {
    let touched = shared.store.write(|d| {
        let Some(id) = d.sandbox(id).filter(|r| r.state == "started").map(|r| r.id.clone()) else { return };
        if let Some(record) = d.sandbox_mut_by_id(&id) {
            record.last_activity_at = Some(now_iso());
        }
    });
    // Activity not saved only makes an idle timer start earlier; the call itself goes on.
    if let Err(e) = touched {
        eprintln!("daytona-local: the activity of sandbox {id} was not saved: {e}");
    }
}

/// The router's layer that counts every toolbox request (`/toolbox/{sandboxId}/...`) as
/// the sandbox's activity, as Daytona's toolbox proxy does; a preview is not (Daytona's
/// previews do not count either).
pub(crate) async fn activity(
    axum::extract::State(shared): axum::extract::State<std::sync::Arc<Shared>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    if let Some(id) = path.strip_prefix("/toolbox/").and_then(|rest| rest.split('/').next()) {
        let id = id.to_owned();
        touch(&shared, &id);
    }
    next.run(request).await
}
