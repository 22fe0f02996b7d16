//! The sandbox routes: create (from an active snapshot), get, delete, the toolbox proxy
//! URL. The toolbox itself is [`super::toolbox`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::snapshots::find_snapshot;
use super::validate::{check_region, optional_gpu, optional_int, optional_string, parse_json, string_map};
use super::{ApiError, ApiResult};
use crate::state::{SandboxRecord, now_iso, uuid};
use crate::{BuildMode, Shared, docker, quotas};
use pj_daytona::SnapshotState;

pub(super) async fn create_sandbox(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> ApiResult<axum::Json<Value>> {
    let map = parse_json(&body)?;
    let mut errors = Vec::new();
    let name = optional_string(&map, "name", &mut errors);
    let snapshot_name = optional_string(&map, "snapshot", &mut errors);
    let target = optional_string(&map, "target", &mut errors);
    let user = optional_string(&map, "user", &mut errors);
    let cpu = optional_int(&map, "cpu", &mut errors);
    let gpu = optional_gpu(&map, &mut errors);
    let memory = optional_int(&map, "memory", &mut errors);
    let disk = optional_int(&map, "disk", &mut errors);
    let auto_stop = optional_int(&map, "autoStopInterval", &mut errors);
    let auto_archive = optional_int(&map, "autoArchiveInterval", &mut errors);
    let auto_delete = match map.get("autoDeleteInterval") {
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::bad_request(errors.join(", ")));
    }
    check_region(target.as_deref(), &shared.region)?;
    let env = string_map(map.get("env"), "env")?;
    let labels = string_map(map.get("labels"), "labels")?;
    let public = map.get("public").and_then(Value::as_bool).unwrap_or(false);
    if map.get("kvm").and_then(Value::as_bool) == Some(true) {
        return Err(ApiError::bad_request("The local server cannot expose KVM to a sandbox (kvm: true)"));
    }
    let Some(snapshot_name) = snapshot_name else {
        return Err(ApiError::bad_request("The local server needs a snapshot to create a sandbox from"));
    };
    let snapshot = find_snapshot(&shared, &snapshot_name)?;
    if snapshot.state != SnapshotState::Active {
        return Err(ApiError::bad_request(format!("Snapshot {snapshot_name} is {}", snapshot.state)));
    }
    // Refused at once: a sandbox needs an image, and this snapshot never got one.
    if let Some(reason) = &snapshot.checked_only {
        return Err(ApiError::bad_request(checked_only_refusal(&snapshot.name, reason)));
    }
    if shared.mode == BuildMode::CheckOnly {
        return Err(ApiError::bad_request(
            "The local server runs with --local-build check, so no sandbox can run; restart it with \
             --local-build auto (the default) or docker",
        ));
    }
    let id = uuid();
    let name = name.unwrap_or_else(|| id.clone());
    let image = match &snapshot.build_info {
        Some(info) => info.snapshot_ref.clone(),
        None => snapshot.image_name.clone(),
    };
    let now = now_iso();
    let mut record = SandboxRecord {
        id: id.clone(),
        organization_id: shared.organization_id.clone(),
        name,
        snapshot: snapshot.name.clone(),
        user: user.unwrap_or_else(|| "root".to_owned()),
        env: env.clone(),
        labels: labels.clone(),
        public,
        network_block_all: false,
        kvm: false,
        spot: false,
        target: target.unwrap_or_else(|| shared.region.clone()),
        cpu: cpu.unwrap_or(snapshot.cpu),
        gpu: gpu.unwrap_or(snapshot.gpu),
        memory: memory.unwrap_or(snapshot.mem),
        disk: disk.unwrap_or(snapshot.disk),
        state: "creating".to_owned(),
        desired_state: "started".to_owned(),
        error_reason: None,
        auto_stop_interval: i64::from(auto_stop.unwrap_or(15)),
        auto_pause_interval: 0,
        auto_archive_interval: i64::from(auto_archive.unwrap_or(10080)),
        auto_delete_interval: auto_delete.unwrap_or(-1),
        volumes: Vec::new(),
        created_at: now.clone(),
        updated_at: now.clone(),
        last_activity_at: Some(now),
        runner_id: "local-runner".to_owned(),
        sandbox_class: "container".to_owned(),
        toolbox_proxy_url: format!("{}/toolbox", shared.base_url),
        container: None,
    };
    // The totals and the new record under one lock, so two creates cannot both fit in
    // the last room; the record holds its place while its container starts.
    let asked = quotas::Request { cpu: record.cpu, memory: record.memory, disk: record.disk };
    shared.store.write(|d| {
        let used = d
            .sandboxes
            .iter()
            .filter(|s| holds_resources(&s.state))
            .map(|s| quotas::Request { cpu: s.cpu, memory: s.memory, disk: s.disk })
            .fold(quotas::Request::default(), quotas::Request::plus);
        shared.quotas.one_more_sandbox(used, asked).map_err(ApiError::bad_request)?;
        if d.sandboxes.iter().any(|s| s.name == record.name) {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!("Sandbox with name {} already exists", record.name),
            ));
        }
        d.sandboxes.push(record.clone());
        Ok(())
    })??;
    let failure = if !shared.docker_status().await.available {
        Some(
            "No Docker engine is reachable from the local Daytona server, so the sandbox cannot run"
                .to_owned(),
        )
    } else {
        let container = format!("pj-sandbox-{id}");
        let env: Vec<(String, String)> = env.into_iter().collect();
        let labels = vec![("pithy.local.sandbox".to_owned(), id.clone())];
        let entrypoint = snapshot.entrypoint.clone().unwrap_or_default();
        match docker::run_sandbox(&container, &image, &entrypoint, &env, &labels).await {
            Ok(_) => {
                record.container = Some(container);
                None
            }
            Err(e) => Some(format!("Could not start the sandbox container: {e}")),
        }
    };
    match failure {
        Some(reason) => {
            record.state = "error".to_owned();
            record.error_reason = Some(reason);
        }
        None => record.state = "started".to_owned(),
    }
    let saved = shared.store.write(|d| match d.sandboxes.iter_mut().find(|s| s.id == record.id) {
        Some(held) => {
            *held = record.clone();
            true
        }
        None => false,
    });
    // Not saved: no container runs that the state does not know of.
    let still_wanted = match saved {
        Ok(still_wanted) => still_wanted,
        Err(e) => {
            if let Some(container) = &record.container {
                docker::remove(container).await;
            }
            return Err(e.into());
        }
    };
    // Deleted while its container started: the container goes too.
    if let (false, Some(container)) = (still_wanted, &record.container) {
        docker::remove(container).await;
        return Err(ApiError::not_found(format!("Sandbox {} was deleted while it started", record.id)));
    }
    Ok(axum::Json(serde_json::to_value(&record).unwrap_or(Value::Null)))
}

/// Whether a sandbox in `state` counts towards the organization's totals: one that
/// failed to start holds no container.
fn holds_resources(state: &str) -> bool {
    !matches!(state, "error" | "destroyed")
}

/// Why no sandbox runs from a snapshot that was checked, not built, and how to get a
/// real build.
pub(crate) fn checked_only_refusal(name: &str, reason: &str) -> String {
    format!(
        "Snapshot {name} was only checked, not built ({reason}), so no sandbox can run from it. \
         For a real build, the local server needs a Docker engine with the base image on this machine \
         (no registry is used: make it locally, e.g. `bash scripts/debian-base-image.sh` for \
         debian:bookworm-slim) and the build mode auto or docker; then run `cargo xtask snapshot --local` \
         again, which builds it"
    )
}

pub(super) fn find_sandbox(shared: &Shared, id: &str) -> ApiResult<SandboxRecord> {
    shared
        .store
        .read(|d| d.sandbox(id).cloned())
        .ok_or_else(|| ApiError::not_found(format!("Sandbox with ID or name {id} not found")))
}

pub(super) async fn get_sandbox(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    Ok(axum::Json(serde_json::to_value(find_sandbox(&shared, &id)?).unwrap_or(Value::Null)))
}

pub(super) async fn delete_sandbox(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let mut record = find_sandbox(&shared, &id)?;
    if let Some(container) = &record.container {
        docker::remove(container).await;
        // Its sessions' shells went with the container.
        shared.sessions.end_container(container);
    }
    shared.store.write(|d| d.sandboxes.retain(|s| s.id != record.id))?;
    record.state = "destroyed".to_owned();
    record.desired_state = "destroyed".to_owned();
    Ok(axum::Json(serde_json::to_value(&record).unwrap_or(Value::Null)))
}

pub(super) async fn toolbox_proxy_url(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let record = find_sandbox(&shared, &id)?;
    Ok(axum::Json(json!({ "url": record.toolbox_proxy_url })))
}
