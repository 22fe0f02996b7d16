use pj_image::Image;
use pj_image_macros::pithy_image;

// A local project resolves its dependencies at build time unless --no-deps says not to.
#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm")
        .run_commands(["pip install --no-deps -e /opt/tool", "cd /opt/app && pip install -e ."])
}

fn main() {}
