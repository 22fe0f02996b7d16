//! The reference image (examples/pithy-jaunt), as corrected in issue 8 so that it
//! builds (this chain, without the two files, was built for real with Docker): the
//! Dockerfile is written by hand from `docs/daytona-contract.md` (§2.2: `FROM`, one
//! `RUN` per command, sorted pinned packages, JSON-form `COPY`, unquoted `WORKDIR`) and
//! issue 8's `apt_install` line.

use pj_image::{ContextKind, Image, Resources};
use pj_image_macros::pithy_image;

#[pithy_image(cpu = 2, memory = 4, disk = 8)]
pub fn image() -> Image {
    Image::base("debian:bookworm-slim")
        .apt_install(["ca-certificates", "curl", "git", "jq", "python3-venv"])
        .run_commands(["python3 -m venv /opt/venv"])
        .env([("PATH", "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")])
        .pip_install(["openai==1.54.0", "anthropic==0.39.0"])
        .add_local_file("sandbox/execution.sh", "/app/execution.sh")
        .add_local_file("sandbox/agent-runner.py", "/app/agent-runner.py")
        .workdir("/app")
}

fn main() {
    assert_eq!(
        PITHY_DEFINITION.dockerfile,
        "FROM debian:bookworm-slim\n\
         RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl git jq python3-venv \
         && rm -rf /var/lib/apt/lists/*\n\
         RUN python3 -m venv /opt/venv\n\
         ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n\
         RUN python -m pip install anthropic==0.39.0 openai==1.54.0\n\
         COPY [\"sandbox/execution.sh\", \"/app/execution.sh\"]\n\
         COPY [\"sandbox/agent-runner.py\", \"/app/agent-runner.py\"]\n\
         WORKDIR /app\n"
    );
    assert_eq!(PITHY_DEFINITION.resources, Resources { cpu: 2, memory: 4, disk: 8, gpu: 0 });
    assert_eq!(PITHY_DEFINITION.function, "image");
    let contexts: Vec<(&str, ContextKind)> =
        PITHY_DEFINITION.contexts.iter().map(|c| (c.archive_path.as_ref(), c.kind)).collect();
    assert_eq!(
        contexts,
        [("sandbox/execution.sh", ContextKind::File), ("sandbox/agent-runner.py", ContextKind::File)]
    );
    for c in PITHY_DEFINITION.contexts.iter() {
        assert!(c.source.ends_with(&format!("/tests/fixtures/{}", c.archive_path)), "{}", c.source);
        assert_eq!(c.md5.len(), 32);
    }
    assert!(PITHY_DEFINITION.files.is_empty());
    assert_eq!(PITHY_DEFINITION.build_key.len(), "daytona-".len() + 64 + ":daytona".len());
    // The function is emitted unchanged: at run time the builder renders the same
    // definition from the same directory.
    let rendered = image().context_root(env!("PITHY_IMAGE_MANIFEST_DIR")).render().expect("valid");
    assert_eq!(rendered.dockerfile, PITHY_DEFINITION.dockerfile);
    assert_eq!(rendered.build_key(), PITHY_DEFINITION.build_key);
}
