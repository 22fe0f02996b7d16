//! `snapshot --check` and `verify-snapshot`: the snapshot found, read as a verdict
//! against the definition.

use std::time::Duration;

use pj_daytona::{Client, Snapshot};
use pj_daytona_local::BuildMode;

use crate::cli::VerifyArgs;
use crate::connect::connect;
use crate::decide::{Options, Refusal, Step, Usable, decide};
use crate::failure::{Failure, code};
use crate::{compare, project, publish, report};

/// `--check`: exists, usable, and the same definition. `local`: the local server's build
/// mode, with `--local`.
pub async fn check(
    client: &Client,
    project: &project::Project,
    definition: &pj_image::Definition,
    local: Option<BuildMode>,
) -> Result<(), Failure> {
    let found = publish::find(client, &project.snapshot).await?;
    verdict(project, definition, found.as_ref(), client.target(), local)
}

/// `--check` and `verify-snapshot`: the publishing table's step for the snapshot found,
/// read as a verdict. Only "up to date" and built passes; everything `snapshot` would
/// still have to do is drift (or a failed build), and says which command does it. A
/// snapshot the local server only checked is drift too (not usable: no sandbox can run
/// from it), whatever `snapshot --local` makes of it.
fn verdict(
    project: &project::Project,
    definition: &pj_image::Definition,
    found: Option<&Snapshot>,
    region: Option<&str>,
    local: Option<BuildMode>,
) -> Result<(), Failure> {
    let name = &project.snapshot;
    // No --replace and no local-server facts: a check never rebuilds.
    let step =
        decide(definition, found, &Options { region: region.map(str::to_owned), ..Options::default() });
    match (step, found) {
        (Step::Create, _) | (_, None) => {
            Err(Failure::new(code::DRIFT, format!("snapshot {name} does not exist"))
                .help("publish it with `cargo xtask snapshot`"))
        }
        (Step::UpToDate(Usable::Built), Some(_)) => {
            println!("{name} is up to date: it exists, is active, and matches the definition");
            Ok(())
        }
        (Step::UpToDate(Usable::CheckedOnly(reason) | Usable::NotBuildableYet(reason)), Some(_)) => {
            Err(Failure::new(
                code::DRIFT,
                format!("snapshot {name} matches the definition but was only checked, not built"),
            )
            .note(format!(
                "the local server checked it like Daytona's runner but built no image, because {reason}"
            ))
            .note("no sandbox can run from it")
            .help(publish::checked_only_help(local, publish::Then::Publish)))
        }
        (Step::Refuse(Refusal::Drift(diffs)), Some(_)) => Err(publish::drift(project, &diffs)),
        (Step::Refuse(Refusal::Failed), Some(snap)) => Err(Failure::new(
            code::BUILD_FAILED,
            format!("snapshot {name} matches the definition but is {}", snap.state),
        )
        .note(format!("reason: {}", snap.error_reason.as_deref().unwrap_or("(none given)")))
        .help("rebuild it with `cargo xtask snapshot --replace`")),
        // Inactive, on its way, being removed (or, with options a check never sets, to
        // be rebuilt): not usable now.
        (Step::Activate | Step::Attach | Step::Refuse(Refusal::Removing) | Step::Rebuild(_), Some(snap)) => {
            Err(Failure::new(
                code::DRIFT,
                format!("snapshot {name} matches the definition but is {}", snap.state),
            )
            .help("run `cargo xtask snapshot` to activate it or wait for it"))
        }
    }
}

/// The image `verify-snapshot` compares with: the only one, or the one whose snapshot is
/// `name`.
fn one_image(
    mut images: Vec<(project::Project, pj_image::Definition)>,
    name: Option<&str>,
) -> Result<(project::Project, pj_image::Definition), Failure> {
    if let Some(i) = images.iter().position(|(p, _)| Some(p.snapshot.as_str()) == name) {
        return Ok(images.swap_remove(i));
    }
    if images.len() == 1 {
        return Ok(images.swap_remove(0));
    }
    let names: Vec<String> = images.iter().map(|(_, d)| project::label(d)).collect();
    Err(Failure::new(code::CONFIG, "the package has several images; which one should the snapshot match?")
        .note(format!("its images: {}", names.join(", ")))
        .help("choose one with --image NAME"))
}

pub async fn verify(args: VerifyArgs) -> Result<(), Failure> {
    let images = project::load(args.target.package.as_deref(), args.target.image.as_deref())?;
    let (project, definition) = one_image(images, args.name.as_deref())?;
    let name = args.name.clone().unwrap_or_else(|| project.snapshot.clone());
    let (client, server, mode) = connect(&project, &args.target).await?;
    let outcome = async {
        let Some(snap) = publish::find(&client, &name).await? else {
            return Err(Failure::new(code::DRIFT, format!("snapshot {name} does not exist")));
        };
        report::summary(&snap, Duration::ZERO, args.target.local);
        let remote_key = snap.build_info.as_ref().map(|b| b.snapshot_ref.clone()).unwrap_or_default();
        println!("build key   {remote_key}");
        let diffs = compare::differences(&definition, &snap, client.target());
        if diffs.is_empty() {
            println!("match       yes: the Dockerfile, context hashes and resources of {}", project.package);
        } else {
            println!("match       no:");
            for d in &diffs {
                for line in d.lines() {
                    println!("  {line}");
                }
            }
        }
        let mut checked = project.clone();
        checked.snapshot = name.clone();
        verdict(&checked, &definition, Some(&snap), client.target(), mode)
    }
    .await;
    if let Some(server) = server {
        server.shutdown().await;
    }
    outcome
}
