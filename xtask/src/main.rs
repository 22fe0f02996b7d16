//! `cargo xtask`: publishing a pithy image as a Daytona snapshot.
//!
//! ```text
//! cargo xtask snapshot [-p PACKAGE] [--dry-run | --check | --local | --docker]
//! cargo xtask verify-snapshot [NAME] [-p PACKAGE] [--local]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use daytona::server::{BuildMode, LocalDaytona, ServerConfig};
use daytona::{Client, SnapshotState};

mod compare;
mod docker;
mod failure;
mod project;
mod publish;
mod report;
mod upload;
mod wait;

use failure::{EXIT_CODES, Failure, code};

#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", about = "The pithy project's commands", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Publish the application's image as the Daytona snapshot `<name>-v<version>`,
    /// safely: re-running converges, nothing is duplicated, nothing is deleted unless asked.
    #[command(after_help = EXIT_CODES)]
    Snapshot(SnapshotArgs),
    /// Show a snapshot's state, resources and size, and whether it matches the definition.
    #[command(after_help = EXIT_CODES)]
    VerifySnapshot(VerifyArgs),
}

#[derive(Args)]
struct Target {
    /// The application package (default: the workspace's only crate with
    /// [package.metadata.pithy-image]).
    #[arg(short = 'p', long = "package", value_name = "PACKAGE")]
    package: Option<String>,
    /// Use the embedded local Daytona-compatible server (state under target/pithy-local)
    /// instead of Daytona; needs no account.
    #[arg(long)]
    local: bool,
    /// With --local: `docker` builds the image with this machine's Docker engine,
    /// `check` runs the runner's checks only (no image; the build log says so), `auto`
    /// builds when the engine is reachable and has the base image (no registry is
    /// needed), else checks only.
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = ["auto", "docker", "check"], requires = "local")]
    local_build: String,
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
    /// Delete and rebuild the snapshot when it exists with another definition or failed.
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

/// The client: from the environment, or for `--local` against the embedded server
/// (returned too, so it lives as long as the command).
async fn connect(
    project: &project::Project,
    target: &Target,
    definition: &pj_image::Definition,
    publishing: bool,
) -> Result<(Client, Option<LocalDaytona>), Failure> {
    if target.local {
        // PITHY_LOCAL_STATE_DIR moves the local server's state (tests keep runs apart).
        let state: PathBuf = std::env::var_os("PITHY_LOCAL_STATE_DIR")
            .map_or_else(|| project.target_dir.join("pithy-local"), PathBuf::from);
        let mode = match target.local_build.as_str() {
            "docker" => BuildMode::Docker,
            "check" => BuildMode::CheckOnly,
            _ => {
                let base =
                    definition.dockerfile.lines().next().and_then(|l| l.strip_prefix("FROM ")).unwrap_or("");
                if docker::has_image(base) {
                    BuildMode::Docker
                } else {
                    // Only publishing builds; a check or a verify needs no note.
                    if publishing {
                        eprintln!(
                            "    note: the base image {base:?} is not on this machine's Docker engine, and no registry is \
                         used: the local server will check the build like Daytona's runner but not build an image \
                         (--local-build docker requires a real build)"
                        );
                    }
                    BuildMode::CheckOnly
                }
            }
        };
        let server = LocalDaytona::start(ServerConfig::new(&state).build_mode(mode)).await.map_err(|e| {
            Failure::new(code::FAILED, format!("cannot start the local Daytona server: {e}"))
                .note(format!("its state lives in {}", state.display()))
        })?;
        eprintln!("    local Daytona server at {} (state in {})", server.url(), state.display());
        let client = server
            .client_builder()
            .build()
            .map_err(|e| Failure::new(code::CONFIG, format!("cannot configure the client: {e}")))?;
        return Ok((client, Some(server)));
    }
    let client = Client::from_env().map_err(|e| {
        Failure::new(code::CONFIG, format!("cannot configure the Daytona client: {e}"))
            .help("set DAYTONA_API_KEY (or DAYTONA_JWT_TOKEN and DAYTONA_ORGANIZATION_ID), or use --local")
    })?;
    Ok((client, None))
}

async fn snapshot(args: SnapshotArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let project = project::locate(args.target.package.as_deref())?;
    let definition = project::definition(&project)?;
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
    let (client, server) = connect(&project, &args.target, &definition, !args.check).await?;
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
        };
        publish.run().await.map(|snap| publish::finish(&snap, started))
    };
    if let Some(server) = server {
        server.shutdown().await;
    }
    outcome
}

/// `--check` and `verify-snapshot`: exists, usable, and the same definition.
async fn check(
    client: &Client,
    project: &project::Project,
    definition: &pj_image::Definition,
) -> Result<(), Failure> {
    let name = &project.snapshot;
    let Some(snap) = publish::find(client, name).await? else {
        return Err(Failure::new(code::DRIFT, format!("snapshot {name} does not exist"))
            .help("publish it with `cargo xtask snapshot`"));
    };
    let diffs = compare::differences(definition, &snap);
    if !diffs.is_empty() {
        return Err(publish::drift(project, &diffs));
    }
    match snap.state {
        SnapshotState::Active => {
            println!("{name} is up to date: it exists, is active, and matches the definition");
            Ok(())
        }
        SnapshotState::BuildFailed | SnapshotState::Error => Err(Failure::new(
            code::BUILD_FAILED,
            format!("snapshot {name} matches the definition but is {}", snap.state),
        )
        .note(format!("reason: {}", snap.error_reason.as_deref().unwrap_or("(none given)")))
        .help("rebuild it with `cargo xtask snapshot --replace`")),
        other => {
            Err(Failure::new(code::DRIFT, format!("snapshot {name} matches the definition but is {other}"))
                .help("run `cargo xtask snapshot` to activate it or wait for it"))
        }
    }
}

async fn verify(args: VerifyArgs) -> Result<(), Failure> {
    let project = project::locate(args.target.package.as_deref())?;
    let name = args.name.clone().unwrap_or_else(|| project.snapshot.clone());
    let definition = project::definition(&project)?;
    let (client, server) = connect(&project, &args.target, &definition, false).await?;
    let outcome = async {
        let Some(snap) = publish::find(&client, &name).await? else {
            return Err(Failure::new(code::DRIFT, format!("snapshot {name} does not exist")));
        };
        report::summary(&snap, Duration::ZERO);
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
        check(&client, &checked, &definition).await
    }
    .await;
    if let Some(server) = server {
        server.shutdown().await;
    }
    outcome
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
