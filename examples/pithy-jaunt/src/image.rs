//! The sandbox image, checked by the compiler.

use pj_image::Image;
use pj_image_macros::pithy_image;

/// The sandbox the agents run in: Debian 12 with git, curl, jq, a Python virtual
/// environment with the model SDKs first on `PATH`, and the runner scripts from `sandbox/`.
#[pithy_image(cpu = 2, memory = 4, disk = 8)]
pub fn image() -> Image {
    Image::base("debian:bookworm-slim")
        .apt_install(["git", "curl", "jq", "ca-certificates", "python3-venv"])
        .run_commands(["python3 -m venv /opt/venv"])
        .env([("PATH", "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")])
        .pip_install(["openai==1.54.0", "anthropic==0.39.0"])
        .add_local_file("sandbox/execution.sh", "/app/execution.sh")
        .add_local_file("sandbox/agent-runner.py", "/app/agent-runner.py")
        .workdir("/app")
}

/// The snapshot this binary uses: `pithy-jaunt-v<crate version>`, from the build script.
pub const SNAPSHOT: &str = env!("PITHY_SNAPSHOT");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_asks_for_the_snapshot_of_its_own_version() {
        assert_eq!(SNAPSHOT, concat!("pithy-jaunt-v", env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn the_embedded_definition_carries_the_binarys_snapshot_name() {
        // The build script resolved the name once; the macro stored that same name in
        // the definition, which is where `cargo xtask snapshot` publishes it.
        assert_eq!(PITHY_DEFINITION.snapshot, env!("PITHY_SNAPSHOT"));
        assert_eq!(PITHY_DEFINITION.snapshot_name(), Some(SNAPSHOT));
    }

    #[test]
    fn the_embedded_definition_is_the_runtime_builders() {
        // The macro rendered at compile time what the builder renders now.
        let rendered = image().context_root(env!("CARGO_MANIFEST_DIR")).render().expect("valid");
        assert_eq!(PITHY_DEFINITION.dockerfile, rendered.dockerfile);
        assert_eq!(PITHY_DEFINITION.build_key, rendered.build_key());
        let hashes: Vec<String> = rendered.context_hashes();
        assert_eq!(PITHY_DEFINITION.context_hashes(), hashes);
        assert_eq!(PITHY_DEFINITION.resources, pj_image::Resources { cpu: 2, memory: 4, disk: 8, gpu: 0 });
    }
}
