"""Reads, with the official Daytona Python SDK (daytona==0.226.1), what a Rust test did in
a sandbox's process API, so the test can compare pj-daytona's answers with the SDK's
(tests/tests/sandbox_process.rs).

Usage: python sdk_process_read.py SANDBOX_ID SESSION_ID SYNC_COMMAND_ID ASYNC_COMMAND_ID CODE ARG ENV_VALUE EXEC_COMMAND
Reads DAYTONA_API_KEY / DAYTONA_API_URL / DAYTONA_TARGET from the environment. Gets the
sandbox by id and:
- `process.get_session(SESSION_ID)`: its commands (id, command, exit code);
- `process.get_session_command_logs` of both commands (stdout and stderr apart);
- `process.get_session_command_logs_async` of the async one (the followed log, demultiplexed
  by the SDK);
- `process.code_run(CODE)` with argv [ARG] and env {"PJ_VALUE": ENV_VALUE};
- `process.exec(EXEC_COMMAND)`.
Prints a PASS/FAIL line per SDK call (sdk_http.Report), then one JSON object. Creates and
deletes nothing: the Rust test owns the sandbox.
"""

import asyncio
import importlib.metadata
import sys

import sdk_http
from sdk_http import Report

sdk_http.allow_http()

from daytona import AsyncDaytona, CodeRunParams, Daytona  # noqa: E402


def main():
    sandbox_id, session_id, sync_id, async_id, code, arg, env_value, exec_command = sys.argv[1:9]
    report = Report("process-read")
    out = {"sdk": importlib.metadata.version("daytona")}
    daytona = Daytona()
    sandbox = report.call("get the sandbox by id", daytona.get, sandbox_id)
    process = sandbox.process

    session = report.call("get_session", process.get_session, session_id)
    out["session"] = {
        "id": session.session_id,
        "commands": [{"id": c.id, "command": c.command, "exitCode": c.exit_code} for c in session.commands],
    }
    for key, command_id in (("sync", sync_id), ("async", async_id)):
        logs = report.call(f"get_session_command_logs ({key})", process.get_session_command_logs, session_id, command_id)
        out[key] = {"stdout": logs.stdout, "stderr": logs.stderr}

    # The followed log, read by the async SDK's WebSocket demultiplexer.
    async def follow():
        async with AsyncDaytona() as adaytona:
            asandbox = await adaytona.get(sandbox_id)
            stdout, stderr = [], []
            await asandbox.process.get_session_command_logs_async(session_id, async_id, stdout.append, stderr.append)
            return {"stdout": "".join(stdout), "stderr": "".join(stderr)}

    out["followed"] = report.call("get_session_command_logs_async", lambda: asyncio.run(follow()))

    run = report.call("code_run", process.code_run, code, CodeRunParams(argv=[arg], env={"PJ_VALUE": env_value}))
    out["codeRun"] = {"exitCode": run.exit_code, "result": run.result}
    done = report.call("exec", process.exec, exec_command)
    out["exec"] = {"exitCode": done.exit_code, "result": done.result}
    report.finish(out)


if __name__ == "__main__":
    sdk_http.run(main)
