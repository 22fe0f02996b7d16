use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::from_dockerfile("docker/Dockerfile.unpinned").workdir("/app")
}

fn main() {}
