"""Drives the official Daytona Python SDK (daytona==0.226.1) against a Daytona server.

Usage: python sdk_snapshot.py WORKDIR SNAPSHOT_NAME
Reads DAYTONA_API_KEY / DAYTONA_API_URL / DAYTONA_TARGET from the environment. WORKDIR
holds ctx/file.txt and sandbox/. Prints a PASS/FAIL line per SDK call, then one JSON
object with what the SDK saw (sdk_http.Report).

The only change to the SDK is transport policy (docs/daytona-contract.md section 7): its S3 client
(obstore) refuses plain-http endpoints unless `allow_http` is set, and the local
server's S3 endpoint is http on 127.0.0.1.
"""

import importlib.metadata
import time
import os
import sys

import sdk_http
from sdk_http import Report, error, state

sdk_http.allow_http()

from daytona import (  # noqa: E402
    CreateSnapshotParams,
    Daytona,
    DaytonaConflictError,
    DaytonaNotFoundError,
    Image,
    Resources,
)


def main():
    workdir, name = sys.argv[1], sys.argv[2]
    os.chdir(workdir)
    report = Report("snapshot")
    out = {"sdk": importlib.metadata.version("daytona")}
    client = Daytona()
    image = (
        Image.base("pj-test-base:1")
        .add_local_file("ctx/file.txt", "/app/file.txt")
        .add_local_dir("sandbox", "/app/sandbox")
        .run_commands("cat /app/file.txt")
    )
    params = CreateSnapshotParams(name=name, image=image, resources=Resources(cpu=1, memory=1, disk=3))
    out["dockerfile"] = image.dockerfile()
    logs = []
    created = client.snapshot.create(params, on_logs=logs.append, timeout=120)
    out["created"] = {"id": created.id, "name": created.name, "state": state(created.state)}
    out["logs"] = logs
    report.expect("snapshot.create from an Image with a local file and a directory", out["created"]["state"], "active")
    report.expect("snapshot.create follows the build log (on_logs)", bool(logs), True)

    got = client.snapshot.get(name)
    info = got.build_info
    out["got"] = {
        "id": got.id,
        "name": got.name,
        "state": state(got.state),
        "cpu": got.cpu,
        "mem": got.mem,
        "disk": got.disk,
        "dockerfile": info.dockerfile_content if info else None,
        "hashes": list(info.context_hashes or []) if info else None,
        "snapshotRef": info.snapshot_ref if info else None,
    }
    report.expect("snapshot.get by name", got.id, created.id)
    page = client.snapshot.list()
    out["list"] = {"names": [s.name for s in page.items], "total": page.total, "page": page.page, "totalPages": page.total_pages}
    report.expect("snapshot.list", out["list"]["names"], [name])

    out["conflict"] = report.raises(
        "snapshot.create of a taken name", DaytonaConflictError, client.snapshot.create, params, timeout=60
    )

    client.snapshot.delete(got)
    # Deletion goes through `removing` (docs/daytona-contract.md section 5): what the SDK
    # reads right after, then the error once it is gone (polled for at most 30 s).
    out["afterDelete"] = None
    out["removingStates"] = []
    for _ in range(300):
        try:
            out["removingStates"].append(state(client.snapshot.get(name).state))
        except DaytonaNotFoundError as e:
            out["afterDelete"] = error(e)
            break
        time.sleep(0.1)
    report.expect("snapshot.delete, then get is DaytonaNotFoundError", (out["afterDelete"] or {}).get("type"), "DaytonaNotFoundError")
    report.finish(out)


if __name__ == "__main__":
    sdk_http.run(main)
