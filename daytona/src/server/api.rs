//! The Daytona API routes: Daytona's JSON shapes, statuses and error bodies.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::state::{BuildInfoRecord, SandboxRecord, SnapshotRecord, is_uuid, now_iso, uuid};
use super::{BuildMode, Shared, build, docker};
use crate::types::SnapshotState;

/// An error a handler returns; [`finish_error`] gives it Daytona's body.
#[derive(Debug)]
pub(crate) struct ApiError(StatusCode, String);

#[derive(Debug, Clone)]
struct ErrorMessage(String);

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        ApiError(StatusCode::BAD_REQUEST, message.into())
    }
    fn not_found(message: impl Into<String>) -> Self {
        ApiError(StatusCode::NOT_FOUND, message.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self.0;
        response.extensions_mut().insert(ErrorMessage(self.1));
        response
    }
}

/// Daytona's error body: `{"path", "timestamp", "statusCode", "error", "message"}`.
pub(crate) fn error_json(status: StatusCode, path: &str, message: &str) -> Response {
    let body = json!({
        "path": path,
        "timestamp": now_iso(),
        "statusCode": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message,
    });
    (status, axum::Json(body)).into_response()
}

/// Turns an [`ApiError`] response into Daytona's JSON error, keeping its headers.
pub(crate) fn finish_error(response: Response, path: &str) -> Response {
    let Some(ErrorMessage(message)) = response.extensions().get::<ErrorMessage>().cloned() else {
        return response;
    };
    let (parts, _) = response.into_parts();
    let mut finished = error_json(parts.status, path, &message);
    for (name, value) in &parts.headers {
        finished.headers_mut().insert(name, value.clone());
    }
    finished
}

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/api/object-storage/push-access", get(push_access))
        .route("/api/snapshots", post(create_snapshot).get(list_snapshots))
        .route("/api/snapshots/{id}", get(get_snapshot).delete(delete_snapshot))
        .route("/api/snapshots/{id}/activate", post(activate_snapshot))
        .route("/api/snapshots/{id}/deactivate", post(deactivate_snapshot))
        .route("/api/snapshots/{id}/build-logs-url", get(build_logs_url))
        .route("/api/snapshots/{id}/build-logs", get(build_logs))
        .route("/api/sandbox", post(create_sandbox))
        .route("/api/sandbox/{id}", get(get_sandbox).delete(delete_sandbox))
        .route("/api/sandbox/{id}/toolbox-proxy-url", get(toolbox_proxy_url))
        .route("/toolbox/{id}/process/execute", post(execute))
        .route_layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .fallback(not_found);
    api.with_state(shared)
}

async fn not_found(request: Request) -> ApiError {
    ApiError::not_found(format!("Cannot {} {}", request.method(), request.uri().path()))
}

async fn authenticate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let org_header =
        request.headers().get("X-Daytona-Organization-ID").and_then(|v| v.to_str().ok()).map(str::to_owned);
    match bearer {
        Some(token) if token == shared.api_key.expose() => next.run(request).await,
        Some(token) if shared.jwt.as_ref().is_some_and(|jwt| token == jwt.expose()) => {
            if org_header.as_deref() == Some(shared.organization_id.as_str()) {
                next.run(request).await
            } else {
                ApiError(
                    StatusCode::FORBIDDEN,
                    "Organization ID is required with a JWT (X-Daytona-Organization-ID)".into(),
                )
                .into_response()
            }
        }
        _ => ApiError(StatusCode::UNAUTHORIZED, "Unauthorized".into()).into_response(),
    }
}

async fn push_access(State(shared): State<Arc<Shared>>) -> axum::Json<Value> {
    let creds = shared.credentials.issue(&shared.organization_id);
    axum::Json(json!({
        "accessKey": creds.access_key,
        "secret": creds.secret,
        "sessionToken": creds.token,
        "storageUrl": shared.storage_url,
        "organizationId": shared.organization_id,
        "bucket": shared.bucket,
        "region": shared.s3_region,
    }))
}

fn snapshot_json(record: &SnapshotRecord) -> axum::Json<Value> {
    axum::Json(serde_json::to_value(record).unwrap_or(Value::Null))
}

fn find_snapshot(shared: &Shared, id_or_name: &str) -> ApiResult<SnapshotRecord> {
    shared
        .store
        .read(|d| d.snapshot(id_or_name).cloned())
        .ok_or_else(|| ApiError::not_found(format!("Snapshot {id_or_name} not found")))
}

fn require_uuid(id: &str) -> ApiResult<()> {
    if is_uuid(id) { Ok(()) } else { Err(ApiError::bad_request("Validation failed (uuid is expected)")) }
}

fn parse_json(body: &Bytes) -> ApiResult<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("The request body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(format!("Unexpected JSON: {e}"))),
    }
}

/// An optional non-negative integer field (class-validator's messages).
fn optional_int(map: &serde_json::Map<String, Value>, field: &str, errors: &mut Vec<String>) -> Option<u32> {
    match map.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) if v < 0 => {
                errors.push(format!("{field} must not be less than 0"));
                None
            }
            Some(v) => match u32::try_from(v) {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(format!("{field} is too large"));
                    None
                }
            },
            None => {
                errors.push(format!("{field} must be an integer number"));
                None
            }
        },
        Some(_) => {
            errors.push(format!("{field} must be an integer number"));
            None
        }
    }
}

fn optional_string(
    map: &serde_json::Map<String, Value>,
    field: &str,
    errors: &mut Vec<String>,
) -> Option<String> {
    match map.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(format!("{field} must be a string"));
            None
        }
    }
}

fn string_list(value: Option<&Value>, field: &str, errors: &mut Vec<String>) -> Option<Vec<String>> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            Some(items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        }
        Some(_) => {
            errors.push(format!("{field} must be an array of strings"));
            None
        }
    }
}

async fn create_snapshot(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<axum::Json<Value>> {
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
    let gpu = optional_int(&map, "gpu", &mut errors);
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
    if !pj_image::valid_snapshot_name(&name) {
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
    let now = now_iso();
    let (image_name, build_info, entrypoint) = match build_info {
        Some((dockerfile, hashes)) => {
            let snapshot_ref = pj_image::build_key(&dockerfile, &hashes);
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
    let inserted = shared.store.write(|d| {
        if d.snapshots.iter().any(|s| s.name == name) {
            false
        } else {
            d.snapshots.push(record.clone());
            true
        }
    });
    if !inserted {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!("Snapshot with name \"{name}\" already exists for this organization"),
        ));
    }
    tokio::spawn(build::run(shared.clone(), record.id.clone()));
    Ok(snapshot_json(&record))
}

fn validate_image_name(image: &str) -> ApiResult<()> {
    let last = image.rsplit('/').next().unwrap_or(image);
    if !image.contains("@sha256:") && !last.contains(':') {
        return Err(ApiError::bad_request(
            "Image name must include a tag (e.g., ubuntu:22.04) or digest (@sha256:...)",
        ));
    }
    if last.ends_with(":latest") {
        return Err(ApiError::bad_request("Images with tag \":latest\" are not allowed"));
    }
    if image.chars().any(|c| c.is_ascii_uppercase() || c.is_whitespace()) {
        return Err(ApiError::bad_request(format!("Invalid image name format: {image}")));
    }
    Ok(())
}

async fn get_snapshot(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    Ok(snapshot_json(&find_snapshot(&shared, &id)?))
}

fn query_number(
    query: &HashMap<String, String>,
    field: &str,
    default: u64,
    min: u64,
    max: u64,
) -> ApiResult<u64> {
    let Some(raw) = query.get(field) else { return Ok(default) };
    let value: f64 = raw.parse().map_err(|_| {
        ApiError::bad_request(format!("{field} must be a number conforming to the specified constraints"))
    })?;
    if !value.is_finite() || value.fract() != 0.0 {
        return Err(ApiError::bad_request(format!("{field} must be an integer number")));
    }
    if value < min as f64 {
        return Err(ApiError::bad_request(format!("{field} must not be less than {min}")));
    }
    if value > max as f64 {
        return Err(ApiError::bad_request(format!("{field} must not be greater than {max}")));
    }
    Ok(value as u64)
}

async fn list_snapshots(
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

async fn delete_snapshot(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    require_uuid(&id)?;
    let removed = shared.store.write(|d| {
        let before = d.snapshots.len();
        d.snapshots.retain(|s| s.id != id);
        before != d.snapshots.len()
    });
    if !removed {
        return Err(ApiError::not_found(format!("Snapshot {id} not found")));
    }
    let _ = tokio::fs::remove_file(shared.store.log_path(&id)).await;
    Ok(StatusCode::OK)
}

async fn activate_snapshot(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    require_uuid(&id)?;
    let record = shared.store.write(|d| {
        let Some(s) = d.snapshot_mut_by_id(&id) else {
            return Err(ApiError::not_found(format!("Snapshot {id} not found")));
        };
        match s.state {
            SnapshotState::Active => Err(ApiError::bad_request(format!("Snapshot {id} is already active"))),
            SnapshotState::Inactive => {
                s.state = SnapshotState::Pending;
                s.updated_at = now_iso();
                Ok(s.clone())
            }
            state => Err(ApiError::bad_request(format!(
                "Snapshot {id} cannot be activated - it is in {state} state"
            ))),
        }
    })?;
    tokio::spawn(build::activate(shared.clone(), id));
    Ok(snapshot_json(&record))
}

async fn deactivate_snapshot(
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
    })
}

async fn build_logs_url(
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

async fn build_logs(
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

fn string_map(value: Option<&Value>, field: &str) -> ApiResult<BTreeMap<String, String>> {
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(ApiError::bad_request(format!("{field} values must be strings"))),
            })
            .collect(),
        Some(_) => Err(ApiError::bad_request(format!("{field} must be an object"))),
    }
}

async fn create_sandbox(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<axum::Json<Value>> {
    let map = parse_json(&body)?;
    let mut errors = Vec::new();
    let name = optional_string(&map, "name", &mut errors);
    let snapshot_name = optional_string(&map, "snapshot", &mut errors);
    let target = optional_string(&map, "target", &mut errors);
    let user = optional_string(&map, "user", &mut errors);
    let cpu = optional_int(&map, "cpu", &mut errors);
    let gpu = optional_int(&map, "gpu", &mut errors);
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
    if shared.store.read(|d| d.sandboxes.iter().any(|s| s.name == name)) {
        return Err(ApiError(StatusCode::CONFLICT, format!("Sandbox with name {name} already exists")));
    }
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
    shared.store.write(|d| d.sandboxes.push(record.clone()));
    Ok(axum::Json(serde_json::to_value(&record).unwrap_or(Value::Null)))
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

fn find_sandbox(shared: &Shared, id: &str) -> ApiResult<SandboxRecord> {
    shared
        .store
        .read(|d| d.sandbox(id).cloned())
        .ok_or_else(|| ApiError::not_found(format!("Sandbox with ID or name {id} not found")))
}

async fn get_sandbox(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    Ok(axum::Json(serde_json::to_value(find_sandbox(&shared, &id)?).unwrap_or(Value::Null)))
}

async fn delete_sandbox(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let mut record = find_sandbox(&shared, &id)?;
    if let Some(container) = &record.container {
        docker::remove(container).await;
    }
    shared.store.write(|d| d.sandboxes.retain(|s| s.id != record.id));
    record.state = "destroyed".to_owned();
    record.desired_state = "destroyed".to_owned();
    Ok(axum::Json(serde_json::to_value(&record).unwrap_or(Value::Null)))
}

async fn toolbox_proxy_url(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let record = find_sandbox(&shared, &id)?;
    Ok(axum::Json(json!({ "url": record.toolbox_proxy_url })))
}

/// The longest command timeout the toolbox accepts, in seconds.
const MAX_EXEC_SECONDS: u64 = 3600;

async fn execute(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<axum::Json<Value>> {
    let map = parse_json(&body)?;
    let mut errors = Vec::new();
    let command = optional_string(&map, "command", &mut errors);
    let cwd = optional_string(&map, "cwd", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::bad_request(errors.join(", ")));
    }
    let Some(command) = command else { return Err(ApiError::bad_request("command must be a string")) };
    let envs: Vec<(String, String)> = string_map(map.get("envs"), "envs")?.into_iter().collect();
    let timeout = match map.get("timeout") {
        None | Some(Value::Null) => 10,
        Some(v) => v.as_u64().filter(|t| *t > 0 && *t <= MAX_EXEC_SECONDS).ok_or_else(|| {
            ApiError::bad_request(format!("timeout must be an integer from 1 to {MAX_EXEC_SECONDS}"))
        })?,
    };
    let record = find_sandbox(&shared, &id)?;
    let (Some(container), "started") = (&record.container, record.state.as_str()) else {
        return Err(ApiError::bad_request(format!("Sandbox {id} is not started (state: {})", record.state)));
    };
    match docker::exec(container, &command, cwd.as_deref(), &envs, Duration::from_secs(timeout)).await {
        Some((exit_code, result)) => Ok(axum::Json(json!({ "exitCode": exit_code, "result": result }))),
        None => {
            Err(ApiError(StatusCode::REQUEST_TIMEOUT, format!("Command timed out after {timeout} seconds")))
        }
    }
}
