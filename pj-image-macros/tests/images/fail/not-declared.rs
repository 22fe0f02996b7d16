use pj_image::Image;
use pj_image_macros::pithy_image;

// tests/ui.rs announces the images "gpu" and "cpu" (as a build script does from
// `[package.metadata.pithy-image] images`): "tpu" has no snapshot name.
#[pithy_image(name = "tpu")]
pub fn image() -> Image {
    Image::base("debian:12")
}

fn main() {
    // The placeholder keeps the rest of the crate type-checking.
    let _ = PITHY_DEFINITION_TPU.dockerfile;
}
