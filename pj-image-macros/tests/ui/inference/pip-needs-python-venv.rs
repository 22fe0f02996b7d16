use pj_image::Image;
use pj_image_macros::pithy_image;

// `python3 -m venv` fails on Debian without python3-venv, so PATH leads nowhere.
#[pithy_image]
fn image() -> Image {
    Image::base("debian:12")
        .apt_install(["python3"])
        .run_commands(["python3 -m venv /opt/venv"])
        .env([("PATH", "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")])
        .pip_install_with(["rich==13.9.4"], pj_image::PipOptions::default())
}

fn main() {}
