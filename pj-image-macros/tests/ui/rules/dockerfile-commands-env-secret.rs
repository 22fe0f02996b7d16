use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm")
        .dockerfile_commands(["ENV MODEL=gpt-4o OPENAI_API_KEY=sk-abc", "ARG HF_TOKEN=hf_abc"], "")
}

fn main() {}
