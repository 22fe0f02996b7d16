use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").add_local_dir("generated/nonutf8", "/app/data")
}

fn main() {}
