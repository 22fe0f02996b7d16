use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(memory = 4.5, disk = true)]
fn image() -> Image {
    Image::base("ubuntu:22.04")
}

fn main() {}
