//! `daytona-local`: a local Daytona-compatible server on 127.0.0.1.
//!
//! ```text
//! daytona-local [--state-dir DIR] [--port N] [--s3-port N] [--api-key KEY] [--local-build MODE] [--check-only] [--min-build-time S] [--lifecycle-minute-ms N] [--quota NAME=N]...
//! ```
//!
//! Prints `export DAYTONA_API_URL=...` and `export DAYTONA_API_KEY=...` and serves until
//! Ctrl-C. In the pithy workspace, `cargo xtask local` is the documented way to run it:
//! the same server on the state directory `cargo xtask snapshot --local` uses.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use pj_daytona_local::{BuildMode, LocalDaytona, Quotas, ServerConfig};

/// Printed after the options by `--help`.
const AFTER_HELP: &str =
    "It prints `export DAYTONA_API_URL=...` and `export DAYTONA_API_KEY=...` and serves until
Ctrl-C. Daytona's SDKs read those variables, so a client uses it once they are set, e.g.:

    daytona-local --port 3986 > daytona-local.env &
    . ./daytona-local.env    # once the server has written the two lines

Snapshots, sandboxes, build logs, uploaded contexts and the key live in the state directory,
so a restart keeps them. Builds check what Daytona's runner checks, then build with this
machine's Docker engine as --local-build says (no registry is used: base images must be local).
Sandboxes run as `docker run` of a snapshot's image, with its cpu and memory limits; the toolbox
(process, sessions, files, git, ports, previews) runs in the container as the sandbox's user.
Operations the server does not implement answer 501 naming them (docs/local-daytona.md).
In a pithy workspace, `cargo xtask local` runs this server on the state directory that
`cargo xtask snapshot --local` publishes to.";

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "daytona-local",
    bin_name = "daytona-local",
    about = "daytona-local: a local Daytona-compatible server (API + S3 + Docker builds) on 127.0.0.1",
    after_help = AFTER_HELP,
    version
)]
struct Cli {
    /// Where snapshots, logs and objects live.
    #[arg(long, value_name = "DIR", default_value = ".daytona-local")]
    state_dir: PathBuf,
    /// API port (0: any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    port: u16,
    /// S3 port (0: any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    s3_port: u16,
    /// The API key [default: the saved one, or a new random key].
    #[arg(long, value_name = "KEY")]
    api_key: Option<String>,
    /// auto: docker build when the engine has the base image locally (no registry is used),
    /// else check only and say so; docker: always build; check: check only (snapshots become
    /// active without an image; no sandboxes).
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = parse_build_mode)]
    local_build: BuildMode,
    /// The same as --local-build check.
    #[arg(long, conflicts_with = "local_build")]
    check_only: bool,
    /// Keep every build in `building` for at least S seconds.
    #[arg(long, value_name = "S", default_value_t = 0)]
    min_build_time: u64,
    /// How long one minute of the sandboxes' auto-stop, auto-archive and auto-delete
    /// intervals lasts, in milliseconds (0 turns them off), so tests can see an idle sandbox
    /// stop.
    #[arg(long, value_name = "N", default_value_t = 60_000)]
    lifecycle_minute_ms: u64,
    /// One of the organization's limits, enforced with Daytona's defaults for a new
    /// organization: snapshots (100), cpu-per-sandbox (4), memory-per-sandbox (8),
    /// disk-per-sandbox (10), total-cpu (10), total-memory (10), total-disk (30); repeat for
    /// several.
    #[arg(long = "quota", value_name = "NAME=N", value_parser = parse_quota)]
    quotas: Vec<String>,
}

fn parse_build_mode(s: &str) -> Result<BuildMode, String> {
    s.parse()
}

fn parse_quota(s: &str) -> Result<String, String> {
    Quotas::default().set(s).map(|()| s.to_owned())
}

impl Cli {
    fn config(self) -> ServerConfig {
        let mut config = ServerConfig::new(self.state_dir)
            .standalone(true)
            .ports(self.port, self.s3_port)
            .build_mode(if self.check_only { BuildMode::CheckOnly } else { self.local_build })
            .min_build_time(Duration::from_secs(self.min_build_time))
            .lifecycle_minute(
                (self.lifecycle_minute_ms > 0).then(|| Duration::from_millis(self.lifecycle_minute_ms)),
            );
        if let Some(key) = self.api_key {
            config = config.api_key(key);
        }
        for spec in &self.quotas {
            // Each was checked by `parse_quota` when the command line was read.
            let _ = config.quotas.set(spec);
        }
        config
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Usage errors exit 2, `--help` 0, as clap does.
    let config = Cli::parse().config();
    let state_dir = config.state_dir.clone();
    let server = match LocalDaytona::start(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: could not start the local Daytona server in {}: {e}", state_dir.display());
            return ExitCode::FAILURE;
        }
    };
    println!("export DAYTONA_API_URL={}", server.url());
    println!("export DAYTONA_API_KEY={}", server.api_key());
    eprintln!(
        "daytona-local: serving {} (S3 at {}, state in {}, builds: {}, Docker engine: {}); Ctrl-C stops",
        server.url(),
        server.storage_url(),
        state_dir.display(),
        server.build_mode(),
        if server.docker_available().await { "reachable" } else { "not reachable" }
    );
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
    }
    server.shutdown().await;
    ExitCode::SUCCESS
}
