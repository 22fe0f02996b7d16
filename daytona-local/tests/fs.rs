//! The toolbox's file-system operations against real sandboxes (containers of this
//! machine's Docker engine): every operation, its errors (no such sandbox, no such file, a
//! stopped sandbox, bad input), paths that a shell would misread, files that belong to the
//! sandbox's user, and transfers larger than any buffer. The oracle is the container's own
//! view: `docker exec` of `stat`, `cat` and `test` in it, never the server's answers alone.
//!
//! Sandboxes run the local BusyBox image `pj-test-base:1` and `debian:bookworm-slim` (both
//! made locally by `tests/conformance/setup.sh`), so both tool sets (BusyBox's and GNU's)
//! are covered.

#[path = "../../tests/conformance/provision.rs"]
mod provision;
mod support;

use std::time::Duration;

use pj_daytona::{CreateSandbox, CreateSnapshot, SnapshotState};
use pj_daytona_local::{BuildMode, LocalDaytona};
use serde_json::{Value, json};

fn docker(args: &[&str]) -> std::process::Output {
    std::process::Command::new("docker")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the docker CLI runs")
}

/// Removes a container when the test ends, passed or not.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "--force", &self.0]);
    }
}

/// A local server with one started sandbox, and a plain HTTP client of its toolbox.
struct Sandbox {
    server: LocalDaytona,
    _state: tempfile::TempDir,
    id: String,
    container: Container,
    http: reqwest::Client,
    key: String,
}

/// An answer: status and body.
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {} {}", self.status, String::from_utf8_lossy(&self.body)))
    }

    /// Daytona's error `message`.
    fn message(&self) -> String {
        self.json()["message"].as_str().unwrap_or_default().to_owned()
    }
}

impl Sandbox {
    async fn start(image: &str, user: Option<&str>) -> Sandbox {
        assert!(
            provision::require(|| docker(&["info"]).status.success(), "a reachable Docker engine")
                && provision::require(
                    || docker(&["image", "inspect", image]).status.success(),
                    &format!("the Docker image {image}"),
                )
        );
        let state = tempfile::tempdir().expect("a temp dir");
        let server = support::server(state.path(), BuildMode::Docker).await;
        let client = support::client(&server);
        let name = format!("fs-{}", image.replace([':', '/', '.'], "-"));
        let created =
            client.snapshots().create(&CreateSnapshot::image(&name, image)).await.expect("snapshot");
        let snapshot = support::wait_terminal(&client, &created.id, Duration::from_secs(120)).await;
        assert_eq!(snapshot.state, SnapshotState::Active, "{:?}", snapshot.error_reason);
        let mut request = CreateSandbox::from_snapshot(&name);
        request.user = user.map(str::to_owned);
        let sandbox = client.sandboxes().create_info(&request).await.expect("sandbox");
        let container = Container(format!("pj-sandbox-{}", sandbox.id));
        client
            .sandboxes()
            .wait_for_state(&sandbox.id, pj_daytona::SandboxState::Started, Duration::from_secs(60))
            .await
            .expect("started");
        let key = server.api_key().to_owned();
        Sandbox { server, _state: state, id: sandbox.id, container, http: reqwest::Client::new(), key }
    }

    fn url(&self, id: &str, path: &str) -> String {
        format!("{}/toolbox/{id}{path}", self.server.url().trim_end_matches("/api"))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.bearer_auth(&self.key).send().await.expect("the server answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.bytes().await.expect("a whole body").to_vec();
        Answer { status, content_type, body }
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        self.send(self.http.get(self.url(&self.id, path)).query(query)).await
    }

    async fn post(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        self.send(self.http.post(self.url(&self.id, path)).query(query)).await
    }

    async fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.send(self.http.post(self.url(&self.id, path)).json(body)).await
    }

    async fn delete(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        self.send(self.http.delete(self.url(&self.id, path)).query(query)).await
    }

    /// `POST /files/bulk-upload` of `(destination, bytes)` pairs, as the SDK sends them.
    async fn upload(&self, files: &[(&str, &[u8])]) -> Answer {
        let mut parts: Vec<(String, Option<String>, Vec<u8>)> = Vec::new();
        for (i, (dest, _)) in files.iter().enumerate() {
            parts.push((format!("files[{i}].path"), None, dest.as_bytes().to_vec()));
        }
        for (i, (dest, bytes)) in files.iter().enumerate() {
            parts.push((format!("files[{i}].file"), Some((*dest).to_owned()), bytes.to_vec()));
        }
        let (content_type, body) = multipart(&parts);
        let request =
            self.http.post(self.url(&self.id, "/files/bulk-upload")).header("content-type", content_type);
        self.send(request.body(body)).await
    }

    /// `POST /files/bulk-download`: the parts of the answer, `(name, filename, bytes)`.
    async fn download(&self, paths: &[&str]) -> Vec<(String, String, Vec<u8>)> {
        let answer = self.post_json("/files/bulk-download", &json!({ "paths": paths })).await;
        assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        parse_multipart(&answer.content_type, &answer.body)
    }

    /// `docker exec` in the sandbox's container (as root): its stdout, or a panic.
    fn exec(&self, argv: &[&str]) -> String {
        let out = self.exec_output(argv);
        assert!(out.status.success(), "{argv:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn exec_output(&self, argv: &[&str]) -> std::process::Output {
        let mut args = vec!["exec", self.container.0.as_str()];
        args.extend_from_slice(argv);
        docker(&args)
    }

    /// Whether `path` exists in the container (without following a last symbolic link).
    fn exists(&self, path: &str) -> bool {
        self.exec_output(&["sh", "-c", "[ -e \"$1\" ] || [ -L \"$1\" ]", "sh", path]).status.success()
    }

    /// `stat -c FORMAT path` in the container.
    fn stat(&self, format: &str, path: &str) -> String {
        self.exec(&["stat", "-c", format, "--", path]).trim().to_owned()
    }

    async fn finish(self) {
        let client = support::client(&self.server);
        client.sandboxes().delete(&self.id).await.expect("the sandbox is deleted");
        self.server.shutdown().await;
    }
}

/// A `multipart/form-data` body: `(name, filename, bytes)` parts.
fn multipart(parts: &[(String, Option<String>, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "pj-test-boundary-7d3f0c";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if let Some(filename) = filename {
            let escaped = filename.replace('\\', "\\\\").replace('"', "\\\"").replace(['\r', '\n'], "_");
            body.extend_from_slice(format!("; filename=\"{escaped}\"").as_bytes());
            body.extend_from_slice(b"\r\nContent-Type: application/octet-stream");
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The parts of a multipart answer: `(name, filename, bytes)`, the filename decoded from
/// `filename*` (RFC 5987) as the SDK does.
fn parse_multipart(content_type: &str, body: &[u8]) -> Vec<(String, String, Vec<u8>)> {
    let boundary = content_type.split("boundary=").nth(1).expect("a boundary").trim().to_owned();
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let start = find(rest, delimiter.as_bytes()).expect("a first delimiter");
    rest = &rest[start + delimiter.len()..];
    loop {
        assert!(!rest.starts_with(b"--"), "parts before the closing delimiter only");
        rest = rest.strip_prefix(b"\r\n").expect("CRLF after a delimiter");
        let head_end = find(rest, b"\r\n\r\n").expect("part headers");
        let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        rest = &rest[head_end + 4..];
        let end = find(rest, format!("\r\n{delimiter}").as_bytes()).expect("the next delimiter");
        let data = rest[..end].to_vec();
        rest = &rest[end + 2 + delimiter.len()..];
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .expect("a Content-Disposition");
        let name = disposition.split("name=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default();
        let encoded = disposition.split("filename*=utf-8''").nth(1).unwrap_or_default().trim();
        parts.push((name.to_owned(), percent_decode(encoded), data));
        if rest.starts_with(b"--") {
            assert_eq!(rest, b"--\r\n", "the closing delimiter ends the body");
            return parts;
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

/// Every operation on one sandbox, each checked in the container.
async fn every_operation(sandbox: &Sandbox, owner: &str, group: &str) {
    // Upload (bulk, the SDK's upload_file/upload_files): parents are made, files written.
    let answer = sandbox
        .upload(&[("/work/docs/a.txt", b"alpha\nTODO: one\n"), ("/work/b.md", b"beta TODO\r\nno\nTODO two")])
        .await;
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    assert_eq!(
        answer.json(),
        json!({"files": [{"path": "/work/docs/a.txt", "bytes": 16}, {"path": "/work/b.md", "bytes": 22}]})
    );
    assert_eq!(sandbox.exec(&["cat", "/work/docs/a.txt"]), "alpha\nTODO: one\n");
    assert_eq!(sandbox.stat("%a", "/work/docs"), "755");

    // Upload (single, `upload-v2`): a raw body, and a multipart part named `file`.
    let raw = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url(&sandbox.id, "/files/upload-v2"))
                .query(&[("path", "/work/raw.bin")])
                .body(vec![0u8, 1, 2, 255]),
        )
        .await;
    assert_eq!(raw.status, 200, "{}", String::from_utf8_lossy(&raw.body));
    assert_eq!(raw.json(), json!({"name": "raw.bin", "path": "/work/raw.bin", "type": "file"}));
    assert_eq!(
        sandbox.exec(&["od", "-An", "-tu1", "/work/raw.bin"]).split_whitespace().collect::<Vec<_>>(),
        ["0", "1", "2", "255"]
    );
    let (content_type, body) = multipart(&[
        ("other".to_owned(), None, b"x".to_vec()),
        ("file".to_owned(), Some("c.txt".to_owned()), b"gamma\n".to_vec()),
    ]);
    let part = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url(&sandbox.id, "/files/upload-v2"))
                .query(&[("path", "/work/c.txt")])
                .header("content-type", content_type)
                .body(body),
        )
        .await;
    assert_eq!(part.status, 200, "{}", String::from_utf8_lossy(&part.body));
    assert_eq!(sandbox.exec(&["cat", "/work/c.txt"]), "gamma\n");

    // Download: single (octet-stream, with its length) and bulk (multipart).
    let single = sandbox.get("/files/download", &[("path", "/work/docs/a.txt")]).await;
    assert_eq!((single.status, single.content_type.as_str()), (200, "application/octet-stream"));
    assert_eq!(single.body, b"alpha\nTODO: one\n");
    let parts = sandbox.download(&["/work/b.md", "/work/raw.bin"]).await;
    assert_eq!(
        parts,
        vec![
            ("file".to_owned(), "/work/b.md".to_owned(), b"beta TODO\r\nno\nTODO two".to_vec()),
            ("file".to_owned(), "/work/raw.bin".to_owned(), vec![0, 1, 2, 255]),
        ]
    );

    // Info: the container's own stat.
    let info = sandbox.get("/files/info", &[("path", "/work/docs/a.txt")]).await;
    assert_eq!(info.status, 200);
    let info = info.json();
    let (size, uid, gid, mode, mtime) = {
        let out = sandbox.stat("%s %u %g %a %Y", "/work/docs/a.txt");
        let f: Vec<String> = out.split(' ').map(str::to_owned).collect();
        (f[0].clone(), f[1].clone(), f[2].clone(), f[3].clone(), f[4].clone())
    };
    assert_eq!(info["size"].to_string(), size);
    assert_eq!((info["owner"].as_str(), info["group"].as_str()), (Some(uid.as_str()), Some(gid.as_str())));
    assert_eq!(info["permissions"], format!("0{mode}"));
    assert_eq!(
        (&info["name"], &info["path"], &info["isDir"], &info["mode"]),
        (&json!("a.txt"), &json!("/work/docs/a.txt"), &json!(false), &json!("-rw-r--r--"))
    );
    let secs: i64 = mtime.parse().expect("seconds");
    // The host's GNU date as the oracle for the UTC calendar time of `secs`.
    let date = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%S"])
        .output()
        .expect("date runs");
    let when = String::from_utf8_lossy(&date.stdout).trim().to_owned();
    assert!(info["modifiedAt"].as_str().unwrap_or_default().starts_with(&when), "{info} vs {when}");
    let dir = sandbox.get("/files/info", &[("path", "/work/docs/")]).await.json();
    assert_eq!(
        (&dir["name"], &dir["isDir"], &dir["mode"]),
        (&json!("docs"), &json!(true), &json!("drwxr-xr-x"))
    );

    // List: one level (sorted by name), then two; a dangling link is left out, as Go's
    // `os.Stat` of it fails in the daemon.
    sandbox.exec(&["ln", "-s", "/nowhere", "/work/dangling"]);
    let listed = sandbox.get("/files", &[("path", "/work")]).await;
    assert_eq!(listed.status, 200);
    let names: Vec<String> = listed
        .json()
        .as_array()
        .expect("an array")
        .iter()
        .map(|f| f["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["b.md", "c.txt", "docs", "raw.bin"]);
    let deep = sandbox.get("/files", &[("path", "/work"), ("depth", "2")]).await.json();
    let deep: Vec<&str> =
        deep.as_array().expect("an array").iter().map(|f| f["path"].as_str().unwrap_or_default()).collect();
    assert_eq!(deep, ["/work/b.md", "/work/c.txt", "/work/docs", "/work/docs/a.txt", "/work/raw.bin"]);
    sandbox.exec(&["rm", "/work/dangling"]);

    // Create a folder with a mode (Go's `MkdirAll`: umask applies, parents too).
    let made = sandbox.post("/files/folder", &[("path", "/work/new/deep"), ("mode", "750")]).await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    assert_eq!(
        (sandbox.stat("%a", "/work/new"), sandbox.stat("%a", "/work/new/deep")),
        ("750".to_owned(), "750".to_owned())
    );
    assert_eq!(
        sandbox.post("/files/folder", &[("path", "/work/new/deep"), ("mode", "750")]).await.status,
        201,
        "again: no error"
    );

    // Move: the file is at its new place only.
    let moved = sandbox
        .post("/files/move", &[("source", "/work/c.txt"), ("destination", "/work/new/deep/c2.txt")])
        .await;
    assert_eq!(moved.status, 200, "{}", String::from_utf8_lossy(&moved.body));
    assert!(!sandbox.exists("/work/c.txt"));
    assert_eq!(sandbox.exec(&["cat", "/work/new/deep/c2.txt"]), "gamma\n");

    // Search names (glob), find contents (substring, line numbers, CR dropped).
    let found = sandbox.get("/files/search", &[("path", "/work"), ("pattern", "*.txt")]).await;
    assert_eq!(found.json(), json!({"files": ["/work/docs/a.txt", "/work/new/deep/c2.txt"]}));
    let relative = sandbox.get("/files/search", &[("path", "work/new"), ("pattern", "deep")]).await;
    assert_eq!(relative.json(), json!({"files": ["work/new/deep"]}), "relative to the working directory /");
    let matches = sandbox.get("/files/find", &[("path", "/work"), ("pattern", "TODO")]).await;
    assert_eq!(matches.status, 200);
    assert_eq!(
        matches.json(),
        json!([
            {"file": "/work/b.md", "line": 1, "content": "beta TODO"},
            {"file": "/work/b.md", "line": 3, "content": "TODO two"},
            {"file": "/work/docs/a.txt", "line": 2, "content": "TODO: one"},
        ])
    );
    let one = sandbox.get("/files/find", &[("path", "/work/docs/a.txt"), ("pattern", "alpha")]).await;
    assert_eq!(one.json(), json!([{"file": "/work/docs/a.txt", "line": 1, "content": "alpha"}]));

    // Replace: each file's result; the file keeps its inode, owner and mode.
    sandbox.exec(&["chmod", "604", "/work/b.md"]);
    let inode = sandbox.stat("%i", "/work/b.md");
    let replaced = sandbox
        .post_json(
            "/files/replace",
            &json!({"files": ["/work/b.md", "/work/missing.md"], "pattern": "TODO", "newValue": "DONE"}),
        )
        .await;
    assert_eq!(
        replaced.json(),
        json!([
            {"file": "/work/b.md", "success": true},
            {"file": "/work/missing.md", "success": false, "error": "open /work/missing.md: no such file or directory"},
        ])
    );
    assert_eq!(sandbox.exec(&["cat", "/work/b.md"]), "beta DONE\r\nno\nDONE two");
    assert_eq!((sandbox.stat("%i %a", "/work/b.md")), format!("{inode} 604"));

    // Permissions: mode, owner and group.
    let set = sandbox
        .post(
            "/files/permissions",
            &[("path", "/work/b.md"), ("mode", "640"), ("owner", owner), ("group", group)],
        )
        .await;
    assert_eq!(set.status, 200, "{}", String::from_utf8_lossy(&set.body));
    let want = format!("640 {owner} {group}");
    // Numbers are compared as numbers, names as names.
    let format = if owner.parse::<u32>().is_ok() { "%a %u %g" } else { "%a %U %G" };
    assert_eq!(sandbox.stat(format, "/work/b.md"), want);
    let mode_only = sandbox.post("/files/permissions", &[("path", "/work/b.md"), ("mode", "0600")]).await;
    assert_eq!(mode_only.status, 200);
    assert_eq!(sandbox.stat(format, "/work/b.md"), want.replacen("640", "600", 1));

    // Delete: a directory only when recursive.
    let refused = sandbox.delete("/files", &[("path", "/work/new")]).await;
    assert_eq!(
        (refused.status, refused.message()),
        (400, "cannot delete directory without recursive flag".to_owned())
    );
    assert!(sandbox.exists("/work/new/deep/c2.txt"));
    assert_eq!(sandbox.delete("/files", &[("path", "/work/raw.bin")]).await.status, 204);
    assert!(!sandbox.exists("/work/raw.bin"));
    assert_eq!(sandbox.delete("/files", &[("path", "/work"), ("recursive", "true")]).await.status, 204);
    assert!(!sandbox.exists("/work"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_in_a_busybox_sandbox() {
    let sandbox = Sandbox::start(provision::base_image(), None).await;
    every_operation(&sandbox, "1234", "5678").await;
    sandbox.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_in_a_debian_sandbox() {
    let sandbox = Sandbox::start(provision::reference_base(), None).await;
    every_operation(&sandbox, "nobody", "nogroup").await;
    sandbox.finish().await;
}

/// A sandbox whose `user` is not root: what it writes is its own, and what it may not
/// touch is refused with the daemon's statuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_belong_to_the_sandboxs_user() {
    let sandbox = Sandbox::start(provision::reference_base(), Some("nobody")).await;
    let uploaded = sandbox.upload(&[("/tmp/own/f.txt", b"mine")]).await;
    assert_eq!(uploaded.status, 200, "{}", String::from_utf8_lossy(&uploaded.body));
    assert_eq!(sandbox.stat("%U %G %a", "/tmp/own/f.txt"), "nobody nogroup 644");
    assert_eq!(sandbox.stat("%U %a", "/tmp/own"), "nobody 755");
    assert_eq!(sandbox.post("/files/folder", &[("path", "/tmp/own/d"), ("mode", "700")]).await.status, 201);
    assert_eq!(sandbox.stat("%U %a", "/tmp/own/d"), "nobody 700");
    assert_eq!(
        sandbox
            .post_json(
                "/files/replace",
                &json!({"files": ["/tmp/own/f.txt"], "pattern": "mine", "newValue": "ours"})
            )
            .await
            .json()[0]["success"],
        true
    );
    assert_eq!(sandbox.stat("%U", "/tmp/own/f.txt"), "nobody");

    // Root's files: not writable, not readable where root says so.
    let denied = sandbox.upload(&[("/root/sub/x.txt", b"no")]).await;
    assert_eq!(denied.status, 400);
    assert_eq!(denied.json()["errors"], json!(["/root/sub/x.txt: mkdir /root/sub: permission denied"]));
    let denied = sandbox.upload(&[("/etc/x.txt", b"no")]).await;
    assert_eq!(denied.json()["errors"], json!(["/etc/x.txt: create: open /etc/x.txt: permission denied"]));
    assert!(!sandbox.exists("/etc/x.txt"));
    let hidden = sandbox.get("/files/info", &[("path", "/root/.bashrc")]).await;
    assert_eq!((hidden.status, hidden.message()), (403, "stat /root/.bashrc: permission denied".to_owned()));
    let shadow = sandbox.get("/files/download", &[("path", "/etc/shadow")]).await;
    assert_eq!(shadow.status, 403, "{}", String::from_utf8_lossy(&shadow.body));
    let parts = sandbox.download(&["/etc/shadow"]).await;
    let error: Value = serde_json::from_slice(&parts[0].2).expect("a JSON error part");
    assert_eq!(
        (parts[0].0.as_str(), &error["statusCode"], &error["code"]),
        ("error", &json!(403), &json!("FILE_ACCESS_DENIED"))
    );
    let chown = sandbox.post("/files/permissions", &[("path", "/tmp/own/f.txt"), ("owner", "root")]).await;
    assert_eq!(chown.status, 400);
    assert!(
        chown.message().starts_with("failed to change ownership: chown /tmp/own/f.txt: "),
        "{}",
        chown.message()
    );
    assert_eq!(sandbox.stat("%U", "/tmp/own/f.txt"), "nobody");
    sandbox.finish().await;
}

/// Every error a caller can meet, with the path it is about.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_the_path_and_say_why() {
    let sandbox = Sandbox::start(provision::base_image(), None).await;
    sandbox.exec(&["sh", "-c", "mkdir -p /d && echo x > /d/f"]);
    let cases: Vec<(Answer, u16, &str)> = vec![
        (
            sandbox.get("/files/info", &[("path", "/nope")]).await,
            404,
            "stat /nope: no such file or directory",
        ),
        (sandbox.get("/files/info", &[]).await, 400, "path is required"),
        (sandbox.get("/files/info", &[("path", "/d/f/x")]).await, 400, "stat /d/f/x: not a directory"),
        (sandbox.get("/files", &[("path", "/nope")]).await, 404, "open /nope: no such file or directory"),
        (sandbox.get("/files", &[("path", "/d/f")]).await, 400, "open /d/f: not a directory"),
        (
            sandbox.get("/files", &[("path", "/d"), ("depth", "0")]).await,
            400,
            "invalid depth \"0\": depth must be an integer >= 1",
        ),
        (
            sandbox.get("/files/download", &[("path", "/nope")]).await,
            404,
            "stat /nope: no such file or directory",
        ),
        (sandbox.get("/files/download", &[("path", "/d")]).await, 400, "path must be a file"),
        (
            sandbox.post("/files/move", &[("source", "/nope"), ("destination", "/x")]).await,
            404,
            "stat /nope: no such file or directory",
        ),
        (
            sandbox.post("/files/move", &[("source", "/d/f"), ("destination", "/no/x")]).await,
            404,
            "stat /no: no such file or directory",
        ),
        (
            sandbox.post("/files/move", &[("source", "/d/f"), ("destination", "/d")]).await,
            409,
            "destination already exists",
        ),
        (
            sandbox.post("/files/move", &[("source", "/d/f")]).await,
            400,
            "source and destination paths are required",
        ),
        (sandbox.delete("/files", &[("path", "/nope")]).await, 404, "stat /nope: no such file or directory"),
        (
            sandbox.post("/files/permissions", &[("path", "/nope"), ("mode", "644")]).await,
            404,
            "stat /nope: no such file or directory",
        ),
        (
            sandbox.post("/files/permissions", &[("path", "/d/f"), ("mode", "9")]).await,
            400,
            "invalid mode format",
        ),
        (
            sandbox.post("/files/permissions", &[("path", "/d/f"), ("owner", "nobody-here")]).await,
            400,
            "user not found",
        ),
        (
            sandbox.post("/files/permissions", &[("path", "/d/f"), ("group", "no-group-here")]).await,
            400,
            "group not found",
        ),
        (
            sandbox.post("/files/folder", &[("path", "/d/f/sub"), ("mode", "755")]).await,
            400,
            "mkdir /d/f: not a directory",
        ),
        (
            sandbox.post("/files/folder", &[("path", "/d/g"), ("mode", "rwx")]).await,
            400,
            "invalid mode format",
        ),
        (sandbox.get("/files/search", &[("path", "/d")]).await, 400, "path and pattern are required"),
        (sandbox.get("/files/find", &[("pattern", "x")]).await, 400, "path and pattern are required"),
        (
            sandbox
                .post_json("/files/replace", &json!({"files": ["/d/f"], "pattern": "", "newValue": "y"}))
                .await,
            400,
            "invalid request body: pattern is required (a non-empty string)",
        ),
        (
            sandbox.post_json("/files/replace", &json!({"files": ["/d/f"], "pattern": "x"})).await,
            400,
            "invalid request body: newValue is required (a string)",
        ),
        (
            sandbox.post_json("/files/bulk-download", &json!({"paths": []})).await,
            400,
            "request body must be {\"paths\": [ ... ]} and non-empty",
        ),
    ];
    for (answer, status, message) in cases {
        assert_eq!((answer.status, answer.message()), (status, message.to_owned()));
        assert_eq!(answer.json()["statusCode"], status, "Daytona's error body");
    }
    assert!(sandbox.exists("/d/f"), "no failed call touched the file");

    // As the daemon's `filepath.Walk`: a missing root is nothing found.
    assert_eq!(
        sandbox.get("/files/search", &[("path", "/nope"), ("pattern", "*")]).await.json(),
        json!({"files": []})
    );
    assert_eq!(sandbox.get("/files/find", &[("path", "/nope"), ("pattern", "x")]).await.json(), json!([]));

    // Bulk download: a part per file, an error part (404, 400) for each that cannot be sent.
    let parts = sandbox.download(&["/nope", "/d/f", "/d", ""]).await;
    let names: Vec<(&str, &str)> = parts.iter().map(|(n, f, _)| (n.as_str(), f.as_str())).collect();
    assert_eq!(names, [("error", "/nope"), ("file", "/d/f"), ("error", "/d"), ("error", "")]);
    let error = |i: usize| -> Value { serde_json::from_slice(&parts[i].2).expect("JSON") };
    assert_eq!(
        (&error(0)["statusCode"], &error(0)["code"], &error(0)["message"]),
        (&json!(404), &json!("FILE_NOT_FOUND"), &json!("file not found: /nope"))
    );
    assert_eq!(parts[1].2, b"x\n");
    assert_eq!(
        (&error(2)["statusCode"], &error(2)["message"]),
        (&json!(400), &json!("invalid file path: path points to a directory: /d"))
    );
    assert_eq!(error(3)["message"], "invalid file path: path is empty");

    // Bulk upload: the daemon's `{"errors": [...]}`; what could be written is.
    let (content_type, body) = multipart(&[
        ("files[0].file".to_owned(), Some("f".to_owned()), b"no path".to_vec()),
        ("files[1].path".to_owned(), None, b"  ".to_vec()),
        ("files[2].path".to_owned(), None, b"/d/f/under-a-file.txt".to_vec()),
        ("files[2].file".to_owned(), Some("x".to_owned()), b"x".to_vec()),
        ("files[3].path".to_owned(), None, b"/d/ok.txt".to_vec()),
        ("files[3].file".to_owned(), Some("x".to_owned()), b"ok".to_vec()),
    ]);
    let request = sandbox
        .http
        .post(sandbox.url(&sandbox.id, "/files/bulk-upload"))
        .header("content-type", content_type);
    let answer = sandbox.send(request.body(body)).await;
    assert_eq!(answer.status, 400);
    let errors = answer.json();
    assert_eq!(errors["errors"][0], "file[0]: missing .path metadata");
    assert_eq!(errors["errors"][1], "path[1]: empty path");
    assert!(
        errors["errors"][2].as_str().unwrap_or_default().starts_with("/d/f/under-a-file.txt: mkdir /d/f: "),
        "{errors}"
    );
    assert_eq!(errors["files"], json!([{"path": "/d/ok.txt", "bytes": 2}]));
    assert_eq!(sandbox.exec(&["cat", "/d/ok.txt"]), "ok");
    let plain =
        sandbox.send(sandbox.http.post(sandbox.url(&sandbox.id, "/files/bulk-upload")).body("x")).await;
    assert_eq!(
        (plain.status, plain.json()),
        (400, json!({"errors": ["invalid multipart form"], "files": []}))
    );

    // No such sandbox.
    for answer in [
        sandbox
            .send(sandbox.http.get(sandbox.url("no-such-sandbox", "/files/info")).query(&[("path", "/")]))
            .await,
        sandbox.send(sandbox.http.post(sandbox.url("no-such-sandbox", "/files/bulk-upload"))).await,
    ] {
        assert_eq!(
            (answer.status, answer.message()),
            (404, "Sandbox with ID or name no-such-sandbox not found".to_owned())
        );
    }

    // A stopped sandbox (its container stopped outside the server): refused, not a 200.
    assert!(docker(&["kill", &sandbox.container.0]).status.success());
    for answer in [
        sandbox.get("/files/info", &[("path", "/d/f")]).await,
        sandbox.upload(&[("/d/late.txt", b"late")]).await,
        sandbox.get("/files/download", &[("path", "/d/f")]).await,
        sandbox.post_json("/files/bulk-download", &json!({"paths": ["/d/f"]})).await,
        sandbox.get("/files", &[("path", "/d")]).await,
    ] {
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        assert!(
            answer.status == 400 && (text.contains("not running") || text.contains("not started")),
            "{} {text}",
            answer.status
        );
    }
    sandbox.finish().await;
}

/// Names a shell would split, expand or read as options are files like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_are_only_names() {
    let sandbox = Sandbox::start(provision::base_image(), None).await;
    let names = [
        "sp ace.txt",
        "quo'te\"s.txt",
        "new\nline.txt",
        "-rf",
        "$(touch pwned1)",
        "; touch pwned2 #",
        "`touch pwned3`",
        "back\\slash*?[x].txt",
        "ünïcødé.txt",
    ];
    let paths: Vec<String> = names.iter().map(|n| format!("/h/{n}")).collect();
    let files: Vec<(&str, &[u8])> = paths.iter().map(|p| (p.as_str(), p.as_bytes())).collect();
    let uploaded = sandbox.upload(&files).await;
    assert_eq!(uploaded.status, 200, "{}", String::from_utf8_lossy(&uploaded.body));
    let listed = sandbox.exec(&[
        "sh",
        "-c",
        "cd /h && for f in * .*; do [ -e \"$f\" ] && printf '%s\\0' \"$f\"; done",
    ]);
    let mut in_container: Vec<&str> =
        listed.split('\0').filter(|n| !n.is_empty() && *n != "." && *n != "..").collect();
    in_container.sort_unstable();
    let mut want = names.to_vec();
    want.sort_unstable();
    assert_eq!(in_container, want, "exactly these files, nothing else made");
    let listing = sandbox.get("/files", &[("path", "/h")]).await.json();
    let mut listed: Vec<String> = listing
        .as_array()
        .expect("array")
        .iter()
        .map(|f| f["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    listed.sort_unstable();
    assert_eq!(listed, want);
    for path in &paths {
        let info = sandbox.get("/files/info", &[("path", path)]).await;
        assert_eq!((info.status, &info.json()["path"]), (200, &json!(path)));
        assert_eq!(sandbox.get("/files/download", &[("path", path)]).await.body, path.as_bytes());
        let found = sandbox.get("/files/search", &[("path", "/h"), ("pattern", &path[3..])]).await.json();
        // A name with glob characters matches itself only through its own pattern's rules.
        if !path.contains('*') {
            assert_eq!(found["files"], json!([path]), "{path:?}");
        }
    }
    let parts = sandbox.download(&paths.iter().map(String::as_str).collect::<Vec<_>>()).await;
    for ((kind, name, bytes), path) in parts.iter().zip(&paths) {
        assert_eq!((kind.as_str(), name, bytes.as_slice()), ("file", path, path.as_bytes()));
    }
    // Relative names that start with `-`, resolved in the working directory (`/`).
    assert_eq!(sandbox.post("/files/folder", &[("path", "-dir"), ("mode", "755")]).await.status, 201);
    assert_eq!(
        sandbox.post("/files/move", &[("source", "/h/-rf"), ("destination", "-dir/-moved")]).await.status,
        200
    );
    assert!(sandbox.exists("/-dir/-moved") && !sandbox.exists("/h/-rf"));
    assert_eq!(sandbox.get("/files", &[("path", "-dir")]).await.json()[0]["path"], "/-dir/-moved");
    assert_eq!(
        sandbox.get("/files/search", &[("path", "-dir"), ("pattern", "-*")]).await.json(),
        json!({"files": ["-dir", "-dir/-moved"]}),
        "the root is matched too, as the daemon's walk does"
    );
    assert_eq!(
        sandbox.post("/files/permissions", &[("path", "-dir/-moved"), ("mode", "600")]).await.status,
        200
    );
    assert_eq!(sandbox.stat("%a", "/-dir/-moved"), "600");
    assert_eq!(sandbox.delete("/files", &[("path", "-dir"), ("recursive", "true")]).await.status, 204);
    assert!(!sandbox.exists("/-dir"));
    for pwned in ["/pwned1", "/pwned2", "/pwned3", "/h/pwned1", "/h/pwned2", "/h/pwned3"] {
        assert!(!sandbox.exists(pwned), "{pwned}: a name ran as a command");
    }
    assert_eq!(sandbox.delete("/files", &[("path", "/h"), ("recursive", "true")]).await.status, 204);
    sandbox.finish().await;
}

/// Transfers larger than any buffer arrive whole, both ways, through every transfer route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_transfers_arrive_whole() {
    let sandbox = Sandbox::start(provision::base_image(), None).await;
    let size = 48 << 20;
    let bytes: Vec<u8> = (0..size).map(|i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let uploaded = sandbox.upload(&[("/big/bulk.bin", &bytes)]).await;
    assert_eq!((uploaded.status, &uploaded.json()["files"][0]["bytes"]), (200, &json!(size)));
    let raw = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url(&sandbox.id, "/files/upload-v2"))
                .query(&[("path", "/big/raw.bin")])
                .body(bytes.clone()),
        )
        .await;
    assert_eq!(raw.status, 200);
    // The container's view: both files are the bytes sent.
    let same = sandbox.exec(&["sh", "-c", "cmp /big/bulk.bin /big/raw.bin && wc -c < /big/raw.bin"]);
    assert_eq!(same.trim(), size.to_string());
    let cat = sandbox.exec_output(&["cat", "/big/raw.bin"]);
    assert!(cat.stdout == bytes, "the file in the container is what was sent");
    let single = sandbox.get("/files/download", &[("path", "/big/raw.bin")]).await;
    assert!(single.status == 200 && single.body == bytes, "single download");
    let parts = sandbox.download(&["/big/bulk.bin", "/big/raw.bin"]).await;
    assert_eq!(parts.len(), 2);
    assert!(parts.iter().all(|(kind, _, data)| kind == "file" && *data == bytes), "bulk download");
    sandbox.finish().await;
}
