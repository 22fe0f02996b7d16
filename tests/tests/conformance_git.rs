//! Conformance: the official Daytona Python SDK (`daytona==0.226.1`) drives a sandbox's git,
//! info, ports and preview URL on the local server (`tests/conformance/sdk_git.py`, through
//! the SDK harness, `support::sdk`), on a sandbox of the reference image (`support::reference`:
//! Debian 12 with git and python3, work dir `/app`, user root), and gets the clear error on a
//! sandbox of an image without git (the busybox `pj-test-base:1`). Then this test checks the
//! end state with `docker exec` (the container's own view), fetches the preview URL itself,
//! and deletes the sandboxes.

mod support;

use std::process::Stdio;
use std::time::Duration;

use pj_daytona_local::BuildMode;
use support::{provision, reference, sdk};

/// The script's password (never shown outside the sandbox's git).
const PASSWORD: &str = "sdk-pw-7Hq-never-shown";

/// The snapshot of the image without git, which the script builds with the SDK.
const NO_GIT: &str = "sdk-git-nogit-v1";

fn docker(args: &[&str]) -> std::process::Output {
    std::process::Command::new("docker").args(args).stdin(Stdio::null()).output().expect("docker runs")
}

/// `sh -c script` in sandbox `id`'s container; its output.
fn in_sandbox(id: &str, script: &str) -> String {
    let out = docker(&["exec", &format!("pj-sandbox-{id}"), "sh", "-c", script]);
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_git_info_ports_and_previews() {
    provision::base_image();
    let (server, _state) = support::server(BuildMode::Docker).await;
    let snapshot = reference::snapshot(&server).await;
    let containers = support::SandboxContainers(&server);

    let run = sdk::Script::new("sdk_git.py")
        .arg(&snapshot)
        .arg(NO_GIT)
        .timeout(Duration::from_secs(900))
        .run(&server)
        .await;
    let out = &run.json;
    assert!(
        run.passes.len() >= 60,
        "every SDK call reported ({} PASS lines):\n{}",
        run.passes.len(),
        run.stdout
    );
    assert!(!run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD), "the password never shows");
    assert_eq!(out["sdk"], "0.226.1");

    // The container's own view of what the SDK did.
    let id = out["sandbox"].as_str().expect("the sandbox id").to_owned();
    let inspect = docker(&["inspect", "--format", "{{.Config.WorkingDir}}", &format!("pj-sandbox-{id}")]);
    let work_dir = String::from_utf8_lossy(&inspect.stdout).trim().to_owned();
    assert_eq!(work_dir, "/app", "the reference image's work dir");
    assert_eq!(out["info"]["workDir"], work_dir.as_str(), "get_work_dir is the container's");
    assert_eq!(out["info"]["home"], in_sandbox(&id, "echo $HOME"), "get_user_home_dir is the container's");
    let later = out["git"]["later"].as_str().expect("a sha");
    assert_eq!(
        in_sandbox(&id, "git -C /app/workspace/repo rev-parse HEAD"),
        later,
        "pulled, in the work dir"
    );
    assert_eq!(in_sandbox(&id, "git -C /srv/git/second.git rev-parse main"), later);
    let commit = out["git"]["commit"].as_str().expect("the commit's sha");
    assert_eq!(in_sandbox(&id, &format!("git -C /app/workspace/repo log -1 --format=%an {commit}")), "Ada L");
    assert_eq!(in_sandbox(&id, "git config --global user.name || true"), "", "configure_user was local");
    assert!(in_sandbox(&id, "cat /root/.git-credentials").contains("127.0.0.1"), "authenticate stored them");

    // The preview URL, fetched by this test: the sandbox's page with credentials only.
    let url = out["preview"]["url"].as_str().expect("the preview URL");
    let http = reqwest::Client::new();
    let refused = http.get(url).send().await.expect("an answer");
    assert_eq!(refused.status().as_u16(), 401);
    let with_key = http.get(url).bearer_auth(server.api_key()).send().await.expect("an answer");
    assert_eq!(with_key.text().await.expect("a body"), "<h1>served from the sandbox</h1>");

    let no_git = out["noGitSandbox"].as_str().expect("the sandbox without git").to_owned();
    assert_eq!(out["noGit"]["status"], 400);
    let client = server.client_builder().build().expect("a client");
    for sandbox in [&id, &no_git] {
        client.sandboxes().delete(sandbox).await.expect("deleted");
        let left = docker(&["ps", "--all", "--quiet", "--filter", &format!("name=pj-sandbox-{sandbox}")]);
        assert_eq!(String::from_utf8_lossy(&left.stdout).trim(), "", "the container is gone");
    }
    drop(containers);
    server.shutdown().await;
}
