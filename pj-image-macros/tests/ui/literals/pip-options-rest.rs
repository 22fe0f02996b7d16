use pj_image::{Image, PipOptions};
use pj_image_macros::pithy_image;

fn base_options() -> PipOptions {
    PipOptions { pre: true, ..Default::default() }
}

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").pip_install_with(
        ["requests==2.32.3"],
        PipOptions { index_url: Some("https://pypi.org/simple".into()), ..base_options() },
    )
}

fn main() {}
