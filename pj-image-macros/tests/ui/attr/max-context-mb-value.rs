use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(max_context_mb = 0)]
fn image() -> Image {
    Image::base("ubuntu:22.04")
}

fn main() {}
