#!/bin/sh
# Runs inside the sandbox: the agent runner, with pithy-jaunt's arguments (--task-file,
# --repo, --result) or a task in words. Unbuffered, so its output streams.
set -eu
exec python3 -u /app/agent-runner.py "$@"
