use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("debian:12").apt_install(["git", "-y", "curl jq", "Git", "git=latest", "jq;rm -rf /"])
}

fn main() {}
