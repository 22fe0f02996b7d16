use pj_image::Image;
use pj_image_macros::pithy_image;

// Debian 12's Python is externally managed (PEP 668): pip refuses without a venv.
#[pithy_image]
fn image() -> Image {
    Image::base("debian:12")
        .apt_install(["python3-pip", "python-is-python3"])
        .pip_install(["openai==1.54.0"])
}

fn main() {}
