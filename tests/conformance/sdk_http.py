"""What the conformance scripts share: `allow_http`, `state`, `error`, and `Report` (the
PASS/FAIL lines and final JSON the Rust harness reads) with `run`.

The one change they make to the official SDK is transport policy: the SDK's S3 client
(obstore) refuses plain-http endpoints unless `allow_http` is set, and the local server's
S3 endpoint is http on 127.0.0.1 (docs/daytona-contract.md section 7). Call
`allow_http()` before importing from `daytona`.
"""

import json
import sys
import traceback

import daytona._sync.object_storage as object_storage
from obstore.store import S3Store as _S3Store


def _s3_store_allowing_http(*args, **kwargs):
    options = dict(kwargs.get("client_options") or {})
    options["allow_http"] = True
    kwargs["client_options"] = options
    return _S3Store(*args, **kwargs)


def allow_http():
    object_storage.S3Store = _s3_store_allowing_http


def state(value):
    """An SDK enum's value (`SnapshotState.ACTIVE` -> "active"), or the value itself."""
    return getattr(value, "value", value)


def error(e):
    """An SDK exception as JSON: its type, message and HTTP status."""
    return {"type": type(e).__name__, "message": str(e), "status": getattr(e, "status_code", None)}


class Report:
    """One line per SDK call, `PASS <area>: <what>` or `FAIL <area>: <what>: <why>`, and
    the final JSON object, as the Rust harness (tests/tests/support/sdk.rs) reads them: it
    fails the test on any FAIL line, on none PASS, or without the final JSON.

        report = Report("fs")
        report.ok("upload a file")
        report.expect("download it", content, b"hello")
        err = report.raises("download a missing file", DaytonaNotFoundError, fs.download_file, "/nope")
        report.finish(out)
    """

    def __init__(self, area):
        self.area = area
        self.failures = 0

    def ok(self, what):
        print(f"PASS {self.area}: {what}", flush=True)

    def fail(self, what, why):
        self.failures += 1
        why = str(why).replace("\n", " ")
        print(f"FAIL {self.area}: {what}: {why}", flush=True)

    def expect(self, what, actual, expected):
        """PASS when `actual == expected`; returns whether it was."""
        if actual == expected:
            self.ok(what)
            return True
        self.fail(what, f"got {actual!r}, expected {expected!r}")
        return False

    def call(self, what, fn, *args, **kwargs):
        """Calls `fn`: PASS and its result, or FAIL with the error and None."""
        try:
            result = fn(*args, **kwargs)
        except Exception as e:  # reported, not hidden
            self.fail(what, f"{type(e).__name__}: {e}")
            return None
        self.ok(what)
        return result

    def raises(self, what, error_type, fn, *args, **kwargs):
        """Calls `fn`, which must raise `error_type`: PASS and the error as JSON (`error`),
        or FAIL (and None) when it returns or raises something else."""
        try:
            result = fn(*args, **kwargs)
        except error_type as e:
            self.ok(what)
            return error(e)
        except Exception as e:  # the wrong error is a failure, reported
            self.fail(what, f"raised {type(e).__name__}: {e}, expected {error_type.__name__}")
            return None
        self.fail(what, f"returned {result!r}, expected {error_type.__name__}")
        return None

    def finish(self, out):
        """Prints the final JSON object; exits 1 when a check failed."""
        print(json.dumps(out), flush=True)
        sys.exit(1 if self.failures else 0)


def run(main):
    """Runs `main()`; an exception is a FAIL line, a traceback and `{"failure": ...}`."""
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # report, do not hide
        traceback.print_exc()
        print(f"FAIL script: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", flush=True)
        print(json.dumps({"failure": error(e)}), flush=True)
        sys.exit(1)
