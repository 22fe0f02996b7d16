//! The sandbox routes: create (from an active snapshot, its container given the sandbox's
//! resources, network and user), get, delete, the toolbox proxy URL. Start, stop and the
//! other changes are [`super::sandbox_lifecycle`], listing [`super::sandbox_list`], the
//! toolbox itself [`super::toolbox`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::snapshots::find_snapshot;
use super::validate::{
    check_region, optional_gpu, optional_int, optional_string, parse_json, string_list, string_map,
};
use super::{ApiError, ApiResult};
use crate::lifecycle::{self, reconcile, resources};
use crate::state::{SandboxRecord, now_iso, uuid};
use crate::{BuildMode, Shared, docker, quotas};
use pj_daytona::SnapshotState;

/// The longest auto-archive interval, in minutes (Daytona's `maxAutoArchiveInterval`, 30
/// days), which an interval of 0 stands for.
pub(super) const MAX_AUTO_ARCHIVE: i64 = 43_200;

/// An optional boolean field (class-validator's message).
fn optional_bool(
    map: &serde_json::Map<String, Value>,
    field: &str,
    errors: &mut Vec<String>,
) -> Option<bool> {
    match map.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            errors.push(format!("{field} must be a boolean value"));
            None
        }
    }
}

/// An optional integer field that may be negative (`autoDeleteInterval`).
fn optional_signed(
    map: &serde_json::Map<String, Value>,
    field: &str,
    errors: &mut Vec<String>,
) -> Option<i64> {
    match map.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
        Some(_) => {
            errors.push(format!("{field} must be an integer number"));
            None
        }
    }
}

/// A refusal of a create field the local server cannot honour: it is never stored and
/// ignored.
fn cannot(what: &str) -> ApiError {
    ApiError::bad_request(format!("The local server cannot {what}; leave the field out"))
}

/// Refuses every create field the local server cannot honour (`networkAllowList`,
/// volumes, ...), so none is stored and ignored.
fn refuse_unhonoured(map: &serde_json::Map<String, Value>) -> ApiResult<()> {
    let given = |field: &str| match map.get(field) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::Bool(true)) => true,
    };
    let refusals = [
        ("kvm", "expose KVM to a sandbox (kvm: true)"),
        (
            "networkAllowList",
            "limit a sandbox's network to an allow list (networkAllowList); it can block all of it \
             (networkBlockAll: true, a container without a network)",
        ),
        (
            "domainAllowList",
            "limit a sandbox's network to allowed domains (domainAllowList); it can block all of it \
             (networkBlockAll: true, a container without a network)",
        ),
        ("outboundProxyUrl", "route a sandbox's traffic through a proxy (outboundProxyUrl)"),
        ("otelEndpointOverride", "send a sandbox's telemetry anywhere (otelEndpointOverride)"),
        ("volumes", "mount volumes into a sandbox (volumes)"),
        ("secrets", "give a sandbox organization secrets (secrets)"),
        ("linkedSandbox", "link sandboxes (linkedSandbox)"),
        ("autoPauseInterval", "pause sandboxes (autoPauseInterval); use autoStopInterval"),
        ("ttlMinutes", "destroy a sandbox after a time to live (ttlMinutes)"),
        ("spot", "run spot sandboxes (spot: true)"),
    ];
    match refusals.iter().find(|(field, _)| given(field)) {
        Some((_, what)) => Err(cannot(what)),
        None => Ok(()),
    }
}

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
    let gpu_type = string_list(map.get("gpuType"), "gpuType", &mut errors).is_some_and(|t| !t.is_empty());
    let memory = optional_int(&map, "memory", &mut errors);
    let disk = optional_int(&map, "disk", &mut errors);
    let auto_stop = optional_int(&map, "autoStopInterval", &mut errors);
    let auto_archive = optional_int(&map, "autoArchiveInterval", &mut errors);
    let auto_delete = optional_signed(&map, "autoDeleteInterval", &mut errors);
    let network_block_all = optional_bool(&map, "networkBlockAll", &mut errors).unwrap_or(false);
    let public = optional_bool(&map, "public", &mut errors).unwrap_or(false);
    for field in ["kvm", "spot"] {
        optional_bool(&map, field, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::bad_request(errors.join(", ")));
    }
    refuse_unhonoured(&map)?;
    check_region(target.as_deref(), &shared.region)?;
    let env = string_map(map.get("env"), "env")?;
    for (key, value) in &env {
        docker::check_env(key, value).map_err(ApiError::bad_request)?;
    }
    let labels = string_map(map.get("labels"), "labels")?;
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
        network_block_all,
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
        auto_archive_interval: match auto_archive {
            None => 10_080,
            Some(0) => MAX_AUTO_ARCHIVE,
            Some(minutes) => i64::from(minutes).min(MAX_AUTO_ARCHIVE),
        },
        auto_delete_interval: auto_delete.unwrap_or(-1),
        volumes: Vec::new(),
        created_at: now.clone(),
        updated_at: now.clone(),
        last_activity_at: Some(now),
        runner_id: "local-runner".to_owned(),
        sandbox_class: "container".to_owned(),
        toolbox_proxy_url: format!("{}/toolbox", shared.base_url),
        container: None,
        disk_not_enforced: None,
    };
    let engine = match shared.docker_status().await.available {
        true => shared.lifecycle.resources.engine().await.ok(),
        false => None,
    };
    // Daytona's order: the organization's limits, then a runner that can take it.
    shared.quotas.per_sandbox(lifecycle::asked(&record)).map_err(ApiError::bad_request)?;
    if let Some(engine) = &engine {
        resources::check(engine, record.cpu, record.gpu, gpu_type).map_err(ApiError::bad_request)?;
    }
    // The totals and the new record under one lock, so two creates cannot both fit in
    // the last room; the record holds its place while its container starts.
    shared.store.write(|d| {
        let used =
            d.sandboxes.iter().map(lifecycle::usage).fold(quotas::Request::default(), quotas::Request::plus);
        shared.quotas.one_more_sandbox(used, lifecycle::asked(&record)).map_err(ApiError::bad_request)?;
        if d.sandboxes.iter().any(|s| s.name == record.name) {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!("Sandbox with name {} already exists", record.name),
            ));
        }
        d.sandboxes.push(record.clone());
        Ok(())
    })??;
    let failure = match &engine {
        None => Some(
            "No Docker engine is reachable from the local Daytona server, so the sandbox cannot run"
                .to_owned(),
        ),
        Some(engine) => {
            let container = format!("pj-sandbox-{id}");
            let env: Vec<(String, String)> = env.into_iter().collect();
            let labels = vec![(lifecycle::LABEL.to_owned(), id.clone())];
            let entrypoint = snapshot.entrypoint.clone().unwrap_or_default();
            let spec = docker::SandboxContainer {
                name: &container,
                image: &image,
                entrypoint: &entrypoint,
                env: &env,
                labels: &labels,
                cpus: record.cpu,
                memory_gib: record.memory,
                disk_gib: Some(record.disk),
                gpus: record.gpu,
                network_none: record.network_block_all,
            };
            match shared.lifecycle.resources.run(engine, spec).await {
                Ok((_, disk_note)) => {
                    record.container = Some(container);
                    record.disk_not_enforced = disk_note;
                    None
                }
                Err(e) => Some(format!("Could not start the sandbox container: {e}")),
            }
        }
    };
    if let Some(container) = record.container.clone() {
        // The toolbox runs every call as the sandbox's user: one the image lacks is refused.
        if let Err(e) = check_user(&container, &record.user).await {
            let _ = docker::remove(&container).await;
            shared.store.write(|d| d.sandboxes.retain(|s| s.id != record.id))?;
            return Err(ApiError::bad_request(format!(
                "User {} does not exist in the image of snapshot {} ({e}); the toolbox runs every call as \
                 the sandbox's user",
                record.user, snapshot.name
            )));
        }
    }
    match (failure, &record.container) {
        (Some(reason), _) => {
            record.state = "error".to_owned();
            record.error_reason = Some(reason);
        }
        (None, Some(container)) => {
            // An entrypoint that ends at once leaves no started sandbox.
            let landed = match docker::observe(container).await {
                Ok(observed) => reconcile::landed("started", &record, &observed),
                Err(_) => None,
            };
            let (state, reason) = landed.unwrap_or_else(|| ("started".to_owned(), None));
            record.state = state;
            record.error_reason = reason;
        }
        (None, None) => record.state = "started".to_owned(),
    }
    record.updated_at = now_iso();
    let saved = shared.store.write(|d| match d.sandbox_mut_by_id(&record.id) {
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
                // The state's error is the answer; a container left behind would be the engine's.
                if let Err(removal) = docker::remove(container).await {
                    eprintln!(
                        "daytona-local: the container {container} of an unsaved sandbox was not removed: {removal}"
                    );
                }
            }
            return Err(e.into());
        }
    };
    // Deleted while its container started: the container goes too.
    if let (false, Some(container)) = (still_wanted, &record.container) {
        docker::remove(container).await.map_err(|e| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "Sandbox {} was deleted while it started, and removing its container failed: {e}",
                    record.id
                ),
            )
        })?;
        return Err(ApiError::not_found(format!("Sandbox {} was deleted while it started", record.id)));
    }
    Ok(axum::Json(serde_json::to_value(&record).unwrap_or(Value::Null)))
}

/// Whether `user` can run the toolbox's calls in `container`: root and numeric ids always
/// can; a name must be in the image's `/etc/passwd`.
async fn check_user(container: &str, user: &str) -> Result<(), String> {
    let numeric =
        user.split(':').next().is_some_and(|u| !u.is_empty() && u.bytes().all(|b| b.is_ascii_digit()));
    if user == "root" || numeric {
        return Ok(());
    }
    docker::check_user(container, user).await
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
    let record = lifecycle::destroy(&shared, &id).await?;
    Ok(axum::Json(serde_json::to_value(&record).unwrap_or(Value::Null)))
}

pub(super) async fn toolbox_proxy_url(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let record = find_sandbox(&shared, &id)?;
    Ok(axum::Json(json!({ "url": record.toolbox_proxy_url })))
}
