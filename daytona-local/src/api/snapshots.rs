//! The snapshot routes: create (and start its build), get, list, delete, activate,
//! deactivate, and the build log (its URL and the log itself, followed).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::validate::{
    check_region, optional_gpu, optional_int, optional_string, parse_json, query_number, require_uuid,
    string_list, validate_image_name,
};
use super::{ApiError, ApiResult};
use crate::state::{BuildInfoRecord, SnapshotRecord, now_iso, uuid};
use crate::{Shared, build, quotas};
use pj_daytona::SnapshotState;

fn snapshot_json(record: &SnapshotRecord) -> axum::Json<Value> {
    axum::Json(serde_json::to_value(record).unwrap_or(Value::Null))
}

pub(super) fn find_snapshot(shared: &Shared, id_or_name: &str) -> ApiResult<SnapshotRecord> {
    shared
        .store
        .read(|d| d.snapshot(id_or_name).cloned())
        .ok_or_else(|| ApiError::not_found(format!("Snapshot {id_or_name} not found")))
}

pub(super) async fn create_snapshot(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> ApiResult<axum::Json<Value>> {
    let map = parse_json(&body)?;
    let mut errors = Vec::new();
    let name = match map.get("name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            errors.push("name must be a string".to_owned());
            String::new()
        }
    };
    let image_name = optional_string(&map, "imageName", &mut errors);
    let entrypoint = string_list(map.get("entrypoint"), "entrypoint", &mut errors);
    let cpu = optional_int(&map, "cpu", &mut errors);
    let gpu = optional_gpu(&map, &mut errors);
    let memory = optional_int(&map, "memory", &mut errors);
    let disk = optional_int(&map, "disk", &mut errors);
    let region = optional_string(&map, "regionId", &mut errors);
    let build_info = match map.get("buildInfo") {
        None | Some(Value::Null) => None,
        Some(Value::Object(info)) => {
            let dockerfile = match info.get("dockerfileContent") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                _ => {
                    errors.push("buildInfo.dockerfileContent should not be empty".to_owned());
                    String::new()
                }
            };
            let hashes = string_list(info.get("contextHashes"), "buildInfo.contextHashes", &mut errors)
                .unwrap_or_default();
            if hashes.iter().any(|h| h.is_empty() || !h.bytes().all(|b| b.is_ascii_alphanumeric())) {
                errors.push("buildInfo.contextHashes must be hex digests".to_owned());
            }
            Some((dockerfile, hashes))
        }
        Some(_) => {
            errors.push("buildInfo must be an object".to_owned());
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::bad_request(errors.join(", ")));
    }
    // §4.4: the region is validated.
    check_region(region.as_deref(), &shared.region)?;
    if !daytona_contract::valid_snapshot_name(&name) {
        return Err(ApiError::bad_request(
            "Invalid snapshot name format. May contain letters, digits, dots, colons, and dashes",
        ));
    }
    match (&image_name, &build_info) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request("Cannot specify an image name when using a build info entry"));
        }
        (None, Some(_)) if entrypoint.is_some() => {
            return Err(ApiError::bad_request("Cannot specify an entrypoint when using a build info entry"));
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "Must specify an image name when not using a build info entry",
            ));
        }
        (Some(image), None) => validate_image_name(image)?,
        _ => {}
    }
    // §4.4: Daytona checks only what the request asks for, not the defaults.
    let asked =
        quotas::Request { cpu: cpu.unwrap_or(0), memory: memory.unwrap_or(0), disk: disk.unwrap_or(0) };
    shared.quotas.per_sandbox(asked).map_err(ApiError::bad_request)?;
    let now = now_iso();
    let (image_name, build_info, entrypoint) = match build_info {
        Some((dockerfile, hashes)) => {
            let snapshot_ref = daytona_contract::build_key(&dockerfile, &hashes);
            let entrypoint = build::entrypoint(&dockerfile);
            let info = BuildInfoRecord {
                dockerfile_content: dockerfile,
                context_hashes: hashes,
                created_at: now.clone(),
                updated_at: now.clone(),
                snapshot_ref,
            };
            (String::new(), Some(info), entrypoint)
        }
        None => (image_name.unwrap_or_default(), None, entrypoint),
    };
    let image_ref =
        build_info.as_ref().map(|b| format!("local/{}", b.snapshot_ref)).or_else(|| Some(image_name.clone()));
    let record = SnapshotRecord {
        id: uuid(),
        organization_id: shared.organization_id.clone(),
        general: false,
        name: name.clone(),
        image_name,
        state: SnapshotState::Pending,
        size: None,
        entrypoint,
        cpu: cpu.unwrap_or(1),
        gpu: gpu.unwrap_or(0),
        mem: memory.unwrap_or(1),
        disk: disk.unwrap_or(3),
        error_reason: None,
        created_at: now.clone(),
        updated_at: now,
        last_used_at: None,
        build_info,
        region_ids: vec![region.unwrap_or_else(|| shared.region.clone())],
        initial_runner_id: Some("local-runner".to_owned()),
        image_ref,
        source_sandbox_id: None,
        sandbox_class: "container".to_owned(),
        checked_only: None,
    };
    // The count and the insertion under one lock: two creates cannot both take the last place.
    shared.store.write(|d| {
        shared
            .quotas
            .one_more_snapshot(d.snapshots.iter().map(|s| &s.state))
            .map_err(ApiError::bad_request)?;
        if d.snapshots.iter().any(|s| s.name == name) {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!("Snapshot with name \"{name}\" already exists for this organization"),
            ));
        }
        d.snapshots.push(record.clone());
        Ok(())
    })??;
    tokio::spawn(build::run(shared.clone(), record.id.clone()));
    Ok(snapshot_json(&record))
}

pub(super) async fn get_snapshot(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    Ok(snapshot_json(&find_snapshot(&shared, &id)?))
}

pub(super) async fn list_snapshots(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<axum::Json<Value>> {
    let page = query_number(&query, "page", 1, 1, u64::from(u32::MAX))?;
    let limit = query_number(&query, "limit", 100, 1, 200)?;
    let sort = query.get("sort").map_or("lastUsedAt", String::as_str);
    if !["name", "state", "lastUsedAt", "createdAt"].contains(&sort) {
        return Err(ApiError::bad_request(
            "sort must be one of the following values: name, state, lastUsedAt, createdAt",
        ));
    }
    let order = query.get("order").map_or("desc", String::as_str);
    if !["asc", "desc"].contains(&order) {
        return Err(ApiError::bad_request("order must be one of the following values: asc, desc"));
    }
    let needle = query.get("name").map(|n| n.to_lowercase());
    let mut items: Vec<SnapshotRecord> = shared.store.read(|d| {
        d.snapshots
            .iter()
            .filter(|s| needle.as_ref().is_none_or(|n| s.name.to_lowercase().contains(n)))
            .cloned()
            .collect()
    });
    let key = |s: &SnapshotRecord| -> String {
        match sort {
            "name" => s.name.clone(),
            "state" => s.state.as_str().to_owned(),
            "createdAt" => s.created_at.clone(),
            _ => s.last_used_at.clone().unwrap_or_else(|| s.created_at.clone()),
        }
    };
    items.sort_by(|a, b| {
        let ordering =
            key(a).cmp(&key(b)).then_with(|| a.created_at.cmp(&b.created_at)).then_with(|| a.id.cmp(&b.id));
        if order == "asc" { ordering } else { ordering.reverse() }
    });
    let total = items.len() as u64;
    let total_pages = total.div_ceil(limit);
    let start = usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
    let page_items: Vec<Value> = items
        .iter()
        .skip(start)
        .take(usize::try_from(limit).unwrap_or(200))
        .map(|s| serde_json::to_value(s).unwrap_or(Value::Null))
        .collect();
    Ok(axum::Json(json!({ "items": page_items, "total": total, "page": page, "totalPages": total_pages })))
}

pub(super) async fn delete_snapshot(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require_uuid(&id)?;
    // As Daytona: `removing` first (from any state), gone once the runners dropped it.
    let marked = shared.store.write(|d| match d.snapshot_mut_by_id(&id) {
        Some(s) => {
            s.state = SnapshotState::Removing;
            s.updated_at = now_iso();
            true
        }
        None => false,
    })?;
    if !marked {
        return Err(ApiError::not_found(format!("Snapshot {id} not found")));
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        tokio::time::sleep(shared.removal_time).await;
        // Nobody waits for this answer: a failure stays `removing` and is said on stderr.
        if let Err(e) = shared.store.write(|d| d.snapshots.retain(|s| s.id != id)) {
            eprintln!("daytona-local: snapshot {id} stays removing: {e}");
            return;
        }
        let _ = tokio::fs::remove_file(shared.store.log_path(&id)).await;
    });
    Ok(StatusCode::OK)
}

pub(super) async fn activate_snapshot(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    require_uuid(&id)?;
    let record = shared.store.write(|d| {
        let Some(s) = d.snapshot_mut_by_id(&id) else {
            return Err(ApiError::not_found(format!("Snapshot {id} not found")));
        };
        match s.state {
            SnapshotState::Active => {
                return Err(ApiError::bad_request(format!("Snapshot {id} is already active")));
            }
            SnapshotState::Inactive => {}
            state => {
                return Err(ApiError::bad_request(format!(
                    "Snapshot {id} cannot be activated - it is in {state} state"
                )));
            }
        }
        // Activating adds one snapshot in use, of the resources it asks for (§4.4).
        let asked = quotas::Request { cpu: s.cpu, memory: s.mem, disk: s.disk };
        shared.quotas.per_sandbox(asked).map_err(ApiError::bad_request)?;
        shared
            .quotas
            .one_more_snapshot(d.snapshots.iter().map(|s| &s.state))
            .map_err(ApiError::bad_request)?;
        let Some(s) = d.snapshot_mut_by_id(&id) else {
            return Err(ApiError::not_found(format!("Snapshot {id} not found")));
        };
        s.state = SnapshotState::Pending;
        s.updated_at = now_iso();
        Ok(s.clone())
    })??;
    tokio::spawn(build::activate(shared.clone(), id));
    Ok(snapshot_json(&record))
}

pub(super) async fn deactivate_snapshot(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require_uuid(&id)?;
    shared.store.write(|d| match d.snapshot_mut_by_id(&id) {
        Some(s) => {
            s.state = SnapshotState::Inactive;
            s.updated_at = now_iso();
            Ok(StatusCode::NO_CONTENT)
        }
        None => Err(ApiError::not_found(format!("Snapshot {id} not found"))),
    })?
}

pub(super) async fn build_logs_url(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let record = find_snapshot(&shared, &id)?;
    if record.build_info.is_none() {
        return Err(ApiError::not_found(format!("Snapshot {id} has no build info")));
    }
    Ok(axum::Json(json!({ "url": format!("{}/api/snapshots/{}/build-logs", shared.base_url, record.id) })))
}

/// How long a followed log stream stays open at most.
const MAX_FOLLOW: Duration = Duration::from_secs(2 * 3600);

pub(super) async fn build_logs(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let record = find_snapshot(&shared, &id)?;
    let follow = query.get("follow").is_some_and(|v| v == "true");
    let path = shared.store.log_path(&record.id);
    let snapshot_id = record.id.clone();
    struct Follow {
        shared: Arc<Shared>,
        path: std::path::PathBuf,
        id: String,
        offset: u64,
        last_pass: bool,
        started: Instant,
    }
    let state =
        Follow { shared, path, id: snapshot_id, offset: 0, last_pass: false, started: Instant::now() };
    let stream = futures_util::stream::unfold(state, move |mut st| async move {
        loop {
            let chunk = read_from(&st.path, st.offset).await;
            if !chunk.is_empty() {
                st.offset += chunk.len() as u64;
                return Some((Ok::<Bytes, std::io::Error>(Bytes::from(chunk)), st));
            }
            if st.last_pass || !follow {
                return None;
            }
            let building = st.shared.store.read(|d| {
                d.snapshots.iter().find(|s| s.id == st.id).is_some_and(|s| {
                    matches!(
                        s.state,
                        SnapshotState::Pending | SnapshotState::Building | SnapshotState::Pulling
                    )
                })
            });
            if !building || st.shared.is_shutting_down() || st.started.elapsed() > MAX_FOLLOW {
                st.last_pass = true;
                continue;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    Ok(response)
}

async fn read_from(path: &std::path::Path, offset: u64) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let Ok(mut file) = tokio::fs::File::open(path).await else { return Vec::new() };
    if file.seek(std::io::SeekFrom::Start(offset)).await.is_err() {
        return Vec::new();
    }
    let mut buf = vec![0; 64 * 1024];
    match file.read(&mut buf).await {
        Ok(n) => {
            buf.truncate(n);
            buf
        }
        Err(_) => Vec::new(),
    }
}
