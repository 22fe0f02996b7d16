//! `cargo xtask snapshot list` and `snapshot prune`: a package's snapshots across its
//! versions ([`versions`]), and deleting the old ones as [`retention::plan`] decides.
//! Both take the stem as a parameter, so one crate with several images (one stem each)
//! runs them once per stem.

use pj_daytona::{Client, SnapshotState};
use pj_image::Definition;
use semver::Version;

use crate::cli::{ListArgs, PruneArgs, Target};
use crate::compare::matches;
use crate::connect::connect;
use crate::failure::{Failure, code};
use crate::project;
use crate::retention::{Fate, plan};
use crate::versions::{self, Versioned};

/// `cargo xtask snapshot list`: the table of each image's stem, in turn.
pub async fn list(args: ListArgs) -> Result<(), Failure> {
    let run = Stems::load(&args.target).await?;
    let mut outcome = Ok(());
    for (stem, definition) in &run.stems {
        run.header(stem, definition);
        outcome = list_stem(&run.client, stem, &run.current, definition).await;
        if outcome.is_err() {
            break;
        }
    }
    run.finish(outcome).await
}

/// `cargo xtask snapshot prune`: each image's stem in turn.
pub async fn prune(args: PruneArgs) -> Result<(), Failure> {
    let run = Stems::load(&args.target).await?;
    let mut outcome = Ok(());
    for (stem, definition) in &run.stems {
        run.header(stem, definition);
        // A failed deletion is reported and the other stems are still pruned; the exit
        // code is the first failure's, as within one stem.
        let pruned = prune_stem(&run.client, stem, &run.current, args.keep, args.yes).await;
        match (&outcome, pruned) {
            (Ok(()), pruned) => outcome = pruned,
            (Err(_), Err(failure)) => eprintln!("{failure}"),
            (Err(_), Ok(())) => {}
        }
    }
    run.finish(outcome).await
}

/// What `list` and `prune` work on: the stem of each image the package has (or the one
/// `--image` chose), the current version, and the server.
struct Stems {
    stems: Vec<(String, Definition)>,
    current: Version,
    client: Client,
    server: Option<pj_daytona_local::LocalDaytona>,
}

impl Stems {
    async fn load(target: &Target) -> Result<Stems, Failure> {
        let images = project::load(target.package.as_deref(), target.image.as_deref())?;
        let Some((first, _)) = images.first() else {
            return Err(Failure::new(code::FAILED, "the package has no image"));
        };
        let current = current_version(first)?;
        let mut stems = Vec::new();
        for (project, definition) in &images {
            stems.push((versions::stem(&project.snapshot, &project.version)?.to_owned(), definition.clone()));
        }
        let (client, server, _) = connect(first, target).await?;
        Ok(Stems { stems, current, client, server })
    }

    /// With several images, which one the lines below are about.
    fn header(&self, stem: &str, definition: &Definition) {
        if self.stems.len() > 1 {
            println!("==> {}: {stem}-v<version>", project::label(definition));
        }
    }

    /// Stops an embedded server, then returns `outcome`.
    async fn finish(self, outcome: Result<(), Failure>) -> Result<(), Failure> {
        if let Some(server) = self.server {
            server.shutdown().await;
        }
        outcome
    }
}

/// The package's version, as the order of snapshot versions reads it.
fn current_version(project: &project::Project) -> Result<Version, Failure> {
    Version::parse(&project.version).map_err(|e| {
        Failure::new(
            code::CONFIG,
            format!("the version {} of {} is not semantic: {e}", project.version, project.package),
        )
    })
}

/// The table of `stem`'s snapshots, newest first, against `definition` (the current
/// version's).
pub async fn list_stem(
    client: &Client,
    stem: &str,
    current: &Version,
    definition: &Definition,
) -> Result<(), Failure> {
    let found = versions::list(client, stem).await?;
    if found.is_empty() {
        println!("no snapshots named {stem}-v<version>");
        println!("publish the current version ({current}) with `cargo xtask snapshot`");
        return Ok(());
    }
    let width = version_width(&found);
    println!(
        "  {:<width$}  {:<12}  {:>9}  {:<16}  {:<16}  MATCHES",
        "VERSION", "STATE", "SIZE", "CREATED", "LAST USED"
    );
    for Versioned { version, snapshot: s } in &found {
        let mark = if version == current { '*' } else { ' ' };
        let size = s.size.map_or_else(|| "-".to_owned(), |gb| format!("{gb:.2} GB"));
        let last_used = s.last_used_at.as_deref().map_or_else(|| "never".to_owned(), minute);
        println!(
            "{mark} {:<width$}  {:<12}  {size:>9}  {:<16}  {last_used:<16}  {}",
            version.to_string(),
            s.state.as_str(),
            minute(&s.created_at),
            matches(definition, s).as_str()
        );
    }
    let count = plural(found.len());
    if found.iter().any(|v| &v.version == current) {
        println!("{count} of {stem}; * the current version ({current})");
    } else {
        println!(
            "{count} of {stem}; the current version ({current}) has none: publish it with `cargo xtask snapshot`"
        );
    }
    Ok(())
}

/// Prints what [`plan`] decides for `stem`'s snapshots and, with `yes`, deletes those
/// it marks. Each deletion is reported; one that fails does not stop the others, and
/// the command then fails with the first failure's exit code.
pub async fn prune_stem(
    client: &Client,
    stem: &str,
    current: &Version,
    keep: usize,
    yes: bool,
) -> Result<(), Failure> {
    let found = versions::list(client, stem).await?;
    let facts: Vec<(Version, SnapshotState)> =
        found.iter().map(|v| (v.version.clone(), v.snapshot.state)).collect();
    let fates = plan(&facts, current, keep);
    let mode = if yes { "" } else { " (dry run: nothing is deleted without --yes)" };
    println!("pruning {stem}: keeping the current version ({current}) and the {keep} newest{mode}");
    let width = version_width(&found);
    for (Versioned { version, snapshot: s }, fate) in found.iter().zip(&fates) {
        let (action, why) = match fate {
            Fate::Keep(why) => ("keep", why.to_string()),
            Fate::Delete if yes => ("delete", String::new()),
            Fate::Delete => ("would delete", String::new()),
            Fate::Removing => ("skip", "already being removed".to_owned()),
        };
        let line =
            format!("  {action:<12}  {:<width$}  {:<12}  {why}", version.to_string(), s.state.as_str());
        println!("{}", line.trim_end());
    }
    let doomed: Vec<&Versioned> =
        found.iter().zip(&fates).filter(|(_, f)| **f == Fate::Delete).map(|(v, _)| v).collect();
    let kept = fates.iter().filter(|f| matches!(f, Fate::Keep(_))).count();
    if doomed.is_empty() {
        println!("nothing to delete; {kept} kept");
        return Ok(());
    }
    if !yes {
        let names: Vec<&str> = doomed.iter().map(|v| v.snapshot.name.as_str()).collect();
        println!("would delete {}: {}; {kept} kept", plural(doomed.len()), names.join(", "));
        println!("re-run with --yes to delete them");
        return Ok(());
    }
    let mut failures: Vec<Failure> = Vec::new();
    for v in &doomed {
        let name = &v.snapshot.name;
        match client.snapshots().delete(&v.snapshot.id).await {
            Ok(()) => println!("deleted {name}"),
            Err(e) if e.is_not_found() => println!("deleted {name} (it was already gone)"),
            Err(e) => {
                let failure = Failure::api(&format!("cannot delete {name}"), &e);
                println!("failed to delete {name}: {e}");
                failures.push(failure);
            }
        }
    }
    let deleted = doomed.len() - failures.len();
    println!("deleted {}; {kept} kept", plural(deleted));
    match failures.first() {
        None => Ok(()),
        Some(first) => {
            let mut failure =
                Failure::new(first.code, format!("{} of {} deletions failed", failures.len(), doomed.len()));
            for f in &failures {
                failure = failure.note(f.what.clone());
            }
            let help =
                first.help.clone().unwrap_or_else(|| "re-run the same command to try them again".to_owned());
            Err(failure.help(help))
        }
    }
}

fn plural(n: usize) -> String {
    if n == 1 { "1 snapshot".to_owned() } else { format!("{n} snapshots") }
}

fn version_width(found: &[Versioned]) -> usize {
    found.iter().map(|v| v.version.to_string().len()).max().unwrap_or(0).max("VERSION".len())
}

/// An ISO 8601 time to the minute, as `2026-01-02 03:04` (the API's times are UTC);
/// anything else as it came.
fn minute(iso: &str) -> String {
    let b = iso.as_bytes();
    if b.len() >= 16 && b[4] == b'-' && b[10] == b'T' && b[13] == b':' {
        format!("{} {}", &iso[..10], &iso[11..16])
    } else {
        iso.to_owned()
    }
}
