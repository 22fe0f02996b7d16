//! Object storage: push access (temporary S3 credentials for the context uploads).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ApiError, ApiResult};
use crate::Shared;

pub(super) async fn push_access(State(shared): State<Arc<Shared>>) -> ApiResult<axum::Json<Value>> {
    let creds = shared.credentials.issue(&shared.organization_id).map_err(|e| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Could not draw storage credentials from the OS's random source: {e}"),
        )
    })?;
    Ok(axum::Json(json!({
        "accessKey": creds.access_key,
        "secret": creds.secret,
        "sessionToken": creds.token,
        "storageUrl": shared.storage_url,
        "organizationId": shared.organization_id,
        "bucket": shared.bucket,
        "region": shared.s3_region,
    })))
}
