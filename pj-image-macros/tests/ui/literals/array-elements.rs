use pj_image::Image;
use pj_image_macros::pithy_image;

const OPENAI: &str = "openai==1.54.0";
static ANTHROPIC: &str = "anthropic==0.39.0";

fn version() -> &'static str {
    "2.32.3"
}

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").pip_install([
        OPENAI.to_owned(),
        ANTHROPIC.to_owned(),
        format!("requests=={}", version()),
        "rich==13.9.4".to_owned(),
    ])
}

fn main() {}
