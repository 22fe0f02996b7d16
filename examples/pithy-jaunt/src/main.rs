//! pithy-jaunt: the reference application. Its sandbox image is a `#[pithy_image]`
//! definition (`src/image.rs`), and the binary can only ask for the snapshot of its
//! own version (`env!("PITHY_SNAPSHOT")`). `run` does an agent's whole job in a sandbox
//! (`src/run.rs`).

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod forward;
mod repo;
mod run;

use cli::{Cli, Command};
use pithy_jaunt::image;

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
    let cli = Cli::parse();
    match cli.command {
        Command::Snapshot => {
            println!("{}", image::SNAPSHOT);
            ExitCode::SUCCESS
        }
        Command::Image => {
            print_image();
            ExitCode::SUCCESS
        }
        Command::Run(args) => run::run(args),
        Command::Delete { sandbox } => run::delete(&sandbox),
    }
}
