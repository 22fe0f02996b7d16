use pj_image::{DirOptions, Image};
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").add_local_dir_with(
        "sandbox",
        "/app",
        DirOptions { exclude: vec!["data".into(), "[unclosed".into()], ..Default::default() },
    )
}

fn main() {}
