use pj_image::{Image, PipOptions};
use pj_image_macros::pithy_image;

const INDEX: &str = "https://pypi.org/simple";
const PRE: bool = true;
static EXTRA: &str = "--no-cache-dir";

fn mirror() -> String {
    "https://mirror.example/simple".to_owned()
}

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").pip_install_with(
        ["requests==2.32.3"],
        PipOptions {
            find_links: vec![format!("https://{}/wheels", "example.com")],
            index_url: Some(INDEX.into()),
            extra_index_urls: vec![mirror()],
            pre: PRE,
            extra_options: EXTRA.into(),
        },
    )
}

fn main() {}
