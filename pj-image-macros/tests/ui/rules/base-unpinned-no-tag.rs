use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu").workdir("/app")
}

fn main() {}
