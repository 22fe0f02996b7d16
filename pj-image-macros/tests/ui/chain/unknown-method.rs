use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").user("agent").workdir("/app")
}

fn main() {}
