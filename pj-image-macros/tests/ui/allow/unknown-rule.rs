use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image(allow(pip-needs-pyhton))]
fn image() -> Image {
    Image::base("ubuntu:22.04").pip_install(["openai==1.54.0"])
}

fn main() {}
