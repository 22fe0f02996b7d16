//! `cargo xtask`: publishing a pithy image as a Daytona snapshot.
//!
//! ```text
//! cargo xtask snapshot [-p PACKAGE] [--dry-run | --check | --local | --docker]
//! cargo xtask verify-snapshot [NAME] [-p PACKAGE] [--local]
//! cargo xtask local [--port N] [--local-build MODE] [--env]
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use daytona::server::{BuildMode, LocalDaytona};
use daytona::{Client, Snapshot};

mod compare;
mod decide;
mod docker;
mod failure;
mod local;
mod project;
mod publish;
mod report;
mod upload;
mod wait;

use decide::{Options, Refusal, Step, Usable, decide};
use failure::{EXIT_CODES, Failure, code};

/// `--help` of the commands that talk to Daytona: the credentials they read, then the
/// exit codes.
const AFTER_HELP: &str = concat!(
    "Environment (not needed with --local):
  DAYTONA_API_KEY            the API key (from Daytona's dashboard)
  DAYTONA_JWT_TOKEN          instead of an API key: a JWT, together with
  DAYTONA_ORGANIZATION_ID    the organization it acts in
  DAYTONA_API_URL            the API (default https://app.daytona.io/api)
  DAYTONA_TARGET             the region (default: the organization's)

",
    exit_codes!()
);

#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", about = "The pithy project's commands", after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Publish the application's image as the Daytona snapshot `<name>-v<version>`,
    /// safely: re-running converges, nothing is duplicated, nothing is deleted unless asked.
    #[command(after_help = AFTER_HELP)]
    Snapshot(SnapshotArgs),
    /// Show a snapshot's state, resources and size, and whether it matches the definition.
    #[command(after_help = AFTER_HELP)]
    VerifySnapshot(VerifyArgs),
    /// Serve the local Daytona-compatible server on 127.0.0.1 until Ctrl-C: the one that
    /// `--local` publishes to and applications run against (state in the target directory's pithy-local).
    /// It prints the `export DAYTONA_API_URL=... DAYTONA_API_KEY=...` lines; the key is
    /// kept in the state directory, so it is the same after a restart.
    #[command(after_help = EXIT_CODES)]
    Local(LocalArgs),
}

#[derive(Args)]
struct LocalArgs {
    /// The API port on 127.0.0.1; the S3 endpoint uses the next one.
    #[arg(long, value_name = "N", default_value_t = local::DEFAULT_PORT)]
    port: u16,
    /// How the server turns builds into images: `auto` builds with this machine's Docker
    /// engine when it has the base image (no registry is used), else checks only and says
    /// so; `docker` always builds; `check` only checks (no image, no sandboxes).
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = parse_build_mode)]
    local_build: BuildMode,
    /// Print only the export lines of the running server, for
    /// `eval "$(cargo xtask local --env)"`; fails when none is running.
    #[arg(long, conflicts_with_all = ["port", "local_build"])]
    env: bool,
}

fn parse_build_mode(s: &str) -> Result<BuildMode, String> {
    s.parse()
}

#[derive(Args)]
struct Target {
    /// The application package (default: the workspace's only crate with
    /// [package.metadata.pithy-image]).
    #[arg(short = 'p', long = "package", value_name = "PACKAGE")]
    package: Option<String>,
    /// Use the local Daytona-compatible server instead of Daytona (no account needed):
    /// the running `cargo xtask local` if there is one, else an embedded server for this
    /// command; both keep their state in the target directory's pithy-local.
    #[arg(long)]
    local: bool,
    /// With --local and no running `cargo xtask local`: `auto` (the default) builds the
    /// image with this machine's Docker engine when it has the base image (no registry is
    /// used), else only checks the build, and says so; `docker` always builds; `check`
    /// only checks (no image; no sandboxes can run from it).
    #[arg(long, value_name = "MODE", value_parser = parse_build_mode, requires = "local")]
    local_build: Option<BuildMode>,
}

#[derive(Args)]
struct SnapshotArgs {
    #[command(flatten)]
    target: Target,
    /// Print the name, Dockerfile, contexts, resources and build key; no network.
    #[arg(long, conflicts_with_all = ["check", "docker", "replace"])]
    dry_run: bool,
    /// CI guard: exit 0 only if the snapshot exists, is usable, and matches the
    /// definition; otherwise say what differs. Uploads and creates nothing.
    #[arg(long, conflicts_with_all = ["docker", "replace"])]
    check: bool,
    /// Build the image with the local Docker engine from the runner's build context,
    /// tagged NAME:vVERSION.
    #[arg(long, conflicts_with = "replace")]
    docker: bool,
    /// Delete and rebuild the snapshot when it exists with another definition, failed,
    /// or (local server) was only checked, not built.
    #[arg(long)]
    replace: bool,
    /// How long to wait for the snapshot to become active, e.g. 90s, 20m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    timeout: Duration,
}

#[derive(Args)]
struct VerifyArgs {
    /// The snapshot name (default: the application's `<name>-v<version>`).
    name: Option<String>,
    #[command(flatten)]
    target: Target,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number.parse().map_err(|_| format!("{s:?} is not a duration; write e.g. 90s, 20m or 1h"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("unknown unit {unit:?} in {s:?}; use s, m or h")),
    };
    if secs == 0 {
        return Err("the timeout must be positive".to_owned());
    }
    Ok(Duration::from_secs(secs))
}

/// The client: from the environment, or for `--local` the local server (an embedded
/// one is returned too, so it lives as long as the command) and its build mode.
async fn connect(
    project: &project::Project,
    target: &Target,
) -> Result<(Client, Option<LocalDaytona>, Option<BuildMode>), Failure> {
    if target.local {
        let (client, server, mode) = local::connect(&project.target_dir, target.local_build).await?;
        return Ok((client, server, Some(mode)));
    }
    let client = Client::from_env().map_err(|e| {
        Failure::new(code::CONFIG, format!("cannot configure the Daytona client: {e}"))
            .help("set DAYTONA_API_KEY (or DAYTONA_JWT_TOKEN and DAYTONA_ORGANIZATION_ID), or use --local")
    })?;
    Ok((client, None, None))
}

async fn snapshot(args: SnapshotArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let (project, definition) = project::load(args.target.package.as_deref())?;
    let contexts = project::contexts(&definition)?;
    if args.dry_run {
        report::dry_run(&project, &definition, &contexts);
        return Ok(());
    }
    if args.docker {
        let tag = docker::build(&project, &definition, &contexts)?;
        println!("built {tag}; try: docker run --rm -it {tag}");
        return Ok(());
    }
    let (client, server, local) = connect(&project, &args.target).await?;
    let outcome = if args.check {
        check(&client, &project, &definition).await
    } else {
        let publish = publish::Publish {
            client: &client,
            project: &project,
            definition: &definition,
            contexts: &contexts,
            deadline: Instant::now() + args.timeout,
            replace: args.replace,
            local,
        };
        publish.run().await.map(|snap| publish::finish(&snap, started, local))
    };
    if let Some(server) = server {
        server.shutdown().await;
    }
    outcome
}

/// `--check`: exists, usable, and the same definition.
async fn check(
    client: &Client,
    project: &project::Project,
    definition: &pj_image::Definition,
) -> Result<(), Failure> {
    let found = publish::find(client, &project.snapshot).await?;
    verdict(project, definition, found.as_ref())
}

/// `--check` and `verify-snapshot`: the publishing table's step for the snapshot found,
/// read as a verdict. Only "up to date" passes; everything `snapshot` would still have
/// to do is drift (or a failed build), and says which command does it.
fn verdict(
    project: &project::Project,
    definition: &pj_image::Definition,
    found: Option<&Snapshot>,
) -> Result<(), Failure> {
    let name = &project.snapshot;
    // No --replace and no local-server facts: a check never rebuilds, so a snapshot
    // that was only checked, not built, is up to date with its reason.
    let step = decide(definition, found, &Options::default());
    match (step, found) {
        (Step::Create, _) | (_, None) => {
            Err(Failure::new(code::DRIFT, format!("snapshot {name} does not exist"))
                .help("publish it with `cargo xtask snapshot`"))
        }
        (Step::UpToDate(usable), Some(_)) => {
            match usable {
                Usable::Built => {
                    println!("{name} is up to date: it exists, is active, and matches the definition")
                }
                Usable::CheckedOnly(reason) | Usable::NotBuildableYet(reason) => println!(
                    "{name} is up to date: it exists, is active, and matches the definition \
                     (checked, not built: {reason})"
                ),
            }
            Ok(())
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

async fn verify(args: VerifyArgs) -> Result<(), Failure> {
    let (project, definition) = project::load(args.target.package.as_deref())?;
    let name = args.name.clone().unwrap_or_else(|| project.snapshot.clone());
    let (client, server, _) = connect(&project, &args.target).await?;
    let outcome = async {
        let Some(snap) = publish::find(&client, &name).await? else {
            return Err(Failure::new(code::DRIFT, format!("snapshot {name} does not exist")));
        };
        report::summary(&snap, Duration::ZERO, args.target.local);
        let remote_key = snap.build_info.as_ref().map(|b| b.snapshot_ref.clone()).unwrap_or_default();
        println!("build key   {remote_key}");
        let diffs = compare::differences(&definition, &snap);
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
        verdict(&checked, &definition, Some(&snap))
    }
    .await;
    if let Some(server) = server {
        server.shutdown().await;
    }
    outcome
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match local_command(&cli.command) {
        Some(Ok(())) => return ExitCode::from(code::OK),
        Some(Err(failure)) => {
            eprintln!("{failure}");
            return ExitCode::from(failure.code);
        }
        None => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(code::FAILED);
        }
    };
    let work = async {
        match cli.command {
            Command::Snapshot(args) => snapshot(args).await,
            Command::VerifySnapshot(args) => verify(args).await,
            Command::Local(_) => Ok(()),
        }
    };
    let result = runtime.block_on(async {
        tokio::select! {
            r = work => r,
            _ = tokio::signal::ctrl_c() => Err(Failure::new(code::INTERRUPTED, "interrupted")
                .note("what was uploaded or created stays; the server keeps building")
                .help("re-run the same command to resume")),
        }
    });
    match result {
        Ok(()) => ExitCode::from(code::OK),
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(failure.code)
        }
    }
}

/// `cargo xtask local`: it handles Ctrl-C itself (a clean stop, not an interruption).
fn local_command(command: &Command) -> Option<Result<(), Failure>> {
    let Command::Local(args) = command else { return None };
    let run = || {
        let target_dir = project::target_dir()?;
        if args.env {
            return local::env(&target_dir);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::new(code::FAILED, format!("cannot start the async runtime: {e}")))?;
        runtime.block_on(local::serve(&target_dir, args.port, args.local_build))
    };
    Some(run())
}
