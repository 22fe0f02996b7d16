use pj_image::{Image, PipOptions};
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm").pip_install_with(
        ["requests==2.32.3"],
        PipOptions { index_url: Some(" ".into()), pre: true, ..Default::default() },
    )
}

fn main() {}
