//! `cargo xtask`: publishing a pithy image as a Daytona snapshot.
//!
//! ```text
//! cargo xtask snapshot [-p PACKAGE] [--dry-run | --check | --local | --docker]
//! cargo xtask verify-snapshot [NAME] [-p PACKAGE] [--local]
//! cargo xtask local [--port N] [--local-build MODE] [--env]
//! ```

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

mod cli;
mod compare;
mod connect;
mod decide;
mod docker;
mod failure;
mod local;
mod project;
mod publish;
mod report;
mod upload;
mod verify;
mod wait;

use cli::{Cli, Command, SnapshotArgs};
use connect::connect;
use failure::{Failure, code};
use verify::{check, verify};

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
