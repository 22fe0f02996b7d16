//! What the steps of a definition provide, followed in chain order from a known base
//! image ([`base`]), for the inference rules: `pip-needs-python`,
//! `pip-externally-managed` and `package-manager`.
//!
//! The model is deliberately small and errs one way only: anything it cannot read (a
//! pipe, a variable, a script, a program it does not know, a package it does not
//! know) turns the facts it could change into "maybe", and a "maybe" never yields a
//! finding. A wrong error on an image that builds costs more than a missed one.

use super::Finding;
use super::base::{self, Base, PackageManager};
use super::shell::{self, Command};
use crate::Rule;

/// A fact about the image at one point of the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Have {
    No,
    Maybe,
    Yes,
}

impl Have {
    fn of(b: bool) -> Have {
        if b { Have::Yes } else { Have::No }
    }

    /// Raises the fact to at least `to`.
    fn gain(&mut self, to: Have) {
        *self = (*self).max(to);
    }
}

/// A virtual environment created by a step.
#[derive(Debug, Clone)]
struct Venv {
    dir: String,
    /// `Maybe` when its creation depends on something unsure.
    exists: Have,
    pip: Have,
}

/// What `python` or `python3` runs, found through `PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    /// A virtual environment's interpreter.
    Venv {
        dir: String,
        pip: Have,
    },
    /// The base image's own Python in /usr/local (docker-library's `python`).
    Local,
    /// The distribution's packaged Python in /usr/bin.
    System,
    Missing,
    /// Cannot tell.
    Unsure,
}

/// Where a `python` link made with `ln` points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    System,
    Local,
}

/// The Python-related facts of a known image.
#[derive(Debug, Clone)]
struct Py {
    /// docker-library's /usr/local Python (with pip, not externally managed).
    local: bool,
    sys_python3: Have,
    sys_pip: Have,
    /// The `venv` module with `ensurepip` (Debian's python3-venv).
    sys_venv: Have,
    /// A `python` command for the packaged python3 (python-is-python3; Alpine's python3).
    sys_python_cmd: Have,
    /// `EXTERNALLY-MANAGED` in the packaged Python, once it is installed.
    marker: Have,
    /// `python` links made with `ln`, by directory.
    links: Vec<(String, Target)>,
    venvs: Vec<Venv>,
    /// `ENV PATH`, split; `None` while the base's own `PATH` holds.
    path: Option<Vec<String>>,
    break_system: Have,
    /// `PYTHONPATH` is set: a pip module may come from there.
    pythonpath: bool,
    /// Destinations of `COPY` steps: a file copied there may be anything.
    copied: Vec<String>,
    /// `WORKDIR`, for relative virtual environment paths.
    workdir: String,
    /// Why a virtual environment was not created, for the message.
    failed_venv: Option<String>,
}

/// The base's `PATH`: every official image has /usr/local/bin before /usr/bin, and
/// /bin is /usr/bin on the merged-/usr releases the table covers.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The `PATH` a virtual environment at /opt/venv needs, written out in full because
/// `ENV` values are quoted and `$PATH` would not be expanded.
const VENV_PATH: &str = "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Packages known to bring no Python, pip or `python` command (Debian and Alpine
/// names). Any other package may, through its dependencies.
const NO_PYTHON: &[&str] = &[
    "bash",
    "build-base",
    "build-essential",
    "bzip2",
    "ca-certificates",
    "clang",
    "cmake",
    "coreutils",
    "curl",
    "dnsutils",
    "file",
    "findutils",
    "g++",
    "gawk",
    "gcc",
    "gettext",
    "gfortran",
    "git",
    "git-lfs",
    "gnupg",
    "grep",
    "gzip",
    "htop",
    "iproute2",
    "iputils-ping",
    "jq",
    "less",
    "libc6-dev",
    "libffi-dev",
    "libpq-dev",
    "libssl-dev",
    "libxml2-dev",
    "linux-headers",
    "locales",
    "make",
    "musl-dev",
    "nano",
    "net-tools",
    "openssh",
    "openssh-client",
    "openssl",
    "patch",
    "pkg-config",
    "postgresql-client",
    "procps",
    "ripgrep",
    "rsync",
    "sed",
    "sqlite3",
    "sudo",
    "tar",
    "tini",
    "tmux",
    "tzdata",
    "unzip",
    "vim",
    "wget",
    "xz-utils",
    "zip",
    "zlib1g-dev",
];

/// Programs that change nothing the rules follow (when no argument names Python).
const HARMLESS: &[&str] = &[
    "addgroup",
    "adduser",
    "cat",
    "cd",
    "chmod",
    "chown",
    "cp",
    "curl",
    "date",
    "echo",
    "git",
    "groupadd",
    "id",
    "ldconfig",
    "locale-gen",
    "ls",
    "mkdir",
    "mv",
    "printf",
    "pwd",
    "rm",
    "sleep",
    "touch",
    "true",
    "update-ca-certificates",
    "useradd",
    "usermod",
    "wget",
    "whoami",
];

/// Follows a definition step by step; see the module docs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tracker {
    /// The base as written, and what it provides; `None` for an unknown base.
    base: Option<(String, Base)>,
    /// `None` once Python's status is unknown.
    py: Option<Py>,
}

impl Tracker {
    /// Starts from the base image `reference`.
    pub(crate) fn from_base(reference: &str) -> Tracker {
        let Some(base) = base::lookup(reference) else { return Tracker::default() };
        let py = Py {
            local: base.python,
            sys_python3: Have::No,
            sys_pip: Have::No,
            sys_venv: Have::No,
            sys_python_cmd: Have::No,
            marker: match base.packaged_python_externally_managed {
                Some(m) => Have::of(m),
                None => Have::Maybe,
            },
            links: Vec::new(),
            venvs: Vec::new(),
            path: None,
            break_system: Have::No,
            pythonpath: false,
            copied: Vec::new(),
            workdir: "/".to_owned(),
            failed_venv: None,
        };
        Tracker { base: Some((reference.to_owned(), base)), py: Some(py) }
    }

    fn manager(&self) -> Option<PackageManager> {
        self.base.as_ref().map(|(_, b)| b.package_manager)
    }

    fn reference(&self) -> &str {
        self.base.as_ref().map_or("", |(r, _)| r.as_str())
    }

    /// `apt_install(packages)`: a `package-manager` finding on a base without apt,
    /// else what the packages provide (when they are `valid`, so the line is written).
    pub(crate) fn apt_install(&mut self, packages: &[String], valid: bool) -> Option<Finding> {
        match self.manager()? {
            PackageManager::Apt => {
                if valid {
                    let names: Vec<&str> = packages.iter().map(|p| super::apt::name(p)).collect();
                    self.install(&names, PackageManager::Apt);
                }
                None
            }
            other => Some(self.wrong_manager("apt_install runs `apt-get`", other)),
        }
    }

    fn wrong_manager(&self, what: &str, has: PackageManager) -> Finding {
        let reference = self.reference();
        let message = match has {
            PackageManager::Apk => format!(
                "{what}, but the base {reference:?} is Alpine-based and has apk, not apt: install with \
                 .run_commands([\"apk add --no-cache <packages>\"]) (Alpine names, e.g. py3-pip), or start \
                 from a Debian-based image"
            ),
            PackageManager::Apt => format!(
                "{what}, but the base {reference:?} is Debian-based and has apt, not apk: install with \
                 .apt_install([\"<packages>\"]) (Debian names, e.g. python3-venv), or start from an \
                 Alpine-based image"
            ),
            PackageManager::None => format!(
                "{what}, but the base {reference:?} has no package manager: start from an image that has \
                 one, e.g. debian:bookworm-slim"
            ),
        };
        Finding::new(Rule::PackageManager, message)
    }

    /// One `run_commands` string: a `package-manager` finding, if any, and the state
    /// after it.
    pub(crate) fn run(&mut self, line: &str) -> Option<Finding> {
        self.base.as_ref()?;
        let Some(commands) = shell::read(line) else {
            self.py = None;
            return None;
        };
        let mut finding = None;
        let mut cwd = self.py.as_ref().map(|p| p.workdir.clone());
        for command in &commands {
            if let Some(f) = self.command(command, &mut cwd)
                && finding.is_none()
            {
                finding = Some(f);
            }
        }
        finding
    }

    fn command(&mut self, command: &Command, cwd: &mut Option<String>) -> Option<Finding> {
        let words: Vec<&str> = command.invocation().iter().map(String::as_str).collect();
        let (&program, args) = words.split_first()?;
        let manager = self.manager()?;
        match program {
            "apt-get" | "apt" if manager != PackageManager::Apt => {
                let what = format!("the run command calls `{program}`");
                return command.fatal.then(|| self.wrong_manager(&what, manager));
            }
            "apk" if manager != PackageManager::Apk => {
                return command.fatal.then(|| self.wrong_manager("the run command calls `apk`", manager));
            }
            _ => {}
        }
        let py = self.py.as_mut()?;
        let known = match program {
            "apt-get" | "apt" => apt_get(py, args, command.globbed, manager),
            "apk" => apk(py, args, command.globbed),
            "cd" => {
                *cwd = match args {
                    [dir] if !command.globbed => cwd.as_deref().map(|c| join(c, dir)),
                    _ => None,
                };
                true
            }
            "set" => args.iter().all(|a| a.starts_with(['-', '+'])),
            "python"
            | "python3"
            | "/usr/bin/python3"
            | "/usr/local/bin/python"
            | "/usr/local/bin/python3" => !command.globbed && python_venv(py, program, args, cwd.as_deref()),
            "virtualenv" => !command.globbed && virtualenv(py, args, cwd.as_deref()),
            "uv" => !command.globbed && uv_venv(py, args, cwd.as_deref()),
            "ln" => !command.globbed && ln(py, args),
            "rm" if args.iter().any(|a| a.ends_with("/EXTERNALLY-MANAGED")) => {
                remove_marker(py, args);
                true
            }
            _ if HARMLESS.contains(&program) => {
                // A file download, copy or move naming Python could put one in place.
                let risky = ["cp", "mv", "rm", "curl", "wget", "git", "chmod"].contains(&program);
                !(risky
                    && args.iter().any(|a| {
                        let a = a.to_ascii_lowercase();
                        a.contains("python") || a.contains("pip") || a.contains("venv")
                    }))
            }
            _ => false,
        };
        if !known {
            self.py = None;
        }
        None
    }

    /// Installs packages (names without versions) with the base's package manager.
    fn install(&mut self, names: &[&str], manager: PackageManager) {
        let Some(py) = self.py.as_mut() else { return };
        for name in names {
            install(py, name, manager);
        }
    }

    /// `ENV key=value`.
    pub(crate) fn env(&mut self, key: &str, value: &str) {
        let Some(py) = self.py.as_mut() else { return };
        match key {
            "PATH" => py.path = Some(value.split(':').map(|e| e.trim_end_matches('/').to_owned()).collect()),
            "PIP_BREAK_SYSTEM_PACKAGES" => {
                // pip reads boolean options from the environment with strtobool.
                py.break_system = match value.trim().to_ascii_lowercase().as_str() {
                    "" | "0" | "false" | "no" | "off" | "n" | "f" => Have::No,
                    "1" | "true" | "yes" | "on" | "y" | "t" => Have::Yes,
                    _ => Have::Maybe,
                };
            }
            "PYTHONPATH" => py.pythonpath = !value.is_empty(),
            "PYTHONHOME" | "PIP_CONFIG_FILE" => self.py = None,
            _ => {}
        }
    }

    /// `WORKDIR path`.
    pub(crate) fn workdir(&mut self, path: &str) {
        if let Some(py) = self.py.as_mut() {
            py.workdir = join(&py.workdir, path);
        }
    }

    /// `COPY` to `remote`: system directories and pip's configuration may change
    /// anything; elsewhere, remember the path.
    pub(crate) fn copy(&mut self, remote: &str) {
        let Some(py) = self.py.as_mut() else { return };
        let remote = join(&py.workdir, remote);
        let system = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/root"];
        if remote == "/" || system.iter().any(|s| remote == *s || remote.starts_with(&format!("{s}/"))) {
            self.py = None;
        } else {
            py.copied.push(remote);
        }
    }

    /// A pip step (`method` is its builder name) with its `extra_options`.
    pub(crate) fn pip(&self, method: &str, extra_options: &str) -> Option<Finding> {
        let (reference, base) = self.base.as_ref()?;
        let py = self.py.as_ref()?;
        let runs = format!("{method} runs `python -m pip`");
        match py.find("python") {
            Found::Unsure | Found::Local => None,
            Found::Venv { pip: Have::Yes | Have::Maybe, .. } => None,
            Found::Venv { dir, pip: Have::No } => (!py.pythonpath).then(|| {
                needs_python(format!(
                    "{runs}, but the virtual environment {dir} was created without pip: drop --without-pip \
                     (or --no-pip) where it is created"
                ))
            }),
            Found::Missing => Some(needs_python(format!(
                "{runs}, but {}: {}",
                missing(py, reference),
                fix(base.package_manager)
            ))),
            Found::System => match py.sys_pip {
                Have::Maybe => None,
                Have::No if py.pythonpath => None,
                Have::No => {
                    let pip =
                        if base.package_manager == PackageManager::Apk { "py3-pip" } else { "python3-pip" };
                    Some(needs_python(format!(
                        "{runs}, but `python` is the distribution's python3, which has no pip: {} (or install \
                         {pip})",
                        venv_fix(base.package_manager)
                    )))
                }
                Have::Yes => {
                    let flag = extra_options.split_whitespace().any(|o| o == "--break-system-packages");
                    (py.marker == Have::Yes && py.break_system == Have::No && !flag).then(|| {
                        Finding::new(
                            Rule::PipExternallyManaged,
                            format!(
                                "{runs} in the distribution's Python of {reference:?}, which is externally managed \
                                 (PEP 668), so pip refuses to install into it: {}; or pass \
                                 --break-system-packages in PipOptions::extra_options to install there anyway",
                                venv_fix(base.package_manager)
                            ),
                        )
                    })
                }
            },
        }
    }
}

fn needs_python(message: String) -> Finding {
    Finding::new(Rule::PipNeedsPython, message)
}

/// What is missing, for the `pip-needs-python` message.
fn missing(py: &Py, reference: &str) -> String {
    let path_venv = py
        .path
        .as_ref()
        .and_then(|p| p.first())
        .filter(|e| !DEFAULT_PATH.split(':').any(|d| d == e.as_str()))
        .and_then(|e| e.strip_suffix("/bin"));
    if let Some(dir) = path_venv
        && !py.venvs.iter().any(|v| v.dir == dir)
    {
        let why = match &py.failed_venv {
            Some(why) => format!(" ({why})"),
            None => String::new(),
        };
        return format!("PATH starts with {dir}/bin and no step creates a virtual environment there{why}");
    }
    if py.sys_python3 == Have::Yes {
        return "only `python3` is installed, not `python` (the distribution's python3 packages do not provide it)"
            .to_owned();
    }
    format!("the base {reference:?} has no `python`")
}

/// How to get `python` with pip, by package manager.
fn fix(manager: PackageManager) -> String {
    match manager {
        PackageManager::Apt => format!(
            "install Python first (.apt_install([\"python3-venv\"])), create a virtual environment with \
             .run_commands([\"python3 -m venv /opt/venv\"]) and put /opt/venv/bin first on PATH with \
             .env([(\"PATH\", \"{VENV_PATH}\")]), or start from an image that has it, e.g. \
             python:3.12-slim-bookworm"
        ),
        PackageManager::Apk => format!(
            "install Python first (.run_commands([\"apk add --no-cache python3\"])), create a virtual environment \
             with .run_commands([\"python3 -m venv /opt/venv\"]) and put /opt/venv/bin first on PATH with \
             .env([(\"PATH\", \"{VENV_PATH}\")]), or start from an image that has it, e.g. python:3.12-alpine3.20"
        ),
        PackageManager::None => {
            "there is no package manager to install it with; start from an image that has it, e.g. \
             python:3.12-slim-bookworm"
                .to_owned()
        }
    }
}

/// How to use a virtual environment, by package manager.
fn venv_fix(manager: PackageManager) -> String {
    let install = match manager {
        PackageManager::Apk => ".run_commands([\"apk add --no-cache python3\"])",
        _ => ".apt_install([\"python3-venv\"])",
    };
    format!(
        "create a virtual environment first ({install}, .run_commands([\"python3 -m venv /opt/venv\"]) and \
         .env([(\"PATH\", \"{VENV_PATH}\")]))"
    )
}

impl Py {
    fn path(&self) -> Vec<String> {
        match &self.path {
            Some(p) => p.clone(),
            None => DEFAULT_PATH.split(':').map(str::to_owned).collect(),
        }
    }

    fn copied_near(&self, dir: &str) -> bool {
        self.copied
            .iter()
            .any(|c| c == dir || c.starts_with(&format!("{dir}/")) || dir.starts_with(&format!("{c}/")))
    }

    fn system(&self, cmd: &str) -> Have {
        if cmd == "python3" { self.sys_python3 } else { self.sys_python_cmd.min(self.sys_python3) }
    }

    /// What `cmd` (`python` or `python3`) runs, walking `PATH` like the shell.
    fn find(&self, cmd: &str) -> Found {
        let mut unsure = false;
        let settle = |found: Found, unsure: bool| if unsure { Found::Unsure } else { found };
        for entry in self.path() {
            if !entry.starts_with('/') || entry.contains('$') {
                // A relative entry, or `$PATH` kept literally by the quoted ENV value.
                unsure = true;
                continue;
            }
            if self.copied_near(&entry) {
                unsure = true;
            }
            if let Some(v) = self.venvs.iter().find(|v| format!("{}/bin", v.dir) == entry) {
                match v.exists {
                    Have::Yes => return settle(Found::Venv { dir: v.dir.clone(), pip: v.pip }, unsure),
                    Have::Maybe => unsure = true,
                    Have::No => {}
                }
            }
            let dir = if entry == "/bin" { "/usr/bin" } else { entry.as_str() };
            if dir == "/usr/local/bin" && self.local {
                return settle(Found::Local, unsure);
            }
            if cmd == "python"
                && let Some((_, target)) = self.links.iter().find(|(d, _)| d == dir)
            {
                match (target, self.sys_python3) {
                    (Target::Local, _) if self.local => return settle(Found::Local, unsure),
                    (Target::System, Have::Yes) => return settle(Found::System, unsure),
                    (Target::System, Have::Maybe) => unsure = true,
                    _ => {}
                }
            }
            if dir == "/usr/bin" {
                match self.system(cmd) {
                    Have::Yes => return settle(Found::System, unsure),
                    Have::Maybe => unsure = true,
                    Have::No => {}
                }
            }
        }
        settle(Found::Missing, unsure)
    }

    fn add_venv(&mut self, dir: String, exists: Have, pip: Have) {
        self.venvs.retain(|v| v.dir != dir);
        if exists != Have::No {
            self.venvs.push(Venv { dir, exists, pip });
        }
    }
}

/// `dir` resolved against `cwd`, without `.` components or trailing `/`.
fn join(cwd: &str, dir: &str) -> String {
    let full = if dir.starts_with('/') { dir.to_owned() } else { format!("{cwd}/{dir}") };
    let mut parts: Vec<&str> = Vec::new();
    for part in full.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// What installing the package `name` provides.
fn install(py: &mut Py, name: &str, manager: PackageManager) {
    let yes = Have::Yes;
    match (manager, name) {
        (PackageManager::Apt, "python3" | "python3-minimal") => py.sys_python3.gain(yes),
        (PackageManager::Apt, "python3-pip") => {
            py.sys_python3.gain(yes);
            py.sys_pip.gain(yes);
        }
        (PackageManager::Apt, "python3-venv" | "python3-full") => {
            py.sys_python3.gain(yes);
            py.sys_venv.gain(yes);
        }
        (PackageManager::Apt, "python-is-python3") => {
            py.sys_python3.gain(yes);
            py.sys_python_cmd.gain(yes);
        }
        (PackageManager::Apt, n) if n.starts_with("python3-") => {
            // Every python3-* module package depends on python3; some may pull in pip or venv.
            py.sys_python3.gain(yes);
            py.sys_pip.gain(Have::Maybe);
            py.sys_venv.gain(Have::Maybe);
        }
        (PackageManager::Apk, "python3") => {
            py.sys_python3.gain(yes);
            py.sys_python_cmd.gain(yes);
            py.sys_venv.gain(yes);
        }
        (PackageManager::Apk, n) if n == "py3-pip" || n.starts_with("py3-") => {
            py.sys_python3.gain(yes);
            py.sys_python_cmd.gain(yes);
            py.sys_venv.gain(yes);
            py.sys_pip.gain(if n == "py3-pip" { yes } else { Have::Maybe });
        }
        (_, n) if NO_PYTHON.contains(&n) => {}
        (_, n) => {
            // Its dependencies are unknown here.
            py.sys_python3.gain(Have::Maybe);
            py.sys_pip.gain(Have::Maybe);
            py.sys_venv.gain(Have::Maybe);
            if n.contains("python") || n.starts_with("py") {
                py.sys_python_cmd.gain(Have::Maybe);
            }
        }
    }
}

/// `apt-get` / `apt` on an apt base; `false` when the effect is unknown.
fn apt_get(py: &mut Py, args: &[&str], globbed: bool, manager: PackageManager) -> bool {
    let (sub, rest) = match args.iter().position(|a| !a.starts_with('-')) {
        Some(i) => (args[i], &args[i + 1..]),
        None => return false,
    };
    match sub {
        "update" | "clean" | "autoclean" | "check" => true,
        "install" if !globbed => {
            let Some(names) =
                packages(rest, &["-o", "-t", "-c", "--option", "--target-release", "--config-file"])
            else {
                return false;
            };
            let known = names.iter().all(|n| {
                n.len() >= 2
                    && n.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-:=/~".contains(c))
                    && !n.ends_with(['-', '+'])
            });
            if known {
                for n in &names {
                    install(py, super::apt::name(n), manager);
                }
            }
            known
        }
        _ => false,
    }
}

/// `apk` on an Alpine base.
fn apk(py: &mut Py, args: &[&str], globbed: bool) -> bool {
    let (sub, rest) = match args.iter().position(|a| !a.starts_with('-')) {
        Some(i) => (args[i], &args[i + 1..]),
        None => return false,
    };
    match sub {
        "update" => true,
        "add" if !globbed => {
            let Some(names) = packages(rest, &["-t", "--virtual", "-X", "--repository", "-p", "--root"])
            else {
                return false;
            };
            // `--virtual` groups packages to delete them later with `apk del`.
            if rest.iter().any(|a| *a == "-t" || *a == "--virtual" || a.starts_with("--virtual=")) {
                return false;
            }
            for n in &names {
                let end = n.find(['=', '~', '<', '>', '@']).unwrap_or(n.len());
                install(py, &n[..end], PackageManager::Apk);
            }
            true
        }
        _ => false,
    }
}

/// The operands of a package command, skipping options and the values of `valued`
/// options; `None` if an operand is a path (a local `.deb` / `.apk`).
fn packages<'a>(args: &[&'a str], valued: &[&str]) -> Option<Vec<&'a str>> {
    let mut names = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if valued.contains(a) {
            skip = true;
        } else if !a.starts_with('-') {
            if a.contains('/') && (a.starts_with('.') || a.starts_with('/') || a.ends_with(".deb")) {
                return None;
            }
            names.push(*a);
        }
    }
    Some(names)
}

/// `python3 -m venv [options] DIR...`.
fn python_venv(py: &mut Py, program: &str, args: &[&str], cwd: Option<&str>) -> bool {
    let Some(cwd) = cwd else { return false };
    let [m, module, rest @ ..] = args else { return false };
    if *m != "-m" || *module != "venv" {
        return false;
    }
    let mut without_pip = false;
    let mut dirs = Vec::new();
    let mut skip = false;
    for a in rest {
        match *a {
            _ if skip => skip = false,
            "--without-pip" => without_pip = true,
            "--prompt" => skip = true,
            "--copies" | "--symlinks" | "--clear" | "--upgrade-deps" | "--system-site-packages" => {}
            a if a.starts_with("--prompt=") => {}
            a if a.starts_with('-') => return false,
            a => dirs.push(join(cwd, a)),
        }
    }
    if dirs.is_empty() {
        return false;
    }
    let name = program.rsplit('/').next().unwrap_or(program);
    let found = match program {
        "/usr/bin/python3" => match py.sys_python3 {
            Have::Yes => Found::System,
            Have::Maybe => Found::Unsure,
            Have::No => Found::Missing,
        },
        "/usr/local/bin/python" | "/usr/local/bin/python3" if py.local => Found::Local,
        "/usr/local/bin/python" | "/usr/local/bin/python3" => Found::Missing,
        _ => py.find(name),
    };
    let (exists, pip) = match found {
        Found::Local => (Have::Yes, Have::of(!without_pip)),
        // A virtual environment made from another one: its ensurepip is its base's.
        Found::Venv { .. } | Found::Unsure => (Have::Maybe, Have::Maybe),
        Found::System if without_pip => (py.sys_python3, Have::No),
        Found::System => {
            if py.sys_venv == Have::No {
                py.failed_venv = Some(format!(
                    "`{program} -m venv` fails when the distribution's python3 has no ensurepip: install \
                     python3-venv"
                ));
            }
            (py.sys_venv, Have::Yes)
        }
        Found::Missing => {
            py.failed_venv = Some(format!("`{program} -m venv` fails: there is no `{name}`"));
            (Have::No, Have::No)
        }
    };
    for dir in dirs {
        py.add_venv(dir, exists, pip);
    }
    true
}

/// `virtualenv [options] DIR`: seeds pip unless told not to.
fn virtualenv(py: &mut Py, args: &[&str], cwd: Option<&str>) -> bool {
    let Some(cwd) = cwd else { return false };
    let mut pip = Have::Yes;
    let mut dirs = Vec::new();
    let mut skip = false;
    for a in args {
        match *a {
            _ if skip => skip = false,
            "--no-pip" | "--without-pip" => pip = Have::No,
            "-p" | "--python" | "--prompt" => skip = true,
            "--clear" | "--copies" | "--symlinks" | "--system-site-packages" | "-q" | "--quiet" => {}
            a if a.starts_with("--python=") || a.starts_with("--prompt=") => {}
            a if a.starts_with('-') => return false,
            a => dirs.push(join(cwd, a)),
        }
    }
    let [dir] = dirs.as_slice() else { return false };
    py.add_venv(dir.clone(), Have::Yes, pip);
    true
}

/// `uv venv [options] [DIR]`: without `--seed` the environment has no pip, which is
/// left unsure here (pip may come later through uv itself).
fn uv_venv(py: &mut Py, args: &[&str], cwd: Option<&str>) -> bool {
    let Some(cwd) = cwd else { return false };
    let [sub, rest @ ..] = args else { return false };
    if *sub != "venv" {
        return false;
    }
    let mut pip = Have::Maybe;
    let mut dirs = Vec::new();
    let mut skip = false;
    for a in rest {
        match *a {
            _ if skip => skip = false,
            "--seed" => pip = Have::Yes,
            "-p" | "--python" | "--prompt" => skip = true,
            "--clear" | "-q" | "--quiet" | "--system-site-packages" | "--allow-existing" => {}
            a if a.starts_with("--python=") || a.starts_with("--prompt=") => {}
            a if a.starts_with('-') => return false,
            a => dirs.push(join(cwd, a)),
        }
    }
    let dir = match dirs.as_slice() {
        [] => join(cwd, ".venv"),
        [dir] => dir.clone(),
        _ => return false,
    };
    py.add_venv(dir, Have::Yes, pip);
    true
}

/// `ln [-s] [-f] TARGET LINK`: a `python` link to a python3 in a standard directory.
fn ln(py: &mut Py, args: &[&str]) -> bool {
    let operands: Vec<&str> = args.iter().copied().filter(|a| !a.starts_with('-')).collect();
    let mentions_python =
        args.iter().any(|a| a.contains("python") || a.contains("pip") || a.contains("venv"));
    if !mentions_python {
        return args
            .iter()
            .filter(|a| a.starts_with('-'))
            .all(|a| a.chars().skip(1).all(|c| "sfnrvT".contains(c)));
    }
    let [target, link] = operands.as_slice() else { return false };
    let Some((dir, "python")) = link.rsplit_once('/') else { return false };
    let dir = if dir == "/bin" { "/usr/bin" } else { dir };
    if dir != "/usr/bin" && dir != "/usr/local/bin" {
        return false;
    }
    let full = join(dir, target);
    let (target_dir, file) = full.rsplit_once('/').unwrap_or(("", &full));
    if !file.starts_with("python3") {
        return false;
    }
    let kind = match target_dir {
        "/usr/bin" | "/bin" => Target::System,
        "/usr/local/bin" => Target::Local,
        _ => return false,
    };
    py.links.retain(|(d, _)| d != dir);
    py.links.push((dir.to_owned(), kind));
    true
}

/// `rm .../EXTERNALLY-MANAGED`: the marker of the installed packaged Python.
fn remove_marker(py: &mut Py, args: &[&str]) {
    let targets_system =
        args.iter().filter(|a| a.ends_with("/EXTERNALLY-MANAGED")).all(|a| a.starts_with("/usr/lib/python3"));
    if !targets_system {
        py.marker = py.marker.min(Have::Maybe);
        return;
    }
    py.marker = match py.sys_python3 {
        // Not installed yet: installing it later brings the marker back.
        Have::No => py.marker,
        Have::Maybe => py.marker.min(Have::Maybe),
        Have::Yes => Have::No,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn joins_paths() {
        assert_eq!(join("/", "opt/venv"), "/opt/venv");
        assert_eq!(join("/app", ".venv/"), "/app/.venv");
        assert_eq!(join("/app", "/opt/./venv"), "/opt/venv");
        assert_eq!(join("/app/x", "../venv"), "/app/venv");
    }

    #[test]
    fn unknown_bases_are_never_judged() {
        let mut t = Tracker::from_base("pj-test-base:1");
        assert_eq!(t.run("apk add git"), None);
        assert_eq!(t.apt_install(&["git".to_owned()], true), None);
        assert_eq!(t.pip("pip_install", ""), None);
    }

    proptest! {
        #[test]
        fn never_panics(
            base in prop::sample::select(vec!["debian:12", "alpine:3.20", "python:3.12", "busybox:1.36"]),
            lines in prop::collection::vec("[ -~]{0,40}", 0..4),
            path in "[ -~]{0,20}",
        ) {
            let mut t = Tracker::from_base(base);
            for line in &lines {
                let _ = t.run(line);
            }
            t.env("PATH", &path);
            t.copy(&path);
            t.workdir(&path);
            let _ = t.pip("pip_install", &path);
        }
    }
}
