#!/usr/bin/env bash
# Regenerates docs/local-daytona.md, the local Daytona's operation coverage page:
#  1. runs every official-SDK driver of tests/tests/ (the test binaries that use
#     support::sdk) with PJ_BLESS=1, so each records the operations its script made the
#     server answer (daytona-local/coverage/sdk/<script>.ops); a driver that fails stops
#     here and records nothing;
#  2. rewrites the page from the operation list, the server's implemented operations and
#     daytona-local/coverage/ (PJ_BLESS=1 cargo test -p pj-tests --test coverage), and
#     checks the data (every implemented operation has a test that exists).
# Then review `git diff docs/local-daytona.md daytona-local/coverage` and commit it.
#
#   scripts/local-daytona-coverage.sh [--page-only]
#
# Needs Docker and the SDK venv (tests/conformance/setup.sh installs it). Extra cargo
# arguments go in CARGO_TEST_ARGS (e.g. "--release").
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--page-only" ]; then
    drivers=()
    for file in tests/tests/*.rs; do
        # (sdk_harness.rs runs harness_selftest.py, which makes no SDK call)
        if grep -q 'sdk::run\|sdk::Script\|Script::new' "$file" && ! grep -q harness_selftest "$file"; then
            drivers+=(--test "$(basename "$file" .rs)")
        fi
    done
    echo "coverage: running the SDK drivers with PJ_BLESS=1: ${drivers[*]}" >&2
    # shellcheck disable=SC2086
    PJ_BLESS=1 cargo test -p pj-tests ${CARGO_TEST_ARGS:-} "${drivers[@]}"
fi
echo "coverage: writing docs/local-daytona.md" >&2
# shellcheck disable=SC2086
PJ_BLESS=1 cargo test -p pj-tests ${CARGO_TEST_ARGS:-} --test coverage
# shellcheck disable=SC2086
cargo test -p pj-tests ${CARGO_TEST_ARGS:-} --test coverage
git status --short docs/local-daytona.md daytona-local/coverage
