use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12-slim-bookworm").run_commands(["echo ready", "apk add --no-cache git"])
}

fn main() {}
