//! `cargo xtask`: pithy's commands, from the library `pj-xtask` (`cargo xtask --help`).

fn main() -> std::process::ExitCode {
    pj_xtask::main()
}
