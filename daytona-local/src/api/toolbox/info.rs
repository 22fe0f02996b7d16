//! The toolbox's info operations: the user's home directory, the working directory
//! (where relative paths of every toolbox call are resolved), the version.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::super::operations::Operations;
use super::super::{ApiError, ApiResult};
use super::capture::{Capture, capture};
use super::{Running, running};
use crate::{Shared, docker};

pub(super) fn implement(ops: &mut Operations) {
    ops.op("GetUserHomeDir", user_home_dir).op("GetWorkDir", work_dir).op("GetVersion", version);
}

async fn user_home_dir(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let sandbox = running(&shared, &id)?;
    Ok(axum::Json(json!({ "dir": home_dir(&sandbox).await? })))
}

async fn work_dir(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    let sandbox = running(&shared, &id)?;
    Ok(axum::Json(json!({ "dir": working_dir(&sandbox).await? })))
}

/// The toolbox's version: the local server's, named as such (there is no Daytona daemon).
async fn version(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    running(&shared, &id)?;
    Ok(axum::Json(json!({ "version": concat!("pj-daytona-local-", env!("CARGO_PKG_VERSION")) })))
}

/// `$HOME` as a process of the sandbox's user sees it: Docker sets it from the image's
/// `/etc/passwd` for that user (or the image's `ENV HOME`), as a login would.
pub(crate) async fn home_dir(sandbox: &Running) -> ApiResult<String> {
    let out = capture(sandbox, &["sh", "-c", "printf %s \"$HOME\""], &Capture::default()).await?;
    let home = out.stdout_text();
    if !out.success() || home.is_empty() {
        return Err(ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the home directory of user {} is unknown: {}", sandbox.user, out.stderr_text().trim()),
        ));
    }
    Ok(home)
}

/// The container's working directory (the image's `WORKDIR`, `docker inspect`'s
/// `Config.WorkingDir`), else the user's home: where Daytona resolves relative paths.
pub(crate) async fn working_dir(sandbox: &Running) -> ApiResult<String> {
    let (code, out, err) = docker::run(
        &["container", "inspect", "--format", "{{.Config.WorkingDir}}", &sandbox.container],
        Duration::from_secs(30),
    )
    .await;
    if code != Some(0) {
        return Err(ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("docker could not inspect the sandbox's container: {}", err.trim()),
        ));
    }
    match out.trim() {
        "" => home_dir(sandbox).await,
        dir => Ok(dir.to_owned()),
    }
}
