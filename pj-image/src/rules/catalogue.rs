//! The catalogue of rules: their ids ([`Rule`]), and what a broken one reports
//! ([`Violation`]): which rule, where ([`Site`]), the value and the fix.
//!
//! Builder calls never fail; each problem is recorded as a [`Violation`] and reported
//! together by [`Image::validate`](crate::Image::validate). The macro maps each
//! violation's [`Site`] back to the literal the user wrote.

use std::fmt;

/// The stable identifier of a rule. The id string (see [`Rule::id`]) never changes
/// once released, so tools and tests can match on it.
///
/// ```
/// assert_eq!(pj_image::Rule::PipUnpinned.id(), "pip-unpinned");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// The base image reference does not follow the distribution reference grammar.
    BaseReference,
    /// The base image has no tag or digest, or a floating tag (`latest`, `lts`, `stable`).
    BaseUnpinned,
    /// `debian_slim` was given a Python version Daytona does not support.
    PythonVersion,
    /// A pip requirement is not valid PEP 508.
    PipInvalid,
    /// A pip requirement is not pinned to one exact version or a hashed URL.
    PipUnpinned,
    /// A pip option was passed where a package belongs (`--index-url=...` as a package).
    PipOptionAsPackage,
    /// A pip option value (`find_links`, `index_url`, `extra_options`, ...) is unusable.
    PipOption,
    /// A requirements file cannot be read, or holds a line pithy cannot check, or is
    /// installed where pithy cannot read it (`pip install -r` in a run command).
    RequirementsFile,
    /// A `pyproject.toml` cannot be read or has no usable `[project]` dependencies.
    PyprojectFile,
    /// A local path does not exist, or is a file where a directory is expected (or the reverse).
    LocalPathMissing,
    /// A local path is absolute or starts with `~`; it must be relative to the context root.
    LocalPathAbsolute,
    /// A local path leaves the context root (`../x`).
    LocalPathOutsideRoot,
    /// A context holds a symlink, socket, FIFO or device.
    ContextSpecialFile,
    /// A context holds a file or directory whose name is not UTF-8.
    ContextNonUtf8Name,
    /// A context file or directory cannot be read.
    ContextUnreadable,
    /// An exclude pattern of `add_local_dir_with` (or a line of the `.dockerignore` it
    /// reads) is not a valid pattern, or the `.dockerignore` it asks for is missing.
    ContextExclude,
    /// A path used in `COPY` holds a character Docker does not take literally: `$`, `\`,
    /// quotes, or (in sources) the wildcards `*?[`.
    CopyPathSpecialChar,
    /// A remote (in-image) path is not absolute.
    RemotePathRelative,
    /// `WORKDIR` is not absolute.
    WorkdirRelative,
    /// An environment variable name is not a portable name (`[A-Za-z_][A-Za-z0-9_]*`).
    EnvKey,
    /// A secret-looking environment variable has a literal value baked into the image.
    EnvSecret,
    /// A single-line argument holds a newline, carriage return or NUL, or ends in `\`,
    /// which would break the Dockerfile into other instructions.
    MultiLine,
    /// A `run_commands` string starts a heredoc, which would swallow the lines after it.
    RunHeredoc,
    /// A `dockerfile_commands` line or a `from_dockerfile` file holds what pithy cannot
    /// check or Daytona's SDK cannot upload: a heredoc, an unknown instruction, a malformed
    /// JSON form, a `COPY` without a destination, a local `ADD` source, the `# escape=`
    /// directive, or a Dockerfile that cannot be read.
    DockerfileInstruction,
    /// An empty argument where a value is required (empty command, empty path, ...).
    Empty,
    /// More than one `ENTRYPOINT` or more than one `CMD`.
    DuplicateInstruction,
    /// A resource (`cpu`, `memory`, `disk`, `gpu`) outside Daytona's limits.
    Resources,
    /// An `apt_install` package is not a Debian package name (with an optional
    /// `=version`, `:arch` or `/release`), or holds an option or shell syntax.
    AptPackage,
    /// A pip step runs `python -m pip`, but the image has no `python` command with pip
    /// at that point (inferred from the base image and the steps before it).
    PipNeedsPython,
    /// A pip step installs into a distribution's Python that is externally managed
    /// (PEP 668), with no virtual environment first on `PATH` and no
    /// `--break-system-packages`: pip refuses.
    PipExternallyManaged,
    /// A step uses a package manager the image does not have (`apt-get` on Alpine,
    /// `apk` on Debian, either on busybox).
    PackageManager,
    /// An `allow(..)` names a rule that does not exist or cannot be silenced.
    Allow,
}

impl Rule {
    /// Every rule, in declaration order.
    pub const ALL: &'static [Rule] = &[
        Rule::BaseReference,
        Rule::BaseUnpinned,
        Rule::PythonVersion,
        Rule::PipInvalid,
        Rule::PipUnpinned,
        Rule::PipOptionAsPackage,
        Rule::PipOption,
        Rule::RequirementsFile,
        Rule::PyprojectFile,
        Rule::LocalPathMissing,
        Rule::LocalPathAbsolute,
        Rule::LocalPathOutsideRoot,
        Rule::ContextSpecialFile,
        Rule::ContextNonUtf8Name,
        Rule::ContextUnreadable,
        Rule::ContextExclude,
        Rule::CopyPathSpecialChar,
        Rule::RemotePathRelative,
        Rule::WorkdirRelative,
        Rule::EnvKey,
        Rule::EnvSecret,
        Rule::MultiLine,
        Rule::RunHeredoc,
        Rule::DockerfileInstruction,
        Rule::Empty,
        Rule::DuplicateInstruction,
        Rule::Resources,
        Rule::AptPackage,
        Rule::PipNeedsPython,
        Rule::PipExternallyManaged,
        Rule::PackageManager,
        Rule::Allow,
    ];

    /// The rules [`Image::allow`](crate::Image::allow) can silence: the ones inferred
    /// from pithy's knowledge of base images, which an image it does not know in full
    /// (a custom variant, a tag built differently) may legitimately break.
    ///
    /// ```
    /// use pj_image::Rule;
    /// assert!(Rule::SILENCEABLE.iter().all(|r| r.silenceable()));
    /// assert_eq!(Rule::SILENCEABLE[0].id(), "pip-needs-python");
    /// ```
    pub const SILENCEABLE: &'static [Rule] =
        &[Rule::PipNeedsPython, Rule::PipExternallyManaged, Rule::PackageManager];

    /// The stable, kebab-case id of the rule.
    pub fn id(self) -> &'static str {
        match self {
            Rule::BaseReference => "base-reference",
            Rule::BaseUnpinned => "base-unpinned",
            Rule::PythonVersion => "python-version",
            Rule::PipInvalid => "pip-invalid",
            Rule::PipUnpinned => "pip-unpinned",
            Rule::PipOptionAsPackage => "pip-option-as-package",
            Rule::PipOption => "pip-option",
            Rule::RequirementsFile => "requirements-file",
            Rule::PyprojectFile => "pyproject-file",
            Rule::LocalPathMissing => "local-path-missing",
            Rule::LocalPathAbsolute => "local-path-absolute",
            Rule::LocalPathOutsideRoot => "local-path-outside-root",
            Rule::ContextSpecialFile => "context-special-file",
            Rule::ContextNonUtf8Name => "context-non-utf8-name",
            Rule::ContextUnreadable => "context-unreadable",
            Rule::ContextExclude => "context-exclude",
            Rule::CopyPathSpecialChar => "copy-path-special-char",
            Rule::RemotePathRelative => "remote-path-relative",
            Rule::WorkdirRelative => "workdir-relative",
            Rule::EnvKey => "env-key",
            Rule::EnvSecret => "env-secret",
            Rule::MultiLine => "multi-line",
            Rule::RunHeredoc => "run-heredoc",
            Rule::DockerfileInstruction => "dockerfile-instruction",
            Rule::Empty => "empty",
            Rule::DuplicateInstruction => "duplicate-instruction",
            Rule::Resources => "resources",
            Rule::AptPackage => "apt-package",
            Rule::PipNeedsPython => "pip-needs-python",
            Rule::PipExternallyManaged => "pip-externally-managed",
            Rule::PackageManager => "package-manager",
            Rule::Allow => "allow",
        }
    }

    /// The rule with this id, if any.
    ///
    /// ```
    /// use pj_image::Rule;
    /// assert_eq!(Rule::from_id("pip-needs-python"), Some(Rule::PipNeedsPython));
    /// assert_eq!(Rule::from_id("pip_needs_python"), None);
    /// ```
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// Whether [`Image::allow`](crate::Image::allow) may silence this rule: only the
    /// inference rules that depend on what pithy knows about base images
    /// ([`Rule::SILENCEABLE`]). Every other rule holds on any base, so breaking it is a
    /// mistake in the definition itself.
    ///
    /// ```
    /// use pj_image::Rule;
    /// assert!(Rule::PackageManager.silenceable());
    /// assert!(!Rule::PipUnpinned.silenceable());
    /// ```
    pub fn silenceable(self) -> bool {
        Rule::SILENCEABLE.contains(&self)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Which part of an argument a violation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The whole argument (or the whole element, when [`Site::item`] is set).
    Whole,
    /// The key of an `(key, value)` pair.
    Key,
    /// The value of an `(key, value)` pair.
    Value,
}

/// Where in the definition a violation sits: the builder call, its argument, and
/// (for list arguments) the element.
///
/// Calls are numbered in chain order: the constructor (`Image::base`,
/// `Image::debian_slim`) is call 0, the first method call is 1, and so on.
/// `arg` is the argument's position in that call (0-based); for the `*_with`
/// variants the [`PipOptions`](crate::PipOptions) argument is the last one and
/// `item` then numbers its fields as [`PipOptionField::item`](crate::PipOptionField::item) does.
///
/// ```
/// use pj_image::{Image, Part};
/// let image = Image::base("python:3.12-slim-bookworm").pip_install(["ok==1.0", "torch>=2"]);
/// let v = &image.validate().unwrap_err()[0];
/// assert_eq!((v.site.call, v.site.arg, v.site.item, v.site.part), (1, 0, Some(1), Part::Whole));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Site {
    /// Index of the builder call in the chain (0 = the constructor).
    pub call: usize,
    /// Index of the argument within the call.
    pub arg: usize,
    /// Index of the element, for list arguments.
    pub item: Option<usize>,
    /// Which part of the element.
    pub part: Part,
}

impl Site {
    /// The whole argument `arg` of call `call`.
    pub fn arg(call: usize, arg: usize) -> Site {
        Site { call, arg, item: None, part: Part::Whole }
    }

    /// Element `item` of list argument `arg` of call `call`.
    pub fn item(call: usize, arg: usize, item: usize) -> Site {
        Site { call, arg, item: Some(item), part: Part::Whole }
    }

    /// The same site, narrowed to a part of an `(key, value)` element.
    pub fn part(self, part: Part) -> Site {
        Site { part, ..self }
    }
}

/// One broken rule: which rule, where, the offending value, and a message that says the fix.
///
/// ```
/// use pj_image::{Image, Rule};
/// let errors = Image::base("python:latest").validate().unwrap_err();
/// assert_eq!(errors[0].rule, Rule::BaseUnpinned);
/// assert_eq!(errors[0].value, "python:latest");
/// assert!(errors[0].message.contains("pin"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule that was broken.
    pub rule: Rule,
    /// Where in the definition.
    pub site: Site,
    /// The offending value as the user wrote it.
    pub value: String,
    /// What is wrong and how to fix it (lowercase, no trailing period, like rustc).
    pub message: String,
}

impl Violation {
    /// A violation of `rule` at `site`.
    pub fn new(rule: Rule, site: Site, value: impl Into<String>, message: impl Into<String>) -> Self {
        Violation { rule, site, value: value.into(), message: message.into() }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule, self.message)
    }
}

impl std::error::Error for Violation {}

/// All the violations of a definition, in chain order. Never empty when returned as an error.
///
/// ```
/// use pj_image::Image;
/// let errors = Image::base("ubuntu").pip_install(["torch"]).validate().unwrap_err();
/// assert_eq!(errors.len(), 2);
/// println!("{errors}"); // one violation per line
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Violations(pub Vec<Violation>);

impl std::ops::Deref for Violations {
    type Target = [Violation];
    fn deref(&self) -> &[Violation] {
        &self.0
    }
}

impl IntoIterator for Violations {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}
