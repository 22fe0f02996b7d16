//! The client: configuration, the one request path (headers, timeouts, status checks,
//! error bodies, retries), and the resource handles.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::config::{ClientBuilder, Credentials, DEFAULT_API_URL, RetryPolicy, Timeouts};
use crate::error::{Error, truncate};
use crate::sandboxes::Sandboxes;
use crate::secret::{Secret, redact, scrub_credentials};
use crate::snapshots::Snapshots;
use crate::storage::ObjectStorage;

/// The `User-Agent` of every request: pithy and its version.
pub const USER_AGENT_VALUE: &str = concat!("pithy-daytona/", env!("CARGO_PKG_VERSION"));

/// The default `X-Daytona-Source`.
pub const DEFAULT_SOURCE: &str = "pithy";

/// An async Daytona API client. Cheap to clone (an `Arc` inside).
///
/// ```no_run
/// # async fn demo() -> Result<(), pj_daytona::Error> {
/// let client = pj_daytona::Client::from_env()?;
/// let snapshot = client.snapshots().get("pithy-jaunt-v1.0.6").await?;
/// println!("{} is {}", snapshot.name, snapshot.state);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    api_url: Url,
    credentials: Credentials,
    target: Option<String>,
    source: String,
    retry: RetryPolicy,
    timeouts: Timeouts,
    /// Bounds the memory of context uploads, however many run at once (see
    /// `storage::parts`).
    upload_parts: Arc<crate::storage::PartBuffers>,
    /// Secrets received from the server (storage credentials), redacted from every error
    /// like the API key.
    held: std::sync::Mutex<Vec<Secret>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_url", &self.inner.api_url.as_str())
            .field("credentials", &self.inner.credentials)
            .field("target", &self.inner.target)
            .field("source", &self.inner.source)
            .field("retry", &self.inner.retry)
            .field("timeouts", &self.inner.timeouts)
            .finish_non_exhaustive()
    }
}

/// Whether a failed attempt may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotent {
    /// GET, HEAD, PUT of a content-addressed object: retried on transient failures.
    Yes,
    /// POST, DELETE: sent once.
    No,
}

impl Client {
    /// A [`ClientBuilder`] with nothing set.
    ///
    /// ```
    /// let client = pj_daytona::Client::builder().api_key("k").build()?;
    /// assert_eq!(client.api_url(), pj_daytona::DEFAULT_API_URL);
    /// # Ok::<(), pj_daytona::Error>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from the environment (`DAYTONA_API_KEY`, ...; see
    /// [`ClientBuilder`]).
    ///
    /// ```no_run
    /// let client = pj_daytona::Client::from_env()?;
    /// # Ok::<(), pj_daytona::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env().build()
    }

    pub(crate) fn from_builder(builder: ClientBuilder) -> Result<Self, Error> {
        let credentials = builder.credentials.ok_or_else(|| {
            Error::Config(
                // Read by CLI users, so it names environment variables, not Rust types.
                "Authentication credentials not found. Set DAYTONA_API_KEY, or both DAYTONA_JWT_TOKEN and \
                 DAYTONA_ORGANIZATION_ID (and DAYTONA_API_URL for a server other than Daytona's)"
                    .to_owned(),
            )
        })?;
        if credentials.secret().is_empty() {
            return Err(Error::Config("the Daytona API key or JWT is empty".to_owned()));
        }
        let raw_url = builder.api_url.unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        let api_url = Url::parse(raw_url.trim_end_matches('/'))
            .ok()
            .filter(|u| {
                matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && !u.cannot_be_a_base()
            })
            .ok_or_else(|| {
                Error::Config(format!("the Daytona API URL {raw_url:?} is not an absolute http(s) URL"))
            })?;
        let http = match builder.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(builder.timeouts.connect)
                .build()
                .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                api_url,
                credentials,
                target: builder.target,
                source: builder.source.unwrap_or_else(|| DEFAULT_SOURCE.to_owned()),
                retry: builder.retry,
                timeouts: builder.timeouts,
                upload_parts: crate::storage::PartBuffers::new(),
                held: std::sync::Mutex::new(Vec::new()),
            }),
        })
    }

    /// The API base URL, without a trailing slash.
    ///
    /// ```
    /// let client = pj_daytona::Client::builder().api_key("k").api_url("http://127.0.0.1:1/api/").build()?;
    /// assert_eq!(client.api_url(), "http://127.0.0.1:1/api");
    /// # Ok::<(), pj_daytona::Error>(())
    /// ```
    pub fn api_url(&self) -> &str {
        self.inner.api_url.as_str().trim_end_matches('/')
    }

    /// The default region, if one is configured.
    ///
    /// ```
    /// let client = pj_daytona::Client::builder().api_key("k").target("eu").build()?;
    /// assert_eq!(client.target(), Some("eu"));
    /// # Ok::<(), pj_daytona::Error>(())
    /// ```
    pub fn target(&self) -> Option<&str> {
        self.inner.target.as_deref()
    }

    /// The timeouts in force.
    ///
    /// ```
    /// let client = pj_daytona::Client::builder().api_key("k").build()?;
    /// assert_eq!(client.timeouts(), pj_daytona::Timeouts::default());
    /// # Ok::<(), pj_daytona::Error>(())
    /// ```
    pub fn timeouts(&self) -> Timeouts {
        self.inner.timeouts
    }

    /// The snapshot endpoints.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let page = client.snapshots().list(&Default::default()).await?;
    /// # Ok(()) }
    /// ```
    pub fn snapshots(&self) -> Snapshots<'_> {
        Snapshots::new(self)
    }

    /// The object-storage endpoints (push access and context uploads).
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let access = client.object_storage().push_access().await?;
    /// # Ok(()) }
    /// ```
    pub fn object_storage(&self) -> ObjectStorage<'_> {
        ObjectStorage::new(self)
    }

    /// The sandbox endpoints, and commands through the toolbox.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let sandbox = client.sandboxes().get("my-sandbox").await?;
    /// # Ok(()) }
    /// ```
    pub fn sandboxes(&self) -> Sandboxes<'_> {
        Sandboxes::new(self)
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The buffers of context uploads (a bounded, reused pool).
    pub(crate) fn upload_parts(&self) -> &Arc<crate::storage::PartBuffers> {
        &self.inner.upload_parts
    }

    /// Remembers secrets the server handed out, so that no error shows them.
    pub(crate) fn hold(&self, secrets: &[&Secret]) {
        if let Ok(mut held) = self.inner.held.lock() {
            for secret in secrets {
                if !held.contains(secret) {
                    held.push((*secret).clone());
                }
            }
        }
    }

    /// `text` with the API key and every held secret replaced by `[REDACTED]`. (The
    /// body parsers, `decode` and `parse_error_body`, scrub credential fields.)
    pub(crate) fn redacted(&self, text: &str) -> String {
        let held = self.inner.held.lock().map(|h| h.clone()).unwrap_or_default();
        let mut secrets: Vec<&Secret> = held.iter().collect();
        secrets.push(self.secret());
        redact(text, &secrets)
    }

    pub(crate) fn secret(&self) -> &Secret {
        self.inner.credentials.secret()
    }

    /// `api_url` plus path segments, each percent-encoded (a `/` in a name stays
    /// inside its segment).
    pub(crate) fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.api_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// A request with Daytona's headers and the request timeout.
    pub(crate) fn request(&self, method: Method, url: Url) -> RequestBuilder {
        self.untimed_request(method, url).timeout(self.inner.timeouts.request)
    }

    /// A request with Daytona's headers and no whole-request timeout: for transfers of any
    /// size, which bound each wait instead (`Timeouts::transfer_idle`).
    pub(crate) fn untimed_request(&self, method: Method, url: Url) -> RequestBuilder {
        let mut builder = self
            .inner
            .http
            .request(method, url)
            .header(AUTHORIZATION, format!("Bearer {}", self.secret().expose()))
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, USER_AGENT_VALUE)
            .header("X-Daytona-Source", self.inner.source.as_str())
            .header("X-Daytona-SDK-Version", env!("CARGO_PKG_VERSION"));
        if let Credentials::Jwt { organization_id, .. } = &self.inner.credentials {
            builder = builder.header("X-Daytona-Organization-ID", organization_id.as_str());
        }
        builder
    }

    /// Sends an API request built by `make` (once per attempt), checks the status and
    /// reads the whole body, retrying transient failures when `idempotent`.
    pub(crate) async fn call<F>(
        &self,
        operation: &'static str,
        idempotent: Idempotent,
        make: F,
    ) -> Result<Bytes, Error>
    where
        F: Fn() -> RequestBuilder,
    {
        let timeout = self.inner.timeouts.request;
        self.retrying(idempotent, || async {
            let response = self.send(operation, make(), timeout, false).await?;
            self.read_body(operation, response, timeout, BODY_MAX, false).await
        })
        .await
    }

    /// Reads a response body of at most `limit` bytes: a longer one is an error, not a
    /// growing buffer (a misbehaving or hostile server cannot exhaust memory).
    pub(crate) async fn read_body(
        &self,
        operation: &'static str,
        mut response: Response,
        timeout: Duration,
        limit: usize,
        strip_url: bool,
    ) -> Result<Bytes, Error> {
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) =
            response.chunk().await.map_err(|e| self.transport(operation, e, timeout, strip_url))?
        {
            if body.len() + chunk.len() > limit {
                return Err(Error::Unexpected {
                    operation,
                    message: format!(
                        "the answer is over {} MiB, more than any answer it expects",
                        limit >> 20
                    ),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    /// [`call`](Self::call), then decodes the JSON body.
    pub(crate) async fn call_json<T, F>(
        &self,
        operation: &'static str,
        idempotent: Idempotent,
        make: F,
    ) -> Result<T, Error>
    where
        T: DeserializeOwned,
        F: Fn() -> RequestBuilder,
    {
        let body = self.call(operation, idempotent, make).await?;
        decode(operation, &body).map_err(|e| match e {
            Error::Decode { operation, source, body } => {
                // The storage credentials' answer is kept out of errors whole.
                let body = if operation == PUSH_ACCESS { WITHHELD.to_owned() } else { self.redacted(&body) };
                Error::Decode { operation, source, body }
            }
            other => other,
        })
    }

    /// Runs `attempt` under the retry policy (only when `idempotent`).
    pub(crate) async fn retrying<T, F, Fut>(&self, idempotent: Idempotent, attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let policy = self.inner.retry;
        if idempotent == Idempotent::No || policy.max_retries == 0 {
            let mut attempt = attempt;
            return attempt().await;
        }
        let backoff = ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.max_retries)
            .with_jitter();
        attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|e: &Error| e.is_retryable() && e.retry_after().is_none_or(|d| d <= policy.max_retry_after))
            .adjust(|e: &Error, delay: Option<Duration>| {
                // `None` means the backoff is exhausted: stop, whatever Retry-After says.
                let delay = delay?;
                Some(e.retry_after().unwrap_or(delay))
            })
            .await
    }

    /// Sends one request; a non-2xx status becomes [`Error::Api`].
    pub(crate) async fn send(
        &self,
        operation: &'static str,
        request: RequestBuilder,
        timeout: Duration,
        strip_url: bool,
    ) -> Result<Response, Error> {
        let response = request.send().await.map_err(|e| self.transport(operation, e, timeout, strip_url))?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(self.api_error(operation, response, timeout, strip_url).await)
        }
    }

    /// A transport error, as [`Error::Timeout`] or [`Error::Transport`].
    pub(crate) fn transport(
        &self,
        operation: &'static str,
        error: reqwest::Error,
        after: Duration,
        strip_url: bool,
    ) -> Error {
        if error.is_timeout() {
            return Error::Timeout { operation, after };
        }
        let source = if strip_url { error.without_url() } else { error };
        Error::Transport { operation, source }
    }

    /// Reads an error response into [`Error::Api`]: Daytona's JSON `message`/`code`, an
    /// S3 XML `<Message>`/`<Code>`, or the raw body; secrets redacted.
    pub(crate) async fn api_error(
        &self,
        operation: &'static str,
        response: Response,
        timeout: Duration,
        strip_url: bool,
    ) -> Error {
        let status = response.status();
        let retry_after = parse_retry_after(response.headers());
        // Only the start of an error body is kept (`BODY_LIMIT`); read a little more, no more.
        let body = match tokio::time::timeout(timeout, error_body_start(response)).await {
            Ok(Ok(body)) => body,
            Ok(Err(e)) => return self.transport(operation, e, timeout, strip_url),
            Err(_) => return Error::Timeout { operation, after: timeout },
        };
        let text = self.redacted(&String::from_utf8_lossy(&body));
        let (message, code, raw) = parse_error_body(status, &text);
        Error::Api { operation, status, message, code, body: raw, retry_after }
    }
}

/// The operation whose answer holds storage credentials.
pub(crate) const PUSH_ACCESS: &str = "get push access";

/// What an error keeps of a body that must not be shown.
const WITHHELD: &str = "(withheld: the answer holds credentials)";

/// The largest answer the client reads (snapshot lists are the largest it expects).
pub(crate) const BODY_MAX: usize = 32 << 20;

/// The most read of a small answer: an error body (enough for its message and code), or
/// a multipart upload's id.
pub(crate) const SMALL_BODY: usize = 64 << 10;

/// The first [`SMALL_BODY`] bytes of an error body.
async fn error_body_start(mut response: Response) -> Result<Bytes, reqwest::Error> {
    let mut body = bytes::BytesMut::new();
    while body.len() < SMALL_BODY
        && let Some(chunk) = response.chunk().await?
    {
        body.extend_from_slice(&chunk);
    }
    body.truncate(SMALL_BODY);
    Ok(body.freeze())
}

/// Decodes a JSON body, keeping the raw body in the error with every credential field
/// scrubbed (a malformed push-access answer holds the storage secret and token).
pub(crate) fn decode<T: DeserializeOwned>(operation: &'static str, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|source| Error::Decode {
        operation,
        source,
        body: truncate(scrub_credentials(&String::from_utf8_lossy(body))),
    })
}

/// `Retry-After` as delta-seconds or an HTTP date.
pub(crate) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// (message, code, raw body when not a JSON object).
pub(crate) fn parse_error_body(status: StatusCode, text: &str) -> (String, Option<String>, Option<String>) {
    let reason = || status.canonical_reason().unwrap_or("error").to_owned();
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) {
        let message = match map.get("message") {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            other => joined(other),
        }
        .or_else(|| map.get("error").and_then(|v| v.as_str()).map(str::to_owned))
        // The toolbox's bulk upload answers `{"errors": ["...", ...]}`.
        .or_else(|| joined(map.get("errors")))
        .unwrap_or_else(reason);
        let code = ["code", "error_code"]
            .iter()
            .find_map(|k| map.get(*k))
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
        return (message, code, None);
    }
    if let Some(code) = xml_tag(text, "Code") {
        // Only the code and message of an S3 error: the rest can echo the signed request
        // (`CanonicalRequest`, `StringToSign`), session token included.
        let message = xml_tag(text, "Message").unwrap_or_else(|| code.clone());
        return (message, Some(code), None);
    }
    let trimmed = scrub_credentials(text.trim());
    if trimmed.is_empty() {
        (reason(), None, None)
    } else {
        (truncate(trimmed.clone()), None, Some(truncate(trimmed)))
    }
}

/// The strings of a non-empty JSON array, joined by `, `.
fn joined(value: Option<&serde_json::Value>) -> Option<String> {
    match value {
        Some(serde_json::Value::Array(items)) if !items.is_empty() => Some(
            items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    }
}

fn xml_tag(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{tag}>"))? + start;
    Some(text[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daytona_error_bodies() {
        let (m, c, raw) = parse_error_body(
            StatusCode::CONFLICT,
            r#"{"statusCode":409,"error":"Conflict","message":"Snapshot with name \"x\" already exists"}"#,
        );
        assert_eq!((m.as_str(), c, raw), ("Snapshot with name \"x\" already exists", None, None));
        let (m, c, _) =
            parse_error_body(StatusCode::BAD_REQUEST, r#"{"message":["a must be set","b too"],"code":"E1"}"#);
        assert_eq!((m.as_str(), c.as_deref()), ("a must be set, b too", Some("E1")));
        let (m, _, _) = parse_error_body(StatusCode::BAD_REQUEST, r#"{"error":"Bad Request"}"#);
        assert_eq!(m, "Bad Request");
        let (m, _, _) =
            parse_error_body(StatusCode::BAD_REQUEST, r#"{"errors":["/x: write: denied","y"],"files":[]}"#);
        assert_eq!(m, "/x: write: denied, y");
    }

    #[test]
    fn non_json_bodies_are_kept_raw() {
        let (m, c, raw) = parse_error_body(StatusCode::BAD_GATEWAY, "<html>bad gateway</html>");
        assert_eq!(
            (m.as_str(), c, raw.as_deref()),
            ("<html>bad gateway</html>", None, Some("<html>bad gateway</html>"))
        );
        let (m, _, raw) = parse_error_body(StatusCode::SERVICE_UNAVAILABLE, "");
        assert_eq!((m.as_str(), raw), ("Service Unavailable", None));
        let xml =
            "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>bad token</Message></Error>";
        let (m, c, _) = parse_error_body(StatusCode::FORBIDDEN, xml);
        assert_eq!((m.as_str(), c.as_deref()), ("bad token", Some("AccessDenied")));
    }

    #[test]
    fn storage_credentials_never_reach_an_error() {
        // A push-access answer that does not decode: the body is kept, the credentials not.
        let body = br#"{"accessKey":"AKIAEXAMPLE1","secret":"wJalrXUtnFEMI-secret","sessionToken":"FQoGZXIvYXdz-token","storageUrl":1"#;
        let error = decode::<crate::types::StorageAccess>("get push access", body).expect_err("malformed");
        // An S3 error that echoes the signed request, token in its query.
        let xml = "<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message><CanonicalRequest>PUT\n/b/k\n\
                   X-Amz-Security-Token=FQoGZXIvYXdz-token</CanonicalRequest></Error>";
        let (message, code, raw) = parse_error_body(StatusCode::FORBIDDEN, xml);
        let s3 = Error::Api {
            operation: "upload context",
            status: StatusCode::FORBIDDEN,
            message,
            code,
            body: raw,
            retry_after: None,
        };
        for shown in [error.to_string(), format!("{error:?}"), s3.to_string(), format!("{s3:?}")] {
            for secret in ["AKIAEXAMPLE1", "wJalrXUtnFEMI-secret", "FQoGZXIvYXdz-token"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
        assert!(s3.to_string().contains("SignatureDoesNotMatch") || s3.to_string().contains("no"), "{s3}");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().expect("a header value"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("a header value"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, "soon".parse().expect("a header value"));
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn endpoints_encode_segments() {
        let client =
            Client::builder().api_key("k").api_url("http://127.0.0.1:1/api").build().expect("a client");
        assert_eq!(
            client.endpoint(&["snapshots", "a/b c"]).as_str(),
            "http://127.0.0.1:1/api/snapshots/a%2Fb%20c"
        );
    }

    #[test]
    fn bad_urls_are_config_errors() {
        for url in ["ftp://x/api", "not a url", "/api"] {
            let error = Client::builder().api_key("k").api_url(url).build().expect_err("a bad url");
            assert!(matches!(error, Error::Config(_)), "{url}: {error:?}");
        }
    }
}
