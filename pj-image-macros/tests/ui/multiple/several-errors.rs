use pj_image::Image;
use pj_image_macros::pithy_image;

// Every violation is reported in one compile, in chain order, each on its literal;
// the function and a placeholder PITHY_DEFINITION are still emitted, so code that uses
// them reports nothing more.
#[pithy_image(cpu = 32)]
pub fn image() -> Image {
    Image::base("python:latest")
        .run_commands(["apt-get update", "cat <<EOF > /etc/motd"])
        .pip_install(["openai==1.54.0", "torch>=2"])
        .add_local_file("sandbox/missing.sh", "/app/missing.sh")
        .env([("HF_TOKEN", "hf_abc"), ("MODEL", "gpt-4o")])
        .workdir("app")
}

fn main() {
    let _ = image();
    let _ = PITHY_DEFINITION.dockerfile.len();
}
