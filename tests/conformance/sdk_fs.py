"""Drives the official Daytona Python SDK's file system (`sandbox.fs`, daytona==0.226.1)
against the local server, the way the SDK's documentation shows each call.

Usage: python sdk_fs.py SNAPSHOT WORKDIR
Reads DAYTONA_API_KEY / DAYTONA_API_URL / DAYTONA_TARGET from the environment. Creates a
sandbox from SNAPSHOT (the reference image: Debian 12, work dir `/app`, user root) and
calls every `sandbox.fs` method, including the bad inputs (missing paths, a directory
without `recursive`, a stopped sandbox, a deleted one); then a second sandbox of SNAPSHOT
that runs as `nobody`: what it uploads and makes is its own, root's files are refused.
WORKDIR is a local directory for the files uploaded from and downloaded to a path.
Where it matters, what the SDK says is checked against the container itself
(`docker exec --user 0` of `stat`, `cat`, `sha256sum`): owner, mode, content.

Prints a PASS/FAIL line per check (sdk_http.Report), then one JSON object (what
tests/tests/conformance_fs.rs asserts on). Both sandboxes are deleted here; the driver
removes their containers if the run stops before. The only change to the SDK is the
`allow_http` of docs/daytona-contract.md section 7, for its S3 client.
"""

import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys

import sdk_http
from sdk_http import Report, error

sdk_http.allow_http()

from daytona import (  # noqa: E402
    CreateSandboxFromSnapshotParams,
    Daytona,
    DaytonaError,
    DaytonaNotFoundError,
    FileDownloadRequest,
    FileUpload,
)

# The reference image's work dir: where the toolbox resolves relative paths.
WORK = "/app"

report = Report("fs")


def check(what, ok, why=""):
    """PASS when `ok`, else FAIL with `why`."""
    if ok:
        report.ok(what)
    else:
        report.fail(what, why or "no")


def call(what, fn, expect=None):
    """Runs one SDK call; a check that it worked (and that `expect(result)` holds)."""
    try:
        result = fn()
    except Exception as e:  # the SDK's error is the failure reported
        report.fail(what, f"raised {json.dumps(error(e))}")
        return None
    if expect is not None:
        try:
            verdict = expect(result)
        except Exception as e:
            verdict = f"the check raised {e!r}"
        if verdict is not True:
            report.fail(what, f"got {result!r}" + (f" ({verdict})" if isinstance(verdict, str) else ""))
            return result
    report.ok(what)
    return result


def refused(what, fn, kind, status, words):
    """Runs one SDK call that must fail with the SDK's error `kind`, `status` and `words`."""
    try:
        result = fn()
    except Exception as e:
        got = error(e)
        ok = isinstance(e, kind) and got["status"] == status and words in got["message"]
        check(what, ok, f"got {json.dumps(got)}")
        return got
    report.fail(what, f"no error, got {result!r}")
    return None


class Container:
    """The sandbox's container, read with `docker exec` as root: the independent view."""

    def __init__(self, sandbox_id):
        self.name = f"pj-sandbox-{sandbox_id}"

    def run(self, *argv):
        out = subprocess.run(["docker", "exec", "--user", "0", self.name, *argv], capture_output=True, timeout=60)
        return out.returncode, out.stdout

    def stat(self, fmt, path):
        code, out = self.run("stat", "-c", fmt, "--", path)
        return out.decode().strip() if code == 0 else None

    def cat(self, path):
        code, out = self.run("cat", "--", path)
        return out if code == 0 else None

    def exists(self, path):
        return self.run("test", "-e", path)[0] == 0


def as_root(client, snapshot, workdir, out):
    """Every `sandbox.fs` method on a sandbox of the reference image, which runs as root."""
    sandbox = client.create(CreateSandboxFromSnapshotParams(snapshot=snapshot), timeout=120)
    box = Container(sandbox.id)
    fs = sandbox.fs
    out.update({"sandbox": sandbox.id, "user": sandbox.user})

    # --- upload_file: from bytes, from a local path (streamed) ---
    call("upload_file from bytes", lambda: fs.upload_file(b"Hello, World!", "tmp/hello.txt"))
    check(
        "the uploaded file is in the work dir, root's (the sandbox's user), with its bytes",
        box.cat("/app/tmp/hello.txt") == b"Hello, World!"
        and box.stat("%U %G %a", "/app/tmp/hello.txt") == "root root 644",
        f"{box.cat('/app/tmp/hello.txt')!r} {box.stat('%U %G %a', '/app/tmp/hello.txt')}",
    )
    big = os.path.join(workdir, "large.bin")
    with open(big, "wb") as f:
        for i in range(24):
            f.write(hashlib.sha256(str(i).encode()).digest() * 32768)  # 1 MiB a step
    digest = hashlib.sha256(open(big, "rb").read()).hexdigest()
    call("upload_file from a local path (24 MiB, streamed)", lambda: fs.upload_file(big, "tmp/large_file.bin"))
    code, sums = box.run("sha256sum", "/app/tmp/large_file.bin")
    check("the large file in the container is the local file", sums.decode().split()[:1] == [digest], sums)
    binary = bytes(range(256)) * 4 + b"\xff\xfe not UTF-8 \x80"
    call(
        "upload_files: bytes and a local path, new directories made",
        lambda: fs.upload_files(
            [
                FileUpload(source=b"Content of file 1", destination="/tmp/sdk/file1.txt"),
                FileUpload(source=big, destination="/tmp/sdk/deep/er/file2.bin"),
                FileUpload(source=binary, destination="/tmp/sdk/binary.dat"),
                FileUpload(source=b'{"key": "value"}', destination="/tmp/sdk/it's \"quoted\" & spaced.json"),
            ]
        ),
    )
    check("upload_files wrote every file", box.cat("/tmp/sdk/file1.txt") == b"Content of file 1"
          and box.cat("/tmp/sdk/binary.dat") == binary
          and box.cat("/tmp/sdk/it's \"quoted\" & spaced.json") == b'{"key": "value"}'
          and box.stat("%s", "/tmp/sdk/deep/er/file2.bin") == str(24 << 20), "content differs")

    # --- download_file(s) ---
    call("download_file into memory", lambda: fs.download_file("tmp/hello.txt"), lambda r: r == b"Hello, World!")
    local = os.path.join(workdir, "local_copy.bin")
    call("download_file to a local path (streamed)", lambda: fs.download_file("tmp/large_file.bin", local))
    check("the downloaded file is the container's", hashlib.sha256(open(local, "rb").read()).hexdigest() == digest)
    results = call(
        "download_files: bytes, a local path, and a missing file",
        lambda: fs.download_files(
            [
                FileDownloadRequest(source="/tmp/sdk/binary.dat"),
                FileDownloadRequest(source="/tmp/sdk/file1.txt", destination=os.path.join(workdir, "f1.txt")),
                FileDownloadRequest(source="/tmp/sdk/missing.txt"),
            ]
        ),
        lambda r: r[0].result == binary
        and r[0].error is None
        and r[1].result == os.path.join(workdir, "f1.txt")
        and open(r[1].result, "rb").read() == b"Content of file 1"
        and r[2].result is None
        and r[2].error == "file not found: /tmp/sdk/missing.txt"
        and r[2].error_details.status_code == 404
        and r[2].error_details.code == "FILE_NOT_FOUND",
    )
    out["downloadError"] = None if not results else {"error": results[2].error, "code": results[2].error_details.code}
    out["missingDownload"] = refused(
        "download_file of a missing file: DaytonaNotFoundError",
        lambda: fs.download_file("tmp/nothing-here.txt"),
        DaytonaNotFoundError,
        404,
        "tmp/nothing-here.txt",
    )

    # --- create_folder, get_file_info, list_files ---
    call("create_folder 755", lambda: fs.create_folder("workspace/data", "755"))
    call("create_folder 700", lambda: fs.create_folder("workspace/secrets", "700"))
    check(
        "the folders have their modes and the sandbox's user (root)",
        box.stat("%a %U", "/app/workspace/data") == "755 root"
        and box.stat("%a %U", "/app/workspace/secrets") == "700 root",
        f"{box.stat('%a %U', '/app/workspace/data')} {box.stat('%a %U', '/app/workspace/secrets')}",
    )
    call("upload_file into the new folder", lambda: fs.upload_file(b"# TODO: write\nprint('hi')\n", "workspace/data/main.py"))
    call("upload_file a second script", lambda: fs.upload_file(b"x = 1\n# TODO: test\n", "workspace/test_main.py"))
    info = call(
        "get_file_info of a file",
        lambda: fs.get_file_info("workspace/data/main.py"),
        lambda i: not i.is_dir and i.name == "main.py" and i.path == "/app/workspace/data/main.py",
    )
    if info is not None:
        stat = box.stat("%s %u %g %a", "/app/workspace/data/main.py")
        check(
            "get_file_info says what the container says (size, owner, group, mode)",
            stat == f"{info.size} {info.owner} {info.group} {info.permissions.lstrip('0')}",
            f"{stat} vs {info}",
        )
        out["info"] = {"mode": info.mode, "permissions": info.permissions, "owner": info.owner, "modifiedAt": info.modified_at}
    call(
        "get_file_info of a directory",
        lambda: fs.get_file_info("workspace/data"),
        lambda i: i.is_dir and i.mode == "drwxr-xr-x" and i.permissions == "0755",
    )
    refused(
        "get_file_info of a missing path: DaytonaNotFoundError",
        lambda: fs.get_file_info("workspace/nope.txt"),
        DaytonaNotFoundError,
        404,
        "workspace/nope.txt",
    )
    listed = call(
        "list_files",
        lambda: fs.list_files("workspace"),
        lambda files: sorted(f.name for f in files) == ["data", "secrets", "test_main.py"],
    )
    out["listed"] = sorted(f.name for f in listed) if listed else None
    call(
        "list_files depth=2 gives full paths",
        lambda: fs.list_files("workspace", depth=2),
        lambda files: [f.path for f in files]
        == [
            "/app/workspace/data",
            "/app/workspace/data/main.py",
            "/app/workspace/secrets",
            "/app/workspace/test_main.py",
        ],
    )
    refused("list_files of a missing directory", lambda: fs.list_files("no/such/dir"), DaytonaNotFoundError, 404, "no/such/dir")

    # --- find_files, search_files, replace_in_files ---
    call(
        "find_files (content, like grep)",
        lambda: fs.find_files("workspace", "TODO:"),
        lambda matches: [(m.file, m.line, m.content) for m in matches]
        == [("workspace/data/main.py", 1, "# TODO: write"), ("workspace/test_main.py", 2, "# TODO: test")],
    )
    call(
        "search_files *.py",
        lambda: fs.search_files("workspace", "*.py"),
        lambda r: r.files == ["workspace/data/main.py", "workspace/test_main.py"],
    )
    call("search_files test_*", lambda: fs.search_files("workspace", "test_*"), lambda r: r.files == ["workspace/test_main.py"])
    replaced = call(
        "replace_in_files, with a missing file among them",
        lambda: fs.replace_in_files(
            files=["workspace/data/main.py", "workspace/test_main.py", "workspace/gone.py"],
            pattern="TODO",
            new_value="DONE",
        ),
        lambda r: [(x.file, x.success) for x in r]
        == [("workspace/data/main.py", True), ("workspace/test_main.py", True), ("workspace/gone.py", False)]
        and "no such file or directory" in r[2].error,
    )
    check(
        "the replaced file in the container",
        box.cat("/app/workspace/data/main.py") == b"# DONE: write\nprint('hi')\n",
        box.cat("/app/workspace/data/main.py"),
    )
    out["replaced"] = [x.success for x in replaced] if replaced else None

    # --- set_file_permissions ---
    call("set_file_permissions mode 755", lambda: fs.set_file_permissions(path="workspace/data/main.py", mode="755"))
    check("the mode in the container", box.stat("%a", "/app/workspace/data/main.py") == "755")
    call(
        "set_file_permissions owner and group (root gives a file away)",
        lambda: fs.set_file_permissions(path="workspace/data/main.py", owner="nobody", group="nogroup"),
    )
    check("owner and group in the container", box.stat("%U %G", "/app/workspace/data/main.py") == "nobody nogroup")
    call(
        "set_file_permissions owner and group back to root",
        lambda: fs.set_file_permissions(path="workspace/data/main.py", owner="root", group="root"),
    )
    check("root owns it again", box.stat("%U %G", "/app/workspace/data/main.py") == "root root")
    refused(
        "set_file_permissions to a user the image lacks",
        lambda: fs.set_file_permissions(path="workspace/data/main.py", owner="no-such-user"),
        DaytonaError,
        400,
        "user not found",
    )
    refused(
        "set_file_permissions with a bad mode",
        lambda: fs.set_file_permissions(path="workspace/data/main.py", mode="rwx"),
        DaytonaError,
        400,
        "invalid mode format",
    )

    # --- move_files ---
    call("move_files: rename", lambda: fs.move_files("workspace/test_main.py", "workspace/tests.py"))
    call("move_files: into another directory", lambda: fs.move_files("workspace/tests.py", "workspace/data/tests.py"))
    call("move_files: a directory", lambda: fs.move_files("workspace/secrets", "workspace/private"))
    check(
        "the moves in the container",
        box.exists("/app/workspace/data/tests.py")
        and not box.exists("/app/workspace/test_main.py")
        and box.stat("%a", "/app/workspace/private") == "700",
    )
    refused("move_files of a missing file", lambda: fs.move_files("workspace/none", "workspace/x"), DaytonaNotFoundError, 404, "workspace/none")
    refused("move_files onto an existing path", lambda: fs.move_files("workspace/data", "workspace/private"), DaytonaError, 409, "destination already exists")

    # --- delete_file ---
    call("delete_file of a file", lambda: fs.delete_file("workspace/data/tests.py"))
    check("the file is gone", not box.exists("/app/workspace/data/tests.py"))
    refused(
        "delete_file of a directory without recursive",
        lambda: fs.delete_file("workspace"),
        DaytonaError,
        400,
        "cannot delete directory without recursive flag",
    )
    call("delete_file recursive", lambda: fs.delete_file("workspace", recursive=True))
    check("the tree is gone", not box.exists("/app/workspace"))
    refused("delete_file of a missing path", lambda: fs.delete_file("workspace"), DaytonaNotFoundError, 404, "workspace")

    # --- a stopped sandbox, then a deleted one ---
    subprocess.run(["docker", "kill", box.name], capture_output=True, timeout=60)
    out["stopped"] = refused(
        "a call on a sandbox whose container stopped",
        lambda: fs.get_file_info("tmp/hello.txt"),
        DaytonaError,
        400,
        "",
    )
    client.delete(sandbox)
    out["deleted"] = refused(
        "a call on a deleted sandbox: DaytonaNotFoundError",
        lambda: fs.list_files("tmp"),
        DaytonaNotFoundError,
        404,
        "not found",
    )


def as_nobody(client, snapshot, out):
    """A sandbox of the same snapshot that runs as `nobody`: what it uploads and makes is
    its own; root's files are refused with the daemon's statuses."""
    sandbox = client.create(CreateSandboxFromSnapshotParams(snapshot=snapshot, os_user="nobody"), timeout=120)
    out["nobody"] = {"sandbox": sandbox.id, "user": sandbox.user}
    box = Container(sandbox.id)
    fs = sandbox.fs
    try:
        call("nobody: upload_file", lambda: fs.upload_file(b"mine", "/tmp/own/f.txt"))
        check(
            "nobody: the file and the directory made for it are nobody's",
            box.stat("%U %G %a", "/tmp/own/f.txt") == "nobody nogroup 644" and box.stat("%U %a", "/tmp/own") == "nobody 755",
            f"{box.stat('%U %G %a', '/tmp/own/f.txt')} {box.stat('%U %a', '/tmp/own')}",
        )
        call("nobody: create_folder", lambda: fs.create_folder("/tmp/own/d", "700"))
        check("nobody: the folder is nobody's", box.stat("%U %a", "/tmp/own/d") == "nobody 700", box.stat("%U %a", "/tmp/own/d"))
        info = call("nobody: get_file_info", lambda: fs.get_file_info("/tmp/own/f.txt"))
        if info is not None:
            check("nobody: get_file_info's owner is the container's", info.owner == box.stat("%u", "/tmp/own/f.txt"), repr(info))
            out["nobody"]["owner"] = info.owner
        refused(
            "nobody: upload_file into root's home is refused",
            lambda: fs.upload_file(b"no", "/root/sub/x.txt"),
            DaytonaError,
            400,
            "permission denied",
        )
        check("nobody: nothing was written in root's home", not box.exists("/root/sub"))
        out["nobody"]["chown"] = refused(
            "nobody: set_file_permissions to root is refused",
            lambda: fs.set_file_permissions(path="/tmp/own/f.txt", owner="root"),
            DaytonaError,
            400,
            "failed to change ownership",
        )
        check("nobody: the file is still nobody's", box.stat("%U", "/tmp/own/f.txt") == "nobody")
    finally:
        client.delete(sandbox)


def main():
    snapshot, workdir = sys.argv[1], sys.argv[2]
    out = {"sdk": importlib.metadata.version("daytona")}
    client = Daytona()
    as_root(client, snapshot, workdir, out)
    as_nobody(client, snapshot, out)
    report.finish(out)


if __name__ == "__main__":
    sdk_http.run(main)
