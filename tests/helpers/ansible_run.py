"""Run ansible-playbook (or one module through a generated playbook) from the tests.

Every run goes through the real `ansible-playbook` binary of the virtual environment, with the checkout
visible as accountguard.aws (ansible.cfg + `make collection-link`) and the stdout callback set to
`ansible.posix.json`, so tests read structured results instead of scraping text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from emulator.environ import scrubbed_environ

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    data: dict = field(default_factory=dict)

    def task_results(self, host: str = "localhost") -> list[dict]:
        """Results of every task for one host, in order, each with the task name under `_task`."""
        out = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                res = task.get("hosts", {}).get(host)
                if res is not None:
                    out.append({**res, "_task": task["task"]["name"]})
        return out

    def stats(self) -> dict:
        return self.data.get("stats", {})


_REPORT_DIR = tempfile.mkdtemp(prefix="accountguard-test-reports-")


def ansible_env(extra_env: dict | None = None, json_output: bool = True) -> dict:
    """The environment of an ansible-playbook run: none of the parent's AWS settings, the checkout's
    ansible.cfg, this interpreter, then ``extra_env`` (typically ``emulator.env()``) on top."""
    env = scrubbed_environ()
    # Tests that want the drift report pass their own ACCOUNTGUARD_REPORT_DIR; the rest must not fill ./reports.
    env.setdefault("ACCOUNTGUARD_REPORT_DIR", _REPORT_DIR)
    env.update(
        {
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONPATH": str(ROOT / "tests"),
            # Modules run on the controller (connection local): they need the interpreter that has boto3,
            # not whatever `python3` discovery finds first on PATH.
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        }
    )
    if json_output:
        env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
        env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
    env.update(extra_env or {})
    return env


def run_playbook(
    playbook: str | Path,
    *,
    inventory: str | Path | None = None,
    extra_vars: dict | None = None,
    check: bool = False,
    diff: bool = False,
    env: dict | None = None,
    args: list[str] | None = None,
    json_output: bool = True,
    timeout: int = 900,
) -> PlaybookResult:
    cmd = [str(BIN / "ansible-playbook"), str(playbook)]
    cmd += ["-i", str(inventory) if inventory else "localhost,"]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    cmd += args or []
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=ansible_env(env, json_output),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    data = {}
    if json_output:
        start = proc.stdout.find("{")
        if start >= 0:
            try:
                # the JSON callback's document; the report callback may print the files it wrote after it
                data, _end = json.JSONDecoder().raw_decode(proc.stdout[start:])
            except json.JSONDecodeError:
                data = {}
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, data)


def write_inventory(path: Path, hosts: dict, **group_vars) -> Path:
    """Write a YAML inventory of AWS accounts: `hosts` maps host name -> host vars, `group_vars` apply to all.

    Every host is an account on the local connection, run by this interpreter (the one with boto3).
    """
    data = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, **group_vars},
            "hosts": hosts,
        }
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def run_module(
    module: str,
    module_args: dict | None = None,
    *,
    check: bool = False,
    diff: bool = False,
    env: dict | None = None,
    task_extra: dict | None = None,
) -> dict:
    """Run one module on localhost through ansible-playbook and return its result dict.

    The result carries `_rc`, `_stdout` and `_stderr` of the ansible-playbook process as well.
    """
    task = {"name": "module under test", module: module_args or {}}
    task.update(task_extra or {})
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [task]}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as fh:
        yaml.safe_dump(play, fh)
        path = fh.name
    try:
        res = run_playbook(path, check=check, diff=diff, env=env)
    finally:
        os.unlink(path)
    results = res.task_results()
    out = dict(results[-1]) if results else {"failed": True, "msg": "no task result"}
    out.update({"_rc": res.rc, "_stdout": res.stdout, "_stderr": res.stderr})
    return out
