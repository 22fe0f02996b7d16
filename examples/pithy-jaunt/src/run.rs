//! `pithy-jaunt run`: a sandbox from this binary's snapshot, running the agent.

use std::process::ExitCode;
use std::time::Duration;

use pj_daytona::{Client, CreateSandbox, ExecuteRequest};

/// How long the sandbox may take to start, and the task to run.
const START_TIMEOUT: Duration = Duration::from_secs(180);
const TASK_TIMEOUT_SECS: u64 = 600;

/// Quotes one argument for `sh -c` (single quotes, `'` as `'\''`).
fn sh_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', "'\\''"))
}

pub fn run(task: &[String]) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run_async(task))
}

async fn run_async(task: &[String]) -> ExitCode {
    let client = match Client::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot configure the Daytona client: {e}");
            eprintln!(
                "  = help: set DAYTONA_API_KEY (or DAYTONA_JWT_TOKEN and DAYTONA_ORGANIZATION_ID); \
                 for the local server: eval \"$(cargo xtask local --env)\""
            );
            return ExitCode::from(2);
        }
    };
    let snapshot = pithy_jaunt::image::SNAPSHOT;
    eprintln!("creating a sandbox from {snapshot}");
    let mut request = CreateSandbox::default();
    request.labels.insert("app".to_owned(), "pithy-jaunt".to_owned());
    // Bound by content: the snapshot must be built from the definition compiled into this
    // binary (an inactive one is activated first; a replaced one is refused).
    let bound =
        client.bound(snapshot, &pithy_jaunt::image::PITHY_DEFINITION.build_key).timeout(START_TIMEOUT);
    let sandbox = match bound.create_sandbox(request).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            if e.is_not_found() {
                eprintln!(
                    "  = help: publish it first: cargo xtask snapshot (or --local, for the local server)"
                );
            }
            return ExitCode::FAILURE;
        }
    };
    // The sandbox is deleted whatever happens next.
    let code = execute(&sandbox, task).await;
    if let Err(e) = sandbox.delete().await {
        eprintln!("warning: could not delete sandbox {}: {e}", sandbox.id());
    }
    code
}

async fn execute(sandbox: &pj_daytona::Sandbox, task: &[String]) -> ExitCode {
    let args: Vec<String> = task.iter().map(|a| sh_quote(a)).collect();
    let mut request =
        ExecuteRequest::new(format!("/app/execution.sh {}", args.join(" ")).trim_end().to_owned());
    request.cwd = Some("/app".to_owned());
    request.timeout = Some(TASK_TIMEOUT_SECS);
    match sandbox.process().exec(&request).await {
        Ok(out) => {
            print!("{}", out.result);
            if !out.result.ends_with('\n') && !out.result.is_empty() {
                println!();
            }
            eprintln!("exit code {}", out.exit_code);
            ExitCode::from(u8::try_from(out.exit_code).unwrap_or(1))
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn arguments_are_quoted_for_the_shell() {
        assert_eq!(super::sh_quote("it's $HOME"), "'it'\\''s $HOME'");
    }
}
