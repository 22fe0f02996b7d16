//! The checks of a requirements file: each requirement (by [`pip::check_requirement`],
//! or [`pip::check_syntax`] in a constraints file), `--hash` values, options pithy does
//! not accept, and the `-r`/`-c` includes, followed recursively with cycles and depth
//! reported.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::reader::{
    Class, Kind, Problem, break_args_options, decode, has_url_scheme, logical_lines, parse_options, read,
    shlex_split,
};
use super::{Include, RequirementsCheck};
use crate::Rule;
use crate::rules::{Finding, pip};

/// How deep `-r`/`-c` includes may nest before pithy stops following them.
pub(super) const MAX_DEPTH: usize = 32;

#[derive(Default)]
pub(super) struct Walker {
    pub(super) out: RequirementsCheck,
    /// (canonical path, kind) pairs already checked.
    visited: HashSet<(PathBuf, Kind)>,
    /// Canonical paths already listed in `out.files`.
    listed: HashSet<PathBuf>,
    /// The files being read, outermost first: (canonical path, display).
    stack: Vec<(PathBuf, String)>,
}

impl Walker {
    pub(super) fn finding(&mut self, rule: Rule, message: String) {
        self.out.findings.push(Finding::new(rule, message));
    }

    pub(super) fn check_bytes(&mut self, file: &Path, display: &str, kind: Kind, bytes: &[u8]) {
        let canonical = fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        self.visited.insert((canonical.clone(), kind));
        if self.listed.insert(canonical.clone()) {
            self.out.files.push(file.to_path_buf());
        }
        let text = match decode(bytes) {
            Ok(text) => text,
            Err((line, why)) => {
                self.finding(Rule::RequirementsFile, format!("{display}:{line}: {why}"));
                return;
            }
        };
        self.stack.push((canonical, display.to_owned()));
        for (line, content) in logical_lines(text) {
            self.check_line(file, display, kind, line, &content);
        }
        self.stack.pop();
    }

    fn check_line(&mut self, file: &Path, display: &str, kind: Kind, line: usize, content: &str) {
        let at = format!("{display}:{line}: ");
        let (args, options) = break_args_options(content);
        let tokens = match shlex_split(&options) {
            Ok(tokens) => tokens,
            Err(why) => {
                self.finding(Rule::RequirementsFile, format!("{at}{why} in {options:?}; close the quote"));
                return;
            }
        };
        let (opts, positional) = match parse_options(&tokens) {
            Ok(parsed) => parsed,
            Err(why) => {
                self.finding(Rule::RequirementsFile, format!("{at}{why}"));
                return;
            }
        };

        if !args.is_empty() {
            let checked = match kind {
                Kind::Requirements => pip::check_requirement(&args),
                Kind::Constraints => pip::check_syntax(&args),
            };
            if let Err(f) = checked {
                self.finding(f.rule, format!("{at}{}", f.message));
            }
        }

        let mut included = false;
        for opt in &opts {
            let written = &opt.written;
            let value = opt.value.as_deref().unwrap_or_default();
            match opt.spec.class {
                Class::Hash if !args.is_empty() => {
                    if let Err(why) = check_hash(value) {
                        self.finding(Rule::RequirementsFile, format!("{at}{why}"));
                    }
                }
                Class::Hash => self.finding(
                    Rule::RequirementsFile,
                    format!("{at}{written} {value} is not after a requirement; write it on the requirement's line, like \"name==1.2.3 --hash=sha256:<64 hex>\""),
                ),
                Class::Editable => self.finding(
                    Rule::RequirementsFile,
                    format!(
                        "{at}editable install \"{written} {value}\" is not reproducible in a snapshot: it installs local \
                         source that is not in the image; pin a released version like name==1.2.3"
                    ),
                ),
                Class::Unsupported => self.finding(
                    Rule::RequirementsFile,
                    format!(
                        "{at}option {written:?} is not supported by pithy in requirements files: it changes how pip \
                         builds or resolves in ways pithy cannot check; remove it (pass it through PipOptions.extra_options \
                         if you must)"
                    ),
                ),
                _ if !args.is_empty() => self.finding(
                    Rule::RequirementsFile,
                    format!(
                        "{at}option {written:?} after requirement {args:?} is not a per-requirement option; \
                         write it on its own line"
                    ),
                ),
                Class::Global => {}
                Class::Include(_) if included => self.finding(
                    Rule::RequirementsFile,
                    format!("{at}pip reads only the first -r/-c of a line and ignores \"{written} {value}\"; write each on its own line"),
                ),
                Class::Include(include) => {
                    included = true;
                    self.include(file, display, line, include, value);
                }
            }
        }
        for ignored in positional {
            self.finding(
                Rule::RequirementsFile,
                format!("{at}{ignored:?} after an option is ignored by pip; write each requirement on its own line"),
            );
        }
    }

    fn include(&mut self, file: &Path, display: &str, line: usize, kind: Kind, target: &str) {
        let at = format!("{display}:{line}: ");
        let directive = kind.directive();
        if self.stack.len() == 1 {
            self.out.includes.push(Include {
                directive: directive.to_owned(),
                target: target.to_owned(),
                line,
            });
        }
        if target.contains("${") {
            self.finding(
                Rule::RequirementsFile,
                format!("{at}\"{directive} {target}\" uses a variable that pip expands from the build environment, which pithy cannot follow; write the path itself"),
            );
            return;
        }
        if has_url_scheme(target) {
            self.finding(
                Rule::RequirementsFile,
                format!("{at}remote requirements file {target:?} cannot be checked and may change; save it in the project and include it by relative path"),
            );
            return;
        }
        if self.stack.len() >= MAX_DEPTH {
            self.finding(
                Rule::RequirementsFile,
                format!("{at}\"{directive} {target}\" nests includes deeper than {MAX_DEPTH} files; flatten the includes"),
            );
            return;
        }
        let base = file.parent().unwrap_or(Path::new("/"));
        let joined = base.join(target);
        let nested = std::path::absolute(&joined).unwrap_or(joined);
        let nested_display = join_display(display, target);
        let canonical = fs::canonicalize(&nested).unwrap_or_else(|_| nested.clone());
        if self.stack.iter().any(|(c, _)| *c == canonical) {
            let chain: Vec<&str> = self.stack.iter().map(|(_, d)| d.as_str()).collect();
            self.finding(
                Rule::RequirementsFile,
                format!(
                    "{at}\"{directive} {target}\" includes a file that is already being read ({} -> {nested_display}), \
                     which pip follows forever; remove the include",
                    chain.join(" -> ")
                ),
            );
            return;
        }
        if self.visited.contains(&(canonical, kind)) {
            return;
        }
        let what = match kind {
            Kind::Requirements => "included requirements file",
            Kind::Constraints => "included constraints file",
        };
        match read(&nested) {
            Ok(bytes) => self.check_bytes(&nested, &nested_display, kind, &bytes),
            Err(Problem::Missing) => self.finding(
                Rule::RequirementsFile,
                format!(
                    "{at}{what} {target:?} does not exist (looked at {}); create it, or fix the path \
                     (it is relative to the directory of {display})",
                    nested.display()
                ),
            ),
            Err(Problem::NotFile(kind_of)) => self.finding(
                Rule::RequirementsFile,
                format!(
                    "{at}{what} {target:?} is {kind_of}, not a file (looked at {}); name a file",
                    nested.display()
                ),
            ),
            Err(Problem::Io(e)) => self.finding(
                Rule::RequirementsFile,
                format!(
                    "{at}cannot read {what} {target:?} ({}): {e}; check that it is readable",
                    nested.display()
                ),
            ),
        }
    }
}

/// Names an included file relative to the including file's display name.
pub(super) fn join_display(display: &str, target: &str) -> String {
    if target.starts_with('/') {
        return target.to_owned();
    }
    let mut target = target;
    while let Some(rest) = target.strip_prefix("./") {
        target = rest;
    }
    match display.rfind('/') {
        Some(i) => format!("{}/{target}", display.get(..i).unwrap_or_default()),
        None => target.to_owned(),
    }
}

/// Checks a `--hash` value: `sha256:<64 hex>`, `sha384:<96 hex>` or `sha512:<128 hex>`.
fn check_hash(value: &str) -> Result<(), String> {
    let Some((algorithm, hex)) = value.split_once(':') else {
        return Err(format!("--hash {value:?} has no algorithm; write --hash=sha256:<64 hex>"));
    };
    let expected = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "--hash algorithm {algorithm:?} is not accepted by pip; use sha256, sha384 or sha512, \
                 like --hash=sha256:<64 hex>"
            ));
        }
    };
    if hex.len() != expected || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "--hash {value:?} must be {algorithm}:<{expected} hex digits>; write the full hex digest"
        ));
    }
    Ok(())
}
