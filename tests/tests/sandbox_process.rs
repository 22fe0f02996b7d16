//! pj-daytona's process API (`Sandbox::process`: exec, code_run, sessions, commands and
//! their followed logs) against the local server, on a sandbox of the reference snapshot
//! (`support::reference`: Debian 12 with python3, work dir `/app`). Expected values come
//! from the container itself (`docker exec`) and from the official Python SDK reading the
//! same sandbox (`tests/conformance/sdk_process_read.py`); then every error: a missing
//! session or command, a command's timeout, a stopped sandbox, a deleted one.

mod support;

use std::process::Stdio;
use std::time::Duration;

use futures_util::TryStreamExt;
use pj_daytona::{
    CodeRunRequest, CreateSandbox, Error, ExecuteRequest, Language, LogChunk, SandboxState, SessionCommand,
    Timeouts,
};
use pj_daytona_local::BuildMode;
use support::{reference, sdk};

/// What `docker exec` in the sandbox's container prints (stdout), the oracle.
fn docker_exec(container: &str, script: &str) -> String {
    let out = std::process::Command::new("docker")
        .args(["exec", container, "sh", "-c", script])
        .stdin(Stdio::null())
        .output()
        .expect("docker runs");
    assert!(out.status.success(), "docker exec {script:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stdout and stderr of a list of chunks, each joined.
fn split(chunks: &[LogChunk]) -> (String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    for chunk in chunks {
        match chunk {
            LogChunk::Stdout(b) => out.extend_from_slice(b),
            LogChunk::Stderr(b) => err.extend_from_slice(b),
            other => panic!("a chunk of no known stream: {other:?}"),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

fn expect_err<T: std::fmt::Debug>(what: &str, result: Result<T, Error>) -> Error {
    match result {
        Ok(value) => panic!("{what}: expected an error, got {value:?}"),
        Err(error) => error,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_exec_code_run_and_sessions() {
    let (server, _state) = support::server(BuildMode::Docker).await;
    let snapshot = reference::snapshot(&server).await;
    let containers = support::SandboxContainers(&server);
    let client = server.client_builder().build().expect("a client of the local server");
    let sandbox =
        client.sandboxes().create(&CreateSandbox::from_snapshot(&snapshot)).await.expect("a sandbox starts");
    let container = support::sandbox_containers(sandbox.id());
    assert!(!container.is_empty() && !container.contains('\n'), "one container: {container:?}");
    let process = sandbox.process();

    // --- exec: cwd, env, exit code; the container says what the command did ---
    let request = ExecuteRequest::new("printf '%s' \"$PJ_GREETING\" > exec.txt; pwd; echo oops >&2; exit 3")
        .cwd("/tmp")
        .env("PJ_GREETING", "hello-from-env")
        .timeout(30);
    assert!(!format!("{request:?}").contains("hello-from-env"), "no env value in Debug: {request:?}");
    let out = process.exec(&request).await.expect("exec");
    assert_eq!(out.exit_code, 3);
    assert_eq!(out.result, "/tmp\noops\n", "stdout and stderr merged, in order");
    assert_eq!(docker_exec(&container, "cat /tmp/exec.txt"), "hello-from-env");
    let os = process.exec(&ExecuteRequest::new("head -1 /etc/os-release")).await.expect("exec");
    assert_eq!(os.result, docker_exec(&container, "head -1 /etc/os-release"));

    // A command that outlives its timeout: killed, a typed timeout naming the limit.
    let error = expect_err("a timeout", process.exec(&ExecuteRequest::new("sleep 30").timeout(1)).await);
    assert!(
        matches!(error, Error::Timeout { operation: "execute command", after } if after == Duration::from_secs(1)),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "Failed to execute command: timed out after 1s");

    // --- code_run: Python with argv and env; JavaScript where the image has no node ---
    let code = "import os, sys\nprint(sys.argv[1:], os.environ['PJ_VALUE'])\nsys.exit(2)";
    let code_out = process
        .code_run(&CodeRunRequest::new(Language::Python, code).arg("first").env("PJ_VALUE", "v1").timeout(30))
        .await
        .expect("code_run");
    assert_eq!((code_out.exit_code, code_out.result.as_str()), (2, "['first'] v1\n"));
    let error = expect_err(
        "code_run in a language the image lacks",
        process.code_run(&CodeRunRequest::new(Language::JavaScript, "console.log(1)")).await,
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error}");
    assert!(error.to_string().contains("node"), "the server says what is missing: {error}");
    let error = expect_err(
        "code_run past its timeout",
        process
            .code_run(&CodeRunRequest::new(Language::Python, "import time; time.sleep(30)").timeout(1))
            .await,
    );
    assert!(matches!(error, Error::Timeout { operation: "run code", .. }), "{error:?}");

    // --- sessions: state kept between commands, stdout and stderr apart ---
    let session = process.create_session("rust-session").await.expect("create a session");
    let error = expect_err("the same id again", process.create_session("rust-session").await);
    assert!(error.is_conflict(), "{error:?}");
    session.exec(&SessionCommand::new("cd /tmp && export PJ_A=kept")).await.expect("session exec");
    let done = session
        .exec(&SessionCommand::new("echo \"$PJ_A in $PWD\"; echo to-stderr >&2; (exit 4)"))
        .await
        .expect("session exec");
    assert_eq!(done.exit_code, 4);
    assert_eq!((done.output.stdout.as_str(), done.output.stderr.as_str()), ("kept in /tmp\n", "to-stderr\n"));
    let sync_id = done.command_id.clone();
    assert_eq!(session.command(&sync_id).output().await.expect("output"), done.output);

    // --- spawn: the log follows the command as it runs ---
    let command = session
        .spawn(&SessionCommand::new("echo first; sleep 2; echo second >&2; echo third"))
        .await
        .expect("spawn");
    let mut logs = command.logs().await.expect("follow the logs");
    let first = logs.next().await.expect("a chunk").expect("the first chunk");
    let when_first = command.info().await.expect("the command's info");
    assert_eq!(when_first.exit_code, None, "the first chunk came while the command still ran");
    assert_eq!(first, LogChunk::Stdout(bytes_of("first\n")));
    let mut chunks = vec![first];
    while let Some(chunk) = logs.next().await.expect("a chunk") {
        chunks.push(chunk);
    }
    assert_eq!(split(&chunks), ("first\nthird\n".to_owned(), "second\n".to_owned()));
    assert_eq!(command.wait().await.expect("wait"), 0);
    // Followed again once ended: the whole log, through the `Stream` interface.
    let again: Vec<LogChunk> = command.logs().await.expect("logs").try_collect().await.expect("the log");
    assert_eq!(split(&again), split(&chunks));
    let output = command.output().await.expect("output");
    assert_eq!((output.stdout.as_str(), output.stderr.as_str()), ("first\nthird\n", "second\n"));

    // A log followed for longer than the client's request timeout is not cut by it (the
    // upgraded connection is the stream's own); a session exec has its own bound.
    let short = server
        .client_builder()
        .timeouts(Timeouts { request: Duration::from_secs(2), ..Timeouts::default() })
        .build()
        .expect("a client with a short request timeout");
    let short_sandbox = short.sandboxes().get(sandbox.id()).await.expect("the sandbox");
    let short_session = short_sandbox.process().session("rust-session");
    let slow = short_session.spawn(&SessionCommand::new("echo a; sleep 4; echo b")).await.expect("spawn");
    let slow_log: Vec<LogChunk> =
        slow.logs().await.expect("logs").try_collect().await.expect("the whole log");
    assert_eq!(split(&slow_log).0, "a\nb\n");
    let slow_session = short_sandbox.process().create_session("slow-session").await.expect("a session");
    let error = expect_err(
        "a session exec past its timeout",
        slow_session.exec(&SessionCommand::new("sleep 6").timeout(Duration::from_secs(1))).await,
    );
    assert!(
        matches!(error, Error::Timeout { operation: "execute session command", after } if after == Duration::from_secs(3)),
        "{error:?}"
    );
    slow_session.delete().await.expect("delete the slow session");

    // --- input: echoed into the log unless suppressed; refused once the command ended ---
    let reader = session.spawn(&SessionCommand::new("read line; echo \"got $line\"")).await.expect("spawn");
    reader.send_input("hello").await.expect("send input");
    assert_eq!(reader.wait().await.expect("wait"), 0);
    assert_eq!(reader.output().await.expect("output").stdout, "hello\ngot hello\n");
    let quiet = session
        .spawn(&SessionCommand::new("read line; echo \"got $line\"").suppress_input_echo(true))
        .await
        .expect("spawn");
    quiet.send_input("secret-input").await.expect("send input");
    assert_eq!(quiet.wait().await.expect("wait"), 0);
    assert_eq!(quiet.output().await.expect("output").stdout, "got secret-input\n");
    let error = expect_err("input to an ended command", quiet.send_input("late").await);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(410), "{error}");

    // --- get and list, compared with the official SDK reading the same sandbox ---
    let info = process.get_session("rust-session").await.expect("get the session");
    assert_eq!(info.id, "rust-session");
    assert_eq!(info.commands.len(), 6);
    assert_eq!(info.commands[1].id, sync_id);
    assert_eq!(info.commands[1].exit_code, Some(4));
    let listed = process.list_sessions().await.expect("list the sessions");
    assert_eq!(listed, vec![info.clone()]);

    let run = sdk::Script::new("sdk_process_read.py")
        .arg(sandbox.id())
        .arg("rust-session")
        .arg(&sync_id)
        .arg(command.id())
        .arg(code)
        .arg("first")
        .arg("v1")
        .arg("head -1 /etc/os-release")
        .timeout(Duration::from_secs(120))
        .run(&server)
        .await;
    let sdk = &run.json;
    assert_eq!(sdk["sdk"], "0.226.1");
    let sdk_commands: Vec<(String, String, Option<i64>)> = sdk["session"]["commands"]
        .as_array()
        .expect("the SDK's commands")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_owned(),
                c["command"].as_str().unwrap_or_default().to_owned(),
                c["exitCode"].as_i64(),
            )
        })
        .collect();
    let ours: Vec<(String, String, Option<i64>)> =
        info.commands.iter().map(|c| (c.id.clone(), c.command.clone(), c.exit_code.map(i64::from))).collect();
    assert_eq!(ours, sdk_commands, "get_session: the SDK sees the same commands");
    assert_eq!(sdk["sync"]["stdout"], done.output.stdout.as_str());
    assert_eq!(sdk["sync"]["stderr"], done.output.stderr.as_str());
    let (stdout, stderr) = split(&chunks);
    assert_eq!(sdk["async"]["stdout"], stdout.as_str(), "the SDK's logs of the spawned command");
    assert_eq!(sdk["async"]["stderr"], stderr.as_str());
    assert_eq!(sdk["followed"]["stdout"], stdout.as_str(), "the SDK's followed log demultiplexes alike");
    assert_eq!(sdk["followed"]["stderr"], stderr.as_str());
    assert_eq!(sdk["codeRun"]["exitCode"], code_out.exit_code, "code_run: the same exit code");
    assert_eq!(sdk["codeRun"]["result"], code_out.result.as_str());
    assert_eq!(sdk["exec"]["result"], os.result.as_str());

    // --- missing session and command ---
    let missing = process.session("no-such-session");
    for error in [
        expect_err("get a missing session", process.get_session("no-such-session").await),
        expect_err("exec in a missing session", missing.exec(&SessionCommand::new("true")).await),
        expect_err("spawn in a missing session", missing.spawn(&SessionCommand::new("true")).await),
        expect_err("delete a missing session", missing.delete().await),
        expect_err("a missing command", session.command("no-such-command").info().await),
        expect_err("a missing command's output", session.command("no-such-command").output().await),
        expect_err("a missing command's input", session.command("no-such-command").send_input("x").await),
    ] {
        assert!(error.is_not_found(), "{error:?}");
    }
    let error = expect_err("a missing command's log", session.command("no-such-command").logs().await);
    assert!(error.is_not_found(), "{error:?}");

    // --- delete: gone from get and list, its shell killed ---
    let sleeper = session.spawn(&SessionCommand::new("sleep 300")).await.expect("spawn");
    assert_eq!(sleeper.info().await.expect("info").exit_code, None);
    session.delete().await.expect("delete the session");
    assert!(expect_err("a deleted session", session.info().await).is_not_found());
    assert_eq!(process.list_sessions().await.expect("list"), vec![]);
    assert_eq!(
        docker_exec(&container, "ps -eo args | grep -c '^sleep 300' || true").trim(),
        "0",
        "the session's processes are gone"
    );

    // --- a stopped sandbox: the server's message; then a deleted one: not found ---
    let mut stopping = sandbox.clone();
    stopping.stop().await.expect("the sandbox stops");
    assert_eq!(stopping.info().state, Some(SandboxState::Stopped));
    for error in [
        expect_err("exec on a stopped sandbox", process.exec(&ExecuteRequest::new("true")).await),
        expect_err("a session on a stopped sandbox", process.create_session("late").await),
        expect_err("list sessions on a stopped sandbox", process.list_sessions().await),
    ] {
        assert!(error.status().is_some_and(|s| s.is_client_error()), "{error:?}");
        assert!(error.to_string().to_lowercase().contains("not started"), "the server's message: {error}");
    }
    client.sandboxes().delete(sandbox.id()).await.expect("delete the sandbox");
    let error = expect_err("exec on a deleted sandbox", process.exec(&ExecuteRequest::new("true")).await);
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(support::sandbox_containers(sandbox.id()), "", "the container is gone");
    drop(containers);
    server.shutdown().await;
}

fn bytes_of(text: &'static str) -> bytes::Bytes {
    bytes::Bytes::from_static(text.as_bytes())
}
