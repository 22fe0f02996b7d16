"""The official Daytona Python SDK (daytona==0.226.1) looking at sandboxes a Rust test made
and changed with pj-daytona's `Sandbox` handle (tests/tests/sandbox_lifecycle.rs): the
independent oracle of what the Rust calls did.

Usage: python sdk_handle.py LABEL_KEY LABEL_VALUE SANDBOX_ID...
Reads DAYTONA_API_KEY / DAYTONA_API_URL from the environment. For each id: Daytona.get, and
what the SDK sees (state, labels, the three intervals, public, resources, the env's keys,
never its values); on a started sandbox also `whoami` and whether $PJ_SECRET arrived (a
yes/no, not the value). Then Daytona.list with the label filter LABEL_KEY=LABEL_VALUE.

Prints `PASS handle: <what>` per SDK call (sdk_http.Report), then one JSON object:
{"sdk": ..., "sandboxes": {id: {...}}, "listed": [ids]}.
"""

import importlib.metadata
import sys

import sdk_http
from sdk_http import Report, state

sdk_http.allow_http()

from daytona import Daytona, ListSandboxesQuery  # noqa: E402


def main():
    label_key, label_value, ids = sys.argv[1], sys.argv[2], sys.argv[3:]
    report = Report("handle")
    client = Daytona()
    seen = {}
    for sandbox_id in ids:
        sandbox = report.call(f"get {sandbox_id}", client.get, sandbox_id)
        if sandbox is None:
            continue
        entry = {
            "state": state(sandbox.state),
            "labels": dict(sandbox.labels or {}),
            "autoStop": sandbox.auto_stop_interval,
            "autoArchive": sandbox.auto_archive_interval,
            "autoDelete": sandbox.auto_delete_interval,
            "public": sandbox.public,
            "cpu": sandbox.cpu,
            "memory": sandbox.memory,
            "envKeys": sorted((sandbox.env or {}).keys()),
        }
        if entry["state"] == "started":
            who = report.call("process.exec whoami", sandbox.process.exec, "whoami")
            entry["whoami"] = who.result.strip() if who else None
            # Only whether the value arrived, so that it is never printed.
            arrived = report.call(
                "process.exec of the env", sandbox.process.exec, 'test -n "$PJ_SECRET" && echo yes || echo no'
            )
            entry["secretArrived"] = arrived.result.strip() if arrived else None
        seen[sandbox_id] = entry
    listed = report.call(
        "list by label",
        lambda: sorted(s.id for s in client.list(ListSandboxesQuery(labels={label_key: label_value}))),
    )
    report.finish({"sdk": importlib.metadata.version("daytona"), "sandboxes": seen, "listed": listed})


if __name__ == "__main__":
    sdk_http.run(main)
