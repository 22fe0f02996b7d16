#!/usr/bin/env bash
# Makes a Debian base image on a machine that cannot pull from a container registry:
# debootstrap --variant=minbase from Debian's package archive, then `docker import`.
# Idempotent: an image already present under the tag is kept (Docker is the cache).
#
#   scripts/debian-base-image.sh [TAG] [SUITE]     default: debian:bookworm-slim bookworm
#
# The result stands in for the official `debian:<suite>-slim` image (which the official
# images build the same way: debootstrap minbase, then slimmed), with the same PATH and CMD.
#
# Local-machine adaptation, kept here and never in an image definition: this machine's
# CA bundle (PIP_CERT, else SSL_CERT_FILE, else /etc/ssl/certs/ca-certificates.crt; on a
# machine whose HTTPS goes through an intercepting proxy it holds the proxy's CA) is
# trusted in the image, as a local CA (/usr/local/share/ca-certificates, so the
# `ca-certificates` package keeps it when it regenerates the system bundle) and as the
# system bundle itself; and the image sets PIP_CERT to the system bundle so pip, which
# otherwise trusts only its own certifi bundle, uses it. PITHY_BASE_NO_HOST_CA=1 makes a
# plain Debian image instead.
set -euo pipefail

TAG="${1:-debian:bookworm-slim}"
SUITE="${2:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
    echo "debian-base-image: no reachable Docker engine (is the daemon running?)" >&2
    exit 1
fi
if docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "debian-base-image: $TAG is present"
    exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    echo "debian-base-image: installing debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq debootstrap >/dev/null
fi

ROOTFS="$(mktemp -d)"
trap 'rm -rf "$ROOTFS"' EXIT
echo "debian-base-image: debootstrap --variant=minbase $SUITE from $MIRROR (about a minute)"
debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 || {
    tail -n 30 "$ROOTFS.log" >&2
    echo "debian-base-image: debootstrap failed (log above)" >&2
    exit 1
}
rm -f "$ROOTFS.log"
# What the official images do after debootstrap: no caches, no logs, a sources list
# that points at the mirror.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log
echo "deb $MIRROR $SUITE main" > "$ROOTFS/etc/apt/sources.list"

CHANGES=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
         --change 'CMD ["bash"]')
HOST_CA="${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
if [ "${PITHY_BASE_NO_HOST_CA:-0}" != 1 ] && [ -f "$HOST_CA" ]; then
    mkdir -p "$ROOTFS/usr/local/share/ca-certificates" "$ROOTFS/etc/ssl/certs"
    cp "$HOST_CA" "$ROOTFS/usr/local/share/ca-certificates/host-ca-bundle.crt"
    cp "$HOST_CA" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
    CHANGES+=(--change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt')
    echo "debian-base-image: trusting this machine's CA bundle ($HOST_CA) in the image"
fi
tar --numeric-owner -C "$ROOTFS" -c . | docker import "${CHANGES[@]}" - "$TAG" >/dev/null
echo "debian-base-image: created $TAG ($(docker image inspect -f '{{.Size}}' "$TAG") bytes)"
