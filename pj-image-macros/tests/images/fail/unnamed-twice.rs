use pj_image::Image;
use pj_image_macros::pithy_image;

// Two unnamed images in one crate, in different modules: the second is refused on its
// attribute.
mod a {
    use super::*;

    #[pithy_image]
    pub fn image() -> Image {
        Image::base("ubuntu:22.04")
    }
}

mod b {
    use super::*;

    #[pithy_image(cpu = 2)]
    pub fn image() -> Image {
        Image::base("debian:12")
    }
}

fn main() {}
