use pj_image::Image;
use pj_image_macros::pithy_image;

// Two images named "gpu" in one crate, in different modules: the second is refused on
// its name, wherever it is.
mod cuda {
    use super::*;

    #[pithy_image(name = "gpu", gpu = 1)]
    pub fn image() -> Image {
        Image::base("ubuntu:22.04")
    }
}

mod rocm {
    use super::*;

    #[pithy_image(cpu = 2, name = "gpu")]
    pub fn image() -> Image {
        Image::base("debian:12")
    }
}

// Another name is another image.
#[pithy_image(name = "cpu")]
pub fn cpu() -> Image {
    Image::base("debian:12")
}

fn main() {}
