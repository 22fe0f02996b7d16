"""Drives the official Daytona Python SDK (daytona==0.226.1) through `sandbox.process`.

Usage: python sdk_process.py SNAPSHOT_NAME
Reads DAYTONA_API_KEY / DAYTONA_API_URL / DAYTONA_TARGET from the environment. The SDK
builds a snapshot (debian:bookworm-slim, made locally, with python3 and procps from
Debian's archive, and an entrypoint that writes to both streams), creates a sandbox from
it, and uses the documented `sandbox.process` calls: exec (cwd, env, timeout, a daemon,
non-UTF-8 and huge output), code_run, sessions (sync and async commands, exit codes, logs
whole and streamed with `get_session_command_logs_async`, input, list, get, delete), the
entrypoint session, and bad inputs (missing session or command, a deleted sandbox). The
container's own view (`docker exec ... ps`) checks that killed processes are gone.

Prints one line per check, `PASS process: <what>` or `FAIL process: <what>: <why>`, and
last one JSON object. As in sdk_snapshot.py, the only change to the SDK is the
`allow_http` of docs/daytona-contract.md section 7, for its S3 client.
"""

import asyncio
import importlib.metadata
import json
import subprocess
import sys
import time
import traceback

import sdk_http
from sdk_http import error

sdk_http.allow_http()

from daytona import (  # noqa: E402
    CodeRunParams,
    CreateSandboxFromSnapshotParams,
    CreateSnapshotParams,
    Daytona,
    DaytonaError,
    Image,
    SessionExecuteRequest,
)

APT = "apt-get update && apt-get install -y --no-install-recommends python3 procps && rm -rf /var/lib/apt/lists/*"
ENTRYPOINT = ["sh", "-c", "echo started; echo warning >&2; exec sleep infinity"]
# The local server keeps 4 MiB of a command's output (stated in the output when cut).
LIMIT = 4 * 1024 * 1024

passed = []
failed = []


def check(what, ok, why=""):
    if ok:
        passed.append(what)
        print(f"PASS process: {what}", flush=True)
    else:
        failed.append({"what": what, "why": str(why)})
        print(f"FAIL process: {what}: {why}", flush=True)


def expect_error(what, call, kind, status):
    try:
        got = call()
    except DaytonaError as e:
        seen = error(e)
        check(what, seen["type"] == kind and seen["status"] == status, seen)
        return
    check(what, False, f"no error, got {got!r}")


def alive(container, needle):
    """Processes in the container whose command line holds `needle`, zombies left out."""
    out = subprocess.run(
        ["docker", "exec", container, "ps", "-eo", "stat=,args="], capture_output=True, text=True, check=True
    ).stdout
    return [
        line.strip()
        for line in out.splitlines()
        if needle in line and not line.strip().startswith("Z") and "ps -eo" not in line
    ]


def wait_exit(process, session, command_id, seconds=20):
    deadline = time.monotonic() + seconds
    while True:
        command = process.get_session_command(session, command_id)
        if command.exit_code is not None or time.monotonic() > deadline:
            return command
        time.sleep(0.1)


def exec_checks(p, container):
    r = p.exec('pwd; echo "$GREETING"; echo oops >&2; exit 3', cwd="/usr", env={"GREETING": "hi"})
    check("exec with cwd and env, stderr merged, exit code", (r.exit_code, r.result) == (3, "/usr\nhi\noops\n"), r)

    started = time.monotonic()
    try:
        p.exec("sleep 4242 & sh -c 'sleep 4343'; echo never", timeout=2)
        check("exec timeout answers 408", False, "no error")
    except DaytonaError as e:
        seen = error(e)
        check("exec timeout answers 408", (seen["type"], seen["status"]) == ("DaytonaTimeoutError", 408), seen)
    check("exec timeout answers at the timeout", time.monotonic() - started < 15, time.monotonic() - started)
    left = alive(container, "sleep 4242") + alive(container, "sleep 4343")
    check("exec timeout kills the process tree inside the container", left == [], left)

    started = time.monotonic()
    r = p.exec("sleep 300 & echo started", timeout=60)
    elapsed = time.monotonic() - started
    check("exec of a command that forks a daemon returns when the command ends", r.result == "started\n" and elapsed < 20, (r, elapsed))
    check("the forked daemon runs on", len(alive(container, "sleep 300")) == 1, alive(container, "sleep 300"))

    r = p.exec("printf 'a\\377\\376b'")
    check("exec with non-UTF-8 output", (r.exit_code, r.result) == (0, "a\ufffd\ufffdb"), r)

    r = p.exec("head -c 6000000 /dev/zero | tr '\\0' x", timeout=60)
    note = f"[daytona-local: output cut at {LIMIT} bytes; {6000000 - LIMIT} more bytes were not kept]\n"
    check("exec with huge output is bounded and says so", r.result.count("x") == LIMIT and r.result.endswith(note), r.result[-200:])


def code_run_checks(p):
    code = "import os, sys\nprint(sys.argv[1:], os.environ['WHO'])\nsys.exit(4)\n"
    r = p.code_run(code, params=CodeRunParams(argv=["a", "b"], env={"WHO": "me"}))
    check("code_run with argv and env", (r.exit_code, r.result) == (4, "['a', 'b'] me\n"), r)
    try:
        p.code_run("import time\ntime.sleep(30)", timeout=1)
        check("code_run timeout answers 408", False, "no error")
    except Exception as e:  # code_run is not wrapped in the SDK's DaytonaError: its ApiException
        status = getattr(e, "status_code", None) or getattr(e, "status", None)
        check("code_run timeout answers 408", status == 408, repr(e))


def session_checks(p, container):
    p.create_session("s1")
    check("create_session", p.get_session("s1").session_id == "s1")
    expect_error("create_session of an existing id", lambda: p.create_session("s1"), "DaytonaConflictError", 409)

    r = p.execute_session_command("s1", SessionExecuteRequest(command="cd /tmp && export X=42"))
    check("execute_session_command (sync)", r.exit_code == 0, r)
    r = p.execute_session_command("s1", SessionExecuteRequest(command="pwd; echo $X; echo e >&2; false"))
    check(
        "session state (cd, export) lasts; stdout and stderr apart; exit code",
        (r.stdout, r.stderr, r.exit_code) == ("/tmp\n42\n", "e\n", 1),
        r,
    )

    loop = "for i in 1 2 3; do echo out $i; echo err $i >&2; sleep 1; done"
    r = p.execute_session_command("s1", SessionExecuteRequest(command=loop, run_async=True))
    command_id = r.cmd_id
    check("execute_session_command run_async answers the command id at once", bool(command_id) and r.exit_code is None, r)
    running = p.get_session_command("s1", command_id)
    check("get_session_command of a running command has no exit code", running.exit_code is None, running)
    chunks = []
    asyncio.run(
        p.get_session_command_logs_async(
            "s1",
            command_id,
            lambda text: chunks.append((time.monotonic(), "out", text)),
            lambda text: chunks.append((time.monotonic(), "err", text)),
        )
    )
    out = "".join(text for _, kind, text in chunks if kind == "out")
    err = "".join(text for _, kind, text in chunks if kind == "err")
    check("get_session_command_logs_async streams stdout and stderr apart", (out, err) == ("out 1\nout 2\nout 3\n", "err 1\nerr 2\nerr 3\n"), chunks)
    spread = chunks[-1][0] - chunks[0][0] if chunks else 0
    check("streamed output arrives before the command ends", spread > 1.5, spread)
    done = p.get_session_command("s1", command_id)
    check("get_session_command exit code after the end", done.exit_code == 0, done)
    logs = p.get_session_command_logs("s1", command_id)
    check("get_session_command_logs whole", (logs.stdout, logs.stderr) == ("out 1\nout 2\nout 3\n", "err 1\nerr 2\nerr 3\n"), logs)

    r = p.execute_session_command("s1", SessionExecuteRequest(command='read line; echo "got $line"', run_async=True))
    p.send_session_command_input("s1", r.cmd_id, "hello")
    done = wait_exit(p, "s1", r.cmd_id)
    logs = p.get_session_command_logs("s1", r.cmd_id)
    check("send_session_command_input reaches the command", (done.exit_code, logs.stdout) == (0, "hello\ngot hello\n"), (done, logs))
    expect_error(
        "send_session_command_input to a completed command",
        lambda: p.send_session_command_input("s1", r.cmd_id, "late"),
        "DaytonaGoneError",
        410,
    )

    r = p.execute_session_command("s1", SessionExecuteRequest(command="printf 'a\\377b'; head -c 5000000 /dev/zero | tr '\\0' q"))
    check("session output: non-UTF-8 replaced, huge bounded and saying so", r.stdout.startswith("a\ufffdb") and r.stdout.count("q") == LIMIT - 3 and r.stdout.endswith("later output is not kept]\n"), r.stdout[:10] + r.stdout[-120:])

    sessions = p.list_sessions()
    check("list_sessions", [(s.session_id, len(s.commands)) for s in sessions] == [("s1", 5)], sessions)
    session = p.get_session("s1")
    check("get_session lists its commands", [c.exit_code for c in session.commands] == [0, 1, 0, 0, 0], session)

    expect_error("get_session of a missing session", lambda: p.get_session("nope"), "DaytonaNotFoundError", 404)
    expect_error("get_session_command of a missing command", lambda: p.get_session_command("s1", "nope"), "DaytonaNotFoundError", 404)
    expect_error(
        "execute_session_command in a missing session",
        lambda: p.execute_session_command("nope", SessionExecuteRequest(command="true")),
        "DaytonaNotFoundError",
        404,
    )

    r = p.execute_session_command("s1", SessionExecuteRequest(command="sleep 777 &"))
    check("a session command that forks a daemon returns", r.exit_code == 0 and len(alive(container, "sleep 777")) == 1, r)
    p.delete_session("s1")
    check("delete_session kills the session's processes in the container", alive(container, "sleep 777") == [], alive(container, "sleep 777"))
    expect_error("get_session after delete_session", lambda: p.get_session("s1"), "DaytonaNotFoundError", 404)

    entry = p.get_entrypoint_session()
    check(
        "get_entrypoint_session names the container's entrypoint",
        entry.session_id == "entrypoint" and [(c.command, c.exit_code) for c in entry.commands] == [(" ".join(f"'{w}'" for w in ENTRYPOINT), None)],
        entry,
    )
    logs = p.get_entrypoint_logs()
    check("get_entrypoint_logs", (logs.stdout, logs.stderr) == ("started\n", "warning\n"), logs)


def main():
    name = sys.argv[1]
    out = {"sdk": importlib.metadata.version("daytona")}
    client = Daytona()
    image = Image.base("debian:bookworm-slim").run_commands(APT).entrypoint(ENTRYPOINT)
    client.snapshot.create(CreateSnapshotParams(name=name, image=image), timeout=900)
    sandbox = client.create(CreateSandboxFromSnapshotParams(snapshot=name), timeout=120)
    container = f"pj-sandbox-{sandbox.id}"
    out["sandbox"] = sandbox.id
    out["container"] = container
    p = sandbox.process
    try:
        exec_checks(p, container)
        code_run_checks(p)
        session_checks(p, container)
    finally:
        client.delete(sandbox)
    expect_error("exec in a deleted sandbox", lambda: p.exec("true"), "DaytonaNotFoundError", 404)
    out["passed"] = len(passed)
    out["failed"] = failed
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, do not hide
        traceback.print_exc()
        print(f"FAIL process: the run stopped: {e}", flush=True)
        print(json.dumps({"failure": error(e), "passed": len(passed), "failed": failed}))
        sys.exit(1)
