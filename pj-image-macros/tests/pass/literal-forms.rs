//! The spellings of a literal the macro accepts: `"x"`, `"x".into()`, `"x".to_string()`,
//! `"x".to_owned()`, `String::from("x")`, arrays as `[..]`, `&[..]` and `vec![..]`,
//! raw strings, `PipOptions::default()`, a full path to `Image`, parentheses, and a
//! turbofish (the way to give `pip_install_from_pyproject` no optional groups, as a bare
//! `[]` leaves rustc without an element type). The function is public, so
//! `PITHY_DEFINITION` is too.

use pj_image::{Image, PipOptions, Resources};
use pj_image_macros::pithy_image;

#[pithy_image(disk = 10)]
pub fn image() -> Image {
    (pj_image::Image::base("python:3.12-alpine3.20".to_string()))
        .run_commands(vec![String::from("echo one"), "echo two".to_owned(), r#"echo "three""#.into()])
        .pip_install(&["rich==13.9.4"])
        .pip_install_with(["httpx==0.28.1".to_owned()], PipOptions::default())
        .pip_install_with(
            ["pytest==8.3.4"],
            pj_image::PipOptions { index_url: None, pre: false, ..PipOptions::default() },
        )
        .pip_install_from_pyproject::<[&str; 0]>("pyproject.toml", [])
        .env(vec![("A".to_string(), String::from("1"))])
        .workdir(String::from("/srv"))
        .cmd(&["python3"])
}

fn main() {
    assert_eq!(
        PITHY_DEFINITION.dockerfile,
        "FROM python:3.12-alpine3.20\n\
         RUN echo one\n\
         RUN echo two\n\
         RUN echo \"three\"\n\
         RUN python -m pip install rich==13.9.4\n\
         RUN python -m pip install httpx==0.28.1\n\
         RUN python -m pip install pytest==8.3.4\n\
         RUN python -m pip install httpx==0.28.1 rich==13.9.4\n\
         ENV A=1\n\
         WORKDIR /srv\n\
         CMD [\"python3\"]\n"
    );
    assert_eq!(PITHY_DEFINITION.resources, Resources { disk: 10, ..Resources::default() });
    assert!(PITHY_DEFINITION.contexts.is_empty());
    // The function is emitted unchanged: at run time the builder renders the same
    // definition from the same directory.
    let rendered = image().context_root(env!("PITHY_IMAGE_MANIFEST_DIR")).render().expect("valid");
    assert_eq!(rendered.dockerfile, PITHY_DEFINITION.dockerfile);
    assert_eq!(rendered.build_key(), PITHY_DEFINITION.build_key);
}
