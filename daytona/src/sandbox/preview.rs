//! Preview URLs: a port of the sandbox reached from outside
//! (`GET /sandbox/{id}/ports/{port}/preview-url`).

use std::fmt;

use reqwest::Method;
use serde::Deserialize;

use crate::client::Idempotent;
use crate::sandbox::Sandbox;
use crate::{Error, Secret};

/// A port's preview URL and the token that opens it when the sandbox is private (send it
/// as the `X-Daytona-Preview-Token` header). The token never shows in `Debug`.
///
/// ```no_run
/// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
/// let preview = sandbox.preview_url(3000).await?;
/// let page = reqwest::Client::new()
///     .get(&preview.url)
///     .header("X-Daytona-Preview-Token", preview.token.expose())
///     .send()
///     .await;
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PreviewUrl {
    /// The sandbox whose port it is.
    pub sandbox_id: String,
    /// The URL (Daytona: `https://{port}-{sandboxId}.{proxyDomain}`; the local server:
    /// a loopback `http://127.0.0.1:{p}`).
    pub url: String,
    /// The `X-Daytona-Preview-Token` of a private sandbox.
    pub token: Secret,
}

impl fmt::Debug for PreviewUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreviewUrl")
            .field("sandbox_id", &self.sandbox_id)
            .field("url", &self.url)
            .field("token", &self.token)
            .finish()
    }
}

impl Sandbox {
    /// The preview URL of the sandbox's `port`, and its token: `GET
    /// /sandbox/{id}/ports/{port}/preview-url` (retried: it changes nothing). The token is
    /// held by the client, so that no later error shows it.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let preview = sandbox.preview_url(8000).await?;
    /// println!("open {}", preview.url);
    /// # Ok(()) }
    /// ```
    pub async fn preview_url(&self, port: u16) -> Result<PreviewUrl, Error> {
        let client = self.client();
        let port = port.to_string();
        let url = client.endpoint(&["sandbox", self.id(), "ports", &port, "preview-url"]);
        let preview: PreviewUrl = client
            .call_json("get preview URL", Idempotent::Yes, || client.request(Method::GET, url.clone()))
            .await?;
        client.hold(&[&preview.token]);
        Ok(preview)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows() {
        let preview: PreviewUrl =
            serde_json::from_str(r#"{"sandboxId":"s1","url":"http://127.0.0.1:4000","token":"tok-7781"}"#)
                .expect("the answer decodes");
        assert_eq!((preview.url.as_str(), preview.token.expose()), ("http://127.0.0.1:4000", "tok-7781"));
        assert!(!format!("{preview:?}").contains("tok-7781"));
    }
}
