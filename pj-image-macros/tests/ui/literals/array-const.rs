use pj_image::Image;
use pj_image_macros::pithy_image;

const PACKAGES: [&str; 2] = ["openai==1.54.0", "anthropic==0.39.0"];

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").pip_install(PACKAGES)
}

fn main() {}
