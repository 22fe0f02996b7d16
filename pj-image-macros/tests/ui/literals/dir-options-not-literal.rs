use pj_image::{DirOptions, Image};
use pj_image_macros::pithy_image;

const PATTERN: &str = "target";

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").add_local_dir_with(
        "sandbox",
        "/app",
        DirOptions { exclude: vec![PATTERN.into()], dockerignore: yes(), depth: 2 },
    )
}

fn yes() -> bool {
    true
}

fn main() {}
