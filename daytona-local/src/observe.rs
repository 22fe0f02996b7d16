//! The outermost middleware of both listeners: gives handler errors Daytona's JSON shape
//! and prints a line per request when asked (`--log-requests`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::Shared;

/// Which listener a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listener {
    Api,
    S3,
}

pub(crate) async fn observe(
    State((shared, listener)): State<(Arc<Shared>, Listener)>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    #[cfg(feature = "testing")]
    let response = crate::testing::around(&shared, listener, request, next).await;
    #[cfg(not(feature = "testing"))]
    let response = {
        let _ = listener;
        next.run(request).await
    };
    let response = crate::api::finish_error(response, &path);
    if shared.log_requests {
        // The path only: S3 queries can hold a session token.
        eprintln!("    {method} {path} {}", response.status().as_u16());
    }
    response
}
