//! The builder's vocabulary as data, the one intermediate form every part shares:
//! [`Image`](crate::Image) records one [`Call`] per builder method, the rules check
//! the calls, the renderer renders them, and `#[pithy_image]` lowers the literals of a
//! chain into them through the method table ([`METHODS`]).
//!
//! A builder method is added here (its `Call` variant and its [`Method`] entry) and in
//! `image.rs` (the public method); the macro picks it up from the table. The unit test
//! `every_method_builds_what_the_builder_records` checks that the two agree.
//!
//! ```
//! use pj_image::Image;
//! use pj_image::call::{self, Arg, Call};
//!
//! let method = call::method("workdir").unwrap();
//! let recorded = method.call(vec![Arg::Str("/app".into())]).unwrap();
//! assert_eq!(recorded, Call::Workdir("/app".into()));
//! let image = Image::from_calls([Call::Base("debian:12".into()), recorded]);
//! assert_eq!(image, Image::base("debian:12").workdir("/app"));
//! ```

use std::path::PathBuf;

use crate::Rule;

/// Options of the `pip install` calls, as in Daytona's SDK (`find_links`, `index_url`,
/// `extra_index_urls`, `pre`, `extra_options`), rendered in that fixed order.
///
/// ```
/// use pj_image::{Image, PipOptions};
/// let image = Image::base("python:3.12.10-slim-bookworm").pip_install_with(
///     ["requests==2.32.3"],
///     PipOptions { index_url: Some("https://pypi.org/simple".into()), pre: true, ..Default::default() },
/// );
/// assert!(image.dockerfile().ends_with(
///     "RUN python -m pip install requests==2.32.3 --index-url https://pypi.org/simple --pre\n"
/// ));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipOptions {
    /// `--find-links` values, one flag each.
    pub find_links: Vec<String>,
    /// `--index-url`, when set and not empty.
    pub index_url: Option<String>,
    /// `--extra-index-url` values, one flag each.
    pub extra_index_urls: Vec<String>,
    /// `--pre`.
    pub pre: bool,
    /// Appended verbatim (trimmed) at the end of the command, e.g. `"--no-cache-dir"`.
    pub extra_options: String,
}

impl PipOptions {
    /// Sets `field` to `value`; `false` (and nothing set) when the value is not of the
    /// field's [`kind`](PipOptionField::kind).
    ///
    /// ```
    /// use pj_image::{PipOptionField, PipOptions};
    /// use pj_image::call::OptionValue;
    /// let mut o = PipOptions::default();
    /// assert!(o.set(PipOptionField::Pre, OptionValue::Bool(true)));
    /// assert!(!o.set(PipOptionField::Pre, OptionValue::Str("yes".into())));
    /// assert!(o.pre);
    /// ```
    pub fn set(&mut self, field: PipOptionField, value: OptionValue) -> bool {
        use OptionValue as V;
        use PipOptionField as F;
        match (field, value) {
            (F::FindLinks, V::List(v)) => self.find_links = v,
            (F::IndexUrl, V::OptionalStr(v)) => self.index_url = v,
            (F::ExtraIndexUrls, V::List(v)) => self.extra_index_urls = v,
            (F::Pre, V::Bool(v)) => self.pre = v,
            (F::ExtraOptions, V::Str(v)) => self.extra_options = v,
            _ => return false,
        }
        true
    }
}

/// What a directory context leaves out, for
/// [`Image::add_local_dir_with`](crate::Image::add_local_dir_with). Excluded entries
/// are neither hashed, nor archived, nor uploaded; the Dockerfile is the same as
/// `add_local_dir`'s.
///
/// - `exclude`: patterns relative to the directory, with `.dockerignore`'s meaning
///   (`target`, `**/*.log`, `!keep.log`; see `daytona_contract::context::Exclude`).
/// - `dockerignore`: also read `<local>/.dockerignore` (its patterns come first, then
///   `exclude`'s, so `exclude` can bring back what the file leaves out).
///
/// A violation about a pattern points at it: [`Site::item`](crate::Site::item) is the
/// pattern's index in `exclude`; one about `.dockerignore` has no item and
/// [`Part::Value`](crate::Part::Value).
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # std::fs::create_dir(dir.path().join("app")).unwrap();
/// use pj_image::{DirOptions, Image};
/// let image = Image::base("python:3.12.10-slim-bookworm").context_root(dir.path()).add_local_dir_with(
///     "app",
///     "/app",
///     DirOptions { exclude: vec!["**/__pycache__".into(), "*.log".into()], ..Default::default() },
/// );
/// assert!(image.dockerfile().ends_with("COPY [\"app\", \"/app\"]\n"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirOptions {
    /// Patterns of what to leave out.
    pub exclude: Vec<String>,
    /// Whether to read `<local>/.dockerignore` as well.
    pub dockerignore: bool,
}

impl DirOptions {
    /// The field names, for the macro's messages.
    pub const FIELDS: [&'static str; 2] = ["exclude", "dockerignore"];
}

/// The fields of [`PipOptions`], in declaration order ([`PipOptionField::ALL`]), with
/// their names and kinds. A violation about an option points at its field: then
/// [`Site::item`](crate::Site::item) is the field's [`item`](PipOptionField::item).
///
/// ```
/// use pj_image::PipOptionField;
/// let names: Vec<&str> = PipOptionField::ALL.iter().map(|f| f.name()).collect();
/// assert_eq!(names, ["find_links", "index_url", "extra_index_urls", "pre", "extra_options"]);
/// assert_eq!(PipOptionField::from_item(PipOptionField::IndexUrl.item()), Some(PipOptionField::IndexUrl));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PipOptionField {
    /// `find_links` (element index is not recorded; the message names the value).
    FindLinks,
    /// `index_url`.
    IndexUrl,
    /// `extra_index_urls`.
    ExtraIndexUrls,
    /// `pre` (a flag: no rule is about it).
    Pre,
    /// `extra_options`.
    ExtraOptions,
}

impl PipOptionField {
    /// Every field, in the order [`PipOptions`] declares them.
    pub const ALL: [PipOptionField; 5] = [
        PipOptionField::FindLinks,
        PipOptionField::IndexUrl,
        PipOptionField::ExtraIndexUrls,
        PipOptionField::Pre,
        PipOptionField::ExtraOptions,
    ];

    /// The field's name in [`PipOptions`].
    pub fn name(self) -> &'static str {
        match self {
            PipOptionField::FindLinks => "find_links",
            PipOptionField::IndexUrl => "index_url",
            PipOptionField::ExtraIndexUrls => "extra_index_urls",
            PipOptionField::Pre => "pre",
            PipOptionField::ExtraOptions => "extra_options",
        }
    }

    /// The field with this name, if any.
    pub fn from_name(name: &str) -> Option<PipOptionField> {
        PipOptionField::ALL.into_iter().find(|f| f.name() == name)
    }

    /// What the field holds.
    pub fn kind(self) -> OptionKind {
        match self {
            PipOptionField::FindLinks | PipOptionField::ExtraIndexUrls => OptionKind::List,
            PipOptionField::IndexUrl => OptionKind::OptionalStr,
            PipOptionField::Pre => OptionKind::Bool,
            PipOptionField::ExtraOptions => OptionKind::Str,
        }
    }

    /// The number [`Site::item`](crate::Site::item) gives the field. Stable: the four
    /// fields a rule can be about keep the numbers they were released with.
    pub fn item(self) -> usize {
        match self {
            PipOptionField::FindLinks => 0,
            PipOptionField::IndexUrl => 1,
            PipOptionField::ExtraIndexUrls => 2,
            PipOptionField::ExtraOptions => 3,
            PipOptionField::Pre => 4,
        }
    }

    /// The field [`item`](PipOptionField::item) numbers `item`.
    pub fn from_item(item: usize) -> Option<PipOptionField> {
        PipOptionField::ALL.into_iter().find(|f| f.item() == item)
    }
}

/// What a [`PipOptions`] field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionKind {
    /// A list of strings (`Vec<String>`).
    List,
    /// An optional string (`Option<String>`).
    OptionalStr,
    /// A flag (`bool`).
    Bool,
    /// A string.
    Str,
}

/// A value for a [`PipOptions`] field; see [`PipOptions::set`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// For [`OptionKind::List`].
    List(Vec<String>),
    /// For [`OptionKind::OptionalStr`].
    OptionalStr(Option<String>),
    /// For [`OptionKind::Bool`].
    Bool(bool),
    /// For [`OptionKind::Str`].
    Str(String),
}

/// One builder call, as [`Image`](crate::Image) records it: the method and its
/// arguments, before any check. Each variant is one builder method (the `*_with`
/// methods and their plain forms share one, with default options).
///
/// ```
/// use pj_image::Image;
/// use pj_image::call::Call;
/// let image = Image::base("debian:12").run_commands(["echo hi"]);
/// assert_eq!(image.calls()[1], Call::RunCommands(vec!["echo hi".into()]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Call {
    /// [`Image::base`](crate::Image::base).
    Base(String),
    /// [`Image::debian_slim`](crate::Image::debian_slim).
    DebianSlim(String),
    /// [`Image::pip_install_with`](crate::Image::pip_install_with).
    PipInstall(Vec<String>, PipOptions),
    /// [`Image::pip_install_from_requirements_with`](crate::Image::pip_install_from_requirements_with).
    PipRequirements(String, PipOptions),
    /// [`Image::pip_install_from_pyproject_with`](crate::Image::pip_install_from_pyproject_with).
    PipPyproject(String, Vec<String>, PipOptions),
    /// [`Image::add_local_file`](crate::Image::add_local_file).
    AddLocalFile(String, String),
    /// [`Image::add_local_dir_with`](crate::Image::add_local_dir_with).
    AddLocalDir(String, String, DirOptions),
    /// [`Image::run_commands`](crate::Image::run_commands).
    RunCommands(Vec<String>),
    /// [`Image::apt_install`](crate::Image::apt_install).
    AptInstall(Vec<String>),
    /// [`Image::env`](crate::Image::env).
    Env(Vec<(String, String)>),
    /// [`Image::workdir`](crate::Image::workdir).
    Workdir(String),
    /// [`Image::entrypoint`](crate::Image::entrypoint).
    Entrypoint(Vec<String>),
    /// [`Image::cmd`](crate::Image::cmd).
    Cmd(Vec<String>),
    /// [`Image::from_dockerfile`](crate::Image::from_dockerfile): the Dockerfile's path.
    FromDockerfile(String),
    /// [`Image::dockerfile_commands`](crate::Image::dockerfile_commands): the lines and
    /// the context directory (`""`: the context root).
    DockerfileCommands(Vec<String>, String),
    /// [`Image::context_root`](crate::Image::context_root).
    ContextRoot(PathBuf),
    /// [`Image::allow`](crate::Image::allow).
    Allow(Rule),
}

/// What a builder method's argument is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// A string (`impl AsRef<str>`, or a path).
    Str,
    /// A list of strings.
    StrList,
    /// A list of `(key, value)` string pairs.
    PairList,
    /// A [`PipOptions`].
    Options,
    /// A [`Rule`].
    Rule,
    /// A [`DirOptions`].
    DirOptions,
}

/// An argument value, of one [`ArgKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// For [`ArgKind::Str`].
    Str(String),
    /// For [`ArgKind::StrList`].
    StrList(Vec<String>),
    /// For [`ArgKind::PairList`].
    PairList(Vec<(String, String)>),
    /// For [`ArgKind::Options`].
    Options(PipOptions),
    /// For [`ArgKind::Rule`].
    Rule(Rule),
    /// For [`ArgKind::DirOptions`].
    DirOptions(DirOptions),
}

impl Arg {
    /// The kind of this value.
    pub fn kind(&self) -> ArgKind {
        match self {
            Arg::Str(_) => ArgKind::Str,
            Arg::StrList(_) => ArgKind::StrList,
            Arg::PairList(_) => ArgKind::PairList,
            Arg::Options(_) => ArgKind::Options,
            Arg::Rule(_) => ArgKind::Rule,
            Arg::DirOptions(_) => ArgKind::DirOptions,
        }
    }
}

/// One builder method: its name, its arguments, and the [`Call`] it records.
///
/// ```
/// use pj_image::call::{self, Arg, ArgKind, Call};
/// let m = call::method("add_local_file").unwrap();
/// assert_eq!(m.args, [ArgKind::Str, ArgKind::Str]);
/// assert!(!m.constructor);
/// let c = m.call(vec![Arg::Str("a.sh".into()), Arg::Str("/app/a.sh".into())]);
/// assert_eq!(c, Some(Call::AddLocalFile("a.sh".into(), "/app/a.sh".into())));
/// assert_eq!(m.call(vec![Arg::Str("a.sh".into())]), None); // one argument short
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Method {
    /// The method's name, as written in Rust.
    pub name: &'static str,
    /// Its arguments' kinds, in order.
    pub args: &'static [ArgKind],
    /// Whether it starts a chain (`Image::base`, `Image::debian_slim`) rather than
    /// extending one.
    pub constructor: bool,
    /// Why `#[pithy_image]` refuses the method in its chain, when it does: the
    /// attribute does the method's work itself.
    pub not_in_attribute: Option<&'static str>,
    build: fn(&mut Args) -> Option<Call>,
}

impl Method {
    /// The call this method records with `args`; `None` when they are not of the
    /// method's kinds ([`Method::args`]).
    pub fn call(&self, args: Vec<Arg>) -> Option<Call> {
        let kinds_match =
            args.len() == self.args.len() && args.iter().zip(self.args).all(|(a, k)| a.kind() == *k);
        if kinds_match { (self.build)(&mut Args(args.into_iter())) } else { None }
    }
}

/// The builder method named `name`, if any.
///
/// ```
/// assert!(pj_image::call::method("debian_slim").unwrap().constructor);
/// assert!(pj_image::call::method("user").is_none());
/// ```
pub fn method(name: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.name == name)
}

/// Every builder method, constructors first, in the order error messages list them.
pub const METHODS: &[Method] = &[
    Method {
        name: "base",
        args: &[ArgKind::Str],
        constructor: true,
        not_in_attribute: None,
        build: |a| Some(Call::Base(a.str()?)),
    },
    Method {
        name: "debian_slim",
        args: &[ArgKind::Str],
        constructor: true,
        not_in_attribute: None,
        build: |a| Some(Call::DebianSlim(a.str()?)),
    },
    Method {
        name: "from_dockerfile",
        args: &[ArgKind::Str],
        constructor: true,
        not_in_attribute: None,
        build: |a| Some(Call::FromDockerfile(a.str()?)),
    },
    extend("pip_install", &[ArgKind::StrList], |a| Some(Call::PipInstall(a.list()?, PipOptions::default()))),
    extend("pip_install_with", &[ArgKind::StrList, ArgKind::Options], |a| {
        Some(Call::PipInstall(a.list()?, a.options()?))
    }),
    extend("pip_install_from_requirements", &[ArgKind::Str], |a| {
        Some(Call::PipRequirements(a.str()?, PipOptions::default()))
    }),
    extend("pip_install_from_requirements_with", &[ArgKind::Str, ArgKind::Options], |a| {
        Some(Call::PipRequirements(a.str()?, a.options()?))
    }),
    extend("pip_install_from_pyproject", &[ArgKind::Str, ArgKind::StrList], |a| {
        Some(Call::PipPyproject(a.str()?, a.list()?, PipOptions::default()))
    }),
    extend("pip_install_from_pyproject_with", &[ArgKind::Str, ArgKind::StrList, ArgKind::Options], |a| {
        Some(Call::PipPyproject(a.str()?, a.list()?, a.options()?))
    }),
    extend("add_local_file", &[ArgKind::Str, ArgKind::Str], |a| Some(Call::AddLocalFile(a.str()?, a.str()?))),
    extend("add_local_dir", &[ArgKind::Str, ArgKind::Str], |a| {
        Some(Call::AddLocalDir(a.str()?, a.str()?, DirOptions::default()))
    }),
    extend("add_local_dir_with", &[ArgKind::Str, ArgKind::Str, ArgKind::DirOptions], |a| {
        Some(Call::AddLocalDir(a.str()?, a.str()?, a.dir_options()?))
    }),
    extend("run_commands", &[ArgKind::StrList], |a| Some(Call::RunCommands(a.list()?))),
    extend("apt_install", &[ArgKind::StrList], |a| Some(Call::AptInstall(a.list()?))),
    extend("env", &[ArgKind::PairList], |a| Some(Call::Env(a.pairs()?))),
    extend("workdir", &[ArgKind::Str], |a| Some(Call::Workdir(a.str()?))),
    extend("entrypoint", &[ArgKind::StrList], |a| Some(Call::Entrypoint(a.list()?))),
    extend("cmd", &[ArgKind::StrList], |a| Some(Call::Cmd(a.list()?))),
    extend("dockerfile_commands", &[ArgKind::StrList, ArgKind::Str], |a| {
        Some(Call::DockerfileCommands(a.list()?, a.str()?))
    }),
    Method {
        name: "context_root",
        args: &[ArgKind::Str],
        constructor: false,
        not_in_attribute: Some(
            "#[pithy_image] resolves local paths against the crate directory; remove `.context_root(..)`",
        ),
        build: |a| Some(Call::ContextRoot(PathBuf::from(a.str()?))),
    },
    Method {
        name: "allow",
        args: &[ArgKind::Rule],
        constructor: false,
        not_in_attribute: Some(
            "in #[pithy_image], silence a rule in the attribute instead: \
             #[pithy_image(allow(pip-needs-python))]; remove `.allow(..)`",
        ),
        build: |a| Some(Call::Allow(a.rule()?)),
    },
];

/// A method that extends a chain and that `#[pithy_image]` takes as written.
const fn extend(
    name: &'static str,
    args: &'static [ArgKind],
    build: fn(&mut Args) -> Option<Call>,
) -> Method {
    Method { name, args, constructor: false, not_in_attribute: None, build }
}

/// A method's arguments, taken in order by kind. `Method::call` has checked the kinds,
/// so each take succeeds; a mismatch would give `None`, never a panic.
struct Args(std::vec::IntoIter<Arg>);

impl Args {
    fn str(&mut self) -> Option<String> {
        match self.0.next()? {
            Arg::Str(s) => Some(s),
            _ => None,
        }
    }

    fn list(&mut self) -> Option<Vec<String>> {
        match self.0.next()? {
            Arg::StrList(l) => Some(l),
            _ => None,
        }
    }

    fn pairs(&mut self) -> Option<Vec<(String, String)>> {
        match self.0.next()? {
            Arg::PairList(p) => Some(p),
            _ => None,
        }
    }

    fn options(&mut self) -> Option<PipOptions> {
        match self.0.next()? {
            Arg::Options(o) => Some(o),
            _ => None,
        }
    }

    fn dir_options(&mut self) -> Option<DirOptions> {
        match self.0.next()? {
            Arg::DirOptions(o) => Some(o),
            _ => None,
        }
    }

    fn rule(&mut self) -> Option<Rule> {
        match self.0.next()? {
            Arg::Rule(r) => Some(r),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Image;

    fn s(v: &str) -> Arg {
        Arg::Str(v.into())
    }

    fn list(v: &[&str]) -> Arg {
        Arg::StrList(v.iter().map(|x| x.to_string()).collect())
    }

    fn dir_options() -> DirOptions {
        DirOptions { exclude: vec!["target".into()], dockerignore: true }
    }

    fn options() -> PipOptions {
        PipOptions { index_url: Some("https://pypi.org/simple".into()), pre: true, ..Default::default() }
    }

    /// The method each call comes from, by its plain name. The match has no wildcard,
    /// so a new `Call` variant does not compile until it is listed here, and then
    /// `every_method_builds_what_the_builder_records` asks for its table entry.
    fn recorded_by(call: &Call) -> &'static str {
        match call {
            Call::Base(_) => "base",
            Call::DebianSlim(_) => "debian_slim",
            Call::PipInstall(..) => "pip_install",
            Call::PipRequirements(..) => "pip_install_from_requirements",
            Call::PipPyproject(..) => "pip_install_from_pyproject",
            Call::AddLocalFile(..) => "add_local_file",
            Call::AddLocalDir(..) => "add_local_dir",
            Call::RunCommands(_) => "run_commands",
            Call::AptInstall(_) => "apt_install",
            Call::Env(_) => "env",
            Call::Workdir(_) => "workdir",
            Call::Entrypoint(_) => "entrypoint",
            Call::Cmd(_) => "cmd",
            Call::FromDockerfile(_) => "from_dockerfile",
            Call::DockerfileCommands(..) => "dockerfile_commands",
            Call::ContextRoot(_) => "context_root",
            Call::Allow(_) => "allow",
        }
    }

    /// Every table entry, called with sample arguments, records the same call as the
    /// builder method of that name; and every builder method has an entry.
    #[test]
    fn every_method_builds_what_the_builder_records() {
        let start = || Image::base("debian:12");
        let pairs = Arg::PairList(vec![("K".into(), "v".into())]);
        let cases: Vec<(&str, Vec<Arg>, Image)> = vec![
            ("base", vec![s("debian:12")], Image::base("debian:12")),
            ("debian_slim", vec![s("3.12")], Image::debian_slim("3.12")),
            ("pip_install", vec![list(&["a==1"])], start().pip_install(["a==1"])),
            (
                "pip_install_with",
                vec![list(&["a==1"]), Arg::Options(options())],
                start().pip_install_with(["a==1"], options()),
            ),
            (
                "pip_install_from_requirements",
                vec![s("r.txt")],
                start().pip_install_from_requirements("r.txt"),
            ),
            (
                "pip_install_from_requirements_with",
                vec![s("r.txt"), Arg::Options(options())],
                start().pip_install_from_requirements_with("r.txt", options()),
            ),
            (
                "pip_install_from_pyproject",
                vec![s("pyproject.toml"), list(&["dev"])],
                start().pip_install_from_pyproject("pyproject.toml", ["dev"]),
            ),
            (
                "pip_install_from_pyproject_with",
                vec![s("pyproject.toml"), list(&["dev"]), Arg::Options(options())],
                start().pip_install_from_pyproject_with("pyproject.toml", ["dev"], options()),
            ),
            ("add_local_file", vec![s("a"), s("/b")], start().add_local_file("a", "/b")),
            ("add_local_dir", vec![s("a"), s("/b")], start().add_local_dir("a", "/b")),
            (
                "add_local_dir_with",
                vec![s("a"), s("/b"), Arg::DirOptions(dir_options())],
                start().add_local_dir_with("a", "/b", dir_options()),
            ),
            ("run_commands", vec![list(&["echo"])], start().run_commands(["echo"])),
            ("apt_install", vec![list(&["git"])], start().apt_install(["git"])),
            ("env", vec![pairs], start().env([("K", "v")])),
            ("workdir", vec![s("/app")], start().workdir("/app")),
            ("entrypoint", vec![list(&["sh"])], start().entrypoint(["sh"])),
            ("cmd", vec![list(&["sh"])], start().cmd(["sh"])),
            ("from_dockerfile", vec![s("Dockerfile")], Image::from_dockerfile("Dockerfile")),
            (
                "dockerfile_commands",
                vec![list(&["RUN echo"]), s("ctx/")],
                start().dockerfile_commands(["RUN echo"], "ctx/"),
            ),
            ("context_root", vec![s("/srv")], start().context_root("/srv")),
            ("allow", vec![Arg::Rule(Rule::PackageManager)], start().allow(Rule::PackageManager)),
        ];
        let mut names: Vec<&str> = cases.iter().map(|(n, _, _)| *n).collect();
        let mut table: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        table.sort_unstable();
        assert_eq!(names, table, "every table entry has a case here, and every case an entry");
        for (name, args, built) in cases {
            let m = method(name).unwrap();
            let recorded = built.calls().last().unwrap().clone();
            assert_eq!(m.call(args).as_ref(), Some(&recorded), "{name}");
            assert!(name.starts_with(recorded_by(&recorded)), "{name} records {recorded:?}");
            assert_eq!(m.constructor, built.calls().len() == 1, "{name}");
        }
    }

    #[test]
    fn wrong_arguments_build_no_call() {
        let m = method("env").unwrap();
        assert_eq!(m.call(vec![]), None);
        assert_eq!(m.call(vec![s("K=v")]), None);
        assert_eq!(m.call(vec![Arg::PairList(vec![]), Arg::PairList(vec![])]), None);
    }

    /// `DirOptions::FIELDS` names every field: destructuring without `..` stops compiling
    /// when a field is added.
    #[test]
    fn the_dir_option_fields_are_the_struct_fields() {
        let DirOptions { exclude, dockerignore } = DirOptions::default();
        let _ = (exclude, dockerignore);
        let debug = format!("{:?}", DirOptions::default());
        for field in DirOptions::FIELDS {
            assert!(debug.contains(&format!("{field}:")), "{field}");
        }
    }

    /// The field table names every field of `PipOptions`: destructuring without `..`
    /// stops compiling when a field is added, and the names must match the struct's.
    #[test]
    fn the_option_fields_are_the_struct_fields() {
        let PipOptions { find_links, index_url, extra_index_urls, pre, extra_options } =
            PipOptions::default();
        let _ = (find_links, index_url, extra_index_urls, pre, extra_options);
        let debug = format!("{:?}", PipOptions::default());
        for field in PipOptionField::ALL {
            assert!(debug.contains(&format!("{}:", field.name())), "{}", field.name());
            assert_eq!(PipOptionField::from_name(field.name()), Some(field));
            assert_eq!(PipOptionField::from_item(field.item()), Some(field));
            let value = match field.kind() {
                OptionKind::List => OptionValue::List(vec!["x".into()]),
                OptionKind::OptionalStr => OptionValue::OptionalStr(Some("x".into())),
                OptionKind::Bool => OptionValue::Bool(true),
                OptionKind::Str => OptionValue::Str("x".into()),
            };
            let mut o = PipOptions::default();
            assert!(o.set(field, value), "{}", field.name());
            assert_ne!(o, PipOptions::default(), "{}", field.name());
        }
    }
}
