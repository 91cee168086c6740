"""The checking modules (root_key_check, iam_mfa_status, iam_access_keys) on both front ends, and their sources.

- Given ``account_sources`` (what the account session read once), the three modules read none of the credential
  report, the account summary and the virtual MFA list again: the emulator's request log holds zero such calls.
  Without it, each module reads what it needs once.
- Parity: the same tasks through the controller front end (action plugin, default) and the module process
  (``ACCOUNTGUARD_CONTROLLER_EXECUTION=false``), each against fresh emulator state, give the same results,
  ``changed``, warnings, failure message of bad input and of an AWS error, and leave the same state.
"""

from __future__ import annotations

import re
import sys

import pytest
import yaml
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from helpers.ansible_run import run_playbook

from ansible_collections.accountguard.aws.plugins.module_utils._connection import RETRY_DECORATOR
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import Context
from ansible_collections.accountguard.aws.plugins.module_utils._sources import (
    ACCOUNT_SUMMARY,
    CREDENTIAL_REPORT,
    VIRTUAL_MFA_DEVICES,
    AccountSources,
)

ACCOUNT = "123456789012"
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
FRONT_ENDS = {"controller": {}, "module": {"ACCOUNTGUARD_CONTROLLER_EXECUTION": "false"}}
SOURCE_ACTIONS = {"GenerateCredentialReport", "GetCredentialReport", "GetAccountSummary", "ListVirtualMFADevices"}
CODES = {"AuthenticationCode1": "123456", "AuthenticationCode2": "654321"}
ROOT_KEY = {"active": True, "age_days": 400, "last_used_days_ago": 30, "last_used_service": "s3"}


def arrange(emulator) -> dict:
    """Fresh state: root with a key and virtual MFA; alice (console, no MFA), bob (console, virtual MFA),
    deploy (a key 200 days old, never used). Returns deploy's key id."""
    emulator.reset()
    iam = emulator.client("iam")
    emulator.set_root(ACCOUNT, access_keys=[ROOT_KEY], mfa="virtual")
    for name in ("alice", "bob", "deploy"):
        iam.create_user(UserName=name)
    for name in ("alice", "bob"):
        iam.create_login_profile(UserName=name, Password="Correct-Horse-Battery-9")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="bob", SerialNumber=serial, **CODES)
    key_id = iam.create_access_key(UserName="deploy")["AccessKey"]["AccessKeyId"]
    emulator.backdate_access_key(ACCOUNT, "deploy", key_id, created_days_ago=200)
    return {"deploy_key": key_id}


def playbook(tmp_path, name: str, tasks: list[dict]):
    path = tmp_path / f"{name}.yml"
    plays = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]
    path.write_text(yaml.safe_dump(plays))
    return path


def task(name: str, module: str, args: dict, **extra) -> dict:
    return {"name": name, f"accountguard.aws.{module}": args, "ignore_errors": True, **extra}


# --- account_sources: zero repeated reads --------------------------------------------------------------------

SOURCED = "{{ sources | default(omit) }}"
CHECKS = [
    task("root", "root_key_check", {"account_sources": SOURCED}),
    task("mfa", "iam_mfa_status", {"account_sources": SOURCED}),
    task("keys", "iam_access_keys", {"account_sources": SOURCED}),
]


def read_sources(emulator) -> dict:
    """What the account session hands the role: the shared sources, read through the collection's readers
    with the test's own (unlogged) client, so the request log shows only what the modules read."""

    def clients(service):
        return RetryingBotoClientWrapper(emulator.client(service), RETRY_DECORATOR)

    ctx = Context({"report_max_wait": 30}, check_mode=False, diff_mode=False, connect=lambda: clients)
    return AccountSources(ctx).read_all([CREDENTIAL_REPORT, ACCOUNT_SUMMARY, VIRTUAL_MFA_DEVICES])


def findings(results) -> list:
    return [sorted((f["id"], f["status"], f["resource"]) for f in result["findings"]) for result in results]


def worst(found: list) -> dict:
    """Control id -> fail when any of its findings fails, else pass."""
    out = {}
    for f in found:
        out[f["id"]] = "fail" if "fail" in (out.get(f["id"]), f["status"]) else "pass"
    return out


@pytest.mark.parametrize("front_end", list(FRONT_ENDS))
def test_account_sources_are_not_read_again(emulator, tmp_path, front_end):
    arrange(emulator)
    env = emulator.env() | LOCAL_PYTHON | FRONT_ENDS[front_end]
    path = playbook(tmp_path, "checks", CHECKS)

    sources = read_sources(emulator)
    assert emulator.requests() == []
    given = run_playbook(path, extra_vars={"sources": sources}, check=True, env=env).task_results()
    sourced_log = [r["action"] for r in emulator.requests()]
    emulator.clear_requests()
    alone = run_playbook(path, check=True, env=env).task_results()
    alone_log = [r["action"] for r in emulator.requests()]

    assert [r.get("failed", False) for r in given + alone] == [False] * 6, [r.get("msg") for r in given + alone]
    # zero reads of the sources; only the live listing iam_mfa_status always makes
    assert SOURCE_ACTIONS.isdisjoint(sourced_log), sourced_log
    assert sourced_log == ["ListUsers"]
    # on their own, each module reads what it needs, once
    assert alone_log.count("GetCredentialReport") == 3
    assert alone_log.count("GetAccountSummary") == 2
    assert alone_log.count("ListVirtualMFADevices") == 1
    assert emulator.requests(writes_only=True) == []

    # the same answers either way, and the right ones
    assert findings(given) == findings(alone)
    root, mfa, keys = (worst(r["findings"]) for r in given)
    assert root == {"root_access_keys": "fail", "root_usage": "pass"}
    assert mfa == {"root_mfa": "pass", "user_mfa": "fail"}
    assert given[1]["users_without_mfa"] == ["alice"]
    assert keys == {"access_key_rotation": "fail"}


# --- parity of the two front ends ------------------------------------------------------------------------------

PARITY_TASKS = [
    task("root, stale report", "root_key_check", {"root_usage_window_days": 30}),
    task("root, bad input", "root_key_check", {"root_usage_window_days": 3651}),
    task("mfa, a user the run creates", "iam_mfa_status", {"created_users": ["newbie"]}),
    task("mfa, unknown user warns", "iam_mfa_status", {"users": ["alice", "ghost"], "fail_on_noncompliance": True}),
    task("mfa, bad input", "iam_mfa_status", {"lookup_devices_for": [" "]}),
    task("keys, predicted", "iam_access_keys", {"deactivate_stale": True}, check_mode=True),
    task("keys, deactivated", "iam_access_keys", {"deactivate_stale": True}),
    task("keys, bad input", "iam_access_keys", {"max_active_keys": 3}),
]
DENIED_TASKS = [
    task("root denied", "root_key_check", {}),
    task("mfa denied", "iam_mfa_status", {}),
    task("keys denied", "iam_access_keys", {}),
]
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")
# Differ between two runs whatever the front end: where the failure was raised, each response's date and id.
VOLATILE = {"exception", "response_metadata", "credential_cache_dir"}  # the cache: one per emulator reset


def comparable(value):
    """A result without what differs from run to run: timestamps, tracebacks, response metadata."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, str):
        return ISO_TIME.sub("<time>", value)
    return value


def run_front_end(emulator, tmp_path, front_end: str) -> dict:
    ids = arrange(emulator)
    # a report from before root's key: the modules warn that it disagrees with the live summary
    emulator.set_root(ACCOUNT, access_keys=[], mfa="virtual")
    emulator.freeze_credential_report(ACCOUNT, hours_ago=2)
    emulator.set_root(ACCOUNT, access_keys=[ROOT_KEY], mfa="virtual")
    env = emulator.env() | LOCAL_PYTHON | FRONT_ENDS[front_end]
    results = run_playbook(playbook(tmp_path, f"parity-{front_end}", PARITY_TASKS), env=env).task_results()
    status = emulator.client("iam").list_access_keys(UserName="deploy")["AccessKeyMetadata"][0]["Status"]
    writes = [r["action"] for r in emulator.requests(writes_only=True)]

    # an AWS error: a caller with no permission at all
    emulator.unfreeze_credential_report(ACCOUNT)
    iam = emulator.client("iam")
    iam.create_user(UserName="nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    emulator.enforce_iam_authorization()
    denied_env = env | {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    denied_env.pop("AWS_SESSION_TOKEN", None)
    denied = run_playbook(playbook(tmp_path, f"denied-{front_end}", DENIED_TASKS), env=denied_env).task_results()
    emulator.enforce_iam_authorization(False)
    # the caller's key id differs between two fresh states
    denied = yaml.safe_load(yaml.safe_dump(denied).replace(key["AccessKeyId"], "<caller key>"))
    return {"results": results, "denied": denied, "status": status, "writes": writes, "deploy_key": ids["deploy_key"]}


def test_front_ends_agree(emulator, tmp_path):
    controller = run_front_end(emulator, tmp_path, "controller")
    module = run_front_end(emulator, tmp_path, "module")

    for run in (controller, module):
        results = {r["_task"]: r for r in run["results"]}
        assert len(results) == len(PARITY_TASKS)
        root = results["root, stale report"]
        assert any("stale" in w for w in root["warnings"])
        assert "root_usage_window_days must be between 0 and 3650" in results["root, bad input"]["msg"]
        created = [f for f in results["mfa, a user the run creates"]["findings"] if "newbie" in f["resource"]]
        assert [(f["status"], f["message"]) for f in created] == [
            ("fail", "console user newbie created in this run, MFA not enrolled yet")
        ]
        warned = results["mfa, unknown user warns"]
        assert warned["failed"] is True and "alice has no MFA" in warned["msg"]
        assert warned["warnings"] == ["not IAM users of this account: ghost"]
        assert "lookup_devices_for must be a list of non-empty IAM user names" in results["mfa, bad input"]["msg"]
        assert results["keys, predicted"]["changed"] is True
        assert results["keys, deactivated"]["changed"] is True
        assert results["keys, deactivated"]["deactivated"][0]["access_key_id"] == run["deploy_key"]
        assert "max_active_keys must be between 0 and 2" in results["keys, bad input"]["msg"]
        # ground truth: the key was deactivated, by the one write of the run
        assert run["status"] == "Inactive"
        assert run["writes"] == ["UpdateAccessKey"]
        for result in run["denied"]:
            assert result["failed"] is True
            assert result["error"]["code"] == "AccessDenied", result["msg"]

    # the deploy key's id differs between the two fresh states; nothing else may
    module_results = yaml.safe_load(
        yaml.safe_dump(module["results"]).replace(module["deploy_key"], controller["deploy_key"])
    )
    assert comparable(controller["results"]) == comparable(module_results)
    assert comparable(controller["denied"]) == comparable(module["denied"])


def test_virtual_mfa_source_holds_no_seed(emulator):
    """The emulator lists a device's seed and QR code (AWS returns them only on creation): the source never
    keeps them, since the sources travel through task variables and results."""
    arrange(emulator)
    listed = emulator.client("iam").list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    seed = listed[0].get("Base32StringSeed")
    devices = read_sources(emulator)[VIRTUAL_MFA_DEVICES]
    assert sorted(d["SerialNumber"] for d in devices) == sorted(d["SerialNumber"] for d in listed)
    assert sorted(d["User"].get("UserName") or "<root>" for d in devices) == ["<root>", "bob"]
    assert all(set(d) <= {"SerialNumber", "EnableDate", "User"} for d in devices)
    if seed is not None:
        assert str(seed) not in repr(devices)
