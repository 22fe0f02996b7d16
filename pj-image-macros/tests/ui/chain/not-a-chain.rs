use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    if true { Image::base("ubuntu:22.04") } else { Image::base("debian:12") }
}

fn main() {}
