//! `max_context_mb`: a context over the budget compiles once the large file is left out.

use pj_image::{DirOptions, Image};
use pj_image_macros::pithy_image;

#[pithy_image(max_context_mb = 1)]
fn image() -> Image {
    Image::base("ubuntu:22.04").add_local_dir_with(
        "generated/big",
        "/models",
        DirOptions { exclude: vec!["*.bin".into()], ..Default::default() },
    )
}

fn main() {
    assert_eq!(PITHY_DEFINITION.contexts.len(), 1);
}
