#!/usr/bin/env python3
"""Run every definition in definitions.json through the REAL Daytona Python SDK
(daytona==0.226.1) and write what it produced to expected.json.

expected.json is the SDK's output and is never edited by hand. Regenerate with:

    bash tests/sdk-fixtures/setup.sh && tests/sdk-fixtures/.venv/bin/python tests/sdk-fixtures/generate.py

The definitions run with cwd = tree/ and HOME = /tmp/pj-sdk-home. Absolute paths used by
definitions live under /tmp/pj-sdk-fixture-abs/. Both are recreated by this script on every
run, so the output does not depend on the machine.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import sys
from pathlib import Path

SDK_VERSION = "0.226.1"

HERE = Path(__file__).resolve().parent
TREE = HERE / "tree"
DEFINITIONS = HERE / "definitions.json"
EXPECTED = HERE / "expected.json"

FIXED_HOME = Path("/tmp/pj-sdk-home")
ABS_ROOT = Path("/tmp/pj-sdk-fixture-abs")

# Files created outside the committed tree: path -> content.
OUTSIDE_FILES: dict[Path, str] = {
    # docs/daytona-contract.md §2.5 Ex6b: "~/dtn-home-test/h.txt" and "~/dtn-home-test"
    FIXED_HOME / "dtn-home-test" / "h.txt": "home\n",
    # docs/daytona-contract.md §2.5 Ex6: "/home/u/proj/ctx/app", moved under ABS_ROOT
    ABS_ROOT / "home/u/proj/ctx/app/a.txt": "a\n",
    ABS_ROOT / "home/u/proj/ctx/app/sub/b.txt": "b in sub\n",
    ABS_ROOT / "abs.txt": "absolute\n",
}

CONSTRUCTORS = {"base", "debian_slim", "from_dockerfile"}
METHODS = {
    "pip_install",
    "pip_install_from_requirements",
    "pip_install_from_pyproject",
    "add_local_file",
    "add_local_dir",
    "run_commands",
    "env",
    "workdir",
    "entrypoint",
    "cmd",
    "dockerfile_commands",
}


def prepare_outside_files() -> None:
    for root in (FIXED_HOME, ABS_ROOT):
        if root.exists():
            shutil.rmtree(root)
    for path, content in OUTSIDE_FILES.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def check_definition(index: int, d: object, seen: set[str]) -> None:
    where = f"definitions.json[{index}]"
    if not isinstance(d, dict):
        raise SystemExit(f"{where}: not an object")
    name = d.get("name")
    if not isinstance(name, str) or not name:
        raise SystemExit(f"{where}: missing name")
    if name in seen:
        raise SystemExit(f"{where}: duplicate name {name!r}")
    seen.add(name)
    calls = d.get("calls")
    if not isinstance(calls, list) or not calls:
        raise SystemExit(f"{name}: calls must be a non-empty list")
    for i, call in enumerate(calls):
        fn = call.get("fn")
        allowed = CONSTRUCTORS if i == 0 else METHODS
        if fn not in allowed:
            raise SystemExit(f"{name}: call {i} {fn!r} is not one of {sorted(allowed)}")
        if not isinstance(call.get("args", []), list) or not isinstance(call.get("kwargs", {}), dict):
            raise SystemExit(f"{name}: call {i} has malformed args/kwargs")
        if fn == "env":
            pairs = call.get("args", [None])[0]
            if not isinstance(pairs, list) or not all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs
            ):
                raise SystemExit(f"{name}: env takes one argument, a list of [key, value] pairs")
            keys = [p[0] for p in pairs]
            if len(set(keys)) != len(keys):
                raise SystemExit(f"{name}: env has a duplicate key")
    pithy = d.get("pithy")
    if not isinstance(pithy, dict):
        raise SystemExit(f"{name}: missing pithy expectation")
    if "unsupported" in pithy:
        if set(pithy) != {"unsupported"} or not isinstance(pithy["unsupported"], str):
            raise SystemExit(f"{name}: pithy.unsupported must be the only key, a string")
    else:
        if not {"dockerfile", "rules"} <= set(pithy) <= {"dockerfile", "rules", "archives"}:
            raise SystemExit(f"{name}: pithy must have dockerfile and rules, and may have archives")
        archives = pithy.get("archives", [])
        if not isinstance(archives, list) or not all(isinstance(a, str) for a in archives):
            raise SystemExit(f"{name}: pithy.archives must be a list of archive paths")
        rules = pithy["rules"]
        if not isinstance(rules, list) or rules != sorted(set(rules)):
            raise SystemExit(f"{name}: pithy.rules must be a sorted list of distinct ids")
        df = pithy["dockerfile"]
        if not isinstance(df, str) or (df != "same" and not df.endswith("\n")):
            raise SystemExit(f"{name}: pithy.dockerfile must be \"same\" or text ending in a newline")


def convert_args(fn: str, args: list[object]) -> list[object]:
    if fn == "env":
        return [dict((k, v) for k, v in args[0])] + list(args[1:])  # type: ignore[misc]
    return list(args)


def run_definition(d: dict, image_cls: type, hasher: object) -> dict:
    result: dict[str, object] = {"name": d["name"], "ok": True, "dockerfile": None, "error": None, "contexts": []}
    try:
        image = None
        for i, call in enumerate(d["calls"]):
            fn = call["fn"]
            args = convert_args(fn, call.get("args", []))
            kwargs = call.get("kwargs", {})
            target = image_cls if i == 0 else image
            image = getattr(target, fn)(*args, **kwargs)
        assert image is not None
        result["dockerfile"] = image.dockerfile()
        contexts = []
        for ctx in image._context_list:  # pylint: disable=protected-access
            md5 = None
            if os.path.isfile(ctx.source_path):
                md5 = hasher._compute_hash_for_path_md5(ctx.source_path, ctx.archive_path)  # type: ignore[attr-defined]
            contexts.append({"source": ctx.source_path, "archive": ctx.archive_path, "md5": md5})
        result["contexts"] = contexts
    except Exception as error:  # noqa: BLE001 - the SDK's error is the fixture
        result["ok"] = False
        result["dockerfile"] = None
        result["contexts"] = []
        result["error"] = f"{type(error).__name__}: {error}"
    return result


def main() -> int:
    installed = importlib.metadata.version("daytona")
    if installed != SDK_VERSION:
        print(f"daytona {installed} is installed, the fixtures need {SDK_VERSION}; run setup.sh", file=sys.stderr)
        return 1

    definitions = json.loads(DEFINITIONS.read_text(encoding="utf-8"))
    if not isinstance(definitions, list):
        raise SystemExit("definitions.json must be a JSON array")
    seen: set[str] = set()
    for index, d in enumerate(definitions):
        check_definition(index, d, seen)

    prepare_outside_files()
    os.environ["HOME"] = str(FIXED_HOME)
    os.chdir(TREE)

    # Imported after HOME is set, in case anything caches it.
    from daytona import Image  # pylint: disable=import-outside-toplevel
    from daytona._sync.object_storage import ObjectStorage  # pylint: disable=import-outside-toplevel

    # _compute_hash_for_path_md5 only needs `self` when no archive path is given; skip
    # __init__, which would build an S3 client.
    hasher = object.__new__(ObjectStorage)

    results = []
    for d in definitions:
        r = run_definition(d, Image, hasher)
        # Cross-check the archive path against the SDK's own helper.
        for c in r["contexts"]:  # type: ignore[union-attr]
            if d["calls"][0]["fn"] != "from_dockerfile" and not any(
                call["fn"] == "dockerfile_commands" for call in d["calls"]
            ):
                assert c["archive"] == ObjectStorage.compute_archive_base_path(c["source"]), c
        results.append(r)
        if r["ok"]:
            lines = r["dockerfile"].count("\n")  # type: ignore[union-attr]
            status = f"ok   {lines:3d} lines, {len(r['contexts']):d} contexts"  # type: ignore[arg-type]
        else:
            status = f"ERR  {r['error']}"
        pithy = d["pithy"]
        if "unsupported" in pithy:
            expect = "pithy: unsupported"
        else:
            kind = "same" if pithy["dockerfile"] == "same" else "differs"
            expect = f"pithy: {kind} {','.join(pithy['rules']) or '-'}"
        print(f"{d['name']:40s} {status} | {expect}".replace("\n", "\\n"))

    text = json.dumps(results, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    EXPECTED.write_text(text, encoding="utf-8")
    print(f"wrote {EXPECTED.relative_to(HERE.parent.parent)}: {len(results)} definitions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
