//! Object storage: push access (temporary S3 credentials for the context uploads).

use std::sync::Arc;

use axum::extract::State;
use serde_json::{Value, json};

use crate::Shared;

pub(super) async fn push_access(State(shared): State<Arc<Shared>>) -> axum::Json<Value> {
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
