use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm")
        .dockerfile_commands(["COPY file.txt /app/", "COPY missing.txt ../sandbox/run.sh /app/"], "ctx/")
}

fn main() {}
