"""Drives the official Daytona Python SDK (daytona==0.226.1) through a sandbox's git, info,
ports and preview URL, the way the SDK's documentation shows them.

Usage: python sdk_git.py WORKDIR NAME
Reads DAYTONA_API_KEY / DAYTONA_API_URL / DAYTONA_TARGET from the environment. Builds
NAME (debian:bookworm-slim with git and python3, made locally; no registry is used) and
NAME-nogit (the busybox pj-test-base:1), creates a sandbox of each and:
- git: clone from a `file://` repository made inside the sandbox (no network), with a
  branch and a commit; status, add, commit, branches (create, list, checkout, delete),
  history, reset, restore, init, remotes, push to and pull from a second `file://`
  repository, config; clone with credentials from an HTTP server in the sandbox that wants
  basic auth, whose password never shows in any output or error;
- an image without git: the clear error;
- info (home, work dir), ports (in use once `python3 -m http.server` runs in the
  sandbox), and the preview URL fetched from the host.
Each SDK call prints `PASS <area>: <what>` or `FAIL <area>: <what>: <why>` (and each sandbox
made `SANDBOX <id>`); the last line is one JSON object (the sandboxes stay for the driver's own checks with `docker exec`,
which deletes them).

The SDK has no public method for the commit history and the ports: those go through its
own generated toolbox client (`daytona_toolbox_api_client`) on the sandbox's toolbox.
As in sdk_snapshot.py, the only change to the SDK is the `allow_http` of
docs/daytona-contract.md section 7, for its S3 client.
"""

import importlib.metadata
import json
import sys
import time
import traceback

import sdk_http
from sdk_http import error, state

sdk_http.allow_http()

import httpx  # noqa: E402  (the SDK's own HTTP client)
from daytona import CreateSandboxFromSnapshotParams, CreateSnapshotParams, Daytona, Image  # noqa: E402
from daytona_toolbox_api_client import PortApi  # noqa: E402

# A password that must never show outside the sandbox's git.
PASSWORD = "sdk-pw-7Hq-never-shown"
APT = "apt-get update && apt-get install -y --no-install-recommends git python3 && rm -rf /var/lib/apt/lists/*"

failures = []


def report(area, what, ok, why=""):
    if ok:
        print(f"PASS {area}: {what}", flush=True)
    else:
        failures.append(f"{area}: {what}")
        print(f"FAIL {area}: {what}: {why}", flush=True)


def call(area, what, fn, expect=lambda value: True, why=lambda value: repr(value)):
    """Runs one SDK call; PASS when it returns and `expect(value)` holds."""
    try:
        value = fn()
    except Exception as e:  # the SDK's error is the FAIL's reason
        report(area, what, False, f"{type(e).__name__}: {e}")
        return None
    report(area, what, expect(value), why(value))
    return value


def refused(area, what, fn, status, words):
    """Runs one SDK call that must raise with `status` and `words` in its message."""
    try:
        fn()
    except Exception as e:
        got = error(e)
        ok = got["status"] == status and words in got["message"] and PASSWORD not in got["message"]
        report(area, what, ok, json.dumps(got))
        return got
    report(area, what, False, "no error")
    return None


def sh(sandbox, command):
    """A setup or check command in the sandbox (the toolbox's execute): its output."""
    response = sandbox.process.exec(command, timeout=60)
    if response.exit_code != 0:
        raise RuntimeError(f"{command!r} exited {response.exit_code}: {response.result}")
    return response.result.rstrip()


AUTH_SERVER = f"""import base64, functools, http.server
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"dev:{PASSWORD}").decode():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", 8123), functools.partial(H, directory="/srv/git")).serve_forever()
"""


def git_area(sandbox, out):
    git = sandbox.git
    sh(
        sandbox,
        "set -e; mkdir -p /srv/git; git init -q -b main /srv/git/seed; cd /srv/git/seed; "
        "git config user.name Seed; git config user.email seed@example.com; "
        "echo one > README.md; git add README.md; git commit -qm first; "
        "echo two >> README.md; git commit -qam second; "
        "git checkout -qb feature; echo f > feature.txt; git add feature.txt; git commit -qm feat; "
        "git checkout -q main; git clone -q --bare /srv/git/seed /srv/git/origin.git",
    )
    first = sh(sandbox, "git -C /srv/git/seed rev-parse main~1")
    main = sh(sandbox, "git -C /srv/git/seed rev-parse main")
    origin = "file:///srv/git/origin.git"

    call("git", "clone a file:// repository", lambda: git.clone(url=origin, path="workspace/repo"))
    report("git", "the clone is at origin's main", sh(sandbox, "git -C ~/workspace/repo rev-parse HEAD") == main)
    call("git", "clone a branch", lambda: git.clone(url=origin, path="workspace/feat", branch="feature"))
    report(
        "git",
        "the branch is checked out",
        sh(sandbox, "git -C ~/workspace/feat rev-parse --abbrev-ref HEAD") == "feature",
    )
    call("git", "clone a commit", lambda: git.clone(url=origin, path="workspace/old", commit_id=first))
    report("git", "the commit is checked out", sh(sandbox, "git -C ~/workspace/old rev-parse HEAD") == first)
    refused("git", "clone of a missing repository", lambda: git.clone(url="file:///srv/git/none.git", path="x"), 404, "does not appear to be a git repository")

    repo = "workspace/repo"
    status = call("git", "status of a clean clone", lambda: git.status(repo),
                  lambda s: (s.current_branch, s.ahead, s.behind, s.branch_published, s.file_status) == ("main", 0, 0, True, []))
    sh(sandbox, "cd ~/workspace/repo && echo changed >> README.md && echo new > new.txt")
    status = call("git", "status of changes", lambda: git.status(repo),
                  lambda s: sorted((f.name, f.staging.value, f.worktree.value) for f in s.file_status)
                  == [("README.md", "Unmodified", "Modified"), ("new.txt", "Untracked", "Untracked")],
                  lambda s: repr(s.file_status))
    call("git", "add", lambda: git.add(repo, ["README.md", "new.txt"]))
    report("git", "the files are staged", sh(sandbox, "git -C ~/workspace/repo status --porcelain") == "M  README.md\nA  new.txt")
    commit = call("git", "commit", lambda: git.commit(repo, "Add new.txt", "Ada L", "ada@example.com"))
    head = sh(sandbox, "git -C ~/workspace/repo rev-parse HEAD")
    report("git", "the commit's sha is the repository's HEAD", commit is not None and commit.sha == head, getattr(commit, "sha", None))
    report("git", "the commit's author", sh(sandbox, "git -C ~/workspace/repo log -1 --format='%an <%ae>'") == "Ada L <ada@example.com>")
    call("git", "status counts the commit ahead", lambda: git.status(repo), lambda s: (s.ahead, s.behind) == (1, 0))
    refused("git", "commit with nothing staged", lambda: git.commit(repo, "empty", "A", "a@x"), 400, "nothing to commit")
    empty = call("git", "commit allow_empty", lambda: git.commit(repo, "empty", "A", "a@x", allow_empty=True))
    history = call("git", "commit history (the generated client)", lambda: git._api_client.get_commit_history(path=repo),
                   lambda h: [c.hash for c in h[:2]] == [empty.sha, head] and h[1].message == "Add new.txt\n"
                   and len(h) == int(sh(sandbox, "git -C ~/workspace/repo rev-list --count HEAD")),
                   lambda h: repr(h[:2]))

    call("git", "create a branch", lambda: git.create_branch(repo, "topic"))
    call("git", "branches", lambda: git.branches(repo), lambda b: b.branches == ["main", "topic"] and b.current == "topic", repr)
    call("git", "checkout a branch", lambda: git.checkout_branch(repo, "main"))
    report("git", "main is checked out", sh(sandbox, "git -C ~/workspace/repo symbolic-ref --short HEAD") == "main")
    call("git", "delete a branch", lambda: git.delete_branch(repo, "topic"))
    call("git", "the branch is gone", lambda: git.branches(repo), lambda b: b.branches == ["main"], repr)
    refused("git", "delete a missing branch", lambda: git.delete_branch(repo, "topic"), 404, "not found")
    refused("git", "checkout a missing branch", lambda: git.checkout_branch(repo, "nope"), 404, "nope")

    sh(sandbox, "cd ~/workspace/repo && echo staged >> new.txt && git add new.txt")
    call("git", "reset (mixed)", lambda: git.reset(repo))
    report("git", "the change is unstaged", sh(sandbox, "git -C ~/workspace/repo status --porcelain") == " M new.txt")
    call("git", "restore", lambda: git.restore(repo, ["new.txt"]))
    report("git", "the file is restored", sh(sandbox, "cat ~/workspace/repo/new.txt") == "new")
    call("git", "reset --hard HEAD~1", lambda: git.reset(repo, mode="hard", target="HEAD~1"))
    report("git", "HEAD moved back", sh(sandbox, "git -C ~/workspace/repo rev-parse HEAD") == head)

    call("git", "init a bare repository", lambda: git.init("/srv/git/second.git", bare=True, initial_branch="main"))
    call("git", "add a remote", lambda: git.remote_add(repo, "second", "file:///srv/git/second.git"))
    call("git", "remotes", lambda: git.remotes(repo),
         lambda r: [(x.name, x.url) for x in r.remotes] == [("origin", origin), ("second", "file:///srv/git/second.git")], repr)
    call("git", "remote_get", lambda: git.remote_get(repo, "second"), lambda u: u == "file:///srv/git/second.git")
    call("git", "push with set_upstream", lambda: git.push(repo, remote="second", branch="main", set_upstream=True))
    report("git", "the second repository has the commit", sh(sandbox, "git -C /srv/git/second.git rev-parse main") == head)
    sh(sandbox, "set -e; git clone -q /srv/git/second.git /srv/git/other; cd /srv/git/other; echo later > later.txt; "
                "git add later.txt; git -c user.name=O -c user.email=o@x commit -qm later; git push -q origin main")
    later = sh(sandbox, "git -C /srv/git/other rev-parse HEAD")
    call("git", "status sees the upstream", lambda: git.status(repo), lambda s: s.upstream == "second/main", repr)
    call("git", "pull", lambda: git.pull(repo))
    report("git", "the pulled commit is HEAD", sh(sandbox, "git -C ~/workspace/repo rev-parse HEAD") == later)

    call("git", "set_config (global)", lambda: git.set_config("pithy.sdk", "yes"))
    report("git", "the user's global config has it", sh(sandbox, "git config --global pithy.sdk") == "yes")
    call("git", "get_config", lambda: git.get_config("pithy.sdk"), lambda v: v == "yes")
    call("git", "get_config of an unset key", lambda: git.get_config("pithy.unset"), lambda v: v is None)
    call("git", "configure_user (local)", lambda: git.configure_user("Local Dev", "dev@example.com", scope="local", path=repo))
    report("git", "the repository's config has the user", sh(sandbox, "git -C ~/workspace/repo config --local user.email") == "dev@example.com")
    refused("git", "local config without a path", lambda: git.set_config("a.b", "c", scope="local"), 400, "path is required")
    refused("git", "status of a directory without a repository", lambda: git.status("/tmp"), 404, "not a git repository")

    # Credentials against an HTTP repository in the sandbox that wants basic auth.
    sh(sandbox, "cat > /srv/git/server.py <<'EOF'\n" + AUTH_SERVER + "EOF\n")
    sh(sandbox, "git -C /srv/git/origin.git update-server-info && (nohup python3 /srv/git/server.py >/dev/null 2>&1 &)")
    sh(sandbox, "for i in $(seq 50); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 8123))' 2>/dev/null && exit 0; sleep 0.1; done; exit 1")
    url = "http://127.0.0.1:8123/origin.git"
    refused("git", "clone of a private repository without credentials", lambda: git.clone(url=url, path="workspace/anon"), 401, "git clone")
    refused("git", "clone with a wrong password", lambda: git.clone(url=url, path="workspace/wrong", username="dev", password="wrong-" + PASSWORD[::-1]), 401, "git clone")
    call("git", "clone with credentials", lambda: git.clone(url=url, path="workspace/authed", username="dev", password=PASSWORD))
    report("git", "the credentialed clone has the files", sh(sandbox, "cat ~/workspace/authed/README.md") == "one\ntwo")
    stored = sh(sandbox, "cat ~/workspace/authed/.git/config ~/.gitconfig; cat ~/.git-credentials 2>/dev/null; true")
    report("git", "the password is stored nowhere", PASSWORD not in stored)
    call("git", "dangerously_authenticate", lambda: git.dangerously_authenticate("dev", PASSWORD, host="127.0.0.1:8123", protocol="http"))
    call("git", "clone with the stored credentials", lambda: git.clone(url=url, path="workspace/stored"))

    out["git"] = {"main": main, "head": head, "later": later, "commit": getattr(commit, "sha", None)}


def info_and_preview(sandbox, out):
    call("info", "get_user_home_dir", sandbox.get_user_home_dir, lambda d: d == "/root")
    call("info", "get_work_dir", sandbox.get_work_dir, lambda d: d == "/root")
    ports = PortApi(sandbox._toolbox_api)
    call("port", "8000 is free", lambda: ports.is_port_in_use(8000), lambda r: r.is_in_use is False, repr)
    page = "<h1>served from the sandbox</h1>"
    sh(sandbox, f"mkdir -p /tmp/site && printf '%s' '{page}' > /tmp/site/index.html")
    sh(sandbox, "(nohup python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp/site >/dev/null 2>&1 &)")
    deadline = time.time() + 20
    while time.time() < deadline and not ports.is_port_in_use(8000).is_in_use:
        time.sleep(0.2)
    call("port", "8000 is in use once http.server runs", lambda: ports.is_port_in_use(8000), lambda r: r.is_in_use is True, repr)
    call("port", "the ports listening", lambda: ports.get_ports(), lambda r: 8000 in (r.ports or []), repr)

    link = call("preview", "get_preview_link", lambda: sandbox.get_preview_link(8000),
                lambda p: p.url.startswith("http://127.0.0.1:") and bool(p.token) and p.sandbox_id == sandbox.id, repr)
    if link is not None:
        call("preview", "the URL with the token answers the sandbox's page",
             lambda: httpx.get(link.url, headers={"X-Daytona-Preview-Token": link.token}, timeout=30),
             lambda r: r.status_code == 200 and r.text == page, lambda r: f"{r.status_code} {r.text[:200]}")
        call("preview", "the URL without the token is refused (a private sandbox)",
             lambda: httpx.get(link.url, timeout=30), lambda r: r.status_code == 401, lambda r: str(r.status_code))
        out["preview"] = {"url": link.url}


def no_git(client, name, out):
    params = CreateSnapshotParams(name=name, image=Image.base("pj-test-base:1"))
    call("nogit", "snapshot of an image without git", lambda: client.snapshot.create(params, timeout=300),
         lambda s: state(s.state) == "active", repr)
    sandbox = call("nogit", "sandbox", lambda: client.create(CreateSandboxFromSnapshotParams(snapshot=name), timeout=120))
    if sandbox is None:
        return
    print(f"SANDBOX {sandbox.id}", flush=True)
    out["noGitSandbox"] = sandbox.id
    out["noGit"] = refused("nogit", "git status says the image has no git", lambda: sandbox.git.status("/root"), 400, "image has no `git`")


def main():
    name = sys.argv[2]
    out = {"sdk": importlib.metadata.version("daytona")}
    client = Daytona()
    image = Image.base("debian:bookworm-slim").run_commands(APT)
    snapshot = call("git", "snapshot with git", lambda: client.snapshot.create(CreateSnapshotParams(name=name, image=image), timeout=600),
                    lambda s: state(s.state) == "active", repr)
    if snapshot is not None:
        sandbox = call("git", "sandbox", lambda: client.create(CreateSandboxFromSnapshotParams(snapshot=name), timeout=120))
        if sandbox is not None:
            print(f"SANDBOX {sandbox.id}", flush=True)
            out["sandbox"] = sandbox.id
            try:
                git_area(sandbox, out)
            except Exception as e:  # a setup command failed: say so, go on
                report("git", "setup", False, f"{type(e).__name__}: {e}")
            try:
                info_and_preview(sandbox, out)
            except Exception as e:
                report("preview", "setup", False, f"{type(e).__name__}: {e}")
    no_git(client, name + "-nogit", out)
    out["failures"] = failures
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, do not hide
        traceback.print_exc()
        print(json.dumps({"failure": error(e), "failures": failures}))
        sys.exit(1)
