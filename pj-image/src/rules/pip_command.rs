//! `pip install` written by hand in a RUN command line: `pip`/`pip3`/`pip3.12`,
//! `python -m pip` (any `python*`, any directory), `uv pip`, after `NAME=value` words or
//! `sudo`/`env`/`exec`/`command`, alone or in a `&&`/`||`/`;` list. The line is read as
//! shell by the rules' shell reader (`rules/shell.rs`, the `shlex` word splitter), the options are skipped
//! the way pip (optparse: unique long prefixes, short clusters, `--opt=value`) and uv
//! (clap) read them, and every package goes through the pinning rule of `pip_install`,
//! [`pip::check_requirement`]. So the rule cannot be bypassed by writing the install by
//! hand.
//!
//! What `pip_install` refuses is refused here too, with one difference that follows from
//! where a RUN runs (after the contexts are copied):
//! - `-r`/`--requirement` (and uv's `--requirements`, pip's `--requirements-from-script`)
//!   installs a file pithy does not read: refused, use `pip_install_from_requirements`
//!   or `pip_install_from_pyproject`, which check every line.
//! - A local path (`.`, `/app`, `dist/x.whl`, `file:...`) or `-e <path>`: its code is in
//!   the image (copied from a hashed context), but pip resolves its dependencies at build
//!   time, unpinned. Refused unless the command has `--no-deps`, so the dependencies are
//!   installed pinned by another step. `pip_install` refuses paths outright because its
//!   argument is a PEP 508 requirement, which a path is not.
//! - URLs and VCS references (`-e git+https://...` too) are requirements like any other:
//!   a bare URL is not PEP 508, `name @ url` needs a `#sha256=` hash.
//! - A line the shell reader cannot read (a pipe, a redirection, `$VAR`, `$(...)`) gets
//!   the benefit of the doubt like everywhere else in the rules: its words cannot be
//!   known, and a guess would refuse images that build. Note that an unquoted
//!   `pip install torch>=2` is such a line (`>` is a redirection); quote the requirement.
//! - An option pithy does not know is taken as a flag (no value); write `--option=value`
//!   if it takes one.
//!
//! ```
//! use pj_image::{Rule, rules::pip_command};
//! assert!(pip_command::check_run("python -m pip install --no-cache-dir 'torch==2.5.1'").is_empty());
//! let findings = pip_command::check_run("apt-get update && pip3 install -U pip numpy==1.26.4");
//! assert_eq!(findings[0].message, "pip package \"pip\" is not pinned; write pip==<version>");
//! assert_eq!(pip_command::check_run("pip install -r requirements.txt")[0].rule, Rule::RequirementsFile);
//! ```

use super::{Finding, pip, shell};
use crate::Rule;

/// Checks every `pip install` of one RUN command `line` (a `run_commands` string): one
/// finding per package that breaks the pinning rule, per requirements file, and per
/// local path installed with its dependencies. Empty when the line installs nothing with
/// pip, or cannot be read (see the module docs).
///
/// ```
/// use pj_image::{Rule, rules::pip_command};
/// let findings = pip_command::check_run("uv pip install --system 'torch>=2' ruff");
/// let rules: Vec<Rule> = findings.iter().map(|f| f.rule).collect();
/// assert_eq!(rules, [Rule::PipUnpinned, Rule::PipUnpinned]);
/// ```
pub fn check_run(line: &str) -> Vec<Finding> {
    let Some(commands) = shell::read(line) else { return Vec::new() };
    commands.iter().filter_map(|c| Install::read(c.invocation())).flat_map(|i| i.findings()).collect()
}

/// Whose command-line grammar applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    /// pip's optparse: unique prefixes of long options are accepted.
    Pip,
    /// uv's clap: exact long names only.
    Uv,
}

/// One option: its long name, its short letter, whether it takes a value.
type Spec = (&'static str, Option<char>, bool);

/// pip's options (`pip install --help`: the install options and the general ones). The
/// flags are listed too, so that a long prefix is resolved the way optparse does.
const PIP: &[Spec] = &[
    ("--requirement", Some('r'), true),
    ("--requirements-from-script", None, true),
    ("--constraint", Some('c'), true),
    ("--build-constraint", None, true),
    ("--editable", Some('e'), true),
    ("--target", Some('t'), true),
    ("--platform", None, true),
    ("--python-version", None, true),
    ("--implementation", None, true),
    ("--abi", None, true),
    ("--root", None, true),
    ("--prefix", None, true),
    ("--src", None, true),
    ("--source", None, true),
    ("--source-dir", None, true),
    ("--source-directory", None, true),
    ("--upgrade-strategy", None, true),
    ("--config-settings", Some('C'), true),
    ("--global-option", None, true),
    ("--no-binary", None, true),
    ("--only-binary", None, true),
    ("--all-releases", None, true),
    ("--only-final", None, true),
    ("--refresh-package", None, true),
    ("--uploaded-prior-to", None, true),
    ("--group", None, true),
    ("--progress-bar", None, true),
    ("--root-user-action", None, true),
    ("--report", None, true),
    ("--index-url", Some('i'), true),
    ("--pypi-url", None, true),
    ("--extra-index-url", None, true),
    ("--find-links", Some('f'), true),
    ("--trusted-host", None, true),
    ("--python", None, true),
    ("--log", None, true),
    ("--log-file", None, true),
    ("--local-log", None, true),
    ("--proxy", None, true),
    ("--retries", None, true),
    ("--resume-retries", None, true),
    ("--timeout", None, true),
    ("--default-timeout", None, true),
    ("--exists-action", None, true),
    ("--cert", None, true),
    ("--client-cert", None, true),
    ("--cache-dir", None, true),
    ("--keyring-provider", None, true),
    ("--use-feature", None, true),
    ("--use-deprecated", None, true),
    ("--help", Some('h'), false),
    ("--verbose", Some('v'), false),
    ("--version", Some('V'), false),
    ("--quiet", Some('q'), false),
    ("--upgrade", Some('U'), false),
    ("--ignore-installed", Some('I'), false),
    ("--debug", None, false),
    ("--isolated", None, false),
    ("--require-virtualenv", None, false),
    ("--require-venv", None, false),
    ("--break-system-packages", None, false),
    ("--no-color", None, false),
    ("--no-input", None, false),
    ("--no-proxy-env", None, false),
    ("--no-index", None, false),
    ("--prefer-binary", None, false),
    ("--no-cache-dir", None, false),
    ("--no-deps", None, false),
    ("--no-dependencies", None, false),
    ("--only-deps", None, false),
    ("--only-dependencies", None, false),
    ("--ignore-requires-python", None, false),
    ("--no-build-isolation", None, false),
    ("--check-build-dependencies", None, false),
    ("--use-pep517", None, false),
    ("--no-use-pep517", None, false),
    ("--no-clean", None, false),
    ("--pre", None, false),
    ("--disable-pip-version-check", None, false),
    ("--require-hashes", None, false),
    ("--no-require-hashes", None, false),
    ("--no-python-version-warning", None, false),
    ("--dry-run", None, false),
    ("--user", None, false),
    ("--no-user", None, false),
    ("--force-reinstall", None, false),
    ("--compile", None, false),
    ("--no-compile", None, false),
    ("--no-warn-script-location", None, false),
    ("--no-warn-conflicts", None, false),
];

/// uv's options that take a value (`uv pip install --help` and uv's global options);
/// clap has no prefixes, so any other option is a flag.
const UV: &[Spec] = &[
    ("--requirements", Some('r'), true),
    ("--requirement", None, true),
    ("--editable", Some('e'), true),
    ("--no-editable-package", None, true),
    ("--constraints", Some('c'), true),
    ("--constraint", None, true),
    ("--overrides", None, true),
    ("--override", None, true),
    ("--excludes", None, true),
    ("--exclude", None, true),
    ("--build-constraints", Some('b'), true),
    ("--build-constraint", None, true),
    ("--extra", None, true),
    ("--group", None, true),
    ("--index", None, true),
    ("--default-index", None, true),
    ("--index-url", Some('i'), true),
    ("--extra-index-url", None, true),
    ("--find-links", Some('f'), true),
    ("--upgrade-package", Some('P'), true),
    ("--upgrade-group", None, true),
    ("--reinstall-package", None, true),
    ("--refresh-package", None, true),
    ("--index-strategy", None, true),
    ("--keyring-provider", None, true),
    ("--resolution", None, true),
    ("--prerelease", None, true),
    ("--fork-strategy", None, true),
    ("--config-setting", Some('C'), true),
    ("--config-settings", None, true),
    ("--config-settings-package", None, true),
    ("--no-build-isolation-package", None, true),
    ("--no-build-package", None, true),
    ("--no-binary-package", None, true),
    ("--exclude-newer", None, true),
    ("--exclude-newer-package", None, true),
    ("--link-mode", None, true),
    ("--python", Some('p'), true),
    ("--target", Some('t'), true),
    ("--prefix", None, true),
    ("--no-binary", None, true),
    ("--only-binary", None, true),
    ("--python-version", None, true),
    ("--python-platform", None, true),
    ("--torch-backend", None, true),
    ("--cache-dir", None, true),
    ("--directory", None, true),
    ("--project", None, true),
    ("--config-file", None, true),
    ("--color", None, true),
    ("--python-preference", None, true),
    ("--python-fetch", None, true),
    ("--allow-insecure-host", None, true),
    ("--trusted-host", None, true),
    ("--preview-features", None, true),
    ("--preview-feature", None, true),
];

impl Tool {
    fn specs(self) -> &'static [Spec] {
        match self {
            Tool::Pip => PIP,
            Tool::Uv => UV,
        }
    }

    /// The option a long `--name` means: the exact one, or (pip only) the one it is
    /// the unique prefix of.
    fn long(self, name: &str) -> Option<&'static Spec> {
        let specs = self.specs();
        if let Some(spec) = specs.iter().find(|s| s.0 == name) {
            return Some(spec);
        }
        let mut prefixed = specs.iter().filter(|s| s.0.starts_with(name));
        match (self, prefixed.next(), prefixed.next()) {
            (Tool::Pip, Some(spec), None) => Some(spec),
            _ => None,
        }
    }

    fn short(self, letter: char) -> Option<&'static Spec> {
        self.specs().iter().find(|s| s.1 == Some(letter))
    }
}

/// What one `pip install` command installs.
#[derive(Debug, Default)]
struct Install<'a> {
    packages: Vec<&'a str>,
    editables: Vec<&'a str>,
    /// Requirements files, with the option as written.
    files: Vec<(String, &'a str)>,
    no_deps: bool,
}

impl<'a> Install<'a> {
    /// The install `words` (a simple command's program and arguments) run, if they are one.
    fn read(words: &'a [String]) -> Option<Install<'a>> {
        let words = unwrap(words);
        let (program, args) = words.split_first()?;
        let name = program.rsplit('/').next().unwrap_or(program);
        let (tool, args, mut subcommand): (_, _, &[&str]) = if versioned(name, "pip") {
            (Tool::Pip, args, &["install"])
        } else if versioned(name, "python") {
            (Tool::Pip, pip_module(args)?, &["install"])
        } else if name == "uv" {
            (Tool::Uv, args, &["pip", "install"])
        } else {
            return None;
        };
        let mut install = Install::default();
        let mut words = args.iter().map(String::as_str);
        let mut options_end = false;
        while let Some(word) = words.next() {
            if !options_end && word == "--" {
                options_end = true;
            } else if options_end || !word.starts_with('-') || word == "-" {
                match subcommand.split_first() {
                    Some((expected, rest)) if word == *expected => subcommand = rest,
                    Some(_) => return None,
                    None => install.packages.push(word),
                }
            } else {
                for (written, spec, value) in options(tool, word, &mut words) {
                    install.option(written, spec, value);
                }
            }
        }
        subcommand.is_empty().then_some(install)
    }

    fn option(&mut self, written: String, spec: Option<&Spec>, value: Option<&'a str>) {
        match (spec.map(|s| s.0), value) {
            (Some("--requirement" | "--requirements" | "--requirements-from-script"), Some(file)) => {
                self.files.push((written, file));
            }
            (Some("--editable"), Some(target)) => self.editables.push(target),
            (Some("--no-deps" | "--no-dependencies"), _) => self.no_deps = true,
            _ => {}
        }
    }

    fn findings(&self) -> Vec<Finding> {
        let files = self.files.iter().map(|(option, file)| requirements_file(option, file));
        let packages = self.packages.iter().map(|p| (*p, false));
        let editables = self.editables.iter().map(|e| (*e, true));
        let installed = packages.chain(editables).filter_map(|(target, editable)| {
            if is_local(target) {
                (!self.no_deps).then(|| local_with_dependencies(target, editable))
            } else {
                pip::check_requirement(target).err()
            }
        });
        files.chain(installed).collect()
    }
}

/// The words after the wrappers that run their arguments as a command (`sudo`, `env`,
/// `exec`, `command`) with their options and `NAME=value` words.
fn unwrap(mut words: &[String]) -> &[String] {
    while let Some((first, rest)) = words.split_first()
        && matches!(first.as_str(), "sudo" | "env" | "exec" | "command")
    {
        let skip = rest.iter().take_while(|w| w.starts_with('-') || w.contains('=')).count();
        words = &rest[skip..];
    }
    words
}

/// `name`, optionally followed by a version: `pip`, `pip3`, `python3.12`.
fn versioned(name: &str, base: &str) -> bool {
    name.strip_prefix(base).is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// The arguments after `-m pip` of a `python` command line, if it runs pip.
fn pip_module(args: &[String]) -> Option<&[String]> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let module = match arg.as_str() {
            "-m" => args.get(i + 1).map(|m| (m.as_str(), i + 2)),
            // Interpreter options with a value.
            "-X" | "-W" | "--check-hash-based-pycs" => {
                i += 2;
                continue;
            }
            a if a.starts_with("-m") => Some((&a[2..], i + 1)),
            // `-c`, `-` and a script run something else.
            a if a.starts_with('-') && a != "-" && !a.starts_with("-c") => {
                i += 1;
                continue;
            }
            _ => None,
        };
        return match module? {
            ("pip", rest) => args.get(rest..),
            _ => None,
        };
    }
    None
}

/// The options of one `-`-word (a short cluster may hold several), taking a value from
/// `rest` when the option needs one and holds none.
fn options<'a>(
    tool: Tool,
    word: &'a str,
    rest: &mut impl Iterator<Item = &'a str>,
) -> Vec<(String, Option<&'static Spec>, Option<&'a str>)> {
    if let Some(long) = word.strip_prefix("--") {
        let (name, inline) = match long.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (long, None),
        };
        let written = format!("--{name}");
        let spec = tool.long(&written);
        let value = match spec {
            Some((_, _, true)) => inline.or_else(|| rest.next()),
            _ => inline,
        };
        return vec![(written, spec, value)];
    }
    let mut found = Vec::new();
    let cluster = word.strip_prefix('-').unwrap_or(word);
    for (at, letter) in cluster.char_indices() {
        let spec = tool.short(letter);
        if let Some(spec @ (_, _, true)) = spec {
            let attached = &cluster[at + letter.len_utf8()..];
            let value = if attached.is_empty() { rest.next() } else { Some(attached) };
            found.push((format!("-{letter}"), Some(spec), value));
            break;
        }
        found.push((format!("-{letter}"), spec, None));
    }
    found
}

/// Whether pip reads `target` as a local file or directory rather than a requirement.
fn is_local(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    target.starts_with(['.', '/'])
        || lower.starts_with("file:")
        || (!target.contains('@')
            && !target.contains("://")
            && (target.contains('/')
                || [".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"].iter().any(|e| lower.ends_with(e))))
}

fn requirements_file(option: &str, file: &str) -> Finding {
    let method = if file.ends_with(".toml") {
        "pip_install_from_pyproject(\"<local path>\", [..])"
    } else {
        "pip_install_from_requirements(\"<local path>\")"
    };
    Finding::new(
        Rule::RequirementsFile,
        format!(
            "`pip install {option} {file}` in a run command installs a file pithy does not read, so its pins \
             are not checked; install it with .{method}, which checks every line"
        ),
    )
}

fn local_with_dependencies(target: &str, editable: bool) -> Finding {
    let what = if editable { format!("-e {target}") } else { target.to_owned() };
    Finding::new(
        Rule::PipUnpinned,
        format!(
            "`pip install {what}` installs a local project and resolves its dependencies at build time, \
             unpinned; install them pinned first (.pip_install([..]) or .pip_install_from_pyproject(..)), \
             then add --no-deps to this command"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule and message of each finding of `line`.
    fn check(line: &str) -> Vec<(Rule, String)> {
        check_run(line).into_iter().map(|f| (f.rule, f.message)).collect()
    }

    fn unpinned(name: &str) -> (Rule, String) {
        (Rule::PipUnpinned, format!("pip package {name:?} is not pinned; write {name}==<version>"))
    }

    #[test]
    fn every_spelling_is_checked() {
        for line in [
            "pip install torch",
            "pip3 install torch",
            "pip3.12 install torch",
            "/opt/venv/bin/pip install torch",
            "python -m pip install torch",
            "python3 -m pip install torch",
            "python3.12 -m pip install torch",
            "/usr/local/bin/python -m pip install torch",
            "/opt/venv/bin/python3 -u -X utf8 -mpip install torch",
            "uv pip install torch",
            "uv --no-cache pip install --system torch",
            "/root/.local/bin/uv pip install torch",
            "PIP_NO_CACHE_DIR=1 pip install torch",
            "sudo -H pip install torch",
            "env PIP_ROOT_USER_ACTION=ignore pip install torch",
            "pip --no-cache-dir -q install torch",
            "pip --proxy http://proxy:3128 install torch",
        ] {
            assert_eq!(check(line), [unpinned("torch")], "{line:?}");
        }
    }

    #[test]
    fn pinned_packages_pass() {
        let hex = "0123456789abcdef".repeat(4);
        for line in [
            "pip install torch==2.5.1".to_owned(),
            "python -m pip install 'requests[socks]==2.32.3' \"numpy == 1.26.4\"".to_owned(),
            format!("pip install 'foo @ https://e.com/foo-1.0-py3-none-any.whl#sha256={hex}'"),
            "uv pip install --system ruff==0.8.4".to_owned(),
            "pip install -U pip==24.3.1 setuptools==75.6.0".to_owned(),
            "pip install -c constraints.txt torch==2.5.1".to_owned(),
        ] {
            assert_eq!(check(&line), [], "{line:?}");
        }
    }

    #[test]
    fn lists_are_checked_command_by_command() {
        assert_eq!(
            check("apt-get update && pip install numpy==1.26.4 torch; echo ok || pip3 install -U pip"),
            [unpinned("torch"), unpinned("pip")]
        );
        assert_eq!(
            check("pip install 'torch>=2' rich"),
            [
                (
                    Rule::PipUnpinned,
                    "pip package \"torch>=2\" is not pinned; write torch==<version>".to_owned()
                ),
                unpinned("rich"),
            ]
        );
    }

    #[test]
    fn option_values_are_not_packages() {
        for line in [
            "pip install -i https://pypi.org/simple torch==2.5.1",
            "pip install --index-url https://pypi.org/simple torch==2.5.1",
            "pip install --index-url=https://pypi.org/simple torch==2.5.1",
            "pip install --extra-index-url https://download.pytorch.org/whl/cpu torch==2.5.1",
            "pip install -c c.txt --constraint c2.txt torch==2.5.1",
            "pip install -t /opt/t --target /opt/t2 --prefix /usr/local --root /r torch==2.5.1",
            "pip install -f /wheels --find-links=/w2 --trusted-host pypi.org torch==2.5.1",
            "pip install --platform manylinux2014_x86_64 --python-version 3.12 --implementation cp --abi cp312 \
             --only-binary :all: torch==2.5.1",
            "pip install --src /src --progress-bar off --log /tmp/pip.log --cache-dir /c torch==2.5.1",
            "pip install -qU --no-cache-dir --user --break-system-packages --pre --no-deps torch==2.5.1",
            "pip install -qi https://pypi.org/simple torch==2.5.1",
            "pip install -ihttps://pypi.org/simple torch==2.5.1",
            // optparse takes a unique prefix of a long option.
            "pip install --index https://pypi.org/simple --extra-index https://x torch==2.5.1",
            "pip install -- torch==2.5.1",
            "uv pip install -p 3.12 --python-platform linux --index-strategy unsafe-best-match torch==2.5.1",
            "uv pip install -P rich --upgrade-package numpy --torch-backend cpu torch==2.5.1",
            "uv --directory /app pip install torch==2.5.1",
        ] {
            assert_eq!(check(line), [], "{line:?}");
        }
        // An exact flag wins over the longer options it prefixes.
        assert_eq!(check("pip install --pre torch"), [unpinned("torch")]);
        assert_eq!(check("pip install --index-url https://x -- torch"), [unpinned("torch")]);
    }

    #[test]
    fn requirements_files_are_refused() {
        for (line, option) in [
            ("pip install -r requirements.txt", "-r"),
            ("pip install -rrequirements.txt", "-r"),
            ("pip install -qr requirements.txt", "-r"),
            ("pip install --requirement requirements.txt", "--requirement"),
            ("pip install --requirement=requirements.txt", "--requirement"),
            ("python -m pip install --requirement requirements.txt", "--requirement"),
            ("pip install --requirements-from-script requirements.txt", "--requirements-from-script"),
            ("uv pip install -r requirements.txt", "-r"),
            ("uv pip install --requirements requirements.txt", "--requirements"),
        ] {
            let findings = check(line);
            assert_eq!(findings.len(), 1, "{line:?}");
            assert_eq!(findings[0].0, Rule::RequirementsFile);
            assert_eq!(
                findings[0].1,
                format!(
                    "`pip install {option} requirements.txt` in a run command installs a file pithy does not \
                     read, so its pins are not checked; install it with \
                     .pip_install_from_requirements(\"<local path>\"), which checks every line"
                )
            );
        }
        assert!(check("uv pip install -r pyproject.toml")[0].1.contains(".pip_install_from_pyproject("));
    }

    #[test]
    fn local_projects_need_no_deps() {
        for (line, what) in [
            ("pip install .", "."),
            ("pip install /app", "/app"),
            ("pip install dist/app-1.0-py3-none-any.whl", "dist/app-1.0-py3-none-any.whl"),
            ("pip install app-1.0.tar.gz", "app-1.0.tar.gz"),
            ("pip install file:///app", "file:///app"),
            ("pip install -e .", "-e ."),
            ("pip install --editable=/app", "-e /app"),
        ] {
            assert_eq!(
                check(line),
                [(
                    Rule::PipUnpinned,
                    format!(
                        "`pip install {what}` installs a local project and resolves its dependencies at build \
                         time, unpinned; install them pinned first (.pip_install([..]) or \
                         .pip_install_from_pyproject(..)), then add --no-deps to this command"
                    )
                )],
                "{line:?}"
            );
        }
        assert_eq!(check("pip install --no-deps -e /app ."), []);
        assert_eq!(check("pip install --no-deps /app torch"), [unpinned("torch")]);
    }

    #[test]
    fn urls_follow_the_pip_install_rules() {
        let bare = check("pip install https://e.com/foo.whl");
        assert_eq!(bare.len(), 1);
        assert_eq!(bare[0].0, Rule::PipInvalid);
        assert!(bare[0].1.contains("a bare URL names no package"), "{}", bare[0].1);
        let vcs = check("pip install -e 'git+https://github.com/o/r.git@v1#egg=r'");
        assert_eq!(vcs[0].0, Rule::PipInvalid);
        assert_eq!(check("pip install 'foo @ https://e.com/foo.whl'")[0].0, Rule::PipUnpinned);
    }

    #[test]
    fn other_commands_are_not_installs() {
        for line in [
            "pip --version",
            "pip download torch",
            "pip install",
            "python -m venv /opt/venv",
            "python -c 'import pip' install torch",
            "python script.py -m pip install torch",
            "python -m pipx install torch",
            "uv venv /opt/venv",
            "uv tool install ruff",
            "pipx install torch",
            "echo pip install torch",
            "pip uninstall -y torch",
        ] {
            assert_eq!(check(line), [], "{line:?}");
        }
    }

    #[test]
    fn unreadable_lines_get_the_benefit_of_the_doubt() {
        for line in [
            "pip install torch>=2",
            "pip install $PKG",
            "pip install torch | tee log",
            "pip install $(cat pkgs)",
        ] {
            assert_eq!(check(line), [], "{line:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(rest in "[ -~é]{0,40}") {
            for head in ["pip install ", "python -m pip install ", "uv pip install ", "python "] {
                let _ = check_run(&format!("{head}{rest}"));
            }
        }
    }
}
