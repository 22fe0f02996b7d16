//! Sessions as Daytona's daemon keeps them (`apps/daemon/pkg/session/`): one long-lived
//! shell per session, fed one command at a time on its stdin, so `cd` and `export` last
//! from one command to the next; each command's output in its own log; its exit code
//! when it ends.
//!
//! Here the shell is a `docker exec --interactive` the server holds, as the sandbox's user
//! (see [`shell::session_argv`]); one task per session (its actor) writes the commands and
//! reads the shell's stdout and stderr, which it files into the running command's
//! [`CommandLog`] until that command's markers come. Commands of a session run in turn,
//! as in the daemon; an async one (`runAsync`) is answered at once and keeps a FIFO as
//! its stdin for `SendInput`. Like the daemon's, sessions live in memory: a server restart,
//! or a sandbox stopped or deleted, ends them.
//!
//! Each stream's output is logged in its order; between stdout and stderr, the order is
//! the one docker delivers its two streams in (the daemon's two line labelers race alike).
//!
//! Unlike the daemon, a command has ended when its shell finishes it, even if a daemon it
//! started (`sleep 300 &`) still holds its output; such output, later, goes to the log of
//! the session's latest command.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin};
use tokio::sync::{mpsc, watch};

use super::super::{ApiError, ApiResult};
use super::Running;
use super::command_log::{CommandLog, Stream};
use super::shell::{self, Piece, Scanner};
use crate::docker;
use crate::state::uuid;

/// The entrypoint session's id, reserved (Daytona's `EntrypointSessionID`).
pub(crate) const ENTRYPOINT_SESSION: &str = "entrypoint";
/// The entrypoint's command id (Daytona's `EntrypointCommandID`).
pub(crate) const ENTRYPOINT_COMMAND: &str = "entrypoint_command";

/// How long a session's shell may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The locked `Mutex`, even if a panic poisoned it (the data stays consistent: every
/// critical section is a plain insert or remove).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Every session of every sandbox, by container.
#[derive(Debug)]
pub(crate) struct Sessions {
    root: PathBuf,
    by_container: Mutex<HashMap<String, Vec<Arc<Session>>>>,
    /// (container, session id) being created.
    creating: Mutex<HashSet<(String, String)>>,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ending {
    /// Its exit code (the daemon's 1 for a cancelled one).
    pub(crate) code: i32,
    /// Why it did not run to its end, when it did not.
    pub(crate) error: Option<String>,
}

/// One command of a session.
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) id: String,
    pub(crate) command: String,
    seq: u64,
    pub(crate) suppress_echo: bool,
    pub(crate) log: CommandLog,
    ending: watch::Sender<Option<Ending>>,
    /// Its stdin FIFO in the container (async commands).
    pub(crate) input: Option<String>,
}

impl Command {
    /// How it ended, or `None` while it runs (or waits its turn).
    pub(crate) fn ending(&self) -> Option<Ending> {
        self.ending.borrow().clone()
    }

    /// Waits until it ends.
    pub(crate) async fn wait(&self) -> Ending {
        let mut rx = self.ending.subscribe();
        match rx.wait_for(Option::is_some).await {
            Ok(ending) => ending.clone().unwrap_or_else(cancelled),
            Err(_) => cancelled(),
        }
    }

    fn end(&self, ending: Ending) {
        self.log.finish();
        self.ending.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(ending);
                true
            } else {
                false
            }
        });
    }
}

fn cancelled() -> Ending {
    Ending { code: 1, error: Some("session cancelled".to_owned()) }
}

/// One session.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) id: String,
    container: String,
    user: String,
    /// Its directory in the container.
    dir: String,
    /// Its shell's pid in the container (the leader of its process session).
    pid: u32,
    nonce: String,
    logs: PathBuf,
    commands: Mutex<Vec<Arc<Command>>>,
    next_seq: Mutex<u64>,
    queue: mpsc::UnboundedSender<Arc<Command>>,
    /// Why its shell is gone, once it is.
    exited: Mutex<Option<String>>,
    actor: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Session {
    /// Its commands, oldest first.
    pub(crate) fn commands(&self) -> Vec<Arc<Command>> {
        lock(&self.commands).clone()
    }

    /// One of its commands.
    pub(crate) fn command(&self, id: &str) -> Option<Arc<Command>> {
        lock(&self.commands).iter().find(|c| c.id == id).cloned()
    }

    /// Queues `command`; it runs after the session's earlier commands.
    pub(crate) fn execute(
        &self,
        command: &str,
        run_async: bool,
        suppress_echo: bool,
    ) -> ApiResult<Arc<Command>> {
        if let Some(why) = lock(&self.exited).clone() {
            return Err(ApiError::bad_request(format!("failed to execute command: {why}")));
        }
        let id = uuid();
        let seq = {
            let mut next = lock(&self.next_seq);
            *next += 1;
            *next
        };
        let log = CommandLog::create(self.logs.join(format!("{id}.log"))).map_err(|e| {
            ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot create the command's log: {e}"))
        })?;
        let input = run_async.then(|| format!("{}/{id}.in", self.dir));
        let command = Arc::new(Command {
            id,
            command: command.to_owned(),
            seq,
            suppress_echo,
            log,
            ending: watch::Sender::new(None),
            input,
        });
        lock(&self.commands).push(command.clone());
        if self.queue.send(command.clone()).is_err() {
            let why =
                lock(&self.exited).clone().unwrap_or_else(|| "the session's shell has exited".to_owned());
            command.end(Ending { code: -1, error: Some(why.clone()) });
            return Err(ApiError::bad_request(format!("failed to execute command: {why}")));
        }
        Ok(command)
    }

    /// Writes `data` to the stdin of running command `command` (a newline is added, as
    /// the daemon does), and to its log as stdout unless it suppresses the echo.
    pub(crate) async fn send_input(&self, command: &Command, data: &str) -> ApiResult<()> {
        if let Some(why) = lock(&self.exited).clone() {
            return Err(ApiError(StatusCode::GONE, format!("session process has exited: {why}")));
        }
        if let Some(ending) = command.ending() {
            return Err(ApiError(
                StatusCode::GONE,
                format!("command has already completed with exit code {}", ending.code),
            ));
        }
        let Some(fifo) = &command.input else {
            return Err(ApiError::bad_request(
                "the command was not run with runAsync: its standard input is closed",
            ));
        };
        let mut data = data.to_owned();
        if !data.ends_with('\n') {
            data.push('\n');
        }
        // Echoed first, so the log shows the input before what the command makes of it.
        if !command.suppress_echo {
            command.log.append(Stream::Stdout, data.as_bytes());
        }
        let written = self.write_input(fifo, &data).await;
        if let (Err(e), false) = (&written, command.suppress_echo) {
            let note = format!("\n[daytona-local: the input above was not delivered: {}]\n", e.1);
            command.log.append(Stream::Stderr, note.as_bytes());
        }
        written
    }

    async fn write_input(&self, fifo: &str, data: &str) -> ApiResult<()> {
        // `<>` opens the FIFO without waiting for a reader (and never creates one: `-p`
        // first); `timeout`, where the image has it, keeps a command that does not read
        // from holding the writer for ever.
        let script = r#"[ -p "$1" ] || exit 3
exec 3<>"$1"
if command -v timeout >/dev/null 2>&1; then exec timeout 10 cat >&3; else exec cat >&3; fi"#;
        let internal = |what: String| ApiError(StatusCode::INTERNAL_SERVER_ERROR, what);
        let mut child = docker::exec_command(
            &self.container,
            &self.user,
            None,
            &[],
            true,
            &["sh", "-c", script, "sh", fifo],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| internal(format!("could not run the docker CLI: {e}")))?;
        let mut stdin = child.stdin.take();
        let write = async {
            if let Some(stdin) = stdin.as_mut() {
                stdin.write_all(data.as_bytes()).await?;
                stdin.shutdown().await?;
            }
            drop(stdin.take());
            child.wait_with_output().await
        };
        let output = tokio::time::timeout(Duration::from_secs(15), write)
            .await
            .map_err(|_| internal("the command did not take its input within 15 s".to_owned()))?
            .map_err(|e| internal(format!("failed to write to input pipe: {e}")))?;
        match output.status.code() {
            Some(0) => Ok(()),
            Some(3) => Err(ApiError(
                StatusCode::GONE,
                "the command has completed; its input pipe is gone".to_owned(),
            )),
            _ => Err(internal(format!(
                "failed to write to input pipe: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ))),
        }
    }

    /// Ends the commands that have not ended (`why`), and the actor.
    fn stop(&self, why: &str) {
        if let Some(actor) = lock(&self.actor).take() {
            actor.abort();
        }
        for command in self.commands() {
            command.end(Ending { code: 1, error: Some(why.to_owned()) });
        }
    }
}

impl Sessions {
    /// The registry, keeping command logs under `root` (emptied: sessions do not outlive
    /// the server that ran them).
    pub(crate) fn new(root: PathBuf) -> Sessions {
        let _ = std::fs::remove_dir_all(&root);
        Sessions { root, by_container: Mutex::new(HashMap::new()), creating: Mutex::new(HashSet::new()) }
    }

    /// The sessions of a sandbox's container, oldest first.
    pub(crate) fn list(&self, container: &str) -> Vec<Arc<Session>> {
        lock(&self.by_container).get(container).cloned().unwrap_or_default()
    }

    /// One session, or the daemon's 404.
    pub(crate) fn get(&self, container: &str, id: &str) -> ApiResult<Arc<Session>> {
        self.list(container)
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| ApiError::not_found("session not found"))
    }

    /// Starts session `id` in `sandbox`.
    pub(crate) async fn create(
        self: &Arc<Self>,
        sandbox: &Running,
        id: &str,
        shutdown: watch::Receiver<bool>,
    ) -> ApiResult<()> {
        let key = (sandbox.container.clone(), id.to_owned());
        if self.get(&sandbox.container, id).is_ok() || !lock(&self.creating).insert(key.clone()) {
            return Err(ApiError(StatusCode::CONFLICT, "session already exists".to_owned()));
        }
        let started = self.start(sandbox, id, shutdown).await;
        lock(&self.creating).remove(&key);
        let session = started?;
        lock(&self.by_container).entry(sandbox.container.clone()).or_default().push(session);
        Ok(())
    }

    async fn start(
        self: &Arc<Self>,
        sandbox: &Running,
        id: &str,
        shutdown: watch::Receiver<bool>,
    ) -> ApiResult<Arc<Session>> {
        let internal = |what: String| ApiError(StatusCode::INTERNAL_SERVER_ERROR, what);
        let logs = self.root.join(uuid());
        std::fs::create_dir_all(&logs)
            .map_err(|e| internal(format!("cannot keep the session's logs: {e}")))?;
        let nonce = shell::nonce();
        let argv = shell::session_argv(&nonce, id);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let mut child = docker::exec_command(&sandbox.container, &sandbox.user, None, &[], true, &argv)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| internal(format!("could not run the docker CLI: {e}")))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(internal("the docker CLI's pipes are missing".to_owned()));
        };
        let (events_tx, mut events) = mpsc::channel(64);
        tokio::spawn(read_stream(stdout, Stream::Stdout, nonce.clone(), events_tx.clone()));
        tokio::spawn(read_stream(stderr, Stream::Stderr, nonce.clone(), events_tx));

        // Until the shell says it is ready, everything it says is an error.
        let mut said = Vec::new();
        let mut eofs = 0;
        let ready = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(event) = events.recv().await {
                match event {
                    Event::Piece(_, Piece::Marker(text)) => {
                        if let Some(rest) = text.strip_prefix("ready:") {
                            return rest
                                .split_once(':')
                                .and_then(|(pid, dir)| Some((pid.parse().ok()?, dir.to_owned())));
                        }
                        if let Some(why) = text.strip_prefix("fail:") {
                            said.extend_from_slice(why.as_bytes());
                        }
                    }
                    Event::Piece(_, Piece::Data(data)) => {
                        said.extend_from_slice(&data[..data.len().min(4096)])
                    }
                    Event::End(_) => {
                        eofs += 1;
                        if eofs == 2 {
                            return None;
                        }
                    }
                }
            }
            None
        })
        .await;
        let Ok(Some((pid, dir))) = ready else {
            let _ = child.start_kill();
            let _ = std::fs::remove_dir_all(&logs);
            let said = String::from_utf8_lossy(&said).trim().to_owned();
            return Err(internal(if said.is_empty() {
                "the session's shell did not start".to_owned()
            } else {
                format!("the session's shell did not start: {said}")
            }));
        };
        let (queue, commands) = mpsc::unbounded_channel();
        let session = Arc::new(Session {
            id: id.to_owned(),
            container: sandbox.container.clone(),
            user: sandbox.user.clone(),
            dir,
            pid,
            nonce,
            logs,
            commands: Mutex::new(Vec::new()),
            next_seq: Mutex::new(0),
            queue,
            exited: Mutex::new(None),
            actor: Mutex::new(None),
        });
        let actor = Actor {
            session: Arc::downgrade(&session),
            registry: Arc::downgrade(self),
            child,
            stdin,
            events,
            commands,
            shutdown,
            current: None,
            last: None,
        };
        let handle = tokio::spawn(actor.run());
        *lock(&session.actor) = Some(handle.abort_handle());
        Ok(session)
    }

    /// Deletes session `id`: its process tree is killed in the container (`TERM`, then
    /// `KILL`), its directory there removed, its commands that had not ended are
    /// cancelled, its logs dropped.
    pub(crate) async fn delete(&self, container: &str, id: &str) -> ApiResult<()> {
        let session = {
            let mut all = lock(&self.by_container);
            let list = all.get_mut(container).ok_or_else(|| ApiError::not_found("session not found"))?;
            let at = list
                .iter()
                .position(|s| s.id == id)
                .ok_or_else(|| ApiError::not_found("session not found"))?;
            list.remove(at)
        };
        let cleanup = format!("rm -rf {}", shell::quote(&session.dir));
        let gone = shell::kill_tree(container, session.pid, true, Some(&cleanup)).await;
        session.stop("session cancelled");
        let _ = std::fs::remove_dir_all(&session.logs);
        if !gone {
            eprintln!("daytona-local: some processes of session {id} in {container} could not be killed");
        }
        Ok(())
    }

    /// Forgets the sessions of a container that is gone (its sandbox deleted).
    pub(crate) fn end_container(&self, container: &str) {
        let sessions = lock(&self.by_container).remove(container).unwrap_or_default();
        for session in sessions {
            session.stop("the sandbox was deleted");
            let _ = std::fs::remove_dir_all(&session.logs);
        }
    }

    fn forget(&self, container: &str, id: &str) {
        let mut all = lock(&self.by_container);
        if let Some(list) = all.get_mut(container) {
            list.retain(|s| s.id != id);
        }
    }
}

/// What a stream reader tells the actor.
#[derive(Debug)]
enum Event {
    Piece(Stream, Piece),
    End(Stream),
}

async fn read_stream(
    mut reader: impl AsyncRead + Unpin,
    stream: Stream,
    nonce: String,
    events: mpsc::Sender<Event>,
) {
    let mut scanner = Scanner::new(&nonce);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for piece in scanner.feed(&buf[..n]) {
            if events.send(Event::Piece(stream, piece)).await.is_err() {
                return;
            }
        }
    }
    if let Some(rest) = scanner.finish() {
        let _ = events.send(Event::Piece(stream, Piece::Data(rest))).await;
    }
    let _ = events.send(Event::End(stream)).await;
}

/// The task that owns a session's shell.
struct Actor {
    session: Weak<Session>,
    registry: Weak<Sessions>,
    child: Child,
    stdin: ChildStdin,
    events: mpsc::Receiver<Event>,
    commands: mpsc::UnboundedReceiver<Arc<Command>>,
    shutdown: watch::Receiver<bool>,
    /// The running command, and which of its streams have said it ended (and its code).
    current: Option<(Arc<Command>, [bool; 2], i32)>,
    last: Option<Arc<Command>>,
}

impl Actor {
    async fn run(mut self) {
        let mut ended = [false; 2];
        loop {
            if *self.shutdown.borrow() {
                break;
            }
            tokio::select! {
                changed = self.shutdown.changed() => if changed.is_err() {
                    break;
                },
                event = self.events.recv() => match event {
                    Some(Event::Piece(stream, Piece::Data(data))) => {
                        if let Some(target) = self.current.as_ref().map(|c| &c.0).or(self.last.as_ref()) {
                            target.log.append(stream, &data);
                        }
                    }
                    Some(Event::Piece(stream, Piece::Marker(text))) => self.marker(stream, &text),
                    Some(Event::End(stream)) => {
                        ended[usize::from(stream == Stream::Stderr)] = true;
                        if ended == [true, true] {
                            break;
                        }
                    }
                    None => break,
                },
                command = self.commands.recv(), if self.current.is_none() => match command {
                    Some(command) => self.start(command).await,
                    None => break,
                },
            }
        }
        self.shell_gone().await;
    }

    /// Writes `command` to the shell.
    async fn start(&mut self, command: Arc<Command>) {
        let Some(session) = self.session.upgrade() else { return };
        let file = format!("{}/{}.sh", session.dir, command.id);
        let text = shell::session_command(
            &session.nonce,
            command.seq,
            &file,
            command.input.as_deref(),
            &command.command,
        );
        let written =
            tokio::time::timeout(Duration::from_secs(30), self.stdin.write_all(text.as_bytes())).await;
        match written {
            Ok(Ok(())) => self.current = Some((command, [false; 2], 0)),
            _ => command.end(Ending {
                code: -1,
                error: Some("failed to write command to the session's shell".to_owned()),
            }),
        }
    }

    /// A command's end marker (`<seq>:<code>`) on `stream`.
    fn marker(&mut self, stream: Stream, text: &str) {
        let Some((seq, code)) = text.split_once(':') else { return };
        let Some((command, seen, exit)) = self.current.as_mut() else { return };
        if seq.parse() != Ok(command.seq) {
            return;
        }
        seen[usize::from(stream == Stream::Stderr)] = true;
        *exit = code.trim().parse().unwrap_or(-1);
        if *seen != [true, true] {
            return;
        }
        if let Some((command, _, code)) = self.current.take() {
            command.end(Ending { code, error: None });
            self.last = Some(command);
        }
    }

    /// The shell ended (or the server stops): the running command ends with the shell's
    /// exit status (`exit 3` in a session ends it, as in Daytona), queued ones never run.
    async fn shell_gone(mut self) {
        let status = if *self.shutdown.borrow() {
            None
        } else {
            tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.ok().and_then(Result::ok)
        };
        let _ = self.child.start_kill();
        let why = match status.and_then(|s| s.code()) {
            Some(code) => format!("the session's shell has exited (exit code {code})"),
            None => "the session's shell has exited".to_owned(),
        };
        let Some(session) = self.session.upgrade() else { return };
        *lock(&session.exited) = Some(why.clone());
        if let Some((command, _, _)) = self.current.take() {
            let code = status.and_then(|s| s.code()).unwrap_or(-1);
            command.end(Ending { code, error: None });
        }
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            command.end(Ending { code: -1, error: Some(why.clone()) });
        }
        // A shell that ended because its container stopped takes the session with it, as
        // a sandbox's restart ends the daemon's sessions.
        if *self.shutdown.borrow() {
            return;
        }
        let (code, out, _) = docker::run(
            &["inspect", "--format", "{{.State.Running}}", &session.container],
            Duration::from_secs(15),
        )
        .await;
        if code != Some(0) || out.trim() != "true" {
            if let Some(registry) = self.registry.upgrade() {
                registry.forget(&session.container, &session.id);
            }
            let _ = std::fs::remove_dir_all(&session.logs);
        }
    }
}
