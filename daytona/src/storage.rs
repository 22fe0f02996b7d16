//! Object storage: push access, and context uploads (`HEAD`, then `PUT` of the tar).
//! The upload sequence (`HEAD` → spool the tar, hashing the same bytes → verify the hash
//! → `PUT`) lives here once; callers that show progress follow it through
//! [`UploadProgress`].

use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use daytona_contract::context::{ContextChanged, Tarred, write_tar_hashed};
use reqwest::Method;
use reqwest::header::CONTENT_LENGTH;
use rusty_s3::{Bucket, Credentials as S3Credentials, S3Action, UrlStyle};

use crate::client::{Client, Idempotent};
use crate::error::Error;
use crate::types::StorageAccess;

/// How long a presigned storage URL stays valid (each attempt signs anew).
const PRESIGN: Duration = Duration::from_secs(3600);

/// What [`ObjectStorage::upload_context`] did.
///
/// ```
/// let outcome = pj_daytona::Upload::Uploaded { bytes: 10240 };
/// assert_ne!(outcome, pj_daytona::Upload::Present);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    /// The object was already there (`HEAD` 200): nothing sent.
    Present,
    /// The tar was uploaded; its size.
    Uploaded {
        /// The size of the tar.
        bytes: u64,
    },
}

/// What [`ObjectStorage::upload_context_with_progress`] is doing, reported as it
/// happens: at most one of `Present` or `Archiving`, then for an upload any number of
/// `Archived`, then `Uploading`. A failure after `Archiving` and before `Uploading` is
/// the tar's ([`Error::Io`]); after `Uploading`, the `PUT`'s; before either, the `HEAD`'s.
///
/// ```
/// use pj_daytona::UploadProgress;
/// let mut archived = 0;
/// let mut follow = |event| if let UploadProgress::Archived { bytes } = event { archived += bytes };
/// follow(UploadProgress::Archiving);
/// follow(UploadProgress::Archived { bytes: 6 });
/// assert_eq!(archived, 6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadProgress {
    /// `HEAD` found the context: nothing is sent.
    Present,
    /// `HEAD` did not find it: the tar is being written to a temporary file and hashed
    /// in the same read; it is sent only if that hash is the one asked for.
    Archiving,
    /// `bytes` more file bytes went into the tar (the total is the context's size).
    Archived {
        /// File bytes archived since the previous event.
        bytes: u64,
    },
    /// The tar is written; the `PUT` of its `bytes` starts.
    Uploading {
        /// The size of the tar.
        bytes: u64,
    },
}

/// The object-storage endpoints; from [`Client::object_storage`].
///
/// ```no_run
/// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
/// use std::path::Path;
/// let crate_dir = Path::new(".");
/// let md5 = daytona_contract::context::hash(&crate_dir.join("sandbox"), "sandbox")
///     .map_err(|e| pj_daytona::Error::Config(e.to_string()))?;
/// let storage = client.object_storage();
/// let access = storage.push_access().await?;
/// let outcome = storage.upload_context(&access, &crate_dir.join("sandbox"), "sandbox", &md5).await?;
/// println!("{outcome:?}");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ObjectStorage<'a> {
    client: &'a Client,
}

impl<'a> ObjectStorage<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        ObjectStorage { client }
    }

    /// `GET /object-storage/push-access`: temporary credentials for the organization's
    /// prefix of the builds bucket.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let access = client.object_storage().push_access().await?;
    /// println!("{}/{}", access.storage_url, access.bucket);
    /// # Ok(()) }
    /// ```
    pub async fn push_access(&self) -> Result<StorageAccess, Error> {
        let url = self.client.endpoint(&["object-storage", "push-access"]);
        let mut access: StorageAccess = self
            .client
            .call_json("get push access", Idempotent::Yes, || self.client.request(Method::GET, url.clone()))
            .await?;
        if access.region.is_empty() {
            access.region = "us-east-1".to_owned();
        }
        Ok(access)
    }

    /// `HEAD {storageUrl}/{bucket}/{org}/{md5}/context.tar`: whether the context is
    /// already uploaded. Retried on transient failures.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client, access: pj_daytona::StorageAccess) -> Result<(), pj_daytona::Error> {
    /// let present = client.object_storage().context_exists(&access, "0062767e43a7b98b63a594b2504ce32c").await?;
    /// # Ok(()) }
    /// ```
    pub async fn context_exists(&self, access: &StorageAccess, hash: &str) -> Result<bool, Error> {
        let operation = "check context in object storage";
        let (bucket, credentials) = bucket(access)?;
        let key = access.object_key(hash);
        let timeout = self.client.timeouts().request;
        self.client
            .retrying(Idempotent::Yes, || async {
                let url = bucket.head_object(Some(&credentials), &key).sign(PRESIGN);
                let request = self.client.http().request(Method::HEAD, url).timeout(timeout);
                match self.client.send(operation, request, timeout, true).await {
                    Ok(_) => Ok(true),
                    Err(e) if e.is_not_found() => Ok(false),
                    Err(e) => Err(e),
                }
            })
            .await
    }

    /// Uploads a context unless it is already there: `HEAD`, and on 404 the tar of
    /// `source` (rooted at `archive`, written by
    /// `daytona_contract::context::write_tar_hashed`) is spooled to an anonymous
    /// temporary file and `PUT` with its `Content-Length`.
    ///
    /// Each file is read once: the bytes spooled are the bytes hashed. The object is
    /// named by `hash`, so the tar is only sent when its hash is `hash`; otherwise a
    /// file changed since `hash` was computed (e.g. since the crate was compiled), and
    /// the upload fails with [`Error::Io`] whose inner error is a
    /// `daytona_contract::context::ContextChanged`, and nothing is stored.
    /// Memory use does not grow with the context; the `PUT` of this content-addressed
    /// object is retried on transient failures. To follow it, see
    /// [`upload_context_with_progress`](Self::upload_context_with_progress).
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client, access: pj_daytona::StorageAccess) -> Result<(), pj_daytona::Error> {
    /// let outcome = client.object_storage()
    ///     .upload_context(&access, std::path::Path::new("sandbox"), "sandbox", "30e0b496b75779c18af6dab75e0edbdc")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_context(
        &self,
        access: &StorageAccess,
        source: &Path,
        archive: &str,
        hash: &str,
    ) -> Result<Upload, Error> {
        self.upload_context_with_progress(access, source, archive, hash, &mut |_| {}).await
    }

    /// [`upload_context`](Self::upload_context), calling `progress` at each step (see
    /// [`UploadProgress`]), e.g. to print what happens and drive a progress bar while
    /// the tar is written.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client, access: pj_daytona::StorageAccess) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::UploadProgress;
    /// let mut archived = 0;
    /// client.object_storage()
    ///     .upload_context_with_progress(
    ///         &access,
    ///         std::path::Path::new("sandbox"),
    ///         "sandbox",
    ///         "30e0b496b75779c18af6dab75e0edbdc",
    ///         &mut |event| match event {
    ///             UploadProgress::Archived { bytes } => archived += bytes,
    ///             UploadProgress::Uploading { bytes } => eprintln!("uploading {bytes} bytes"),
    ///             _ => {}
    ///         },
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_context_with_progress(
        &self,
        access: &StorageAccess,
        source: &Path,
        archive: &str,
        hash: &str,
        progress: &mut (dyn FnMut(UploadProgress) + Send),
    ) -> Result<Upload, Error> {
        if self.context_exists(access, hash).await? {
            progress(UploadProgress::Present);
            return Ok(Upload::Present);
        }
        progress(UploadProgress::Archiving);
        let (spooled, tarred) = spool_tar(source.to_path_buf(), archive.to_owned(), progress).await?;
        if tarred.md5 != hash {
            // The object name is the hash: content B must never be stored as md5(A).
            let changed = ContextChanged {
                archive_path: archive.to_owned(),
                compiled: hash.to_owned(),
                now: tarred.md5,
            };
            return Err(Error::Io { operation: "archive context", source: std::io::Error::other(changed) });
        }
        let bytes = tarred.bytes;
        progress(UploadProgress::Uploading { bytes });
        let bytes = self.put_context_file(access, hash, spooled).await?;
        Ok(Upload::Uploaded { bytes })
    }

    /// `PUT` an already written tar file as the context `hash` (retried on transient
    /// failures; each attempt re-reads the file from its start). Returns its size.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client, access: pj_daytona::StorageAccess) -> Result<(), pj_daytona::Error> {
    /// let file = std::fs::File::open("context.tar").map_err(|e| pj_daytona::Error::Config(e.to_string()))?;
    /// let size = client.object_storage().put_context_file(&access, "0062767e43a7b98b63a594b2504ce32c", file).await?;
    /// # Ok(()) }
    /// ```
    pub async fn put_context_file(
        &self,
        access: &StorageAccess,
        hash: &str,
        file: std::fs::File,
    ) -> Result<u64, Error> {
        let operation = "upload context";
        let io = |source| Error::Io { operation, source };
        let (bucket, credentials) = bucket(access)?;
        let key = access.object_key(hash);
        let size = file.metadata().map_err(io)?.len();
        let timeout = self.client.timeouts().upload;
        self.client
            .retrying(Idempotent::Yes, || async {
                let mut attempt = file.try_clone().map_err(io)?;
                attempt.seek(SeekFrom::Start(0)).map_err(io)?;
                let body = reqwest::Body::from(tokio::fs::File::from_std(attempt));
                let url = bucket.put_object(Some(&credentials), &key).sign(PRESIGN);
                let request = self
                    .client
                    .http()
                    .request(Method::PUT, url)
                    .header(CONTENT_LENGTH, size)
                    .body(body)
                    .timeout(timeout);
                self.client.send(operation, request, timeout, true).await.map(drop)
            })
            .await?;
        Ok(size)
    }
}

fn bucket(access: &StorageAccess) -> Result<(Bucket, S3Credentials), Error> {
    let endpoint = url::Url::parse(&access.storage_url).map_err(|e| {
        Error::Config(format!("push access sent an invalid storage URL {:?}: {e}", access.storage_url))
    })?;
    let bucket = Bucket::new(endpoint, UrlStyle::Path, access.bucket.clone(), access.region.clone())
        .map_err(|e| {
            Error::Config(format!("push access sent an unusable bucket {:?}: {e}", access.bucket))
        })?;
    let credentials = S3Credentials::new_with_token(
        access.access_key.clone(),
        access.secret.expose().to_owned(),
        access.session_token.expose().to_owned(),
    );
    Ok((bucket, credentials))
}

/// Writes the tar of a context to an anonymous temporary file (on a blocking thread),
/// hashing the bytes it archives, and reports the file bytes archived as
/// [`UploadProgress::Archived`].
async fn spool_tar(
    source: PathBuf,
    archive: String,
    progress: &mut (dyn FnMut(UploadProgress) + Send),
) -> Result<(std::fs::File, Tarred), Error> {
    let operation = "archive context";
    // The blocking thread cannot borrow `progress`: it sends the counts here instead.
    let (sender, mut archived) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::task::spawn_blocking(move || -> std::io::Result<(std::fs::File, Tarred)> {
        let file = tempfile::tempfile()?;
        let mut out = BufWriter::new(file);
        let tarred = write_tar_hashed(&source, &archive, &mut out, &mut |bytes| {
            // The receiver only goes away with this future; nothing to report then.
            let _ = sender.send(bytes);
        })?;
        out.flush()?;
        Ok((out.into_inner().map_err(|e| e.into_error())?, tarred))
    });
    // The sender is dropped when the task ends, which ends this loop.
    while let Some(bytes) = archived.recv().await {
        progress(UploadProgress::Archived { bytes });
    }
    task.await
        .map_err(|e| Error::Io { operation, source: std::io::Error::other(e.to_string()) })?
        .map_err(|source| Error::Io { operation, source })
}
