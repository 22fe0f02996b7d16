//! `from_dockerfile` and `dockerfile_commands` in `#[pithy_image]`: the file's text and
//! the lines as written, the COPY sources as contexts (relative to the Dockerfile's
//! directory and to `context_dir`), and the Dockerfile tracked as a file the build reads.

use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::from_dockerfile("docker/Dockerfile")
        .dockerfile_commands(["COPY file.txt /app/", "ENV MODEL=gpt-4o \\", "    LOG_LEVEL=info"], "ctx/")
        .run_commands(["python -m pip install --no-cache-dir 'openai==1.54.0'"])
}

fn main() {
    assert_eq!(
        PITHY_DEFINITION.dockerfile,
        "FROM python:3.12.10-slim-bookworm\nCOPY app.py /app/app.py\nRUN python -m pip install \\\n    \"rich==13.9.4\"\nWORKDIR /app\n\
         COPY file.txt /app/\nENV MODEL=gpt-4o \\\n    LOG_LEVEL=info\n\
         RUN python -m pip install --no-cache-dir 'openai==1.54.0'\n"
    );
    let archives: Vec<&str> = PITHY_DEFINITION.contexts.iter().map(|c| c.archive_path.as_ref()).collect();
    assert_eq!(archives, ["app.py", "file.txt"]);
    // docs/daytona-contract.md §2.5 Ex1's file (`hello\n`) under the archive path `file.txt`:
    // md5("file.txt" + "hello\n").
    assert_eq!(PITHY_DEFINITION.contexts[1].md5, "2ce19e9f034d91e8bcf6c4766bca6107");
    assert!(PITHY_DEFINITION.files.iter().any(|f| f.ends_with("docker/Dockerfile")));
}
