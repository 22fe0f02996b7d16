//! "Same definition": the same Dockerfile, the same context hashes and the same
//! resources (`docs/DESIGN.md`, "Publishing rules"), available in the region asked for
//! (`DAYTONA_TARGET`). Differences are described line by line.

use pj_daytona::Snapshot;
use pj_image::Definition;

/// What differs between the local definition and a snapshot; empty when they match.
/// `region`: the target region, if one is set; a snapshot that lists its regions and not
/// this one is not usable there.
pub fn differences(def: &Definition, snap: &Snapshot, region: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(region), Some(regions)) = (region, snap.region_ids.as_deref())
        && !regions.is_empty()
        && !regions.iter().any(|r| r == region)
    {
        out.push(format!("region: snapshot in {}, target {region} (DAYTONA_TARGET)", regions.join(", ")));
    }
    let info = snap.build_info.as_ref();
    match info.and_then(|i| i.dockerfile_content.as_deref()) {
        None => out.push("the snapshot was not built from a Dockerfile (it has no buildInfo)".to_owned()),
        Some(remote) if remote != def.dockerfile => {
            let mut text = String::from("Dockerfile (- snapshot, + definition):");
            for line in line_diff(remote, &def.dockerfile) {
                text.push('\n');
                text.push_str(&line);
            }
            out.push(text);
        }
        Some(_) => {}
    }
    let remote_hashes: Vec<String> = info.and_then(|i| i.context_hashes.clone()).unwrap_or_default();
    let local_hashes: Vec<&str> = def.context_hashes();
    let mut sorted_remote: Vec<&str> = remote_hashes.iter().map(String::as_str).collect();
    let mut sorted_local = local_hashes.clone();
    sorted_remote.sort_unstable();
    sorted_local.sort_unstable();
    if info.is_some() && sorted_remote != sorted_local {
        let mut text = String::from("contexts:");
        for c in def.contexts.iter() {
            if !remote_hashes.iter().any(|h| h == &c.md5) {
                text.push_str(&format!("\n+ {} {} (not in the snapshot)", c.md5, c.archive_path));
            }
        }
        for h in &remote_hashes {
            if !local_hashes.contains(&h.as_str()) {
                text.push_str(&format!("\n- {h} (only in the snapshot)"));
            }
        }
        out.push(text);
    }
    let r = def.resources;
    let pairs = [
        ("cpu", snap.cpu, r.cpu),
        ("memory", snap.mem, r.memory),
        ("disk", snap.disk, r.disk),
        ("gpu", snap.gpu, r.gpu),
    ];
    for (name, remote, local) in pairs {
        if (remote - f64::from(local)).abs() > f64::EPSILON {
            out.push(format!("{name}: snapshot {remote}, definition {local}"));
        }
    }
    out
}

/// How a snapshot relates to the current definition, for `snapshot list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The same definition ([`differences`] finds none; regions aside).
    Same,
    /// The same image (its `buildInfo.snapshotRef` is the definition's build key), other
    /// resources.
    SameImage,
    /// Another image.
    Other,
    /// Not built from a Dockerfile (no `buildInfo`): nothing to compare.
    NotBuilt,
}

impl Match {
    /// The word `snapshot list` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Match::Same => "yes",
            Match::SameImage => "image",
            Match::Other => "no",
            Match::NotBuilt => "-",
        }
    }
}

/// Whether `snap` was built from `def`: its build key first (the server computes it from
/// the Dockerfile and the context hashes, `docs/daytona-contract.md` §4.4), then the
/// resources. The region is not the code's, so it is not compared.
pub fn matches(def: &Definition, snap: &Snapshot) -> Match {
    match &snap.build_info {
        None => Match::NotBuilt,
        Some(info) if info.snapshot_ref != def.build_key => Match::Other,
        Some(_) if differences(def, snap, None).is_empty() => Match::Same,
        Some(_) => Match::SameImage,
    }
}

/// A minimal line diff (longest common subsequence): `  ` kept, `- ` removed, `+ ` added.
pub fn line_diff(old: &str, new: &str) -> Vec<String> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(format!("  {}", a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(format!("+ {}", b[j]));
            j += 1;
        } else {
            out.push(format!("- {}", a[i]));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An `active` snapshot built from `def` (the test fixture of the modules that
    /// compare), with its JSON changed by `edit`.
    pub(crate) fn snapshot_of(def: &Definition, edit: impl FnOnce(&mut serde_json::Value)) -> Snapshot {
        let mut value = serde_json::json!({
            "id": "00000000-0000-4000-8000-000000000001", "name": "app-v1.0.0", "state": "active",
            "cpu": 1, "gpu": 0, "mem": 1, "disk": 3,
            "buildInfo": {
                "dockerfileContent": def.dockerfile,
                "contextHashes": def.context_hashes(),
                "snapshotRef": def.build_key,
            },
        });
        edit(&mut value);
        serde_json::from_value(value).expect("a snapshot")
    }

    #[test]
    fn matches_reads_the_build_key_then_the_resources() {
        let rendered =
            pj_image::Image::base("alpine:3.19").run_commands(["echo hi"]).render().expect("render");
        let def = Definition::new("image", &rendered, pj_image::Resources::default());
        assert_eq!(matches(&def, &snapshot_of(&def, |_| {})), Match::Same);
        assert_eq!(matches(&def, &snapshot_of(&def, |v| v["cpu"] = 2.into())), Match::SameImage);
        assert_eq!(
            matches(&def, &snapshot_of(&def, |v| v["regionIds"] = serde_json::json!(["eu"]))),
            Match::Same
        );
        let other = |v: &mut serde_json::Value| v["buildInfo"]["snapshotRef"] = "daytona-00:daytona".into();
        assert_eq!(matches(&def, &snapshot_of(&def, other)), Match::Other);
        let image = |v: &mut serde_json::Value| {
            v.as_object_mut().expect("an object").remove("buildInfo");
        };
        assert_eq!(matches(&def, &snapshot_of(&def, image)), Match::NotBuilt);
    }

    #[test]
    fn line_diff_marks_changes() {
        let d = line_diff("FROM a\nRUN x\nWORKDIR /app\n", "FROM a\nRUN y\nWORKDIR /app\n");
        assert_eq!(d, ["  FROM a", "+ RUN y", "- RUN x", "  WORKDIR /app"]);
    }
}
