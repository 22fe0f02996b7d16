"""Misbehaves on purpose, for tests/tests/sdk_harness.rs: the harness must fail the test
for each of these runs. Usage: python harness_selftest.py MODE (no SDK call is made)."""

import json
import os
import sys
import time

mode = sys.argv[1]
if mode == "fail":
    print("PASS selftest: one call")
    print("FAIL selftest: another call: it went wrong")
    print(json.dumps({}))
elif mode == "no-pass":
    print(json.dumps({}))
elif mode == "no-json":
    print("PASS selftest: one call")
elif mode == "failure-json":
    print("PASS selftest: one call")
    print(json.dumps({"failure": {"type": "X", "message": "boom"}}))
elif mode == "exit":
    print("PASS selftest: one call")
    print(json.dumps({}))
    sys.exit(3)
elif mode == "secret":
    print("PASS selftest: the key is " + os.environ["DAYTONA_API_KEY"])
    print(json.dumps({}))
elif mode == "hang":
    print("PASS selftest: one call", flush=True)
    time.sleep(600)
else:
    sys.exit(f"unknown mode {mode}")
