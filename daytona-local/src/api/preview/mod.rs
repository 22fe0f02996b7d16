//! Preview URLs (`getPortPreviewUrl`): a sandbox's port, reached from the host on
//! 127.0.0.1.
//!
//! Daytona answers `https://{port}-{sandboxId}.{proxyDomain}`; the local server answers
//! `http://127.0.0.1:{p}`, where `p` is a listener of its own, opened for that sandbox and
//! port on the first request and kept while the server runs (the same URL every time).
//! Each connection to it is relayed into the container through `docker exec -i` of a small
//! relay run by the image's `python3` or `bash` (see [`relay`]), so the sandbox's port is
//! reached inside its own network namespace, never through the container's bridge address,
//! and no port is published on the host.
//!
//! As Daytona's proxy does, a private sandbox's preview asks for the preview `token` (header
//! `X-Daytona-Preview-Token`) or the API key (`Authorization: Bearer`), checked on the first
//! request of each connection; a public sandbox's needs neither.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use super::operations::Operations;
use super::sandboxes::find_sandbox;
use super::toolbox::parse_port;
use super::{ApiError, ApiResult};
use crate::Shared;
use crate::secrets::{API_KEY_ALPHABET, random_string};
use pj_daytona::Secret;

mod relay;

pub(super) fn implement(ops: &mut Operations) {
    ops.op("getPortPreviewUrl", preview_url);
}

/// The preview listeners of a server, by sandbox.
#[derive(Debug, Default)]
pub(crate) struct Previews {
    sandboxes: Mutex<HashMap<String, SandboxPreviews>>,
}

#[derive(Debug)]
struct SandboxPreviews {
    /// The preview token of the sandbox (all its ports), as Daytona has one per sandbox.
    token: Secret,
    /// The sandbox's port to the host port of its listener.
    ports: HashMap<u16, u16>,
}

async fn preview_url(
    State(shared): State<Arc<Shared>>,
    Path((id, port)): Path<(String, String)>,
) -> ApiResult<axum::Json<Value>> {
    let port = parse_port(&port)?;
    let record = find_sandbox(&shared, &id)?;
    let (host_port, token) = open(&shared, &record.id, port).await?;
    Ok(axum::Json(json!({
        "sandboxId": record.id,
        "url": format!("http://127.0.0.1:{host_port}"),
        "token": token,
    })))
}

/// The listener of sandbox `id`'s `port` (opened on first use), and the sandbox's token.
async fn open(shared: &Arc<Shared>, id: &str, port: u16) -> ApiResult<(u16, String)> {
    let mut sandboxes = shared.previews.sandboxes.lock().await;
    if !sandboxes.contains_key(id) {
        let token = random_string(32, API_KEY_ALPHABET).map_err(|e| {
            ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("the OS random generator failed: {e}"))
        })?;
        sandboxes.insert(id.to_owned(), SandboxPreviews { token: Secret::new(token), ports: HashMap::new() });
    }
    let Some(entry) = sandboxes.get_mut(id) else {
        return Err(ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the preview table lost an entry".to_owned(),
        ));
    };
    if let Some(host_port) = entry.ports.get(&port) {
        return Ok((*host_port, entry.token.expose().to_owned()));
    }
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot listen on 127.0.0.1 for the preview: {e}"),
        )
    })?;
    let host_port = listener
        .local_addr()
        .map_err(|e| {
            ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("the preview listener has no address: {e}"))
        })?
        .port();
    entry.ports.insert(port, host_port);
    let token = entry.token.expose().to_owned();
    tokio::spawn(relay::serve(shared.clone(), id.to_owned(), port, token.clone(), listener));
    Ok((host_port, token))
}

/// Forgets a sandbox's listeners (each ends on its next connection, or within 30 s).
async fn forget(shared: &Shared, id: &str) {
    shared.previews.sandboxes.lock().await.remove(id);
}
