//! # pj-xtask: `cargo xtask snapshot` as a library
//!
//! pithy checks a container image definition at compile time (`#[pithy_image]` from
//! `pj-image-macros`) and names its Daytona snapshot after the crate version. This crate is
//! the command that publishes it: it builds the application crate, reads the definition the
//! compiler embedded, and makes the snapshot `<name>-v<version>` exist and match it, safely
//! to re-run; `--check` proves in CI that it does, without changing anything. A crate with
//! several images (`#[pithy_image(name = "gpu")]`) has one snapshot each
//! (`<name>-gpu-v<version>`): the commands take them all in turn, or one with `--image NAME`.
//!
//! ```text
//! cargo xtask snapshot [-p PACKAGE] [--image NAME] [--dry-run | --check | --local | --docker]
//! cargo xtask snapshot list [-p PACKAGE] [--image NAME] [--local]
//! cargo xtask snapshot prune --keep N [--yes] [-p PACKAGE] [--image NAME] [--local]
//! cargo xtask verify-snapshot [NAME] [-p PACKAGE] [--image NAME] [--local]
//! cargo xtask local [--port N] [--local-build MODE] [--env]
//! ```
//!
//! A `cargo xtask` is each workspace's own binary crate (with the alias
//! `xtask = "run --package xtask --"` in `.cargo/config.toml`). The whole of it can be this
//! crate:
//!
//! ```no_run
//! // xtask/src/main.rs
//! fn main() -> std::process::ExitCode {
//!     pj_xtask::main()
//! }
//! ```
//!
//! Or mount pithy's commands next to the team's own ones: [`Command`] is a
//! `clap::Subcommand`, so it flattens into another one, and [`run`] runs it (the team's
//! xtask then depends on `clap` 4 with its `derive` feature too):
//!
//! ```no_run
//! use std::process::ExitCode;
//!
//! use clap::{Parser, Subcommand};
//!
//! #[derive(Parser)]
//! #[command(name = "cargo xtask", bin_name = "cargo xtask")]
//! struct Cli {
//!     #[command(subcommand)]
//!     command: Xtask,
//! }
//!
//! #[derive(Subcommand)]
//! enum Xtask {
//!     /// pithy's `snapshot`, `verify-snapshot` and `local`.
//!     #[command(flatten)]
//!     Pithy(pj_xtask::Command),
//!     /// The team's own command.
//!     Lint,
//! }
//!
//! fn main() -> ExitCode {
//!     match Cli::parse().command {
//!         Xtask::Pithy(command) => pj_xtask::run(command),
//!         Xtask::Lint => ExitCode::SUCCESS,
//!     }
//! }
//! ```
//!
//! The application crate is found with `cargo metadata` from the current directory: the
//! workspace's only package with `[package.metadata.pithy-image]`, or `-p PACKAGE`. The exit
//! codes (listed in every `--help`) are 0 done, 1 unexpected failure, 2 usage or
//! configuration, 3 drift, 4 build failed, 5 timeout, 130 interrupted.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

mod cli;
mod compare;
mod connect;
mod decide;
mod docker;
mod failure;
mod lifecycle;
mod local;
mod project;
mod publish;
mod report;
mod retention;
mod upload;
mod verify;
mod versions;
mod wait;

pub use cli::{
    Cli, Command, ListArgs, LocalArgs, PruneArgs, SnapshotArgs, SnapshotCommand, Target, VerifyArgs,
};
use connect::connect;
use failure::{Failure, code};
use verify::{check, verify};

async fn snapshot(args: SnapshotArgs) -> Result<(), Failure> {
    match args.command {
        Some(SnapshotCommand::List(list)) => return lifecycle::list(list).await,
        Some(SnapshotCommand::Prune(prune)) => return lifecycle::prune(prune).await,
        None => {}
    }
    let images = project::load(args.target.package.as_deref(), args.target.image.as_deref())?;
    // Publishing reads no context before the API says an upload is needed: the build
    // that just ran re-checked them (the build script tracks them), and the upload
    // verifies each one against its compiled hash in its one read.
    let connection = if args.dry_run || args.docker {
        None
    } else {
        // One server for all the images: `load` returned at least one.
        let Some((project, _)) = images.first() else { return Ok(()) };
        Some(connect(project, &args.target).await?)
    };
    let client = connection.as_ref().map(|(client, _, local)| (client, *local));
    let several = images.len() > 1;
    let mut failed: Vec<(String, u8)> = Vec::new();
    for (project, definition) in &images {
        if several {
            println!(
                "==> {} of {}: snapshot {}",
                project::label(definition),
                project.package,
                project.snapshot
            );
        }
        let outcome = snapshot_image(&args, project, definition, client).await;
        match outcome {
            Ok(()) => {}
            Err(failure) if several => {
                eprintln!("{failure}");
                failed.push((project::label(definition), failure.code));
            }
            Err(failure) => return finish(connection, Err(failure)).await,
        }
    }
    let outcome = match failed.iter().map(|(_, code)| *code).max() {
        None => Ok(()),
        Some(worst) => {
            let which: Vec<&str> = failed.iter().map(|(label, _)| label.as_str()).collect();
            Err(Failure::new(
                worst,
                format!("{} of {} images failed: {}", failed.len(), images.len(), which.join(", ")),
            )
            .note("each image's error is above; the exit code is the highest of theirs")
            .help("fix them and re-run; images already done are up to date and are left as they are"))
        }
    };
    finish(connection, outcome).await
}

/// Stops an embedded local server, then returns `outcome`.
async fn finish(
    connection: Option<(
        pj_daytona::Client,
        Option<pj_daytona_local::LocalDaytona>,
        Option<pj_daytona_local::BuildMode>,
    )>,
    outcome: Result<(), Failure>,
) -> Result<(), Failure> {
    if let Some((_, Some(server), _)) = connection {
        server.shutdown().await;
    }
    outcome
}

/// `cargo xtask snapshot` for one image; `client` is `None` for `--dry-run` and `--docker`.
async fn snapshot_image(
    args: &SnapshotArgs,
    project: &project::Project,
    definition: &pj_image::Definition,
    client: Option<(&pj_daytona::Client, Option<pj_daytona_local::BuildMode>)>,
) -> Result<(), Failure> {
    let started = Instant::now();
    if args.dry_run {
        report::dry_run(project, definition, &project::contexts(definition)?);
        return Ok(());
    }
    if args.docker {
        let tag = docker::build(project, definition, &project::contexts(definition)?)?;
        println!("built {tag}; try: docker run --rm -it {tag}");
        return Ok(());
    }
    let Some((client, local)) = client else {
        return Err(Failure::new(code::FAILED, "no connection to publish with"));
    };
    if args.check {
        return check(client, project, definition, local).await;
    }
    let publish = publish::Publish {
        client,
        project,
        definition,
        deadline: Instant::now() + args.timeout,
        replace: args.replace,
        local,
    };
    publish.run().await.map(|snap| publish::finish(&snap, started, local))
}

/// Parses the command line (`std::env::args`) as [`Cli`] and runs its command: the whole
/// of a workspace's `xtask/src/main.rs` can be a call to it. Bad arguments print clap's
/// error (or `--help`) and exit with 2 (0 for `--help`).
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     pj_xtask::main()
/// }
/// ```
pub fn main() -> ExitCode {
    run(Cli::parse().command)
}

/// Runs one command and returns its exit code, having printed its errors (to standard
/// error, in the compiler's layout). For an xtask that parses its own command line with
/// [`Command`] mounted in it; `cargo xtask local` serves until Ctrl-C, the others stop
/// on Ctrl-C with code 130.
///
/// ```no_run
/// use clap::Parser;
///
/// // What `cargo xtask snapshot --dry-run -p my-app` runs.
/// let cli = pj_xtask::Cli::parse_from(["cargo xtask", "snapshot", "--dry-run", "-p", "my-app"]);
/// let code = pj_xtask::run(cli.command);
/// # let _ = code;
/// ```
pub fn run(command: Command) -> ExitCode {
    match local_command(&command) {
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
        match command {
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
        runtime.block_on(local::serve(&target_dir, args.port, args.local_build, args.quotas()))
    };
    Some(run())
}
