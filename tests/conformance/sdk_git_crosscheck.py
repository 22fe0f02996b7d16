"""The official Daytona Python SDK (daytona==0.226.1) reads back what pithy's Rust client
did on the same sandbox: a repository's status, branches and history, and a port's preview
link (tests/tests/sandbox_git.rs compares).

Usage: python sdk_git_crosscheck.py SANDBOX_ID REPO PORT
Reads DAYTONA_API_KEY / DAYTONA_API_URL / DAYTONA_TARGET from the environment, and
PJ_PREVIEW_TOKEN: the token the Rust client got, compared here so that no token is
printed. Prints a PASS/FAIL line per SDK call (sdk_http.Report), then one JSON object. The
sandbox is left as it was (the driver deletes it).
"""

import importlib.metadata
import os
import sys

import sdk_http
from sdk_http import Report

sdk_http.allow_http()

from daytona import Daytona  # noqa: E402


def main():
    sandbox_id, repo, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    report = Report("git")
    out = {"sdk": importlib.metadata.version("daytona")}
    sandbox = report.call("get the sandbox the Rust client made", Daytona().get, sandbox_id)
    if sandbox is None:
        report.finish(out)
        return
    status = report.call("status", sandbox.git.status, repo)
    if status is not None:
        out["status"] = {
            "currentBranch": status.current_branch,
            "ahead": status.ahead,
            "behind": status.behind,
            "branchPublished": status.branch_published,
            "files": sorted(
                [f.name, sdk_http.state(f.staging), sdk_http.state(f.worktree)] for f in status.file_status
            ),
        }
    branches = report.call("branches", sandbox.git.branches, repo)
    if branches is not None:
        out["branches"] = {"branches": branches.branches, "current": branches.current}
    # The SDK has no public method for the history: its generated toolbox client has.
    history = report.call("history (the generated client)", sandbox.git._api_client.get_commit_history, path=repo)
    if history is not None:
        out["history"] = [c.hash for c in history]

    report.area = "preview"
    link = report.call("get_preview_link", sandbox.get_preview_link, port)
    if link is not None:
        out["preview"] = {"url": link.url, "sandboxId": link.sandbox_id}
        report.expect("the token is the Rust client's", link.token == os.environ.get("PJ_PREVIEW_TOKEN"), True)
    report.finish(out)


if __name__ == "__main__":
    sdk_http.run(main)
