use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
static IMAGE: fn() -> Image = || Image::base("ubuntu:22.04");

fn main() {}
