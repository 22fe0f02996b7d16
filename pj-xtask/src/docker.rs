//! `--docker`: builds the image with the local Docker engine from the same build
//! context Daytona's runner uses, tagged `<name>:v<version>`.

use std::process::{Command, Stdio};

use daytona_contract::Context;
use pj_image::Definition;

use crate::failure::{Failure, code};
use crate::project::{Project, Scanned};

/// The Docker tag, from the snapshot name the build resolved (so
/// `PITHY_SNAPSHOT_OVERRIDE` is honoured): the name without its `-v<version>` suffix as
/// the repository, and `v<version>` as the tag (`pithy-jaunt-v1.0.6` ->
/// `pithy-jaunt:v1.0.6`); a name without that suffix is the repository whole. Lowercased,
/// as Docker requires (`docs/DESIGN.md` "The pipeline").
pub fn tag(project: &Project) -> String {
    tag_for(&project.snapshot, &project.version)
}

fn tag_for(snapshot: &str, version: &str) -> String {
    let repository = snapshot.strip_suffix(&format!("-v{version}")).unwrap_or(snapshot);
    format!("{}:v{version}", repository.to_ascii_lowercase())
}

pub fn build(project: &Project, definition: &Definition, contexts: &[Scanned]) -> Result<String, Failure> {
    let tag = tag(project);
    let contexts: Vec<Context> = contexts.iter().map(|c| c.context.clone()).collect();
    let mut file = tempfile::tempfile()?;
    file = daytona_contract::context::write_runner_context(&definition.dockerfile, &contexts, file)
        .map_err(|e| Failure::new(code::FAILED, format!("cannot write the build context: {e}")))?;
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(0))?;
    eprintln!("    docker build --tag {tag} (the Daytona runner's build context)");
    let status = Command::new("docker")
        .args(["build", "--tag", &tag, "-"])
        .stdin(Stdio::from(file))
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| {
            Failure::new(code::CONFIG, format!("cannot run docker: {e}"))
                .help("install Docker and make sure `docker info` works")
        })?;
    if !status.success() {
        return Err(Failure::new(code::BUILD_FAILED, format!("docker build of {tag} failed"))
            .note("the build output is above")
            .help("fix the definition; `cargo xtask snapshot --dry-run` shows the Dockerfile"));
    }
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::tag_for;

    #[test]
    fn the_tag_follows_the_resolved_name() {
        assert_eq!(tag_for("pithy-jaunt-v1.0.6", "1.0.6"), "pithy-jaunt:v1.0.6");
        assert_eq!(tag_for("Agents-v0.2.0-rc.1", "0.2.0-rc.1"), "agents:v0.2.0-rc.1");
        // An override that does not end in -v<version> is the repository whole.
        assert_eq!(tag_for("pinned-v9", "1.0.6"), "pinned-v9:v1.0.6");
    }
}
