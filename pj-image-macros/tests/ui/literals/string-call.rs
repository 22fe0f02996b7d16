use pj_image::Image;
use pj_image_macros::pithy_image;

fn script() -> String {
    "sandbox/execution.sh".to_owned()
}

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").add_local_file(script(), "/app/execution.sh")
}

fn main() {}
