"""Drives the official Daytona Python SDK (daytona==0.226.1) through sandboxes' lifecycle.

Usage: python sdk_lifecycle.py WORKDIR SNAPSHOT_NAME
Reads DAYTONA_API_KEY / DAYTONA_API_URL / DAYTONA_TARGET from the environment. The server
is expected to run with a short lifecycle minute (the Rust driver gives it one second), so
that a sandbox created with auto_stop_interval=1 stops once idle within the script.

The calls are the SDK's documented ones: Daytona.snapshot.create (with Resources),
Daytona.create (env vars, labels, auto-stop), Daytona.list (by labels and states),
Sandbox.process.exec, Sandbox.stop / start / archive, set_labels, set_public, the interval setters,
refresh_data, Daytona.delete, and the bad inputs: an unknown sandbox, a toolbox call on a
stopped sandbox, a user the image lacks, a network allow list.

Prints one line per SDK call, `PASS lifecycle: <what>` or `FAIL lifecycle: <what>: <why>`,
then one JSON object with what the SDK saw. As in sdk_snapshot.py, the only change to the
SDK is the `allow_http` of docs/daytona-contract.md section 7, for its S3 client.
"""

import importlib.metadata
import json
import os
import sys
import time
import traceback

import sdk_http
from sdk_http import error, state

sdk_http.allow_http()

from daytona import (  # noqa: E402
    CreateSandboxFromSnapshotParams,
    CreateSnapshotParams,
    Daytona,
    DaytonaNotFoundError,
    Image,
    ListSandboxesQuery,
    Resources,
    SandboxState,
)

AREA = "lifecycle"
failures = []
FAILED = object()  # what `attempt` returns for a call that raised


def check(what, ok, why=""):
    """Reports one SDK call's outcome."""
    if ok:
        print(f"PASS {AREA}: {what}", flush=True)
    else:
        failures.append(what)
        print(f"FAIL {AREA}: {what}: {why}", flush=True)
    return ok


def attempt(what, call):
    """Runs `call`; a raised exception is a FAIL with its message (and FAILED), never a crash."""
    try:
        return call()
    except Exception as e:  # reported, not hidden
        check(what, False, f"{type(e).__name__}: {e}")
        return FAILED


def refused(what, call, expected_type, says):
    """`call` must raise `expected_type` (by name) with `says` in its message."""
    try:
        call()
    except Exception as e:
        got = error(e)
        check(
            what,
            got["type"] == expected_type and says in got["message"],
            f"{got['type']}: {got['message']}",
        )
        return got
    check(what, False, "it succeeded")
    return None


def result(response):
    return {"exitCode": response.exit_code, "result": response.result}


def main():
    workdir, name = sys.argv[1], sys.argv[2]
    os.chdir(workdir)
    out = {"sdk": importlib.metadata.version("daytona")}
    client = Daytona()
    run = f"{os.getpid()}-{int(time.time())}"

    params = CreateSnapshotParams(
        name=name,
        image=Image.base("pj-test-base:1"),
        resources=Resources(cpu=2, memory=4, disk=3),
        entrypoint=["sleep", "infinity"],
    )
    snapshot = attempt("snapshot.create with resources", lambda: client.snapshot.create(params, timeout=300))
    if snapshot is FAILED:
        return out
    check("snapshot.create with resources", state(snapshot.state) == "active", state(snapshot.state))

    # Create with env vars, labels, auto-stop off (0) for the main sandbox.
    created = CreateSandboxFromSnapshotParams(
        snapshot=name,
        env_vars={"GREETING": "hello lifecycle", "MULTI": "a\nb"},
        labels={"suite": "lifecycle", "run": run},
        auto_stop_interval=0,
    )
    sandbox = attempt("create with env vars, labels, auto-stop", lambda: client.create(created, timeout=120))
    if sandbox is FAILED:
        return out
    out["sandbox"] = {
        "id": sandbox.id,
        "state": state(sandbox.state),
        "cpu": sandbox.cpu,
        "memory": sandbox.memory,
        "disk": sandbox.disk,
        "labels": sandbox.labels,
        "autoStopInterval": sandbox.auto_stop_interval,
    }
    check(
        "create with env vars, labels, auto-stop",
        state(sandbox.state) == "started"
        and (sandbox.cpu, sandbox.memory) == (2, 4)
        and sandbox.labels.get("run") == run
        and sandbox.auto_stop_interval == 0,
        json.dumps(out["sandbox"]),
    )

    env = attempt("process.exec sees the env vars", lambda: sandbox.process.exec('printf "%s|%s" "$GREETING" "$MULTI"'))
    if env is not FAILED:
        out["env"] = result(env)
        check("process.exec sees the env vars", env.result == "hello lifecycle|a\nb", repr(env.result))

    limits = (
        "if [ -f /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/memory.max; "
        "else echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us); "
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; fi"
    )
    cgroup = attempt("the cgroup limits inside are the resources", lambda: sandbox.process.exec(limits))
    if cgroup is not FAILED:
        lines = cgroup.result.split("\n")
        out["cgroup"] = lines
        quota, period = (int(n) for n in lines[0].split())
        check(
            "the cgroup limits inside are the resources",
            quota / period == 2 and int(lines[1]) == 4 << 30,
            repr(cgroup.result),
        )

    # A second sandbox that auto-stops after one (short) minute of idleness.
    idle_params = CreateSandboxFromSnapshotParams(snapshot=name, labels={"suite": "lifecycle", "run": run}, auto_stop_interval=1)
    idle = attempt("create with auto_stop_interval=1", lambda: client.create(idle_params, timeout=120))
    if idle is not FAILED:
        check("create with auto_stop_interval=1", idle.auto_stop_interval == 1, str(idle.auto_stop_interval))

    listed = attempt("list by labels", lambda: sorted(s.id for s in client.list(ListSandboxesQuery(labels={"run": run}))))
    if listed is not FAILED:
        expected = sorted([sandbox.id] + ([idle.id] if idle is not FAILED else []))
        out["listed"] = listed
        check("list by labels", listed == expected, f"{listed} != {expected}")
    none = attempt("list by labels matching none", lambda: list(client.list(ListSandboxesQuery(labels={"run": "other"}))))
    if none is not FAILED:
        check("list by labels matching none", none == [], str([s.id for s in none]))

    if idle is not FAILED:
        deadline = time.monotonic() + 60
        while state(idle.state) in ("started", "stopping") and time.monotonic() < deadline:
            time.sleep(0.5)
            attempt("auto-stop of an idle sandbox", idle.refresh_data)
        out["idle"] = {"state": state(idle.state), "autoStopInterval": idle.auto_stop_interval}
        check("auto-stop of an idle sandbox", state(idle.state) == "stopped", state(idle.state))
        stopped = attempt(
            "list by labels and states",
            lambda: [s.id for s in client.list(ListSandboxesQuery(labels={"run": run}, states=[SandboxState.STOPPED]))],
        )
        if stopped is not FAILED:
            check("list by labels and states", stopped == [idle.id], str(stopped))

    labels = attempt("set_labels", lambda: sandbox.set_labels({"suite": "lifecycle", "run": run, "phase": "two"}))
    if labels is not FAILED:
        check("set_labels", labels.get("phase") == "two", str(labels))

    def public():
        sandbox.set_public(True)
        sandbox.refresh_data()
        made = sandbox.public
        sandbox.set_public(False)
        sandbox.refresh_data()
        return made, sandbox.public

    made_public = attempt("set_public", public)
    if made_public is not FAILED:
        check("set_public", made_public == (True, False), str(made_public))

    def intervals():
        sandbox.set_autostop_interval(30)
        sandbox.set_auto_archive_interval(60)
        sandbox.set_auto_delete_interval(-1)
        sandbox.refresh_data()
        return (sandbox.auto_stop_interval, sandbox.auto_archive_interval, sandbox.auto_delete_interval)

    got = attempt("set_autostop/auto_archive/auto_delete_interval", intervals)
    if got is not FAILED:
        out["intervals"] = list(got)
        check("set_autostop/auto_archive/auto_delete_interval", got == (30, 60, -1), str(got))

    if attempt("stop", lambda: sandbox.stop(timeout=60)) is not FAILED:
        check("stop", state(sandbox.state) == "stopped", state(sandbox.state))
    out["stopped"] = state(sandbox.state)
    out["onStopped"] = refused(
        "a toolbox call on a stopped sandbox is refused",
        lambda: sandbox.process.exec("true"),
        "DaytonaBadRequestError",
        "is not started",
    )

    if attempt("start", lambda: sandbox.start(timeout=60)) is not FAILED:
        check("start", state(sandbox.state) == "started", state(sandbox.state))
    again = attempt("process.exec after start", lambda: sandbox.process.exec("echo again"))
    if again is not FAILED:
        check("process.exec after start", again.result == "again\n", repr(again.result))

    def archive():
        sandbox.stop(timeout=60)
        sandbox.archive()
        archived = state(sandbox.state)
        sandbox.start(timeout=60)
        return archived, state(sandbox.state)

    archived = attempt("archive, then start", archive)
    if archived is not FAILED:
        check("archive, then start", archived == ("archived", "started"), str(archived))

    # Bad inputs.
    out["unknown"] = refused(
        "get of an unknown sandbox", lambda: client.get("no-such-sandbox"), "DaytonaNotFoundError", "not found"
    )
    bad_user = CreateSandboxFromSnapshotParams(snapshot=name, os_user="nosuch")
    out["badUser"] = refused(
        "create with a user the image lacks",
        lambda: client.create(bad_user, timeout=60),
        "DaytonaBadRequestError",
        "User nosuch does not exist in the image",
    )
    allow = CreateSandboxFromSnapshotParams(snapshot=name, network_allow_list="10.0.0.0/8")
    out["allowList"] = refused(
        "create with a network allow list",
        lambda: client.create(allow, timeout=60),
        "DaytonaBadRequestError",
        "cannot limit a sandbox's network to an allow list",
    )

    for each in [sandbox] + ([idle] if idle is not FAILED else []):
        attempt("delete", lambda each=each: client.delete(each))
    try:
        client.get(sandbox.id)
        check("get after delete", False, "still there")
    except DaytonaNotFoundError:
        check("get after delete", True)
    out["deleted"] = [sandbox.id] + ([idle.id] if idle is not FAILED else [])
    return out


if __name__ == "__main__":
    try:
        out = main()
    except Exception as e:  # report, do not hide
        traceback.print_exc()
        check("the script ran to its end", False, f"{type(e).__name__}: {e}")
        out = {"failure": error(e)}
    out["failures"] = failures
    print(json.dumps(out))
    sys.exit(1 if failures else 0)
