//! Every rule, seen through the builder: one definition that breaks it (and only it, at
//! the expected call) and a neighbouring definition that passes. A rule added to
//! `Rule::ALL` without a case here fails `every_rule_has_a_case`.

use std::path::Path;

use pj_image::{DirOptions, Image, Part, PipOptions, Rule, Site};

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("sandbox/data")).expect("mkdir");
    std::fs::write(root.join("sandbox/run.sh"), "echo hi\n").expect("write");
    std::fs::write(root.join("sandbox/data/x.txt"), "x").expect("write");
    std::fs::write(root.join("requirements.txt"), "requests==2.32.3\n").expect("write");
    std::fs::write(root.join("requirements-bad.txt"), "requests==2.32.3\n-e ./src\n").expect("write");
    std::fs::write(root.join("requirements-unpinned.txt"), "requests==2.32.3\ntorch>=2\n").expect("write");
    std::fs::write(
        root.join("pyproject.toml"),
        "[project]\nname = \"x\"\ndependencies = [\"rich==13.9.4\"]\n",
    )
    .expect("write");
    std::fs::write(root.join("a*b.txt"), "glob").expect("write");
    dir
}

fn dir_options(exclude: &[&str], dockerignore: bool) -> DirOptions {
    DirOptions { exclude: exclude.iter().map(|p| p.to_string()).collect(), dockerignore }
}

/// A base with Python and pip, so that only the rule under test fires.
fn base(root: &Path) -> Image {
    Image::base("python:3.12.10-slim-bookworm").context_root(root)
}

/// The PATH of a virtual environment at /opt/venv, written out (ENV values are quoted).
const VENV_PATH: &str = "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// (rule, a definition breaking it, the site it must be reported at, a passing neighbour)
fn cases(root: &Path) -> Vec<(Rule, Image, Site, Image)> {
    let b = || base(root);
    let pip_opts = |o: PipOptions| b().pip_install_with(["requests==2.32.3"], o);
    #[cfg(unix)]
    {
        std::fs::create_dir_all(root.join("linked")).expect("mkdir");
        std::os::unix::fs::symlink("../sandbox/run.sh", root.join("linked/link")).ok();
    }
    vec![
        (Rule::BaseReference, Image::base("Ubuntu:22.04"), Site::arg(0, 0), Image::base("ubuntu:22.04")),
        (Rule::BaseUnpinned, Image::base("ubuntu:latest"), Site::arg(0, 0), Image::base("ubuntu:22.04")),
        (Rule::PythonVersion, Image::debian_slim("3.14"), Site::arg(0, 0), Image::debian_slim("3.13")),
        (
            Rule::PipInvalid,
            b().pip_install(["pkg with space==1"]),
            Site::item(2, 0, 0),
            b().pip_install(["pkg==1"]),
        ),
        (
            Rule::PipUnpinned,
            b().pip_install(["torch>=2"]),
            Site::item(2, 0, 0),
            b().pip_install(["torch==2.5.1"]),
        ),
        (
            Rule::PipOptionAsPackage,
            b().pip_install(["--index-url=https://evil"]),
            Site::item(2, 0, 0),
            pip_opts(PipOptions { index_url: Some("https://pypi.org/simple".into()), ..Default::default() }),
        ),
        (
            Rule::PipOption,
            pip_opts(PipOptions { extra_index_urls: vec![String::new()], ..Default::default() }),
            Site::item(2, 1, 2),
            pip_opts(PipOptions {
                extra_index_urls: vec!["https://a.example/simple".into()],
                ..Default::default()
            }),
        ),
        (
            Rule::RequirementsFile,
            b().pip_install_from_requirements("requirements-bad.txt"),
            Site::arg(2, 0),
            b().pip_install_from_requirements("requirements.txt"),
        ),
        (
            Rule::PyprojectFile,
            b().pip_install_from_pyproject("pyproject.toml", ["dev"]),
            Site::arg(2, 0),
            b().pip_install_from_pyproject("pyproject.toml", Vec::<String>::new()),
        ),
        (
            Rule::LocalPathMissing,
            b().add_local_file("sandbox/nope.sh", "/app/run.sh"),
            Site::arg(2, 0),
            b().add_local_file("sandbox/run.sh", "/app/run.sh"),
        ),
        (
            Rule::LocalPathAbsolute,
            b().add_local_file("/etc/hostname", "/h"),
            Site::arg(2, 0),
            b().add_local_file("./sandbox/run.sh", "/h"),
        ),
        (
            Rule::LocalPathOutsideRoot,
            b().add_local_dir("sandbox/../../x", "/x"),
            Site::arg(2, 0),
            b().add_local_dir("sandbox/../sandbox", "/x"),
        ),
        (
            Rule::ContextSpecialFile,
            b().add_local_dir("linked", "/app"),
            Site::arg(2, 0),
            b().add_local_dir("sandbox", "/app"),
        ),
        (
            Rule::ContextExclude,
            b().add_local_dir_with("sandbox", "/app", dir_options(&["data", "[oops"], false)),
            Site::item(2, 2, 1),
            b().add_local_dir_with("sandbox", "/app", dir_options(&["data", "[oops]"], false)),
        ),
        (
            Rule::CopyPathSpecialChar,
            b().add_local_file("a*b.txt", "/x"),
            Site::arg(2, 0),
            b().add_local_file("sandbox/run.sh", "/x"),
        ),
        (
            Rule::RemotePathRelative,
            b().add_local_file("sandbox/run.sh", "app/run.sh"),
            Site::arg(2, 1),
            b().add_local_file("sandbox/run.sh", "/app/"),
        ),
        (Rule::WorkdirRelative, b().workdir("app"), Site::arg(2, 0), b().workdir("/app")),
        (
            Rule::EnvKey,
            b().env([("MY-VAR", "1")]),
            Site::item(2, 0, 0).part(Part::Key),
            b().env([("MY_VAR", "1")]),
        ),
        (
            Rule::EnvSecret,
            b().env([("OPENAI_API_KEY", "sk-123")]),
            Site::item(2, 0, 0).part(Part::Key),
            b().env([("TOKENIZERS_PARALLELISM", "false")]),
        ),
        (
            Rule::MultiLine,
            b().env([("A", "1\nRUN evil")]),
            Site::item(2, 0, 0).part(Part::Value),
            b().env([("A", "1 RUN evil")]),
        ),
        (
            Rule::RunHeredoc,
            b().run_commands(["cat <<EOF"]),
            Site::item(2, 0, 0),
            b().run_commands(["cat <<< x"]),
        ),
        (
            Rule::DockerfileInstruction,
            b().dockerfile_commands(["EXPOSE 8080", "ADD sandbox/run.sh /app/"], ""),
            Site::item(2, 0, 1),
            b().dockerfile_commands(["EXPOSE 8080", "COPY sandbox/run.sh /app/"], ""),
        ),
        (Rule::Empty, b().run_commands(["ok", " "]), Site::item(2, 0, 1), b().run_commands(["ok"])),
        (
            Rule::DuplicateInstruction,
            b().cmd(["a"]).entrypoint(["b"]).cmd(["c"]),
            Site::arg(4, 0),
            b().cmd(["a"]).entrypoint(["b"]),
        ),
        (
            Rule::AptPackage,
            b().apt_install(["git", "-y"]),
            Site::item(2, 0, 1),
            b().apt_install(["git", "curl=7.88.1-10+deb12u8"]),
        ),
        (
            // The definition of issue 8: the official ubuntu image has no `python`.
            Rule::PipNeedsPython,
            Image::base("ubuntu:22.04")
                .run_commands(["apt-get update && apt-get install -y git curl jq"])
                .pip_install(["openai==1.54.0", "anthropic==0.39.0"]),
            Site::arg(2, 0),
            // The corrected reference image, built for real with Docker (issue 8).
            Image::base("debian:bookworm-slim")
                .apt_install(["ca-certificates", "curl", "git", "jq", "python3-venv"])
                .run_commands(["python3 -m venv /opt/venv"])
                .env([("PATH", VENV_PATH)])
                .pip_install(["openai==1.54.0", "anthropic==0.39.0"])
                .workdir("/app"),
        ),
        (
            Rule::PipExternallyManaged,
            Image::base("debian:12")
                .apt_install(["python3-pip", "python-is-python3"])
                .pip_install(["rich==13.9.4"]),
            Site::arg(2, 0),
            Image::base("debian:12").apt_install(["python3-pip", "python-is-python3"]).pip_install_with(
                ["rich==13.9.4"],
                PipOptions { extra_options: "--break-system-packages".into(), ..Default::default() },
            ),
        ),
        (
            Rule::PackageManager,
            Image::base("alpine:3.20").apt_install(["git"]),
            Site::arg(1, 0),
            Image::base("alpine:3.20").run_commands(["apk add --no-cache git"]),
        ),
        (Rule::Allow, b().allow(Rule::PipUnpinned), Site::arg(2, 0), b().allow(Rule::PipNeedsPython)),
    ]
}

#[test]
fn each_rule_rejects_its_case_at_the_right_site_and_accepts_its_neighbour() {
    let dir = tree();
    for (rule, bad, site, good) in cases(dir.path()) {
        let violations = bad.violations();
        assert!(
            violations.iter().any(|v| v.rule == rule && v.site == site),
            "{rule}: expected at {site:?}, got {violations:#?}"
        );
        assert!(violations.iter().all(|v| v.rule == rule), "{rule}: other rules too: {violations:#?}");
        for v in &violations {
            assert!(
                !v.message.is_empty() && !v.message.ends_with('.'),
                "{rule}: message style: {:?}",
                v.message
            );
        }
        assert_eq!(good.violations(), vec![], "{rule}: the neighbour must pass");
    }
}

#[test]
fn every_rule_has_a_case() {
    let dir = tree();
    let covered: Vec<Rule> = cases(dir.path()).iter().map(|c| c.0).collect();
    // Not reachable through a tree we can build portably: reported by the context walk
    // and covered by its unit tests (context::tests).
    // `resources` is checked on the attribute's values by `Resources::check`.
    let walk_only = [Rule::ContextNonUtf8Name, Rule::ContextUnreadable, Rule::Resources];
    for rule in Rule::ALL {
        assert!(covered.contains(rule) || walk_only.contains(rule), "no builder-level case for {rule}");
    }
}

#[test]
fn all_violations_come_together_in_chain_order() {
    let dir = tree();
    let image = Image::base("python")
        .context_root(dir.path())
        .pip_install(["torch>=2", "numpy"])
        .add_local_file("missing.txt", "rel")
        .workdir("app")
        .env([("HF_TOKEN", "hf_x")]);
    let errors = image.validate().expect_err("invalid");
    let rules: Vec<&str> = errors.iter().map(|v| v.rule.id()).collect();
    assert_eq!(
        rules,
        [
            "base-unpinned",
            "pip-unpinned",
            "pip-unpinned",
            "remote-path-relative",
            "local-path-missing",
            "workdir-relative",
            "env-secret"
        ]
    );
    assert_eq!(errors[1].message, "pip package \"torch>=2\" is not pinned; write torch==<version>");
    assert_eq!(errors[1].value, "torch>=2");
    assert!(image.render().is_err());
}

#[test]
fn requirements_lines_are_checked_with_file_and_line() {
    let dir = tree();
    let v = base(dir.path()).pip_install_from_requirements("requirements-unpinned.txt").violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].rule, Rule::PipUnpinned);
    assert_eq!(v[0].site, Site::arg(2, 0));
    assert!(v[0].message.starts_with("requirements-unpinned.txt:2: "), "{}", v[0].message);
    assert!(v[0].message.contains("torch==<version>"), "{}", v[0].message);
}

#[test]
fn requirements_includes_must_be_in_the_image() {
    let dir = tree();
    std::fs::write(dir.path().join("base.txt"), "rich==13.9.4\n").expect("write");
    std::fs::write(dir.path().join("top.txt"), "-r base.txt\nrequests==2.32.3\n").expect("write");
    let missing = base(dir.path()).pip_install_from_requirements("top.txt");
    let v = missing.violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].rule, Rule::RequirementsFile);
    assert!(v[0].message.contains("top.txt:1:") && v[0].message.contains("/base.txt"), "{}", v[0].message);
    let copied =
        base(dir.path()).add_local_file("base.txt", "/base.txt").pip_install_from_requirements("top.txt");
    assert_eq!(copied.violations(), vec![]);
}

#[cfg(unix)]
#[test]
fn a_requirements_file_is_checked_as_the_context_it_is() {
    // It is uploaded like add_local_file's files, so a symlink is refused the same way
    // (Daytona's runner would turn it into an empty file).
    let dir = tree();
    std::os::unix::fs::symlink("requirements.txt", dir.path().join("linked-requirements.txt"))
        .expect("symlink");
    let v = base(dir.path()).pip_install_from_requirements("linked-requirements.txt").violations();
    assert_eq!(v.iter().map(|v| v.rule).collect::<Vec<_>>(), [Rule::ContextSpecialFile], "{v:#?}");
    assert_eq!(v[0].site, Site::arg(2, 0));
}

/// Excluded entries are not part of the context: a symlink under an excluded path is
/// fine, the hash is the hash of what is left (the same as a tree that never had the
/// excluded files), and `.dockerignore` is read when asked for, its absence reported at
/// the `dockerignore` field.
#[test]
fn excluded_entries_are_left_out_of_the_checks_and_the_hash() {
    let dir = tree();
    let root = dir.path();
    let b = || base(root);
    #[cfg(unix)]
    {
        std::fs::create_dir_all(root.join("linked")).expect("mkdir");
        std::os::unix::fs::symlink("../sandbox/run.sh", root.join("linked/link")).ok();
        std::fs::write(root.join("linked/kept.txt"), "kept").expect("write");
        let image = b().add_local_dir_with("linked", "/app", dir_options(&["link"], false));
        let rendered = image.render().expect("the symlink is excluded");
        assert_eq!(rendered.contexts[0].exclusion().unwrap().patterns(), ["link"]);
        std::fs::create_dir_all(root.join("clean")).expect("mkdir");
        std::fs::write(root.join("clean/kept.txt"), "kept").expect("write");
        let clean = pj_image::context::hash(&root.join("clean"), "linked").expect("hash");
        assert_eq!(rendered.contexts[0].md5, clean, "the hash of exactly what is left");
    }

    let missing =
        b().add_local_dir_with("sandbox", "/app", dir_options(&[], true)).validate().expect_err("no file");
    assert_eq!(missing[0].rule, Rule::ContextExclude);
    assert_eq!(missing[0].site, Site { call: 2, arg: 2, item: None, part: Part::Value });
    assert!(missing[0].message.contains("`sandbox/.dockerignore` does not exist"), "{}", missing[0].message);

    std::fs::write(root.join("sandbox/.dockerignore"), "# data is fetched at run time\ndata\n")
        .expect("write");
    let image = b().add_local_dir_with("sandbox", "/app", dir_options(&["!data/x.txt", "*.sh"], true));
    let rendered = image.render().expect("valid");
    assert_eq!(rendered.contexts[0].exclusion().unwrap().patterns(), ["data", "!data/x.txt", "*.sh"]);
    let summary = pj_image::context::scan_excluding(
        &root.join("sandbox"),
        "sandbox",
        pj_image::ContextKind::Dir,
        &rendered.contexts[0].exclusion().expect("patterns"),
    )
    .expect("clean");
    // Left: `.dockerignore` itself. `data` is out whole (a `!` cannot reach below it).
    assert_eq!(summary.files, 1);
}
