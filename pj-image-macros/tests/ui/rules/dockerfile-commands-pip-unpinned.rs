use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm")
        .dockerfile_commands(["WORKDIR /app", "RUN apt-get update && pip install 'torch>=2'"], "")
}

fn main() {}
