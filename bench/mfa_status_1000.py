"""iam_mfa_status on one emulated account with many IAM users: API calls and the task's wall time.

Seeds the local AWS emulator directly with boto3 (default 1,000 users: 700 console users with virtual MFA,
90 console users without MFA, 200 programmatic-only users, 10 console users with a hardware token), then runs
accountguard.aws.iam_mfa_status once through ansible-playbook in check mode and prints the AWS API calls the
emulator counted (per action) and the task's own duration from the json callback.

  .venv/bin/python bench/mfa_status_1000.py [--users 1000] [--hardware 10] [--json]

The issue's budget: at most 10 calls plus one per user with non-virtual MFA.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from emulator import Emulator
from helpers.ansible_run import run_playbook

ACCOUNT = "123456789012"
CODES = {"AuthenticationCode1": "123456", "AuthenticationCode2": "654321"}


def seed(iam, users: int, hardware: int) -> dict:
    no_mfa = users * 9 // 100
    programmatic = users // 5
    virtual = users - no_mfa - programmatic - hardware
    plan = ["virtual"] * virtual + ["none"] * no_mfa + ["programmatic"] * programmatic + ["hardware"] * hardware
    for index, kind in enumerate(plan):
        name = f"user{index:05d}"
        iam.create_user(UserName=name)
        if kind != "programmatic":
            iam.create_login_profile(UserName=name, Password="Correct-Horse-Battery-9")
        if kind == "virtual":
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-phone")["VirtualMFADevice"][
                "SerialNumber"
            ]
            iam.enable_mfa_device(UserName=name, SerialNumber=serial, **CODES)
        elif kind == "hardware":
            iam.enable_mfa_device(UserName=name, SerialNumber=f"GAHT{index:08d}", **CODES)
    return dict(Counter(plan))


def task_seconds(result) -> float | None:
    for play in result.data.get("plays", []):
        for task in play.get("tasks", []):
            duration = task.get("task", {}).get("duration") or {}
            if duration.get("start") and duration.get("end"):
                start = datetime.fromisoformat(duration["start"].replace("Z", "+00:00"))
                end = datetime.fromisoformat(duration["end"].replace("Z", "+00:00"))
                return (end - start).total_seconds()
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--hardware", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    with Emulator() as emulator:
        emulator.reset()
        emulator.set_root(ACCOUNT, mfa="virtual")
        started = time.monotonic()
        mix = seed(emulator.client("iam"), args.users, args.hardware)
        seeded = time.monotonic() - started
        emulator.clear_requests()

        task = {"name": "iam_mfa_status", "accountguard.aws.iam_mfa_status": {}, "register": "mfa"}
        play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [task]}]
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as fh:
            yaml.safe_dump(play, fh)
        env = emulator.env() | {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
        started = time.monotonic()
        result = run_playbook(fh.name, check=True, env=env)
        playbook_seconds = time.monotonic() - started
        Path(fh.name).unlink()

        outcome = result.task_results()[-1] if result.task_results() else {}
        if result.rc != 0 or outcome.get("failed"):
            print(result.stdout[-3000:], result.stderr[-3000:], file=sys.stderr)
            return 1
        calls = Counter(r["action"] for r in emulator.requests())
        writes = len(emulator.requests(writes_only=True))

    total = sum(calls.values())
    per_user = outcome["summary"]["per_user_calls"]
    figures = {
        "users": args.users,
        "mix": mix,
        "seed_seconds": round(seeded, 1),
        "api_calls_total": total,
        "api_calls_per_action": dict(sorted(calls.items())),
        "per_user_calls": per_user,
        "constant_calls": total - per_user,
        "write_calls": writes,
        "task_seconds": task_seconds(result),
        "playbook_seconds": round(playbook_seconds, 2),
        "users_without_mfa": len(outcome["users_without_mfa"]),
        "within_budget": total - per_user <= 10 and per_user <= args.hardware,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>22}: {value}")
    return 0 if figures["within_budget"] and writes == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
