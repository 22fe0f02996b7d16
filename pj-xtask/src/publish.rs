//! `cargo xtask snapshot`: make the snapshot `<name>-v<version>` exist and match the
//! definition, whatever state it is found in (`docs/DESIGN.md`, "Publishing rules").

use std::path::Path;
use std::time::{Duration, Instant};

use pj_daytona::{Client, CreateBuildInfo, CreateSnapshot, Snapshot, SnapshotState};
use pj_daytona_local::{BuildMode, build_decision};
use pj_image::Definition;

use crate::decide::{LocalBuild, Options, Rebuild, Refusal, Step, Usable, asks_local_server, decide};
use crate::failure::{Failure, code};
use crate::project::Project;
use crate::report;
use crate::upload;
use crate::wait;

/// How many times a `POST /snapshots` whose outcome is unknown is reconciled.
const CREATE_ATTEMPTS: u32 = 3;
/// The first pause before creating again, when the server named none (`Retry-After`).
const CREATE_BACKOFF: Duration = Duration::from_secs(1);

pub struct Publish<'a> {
    pub client: &'a Client,
    pub project: &'a Project,
    pub definition: &'a Definition,
    pub deadline: Instant,
    pub replace: bool,
    /// With the local server: how it builds (`None`: Daytona).
    pub local: Option<BuildMode>,
}

/// Reads the snapshot by name: `None` when it does not exist.
pub async fn find(client: &Client, name: &str) -> Result<Option<Snapshot>, Failure> {
    match client.snapshots().get(name).await {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(Failure::api(&format!("cannot read snapshot {name}"), &e)),
    }
}

/// The crate's Cargo.toml, relative to the current directory when it is below it.
fn manifest(project: &Project) -> String {
    let path = &project.manifest_path;
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.clone())
        .display()
        .to_string()
}

/// The refusal when the name exists with another definition.
pub fn drift(project: &Project, diffs: &[String]) -> Failure {
    let mut f = Failure::new(
        code::DRIFT,
        format!("snapshot {} exists with a different definition", project.snapshot),
    )
    .note("snapshot names are immutable: this version's name already belongs to another image");
    for d in diffs {
        f = f.note(d.clone());
    }
    f.help(format!(
        "bump the version in {} (the name follows it), or pass --replace to delete and rebuild it",
        manifest(project)
    ))
}

fn failed(snap: &Snapshot) -> Failure {
    Failure::new(code::BUILD_FAILED, format!("snapshot {} is {}", snap.name, snap.state))
        .note(format!("reason: {}", snap.error_reason.as_deref().unwrap_or("(the server gave none)")))
        .help("fix the definition and bump the version, or re-run with --replace to rebuild this name")
}

impl Publish<'_> {
    pub async fn run(&self) -> Result<Snapshot, Failure> {
        let found = find(self.client, &self.project.snapshot).await?;
        self.converge(found).await
    }

    /// Decides what the snapshot found needs ([`decide`]) and does it.
    async fn converge(&self, found: Option<Snapshot>) -> Result<Snapshot, Failure> {
        let options = Options {
            replace: self.replace,
            region: self.client.target().map(str::to_owned),
            local: self.local_build(found.as_ref()).await,
        };
        let step = decide(self.definition, found.as_ref(), &options);
        match (step, found) {
            // `decide` answers `Create` for a missing snapshot, and only for one.
            (Step::Create, _) | (_, None) => self.create().await,
            (Step::UpToDate(usable), Some(snap)) => {
                match usable {
                    Usable::Built => eprintln!("    {} is up to date", snap.name),
                    Usable::CheckedOnly(reason) => {
                        eprintln!(
                            "    {} is up to date, but was only checked, not built ({reason})",
                            snap.name
                        );
                    }
                    Usable::NotBuildableYet(still) => {
                        eprintln!(
                            "    {} is up to date, but was only checked, not built: {still}",
                            snap.name
                        );
                    }
                }
                Ok(snap)
            }
            (Step::Activate, Some(snap)) => {
                eprintln!("    {} is inactive; activating", snap.name);
                let activated = match self.client.snapshots().activate(&snap.id).await {
                    Ok(s) => s,
                    Err(e) => return Err(Failure::api(&format!("cannot activate {}", snap.name), &e)),
                };
                self.wait(activated, false).await
            }
            (Step::Attach, Some(snap)) => {
                eprintln!("    {} is already {}; following it", snap.name, snap.state);
                self.wait(snap, true).await
            }
            (Step::Rebuild(why), Some(snap)) => {
                match why {
                    Rebuild::CheckedOnly => {
                        eprintln!(
                            "    --replace: {} was only checked, not built; building it again",
                            snap.name
                        );
                    }
                    Rebuild::NowBuildable(mode) => eprintln!(
                        "    {} was only checked, not built; {}: building it",
                        snap.name,
                        match mode {
                            BuildMode::Docker => "the local server now builds (--local-build docker)",
                            _ => "the base image is now on this engine",
                        }
                    ),
                    Rebuild::Drift | Rebuild::Failed => {}
                }
                self.replace_with_new(snap, why).await
            }
            (Step::Refuse(Refusal::Drift(diffs)), Some(_)) => Err(drift(self.project, &diffs)),
            (Step::Refuse(Refusal::Failed), Some(snap)) => Err(failed(&snap)),
            (Step::Refuse(Refusal::Removing), Some(snap)) => {
                Err(Failure::new(code::DRIFT, format!("snapshot {} is being removed", snap.name))
                    .help("wait until it is gone, then re-run to build it again"))
            }
        }
    }

    /// The local server's build decision for this definition, asked only when
    /// [`decide`] reads it (see [`asks_local_server`]).
    async fn local_build(&self, found: Option<&Snapshot>) -> Option<LocalBuild> {
        let mode = self.local?;
        if !asks_local_server(found) {
            return None;
        }
        Some(LocalBuild { mode, now: build_decision(mode, self.definition.dockerfile.as_ref()).await })
    }

    async fn wait(&self, snap: Snapshot, logs: bool) -> Result<Snapshot, Failure> {
        let done = wait::until_done(self.client, snap, self.deadline, logs).await?;
        match done.state {
            SnapshotState::Active => Ok(done),
            _ => Err(failed(&done)),
        }
    }

    /// Deletes `old` and creates the snapshot again: asked for with --replace, or (local
    /// server) for a snapshot that was only checked and can now be built.
    async fn replace_with_new(&self, old: Snapshot, why: Rebuild) -> Result<Snapshot, Failure> {
        match why {
            Rebuild::NowBuildable(_) => eprintln!("    deleting {} ({}) to build it again", old.name, old.id),
            Rebuild::Drift | Rebuild::Failed | Rebuild::CheckedOnly => {
                eprintln!("    --replace: deleting {} ({})", old.name, old.id);
            }
        }
        match self.client.snapshots().delete(&old.id).await {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            // The answer was lost (a cut connection, a timeout, a 5xx): the deletion may
            // have happened. Reading by name tells, instead of failing a run that worked.
            Err(e) if e.status().is_none() || e.is_retryable() => {
                eprintln!(
                    "    deleting {} failed ({e}); reading it by name to see whether it was deleted",
                    old.name
                );
                if let Some(still) = find(self.client, &old.name).await?
                    && still.id == old.id
                    && still.state != SnapshotState::Removing
                {
                    return Err(Failure::api(&format!("cannot delete {}", old.name), &e)
                        .help("re-run the same command; nothing was created"));
                }
            }
            Err(e) => return Err(Failure::api(&format!("cannot delete {}", old.name), &e)),
        }
        while find(self.client, &old.name).await?.is_some() {
            if Instant::now() >= self.deadline {
                return Err(Failure::new(
                    code::TIMEOUT,
                    format!("{} was not removed before the deadline", old.name),
                )
                .help("re-run the same command"));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        self.create().await
    }

    /// Uploads what is missing, creates the snapshot, and waits for it.
    async fn create(&self) -> Result<Snapshot, Failure> {
        upload::contexts(self.client, &self.definition.contexts).await?;
        let r = self.definition.resources;
        let mut request = CreateSnapshot::build(
            self.project.snapshot.clone(),
            CreateBuildInfo::new(self.definition.dockerfile.to_string(), self.definition.context_hashes()),
        )
        .resources(r.cpu, r.memory, r.disk);
        if r.gpu > 0 {
            request.gpu = Some(r.gpu);
        }
        request.region_id = self.client.target().map(str::to_owned);
        let created = self.create_reconciled(&request).await?;
        match created {
            Created::New(snap) => {
                eprintln!("    created {} ({})", snap.name, snap.id);
                self.wait(snap, true).await
            }
            Created::Existing(snap) => Box::pin(self.converge(Some(snap))).await,
        }
    }

    /// `POST /snapshots` is never repeated blindly: when its outcome is unknown (a
    /// timeout, a lost connection, a 429 or 5xx), the snapshot is read by name first, and
    /// created again only after the server's `Retry-After` (or a backoff).
    async fn create_reconciled(&self, request: &CreateSnapshot) -> Result<Created, Failure> {
        let name = &self.project.snapshot;
        let mut last = None;
        for attempt in 0..CREATE_ATTEMPTS {
            match self.client.snapshots().create(request).await {
                Ok(snap) => return Ok(Created::New(snap)),
                Err(e) if e.is_conflict() => {
                    eprintln!("    {name} was created meanwhile; checking it");
                    return match find(self.client, name).await? {
                        Some(s) => Ok(Created::Existing(s)),
                        None => Err(Failure::api(&format!("cannot create {name}"), &e)),
                    };
                }
                Err(e) if e.status().is_none() || e.is_retryable() => {
                    eprintln!(
                        "    creating {name} failed ({e}); reading it by name to see whether it was created"
                    );
                    if let Some(s) = find(self.client, name).await? {
                        return Ok(Created::Existing(s));
                    }
                    // Not created: try again after the wait the server asked for, or a
                    // growing one (1 s, 2 s), never past the deadline.
                    let pause = e.retry_after().unwrap_or(CREATE_BACKOFF * (1 << attempt));
                    if attempt + 1 < CREATE_ATTEMPTS {
                        if Instant::now() + pause >= self.deadline {
                            last = Some(e);
                            break;
                        }
                        eprintln!("    trying again in {:.0} s", pause.as_secs_f64().ceil());
                        tokio::time::sleep(pause).await;
                    }
                    last = Some(e);
                }
                Err(e) => {
                    return Err(Failure::api(&format!("cannot create snapshot {name}"), &e)
                        .or_help("see the message above; nothing was created"));
                }
            }
        }
        let e = last.map(|e| e.to_string()).unwrap_or_default();
        Err(Failure::new(code::FAILED, format!("cannot create snapshot {name}: {e}"))
            .note("it was not created: reading it by name finds nothing")
            .help("re-run when the service recovers; the uploaded contexts are kept"))
    }
}

enum Created {
    New(Snapshot),
    Existing(Snapshot),
}

/// Prints the final summary (`local`: the local server's build mode; whether an image
/// was built), and for a snapshot that was only checked, what that means and what to do.
pub fn finish(snap: &Snapshot, started: Instant, local: Option<BuildMode>) {
    report::summary(snap, started.elapsed(), local.is_some());
    if snap.checked_only.is_some() {
        eprintln!("    note: {} was checked, not built: no sandbox can run from it", snap.name);
        eprintln!("    help: {}", checked_only_help(local, Then::Rerun));
    }
}

/// What the advice for a checked-only snapshot ends with: the command that builds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Then {
    /// Re-running the same command (`snapshot --local`) builds it.
    Rerun,
    /// `--check` and `verify-snapshot` build nothing: `cargo xtask snapshot --local` does.
    Publish,
}

/// What makes the local server build a snapshot it only checked (`local`: its build
/// mode). Publishing is enough: it rebuilds such a snapshot once the server would build it.
pub(crate) fn checked_only_help(local: Option<BuildMode>, then: Then) -> &'static str {
    match (local, then) {
        (Some(BuildMode::CheckOnly), Then::Rerun) => {
            "--local-build check never builds: publish without it (restart a running `cargo xtask local` \
             without it), with the base image on this machine's Docker engine"
        }
        (Some(BuildMode::CheckOnly), Then::Publish) => {
            "--local-build check never builds: run `cargo xtask snapshot --local` without it (restart a \
             running `cargo xtask local` without it), with the base image on this machine's Docker engine"
        }
        (_, Then::Rerun) => {
            "make the base image on this machine's Docker engine (no registry is used; e.g. \
             `bash scripts/debian-base-image.sh` for debian:bookworm-slim), then re-run this command: \
             it builds the snapshot, no --replace needed"
        }
        (_, Then::Publish) => {
            "make the base image on this machine's Docker engine (no registry is used; e.g. \
             `bash scripts/debian-base-image.sh` for debian:bookworm-slim), then run \
             `cargo xtask snapshot --local`: it builds the snapshot, no --replace needed"
        }
    }
}
