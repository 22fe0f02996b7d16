use pj_image::Image;
use pj_image_macros::pithy_image;

const MODEL: &str = "gpt-4o";
static REGION: &str = "eu";

fn pair() -> (&'static str, &'static str) {
    ("DEBUG", "1")
}

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").env([
        ("MODEL".to_owned(), MODEL.to_owned()),
        (REGION.to_owned(), "eu".to_owned()),
        pair_owned(pair()),
        ("LEVEL".to_owned(), format!("{}", 3)),
        ("OK".to_owned(), "yes".to_owned()),
    ])
}

fn pair_owned((k, v): (&str, &str)) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

fn main() {}
