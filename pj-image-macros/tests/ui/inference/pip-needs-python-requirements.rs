use pj_image::Image;
use pj_image_macros::pithy_image;

// python3 without `python`: Debian's packages do not provide the command.
#[pithy_image]
fn image() -> Image {
    Image::base("debian:bookworm-slim")
        .apt_install(["python3"])
        .pip_install_from_requirements("requirements.txt")
}

fn main() {}
