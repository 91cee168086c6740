"""iam_users and iam_access_keys on one emulated account: AWS API calls and task time versus users.

Seeds the local AWS emulator with boto3 (``--undeclared`` users that the module does not manage, each with
one access key, ``--stale`` percent of them back-dated past the rotation limits), then for each number of
declared users in ``--declared``: applies accountguard.aws.iam_users (creation), runs it again in check mode
(the nightly drift check), and runs accountguard.aws.iam_access_keys in check mode. Prints, per run, the
emulator's count of IAM calls (reads and writes) and the task's own duration from the json callback.

  .venv/bin/python bench/iam_users_scale.py [--declared 2 200] [--undeclared 1000] [--stale 10] [--json]

Expected shape: iam_users costs 1 call (GetAccountAuthorizationDetails, plus pagination) + 2 per declared
user, whatever the number of undeclared users; iam_access_keys costs the credential report calls + one
ListAccessKeys per offending user.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from emulator import Emulator
from helpers.ansible_run import run_playbook

ACCOUNT = "123456789012"


def task_seconds(result) -> float | None:
    for play in result.data.get("plays", []):
        for task in play.get("tasks", []):
            duration = task.get("task", {}).get("duration") or {}
            if duration.get("start") and duration.get("end"):
                start = datetime.fromisoformat(duration["start"].replace("Z", "+00:00"))
                end = datetime.fromisoformat(duration["end"].replace("Z", "+00:00"))
                return (end - start).total_seconds()
    return None


def run_task(emulator, workdir: Path, module: str, args: dict, check: bool) -> dict:
    play = [
        {"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [{"name": module, module: args}]}
    ]
    playbook = workdir / "play.yml"
    playbook.write_text(yaml.safe_dump(play), encoding="utf-8")
    emulator.clear_requests()
    result = run_playbook(playbook, check=check, env=emulator.env() | {"ANSIBLE_PYTHON_INTERPRETER": sys.executable})
    if result.rc != 0:
        raise SystemExit(f"{module} failed:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")
    calls = [r for r in emulator.requests() if r["service"] in ("iam", "sts")]
    return {
        "module": module.rsplit(".", 1)[-1],
        "check_mode": check,
        "api_calls": len(calls),
        "writes": sum(1 for r in calls if r["write"]),
        "per_action": dict(sorted(Counter(r["action"] for r in calls).items())),
        "task_seconds": task_seconds(result),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declared", type=int, nargs="+", default=[2, 200])
    parser.add_argument("--undeclared", type=int, default=1000)
    parser.add_argument("--stale", type=int, default=10, help="percent of undeclared users with a stale key")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    rows = []
    with Emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for declared in args.declared:
            emulator.reset()
            iam = emulator.client("iam")
            iam.create_group(GroupName="Cloudadmin")
            stale_every = max(1, round(100 / args.stale)) if args.stale else 0
            for index in range(args.undeclared):
                name = f"legacy{index:05d}"
                iam.create_user(UserName=name)
                key_id = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
                if stale_every and index % stale_every == 0:
                    emulator.backdate_access_key(ACCOUNT, name, key_id, created_days_ago=200, last_used_days_ago=None)
            users = [
                {
                    "name": f"user{index:04d}",
                    "console_access": index % 4 == 0,
                    "programmatic_access": index % 4 != 0,
                    "groups": ["Cloudadmin"] if index % 10 == 0 else [],
                    "tags": {"team": "platform", "index": str(index)},
                }
                for index in range(declared)
            ]
            module_args = {"users": users, "credentials_dir": str(workdir / "credentials" / str(declared))}
            for check in (False, True):
                row = run_task(emulator, workdir, "accountguard.aws.iam_users", module_args, check)
                rows.append({"declared": declared, "undeclared": args.undeclared, **row})
            row = run_task(emulator, workdir, "accountguard.aws.iam_access_keys", {}, True)
            rows.append({"declared": declared, "undeclared": args.undeclared, **row})

    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'module':<16}{'declared':>9}{'undeclared':>11}{'check':>7}{'calls':>7}{'writes':>8}{'task s':>8}")
    for row in rows:
        seconds = f"{row['task_seconds']:.2f}" if row["task_seconds"] is not None else "-"
        print(
            f"{row['module']:<16}{row['declared']:>9}{row['undeclared']:>11}{row['check_mode']!s:>7}"
            f"{row['api_calls']:>7}{row['writes']:>8}{seconds:>8}"
        )
    for row in rows:
        print(f"{row['module']} declared={row['declared']} check={row['check_mode']}: {row['per_action']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
