"""The official SDK's side of the publish benchmark (xtask/benches/publish.rs).

Usage: python sdk_publish.py SNAPSHOT_NAME, in the directory holding data/ and big.bin.
Reads DAYTONA_API_KEY / DAYTONA_API_URL from the environment and creates the snapshot
the pithy application of the benchmark defines, waiting until it is active.
"""

import os
import sys

sys.path.insert(0, os.environ["PJ_CONFORMANCE_DIR"])

import sdk_http  # noqa: E402

sdk_http.allow_http()

from daytona import CreateSnapshotParams, Daytona, Image, Resources  # noqa: E402


def main():
    image = (
        Image.base("debian:bookworm-slim")
        .add_local_dir("data", "/app/data")
        .add_local_file("big.bin", "/app/big.bin")
    )
    params = CreateSnapshotParams(name=sys.argv[1], image=image, resources=Resources(cpu=1, memory=1, disk=3))
    Daytona().snapshot.create(params, timeout=600)


main()
