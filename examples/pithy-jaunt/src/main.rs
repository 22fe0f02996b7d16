//! pithy-jaunt: the reference application. Its sandbox image is a `#[pithy_image]`
//! definition (`src/image.rs`), and the binary can only ask for the snapshot of its
//! own version (`env!("PITHY_SNAPSHOT")`).

use std::process::ExitCode;

mod run;

use pithy_jaunt::image;

const USAGE: &str = "usage: pithy-jaunt <command>

commands:
  snapshot   print the name of the snapshot this binary uses
  image      print the snapshot name, resources, Dockerfile, contexts and build key
  run [TASK] create a sandbox from the snapshot and run /app/execution.sh TASK in it
             (Daytona credentials from DAYTONA_API_KEY / DAYTONA_API_URL; for the
             local server: eval \"$(cargo xtask local --env)\")
  help       print this help";

fn print_image() {
    let def = &image::PITHY_DEFINITION;
    let r = def.resources;
    println!("snapshot:  {}", image::SNAPSHOT);
    println!("resources: cpu {}, memory {} GB, disk {} GB, gpu {}", r.cpu, r.memory, r.disk, r.gpu);
    println!("build key: {}", def.build_key);
    println!("contexts:");
    for c in def.contexts.iter() {
        println!("  {}  {}", c.md5, c.archive_path);
    }
    println!("dockerfile:");
    print!("{}", def.dockerfile);
}

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("snapshot") => {
            println!("{}", image::SNAPSHOT);
            ExitCode::SUCCESS
        }
        Some("run") => run::run(&std::env::args().skip(2).collect::<Vec<_>>()),
        Some("image") => {
            print_image();
            ExitCode::SUCCESS
        }
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
