use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(cpu = 0, memory = 256, disk = 8, gpu = 2)]
fn image() -> Image {
    Image::base("ubuntu:22.04")
}

fn main() {}
