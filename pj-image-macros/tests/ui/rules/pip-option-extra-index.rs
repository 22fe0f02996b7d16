use pj_image::{Image, PipOptions};
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm").pip_install_from_requirements_with(
        "requirements.txt",
        PipOptions {
            extra_index_urls: vec!["https://a.example/simple".into(), "".into()],
            ..Default::default()
        },
    )
}

fn main() {}
