//! The publishing table (DESIGN, "Publishing rules") as one pure function: given the
//! definition, the snapshot the server has under its name, and the options, [`decide`]
//! says what to do. `cargo xtask snapshot` carries the [`Step`] out; `--check` and
//! `verify-snapshot` read the same step as a verdict, so the table exists once.
//!
//! Nothing here does I/O: what only the outside world knows (whether the local server
//! would build this definition now) comes in as a plain value in [`Options`].

use pj_daytona::{Snapshot, SnapshotState};
use pj_daytona_local::BuildMode;
use pj_image::Definition;

use crate::compare::differences;

/// Everything [`decide`] needs besides the definition and the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--replace`: delete and rebuild a snapshot that differs from the definition,
    /// failed, or was only checked, not built.
    pub replace: bool,
    /// The target region (`DAYTONA_TARGET`), if set: a snapshot only in other regions
    /// differs.
    pub region: Option<String>,
    /// The local server's answer for a snapshot it only checked. `None` on Daytona, for
    /// `--check` (a check never rebuilds), and whenever [`asks_local_server`] is false.
    pub local: Option<LocalBuild>,
}

/// What the local server would do with the definition now
/// ([`pj_daytona_local::build_decision`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBuild {
    /// How the server builds.
    pub mode: BuildMode,
    /// `Ok`: it would build an image; `Err`: why it would still only check the build.
    pub now: Result<(), String>,
}

/// One row of the publishing table: what to do with the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// It is missing: upload the missing contexts, create it, follow the log, wait for
    /// `active`.
    Create,
    /// It matches and is `active`: nothing to do.
    UpToDate(Usable),
    /// It matches and is `inactive`: activate it, then wait for `active`.
    Activate,
    /// It matches and is on its way (`pending`, `building`, `pulling`, `snapshotting`, or
    /// a state this client does not know, such as `pending_validation`): follow the log
    /// and wait.
    Attach,
    /// Delete it, wait until it is gone, and create it again.
    Rebuild(Rebuild),
    /// Stop with a failure; nothing is changed.
    Refuse(Refusal),
}

/// How an up-to-date snapshot is usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Usable {
    /// Built: sandboxes can run from it.
    Built,
    /// Checked, not built (the server's reason), and nothing said whether the local
    /// server would build it now (Daytona, or `--check`).
    CheckedOnly(String),
    /// Checked, not built, and the local server would still only check it (why).
    NotBuildableYet(String),
}

/// Why a snapshot is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebuild {
    /// `--replace`, and it differs from the definition.
    Drift,
    /// `--replace`, and its build failed (`build_failed` or `error`).
    Failed,
    /// `--replace`, and it was only checked, not built.
    CheckedOnly,
    /// The local server only checked it and would build it now (in this mode): this is
    /// the same definition, so no `--replace` is asked for.
    NowBuildable(BuildMode),
}

/// Why publishing stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// It exists with another definition: what differs, line by line.
    Drift(Vec<String>),
    /// It matches, but its build failed (`build_failed` or `error`).
    Failed,
    /// It is being deleted: it cannot be used, nor created again until it is gone.
    Removing,
}

/// Whether [`decide`] reads [`Options::local`] for this snapshot: only for one the local
/// server checked but did not build. Asking the server may query its Docker engine, so
/// publishing asks only then.
pub fn asks_local_server(remote: Option<&Snapshot>) -> bool {
    remote.is_some_and(|s| s.checked_only.is_some())
}

/// The publishing table: what to do with `remote` (the snapshot under the definition's
/// name, `None` when there is none) so that it exists, matches `definition` and is usable.
///
/// The definition is compared first: a snapshot that differs is a drift whatever its
/// state. `--replace` never rebuilds a snapshot that is built and matches.
pub fn decide(definition: &Definition, remote: Option<&Snapshot>, options: &Options) -> Step {
    let Some(snap) = remote else { return Step::Create };
    let diffs = differences(definition, snap, options.region.as_deref());
    if !diffs.is_empty() {
        return if options.replace {
            Step::Rebuild(Rebuild::Drift)
        } else {
            Step::Refuse(Refusal::Drift(diffs))
        };
    }
    match snap.state {
        SnapshotState::Active => match (&snap.checked_only, &options.local) {
            (None, _) => Step::UpToDate(Usable::Built),
            (Some(_), _) if options.replace => Step::Rebuild(Rebuild::CheckedOnly),
            // Once the local server can build (its base image was made since), building
            // it is no drift: the same command converges.
            (Some(_), Some(LocalBuild { mode, now: Ok(()) })) => Step::Rebuild(Rebuild::NowBuildable(*mode)),
            (Some(_), Some(LocalBuild { now: Err(why), .. })) => {
                Step::UpToDate(Usable::NotBuildableYet(why.clone()))
            }
            (Some(reason), None) => Step::UpToDate(Usable::CheckedOnly(reason.clone())),
        },
        SnapshotState::Inactive => Step::Activate,
        SnapshotState::BuildFailed | SnapshotState::Error if options.replace => {
            Step::Rebuild(Rebuild::Failed)
        }
        SnapshotState::BuildFailed | SnapshotState::Error => Step::Refuse(Refusal::Failed),
        // Deleting it again or creating the name now would race the server's removal.
        SnapshotState::Removing => Step::Refuse(Refusal::Removing),
        // Pending, building, pulling, snapshotting, and states this client does not know
        // (Daytona's `pending_validation`, `validating`): they move on by themselves, and
        // the wait reports how they end (or the deadline).
        _ => Step::Attach,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pj_image::{Image, Resources};
    use serde_json::json;

    const CHECKED: &str = "the base image debian:bookworm-slim is not on this machine's Docker engine";

    fn definition() -> Definition {
        let rendered = Image::base("alpine:3.19").run_commands(["echo hi"]).render().expect("render");
        Definition::new("image", &rendered, Resources::default())
    }

    /// A snapshot in `state` (its wire name) that matches [`definition`].
    fn snapshot(state: &str) -> Snapshot {
        snapshot_with(state, |_| {})
    }

    /// [`snapshot`], with its JSON changed by `edit` first.
    fn snapshot_with(state: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Snapshot {
        crate::compare::tests::snapshot_of(&definition(), |value| {
            value["state"] = json!(state);
            edit(value);
        })
    }

    fn checked_only(state: &str) -> Snapshot {
        snapshot_with(state, |v| v["checkedOnly"] = json!(CHECKED))
    }

    fn different(state: &str) -> Snapshot {
        snapshot_with(state, |v| v["cpu"] = json!(2))
    }

    fn replace() -> Options {
        Options { replace: true, ..Options::default() }
    }

    fn local(now: Result<(), &str>) -> Options {
        Options {
            local: Some(LocalBuild { mode: BuildMode::Auto, now: now.map_err(str::to_owned) }),
            ..Options::default()
        }
    }

    fn step(snap: &Snapshot, options: &Options) -> Step {
        decide(&definition(), Some(snap), options)
    }

    #[test]
    fn missing_is_created() {
        assert_eq!(decide(&definition(), None, &Options::default()), Step::Create);
        assert_eq!(decide(&definition(), None, &replace()), Step::Create);
    }

    #[test]
    fn same_and_active_is_up_to_date_even_with_replace() {
        assert_eq!(step(&snapshot("active"), &Options::default()), Step::UpToDate(Usable::Built));
        assert_eq!(step(&snapshot("active"), &replace()), Step::UpToDate(Usable::Built));
        assert_eq!(step(&snapshot("active"), &local(Ok(()))), Step::UpToDate(Usable::Built));
    }

    #[test]
    fn a_snapshot_only_in_other_regions_differs_from_the_target() {
        let in_eu = snapshot_with("active", |v| v["regionIds"] = json!(["eu"]));
        let target = |region: &str| Options { region: Some(region.to_owned()), ..Options::default() };
        let Step::Refuse(Refusal::Drift(diffs)) = step(&in_eu, &target("us")) else {
            panic!("{:?}", step(&in_eu, &target("us")))
        };
        assert_eq!(diffs, ["region: snapshot in eu, target us (DAYTONA_TARGET)"]);
        assert_eq!(step(&in_eu, &target("eu")), Step::UpToDate(Usable::Built));
        assert_eq!(step(&in_eu, &Options::default()), Step::UpToDate(Usable::Built), "no target: any region");
        assert_eq!(
            step(&snapshot("active"), &target("us")),
            Step::UpToDate(Usable::Built),
            "regions not listed"
        );
    }

    #[test]
    fn checked_only_without_local_facts_is_up_to_date_with_its_reason() {
        assert_eq!(
            step(&checked_only("active"), &Options::default()),
            Step::UpToDate(Usable::CheckedOnly(CHECKED.to_owned()))
        );
    }

    #[test]
    fn checked_only_that_the_local_server_builds_now_is_rebuilt_without_replace() {
        assert_eq!(
            step(&checked_only("active"), &local(Ok(()))),
            Step::Rebuild(Rebuild::NowBuildable(BuildMode::Auto))
        );
    }

    #[test]
    fn checked_only_that_the_local_server_cannot_build_yet_is_up_to_date_with_why() {
        assert_eq!(
            step(&checked_only("active"), &local(Err("no Docker engine is reachable"))),
            Step::UpToDate(Usable::NotBuildableYet("no Docker engine is reachable".to_owned()))
        );
    }

    #[test]
    fn checked_only_with_replace_is_rebuilt_whatever_the_local_server_says() {
        assert_eq!(step(&checked_only("active"), &replace()), Step::Rebuild(Rebuild::CheckedOnly));
        let options = Options { replace: true, ..local(Err("no Docker engine is reachable")) };
        assert_eq!(step(&checked_only("active"), &options), Step::Rebuild(Rebuild::CheckedOnly));
    }

    #[test]
    fn inactive_is_activated() {
        assert_eq!(step(&snapshot("inactive"), &Options::default()), Step::Activate);
        assert_eq!(step(&snapshot("inactive"), &replace()), Step::Activate);
    }

    #[test]
    fn on_its_way_is_attached() {
        for state in ["pending", "building", "pulling", "snapshotting"] {
            assert_eq!(step(&snapshot(state), &Options::default()), Step::Attach, "{state}");
            assert_eq!(step(&snapshot(state), &replace()), Step::Attach, "{state}");
        }
    }

    #[test]
    fn failed_is_refused() {
        for state in ["build_failed", "error"] {
            assert_eq!(step(&snapshot(state), &Options::default()), Step::Refuse(Refusal::Failed), "{state}");
        }
    }

    #[test]
    fn failed_with_replace_is_rebuilt() {
        for state in ["build_failed", "error"] {
            assert_eq!(step(&snapshot(state), &replace()), Step::Rebuild(Rebuild::Failed), "{state}");
        }
    }

    #[test]
    fn different_definition_is_a_drift_whatever_the_state() {
        for state in ["active", "inactive", "building", "build_failed", "removing", "teleporting"] {
            assert_eq!(
                step(&different(state), &Options::default()),
                Step::Refuse(Refusal::Drift(vec!["cpu: snapshot 2, definition 1".to_owned()])),
                "{state}"
            );
        }
    }

    #[test]
    fn different_definition_with_replace_is_rebuilt() {
        for state in ["active", "build_failed", "removing"] {
            assert_eq!(step(&different(state), &replace()), Step::Rebuild(Rebuild::Drift), "{state}");
        }
    }

    #[test]
    fn removing_is_refused_even_with_replace() {
        assert_eq!(step(&snapshot("removing"), &Options::default()), Step::Refuse(Refusal::Removing));
        assert_eq!(step(&snapshot("removing"), &replace()), Step::Refuse(Refusal::Removing));
    }

    #[test]
    fn unknown_state_is_attached() {
        // Daytona's newer states parse as `Unknown`; the wait ends at the deadline if
        // they never turn active or failed.
        for state in ["pending_validation", "validating", "teleporting"] {
            let snap = snapshot(state);
            assert_eq!(snap.state, SnapshotState::Unknown);
            assert_eq!(step(&snap, &Options::default()), Step::Attach, "{state}");
        }
    }

    #[test]
    fn only_a_checked_only_snapshot_asks_the_local_server() {
        assert!(!asks_local_server(None));
        assert!(!asks_local_server(Some(&snapshot("active"))));
        assert!(asks_local_server(Some(&checked_only("active"))));
    }
}
