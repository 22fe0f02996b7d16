//! Builds: the runner's checks (every context present, every COPY source inside the
//! union of the context tars), then a Docker build of the runner's build context
//! (`assemble.rs`) when the build mode decides to build. The Dockerfile is read with the
//! one reader the engine's rules use too (`daytona_contract::dockerfile`).
//!
//! No registry is ever contacted: every image a build takes from outside its Dockerfile
//! (`FROM`, `COPY --from=<image>`, `RUN --mount=...,from=<image>`) is looked up on the
//! engine first, and a missing one fails the build with the reason instead of a pull; an
//! image-name snapshot whose image is not on the engine fails the same way.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::assemble::{self, normalize};
use super::state::now_iso;
use super::{BuildMode, Shared, docker};
use daytona_contract::dockerfile::{self, ExternalImage, ImageUse};
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

/// A snapshot of an existing image (`imageName`): Daytona's runner pulls it; the local
/// server only finds it on the engine. Missing, it ends in `error` (Daytona's state for a
/// failed pull) with the reason; without an engine, `auto` only checks, as for a build.
async fn pull(shared: &Arc<Shared>, id: &str, image: &str) {
    if !set_state(shared, id, SnapshotState::Pulling, None, None) {
        return;
    }
    // The image is its own base: `auto` checks only without an engine, like a build.
    if let Err(reason) = decide(shared.mode, &[], shared.docker_status()).await {
        log(
            shared,
            id,
            &format!("(local server) checked, not built: image {image} was not looked up ({reason})"),
        );
        set_checked_only(shared, id, reason);
        set_state(shared, id, SnapshotState::Active, None, None);
        return;
    }
    let status = shared.docker_status().await;
    if !status.available {
        let reason = format!(
            "No Docker engine is reachable from the local Daytona server, so image {image} cannot be found: {}",
            status.detail
        );
        log(shared, id, &format!("ERROR: {reason}"));
        set_state(shared, id, SnapshotState::Error, Some(reason), None);
        return;
    }
    match docker::image_size(image).await {
        Some(bytes) => {
            log(shared, id, &format!("Image {image} is present on the local Docker engine"));
            set_state(shared, id, SnapshotState::Active, None, Some(gigabytes(bytes)));
        }
        None => {
            let reason = format!(
                "Image {image} is not on this machine's Docker engine, and the local server pulls from no \
                 registry: make the image locally (docker build --tag {image} ..., docker load, or docker tag \
                 of an image you have; for debian:bookworm-slim, `bash scripts/debian-base-image.sh`), then \
                 create the snapshot again"
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
/// stage (nor `scratch`), after the expansion of the `ARG`s declared before the first
/// `FROM`. A Dockerfile the reader cannot read has none here: its build fails with the
/// reason ([`needed_images`]).
pub(crate) fn base_images(text: &str) -> Vec<String> {
    dockerfile::external_images(text)
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i.used_by == ImageUse::From)
        .map(|i| i.image)
        .collect()
}

/// Every image a build of `text` takes from outside it, or why the Dockerfile cannot be
/// read (then Docker could not build it either, or which image it takes cannot be told).
fn needed_images(text: &str) -> Result<Vec<ExternalImage>, String> {
    dockerfile::external_images(text).map_err(|e| format!("the Dockerfile cannot be read: {e}"))
}

/// `Err` naming every image of `needed` that is not on the engine: the build would pull
/// it, and the local server pulls from no registry.
async fn all_on_engine(needed: &[ExternalImage]) -> Result<(), String> {
    let mut missing = Vec::new();
    for image in needed {
        if docker::image_size(&image.image).await.is_none() {
            missing.push(format!("{} ({} on line {})", image.image, image.used_by, image.line));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the build needs {} that {} not on this machine's Docker engine: {}; the local server pulls from no \
         registry, so make {} locally (docker build --tag, docker load, or docker tag of an image you have; \
         for debian:bookworm-slim, `bash scripts/debian-base-image.sh`) and build again",
        if missing.len() == 1 { "an image" } else { "images" },
        if missing.len() == 1 { "is" } else { "are" },
        missing.join(", "),
        if missing.len() == 1 { "it" } else { "them" },
    ))
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
    let needed = needed_images(dockerfile)?;
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
    // Checked here, not left to `docker build`, which would pull a missing one.
    all_on_engine(&needed).await?;
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

/// The sources of the Dockerfile's `COPY` instructions (without `--from`, nor a heredoc),
/// as Daytona's SDK finds them (`docs/daytona-contract.md` §2.4): instructions as Docker
/// reads them, flags skipped, JSON or shell form, all but the last argument.
pub(crate) fn copy_sources(text: &str) -> Vec<String> {
    let escape = dockerfile::escape(text).unwrap_or('\\');
    dockerfile::read_escaped(text, escape)
        .into_iter()
        .filter(|i| i.keyword == "COPY" && !i.args.contains("<<"))
        .filter_map(|i| dockerfile::copy_args(&i.args).ok().filter(|c| c.from().is_none()).map(|c| c.sources))
        .flatten()
        .collect()
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
        // As Docker reads FROM: the ARG defaults before the first FROM expanded.
        assert_eq!(base_images("ARG BASE=pj-test-base\nARG TAG=1\nFROM ${BASE}:$TAG\n"), ["pj-test-base:1"]);
        // A COPY --from image is needed, not a base.
        assert!(base_images("FROM scratch\nCOPY --from=tools:1 /t /t\n").is_empty());
    }

    #[tokio::test]
    async fn every_needed_image_is_looked_up_and_the_missing_ones_named() {
        let text = "FROM scratch AS s\nCOPY --from=pj-needed-missing:copy /a /a\n\
                    RUN --mount=type=bind,from=pj-needed-missing:mount,target=/m true\nCOPY --from=s /a /b\n";
        let needed = needed_images(text).expect("readable");
        let why = all_on_engine(&needed).await.unwrap_err();
        assert!(
            why.starts_with(
                "the build needs images that are not on this machine's Docker engine: pj-needed-missing:copy \
                 (COPY --from on line 2), pj-needed-missing:mount (RUN --mount from on line 3); the local server \
                 pulls from no registry"
            ),
            "{why}"
        );
        assert_eq!(all_on_engine(&[]).await, Ok(()));
        let why = needed_images("FROM a:1\nCOPY --from=$X /a /a\n").unwrap_err();
        assert!(
            why.starts_with("the Dockerfile cannot be read: Dockerfile line 2: `from=$X` holds a variable"),
            "{why}"
        );
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
