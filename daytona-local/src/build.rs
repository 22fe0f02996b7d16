//! Builds: the runner's checks (every context present, every COPY source inside the
//! union of the context tars), then a Docker build of the runner's build context
//! (`assemble.rs`) when the build mode decides to build.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::assemble::{self, normalize};
use super::state::now_iso;
use super::{BuildMode, Shared, docker};
use pj_daytona::SnapshotState;

/// The build of snapshot `id`, from `pending` to `active` or `build_failed`.
pub(crate) async fn run(shared: Arc<Shared>, id: String) {
    let Some((name, build_info, image_name)) = shared.store.read(|d| {
        d.snapshots
            .iter()
            .find(|s| s.id == id)
            .map(|s| (s.name.clone(), s.build_info.clone(), s.image_name.clone()))
    }) else {
        return;
    };
    #[cfg(feature = "testing")]
    if let Some(state) = shared.faults.stuck_state(&name) {
        log(
            &shared,
            &id,
            &format!("(local server) snapshot {name} is held in state {state} by fault injection"),
        );
        set_state(&shared, &id, state, None, None);
        return;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let Some(build_info) = build_info else {
        pull(&shared, &id, &image_name).await;
        return;
    };
    if !set_state(&shared, &id, SnapshotState::Building, None, None) {
        return;
    }
    let started = std::time::Instant::now();
    let build_dir = shared.builds_dir.join(&id);
    let outcome = build(
        &shared,
        &id,
        &name,
        &build_info.dockerfile_content,
        &build_info.context_hashes,
        &build_info.snapshot_ref,
        &build_dir,
    )
    .await;
    let _ = tokio::fs::remove_dir_all(&build_dir).await;
    tokio::time::sleep(shared.min_build_time.saturating_sub(started.elapsed())).await;
    match outcome {
        Ok(Built::Image(size)) => {
            log(&shared, &id, &format!("Snapshot {name} is active"));
            set_state(&shared, &id, SnapshotState::Active, None, size);
        }
        Ok(Built::CheckedOnly(reason)) => {
            log(&shared, &id, &format!("Snapshot {name} is active: checked, not built ({reason})"));
            set_checked_only(&shared, &id, reason);
            set_state(&shared, &id, SnapshotState::Active, None, None);
        }
        Err(reason) => {
            log(&shared, &id, &format!("ERROR: {reason}"));
            set_state(&shared, &id, SnapshotState::BuildFailed, Some(reason), None);
        }
    }
}

/// Re-activation of an `inactive` snapshot (already set to `pending`).
pub(crate) async fn activate(shared: Arc<Shared>, id: String) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    let Some((image, checked_only)) = shared.store.read(|d| {
        d.snapshots.iter().find(|s| s.id == id).map(|s| {
            let image = match &s.build_info {
                Some(info) => info.snapshot_ref.clone(),
                None => s.image_name.clone(),
            };
            (image, s.checked_only.is_some())
        })
    }) else {
        return;
    };
    // A built image must still be there; a checked-only snapshot never had one.
    if !checked_only && shared.mode != BuildMode::CheckOnly && docker::image_size(&image).await.is_none() {
        let reason = format!("Image {image} is no longer present on the local Docker engine");
        set_state(&shared, &id, SnapshotState::Error, Some(reason), None);
    } else {
        set_state(&shared, &id, SnapshotState::Active, None, None);
    }
}

async fn pull(shared: &Arc<Shared>, id: &str, image: &str) {
    if !set_state(shared, id, SnapshotState::Pulling, None, None) {
        return;
    }
    if let Err(reason) = decide(shared.mode, &[image.to_owned()], shared.docker_status()).await {
        log(
            shared,
            id,
            &format!("(local server) checked, not built: image {image} was not pulled ({reason})"),
        );
        set_checked_only(shared, id, reason);
        set_state(shared, id, SnapshotState::Active, None, None);
        return;
    }
    match docker::image_size(image).await {
        Some(bytes) => {
            log(shared, id, &format!("Image {image} is present on the local Docker engine"));
            set_state(shared, id, SnapshotState::Active, None, Some(gigabytes(bytes)));
        }
        None => {
            let reason = format!(
                "Image {image} is not present on the local Docker engine, and the local server pulls from no registry"
            );
            log(shared, id, &format!("ERROR: {reason}"));
            set_state(shared, id, SnapshotState::Error, Some(reason), None);
        }
    }
}

/// What a build that did not fail produced.
enum Built {
    /// An image (its size in GB, when known).
    Image(Option<f64>),
    /// Nothing: the build was checked only, for this reason.
    CheckedOnly(String),
}

/// Whether a local server in `mode` would build an image from `dockerfile` now, or only
/// check it, and why: the decision the server makes for every build (the same code),
/// for callers that want to know it beforehand, such as `cargo xtask snapshot --local`
/// deciding whether a snapshot that was only checked can now be built.
///
/// [`BuildMode::CheckOnly`] never builds; [`BuildMode::Docker`] always tries (a build
/// that cannot run fails with the engine's own words); [`BuildMode::Auto`] builds when
/// a Docker engine answers and already has every base image of the Dockerfile's `FROM`
/// lines (earlier stages and `scratch` aside). No registry is ever used. The `Err` is
/// the reason, in the words the build log and `checkedOnly` use.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use pj_daytona_local::{BuildMode, build_decision};
///
/// let dockerfile = "FROM debian:bookworm-slim\nRUN echo hello\n";
/// assert_eq!(build_decision(BuildMode::Docker, dockerfile).await, Ok(()));
/// let why = build_decision(BuildMode::CheckOnly, dockerfile).await.unwrap_err();
/// assert!(why.contains("--local-build check"));
/// // Auto asks this machine's Docker engine for the engine and the base image.
/// match build_decision(BuildMode::Auto, dockerfile).await {
///     Ok(()) => println!("it would be built"),
///     Err(why) => println!("it would only be checked, because {why}"),
/// }
/// # }
/// ```
pub async fn build_decision(mode: BuildMode, dockerfile: &str) -> Result<(), String> {
    decide(mode, &base_images(dockerfile), docker::detect()).await
}

/// Whether a server in `mode` builds an image with these base images, or only checks
/// (and why): the one place the build mode is decided, for the server's builds and
/// pulls (with its cached engine status) and for [`build_decision`]. `status` is only
/// awaited in [`BuildMode::Auto`].
async fn decide(
    mode: BuildMode,
    bases: &[String],
    status: impl Future<Output = docker::DockerStatus>,
) -> Result<(), String> {
    match mode {
        BuildMode::CheckOnly => {
            Err("the local server runs with --local-build check, which never builds images".to_owned())
        }
        // Docker mode fails the build later, with the engine's own words, when it cannot.
        BuildMode::Docker => Ok(()),
        BuildMode::Auto => {
            let status = status.await;
            if !status.available {
                return Err(format!("no Docker engine is reachable: {}", status.detail));
            }
            for base in bases {
                if docker::image_size(base).await.is_none() {
                    return Err(format!(
                        "the base image {base} is not on this machine's Docker engine, and the local server pulls from no registry"
                    ));
                }
            }
            Ok(())
        }
    }
}

/// The images a Dockerfile starts from: every `FROM` that does not name an earlier
/// stage (nor `scratch`), flags such as `--platform=` skipped.
pub(crate) fn base_images(dockerfile: &str) -> Vec<String> {
    let mut stages: Vec<String> = Vec::new();
    let mut bases = Vec::new();
    for line in dockerfile.lines() {
        let mut words = line.split_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("FROM")) {
            continue;
        }
        let mut words = words.skip_while(|w| w.starts_with("--"));
        let Some(image) = words.next() else { continue };
        if image != "scratch"
            && !stages.iter().any(|s| s.eq_ignore_ascii_case(image))
            && !bases.iter().any(|b| b == image)
        {
            bases.push(image.to_owned());
        }
        if words.next().is_some_and(|w| w.eq_ignore_ascii_case("AS"))
            && let Some(stage) = words.next()
        {
            stages.push(stage.to_owned());
        }
    }
    bases
}

/// The build itself: an image, a check only, or why it failed.
#[allow(clippy::too_many_arguments)]
async fn build(
    shared: &Arc<Shared>,
    id: &str,
    name: &str,
    dockerfile: &str,
    hashes: &[String],
    snapshot_ref: &str,
    build_dir: &Path,
) -> Result<Built, String> {
    log(shared, id, &format!("Building snapshot {name} as {snapshot_ref}"));
    let mut tars = Vec::new();
    for hash in hashes {
        let key = format!("{}/{hash}/context.tar", shared.organization_id);
        let path = shared.s3_root.join(&shared.bucket).join(&key);
        if !path.is_file() {
            return Err(format!(
                "Context {hash} is not in object storage (expected {}/{key})",
                shared.bucket
            ));
        }
        log(shared, id, &format!("Context {hash} found"));
        tars.push(path);
    }
    // Headers only: a check-only build never copies the contexts' bytes.
    let index = tokio::task::spawn_blocking(move || assemble::index(&tars))
        .await
        .map_err(|e| format!("reading the context tars failed: {e}"))??;
    let files = index.files();
    let sources = copy_sources(dockerfile);
    let missing = missing_sources(&sources, &files);
    if !missing.is_empty() {
        return Err(format!(
            "COPY source{} not in the build context (the union of the context tars): {}",
            if missing.len() == 1 { " is" } else { "s are" },
            missing.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
        ));
    }
    log(
        shared,
        id,
        &format!("Build context: Dockerfile and {} file(s); every COPY source is present", files.len()),
    );
    #[cfg(feature = "testing")]
    if let Some(reason) = shared.faults.build_failure(name) {
        return Err(reason);
    }
    if let Err(reason) = decide(shared.mode, &base_images(dockerfile), shared.docker_status()).await {
        log(
            shared,
            id,
            &format!(
                "(local server) checked, not built: the Dockerfile and contexts were checked like Daytona's runner does, \
                 but no image was built, because {reason}. Sandboxes cannot run from this snapshot."
            ),
        );
        return Ok(Built::CheckedOnly(reason));
    }
    let status = shared.docker_status().await;
    if !status.available {
        return Err(format!(
            "No Docker engine is reachable from the local Daytona server, so the image cannot be built: {}",
            status.detail
        ));
    }
    if let Some(bytes) = docker::image_size(snapshot_ref).await {
        log(shared, id, &format!("Image {snapshot_ref} is already built; reusing it"));
        return Ok(Built::Image(Some(gigabytes(bytes))));
    }
    let dir = build_dir.to_path_buf();
    let dockerfile_owned = dockerfile.to_owned();
    tokio::task::spawn_blocking(move || assemble::extract(&index, &dir, &dockerfile_owned))
        .await
        .map_err(|e| format!("assembling the build context failed: {e}"))??;
    let code =
        docker::build(build_dir, snapshot_ref, shared.build_timeout, |line| log(shared, id, line)).await;
    match code {
        Some(0) => Ok(Built::Image(docker::image_size(snapshot_ref).await.map(gigabytes))),
        Some(code) => Err(format!("docker build exited with code {code}; see the build log")),
        None => Err("docker build did not complete; see the build log".to_owned()),
    }
}

fn gigabytes(bytes: u64) -> f64 {
    // Two decimals, as Daytona reports sizes.
    (bytes as f64 / 1e7).round() / 100.0
}

fn log(shared: &Shared, id: &str, line: &str) {
    // Also kept by the store: the build's end fails on it (`set_state`).
    if let Err(e) = shared.store.append_log(id, &format!("{line}\n")) {
        eprintln!("daytona-local: could not write the build log of {id}: {e}");
    }
}

/// Records that a snapshot was checked, not built.
fn set_checked_only(shared: &Shared, id: &str, reason: String) {
    let saved = shared.store.write(|d| {
        if let Some(s) = d.snapshot_mut_by_id(id) {
            s.checked_only = Some(reason);
        }
    });
    if let Err(e) = saved {
        eprintln!("daytona-local: snapshot {id}: {e}");
    }
}

/// Sets a snapshot's state; `false` when it no longer exists, or the change could not
/// be saved (then the build stops where it is, and a restart runs it again). A build
/// ends with its log on disk: if the log could not be written, it ends failed, saying so.
fn set_state(
    shared: &Shared,
    id: &str,
    mut state: SnapshotState,
    mut error: Option<String>,
    size: Option<f64>,
) -> bool {
    if state.is_terminal()
        && let Err(e) = shared.store.sync_log(id)
    {
        let reason = format!("The build log could not be written ({e})");
        error = Some(match error {
            Some(earlier) => format!("{earlier}; {reason}"),
            None => reason,
        });
        if state == SnapshotState::Active {
            state = SnapshotState::BuildFailed;
        }
    }
    let saved = shared.store.write(|d| match d.snapshot_mut_by_id(id) {
        // A deleted snapshot's build stops where it is: `removing` only leads to gone.
        Some(s) if s.state == SnapshotState::Removing => false,
        Some(s) => {
            s.state = state;
            s.error_reason = error;
            if size.is_some() {
                s.size = size;
            }
            s.updated_at = now_iso();
            true
        }
        None => false,
    });
    saved.unwrap_or_else(|e| {
        eprintln!("daytona-local: snapshot {id}: {e}");
        false
    })
}

/// The sources of the Dockerfile's `COPY` instructions (without `--from`), as Daytona's
/// SDK finds them: logical lines, flags skipped, JSON or shell form, all but the last
/// argument.
pub(crate) fn copy_sources(dockerfile: &str) -> Vec<String> {
    let mut logical = Vec::new();
    let mut current = String::new();
    let mut continuing = false;
    for line in dockerfile.lines() {
        let trimmed = line.trim_start();
        if continuing && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        let end = line.trim_end();
        if !trimmed.starts_with('#') && end.ends_with('\\') {
            current.push_str(&end[..end.len() - 1]);
            continuing = true;
            continue;
        }
        current.push_str(line);
        logical.push(std::mem::take(&mut current));
        continuing = false;
    }
    if !current.is_empty() {
        logical.push(current);
    }
    let mut sources = Vec::new();
    for line in logical {
        let line = line.trim();
        let Some((word, rest)) = line.split_once(char::is_whitespace) else { continue };
        if !word.eq_ignore_ascii_case("COPY") || line.contains("--from=") || line.contains("<<") {
            continue;
        }
        let mut rest = rest.trim_start();
        while rest.starts_with("--") {
            rest = rest.split_once(char::is_whitespace).map_or("", |(_, r)| r).trim_start();
        }
        let args: Vec<String> = if rest.starts_with('[') {
            serde_json::from_str(rest.trim()).unwrap_or_default()
        } else {
            shell_words(rest)
        };
        if args.len() >= 2 {
            sources.extend(args[..args.len() - 1].iter().cloned());
        }
    }
    sources
}

/// A minimal shell-like split: whitespace, single and double quotes, backslash escapes.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The COPY sources that match nothing in `files`.
pub(crate) fn missing_sources(sources: &[String], files: &BTreeSet<String>) -> Vec<String> {
    sources.iter().filter(|s| !covered(s, files)).cloned().collect()
}

fn covered(source: &str, files: &BTreeSet<String>) -> bool {
    let Some(norm) = normalize(source) else { return false };
    if norm.is_empty() {
        return true;
    }
    if norm.contains(['*', '?', '[']) {
        let pattern: Vec<&str> = norm.split('/').collect();
        return files.iter().any(|f| {
            let parts: Vec<&str> = f.split('/').collect();
            parts.len() >= pattern.len()
                && pattern.iter().zip(&parts).all(|(p, s)| wildcard(p.as_bytes(), s.as_bytes()))
        });
    }
    let dir = format!("{norm}/");
    files.contains(&norm) || files.range(dir.clone()..).next().is_some_and(|f| f.starts_with(&dir))
}

/// `*` and `?` matching (other characters literally).
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// The entrypoint Daytona's server derives from a Dockerfile: the last `ENTRYPOINT`,
/// JSON-parsed; unparsable text becomes one element with quotes removed; anything else
/// `["sleep", "infinity"]`.
pub(crate) fn entrypoint(dockerfile: &str) -> Option<Vec<String>> {
    let mut last = None;
    for (at, _) in dockerfile.match_indices("ENTRYPOINT") {
        let after = &dockerfile[at + "ENTRYPOINT".len()..];
        if after.starts_with(|c: char| c.is_whitespace()) {
            let after = after.trim_start();
            last = Some(after.lines().next().unwrap_or_default().to_owned());
        }
    }
    let default = || vec!["sleep".to_owned(), "infinity".to_owned()];
    let list = match last {
        None => default(),
        Some(raw) => match serde_json::from_str::<serde_json::Value>(&raw) {
            Ok(serde_json::Value::Array(items)) => {
                items.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect()
            }
            Ok(_) => default(),
            Err(_) => vec![raw.replace(['"', '\''], "")],
        },
    };
    let list: Vec<String> = list.into_iter().filter(|s| !s.is_empty()).collect();
    if list.is_empty() { None } else { Some(list) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_images_skip_stages_scratch_and_flags() {
        let dockerfile = "FROM --platform=linux/amd64 rust:1.95 AS build\nRUN cargo build\n\
            from debian:bookworm-slim\nCOPY --from=build /x /x\nFROM build AS again\nFROM scratch\nFROM rust:1.95\n";
        assert_eq!(base_images(dockerfile), ["rust:1.95", "debian:bookworm-slim"]);
        assert_eq!(base_images("FROM pj-test-base:1\nRUN true\n"), ["pj-test-base:1"]);
        assert!(base_images("RUN true\n").is_empty());
    }

    fn engine(available: bool) -> docker::DockerStatus {
        docker::DockerStatus { available, detail: "engine said no".to_owned() }
    }

    #[tokio::test]
    async fn the_decision_follows_the_mode_the_engine_and_the_base_images() {
        let missing = vec!["pj-decision-missing:never".to_owned()];
        // Check and Docker modes never ask the engine.
        let unasked = async { panic!("the engine was asked") };
        let why = decide(BuildMode::CheckOnly, &missing, unasked).await.unwrap_err();
        assert!(why.contains("--local-build check"), "{why}");
        let unasked = async { panic!("the engine was asked") };
        assert_eq!(decide(BuildMode::Docker, &missing, unasked).await, Ok(()));
        // Auto: the engine first, then every base image.
        let why = decide(BuildMode::Auto, &missing, async { engine(false) }).await.unwrap_err();
        assert_eq!(why, "no Docker engine is reachable: engine said no");
        assert_eq!(decide(BuildMode::Auto, &[], async { engine(true) }).await, Ok(()));
        let why = decide(BuildMode::Auto, &missing, async { engine(true) }).await.unwrap_err();
        assert!(why.starts_with("the base image pj-decision-missing:never is not on"), "{why}");
        // The public decision reads the FROM lines: a multi-stage build on scratch has no base.
        let dockerfile = "FROM scratch AS empty\nFROM empty\nCOPY x /x\n";
        assert_eq!(base_images(dockerfile), Vec::<String>::new());
        let why = build_decision(BuildMode::CheckOnly, dockerfile).await.unwrap_err();
        assert!(why.contains("never builds images"), "{why}");
        let why = build_decision(BuildMode::Auto, "FROM pj-decision-missing:never\n").await.unwrap_err();
        assert!(
            why.starts_with("no Docker engine is reachable")
                || why.starts_with("the base image pj-decision-missing:never is not on"),
            "{why}"
        );
    }

    #[test]
    fn copy_sources_like_the_sdk() {
        let dockerfile = "FROM python:3.12-slim\nCOPY app /app\nCOPY --chown=1000:1000 requirements.txt /tmp/\n\
            COPY [\"dir with space/f.txt\", \"/opt/f.txt\"]\nCOPY --from=builder /x /y\nRUN echo hi\n\
            copy --link --chmod=644 app/a.txt \\\n  app/sub/b.txt /y/\n# COPY commented /z\nCOPY <<EOT /h\nEOT\n";
        assert_eq!(
            copy_sources(dockerfile),
            ["app", "requirements.txt", "dir with space/f.txt", "app/a.txt", "app/sub/b.txt"]
        );
    }

    #[test]
    fn sources_must_be_inside_the_union() {
        let files: BTreeSet<String> =
            ["ctx/file.txt", "sandbox/bin/run.sh", "a.txt"].iter().map(|s| s.to_string()).collect();
        let sources: Vec<String> =
            ["ctx/file.txt", "./sandbox", "sandbox/bin/", "*.txt", ".", "missing", "../ctx/file.txt", "sand"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        assert_eq!(missing_sources(&sources, &files), ["missing", "../ctx/file.txt", "sand"]);
    }

    #[test]
    fn entrypoints_like_the_server() {
        let e = |d: &str| entrypoint(d);
        assert_eq!(e("FROM a\n"), Some(vec!["sleep".into(), "infinity".into()]));
        assert_eq!(
            e("FROM a\nENTRYPOINT [\"/bin/sh\", \"-c\"]\n"),
            Some(vec!["/bin/sh".into(), "-c".into()])
        );
        assert_eq!(e("ENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\n"), Some(vec!["b".into()]));
        assert_eq!(e("ENTRYPOINT [\"sh\", \"echo \"x\"\"]\n"), Some(vec!["[sh, echo x]".into()]));
        assert_eq!(e("ENTRYPOINT []\n"), None);
    }

    #[test]
    fn wildcards() {
        assert!(wildcard(b"*.txt", b"a.txt"));
        assert!(wildcard(b"a?c", b"abc"));
        assert!(!wildcard(b"*.txt", b"a.md"));
        assert!(wildcard(b"*", b""));
    }
}
