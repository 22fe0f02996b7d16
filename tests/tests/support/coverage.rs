//! Which of Daytona's operations the local server implements, and what tests them: the data
//! in `daytona-local/coverage/`, its checks, and the page made from it,
//! `docs/local-daytona.md`.
//!
//! Three sources, nothing typed twice:
//! - the operation list and what is implemented come from the server itself
//!   (`pj_daytona_local::operations()`, `implemented_operations()`);
//! - `daytona-local/coverage/*.tsv` (one file per area, so branches do not collide) name the
//!   Rust tests of an operation (`<operationId>\ttest\t<file>::<fn>`, the file relative to
//!   the workspace root) and honest caveats (`<operationId>\tnote\t<text>`);
//! - `daytona-local/coverage/sdk/<script>.ops` are the operations an official-SDK script
//!   made the server answer, recorded from the server's request log by the run itself
//!   ([`super::sdk`], with `PJ_BLESS=1`) and checked by every later run.
//!
//! `PJ_BLESS=1` rewrites what is generated (the page, the SDK records); the tests fail and
//! say so when it is stale.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use pj_daytona_local::{Operation, Spec, implemented_operations, operations, operations_source};

/// The command that regenerates everything: the SDK records, then the page.
pub const REGENERATE: &str = "bash scripts/local-daytona-coverage.sh";

/// The command that rewrites the page alone, from the data as it is.
pub const REWRITE_PAGE: &str = "PJ_BLESS=1 cargo test -p pj-tests --test coverage";

/// The page, relative to the workspace root.
pub const PAGE: &str = "docs/local-daytona.md";

/// The tags of the operations an application uses (the rest is Daytona's own
/// administration, organizations, runners, computer use, LSP, ...).
pub const APP_FACING: &[(Spec, &str)] = &[
    (Spec::Api, "sandbox"),
    (Spec::Api, "snapshots"),
    (Spec::Api, "object-storage"),
    (Spec::Api, "preview"),
    (Spec::Api, "volumes"),
    (Spec::Api, "Health"),
    (Spec::Toolbox, "process"),
    (Spec::Toolbox, "file-system"),
    (Spec::Toolbox, "git"),
    (Spec::Toolbox, "info"),
    (Spec::Toolbox, "port"),
    (Spec::Toolbox, "server"),
    (Spec::Toolbox, "interpreter"),
];

/// Whether an application uses `op` (its tag is in [`APP_FACING`]).
pub fn is_app_facing(op: &Operation) -> bool {
    APP_FACING.iter().any(|(spec, tag)| *spec == op.spec && *tag == op.tag)
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace").to_path_buf()
}

/// `daytona-local/coverage/`.
pub fn coverage_dir() -> PathBuf {
    workspace().join("daytona-local/coverage")
}

/// Where the run of `tests/conformance/<script>` records what it made the server answer.
pub fn sdk_record_path(script: &str) -> PathBuf {
    coverage_dir().join("sdk").join(format!("{}.ops", script.trim_end_matches(".py")))
}

/// Whether generated files are to be rewritten (`PJ_BLESS=1`).
pub fn blessing() -> bool {
    std::env::var("PJ_BLESS").is_ok_and(|v| v == "1")
}

/// The coverage data.
#[derive(Debug, Default)]
pub struct Coverage {
    /// operationId -> the Rust tests named for it (`file::fn`).
    pub tests: BTreeMap<String, BTreeSet<String>>,
    /// operationId -> its caveats.
    pub notes: BTreeMap<String, Vec<String>>,
    /// SDK script (file name) -> the operations its recorded run made the server answer.
    pub sdk: BTreeMap<String, BTreeSet<String>>,
    /// Lines that could not be read (`file:line: why`).
    pub malformed: Vec<String>,
}

impl Coverage {
    /// Reads `daytona-local/coverage/`.
    pub fn load() -> Coverage {
        let mut coverage = Coverage::default();
        let dir = coverage_dir();
        for path in files(&dir, "tsv") {
            let name = path.strip_prefix(workspace()).unwrap_or(&path).display().to_string();
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                let cols: Vec<&str> = line.splitn(3, '\t').map(str::trim).collect();
                match cols.as_slice() {
                    [op, "test", test] if !test.is_empty() => {
                        coverage.tests.entry((*op).to_owned()).or_default().insert((*test).to_owned());
                    }
                    [op, "note", note] if !note.is_empty() => {
                        coverage.notes.entry((*op).to_owned()).or_default().push((*note).to_owned());
                    }
                    _ => coverage.malformed.push(format!(
                        "{name}:{}: expected `<operationId>\\ttest\\t<file>::<fn>` or `<operationId>\\tnote\\t<text>`",
                        n + 1
                    )),
                }
            }
        }
        for path in files(&dir.join("sdk"), "ops") {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            coverage.sdk.insert(format!("{stem}.py"), read_record(&path));
        }
        coverage
    }

    /// The SDK scripts whose recorded run made the server answer `op`.
    pub fn sdk_scripts(&self, op: &str) -> Vec<&str> {
        self.sdk.iter().filter(|(_, ops)| ops.contains(op)).map(|(script, _)| script.as_str()).collect()
    }
}

/// The `*.ext` files of `dir`, sorted (none when it does not exist).
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == ext))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// The operations of an SDK record (one per line, `#` comments).
pub fn read_record(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

/// Writes the SDK record of `script`.
pub fn write_record(script: &str, ops: &BTreeSet<&'static str>) {
    let path = sdk_record_path(script);
    let mut text = format!(
        "# The implemented operations that tests/conformance/{script} made the local server answer,\n\
         # from its request log (written by PJ_BLESS=1; every run checks it still answers them all).\n"
    );
    for op in ops {
        text.push_str(op);
        text.push('\n');
    }
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir daytona-local/coverage/sdk");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Whether `spec` (`<file>::<fn>`, the file relative to the workspace root) names a test
/// function that runs ([`find_test`]). `Err` says what is wrong.
pub fn check_test(spec: &str) -> Result<(), String> {
    let Some((file, name)) = spec.rsplit_once("::") else {
        return Err(format!("`{spec}` is not `<file>::<fn>`"));
    };
    let text =
        std::fs::read_to_string(workspace().join(file)).map_err(|e| format!("`{spec}`: {file}: {e}"))?;
    find_test(&text, name).map_err(|e| format!("`{spec}`: {e}"))
}

/// Whether `source` has a test function `name`: a `fn` of that name under `#[test]` or
/// `#[<runtime>::test]`, not `#[ignore]`d.
pub fn find_test(source: &str, name: &str) -> Result<(), String> {
    let lines: Vec<&str> = source.lines().collect();
    let declares = |line: &str| {
        let line = line.trim_start();
        let line = line.strip_prefix("pub ").unwrap_or(line);
        let line = line.strip_prefix("async ").unwrap_or(line);
        line.strip_prefix("fn ")
            .and_then(|rest| rest.strip_prefix(name))
            .is_some_and(|rest| rest.starts_with('(') || rest.starts_with('<'))
    };
    let Some(at) = lines.iter().position(|l| declares(l)) else {
        return Err(format!("no fn {name}"));
    };
    // The attributes and comments right above it.
    let above: Vec<&str> = lines[..at]
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| !l.is_empty() && !l.ends_with('}') && !l.ends_with(';'))
        .collect();
    if above.iter().any(|l| l.starts_with("#[ignore")) {
        return Err(format!("fn {name} is #[ignore]d"));
    }
    let is_test = above.iter().any(|l| l.starts_with("#[") && (l.contains("test]") || l.contains("test(")));
    if is_test { Ok(()) } else { Err(format!("fn {name} is not a #[test]")) }
}

/// What is wrong with the coverage data: malformed lines, unknown operations, tests that
/// do not exist, records of scripts that do not exist, an operation marked tested that
/// answers 501, and an implemented operation without any test.
pub fn problems(coverage: &Coverage) -> Vec<String> {
    let known: BTreeSet<&str> = operations().iter().map(|o| o.id).collect();
    let implemented: BTreeSet<&str> = implemented_operations().into_iter().collect();
    let mut problems = coverage.malformed.clone();
    for (op, tests) in &coverage.tests {
        if !known.contains(op.as_str()) {
            problems.push(format!("daytona-local/coverage: {op} is not an operation of operations.tsv"));
        } else if !implemented.contains(op.as_str()) {
            problems.push(format!(
                "daytona-local/coverage: {op} is named as tested, but the server does not implement it (501)"
            ));
        }
        problems.extend(tests.iter().filter_map(|t| check_test(t).err()).map(|e| format!("{op}: {e}")));
    }
    for op in coverage.notes.keys().filter(|op| !known.contains(op.as_str())) {
        problems.push(format!(
            "daytona-local/coverage: note for {op}, which is not an operation of operations.tsv"
        ));
    }
    for (script, ops) in &coverage.sdk {
        if !workspace().join("tests/conformance").join(script).is_file() {
            problems.push(format!(
                "{}: tests/conformance/{script} does not exist; remove the record",
                sdk_record_path(script).display()
            ));
        }
        for op in ops.iter().filter(|op| !implemented.contains(op.as_str())) {
            problems.push(format!(
                "{}: {op} is not implemented (any more); rerun the script's driver with PJ_BLESS=1 ({REGENERATE})",
                sdk_record_path(script).display()
            ));
        }
    }
    for op in &implemented {
        if coverage.tests.get(*op).is_none_or(BTreeSet::is_empty) && coverage.sdk_scripts(op).is_empty() {
            problems.push(format!(
                "{op} is implemented but no test is named for it: add `{op}\\ttest\\t<file>::<fn>` to a \
                 daytona-local/coverage/*.tsv, or drive it from an official-SDK script and record the run \
                 ({REGENERATE})"
            ));
        }
    }
    problems
}

/// How an operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Implemented, and an official-SDK script made the server answer it.
    Sdk,
    /// Implemented, tested by Rust tests only.
    Rust,
    /// Implemented, with no test (a problem, see [`problems`]).
    Untested,
    /// Not implemented: 501.
    NotImplemented,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Sdk => "SDK",
            Status::Rust => "Rust",
            Status::Untested => "**untested**",
            Status::NotImplemented => "501",
        }
    }
}

/// The status of `op`.
pub fn status(coverage: &Coverage, implemented: &BTreeSet<&str>, op: &str) -> Status {
    if !implemented.contains(op) {
        Status::NotImplemented
    } else if !coverage.sdk_scripts(op).is_empty() {
        Status::Sdk
    } else if coverage.tests.get(op).is_some_and(|t| !t.is_empty()) {
        Status::Rust
    } else {
        Status::Untested
    }
}

/// A table cell: no line breaks, `|` escaped.
fn cell(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

/// `docs/local-daytona.md`, made from the operation list, what the server implements and
/// the coverage data.
pub fn page(coverage: &Coverage) -> String {
    let implemented: BTreeSet<&str> = implemented_operations().into_iter().collect();
    let ops = operations();
    let app: Vec<&Operation> = ops.iter().filter(|o| is_app_facing(o)).collect();
    let others: Vec<&Operation> = ops.iter().filter(|o| !is_app_facing(o)).collect();
    let count = |list: &[&Operation], wanted: Status| {
        list.iter().filter(|o| status(coverage, &implemented, o.id) == wanted).count()
    };
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# The local Daytona: operations\n");
    let _ = writeln!(
        w,
        "<!-- Generated from daytona-local/operations.tsv, the server's implemented operations and \
         daytona-local/coverage/ by tests/tests/support/coverage.rs; do not edit. -->\n"
    );
    let _ = writeln!(
        w,
        "Which of Daytona's operations the local server (`daytona-local`, `cargo xtask local`, \
         `pj_daytona_local::LocalDaytona`) implements, and how each is tested. Every operation of \
         Daytona's specifications is routed: one the server does not implement answers `501` with \
         Daytona's error body, message `the local Daytona server does not implement <operationId>`; \
         a path outside the specifications answers `404` `Cannot <METHOD> <path>`.\n"
    );
    let _ = writeln!(
        w,
        "**Regenerate** after changing the server, its tests, the SDK scripts or \
         `daytona-local/coverage/`:\n\n```sh\n{REGENERATE}\n```\n\n\
         It runs the official-SDK drivers with `PJ_BLESS=1` (each records the operations its \
         script made the server answer, in `daytona-local/coverage/sdk/`), then writes this page; \
         `{REWRITE_PAGE}` rewrites the page alone. The tests fail when the page is stale."
    );
    let _ =
        writeln!(w, "\nThe operation list, `daytona-local/operations.tsv`, is Daytona's specifications:\n");
    for line in operations_source().lines().filter(|l| !l.starts_with("made by")) {
        let _ = writeln!(w, "- {}", cell(line));
    }
    let (app_sdk, app_rust, app_untested) =
        (count(&app, Status::Sdk), count(&app, Status::Rust), count(&app, Status::Untested));
    let _ = writeln!(
        w,
        "\n- **{} app-facing operations**: {} implemented ({app_sdk} tested with the official Python SDK, \
         {app_rust} with Rust tests only{}), {} answer 501.",
        app.len(),
        app.len() - count(&app, Status::NotImplemented),
        if app_untested > 0 { format!(", {app_untested} untested") } else { String::new() },
        count(&app, Status::NotImplemented),
    );
    let mut other_tags: Vec<String> = Vec::new();
    for spec in [Spec::Api, Spec::Toolbox] {
        let mut tags: Vec<&str> = Vec::new();
        for op in others.iter().filter(|o| o.spec == spec) {
            if !tags.contains(&op.tag) {
                tags.push(op.tag);
            }
        }
        if !tags.is_empty() {
            other_tags.push(format!("{} tags {}", spec_title(spec), tags.join(", ")));
        }
    }
    let other_implemented: Vec<String> = others
        .iter()
        .filter(|o| implemented.contains(o.id))
        .map(|o| format!("`{}` ({})", o.id, status(coverage, &implemented, o.id).label()))
        .collect();
    let _ = writeln!(
        w,
        "- **{} other operations** (not app-facing: {}): {}.",
        others.len(),
        other_tags.join("; "),
        if other_implemented.is_empty() {
            "all answer 501".to_owned()
        } else {
            format!(
                "{} implemented ({}), the others answer 501",
                other_implemented.len(),
                other_implemented.join(", ")
            )
        }
    );
    let _ = writeln!(
        w,
        "\n| status | meaning |\n|---|---|\n\
         | SDK | implemented; an official-SDK script (`tests/conformance/`, `daytona==0.226.1`) made the \
         server answer it, as its recorded run shows (every run checks it still does) |\n\
         | Rust | implemented; tested by the Rust tests named, not through the SDK |\n\
         | 501 | not implemented: answers `501` naming it (`tests/tests/operations.rs`) |"
    );
    for spec in [Spec::Api, Spec::Toolbox] {
        let _ = writeln!(w, "\n## {} (`{}`)", spec_title(spec), spec.prefix());
        for (_, tag) in APP_FACING.iter().filter(|(s, _)| *s == spec) {
            let rows: Vec<&&Operation> = app.iter().filter(|o| o.spec == spec && o.tag == *tag).collect();
            let done = rows.iter().filter(|o| implemented.contains(o.id)).count();
            let _ = writeln!(w, "\n### {tag}: {done} of {} implemented\n", rows.len());
            let _ = writeln!(w, "| operationId | method | path | status | tested by | note |");
            let _ = writeln!(w, "|---|---|---|---|---|---|");
            for op in rows {
                let st = status(coverage, &implemented, op.id);
                let mut tested: Vec<String> = Vec::new();
                if st != Status::NotImplemented {
                    tested.extend(coverage.sdk_scripts(op.id).iter().map(|s| format!("`{s}`")));
                    if let Some(tests) = coverage.tests.get(op.id) {
                        tested.extend(tests.iter().map(|t| format!("`{t}`")));
                    }
                }
                let note = coverage.notes.get(op.id).map(|n| n.join("; ")).unwrap_or_default();
                let _ = writeln!(
                    w,
                    "| `{}` | {} | `{}` | {} | {} | {} |",
                    op.id,
                    op.method,
                    op.path,
                    st.label(),
                    cell(&tested.join(", ")),
                    cell(&note)
                );
            }
        }
    }
    out
}

fn spec_title(spec: Spec) -> &'static str {
    match spec {
        Spec::Api => "API",
        Spec::Toolbox => "Toolbox",
    }
}
