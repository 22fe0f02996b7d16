//! A package's snapshots across its versions: the names `<stem>-v<version>`, where the
//! stem is the resolved name without its version (the package name, or
//! `[package.metadata.pithy-image] snapshot`). The list API's `name` filter is a
//! case-insensitive substring match (`docs/daytona-contract.md` §4.2, ILIKE `%name%`,
//! where `_` matches any character), so it only narrows the listing; which snapshots
//! are the stem's is decided here, exactly.

use futures_util::StreamExt;
use pj_daytona::{Client, Snapshot};
use semver::Version;

use crate::failure::{Failure, code};

/// One snapshot of a stem, with the version its name carries.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub version: Version,
    pub snapshot: Snapshot,
}

/// The stem of a package's snapshot names: its resolved `snapshot` name without the
/// `-v<version>` suffix. A name pinned with `PITHY_SNAPSHOT_OVERRIDE` that lacks the
/// suffix has no versions to tell apart.
pub fn stem<'a>(snapshot: &'a str, version: &str) -> Result<&'a str, Failure> {
    snapshot.strip_suffix(&format!("-v{version}")).filter(|stem| !stem.is_empty()).ok_or_else(|| {
        Failure::new(
            code::CONFIG,
            format!("the snapshot name {snapshot} is not `<name>-v{version}`, so the package's other versions cannot be found"),
        )
        .note("the name was pinned when the crate was built (PITHY_SNAPSHOT_OVERRIDE)")
        .help("unset PITHY_SNAPSHOT_OVERRIDE and run the command again")
    })
}

/// The version in `name` when it is exactly `<stem>-v<version>` with a semantic version
/// (`pithy-jaunt-extra-v1.0.0`, `pithy-jaunt-v1` and `Pithy-Jaunt-v1.0.0` are not
/// `pithy-jaunt`'s).
pub fn version_of(stem: &str, name: &str) -> Option<Version> {
    let version = Version::parse(name.strip_prefix(stem)?.strip_prefix("-v")?).ok()?;
    // `+` cannot be in a snapshot name; a version with build metadata is not one we made.
    version.build.is_empty().then_some(version)
}

/// The snapshots of `stem` among `snapshots`, newest version first. Daytona's general
/// snapshots are not the organization's, so never a package's.
pub fn of_stem(stem: &str, snapshots: impl IntoIterator<Item = Snapshot>) -> Vec<Versioned> {
    let mut found: Vec<Versioned> = snapshots
        .into_iter()
        .filter(|s| !s.general)
        .filter_map(|snapshot| Some(Versioned { version: version_of(stem, &snapshot.name)?, snapshot }))
        .collect();
    found.sort_by(|a, b| b.version.cmp(&a.version));
    // A page boundary that moved during the walk can repeat a snapshot.
    found.dedup_by(|a, b| a.snapshot.id == b.snapshot.id);
    found
}

/// Every snapshot of `stem` on the server, newest version first: all pages of the list
/// filtered by name, then [`of_stem`].
pub async fn list(client: &Client, stem: &str) -> Result<Vec<Versioned>, Failure> {
    let mut pages = client.snapshots().list_all(Some(stem), 200);
    let mut all = Vec::new();
    while let Some(snapshot) = pages.next().await {
        all.push(snapshot.map_err(|e| Failure::api(&format!("cannot list the snapshots of {stem}"), &e))?);
    }
    Ok(of_stem(stem, all))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot(name: &str, general: bool) -> Snapshot {
        let id = format!("id-{name}");
        serde_json::from_value(json!({"id": id, "name": name, "state": "active", "general": general}))
            .expect("a snapshot")
    }

    #[test]
    fn the_stem_is_the_name_without_its_version_and_a_pinned_name_has_none() {
        assert_eq!(stem("pithy-jaunt-v1.0.6", "1.0.6").ok(), Some("pithy-jaunt"));
        assert_eq!(stem("agents-v0.2.0-rc.1", "0.2.0-rc.1").ok(), Some("agents"));
        for (pinned, version) in
            [("pinned-v9", "1.0.6"), ("pithy-jaunt-v1.0.5", "1.0.6"), ("-v1.0.6", "1.0.6")]
        {
            let refused = stem(pinned, version).expect_err(pinned);
            assert_eq!(refused.code, code::CONFIG);
            assert!(
                refused.what.contains(&format!("{pinned} is not `<name>-v{version}`")),
                "{}",
                refused.what
            );
            assert_eq!(
                refused.help.as_deref(),
                Some("unset PITHY_SNAPSHOT_OVERRIDE and run the command again")
            );
        }
    }

    #[test]
    fn only_exact_stem_and_semantic_versions_count() {
        assert_eq!(version_of("pithy-jaunt", "pithy-jaunt-v1.0.6"), Some(Version::new(1, 0, 6)));
        assert_eq!(
            version_of("pithy-jaunt", "pithy-jaunt-v2.0.0-rc.1"),
            Some(Version::parse("2.0.0-rc.1").expect("semver"))
        );
        for other in [
            "pithy-jaunt-extra-v1.0.0",
            "my-pithy-jaunt-v1.0.0",
            "pithy-jaunt-v1",
            "pithy-jaunt-v1.0",
            "pithy-jaunt-vnext",
            "pithy-jaunt-1.0.0",
            "Pithy-Jaunt-v1.0.0",
            "pithy-jaunt-v01.0.0",
            "pithy-jaunt-v1.0.0+build",
            "pithy-jaunt-v2-v1.0.0",
        ] {
            assert_eq!(version_of("pithy-jaunt", other), None, "{other}");
        }
    }

    #[test]
    fn newest_version_first_in_semantic_order_without_general_snapshots() {
        let found = of_stem(
            "app",
            [
                snapshot("app-v1.9.0", false),
                snapshot("app-v1.10.0", false),
                snapshot("app-v1.10.0-rc.2", false),
                snapshot("app-v1.10.0-rc.10", false),
                snapshot("app-v0.2.0", true),
                snapshot("app-extra-v9.0.0", false),
                snapshot("app-v1.9.0", false),
            ],
        );
        let versions: Vec<String> = found.iter().map(|v| v.version.to_string()).collect();
        assert_eq!(versions, ["1.10.0", "1.10.0-rc.10", "1.10.0-rc.2", "1.9.0"]);
    }
}
