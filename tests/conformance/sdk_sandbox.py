"""Drives the official Daytona Python SDK (daytona==0.226.1) through a sandbox's life.

Usage: python sdk_sandbox.py WORKDIR SNAPSHOT_NAME
Reads DAYTONA_API_KEY / DAYTONA_API_URL / DAYTONA_TARGET from the environment. WORKDIR
holds ctx/file.txt. The SDK builds the snapshot (base pj-test-base:1, a busybox made
locally; /app/file.txt from ctx/file.txt), creates a sandbox from it, runs commands in
it through the toolbox, and deletes it. Prints a PASS/FAIL line per SDK call, then one
JSON object with what the SDK saw (sdk_http.Report).

As in sdk_snapshot.py, the only change to the SDK is the `allow_http` of
docs/daytona-contract.md section 7, for its S3 client.
"""

import importlib.metadata
import os
import sys

import sdk_http
from sdk_http import Report, error, state

sdk_http.allow_http()

from daytona import (  # noqa: E402
    CreateSandboxFromSnapshotParams,
    CreateSnapshotParams,
    Daytona,
    Image,
    Resources,
)


def execution(response):
    return {"exitCode": response.exit_code, "result": response.result}


def main():
    workdir, name = sys.argv[1], sys.argv[2]
    os.chdir(workdir)
    report = Report("sandbox")
    out = {"sdk": importlib.metadata.version("daytona")}
    client = Daytona()
    image = Image.base("pj-test-base:1").add_local_file("ctx/file.txt", "/app/file.txt")
    params = CreateSnapshotParams(name=name, image=image, resources=Resources(cpu=1, memory=1, disk=3))
    snapshot = client.snapshot.create(params, timeout=300)
    out["snapshot"] = {"name": snapshot.name, "state": state(snapshot.state), "size": snapshot.size}
    report.expect("snapshot.create, built with Docker", out["snapshot"]["state"], "active")

    sandbox = client.create(CreateSandboxFromSnapshotParams(snapshot=name), timeout=120)
    out["sandbox"] = {
        "id": sandbox.id,
        "name": sandbox.name,
        "snapshot": sandbox.snapshot,
        "state": state(sandbox.state),
        "user": sandbox.user,
        "target": sandbox.target,
        "cpu": sandbox.cpu,
        "memory": sandbox.memory,
        "disk": sandbox.disk,
        "labels": sandbox.labels,
        "toolboxProxyUrl": sandbox.toolbox_proxy_url,
    }
    report.expect("create from the snapshot", out["sandbox"]["state"], "started")
    try:
        out["file"] = execution(sandbox.process.exec("cat /app/file.txt"))
        report.expect("process.exec reads a file of the image", out["file"]["result"], "hello from the image\n")
        out["env"] = execution(sandbox.process.exec('echo "$GREETING"', env={"GREETING": "hi"}))
        report.expect("process.exec with env=", out["env"]["result"], "hi\n")
        out["exit"] = execution(sandbox.process.exec("sh -c 'exit 3'"))
        report.expect("process.exec gives the exit code", out["exit"]["exitCode"], 3)
        out["cwd"] = execution(sandbox.process.exec("pwd", cwd="/app"))
        report.expect("process.exec with cwd=", out["cwd"]["result"], "/app\n")
    finally:
        client.delete(sandbox)
    out["deleted"] = {"state": state(sandbox.state)}
    report.expect("delete", out["deleted"]["state"], "destroyed")
    try:
        client.get(sandbox.id)
        out["afterDelete"] = None
    except Exception as e:  # the SDK's own error type is what is asserted
        out["afterDelete"] = error(e)
    report.expect("get after delete is DaytonaNotFoundError", (out["afterDelete"] or {}).get("type"), "DaytonaNotFoundError")
    report.finish(out)


if __name__ == "__main__":
    sdk_http.run(main)
