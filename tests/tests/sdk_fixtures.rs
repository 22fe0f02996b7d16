//! Parity with Daytona's official Python SDK 0.226.1 (`docs/daytona-contract.md` §2): every
//! definition in
//! `tests/sdk-fixtures/definitions.json` was run through the real SDK by
//! `tests/sdk-fixtures/generate.py`, which stored its Dockerfile, contexts and file
//! hashes in `expected.json`. Here the same calls are replayed on `pj_image::Image`.
//!
//! Each definition also states, by hand, what pithy does with it (`pithy`): render the
//! SDK's bytes (`"same"`) or a stated correct form where the SDK's output is broken,
//! and which rules it reports.

use std::collections::BTreeSet;
use std::path::PathBuf;

use pj_image::{Image, PipOptions, Rule};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sdk-fixtures")
}

fn load(name: &str) -> Vec<Value> {
    let path = fixtures().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}")).to_owned()
}

/// Python's `*packages: str | list[str]`, flattened one level.
fn flatten(args: &[Value]) -> Vec<String> {
    args.iter()
        .flat_map(|a| match a {
            Value::Array(items) => items.iter().map(str_of).collect(),
            other => vec![str_of(other)],
        })
        .collect()
}

fn list_or_one(v: Option<&Value>) -> Vec<String> {
    match v {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items.iter().map(str_of).collect(),
        Some(one) => vec![str_of(one)],
    }
}

fn pip_options(kwargs: &Value) -> PipOptions {
    PipOptions {
        find_links: list_or_one(kwargs.get("find_links")),
        index_url: kwargs.get("index_url").filter(|v| !v.is_null()).map(str_of),
        // pip_install_from_pyproject takes a single `extra_index_url`.
        extra_index_urls: list_or_one(
            kwargs.get("extra_index_urls").or_else(|| kwargs.get("extra_index_url")),
        ),
        pre: kwargs.get("pre").and_then(Value::as_bool).unwrap_or(false),
        extra_options: kwargs.get("extra_options").map(str_of).unwrap_or_default(),
    }
}

fn replay(def: &Value) -> Image {
    let calls = def["calls"].as_array().expect("calls");
    let empty = Value::Object(Default::default());
    let mut image: Option<Image> = None;
    for call in calls {
        let f = call["fn"].as_str().expect("fn");
        let args: Vec<Value> = call.get("args").and_then(Value::as_array).cloned().unwrap_or_default();
        let kwargs = call.get("kwargs").unwrap_or(&empty);
        let arg = |i: usize| str_of(&args[i]);
        image = Some(match (f, image.take()) {
            ("base", None) => Image::base(arg(0)).context_root(fixtures().join("tree")),
            ("debian_slim", None) => Image::debian_slim(arg(0)).context_root(fixtures().join("tree")),
            ("from_dockerfile", None) => Image::from_dockerfile(arg(0)).context_root(fixtures().join("tree")),
            ("pip_install", Some(i)) => i.pip_install_with(flatten(&args), pip_options(kwargs)),
            ("pip_install_from_requirements", Some(i)) => {
                i.pip_install_from_requirements_with(arg(0), pip_options(kwargs))
            }
            ("pip_install_from_pyproject", Some(i)) => {
                let groups = list_or_one(args.get(1).or_else(|| kwargs.get("optional_dependencies")));
                i.pip_install_from_pyproject_with(arg(0), groups, pip_options(kwargs))
            }
            ("add_local_file", Some(i)) => i.add_local_file(arg(0), arg(1)),
            ("add_local_dir", Some(i)) => i.add_local_dir(arg(0), arg(1)),
            ("run_commands", Some(i)) => i.run_commands(flatten(&args)),
            ("env", Some(i)) => {
                let pairs: Vec<(String, String)> = args[0]
                    .as_array()
                    .expect("env pairs")
                    .iter()
                    .map(|p| (str_of(&p[0]), str_of(&p[1])))
                    .collect();
                i.env(pairs)
            }
            ("workdir", Some(i)) => i.workdir(arg(0)),
            ("entrypoint", Some(i)) => i.entrypoint(flatten(&args)),
            ("cmd", Some(i)) => i.cmd(flatten(&args)),
            ("dockerfile_commands", Some(i)) => {
                // `context_dir=None` is pithy's "": the context root.
                let dir = args.get(1).or_else(|| kwargs.get("context_dir")).filter(|v| !v.is_null());
                i.dockerfile_commands(flatten(&args[..1]), dir.map(str_of).unwrap_or_default())
            }
            (other, _) => panic!("{}: cannot replay call {other:?}", def["name"]),
        });
    }
    image.expect("a constructor")
}

#[test]
fn dockerfiles_match_the_official_sdk() {
    let definitions = load("definitions.json");
    let expected = load("expected.json");
    assert_eq!(definitions.len(), expected.len(), "regenerate expected.json");
    assert!(definitions.len() >= 40, "at least 40 SDK-generated definitions");
    let mut failures = Vec::new();
    let (mut same, mut different, mut unsupported) = (0, 0, 0);
    for (def, sdk) in definitions.iter().zip(&expected) {
        let name = def["name"].as_str().expect("name");
        assert_eq!(sdk["name"].as_str(), Some(name), "expected.json is out of order; regenerate it");
        let pithy = &def["pithy"];
        if pithy.get("unsupported").is_some() {
            unsupported += 1;
            continue;
        }
        // These fixtures test rendering, not whether the image builds: the base-aware
        // inference rules (e.g. Ex1's `ubuntu:22.04` has no `python` for its pip step)
        // are silenced, so the rules compared are the SDK-independent ones.
        let image = Rule::SILENCEABLE.iter().fold(replay(def), |image, rule| image.allow(*rule));
        let ours = image.dockerfile();
        let want = match pithy["dockerfile"].as_str() {
            Some("same") => {
                same += 1;
                assert!(
                    sdk["ok"].as_bool() == Some(true),
                    "{name}: marked same, but the SDK raised {}",
                    sdk["error"]
                );
                str_of(&sdk["dockerfile"])
            }
            Some(text) => {
                different += 1;
                text.to_owned()
            }
            None => panic!("{name}: pithy.dockerfile missing"),
        };
        if ours != want {
            failures.push(format!("{name}: Dockerfile differs\n--- expected\n{want}--- pithy\n{ours}"));
        }
        let want_rules: BTreeSet<String> =
            pithy["rules"].as_array().expect("rules").iter().map(str_of).collect();
        let violations = image.violations();
        let got_rules: BTreeSet<String> = violations.iter().map(|v| v.rule.id().to_owned()).collect();
        if want_rules != got_rules {
            let detail: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
            failures.push(format!(
                "{name}: rules differ: expected {want_rules:?}, got {got_rules:?}\n{}",
                detail.join("\n")
            ));
        }
        // Archive paths and file hashes, where pithy accepts the definition.
        if pithy["dockerfile"] == "same" && got_rules.is_empty() {
            match image.render() {
                Ok(rendered) => {
                    let sdk_contexts = sdk["contexts"].as_array().expect("contexts");
                    let archives: Vec<&str> =
                        rendered.contexts.iter().map(|c| c.archive_path.as_ref()).collect();
                    let sdk_archives: Vec<&str> =
                        sdk_contexts.iter().map(|c| c["archive"].as_str().expect("archive")).collect();
                    // `pithy.archives`: archive paths pithy deliberately uses instead of the
                    // SDK's (the README of the fixtures says where and why); then the
                    // hashes, which cover the archive path, differ too.
                    let stated: Option<Vec<&str>> = pithy.get("archives").map(|a| {
                        a.as_array().expect("archives").iter().map(|v| v.as_str().expect("archive")).collect()
                    });
                    if let Some(stated) = &stated {
                        if archives != *stated {
                            failures.push(format!("{name}: archive paths {archives:?} != stated {stated:?}"));
                        }
                        continue;
                    }
                    if archives != sdk_archives {
                        failures.push(format!("{name}: archive paths {archives:?} != SDK {sdk_archives:?}"));
                    }
                    for (ours, theirs) in rendered.contexts.iter().zip(sdk_contexts) {
                        if let Some(md5) = theirs["md5"].as_str()
                            && ours.md5 != md5
                        {
                            failures.push(format!(
                                "{name}: hash of {} is {} but the SDK's is {md5}",
                                ours.archive_path, ours.md5
                            ));
                        }
                    }
                }
                Err(e) => failures.push(format!("{name}: render failed: {e}")),
            }
        }
    }
    eprintln!("{same} same as the SDK, {different} deliberately different, {unsupported} unsupported");
    assert!(
        failures.is_empty(),
        "{} of {} definitions fail:\n\n{}",
        failures.len(),
        definitions.len(),
        failures.join("\n\n")
    );
    for ex in ["ex1", "ex2", "ex3", "ex4", "ex5", "ex6", "ex7", "ex8", "ex9", "ex10"] {
        assert!(
            definitions
                .iter()
                .any(|d| d["name"].as_str().is_some_and(|n| n == ex || n.starts_with(&format!("{ex}-")))),
            "contract example {ex} is missing from the fixtures"
        );
    }
}
