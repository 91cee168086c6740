"""The collection's modules run in the Ansible worker (plugins/plugin_utils/_direct_execution.py).

Both ways of running a module must give the same result against the same emulated account, the task's
`environment:` and arguments must reach the module for every loop item, and the host variable
`accountguard_direct_execution: false` must bring back the module process. Which way ran is read from the
-vvv log, and what the module saw is read back from the emulator's request log (which account was called).
"""

from __future__ import annotations

import sys

import yaml
from helpers.ansible_run import run_module, run_playbook

MODULE = "accountguard.aws.root_key_check"
PROCESS_ACCOUNT = "123456789012"
OTHER_ACCOUNTS = ["111111111111", "222222222222"]
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
ACTIVE_KEY = {"active": True, "age_days": 400, "last_used_days_ago": 30, "last_used_service": "s3"}
DIRECT = "accountguard direct execution: running"
PROCESS = "accountguard direct execution: off"
VOLATILE = {"_rc", "_stdout", "_stderr", "_task", "invocation"}


def _logged_env(emulator, tmp_path):
    log = tmp_path / "ansible.log"
    return emulator.env() | LOCAL_PYTHON | {"ANSIBLE_LOG_PATH": str(log), "ANSIBLE_VERBOSITY": "3"}, log


def test_worker_and_module_process_give_the_same_result(emulator, tmp_path):
    emulator.set_root(PROCESS_ACCOUNT, access_keys=[ACTIVE_KEY], mfa="none")
    results, logs = {}, {}
    for switch in (True, False):
        env, log = _logged_env(emulator, tmp_path / str(switch))
        (tmp_path / str(switch)).mkdir()
        task_extra = {"vars": {"accountguard_direct_execution": switch}}
        results[switch] = run_module(MODULE, {}, check=True, env=env, task_extra=task_extra)
        logs[switch] = log.read_text()

    assert DIRECT in logs[True] and PROCESS not in logs[True]
    assert PROCESS in logs[False] and DIRECT not in logs[False]
    assert results[True]["_rc"] == results[False]["_rc"] == 0
    # the emulator's state made the module fail its controls: the results carry real findings, not defaults
    assert {f["id"]: f["status"] for f in results[True]["findings"]}["root_access_keys"] == "fail"
    same = {key: value for key, value in results[True].items() if key not in VOLATILE}
    assert same == {key: value for key, value in results[False].items() if key not in VOLATILE}
    # ansible-core 2.19 returns the module's arguments (no_log ones masked); 2.21 leaves them out
    assert results[True].get("invocation") == results[False].get("invocation")


def test_each_loop_item_gets_its_own_environment_and_arguments(emulator, tmp_path):
    """One worker runs every item of a loop: nothing of one item may leak into the next."""
    for account in OTHER_ACCOUNTS:
        emulator.set_root(account, access_keys=[ACTIVE_KEY] if account == OTHER_ACCOUNTS[0] else [], mfa="virtual")
    usage_days = (0, 9)  # 0 switches the root_usage finding off: what each item got shows in its findings
    items = [{"env": emulator.env(a), "usage_days": d} for a, d in zip(OTHER_ACCOUNTS, usage_days, strict=True)]
    play = [
        {
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "root keys per account",
                    MODULE: {"root_usage_days": "{{ item.usage_days }}"},
                    "environment": "{{ item.env }}",
                    "loop": items,
                    "loop_control": {"label": "{{ item.usage_days }}"},
                }
            ],
        }
    ]
    playbook = tmp_path / "loop.yml"
    playbook.write_text(yaml.safe_dump(play))
    env, log = _logged_env(emulator, tmp_path)
    emulator.clear_requests()

    result = run_playbook(playbook, check=True, env=env)

    assert result.rc == 0, result.stdout[-2000:]
    assert log.read_text().count(DIRECT) == 2
    loop = result.task_results()[0]["results"]
    for item, account, expected_status in zip(loop, OTHER_ACCOUNTS, ("fail", "pass"), strict=True):
        findings = {f["id"]: f for f in item["findings"]}
        assert findings["root_access_keys"]["resource"] == f"arn:aws:iam::{account}:root"
        assert findings["root_access_keys"]["status"] == expected_status
        assert ("root_usage" in findings) is (item["item"]["usage_days"] > 0)
    # the calls went to the item's account, none to the account of the ansible-playbook process
    called = {request["account_id"] for request in emulator.requests()}
    assert called == set(OTHER_ACCOUNTS)
    assert emulator.requests(writes_only=True) == []
