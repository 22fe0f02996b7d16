//! Workspace layouts a team's repository may have: the xtask binary run as a process on a
//! workspace with a virtual manifest, two applications in folders of their own and a
//! library beside them, from the root and from a subdirectory. Only `--dry-run`: no
//! server, no Docker (`e2e.rs` covers publishing).
//!
//! The workspace is written to `target/pj-apps/e2e-workspace` and built in
//! `target/pj-apps/target`, shared with the other tests that build apps.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

#[path = "../../tests/support/app_crate.rs"]
mod app_crate;

use app_crate::{target_dir, workspace, write};

/// An application member at `dir` whose definition copies one file of its own.
fn app(dir: &Path, name: &str, version: &str) {
    let main_rs = format!(
        r#"use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {{
    Image::base("pj-test-base:1").add_local_file("files/{name}.txt", "/app/{name}.txt")
}}

fn main() {{
    println!("{{}}", env!("PITHY_SNAPSHOT"));
}}
"#
    );
    app_crate::member(dir, name, version, "\n[package.metadata.pithy-image]\n", &main_rs);
    write(&dir.join(format!("files/{name}.txt")), &format!("{name}\n"));
}

/// The workspace: a virtual manifest, `apps/alpha`, `apps/beta` and `tools/helper`.
fn team_workspace() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = workspace().join("target/pj-apps/e2e-workspace");
        write(
            &root.join("Cargo.toml"),
            "[workspace]\nresolver = \"3\"\nmembers = [\"apps/*\", \"tools/helper\"]\n",
        );
        if !root.join("Cargo.lock").exists() {
            std::fs::create_dir_all(&root).expect("mkdir");
            std::fs::copy(workspace().join("Cargo.lock"), root.join("Cargo.lock")).expect("copy Cargo.lock");
        }
        app(&root.join("apps/alpha"), "alpha", "0.1.0");
        app(&root.join("apps/beta"), "beta", "0.2.0");
        write(
            &root.join("tools/helper/Cargo.toml"),
            "[package]\nname = \"helper\"\nversion = \"0.0.1\"\nedition = \"2024\"\n",
        );
        write(&root.join("tools/helper/src/lib.rs"), "");
        root
    })
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `xtask <args>` in `team_workspace()/from`.
fn xtask(from: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(team_workspace().join(from))
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("PITHY_SNAPSHOT_OVERRIDE")
        .output()
        .expect("run xtask");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    eprintln!("xtask {args:?} in {from:?}: exit {}\n{}\n{}", run.code, run.stdout, run.stderr);
    run
}

#[test]
fn two_apps_in_a_virtual_workspace_need_p_from_anywhere_in_it() {
    let run = xtask("tools/helper/src", &["snapshot", "--dry-run"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("several packages declare [package.metadata.pithy-image]: alpha, beta"));
    assert!(run.stderr.contains("choose one with -p PACKAGE"));
}

#[test]
fn p_picks_an_app_and_its_contexts_from_a_subdirectory_or_the_root() {
    for (from, name, snapshot) in [
        ("tools/helper/src", "beta", "beta-v0.2.0"),
        ("", "alpha", "alpha-v0.1.0"),
        ("apps/alpha", "beta", "beta-v0.2.0"),
    ] {
        let run = xtask(from, &["snapshot", "--dry-run", "-p", name]);
        assert_eq!(run.code, 0, "-p {name} from {from:?}");
        assert!(run.stdout.starts_with(&format!("snapshot    {snapshot}\n")), "{}", run.stdout);
        let manifest = team_workspace().join(format!("apps/{name}/Cargo.toml"));
        assert!(run.stdout.contains(&format!("({})", manifest.display())), "{}", run.stdout);
        // The context is the app's own file, found from wherever xtask runs.
        let archive = format!("files/{name}.txt");
        let md5 = pj_image::context::hash(&team_workspace().join("apps").join(name).join(&archive), &archive)
            .expect("hash");
        assert!(run.stdout.contains(&md5), "{}", run.stdout);
        assert!(run.stdout.contains(&format!("COPY [\"{archive}\", \"/app/{name}.txt\"]")), "{}", run.stdout);
    }
}
