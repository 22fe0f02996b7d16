use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    base_image().workdir("/app")
}

fn base_image() -> Image {
    Image::base("ubuntu:22.04")
}

fn main() {}
