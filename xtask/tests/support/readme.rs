//! The command sessions of the README and the guides in `docs/` ([`PAGES`]), read from the
//! pages themselves and compared with what the commands really print, so the docs cannot
//! drift from the code.
//!
//! A session is a `$ ` line in a ```` ```text ```` block, with the lines under it up to
//! the next `$ ` line (blank lines at its end dropped) as the expected output. The
//! `$ ` line (command and trailing comment) names the situation it runs in; every one
//! must be in [`SITUATIONS`], so a new or edited session fails until a test runs it.
//! Matching is snapbox's: `[..]` is any text within a line, `...` on a line of its own
//! any lines, and `[ROOT]` (the checkout) and `[TARGET]` (its cargo target directory)
//! are redacted paths.

use std::path::Path;

/// The pages whose sessions the tests run; a session on any other page of README.md and
/// `docs/` is an error (`xtask/tests/readme.rs`), so a moved session is never dropped.
pub const PAGES: &[&str] = &[
    "README.md",
    "docs/your-project.md",
    "docs/rules.md",
    "docs/publishing.md",
    "docs/sandboxes.md",
    "docs/local-server.md",
    "docs/xtask.md",
];

/// Where and how a session is run; each test binary runs its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Situation {
    // readme.rs: no server, no Docker.
    DryRun,
    CompileOriginal,
    CompileBrokenLiterals,
    CompilePipInRun,
    // e2e.rs: the e2e fixture app against a server holding another definition.
    DriftRefused,
    // lifecycle.rs: the lc-app fixture app with older versions published.
    SnapshotList,
    SnapshotPrune,
    // reference.rs: the real build of pithy-jaunt on debian:bookworm-slim.
    FirstLocalBuild,
    LocalUpToDate,
    LocalWithoutBase,
    LocalCheckCheckedOnly,
    RunHelloCheckedOnly,
    LocalOnceBaseExists,
    LocalCheck,
    LocalServe,
    LocalUpToDateOnServer,
    EvalEnv,
    RunHello,
    // out_of_tree.rs: the workspace of docs/your-project.md, built from its blocks.
    OwnProjectApp,
}

/// Each `$ ` line of the [`PAGES`] (runs of spaces folded to one) and the situation it runs in.
pub const SITUATIONS: &[(&str, Situation)] = &[
    ("cargo xtask snapshot --dry-run", Situation::DryRun),
    ("cargo build -p pithy-jaunt # the original definition", Situation::CompileOriginal),
    ("cargo build -p pithy-jaunt # torch>=2, and no sandbox/execution.sh", Situation::CompileBrokenLiterals),
    (
        "cargo build -p pithy-jaunt # pip install 'torch>=2' written in run_commands",
        Situation::CompilePipInRun,
    ),
    (
        "cargo xtask snapshot # e2e-app 0.4.2, published before with another definition",
        Situation::DriftRefused,
    ),
    ("cargo xtask snapshot list # lc-app 1.10.0, with older versions published", Situation::SnapshotList),
    ("cargo xtask snapshot prune --keep 2 # the same snapshots", Situation::SnapshotPrune),
    ("cargo xtask snapshot --local # the first time: builds", Situation::FirstLocalBuild),
    ("cargo xtask snapshot --local # again: one read", Situation::LocalUpToDate),
    ("cargo xtask snapshot --local # debian:bookworm-slim not on the engine", Situation::LocalWithoutBase),
    (
        "cargo xtask snapshot --local --check # the same snapshot, checked only",
        Situation::LocalCheckCheckedOnly,
    ),
    (
        "eval \"$(cargo xtask local --env)\"; cargo run -q -p pithy-jaunt -- run hello # with cargo xtask local running",
        Situation::RunHelloCheckedOnly,
    ),
    (
        "cargo xtask snapshot --local # the same command, once the base is made",
        Situation::LocalOnceBaseExists,
    ),
    ("cargo xtask snapshot --local --check", Situation::LocalCheck),
    ("cargo xtask local # shell 1: serves until Ctrl-C", Situation::LocalServe),
    ("cargo xtask snapshot --local # shell 2", Situation::LocalUpToDateOnServer),
    ("eval \"$(cargo xtask local --env)\"", Situation::EvalEnv),
    ("cargo run -q -p pithy-jaunt -- run hello", Situation::RunHello),
    ("cargo run -q -p my-app", Situation::OwnProjectApp),
];

/// One `$ ` line of a page and the output under it.
#[derive(Clone, Debug)]
pub struct Session {
    /// The page it is on, one of [`PAGES`] (empty from [`parse`]).
    pub page: &'static str,
    /// The line number of the `$ ` line in the page.
    pub line: usize,
    /// The `$ ` line without the `$ `, runs of spaces folded to one.
    pub command: String,
    pub expected: String,
}

impl Session {
    /// `PAGE:LINE`, for messages.
    pub fn at(&self) -> String {
        format!("{}:{}", self.page, self.line)
    }

    pub fn situation(&self) -> Option<Situation> {
        SITUATIONS.iter().find(|(command, _)| *command == self.command).map(|(_, s)| *s)
    }
}

/// The sessions of `page` (the text of a markdown page), in order.
pub fn parse(page: &str) -> Vec<Session> {
    let mut sessions: Vec<Session> = Vec::new();
    let mut in_text = false;
    let mut current: Option<Session> = None;
    let finish = |current: &mut Option<Session>, sessions: &mut Vec<Session>| {
        if let Some(mut s) = current.take() {
            let trimmed = s.expected.trim_end_matches('\n').len();
            s.expected.truncate(trimmed);
            if !s.expected.is_empty() {
                s.expected.push('\n');
            }
            sessions.push(s);
        }
    };
    for (index, line) in page.lines().enumerate() {
        if !in_text {
            in_text = line.trim_end() == "```text";
            continue;
        }
        if line.trim_end() == "```" {
            finish(&mut current, &mut sessions);
            in_text = false;
        } else if let Some(command) = line.strip_prefix("$ ") {
            finish(&mut current, &mut sessions);
            let command = command.split_whitespace().collect::<Vec<_>>().join(" ");
            current = Some(Session { page: "", line: index + 1, command, expected: String::new() });
        } else {
            // Output; in a block that starts with output, a session without a command
            // (which no situation matches).
            let s = current.get_or_insert_with(|| Session {
                page: "",
                line: index + 1,
                command: String::new(),
                expected: String::new(),
            });
            s.expected.push_str(line);
            s.expected.push('\n');
        }
    }
    sessions
}

/// The sessions of every page in [`PAGES`] of the workspace, page by page.
pub fn sessions(workspace: &Path) -> Vec<Session> {
    PAGES
        .iter()
        .flat_map(|&page| {
            let path = workspace.join(page);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            parse(&text).into_iter().map(move |s| Session { page, ..s })
        })
        .collect()
}

/// The one session of the [`PAGES`] that runs in `situation`.
pub fn session(workspace: &Path, situation: Situation) -> Session {
    let found: Vec<Session> =
        sessions(workspace).into_iter().filter(|s| s.situation() == Some(situation)).collect();
    match found.as_slice() {
        [one] => one.clone(),
        [] => {
            panic!("no page has a session for {situation:?}: remove the situation, or restore the session")
        }
        _ => {
            panic!("the pages have {} sessions for {situation:?}; each `$ ` line must be unique", found.len())
        }
    }
}

/// The redactions every comparison uses: `[ROOT]` the checkout, `[TARGET]` the cargo
/// target directory the commands ran with.
pub fn redactions(workspace: &Path, target: &Path) -> snapbox::Redactions {
    let mut redactions = snapbox::Redactions::new();
    redactions.insert("[ROOT]", workspace.to_path_buf()).expect("a valid placeholder");
    redactions.insert("[TARGET]", target.to_path_buf()).expect("a valid placeholder");
    redactions
}

/// Compares what `session`'s command printed (`actual`) with its page; the error says
/// which session differs, with a diff.
pub fn compare(session: &Session, actual: &str, redactions: &snapbox::Redactions) -> Result<(), String> {
    let assert = snapbox::Assert::new().redact_with(redactions.clone());
    let name = format!("the output of `{}`", session.command);
    assert
        .try_eq(
            Some(&name),
            snapbox::Data::text(actual.to_owned()),
            snapbox::Data::text(session.expected.clone()),
        )
        .map_err(|e| format!("{}: `$ {}` printed something else:\n{e}", session.at(), session.command))
}

/// [`compare`], panicking with the difference.
pub fn assert_matches(session: &Session, actual: &str, redactions: &snapbox::Redactions) {
    if let Err(e) = compare(session, actual, redactions) {
        panic!("{e}");
    }
}
