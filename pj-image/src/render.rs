//! The renderer: turns the checked plan (`rules/plan.rs`, which runs every rule first)
//! into Dockerfile text, byte-compatible with Daytona's Python SDK 0.226.1
//! (`docs/daytona-contract.md` §2), and hashes the contexts. It checks nothing itself.

use std::path::PathBuf;

use crate::call::{Call, PipOptions};
use crate::context::{self, Context};
use crate::quote::{exec_form, py_json_list, shlex_quote};
use crate::rules::plan::{self, Step};
use crate::rules::python;
use crate::{Rule, Site, Violation, Violations};

/// A checked, rendered definition: what Daytona's `POST /snapshots` needs
/// (`buildInfo.dockerfileContent` and `contextHashes`) and what the tools built on
/// pj-image need to track and upload.
///
/// ```
/// let rendered = pj_image::Image::base("alpine:3.19").run_commands(["echo hi"]).render().unwrap();
/// assert_eq!(rendered.dockerfile, "FROM alpine:3.19\nRUN echo hi\n");
/// assert!(rendered.contexts.is_empty());
/// assert!(rendered.build_key().starts_with("daytona-"));
/// ```
///
/// Each context is the one [`Context`] record, hashed:
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # std::fs::create_dir(dir.path().join("ctx")).unwrap();
/// # std::fs::write(dir.path().join("ctx/file.txt"), "hello\n").unwrap();
/// let rendered = pj_image::Image::base("ubuntu:22.04")
///     .context_root(dir.path())
///     .add_local_file("ctx/file.txt", "/app/file.txt")
///     .render()
///     .unwrap();
/// let ctx = &rendered.contexts[0];
/// assert_eq!(ctx.archive_path, "ctx/file.txt");
/// assert_eq!(ctx.md5, "0062767e43a7b98b63a594b2504ce32c"); // docs/daytona-contract.md §2.5 Ex1
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The Dockerfile text.
    pub dockerfile: String,
    /// The build contexts, in builder order (duplicates kept, as the SDK keeps them).
    pub contexts: Vec<Context>,
    /// Files the rules read besides the contexts (requirements files, `pyproject.toml`),
    /// absolute, so a build tool can re-run the checks when one changes.
    pub files: Vec<PathBuf>,
}

impl Rendered {
    /// The context hashes in builder order: `buildInfo.contextHashes`
    /// ([`context_hashes`](daytona_contract::context_hashes)).
    pub fn context_hashes(&self) -> Vec<String> {
        daytona_contract::context_hashes(&self.contexts).into_iter().map(str::to_owned).collect()
    }

    /// The key Daytona's server builds this definition under (the snapshot's
    /// `buildInfo.snapshotRef`); see [`build_key`](crate::build_key).
    pub fn build_key(&self) -> String {
        crate::build_key(&self.dockerfile, &daytona_contract::context_hashes(&self.contexts))
    }
}

/// The checked plan, rendered: the Dockerfile of the steps that passed their checks,
/// with the contexts, violations and files of the check pass.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) dockerfile: String,
    /// The contexts with the call that copies them; `render` fills in their hashes once
    /// the plan has no violations.
    pub(crate) contexts: Vec<(usize, Context)>,
    pub(crate) violations: Vec<Violation>,
    pub(crate) files: Vec<PathBuf>,
}

/// Checks the calls, then renders the steps that passed.
pub(crate) fn plan(calls: &[Call]) -> Plan {
    let checked = plan::check(calls);
    let mut dockerfile = String::new();
    for step in &checked.steps {
        // Text from a Dockerfile may end without a newline; what follows starts a line.
        if !dockerfile.is_empty() && !dockerfile.ends_with('\n') {
            dockerfile.push('\n');
        }
        if let Step::Text(text) = step {
            dockerfile.push_str(text);
            continue;
        }
        for line in lines(step) {
            dockerfile.push_str(&line);
            dockerfile.push('\n');
        }
    }
    Plan { dockerfile, contexts: checked.contexts, violations: checked.violations, files: checked.files }
}

pub(crate) fn render(calls: &[Call], cache: &mut context::HashCache) -> Result<Rendered, Violations> {
    let plan = plan(calls);
    if !plan.violations.is_empty() {
        return Err(Violations(plan.violations));
    }
    let mut contexts = Vec::with_capacity(plan.contexts.len());
    let mut violations = Vec::new();
    for (call, mut c) in plan.contexts {
        // The patterns were compiled by the check pass.
        let exclude = c.exclusion().unwrap_or_default();
        match cache.hash(c.source_path(), &c.archive_path, &exclude) {
            Ok(md5) => {
                c.md5 = md5.into();
                contexts.push(c);
            }
            Err(e) => violations.push(Violation::new(
                Rule::ContextUnreadable,
                Site::arg(call, 0),
                c.archive_path.to_string(),
                format!(
                    "cannot read context {:?} ({e}); check that it is readable and retry",
                    c.archive_path
                ),
            )),
        }
    }
    if !violations.is_empty() {
        return Err(Violations(violations));
    }
    Ok(Rendered { dockerfile: plan.dockerfile, contexts, files: plan.files })
}

/// The Dockerfile lines of one checked step.
fn lines(step: &Step) -> Vec<String> {
    match step {
        Step::From(reference) => vec![format!("FROM {reference}")],
        Step::DebianSlim(version) => vec![
            format!("FROM {}", python::debian_slim_base(version)),
            "RUN apt-get update".to_owned(),
            "RUN apt-get install -y gcc gfortran build-essential".to_owned(),
            "RUN pip install --upgrade pip".to_owned(),
            "RUN echo 'debconf debconf/frontend select Noninteractive' | debconf-set-selections".to_owned(),
        ],
        Step::PipInstall(packages, options) => {
            // Sorted as the SDK sorts them.
            let mut sorted: Vec<&str> = packages.iter().map(String::as_str).collect();
            sorted.sort_unstable();
            let joined: Vec<String> = sorted.iter().map(|s| shlex_quote(s)).collect();
            vec![format!("RUN python -m pip install {}{}", joined.join(" "), pip_options(options))]
        }
        Step::PipRequirements(archive, options) => {
            // The SDK writes this COPY unquoted, which breaks on blanks, quotes and
            // backslashes; those get the JSON form instead.
            let plain = !archive.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\'));
            let copy = if plain {
                format!("COPY {archive} /.requirements.txt")
            } else {
                format!("COPY {}", py_json_list(&[archive.as_str(), "/.requirements.txt"]))
            };
            vec![copy, format!("RUN python -m pip install -r /.requirements.txt{}", pip_options(options))]
        }
        Step::Copy(archive, remote) => {
            vec![format!("COPY {}", py_json_list(&[archive.as_str(), remote.as_str()]))]
        }
        Step::Run(command) => vec![format!("RUN {command}")],
        Step::AptInstall(packages) => {
            let mut sorted: Vec<&str> = packages.iter().map(String::as_str).collect();
            sorted.sort_unstable();
            sorted.dedup();
            vec![format!(
                "RUN apt-get update && apt-get install -y --no-install-recommends {} && rm -rf /var/lib/apt/lists/*",
                sorted.join(" ")
            )]
        }
        Step::Env(key, value) => vec![format!("ENV {key}={}", shlex_quote(value))],
        Step::Workdir(path) => vec![format!("WORKDIR {}", shlex_quote(path))],
        Step::Entrypoint(args) => vec![format!("ENTRYPOINT {}", exec_form(args))],
        Step::Cmd(args) => vec![format!("CMD {}", exec_form(args))],
        Step::Text(text) => vec![text.clone()],
    }
}

/// The options' suffix of a pip install line, in the SDK's fixed order.
fn pip_options(o: &PipOptions) -> String {
    let mut extra = String::new();
    for f in &o.find_links {
        extra.push_str(&format!(" --find-links {}", shlex_quote(f)));
    }
    if let Some(i) = o.index_url.as_deref().filter(|i| !i.is_empty()) {
        extra.push_str(&format!(" --index-url {}", shlex_quote(i)));
    }
    for e in &o.extra_index_urls {
        extra.push_str(&format!(" --extra-index-url {}", shlex_quote(e)));
    }
    if o.pre {
        extra.push_str(" --pre");
    }
    if !o.extra_options.is_empty() {
        extra.push(' ');
        extra.push_str(py_strip(&o.extra_options));
    }
    extra
}

/// Python's `str.strip()`: Unicode whitespace plus the ASCII separators `\x1c`–`\x1f`.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn py_strip_matches_python() {
        assert_eq!(py_strip("  --a \t\n"), "--a");
        assert_eq!(py_strip("\u{1c}x\u{1f}"), "x");
    }
}
