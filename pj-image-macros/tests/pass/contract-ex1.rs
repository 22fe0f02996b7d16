//! `docs/daytona-contract.md` §2.5 Ex1, whose Dockerfile, context hash and server build
//! key the contract gives; `ctx/file.txt` holds `hello\n` as there. Default resources.
//! Ex1 is the SDK's example, not an image that builds (the official ubuntu image has no
//! `python`), so `pip-needs-python` is allowed: the rendering is what this case pins down.

use pj_image::{Image, Resources};
use pj_image_macros::pithy_image;

#[pithy_image(allow(pip-needs-python))]
fn image() -> Image {
    Image::base("ubuntu:22.04")
        .run_commands(["apt-get update && apt-get install -y git curl jq"])
        .pip_install(["openai==1.0.0", "anthropic==0.30.0"])
        .add_local_file("ctx/file.txt", "/app/file.txt")
        .env([("FOO", "bar"), ("MODEL", "gpt-4o")])
        .workdir("/app")
}

fn main() {
    assert_eq!(
        PITHY_DEFINITION.dockerfile,
        "FROM ubuntu:22.04\n\
         RUN apt-get update && apt-get install -y git curl jq\n\
         RUN python -m pip install anthropic==0.30.0 openai==1.0.0\n\
         COPY [\"ctx/file.txt\", \"/app/file.txt\"]\n\
         ENV FOO=bar\n\
         ENV MODEL=gpt-4o\n\
         WORKDIR /app\n"
    );
    assert_eq!(PITHY_DEFINITION.context_hashes(), ["0062767e43a7b98b63a594b2504ce32c"]);
    assert_eq!(
        PITHY_DEFINITION.build_key,
        "daytona-6b075a558015c23c194f932763d9620e0af91bbdc96d0cd1007cb5164df2baef:daytona"
    );
    assert_eq!(PITHY_DEFINITION.resources, Resources { cpu: 1, memory: 1, disk: 3, gpu: 0 });
    // The function is emitted unchanged: at run time the builder renders the same
    // definition from the same directory.
    // (with the same allow as the attribute's)
    let rendered = image()
        .allow(pj_image::Rule::PipNeedsPython)
        .context_root(env!("PITHY_IMAGE_MANIFEST_DIR"))
        .render()
        .expect("valid");
    assert_eq!(rendered.dockerfile, PITHY_DEFINITION.dockerfile);
    assert_eq!(rendered.build_key(), PITHY_DEFINITION.build_key);
}
