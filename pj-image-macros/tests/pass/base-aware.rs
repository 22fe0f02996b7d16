//! Definitions the base-aware rules (issue 8) must accept, each an image that builds:
//! a Python image, Python installed the right way on ubuntu, a base pithy does not know,
//! a step the rules cannot read, and the failing definition with the rule
//! allowed. The Dockerfiles are written by hand from `docs/daytona-contract.md` §2.2.

use pj_image::Image;
use pj_image_macros::pithy_image;

mod python_image {
    use super::*;

    #[pithy_image]
    pub fn image() -> Image {
        Image::base("python:3.12-slim-bookworm").pip_install(["openai==1.54.0"])
    }
}

mod ubuntu_with_python {
    use super::*;

    // Ubuntu 22.04's Python is not externally managed, so its pip installs as root.
    #[pithy_image]
    pub fn image() -> Image {
        Image::base("ubuntu:22.04")
            .apt_install(["python3-pip", "python-is-python3"])
            .pip_install(["openai==1.54.0"])
    }
}

mod unknown_base {
    use super::*;

    // pithy knows nothing of this image, so it says nothing about Python.
    #[pithy_image]
    pub fn image() -> Image {
        Image::base("myorg/agent-base:1.4").pip_install(["openai==1.54.0"])
    }
}

mod unreadable_step {
    use super::*;

    // A script piped to a shell may install anything: the benefit of the doubt.
    #[pithy_image]
    pub fn image() -> Image {
        Image::base("ubuntu:22.04")
            .run_commands(["curl -fsSL https://example.com/install-python.sh | sh"])
            .pip_install(["openai==1.54.0"])
    }
}

mod allowed {
    use super::*;

    // The definition of issue 8, with the rule allowed (say the tag is a custom build).
    #[pithy_image(cpu = 2, allow(pip-needs-python))]
    pub fn image() -> Image {
        Image::base("ubuntu:22.04")
            .run_commands(["apt-get update && apt-get install -y git curl jq"])
            .pip_install(["openai==1.54.0", "anthropic==0.39.0"])
    }
}

fn main() {
    assert_eq!(
        python_image::PITHY_DEFINITION.dockerfile,
        "FROM python:3.12-slim-bookworm\nRUN python -m pip install openai==1.54.0\n"
    );
    assert_eq!(
        ubuntu_with_python::PITHY_DEFINITION.dockerfile,
        "FROM ubuntu:22.04\n\
         RUN apt-get update && apt-get install -y --no-install-recommends python-is-python3 python3-pip \
         && rm -rf /var/lib/apt/lists/*\n\
         RUN python -m pip install openai==1.54.0\n"
    );
    assert_eq!(
        unknown_base::PITHY_DEFINITION.dockerfile,
        "FROM myorg/agent-base:1.4\nRUN python -m pip install openai==1.54.0\n"
    );
    assert_eq!(
        unreadable_step::PITHY_DEFINITION.dockerfile,
        "FROM ubuntu:22.04\n\
         RUN curl -fsSL https://example.com/install-python.sh | sh\n\
         RUN python -m pip install openai==1.54.0\n"
    );
    assert_eq!(
        allowed::PITHY_DEFINITION.dockerfile,
        "FROM ubuntu:22.04\n\
         RUN apt-get update && apt-get install -y git curl jq\n\
         RUN python -m pip install anthropic==0.39.0 openai==1.54.0\n"
    );
    assert_eq!(allowed::PITHY_DEFINITION.resources.cpu, 2);
    // At run time the builder needs the same allow to validate.
    let image = allowed::image().allow(pj_image::Rule::PipNeedsPython);
    assert!(image.validate().is_ok());
    assert!(allowed::image().validate().is_err());
}
