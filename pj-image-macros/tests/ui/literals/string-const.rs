use pj_image::Image;
use pj_image_macros::pithy_image;

const BASE: &str = "ubuntu:22.04";

#[pithy_image]
fn image() -> Image {
    Image::base(BASE)
}

fn main() {}
