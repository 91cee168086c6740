"""Run one ansible-playbook and measure it: wall time, module executions per host, AWS API calls per account
(from the emulator's request log), and the controller's memory.

Memory is measured two ways, because Ansible's cost is spread over a process per fork:
- ``peak_tree_rss_mb``: the largest sum of the resident set sizes of ansible-playbook and all of its
  descendants, sampled every 0.1 s from /proc (an upper bound: pages shared after fork are counted once per
  process);
- ``max_process_rss_mb``: the largest single process of the tree (ru_maxrss from wait4, exact).
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import subprocess
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from emulator.environ import scrubbed_environ

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
MANAGEMENT_ACCOUNT_ID = "123456789012"


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields after the last ")" are fixed.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children[ppid].append(int(entry.name))
    return children


def tree_rss_kb(pid: int) -> int:
    children = _children_map()
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, ()))
        with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{p}/statm", encoding="ascii") as fh:
            total += int(fh.read().split()[1]) * PAGE_KB
    return total


def _callbacks_enabled() -> str:
    """The callbacks ansible.cfg enables, plus the benchmark's counter (an env var would replace them)."""
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / "ansible.cfg")
    enabled = [c.strip() for c in cfg.get("defaults", "callbacks_enabled", fallback="").split(",") if c.strip()]
    return ",".join([*enabled, "bench_counter"])


def ansible_env(emu_env: dict, counter_file: Path, extra: dict | None = None) -> dict:
    env = scrubbed_environ(emu_env)  # no AWS setting of the user's shell, the emulator's on top
    env.update(
        {
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_CALLBACK_PLUGINS": str(ROOT / "bench" / "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": _callbacks_enabled(),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "BENCH_COUNTER_FILE": str(counter_file),
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    env.update(extra or {})
    return env


def summarize_requests(requests: list[dict]) -> dict:
    """Per account: reads, writes and calls per action; management-account calls (AssumeRole) apart."""
    per_account: dict[str, dict] = {}
    for req in requests:
        acct = per_account.setdefault(req["account_id"], {"reads": 0, "writes": 0, "actions": Counter()})
        acct["writes" if req["write"] else "reads"] += 1
        acct["actions"][f"{req['service']}:{req['action']}"] += 1
    return {k: {**v, "actions": dict(sorted(v["actions"].items()))} for k, v in per_account.items()}


def run(
    emu,
    playbook: Path,
    inventory: Path,
    *,
    check: bool,
    forks: int,
    log_path: Path,
    extra_env: dict | None = None,
    sample_interval: float = 0.1,
) -> dict:
    """Run the playbook once against the emulator and return the measurements."""
    emu.clear_requests()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        counter_file = Path(tmp) / "counter.json"
        cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), "-f", str(forks), str(playbook)]
        if check:
            cmd += ["--check", "--diff"]
        env = ansible_env(emu.env(), counter_file, extra_env)
        load_before = os.getloadavg()[0]
        peak = 0
        done = threading.Event()
        with open(log_path, "w", encoding="utf-8") as log:
            started = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

            def sample() -> None:
                nonlocal peak
                while not done.wait(sample_interval):
                    with contextlib.suppress(OSError):
                        peak = max(peak, tree_rss_kb(proc.pid))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            # wait4, not Popen.wait: it also returns the rusage of the child and of its reaped descendants.
            _pid, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            done.set()
            sampler.join()
        counter = json.loads(counter_file.read_text(encoding="utf-8")) if counter_file.exists() else {}
    return {
        "cmd": cmd[1:],
        "rc": proc.returncode,
        "wall_s": round(wall, 3),
        "load_avg_1m_before": round(load_before, 2),
        "peak_tree_rss_mb": round(peak / 1024, 1),
        "max_process_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "executions": counter.get("executions", {}),
        "by_action": counter.get("by_action", {}),
        "stats": counter.get("stats", {}),
        "tasks": counter.get("tasks", []),
        "findings": counter.get("findings", {}),
        "facts": counter.get("facts", {}),
        "requests": summarize_requests(emu.requests()),
        "log": str(log_path),
    }
