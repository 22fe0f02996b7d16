use pj_image::Image;
use pj_image_macros::pithy_image;

// A requirements file installed by hand is not read, so it is refused.
#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm").run_commands(["python3 -m pip install -qr /app/requirements.txt"])
}

fn main() {}
