//! Exit codes and errors that read like the compiler's: what happened, what it means,
//! what to do.

use std::fmt;

/// The exit codes of `cargo xtask` (also listed in `--help`).
pub mod code {
    /// Done, or already up to date.
    pub const OK: u8 = 0;
    /// An unexpected failure (network, I/O, a server error that did not go away).
    pub const FAILED: u8 = 1;
    /// Bad usage or configuration: arguments, credentials, the package, a compile error.
    pub const CONFIG: u8 = 2;
    /// Drift: the snapshot is missing, unusable (inactive, on its way, being removed, or
    /// on the local server only checked, not built), or differs from the definition.
    pub const DRIFT: u8 = 3;
    /// The snapshot's build failed (`build_failed` or `error`).
    pub const BUILD_FAILED: u8 = 4;
    /// The deadline (`--timeout`) passed before the snapshot was ready.
    pub const TIMEOUT: u8 = 5;
    /// Interrupted (Ctrl-C); re-running resumes.
    pub const INTERRUPTED: u8 = 130;
}

/// The exit codes as a literal, for `concat!` into the commands' `--help`.
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0    done, or already up to date
  1    unexpected failure (network, I/O, server errors that did not go away)
  2    usage or configuration error (arguments, credentials, package, compile errors)
  3    drift: the snapshot is missing, not usable (locally: only checked, not built),
       or differs from the definition
  4    the snapshot's build failed
  5    timed out waiting for the snapshot (--timeout); re-run to attach again
  130  interrupted; re-run to resume"
    };
}

pub(crate) use exit_codes;

/// Documented in `--help`.
pub const EXIT_CODES: &str = exit_codes!();

/// What to do about one of Daytona's quota refusals, recognised by its words (Daytona
/// gives them no code of their own).
fn quota_help(message: &str) -> Option<&'static str> {
    if message.contains("Snapshot quota exceeded") {
        Some(
            "delete the snapshots this organization no longer needs (each version of a package is \
             its own snapshot), or ask Daytona to raise the quota; nothing was uploaded in vain: the \
             contexts stay stored and re-running reuses them",
        )
    } else if message.contains("exceeds maximum allowed per sandbox") {
        Some("lower cpu, memory or disk in #[pithy_image(...)], or ask Daytona to raise the limit")
    } else if message.contains("limit exceeded. Maximum allowed") {
        Some("delete or stop sandboxes that still run, or ask Daytona to raise the organization's limits")
    } else {
        None
    }
}

/// A failure with its exit code, the facts, and the advice.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub what: String,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Failure {
    pub fn new(code: u8, what: impl Into<String>) -> Self {
        Failure { code, what: what.into(), notes: Vec::new(), help: None }
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The advice, unless the failure already has a more precise one.
    pub fn or_help(self, help: impl Into<String>) -> Self {
        if self.help.is_some() { self } else { self.help(help) }
    }

    /// A failure of the Daytona API: the client's error (which never holds the key).
    pub fn api(context: &str, e: &pj_daytona::Error) -> Self {
        let failure = Failure::new(code::FAILED, format!("{context}: {e}"));
        match e.status().map(|s| s.as_u16()) {
            Some(400 | 403) if quota_help(&failure.what).is_some() => {
                let help = quota_help(&failure.what).unwrap_or_default();
                Failure { code: code::CONFIG, ..failure }.help(help)
            }
            Some(401 | 403) => Failure { code: code::CONFIG, ..failure }
                .help("check DAYTONA_API_KEY (or DAYTONA_JWT_TOKEN and DAYTONA_ORGANIZATION_ID) and DAYTONA_API_URL"),
            _ if e.is_retryable() => {
                failure.note("the request was retried and kept failing").help("re-run when the service recovers; nothing is lost")
            }
            _ => failure,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.what)?;
        for note in &self.notes {
            for (i, line) in note.lines().enumerate() {
                let lead = if i == 0 { "  = note: " } else { "          " };
                write!(f, "\n{lead}{line}")?;
            }
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::new(code::FAILED, e.to_string())
    }
}
