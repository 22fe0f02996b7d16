use pj_image::Image;
use pj_image_macros::pithy_image;

fn commands() -> Vec<String> {
    vec!["apt-get update".to_owned()]
}

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").run_commands(commands())
}

fn main() {}
