#!/bin/sh
# Runs inside the sandbox: starts the agent runner with the task given on the command line.
set -eu
cd /app
exec python3 /app/agent-runner.py "$@"
