use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").pip_install(["--index-url=https://mirror.example/simple", "requests==2.32.3"])
}

fn main() {}
