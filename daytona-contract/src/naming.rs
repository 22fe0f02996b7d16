//! Snapshot names: Daytona's name rule, and pithy's `<prefix>-v<version>` (resolved by
//! the build script, carried to the macro and xtask in the definition); for a named image
//! of a crate with several (`#[pithy_image(name = "gpu")]`), `<prefix>-<image>-v<version>`
//! and the variables named after the image (`PITHY_SNAPSHOT_GPU`, [`image_var`]).

/// Why a snapshot name cannot be formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The crate version carries build metadata (`+...`), which Daytona's name rule forbids.
    #[error(
        "version {version:?} has build metadata ({metadata:?}), and `+` cannot appear in a Daytona snapshot name; \
         drop the `+{metadata}` suffix from the version in Cargo.toml, or set another name with \
         [package.metadata.pithy-image] snapshot"
    )]
    BuildMetadata {
        /// The full version.
        version: String,
        /// The part after `+`.
        metadata: String,
    },
    /// The name does not match Daytona's rule (`docs/daytona-contract.md` §4.3).
    #[error(
        "snapshot name {name:?} is not a valid Daytona snapshot name: it may contain only letters, digits, \
         `.`, `_`, `-` and `:` (with `/` between parts); change [package.metadata.pithy-image] snapshot \
         or the package name"
    )]
    Invalid {
        /// The rejected name.
        name: String,
    },
    /// An image name (`#[pithy_image(name = "..")]`, `[package.metadata.pithy-image] images`)
    /// outside [`valid_image_name`]'s rule.
    #[error(
        "image name {name:?} is not valid: use lowercase letters, digits and single `-` between them, \
         starting with a letter, e.g. name = \"gpu\" (it becomes part of the snapshot name and of \
         the variable PITHY_SNAPSHOT_<NAME>)"
    )]
    ImageName {
        /// The rejected image name.
        name: String,
    },
}

/// The snapshot name for a crate: `<prefix>-v<version>`, where the prefix is
/// `[package.metadata.pithy-image] snapshot` when set, else the package name.
///
/// ```
/// assert_eq!(daytona_contract::snapshot_name("pithy-jaunt", None, "1.0.6").unwrap(), "pithy-jaunt-v1.0.6");
/// assert_eq!(daytona_contract::snapshot_name("app", Some("agents"), "0.2.0-rc.1").unwrap(), "agents-v0.2.0-rc.1");
/// assert!(daytona_contract::snapshot_name("app", None, "1.0.0+build.5").is_err());
/// ```
pub fn snapshot_name(
    package: &str,
    metadata_snapshot: Option<&str>,
    version: &str,
) -> Result<String, NameError> {
    image_snapshot_name(package, metadata_snapshot, None, version)
}

/// The snapshot name of one image of a crate: [`snapshot_name`] for the unnamed image
/// (`image` is `None`), `<prefix>-<image>-v<version>` for a named one.
///
/// ```
/// use daytona_contract::image_snapshot_name;
/// assert_eq!(image_snapshot_name("app", None, Some("gpu"), "1.0.6").unwrap(), "app-gpu-v1.0.6");
/// assert_eq!(image_snapshot_name("app", Some("agents"), None, "1.0.6").unwrap(), "agents-v1.0.6");
/// assert!(image_snapshot_name("app", None, Some("GPU"), "1.0.6").is_err());
/// ```
pub fn image_snapshot_name(
    package: &str,
    metadata_snapshot: Option<&str>,
    image: Option<&str>,
    version: &str,
) -> Result<String, NameError> {
    if let Some((_, metadata)) = version.split_once('+') {
        return Err(NameError::BuildMetadata { version: version.to_owned(), metadata: metadata.to_owned() });
    }
    let prefix = metadata_snapshot.unwrap_or(package);
    let name = match image {
        None => format!("{prefix}-v{version}"),
        Some(image) if valid_image_name(image) => format!("{prefix}-{image}-v{version}"),
        Some(image) => return Err(NameError::ImageName { name: image.to_owned() }),
    };
    if !valid_snapshot_name(&name) {
        return Err(NameError::Invalid { name });
    }
    Ok(name)
}

/// The environment variable that pins another snapshot name than `<prefix>-v<version>`
/// (for example to test against an existing snapshot). Read by pj-image's build script
/// helper only, when the crate is built; xtask publishes the name the build resolved.
pub const SNAPSHOT_OVERRIDE_VAR: &str = "PITHY_SNAPSHOT_OVERRIDE";

/// The snapshot name a crate uses: the override when one is given (and valid), else
/// [`snapshot_name`]. Only pj-image's build script helper (`pj_image::build`) calls
/// this; the name then travels in `PITHY_SNAPSHOT` to the crate and to `#[pithy_image]`,
/// which stores it in `Definition::snapshot`, so the name a binary reads through
/// `env!("PITHY_SNAPSHOT")` is the one xtask publishes (`docs/DESIGN.md` "The pipeline").
///
/// ```
/// use daytona_contract::resolve_snapshot_name;
/// assert_eq!(resolve_snapshot_name("app", None, "1.2.3", None).unwrap(), "app-v1.2.3");
/// assert_eq!(resolve_snapshot_name("app", None, "1.2.3", Some("pinned-v9")).unwrap(), "pinned-v9");
/// assert!(resolve_snapshot_name("app", None, "1.2.3", Some("no spaces")).is_err());
/// ```
pub fn resolve_snapshot_name(
    package: &str,
    metadata_snapshot: Option<&str>,
    version: &str,
    override_name: Option<&str>,
) -> Result<String, NameError> {
    resolve_image_snapshot_name(package, metadata_snapshot, None, version, override_name)
}

/// [`resolve_snapshot_name`] for one image of the crate: `override_name` is the value of
/// that image's override variable (`image_var(SNAPSHOT_OVERRIDE_VAR, image)`,
/// `PITHY_SNAPSHOT_OVERRIDE_GPU` for the image `gpu`), else [`image_snapshot_name`].
///
/// ```
/// use daytona_contract::resolve_image_snapshot_name;
/// assert_eq!(resolve_image_snapshot_name("app", None, Some("gpu"), "1.2.3", None).unwrap(), "app-gpu-v1.2.3");
/// assert_eq!(resolve_image_snapshot_name("app", None, Some("gpu"), "1.2.3", Some("gpu-pinned")).unwrap(), "gpu-pinned");
/// ```
pub fn resolve_image_snapshot_name(
    package: &str,
    metadata_snapshot: Option<&str>,
    image: Option<&str>,
    version: &str,
    override_name: Option<&str>,
) -> Result<String, NameError> {
    if let Some(image) = image.filter(|i| !valid_image_name(i)) {
        return Err(NameError::ImageName { name: image.to_owned() });
    }
    match override_name.map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) if valid_snapshot_name(name) => Ok(name.to_owned()),
        Some(name) => Err(NameError::Invalid { name: name.to_owned() }),
        None => image_snapshot_name(package, metadata_snapshot, image, version),
    }
}

/// pithy's rule for an image name (`#[pithy_image(name = "gpu")]`): lowercase ASCII
/// letters and digits, starting with a letter, with single `-` between them. It goes into
/// the snapshot name, and upper-cased with `_` for `-` into identifiers
/// ([`image_var`]); the rule keeps that mapping one-to-one (`a-b` and `a_b` cannot both
/// exist) and the results valid in both places.
///
/// ```
/// assert!(daytona_contract::valid_image_name("gpu"));
/// assert!(daytona_contract::valid_image_name("cuda-12"));
/// assert!(!daytona_contract::valid_image_name("GPU"));
/// assert!(!daytona_contract::valid_image_name("gpu_1"));
/// assert!(!daytona_contract::valid_image_name("-gpu"));
/// ```
pub fn valid_image_name(image: &str) -> bool {
    image.starts_with(|c: char| c.is_ascii_lowercase())
        && image.split('-').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// The name of a per-image variable or constant: `base` for the unnamed image, else
/// `base` + `_` + the image name upper-cased with `_` for `-`. The build script emits
/// `image_var("PITHY_SNAPSHOT", Some("gpu"))` = `PITHY_SNAPSHOT_GPU`, reads the override
/// `PITHY_SNAPSHOT_OVERRIDE_GPU`, and `#[pithy_image]` names its constant
/// `PITHY_DEFINITION_GPU` the same way.
///
/// ```
/// use daytona_contract::image_var;
/// assert_eq!(image_var("PITHY_SNAPSHOT", None), "PITHY_SNAPSHOT");
/// assert_eq!(image_var("PITHY_SNAPSHOT", Some("cuda-12")), "PITHY_SNAPSHOT_CUDA_12");
/// ```
pub fn image_var(base: &str, image: Option<&str>) -> String {
    match image {
        None => base.to_owned(),
        Some(image) => format!("{base}_{}", image.to_ascii_uppercase().replace('-', "_")),
    }
}

/// Daytona's snapshot name rule (`docs/daytona-contract.md` §4.3):
/// `^[a-zA-Z0-9_.\-:]+(/[a-zA-Z0-9_.\-:]+)*(@sha256:[a-f0-9]{64})?$`.
///
/// ```
/// assert!(daytona_contract::valid_snapshot_name("pithy-jaunt-v1.0.6"));
/// assert!(!daytona_contract::valid_snapshot_name("has space-v1"));
/// ```
pub fn valid_snapshot_name(name: &str) -> bool {
    let (path, digest) = match name.split_once("@sha256:") {
        Some((p, d)) => (p, Some(d)),
        None => (name, None),
    };
    let part_ok =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-:".contains(&b));
    let digest_ok =
        digest.is_none_or(|d| d.len() == 64 && d.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    path.split('/').all(part_ok) && digest_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snapshot_name("pithy-jaunt", None, "1.0.6").as_deref(), Ok("pithy-jaunt-v1.0.6"));
        assert!(matches!(snapshot_name("x", None, "1.0.0+abc"), Err(NameError::BuildMetadata { .. })));
        assert!(matches!(snapshot_name("x", Some("bad name"), "1.0.0"), Err(NameError::Invalid { .. })));
        assert!(matches!(snapshot_name("x", Some("<b>"), "1.0.0"), Err(NameError::Invalid { .. })));
        assert!(valid_snapshot_name("org/app:tag-v1"));
        assert!(!valid_snapshot_name("a//b"));
        assert!(!valid_snapshot_name(""));
        assert!(valid_snapshot_name(&format!("a@sha256:{}", "0".repeat(64))));
        assert!(!valid_snapshot_name(&format!("a@sha256:{}", "A".repeat(64))));
    }

    #[test]
    fn image_names() {
        assert_eq!(image_snapshot_name("app", None, Some("gpu"), "1.0.0").as_deref(), Ok("app-gpu-v1.0.0"));
        for bad in ["", "Gpu", "gpu_1", "gpu-", "a--b", "1gpu", "g.pu", "gpu v"] {
            assert!(!valid_image_name(bad), "{bad:?}");
            assert_eq!(
                image_snapshot_name("app", None, Some(bad), "1.0.0"),
                Err(NameError::ImageName { name: bad.to_owned() })
            );
            assert!(resolve_image_snapshot_name("app", None, Some(bad), "1.0.0", Some("ok-v1")).is_err());
        }
        assert_eq!(image_var("PITHY_DEFINITION", Some("a-b2")), "PITHY_DEFINITION_A_B2");
    }
}
