//! The checked, rendered definition that `#[pithy_image]` embeds in the application
//! crate, and the manifest file through which `cargo xtask snapshot` reads it.
//!
//! # How xtask obtains the definition
//!
//! The macro renders the definition at compile time and
//! - embeds it as `pub const PITHY_DEFINITION: pj_image::Definition` next to the
//!   annotated function, for the application's own use;
//! - writes the same value as JSON to `$OUT_DIR/pithy-image-<digest>.json`
//!   ([`Definition::manifest_name`]; the digest is of the JSON itself), where `OUT_DIR` is
//!   the application's build-script output directory (the crate's `build.rs` calls
//!   [`crate::build::run`]), and the list of files and directories it read to
//!   `$OUT_DIR/pithy-image.track` ([`TRACK_FILE`]), which the build script turns into
//!   `cargo:rerun-if-changed` lines;
//! - includes that manifest in the crate (`include_bytes!`), so the compilation's
//!   dep-info names exactly the manifest it wrote, and cargo rebuilds the crate if that
//!   file disappears or changes.
//!
//! A tool builds the crate (`cargo build -p <package> --message-format=json`), reads the
//! dep-info of the artifact cargo reports (`<artifact>.d`), takes the manifest it names
//! in the package's `OUT_DIR`, and reads it with [`Definition::read_manifest`], which
//! checks the content against the digest in its name. Manifests of other expansions (an
//! editor's, an older build's) have other names and are never read. Nothing is
//! re-derived: the manifest is what the compiler checked. A crate may have several images
//! (`#[pithy_image(name = "gpu")]`, [`Definition::image`]), each with its own manifest,
//! snapshot name and constant (`PITHY_DEFINITION_GPU`); two of one name are a compile
//! error.
//!
//! # The snapshot name
//!
//! The build script resolves the name once ([`crate::build`]) and hands it to rustc as
//! `PITHY_SNAPSHOT`; the macro reads that variable while it expands and stores it in
//! [`Definition::snapshot`], so the embedded definition, the manifest and
//! `env!("PITHY_SNAPSHOT")` carry the same name, and a tool publishes under
//! [`Definition::snapshot`] without reading `Cargo.toml` again. Without the build
//! script the field is empty. Manifests written before the field existed read as empty.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Context, Rendered, Resources};

/// How a manifest's file name starts, inside the application's `OUT_DIR`
/// (`pithy-image-<digest>.json`, see [`Definition::manifest_name`]).
pub const MANIFEST_PREFIX: &str = "pithy-image-";
/// How a manifest's file name ends.
pub const MANIFEST_SUFFIX: &str = ".json";
/// The file listing what the macro read (one absolute path per line, directories
/// ending in `/`), inside the application's `OUT_DIR`.
pub const TRACK_FILE: &str = "pithy-image.track";
/// The variable through which the build script hands the resolved snapshot name to
/// the crate (`env!("PITHY_SNAPSHOT")`) and to `#[pithy_image]` (which reads it from
/// rustc's environment while it expands). A named image's is
/// [`image_var`](crate::image_var)`(SNAPSHOT_ENV, Some(name))`: `PITHY_SNAPSHOT_GPU`.
pub const SNAPSHOT_ENV: &str = "PITHY_SNAPSHOT";
/// The variable through which the build script announces the crate's named images
/// (`[package.metadata.pithy-image] images`, joined with `,`) to `#[pithy_image]`, which
/// refuses a `name = ".."` not in it. Unset when the crate has no build script.
pub const IMAGES_ENV: &str = "PITHY_IMAGES";
/// The name of the embedded constant: `PITHY_DEFINITION`, or for a named image
/// [`image_var`](crate::image_var)`(DEFINITION_CONST, Some(name))`: `PITHY_DEFINITION_GPU`.
pub const DEFINITION_CONST: &str = "PITHY_DEFINITION";

/// A checked, rendered image definition: everything needed to publish it, and its
/// identity (Dockerfile, context hashes, resources).
///
/// ```
/// use pj_image::{Definition, Image, Resources};
/// let rendered = Image::base("alpine:3.19").run_commands(["echo hi"]).render().unwrap();
/// let def = Definition::new("image", &rendered, Resources::default()).with_snapshot("app-v1.0.0");
/// assert_eq!(def.dockerfile, "FROM alpine:3.19\nRUN echo hi\n");
/// assert_eq!(def.snapshot_name(), Some("app-v1.0.0"));
/// let back = Definition::from_json(&def.to_json()).unwrap();
/// assert_eq!(back, def);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    /// The annotated function's name.
    pub function: Cow<'static, str>,
    /// The image's name in its crate (`#[pithy_image(name = "gpu")]`); empty for the
    /// crate's unnamed image. Absent in older manifests, read as empty.
    #[serde(default)]
    pub image: Cow<'static, str>,
    /// The snapshot name the build script resolved (`PITHY_SNAPSHOT`, the value of
    /// `env!("PITHY_SNAPSHOT")`); empty when the crate was compiled without the build
    /// script ([`crate::build::run`]). Absent in older manifests, read as empty.
    #[serde(default)]
    pub snapshot: Cow<'static, str>,
    /// `buildInfo.dockerfileContent`.
    pub dockerfile: Cow<'static, str>,
    /// The contexts in builder order; their hashes are `buildInfo.contextHashes`.
    pub contexts: Cow<'static, [Context]>,
    /// The sandbox resources.
    pub resources: Resources,
    /// The server's build key for this Dockerfile and these contexts (`snapshotRef`),
    /// as [`Rendered::build_key`] computed it.
    pub build_key: Cow<'static, str>,
    /// Files the rules read besides the contexts (requirements files, pyproject.toml).
    pub files: Cow<'static, [Cow<'static, str>]>,
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The file is missing or unreadable.
    #[error(
        "cannot read the pithy image manifest {path}: {source}; build the crate first, and check that its \
         build.rs calls pj_image::build::run() and that it has a #[pithy_image] function"
    )]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file's content is not the one its name was made from: it was changed after
    /// the compilation wrote it.
    #[error(
        "the pithy image manifest {path} does not match its name (changed after it was compiled); rebuild \
         the crate"
    )]
    Altered {
        /// The manifest path.
        path: PathBuf,
    },
    /// The file is not a manifest of this pj-image version.
    #[error(
        "the pithy image manifest {path} is not valid ({source}); rebuild the crate with this pj-image version"
    )]
    Parse {
        /// The manifest path.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
}

impl Definition {
    /// The definition of function `function` from a rendered image and its resources.
    pub fn new(function: &str, rendered: &Rendered, resources: Resources) -> Definition {
        Definition {
            function: function.to_owned().into(),
            image: Cow::Borrowed(""),
            snapshot: Cow::Borrowed(""),
            dockerfile: rendered.dockerfile.clone().into(),
            contexts: rendered.contexts.clone().into(),
            resources,
            build_key: rendered.build_key().into(),
            files: rendered
                .files
                .iter()
                .map(|f| Cow::Owned(f.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .into(),
        }
    }

    /// The same definition, to be published under the snapshot name `name`.
    pub fn with_snapshot(mut self, name: impl Into<Cow<'static, str>>) -> Definition {
        self.snapshot = name.into();
        self
    }

    /// The same definition, as the crate's image named `image` (`#[pithy_image(name = "gpu")]`).
    ///
    /// ```
    /// use pj_image::{Definition, Image, Resources};
    /// let def = Definition::new("gpu", &Image::base("alpine:3.19").render().unwrap(), Resources::default());
    /// assert_eq!(def.image_name(), None);
    /// assert_eq!(def.with_image("gpu").image_name(), Some("gpu"));
    /// ```
    pub fn with_image(mut self, image: impl Into<Cow<'static, str>>) -> Definition {
        self.image = image.into();
        self
    }

    /// The image's name in its crate, or `None` for the unnamed image.
    pub fn image_name(&self) -> Option<&str> {
        Some(self.image.as_ref()).filter(|s| !s.is_empty())
    }

    /// The snapshot name, or `None` when the crate was compiled without its build script.
    pub fn snapshot_name(&self) -> Option<&str> {
        Some(self.snapshot.as_ref()).filter(|s| !s.is_empty())
    }

    /// `buildInfo.contextHashes`: the context hashes in builder order
    /// ([`context_hashes`](daytona_contract::context_hashes)).
    pub fn context_hashes(&self) -> Vec<&str> {
        daytona_contract::context_hashes(&self.contexts)
    }

    /// The definition as pretty JSON (the manifest format).
    pub fn to_json(&self) -> String {
        // A struct of strings, numbers and enums always serialises.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses the manifest format.
    pub fn from_json(json: &str) -> Result<Definition, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The manifest's file name, `pithy-image-<digest>.json`: the digest is the first 128
    /// bits of the SHA-256 of [`to_json`](Self::to_json), in hex. Two definitions never
    /// share a name, so the file a compilation wrote is never overwritten by another
    /// expansion.
    ///
    /// ```
    /// use pj_image::{Definition, Image, Resources};
    /// let rendered = Image::base("alpine:3.19").render().unwrap();
    /// let def = Definition::new("image", &rendered, Resources::default());
    /// let name = def.manifest_name();
    /// assert!(pj_image::definition::is_manifest_name(&name));
    /// assert_ne!(name, def.clone().with_snapshot("app-v1.0.0").manifest_name());
    /// ```
    pub fn manifest_name(&self) -> String {
        manifest_name_of(self.to_json().as_bytes())
    }

    /// Reads a manifest file and checks that its content is the one its name was made
    /// from ([`ManifestError::Altered`] otherwise).
    ///
    /// ```
    /// use pj_image::{Definition, Image, Resources};
    /// let out = tempfile::tempdir().unwrap();
    /// let def = Definition::new("image", &Image::base("alpine:3.19").render().unwrap(), Resources::default());
    /// let path = def.write_manifest(out.path()).unwrap();
    /// assert_eq!(Definition::read_manifest(&path).unwrap(), def);
    /// ```
    pub fn read_manifest(path: &Path) -> Result<Definition, ManifestError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ManifestError::Read { path: path.to_owned(), source })?;
        let named =
            path.file_name().and_then(|n| n.to_str()) == Some(manifest_name_of(text.as_bytes()).as_str());
        if !named {
            return Err(ManifestError::Altered { path: path.to_owned() });
        }
        Self::from_json(&text).map_err(|source| ManifestError::Parse { path: path.to_owned(), source })
    }

    /// Writes the manifest into `out_dir` under [`manifest_name`](Self::manifest_name)
    /// (atomically, and only when absent or different) and returns its path. Its
    /// modification time is set to the Unix epoch: the name fixes the content, and the
    /// crate that includes it must not look out of date because the file was written
    /// while it compiled.
    pub fn write_manifest(&self, out_dir: &Path) -> std::io::Result<PathBuf> {
        let json = self.to_json();
        let path = out_dir.join(manifest_name_of(json.as_bytes()));
        write_if_changed_as_of(&path, json.as_bytes(), Some(std::time::SystemTime::UNIX_EPOCH))?;
        Ok(path)
    }
}

/// Whether `file_name` is the name of a manifest (`pithy-image-<32 hex digits>.json`).
///
/// ```
/// assert!(pj_image::definition::is_manifest_name("pithy-image-00112233445566778899aabbccddeeff.json"));
/// assert!(!pj_image::definition::is_manifest_name("pithy-image.json"));
/// ```
pub fn is_manifest_name(file_name: &str) -> bool {
    file_name
        .strip_prefix(MANIFEST_PREFIX)
        .and_then(|rest| rest.strip_suffix(MANIFEST_SUFFIX))
        .is_some_and(|digest| digest.len() == 32 && digest.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn manifest_name_of(json: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(json);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{MANIFEST_PREFIX}{hex}{MANIFEST_SUFFIX}")
}

/// Writes `content` to `path` through a temp file and a rename, unless the file
/// already holds exactly that content.
pub(crate) fn write_if_changed(path: &Path, content: &[u8]) -> std::io::Result<()> {
    write_if_changed_as_of(path, content, None)
}

/// [`write_if_changed`], giving a newly written file the modification time `mtime`.
fn write_if_changed_as_of(
    path: &Path,
    content: &[u8],
    mtime: Option<std::time::SystemTime>,
) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, content)?;
    if let Some(mtime) = mtime {
        std::fs::File::options().write(true).open(&tmp)?.set_modified(mtime)?;
    }
    std::fs::rename(&tmp, path)
}

/// The track file of one image: [`TRACK_FILE`] for the unnamed image,
/// `pithy-image.<name>.track` for a named one (each expansion writes its own, so the
/// images of one crate do not overwrite each other's list).
///
/// ```
/// assert_eq!(pj_image::definition::track_file(None), "pithy-image.track");
/// assert_eq!(pj_image::definition::track_file(Some("gpu")), "pithy-image.gpu.track");
/// ```
pub fn track_file(image: Option<&str>) -> String {
    match image {
        None => TRACK_FILE.to_owned(),
        Some(image) => format!("pithy-image.{image}.track"),
    }
}

/// Writes an image's track file ([`track_file`]): one absolute path per line,
/// directories ending in `/`.
///
/// ```
/// let out = tempfile::tempdir().unwrap();
/// pj_image::definition::write_track_file(out.path(), Some("gpu"), &["/src/app/sandbox/".to_owned()]).unwrap();
/// assert_eq!(pj_image::definition::read_track_file(out.path(), Some("gpu")), vec!["/src/app/sandbox/".to_owned()]);
/// assert!(pj_image::definition::read_track_file(out.path(), None).is_empty());
/// ```
pub fn write_track_file(out_dir: &Path, image: Option<&str>, paths: &[String]) -> std::io::Result<()> {
    let mut text = String::new();
    for p in paths {
        text.push_str(p);
        text.push('\n');
    }
    write_if_changed(&out_dir.join(track_file(image)), text.as_bytes())
}

/// Creates an image's track file, empty and dated at the Unix epoch, when it is absent.
/// The build script watches every image's track file with `cargo:rerun-if-changed`, and
/// cargo re-runs a build script on every build while a watched path is missing: an image
/// whose track file no compilation has written (yet) must not make the crate rebuild each
/// time. When the macro writes paths into it, its time changes and the script re-runs.
pub fn ensure_track_file(out_dir: &Path, image: Option<&str>) -> std::io::Result<()> {
    let path = out_dir.join(track_file(image));
    if path.exists() {
        return Ok(());
    }
    write_if_changed_as_of(&path, b"", Some(std::time::SystemTime::UNIX_EPOCH))
}

/// Reads an image's track file (empty when absent).
pub fn read_track_file(out_dir: &Path, image: Option<&str>) -> Vec<String> {
    std::fs::read_to_string(out_dir.join(track_file(image)))
        .map(|t| t.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_name_travels_in_the_manifest_and_old_manifests_still_read() {
        let rendered = crate::Image::base("alpine:3.19").render().expect("valid");
        let def = Definition::new("image", &rendered, Resources::default());
        assert_eq!(def.snapshot_name(), None, "no build script, no name");
        let named = def.clone().with_snapshot("app-v1.0.0");
        let back = Definition::from_json(&named.to_json()).expect("parse");
        assert_eq!(back.snapshot_name(), Some("app-v1.0.0"));

        // A manifest written before the field existed.
        let mut old: serde_json::Value = serde_json::from_str(&def.to_json()).expect("json");
        old.as_object_mut().expect("object").remove("snapshot");
        let old = Definition::from_json(&old.to_string()).expect("an older manifest reads");
        assert_eq!(old, def);
    }

    #[test]
    fn a_manifest_changed_after_it_was_written_is_refused() {
        let out = tempfile::tempdir().expect("tempdir");
        let rendered = crate::Image::base("alpine:3.19").render().expect("valid");
        let def = Definition::new("image", &rendered, Resources::default()).with_snapshot("app-v1.0.0");
        let path = def.write_manifest(out.path()).expect("write");
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).expect("mtime");
        assert_eq!(modified, std::time::SystemTime::UNIX_EPOCH);
        let foreign = def.to_json().replace("app-v1.0.0", "app-v9.9.9");
        std::fs::write(&path, foreign).expect("plant");
        let refused = Definition::read_manifest(&path).expect_err("altered");
        assert!(matches!(refused, ManifestError::Altered { .. }), "{refused}");
    }
}
