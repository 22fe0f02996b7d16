//! Object storage: push access, and context uploads. The upload sequence lives here
//! once: `HEAD`; on 404 the tar is written and hashed in one read while it is uploaded
//! in parts (`parts`, `multipart`); the object is made to exist only once the hash is
//! verified. Callers that show progress follow it through [`UploadProgress`].

mod multipart;
mod parts;

use std::path::Path;
use std::time::Duration;

use daytona_contract::context::{ContextChanged, Exclude, Tarred, write_tar_hashed};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use reqwest::Method;
use reqwest::header::CONTENT_LENGTH;
use rusty_s3::{Bucket, Credentials as S3Credentials, S3Action, UrlStyle};
use tokio::runtime::Handle;
use tokio::sync::{OnceCell, mpsc};

use self::multipart::Multipart;
pub(crate) use self::parts::PartBuffers;
use self::parts::{Part, PartWriter};

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
/// `Archived`, then `Uploading`. Before either of the first two, a failure is the
/// `HEAD`'s. After `Archiving`, parts are sent while the tar is written: an [`Error::Io`]
/// is the tar's (a [`ContextChanged`] inside when the content is not the one hashed),
/// any other error the storage's.
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
    /// `HEAD` did not find it: the tar is being written, hashed in the same read and
    /// sent in parts as it is written; the object is only stored if that hash is the
    /// one asked for.
    Archiving,
    /// `bytes` more file bytes went into the tar (the total is the context's size).
    Archived {
        /// File bytes archived since the previous event.
        bytes: u64,
    },
    /// The tar of `bytes` is written and its hash verified; its last part and the
    /// completion of the upload (or, for a tar under 5 MiB, its one `PUT`) are sent.
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
            .call_json(crate::client::PUSH_ACCESS, Idempotent::Yes, || {
                self.client.request(Method::GET, url.clone())
            })
            .await?;
        self.client.hold(&[&access.secret, &access.session_token]);
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
        let (bucket, credentials) = bucket(access)?;
        object_exists(self.client, &bucket, &credentials, &access.object_key(hash)).await
    }

    /// Uploads a context unless it is already there: `HEAD`, and on 404 the tar of
    /// `source` (rooted at `archive`, written by
    /// `daytona_contract::context::write_tar_hashed`) is uploaded as it is written, with
    /// no temporary copy: an S3 multipart upload of 5 MiB parts, four or more in flight,
    /// or one `PUT` for a tar under 5 MiB.
    ///
    /// Each file is read once: the bytes sent are the bytes hashed. The object is named
    /// by `hash`, so it is only made to exist (the multipart upload completed, or the
    /// small tar sent) when the hash of what was read is `hash`; otherwise a file
    /// changed since `hash` was computed (e.g. since the crate was compiled), the
    /// multipart upload is aborted, and the upload fails with [`Error::Io`] whose inner
    /// error is a `daytona_contract::context::ContextChanged`: nothing is stored.
    ///
    /// Memory does not grow with the context: one client holds at most six parts
    /// (30 MiB) for all its uploads together, so several contexts can upload at once.
    /// Every request is retried on transient failures. To follow it, see
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
        let bytes = self.send_context(access, source, archive, hash, &Exclude::none(), progress).await?;
        Ok(Upload::Uploaded { bytes })
    }

    /// The upload of [`upload_context_with_progress`](Self::upload_context_with_progress)
    /// without its `HEAD`, for a caller that checked already (e.g. all contexts at once);
    /// reports from `Archiving` on. Returns the size of the tar. What `exclude` leaves out
    /// is neither archived nor hashed (`hash` is the hash of what is left).
    ///
    /// The tar is written on a blocking thread, hashing what it reads, and uploaded as it
    /// is written: full parts go out (several at once) while later files are read. The
    /// object is only made to exist, by completing the multipart upload or by the single
    /// `PUT` of a tar smaller than one part, once the hash of what was read is `hash`.
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client, access: pj_daytona::StorageAccess) -> Result<(), pj_daytona::Error> {
    /// let storage = client.object_storage();
    /// let hash = "30e0b496b75779c18af6dab75e0edbdc";
    /// if !storage.context_exists(&access, hash).await? {
    ///     let exclude = daytona_contract::context::Exclude::none();
    ///     let size = storage.send_context(&access, "sandbox".as_ref(), "sandbox", hash, &exclude, &mut |_| {}).await?;
    ///     println!("sent {size} bytes");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send_context(
        &self,
        access: &StorageAccess,
        source: &Path,
        archive: &str,
        hash: &str,
        exclude: &Exclude,
        progress: &mut (dyn FnMut(UploadProgress) + Send),
    ) -> Result<u64, Error> {
        let operation = "archive context";
        progress(UploadProgress::Archiving);
        let (bucket, credentials) = bucket(access)?;
        let key = access.object_key(hash);
        let (part_sender, mut parts) = mpsc::unbounded_channel();
        let (archived_sender, mut archived) = mpsc::unbounded_channel();
        let writer = PartWriter::new(Handle::current(), self.client.upload_parts().clone(), part_sender);
        let (source, archive_path, exclude) = (source.to_path_buf(), archive.to_owned(), exclude.clone());
        let tar = tokio::task::spawn_blocking(move || -> std::io::Result<(Tarred, Option<Part>)> {
            let mut writer = writer;
            let tarred = write_tar_hashed(&source, &archive_path, &exclude, &mut writer, &mut |bytes| {
                // The receiver only goes away with this future; nothing to report then.
                let _ = archived_sender.send(bytes);
            })?;
            Ok((tarred, writer.finish()))
        });
        // Created with the first full part; a tar under one part is sent in one `PUT`.
        let multipart: OnceCell<Multipart<'_>> = OnceCell::new();
        let mut in_flight = FuturesUnordered::new();
        let mut etags = Vec::new();
        // Until the tar is written (both channels closed) and every part sent so far is
        // stored. Any error returns at once: dropping the receivers stops the writer.
        let streamed: Result<(), Error> = async {
            loop {
                tokio::select! {
                    Some(bytes) = archived.recv() => progress(UploadProgress::Archived { bytes }),
                    Some(part) = parts.recv() => {
                        let upload = multipart
                            .get_or_try_init(|| Multipart::create(self.client, &bucket, &credentials, &key))
                            .await?;
                        in_flight.push(upload.put_part(part));
                    }
                    Some(done) = in_flight.next(), if !in_flight.is_empty() => etags.push(done?),
                    else => return Ok(()),
                }
            }
        }
        .await;
        drop(in_flight);
        let tarred = match streamed {
            Ok(()) => tar
                .await
                .map_err(|e| Error::Io { operation, source: std::io::Error::other(e.to_string()) })?
                .map_err(|source| Error::Io { operation, source }),
            Err(e) => Err(e),
        };
        let outcome = match tarred {
            Ok((tarred, last)) => {
                let object = Object { bucket: &bucket, credentials: &credentials, key: &key, archive, hash };
                self.finish(&object, multipart.get(), etags, (tarred, last), progress).await
            }
            Err(e) => Err(e),
        };
        if outcome.is_err()
            && let Some(upload) = multipart.get()
        {
            upload.abort().await;
        }
        outcome
    }

    /// The tar is written: checks its hash, then stores the object (the last part and
    /// the completion, or the whole tar in one `PUT`).
    async fn finish(
        &self,
        object: &Object<'_>,
        multipart: Option<&Multipart<'_>>,
        mut etags: Vec<(u32, String)>,
        (tarred, last): (Tarred, Option<Part>),
        progress: &mut (dyn FnMut(UploadProgress) + Send),
    ) -> Result<u64, Error> {
        let Object { bucket, credentials, key, archive, hash } = *object;
        if tarred.md5 != hash {
            // The object name is the hash: content B must never be stored as md5(A).
            let changed = ContextChanged {
                archive_path: archive.to_owned(),
                compiled: hash.to_owned(),
                now: tarred.md5,
            };
            return Err(Error::Io { operation: "archive context", source: std::io::Error::other(changed) });
        }
        progress(UploadProgress::Uploading { bytes: tarred.bytes });
        match (multipart, last) {
            (Some(upload), last) => {
                if let Some(part) = last {
                    etags.push(upload.put_part(part).await?);
                }
                upload.complete(etags).await?;
            }
            (None, Some(whole)) => self.put_small(bucket, credentials, key, whole).await?,
            (None, None) => {
                return Err(Error::Io {
                    operation: "archive context",
                    source: std::io::Error::other("the context tar is empty"),
                });
            }
        }
        Ok(tarred.bytes)
    }

    /// `PUT` of a tar that fits in one part (retried; the bytes are kept until done).
    async fn put_small(
        &self,
        bucket: &Bucket,
        credentials: &S3Credentials,
        key: &str,
        whole: Part,
    ) -> Result<(), Error> {
        let sign = || bucket.put_object(Some(credentials), key).sign(PRESIGN);
        put_bytes(self.client, "upload context", sign, &whole.bytes).await.map(drop)
    }
}

/// `HEAD` of the object `key`: whether it exists (404: no). Retried on transient failures.
pub(crate) async fn object_exists(
    client: &Client,
    bucket: &Bucket,
    credentials: &S3Credentials,
    key: &str,
) -> Result<bool, Error> {
    let operation = "check context in object storage";
    let timeout = client.timeouts().request;
    client
        .retrying(Idempotent::Yes, || async {
            let url = bucket.head_object(Some(credentials), key).sign(PRESIGN);
            let request = client.http().request(Method::HEAD, url).timeout(timeout);
            match client.send(operation, request, timeout, true).await {
                Ok(_) => Ok(true),
                Err(e) if e.is_not_found() => Ok(false),
                Err(e) => Err(e),
            }
        })
        .await
}

/// `PUT` of `bytes` to a presigned URL (`sign` signs anew for each attempt), retried:
/// the objects and parts sent are content-addressed, so sending one twice is harmless.
pub(crate) async fn put_bytes(
    client: &Client,
    operation: &'static str,
    sign: impl Fn() -> url::Url,
    bytes: &bytes::Bytes,
) -> Result<reqwest::Response, Error> {
    let timeout = client.timeouts().upload;
    client
        .retrying(Idempotent::Yes, || async {
            let request = client
                .http()
                .request(Method::PUT, sign())
                .header(CONTENT_LENGTH, bytes.len())
                .body(bytes.clone())
                .timeout(timeout);
            client.send(operation, request, timeout, true).await
        })
        .await
}

/// Where one context goes, and what it must hash to.
#[derive(Clone, Copy)]
struct Object<'a> {
    bucket: &'a Bucket,
    credentials: &'a S3Credentials,
    key: &'a str,
    archive: &'a str,
    hash: &'a str,
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
