//! The renderer: turns the recorded calls into Dockerfile lines, contexts and
//! violations, byte-compatible with Daytona's Python SDK 0.226.1 (`docs/daytona-contract.md` §2).

use std::path::{Path, PathBuf};

use crate::context::{self, Context, ContextKind};
use crate::image::{Call, Image, PipOptions};
use crate::quote::{exec_form, py_json_list, shlex_quote};
use crate::rules::provision::Tracker;
use crate::rules::{Finding, apt, pip, pyproject, reference, requirements, text};
use crate::{PipOptionField, Rule, Site, Violation, Violations};

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

#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) dockerfile: String,
    /// The contexts with the call that copies them; `render` fills in their hashes once
    /// the plan has no violations.
    pub(crate) contexts: Vec<(usize, Context)>,
    pub(crate) violations: Vec<Violation>,
    pub(crate) files: Vec<PathBuf>,
}

/// The SDK's pinned micro versions for `debian_slim` (`docs/daytona-contract.md` §2.2).
const PYTHON_SERIES: [(&str, &str); 5] =
    [("3.9", "3.9.22"), ("3.10", "3.10.17"), ("3.11", "3.11.12"), ("3.12", "3.12.10"), ("3.13", "3.13.3")];

struct Planner {
    root: PathBuf,
    plan: Plan,
    /// Remote paths of the files copied so far, for checking requirements includes.
    copied: Vec<String>,
    entrypoints: usize,
    cmds: usize,
    /// What the steps so far provide, for the base-aware rules.
    provides: Tracker,
}

impl Planner {
    fn line(&mut self, line: &str) {
        self.plan.dockerfile.push_str(line);
        self.plan.dockerfile.push('\n');
    }

    fn report(&mut self, site: Site, value: &str, finding: Finding) {
        self.plan.violations.push(Violation::new(finding.rule, site, value, finding.message));
    }

    /// Reports the finding if any and tells whether the check passed.
    fn check(&mut self, site: Site, value: &str, result: Result<(), Finding>) -> bool {
        match result {
            Ok(()) => true,
            Err(f) => {
                self.report(site, value, f);
                false
            }
        }
    }
}

fn root_of(image: &Image) -> PathBuf {
    let explicit = image.calls.iter().rev().find_map(|c| match c {
        Call::ContextRoot(dir) => Some(dir.clone()),
        _ => None,
    });
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match explicit {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => cwd.join(dir),
        None => cwd,
    }
}

pub(crate) fn plan(image: &Image) -> Plan {
    let mut p = Planner {
        root: root_of(image),
        plan: Plan::default(),
        copied: Vec::new(),
        entrypoints: 0,
        cmds: 0,
        provides: Tracker::default(),
    };
    let mut allowed = Vec::new();
    for (call, c) in image.calls.iter().enumerate() {
        match c {
            Call::Base(r) => base(&mut p, call, r),
            Call::DebianSlim(v) => debian_slim(&mut p, call, v),
            Call::PipInstall(pkgs, opts) => {
                let packages: Vec<(Site, String)> =
                    pkgs.iter().enumerate().map(|(i, s)| (Site::item(call, 0, i), s.clone())).collect();
                pip_install(&mut p, call, 1, &packages, opts, "pip_install");
            }
            Call::PipRequirements(path, opts) => pip_requirements(&mut p, call, path, opts),
            Call::PipPyproject(path, groups, opts) => pip_pyproject(&mut p, call, path, groups, opts),
            Call::AddLocalFile(local, remote) => add_local(&mut p, call, local, remote, ContextKind::File),
            Call::AddLocalDir(local, remote) => add_local(&mut p, call, local, remote, ContextKind::Dir),
            Call::RunCommands(cmds) => run_commands(&mut p, call, cmds),
            Call::AptInstall(pkgs) => apt_install(&mut p, call, pkgs),
            Call::Allow(rule) => match crate::rules::allowable(rule.id()) {
                Ok(rule) => allowed.push(rule),
                Err(f) => p.report(Site::arg(call, 0), rule.id(), f),
            },
            Call::Env(pairs) => env(&mut p, call, pairs),
            Call::Workdir(path) => workdir(&mut p, call, path),
            Call::Entrypoint(args) => {
                p.entrypoints += 1;
                let seen = p.entrypoints;
                exec_instruction(&mut p, call, "ENTRYPOINT", args, seen);
            }
            Call::Cmd(args) => {
                p.cmds += 1;
                let seen = p.cmds;
                exec_instruction(&mut p, call, "CMD", args, seen);
            }
            Call::ContextRoot(_) => {}
        }
    }
    p.plan.violations.retain(|v| !allowed.contains(&v.rule));
    p.plan
}

pub(crate) fn render(image: &Image) -> Result<Rendered, Violations> {
    let plan = plan(image);
    if !plan.violations.is_empty() {
        return Err(Violations(plan.violations));
    }
    let mut contexts = Vec::with_capacity(plan.contexts.len());
    let mut violations = Vec::new();
    for (call, mut c) in plan.contexts {
        match context::hash(c.source_path(), &c.archive_path) {
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

/// A context as planned: everything but its hash, which `render` computes.
fn planned(source: &Path, archive: String, kind: ContextKind) -> Context {
    Context::new(source.to_string_lossy().into_owned(), archive, kind, "")
}

fn base(p: &mut Planner, call: usize, reference: &str) {
    let site = Site::arg(call, 0);
    if !p.check(site, reference, text::raw_line(reference, "base image")) {
        return;
    }
    if let Err(f) = reference::check_base(reference) {
        p.report(site, reference, f);
    }
    p.provides = Tracker::from_base(reference);
    p.line(&format!("FROM {reference}"));
}

fn debian_slim(p: &mut Planner, call: usize, version: &str) {
    let site = Site::arg(call, 0);
    match python_version(version) {
        Ok(v) => {
            // The SDK's setup lines after FROM change nothing the base-aware rules follow.
            p.provides = Tracker::from_base(&format!("python:{v}-slim-bookworm"));
            p.line(&format!("FROM python:{v}-slim-bookworm"));
            p.line("RUN apt-get update");
            p.line("RUN apt-get install -y gcc gfortran build-essential");
            p.line("RUN pip install --upgrade pip");
            p.line("RUN echo 'debconf debconf/frontend select Noninteractive' | debconf-set-selections");
        }
        Err(f) => p.report(site, version, f),
    }
}

/// The SDK's `__process_python_version`: `^3(\.\d{1,2}){1,2}(rc\d*)?$`, a supported
/// series, and the pinned micro version for `major.minor`.
fn python_version(version: &str) -> Result<String, Finding> {
    let supported = "supported series are 3.9, 3.10, 3.11, 3.12 and 3.13, e.g. \"3.12\" or \"3.12.1\"";
    let (numbers, rc) = match version.find("rc") {
        Some(i) => (&version[..i], Some(&version[i + 2..])),
        None => (version, None),
    };
    let parts: Vec<&str> = numbers.split('.').collect();
    let well_formed = parts.len() >= 2
        && parts.len() <= 3
        && parts[0] == "3"
        && parts[1..].iter().all(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
        && rc.is_none_or(|r| r.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(Finding::new(
            Rule::PythonVersion,
            format!("invalid Python version {version:?}; {supported}"),
        ));
    }
    // The SDK takes the series from the first two dot components, rc suffix included.
    let series: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let Some((_, micro)) = PYTHON_SERIES.iter().find(|(s, _)| *s == series) else {
        return Err(Finding::new(
            Rule::PythonVersion,
            format!("unsupported Python version {version:?}; Daytona's {supported}"),
        ));
    };
    Ok(if parts.len() == 3 { version.to_owned() } else { (*micro).to_owned() })
}

/// Python's `str.strip()`: Unicode whitespace plus the ASCII separators `\x1c`–`\x1f`.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// Checks the options and renders their suffix, or `None` when a value would break the line.
fn pip_extra(p: &mut Planner, call: usize, arg: usize, o: &PipOptions) -> Option<String> {
    let mut ok = true;
    let site = |field: PipOptionField| Site::item(call, arg, field as usize);
    let mut value = |p: &mut Planner, field: PipOptionField, flag: &str, v: &str| {
        let what = format!("pip option {flag}");
        if !p.check(site(field), v, text::single_line(v, &what))
            || !p.check(site(field), v, text::no_heredoc(v, &what, Rule::RunHeredoc))
        {
            ok = false;
        } else if v.trim().is_empty() {
            p.report(
                site(field),
                v,
                Finding::new(
                    Rule::PipOption,
                    format!("pip option {flag} is empty; give a URL or path, or leave it out"),
                ),
            );
        }
    };
    for f in &o.find_links {
        value(p, PipOptionField::FindLinks, "--find-links", f);
    }
    if let Some(i) = &o.index_url {
        value(p, PipOptionField::IndexUrl, "--index-url", i);
    }
    for e in &o.extra_index_urls {
        value(p, PipOptionField::ExtraIndexUrls, "--extra-index-url", e);
    }
    let extra_site = site(PipOptionField::ExtraOptions);
    if !p.check(extra_site, &o.extra_options, text::raw_line(&o.extra_options, "pip extra_options"))
        || !p.check(
            extra_site,
            &o.extra_options,
            text::no_heredoc(&o.extra_options, "pip extra_options", Rule::RunHeredoc),
        )
    {
        ok = false;
    }
    if !ok {
        return None;
    }
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
    Some(extra)
}

/// `RUN python -m pip install <sorted packages><options>`; nothing for an empty list.
/// `method` is the builder method; only `pip_install` needs its pins checked here (a
/// pyproject's were checked at their source).
fn pip_install(
    p: &mut Planner,
    call: usize,
    options_arg: usize,
    packages: &[(Site, String)],
    o: &PipOptions,
    method: &str,
) {
    let check_pins = method == "pip_install";
    let mut ok = true;
    for (site, pkg) in packages {
        if !p.check(*site, pkg, text::single_line(pkg, "pip package"))
            || !p.check(*site, pkg, text::no_heredoc(pkg, "pip package", Rule::RunHeredoc))
        {
            ok = false;
        } else if check_pins {
            p.check(*site, pkg, pip::check_requirement(pkg));
        }
    }
    let extra = pip_extra(p, call, options_arg, o);
    if !packages.is_empty()
        && let Some(f) = p.provides.pip(method, &o.extra_options)
    {
        p.report(Site::arg(call, 0), &packages[0].1, f);
    }
    if packages.is_empty() && check_pins {
        p.report(
            Site::arg(call, 0),
            "[]",
            Finding::new(
                Rule::Empty,
                "pip_install without packages installs nothing; list packages or remove the call",
            ),
        );
    }
    if packages.is_empty() || !ok {
        return;
    }
    let Some(extra) = extra else { return };
    let mut sorted: Vec<&str> = packages.iter().map(|(_, s)| s.as_str()).collect();
    sorted.sort_unstable();
    let joined: Vec<String> = sorted.iter().map(|s| shlex_quote(s)).collect();
    p.line(&format!("RUN python -m pip install {}{extra}", joined.join(" ")));
}

/// Resolves a local path: its archive path and absolute source, or reports why not.
fn local(p: &mut Planner, site: Site, local: &str) -> Option<(String, PathBuf)> {
    match crate::rules::context::archive_path(local) {
        Ok(archive) => {
            let source = if archive == "." { p.root.clone() } else { p.root.join(&archive) };
            Some((archive, source))
        }
        Err(f) => {
            p.report(site, local, f);
            None
        }
    }
}

fn missing(p: &mut Planner, site: Site, local: &str, source: &Path, what: &str) -> bool {
    if source.is_file() {
        return false;
    }
    let message = if source.exists() {
        format!("`{local}` is a directory, but a {what} is expected; point at the file")
    } else {
        format!(
            "{what} `{local}` does not exist (looked at {}); create it, or fix the path (it is relative to the \
             crate directory)",
            source.display()
        )
    };
    p.report(site, local, Finding::new(Rule::LocalPathMissing, message));
    true
}

/// Checks a context like Daytona can carry it ([`crate::rules::context::scan`]) and reports every
/// finding; `false` when it is missing or of the wrong kind, so the step is left out.
fn scan_context(
    p: &mut Planner,
    site: Site,
    local: &str,
    source: &Path,
    archive: &str,
    kind: ContextKind,
) -> bool {
    match crate::rules::context::scan(source, archive, kind) {
        Ok(_) => true,
        Err(findings) => {
            let fatal = findings.iter().any(|f| f.rule == Rule::LocalPathMissing);
            for f in findings {
                p.report(site, local, f);
            }
            !fatal
        }
    }
}

fn pip_requirements(p: &mut Planner, call: usize, path: &str, o: &PipOptions) {
    let site = Site::arg(call, 0);
    let Some((archive, source)) = local(p, site, path) else { return };
    // The requirements file is uploaded as a context: the same checks as add_local_file.
    if !scan_context(p, site, path, &source, &archive, ContextKind::File) {
        return;
    }
    let check = requirements::check_file(&source, path);
    for f in check.findings {
        p.report(site, path, f);
    }
    for include in &check.includes {
        let target = include.target.trim_start_matches("./");
        let in_image = if target.starts_with('/') { target.to_owned() } else { format!("/{target}") };
        if !p.copied.contains(&in_image) {
            p.report(
                site,
                path,
                Finding::new(
                    Rule::RequirementsFile,
                    format!(
                        "{path}:{}: `{} {}` names a file the image does not have: Daytona copies only {path} \
                         (to /.requirements.txt), so pip looks for {in_image}; inline its lines, or copy it first \
                         with .add_local_file(\"<path>\", {in_image:?})",
                        include.line, include.directive, include.target
                    ),
                ),
            );
        }
    }
    p.plan.files.extend(check.files);
    p.check(site, path, text::copy_path(&archive, "requirements path", true));
    let heredoc_free =
        p.check(site, path, text::no_heredoc(&archive, "requirements path", Rule::CopyPathSpecialChar));
    if let Some(f) = p.provides.pip("pip_install_from_requirements", &o.extra_options) {
        p.report(site, path, f);
    }
    let Some(extra) = pip_extra(p, call, 1, o) else { return };
    if !heredoc_free {
        return;
    }
    // The SDK writes this COPY unquoted, which breaks on blanks, quotes and backslashes;
    // those get the JSON form instead.
    let plain = !archive.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\'));
    if plain {
        p.line(&format!("COPY {archive} /.requirements.txt"));
    } else {
        p.line(&format!("COPY {}", py_json_list(&[archive.as_str(), "/.requirements.txt"])));
    }
    p.line(&format!("RUN python -m pip install -r /.requirements.txt{extra}"));
    p.plan.contexts.push((call, planned(&source, archive, ContextKind::File)));
}

fn pip_pyproject(p: &mut Planner, call: usize, path: &str, groups: &[String], o: &PipOptions) {
    let site = Site::arg(call, 0);
    let Some((_, source)) = local(p, site, path) else { return };
    if missing(p, site, path, &source, "pyproject file") {
        return;
    }
    // A file the SDK cannot read yields no dependencies, hence no line, as the SDK would raise.
    let check = pyproject::check_pyproject(&source, path, groups);
    for f in check.findings {
        p.report(site, path, f);
    }
    p.plan.files.extend(check.files);
    let packages: Vec<(Site, String)> = check.dependencies.into_iter().map(|d| (site, d)).collect();
    pip_install(p, call, 2, &packages, o, "pip_install_from_pyproject");
}

fn add_local(p: &mut Planner, call: usize, local_path: &str, remote: &str, kind: ContextKind) {
    let local_site = Site::arg(call, 0);
    let remote_site = Site::arg(call, 1);
    let mut remote = remote.to_owned();
    if kind == ContextKind::File && remote.ends_with('/') {
        // Python's `Path(local).name`: the last non-empty component.
        let name = local_path.rsplit('/').find(|s| !s.is_empty() && *s != ".").unwrap_or("");
        remote.push_str(name);
    }
    let mut renderable = p.check(remote_site, &remote, text::non_empty(&remote, "remote path"));
    if renderable {
        p.check(
            remote_site,
            &remote,
            text::absolute_in_image(&remote, Rule::RemotePathRelative, "remote path"),
        );
        p.check(remote_site, &remote, text::copy_path(&remote, "remote path", false));
    }
    renderable &=
        p.check(remote_site, &remote, text::no_heredoc(&remote, "remote path", Rule::CopyPathSpecialChar));
    let Some((archive, source)) = local(p, local_site, local_path) else { return };
    renderable &=
        p.check(local_site, local_path, text::no_heredoc(&archive, "local path", Rule::CopyPathSpecialChar));
    let ok = scan_context(p, local_site, local_path, &source, &archive, kind);
    p.check(local_site, local_path, text::copy_path(&archive, "local path", true));
    if !ok || !renderable {
        return;
    }
    p.line(&format!("COPY {}", py_json_list(&[archive.as_str(), remote.as_str()])));
    p.provides.copy(&remote);
    if kind == ContextKind::File {
        p.copied.push(remote.clone());
    }
    p.plan.contexts.push((call, planned(&source, archive, kind)));
}

fn run_commands(p: &mut Planner, call: usize, commands: &[String]) {
    for (i, command) in commands.iter().enumerate() {
        let site = Site::item(call, 0, i);
        let ok = p.check(site, command, text::non_empty(command, "run command"))
            && p.check(site, command, text::raw_line(command, "run command"))
            && p.check(site, command, text::no_heredoc(command, "run command", Rule::RunHeredoc));
        if ok {
            if let Some(f) = p.provides.run(command) {
                p.report(site, command, f);
            }
            p.line(&format!("RUN {command}"));
        }
    }
}

/// `RUN apt-get update && apt-get install -y --no-install-recommends <sorted, unique
/// packages> && rm -rf /var/lib/apt/lists/*`.
fn apt_install(p: &mut Planner, call: usize, packages: &[String]) {
    if packages.is_empty() {
        p.report(
            Site::arg(call, 0),
            "[]",
            Finding::new(
                Rule::Empty,
                "apt_install without packages installs nothing; list packages or remove the call",
            ),
        );
        return;
    }
    let mut ok = true;
    for (i, package) in packages.iter().enumerate() {
        ok &= p.check(Site::item(call, 0, i), package, apt::check_package(package));
    }
    if let Some(f) = p.provides.apt_install(packages, ok) {
        p.report(Site::arg(call, 0), &packages[0], f);
    }
    if !ok {
        return;
    }
    let mut sorted: Vec<&str> = packages.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    p.line(&format!(
        "RUN apt-get update && apt-get install -y --no-install-recommends {} && rm -rf /var/lib/apt/lists/*",
        sorted.join(" ")
    ));
}

fn env(p: &mut Planner, call: usize, pairs: &[(String, String)]) {
    use crate::Part;
    for (i, (key, value)) in pairs.iter().enumerate() {
        let key_site = Site::item(call, 0, i).part(Part::Key);
        let value_site = Site::item(call, 0, i).part(Part::Value);
        let key_ok = p.check(key_site, key, text::single_line(key, "environment variable name"));
        let value_ok = p.check(value_site, value, text::single_line(value, &format!("value of {key}")));
        if key_ok {
            p.check(key_site, key, text::env_key(key));
            if !value.is_empty() {
                p.check(key_site, key, text::env_secret(key));
            }
        }
        if key_ok && value_ok {
            p.provides.env(key, value);
            p.line(&format!("ENV {key}={}", shlex_quote(value)));
        }
    }
}

fn workdir(p: &mut Planner, call: usize, path: &str) {
    let site = Site::arg(call, 0);
    let ok = p.check(site, path, text::non_empty(path, "WORKDIR"))
        && p.check(site, path, text::single_line(path, "WORKDIR"));
    if !ok {
        return;
    }
    p.check(site, path, text::absolute_in_image(path, Rule::WorkdirRelative, "WORKDIR"));
    p.provides.workdir(path);
    p.line(&format!("WORKDIR {}", shlex_quote(path)));
}

fn exec_instruction(p: &mut Planner, call: usize, keyword: &str, args: &[String], seen: usize) {
    if seen > 1 {
        let value = format!("{args:?}");
        p.report(
            Site::arg(call, 0),
            &value,
            Finding::new(
                Rule::DuplicateInstruction,
                format!(
                    "a second {keyword}: only the last one takes effect, which hides the earlier one; \
                     keep a single .{}(...) call",
                    keyword.to_ascii_lowercase()
                ),
            ),
        );
    }
    p.line(&format!("{keyword} {}", exec_form(args)));
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values: the debian_slim table of docs/daytona-contract.md §2.2.
    #[test]
    fn python_versions_follow_the_sdk_table() {
        assert_eq!(python_version("3.9").unwrap(), "3.9.22");
        assert_eq!(python_version("3.10").unwrap(), "3.10.17");
        assert_eq!(python_version("3.11").unwrap(), "3.11.12");
        assert_eq!(python_version("3.12").unwrap(), "3.12.10");
        assert_eq!(python_version("3.13").unwrap(), "3.13.3");
        assert_eq!(python_version("3.12.1").unwrap(), "3.12.1");
        assert_eq!(python_version("3.12.0rc1").unwrap(), "3.12.0rc1");
        for bad in ["3.8", "3.14", "3.12rc1"] {
            let f = python_version(bad).unwrap_err();
            assert!(f.message.starts_with("unsupported"), "{bad}: {}", f.message);
        }
        for bad in ["4.0", "3", "", "3.x", "3.123", "3.12.1.1", "3.12 "] {
            let f = python_version(bad).unwrap_err();
            assert!(f.message.starts_with("invalid"), "{bad}: {}", f.message);
        }
    }

    #[test]
    fn py_strip_matches_python() {
        assert_eq!(py_strip("  --a \t\n"), "--a");
        assert_eq!(py_strip("\u{1c}x\u{1f}"), "x");
    }
}
