//! The command line: `cargo xtask snapshot`, `verify-snapshot` and `local`, their
//! options, `--help` texts and value parsers.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use pj_daytona_local::{BuildMode, Quotas};

use crate::failure::EXIT_CODES;
use crate::local;

/// The credentials the commands that talk to Daytona read, as a literal for `concat!`.
macro_rules! environment {
    () => {
        "Environment (not needed with --local):
  DAYTONA_API_KEY            the API key (from Daytona's dashboard)
  DAYTONA_JWT_TOKEN          instead of an API key: a JWT, together with
  DAYTONA_ORGANIZATION_ID    the organization it acts in
  DAYTONA_API_URL            the API (default https://app.daytona.io/api)
  DAYTONA_TARGET             the region (default: the organization's)

"
    };
}

/// `--help` of the commands that talk to Daytona: the credentials they read, then the
/// exit codes.
pub const AFTER_HELP: &str = concat!(environment!(), crate::failure::exit_codes!());

/// `--help` of `snapshot list`: examples, then [`AFTER_HELP`].
const LIST_HELP: &str = concat!(
    "Examples:
  cargo xtask snapshot list                 this package's snapshots on Daytona
  cargo xtask snapshot list --local         on the local server
  cargo xtask snapshot list -p my-app       another package of the workspace

Columns: VERSION (* the current one), STATE, SIZE, CREATED and LAST USED (UTC), and
MATCHES: yes when the snapshot has the current definition's Dockerfile, contexts and
resources (what `snapshot --check` accepts); `image` when only the resources differ;
`-` when it was not built from a Dockerfile.

",
    environment!(),
    crate::failure::exit_codes!()
);

/// `--help` of `snapshot prune`: the rules, examples, then [`AFTER_HELP`].
const PRUNE_HELP: &str = concat!(
    "Kept, always: the current version, the N newest versions, versions newer than the
current one (published from other code), and snapshots still being built. Snapshots
already being removed are left alone. Without --yes nothing is deleted.

Examples:
  cargo xtask snapshot prune --keep 3           show what would be deleted, and why the rest stays
  cargo xtask snapshot prune --keep 3 --yes     delete them
  cargo xtask snapshot prune --keep 0 --yes     delete all but the current version (and newer ones)
  cargo xtask snapshot prune --keep 1 --local   the same on the local server

",
    environment!(),
    crate::failure::exit_codes!()
);

/// The command line of `cargo xtask`: one of [`Command`]. [`crate::main`] parses it.
///
/// ```
/// use clap::Parser;
///
/// let cli = pj_xtask::Cli::try_parse_from(["cargo xtask", "snapshot", "--check"]).expect("valid");
/// assert!(matches!(cli.command, pj_xtask::Command::Snapshot(ref args) if args.check));
/// ```
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", about = "The pithy project's commands", long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// pithy's commands, a `clap::Subcommand`: mount it in a team's own xtask with
/// `#[command(flatten)]` and run it with [`crate::run`] (see the crate's front page).
///
/// ```
/// use clap::Parser;
///
/// let cli = pj_xtask::Cli::try_parse_from(["cargo xtask", "local", "--env"]).expect("valid");
/// assert!(matches!(cli.command, pj_xtask::Command::Local(ref args) if args.env));
/// ```
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish the application's image as the Daytona snapshot `<name>-v<version>`
    /// (each image of a crate with several, `<name>-<image>-v<version>` for a named one),
    /// safely: re-running converges, nothing is duplicated, nothing is deleted unless asked.
    /// `snapshot list` and `snapshot prune` show and delete the package's other versions.
    #[command(after_help = AFTER_HELP, args_conflicts_with_subcommands = true)]
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

/// The options of `cargo xtask local`.
#[derive(Debug, Args)]
pub struct LocalArgs {
    /// The API port on 127.0.0.1; the S3 endpoint uses the next one.
    #[arg(long, value_name = "N", default_value_t = local::DEFAULT_PORT)]
    pub port: u16,
    /// How the server turns builds into images: `auto` builds with this machine's Docker
    /// engine when it has the base image (no registry is used), else checks only and says
    /// so; `docker` always builds; `check` only checks (no image, no sandboxes).
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = parse_build_mode)]
    pub local_build: BuildMode,
    /// Raise or lower one of the organization's limits, which the server enforces with
    /// Daytona's defaults for a new organization: NAME is snapshots (100),
    /// cpu-per-sandbox (4), memory-per-sandbox (8), disk-per-sandbox (10), total-cpu (10),
    /// total-memory (10) or total-disk (30). Repeat for several.
    #[arg(long = "quota", value_name = "NAME=N", value_parser = parse_quota)]
    pub quotas: Vec<String>,
    /// Print only the export lines of the running server, for
    /// `eval "$(cargo xtask local --env)"`; fails when none is running.
    #[arg(long, conflicts_with_all = ["port", "local_build", "quotas"])]
    pub env: bool,
}

impl LocalArgs {
    /// The limits the server enforces: the defaults, with each `--quota` applied.
    ///
    /// ```
    /// use clap::Parser;
    /// let cli = pj_xtask::Cli::try_parse_from(["cargo xtask", "local", "--quota", "snapshots=3"]).unwrap();
    /// let pj_xtask::Command::Local(args) = cli.command else { unreachable!() };
    /// assert_eq!(args.quotas().snapshots, 3);
    /// ```
    pub fn quotas(&self) -> Quotas {
        let mut quotas = Quotas::default();
        for spec in &self.quotas {
            // Each was checked by `parse_quota` when the command line was read.
            let _ = quotas.set(spec);
        }
        quotas
    }
}

pub fn parse_build_mode(s: &str) -> Result<BuildMode, String> {
    s.parse()
}

fn parse_quota(s: &str) -> Result<String, String> {
    Quotas::default().set(s).map(|()| s.to_owned())
}

/// Which application, and which server: the options `snapshot` and `verify-snapshot` share.
#[derive(Debug, Args)]
pub struct Target {
    /// The application package (default: the workspace's only crate with
    /// [package.metadata.pithy-image]).
    #[arg(short = 'p', long = "package", value_name = "PACKAGE")]
    pub package: Option<String>,
    /// One image of the package (default: all of them, each in turn): the NAME of a
    /// `#[pithy_image(name = "NAME")]`, or an image's snapshot name (which is how the unnamed
    /// image is chosen).
    #[arg(long, value_name = "NAME")]
    pub image: Option<String>,
    /// Use the local Daytona-compatible server instead of Daytona (no account needed):
    /// the running `cargo xtask local` if there is one, else an embedded server for this
    /// command; both keep their state in the target directory's pithy-local.
    #[arg(long)]
    pub local: bool,
    /// With --local and no running `cargo xtask local`: `auto` (the default) builds the
    /// image with this machine's Docker engine when it has the base image (no registry is
    /// used), else only checks the build, and says so; `docker` always builds; `check`
    /// only checks (no image; no sandboxes can run from it).
    #[arg(long, value_name = "MODE", value_parser = parse_build_mode, requires = "local")]
    pub local_build: Option<BuildMode>,
}

/// The options of `cargo xtask snapshot`; with a [`SnapshotCommand`], that command
/// instead of publishing.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(subcommand)]
    pub command: Option<SnapshotCommand>,
    #[command(flatten)]
    pub target: Target,
    /// Print the name, Dockerfile, contexts, resources and build key; no network.
    #[arg(long, conflicts_with_all = ["check", "docker", "replace"])]
    pub dry_run: bool,
    /// CI guard: exit 0 only if the snapshot exists, is usable, and matches the
    /// definition; otherwise say what differs. Uploads and creates nothing.
    #[arg(long, conflicts_with_all = ["docker", "replace"])]
    pub check: bool,
    /// Build the image with the local Docker engine from the runner's build context,
    /// tagged NAME:vVERSION.
    #[arg(long, conflicts_with = "replace")]
    pub docker: bool,
    /// Delete and rebuild the snapshot when it exists with another definition, failed,
    /// or (local server) was only checked, not built.
    #[arg(long)]
    pub replace: bool,
    /// How long to wait for the snapshot to become active, e.g. 90s, 20m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// `cargo xtask snapshot list` and `prune`: the package's snapshots across its versions
/// (`<name>-v<version>`).
///
/// ```
/// use clap::Parser;
/// use pj_xtask::{Command, SnapshotCommand};
///
/// let cli = pj_xtask::Cli::try_parse_from(["cargo xtask", "snapshot", "prune", "--keep", "3"]).expect("valid");
/// let Command::Snapshot(args) = cli.command else { unreachable!() };
/// assert!(matches!(args.command, Some(SnapshotCommand::Prune(ref prune)) if prune.keep == 3 && !prune.yes));
/// ```
#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// List the package's snapshots, newest version first: state, size, when created and
    /// last used, and whether each matches the current code.
    #[command(after_help = LIST_HELP)]
    List(ListArgs),
    /// Delete the package's old snapshots, keeping the current version and the N newest;
    /// a dry run unless --yes.
    #[command(after_help = PRUNE_HELP)]
    Prune(PruneArgs),
}

/// The options of `cargo xtask snapshot list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub target: Target,
}

/// The options of `cargo xtask snapshot prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// How many of the newest versions to keep; the current version is kept whatever N
    /// is (0 keeps only it and newer ones).
    #[arg(long, value_name = "N", required = true)]
    pub keep: usize,
    /// Delete; without it, only print what would be deleted and what is kept, and why.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub target: Target,
}

/// The options of `cargo xtask verify-snapshot`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The snapshot name (default: the application's `<name>-v<version>`).
    pub name: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
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
