//! The application crate: which package, and the definition the compiler checked, which
//! carries the snapshot name the crate's build script resolved. xtask never resolves the
//! name itself.
//!
//! The definition is the manifest that the compilation of the artifact cargo just
//! reported included (`include_bytes!` by `#[pithy_image]`): it is named in that
//! artifact's dep-info, and its name is the digest of its content
//! (`pj_image::definition`). Other manifests in `OUT_DIR` (an editor's expansion, an
//! older build) are never read.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cargo_metadata::{Message, Metadata, MetadataCommand, Package};
use daytona_contract::context::{self, Context, ContextSummary};
use indicatif::{ProgressBar, ProgressStyle};
use pj_image::Definition;
use pj_image::definition::is_manifest_name;

use crate::failure::{Failure, code};

/// The application crate whose image is published.
#[derive(Debug, Clone)]
pub struct Project {
    pub package: String,
    pub version: String,
    pub manifest_path: PathBuf,
    /// The snapshot name, as the crate's build script resolved it (`PITHY_SNAPSHOT`,
    /// carried in the definition). Empty until [`load`] has read the definition.
    pub snapshot: String,
    pub target_dir: PathBuf,
    package_id: String,
}

/// A context of the definition, checked and re-hashed on disk now: the definition's
/// record and its size, for the progress bars and the dry run.
#[derive(Debug, Clone)]
pub struct Scanned {
    pub context: Context,
    pub summary: ContextSummary,
    /// What the context leaves out (its patterns, compiled).
    pub exclude: context::Exclude,
}

/// Finds the package (`-p NAME`, or the workspace's only crate with
/// `[package.metadata.pithy-image]`), builds it, and reads the definitions of its images
/// (the unnamed one first, then by name), each with its project carrying that image's
/// snapshot name. `image` keeps one: an image name, or any image's snapshot name.
pub fn load(wanted: Option<&str>, image: Option<&str>) -> Result<Vec<(Project, Definition)>, Failure> {
    let project = locate(wanted)?;
    let definitions = select_image(&project, definitions(&project)?, image)?;
    definitions
        .into_iter()
        .map(|definition| {
            let mut project = project.clone();
            project.snapshot = snapshot_name(&project, &definition)?.to_owned();
            Ok((project, definition))
        })
        .collect()
}

/// How an image is named in messages: `image "gpu"`, or `the unnamed image`.
pub fn label(definition: &Definition) -> String {
    match definition.image_name() {
        Some(name) => format!("image \"{name}\""),
        None => "the unnamed image".to_owned(),
    }
}

/// The images `--image` selects: all of them without it, else the one with that name or
/// snapshot name (so the unnamed image is selected by its snapshot name).
fn select_image(
    project: &Project,
    definitions: Vec<Definition>,
    wanted: Option<&str>,
) -> Result<Vec<Definition>, Failure> {
    let Some(wanted) = wanted else { return Ok(definitions) };
    let chosen = |d: &Definition| d.image_name() == Some(wanted) || d.snapshot_name() == Some(wanted);
    if let Some(found) = definitions.iter().find(|d| chosen(d)) {
        return Ok(vec![found.clone()]);
    }
    let names: Vec<String> = definitions
        .iter()
        .map(|d| match d.image_name() {
            Some(name) => name.to_owned(),
            None => format!("{} (the unnamed image, by its snapshot name)", d.snapshot),
        })
        .collect();
    Err(Failure::new(code::CONFIG, format!("`{}` has no image `{wanted}`", project.package))
        .note(format!("its images are: {}", names.join(", ")))
        .help("pass one of them to --image, or leave --image out to take them all"))
}

/// The name the build script resolved, or how to get one.
fn snapshot_name<'d>(project: &Project, definition: &'d Definition) -> Result<&'d str, Failure> {
    definition.snapshot_name().ok_or_else(|| {
        Failure::new(code::CONFIG, format!("`{}` has no snapshot name in its image definition", project.package))
            .note("the crate's build script resolves the name, and #[pithy_image] was compiled without it")
            .help(
                "make the crate's build.rs `fn main() { pj_image::build::run(); }`, with pj-image in [build-dependencies]",
            )
    })
}

/// Finds the package: `-p NAME`, or the workspace's only crate with
/// `[package.metadata.pithy-image]`.
fn locate(wanted: Option<&str>) -> Result<Project, Failure> {
    select(&workspace(MetadataCommand::new())?, wanted)
}

/// The workspace around the current directory (or the command's `current_dir`), as
/// `cargo metadata` reads it: from any directory below its root, whether the root
/// manifest is virtual or a package.
fn workspace(mut command: MetadataCommand) -> Result<Metadata, Failure> {
    command.no_deps().exec().map_err(|e| {
        Failure::new(code::CONFIG, format!("cannot read the workspace with `cargo metadata`: {e}"))
            .help("run cargo xtask from inside the workspace")
    })
}

/// The package among the workspace's members, wherever they are and however many:
/// `wanted`, or the only one with `[package.metadata.pithy-image]`.
fn select(metadata: &Metadata, wanted: Option<&str>) -> Result<Project, Failure> {
    let members: Vec<&Package> = metadata.workspace_packages();
    let package = match wanted {
        Some(name) => members.iter().find(|p| p.name.as_str() == name).copied().ok_or_else(|| {
            let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
            Failure::new(code::CONFIG, format!("no package `{name}` in this workspace"))
                .note(format!("the packages are: {}", names.join(", ")))
        })?,
        None => {
            let with_image: Vec<&Package> =
                members.iter().copied().filter(|p| p.metadata.get("pithy-image").is_some()).collect();
            match with_image.as_slice() {
                [one] => *one,
                [] => {
                    return Err(Failure::new(code::CONFIG, "no package declares [package.metadata.pithy-image]")
                        .help("add `[package.metadata.pithy-image]` to the application's Cargo.toml, or pass -p PACKAGE"));
                }
                many => {
                    let names: Vec<&str> = many.iter().map(|p| p.name.as_str()).collect();
                    return Err(Failure::new(
                        code::CONFIG,
                        format!(
                            "several packages declare [package.metadata.pithy-image]: {}",
                            names.join(", ")
                        ),
                    )
                    .help("choose one with -p PACKAGE"));
                }
            }
        }
    };
    Ok(Project {
        package: package.name.to_string(),
        version: package.version.to_string(),
        manifest_path: package.manifest_path.clone().into_std_path_buf(),
        snapshot: String::new(),
        target_dir: metadata.target_directory.clone().into_std_path_buf(),
        package_id: package.id.repr.clone(),
    })
}

/// The workspace's target directory (for `cargo xtask local`, which needs no package).
pub fn target_dir() -> Result<PathBuf, Failure> {
    Ok(workspace(MetadataCommand::new())?.target_directory.into_std_path_buf())
}

/// Builds the crate (so the macro checks the definitions against the files as they are
/// now) and reads the definitions it embedded.
fn definitions(project: &Project) -> Result<Vec<Definition>, Failure> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!(
        "    Checking the image definition of {} (cargo build -p {})",
        project.package, project.package
    );
    let mut child = Command::new(cargo)
        .args(["build", "--package", &project.package, "--message-format=json-render-diagnostics"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Failure::new(code::FAILED, format!("cannot run cargo: {e}")))?;
    let mut out_dir = None;
    let mut artifacts = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for message in Message::parse_stream(BufReader::new(stdout)).flatten() {
            match message {
                Message::BuildScriptExecuted(script) if script.package_id.repr == project.package_id => {
                    out_dir = Some(script.out_dir.into_std_path_buf());
                }
                Message::CompilerArtifact(artifact)
                    if artifact.package_id.repr == project.package_id
                        && !artifact.target.is_custom_build() =>
                {
                    artifacts.extend(artifact.filenames.into_iter().map(|f| f.into_std_path_buf()));
                }
                _ => {}
            }
        }
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(Failure::new(code::CONFIG, format!("`{}` does not compile", project.package))
            .note("the image definition is checked by the compiler; its errors are above")
            .help("fix the errors, then re-run"));
    }
    let out_dir = out_dir.ok_or_else(|| {
        Failure::new(code::CONFIG, format!("`{}` has no build script", project.package)).help(
            "add build.rs with `fn main() { pj_image::build::run(); }` and pj-image in [build-dependencies]",
        )
    })?;
    let mut definitions = Vec::new();
    for manifest in compiled_manifests(project, &out_dir, &artifacts)? {
        definitions.push(
            Definition::read_manifest(&manifest).map_err(|e| Failure::new(code::CONFIG, e.to_string()))?,
        );
    }
    one_per_name(project, definitions)
}

/// The definitions ordered (the unnamed image first, then by name), each name once. The
/// macro refuses two images of one name in a crate; a lib and a bin of the package are two
/// crates, and this catches them.
fn one_per_name(project: &Project, mut definitions: Vec<Definition>) -> Result<Vec<Definition>, Failure> {
    definitions.sort_by(|a, b| a.image.cmp(&b.image));
    if let Some(pair) = definitions.windows(2).find(|w| w[0].image == w[1].image) {
        let image = label(&pair[0]);
        return Err(Failure::new(
            code::CONFIG,
            format!("`{}` defines {image} twice (in its lib and bin targets)", project.package),
        )
        .note(format!("functions `{}` and `{}`", pair[0].function, pair[1].function))
        .help("keep one #[pithy_image] per name in the package, or give one of them another name"));
    }
    Ok(definitions)
}

/// The manifests that the package's artifacts were compiled with: named in their
/// dep-info (cargo writes `<artifact>.d` beside each), inside the package's `OUT_DIR`,
/// one per image.
fn compiled_manifests(
    project: &Project,
    out_dir: &Path,
    artifacts: &[PathBuf],
) -> Result<Vec<PathBuf>, Failure> {
    let mut found: Vec<PathBuf> = Vec::new();
    for artifact in artifacts {
        let dep_info = artifact.with_extension("d");
        // Only uplifted artifacts (bin, rlib) have one; their `.rmeta` twins do not.
        let Ok(text) = std::fs::read_to_string(&dep_info) else { continue };
        for path in dep_info_paths(&text) {
            let ours = path.parent() == Some(out_dir)
                && path.file_name().and_then(|n| n.to_str()).is_some_and(is_manifest_name);
            if ours && !found.contains(&path) {
                found.push(path);
            }
        }
    }
    if found.is_empty() {
        return Err(Failure::new(
            code::CONFIG,
            format!("`{}` was compiled without an image definition", project.package),
        )
        .note("none of its artifacts includes a manifest written by #[pithy_image]")
        .help("add a #[pithy_image] function to the crate (and `pj_image::build::run()` to its build.rs)"));
    }
    Ok(found)
}

/// The paths of a Makefile-style dep-info file (`target: dep dep ...`), with `\ `
/// read as a space.
fn dep_info_paths(text: &str) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for line in text.lines() {
        if line.ends_with(':') {
            // `dep:`, the empty rule rustc adds per dependency: already listed.
            continue;
        }
        // The target, then its dependencies (a path can hold `: `, but not unescaped).
        let deps = line.split_once(": ").map_or(line, |(_, deps)| deps);
        let mut current = String::new();
        let mut chars = deps.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(' ') => current.push(' '),
                    Some(other) => {
                        current.push('\\');
                        current.push(other);
                    }
                    None => {}
                },
                ' ' => {
                    paths.extend((!current.is_empty()).then(|| PathBuf::from(std::mem::take(&mut current))))
                }
                c => current.push(c),
            }
        }
        paths.extend((!current.is_empty()).then(|| PathBuf::from(current)));
    }
    paths
}

/// Checks one context on disk now (what Daytona cannot carry stops the run) and sizes
/// it, for the progress bars and the dry run. Reads no file content.
pub fn scan(c: &Context) -> Result<Scanned, Failure> {
    let exclude = exclusion(c)?;
    let summary =
        context::scan_excluding(c.source_path(), &c.archive_path, c.kind, &exclude).map_err(|problems| {
            let mut f =
                Failure::new(code::CONFIG, format!("context `{}` cannot be uploaded", c.archive_path));
            for problem in problems {
                f = f.note(problem.to_string());
            }
            f.help("fix it and rebuild")
        })?;
    Ok(Scanned { context: c.clone(), summary, exclude })
}

/// The compiled patterns of a context; an error only for a manifest edited by hand.
fn exclusion(c: &Context) -> Result<context::Exclude, Failure> {
    c.exclusion().map_err(|e| {
        Failure::new(
            code::CONFIG,
            format!("context `{}` has an unusable exclude pattern: {e}", c.archive_path),
        )
        .help("rebuild the crate (cargo build), then re-run")
    })
}

/// The refusal when a context's content is not what the crate was compiled with.
pub fn changed_since_compiled(archive_path: &str, compiled: &str, now: &str) -> Failure {
    Failure::new(code::CONFIG, format!("context `{archive_path}` changed since the crate was compiled"))
        .note(format!("compiled hash {compiled}, hash now {now}"))
        .help("rebuild the crate (cargo build), then re-run; the snapshot must match the binary")
}

/// Re-hashes every context now and compares with the hashes the compiler embedded (for
/// `--dry-run` and `--docker`, which upload nothing; publishing hashes while it uploads).
pub fn contexts(definition: &Definition) -> Result<Vec<Scanned>, Failure> {
    let mut out = Vec::new();
    for c in definition.contexts.iter() {
        let scanned = scan(c)?;
        let bar = ProgressBar::new(scanned.summary.bytes).with_style(
            ProgressStyle::with_template("    hashing {msg} {bar:30} {bytes}/{total_bytes}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("{} ({} files)", c.archive_path, scanned.summary.files));
        let md5 = context::hash_with_progress(c.source_path(), &c.archive_path, &scanned.exclude, &mut |n| {
            bar.inc(n)
        })
        .map_err(|e| Failure::new(code::FAILED, format!("cannot hash context `{}`: {e}", c.archive_path)))?;
        bar.finish_and_clear();
        if md5 != c.md5 {
            return Err(changed_since_compiled(&c.archive_path, &c.md5, &md5));
        }
        out.push(scanned);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! Finding the application in the layouts a team's workspace may have (`cargo metadata`
    //! on small workspaces written to a temporary directory; nothing is built).

    use std::path::Path;

    use super::*;

    /// A package manifest; `image` adds `[package.metadata.pithy-image]`.
    fn package(name: &str, image: bool) -> String {
        let metadata = if image { "\n[package.metadata.pithy-image]\n" } else { "" };
        format!("[package]\nname = \"{name}\"\nversion = \"0.3.0\"\nedition = \"2024\"\n{metadata}")
    }

    /// A workspace of `files` (path, text); every package gets an empty `src/lib.rs`.
    fn workspace_of(files: &[(&str, String)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write");
            if path.ends_with("Cargo.toml") && text.contains("[package]") {
                let src = path.with_file_name("src");
                std::fs::create_dir_all(&src).expect("mkdir src");
                std::fs::write(src.join("lib.rs"), "").expect("write lib.rs");
            }
        }
        root
    }

    /// What `cargo xtask snapshot [-p wanted]` run in `root/from` finds.
    fn found(root: &Path, from: &str, wanted: Option<&str>) -> Result<Project, Failure> {
        let mut command = MetadataCommand::new();
        command.current_dir(root.join(from));
        select(&workspace(command)?, wanted)
    }

    fn virtual_manifest(members: &str) -> (&'static str, String) {
        ("Cargo.toml", format!("[workspace]\nresolver = \"3\"\nmembers = [{members}]\n"))
    }

    #[test]
    fn a_virtual_manifest_with_the_app_in_a_folder_among_other_members() {
        let ws = workspace_of(&[
            virtual_manifest(r#""apps/web", "crates/util", "xtask""#),
            ("apps/web/Cargo.toml", package("web", true)),
            ("crates/util/Cargo.toml", package("util", false)),
            ("xtask/Cargo.toml", package("xtask", false)),
        ]);
        for from in ["", "xtask", "crates/util/src", "apps/web"] {
            let project = found(ws.path(), from, None).unwrap_or_else(|f| panic!("from {from:?}: {f}"));
            assert_eq!(project.package, "web", "from {from:?}");
            assert_eq!(project.version, "0.3.0");
            assert!(project.manifest_path.ends_with("apps/web/Cargo.toml"), "{:?}", project.manifest_path);
            assert!(project.target_dir.ends_with("target"), "{:?}", project.target_dir);
        }
    }

    #[test]
    fn glob_members_and_a_root_package_that_is_not_the_app() {
        let ws = workspace_of(&[
            ("Cargo.toml", format!("{}\n[workspace]\nmembers = [\"services/*\"]\n", package("root", false))),
            ("services/api/Cargo.toml", package("api", false)),
            ("services/sandbox-app/Cargo.toml", package("sandbox-app", true)),
        ]);
        let project = found(ws.path(), "services/api", None).expect("found");
        assert_eq!(project.package, "sandbox-app");
    }

    #[test]
    fn several_apps_need_p_and_p_picks_any_member() {
        let ws = workspace_of(&[
            virtual_manifest(r#""apps/a", "apps/b", "lib""#),
            ("apps/a/Cargo.toml", package("a", true)),
            ("apps/b/Cargo.toml", package("b", true)),
            ("lib/Cargo.toml", package("lib", false)),
        ]);
        let several = found(ws.path(), "", None).expect_err("ambiguous");
        assert_eq!(several.code, code::CONFIG);
        assert_eq!(several.what, "several packages declare [package.metadata.pithy-image]: a, b");
        assert_eq!(several.help.as_deref(), Some("choose one with -p PACKAGE"));
        for (from, wanted) in [("", "b"), ("apps/a", "b"), ("lib/src", "a")] {
            let project = found(ws.path(), from, Some(wanted)).expect("found");
            assert_eq!(project.package, wanted, "-p {wanted} from {from:?}");
            assert!(project.manifest_path.ends_with(format!("apps/{wanted}/Cargo.toml")));
        }
        let unknown = found(ws.path(), "", Some("c")).expect_err("no such package");
        assert_eq!(unknown.what, "no package `c` in this workspace");
        assert_eq!(unknown.notes, ["the packages are: a, b, lib"]);
    }

    #[test]
    fn a_single_package_workspace_and_none_with_an_image() {
        let single = workspace_of(&[("Cargo.toml", package("solo", true))]);
        assert_eq!(found(single.path(), "src", None).expect("found").package, "solo");

        let none = workspace_of(&[
            virtual_manifest(r#""x", "y""#),
            ("x/Cargo.toml", package("x", false)),
            ("y/Cargo.toml", package("y", false)),
        ]);
        let failure = found(none.path(), "", None).expect_err("no app");
        assert_eq!(failure.what, "no package declares [package.metadata.pithy-image]");
        assert_eq!(found(none.path(), "", Some("y")).expect("-p works without metadata").package, "y");
    }

    #[test]
    fn dep_info_paths_read_escaped_spaces() {
        let text =
            "/t/debug/app: /src/my\\ app/main.rs /t/out/pithy-image-00.json\n\n/src/my\\ app/main.rs:\n";
        let paths = dep_info_paths(text);
        assert_eq!(
            paths,
            [PathBuf::from("/src/my app/main.rs"), PathBuf::from("/t/out/pithy-image-00.json"),]
        );
    }

    fn app() -> Project {
        Project {
            package: "app".into(),
            version: "1.0.0".into(),
            manifest_path: PathBuf::from("/src/app/Cargo.toml"),
            snapshot: String::new(),
            target_dir: PathBuf::from("/src/app/target"),
            package_id: "app".into(),
        }
    }

    /// A definition of the image `image` ("" for the unnamed one) from function `function`.
    fn image(image: &str, function: &str) -> Definition {
        let rendered = pj_image::Image::base("alpine:3.19").render().expect("valid");
        let snapshot =
            pj_image::image_snapshot_name("app", None, Some(image).filter(|i| !i.is_empty()), "1.0.0")
                .expect("valid name");
        Definition::new(function, &rendered, pj_image::Resources::default())
            .with_image(image.to_owned())
            .with_snapshot(snapshot)
    }

    #[test]
    fn images_are_ordered_and_one_per_name_across_targets() {
        let ordered = one_per_name(&app(), vec![image("gpu", "g"), image("", "u"), image("cpu", "c")])
            .expect("distinct names");
        let names: Vec<&str> = ordered.iter().map(|d| d.image.as_ref()).collect();
        assert_eq!(names, ["", "cpu", "gpu"], "the unnamed image first, then by name");

        let twice = one_per_name(&app(), vec![image("gpu", "in_lib"), image("gpu", "in_bin")])
            .expect_err("gpu twice");
        assert_eq!(twice.code, code::CONFIG);
        assert_eq!(twice.what, "`app` defines image \"gpu\" twice (in its lib and bin targets)");
        assert_eq!(twice.notes, ["functions `in_lib` and `in_bin`"]);
        let unnamed = one_per_name(&app(), vec![image("", "a"), image("", "b")]).expect_err("two unnamed");
        assert!(unnamed.what.contains("the unnamed image twice"), "{}", unnamed.what);
    }

    #[test]
    fn image_selects_by_name_or_snapshot_name_and_lists_the_names_otherwise() {
        let all = || vec![image("", "u"), image("gpu", "g")];
        assert_eq!(select_image(&app(), all(), None).expect("all").len(), 2);
        let gpu = select_image(&app(), all(), Some("gpu")).expect("by name");
        assert_eq!(gpu.iter().map(|d| d.function.as_ref()).collect::<Vec<_>>(), ["g"]);
        let unnamed = select_image(&app(), all(), Some("app-v1.0.0")).expect("by snapshot name");
        assert_eq!(unnamed.iter().map(|d| d.function.as_ref()).collect::<Vec<_>>(), ["u"]);
        let unknown = select_image(&app(), all(), Some("tpu")).expect_err("no such image");
        assert_eq!(unknown.code, code::CONFIG);
        assert_eq!(unknown.what, "`app` has no image `tpu`");
        assert_eq!(
            unknown.notes,
            ["its images are: app-v1.0.0 (the unnamed image, by its snapshot name), gpu"]
        );
    }

    #[test]
    fn outside_any_workspace_says_where_to_run() {
        let empty = tempfile::tempdir().expect("tempdir");
        let failure = found(empty.path(), "", None).expect_err("no workspace");
        assert_eq!(failure.code, code::CONFIG);
        assert_eq!(failure.help.as_deref(), Some("run cargo xtask from inside the workspace"));
    }
}
