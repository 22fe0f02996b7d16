use pj_image::Image;
use pj_image_macros::pithy_image;

// One #[pithy_image] per crate: both would define PITHY_DEFINITION.
#[pithy_image]
pub fn image() -> Image {
    Image::base("ubuntu:22.04")
}

#[pithy_image]
pub fn other() -> Image {
    Image::base("debian:12")
}

fn main() {}
