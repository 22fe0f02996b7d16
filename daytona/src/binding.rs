//! A binary bound to its snapshot by content, not only by name: before a sandbox is
//! created, the snapshot's build key (`buildInfo.snapshotRef`, which Daytona derives from
//! the Dockerfile and the context hashes) must be the one the binary was compiled with.
//! A snapshot replaced with `--replace`, or published from other code under the same
//! name, is refused with what to do; one Daytona deactivated (after two weeks unused) is
//! activated and waited for, so a rollback to an old binary still starts.

use std::time::{Duration, Instant};

use crate::{Client, CreateSandbox, Error, Sandbox, Snapshot, SnapshotState};

/// Why a snapshot cannot serve a bound binary ([`Error::Unbound`]).
///
/// ```
/// use pj_daytona::Unbound;
/// let why = Unbound::Replaced { expected: "daytona-aa:daytona".into(), found: None };
/// assert!(why.to_string().contains("not built from a Dockerfile"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unbound {
    /// Its build key is not the compiled one: it was replaced, or published from other
    /// code under this name. `found` is `None` for a snapshot made from an image.
    Replaced {
        /// The build key the binary was compiled with.
        expected: String,
        /// The snapshot's build key, if it was built from a Dockerfile.
        found: Option<String>,
    },
    /// It is in a state no sandbox can start from (`build_failed`, `error`, `removing`,
    /// or a state this client does not know), with Daytona's reason when it gave one.
    State {
        /// The state.
        state: SnapshotState,
        /// Daytona's `errorReason`.
        reason: Option<String>,
    },
}

impl std::fmt::Display for Unbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unbound::Replaced { expected, found: Some(found) } => write!(
                f,
                "it was built from other code (build key {found}; this binary was compiled for {expected}): \
                 it was replaced, or published from other code under this name. Publish this version's own \
                 snapshot (`cargo xtask snapshot --replace` from the code this binary was built from), or run \
                 the binary that matches the snapshot"
            ),
            Unbound::Replaced { expected, found: None } => write!(
                f,
                "it was not built from a Dockerfile (it has no buildInfo), so it is not this binary's snapshot \
                 (compiled for {expected}). Delete it and publish with `cargo xtask snapshot`"
            ),
            Unbound::State { state, reason } => {
                write!(f, "it is {state}")?;
                if let Some(reason) = reason {
                    write!(f, " ({reason})")?;
                }
                match state {
                    SnapshotState::Removing => write!(f, "; publish it again once it is gone"),
                    _ => {
                        write!(f, "; see `cargo xtask verify-snapshot`, and publish it again with --replace")
                    }
                }
            }
        }
    }
}

/// A snapshot name and the build key a binary was compiled for, from
/// [`Client::bound`]. With `#[pithy_image]`: `client.bound(SNAPSHOT, &PITHY_DEFINITION.build_key)`.
///
/// ```no_run
/// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
/// use pj_daytona::CreateSandbox;
/// let bound = client.bound("pithy-jaunt-v1.0.6", "daytona-0123abcd:daytona");
/// let sandbox = bound.create_sandbox(CreateSandbox::default()).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Bound<'a> {
    client: &'a Client,
    name: &'a str,
    build_key: &'a str,
    timeout: Duration,
    poll: Duration,
}

impl Client {
    /// The snapshot `name`, bound to `build_key` (see [`Bound`]). Nothing is sent until
    /// [`Bound::snapshot`] or [`Bound::create_sandbox`].
    ///
    /// ```
    /// let client = pj_daytona::Client::builder().api_key("k").build().unwrap();
    /// let bound = client.bound("app-v1.0.0", "daytona-ab:daytona");
    /// assert_eq!(bound.name(), "app-v1.0.0");
    /// ```
    pub fn bound<'a>(&'a self, name: &'a str, build_key: &'a str) -> Bound<'a> {
        Bound {
            client: self,
            name,
            build_key,
            timeout: Duration::from_secs(600),
            poll: Duration::from_secs(1),
        }
    }
}

impl<'a> Bound<'a> {
    /// How long an activation (or a build in progress) is waited for; 10 minutes by default.
    ///
    /// ```
    /// # let client = pj_daytona::Client::builder().api_key("k").build().unwrap();
    /// let bound = client.bound("app-v1.0.0", "daytona-ab:daytona").timeout(std::time::Duration::from_secs(60));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How often the state is read while waiting; 1 s by default (Daytona's SDKs poll at
    /// the same pace).
    ///
    /// ```
    /// # let client = pj_daytona::Client::builder().api_key("k").build().unwrap();
    /// let bound = client.bound("app-v1.0.0", "daytona-ab:daytona").poll(std::time::Duration::from_millis(200));
    /// ```
    pub fn poll(mut self, every: Duration) -> Self {
        self.poll = every;
        self
    }

    /// The snapshot's name.
    ///
    /// ```
    /// # let client = pj_daytona::Client::builder().api_key("k").build().unwrap();
    /// assert_eq!(client.bound("app-v1.0.0", "k").name(), "app-v1.0.0");
    /// ```
    pub fn name(&self) -> &str {
        self.name
    }

    /// The snapshot, `active` and built from the compiled definition: read by name, its
    /// build key checked first (a replaced snapshot is never activated), then activated
    /// when `inactive`, and waited for while `pending` or building.
    ///
    /// Errors: a 404 ([`Error::is_not_found`]) when it was never published;
    /// [`Error::Unbound`] when it is not this binary's or cannot start a sandbox;
    /// [`Error::Timeout`] when it is not `active` within [`timeout`](Self::timeout).
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let snapshot = client.bound("app-v1.0.0", "daytona-ab:daytona").snapshot().await?;
    /// assert_eq!(snapshot.state, pj_daytona::SnapshotState::Active);
    /// # Ok(()) }
    /// ```
    pub async fn snapshot(&self) -> Result<Snapshot, Error> {
        let operation = "wait for snapshot";
        let deadline = Instant::now() + self.timeout;
        let mut snapshot = self.client.snapshots().get(self.name).await?;
        self.check_build_key(&snapshot)?;
        let mut activated = false;
        loop {
            match snapshot.state {
                SnapshotState::Active => return Ok(snapshot),
                SnapshotState::Inactive if !activated => {
                    snapshot = self.client.snapshots().activate(&snapshot.id).await?;
                    activated = true;
                    continue;
                }
                SnapshotState::Pending
                | SnapshotState::Building
                | SnapshotState::Pulling
                | SnapshotState::Snapshotting
                | SnapshotState::Inactive => {}
                state => return Err(self.unbound(Unbound::State { state, reason: snapshot.error_reason })),
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout { operation, after: self.timeout });
            }
            tokio::time::sleep(self.poll.min(deadline.saturating_duration_since(Instant::now()))).await;
            snapshot = self.client.snapshots().get(&snapshot.id).await?;
        }
    }

    /// A sandbox from the bound snapshot, once [`snapshot`](Self::snapshot) has it
    /// `active` and matching, created from that snapshot by its id (a snapshot replaced
    /// since under the same name is not used), and waited for until it is `started`
    /// (within [`timeout`](Self::timeout)).
    ///
    /// ```no_run
    /// # async fn demo(client: pj_daytona::Client) -> Result<(), pj_daytona::Error> {
    /// let mut request = pj_daytona::CreateSandbox::default();
    /// request.labels.insert("app".into(), "pithy-jaunt".into());
    /// let sandbox = client.bound("app-v1.0.0", "daytona-ab:daytona").create_sandbox(request).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_sandbox(&self, mut request: CreateSandbox) -> Result<Sandbox, Error> {
        let snapshot = self.snapshot().await?;
        request.snapshot = Some(snapshot.id);
        self.client.sandboxes().create_with_timeout(&request, self.timeout).await
    }

    fn check_build_key(&self, snapshot: &Snapshot) -> Result<(), Error> {
        let found = snapshot.build_info.as_ref().map(|b| b.snapshot_ref.clone());
        if found.as_deref() == Some(self.build_key) {
            return Ok(());
        }
        Err(self.unbound(Unbound::Replaced { expected: self.build_key.to_owned(), found }))
    }

    fn unbound(&self, why: Unbound) -> Error {
        Error::Unbound { name: self.name.to_owned(), why }
    }
}
