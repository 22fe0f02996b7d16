//! Running the image's `git` for a request: as the sandbox's user, in the sandbox's working
//! directory (where Daytona resolves relative paths), with an argv (request values are
//! arguments, never shell text, and never options: see [`operand`]), no terminal prompt,
//! and credentials that never reach a command line, a log or an error.
//!
//! Credentials go to git through a credential helper given on git's command line as
//! *names* (`$PJ_GIT_USERNAME`, `$PJ_GIT_PASSWORD`); their values travel in `docker exec`'s
//! own environment (`--env NAME`), so `ps` on the host or in the container shows neither,
//! and any git output is scrubbed of the password before it becomes an error.

use std::time::Duration;

use axum::http::StatusCode;
use pj_daytona::Secret;

use super::super::super::{ApiError, ApiResult};
use super::super::Running;
use super::super::capture::{Capture, Captured, capture};
use super::super::info::working_dir;

/// Credentials of one request (clone, pull, push).
#[derive(Debug)]
pub(super) struct Credentials {
    pub(super) username: String,
    pub(super) password: Secret,
}

impl Credentials {
    /// Both or neither: a username alone is refused, as a password alone.
    pub(super) fn from_request(
        username: Option<String>,
        password: Option<String>,
    ) -> ApiResult<Option<Self>> {
        match (username, password) {
            (None, None) => Ok(None),
            (Some(username), Some(password)) => {
                // Git's credential protocol is line-based: a newline would end the value.
                if [&username, &password].iter().any(|v| v.contains(['\n', '\0'])) {
                    return Err(ApiError::bad_request("username and password must not contain newlines"));
                }
                Ok(Some(Credentials { username, password: Secret::new(password) }))
            }
            _ => Err(ApiError::bad_request("username and password must be given together")),
        }
    }
}

/// A credential helper that answers git's `get` from the environment, and ignores
/// `store`/`erase` (nothing is persisted).
const HELPER: &str = "credential.helper=!f() { test \"$1\" = get || exit 0; \
     printf 'username=%s\\npassword=%s\\n' \"$PJ_GIT_USERNAME\" \"$PJ_GIT_PASSWORD\"; }; f";

/// How long git may take: network operations get longer.
pub(super) const QUICK: Duration = Duration::from_secs(60);
pub(super) const TRANSFER: Duration = Duration::from_secs(600);

/// The git of one sandbox, for one request.
#[derive(Debug)]
pub(super) struct Git {
    sandbox: Running,
    /// Where git runs: the sandbox's working directory when a request path is relative.
    cwd: Option<String>,
}

/// One git run's extras.
#[derive(Debug, Default)]
pub(super) struct Run<'a> {
    pub(super) credentials: Option<&'a Credentials>,
    /// `-c` options before the command (e.g. `http.sslVerify=false`).
    pub(super) config: Vec<String>,
    pub(super) env: Vec<(String, String)>,
    pub(super) stdin: Option<&'a [u8]>,
    pub(super) timeout: Option<Duration>,
}

impl Git {
    /// The git of `sandbox`; relative `paths` are resolved in the sandbox's working
    /// directory (`GetWorkDir`), as Daytona's daemon does.
    pub(super) async fn new(sandbox: Running, paths: &[&str]) -> ApiResult<Git> {
        let cwd =
            if paths.iter().any(|p| !p.starts_with('/')) { Some(working_dir(&sandbox).await?) } else { None };
        Ok(Git { sandbox, cwd })
    }

    /// `git args...`; a non-zero exit is an error with Daytona's status for it.
    pub(super) async fn run(&self, op: &str, args: &[&str]) -> ApiResult<Captured> {
        self.run_with(op, args, Run::default()).await
    }

    /// [`run`](Self::run) with credentials, config, environment or stdin.
    pub(super) async fn run_with(&self, op: &str, args: &[&str], extra: Run<'_>) -> ApiResult<Captured> {
        let secret = extra.credentials.map(|c| c.password.expose().to_owned());
        let out = self.attempt(args, extra).await?;
        if out.success() { Ok(out) } else { Err(failure(op, &out, secret.as_deref())) }
    }

    /// `git args...`, its exit code left to the caller (e.g. `config --get`: 1 is "unset").
    pub(super) async fn attempt(&self, args: &[&str], extra: Run<'_>) -> ApiResult<Captured> {
        let mut argv: Vec<String> = vec!["git".into()];
        let mut env: Vec<(String, String)> =
            vec![("GIT_TERMINAL_PROMPT".into(), "0".into()), ("LC_ALL".into(), "C".into())];
        if let Some(credentials) = extra.credentials {
            // An empty value first clears the helpers of the user's config: only these
            // credentials are tried.
            argv.extend(["-c".into(), "credential.helper=".into(), "-c".into(), HELPER.into()]);
            env.push(("PJ_GIT_USERNAME".into(), credentials.username.clone()));
            env.push(("PJ_GIT_PASSWORD".into(), credentials.password.expose().to_owned()));
        }
        for option in extra.config {
            argv.extend(["-c".into(), option]);
        }
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        env.extend(extra.env);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let how = Capture {
            cwd: self.cwd.as_deref(),
            env: &env,
            stdin: extra.stdin,
            timeout: extra.timeout.unwrap_or(QUICK),
            ..Capture::default()
        };
        capture(&self.sandbox, &argv, &how).await
    }
}

/// A request value that git would read as an option if it began with `-`: refused.
pub(super) fn operand<'a>(field: &str, value: &'a str) -> ApiResult<&'a str> {
    if value.is_empty() {
        Err(ApiError::bad_request(format!("{field} must not be empty")))
    } else if value.starts_with('-') {
        Err(ApiError::bad_request(format!("{field} must not start with '-'")))
    } else {
        Ok(value)
    }
}

/// The most of git's output an error carries (its end, where git says why).
const ERROR_TAIL: usize = 4000;

/// A failed git run as Daytona's daemon classifies it: 401 authentication, 403
/// authorization, 404 repository or reference not found, 409 rejected or conflicting
/// updates, else 400; git's own words (the password replaced by `***`).
pub(super) fn failure(op: &str, out: &Captured, secret: Option<&str>) -> ApiError {
    let mut text = out.stderr_text();
    if text.trim().is_empty() {
        text = out.stdout_text();
    }
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        text = text.replace(secret, "***");
    }
    let text = text.trim();
    let tail = match text.char_indices().rev().nth(ERROR_TAIL) {
        Some((start, _)) => &text[start..],
        None => text,
    };
    let code = out.code.map_or_else(|| "a signal".to_owned(), |c| format!("status {c}"));
    ApiError(classify(text), format!("git {op} exited with {code}: {tail}"))
}

fn classify(output: &str) -> StatusCode {
    let s = output.to_lowercase();
    let has = |needle: &str| s.contains(needle);
    if has("authentication failed")
        || has("invalid username or password")
        || has("could not read username")
        || has("could not read password")
        || has("terminal prompts disabled")
    {
        StatusCode::UNAUTHORIZED
    } else if has("the requested url returned error: 403") || (has("remote: permission") && has("denied")) {
        StatusCode::FORBIDDEN
    } else if has("repository not found")
        || has("the requested url returned error: 404")
        || has("does not appear to be a git repository")
        || has("not a git repository")
        || has("cannot change to")
        || (has("src refspec") && has("does not match any"))
        || has("unknown revision")
        || has("invalid reference")
        || has("does not have any commits yet")
        || has("did not match any file(s) known to git")
        || (has("branch") && has("not found"))
        || has("no such remote")
    {
        StatusCode::NOT_FOUND
    } else if has("non-fast-forward")
        || has("fetch first")
        || has("updates were rejected")
        || has("already exists")
        || has("would be overwritten")
        || has("please commit your changes or stash them")
        || has("needs merge")
        || has("conflict")
    {
        StatusCode::CONFLICT
    } else {
        StatusCode::BAD_REQUEST
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(stderr: &str) -> Captured {
        Captured { code: Some(128), stdout: Vec::new(), stderr: stderr.as_bytes().to_vec() }
    }

    #[test]
    fn failures_get_daytonas_statuses() {
        let status = |stderr: &str| failure("x", &failed(stderr), None).0;
        assert_eq!(status("fatal: Authentication failed for 'http://h/r.git/'"), StatusCode::UNAUTHORIZED);
        assert_eq!(
            status("fatal: not a git repository (or any of the parent directories): .git"),
            StatusCode::NOT_FOUND
        );
        assert_eq!(status(" ! [rejected] main -> main (non-fast-forward)"), StatusCode::CONFLICT);
        assert_eq!(
            status("fatal: destination path 'r' already exists and is not an empty directory."),
            StatusCode::CONFLICT
        );
        assert_eq!(status("fatal: bad config"), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn the_password_never_reaches_an_error() {
        let out = failed("fatal: unable to access 'http://u:hunter2@h/': hunter2 rejected");
        let error = failure("clone", &out, Some("hunter2"));
        assert!(!error.1.contains("hunter2"), "{}", error.1);
        assert!(
            error
                .1
                .starts_with("git clone exited with status 128: fatal: unable to access 'http://u:***@h/'")
        );
    }

    #[test]
    fn options_are_not_operands() {
        assert!(operand("name", "--upload-pack=touch /tmp/x").is_err());
        assert!(operand("name", "").is_err());
        assert_eq!(operand("name", "feature/x").ok(), Some("feature/x"));
    }

    #[test]
    fn credentials_come_in_pairs() {
        assert!(Credentials::from_request(Some("u".into()), None).is_err());
        assert!(Credentials::from_request(Some("u".into()), Some("p\nq".into())).is_err());
        let credentials = Credentials::from_request(Some("u".into()), Some("p".into())).ok().flatten();
        assert!(credentials.is_some_and(|c| !format!("{c:?}").contains("\"p\"")));
    }
}
