//! The one local Daytona: `cargo xtask local` serves it on a stable address with the
//! state directory `--local` uses; `--local` finds it (`server.json` + the state
//! directory's lock) and publishes to it, or starts an embedded server when none runs.

use std::path::{Path, PathBuf};

use pj_daytona::Client;
use pj_daytona_local::{BuildMode, LocalDaytona, Quotas, ServerConfig, discover};

use crate::failure::{Failure, code};

/// The default API port of `cargo xtask local` (the S3 endpoint uses the next one).
pub const DEFAULT_PORT: u16 = 3986;

/// The state directory of the local server: `PITHY_LOCAL_STATE_DIR`, or
/// `<target dir>/pithy-local`.
pub fn state_dir(target_dir: &Path) -> PathBuf {
    // PITHY_LOCAL_STATE_DIR moves the local server's state (tests keep runs apart).
    std::env::var_os("PITHY_LOCAL_STATE_DIR").map_or_else(|| target_dir.join("pithy-local"), PathBuf::from)
}

fn discovery_failed(state: &Path, e: std::io::Error) -> Failure {
    Failure::new(code::FAILED, format!("cannot check for a running local Daytona server: {e}"))
        .note(format!("its state lives in {}", state.display()))
}

/// The client for `--local`: the running `cargo xtask local` when there is one, else
/// an embedded server (returned too, so it lives as long as the command); and the
/// server's build mode.
pub async fn connect(
    target_dir: &Path,
    mode: Option<BuildMode>,
) -> Result<(Client, Option<LocalDaytona>, BuildMode), Failure> {
    let state = state_dir(target_dir);
    let configure =
        |e: pj_daytona::Error| Failure::new(code::CONFIG, format!("cannot configure the client: {e}"));
    match discover(&state).map_err(|e| discovery_failed(&state, e))? {
        Some(running) if running.standalone => {
            if let Some(mode) = mode.filter(|m| *m != running.build_mode) {
                return Err(Failure::new(
                    code::CONFIG,
                    format!(
                        "the running local Daytona server (pid {}) builds with --local-build {}, not {mode}",
                        running.pid, running.build_mode
                    ),
                )
                .help(format!(
                    "drop --local-build to use it as it is, or stop it (Ctrl-C) and start `cargo xtask local --local-build {mode}`"
                )));
            }
            eprintln!(
                "    using the running local Daytona server at {} (pid {}, builds: {}, state in {})",
                running.url,
                running.pid,
                running.build_mode,
                state.display()
            );
            let client = running.client_builder().build().map_err(configure)?;
            Ok((client, None, running.build_mode))
        }
        Some(running) => Err(Failure::new(
            code::FAILED,
            format!(
                "another cargo xtask command (pid {}) is using the local Daytona state in {}",
                running.pid,
                state.display()
            ),
        )
        .help("wait for it to finish, or run `cargo xtask local` in another shell: every command then uses that one")),
        None => {
            let mode = mode.unwrap_or_default();
            let server = LocalDaytona::start(ServerConfig::new(&state).build_mode(mode)).await.map_err(|e| {
                Failure::new(code::FAILED, format!("cannot start the local Daytona server: {e}"))
                    .note(format!("its state lives in {}", state.display()))
            })?;
            eprintln!(
                "    started an embedded local Daytona server at {} for this command (builds: {mode}, state in {})",
                server.url(),
                state.display()
            );
            let client = server.client_builder().build().map_err(configure)?;
            Ok((client, Some(server), mode))
        }
    }
}

/// `cargo xtask local --env`: the export lines of the running server.
pub fn env(target_dir: &Path) -> Result<(), Failure> {
    let state = state_dir(target_dir);
    match discover(&state).map_err(|e| discovery_failed(&state, e))? {
        Some(running) if running.standalone => {
            println!("export DAYTONA_API_URL={}", running.url);
            println!("export DAYTONA_API_KEY={}", running.api_key().expose());
            Ok(())
        }
        Some(running) => Err(Failure::new(
            code::CONFIG,
            format!(
                "only a cargo xtask command's embedded server (pid {}) is running on {}; it stops with that command",
                running.pid,
                state.display()
            ),
        )
        .help("start the local server with `cargo xtask local` in another shell")),
        None => Err(Failure::new(
            code::CONFIG,
            format!("no local Daytona server is running (state directory {})", state.display()),
        )
        .help("start one with `cargo xtask local` in another shell, then run `eval \"$(cargo xtask local --env)\"`")),
    }
}

/// `cargo xtask local`: serves until Ctrl-C.
pub async fn serve(target_dir: &Path, port: u16, mode: BuildMode, quotas: Quotas) -> Result<(), Failure> {
    let state = state_dir(target_dir);
    let s3_port = port.checked_add(1).filter(|_| port != 0).ok_or_else(|| {
        Failure::new(code::CONFIG, format!("--port {port} cannot be used"))
            .help("choose a port from 1 to 65534; the S3 endpoint uses the next one")
    })?;
    let config = ServerConfig::new(&state)
        .ports(port, s3_port)
        .build_mode(mode)
        .quotas(quotas)
        .standalone(true)
        .log_requests(true);
    let server = LocalDaytona::start(config).await.map_err(|e| {
        let f = Failure::new(code::FAILED, format!("cannot start the local Daytona server: {e}"))
            .note(format!("its state lives in {}", state.display()));
        if e.kind() == std::io::ErrorKind::AddrInUse && !e.to_string().contains("state directory") {
            f.help("pass --port N to use another port (the S3 endpoint uses N+1)")
        } else {
            f
        }
    })?;
    println!("export DAYTONA_API_URL={}", server.url());
    println!("export DAYTONA_API_KEY={}", server.api_key());
    let engine = if server.docker_available().await { "reachable" } else { "not reachable" };
    eprintln!(
        "    local Daytona server at {} (S3 at {}), state in {}\n    \
         builds: {mode} (Docker engine {engine}); the API key is saved in the state directory\n    \
         in another shell: `cargo xtask snapshot --local` publishes here; \
         `eval \"$(cargo xtask local --env)\"` sets DAYTONA_API_URL and DAYTONA_API_KEY for applications\n    \
         Ctrl-C stops it",
        server.url(),
        server.storage_url(),
        state.display(),
    );
    let stopped = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    match stopped {
        Ok(()) => {
            eprintln!("    stopped; the state stays in {}", state.display());
            Ok(())
        }
        Err(e) => Err(Failure::new(code::FAILED, format!("cannot wait for Ctrl-C: {e}"))),
    }
}
