//! pip written by hand in run_commands, pinned, in each spelling: it compiles, and the
//! commands are written verbatim (`RUN <command>`, `docs/daytona-contract.md` §2.2). The
//! last line is one the shell reader cannot read (`$HOME`, a pipe): the benefit of the
//! doubt, as for every rule that reads run commands.

use pj_image::Image;
use pj_image_macros::pithy_image;

#[pithy_image]
fn image() -> Image {
    Image::base("python:3.12.10-slim-bookworm").run_commands([
        "pip install --no-cache-dir -i https://pypi.org/simple numpy==1.26.4 'rich[jupyter]==13.9.4'",
        "python3 -m pip install -U pip==24.3.1 && pip3 install --no-deps -e /opt/tool",
        "uv pip install --system -c /constraints.txt ruff==0.8.4",
        "pip install -r requirements.txt || true; echo $HOME | pip install torch",
    ])
}

fn main() {
    assert_eq!(
        PITHY_DEFINITION.dockerfile,
        "FROM python:3.12.10-slim-bookworm\n\
         RUN pip install --no-cache-dir -i https://pypi.org/simple numpy==1.26.4 'rich[jupyter]==13.9.4'\n\
         RUN python3 -m pip install -U pip==24.3.1 && pip3 install --no-deps -e /opt/tool\n\
         RUN uv pip install --system -c /constraints.txt ruff==0.8.4\n\
         RUN pip install -r requirements.txt || true; echo $HOME | pip install torch\n"
    );
}
