//! The builder: Daytona's `Image` vocabulary, recorded call by call.

use std::path::Path;

use crate::call::{Call, DirOptions, PipOptions};
use crate::render::{self, Rendered};
use crate::{Rule, Violation, Violations};

/// An image definition in the vocabulary of Daytona's SDK.
///
/// Each method appends one step, exactly as `daytona.Image` does, and returns the image.
/// Builder calls never fail or panic: problems are found by [`Image::validate`] (all of
/// them at once) and [`Image::render`]. Local paths are relative to the
/// [context root](Image::context_root) (the current directory unless set), and become
/// the archive paths that appear in the Dockerfile.
///
/// ```
/// use pj_image::Image;
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("sandbox")).unwrap();
/// std::fs::write(dir.path().join("sandbox/run.sh"), "echo hi\n").unwrap();
///
/// let image = Image::base("python:3.12-slim-bookworm")
///     .context_root(dir.path())
///     .run_commands(["apt-get update && apt-get install -y git"])
///     .pip_install(["openai==1.54.0", "anthropic==0.39.0"])
///     .add_local_file("sandbox/run.sh", "/app/run.sh")
///     .env([("MODEL", "gpt-4o")])
///     .workdir("/app");
/// assert!(image.validate().is_ok());
/// assert_eq!(image.dockerfile(), "FROM python:3.12-slim-bookworm\n\
///     RUN apt-get update && apt-get install -y git\n\
///     RUN python -m pip install anthropic==0.39.0 openai==1.54.0\n\
///     COPY [\"sandbox/run.sh\", \"/app/run.sh\"]\n\
///     ENV MODEL=gpt-4o\n\
///     WORKDIR /app\n");
/// let rendered = image.render().unwrap();
/// assert_eq!(rendered.contexts[0].archive_path, "sandbox/run.sh");
/// assert_eq!(rendered.contexts[0].md5.len(), 32);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    calls: Vec<Call>,
}

fn strings<I>(items: I) -> Vec<String>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    items.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

impl Image {
    fn push(mut self, call: Call) -> Self {
        self.calls.push(call);
        self
    }

    /// The image that records `calls`, in order: what the builder methods would have
    /// recorded. `#[pithy_image]` builds its image this way, through the method table
    /// ([`call::METHODS`](crate::call::METHODS)).
    ///
    /// ```
    /// use pj_image::Image;
    /// use pj_image::call::Call;
    /// let image = Image::from_calls([Call::Base("debian:12".into()), Call::Workdir("/app".into())]);
    /// assert_eq!(image, Image::base("debian:12").workdir("/app"));
    /// ```
    pub fn from_calls(calls: impl IntoIterator<Item = Call>) -> Image {
        Image { calls: calls.into_iter().collect() }
    }

    /// The calls recorded so far, constructor first.
    ///
    /// ```
    /// use pj_image::call::Call;
    /// let image = pj_image::Image::debian_slim("3.12");
    /// assert_eq!(image.calls(), [Call::DebianSlim("3.12".into())]);
    /// ```
    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    /// `FROM <reference>`. The reference must be well formed and pinned by a tag or a
    /// digest (`latest`, `lts` and `stable` are refused).
    ///
    /// ```
    /// assert_eq!(pj_image::Image::base("ubuntu:22.04").dockerfile(), "FROM ubuntu:22.04\n");
    /// ```
    pub fn base(reference: impl AsRef<str>) -> Image {
        Image { calls: vec![Call::Base(reference.as_ref().to_owned())] }
    }

    /// Daytona's Debian slim Python image: `python:<V>-slim-bookworm` plus four setup
    /// lines. `"3.9"` to `"3.13"` map to the SDK's pinned micro versions (`"3.12"` →
    /// `3.12.10`); a full version such as `"3.12.1"` is used as written.
    ///
    /// ```
    /// let df = pj_image::Image::debian_slim("3.12").dockerfile();
    /// assert!(df.starts_with("FROM python:3.12.10-slim-bookworm\nRUN apt-get update\n"));
    /// ```
    pub fn debian_slim(python_version: impl AsRef<str>) -> Image {
        Image { calls: vec![Call::DebianSlim(python_version.as_ref().to_owned())] }
    }

    /// An image that starts from an existing Dockerfile, whose text is used as it is (CRLF
    /// line ends read as LF), as Daytona's SDK does. Its instructions go through the
    /// builder's rules (see [`dockerfile_commands`](Image::dockerfile_commands)), each
    /// message naming the file and line (`Dockerfile:3: ...`). The `COPY` sources are
    /// relative to the Dockerfile's directory and uploaded as contexts; the file itself
    /// is not uploaded. More steps can follow.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::create_dir_all(dir.path().join("sandbox/app")).unwrap();
    /// # std::fs::write(dir.path().join("sandbox/app/main.py"), "print('hi')\n").unwrap();
    /// std::fs::write(
    ///     dir.path().join("sandbox/Dockerfile"),
    ///     "FROM python:3.12.10-slim-bookworm\nCOPY app /app\nRUN pip install 'rich==13.9.4'\n",
    /// )
    /// .unwrap();
    /// let image = pj_image::Image::from_dockerfile("sandbox/Dockerfile").context_root(dir.path()).workdir("/app");
    /// let rendered = image.render().unwrap();
    /// assert_eq!(
    ///     rendered.dockerfile,
    ///     "FROM python:3.12.10-slim-bookworm\nCOPY app /app\nRUN pip install 'rich==13.9.4'\nWORKDIR /app\n"
    /// );
    /// assert_eq!(rendered.contexts[0].archive_path, "app");
    /// ```
    pub fn from_dockerfile(path: impl AsRef<str>) -> Image {
        Image { calls: vec![Call::FromDockerfile(path.as_ref().to_owned())] }
    }

    /// Dockerfile instructions written as they are, one line each, as Daytona's SDK
    /// appends them (the lines joined with newlines). `COPY` sources are relative to
    /// `context_dir` (itself relative to the context root; `""` for the root) and are
    /// uploaded as contexts.
    ///
    /// The instructions are read as Docker reads them (continuations, comments, the JSON
    /// form) and held to the builder's rules: every `FROM` pinned, every `COPY` source
    /// inside the context directory and present, no secret-looking `ENV` or `ARG` with
    /// a value, every `pip install` in a `RUN` pinned, no wildcard `COPY` source. What
    /// pithy cannot check (a heredoc, a local `ADD` source, an unknown instruction) is
    /// refused ([`Rule::DockerfileInstruction`](crate::Rule::DockerfileInstruction)).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::create_dir_all(dir.path().join("ctx/app")).unwrap();
    /// let image = pj_image::Image::base("python:3.12.10-slim-bookworm")
    ///     .context_root(dir.path())
    ///     .dockerfile_commands(["COPY app /app", "RUN pip install 'rich==13.9.4'"], "ctx/");
    /// assert!(image.validate().is_ok());
    /// assert!(image.dockerfile().ends_with("COPY app /app\nRUN pip install 'rich==13.9.4'\n"));
    /// let bad = pj_image::Image::base("python:3.12.10-slim-bookworm").dockerfile_commands(["ENV HF_TOKEN=hf_x"], "");
    /// assert_eq!(bad.violations()[0].rule, pj_image::Rule::EnvSecret);
    /// ```
    pub fn dockerfile_commands<I>(self, lines: I, context_dir: impl AsRef<str>) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.push(Call::DockerfileCommands(strings(lines), context_dir.as_ref().to_owned()))
    }

    /// `RUN python -m pip install <packages>`, sorted as the SDK sorts them. Every package
    /// must be pinned (`name==version`, `name===version`, or a URL with `#sha256=`).
    /// An empty list adds nothing.
    ///
    /// ```
    /// let df = pj_image::Image::base("python:3.12.10").pip_install(["b==1", "a==2"]).dockerfile();
    /// assert!(df.ends_with("RUN python -m pip install a==2 b==1\n"));
    /// ```
    pub fn pip_install<I>(self, packages: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.pip_install_with(packages, PipOptions::default())
    }

    /// [`pip_install`](Image::pip_install) with [`PipOptions`].
    pub fn pip_install_with<I>(self, packages: I, options: PipOptions) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.push(Call::PipInstall(strings(packages), options))
    }

    /// Copies a requirements file to `/.requirements.txt` and installs it. Every line is
    /// checked (recursively through `-r`/`-c`), with the file and line in each message.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::write(dir.path().join("requirements.txt"), "requests==2.32.3\n").unwrap();
    /// let image = pj_image::Image::base("python:3.12.10")
    ///     .context_root(dir.path())
    ///     .pip_install_from_requirements("requirements.txt");
    /// assert!(image.dockerfile().ends_with(
    ///     "COPY requirements.txt /.requirements.txt\nRUN python -m pip install -r /.requirements.txt\n"
    /// ));
    /// ```
    pub fn pip_install_from_requirements(self, path: impl AsRef<str>) -> Self {
        self.pip_install_from_requirements_with(path, PipOptions::default())
    }

    /// [`pip_install_from_requirements`](Image::pip_install_from_requirements) with [`PipOptions`].
    pub fn pip_install_from_requirements_with(self, path: impl AsRef<str>, options: PipOptions) -> Self {
        self.push(Call::PipRequirements(path.as_ref().to_owned(), options))
    }

    /// Installs `[project] dependencies` of a `pyproject.toml`, then the requested
    /// optional groups, inlined into one `pip install` (the file is not uploaded).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::write(dir.path().join("pyproject.toml"),
    /// #     "[project]\nname='x'\ndependencies=['rich==13.9.4']\n[project.optional-dependencies]\ndev=['pytest==8.3.4']\n").unwrap();
    /// let image = pj_image::Image::base("python:3.12.10")
    ///     .context_root(dir.path())
    ///     .pip_install_from_pyproject("pyproject.toml", ["dev"]);
    /// assert!(image.dockerfile().ends_with("RUN python -m pip install pytest==8.3.4 rich==13.9.4\n"));
    /// ```
    pub fn pip_install_from_pyproject<I>(self, path: impl AsRef<str>, optional_groups: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.pip_install_from_pyproject_with(path, optional_groups, PipOptions::default())
    }

    /// [`pip_install_from_pyproject`](Image::pip_install_from_pyproject) with [`PipOptions`].
    pub fn pip_install_from_pyproject_with<I>(
        self,
        path: impl AsRef<str>,
        optional_groups: I,
        options: PipOptions,
    ) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.push(Call::PipPyproject(path.as_ref().to_owned(), strings(optional_groups), options))
    }

    /// `COPY ["<archive path>", "<remote>"]`: uploads a local file as a build context.
    /// A remote path ending in `/` gets the file's name appended, as in the SDK.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::write(dir.path().join("run.sh"), "").unwrap();
    /// let image = pj_image::Image::base("ubuntu:22.04").context_root(dir.path()).add_local_file("./run.sh", "/app/");
    /// assert!(image.dockerfile().ends_with("COPY [\"run.sh\", \"/app/run.sh\"]\n"));
    /// ```
    pub fn add_local_file(self, local: impl AsRef<str>, remote: impl AsRef<str>) -> Self {
        self.push(Call::AddLocalFile(local.as_ref().to_owned(), remote.as_ref().to_owned()))
    }

    /// `COPY ["<archive path>", "<remote>"]` for a whole local directory.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::create_dir(dir.path().join("app")).unwrap();
    /// let image = pj_image::Image::base("ubuntu:22.04").context_root(dir.path()).add_local_dir("app", "/opt/app");
    /// assert!(image.dockerfile().ends_with("COPY [\"app\", \"/opt/app\"]\n"));
    /// ```
    pub fn add_local_dir(self, local: impl AsRef<str>, remote: impl AsRef<str>) -> Self {
        self.add_local_dir_with(local, remote, DirOptions::default())
    }

    /// [`add_local_dir`](Self::add_local_dir), leaving out what `options` exclude (and,
    /// with `dockerignore: true`, what `<local>/.dockerignore` excludes): those files are
    /// neither hashed nor uploaded, and the Dockerfile is the same. Daytona's SDKs have no
    /// such option; a context of `.` would otherwise take `target/` and `.git/`.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::create_dir_all(dir.path().join("app/target")).unwrap();
    /// # std::fs::write(dir.path().join("app/main.py"), "print()\n").unwrap();
    /// # std::fs::write(dir.path().join("app/target/big.bin"), "x").unwrap();
    /// use pj_image::{DirOptions, Image};
    /// let image = Image::base("ubuntu:22.04").context_root(dir.path()).add_local_dir_with(
    ///     "app",
    ///     "/opt/app",
    ///     DirOptions { exclude: vec!["target".into()], ..Default::default() },
    /// );
    /// let rendered = image.render().unwrap();
    /// assert_eq!(rendered.contexts[0].exclusion().unwrap().patterns(), ["target"]);
    /// ```
    pub fn add_local_dir_with(
        self,
        local: impl AsRef<str>,
        remote: impl AsRef<str>,
        options: DirOptions,
    ) -> Self {
        self.push(Call::AddLocalDir(local.as_ref().to_owned(), remote.as_ref().to_owned(), options))
    }

    /// One `RUN <command>` line per command (shell form, written verbatim). Each command
    /// must stay on one line.
    ///
    /// ```
    /// let df = pj_image::Image::base("debian:12").run_commands(["apt-get update", "echo hi"]).dockerfile();
    /// assert!(df.ends_with("RUN apt-get update\nRUN echo hi\n"));
    /// ```
    pub fn run_commands<I>(self, commands: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.push(Call::RunCommands(strings(commands)))
    }

    /// Installs Debian packages in one layer, beyond Daytona's SDK. Renders exactly one line:
    ///
    /// ```text
    /// RUN apt-get update && apt-get install -y --no-install-recommends <packages> && rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// with the packages sorted and deduplicated. Each element is one package,
    /// `name`, `name=version`, `name:arch` or `name/release`, checked against Debian's
    /// package-name grammar ([`rules::apt::check_package`](crate::rules::apt::check_package));
    /// options and shell syntax are refused. The base must have apt (Debian, Ubuntu, or
    /// a Debian-based `python` image).
    ///
    /// ```
    /// let df = pj_image::Image::base("debian:bookworm-slim")
    ///     .apt_install(["git", "ca-certificates", "curl=7.88.1-10+deb12u8", "git"])
    ///     .dockerfile();
    /// assert_eq!(df, "FROM debian:bookworm-slim\n\
    ///     RUN apt-get update && apt-get install -y --no-install-recommends \
    ///     ca-certificates curl=7.88.1-10+deb12u8 git && rm -rf /var/lib/apt/lists/*\n");
    /// ```
    pub fn apt_install<I>(self, packages: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.push(Call::AptInstall(strings(packages)))
    }

    /// Silences `rule` for this image; adds nothing to the Dockerfile. Only the rules
    /// inferred from pithy's knowledge of base images can be silenced
    /// ([`Rule::SILENCEABLE`]): use it when such an image builds anyway (a base that
    /// differs from the official one of its name, say). Allowing any other rule is
    /// itself a [`Rule::Allow`] violation. `#[pithy_image(allow(pip-needs-python))]`
    /// calls this.
    ///
    /// ```
    /// use pj_image::{Image, Rule};
    /// let image = Image::base("ubuntu:22.04").pip_install(["openai==1.54.0"]);
    /// assert_eq!(image.violations()[0].rule, Rule::PipNeedsPython);
    /// let allowed = image.allow(Rule::PipNeedsPython);
    /// assert!(allowed.validate().is_ok());
    /// assert_eq!(allowed.dockerfile(), "FROM ubuntu:22.04\nRUN python -m pip install openai==1.54.0\n");
    /// assert_eq!(allowed.allow(Rule::PipUnpinned).violations()[0].rule, Rule::Allow);
    /// ```
    pub fn allow(self, rule: Rule) -> Self {
        self.push(Call::Allow(rule))
    }

    /// One `ENV KEY=value` line per pair, the value quoted like Python's `shlex.quote`.
    /// Secret-looking keys are refused: pass secrets when creating the sandbox.
    ///
    /// ```
    /// let df = pj_image::Image::base("debian:12").env([("GREETING", "hello world")]).dockerfile();
    /// assert!(df.ends_with("ENV GREETING='hello world'\n"));
    /// ```
    pub fn env<I, K, V>(self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let pairs = pairs.into_iter().map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned())).collect();
        self.push(Call::Env(pairs))
    }

    /// `WORKDIR <path>` (absolute), quoted like Python's `shlex.quote`.
    ///
    /// ```
    /// assert!(pj_image::Image::base("debian:12").workdir("/my app").dockerfile().ends_with("WORKDIR '/my app'\n"));
    /// ```
    pub fn workdir(self, path: impl AsRef<str>) -> Self {
        self.push(Call::Workdir(path.as_ref().to_owned()))
    }

    /// `ENTRYPOINT ["a", "b"]` (exec form). At most one per image.
    ///
    /// ```
    /// let df = pj_image::Image::base("debian:12").entrypoint(["sleep", "infinity"]).dockerfile();
    /// assert!(df.ends_with("ENTRYPOINT [\"sleep\", \"infinity\"]\n"));
    /// ```
    pub fn entrypoint<I>(self, args: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.push(Call::Entrypoint(strings(args)))
    }

    /// `CMD ["a", "b"]` (exec form). At most one per image.
    ///
    /// ```
    /// let df = pj_image::Image::base("debian:12").cmd(["python", "-m", "app"]).dockerfile();
    /// assert!(df.ends_with("CMD [\"python\", \"-m\", \"app\"]\n"));
    /// ```
    pub fn cmd<I>(self, args: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.push(Call::Cmd(strings(args)))
    }

    /// The directory that relative local paths resolve against; archive paths stay
    /// relative to it, so the Dockerfile and hashes are the same on every machine.
    /// `#[pithy_image]` sets it to the crate's directory. Adds nothing to the Dockerfile.
    ///
    /// ```
    /// let image = pj_image::Image::base("debian:12").context_root("/srv/app");
    /// assert_eq!(image.dockerfile(), "FROM debian:12\n");
    /// ```
    pub fn context_root(self, dir: impl AsRef<Path>) -> Self {
        self.push(Call::ContextRoot(dir.as_ref().to_owned()))
    }

    /// The Dockerfile text, byte-identical to Daytona's Python SDK 0.226.1 wherever the
    /// SDK renders a valid Dockerfile. A step the SDK would render into a broken or
    /// injectable Dockerfile is left out (and reported by [`validate`](Image::validate)),
    /// so the result always holds exactly the instructions written. Check `validate()`
    /// before publishing.
    pub fn dockerfile(&self) -> String {
        render::plan(&self.calls).dockerfile
    }

    /// Every rule violation of the definition, in chain order.
    ///
    /// ```
    /// let errors = pj_image::Image::base("ubuntu").pip_install(["torch>=2"]).validate().unwrap_err();
    /// assert_eq!(errors[1].message, "pip package \"torch>=2\" is not pinned; write torch==<version>");
    /// ```
    pub fn validate(&self) -> Result<(), Violations> {
        let plan = render::plan(&self.calls);
        if plan.violations.is_empty() { Ok(()) } else { Err(Violations(plan.violations)) }
    }

    /// Validates, then renders the Dockerfile and hashes every context: everything
    /// Daytona needs (`dockerfileContent`, `contextHashes`) and the files that were read.
    pub fn render(&self) -> Result<Rendered, Violations> {
        render::render(&self.calls, &mut crate::context::HashCache::none())
    }

    /// [`render`](Image::render), taking context hashes from `cache` while the contexts'
    /// metadata shows them unchanged (and recording new ones): what `#[pithy_image]`
    /// does, with a cache in the crate's `OUT_DIR`, so a recompile does not read the
    /// contexts again.
    ///
    /// ```
    /// use pj_image::Image;
    /// let mut cache = pj_image::context::HashCache::none();
    /// let rendered = Image::base("alpine:3.19").render_cached(&mut cache).expect("valid");
    /// assert!(rendered.dockerfile.starts_with("FROM alpine:3.19"));
    /// ```
    pub fn render_cached(&self, cache: &mut crate::context::HashCache) -> Result<Rendered, Violations> {
        render::render(&self.calls, cache)
    }

    /// The violations as a plain list (empty when valid); see [`validate`](Image::validate).
    pub fn violations(&self) -> Vec<Violation> {
        render::plan(&self.calls).violations
    }
}
