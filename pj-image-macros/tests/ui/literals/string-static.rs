use pj_image::Image;
use pj_image_macros::pithy_image;

static APP_DIR: &str = "/app";

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").workdir(APP_DIR)
}

fn main() {}
