use pj_image::Image;
use pj_image_macros::pithy_image;

// Pins hold on every base, so pip-unpinned cannot be silenced.
#[pithy_image(allow(pip-needs-python, pip-unpinned))]
fn image() -> Image {
    Image::base("ubuntu:22.04").pip_install(["torch>=2"])
}

fn main() {}
