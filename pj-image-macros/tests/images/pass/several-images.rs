//! Three images in one crate: the unnamed one and two named ones, each with its own
//! constant and its name in the definition (tests/ui.rs announces "gpu" and "cpu").
use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
pub fn default_image() -> Image {
    Image::base("debian:12")
}

mod images {
    use super::*;

    #[pithy_image(name = "gpu", gpu = 1)]
    pub fn gpu() -> Image {
        Image::base("ubuntu:22.04")
    }
}

#[pithy_image(name = "cpu", cpu = 2)]
pub fn cpu() -> Image {
    Image::base("debian:12").workdir("/app")
}

fn main() {
    assert_eq!(PITHY_DEFINITION.image, "");
    assert_eq!(PITHY_DEFINITION.dockerfile, default_image().dockerfile());
    assert_eq!(images::PITHY_DEFINITION_GPU.image, "gpu");
    assert_eq!(images::PITHY_DEFINITION_GPU.function, "gpu");
    assert_eq!(images::PITHY_DEFINITION_GPU.resources.gpu, 1);
    assert_eq!(PITHY_DEFINITION_CPU.image_name(), Some("cpu"));
    assert_eq!(PITHY_DEFINITION_CPU.dockerfile, cpu().dockerfile());
    assert_ne!(PITHY_DEFINITION_CPU.build_key, PITHY_DEFINITION.build_key);
}
