"""What the conformance scripts share.

The one change they make to the official SDK is transport policy: the SDK's S3 client (obstore) refuses plain-http endpoints unless `allow_http` is set,
and the local server's S3 endpoint is http on 127.0.0.1 (docs/daytona-contract.md
section 7). Call
`allow_http()` before importing from `daytona`.
"""

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
