use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    let image = Image::base("ubuntu:22.04");
    image.workdir("/app")
}

fn main() {}
