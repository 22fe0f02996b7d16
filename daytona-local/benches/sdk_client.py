"""The official SDK's side of daytona-local/benches/sandbox_client.rs: one operation per
process, so the process's peak RSS is the operation's.

Usage: python sdk_client.py upload SANDBOX_ID LOCAL REMOTE
       python sdk_client.py download SANDBOX_ID REMOTE LOCAL
       python sdk_client.py exec SANDBOX_ID CALLS
Reads DAYTONA_API_URL / DAYTONA_API_KEY from the environment, gets the sandbox, times the
operation (`sandbox.fs.upload_file(local, remote)`, `sandbox.fs.download_file(remote,
local)`, or CALLS calls of `sandbox.process.exec("true")` after 5 unmeasured ones) with
`time.perf_counter`, and prints one JSON object: seconds, the CPU seconds the operation
took (`os.times`), each exec call's milliseconds, and VmHWM (the process's peak resident
memory, KiB) before the operation and at the end.
"""

import json
import os
import sys
import time

from daytona import Daytona


def peak_rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise SystemExit("no VmHWM in /proc/self/status (Linux only)")


def cpu_seconds():
    """The process's CPU time, user and system, all threads."""
    times = os.times()
    return times.user + times.system


def main():
    op, sandbox_id, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    sandbox = Daytona().get(sandbox_id)
    before = peak_rss_kib()
    cpu = cpu_seconds()
    times = []
    started = time.perf_counter()
    if op == "upload":
        sandbox.fs.upload_file(args[0], args[1])
    elif op == "download":
        sandbox.fs.download_file(args[0], args[1])
    elif op == "exec":
        for i in range(5 + int(args[0])):
            call = time.perf_counter()
            response = sandbox.process.exec("true")
            if response.exit_code != 0:
                raise SystemExit(f"exec true answered {response.exit_code}: {response.result}")
            if i >= 5:
                times.append((time.perf_counter() - call) * 1000)
    else:
        raise SystemExit(f"unknown operation {op}")
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "ms": times, "before_kib": before, "peak_kib": peak_rss_kib()}))


main()
