use pj_image::Image;
use pj_image_macros::pithy_image;

// The definition of issue 8: the official ubuntu image has no `python`, and the
// run command installs none.
#[pithy_image(cpu = 2, memory = 4, disk = 8)]
fn image() -> Image {
    Image::base("ubuntu:22.04")
        .run_commands(["apt-get update && apt-get install -y git curl jq"])
        .pip_install(["openai==1.54.0", "anthropic==0.39.0"])
}

fn main() {}
