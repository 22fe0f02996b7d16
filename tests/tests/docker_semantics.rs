//! What pj-image renders means, to Docker, what was written: values with quotes,
//! dollars, backslashes, unicode and blanks arrive in the container unchanged, the
//! working directory is the one given, and context files with blanks and non-ASCII in
//! their names are copied. Built with this machine's Docker engine on the locally made
//! base image (no registry), from the Daytona runner's build context.

use std::io::{Seek, SeekFrom};
use std::process::{Command, Stdio};

use pj_image::Image;

#[path = "../conformance/provision.rs"]
mod provision;

const VALUES: [(&str, &str); 10] = [
    ("SQ", "it's"),
    ("DOLLAR", "$HOME/bin:$PATH"),
    ("EMPTY", ""),
    ("UNI", "héllo 世界 🚀"),
    ("BS", "C:\\path\\x"),
    ("DQ", "say \"hi\""),
    ("STAR", "*.py"),
    ("HASH", "#x"),
    ("TAB", "a\tb"),
    ("SAFE", "a-b_c.d/e:f@g%h+i=j,k"),
];

#[test]
fn env_workdir_and_copies_mean_what_was_written() {
    let base = provision::base_image();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("ctx/dir with space")).expect("mkdir");
    std::fs::write(dir.path().join("ctx/dir with space/café.txt"), "copied\n").expect("write");
    let image = Image::base(base)
        .context_root(dir.path())
        .env(VALUES)
        .add_local_dir("ctx/dir with space", "/data/dir with space")
        .workdir("/my app/dir");
    let rendered = image.render().expect("a valid definition");
    let mut context = pj_image::context::write_runner_context(
        &rendered.dockerfile,
        &rendered.contexts,
        tempfile::tempfile().expect("tmp"),
    )
    .expect("build context");
    context.seek(SeekFrom::Start(0)).expect("rewind");
    let tag = "pj-docker-semantics:test";
    let built = Command::new("docker")
        .args(["build", "--quiet", "--tag", tag, "-"])
        .stdin(Stdio::from(context))
        .output()
        .expect("docker build");
    assert!(built.status.success(), "{}\n{}", rendered.dockerfile, String::from_utf8_lossy(&built.stderr));

    let script = VALUES.iter().map(|(k, _)| format!("\"${k}\"")).collect::<Vec<_>>().join(" ");
    let run = Command::new("docker")
        .args(["run", "--rm", tag, "sh", "-c"])
        .arg(format!("printf '%s\\0' {script} \"$(pwd)\" \"$(cat '/data/dir with space/café.txt')\""))
        .output()
        .expect("docker run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let out = String::from_utf8(run.stdout).expect("utf-8");
    let got: Vec<&str> = out.split('\0').collect();
    for (i, (key, value)) in VALUES.iter().enumerate() {
        assert_eq!(got[i], *value, "ENV {key} in\n{}", rendered.dockerfile);
    }
    assert_eq!(got[VALUES.len()], "/my app/dir");
    assert_eq!(got[VALUES.len() + 1], "copied");
    let _ = Command::new("docker").args(["rmi", "-f", tag]).output();
}
