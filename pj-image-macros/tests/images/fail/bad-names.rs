use pj_image::Image;
use pj_image_macros::pithy_image;

// Each in its own module: an image refused for its name still defines a placeholder
// constant, so that code using it keeps type-checking.
mod upper {
    use super::*;

    #[pithy_image(name = "GPU")]
    fn image() -> Image {
        Image::base("debian:12")
    }
}

mod underscore {
    use super::*;

    #[pithy_image(name = "gpu_1")]
    fn image() -> Image {
        Image::base("debian:12")
    }
}

mod not_a_string {
    use super::*;

    #[pithy_image(name = gpu)]
    fn image() -> Image {
        Image::base("debian:12")
    }
}

mod twice {
    use super::*;

    #[pithy_image(name = "gpu", name = "cpu")]
    fn image() -> Image {
        Image::base("debian:12")
    }
}

fn main() {}
