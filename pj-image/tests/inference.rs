//! The base-aware rules (issue 8): `pip-needs-python`, `pip-externally-managed` and
//! `package-manager`, each with definitions that fail and their nearest neighbours that
//! build; `apt_install`'s exact line; and `allow`.
//!
//! Every "builds" case is an image that builds with Docker (the reference image was
//! built for real; the others follow from what the official images hold, see
//! `pj_image::rules::base`). A wrong error costs more than a missed one, so the "no
//! finding" cases include everything the rules cannot read.

use pj_image::{Image, PipOptions, Rule, Site};

const VENV_PATH: &str = "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn rules(image: &Image) -> Vec<Rule> {
    image.violations().iter().map(|v| v.rule).collect()
}

#[track_caller]
fn fails(image: Image, rule: Rule) -> String {
    let violations = image.violations();
    assert_eq!(violations.iter().map(|v| v.rule).collect::<Vec<_>>(), [rule], "{violations:#?}");
    violations[0].message.clone()
}

#[track_caller]
fn builds(image: Image) {
    assert_eq!(image.violations(), vec![], "{}", image.dockerfile());
}

fn ubuntu() -> Image {
    Image::base("ubuntu:22.04")
}

fn pip(image: Image) -> Image {
    image.pip_install(["openai==1.54.0"])
}

#[test]
fn the_issue_definition_fails_with_the_fix() {
    let image = ubuntu()
        .run_commands(["apt-get update && apt-get install -y git curl jq"])
        .pip_install(["openai==1.54.0", "anthropic==0.39.0"]);
    let v = image.violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!((v[0].rule, v[0].site), (Rule::PipNeedsPython, Site::arg(2, 0)));
    assert_eq!(
        v[0].message,
        "pip_install runs `python -m pip`, but the base \"ubuntu:22.04\" has no `python`: install Python first \
         (.apt_install([\"python3-venv\"])), create a virtual environment with \
         .run_commands([\"python3 -m venv /opt/venv\"]) and put /opt/venv/bin first on PATH with \
         .env([(\"PATH\", \"/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\")]), \
         or start from an image that has it, e.g. python:3.12-slim-bookworm"
    );
}

#[test]
fn the_corrected_reference_image_builds() {
    let image = Image::base("debian:bookworm-slim")
        .apt_install(["ca-certificates", "curl", "git", "jq", "python3-venv"])
        .run_commands(["python3 -m venv /opt/venv"])
        .env([("PATH", VENV_PATH)])
        .pip_install(["openai==1.54.0", "anthropic==0.39.0"])
        .workdir("/app");
    builds(image.clone());
    // The Dockerfile that was built with Docker (issue 8).
    assert_eq!(
        image.dockerfile(),
        "FROM debian:bookworm-slim\n\
         RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl git jq python3-venv \
         && rm -rf /var/lib/apt/lists/*\n\
         RUN python3 -m venv /opt/venv\n\
         ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n\
         RUN python -m pip install anthropic==0.39.0 openai==1.54.0\n\
         WORKDIR /app\n"
    );
}

#[test]
fn python_images_have_python_and_pip() {
    for base in [
        "python:3.12-slim-bookworm",
        "python:3.12",
        "python:3.11-alpine3.20",
        "python:3.13-bookworm",
        "docker.io/library/python:3.12.10-slim-bookworm",
    ] {
        builds(pip(Image::base(base)));
    }
    builds(pip(Image::debian_slim("3.12")));
    // A PATH that keeps /usr/local/bin keeps docker-library's python.
    builds(pip(Image::base("python:3.12-slim").env([("PATH", "/usr/local/bin:/usr/bin:/bin")])));
}

#[test]
fn unknown_bases_get_no_finding() {
    for base in [
        "pj-test-base:1",
        "myorg/img:1",
        "ghcr.io/acme/python:3.12",
        "ubuntu:18.04",
        "debian:10",
        "alpine:3.16",
        "ubuntu@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "python:3.12-windowsservercore-ltsc2022",
    ] {
        assert!(!rules(&pip(Image::base(base))).iter().any(|r| r.silenceable()), "{base}");
        assert!(!rules(&Image::base(base).apt_install(["git"])).iter().any(|r| r.silenceable()), "{base}");
    }
}

#[test]
fn what_is_missing_is_said() {
    // python3 without `python`.
    let message = fails(pip(ubuntu().apt_install(["python3-pip"])), Rule::PipNeedsPython);
    assert!(message.contains("only `python3` is installed, not `python`"), "{message}");
    // `python` without pip.
    let message = fails(pip(ubuntu().apt_install(["python-is-python3"])), Rule::PipNeedsPython);
    assert!(message.contains("has no pip"), "{message}");
    // A venv on PATH that no step creates.
    let message = fails(pip(ubuntu().env([("PATH", VENV_PATH)])), Rule::PipNeedsPython);
    assert!(message.contains("PATH starts with /opt/venv/bin and no step creates"), "{message}");
    // A venv that cannot be created: Debian's python3 without python3-venv has no ensurepip.
    let message = fails(
        pip(Image::base("debian:bookworm-slim")
            .apt_install(["python3"])
            .run_commands(["python3 -m venv /opt/venv"])
            .env([("PATH", VENV_PATH)])),
        Rule::PipNeedsPython,
    );
    assert!(message.contains("install python3-venv"), "{message}");
    // A venv without pip.
    let message = fails(
        pip(Image::base("debian:12")
            .apt_install(["python3"])
            .run_commands(["python3 -m venv --without-pip /opt/venv"])
            .env([("PATH", VENV_PATH)])),
        Rule::PipNeedsPython,
    );
    assert!(message.contains("created without pip"), "{message}");
    // busybox has nothing to install Python with.
    let message = fails(pip(Image::base("busybox:1.36")), Rule::PipNeedsPython);
    assert!(message.contains("no package manager"), "{message}");
    // Alpine's fix uses apk.
    let message = fails(pip(Image::base("alpine:3.20")), Rule::PipNeedsPython);
    assert!(message.contains("apk add --no-cache python3"), "{message}");
}

#[test]
fn every_pip_method_is_checked_on_its_first_argument() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("requirements.txt"), "rich==13.9.4\n").expect("write");
    std::fs::write(dir.path().join("pyproject.toml"), "[project]\nname='x'\ndependencies=['rich==13.9.4']\n")
        .expect("write");
    let b = || ubuntu().context_root(dir.path());
    let cases = [
        (b().pip_install_with(["rich==13.9.4"], PipOptions::default()), "pip_install"),
        (b().pip_install_from_requirements("requirements.txt"), "pip_install_from_requirements"),
        (
            b().pip_install_from_pyproject("pyproject.toml", Vec::<String>::new()),
            "pip_install_from_pyproject",
        ),
    ];
    for (image, method) in cases {
        let v = image.violations();
        assert_eq!(v.len(), 1, "{v:#?}");
        assert_eq!((v[0].rule, v[0].site), (Rule::PipNeedsPython, Site::arg(2, 0)));
        assert!(v[0].message.starts_with(&format!("{method} runs `python -m pip`")), "{}", v[0].message);
    }
    // An empty pip_install renders nothing, so nothing needs Python.
    assert_eq!(rules(&ubuntu().pip_install(Vec::<String>::new())), [Rule::Empty]);
}

#[test]
fn installing_python_the_right_way_builds() {
    // Non-managed releases: the distribution's pip works once `python` exists.
    builds(pip(ubuntu().apt_install(["python3-pip", "python-is-python3"])));
    builds(pip(Image::base("debian:bullseye-slim").apt_install(["python3-pip", "python-is-python3"])));
    builds(pip(ubuntu().run_commands([
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-pip",
        "ln -s /usr/bin/python3 /usr/bin/python",
    ])));
    builds(pip(ubuntu()
        .apt_install(["python3-pip"])
        .run_commands(["ln -sf /usr/bin/python3 /usr/local/bin/python"])));
    // A relative link resolves against the link's directory: /usr/local/bin/python3 does not exist.
    fails(
        pip(ubuntu().apt_install(["python3-pip"]).run_commands(["ln -sf python3 /usr/local/bin/python"])),
        Rule::PipNeedsPython,
    );
    builds(pip(ubuntu().apt_install(["python3-pip"]).run_commands(["ln -sf python3 /usr/bin/python"])));
    // A link made before python3 is installed points at it once it is.
    builds(pip(ubuntu()
        .run_commands(["ln -s /usr/bin/python3 /usr/bin/python"])
        .apt_install(["python3-pip"])));
    // Virtual environments, however made, on PATH by env.
    let venv = |install: &str, create: &str| {
        pip(Image::base("ubuntu:24.04")
            .apt_install([install])
            .run_commands([create])
            .env([("PATH", VENV_PATH)]))
    };
    builds(venv("python3-venv", "python3 -m venv /opt/venv"));
    builds(venv("python3-full", "python3 -m venv --upgrade-deps /opt/venv"));
    builds(venv("python3-venv", "/usr/bin/python3 -m venv /opt/venv"));
    builds(venv("python3-venv", "mkdir -p /opt && cd /opt && python3 -m venv venv"));
    builds(venv("python3-virtualenv", "virtualenv /opt/venv"));
    builds(venv("python3", "uv venv /opt/venv"));
    builds(venv("python3", "uv venv --seed /opt/venv"));
    builds(pip(Image::base("debian:12")
        .apt_install(["python3-venv"])
        .workdir("/app")
        .run_commands(["python3 -m venv .venv"])
        .env([("PATH", "/app/.venv/bin")])));
    // PATH may come first.
    builds(pip(Image::base("debian:12")
        .env([("PATH", VENV_PATH)])
        .apt_install(["python3-venv"])
        .run_commands(["python3 -m venv /opt/venv"])));
    // Alpine: python3 gives `python`, py3-pip gives pip (3.18 is not externally managed).
    builds(pip(Image::base("alpine:3.18").run_commands(["apk add --no-cache python3 py3-pip"])));
    builds(pip(Image::base("alpine:3.20")
        .run_commands(["apk add --no-cache python3", "python3 -m venv /opt/venv"])
        .env([("PATH", VENV_PATH)])));
}

#[test]
fn externally_managed_pythons_need_a_venv_or_the_flag() {
    for base in
        ["debian:12", "debian:bookworm-slim", "debian:trixie", "ubuntu:24.04", "ubuntu:noble-20241015"]
    {
        let image = pip(Image::base(base).apt_install(["python3-pip", "python-is-python3"]));
        let message = fails(image, Rule::PipExternallyManaged);
        assert!(message.contains("externally managed (PEP 668)"), "{message}");
        assert!(message.contains("--break-system-packages"), "{message}");
    }
    let message = fails(
        pip(Image::base("alpine:3.20").run_commands(["apk add --no-cache python3 py3-pip"])),
        Rule::PipExternallyManaged,
    );
    assert!(message.contains("apk add --no-cache python3"), "{message}");
    let managed = || Image::base("debian:12").apt_install(["python3-pip", "python-is-python3"]);
    builds(managed().env([("PIP_BREAK_SYSTEM_PACKAGES", "1")]).pip_install(["rich==13.9.4"]));
    builds(managed().env([("PIP_BREAK_SYSTEM_PACKAGES", "true")]).pip_install(["rich==13.9.4"]));
    builds(managed().pip_install_with(
        ["rich==13.9.4"],
        PipOptions { extra_options: "--no-cache-dir --break-system-packages".into(), ..Default::default() },
    ));
    builds(pip(managed().run_commands(["rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED"])));
    builds(pip(managed().run_commands(["rm /usr/lib/python3*/EXTERNALLY-MANAGED"])));
    // The marker comes with the package: removing it before installing Python does nothing.
    fails(
        pip(Image::base("debian:12")
            .run_commands(["rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED"])
            .apt_install(["python3-pip", "python-is-python3"])),
        Rule::PipExternallyManaged,
    );
    // An explicit "no" is no.
    fails(pip(managed().env([("PIP_BREAK_SYSTEM_PACKAGES", "0")])), Rule::PipExternallyManaged);
}

#[test]
fn package_managers_must_exist() {
    let v = Image::base("alpine:3.20")
        .run_commands(["echo hi", "apt-get update && apt-get install -y git"])
        .violations();
    assert_eq!(
        v.iter().map(|v| (v.rule, v.site)).collect::<Vec<_>>(),
        [(Rule::PackageManager, Site::item(1, 0, 1))]
    );
    assert!(v[0].message.contains("has apk, not apt"), "{}", v[0].message);
    let message =
        fails(Image::base("debian:12").run_commands(["apk add --no-cache git"]), Rule::PackageManager);
    assert!(message.contains("has apt, not apk: install with .apt_install"), "{message}");
    fails(Image::base("python:3.12-slim").run_commands(["apk add git"]), Rule::PackageManager);
    fails(Image::base("python:3.12-alpine").apt_install(["git"]), Rule::PackageManager);
    let message = fails(Image::base("busybox:1.36").run_commands(["apt update"]), Rule::PackageManager);
    assert!(message.contains("no package manager"), "{message}");
    fails(Image::base("busybox:1.36").apt_install(["git"]), Rule::PackageManager);
    // Neighbours.
    builds(Image::base("alpine:3.20").run_commands(["apk add --no-cache git"]));
    builds(Image::base("python:3.12-alpine").run_commands(["apk update && apk add git"]));
    builds(
        Image::base("debian:12")
            .apt_install(["git"])
            .run_commands(["apt-get update && apt-get install -y jq"]),
    );
    // A failure the list tolerates or does not end with does not fail the build.
    builds(Image::base("alpine:3.20").run_commands(["apt-get update || apk update"]));
    builds(Image::base("alpine:3.20").run_commands(["apt-get update; echo done"]));
    // Unreadable commands are not judged.
    builds(Image::base("alpine:3.20").run_commands(["sh -c 'apt-get update'"]));
    builds(Image::base("alpine:3.20").run_commands(["apt-get update > /dev/null"]));
}

#[test]
fn what_the_rules_cannot_read_gets_the_benefit_of_the_doubt() {
    for command in [
        "curl -fsSL https://astral.sh/uv/install.sh | sh",
        "sh -c 'apt-get install -y python3-pip'",
        "./install-python.sh",
        "bash setup.sh",
        "update-alternatives --install /usr/bin/python python /usr/bin/python3 1",
        "apt-get install -y $PYTHON",
        "echo $(which python3)",
        "apt-get install -y python3-pip `echo python-is-python3`",
        "conda install python",
        "apt-get upgrade -y",
        "apt-get install -y ./python.deb",
        "pip3 install virtualenv==20.28.0",
        "curl -o /usr/local/bin/python https://example.com/python",
        "cp /opt/python3 /usr/local/bin/python",
        "if true; then echo; fi",
        "export PATH=/opt/venv/bin",
        "python3 -m venv $HOME/venv",
    ] {
        builds(pip(ubuntu().run_commands([command])));
    }
    // Packages the rules do not know may bring anything.
    builds(pip(ubuntu().apt_install(["python-is-python3", "some-tool"])));
    builds(pip(ubuntu().apt_install(["python3-pip", "python-dev-is-python3"])));
    builds(pip(Image::base("debian:12").apt_install(["python-is-python3", "python3-requests"])));
    // Files copied where Python or pip's configuration lives, or onto PATH.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("venv")).expect("mkdir");
    std::fs::write(dir.path().join("pip.conf"), "[global]\nbreak-system-packages = true\n").expect("write");
    builds(pip(ubuntu()
        .context_root(dir.path())
        .add_local_dir("venv", "/opt/venv")
        .env([("PATH", VENV_PATH)])));
    builds(pip(ubuntu().context_root(dir.path()).add_local_dir("venv", "/usr/local")));
    builds(pip(Image::base("debian:12")
        .context_root(dir.path())
        .apt_install(["python3-pip", "python-is-python3"])
        .add_local_file("pip.conf", "/etc/pip.conf")));
    builds(pip(ubuntu().env([("PATH", "venv/bin:/usr/bin")])));
    builds(pip(ubuntu().env([("PYTHONHOME", "/opt/python")])));
    // Harmless steps keep the rules' knowledge: the pip step still fails.
    fails(
        pip(ubuntu()
            .run_commands([
                "set -eux; mkdir -p /app && cd /app && git clone https://example.com/x.git . && chmod +x run.sh",
                "apt-get update && apt-get install -y --no-install-recommends git curl jq ca-certificates \
                 && apt-get clean && rm -rf /var/lib/apt/lists/*",
                "useradd -m agent && echo ok",
            ])
            .env([("MODEL", "gpt-4o")])
            .workdir("/app")),
        Rule::PipNeedsPython,
    );
}

#[test]
fn apt_install_renders_one_sorted_deduplicated_line() {
    // The exact line of issue 8, item 2.
    assert_eq!(
        Image::base("debian:12").apt_install(["jq", "curl", "git", "curl", "ca-certificates"]).dockerfile(),
        "FROM debian:12\n\
         RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl git jq \
         && rm -rf /var/lib/apt/lists/*\n"
    );
    assert_eq!(
        Image::base("debian:12")
            .apt_install(["libc6:amd64", "git=1:2.39.5-0+deb12u1", "jq/bookworm"])
            .dockerfile(),
        "FROM debian:12\n\
         RUN apt-get update && apt-get install -y --no-install-recommends git=1:2.39.5-0+deb12u1 jq/bookworm \
         libc6:amd64 && rm -rf /var/lib/apt/lists/*\n"
    );
}

#[test]
fn apt_install_checks_each_package() {
    let image = Image::base("debian:12").apt_install(["git", "-y", "curl jq", "x;rm -rf /", "Git", ""]);
    let v = image.violations();
    let got: Vec<(Rule, Site)> = v.iter().map(|v| (v.rule, v.site)).collect();
    assert_eq!(
        got,
        [
            (Rule::AptPackage, Site::item(1, 0, 1)),
            (Rule::AptPackage, Site::item(1, 0, 2)),
            (Rule::AptPackage, Site::item(1, 0, 3)),
            (Rule::AptPackage, Site::item(1, 0, 4)),
            (Rule::Empty, Site::item(1, 0, 5)),
        ]
    );
    // Nothing is rendered from a broken list.
    assert_eq!(image.dockerfile(), "FROM debian:12\n");
    let empty = Image::base("debian:12").apt_install(Vec::<String>::new());
    assert_eq!(rules(&empty), [Rule::Empty]);
    assert_eq!(empty.dockerfile(), "FROM debian:12\n");
}

#[test]
fn allow_silences_exactly_the_rules_named() {
    let image = || ubuntu().run_commands(["apk add git"]).pip_install(["torch>=2"]);
    assert_eq!(rules(&image()), [Rule::PackageManager, Rule::PipUnpinned, Rule::PipNeedsPython]);
    assert_eq!(rules(&image().allow(Rule::PipNeedsPython)), [Rule::PackageManager, Rule::PipUnpinned]);
    assert_eq!(rules(&image().allow(Rule::PipNeedsPython).allow(Rule::PackageManager)), [Rule::PipUnpinned]);
    // Allowing a rule that does not fire is fine.
    builds(Image::base("python:3.12-slim").allow(Rule::PipExternallyManaged));
    // Only the base-aware rules can be silenced.
    let v = image().allow(Rule::PipUnpinned).violations();
    assert!(v.iter().any(|v| v.rule == Rule::PipUnpinned), "{v:#?}");
    let refused = v.iter().find(|v| v.rule == Rule::Allow).expect("allow violation");
    assert_eq!(refused.site, Site::arg(3, 0));
    assert!(refused.message.contains("rule pip-unpinned cannot be silenced"), "{}", refused.message);
    assert_eq!(Rule::SILENCEABLE, [Rule::PipNeedsPython, Rule::PipExternallyManaged, Rule::PackageManager]);
    for rule in Rule::ALL {
        assert_eq!(Rule::from_id(rule.id()), Some(*rule));
    }
}
