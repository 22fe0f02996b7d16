//! Test hooks (feature `testing`): fault injection and the request log.
//!
//! Never part of the product: `cargo xtask local` and `daytona-local` are built without
//! this feature, so a fault that echoes secrets cannot be switched on in them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;

use crate::Shared;
use crate::api::error_json;
use crate::api::operations::OperationId;
use crate::observe::Listener;
use pj_daytona::SnapshotState;

/// A route of the local server, for fault injection and the request log.
///
/// ```
/// use pj_daytona_local::Route;
/// assert_eq!(Route::classify_api(&"GET".parse().unwrap(), "/api/snapshots/abc"), Route::GetSnapshot);
/// assert_eq!(Route::classify_s3(&"HEAD".parse().unwrap(), "/b/org/h/context.tar"), Route::S3Head);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// `GET /object-storage/push-access`
    PushAccess,
    /// `POST /snapshots`
    CreateSnapshot,
    /// `GET /snapshots`
    ListSnapshots,
    /// `GET /snapshots/{id}`
    GetSnapshot,
    /// `DELETE /snapshots/{id}`
    DeleteSnapshot,
    /// `POST /snapshots/{id}/activate`
    ActivateSnapshot,
    /// `POST /snapshots/{id}/deactivate`
    DeactivateSnapshot,
    /// `GET /snapshots/{id}/build-logs-url`
    BuildLogsUrl,
    /// `GET /snapshots/{id}/build-logs`
    BuildLogs,
    /// `POST /sandbox`
    CreateSandbox,
    /// `GET /sandbox/{id}`
    GetSandbox,
    /// `DELETE /sandbox/{id}`
    DeleteSandbox,
    /// `GET /sandbox/{id}/toolbox-proxy-url`
    ToolboxProxyUrl,
    /// `POST /toolbox/{id}/process/execute`
    ToolboxExecute,
    /// S3 `HEAD` of an object.
    S3Head,
    /// S3 `GET` of an object.
    S3Get,
    /// S3 `GET` of a bucket (a listing).
    S3List,
    /// S3 `PUT` (an object, or a part of a multipart upload).
    S3Put,
    /// S3 `POST` (create or complete a multipart upload).
    S3Post,
    /// Any other S3 request.
    S3Other,
    /// Any other API request.
    Other,
}

impl Route {
    /// The route of an API request (`path` includes the `/api` prefix).
    ///
    /// ```
    /// use pj_daytona_local::Route;
    /// assert_eq!(Route::classify_api(&"POST".parse().unwrap(), "/api/snapshots"), Route::CreateSnapshot);
    /// ```
    pub fn classify_api(method: &Method, path: &str) -> Route {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let m = method.as_str();
        match segments.as_slice() {
            ["api", "object-storage", "push-access"] if m == "GET" => Route::PushAccess,
            ["api", "snapshots"] if m == "POST" => Route::CreateSnapshot,
            ["api", "snapshots"] if m == "GET" => Route::ListSnapshots,
            ["api", "snapshots", _] if m == "GET" => Route::GetSnapshot,
            ["api", "snapshots", _] if m == "DELETE" => Route::DeleteSnapshot,
            ["api", "snapshots", _, "activate"] if m == "POST" => Route::ActivateSnapshot,
            ["api", "snapshots", _, "deactivate"] if m == "POST" => Route::DeactivateSnapshot,
            ["api", "snapshots", _, "build-logs-url"] if m == "GET" => Route::BuildLogsUrl,
            ["api", "snapshots", _, "build-logs"] if m == "GET" => Route::BuildLogs,
            ["api", "sandbox"] if m == "POST" => Route::CreateSandbox,
            ["api", "sandbox", _] if m == "GET" => Route::GetSandbox,
            ["api", "sandbox", _] if m == "DELETE" => Route::DeleteSandbox,
            ["api", "sandbox", _, "toolbox-proxy-url"] if m == "GET" => Route::ToolboxProxyUrl,
            ["toolbox", _, "process", "execute"] if m == "POST" => Route::ToolboxExecute,
            _ => Route::Other,
        }
    }

    /// The route of an S3 request (path-style: `/{bucket}/{key}`).
    ///
    /// ```
    /// use pj_daytona_local::Route;
    /// assert_eq!(Route::classify_s3(&"PUT".parse().unwrap(), "/b/o/h/context.tar"), Route::S3Put);
    /// assert_eq!(Route::classify_s3(&"GET".parse().unwrap(), "/b"), Route::S3List);
    /// ```
    pub fn classify_s3(method: &Method, path: &str) -> Route {
        let is_object = path.trim_matches('/').contains('/');
        match method.as_str() {
            "HEAD" if is_object => Route::S3Head,
            "GET" if is_object => Route::S3Get,
            "GET" => Route::S3List,
            "PUT" if is_object => Route::S3Put,
            "POST" if is_object => Route::S3Post,
            _ => Route::S3Other,
        }
    }

    fn is_s3(self) -> bool {
        matches!(
            self,
            Route::S3Head | Route::S3Get | Route::S3List | Route::S3Put | Route::S3Post | Route::S3Other
        )
    }
}

/// A fault to inject into a request.
///
/// ```
/// use std::time::Duration;
/// let fault = pj_daytona_local::Fault::Status { status: 429, retry_after: Some(Duration::from_secs(1)) };
/// assert!(matches!(fault, pj_daytona_local::Fault::Status { .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status (Daytona's JSON error shape, or S3's XML one) without
    /// running the handler; with `retry_after`, also send `Retry-After` (in seconds).
    Status {
        /// The status code.
        status: u16,
        /// The `Retry-After` to send.
        retry_after: Option<Duration>,
    },
    /// Run the handler, then wait this long before answering: a client that times out
    /// meanwhile has still had its request carried out (as with a slow server).
    Delay(Duration),
    /// Run the handler, send the status, the headers and the first half of the body,
    /// then drop the connection.
    DropMidBody,
    /// Answer with this status and a body and headers that echo the secrets the client
    /// holds: the request's API key, and the storage secret and session token issued last.
    /// A 200 gets a body that does not parse, as a broken server's would. To show that no
    /// secret reaches an error, a log or a command's output.
    Leak {
        /// The status code.
        status: u16,
    },
}

#[derive(Debug)]
struct Rule {
    route: Route,
    remaining: usize,
    fault: Fault,
}

#[derive(Debug, Default)]
struct FaultState {
    rules: Vec<Rule>,
    stuck: HashMap<String, SnapshotState>,
    failed_builds: HashMap<String, String>,
}

/// The faults of a [`LocalDaytona`](super::LocalDaytona): per-route failures,
/// delays and dropped connections for the next N requests, snapshots stuck in a state,
/// failed builds. From [`LocalDaytona::faults`](super::LocalDaytona::faults).
///
/// ```
/// use std::time::Duration;
/// use pj_daytona_local::{Faults, Route};
/// let faults = Faults::default();
/// faults.fail_next(Route::GetSnapshot, 2, 503);
/// faults.rate_limit_next(Route::ListSnapshots, 1, Duration::from_secs(1));
/// faults.stick("slow-v1", pj_daytona::SnapshotState::Building);
/// faults.fail_build("broken-v1", "the runner ran out of disk");
/// faults.clear();
/// ```
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<FaultState>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Injects `fault` into the next `times` requests of `route` (after earlier rules
    /// for the same route are used up).
    ///
    /// ```
    /// # let faults = pj_daytona_local::Faults::default();
    /// faults.inject(pj_daytona_local::Route::S3Put, 1, pj_daytona_local::Fault::DropMidBody);
    /// ```
    pub fn inject(&self, route: Route, times: usize, fault: Fault) {
        if times > 0 {
            self.lock().rules.push(Rule { route, remaining: times, fault });
        }
    }

    /// The next `times` requests of `route` fail with `status`.
    ///
    /// ```
    /// # let faults = pj_daytona_local::Faults::default();
    /// faults.fail_next(pj_daytona_local::Route::CreateSnapshot, 1, 500);
    /// ```
    pub fn fail_next(&self, route: Route, times: usize, status: u16) {
        self.inject(route, times, Fault::Status { status, retry_after: None });
    }

    /// The next `times` requests of `route` get 429 with `Retry-After: <seconds>`
    /// (rounded up to whole seconds, as the header requires).
    ///
    /// ```
    /// # let faults = pj_daytona_local::Faults::default();
    /// faults.rate_limit_next(pj_daytona_local::Route::GetSnapshot, 1, std::time::Duration::from_secs(1));
    /// ```
    pub fn rate_limit_next(&self, route: Route, times: usize, retry_after: Duration) {
        self.inject(route, times, Fault::Status { status: 429, retry_after: Some(retry_after) });
    }

    /// The next `times` requests of `route` are carried out, then answered after `delay`.
    ///
    /// ```
    /// # let faults = pj_daytona_local::Faults::default();
    /// faults.delay_next(pj_daytona_local::Route::GetSnapshot, 1, std::time::Duration::from_secs(2));
    /// ```
    pub fn delay_next(&self, route: Route, times: usize, delay: Duration) {
        self.inject(route, times, Fault::Delay(delay));
    }

    /// The next `times` responses of `route` are cut off mid-body.
    ///
    /// ```
    /// # let faults = pj_daytona_local::Faults::default();
    /// faults.drop_next(pj_daytona_local::Route::ListSnapshots, 1);
    /// ```
    pub fn drop_next(&self, route: Route, times: usize) {
        self.inject(route, times, Fault::DropMidBody);
    }

    /// Snapshots named `name` created from now on stop in `state` (`pending`,
    /// `building`, ...) and never progress.
    ///
    /// ```
    /// # let faults = pj_daytona_local::Faults::default();
    /// faults.stick("slow-v1", pj_daytona::SnapshotState::Pending);
    /// ```
    pub fn stick(&self, name: impl Into<String>, state: SnapshotState) {
        self.lock().stuck.insert(name.into(), state);
    }

    /// Builds of snapshots named `name` fail with `reason` (after the checks pass).
    ///
    /// ```
    /// # let faults = pj_daytona_local::Faults::default();
    /// faults.fail_build("broken-v1", "injected failure");
    /// ```
    pub fn fail_build(&self, name: impl Into<String>, reason: impl Into<String>) {
        self.lock().failed_builds.insert(name.into(), reason.into());
    }

    /// Removes every fault.
    ///
    /// ```
    /// # let faults = pj_daytona_local::Faults::default();
    /// faults.clear();
    /// ```
    pub fn clear(&self) {
        *self.lock() = FaultState::default();
    }

    pub(crate) fn take(&self, route: Route) -> Option<Fault> {
        let mut state = self.lock();
        let rule = state.rules.iter_mut().find(|r| r.route == route && r.remaining > 0)?;
        rule.remaining -= 1;
        let fault = rule.fault;
        state.rules.retain(|r| r.remaining > 0);
        Some(fault)
    }

    pub(crate) fn stuck_state(&self, name: &str) -> Option<SnapshotState> {
        self.lock().stuck.get(name).copied()
    }

    pub(crate) fn build_failure(&self, name: &str) -> Option<String> {
        self.lock().failed_builds.get(name).cloned()
    }
}

/// One request the server received (never its headers or body).
///
/// ```
/// # fn check(record: &pj_daytona_local::RequestRecord) {
/// if record.route == pj_daytona_local::Route::S3Put { println!("{} {}", record.method, record.path); }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The route.
    pub route: Route,
    /// The method.
    pub method: String,
    /// The path (percent-encoded as received).
    pub path: String,
    /// The query, without `X-Amz-*` signing parameters.
    pub query: Option<String>,
    /// The response status (`None` while the response is pending, or when the client
    /// went away first).
    pub status: Option<u16>,
    /// The fault injected, if any.
    pub fault: Option<Fault>,
    /// The `operationId` of Daytona's specifications that answered it (`None` for S3, a
    /// path outside the specifications, or a fault that answered first).
    pub operation: Option<&'static str>,
    /// When it arrived (to check that a client waited, e.g. for `Retry-After`).
    pub at: std::time::Instant,
}

/// The request log of a server.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    records: Mutex<Vec<RequestRecord>>,
}

/// The log keeps at most this many records (the oldest are dropped).
const LOG_LIMIT: usize = 100_000;

impl RequestLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RequestRecord>> {
        self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn push(&self, record: RequestRecord) -> usize {
        let mut records = self.lock();
        if records.len() >= LOG_LIMIT {
            records.remove(0);
        }
        records.push(record);
        records.len() - 1
    }

    fn set_status(&self, index: usize, path: &str, status: u16, operation: Option<&'static str>) {
        let mut records = self.lock();
        if let Some(record) = records.get_mut(index).filter(|r| r.path == path && r.status.is_none()) {
            record.status = Some(status);
            record.operation = operation;
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<RequestRecord> {
        self.lock().clone()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

/// The test hooks around a request: logs it and applies the next fault for its route.
/// [`crate::observe`] calls this (only with the feature) and gives errors their shape.
pub(crate) async fn around(
    shared: &std::sync::Arc<Shared>,
    listener: Listener,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(clean_query).filter(|q| !q.is_empty());
    let route = match listener {
        Listener::Api => Route::classify_api(&method, &path),
        Listener::S3 => Route::classify_s3(&method, &path),
    };
    let fault = shared.faults.take(route);
    let index = shared.log.push(RequestRecord {
        route,
        method: method.to_string(),
        path: path.clone(),
        query,
        status: None,
        fault,
        operation: None,
        at: std::time::Instant::now(),
    });
    let response = match fault {
        Some(Fault::Status { status, retry_after }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = if route.is_s3() {
                s3_error(status, method == Method::HEAD)
            } else {
                error_json(status, &path, "Injected fault")
            };
            if let Some(after) = retry_after {
                let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
                if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
            }
            response
        }
        Some(Fault::Delay(delay)) => {
            let response = next.run(request).await;
            tokio::time::sleep(delay).await;
            response
        }
        Some(Fault::DropMidBody) => cut_body(next.run(request).await),
        Some(Fault::Leak { status }) => leak(shared, &request, route, status),
        None => next.run(request).await,
    };
    let operation = response.extensions().get::<OperationId>().map(|op| op.0);
    shared.log.set_status(index, &path, response.status().as_u16(), operation);
    response
}

/// The answer of [`Fault::Leak`]: every secret the client holds, in the body (where the
/// client keeps error bodies) and a header.
fn leak(shared: &Shared, request: &Request, route: Route, status: u16) -> Response {
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start_matches("Bearer ").to_owned())
        .unwrap_or_default();
    let (secret, token) = shared.credentials.latest().unwrap_or_default();
    let said = format!("leaked: key {key}, secret {secret}, token {token}");
    let body = if route.is_s3() {
        format!(
            "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>{said}</Message>\
             <StringToSign>{secret}</StringToSign><CanonicalRequest>X-Amz-Security-Token={token}</CanonicalRequest></Error>"
        )
    } else {
        let json = serde_json::json!({ "statusCode": status, "message": said, "secret": secret, "sessionToken": token });
        let text = json.to_string();
        // A 200 must fail to decode, so the client keeps (and must clean) the body.
        if status == 200 { text[..text.len() - 1].to_owned() } else { text }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = HeaderValue::from_str(&format!("{key} {secret} {token}")) {
        response.headers_mut().insert("x-leak", value);
    }
    response
}

/// The query without signing parameters (they hold the session token).
fn clean_query(query: &str) -> String {
    query.split('&').filter(|p| !p.to_ascii_lowercase().starts_with("x-amz-")).collect::<Vec<_>>().join("&")
}

fn s3_error(status: StatusCode, head: bool) -> Response {
    let code = match status.as_u16() {
        503 => "SlowDown",
        500 => "InternalError",
        429 => "SlowDown",
        403 => "AccessDenied",
        404 => "NoSuchKey",
        _ => "InjectedFault",
    };
    let body = if head {
        Body::empty()
    } else {
        Body::from(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>Injected fault</Message></Error>"
        ))
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    response
}

/// Keeps the status and headers (including `Content-Length`), sends the first half of
/// the first chunk of the body, then fails the body so the connection is dropped.
fn cut_body(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let mut data = body.into_data_stream();
    let stream = async_stream_cut(async move { data.next().await });
    Response::from_parts(parts, Body::from_stream(stream))
}

fn async_stream_cut<F>(first: F) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>>
where
    F: std::future::Future<Output = Option<Result<bytes::Bytes, axum::Error>>> + Send,
{
    futures_util::stream::once(first).flat_map(|chunk| {
        let half = match chunk {
            Some(Ok(bytes)) if bytes.len() > 1 => Some(bytes.slice(..bytes.len() / 2)),
            _ => None,
        };
        let items: Vec<Result<bytes::Bytes, std::io::Error>> = half
            .into_iter()
            .map(Ok)
            .chain(std::iter::once(Err(std::io::Error::other("injected fault: connection dropped mid-body"))))
            .collect();
        futures_util::stream::iter(items)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_used_in_order_and_run_out() {
        let faults = Faults::default();
        faults.fail_next(Route::GetSnapshot, 2, 503);
        faults.delay_next(Route::GetSnapshot, 1, Duration::from_millis(1));
        assert_eq!(faults.take(Route::ListSnapshots), None);
        let first = Some(Fault::Status { status: 503, retry_after: None });
        assert_eq!(faults.take(Route::GetSnapshot), first);
        assert_eq!(faults.take(Route::GetSnapshot), first);
        assert_eq!(faults.take(Route::GetSnapshot), Some(Fault::Delay(Duration::from_millis(1))));
        assert_eq!(faults.take(Route::GetSnapshot), None);
    }

    #[test]
    fn signing_parameters_are_not_logged() {
        assert_eq!(
            clean_query("uploads=&X-Amz-Security-Token=secret&x-amz-signature=abc&partNumber=1"),
            "uploads=&partNumber=1"
        );
    }
}
