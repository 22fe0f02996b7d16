use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm").pip_install(["agent @ https://example.com/agent-1.0-py3-none-any.whl"])
}

fn main() {}
