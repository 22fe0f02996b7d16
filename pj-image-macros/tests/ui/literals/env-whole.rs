use pj_image::Image;
use pj_image_macros::pithy_image;

const ENV: [(&str, &str); 1] = [("MODEL", "gpt-4o")];

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").env(ENV)
}

fn main() {}
