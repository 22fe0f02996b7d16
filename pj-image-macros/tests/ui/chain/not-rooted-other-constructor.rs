use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Builder::base("ubuntu:22.04").workdir("/app")
}

struct Builder;

impl Builder {
    fn base(reference: &str) -> Image {
        Image::base(reference)
    }
}

fn main() {}
