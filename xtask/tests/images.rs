//! End to end: a crate with two images (the unnamed one and `#[pithy_image(name = "gpu")]`),
//! published, checked and shown by the xtask binary against an in-process local server
//! (real builds on `pj-test-base:1`: `--check` passes only on built snapshots), and the
//! names the application's binary reads with `env!`.
//!
//! The application is `mi-app` 2.0.0, written to `target/pj-apps/mi-app` (its own crate,
//! so this binary never races the other end-to-end tests over their apps' files).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pj_daytona::Client;
use pj_daytona_local::{BuildMode, LocalDaytona, ServerConfig};

#[path = "../../tests/support/app_crate.rs"]
mod app_crate;
#[path = "../../tests/conformance/provision.rs"]
mod provision;
mod support;

use support::{Run, assert_code};

const UNNAMED: &str = "mi-app-v2.0.0";
const GPU: &str = "mi-app-gpu-v2.0.0";

/// The application crate, written once per test binary: its images differ in their
/// Dockerfile and resources, so each snapshot shows which definition it was made from.
fn app() -> &'static Path {
    static APP: OnceLock<PathBuf> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = app_crate::workspace().join("target/pj-apps/mi-app");
        app_crate::scaffold(
            &dir,
            "mi-app",
            "2.0.0",
            "\n[package.metadata.pithy-image]\nimages = [\"gpu\"]\n",
            r#"use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(cpu = 1, memory = 1, disk = 3)]
fn image() -> Image {
    Image::base("pj-test-base:1").run_commands(["echo cpu image"])
}

mod gpu {
    use super::*;

    #[pithy_image(name = "gpu", cpu = 2, memory = 1, disk = 3)]
    pub fn image() -> Image {
        Image::base("pj-test-base:1").run_commands(["echo gpu image"])
    }
}

fn main() {
    println!("{}", env!("PITHY_SNAPSHOT"));
    println!("{}", env!("PITHY_SNAPSHOT_GPU"));
    println!("{} {}", PITHY_DEFINITION.snapshot, gpu::PITHY_DEFINITION_GPU.snapshot);
}
"#,
        );
        dir
    })
}

async fn server() -> (LocalDaytona, tempfile::TempDir) {
    provision::base_image();
    let state = tempfile::tempdir().expect("tempdir");
    let config = ServerConfig::new(state.path()).build_mode(BuildMode::Auto);
    (LocalDaytona::start(config).await.expect("server"), state)
}

fn client(server: &LocalDaytona) -> Client {
    server.client_builder().build().expect("client")
}

/// Runs `xtask <args>` in the application's directory against `server`.
async fn xtask(server: &LocalDaytona, args: &[&str]) -> Run {
    let target_dir = app_crate::target_dir();
    support::xtask_against(
        env!("CARGO_BIN_EXE_xtask"),
        app(),
        &target_dir,
        server.url(),
        server.api_key(),
        args,
    )
    .await
}

/// The snapshot's Dockerfile and cpu, or `None` when it does not exist.
async fn published(server: &LocalDaytona, name: &str) -> Option<(String, f64)> {
    let snapshot = client(server).snapshots().get(name).await.ok()?;
    let dockerfile = snapshot.build_info.and_then(|b| b.dockerfile_content).unwrap_or_default();
    Some((dockerfile, snapshot.cpu))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_image_is_published_under_its_own_name_and_checked() {
    let (server, _state) = server().await;
    let run = xtask(&server, &["snapshot", "--timeout", "60s"]).await;
    assert_code(&run, 0);
    assert!(
        run.stdout.contains(&format!("==> the unnamed image of mi-app: snapshot {UNNAMED}")),
        "{}",
        run.text()
    );
    assert!(run.stdout.contains(&format!("==> image \"gpu\" of mi-app: snapshot {GPU}")), "{}", run.text());

    let (unnamed, unnamed_cpu) = published(&server, UNNAMED).await.expect("the unnamed image published");
    let (gpu, gpu_cpu) = published(&server, GPU).await.expect("the gpu image published");
    assert!(unnamed.contains("RUN echo cpu image\n") && !unnamed.contains("gpu"), "{unnamed}");
    assert!(gpu.contains("RUN echo gpu image\n"), "{gpu}");
    assert_eq!((unnamed_cpu, gpu_cpu), (1.0, 2.0), "each snapshot has its image's resources");

    let check = xtask(&server, &["snapshot", "--check"]).await;
    assert_code(&check, 0);
    for name in [UNNAMED, GPU] {
        assert!(check.stdout.contains(&format!("{name} is up to date")), "{}", check.text());
    }

    // `snapshot list` shows each image's versions apart: one row each, the current one.
    let list = xtask(&server, &["snapshot", "list"]).await;
    assert_code(&list, 0);
    let headers: Vec<&str> = list.stdout.lines().filter(|l| l.starts_with("==> ")).collect();
    assert_eq!(
        headers,
        ["==> the unnamed image: mi-app-v<version>", "==> image \"gpu\": mi-app-gpu-v<version>"],
        "{}",
        list.text()
    );
    let current_rows = list.stdout.lines().filter(|l| l.starts_with("* 2.0.0 ")).count();
    assert_eq!(current_rows, 2, "{}", list.text());

    // The binary reads the same names the snapshots were published under.
    let binary = app_crate::target_dir().join("debug/mi-app");
    let out = std::process::Command::new(&binary).output().expect("run mi-app");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{UNNAMED}\n{GPU}\n{UNNAMED} {GPU}\n"),
        "env!(\"PITHY_SNAPSHOT\"), env!(\"PITHY_SNAPSHOT_GPU\") and the definitions' names"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn image_selects_one_and_check_covers_all() {
    let (server, _state) = server().await;
    let run = xtask(&server, &["snapshot", "--image", "gpu", "--timeout", "60s"]).await;
    assert_code(&run, 0);
    assert!(published(&server, GPU).await.is_some(), "{}", run.text());
    assert!(published(&server, UNNAMED).await.is_none(), "only the chosen image:\n{}", run.text());

    assert_code(&xtask(&server, &["snapshot", "--check", "--image", "gpu"]).await, 0);
    // Without --image every image is checked: the unnamed one is missing (drift, 3),
    // and the gpu one is still reported up to date.
    let check = xtask(&server, &["snapshot", "--check"]).await;
    assert_code(&check, 3);
    assert!(check.stderr.contains(&format!("error: snapshot {UNNAMED} does not exist")), "{}", check.text());
    assert!(check.stdout.contains(&format!("{GPU} is up to date")), "{}", check.text());
    assert!(check.stderr.contains("error: 1 of 2 images failed: the unnamed image"), "{}", check.text());

    // The unnamed image is chosen by its snapshot name.
    assert_code(&xtask(&server, &["snapshot", "--image", UNNAMED, "--timeout", "60s"]).await, 0);
    assert!(published(&server, UNNAMED).await.is_some());
    assert_code(&xtask(&server, &["snapshot", "--check"]).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_image_is_refused_with_the_names_and_dry_run_shows_all() {
    let (server, _state) = server().await;
    let run = xtask(&server, &["snapshot", "--image", "tpu", "--dry-run"]).await;
    assert_code(&run, 2);
    assert!(run.stderr.contains("error: `mi-app` has no image `tpu`"), "{}", run.text());
    assert!(
        run.stderr
            .contains(&format!("its images are: {UNNAMED} (the unnamed image, by its snapshot name), gpu")),
        "{}",
        run.text()
    );

    let dry = xtask(&server, &["snapshot", "--dry-run"]).await;
    assert_code(&dry, 0);
    for name in [UNNAMED, GPU] {
        assert!(dry.stdout.contains(&format!("snapshot    {name}\n")), "{}", dry.text());
    }
    assert!(dry.stdout.contains("RUN echo gpu image"), "{}", dry.text());
    assert_eq!(client(&server).snapshots().list(&Default::default()).await.expect("list").items.len(), 0);
}
