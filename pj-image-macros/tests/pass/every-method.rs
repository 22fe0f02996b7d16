//! Every builder method the macro knows, from `debian_slim`, with every PipOptions
//! field and the largest resources Daytona accepts. The Dockerfile is written by hand
//! from `docs/daytona-contract.md` §2.2 (the five `debian_slim` lines for 3.12 →
//! 3.12.10; pip options in the fixed order find-links, index-url, extra-index-url, pre,
//! extra_options stripped; shlex quoting; requirements `COPY` unquoted; pyproject
//! dependencies plus the group, sorted; a remote path ending in `/` gets the file name).

use pj_image::{ContextKind, Image, PipOptions, Resources};
use pj_image_macros::pithy_image;

#[pithy_image(cpu = 16, memory = 192, disk = 512, gpu = 1)]
pub fn image() -> Image {
    Image::debian_slim("3.12")
        .run_commands(["apt-get update && apt-get install -y git"])
        .pip_install(["openai==1.54.0"])
        .pip_install_with(
            ["requests==2.32.3", "anthropic==0.39.0"],
            PipOptions {
                find_links: vec!["https://example.com/wheels".into()],
                index_url: Some("https://pypi.org/simple".into()),
                extra_index_urls: vec!["https://b.example/simple?x=1&y=2".into()],
                pre: true,
                extra_options: "  --no-cache-dir --upgrade  ".into(),
            },
        )
        .pip_install_from_requirements("requirements.txt")
        .pip_install_from_requirements_with(
            "requirements-dev.txt",
            PipOptions { index_url: Some("https://pypi.org/simple".into()), ..Default::default() },
        )
        .pip_install_from_pyproject("pyproject.toml", ["dev"])
        .pip_install_from_pyproject_with(
            "pyproject.toml",
            ["docs"],
            PipOptions { pre: true, ..Default::default() },
        )
        .add_local_file("./sandbox/execution.sh", "/app/")
        .add_local_dir("sandbox/data/", "/app/data")
        .env([("MODEL", "gpt-4o"), ("GREETING", "hello world")])
        .workdir("/app")
        .entrypoint(["/bin/sh", "-c"])
        .cmd(["sleep", "infinity"])
}

fn main() {
    assert_eq!(
        PITHY_DEFINITION.dockerfile,
        "FROM python:3.12.10-slim-bookworm\n\
         RUN apt-get update\n\
         RUN apt-get install -y gcc gfortran build-essential\n\
         RUN pip install --upgrade pip\n\
         RUN echo 'debconf debconf/frontend select Noninteractive' | debconf-set-selections\n\
         RUN apt-get update && apt-get install -y git\n\
         RUN python -m pip install openai==1.54.0\n\
         RUN python -m pip install anthropic==0.39.0 requests==2.32.3 \
         --find-links https://example.com/wheels --index-url https://pypi.org/simple \
         --extra-index-url 'https://b.example/simple?x=1&y=2' --pre --no-cache-dir --upgrade\n\
         COPY requirements.txt /.requirements.txt\n\
         RUN python -m pip install -r /.requirements.txt\n\
         COPY requirements-dev.txt /.requirements.txt\n\
         RUN python -m pip install -r /.requirements.txt --index-url https://pypi.org/simple\n\
         RUN python -m pip install httpx==0.28.1 pytest==8.3.4 rich==13.9.4\n\
         RUN python -m pip install httpx==0.28.1 mkdocs==1.6.1 rich==13.9.4 --pre\n\
         COPY [\"sandbox/execution.sh\", \"/app/execution.sh\"]\n\
         COPY [\"sandbox/data\", \"/app/data\"]\n\
         ENV MODEL=gpt-4o\n\
         ENV GREETING='hello world'\n\
         WORKDIR /app\n\
         ENTRYPOINT [\"/bin/sh\", \"-c\"]\n\
         CMD [\"sleep\", \"infinity\"]\n"
    );
    assert_eq!(PITHY_DEFINITION.resources, Resources { cpu: 16, memory: 192, disk: 512, gpu: 1 });
    // No build script here, so no snapshot name: xtask would ask for the build.rs.
    assert_eq!(PITHY_DEFINITION.snapshot_name(), None);
    let contexts: Vec<(&str, ContextKind)> =
        PITHY_DEFINITION.contexts.iter().map(|c| (c.archive_path.as_ref(), c.kind)).collect();
    assert_eq!(
        contexts,
        [
            ("requirements.txt", ContextKind::File),
            ("requirements-dev.txt", ContextKind::File),
            ("sandbox/execution.sh", ContextKind::File),
            ("sandbox/data", ContextKind::Dir),
        ]
    );
    // The requirements files and pyproject.toml the rules read, for rebuilds.
    for name in ["/requirements.txt", "/requirements-dev.txt", "/pyproject.toml"] {
        assert!(
            PITHY_DEFINITION.files.iter().any(|f| f.ends_with(name)),
            "{name}: {:?}",
            PITHY_DEFINITION.files
        );
    }
    // The function is emitted unchanged: at run time the builder renders the same
    // definition from the same directory.
    let rendered = image().context_root(env!("PITHY_IMAGE_MANIFEST_DIR")).render().expect("valid");
    assert_eq!(rendered.dockerfile, PITHY_DEFINITION.dockerfile);
    assert_eq!(rendered.build_key(), PITHY_DEFINITION.build_key);
}
