use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("alpine:3.20").apt_install(["git", "curl"])
}

fn main() {}
