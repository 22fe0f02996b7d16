//! `add_local_dir_with`: the excluded symlink is not checked (it would break
//! `context-special-file`), the Dockerfile is `add_local_dir`'s, the definition records
//! the patterns, and the hash is the hash of the directory without the excluded entry.

use pj_image::{DirOptions, Image};
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("ubuntu:22.04").add_local_dir_with(
        "special",
        "/app",
        DirOptions { exclude: vec!["link.sh".into()], dockerignore: false },
    )
}

fn main() {
    assert_eq!(PITHY_DEFINITION.dockerfile, "FROM ubuntu:22.04\nCOPY [\"special\", \"/app\"]\n");
    let context = &PITHY_DEFINITION.contexts[0];
    assert_eq!(context.exclude.iter().map(|p| p.as_ref()).collect::<Vec<_>>(), ["link.sh"]);
    // The same directory without the symlink, hashed with no exclusion at all.
    let copy = std::env::temp_dir().join(format!("pj-dir-options-{}", std::process::id()));
    std::fs::create_dir_all(copy.join("special")).unwrap();
    let fixtures = std::path::Path::new(env!("PITHY_IMAGE_MANIFEST_DIR"));
    std::fs::copy(fixtures.join("special/target.sh"), copy.join("special/target.sh")).unwrap();
    let expected = pj_image::context::hash(&copy.join("special"), "special").unwrap();
    std::fs::remove_dir_all(&copy).unwrap();
    assert_eq!(context.md5, expected);
}
