//! S3 multipart upload requests, presigned like the other storage requests: create,
//! upload a part, complete, abort. The object exists only once it is completed, so an
//! upload whose content turns out to be wrong is aborted and leaves nothing behind.

use reqwest::Method;
use reqwest::header::ETAG;
use rusty_s3::actions::CreateMultipartUpload;
use rusty_s3::{Bucket, Credentials, S3Action};

use super::parts::Part;
use super::{PRESIGN, object_exists, put_bytes};
use crate::client::{Client, Idempotent, SMALL_BODY};
use crate::error::Error;

/// One multipart upload of the object `key`.
pub(crate) struct Multipart<'a> {
    pub client: &'a Client,
    pub bucket: &'a Bucket,
    pub credentials: &'a Credentials,
    pub key: &'a str,
    pub upload_id: String,
}

impl<'a> Multipart<'a> {
    /// `POST {key}?uploads`. Retried: a repeated create only leaves an unused upload id.
    pub(crate) async fn create(
        client: &'a Client,
        bucket: &'a Bucket,
        credentials: &'a Credentials,
        key: &'a str,
    ) -> Result<Self, Error> {
        let operation = "start the multipart upload of a context";
        let timeout = client.timeouts().request;
        let body = client
            .retrying(Idempotent::Yes, || async {
                let url = bucket.create_multipart_upload(Some(credentials), key).sign(PRESIGN);
                let request = client.http().request(Method::POST, url).timeout(timeout);
                let response = client.send(operation, request, timeout, true).await?;
                client.read_body(operation, response, timeout, SMALL_BODY, true).await
            })
            .await?;
        let body = String::from_utf8_lossy(&body);
        let parsed = CreateMultipartUpload::parse_response(&body).map_err(|e| Error::Unexpected {
            operation,
            message: format!("the storage answered without an upload id ({e})"),
        })?;
        Ok(Multipart { client, bucket, credentials, key, upload_id: parsed.upload_id().to_owned() })
    }

    /// `PUT {key}?partNumber=N&uploadId=…`, retried (the bytes are kept until it is
    /// done). Returns the part's `ETag`; the part's permit is released when it returns.
    pub(crate) async fn put_part(&self, part: Part) -> Result<(u32, String), Error> {
        let operation = "upload a part of a context";
        let number = u16::try_from(part.number)
            .map_err(|_| Error::Config(format!("part number {} is over S3's limit", part.number)))?;
        let sign = || {
            self.bucket.upload_part(Some(self.credentials), self.key, number, &self.upload_id).sign(PRESIGN)
        };
        let response = put_bytes(self.client, operation, sign, &part.bytes).await?;
        let etag = response.headers().get(ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned).ok_or_else(
            || Error::Unexpected {
                operation,
                message: "the storage accepted a part without an ETag".to_owned(),
            },
        )?;
        Ok((part.number, etag))
    }

    /// `POST {key}?uploadId=…` with the parts' `ETag`s in part order: the object
    /// appears. A retried complete that finds the upload gone (its first answer was
    /// lost) succeeds when the object is there.
    pub(crate) async fn complete(&self, mut etags: Vec<(u32, String)>) -> Result<(), Error> {
        let operation = "complete the upload of a context";
        let timeout = self.client.timeouts().upload;
        etags.sort_by_key(|(number, _)| *number);
        let outcome = self
            .client
            .retrying(Idempotent::Yes, || async {
                let action = self.bucket.complete_multipart_upload(
                    Some(self.credentials),
                    self.key,
                    &self.upload_id,
                    etags.iter().map(|(_, etag)| etag.as_str()),
                );
                let url = action.sign(PRESIGN);
                let request =
                    self.client.http().request(Method::POST, url).body(action.body()).timeout(timeout);
                self.client.send(operation, request, timeout, true).await.map(drop)
            })
            .await;
        match outcome {
            Err(e)
                if e.is_not_found()
                    && matches!(
                        object_exists(self.client, self.bucket, self.credentials, self.key).await,
                        Ok(true)
                    ) =>
            {
                Ok(())
            }
            outcome => outcome,
        }
    }

    /// `DELETE {key}?uploadId=…`, once: the parts are dropped. Best effort (the
    /// storage expires abandoned uploads anyway), so its own failure is not reported.
    pub(crate) async fn abort(&self) {
        let timeout = self.client.timeouts().request;
        let url = self
            .bucket
            .abort_multipart_upload(Some(self.credentials), self.key, &self.upload_id)
            .sign(PRESIGN);
        let request = self.client.http().request(Method::DELETE, url).timeout(timeout);
        let _ = self.client.send("abort the upload of a context", request, timeout, true).await;
    }
}
