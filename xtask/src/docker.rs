//! `--docker`: builds the image with the local Docker engine from the same build
//! context Daytona's runner uses, tagged `<name>:v<version>`.

use std::process::{Command, Stdio};

use pj_image::Definition;

use crate::failure::{Failure, code};
use crate::project::{ContextInfo, Project};

/// The Docker tag: `<prefix>:v<version>`, lowercased as Docker requires.
pub fn tag(project: &Project) -> String {
    format!("{}:v{}", project.prefix.to_ascii_lowercase(), project.version)
}

pub fn build(
    project: &Project,
    definition: &Definition,
    contexts: &[ContextInfo],
) -> Result<String, Failure> {
    let tag = tag(project);
    let sources: Vec<(std::path::PathBuf, String)> =
        contexts.iter().map(|c| (c.source.clone(), c.archive_path.clone())).collect();
    let mut file = tempfile::tempfile()?;
    file = pj_image::context::write_runner_context(&definition.dockerfile, &sources, file)
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
