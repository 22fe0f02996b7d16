"""The agent runner: does the task pithy-jaunt gives it, in its sandbox.

Reads the task (--task-file, or the words on the command line), looks at the cloned
repository when there is one (--repo: its HEAD commit, branch, file count, the README's
first line), and asks a model about it only when a key is present (ANTHROPIC_API_KEY or
OPENAI_API_KEY) and PITHY_JAUNT_OFFLINE is not set. Writes --result (result.json): the
task, the repository, which keys were present (by name, with a sha256 fingerprint: never
a value), and whether a model was called.

Progress goes to standard output as it happens (flushed), a short pause between steps
(PITHY_JAUNT_STEP_DELAY seconds, default 0.2) so that it visibly streams. With
PITHY_JAUNT_GATE=<path> it waits, before it finishes, until that file exists (the tests
use it to see the output stream while the runner still runs).
"""
import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time

MODEL_KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")


def say(line: str) -> None:
    print(f"agent-runner: {line}", flush=True)
    time.sleep(float(os.environ.get("PITHY_JAUNT_STEP_DELAY", "0.2")))


def git(repo: str, *args: str) -> str:
    out = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def inspect(repo: str) -> dict:
    files = git(repo, "ls-files", "-z").split("\0")
    readme = next((f for f in sorted(os.listdir(repo)) if f.lower().startswith("readme")), None)
    first = None
    if readme:
        with open(os.path.join(repo, readme), encoding="utf-8", errors="replace") as f:
            first = next((line.strip() for line in f if line.strip()), None)
    return {
        "path": repo,
        "head": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "rev-parse", "--abbrev-ref", "HEAD"),
        "files": len([f for f in files if f]),
        "readme": readme,
        "readme_first_line": first,
    }


def ask_model(task: str, repo: dict | None, keys: dict) -> dict:
    """One short request to the first model whose key is present; the answer or the error
    (with every key value scrubbed from it)."""
    prompt = f"Task: {task}\n"
    if repo:
        prompt += f"Repository: {json.dumps(repo)}\n"
    prompt += "Say in three sentences how you would do this task."
    try:
        import httpx

        # Our own HTTP client: the pinned SDKs build theirs with `proxies=`, which the
        # httpx pip resolves today (0.28) no longer takes.
        http = httpx.Client(timeout=60)
        if "ANTHROPIC_API_KEY" in keys:
            import anthropic

            model = os.environ.get("PITHY_JAUNT_MODEL", "claude-3-5-haiku-latest")
            message = anthropic.Anthropic(http_client=http).messages.create(
                model=model, max_tokens=300, messages=[{"role": "user", "content": prompt}]
            )
            answer = "".join(b.text for b in message.content if b.type == "text")
        else:
            import openai

            model = os.environ.get("PITHY_JAUNT_MODEL", "gpt-4o-mini")
            reply = openai.OpenAI(http_client=http).chat.completions.create(
                model=model, max_tokens=300, messages=[{"role": "user", "content": prompt}]
            )
            answer = reply.choices[0].message.content or ""
        return {"model": model, "answer": answer}
    except Exception as e:  # the result says what went wrong; the run fails
        message = f"{type(e).__name__}: {e}"
        for name in keys:
            message = message.replace(os.environ[name], "[REDACTED]")
        return {"error": message}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task-file")
    parser.add_argument("--repo")
    parser.add_argument("--result", default="result.json")
    parser.add_argument("task", nargs="*")
    args = parser.parse_args()

    if args.task_file:
        with open(args.task_file, encoding="utf-8") as f:
            task = f.read().strip()
    else:
        task = " ".join(args.task)
    if not task:
        print("agent-runner: no task given (--task-file or words)", file=sys.stderr, flush=True)
        return 2
    say(f"task: {task.splitlines()[0]}")

    repo = None
    if args.repo:
        try:
            repo = inspect(args.repo)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"agent-runner: cannot read the repository {args.repo}: {e}", file=sys.stderr, flush=True)
            return 1
        files = f"{repo['files']} file" + ("" if repo["files"] == 1 else "s")
        say(f"repository {repo['path']}: HEAD {repo['head']} on {repo['branch']}, {files}")
        if repo["readme_first_line"]:
            say(f"{repo['readme']}: {repo['readme_first_line']}")
    else:
        say("no repository")

    keys = {name: os.environ[name] for name in MODEL_KEYS if os.environ.get(name)}
    say(f"model keys: {', '.join(keys) or 'none'}")
    offline = os.environ.get("PITHY_JAUNT_OFFLINE", "") not in ("", "0")

    gate = os.environ.get("PITHY_JAUNT_GATE")
    if gate:
        say(f"waiting for {gate}")
        while not os.path.exists(gate):
            time.sleep(0.1)

    result = {
        "task": task,
        "python": platform.python_version(),
        "repository": repo,
        "model_keys": {n: {"sha256": hashlib.sha256(v.encode()).hexdigest()} for n, v in keys.items()},
        "offline": offline,
        "model_called": False,
    }
    if keys and not offline:
        say("asking the model")
        result["model_called"] = True
        result.update(ask_model(task, repo, keys))
        if "error" in result:
            print(f"agent-runner: the model call failed: {result['error']}", file=sys.stderr, flush=True)
    else:
        say("no model call (" + ("offline" if keys else "no key") + ")")

    with open(args.result, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    say(f"wrote {args.result}")
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
