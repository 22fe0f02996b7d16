use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    // The turbofish only gives rustc the element type of the empty array.
    Image::base("ubuntu:22.04").pip_install::<[&str; 0]>([])
}

fn main() {}
