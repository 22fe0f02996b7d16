//! The toolbox's file-system answers (`FileInfo`, `Match`, `ReplaceResult`) and the
//! permissions a caller sets.

use serde::{Deserialize, Serialize};

/// What the toolbox says about a file or directory (`GET files/info`, one entry of
/// `GET files`).
///
/// ```no_run
/// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
/// let info = sandbox.fs().info("/app").await?;
/// assert!(info.is_dir);
/// println!("{} {} {}:{} {}", info.mode, info.size, info.owner, info.group, info.modified_at);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FileInfo {
    /// The last element of the path.
    pub name: String,
    /// The full path, when the toolbox sends it (listings and newer daemons do).
    #[serde(default)]
    pub path: Option<String>,
    /// The size in bytes.
    pub size: u64,
    /// Go's spelling of the mode: `drwxr-xr-x`, `-rw-r--r--`.
    pub mode: String,
    /// The permission bits in octal: `0644`.
    #[serde(default)]
    pub permissions: String,
    /// Whether it is a directory (links are followed).
    pub is_dir: bool,
    /// The modification time in Go's `time.String()` layout (deprecated by Daytona in
    /// favour of [`modified_at`](Self::modified_at)).
    pub mod_time: String,
    /// The modification time, RFC 3339.
    #[serde(default)]
    pub modified_at: String,
    /// The owner (a user name or uid, as the toolbox sends it).
    pub owner: String,
    /// The group (a group name or gid, as the toolbox sends it).
    pub group: String,
}

/// One line of a file that contains the pattern of [`Fs::find`](crate::Fs::find).
///
/// ```no_run
/// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
/// for m in sandbox.fs().find("/app", "TODO").await? {
///     println!("{}:{}: {}", m.file, m.line, m.content.trim());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Match {
    /// The file's path.
    pub file: String,
    /// The line number, from 1.
    pub line: u64,
    /// The line.
    pub content: String,
}

/// What [`Fs::replace`](crate::Fs::replace) did to one file.
///
/// ```no_run
/// # async fn demo(sandbox: pj_daytona::Sandbox) -> Result<(), pj_daytona::Error> {
/// for r in sandbox.fs().replace(&["/app/a.py"], "old", "new").await? {
///     if !r.success { eprintln!("{}: {}", r.file, r.error.unwrap_or_default()); }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReplaceResult {
    /// The file's path.
    #[serde(default)]
    pub file: String,
    /// Whether the file was rewritten.
    #[serde(default)]
    pub success: bool,
    /// Why not, when it was not.
    #[serde(default)]
    pub error: Option<String>,
}

/// The mode, owner and group [`Fs::set_permissions`](crate::Fs::set_permissions) sets;
/// what is left unset is left as it is.
///
/// ```
/// let permissions = pj_daytona::Permissions::new().mode(0o750).owner("daytona").group("daytona");
/// assert_eq!(permissions.get_mode(), Some(0o750));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    mode: Option<u32>,
    owner: Option<String>,
    group: Option<String>,
}

impl Permissions {
    /// Nothing to change yet.
    ///
    /// ```
    /// let unchanged = pj_daytona::Permissions::new();
    /// assert_eq!(unchanged.get_mode(), None);
    /// ```
    pub fn new() -> Self {
        Permissions::default()
    }

    /// The permission bits (`0o644`; sent in octal).
    ///
    /// ```
    /// let p = pj_daytona::Permissions::new().mode(0o755);
    /// # let _ = p;
    /// ```
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }

    /// The owner: a user name or uid.
    ///
    /// ```
    /// let p = pj_daytona::Permissions::new().owner("1000");
    /// # let _ = p;
    /// ```
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// The group: a group name or gid.
    ///
    /// ```
    /// let p = pj_daytona::Permissions::new().group("staff");
    /// # let _ = p;
    /// ```
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// The mode to set, if any.
    ///
    /// ```
    /// assert_eq!(pj_daytona::Permissions::new().mode(0o600).get_mode(), Some(0o600));
    /// ```
    pub fn get_mode(&self) -> Option<u32> {
        self.mode
    }

    /// The query of `POST files/permissions`, without the path.
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(mode) = self.mode {
            query.push(("mode", format!("{mode:o}")));
        }
        if let Some(owner) = &self.owner {
            query.push(("owner", owner.clone()));
        }
        if let Some(group) = &self.group {
            query.push(("group", group.clone()));
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_info_reads_the_daemons_shape() {
        let info: FileInfo = serde_json::from_str(
            r#"{"name":"a.txt","path":"/app/a.txt","size":5,"mode":"-rw-r--r--","modTime":"2026-01-02 03:04:05 +0000 UTC",
                "modifiedAt":"2026-01-02T03:04:05Z","isDir":false,"owner":"0","group":"0","permissions":"0644"}"#,
        )
        .expect("a FileInfo");
        assert_eq!((info.size, info.is_dir, info.permissions.as_str()), (5, false, "0644"));
        assert_eq!(info.path.as_deref(), Some("/app/a.txt"));
    }

    #[test]
    fn permissions_are_sent_in_octal() {
        let query = Permissions::new().mode(0o4755).owner("root").query();
        assert_eq!(query, vec![("mode", "4755".to_owned()), ("owner", "root".to_owned())]);
    }
}
