//! pithy-jaunt: the reference application. Its sandbox image is a pithy definition;
//! `pithy-jaunt image` prints what would be published.
//!
//! Until `#[pithy_image]` lands, the definition is built with pj-image's runtime
//! builder, rooted at this crate's directory.

use std::process::ExitCode;

use pj_image::Image;

/// The sandbox image of the application.
fn image() -> Image {
    Image::base("ubuntu:22.04")
        .context_root(env!("CARGO_MANIFEST_DIR"))
        .run_commands(["apt-get update && apt-get install -y git curl jq"])
        .pip_install(["openai==1.54.0", "anthropic==0.39.0"])
        .add_local_file("sandbox/execution.sh", "/app/execution.sh")
        .add_local_file("sandbox/agent-runner.py", "/app/agent-runner.py")
        .workdir("/app")
}

const USAGE: &str = "usage: pithy-jaunt <command>

commands:
  image    print the snapshot name, Dockerfile, contexts and build key of the sandbox image
  help     print this help";

fn print_image() -> ExitCode {
    let name =
        match pj_image::snapshot_name(env!("CARGO_PKG_NAME"), Some("pithy-jaunt"), env!("CARGO_PKG_VERSION"))
        {
            Ok(name) => name,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
    match image().render() {
        Ok(rendered) => {
            println!("snapshot:  {name}");
            println!("build key: {}", rendered.build_key());
            println!("contexts:");
            for c in &rendered.contexts {
                println!("  {}  {}", c.md5, c.archive_path);
            }
            println!("dockerfile:");
            print!("{}", rendered.dockerfile);
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in errors.iter() {
                eprintln!("error[{}]: {}", e.rule, e.message);
            }
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("image") => print_image(),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("error: unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
