use pj_image::Image;
use pj_image_macros::pithy_image;

// pip written by hand in run_commands is held to pip_install's pinning rule: every
// spelling, with options and their values skipped, each error on its own literal.
#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm").run_commands([
        "pip install --no-cache-dir numpy==1.26.4",
        "apt-get update && python -m pip install -i https://pypi.org/simple 'torch>=2'",
        "pip3 install -U pip",
        "uv pip install --system --python-version 3.12 ruff",
    ])
}

fn main() {}
