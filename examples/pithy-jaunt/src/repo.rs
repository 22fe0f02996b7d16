//! `--repo`: a local git repository goes up as a bundle of its refs (`git bundle create
//! --all`), which the sandbox clones with no network; a URL is cloned by the sandbox.
//! Checked, and the bundle made, before any sandbox exists.

use std::path::{Path, PathBuf};
use std::process::Command;

use pj_daytona::Secret;
use tempfile::TempDir;

/// A repository ready to go into the sandbox.
#[derive(Debug)]
pub enum Repo {
    /// A local repository, bundled.
    Bundle {
        /// The path as given.
        source: String,
        /// The bundle (in `_dir`, removed when dropped).
        bundle: PathBuf,
        _dir: TempDir,
    },
    /// A URL the sandbox clones; a password in it is taken out into `credentials`.
    Url {
        /// The URL, without a password.
        url: String,
        /// `user:password@` of the URL given, as git credentials.
        credentials: Option<(String, Secret)>,
    },
}

impl Repo {
    /// What `--repo` named, fit to print: a URL's user part is shown as `***`.
    pub fn source(&self) -> String {
        match self {
            Repo::Bundle { source, .. } => source.clone(),
            Repo::Url { url, .. } => match split_userinfo(url) {
                Some((before, _, after)) => format!("{before}***@{after}"),
                None => url.clone(),
            },
        }
    }
}

/// `scheme://userinfo@rest` as (`scheme://`, userinfo, rest).
fn split_userinfo(url: &str) -> Option<(&str, &str, &str)> {
    let start = url.find("://")? + 3;
    let authority_end = url[start..].find('/').map_or(url.len(), |i| start + i);
    let at = url[start..authority_end].rfind('@')? + start;
    Some((&url[..start], &url[start..at], &url[at + 1..]))
}

/// A URL with `user:password@` in it: the URL without the password, and the credentials.
fn url_repo(arg: &str) -> Repo {
    if let Some((before, userinfo, after)) = split_userinfo(arg)
        && let Some((user, password)) = userinfo.split_once(':')
    {
        return Repo::Url {
            url: format!("{before}{after}"),
            credentials: Some((user.to_owned(), Secret::new(password))),
        };
    }
    Repo::Url { url: arg.to_owned(), credentials: None }
}

/// Whether `arg` reads as a URL git clones: `scheme://...`, or scp-like `[user@]host:path`.
fn is_url(arg: &str) -> bool {
    if let Some((scheme, rest)) = arg.split_once("://") {
        return !scheme.is_empty()
            && !rest.is_empty()
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    }
    match arg.split_once(':') {
        Some((host, path)) => !host.is_empty() && !host.contains('/') && !path.is_empty(),
        None => false,
    }
}

/// Runs `git -C dir args`; its stdout, or an error with git's first line of stderr.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git (needed to upload a local repository): {e}"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message");
    Err(said.trim().to_owned())
}

/// The repository `--repo` names: a local git repository bundled, or a URL. The error
/// says what is wrong and what to give instead.
pub fn prepare(arg: &str) -> Result<Repo, String> {
    let path = Path::new(arg);
    if !path.exists() {
        if is_url(arg) {
            return Ok(url_repo(arg));
        }
        return Err(format!(
            "--repo {arg}: no such directory, and not a URL\n  = help: give a local git repository or a URL the sandbox can clone (https://..., ssh://..., git@host:path)"
        ));
    }
    if let Err(said) = git(path, &["rev-parse", "--git-dir"]) {
        return Err(format!(
            "--repo {arg}: not a git repository ({said})\n  = help: give a git work tree (`git init` and commit first), or a URL"
        ));
    }
    let dir = tempfile::Builder::new()
        .prefix("pithy-jaunt-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary directory for the bundle of {arg}: {e}"))?;
    let bundle = dir.path().join("repo.bundle");
    let target = bundle.to_string_lossy().into_owned();
    git(path, &["bundle", "create", "--quiet", &target, "--all"]).map_err(|said| {
        if said.contains("empty bundle") {
            format!("--repo {arg}: the repository has no commits to upload\n  = help: commit first")
        } else {
            format!("--repo {arg}: git bundle create failed: {said}")
        }
    })?;
    Ok(Repo::Bundle { source: arg.to_owned(), bundle, _dir: dir })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths() {
        for url in
            ["https://github.com/o/r.git", "ssh://git@h/o/r", "git@github.com:o/r.git", "file:///srv/r"]
        {
            assert!(is_url(url), "{url}");
        }
        for path in ["repo", "./repo", "../a/b", "/abs/path", "a/b:c", "://x", "x:"] {
            assert!(!is_url(path), "{path}");
        }
    }

    #[test]
    fn a_password_in_a_url_becomes_credentials_and_is_never_shown() {
        let repo = prepare("https://me:t0k3n-secret@example.com/o/r.git").expect("a URL");
        let Repo::Url { url, credentials: Some((user, password)) } = &repo else { panic!("{repo:?}") };
        assert_eq!((url.as_str(), user.as_str()), ("https://example.com/o/r.git", "me"));
        assert_eq!(password.expose(), "t0k3n-secret");
        assert!(!format!("{repo:?} {}", repo.source()).contains("t0k3n"), "{repo:?}");
        // A token as the user part stays in the URL (git needs it there) but is not shown.
        let repo = prepare("https://ghp_token@example.com/o/r.git").expect("a URL");
        assert_eq!(repo.source(), "https://***@example.com/o/r.git");
        assert_eq!(prepare("git@example.com:o/r.git").expect("a URL").source(), "git@example.com:o/r.git");
    }

    #[test]
    fn a_missing_path_that_is_no_url_is_refused() {
        let e = prepare("no/such/dir").expect_err("refused");
        assert!(e.contains("no such directory, and not a URL"), "{e}");
    }

    #[test]
    fn a_directory_that_is_no_repository_is_refused_before_anything() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = prepare(&dir.path().to_string_lossy()).expect_err("refused");
        assert!(e.contains("not a git repository"), "{e}");
    }

    #[test]
    fn a_repository_is_bundled_with_its_commits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = |args: &[&str]| {
            let ok = Command::new("git").arg("-C").arg(dir.path()).args(args).output().expect("git");
            assert!(ok.status.success(), "{args:?}: {}", String::from_utf8_lossy(&ok.stderr));
        };
        run(&["init", "--quiet"]);
        let e = prepare(&dir.path().to_string_lossy()).expect_err("empty");
        assert!(e.contains("no commits"), "{e}");
        std::fs::write(dir.path().join("README.md"), "# demo\n").expect("write");
        run(&["add", "."]);
        run(&["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "one"]);
        let repo = prepare(&dir.path().to_string_lossy()).expect("bundled");
        let Repo::Bundle { bundle, .. } = &repo else { panic!("{repo:?}") };
        let verified =
            git(dir.path(), &["bundle", "list-heads", &bundle.to_string_lossy()]).expect("a bundle");
        let head = git(dir.path(), &["rev-parse", "HEAD"]).expect("head");
        assert!(verified.contains(head.trim()), "{verified}");
    }
}
