//! One preview listener: each connection is checked (the token of a private sandbox) and
//! relayed to the sandbox's port through `docker exec -i` of a relay in the container.
//! Previews speak HTTP, as Daytona's proxy does: the first request's head is read before
//! anything is relayed (an upgrade to WebSocket then passes through as bytes).
//!
//! The relay is the image's `python3` (preferred: it half-closes the socket when the client
//! is done sending) or `bash` (its `/dev/tcp`); an image with neither gets a 502 that says
//! so. The relay prints `OK` once it is connected, so a port nothing listens on is a 502
//! naming the port, not an empty answer. Every connection is bounded: the request head
//! (size and time), the connect, idleness in both directions, and the time after the client
//! stopped sending; the server's shutdown ends them all.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, watch};

use super::super::sandboxes::find_sandbox;
use super::super::toolbox::Running;
use super::super::toolbox::capture::{Capture, capture};
use super::super::toolbox::running;
use super::forget;
use crate::{Shared, docker};

/// The most bytes of a request head read before the token is checked.
const HEAD_LIMIT: usize = 64 * 1024;
/// How long a client may take to send its request head.
const HEAD_TIME: Duration = Duration::from_secs(30);
/// How long the relay may take to connect to the sandbox's port.
const CONNECT_TIME: Duration = Duration::from_secs(20);
/// A connection with no byte either way for this long is closed.
const IDLE: Duration = Duration::from_secs(600);
/// How long an answer may still come once the client has stopped sending (the `bash`
/// relay cannot tell the sandbox's server that the client is done).
const AFTER_CLIENT: Duration = Duration::from_secs(60);

/// Connects to `127.0.0.1:$1` in the container, says `OK`, then copies both ways; the
/// client's end of input half-closes the socket.
const PYTHON: &str = r#"import os, socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
os.write(1, b"OK\n")
def up():
    while True:
        d = os.read(0, 65536)
        if not d:
            break
        s.sendall(d)
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
threading.Thread(target=up, daemon=True).start()
while True:
    d = s.recv(65536)
    if not d:
        break
    while d:
        d = d[os.write(1, d):]
"#;

/// The same with bash's `/dev/tcp` and `cat`.
const BASH: &str = r#"exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
printf 'OK\n'
cat <&3 &
cat >&3
wait"#;

#[derive(Debug, Clone, Copy)]
enum Relay {
    Python,
    Bash,
}

/// Serves one listener until the server stops or the sandbox is gone.
pub(super) async fn serve(shared: Arc<Shared>, id: String, port: u16, token: String, listener: TcpListener) {
    let relay: Arc<Mutex<Option<Relay>>> = Arc::default();
    let mut shutdown = shared.shutdown.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut shutdown) => return,
            // A deleted sandbox's listener closes, even when nobody connects any more.
            () = tokio::time::sleep(Duration::from_secs(30)) => {
                if find_sandbox(&shared, &id).is_err() {
                    forget(&shared, &id).await;
                    return;
                }
                continue;
            }
        };
        let Ok((mut stream, _)) = accepted else {
            // Out of descriptors, or the like: try again shortly.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if find_sandbox(&shared, &id).is_err() {
            forget(&shared, &id).await;
            tokio::spawn(async move {
                let _ = read_head(&mut stream).await;
                respond(&mut stream, "404 Not Found", &format!("Sandbox {id} no longer exists")).await;
            });
            return;
        }
        let connection = Connection { shared: shared.clone(), id: id.clone(), port, token: token.clone() };
        tokio::spawn(connection.relay(stream, relay.clone()));
    }
}

/// Resolves when the server is stopping (or gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

struct Connection {
    shared: Arc<Shared>,
    id: String,
    port: u16,
    token: String,
}

impl Connection {
    async fn relay(self, mut client: TcpStream, relay: Arc<Mutex<Option<Relay>>>) {
        let Ok(record) = find_sandbox(&self.shared, &self.id) else {
            respond(&mut client, "404 Not Found", &format!("Sandbox {} no longer exists", self.id)).await;
            return;
        };
        // The head is read first (also of a public sandbox's request, for an error answer
        // to come after it): HTTP clients do not expect an answer before their request.
        let Some(head) = read_head(&mut client).await else { return };
        if !record.public && !authorized(&head, &self.token, self.shared.api_key.expose()) {
            let message = "This sandbox is private: send the preview token (header X-Daytona-Preview-Token) \
                           or the API key (Authorization: Bearer)";
            respond(&mut client, "401 Unauthorized", message).await;
            return;
        }
        let sandbox = match running(&self.shared, &self.id) {
            Ok(sandbox) => sandbox,
            Err(e) => return respond(&mut client, "502 Bad Gateway", &e.1).await,
        };
        let kind = match relay_kind(&sandbox, &relay).await {
            Ok(kind) => kind,
            Err(message) => return respond(&mut client, "502 Bad Gateway", &message).await,
        };
        self.splice(client, &sandbox, kind, head).await;
    }

    async fn splice(&self, mut client: TcpStream, sandbox: &Running, kind: Relay, head: Vec<u8>) {
        let port = self.port.to_string();
        let argv = match kind {
            Relay::Python => ["python3", "-c", PYTHON, &port],
            Relay::Bash => ["bash", "-c", BASH, "relay"],
        };
        let mut argv = argv.to_vec();
        if matches!(kind, Relay::Bash) {
            argv.push(&port);
        }
        let spawned = docker::exec_command(&sandbox.container, &sandbox.user, None, &[], true, &argv)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                return respond(
                    &mut client,
                    "502 Bad Gateway",
                    &format!("could not run the docker CLI: {e}"),
                )
                .await;
            }
        };
        let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return;
        };
        let mut ok = [0u8; 3];
        let connected = tokio::time::timeout(CONNECT_TIME, stdout.read_exact(&mut ok)).await;
        if !matches!(connected, Ok(Ok(_))) || &ok != b"OK\n" {
            let mut why = Vec::new();
            let _ =
                tokio::time::timeout(Duration::from_secs(5), (&mut stderr).take(4096).read_to_end(&mut why))
                    .await;
            let why = String::from_utf8_lossy(&why);
            let last = why.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no answer");
            let message = format!("Nothing answered on port {} in the sandbox: {}", self.port, last.trim());
            return respond(&mut client, "502 Bad Gateway", &message).await;
        }
        let start = Instant::now();
        let activity = AtomicU64::new(0);
        let touch = || activity.store(start.elapsed().as_secs(), Ordering::Relaxed);
        let (mut from_client, mut to_client) = client.split();
        let up = async {
            if stdin.write_all(&head).await.is_ok() {
                pump(&mut from_client, &mut stdin, &touch).await;
            }
            let _ = stdin.shutdown().await;
            drop(stdin);
        };
        let down = async {
            pump(&mut stdout, &mut to_client, &touch).await;
            let _ = to_client.shutdown().await;
        };
        let idle = async {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                let last = Duration::from_secs(activity.load(Ordering::Relaxed));
                if start.elapsed().saturating_sub(last) > IDLE {
                    return;
                }
            }
        };
        let mut shutdown = self.shared.shutdown.clone();
        tokio::pin!(up, down, idle);
        tokio::select! {
            () = &mut down => {}
            () = &mut idle => {}
            () = stopped(&mut shutdown) => {}
            () = &mut up => {
                // The client is done sending: its answer may still come, for a while.
                let _ = tokio::time::timeout(AFTER_CLIENT, &mut down).await;
            }
        }
        // Dropping the child kills docker's client, which ends the relay in the container.
        drop(child);
    }
}

/// Copies until either end closes.
async fn pump<R, W>(from: &mut R, to: &mut W, touch: &impl Fn())
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if to.write_all(&buffer[..n]).await.is_err() || to.flush().await.is_err() {
                    return;
                }
                touch();
            }
        }
    }
}

/// Which relay the sandbox's image can run (remembered once found).
async fn relay_kind(sandbox: &Running, known: &Mutex<Option<Relay>>) -> Result<Relay, String> {
    let mut known = known.lock().await;
    if let Some(kind) = *known {
        return Ok(kind);
    }
    let probe = "if command -v python3 >/dev/null 2>&1; then echo python3; \
                 elif command -v bash >/dev/null 2>&1; then echo bash; fi";
    let out = capture(sandbox, &["sh", "-c", probe], &Capture::default()).await.map_err(|e| e.1)?;
    let kind = match out.stdout_text().trim() {
        "python3" => Relay::Python,
        "bash" => Relay::Bash,
        _ => {
            return Err("The sandbox's image has neither python3 nor bash, one of which the local Daytona \
                        server's preview relay runs in the sandbox to reach its port"
                .to_owned());
        }
    };
    *known = Some(kind);
    Ok(kind)
}

/// The request head (up to the blank line), or `None` when the client sent none in time.
async fn read_head(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let read = async {
        let mut buffer = [0u8; 8192];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            if head.len() > HEAD_LIMIT {
                return false;
            }
            match client.read(&mut buffer).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&buffer[..n]),
            }
        }
        true
    };
    match tokio::time::timeout(HEAD_TIME, read).await {
        Ok(true) => Some(head),
        Ok(false) if head.len() > HEAD_LIMIT => {
            respond(client, "431 Request Header Fields Too Large", "The request head is too large").await;
            None
        }
        _ => None,
    }
}

/// Whether the head carries the preview token or the API key.
fn authorized(head: &[u8], token: &str, api_key: &str) -> bool {
    let text = String::from_utf8_lossy(head);
    text.split("\r\n").skip(1).take_while(|l| !l.is_empty()).any(|line| {
        let Some((name, value)) = line.split_once(':') else { return false };
        let (name, value) = (name.trim(), value.trim());
        (name.eq_ignore_ascii_case("x-daytona-preview-token") && value == token)
            || (name.eq_ignore_ascii_case("authorization") && value.strip_prefix("Bearer ") == Some(api_key))
    })
}

/// A plain-text answer, and the connection closed.
async fn respond(client: &mut TcpStream, status: &str, message: &str) {
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{message}\n",
        message.len() + 1
    );
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        let _ = client.write_all(answer.as_bytes()).await;
        let _ = client.shutdown().await;
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_or_the_api_key_opens_a_private_preview() {
        let head = |header: &str| format!("GET / HTTP/1.1\r\nHost: x\r\n{header}\r\n\r\n").into_bytes();
        assert!(authorized(&head("X-Daytona-Preview-Token: tok"), "tok", "key"));
        assert!(authorized(&head("x-daytona-preview-token:tok"), "tok", "key"));
        assert!(authorized(&head("Authorization: Bearer key"), "tok", "key"));
        assert!(!authorized(&head("X-Daytona-Preview-Token: other"), "tok", "key"));
        assert!(!authorized(&head("Authorization: Bearer tok"), "tok", "key"));
        assert!(!authorized(&head("X-Other: tok"), "tok", "key"));
        // A header in the body does not count.
        assert!(!authorized(b"POST / HTTP/1.1\r\n\r\nX-Daytona-Preview-Token: tok\r\n", "tok", "key"));
    }
}
