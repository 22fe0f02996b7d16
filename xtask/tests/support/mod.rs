//! What the xtask end-to-end tests share: running the xtask binary and `cargo xtask
//! local` as processes. Included as `mod support;` by each test binary.
#![allow(dead_code)]

pub mod readme;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// `cmd` as a user runs it in `root`: no Daytona credentials or pithy overrides from
/// the environment (the local server's state in its default place), built in the tests'
/// `target_dir` (the workspace's own is locked by the `cargo test` running this).
pub fn as_a_user_in(cmd: &mut std::process::Command, root: &Path, target_dir: &Path) {
    cmd.current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("DAYTONA_API_KEY")
        .env_remove("DAYTONA_API_URL")
        .env_remove("DAYTONA_JWT_TOKEN")
        .env_remove("PITHY_SNAPSHOT_OVERRIDE")
        .env_remove("PITHY_LOCAL_STATE_DIR");
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs a command to completion off the async workers (the server lives on them).
pub async fn output(mut cmd: std::process::Command) -> Run {
    let out: Output =
        tokio::task::spawn_blocking(move || cmd.output()).await.expect("join").expect("run xtask");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the xtask binary (`env!("CARGO_BIN_EXE_xtask")` of the calling test) with `args`
/// as a user in the app directory `app`, built in `target_dir`, against the server at `url`
/// with API key `key`, and checks that the key was not printed.
pub async fn xtask_against(
    xtask: &str,
    app: &Path,
    target_dir: &Path,
    url: &str,
    key: &str,
    args: &[&str],
) -> Run {
    let mut cmd = std::process::Command::new(xtask);
    as_a_user_in(&mut cmd, app, target_dir);
    cmd.args(args).env("DAYTONA_API_URL", url).env("DAYTONA_API_KEY", key);
    let run = output(cmd).await;
    assert!(!run.text().contains(key), "the API key was printed:\n{}", run.text());
    run
}

pub fn assert_code(run: &Run, code: i32) {
    assert_eq!(run.code, code, "unexpected exit code; output:\n{}", run.text());
}

/// A free port on 127.0.0.1 whose successor is free too (`cargo xtask local` takes both).
pub fn free_port_pair() -> u16 {
    for _ in 0..50 {
        let first = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = first.local_addr().expect("addr").port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no two free consecutive ports on 127.0.0.1");
}

/// `cargo xtask local` as a process; stopped (SIGINT, like Ctrl-C) when dropped.
pub struct LocalServer {
    child: std::process::Child,
    pub url: String,
    pub key: String,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    /// The thread that copies its standard error; joined once it has exited.
    reader: Option<std::thread::JoinHandle<()>>,
}

impl LocalServer {
    /// Starts `cmd` (an `xtask` command without arguments) as `xtask local --port PORT
    /// <extra>` with its state in `state`, and waits until it serves.
    pub fn start(mut cmd: std::process::Command, state: &Path, port: u16, extra: &[&str]) -> LocalServer {
        use std::io::{BufRead, BufReader};
        cmd.args(["local", "--port", &port.to_string()]).args(extra);
        cmd.env("PITHY_LOCAL_STATE_DIR", state)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("spawn xtask local");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stderr.clone();
        let err = child.stderr.take().expect("stderr");
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut text = sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                text.push_str(&line);
                text.push('\n');
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut line = || lines.next().and_then(Result::ok).unwrap_or_default();
        let (url_line, key_line) = (line(), line());
        let url = url_line.strip_prefix("export DAYTONA_API_URL=").unwrap_or_default().to_owned();
        let key = key_line.strip_prefix("export DAYTONA_API_KEY=").unwrap_or_default().to_owned();
        let server = LocalServer { child, url, key, stderr, reader: Some(reader) };
        assert!(!server.url.is_empty(), "no URL line ({url_line:?}); stderr:\n{}", server.stderr());
        server.wait_for_stderr("Ctrl-C stops it");
        server
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Waits (10 s at most) until the server's stderr holds `text`.
    pub fn wait_for_stderr(&self, text: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !self.stderr().contains(text) {
            assert!(std::time::Instant::now() < deadline, "no {text:?} in:\n{}", self.stderr());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Ctrl-C; the exit code. Its standard error is complete afterwards.
    pub fn stop(&mut self) -> Option<i32> {
        let code = self.interrupt();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        code
    }

    fn interrupt(&mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill").args(["-INT", &pid]).status();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}

/// `docker <args>`, whatever its exit status.
pub fn docker(args: &[&str]) -> Output {
    std::process::Command::new("docker").args(args).output().expect("run docker (installed by .ci/run)")
}

/// `docker <args>`, which must succeed; its standard output.
pub fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(out.status.success(), "docker {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command to completion with its standard output and error in one pipe, as a
/// terminal shows them (the README's sessions); the exit code and the text.
pub async fn combined(mut cmd: std::process::Command) -> (i32, String) {
    use std::io::Read;
    tokio::task::spawn_blocking(move || {
        let (mut reader, writer) = std::io::pipe().expect("pipe");
        cmd.stdout(writer.try_clone().expect("pipe")).stderr(writer);
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
        // The command holds the pipe's writing ends: without dropping it, no end of file.
        drop(cmd);
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).expect("read the output");
        let code = child.wait().expect("wait").code().unwrap_or(-1);
        (code, String::from_utf8_lossy(&bytes).into_owned())
    })
    .await
    .expect("join")
}
