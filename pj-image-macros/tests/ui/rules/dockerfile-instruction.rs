use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm").dockerfile_commands(
        ["RUN <<EOF", "ADD ctx/file.txt /app/", "COPY ctx/*.txt /app/", "SETUP something"],
        "",
    )
}

fn main() {}
