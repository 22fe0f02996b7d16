use pj_image::{DirOptions, Image};
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").add_local_dir_with("ctx", "/app", DirOptions { dockerignore: true, exclude: vec![] })
}

fn main() {}
