"""A minimal agent runner: reports its environment and echoes the task it was given."""
import json
import platform
import sys


def main() -> int:
    task = " ".join(sys.argv[1:]) or "no task given"
    print(json.dumps({"python": platform.python_version(), "task": task}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
