//! Compile once: `cargo xtask snapshot` first builds xtask, then runs
//! `cargo build -p pithy-jaunt`. Cargo reuses a dependency between the two builds only if
//! both resolve it with the same features; one differing feature (say `hyper/server`)
//! recompiles that crate and everything above it (about 70 crates, minutes on a 2-core
//! machine). This test asks `cargo tree` (no compiling) for the features each build
//! resolves and fails on a dependency the application's build would compile with a set
//! xtask's build does not have. The fix is in the `Cargo.toml` files: align the features
//! (`docs/dependencies.md` §1).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// For each package (`name vX.Y.Z`) in `package`'s build (normal and build
/// dependencies), the feature sets it is compiled with.
fn resolved_features(package: &str) -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(cargo)
        .current_dir(&root)
        .args(["tree", "--locked", "-p", package, "-e", "normal,build", "--prefix", "none"])
        .args(["--no-dedupe", "-f", "{p}|{f}"])
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
    let mut features: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((id, set)) = line.split_once('|') else { continue };
        // `{p}` is `name vX.Y.Z`, then ` (path)` for a path dependency.
        let id = id.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        let set = set.split_whitespace().next().unwrap_or_default();
        features.entry(id).or_default().insert(set.to_owned());
    }
    features
}

#[test]
fn the_application_builds_with_the_dependencies_xtask_already_built() {
    let xtask = resolved_features("xtask");
    let app = resolved_features("pithy-jaunt");
    assert!(app.len() > 50, "cargo tree listed too little: {app:?}");
    let rebuilt: Vec<String> = app
        .iter()
        .filter_map(|(id, sets)| {
            let built = xtask.get(id)?;
            let missing: Vec<&String> = sets.difference(built).collect();
            (!missing.is_empty()).then(|| format!("{id}: the app needs {missing:?}, xtask built {built:?}"))
        })
        .collect();
    assert!(
        rebuilt.is_empty(),
        "`cargo build -p pithy-jaunt` after `cargo xtask` would compile these again (align the features in the \
         Cargo.toml files, docs/dependencies.md §1):\n{}",
        rebuilt.join("\n")
    );
}
