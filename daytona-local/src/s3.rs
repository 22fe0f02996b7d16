//! The S3 endpoint: s3s (SigV4 verification) over s3s-fs (objects as files), with
//! temporary credentials from push access, each bound to a session token and scoped
//! to its organization's prefix.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3Result, s3_error};

use super::secrets::random_string;

/// How long push-access credentials are valid (as Daytona's STS credentials).
pub(crate) const CREDENTIAL_LIFETIME: Duration = Duration::from_secs(3600);

const ALNUM_UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Clone)]
struct Issued {
    secret: String,
    token: String,
    organization_id: String,
    expires: Instant,
}

/// Credentials handed out by push access.
#[derive(Debug, Default)]
pub(crate) struct CredentialStore {
    issued: Mutex<HashMap<String, Issued>>,
}

/// One set of issued credentials.
pub(crate) struct NewCredentials {
    pub(crate) access_key: String,
    pub(crate) secret: String,
    pub(crate) token: String,
}

impl CredentialStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Issued>> {
        self.issued.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// New credentials for `organization_id`, valid for [`CREDENTIAL_LIFETIME`]; an error
    /// only when the OS's random source fails.
    pub(crate) fn issue(&self, organization_id: &str) -> Result<NewCredentials, getrandom::Error> {
        let access_key = format!("PJ{}", random_string(18, ALNUM_UPPER)?);
        let secret = random_string(40, ALNUM)?;
        let token = random_string(96, ALNUM)?;
        let now = Instant::now();
        let mut issued = self.lock();
        issued.retain(|_, v| v.expires > now);
        issued.insert(
            access_key.clone(),
            Issued {
                secret: secret.clone(),
                token: token.clone(),
                organization_id: organization_id.to_owned(),
                expires: now + CREDENTIAL_LIFETIME,
            },
        );
        Ok(NewCredentials { access_key, secret, token })
    }

    #[cfg(feature = "testing")]
    /// Every secret and session token issued so far (for tests that look for them).
    pub(crate) fn all(&self) -> Vec<(String, String)> {
        self.lock().values().map(|i| (i.secret.clone(), i.token.clone())).collect()
    }

    #[cfg(feature = "testing")]
    /// The secret and session token issued last (fault injection echoes them, as a server
    /// that leaks what a client holds would).
    pub(crate) fn latest(&self) -> Option<(String, String)> {
        self.lock().values().max_by_key(|i| i.expires).map(|i| (i.secret.clone(), i.token.clone()))
    }

    fn get(&self, access_key: &str) -> Option<Issued> {
        self.lock().get(access_key).filter(|i| i.expires > Instant::now()).cloned()
    }
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").field("organization_id", &self.organization_id).finish_non_exhaustive()
    }
}

struct Auth(Arc<CredentialStore>);

#[async_trait::async_trait]
impl S3Auth for Auth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.0.get(access_key) {
            Some(issued) => Ok(SecretKey::from(issued.secret)),
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
        }
    }
}

struct Access {
    store: Arc<CredentialStore>,
    bucket: String,
}

/// The operations a push-access session policy allows on `{bucket}/{org}/*`.
const OBJECT_OPS: &[&str] = &[
    "PutObject",
    "GetObject",
    "HeadObject",
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
    "ListParts",
];

#[async_trait::async_trait]
impl S3Access for Access {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(credentials) = cx.credentials() else {
            return Err(s3_error!(AccessDenied, "Signature is required"));
        };
        let Some(issued) = self.store.get(&credentials.access_key) else {
            return Err(s3_error!(ExpiredToken, "The provided token has expired."));
        };
        let header_token =
            cx.headers().get("x-amz-security-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let query_token = cx.uri().query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-security-token"))
                .map(|(_, v)| v.into_owned())
        });
        match header_token.or(query_token) {
            Some(token) if token == issued.token => {}
            Some(_) => {
                return Err(s3_error!(InvalidToken, "The provided token is malformed or otherwise invalid."));
            }
            None => {
                return Err(s3_error!(
                    AccessDenied,
                    "A session token is required for temporary credentials."
                ));
            }
        }
        let org_prefix = format!("{}/", issued.organization_id);
        let op = cx.s3_op().name();
        if let Some((bucket, key)) = cx.s3_path().as_object() {
            if bucket == self.bucket && in_prefix(key, &org_prefix) && OBJECT_OPS.contains(&op) {
                return Ok(());
            }
        } else if let Some(bucket) = cx.s3_path().as_bucket() {
            let prefix = cx.uri().query().and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "prefix")
                    .map(|(_, v)| v.into_owned())
            });
            let prefix_ok = prefix.is_some_and(|p| {
                p == issued.organization_id || (p.starts_with(&org_prefix) && stays_in_place(&p))
            });
            if bucket == self.bucket && matches!(op, "ListObjects" | "ListObjectsV2") && prefix_ok {
                return Ok(());
            }
        }
        Err(s3_error!(AccessDenied, "Access Denied"))
    }
}

/// Whether `key` names an object under `prefix` (`<org>/`) and stays there: the objects
/// are files, so a key is refused when a component could climb (`..`), stand for the
/// directory itself (`.`, empty) or hold a backslash.
fn in_prefix(key: &str, prefix: &str) -> bool {
    key.starts_with(prefix) && stays_in_place(key) && !key.split('/').any(str::is_empty)
}

/// Whether a key or list prefix names files where it says: no backslash, and no `.` or
/// `..` component that the file system would resolve elsewhere. (A prefix may end in `/`.)
fn stays_in_place(path: &str) -> bool {
    !path.contains('\\') && !path.split('/').any(|component| matches!(component, "." | ".."))
}

/// Builds the S3 service over `root` (which holds the bucket directory).
pub(crate) fn service(root: &Path, bucket: &str, store: Arc<CredentialStore>) -> std::io::Result<S3Service> {
    std::fs::create_dir_all(root.join(bucket))?;
    let fs = s3s_fs::FileSystem::new(root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(Auth(store.clone()));
    builder.set_access(Access { store, bucket: bucket.to_owned() });
    Ok(builder.build())
}

/// The axum fallback handler of the S3 listener.
pub(crate) async fn handle(State(service): State<S3Service>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let request = s3s::HttpRequest::from_parts(parts, s3s::Body::http_body_unsync(body));
    match service.call(request).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, Body::new(body))
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("S3 error: {e:?}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::in_prefix;

    #[test]
    fn keys_cannot_climb_out_of_the_organisation_prefix() {
        let org = "org-1/";
        assert!(in_prefix("org-1/0123/context.tar", org));
        for key in [
            "org-1/../org-2/0123/context.tar",
            "org-1/0123/../../org-2/x",
            "org-1/./0123/context.tar",
            "org-1//context.tar",
            "org-1/..",
            "org-1/0123/context.tar/..",
            "org-1\\..\\org-2/x",
            "org-2/0123/context.tar",
            "org-10/0123/context.tar",
        ] {
            assert!(!in_prefix(key, org), "{key:?} accepted");
        }
    }
}
