//! Which of a package's snapshots `cargo xtask snapshot prune --keep N` deletes, as one
//! pure function ([`plan`]), like the publishing table in `decide.rs`: the command
//! carries the [`Fate`]s out, and the dry run prints the same ones.
//!
//! Kept, with the first reason that applies: the current version (this code's); the `N`
//! newest versions; versions newer than the current one (published from other code, a
//! release branch for example: pruning from an older checkout must not remove them);
//! snapshots still on their way (`pending`, `building`, ...: someone is publishing that
//! version now). One already `removing` is neither kept nor deleted again.

use std::fmt;

use pj_daytona::SnapshotState;
use semver::Version;

/// What happens to one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Kept, and why.
    Keep(Why),
    /// Deleted (with `--yes`).
    Delete,
    /// Already being deleted: left alone.
    Removing,
}

/// Why a snapshot is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// It is the current version's.
    Current,
    /// It is among the `keep` newest versions (`--keep`).
    Newest(usize),
    /// Its version is newer than the current one.
    NewerThanCurrent,
    /// It is on its way (`pending`, `building`, `pulling`, `snapshotting`, or a state
    /// this client does not know).
    InProgress(SnapshotState),
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Current => f.write_str("the current version"),
            Why::Newest(keep) => write!(f, "one of the {keep} newest (--keep {keep})"),
            Why::NewerThanCurrent => {
                f.write_str("newer than the current version (published from other code)")
            }
            Why::InProgress(state) => write!(f, "still {state}; prune again once it has settled"),
        }
    }
}

/// The fate of each snapshot in `found` (its version and state), in `found`'s order:
/// never the `current` version, never the `keep` newest (counted among the snapshots not
/// being removed), never a version newer than `current`, never one on its way.
pub fn plan(found: &[(Version, SnapshotState)], current: &Version, keep: usize) -> Vec<Fate> {
    let mut live: Vec<&Version> =
        found.iter().filter(|(_, state)| *state != SnapshotState::Removing).map(|(v, _)| v).collect();
    live.sort_unstable_by(|a, b| b.cmp(a));
    let newest = &live[..keep.min(live.len())];
    found
        .iter()
        .map(|(version, state)| match state {
            SnapshotState::Removing => Fate::Removing,
            _ if version == current => Fate::Keep(Why::Current),
            _ if newest.contains(&version) => Fate::Keep(Why::Newest(keep)),
            _ if version > current => Fate::Keep(Why::NewerThanCurrent),
            SnapshotState::Active
            | SnapshotState::Inactive
            | SnapshotState::Error
            | SnapshotState::BuildFailed => Fate::Delete,
            in_progress => Fate::Keep(Why::InProgress(*in_progress)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use SnapshotState::{Active, BuildFailed, Building, Error, Inactive, Pending, Removing, Unknown};

    fn v(s: &str) -> Version {
        Version::parse(s).expect("a version")
    }

    /// The plan for `versions` (all in `state`), as (version, fate), newest first.
    fn fates(found: &[(&str, SnapshotState)], current: &str, keep: usize) -> Vec<(String, Fate)> {
        let found: Vec<(Version, SnapshotState)> = found.iter().map(|(s, state)| (v(s), *state)).collect();
        let plan = plan(&found, &v(current), keep);
        found.into_iter().map(|(version, _)| version.to_string()).zip(plan).collect()
    }

    fn expect(pairs: &[(&str, Fate)]) -> Vec<(String, Fate)> {
        pairs.iter().map(|(s, f)| ((*s).to_owned(), *f)).collect()
    }

    const DELETE: Fate = Fate::Delete;
    const CURRENT: Fate = Fate::Keep(Why::Current);

    #[test]
    fn keeps_the_current_and_the_n_newest_and_deletes_the_rest() {
        let found = [("1.3.0", Active), ("1.2.0", Inactive), ("1.1.0", Active), ("1.0.0", Inactive)];
        assert_eq!(
            fates(&found, "1.3.0", 2),
            expect(&[
                ("1.3.0", CURRENT),
                ("1.2.0", Fate::Keep(Why::Newest(2))),
                ("1.1.0", DELETE),
                ("1.0.0", DELETE)
            ])
        );
    }

    #[test]
    fn keep_zero_still_keeps_the_current_version() {
        let found = [("0.2.0", Active), ("0.1.0", Active)];
        assert_eq!(fates(&found, "0.2.0", 0), expect(&[("0.2.0", CURRENT), ("0.1.0", DELETE)]));
        assert_eq!(fates(&[("0.2.0", Active)], "0.2.0", 0), expect(&[("0.2.0", CURRENT)]));
    }

    #[test]
    fn versions_order_by_semver_not_by_text_and_not_by_input_order() {
        let found = [("1.9.0", Active), ("1.10.0", Active), ("1.8.0", Active), ("1.11.0", Active)];
        assert_eq!(
            fates(&found, "1.11.0", 2),
            expect(&[
                ("1.9.0", DELETE),
                ("1.10.0", Fate::Keep(Why::Newest(2))),
                ("1.8.0", DELETE),
                ("1.11.0", CURRENT),
            ])
        );
    }

    #[test]
    fn pre_releases_come_before_their_release() {
        let found = [("2.0.0", Active), ("2.0.0-rc.10", Active), ("2.0.0-rc.2", Active), ("1.9.9", Active)];
        assert_eq!(
            fates(&found, "2.0.0", 2),
            expect(&[
                ("2.0.0", CURRENT),
                ("2.0.0-rc.10", Fate::Keep(Why::Newest(2))),
                ("2.0.0-rc.2", DELETE),
                ("1.9.9", DELETE),
            ])
        );
    }

    #[test]
    fn versions_newer_than_the_current_one_are_kept_whatever_keep_says() {
        let found = [("3.0.0", Active), ("2.1.0", Active), ("2.0.0", Active), ("1.0.0", Active)];
        assert_eq!(
            fates(&found, "2.0.0", 0),
            expect(&[
                ("3.0.0", Fate::Keep(Why::NewerThanCurrent)),
                ("2.1.0", Fate::Keep(Why::NewerThanCurrent)),
                ("2.0.0", CURRENT),
                ("1.0.0", DELETE),
            ])
        );
        assert_eq!(
            fates(&found, "2.0.0", 1)[0].1,
            Fate::Keep(Why::Newest(1)),
            "the first reason that applies"
        );
    }

    #[test]
    fn removing_is_left_alone_and_does_not_count_among_the_newest() {
        let found = [("1.2.0", Removing), ("1.1.0", Active), ("1.0.0", Active), ("0.9.0", Removing)];
        assert_eq!(
            fates(&found, "1.1.0", 2),
            expect(&[
                ("1.2.0", Fate::Removing),
                ("1.1.0", CURRENT),
                ("1.0.0", Fate::Keep(Why::Newest(2))),
                ("0.9.0", Fate::Removing),
            ])
        );
        assert_eq!(fates(&[("1.0.0", Removing)], "1.0.0", 1), expect(&[("1.0.0", Fate::Removing)]));
    }

    #[test]
    fn failed_and_inactive_old_versions_are_deleted_but_not_those_on_their_way() {
        let found = [
            ("1.0.0", Active),
            ("0.5.0", BuildFailed),
            ("0.4.0", Error),
            ("0.3.0", Inactive),
            ("0.2.0", Building),
            ("0.1.1", Pending),
            ("0.1.0", Unknown),
        ];
        assert_eq!(
            fates(&found, "1.0.0", 0),
            expect(&[
                ("1.0.0", CURRENT),
                ("0.5.0", DELETE),
                ("0.4.0", DELETE),
                ("0.3.0", DELETE),
                ("0.2.0", Fate::Keep(Why::InProgress(Building))),
                ("0.1.1", Fate::Keep(Why::InProgress(Pending))),
                ("0.1.0", Fate::Keep(Why::InProgress(Unknown))),
            ])
        );
    }

    #[test]
    fn without_a_snapshot_of_the_current_version_keep_counts_the_others() {
        let found = [("0.3.0", Active), ("0.2.0", Active), ("0.1.0", Active)];
        assert_eq!(
            fates(&found, "0.4.0", 1),
            expect(&[("0.3.0", Fate::Keep(Why::Newest(1))), ("0.2.0", DELETE), ("0.1.0", DELETE)])
        );
        assert!(fates(&[], "0.4.0", 3).is_empty());
    }

    #[test]
    fn a_keep_larger_than_the_versions_keeps_them_all() {
        let found = [("0.2.0", Active), ("0.1.0", Inactive)];
        assert_eq!(
            fates(&found, "0.2.0", 10),
            expect(&[("0.2.0", CURRENT), ("0.1.0", Fate::Keep(Why::Newest(10)))])
        );
    }

    #[test]
    fn reasons_read_as_the_dry_run_prints_them() {
        assert_eq!(Why::Newest(3).to_string(), "one of the 3 newest (--keep 3)");
        assert_eq!(Why::InProgress(Building).to_string(), "still building; prune again once it has settled");
    }
}
