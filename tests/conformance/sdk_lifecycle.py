"""Drives the official Daytona Python SDK (daytona==0.226.1) through sandboxes' lifecycle.

Usage: python sdk_lifecycle.py SNAPSHOT_NAME
Reads DAYTONA_API_KEY / DAYTONA_API_URL / DAYTONA_TARGET from the environment. The server
is expected to run with a short lifecycle minute (the Rust driver gives it one second), so
that a sandbox created with auto_stop_interval=1 stops once idle within the script.

The calls are the SDK's documented ones: Daytona.snapshot.create (with Resources),
Daytona.create (env vars, labels, auto-stop), Daytona.list (by labels and states),
Sandbox.process.exec, Sandbox.stop / start / archive, set_labels, set_public, the interval
setters, refresh_data, Daytona.delete, and the bad inputs: an unknown sandbox, a toolbox call
on a stopped sandbox, a user the image lacks, a network allow list.

Prints one line per SDK call, `PASS lifecycle: <what>` or `FAIL lifecycle: <what>: <why>`
(sdk_http.Report), then one JSON object with what the SDK saw. As in sdk_snapshot.py, the
only change to the SDK is the `allow_http` of docs/daytona-contract.md section 7, for its S3
client.
"""

import importlib.metadata
import os
import sys
import time

import sdk_http
from sdk_http import Report, state

sdk_http.allow_http()

from daytona import (  # noqa: E402
    CreateSandboxFromSnapshotParams,
    CreateSnapshotParams,
    Daytona,
    DaytonaBadRequestError,
    DaytonaNotFoundError,
    Image,
    ListSandboxesQuery,
    Resources,
    SandboxState,
)

# The cgroup limits as the process inside sees them: cgroup v2's files, else v1's.
LIMITS = (
    "if [ -f /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/memory.max; "
    "else echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us); "
    "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; fi"
)


def says(report, what, err, words):
    """The refusal `err` (an SDK error as JSON, or None) carries `words`."""
    message = (err or {}).get("message", "")
    if words in message:
        report.ok(what)
    else:
        report.fail(what, f"the message {message!r} does not say {words!r}")


def main():
    name = sys.argv[1]
    report = Report("lifecycle")
    out = {"sdk": importlib.metadata.version("daytona")}
    client = Daytona()
    run = f"{os.getpid()}-{int(time.time())}"

    params = CreateSnapshotParams(
        name=name,
        image=Image.base("pj-test-base:1"),
        resources=Resources(cpu=2, memory=4, disk=3),
        entrypoint=["sleep", "infinity"],
    )
    snapshot = report.call("snapshot.create with resources", client.snapshot.create, params, timeout=300)
    if snapshot is None:
        return report.finish(out)
    report.expect("the snapshot is active", state(snapshot.state), "active")

    # Create with env vars, labels and auto-stop off (0) for the main sandbox.
    created = CreateSandboxFromSnapshotParams(
        snapshot=name,
        env_vars={"GREETING": "hello lifecycle", "MULTI": "a\nb"},
        labels={"suite": "lifecycle", "run": run},
        auto_stop_interval=0,
    )
    sandbox = report.call("create with env vars, labels, auto-stop", client.create, created, timeout=120)
    if sandbox is None:
        return report.finish(out)
    out["sandbox"] = {
        "id": sandbox.id,
        "state": state(sandbox.state),
        "cpu": sandbox.cpu,
        "memory": sandbox.memory,
        "disk": sandbox.disk,
        "labels": sandbox.labels,
        "autoStopInterval": sandbox.auto_stop_interval,
    }
    report.expect(
        "the sandbox is started with the snapshot's resources, its labels and auto-stop",
        (state(sandbox.state), sandbox.cpu, sandbox.memory, sandbox.labels.get("run"), sandbox.auto_stop_interval),
        ("started", 2, 4, run, 0),
    )

    env = report.call("process.exec", sandbox.process.exec, 'printf "%s|%s" "$GREETING" "$MULTI"')
    if env is not None:
        out["env"] = env.result
        report.expect("the env vars are the sandbox's", env.result, "hello lifecycle|a\nb")
    cgroup = report.call("process.exec of the cgroup limits", sandbox.process.exec, LIMITS)
    if cgroup is not None:
        lines = cgroup.result.split("\n")
        out["cgroup"] = lines
        quota, period = (int(n) for n in lines[0].split())
        report.expect("the cgroup limits inside are the resources", (quota / period, int(lines[1])), (2.0, 4 << 30))

    # A second sandbox that auto-stops after one (short) minute of idleness.
    idle_params = CreateSandboxFromSnapshotParams(
        snapshot=name, labels={"suite": "lifecycle", "run": run}, auto_stop_interval=1
    )
    idle = report.call("create with auto_stop_interval=1", client.create, idle_params, timeout=120)

    listed = report.call(
        "list by labels", lambda: sorted(s.id for s in client.list(ListSandboxesQuery(labels={"run": run})))
    )
    if listed is not None:
        out["listed"] = listed
        report.expect("the list is the two sandboxes", listed, sorted([sandbox.id] + ([idle.id] if idle else [])))
    none = report.call("list by labels matching none", lambda: list(client.list(ListSandboxesQuery(labels={"run": "x"}))))
    if none is not None:
        report.expect("no sandbox has those labels", [s.id for s in none], [])

    if idle is not None:
        deadline = time.monotonic() + 60
        while state(idle.state) in ("started", "stopping") and time.monotonic() < deadline:
            time.sleep(0.5)
            idle.refresh_data()
        out["idle"] = {"state": state(idle.state), "autoStopInterval": idle.auto_stop_interval}
        report.expect("an idle sandbox auto-stops (refresh_data)", state(idle.state), "stopped")
        stopped = report.call(
            "list by labels and states",
            lambda: [s.id for s in client.list(ListSandboxesQuery(labels={"run": run}, states=[SandboxState.STOPPED]))],
        )
        if stopped is not None:
            report.expect("the stopped one is listed", stopped, [idle.id])

    labels = report.call("set_labels", sandbox.set_labels, {"suite": "lifecycle", "run": run, "phase": "two"})
    if labels is not None:
        report.expect("the labels are replaced", labels.get("phase"), "two")

    def public():
        sandbox.set_public(True)
        sandbox.refresh_data()
        made = sandbox.public
        sandbox.set_public(False)
        sandbox.refresh_data()
        return made, sandbox.public

    made_public = report.call("set_public", public)
    if made_public is not None:
        report.expect("public, then private again", made_public, (True, False))

    def intervals():
        sandbox.set_autostop_interval(30)
        sandbox.set_auto_archive_interval(60)
        sandbox.set_auto_delete_interval(-1)
        sandbox.refresh_data()
        return [sandbox.auto_stop_interval, sandbox.auto_archive_interval, sandbox.auto_delete_interval]

    got = report.call("set_autostop/auto_archive/auto_delete_interval", intervals)
    if got is not None:
        out["intervals"] = got
        report.expect("the intervals are the sandbox's", got, [30, 60, -1])

    report.call("stop", sandbox.stop, timeout=60)
    out["stopped"] = state(sandbox.state)
    report.expect("the sandbox is stopped", out["stopped"], "stopped")
    out["onStopped"] = report.raises(
        "a toolbox call on a stopped sandbox is refused", DaytonaBadRequestError, sandbox.process.exec, "true"
    )
    says(report, "the refusal says it is not started", out["onStopped"], "is not started")

    report.call("start", sandbox.start, timeout=60)
    report.expect("the sandbox is started again", state(sandbox.state), "started")
    again = report.call("process.exec after start", sandbox.process.exec, "echo again")
    if again is not None:
        report.expect("the toolbox answers again", again.result, "again\n")

    def archive():
        sandbox.stop(timeout=60)
        sandbox.archive()
        archived = state(sandbox.state)
        sandbox.start(timeout=60)
        return [archived, state(sandbox.state)]

    archived = report.call("archive, then start", archive)
    if archived is not None:
        report.expect("archived, then started", archived, ["archived", "started"])

    # Bad inputs.
    out["unknown"] = report.raises(
        "get of an unknown sandbox", DaytonaNotFoundError, client.get, "no-such-sandbox"
    )
    bad_user = CreateSandboxFromSnapshotParams(snapshot=name, os_user="nosuch")
    out["badUser"] = report.raises(
        "create with a user the image lacks", DaytonaBadRequestError, client.create, bad_user, timeout=60
    )
    says(report, "the refusal names the user", out["badUser"], "User nosuch does not exist in the image")
    allow = CreateSandboxFromSnapshotParams(snapshot=name, network_allow_list="10.0.0.0/8")
    out["allowList"] = report.raises(
        "create with a network allow list", DaytonaBadRequestError, client.create, allow, timeout=60
    )
    says(report, "the refusal says what cannot be done", out["allowList"], "cannot limit a sandbox's network")

    for each in [sandbox] + ([idle] if idle else []):
        report.call("delete", client.delete, each)
    report.raises("get after delete", DaytonaNotFoundError, client.get, sandbox.id)
    out["deleted"] = [sandbox.id] + ([idle.id] if idle else [])
    report.finish(out)


if __name__ == "__main__":
    sdk_http.run(main)
