//! Client configuration: credentials, URL, region, timeouts, retries.

use std::fmt;
use std::time::Duration;

use crate::client::Client;
use crate::error::Error;
use crate::secret::Secret;

/// Daytona's public API, used when neither the code nor `DAYTONA_API_URL` names one.
pub const DEFAULT_API_URL: &str = "https://app.daytona.io/api";

/// How the client authenticates: an organization-scoped API key, or a user JWT plus
/// the organization it acts in (sent as `X-Daytona-Organization-ID`).
///
/// ```
/// use pj_daytona::Credentials;
/// let creds = Credentials::api_key("dtn_abc");
/// assert_eq!(format!("{creds:?}"), "ApiKey(Secret([REDACTED]))");
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// `Authorization: Bearer <api key>`.
    ApiKey(Secret),
    /// `Authorization: Bearer <jwt>` and `X-Daytona-Organization-ID: <organization_id>`.
    Jwt {
        /// The JWT.
        token: Secret,
        /// The organization to act in.
        organization_id: String,
    },
}

impl Credentials {
    /// API-key credentials.
    ///
    /// ```
    /// let creds = pj_daytona::Credentials::api_key("dtn_abc");
    /// # let _ = creds;
    /// ```
    pub fn api_key(key: impl Into<Secret>) -> Self {
        Credentials::ApiKey(key.into())
    }

    /// JWT credentials for an organization.
    ///
    /// ```
    /// let creds = pj_daytona::Credentials::jwt("eyJ...", "org-1");
    /// # let _ = creds;
    /// ```
    pub fn jwt(token: impl Into<Secret>, organization_id: impl Into<String>) -> Self {
        Credentials::Jwt { token: token.into(), organization_id: organization_id.into() }
    }

    pub(crate) fn secret(&self) -> &Secret {
        match self {
            Credentials::ApiKey(key) => key,
            Credentials::Jwt { token, .. } => token,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::ApiKey(key) => f.debug_tuple("ApiKey").field(key).finish(),
            Credentials::Jwt { token, organization_id } => {
                f.debug_struct("Jwt").field("token", token).field("organization_id", organization_id).finish()
            }
        }
    }
}

/// When and how often the client retries a transient failure of an idempotent request
/// (GET, HEAD, PUT of a content-addressed object): capped exponential backoff with
/// jitter, or the server's `Retry-After` when it sends one.
///
/// ```
/// use std::time::Duration;
/// let policy = pj_daytona::RetryPolicy {
///     max_retries: 2,
///     min_delay: Duration::from_millis(10),
///     ..Default::default()
/// };
/// assert_eq!(policy.max_retries, 2);
/// assert_eq!(pj_daytona::RetryPolicy::none().max_retries, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Extra attempts after the first one (0 = never retry).
    pub max_retries: usize,
    /// The first backoff delay.
    pub min_delay: Duration,
    /// The cap of the exponential backoff.
    pub max_delay: Duration,
    /// The longest `Retry-After` the client waits for; a longer one ends the retries
    /// and returns the error (its [`retry_after`](Error::retry_after) says how long).
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// A policy that never retries.
    ///
    /// ```
    /// let policy = pj_daytona::RetryPolicy::none();
    /// # let _ = policy;
    /// ```
    pub fn none() -> Self {
        RetryPolicy { max_retries: 0, ..RetryPolicy::default() }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// The timeouts of the client. Every request has one.
///
/// ```
/// use std::time::Duration;
/// let timeouts = pj_daytona::Timeouts { request: Duration::from_secs(5), ..Default::default() };
/// assert_eq!(timeouts.connect, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting (applies to clients built by [`ClientBuilder::build`]; an injected
    /// `reqwest::Client` keeps its own connect timeout).
    pub connect: Duration,
    /// A whole API request: sending it and reading the full response.
    pub request: Duration,
    /// A whole context upload (`PUT` of a tar).
    pub upload: Duration,
    /// Getting the response headers of a build-log stream.
    pub log_connect: Duration,
    /// How long a file transfer (upload or download through the toolbox) may make no
    /// progress: no byte sent or received, or no answer once the body is sent. Transfers
    /// have no whole-request timeout, so a 1 GiB file on a slow link is not cut off.
    pub transfer_idle: Duration,
    /// How long a build-log stream may stay silent before
    /// [`LogStream::next`](crate::LogStream::next) reports [`LogEvent::Idle`](crate::LogEvent::Idle).
    pub log_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(60),
            upload: Duration::from_secs(30 * 60),
            transfer_idle: Duration::from_secs(120),
            log_connect: Duration::from_secs(30),
            log_idle: Duration::from_secs(2),
        }
    }
}

/// Builds a [`Client`]: from the environment like the official SDKs, from code, or both
/// (code wins).
///
/// Environment: `DAYTONA_API_KEY`, or `DAYTONA_JWT_TOKEN` with `DAYTONA_ORGANIZATION_ID`;
/// `DAYTONA_API_URL` (default [`DEFAULT_API_URL`]); `DAYTONA_TARGET` (the region).
///
/// ```
/// use std::time::Duration;
/// let client = pj_daytona::Client::builder()
///     .api_key("dtn_abc")
///     .api_url("http://127.0.0.1:3000/api")
///     .target("us")
///     .retry(pj_daytona::RetryPolicy::none())
///     .build()?;
/// assert_eq!(client.api_url(), "http://127.0.0.1:3000/api");
/// # Ok::<(), pj_daytona::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct ClientBuilder {
    pub(crate) credentials: Option<Credentials>,
    pub(crate) api_url: Option<String>,
    pub(crate) target: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) http: Option<reqwest::Client>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("credentials", &self.credentials)
            .field("api_url", &self.api_url)
            .field("target", &self.target)
            .field("source", &self.source)
            .field("http", &self.http.as_ref().map(|_| "reqwest::Client"))
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

impl ClientBuilder {
    /// An empty builder (nothing read from the environment).
    ///
    /// ```
    /// let builder = pj_daytona::ClientBuilder::new().api_key("k");
    /// # let _ = builder;
    /// ```
    pub fn new() -> Self {
        ClientBuilder::default()
    }

    /// A builder filled from the process environment (see the type docs).
    ///
    /// ```no_run
    /// let client = pj_daytona::ClientBuilder::from_env().build()?;
    /// # Ok::<(), pj_daytona::Error>(())
    /// ```
    pub fn from_env() -> Self {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// A builder filled from `lookup` instead of the process environment (for tests and
    /// for tools that read `.env` files themselves). Empty values count as unset.
    ///
    /// ```
    /// let env = |name: &str| match name {
    ///     "DAYTONA_JWT_TOKEN" => Some("eyJ".to_owned()),
    ///     "DAYTONA_ORGANIZATION_ID" => Some("org-1".to_owned()),
    ///     _ => None,
    /// };
    /// let client = pj_daytona::ClientBuilder::from_env_with(env).build()?;
    /// assert_eq!(client.api_url(), pj_daytona::DEFAULT_API_URL);
    /// # Ok::<(), pj_daytona::Error>(())
    /// ```
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let credentials =
            match (get("DAYTONA_API_KEY"), get("DAYTONA_JWT_TOKEN"), get("DAYTONA_ORGANIZATION_ID")) {
                (Some(key), _, _) => Some(Credentials::api_key(key)),
                (None, Some(token), Some(org)) => Some(Credentials::jwt(token, org)),
                _ => None,
            };
        ClientBuilder {
            credentials,
            api_url: get("DAYTONA_API_URL"),
            target: get("DAYTONA_TARGET"),
            ..ClientBuilder::default()
        }
    }

    /// Authenticate with an API key.
    ///
    /// ```
    /// let builder = pj_daytona::ClientBuilder::new().api_key("dtn_abc");
    /// # let _ = builder;
    /// ```
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.credentials = Some(Credentials::api_key(key));
        self
    }

    /// Authenticate with a JWT for an organization.
    ///
    /// ```
    /// let builder = pj_daytona::ClientBuilder::new().jwt("eyJ...", "org-1");
    /// # let _ = builder;
    /// ```
    pub fn jwt(mut self, token: impl Into<Secret>, organization_id: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::jwt(token, organization_id));
        self
    }

    /// Set the credentials.
    ///
    /// ```
    /// let builder = pj_daytona::ClientBuilder::new().credentials(pj_daytona::Credentials::api_key("k"));
    /// # let _ = builder;
    /// ```
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The API base URL (`https://app.daytona.io/api`; the local server prints its own).
    ///
    /// ```
    /// let builder = pj_daytona::ClientBuilder::new().api_url("http://127.0.0.1:3000/api");
    /// # let _ = builder;
    /// ```
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// The default region: sent as `regionId` on snapshot creation and `target` on
    /// sandbox creation when the request names none.
    ///
    /// ```
    /// let builder = pj_daytona::ClientBuilder::new().target("eu");
    /// # let _ = builder;
    /// ```
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// The `X-Daytona-Source` header (default `pithy`).
    ///
    /// ```
    /// let builder = pj_daytona::ClientBuilder::new().source("my-tool");
    /// # let _ = builder;
    /// ```
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Use this `reqwest::Client` (to share a connection pool, or set a proxy or TLS
    /// roots). Per-request timeouts still apply.
    ///
    /// ```
    /// let builder = pj_daytona::ClientBuilder::new().http_client(reqwest::Client::new());
    /// # let _ = builder;
    /// ```
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The retry policy (default: 4 retries, 0.5 s to 10 s backoff).
    ///
    /// ```
    /// let builder = pj_daytona::ClientBuilder::new().retry(pj_daytona::RetryPolicy::none());
    /// # let _ = builder;
    /// ```
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The timeouts (default: 60 s per request, 30 min per upload).
    ///
    /// ```
    /// let builder = pj_daytona::ClientBuilder::new().timeouts(pj_daytona::Timeouts::default());
    /// # let _ = builder;
    /// ```
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Builds the client. Fails without credentials, or with an API URL that is not an
    /// absolute `http`/`https` URL.
    ///
    /// ```
    /// let error = pj_daytona::ClientBuilder::new().build().unwrap_err();
    /// assert!(error.to_string().starts_with("Authentication credentials not found"));
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        Client::from_builder(self)
    }
}
