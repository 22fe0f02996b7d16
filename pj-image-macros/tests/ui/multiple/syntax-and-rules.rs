use pj_image::Image;
use pj_image_macros::pithy_image;

const PACKAGES: [&str; 1] = ["rich==13.9.4"];

// Errors in the attribute, in the arguments and in the rules come together: a bad
// attribute or a non-literal argument does not hide the rule violations of the rest.
#[pithy_image(cores = 4)]
fn image() -> Image {
    Image::base("ubuntu").pip_install(PACKAGES).user("agent").workdir("app")
}

fn main() {}
