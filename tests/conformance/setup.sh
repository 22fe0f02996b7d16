#!/usr/bin/env bash
# Installs what the Daytona conformance and Docker tests need (idempotent):
#  - tests/conformance/.venv with the official Python SDK, daytona==0.226.1;
#  - the local Docker base image pj-test-base:1 (busybox, made here: no registry is reachable);
#  - debian:bookworm-slim, the reference application's base, made from Debian's archive
#    by scripts/debian-base-image.sh (debootstrap + docker import, about a minute, once).
set -euo pipefail
cd "$(dirname "$0")"

SDK_VERSION=0.226.1
VENV="$PWD/.venv"
if ! "$VENV/bin/python" - "$SDK_VERSION" >/dev/null 2>&1 <<'PY'
import sys, importlib.metadata as m
import daytona  # noqa: F401
assert m.version("daytona") == sys.argv[1]
PY
then
    echo "conformance: creating $VENV with daytona==$SDK_VERSION"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "daytona==$SDK_VERSION"
fi
"$VENV/bin/python" -c 'import importlib.metadata as m; print("conformance: daytona", m.version("daytona"), "in", __import__("sys").prefix)'

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
    echo "conformance: no reachable Docker engine; the Docker tests will fail in CI" >&2
    exit 0
fi
make_busybox_base() {
BUSYBOX=""
for candidate in /bin/busybox /usr/bin/busybox; do
    if [ -x "$candidate" ] && dpkg -S "$candidate" 2>/dev/null | grep -q busybox-static; then BUSYBOX="$candidate"; fi
done
if [ -z "$BUSYBOX" ]; then
    echo "conformance: installing busybox-static"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq busybox-static >/dev/null
    BUSYBOX="$(dpkg -L busybox-static | grep -E '/busybox$' | head -n1)"
fi
ROOTFS="$(mktemp -d)"
trap 'rm -rf "$ROOTFS"' RETURN
mkdir -p "$ROOTFS/bin" "$ROOTFS/tmp" "$ROOTFS/etc" "$ROOTFS/root" "$ROOTFS/opt"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in $("$ROOTFS/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$ROOTFS/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOTFS/etc/passwd"
echo 'root:x:0:' > "$ROOTFS/etc/group"
chmod 1777 "$ROOTFS/tmp"
tar -C "$ROOTFS" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - pj-test-base:1 >/dev/null
echo "conformance: created Docker base image pj-test-base:1 from $BUSYBOX"
}

if docker image inspect pj-test-base:1 >/dev/null 2>&1; then
    echo "conformance: Docker base image pj-test-base:1 is present"
else
    make_busybox_base
fi
bash ../../scripts/debian-base-image.sh debian:bookworm-slim bookworm
