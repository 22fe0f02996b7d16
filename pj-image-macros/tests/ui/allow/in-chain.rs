use pj_image::{Image, Rule};
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").pip_install(["openai==1.54.0"]).allow(Rule::PipNeedsPython)
}

fn main() {}
