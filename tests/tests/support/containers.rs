//! The containers of a local server's sandboxes, as Docker lists them: the oracle of
//! "no container left" (also included by pithy-jaunt's tests with `#[path]`).

/// The ids of the containers (running or not) that carry the label the local server puts
/// on sandbox `id`'s container: empty once the sandbox is gone.
pub fn sandbox_containers(id: &str) -> String {
    let out = std::process::Command::new("docker")
        .args(["ps", "--all", "--quiet", "--filter", &format!("label=pithy.local.sandbox={id}")])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("docker runs");
    assert!(out.status.success(), "docker ps failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
