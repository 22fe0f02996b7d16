#!/usr/bin/env python3
"""Writes daytona-local/operations.tsv: every operation of Daytona's API and toolbox
OpenAPI specifications (method, path, operation id, first tag), with the specs' versions
and source in the header. The local server registers each of them (implemented, or a 501
naming it), and the coverage page is made from the same list.

    python3 scripts/daytona-operations.py API_JSON TOOLBOX_JSON SOURCE > daytona-local/operations.tsv

SOURCE says where the specs came from (repository, path and commit).
"""
import json
import sys


def operations(path, spec):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    rows = []
    for route, item in doc["paths"].items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                continue
            tag = (op.get("tags") or ["-"])[0]
            rows.append((spec, tag, method.upper(), route, op["operationId"]))
    return doc["info"]["version"], rows


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    api_version, api = operations(sys.argv[1], "api")
    toolbox_version, toolbox = operations(sys.argv[2], "toolbox")
    print(f"# Daytona's operations: api.json (version {api_version}, {len(api)} operations) and "
          f"toolbox.json (version {toolbox_version}, {len(toolbox)} operations)")
    print(f"# source: {sys.argv[3]}")
    print("# made by scripts/daytona-operations.py; columns: spec, tag, method, path, operationId")
    for row in api + toolbox:
        print("\t".join(row))


main()
