"""Command line of the emulator: ``python -m emulator {serve,start,stop,status,reset,seed}``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from emulator.client import TESTS_DIR, Emulator, EmulatorError, spawn, wait_for_state
from emulator.environ import scrub_os_environ

DEFAULT_STATE_FILE = TESTS_DIR.parent / ".build" / "emulator.json"


def _state_file(args) -> Path:
    return Path(args.state_file or os.environ.get("EMULATOR_STATE_FILE") or DEFAULT_STATE_FILE)


def _running(state_file: Path) -> Emulator | None:
    if not state_file.exists():
        return None
    state = json.loads(state_file.read_text(encoding="utf-8"))
    emulator = Emulator(url=state["url"])
    try:
        emulator.wait_healthy(timeout=2)
    except (OSError, EmulatorError):
        return None
    return emulator


def cmd_serve(args) -> int:
    from emulator.server import serve

    serve(args.host, args.port, args.state_file, args.parent_pid)
    return 0


def cmd_start(args) -> int:
    state_file = _state_file(args)
    running = _running(state_file)
    if running:
        print(f"emulator already running at {running.url}")
        return 0
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.unlink(missing_ok=True)
    log_file = state_file.with_suffix(".log")
    proc = spawn(args.port, state_file, log_file, detach=True)
    try:
        state = wait_for_state(state_file, proc, timeout=60)
    except EmulatorError as exc:
        print(f"{exc}; see {log_file}", file=sys.stderr)
        return 1
    Emulator(url=state["url"]).wait_healthy()
    print(f"emulator running at {state['url']} (pid {state['pid']}, state {state_file}, log {log_file})")
    return 0


def cmd_stop(args) -> int:
    state_file = _state_file(args)
    if not state_file.exists():
        print("emulator not running")
        return 0
    pid = json.loads(state_file.read_text(encoding="utf-8"))["pid"]
    try:
        os.kill(pid, signal.SIGINT)
        for _attempt in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    state_file.unlink(missing_ok=True)
    print(f"emulator stopped (pid {pid})")
    return 0


def cmd_status(args) -> int:
    emulator = _running(_state_file(args))
    if emulator is None:
        print("emulator not running")
        return 1
    print(json.dumps({"url": emulator.url, **emulator._control("GET", "health")}))
    return 0


def _attached(args) -> Emulator:
    emulator = Emulator(url=args.url) if args.url else _running(_state_file(args))
    if emulator is None:
        raise SystemExit("emulator not running: start it with `python -m emulator start`")
    return emulator


def cmd_reset(args) -> int:
    _attached(args).reset()
    print("emulator reset")
    return 0


def cmd_seed(args) -> int:
    description = _attached(args).seed_demo()
    print(json.dumps(description, indent=2))
    return 0


def cmd_requests(args) -> int:
    entries = _attached(args).requests(account_id=args.account_id, writes_only=args.writes_only)
    if not args.summary:
        print(json.dumps(entries, indent=2))
        return 0
    counts: dict[str, dict[str, int]] = {}
    for entry in entries:
        per_account = counts.setdefault(entry["account_id"], {"calls": 0, "writes": 0, "faults": 0})
        per_account["calls"] += 1
        per_account["writes"] += entry["write"]
        per_account["faults"] += "fault" in entry
    print(json.dumps(counts, indent=2))
    return 0


def cmd_faults(args) -> int:
    _attached(args).set_faults(
        rate=args.rate,
        kinds=args.kinds,
        accounts=args.accounts,
        actions=args.actions,
        seed=args.seed,
        slow_seconds=args.slow_seconds,
    )
    print(f"faults: rate {args.rate}" if args.rate else "faults off")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description="accountguard.aws's local AWS emulator")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--state-file", help=f"url/pid file (default {DEFAULT_STATE_FILE} or $EMULATOR_STATE_FILE)")
        p.set_defaults(func=func)
        return p

    p = add("serve", cmd_serve, "run the server in the foreground")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    p = add("start", cmd_start, "start the server in the background")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    add("stop", cmd_stop, "stop the background server")
    add("status", cmd_status, "print url and pid; exit 1 when not running")
    attached = {}
    for name, func, text in (
        ("reset", cmd_reset, "forget all state"),
        ("seed", cmd_seed, "reset, then seed a data set"),
        ("requests", cmd_requests, "print the request log (JSON)"),
        ("faults", cmd_faults, "inject faults into AWS calls (rate 0 switches them off)"),
    ):
        attached[name] = add(name, func, text)
        attached[name].add_argument("--url", help="attach to this server instead of the state file's")
    attached["seed"].add_argument("dataset", choices=["demo"])
    p = attached["requests"]
    p.add_argument("--account-id")
    p.add_argument("--writes-only", action="store_true")
    p.add_argument("--summary", action="store_true", help="counts of calls, writes and faults per account")
    p = attached["faults"]
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--kinds", nargs="+", help="throttling 500 503 drop slow (default: all)")
    p.add_argument("--accounts", nargs="+")
    p.add_argument("--actions", nargs="+")
    p.add_argument("--seed", type=int)
    p.add_argument("--slow-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    # seed, reset, requests build boto3 clients in this process: the user's AWS settings must not reach them.
    scrub_os_environ()
    return args.func(args)
