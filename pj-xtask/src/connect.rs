//! The client a command talks to: Daytona, configured from the environment, or with
//! `--local` the local server (the running `cargo xtask local`, else an embedded one).

use pj_daytona::Client;
use pj_daytona_local::{BuildMode, LocalDaytona};

use crate::cli::Target;
use crate::failure::{Failure, code};
use crate::{local, project};

/// The client: from the environment, or for `--local` the local server (an embedded
/// one is returned too, so it lives as long as the command) and its build mode.
pub async fn connect(
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
