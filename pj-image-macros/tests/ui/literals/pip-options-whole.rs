use pj_image::{Image, PipOptions};
use pj_image_macros::pithy_image;

fn options() -> PipOptions {
    PipOptions { pre: true, ..Default::default() }
}

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").pip_install_from_requirements_with("requirements.txt", options())
}

fn main() {}
