//! `cargo xtask`: the project's own commands. `snapshot` (publishing a pithy image as a
//! Daytona snapshot) is being built; until then this says so instead of pretending.

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  snapshot   publish the application's image as a Daytona snapshot (not implemented yet)
  help       print this help";

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("snapshot") => {
            eprintln!(
                "error: `cargo xtask snapshot` is not implemented yet; use `cargo run -p pithy-jaunt -- image` to see the definition"
            );
            ExitCode::from(2)
        }
        Some(other) => {
            eprintln!("error: unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
