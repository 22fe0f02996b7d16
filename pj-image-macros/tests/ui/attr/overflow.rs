use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(disk = 99999999999)]
fn image() -> Image {
    Image::base("ubuntu:22.04")
}

fn main() {}
