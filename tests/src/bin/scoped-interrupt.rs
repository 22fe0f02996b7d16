//! A binary that works in a sandbox inside `Sandbox::scoped` until it is interrupted: what
//! `tests/tests/sandbox_scoped_interrupt.rs` sends Ctrl-C (SIGINT) to, to see the sandbox
//! deleted and the binary exit with the interruption as its error.
//!
//! Usage: `scoped-interrupt SNAPSHOT` with `DAYTONA_API_URL` and `DAYTONA_API_KEY` set.
//! Prints `sandbox <id>` once created and `working` once inside the closure, then waits.

use std::process::ExitCode;
use std::time::Duration;

use pj_daytona::{Client, CreateSandbox, Error};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            // 130: the shells' code for a command ended by SIGINT.
            ExitCode::from(if matches!(e, Error::Interrupted { .. }) { 130 } else { 1 })
        }
    }
}

async fn run() -> Result<(), Error> {
    let snapshot =
        std::env::args().nth(1).ok_or_else(|| Error::Config("usage: scoped-interrupt SNAPSHOT".into()))?;
    let client = Client::from_env()?;
    let sandbox = client.sandboxes().create(&CreateSandbox::from_snapshot(snapshot)).await?;
    println!("sandbox {}", sandbox.id());
    sandbox
        .scoped(|_sandbox| async move {
            println!("working");
            tokio::time::sleep(Duration::from_secs(600)).await;
            Ok::<(), Error>(())
        })
        .await
}
