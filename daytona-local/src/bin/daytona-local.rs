//! `daytona-local`: a local Daytona-compatible server on 127.0.0.1.
//!
//! ```text
//! daytona-local [--state-dir DIR] [--port N] [--s3-port N] [--api-key KEY] [--local-build MODE] [--min-build-time S] [--lifecycle-minute-ms N] [--quota NAME=N]...
//! ```
//!
//! Prints `export DAYTONA_API_URL=...` and `export DAYTONA_API_KEY=...` and serves until
//! Ctrl-C. In the pithy workspace, `cargo xtask local` is the documented way to run it:
//! the same server on the state directory `cargo xtask snapshot --local` uses.

use std::path::PathBuf;
use std::process::ExitCode;

use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};

const HELP: &str = "daytona-local: a local Daytona-compatible server (API + S3 + Docker builds) on 127.0.0.1

USAGE:
    daytona-local [OPTIONS]

It prints `export DAYTONA_API_URL=...` and `export DAYTONA_API_KEY=...` and serves until
Ctrl-C. Daytona's SDKs read those variables, so a client uses it once they are set, e.g.:

    daytona-local --port 3986 > daytona-local.env &
    . ./daytona-local.env    # once the server has written the two lines

Snapshots, sandboxes, build logs, uploaded contexts and the key live in the state directory,
so a restart keeps them. Builds check what Daytona's runner checks, then build with this
machine's Docker engine as --local-build says (no registry is used: base images must be local).
Sandboxes run as `docker run` of a snapshot's image; the toolbox's execute as `docker exec`.
In a pithy workspace, `cargo xtask local` runs this server on the state directory that
`cargo xtask snapshot --local` publishes to.

OPTIONS:
    --state-dir DIR     where snapshots, logs and objects live (default: .daytona-local)
    --port N            API port (default: 0, any free port)
    --s3-port N         S3 port (default: 0, any free port)
    --api-key KEY       the API key (default: the saved one, or a new random key)
    --local-build MODE  auto (default): docker build when the engine has the base image locally
                        (no registry is used), else check only and say so; docker: always build;
                        check: check only (snapshots become active without an image; no sandboxes)
    --check-only        the same as --local-build check
    --min-build-time S  keep every build in `building` for at least S seconds
    --lifecycle-minute-ms N
                        how long one minute of the sandboxes' auto-stop, auto-archive and
                        auto-delete intervals lasts, in milliseconds (default 60000; 0 turns
                        them off), so tests can see an idle sandbox stop
    --quota NAME=N      one of the organization's limits, enforced with Daytona's defaults for a new
                        organization: snapshots (100), cpu-per-sandbox (4), memory-per-sandbox (8),
                        disk-per-sandbox (10), total-cpu (10), total-memory (10), total-disk (30);
                        repeat for several
    -h, --help          this help
";

fn parse() -> Result<Option<ServerConfig>, String> {
    let mut config = ServerConfig::new(PathBuf::from(".daytona-local")).standalone(true);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--state-dir" => config.state_dir = PathBuf::from(value("--state-dir")?),
            "--port" => config.port = value("--port")?.parse().map_err(|e| format!("--port: {e}"))?,
            "--s3-port" => {
                config.s3_port = value("--s3-port")?.parse().map_err(|e| format!("--s3-port: {e}"))?
            }
            "--api-key" => config = config.api_key(value("--api-key")?),
            "--check-only" => config = config.build_mode(BuildMode::CheckOnly),
            "--local-build" => config = config.build_mode(value("--local-build")?.parse::<BuildMode>()?),
            "--min-build-time" => {
                let secs: u64 =
                    value("--min-build-time")?.parse().map_err(|e| format!("--min-build-time: {e}"))?;
                config = config.min_build_time(std::time::Duration::from_secs(secs));
            }
            "--lifecycle-minute-ms" => {
                let ms: u64 = value("--lifecycle-minute-ms")?
                    .parse()
                    .map_err(|e| format!("--lifecycle-minute-ms: {e}"))?;
                config = config.lifecycle_minute((ms > 0).then(|| std::time::Duration::from_millis(ms)));
            }
            "--quota" => config.quotas.set(&value("--quota")?)?,
            other => return Err(format!("unknown argument {other:?}; see --help")),
        }
    }
    Ok(Some(config))
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse() {
        Ok(Some(config)) => config,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
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
