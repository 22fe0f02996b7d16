use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image("cpu = 2")]
fn image() -> Image {
    Image::base("ubuntu:22.04")
}

fn main() {}
