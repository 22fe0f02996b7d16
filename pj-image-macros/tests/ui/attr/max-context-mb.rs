use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(cpu = 1, max_context_mb = 1)]
fn image() -> Image {
    Image::base("ubuntu:22.04").add_local_dir("generated/big", "/models")
}

fn main() {}
