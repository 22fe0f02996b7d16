//! The check pass: walks the recorded [`Call`]s in chain order, runs every rule at the
//! [`Site`] of the argument it is about, and keeps each step whose checks passed as a
//! [`Step`] of the checked plan. The renderer (`render.rs`) only turns those steps
//! into Dockerfile text; it decides nothing (`docs/DESIGN.md` "Who owns what").
//!
//! A step that would break the Dockerfile is left out of the plan, so the Dockerfile
//! always holds exactly the instructions written, valid or not; the violations say
//! what to fix.

use std::path::{Path, PathBuf};

use crate::call::{Call, DirOptions, PipOptions};
use crate::context::{Context, ContextKind, Exclude};
use crate::rules::provision::Tracker;
use crate::rules::{
    Finding, apt, context, dockerfile, instructions, pip, pip_command, pyproject, python, reference,
    requirements, text,
};
use crate::{Part, Rule, Site, Violation};

/// One Dockerfile step whose checks passed, with the values the renderer writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// `FROM <reference>`.
    From(String),
    /// `debian_slim`'s `FROM` and setup lines, with the resolved Python version.
    DebianSlim(String),
    /// `RUN python -m pip install <packages><options>` (packages as given, not empty).
    PipInstall(Vec<String>, PipOptions),
    /// The requirements file's `COPY` (by archive path) and its install.
    PipRequirements(String, PipOptions),
    /// `COPY ["<archive path>", "<remote>"]`.
    Copy(String, String),
    /// `RUN <command>`.
    Run(String),
    /// The one-layer apt install (packages as given, not empty).
    AptInstall(Vec<String>),
    /// `ENV <key>=<value>`.
    Env(String, String),
    /// `WORKDIR <path>`.
    Workdir(String),
    /// `ENTRYPOINT [..]`.
    Entrypoint(Vec<String>),
    /// `CMD [..]`.
    Cmd(Vec<String>),
    /// Dockerfile text written by hand (`dockerfile_commands`, `from_dockerfile`), as it is.
    Text(String),
}

/// The checked plan: the steps to render, the contexts they copy, every violation in
/// chain order (allowed rules removed), and the files the rules read.
#[derive(Debug, Default)]
pub(crate) struct CheckedPlan {
    pub(crate) steps: Vec<Step>,
    /// The contexts with the call that copies them, not yet hashed (`md5` empty): the
    /// renderer hashes them once the plan has no violations.
    pub(crate) contexts: Vec<(usize, Context)>,
    pub(crate) violations: Vec<Violation>,
    pub(crate) files: Vec<PathBuf>,
}

struct Checker {
    root: PathBuf,
    plan: CheckedPlan,
    /// Remote paths of the files copied so far, for checking requirements includes.
    copied: Vec<String>,
    entrypoints: usize,
    cmds: usize,
    /// What the steps so far provide, for the base-aware rules.
    provides: Tracker,
}

impl Checker {
    fn step(&mut self, step: Step) {
        self.plan.steps.push(step);
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

/// The directory local paths resolve against: the last `context_root`, made absolute,
/// or the current directory.
fn root_of(calls: &[Call]) -> PathBuf {
    let explicit = calls.iter().rev().find_map(|c| match c {
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

/// Checks every call, in chain order, and plans the steps that passed.
pub(crate) fn check(calls: &[Call]) -> CheckedPlan {
    let mut p = Checker {
        root: root_of(calls),
        plan: CheckedPlan::default(),
        copied: Vec::new(),
        entrypoints: 0,
        cmds: 0,
        provides: Tracker::default(),
    };
    let mut allowed = Vec::new();
    for (call, c) in calls.iter().enumerate() {
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
            Call::AddLocalFile(local, remote) => add_local(&mut p, call, local, remote, None),
            Call::AddLocalDir(local, remote, options) => {
                add_local(&mut p, call, local, remote, Some(options))
            }
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
                if p.entrypoints > 1 {
                    p.report(Site::arg(call, 0), &format!("{args:?}"), instructions::duplicate("ENTRYPOINT"));
                }
                p.step(Step::Entrypoint(args.clone()));
            }
            Call::Cmd(args) => {
                p.cmds += 1;
                if p.cmds > 1 {
                    p.report(Site::arg(call, 0), &format!("{args:?}"), instructions::duplicate("CMD"));
                }
                p.step(Step::Cmd(args.clone()));
            }
            Call::FromDockerfile(path) => from_dockerfile(&mut p, call, path),
            Call::DockerfileCommands(lines, dir) => dockerfile_commands(&mut p, call, lines, dir),
            Call::ContextRoot(_) => {}
        }
    }
    p.plan.violations.retain(|v| !allowed.contains(&v.rule));
    p.plan
}

fn base(p: &mut Checker, call: usize, reference: &str) {
    let site = Site::arg(call, 0);
    if !p.check(site, reference, text::raw_line(reference, "base image")) {
        return;
    }
    if let Err(f) = reference::check_base(reference) {
        p.report(site, reference, f);
    }
    p.provides = Tracker::from_base(reference);
    p.step(Step::From(reference.to_owned()));
}

fn debian_slim(p: &mut Checker, call: usize, version: &str) {
    match python::resolve_version(version) {
        Ok(v) => {
            // The SDK's setup lines after FROM change nothing the base-aware rules follow.
            p.provides = Tracker::from_base(&python::debian_slim_base(&v));
            p.step(Step::DebianSlim(v));
        }
        Err(f) => p.report(Site::arg(call, 0), version, f),
    }
}

/// Checks the options at their fields; `false` when a value would break the line.
fn pip_options(p: &mut Checker, call: usize, arg: usize, o: &PipOptions) -> bool {
    let (findings, renderable) = pip::check_options(o);
    for (field, value, finding) in findings {
        p.report(Site::item(call, arg, field.item()), &value, finding);
    }
    renderable
}

/// A pip install of `packages`; `method` is the builder method. Only `pip_install`
/// needs its pins checked here (a pyproject's were checked at their source).
fn pip_install(
    p: &mut Checker,
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
    let options_ok = pip_options(p, call, options_arg, o);
    if !packages.is_empty()
        && let Some(f) = p.provides.pip(method, &o.extra_options)
    {
        p.report(Site::arg(call, 0), &packages[0].1, f);
    }
    if packages.is_empty() && check_pins {
        p.report(Site::arg(call, 0), "[]", instructions::nothing_to_install(method));
    }
    if packages.is_empty() || !ok || !options_ok {
        return;
    }
    let packages = packages.iter().map(|(_, s)| s.clone()).collect();
    p.step(Step::PipInstall(packages, o.clone()));
}

/// Resolves a local path: its archive path and absolute source, or reports why not.
fn local(p: &mut Checker, site: Site, local: &str) -> Option<(String, PathBuf)> {
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

/// Checks a context like Daytona can carry it ([`crate::rules::context::scan`]) and reports every
/// finding; `false` when it is missing or of the wrong kind, so the step is left out.
fn scan_context(
    p: &mut Checker,
    site: Site,
    local: &str,
    source: &Path,
    archive: &str,
    kind: ContextKind,
    exclude: &Exclude,
) -> bool {
    match context::scan_excluding(source, archive, kind, exclude) {
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

fn pip_requirements(p: &mut Checker, call: usize, path: &str, o: &PipOptions) {
    let site = Site::arg(call, 0);
    let Some((archive, source)) = local(p, site, path) else { return };
    // The requirements file is uploaded as a context: the same checks as add_local_file.
    if !scan_context(p, site, path, &source, &archive, ContextKind::File, &Exclude::none()) {
        return;
    }
    let check = requirements::check_file(&source, path);
    for f in check.findings {
        p.report(site, path, f);
    }
    for include in &check.includes {
        if let Some(f) = include.missing_in_image(path, &p.copied) {
            p.report(site, path, f);
        }
    }
    p.plan.files.extend(check.files);
    p.check(site, path, text::copy_path(&archive, "requirements path", true));
    let heredoc_free =
        p.check(site, path, text::no_heredoc(&archive, "requirements path", Rule::CopyPathSpecialChar));
    if let Some(f) = p.provides.pip("pip_install_from_requirements", &o.extra_options) {
        p.report(site, path, f);
    }
    if !pip_options(p, call, 1, o) || !heredoc_free {
        return;
    }
    p.step(Step::PipRequirements(archive.clone(), o.clone()));
    p.plan.contexts.push((call, planned(&source, archive, ContextKind::File)));
}

fn pip_pyproject(p: &mut Checker, call: usize, path: &str, groups: &[String], o: &PipOptions) {
    let site = Site::arg(call, 0);
    let Some((_, source)) = local(p, site, path) else { return };
    if let Err(f) = pyproject::expect_file(path, &source) {
        p.report(site, path, f);
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

/// `add_local_file` (`dir: None`) or `add_local_dir_with` (its options).
fn add_local(p: &mut Checker, call: usize, local_path: &str, remote: &str, dir: Option<&DirOptions>) {
    let kind = if dir.is_some() { ContextKind::Dir } else { ContextKind::File };
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
    // What a directory leaves out; a missing one is reported by the scan below.
    let exclude = match dir {
        Some(options) if source.is_dir() => {
            match context::exclusion(&source, &archive, &options.exclude, options.dockerignore) {
                Ok(exclude) => exclude,
                Err((at, finding)) => {
                    let (site, value) = match at {
                        Some(i) => (Site::item(call, 2, i), options.exclude[i].as_str()),
                        None => (Site { call, arg: 2, item: None, part: Part::Value }, ".dockerignore"),
                    };
                    p.report(site, value, finding);
                    return;
                }
            }
        }
        _ => Exclude::none(),
    };
    let ok = scan_context(p, local_site, local_path, &source, &archive, kind, &exclude);
    p.check(local_site, local_path, text::copy_path(&archive, "local path", true));
    if !ok || !renderable {
        return;
    }
    p.step(Step::Copy(archive.clone(), remote.clone()));
    p.provides.copy(&remote);
    if kind == ContextKind::File {
        p.copied.push(remote);
    }
    let planned = planned(&source, archive, kind).excluding(exclude.patterns().to_vec());
    p.plan.contexts.push((call, planned));
}

fn run_commands(p: &mut Checker, call: usize, commands: &[String]) {
    for (i, command) in commands.iter().enumerate() {
        let site = Site::item(call, 0, i);
        let ok = p.check(site, command, text::non_empty(command, "run command"))
            && p.check(site, command, text::raw_line(command, "run command"))
            && p.check(site, command, text::no_heredoc(command, "run command", Rule::RunHeredoc));
        if ok {
            if let Some(f) = p.provides.run(command) {
                p.report(site, command, f);
            }
            for f in pip_command::check_run(command) {
                p.report(site, command, f);
            }
            p.step(Step::Run(command.clone()));
        }
    }
}

fn apt_install(p: &mut Checker, call: usize, packages: &[String]) {
    if packages.is_empty() {
        p.report(Site::arg(call, 0), "[]", instructions::nothing_to_install("apt_install"));
        return;
    }
    let mut ok = true;
    for (i, package) in packages.iter().enumerate() {
        ok &= p.check(Site::item(call, 0, i), package, apt::check_package(package));
    }
    if let Some(f) = p.provides.apt_install(packages, ok) {
        p.report(Site::arg(call, 0), &packages[0], f);
    }
    if ok {
        p.step(Step::AptInstall(packages.to_vec()));
    }
}

fn env(p: &mut Checker, call: usize, pairs: &[(String, String)]) {
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
            p.step(Step::Env(key.clone(), value.clone()));
        }
    }
}

fn workdir(p: &mut Checker, call: usize, path: &str) {
    let site = Site::arg(call, 0);
    let ok = p.check(site, path, text::non_empty(path, "WORKDIR"))
        && p.check(site, path, text::single_line(path, "WORKDIR"));
    if !ok {
        return;
    }
    p.check(site, path, text::absolute_in_image(path, Rule::WorkdirRelative, "WORKDIR"));
    p.provides.workdir(path);
    p.step(Step::Workdir(path.to_owned()));
}

/// A context as planned: everything but its hash, which the renderer computes.
fn planned(source: &Path, archive: String, kind: ContextKind) -> Context {
    Context::new(source.to_string_lossy().into_owned(), archive, kind, "")
}

fn from_dockerfile(p: &mut Checker, call: usize, path: &str) {
    let site = Site::arg(call, 0);
    let Some((archive, source)) = local(p, site, path) else { return };
    if !scan_context(p, site, path, &source, &archive, ContextKind::File, &Exclude::none()) {
        return;
    }
    p.plan.files.push(source.clone());
    let text = match std::fs::read_to_string(&source) {
        // Python's `read_text()` reads CRLF and CR line ends as LF.
        Ok(text) => text.replace("\r\n", "\n").replace('\r', "\n"),
        Err(e) => {
            let message = format!("cannot read the Dockerfile `{path}` ({e}); make it a readable UTF-8 file");
            p.report(site, path, Finding::new(Rule::DockerfileInstruction, message));
            return;
        }
    };
    // COPY sources are relative to the Dockerfile's directory.
    let dir = source.parent().map_or_else(|| p.root.clone(), Path::to_path_buf);
    let dir_shown = archive.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
    for (line, name, value) in dockerfile::directives(&text) {
        if let Err(f) = dockerfile::check_directive(&name, &value) {
            p.report(site, path, prefixed(f, &format!("{path}:{line}: ")));
        }
    }
    let at = |line: usize| (site, format!("{path}:{line}: "));
    if hand_written(p, &text, &dir, &dir_shown, &at) {
        p.step(Step::Text(text));
    }
}

fn dockerfile_commands(p: &mut Checker, call: usize, lines: &[String], context_dir: &str) {
    if lines.is_empty() {
        p.report(
            Site::arg(call, 0),
            "[]",
            Finding::new(
                Rule::Empty,
                "dockerfile_commands has no lines; give it instructions, or remove the call",
            ),
        );
    }
    let (dir, dir_shown) = if context_dir.is_empty() {
        (p.root.clone(), String::new())
    } else {
        let dir_site = Site::arg(call, 1);
        let Some((archive, source)) = local(p, dir_site, context_dir) else { return };
        if !source.is_dir() {
            let message = format!(
                "context directory `{context_dir}` does not exist or is not a directory; create it, or fix \
                 the path (it is relative to the crate directory; \"\" is the crate directory itself)"
            );
            p.report(dir_site, context_dir, Finding::new(Rule::LocalPathMissing, message));
            return;
        }
        (source, archive)
    };
    // The physical lines of each literal, to point at the one an instruction starts on.
    let mut item_of_line = Vec::new();
    for (item, line) in lines.iter().enumerate() {
        item_of_line.extend(std::iter::repeat_n(item, line.split('\n').count()));
    }
    let text = lines.join("\n");
    let at = |line: usize| {
        let item = item_of_line.get(line.saturating_sub(1)).copied().unwrap_or(0);
        (Site::item(call, 0, item), String::new())
    };
    if hand_written(p, &text, &dir, &dir_shown, &at) {
        p.step(Step::Text(text + "\n"));
    }
}

/// `finding` with `prefix` (a file and line) before its message.
fn prefixed(finding: Finding, prefix: &str) -> Finding {
    Finding::new(finding.rule, format!("{prefix}{}", finding.message))
}

/// Checks hand-written Dockerfile `text` with the builder's rules and plans the contexts
/// its `COPY` lines upload. `dir` is the directory `COPY` sources are relative to
/// (`dir_shown`, relative to the context root, for messages); `at(line)` is where a
/// finding about a physical line is reported, with the prefix of its message. `false`
/// when the text would break the Dockerfile after it.
fn hand_written(
    p: &mut Checker,
    text: &str,
    dir: &Path,
    dir_shown: &str,
    at: &dyn Fn(usize) -> (Site, String),
) -> bool {
    let mut renderable = true;
    let mut stages: Vec<String> = Vec::new();
    for i in dockerfile::read(text) {
        let (site, prefix) = at(i.line);
        let value = format!("{} {}", i.keyword, i.args);
        let report = |p: &mut Checker, f: Finding| p.report(site, &value, prefixed(f, &prefix));
        let checked = match dockerfile::check(&i) {
            Ok(checked) => checked,
            Err(f) => {
                renderable &= f.rule != Rule::MultiLine;
                report(p, f);
                continue;
            }
        };
        match checked {
            dockerfile::Checked::From { image, stage } => {
                let lower = image.to_ascii_lowercase();
                if lower != "scratch" && !stages.contains(&lower) {
                    if let Err(f) = reference::check_base(&image) {
                        report(p, f);
                    }
                    p.provides = Tracker::from_base(&image);
                } else {
                    p.provides = Tracker::default();
                }
                stages.extend(stage);
            }
            dockerfile::Checked::Run(command) => {
                if let Some(f) = p.provides.run(&command) {
                    report(p, f);
                }
                for f in pip_command::check_run(&command) {
                    report(p, f);
                }
            }
            dockerfile::Checked::Copy { from_stage: true, .. } => {}
            dockerfile::Checked::Copy { sources, add, .. } => {
                for src in sources {
                    if add {
                        if !dockerfile::is_remote(&src) {
                            let message = format!(
                                "ADD {src:?}: Daytona's SDK uploads the sources of COPY lines only, so the build \
                                 would not find {src:?}; use COPY"
                            );
                            report(p, Finding::new(Rule::DockerfileInstruction, message));
                        }
                        continue;
                    }
                    if let Some(f) = copy_source(p, site.call, &src, dir, dir_shown) {
                        report(p, f);
                    }
                }
            }
            dockerfile::Checked::Env(pairs) => {
                for (key, value) in pairs {
                    if let Err(f) = text::env_key(&key) {
                        report(p, f);
                    } else if !value.is_empty()
                        && let Err(f) = text::env_secret(&key)
                    {
                        report(p, f);
                    }
                    p.provides.env(&key, &value);
                }
            }
            dockerfile::Checked::Arg(args) => {
                for (key, default) in args {
                    if default.is_some_and(|d| !d.is_empty())
                        && let Err(f) = text::env_secret(&key)
                    {
                        report(p, f);
                    }
                }
            }
            dockerfile::Checked::Workdir(path) => p.provides.workdir(&path),
            dockerfile::Checked::Other => {}
        }
    }
    renderable
}

/// Checks one `COPY` source of hand-written instructions and plans its context: inside
/// `dir`, present, and with a name Docker takes literally (no wildcard). The archive path
/// is the source as Docker resolves it in the build context.
fn copy_source(p: &mut Checker, call: usize, src: &str, dir: &Path, dir_shown: &str) -> Option<Finding> {
    let within =
        if dir_shown.is_empty() { "the crate directory".to_owned() } else { format!("`{dir_shown}`") };
    if src.contains(['*', '?', '[']) {
        // Daytona's SDK uploads what a wildcard matches in directory-listing order, which
        // differs between file systems, and so would the hashes.
        let message = format!(
            "COPY source {src:?} is a wildcard, whose matches Daytona's SDK uploads in an order that differs \
             between machines; name the files, or their directory"
        );
        return Some(Finding::new(Rule::CopyPathSpecialChar, message));
    }
    if let Err(f) = text::copy_path(src, "COPY source", true) {
        return Some(f);
    }
    let archive = match context::archive_path(src) {
        Ok(archive) => archive,
        Err(f) => {
            let why = match f.rule {
                Rule::LocalPathOutsideRoot => "leaves",
                Rule::LocalPathAbsolute => "is absolute, so it is outside",
                _ => return Some(f),
            };
            let message = format!(
                "COPY source {src:?} {why} the context directory ({within}), and Docker copies only from \
                 the build context; move it into {within} and write it relative to that directory, or add \
                 it with add_local_file"
            );
            return Some(Finding::new(f.rule, message));
        }
    };
    let source = if archive == "." { dir.to_path_buf() } else { dir.join(&archive) };
    let shown = match (dir_shown, archive.as_str()) {
        ("", a) => a.to_owned(),
        (d, ".") => d.to_owned(),
        (d, a) => format!("{d}/{a}"),
    };
    let kind = if source.is_dir() { ContextKind::Dir } else { ContextKind::File };
    match context::scan(&source, &shown, kind) {
        Ok(_) => {
            p.plan.contexts.push((call, planned(&source, archive, kind)));
            None
        }
        Err(mut findings) => Some(findings.remove(0)),
    }
}
