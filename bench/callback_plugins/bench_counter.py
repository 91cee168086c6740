# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: counts module executions per host and times every task.

Enabled by bench/run.py through ANSIBLE_CALLBACK_PLUGINS / ANSIBLE_CALLBACKS_ENABLED, never shipped as a
plugin of the collection. It writes one JSON document to the file named by BENCH_COUNTER_FILE when the
playbook ends, so the benchmark does not depend on the stdout callback a user picked.

A "module execution" is one task result on one host that actually ran: every loop item counts, skipped
tasks and skipped items do not (they start no module), failed and unreachable ones do.
"""

from __future__ import annotations

DOCUMENTATION = """
    name: bench_counter
    type: aggregate
    short_description: count module executions per host and time tasks (benchmark only)
    description:
      - Writes per-host module execution counts and per-task wall times to the file named by
        E(BENCH_COUNTER_FILE) at the end of the playbook.
    requirements:
      - enable in the callbacks_enabled setting
"""

import json
import os
import time
from collections import defaultdict

from ansible.plugins.callback import CallbackBase


def _parts(result):
    """Host name, task and result dict of a callback result (ansible-core 2.19+ and older)."""
    host = getattr(result, "host", None) or result._host
    task = getattr(result, "task", None) or result._task
    data = getattr(result, "result", None)
    if data is None:
        data = result._result
    return host.get_name(), task, data


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_counter"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._started = time.monotonic()
        self._executions = defaultdict(int)
        self._by_action = defaultdict(lambda: defaultdict(int))
        self._tasks = []
        self._current = None
        self._findings = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
        self._facts = defaultdict(dict)

    def _close_task(self):
        if self._current is not None:
            self._current["seconds"] = round(time.monotonic() - self._current.pop("_t0"), 4)
            self._tasks.append(self._current)
            self._current = None

    def _start(self, task):
        self._close_task()
        self._current = {"name": task.get_name(), "action": task.action, "executions": 0, "_t0": time.monotonic()}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task)

    def _count(self, result, n=1):
        host, task, _data = _parts(result)
        self._executions[host] += n
        self._by_action[host][task.action] += n
        if self._current is not None:
            self._current["executions"] += n

    def _task_level(self, result):
        host, _task, data = _parts(result)
        # Loop items were counted one by one by the item callbacks.
        if "results" not in data:
            self._count(result)
        # Kept so the benchmark can check both playbooks found what was seeded: findings of checking
        # modules by control and status, and the reference playbook's own evaluation.
        for item in data.get("findings") or []:
            if isinstance(item, dict):
                self._findings[host][str(item.get("id"))][str(item.get("status"))] += 1
        facts = data.get("ansible_facts") or {}
        if "reference_findings" in facts:
            self._facts[host]["reference_findings"] = facts["reference_findings"]

    def v2_runner_on_ok(self, result):
        self._task_level(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._task_level(result)

    def v2_runner_on_unreachable(self, result):
        self._task_level(result)

    def v2_runner_item_on_ok(self, result):
        self._count(result)

    def v2_runner_item_on_failed(self, result):
        self._count(result)

    def v2_playbook_on_stats(self, stats):
        self._close_task()
        path = os.environ.get("BENCH_COUNTER_FILE")
        if not path:
            return
        hosts = sorted(set(stats.processed) | set(self._executions))
        doc = {
            "seconds": round(time.monotonic() - self._started, 4),
            "executions": {h: self._executions.get(h, 0) for h in hosts},
            "by_action": {h: dict(self._by_action.get(h, {})) for h in hosts},
            "stats": {h: stats.summarize(h) for h in hosts},
            "tasks": self._tasks,
            "findings": {h: {c: dict(s) for c, s in f.items()} for h, f in self._findings.items()},
            "facts": dict(self._facts),
        }
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1)
