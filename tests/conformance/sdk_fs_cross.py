"""The official Daytona Python SDK (daytona==0.226.1) reads what pithy's Rust client wrote,
on the same sandbox: the other side of tests/tests/sandbox_fs.rs.

Usage: python sdk_fs_cross.py SANDBOX_ID REQUEST_JSON WORKDIR
Reads DAYTONA_API_KEY / DAYTONA_API_URL from the environment. REQUEST_JSON is an object:
  "download": paths to download whole (their sha256 and size are reported),
  "download_to_file": paths to download to a local file in WORKDIR (streamed; reported alike),
  "info": paths whose `get_file_info` is reported,
  "list": directories whose `list_files` is reported,
  "search": [path, pattern] pairs whose `search_files` is reported,
  "find": [path, pattern] pairs whose `find_files` is reported,
  "upload": {remote: text} the SDK uploads (for the Rust client to read back).
Prints a PASS/FAIL line per call (sdk_http.Report), then one JSON object with the results.
The sandbox is the caller's: it is neither created nor deleted here.
"""

import hashlib
import importlib.metadata
import json
import os
import sys

import sdk_http
from sdk_http import Report

sdk_http.allow_http()

from daytona import Daytona  # noqa: E402

report = Report("fs-cross")


def info_json(info):
    return {
        "name": info.name,
        "path": getattr(info, "path", None),
        "size": info.size,
        "mode": info.mode,
        "permissions": info.permissions,
        "is_dir": info.is_dir,
        "mod_time": info.mod_time,
        "owner": info.owner,
        "group": info.group,
    }


def digest(data):
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def file_digest(path):
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return {"sha256": sha.hexdigest(), "size": size}


def main():
    sandbox_id, request, workdir = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    sandbox = Daytona().get(sandbox_id)
    fs = sandbox.fs
    out = {"sdk": importlib.metadata.version("daytona"), "download": {}, "info": {}, "list": {}}
    for path in request.get("download", []):
        data = report.call(f"download {path}", fs.download_file, path)
        if data is not None:
            out["download"][path] = digest(data)
    for i, path in enumerate(request.get("download_to_file", [])):
        local = os.path.join(workdir, f"download-{i}")
        report.call(f"download {path} to a file", fs.download_file, path, local)
        if os.path.exists(local):
            out["download"][path] = file_digest(local)
            os.remove(local)
    for path in request.get("info", []):
        info = report.call(f"info {path}", fs.get_file_info, path)
        if info is not None:
            out["info"][path] = info_json(info)
    for path in request.get("list", []):
        entries = report.call(f"list {path}", fs.list_files, path)
        if entries is not None:
            out["list"][path] = sorted((info_json(e) for e in entries), key=lambda e: e["name"])
    out["search"] = [
        report.call(f"search {path} {pattern}", fs.search_files, path, pattern).files
        for path, pattern in request.get("search", [])
    ]
    out["find"] = [
        [{"file": m.file, "line": m.line, "content": m.content}
         for m in report.call(f"find {pattern} in {path}", fs.find_files, path, pattern)]
        for path, pattern in request.get("find", [])
    ]
    for remote, text in request.get("upload", {}).items():
        report.call(f"upload {remote}", fs.upload_file, text.encode(), remote)
    report.finish(out)


sdk_http.run(main)
