"""What the official Daytona Python SDK (daytona==0.226.1) sees of an operation the local
server does not implement: an error carrying the server's 501 message.

Usage: python sdk_unimplemented.py SNAPSHOT
Reads DAYTONA_API_KEY / DAYTONA_API_URL / DAYTONA_TARGET from the environment. Creates a
sandbox from SNAPSHOT (the reference image), then calls, the way the SDK's documentation
shows them, three operations the server answers with 501: `sandbox.fork()` (forkSandbox),
`sandbox.computer_use.start()` (StartComputerUse, through the toolbox) and
`daytona.volume.list()` (listVolumes). Deletes the sandbox. Prints a PASS/FAIL line per
call, then one JSON object with the errors the SDK raised.
"""

import sys

import sdk_http
from sdk_http import Report, state

sdk_http.allow_http()

from daytona import CreateSandboxFromSnapshotParams, Daytona, DaytonaError  # noqa: E402

# operationId -> the SDK call
CALLS = {
    "forkSandbox": lambda client, sandbox: sandbox.fork(),
    "StartComputerUse": lambda client, sandbox: sandbox.computer_use.start(),
    "listVolumes": lambda client, sandbox: client.volume.list(),
}


def main():
    snapshot = sys.argv[1]
    report = Report("unimplemented")
    out = {"errors": {}}
    client = Daytona()
    sandbox = client.create(CreateSandboxFromSnapshotParams(snapshot=snapshot), timeout=120)
    report.expect("create a sandbox from the reference snapshot", state(sandbox.state), "started")
    try:
        for operation, call in CALLS.items():
            said = f"the local Daytona server does not implement {operation}"
            e = report.raises(f"{operation} raises DaytonaError", DaytonaError, call, client, sandbox)
            out["errors"][operation] = e
            if e is not None:
                report.expect(f"{operation}: the error carries the server's message", said in e["message"], True)
                report.expect(f"{operation}: the error carries the status", e["status"], 501)
    finally:
        client.delete(sandbox)
    report.ok("delete the sandbox")
    report.finish(out)


if __name__ == "__main__":
    sdk_http.run(main)
