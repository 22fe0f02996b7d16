use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

use super::checks::{MAX_DEPTH, join_display};
use super::reader::{break_args_options, has_url_scheme, shlex_split, splitlines, strip_comment};
use super::*;

const HEX64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().expect("temp dir"))
    }
    fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.path().join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(&path, content).expect("write");
        path
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

/// Checks `content` as `sandbox/requirements.txt`.
fn check(content: impl AsRef<[u8]>) -> RequirementsCheck {
    let dir = Dir::new();
    let path = dir.write("requirements.txt", content);
    check_file(&path, "sandbox/requirements.txt")
}

fn messages(check: &RequirementsCheck) -> Vec<String> {
    check.findings.iter().map(|f| format!("[{}] {}", f.rule, f.message)).collect()
}

fn clean(content: &str) {
    let c = check(content);
    assert!(c.findings.is_empty(), "{:#?}", messages(&c));
}

fn one(content: impl AsRef<[u8]>, rule: Rule) -> String {
    let c = check(content);
    assert_eq!(c.findings.len(), 1, "{:#?}", messages(&c));
    let f = &c.findings[0];
    assert_eq!(f.rule, rule, "{f}");
    assert!(!f.message.ends_with('.'), "{f}");
    f.message.clone()
}

#[test]
fn accepts_a_good_file() {
    let content = format!(
        "# pinned deps\n\
         \n\
         numpy==1.26.4  # trailing comment\n\
         requests[socks]==2.31.0 ; python_version >= \"3.8\"\n\
         torch==2.3.0 \\\n    --hash=sha256:{HEX64} \\\n    --hash sha512:{}\n\
         foo @ https://example.com/foo.whl#sha256={HEX64}\n\
         \t# indented comment \\\n\
         -i https://pypi.org/simple\n\
         --index-url=https://pypi.org/simple\n\
         -ihttps://pypi.org/simple\n\
         --extra-index-url https://x.example/simple --pre\n\
         -f ./wheels\n--find-links=./wheels\n\
         --no-binary :all:\n--only-binary=:none:\n--prefer-binary\n--require-hashes\n\
         --trusted-host example.com\n--no-index\n\
         --extra-index=https://abbreviated.example/simple\n\
         bar==1.0 --hash=sha384:{}\n",
        "a".repeat(128),
        "b".repeat(96),
    );
    let c = check(content);
    assert!(c.findings.is_empty(), "{:#?}", messages(&c));
    assert_eq!(c.files.len(), 1);
    assert!(c.files[0].is_absolute());
    assert!(c.includes.is_empty());
}

#[test]
fn reports_unpinned_with_file_and_line() {
    assert_eq!(
        one("numpy==1.26.4\n\ntorch>=2\n", Rule::PipUnpinned),
        "sandbox/requirements.txt:3: pip package \"torch>=2\" is not pinned; write torch==<version>"
    );
    // Every other pip rule keeps its own rule id.
    assert!(
        one("foo==\n", Rule::PipInvalid).starts_with("sandbox/requirements.txt:1: pip requirement \"foo==\"")
    );
    assert!(one("foo @ https://${HOST}/f.whl\n", Rule::PipInvalid).contains("variable"));
    assert!(one("./local/pkg\n", Rule::PipInvalid).contains("package name"));
}

#[test]
fn line_numbers_follow_continuations_and_line_endings() {
    assert!(
        one("a==1\r\nb==2 \\\r\n  ; python_version > '3'\r\nc\r\n", Rule::PipUnpinned)
            .starts_with("sandbox/requirements.txt:4: ")
    );
    assert!(one("a==1\rb\r", Rule::PipUnpinned).starts_with("sandbox/requirements.txt:2: "));
    assert!(one("a==1\u{2028}b\n", Rule::PipUnpinned).starts_with("sandbox/requirements.txt:2: "));
    // A continued line is reported at its first physical line.
    assert!(one("a==1\ntor\\\nch\\\n>=2\n", Rule::PipUnpinned).contains(":2: pip package \"torch>=2\""));
    // A trailing backslash on the last line.
    assert!(one("a==1\nb\\", Rule::PipUnpinned).contains(":2: pip package \"b\""));
    // A comment line ends a continuation.
    assert!(one("b \\\n# note\nc==1\n", Rule::PipUnpinned).contains(":1: pip package \"b\""));
    clean("a==1 \\\n\n");
    clean("\u{feff}a==1\n");
    clean("");
}

#[test]
fn comments_need_whitespace_before_hash() {
    clean("# only a comment\n   # indented\na==1 # ok\na==1\t#tab");
    clean(&format!("foo @ https://e.com/f.whl#sha256={HEX64} # a comment\n"));
    // Without whitespace, '#' is part of the requirement.
    one("a==1#x\n", Rule::PipInvalid);
}

#[test]
fn handles_long_lines() {
    let long = format!("a==1 ; python_version >= \"3.8\"{}\n", " ".repeat(1 << 20));
    clean(&long);
    let mut many = String::new();
    for i in 0..5000 {
        let _ = writeln!(many, "pkg{i}=={i}.0");
    }
    clean(&many);
}

#[test]
fn checks_hashes() {
    assert!(one("a==1 --hash=md5:abc\n", Rule::RequirementsFile).contains("--hash algorithm \"md5\""));
    assert!(
        one("a==1 --hash=sha256:abc\n", Rule::RequirementsFile).contains("must be sha256:<64 hex digits>")
    );
    assert!(
        one(format!("a==1 --hash=sha256:{}g\n", &HEX64[1..]), Rule::RequirementsFile)
            .contains("must be sha256")
    );
    assert!(one(format!("a==1 --hash={HEX64}\n"), Rule::RequirementsFile).contains("has no algorithm"));
    assert!(one("a==1 --hash\n", Rule::RequirementsFile).contains("needs a value"));
    assert!(
        one(format!("--hash=sha256:{HEX64}\n"), Rule::RequirementsFile).contains("not after a requirement")
    );
    // Pinning is still required with a hash.
    assert!(one(format!("a>=1 --hash=sha256:{HEX64}\n"), Rule::PipUnpinned).contains("write a==<version>"));
}

#[test]
fn rejects_editables_and_other_options() {
    let m = one("-e .\n", Rule::RequirementsFile);
    assert!(
        m.starts_with("sandbox/requirements.txt:1: editable install \"-e .\" is not reproducible"),
        "{m}"
    );
    assert!(m.contains("pin a released version"));
    one("--editable=git+https://x/y#egg=y\n", Rule::RequirementsFile);
    assert!(one("--use-feature=truststore\n", Rule::RequirementsFile).contains("not supported by pithy"));
    assert!(one("a==1 --config-settings=x=y\n", Rule::RequirementsFile).contains("\"--config-settings\""));
    assert!(one("a==1 -Cx=y\n", Rule::RequirementsFile).contains("\"-C\""));
    assert!(one("--foo\n", Rule::RequirementsFile).contains("unknown option \"--foo\""));
    assert!(one("-x y\n", Rule::RequirementsFile).contains("unknown option \"-x\""));
    assert!(one("--pr\n", Rule::RequirementsFile).contains("ambiguous option \"--pr\""));
    clean("--\n");
    assert!(one("--=x\n", Rule::RequirementsFile).contains("unknown option \"--\""));
    assert!(one("--pre=1\n", Rule::RequirementsFile).contains("takes no value"));
    assert!(one("-i\n", Rule::RequirementsFile).contains("\"-i\" needs a value"));
    assert!(one("--index-url\n", Rule::RequirementsFile).contains("\"--index-url\" needs a value"));
    assert!(one("a==1 --pre\n", Rule::RequirementsFile).contains("not a per-requirement option"));
    assert!(
        one("--pre a==1\n", Rule::RequirementsFile).contains("\"a==1\" after an option is ignored by pip")
    );
    assert!(one("--index-url 'https://x\n", Rule::RequirementsFile).contains("unclosed quote"));
    assert!(one("--index-url \"https://x\n", Rule::RequirementsFile).contains("unclosed quote"));
    clean("--index-url \"https://x/a b\" --trusted-host 'x'\n");
    clean("--index-url \"https:\\\\x\\\"y\"\n");
}

#[test]
fn missing_and_non_file_top_level() {
    let dir = Dir::new();
    let missing = dir.path("x");
    let c = check_file(&missing, "x");
    assert_eq!(c.findings.len(), 1);
    assert_eq!(c.findings[0].rule, Rule::RequirementsFile);
    assert_eq!(
        c.findings[0].message,
        format!(
            "requirements file \"x\" does not exist (looked at {}); create it, or fix the path",
            missing.display()
        )
    );
    assert!(c.files.is_empty());
    let c = check_file(dir.0.path(), "sandbox");
    assert!(c.findings[0].message.starts_with("requirements path \"sandbox\" is a directory, not a file"));
    let c = check_file(Path::new("/dev/null"), "null");
    assert!(c.findings[0].message.contains("a special file"), "{:?}", c.findings);
}

#[test]
fn rejects_bad_encodings() {
    let m = one(b"a==1\nb==2\n\xff\n".as_slice(), Rule::RequirementsFile);
    assert_eq!(m, "sandbox/requirements.txt:3: requirements file is not valid UTF-8; save it as UTF-8");
    assert!(one(b"\xff\xfea\x00".as_slice(), Rule::RequirementsFile).contains("UTF-16"));
}

#[test]
fn follows_includes() {
    let dir = Dir::new();
    let top = dir.write(
        "requirements.txt",
        "-r sub/base.txt\n--constraint=constraints.txt\na==1\n--requirement ./sub/base.txt\n",
    );
    dir.write("sub/base.txt", "-r more.txt\nb>=2\n");
    dir.write("sub/more.txt", "c==1\nd\n");
    dir.write("constraints.txt", "torch>=2\nnumpy\nbad==\n-c sub/more.txt\n");
    let c = check_file(&top, "sandbox/requirements.txt");
    assert_eq!(
        messages(&c),
        [
            "[pip-unpinned] sandbox/sub/more.txt:2: pip package \"d\" is not pinned; write d==<version>",
            "[pip-unpinned] sandbox/sub/base.txt:2: pip package \"b>=2\" is not pinned; write b==<version>",
            "[pip-invalid] sandbox/constraints.txt:3: pip requirement \"bad==\" is not valid PEP 508; write \
             name[extras]==version[; marker], like \"requests==2.32.3\"\nunexpected end of version specifier, \
             expected version\nbad==\n   ^^",
        ]
    );
    let names: Vec<_> = c
        .files
        .iter()
        .map(|p| p.strip_prefix(dir.0.path()).expect("under the temp dir").to_path_buf())
        .collect();
    assert_eq!(
        names,
        ["requirements.txt", "sub/base.txt", "sub/more.txt", "constraints.txt"].map(PathBuf::from)
    );
    assert!(c.files.iter().all(|p| p.is_absolute()));
    assert_eq!(
        c.includes,
        [
            Include { directive: "-r".into(), target: "sub/base.txt".into(), line: 1 },
            Include { directive: "-c".into(), target: "constraints.txt".into(), line: 2 },
            Include { directive: "-r".into(), target: "./sub/base.txt".into(), line: 4 },
        ]
    );
}

#[test]
fn short_and_attached_include_forms() {
    let dir = Dir::new();
    let top = dir.write("r.txt", "-rb.txt\n-c   c.txt\n");
    dir.write("b.txt", "x==1\n");
    dir.write("c.txt", "y\n");
    let c = check_file(&top, "r.txt");
    assert!(c.findings.is_empty(), "{:#?}", messages(&c));
    assert_eq!(c.includes.len(), 2);
    assert_eq!(c.includes[0].target, "b.txt");
    assert_eq!(c.includes[1].directive, "-c");
    assert_eq!(c.files.len(), 3);
}

#[test]
fn reports_broken_includes() {
    let dir = Dir::new();
    fs::create_dir_all(dir.path("adir")).expect("mkdir");
    let top = dir.write(
        "requirements.txt",
        "-r missing.txt\n-c adir\n-r https://example.com/r.txt\n-r ${REQS}\n-r a.txt -r b.txt\n",
    );
    dir.write("a.txt", "a==1\n");
    dir.write("b.txt", "b==1\n");
    let c = check_file(&top, "req.txt");
    let m = messages(&c);
    assert_eq!(m.len(), 5, "{m:#?}");
    assert_eq!(
        m[0],
        format!(
            "[requirements-file] req.txt:1: included requirements file \"missing.txt\" does not exist (looked at {}); \
             create it, or fix the path (it is relative to the directory of req.txt)",
            dir.path("missing.txt").display()
        )
    );
    assert!(m[1].contains("req.txt:2: included constraints file \"adir\" is a directory"), "{}", m[1]);
    assert!(m[2].contains("req.txt:3: remote requirements file"), "{}", m[2]);
    assert!(m[3].contains("req.txt:4: \"-r ${REQS}\" uses a variable"), "{}", m[3]);
    assert!(m[4].contains("req.txt:5: pip reads only the first -r/-c"), "{}", m[4]);
    assert_eq!(c.includes.len(), 5);
    assert_eq!(c.files.len(), 2); // requirements.txt and a.txt
}

#[test]
fn detects_cycles() {
    let dir = Dir::new();
    let a = dir.write("a.txt", "-r b.txt\na==1\n");
    dir.write("b.txt", "\n-r a.txt\nb==1\n");
    let c = check_file(&a, "req/a.txt");
    let m = messages(&c);
    assert_eq!(m.len(), 1, "{m:#?}");
    assert!(m[0].starts_with("[requirements-file] req/b.txt:2: \"-r a.txt\" includes a file that is already being read (req/a.txt -> req/b.txt -> req/a.txt)"), "{}", m[0]);
    assert_eq!(c.files.len(), 2);

    let me = dir.write("self.txt", "-r ./self.txt\n");
    let c = check_file(&me, "self.txt");
    assert_eq!(c.findings.len(), 1);
    assert!(c.findings[0].message.contains("already being read"));
}

#[test]
fn reads_shared_includes_once_per_kind() {
    let dir = Dir::new();
    let top = dir.write("top.txt", "-r b.txt\n-r c.txt\n-c c.txt\n");
    dir.write("b.txt", "-r c.txt\n");
    dir.write("c.txt", "x\n");
    let c = check_file(&top, "top.txt");
    // Unpinned once as a requirements file; the constraints read of c.txt accepts it.
    assert_eq!(messages(&c), ["[pip-unpinned] c.txt:1: pip package \"x\" is not pinned; write x==<version>"]);
    assert_eq!(c.files.len(), 3);
}

#[test]
fn limits_include_depth() {
    let dir = Dir::new();
    for i in 0..40 {
        dir.write(&format!("r{i}.txt"), format!("-r r{}.txt\n", i + 1));
    }
    dir.write("r40.txt", "a==1\n");
    let c = check_file(&dir.path("r0.txt"), "r0.txt");
    assert_eq!(c.findings.len(), 1, "{:#?}", messages(&c));
    assert!(c.findings[0].message.contains("deeper than 32"));
    assert_eq!(c.files.len(), MAX_DEPTH);
}

#[test]
fn helpers_match_python() {
    assert_eq!(splitlines("a\nb\r\nc\rd\x0ce\u{85}f"), ["a", "b", "c", "d", "e", "f"]);
    assert_eq!(splitlines("a\n"), ["a"]);
    assert_eq!(splitlines("\n\n"), ["", ""]);
    assert!(splitlines("").is_empty());
    assert_eq!(strip_comment("a # b"), "a");
    assert_eq!(strip_comment("a#b # c"), "a#b");
    assert_eq!(strip_comment("#x"), "");
    assert_eq!(strip_comment("a\u{3000}#x"), "a");
    assert_eq!(break_args_options("a==1 --hash=x -y"), ("a==1".to_owned(), "--hash=x -y".to_owned()));
    assert_eq!(break_args_options("a==1\t--hash=x"), ("a==1\t--hash=x".to_owned(), String::new()));
    assert_eq!(
        shlex_split(" a 'b c' \"d\\\"e\" f\\ g "),
        Ok(vec!["a".into(), "b c".into(), "d\"e".into(), "f g".into()])
    );
    assert_eq!(shlex_split("x\\"), Err("dangling backslash"));
    assert_eq!(join_display("a/b/r.txt", "./../c.txt"), "a/b/../c.txt");
    assert_eq!(join_display("r.txt", "c.txt"), "c.txt");
    assert_eq!(join_display("a/r.txt", "/abs/c.txt"), "/abs/c.txt");
    assert!(has_url_scheme("HTTPS://x") && has_url_scheme("file:x") && !has_url_scheme("files.txt"));
}
