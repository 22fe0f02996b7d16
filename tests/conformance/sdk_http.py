"""The one change the conformance scripts make to the official SDK: transport policy.

The SDK's S3 client (obstore) refuses plain-http endpoints unless `allow_http` is set,
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
