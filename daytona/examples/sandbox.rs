// A task in a sandbox of the application's own snapshot: create the sandbox from the bound
// snapshot, upload the task, run a command in a session with its logs streamed as they
// come, download the result, and delete the sandbox whatever happened.
//
// `cargo run -p pj-daytona --example sandbox -- SNAPSHOT BUILD_KEY`, with DAYTONA_API_URL
// and DAYTONA_API_KEY set (`eval "$(cargo xtask local --env)"` for the local server).

use pj_daytona::{Client, CreateSandbox, Error, Sandbox, SessionCommand};

/// What the sandbox did with the task.
#[derive(Debug)]
pub struct Outcome {
    /// The command's output, as it was streamed.
    pub streamed: String,
    /// The command's exit code.
    pub exit_code: i32,
    /// The result file, downloaded.
    pub result: String,
}

/// Runs `task` in a new sandbox from the snapshot `name`, which must be the one built from
/// the definition whose build key is `build_key` (in an application made with
/// `#[pithy_image]`: `image::SNAPSHOT` and `image::PITHY_DEFINITION.build_key`).
pub async fn run_task(client: &Client, name: &str, build_key: &str, task: &str) -> Result<Outcome, Error> {
    let sandbox = client.bound(name, build_key).create_sandbox(CreateSandbox::default()).await?;
    // Deleted once the work is over, whatever happened: an error, a panic, Ctrl-C.
    sandbox.scoped(|sandbox| async move { work(&sandbox, task).await }).await
}

async fn work(sandbox: &Sandbox, task: &str) -> Result<Outcome, Error> {
    sandbox.fs().upload_bytes(task.to_owned(), "/app/task.txt").await?;

    let session = sandbox.process().create_session("task").await?;
    let script = "for word in $(cat /app/task.txt); do echo \"$word\"; sleep 0.1; done; \
                  wc -w < /app/task.txt > /app/result.txt";
    let command = session.spawn(&SessionCommand::new(script)).await?;
    let mut logs = command.logs().await?;
    let mut streamed = String::new();
    while let Some(chunk) = logs.next().await? {
        let text = String::from_utf8_lossy(chunk.bytes());
        print!("{text}");
        streamed.push_str(&text);
    }
    let exit_code = command.wait().await?;

    let result = sandbox.fs().download_bytes("/app/result.txt").await?;
    let result = String::from_utf8_lossy(&result).trim().to_owned();
    Ok(Outcome { streamed, exit_code, result })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(name), Some(build_key)) = (args.next(), args.next()) else {
        return Err("usage: sandbox SNAPSHOT BUILD_KEY (both from `cargo xtask snapshot --dry-run`)".into());
    };
    let client = Client::from_env()?;
    let outcome = run_task(&client, &name, &build_key, "count the words of this task").await?;
    println!("exit code {}; {} words", outcome.exit_code, outcome.result);
    Ok(())
}
