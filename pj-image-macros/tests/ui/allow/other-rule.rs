use pj_image::Image;
use pj_image_macros::pithy_image;

// allow silences exactly the rules named: pip-needs-python still fires.
#[pithy_image(allow(package-manager))]
fn image() -> Image {
    Image::base("ubuntu:22.04").run_commands(["apk add git"]).pip_install(["openai==1.54.0"])
}

fn main() {}
