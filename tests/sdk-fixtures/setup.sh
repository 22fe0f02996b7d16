#!/usr/bin/env bash
# Creates tests/sdk-fixtures/.venv with the REAL Daytona Python SDK pinned to the
# version pithy is byte-compatible with. Idempotent: does nothing if the venv
# already has daytona at that version.
set -euo pipefail

DAYTONA_VERSION="0.226.1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PY="${PYTHON:-python3}"

if [ -x "$VENV/bin/python" ]; then
    installed="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("daytona"))' 2>/dev/null || true)"
    if [ "$installed" = "$DAYTONA_VERSION" ]; then
        echo "sdk-fixtures: daytona==$DAYTONA_VERSION already installed in $VENV"
        exit 0
    fi
fi

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "daytona==$DAYTONA_VERSION"
echo "sdk-fixtures: installed daytona==$DAYTONA_VERSION into $VENV"
