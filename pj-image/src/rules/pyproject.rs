//! Dependencies of a `pyproject.toml`, read the way Daytona's
//! `pip_install_from_pyproject` reads them: `project.dependencies`, then each requested
//! optional group in the order given. Each dependency is checked with
//! [`pip::check_requirement`].
//!
//! ```
//! use pj_image::rules::pyproject;
//! let dir = std::env::temp_dir().join(format!("pj-pyproject-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(
//!     dir.join("pyproject.toml"),
//!     "[project]\nname = \"x\"\ndependencies = [\"numpy==1.26.4\"]\n\
//!      [project.optional-dependencies]\ndev = [\"pytest>=8\"]\n",
//! )
//! .unwrap();
//! let check = pyproject::check_pyproject(&dir.join("pyproject.toml"), "pyproject.toml", &["dev".to_string()]);
//! assert_eq!(check.dependencies, ["numpy==1.26.4", "pytest>=8"]);
//! assert_eq!(
//!     check.findings[0].message,
//!     "pyproject.toml [project.optional-dependencies.dev]: pip package \"pytest>=8\" is not pinned; write pytest==<version>",
//! );
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{Finding, pip};
use crate::Rule;

const GUIDE: &str = "https://packaging.python.org/en/latest/guides/writing-pyproject-toml";

/// What [`check_pyproject`] found.
///
/// ```
/// use pj_image::rules::pyproject::PyprojectCheck;
/// let check = PyprojectCheck::default();
/// assert!(check.dependencies.is_empty() && check.findings.is_empty() && check.files.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PyprojectCheck {
    /// The dependencies in SDK order, exactly as written. Empty when the SDK would raise
    /// (unreadable file, invalid TOML, no `[project]`, a malformed list or table, a
    /// non-string entry); a missing optional group only leaves that group out.
    pub dependencies: Vec<String>,
    /// Every problem found.
    pub findings: Vec<Finding>,
    /// The file read (absolute), if it could be read.
    pub files: Vec<PathBuf>,
}

/// Reads the `pyproject.toml` at `path` (absolute; `display` names it in messages) and
/// returns `project.dependencies` followed by the optional dependency `groups`, in order.
///
/// File and structure problems are [`Rule::PyprojectFile`] findings. A requested group
/// that does not exist is one too (the SDK skips it silently), but the other dependencies
/// are still returned. Each dependency is checked with
/// [`pip::check_requirement`]; its message is prefixed
/// with `{display} [project.dependencies]: ` or
/// `{display} [project.optional-dependencies.<group>]: ` and its rule is kept.
///
/// ```
/// use pj_image::{Rule, rules::pyproject};
/// let check = pyproject::check_pyproject(std::path::Path::new("/nonexistent/pyproject.toml"), "pyproject.toml", &[]);
/// assert_eq!(check.findings[0].rule, Rule::PyprojectFile);
/// assert!(check.dependencies.is_empty());
/// ```
pub fn check_pyproject(path: &Path, display: &str, groups: &[String]) -> PyprojectCheck {
    let file = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PyprojectCheck::default();
    let mut fatal = false;
    let mut problem = |out: &mut PyprojectCheck, fatal_problem: bool, message: String| {
        fatal |= fatal_problem;
        out.findings.push(Finding::new(Rule::PyprojectFile, message));
    };

    let text = match read(&file, display) {
        Ok(text) => {
            out.files.push(file.clone());
            text
        }
        Err(message) => {
            if message.1 {
                out.files.push(file.clone());
            }
            problem(&mut out, true, message.0);
            return out;
        }
    };

    let table = match parse_toml(&text) {
        Ok(table) => table,
        Err(e) => {
            problem(&mut out, true, format!("{display} is not valid TOML; fix this error:\n{e}"));
            return out;
        }
    };

    let project = match table.get("project") {
        Some(toml::Value::Table(project)) => project,
        Some(other) => {
            problem(
                &mut out,
                true,
                format!(
                    "`project` in {display} is {}, not a table; write a [project] section with a dependencies list \
                     (see {GUIDE})",
                    a(other)
                ),
            );
            return out;
        }
        None => {
            problem(
                &mut out,
                true,
                format!(
                    "no [project] section in {display}; add one with dependencies = [\"name==1.2.3\"] (see {GUIDE})"
                ),
            );
            return out;
        }
    };

    match project.get("dependencies") {
        Some(toml::Value::Array(list)) => {
            let section = "[project.dependencies]";
            collect(&mut out, &mut problem, list, display, section);
        }
        Some(other) => problem(
            &mut out,
            true,
            format!(
                "project.dependencies in {display} is {}, not a list; write dependencies = [\"name==1.2.3\"] \
                 under [project] (see {GUIDE})",
                a(other)
            ),
        ),
        None => {
            let dynamic = project
                .get("dynamic")
                .and_then(toml::Value::as_array)
                .is_some_and(|d| d.iter().any(|v| v.as_str() == Some("dependencies")));
            let why = if dynamic {
                "; dynamic dependencies are not read by Daytona, list them in project.dependencies"
            } else {
                ""
            };
            problem(
                &mut out,
                true,
                format!(
                    "no project.dependencies in {display}{why}; add dependencies = [\"name==1.2.3\"] under [project] \
                     (see {GUIDE})"
                ),
            );
        }
    }

    let empty = toml::Table::new();
    let optional = match project.get("optional-dependencies") {
        Some(toml::Value::Table(optional)) => optional,
        Some(other) => {
            problem(
                &mut out,
                true,
                format!(
                    "project.optional-dependencies in {display} is {}, not a table; write \
                     [project.optional-dependencies] with one list per group, like dev = [\"pytest==8.3.5\"] \
                     (see {GUIDE})",
                    a(other)
                ),
            );
            &empty
        }
        None => &empty,
    };

    for group in groups {
        match optional.get(group) {
            Some(toml::Value::Array(list)) => {
                let section = format!("[project.optional-dependencies.{group}]");
                collect(&mut out, &mut problem, list, display, &section);
            }
            Some(other) => problem(
                &mut out,
                true,
                format!(
                    "optional dependency group {group:?} in {display} is {}, not a list; write {group} = [\"name==1.2.3\"] \
                     under [project.optional-dependencies]",
                    a(other)
                ),
            ),
            None => {
                let known: Vec<&str> = optional.keys().map(String::as_str).collect();
                let message = if known.is_empty() {
                    format!(
                        "optional dependency group {group:?} is not in {display}, which has no optional dependency \
                         groups; add it under [project.optional-dependencies] or do not request it"
                    )
                } else {
                    let close = known.iter().find(|k| normalize(k) == normalize(group));
                    let hint = close.map(|k| format!(" (did you mean {k:?}?)")).unwrap_or_default();
                    format!(
                        "optional dependency group {group:?} is not in {display}; known groups: {}{hint}",
                        known.join(", ")
                    )
                };
                problem(&mut out, false, message);
            }
        }
    }

    if fatal {
        out.dependencies.clear();
    }
    out
}

/// The pyproject file must be a file: `local` as written, `source` resolved.
pub(crate) fn expect_file(local: &str, source: &Path) -> Result<(), Finding> {
    if source.is_file() {
        return Ok(());
    }
    let what = "pyproject file";
    let message = if source.exists() {
        format!("`{local}` is a directory, but a {what} is expected; point at the file")
    } else {
        format!(
            "{what} `{local}` does not exist (looked at {}); create it, or fix the path (it is relative to the \
             crate directory)",
            source.display()
        )
    };
    Err(Finding::new(Rule::LocalPathMissing, message))
}

/// Adds the string entries of `list` and checks them; a non-string entry is a finding.
fn collect(
    out: &mut PyprojectCheck,
    problem: &mut impl FnMut(&mut PyprojectCheck, bool, String),
    list: &[toml::Value],
    display: &str,
    section: &str,
) {
    for (index, value) in list.iter().enumerate() {
        match value.as_str() {
            Some(dependency) => {
                if let Err(f) = pip::check_requirement(dependency) {
                    out.findings.push(Finding::new(f.rule, format!("{display} {section}: {}", f.message)));
                }
                out.dependencies.push(dependency.to_owned());
            }
            None => problem(
                out,
                true,
                format!(
                    "{display} {section}: entry {} is {}, not a string; write each dependency as a string \
                     like \"requests==2.32.3\"",
                    index + 1,
                    a(value)
                ),
            ),
        }
    }
}

/// The file's text, or a message and whether the file was read.
fn read(file: &Path, display: &str) -> Result<String, (String, bool)> {
    let meta = fs::metadata(file).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => (
            format!(
                "pyproject file {display:?} does not exist (looked at {}); create it, or fix the path",
                file.display()
            ),
            false,
        ),
        _ => (cannot_read(display, file, &e), false),
    })?;
    if !meta.is_file() {
        let what = if meta.is_dir() { "a directory" } else { "a special file" };
        return Err((
            format!(
                "pyproject path {display:?} is {what}, not a file (looked at {}); point it at a pyproject.toml file",
                file.display()
            ),
            false,
        ));
    }
    let bytes = fs::read(file).map_err(|e| (cannot_read(display, file, &e), false))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        let valid = bytes.get(..e.utf8_error().valid_up_to()).unwrap_or_default();
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        (
            format!(
                "{display}:{line}: pyproject file is not valid UTF-8; save it as UTF-8, as TOML requires"
            ),
            true,
        )
    })
}

fn cannot_read(display: &str, file: &Path, e: &io::Error) -> String {
    format!("cannot read pyproject file {display:?} ({}): {e}; check that it is readable", file.display())
}

/// Parses TOML; the parser's message (with its caret diagram) on error.
fn parse_toml(text: &str) -> Result<toml::Table, String> {
    // Guard the compiler against a panic inside the parser or its error formatting.
    std::panic::catch_unwind(|| text.parse::<toml::Table>().map_err(|e| e.to_string().trim_end().to_owned()))
        .unwrap_or_else(|_| Err("the TOML parser failed on this file".to_owned()))
}

/// "a string", "an integer", ... for a TOML value.
fn a(value: &toml::Value) -> String {
    let kind = value.type_str();
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {kind}")
}

/// PEP 685 name normalization: lowercase, runs of `-_.` become `-`.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(content: impl AsRef<[u8]>, groups: &[&str]) -> PyprojectCheck {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("pyproject.toml");
        fs::write(&path, content).expect("write");
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        let result = check_pyproject(&path, "sandbox/pyproject.toml", &groups);
        assert!(result.files.is_empty() || result.files == [path]);
        result
    }

    fn messages(check: &PyprojectCheck) -> Vec<String> {
        check.findings.iter().map(|f| format!("[{}] {}", f.rule, f.message)).collect()
    }

    const GOOD: &str = r#"
[project]
name = "demo"
dependencies = ["numpy==1.26.4", "requests[socks] == 2.31.0 ; python_version >= '3.8'"]

[project.optional-dependencies]
test = ["pytest==8.3.5"]
dev = ["ruff==0.4.0", "mypy==1.10.0"]
"#;

    #[test]
    fn reads_dependencies_in_sdk_order() {
        let c = check(GOOD, &["test", "dev"]);
        assert!(c.findings.is_empty(), "{:#?}", messages(&c));
        assert_eq!(
            c.dependencies,
            [
                "numpy==1.26.4",
                "requests[socks] == 2.31.0 ; python_version >= '3.8'",
                "pytest==8.3.5",
                "ruff==0.4.0",
                "mypy==1.10.0",
            ]
        );
        assert_eq!(c.files.len(), 1);
        assert!(c.files[0].is_absolute());
        assert_eq!(check(GOOD, &[]).dependencies.len(), 2);
        // A group requested twice is added twice, as the SDK does.
        assert_eq!(check(GOOD, &["test", "test"]).dependencies.len(), 4);
        // Without optional groups in the file, none requested: fine.
        assert!(check("[project]\ndependencies = []\n", &[]).findings.is_empty());
        // A BOM is accepted.
        assert!(check("\u{feff}[project]\ndependencies = []\n", &[]).findings.is_empty());
    }

    #[test]
    fn checks_each_dependency() {
        let c = check(
            "[project]\ndependencies = [\"torch>=2\", \"ok==1\", \"bad==\"]\n\
             [project.optional-dependencies]\ndev = [\"--pre\"]\n",
            &["dev"],
        );
        let m = messages(&c);
        assert_eq!(m.len(), 3, "{m:#?}");
        assert_eq!(
            m[0],
            "[pip-unpinned] sandbox/pyproject.toml [project.dependencies]: pip package \"torch>=2\" is not pinned; \
             write torch==<version>"
        );
        assert!(m[1].starts_with(
            "[pip-invalid] sandbox/pyproject.toml [project.dependencies]: pip requirement \"bad==\""
        ));
        assert!(m[2].starts_with(
            "[pip-option-as-package] sandbox/pyproject.toml [project.optional-dependencies.dev]: "
        ));
        // Dependencies are still returned, exactly as written.
        assert_eq!(c.dependencies, ["torch>=2", "ok==1", "bad==", "--pre"]);
    }

    #[test]
    fn reports_missing_groups_but_keeps_the_rest() {
        let c = check(GOOD, &["missing", "dev"]);
        assert_eq!(
            messages(&c),
            [
                "[pyproject-file] optional dependency group \"missing\" is not in sandbox/pyproject.toml; known groups: dev, test"
            ]
        );
        assert_eq!(c.dependencies.len(), 4);
        let c = check(GOOD, &["Dev"]);
        assert!(c.findings[0].message.ends_with("known groups: dev, test (did you mean \"dev\"?)"));
        let c = check("[project]\ndependencies = [\"a==1\"]\n", &["dev"]);
        assert!(c.findings[0].message.contains("has no optional dependency groups"));
        assert_eq!(c.dependencies, ["a==1"]);
    }

    fn fatal(content: impl AsRef<[u8]>, groups: &[&str]) -> String {
        let c = check(content, groups);
        assert_eq!(c.findings.len(), 1, "{:#?}", messages(&c));
        assert_eq!(c.findings[0].rule, Rule::PyprojectFile);
        assert!(c.dependencies.is_empty(), "{:?}", c.dependencies);
        assert!(!c.findings[0].message.ends_with('.'));
        c.findings[0].message.clone()
    }

    #[test]
    fn reports_structure_problems() {
        let m = fatal("[project\n", &[]);
        assert!(
            m.starts_with(
                "sandbox/pyproject.toml is not valid TOML; fix this error:\nTOML parse error at line 1"
            ),
            "{m}"
        );
        assert!(m.contains('^'));
        assert_eq!(
            fatal("[tool.x]\na = 1\n", &[]),
            format!(
                "no [project] section in sandbox/pyproject.toml; add one with dependencies = [\"name==1.2.3\"] (see {GUIDE})"
            )
        );
        assert!(
            fatal("project = 1\n", &[])
                .starts_with("`project` in sandbox/pyproject.toml is an integer, not a table")
        );
        assert!(
            fatal("[project]\nname = \"x\"\n", &[])
                .starts_with("no project.dependencies in sandbox/pyproject.toml; add")
        );
        assert!(
            fatal("[project]\ndynamic = [\"dependencies\"]\n", &[])
                .contains("dynamic dependencies are not read")
        );
        assert!(fatal("[project]\ndependencies = \"a==1\"\n", &[]).contains("is a string, not a list"));
        assert!(
            fatal("[project]\ndependencies = [\"a==1\", 3]\n", &[])
                .contains("[project.dependencies]: entry 2 is an integer, not a string")
        );
        assert!(
            fatal("[project]\ndependencies = [\"a==1\"]\noptional-dependencies = [\"x\"]\n", &[])
                .contains("project.optional-dependencies in sandbox/pyproject.toml is an array, not a table")
        );
        assert!(
            fatal("[project]\ndependencies = []\n[project.optional-dependencies]\ndev = \"x\"\n", &["dev"])
                .contains("group \"dev\" in sandbox/pyproject.toml is a string, not a list")
        );
        assert!(
            fatal(
                "[project]\ndependencies = []\n[project.optional-dependencies]\ndev = [{a = 1}]\n",
                &["dev"]
            )
            .contains("[project.optional-dependencies.dev]: entry 1 is a table")
        );
        assert!(
            fatal(b"[project]\ndependencies = [\"\xff\"]\n".as_slice(), &[])
                .starts_with("sandbox/pyproject.toml:2: pyproject file is not valid UTF-8")
        );
    }

    #[test]
    fn reports_missing_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("pyproject.toml");
        let c = check_pyproject(&missing, "pyproject.toml", &[]);
        assert_eq!(c.findings.len(), 1);
        assert_eq!(
            c.findings[0].message,
            format!(
                "pyproject file \"pyproject.toml\" does not exist (looked at {}); create it, or fix the path",
                missing.display()
            )
        );
        assert!(c.files.is_empty());
        let c = check_pyproject(dir.path(), "sandbox", &[]);
        assert!(c.findings[0].message.starts_with("pyproject path \"sandbox\" is a directory, not a file"));
        let c = check_pyproject(Path::new("/dev/null"), "null", &[]);
        assert!(c.findings[0].message.contains("a special file"));
    }

    #[test]
    fn helpers() {
        assert_eq!(normalize("Foo__Bar.-baz"), "foo-bar-baz");
        assert_eq!(a(&toml::Value::Integer(1)), "an integer");
        assert_eq!(a(&toml::Value::Boolean(true)), "a boolean");
    }
}
