"""The official SDK's side of the execute benchmark (daytona-local/benches/execute.rs).

Usage: python sdk_execute.py SANDBOX_ID CALLS
Reads DAYTONA_API_KEY / DAYTONA_API_URL from the environment, gets the sandbox and times
CALLS calls of `sandbox.process.exec("true")` (after 5 unmeasured ones), each with
`time.perf_counter`. Prints one JSON object: every call's milliseconds.
"""

import json
import sys
import time

from daytona import Daytona


def main():
    sandbox_id, calls = sys.argv[1], int(sys.argv[2])
    sandbox = Daytona().get(sandbox_id)
    for _ in range(5):
        sandbox.process.exec("true")
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        response = sandbox.process.exec("true")
        times.append((time.perf_counter() - started) * 1000)
        if response.exit_code != 0:
            raise SystemExit(f"exec true answered {response.exit_code}")
    print(json.dumps({"ms": times}))


main()
