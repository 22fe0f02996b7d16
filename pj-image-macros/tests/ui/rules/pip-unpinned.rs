use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm").pip_install(["openai==1.54.0", "torch>=2", "anthropic==0.39.0"])
}

fn main() {}
