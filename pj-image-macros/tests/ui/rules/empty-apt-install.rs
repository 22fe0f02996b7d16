use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("debian:12").apt_install::<[&str; 0]>([])
}

fn main() {}
