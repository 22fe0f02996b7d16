//! The file operations: list, info, create a folder, move, delete, find in contents,
//! search by name, replace, permissions. Reads (GET) are retried on transient failures;
//! what changes the file system is sent once.

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::types::{FileInfo, Match, Permissions, ReplaceResult};
use super::{Fs, non_empty};
use crate::Error;
use crate::client::Idempotent;

impl Fs<'_> {
    /// The entries of the directory `path` (`GET files`), each with its full path.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// for entry in sandbox.fs().list("/app").await? {
    ///     println!("{} {}", if entry.is_dir { "d" } else { "-" }, entry.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, path: &str) -> Result<Vec<FileInfo>, Error> {
        self.read("list files", &["files"], &[("path", non_empty("list files", "path", path)?)]).await
    }

    /// The entries under `path` down to `depth` levels (1 is [`list`](Self::list); 2 adds
    /// the entries of its subdirectories, ...), in the order of a walk.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let tree = sandbox.fs().list_depth("/app", 3).await?;
    /// for entry in &tree { println!("{}", entry.path.as_deref().unwrap_or(&entry.name)); }
    /// # Ok(()) }
    /// ```
    pub async fn list_depth(&self, path: &str, depth: u32) -> Result<Vec<FileInfo>, Error> {
        const OPERATION: &str = "list files";
        if depth == 0 {
            return Err(Error::Config("cannot list files: depth must be at least 1".to_owned()));
        }
        let depth = depth.to_string();
        self.read(OPERATION, &["files"], &[("path", non_empty(OPERATION, "path", path)?), ("depth", &depth)])
            .await
    }

    /// What the toolbox says about `path` (`GET files/info`); links are followed.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let info = sandbox.fs().info("/app/result.json").await?;
    /// println!("{} bytes, mode {}", info.size, info.permissions);
    /// # Ok(()) }
    /// ```
    pub async fn info(&self, path: &str) -> Result<FileInfo, Error> {
        const OPERATION: &str = "get file info";
        self.read(OPERATION, &["files", "info"], &[("path", non_empty(OPERATION, "path", path)?)]).await
    }

    /// Makes the directory `path` and its missing parents, with the permission bits
    /// `mode` (`0o755`; the sandbox's umask applies), as `mkdir -p` (`POST files/folder`).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.fs().create_folder("/app/out/logs", 0o755).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_folder(&self, path: &str, mode: u32) -> Result<(), Error> {
        const OPERATION: &str = "create folder";
        let mode = format!("{mode:o}");
        self.write(
            OPERATION,
            Method::POST,
            &["files", "folder"],
            &[("path", non_empty(OPERATION, "path", path)?), ("mode", &mode)],
        )
        .await
    }

    /// Moves or renames `source` to `destination` (`POST files/move`); `destination`'s
    /// parent must exist and `destination` must not (a conflict otherwise).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.fs().rename("/app/draft.md", "/app/final.md").await?;
    /// # Ok(()) }
    /// ```
    pub async fn rename(&self, source: &str, destination: &str) -> Result<(), Error> {
        const OPERATION: &str = "move file";
        self.write(
            OPERATION,
            Method::POST,
            &["files", "move"],
            &[
                ("source", non_empty(OPERATION, "source path", source)?),
                ("destination", non_empty(OPERATION, "destination path", destination)?),
            ],
        )
        .await
    }

    /// Deletes the file `path`, or the directory with all it holds when `recursive`
    /// (a directory without it is refused) (`DELETE files`).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// sandbox.fs().delete("/app/build", true).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, path: &str, recursive: bool) -> Result<(), Error> {
        const OPERATION: &str = "delete file";
        let recursive = if recursive { "true" } else { "false" };
        self.write(
            OPERATION,
            Method::DELETE,
            &["files"],
            &[("path", non_empty(OPERATION, "path", path)?), ("recursive", recursive)],
        )
        .await
    }

    /// The lines that contain `pattern` in the file `path` or the files under it, like
    /// `grep -rn` (`GET files/find`).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let todos = sandbox.fs().find("/app/src", "TODO").await?;
    /// # Ok(()) }
    /// ```
    pub async fn find(&self, path: &str, pattern: &str) -> Result<Vec<Match>, Error> {
        const OPERATION: &str = "find in files";
        self.read(
            OPERATION,
            &["files", "find"],
            &[
                ("path", non_empty(OPERATION, "path", path)?),
                ("pattern", non_empty(OPERATION, "pattern", pattern)?),
            ],
        )
        .await
    }

    /// The paths under `path` whose names match the glob `pattern` (`*.py`)
    /// (`GET files/search`).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let sources = sandbox.fs().search("/app", "*.rs").await?;
    /// # Ok(()) }
    /// ```
    pub async fn search(&self, path: &str, pattern: &str) -> Result<Vec<String>, Error> {
        const OPERATION: &str = "search files";
        #[derive(Deserialize)]
        struct Found {
            files: Vec<String>,
        }
        let found: Found = self
            .read(
                OPERATION,
                &["files", "search"],
                &[
                    ("path", non_empty(OPERATION, "path", path)?),
                    ("pattern", non_empty(OPERATION, "pattern", pattern)?),
                ],
            )
            .await?;
        Ok(found.files)
    }

    /// Replaces every `pattern` with `new_value` in each of `files`; what happened to each
    /// (`POST files/replace`, sent once).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// let results = sandbox.fs().replace(&["/app/config.toml"], "debug = true", "debug = false").await?;
    /// assert!(results.iter().all(|r| r.success));
    /// # Ok(()) }
    /// ```
    pub async fn replace(
        &self,
        files: &[&str],
        pattern: &str,
        new_value: &str,
    ) -> Result<Vec<ReplaceResult>, Error> {
        const OPERATION: &str = "replace in files";
        non_empty(OPERATION, "pattern", pattern)?;
        let url = self.sandbox.toolbox(&["files", "replace"]).await?;
        let body = serde_json::json!({ "files": files, "pattern": pattern, "newValue": new_value });
        let client = self.sandbox.client();
        client
            .call_json(OPERATION, Idempotent::No, || client.request(Method::POST, url.clone()).json(&body))
            .await
    }

    /// Sets the mode, owner and group of `path`, those given in `permissions`
    /// (`POST files/permissions`).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
    /// use pj_daytona::Permissions;
    /// sandbox.fs().set_permissions("/app/run.sh", &Permissions::new().mode(0o755).owner("root")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_permissions(&self, path: &str, permissions: &Permissions) -> Result<(), Error> {
        const OPERATION: &str = "set file permissions";
        let extra = permissions.query();
        let mut query = vec![("path", non_empty(OPERATION, "path", path)?)];
        query.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
        self.write(OPERATION, Method::POST, &["files", "permissions"], &query).await
    }

    /// A GET of the toolbox (retried on transient failures), its JSON answer decoded.
    async fn read<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<T, Error> {
        let url = self.sandbox.toolbox(segments).await?;
        let client = self.sandbox.client();
        client
            .call_json(operation, Idempotent::Yes, || client.request(Method::GET, url.clone()).query(query))
            .await
    }

    /// A change to the file system, sent once; its answer ignored.
    async fn write(
        &self,
        operation: &'static str,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<(), Error> {
        let url = self.sandbox.toolbox(segments).await?;
        let client = self.sandbox.client();
        client
            .call(operation, Idempotent::No, || client.request(method.clone(), url.clone()).query(query))
            .await?;
        Ok(())
    }
}
