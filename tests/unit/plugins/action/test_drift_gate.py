"""The drift_gate action plugin: options validated before anything, never changed, fails only on drift when asked."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task

from ansible_collections.accountguard.aws.plugins.action.drift_gate import FAILED_LINE, ActionModule
from ansible_collections.accountguard.aws.plugins.module_utils._findings import cis_ids

ACCOUNT = "111111111111"
ROOT_MFA = {"id": "root_mfa", "status": "fail", "resource": "arn", "message": "root user has no MFA", "cis": []}


def run(args, check_mode=True):
    task = Task.load({"action": "accountguard.aws.drift_gate", "args": args})
    task.check_mode = check_mode
    action = ActionModule(task, MagicMock(), PlayContext(), loader=None, templar=None, shared_loader_obj=None)
    return action.run(task_vars={})


@pytest.mark.parametrize(
    ("fail_on_drift", "results", "failed"),
    [
        (False, {"root": {"findings": [ROOT_MFA]}}, False),
        (True, {"root": {"findings": [ROOT_MFA]}}, True),
        (True, {"password_policy": {"changed": False}, "root": {"findings": []}}, False),
        (True, {}, False),
    ],
)
def test_fails_only_on_drift_and_only_when_asked(fail_on_drift, results, failed):
    result = run({"account_id": ACCOUNT, "fail_on_drift": fail_on_drift, "results": results})
    assert result["changed"] is False
    assert bool(result.get("failed")) is failed
    assert result["msg"] == result["summary"] + ([FAILED_LINE] if failed else [])


def test_returns_drift_manual_notes_and_the_console_summary():
    stale = {
        "id": "access_key_rotation",
        "status": "fail",
        "resource": "arn:aws:iam::111111111111:user/bob",
        "message": "access key 1 of bob is 200 days old (max 90)",
        "cis": cis_ids("access_key_rotation", "rotation"),
    }
    result = run(
        {
            "account_id": ACCOUNT,
            "results": {
                "password_policy": {"changed": True},
                "mfa": {"findings": [ROOT_MFA]},
                "access_keys": {"findings": [stale]},
                "iam_users": {"changed": False, "undeclared_users": ["legacy"]},
                "admin_group": {"group": {"users": [{"user_name": "alice"}, {"user_name": "eve"}]}},
            },
            "users": [{"name": "alice", "groups": ["Cloudadmin"], "console_access": True}],
            "root_require_hardware_mfa": True,
        }
    )
    assert result["summary"] == [
        f"account {ACCOUNT}: 3 drift item(s)",
        "password_policy: would change",
        "root_mfa: root user has no MFA",
        "access_key_rotation: access key 1 of bob is 200 days old (max 90)",
        "only a person can:",
        "sign in as the root user and enrol an MFA device for it (a hardware device)",
        "reported, not changed:",
        "iam_users: 1 user(s) not in baseline_users, kept: legacy",
        "admin_group: members of Cloudadmin not declared in baseline_users: eve",
    ]
    assert [d["fix_variable"] for d in result["drift"]] == [None, None, "baseline_access_keys_deactivate_stale"]
    assert result["manual"] == ["sign in as the root user and enrol an MFA device for it (a hardware device)"]
    assert [n["control"] for n in result["notes"]] == ["iam_users", "admin_group"]


def test_would_change_is_drift_under_check_only():
    args = {"account_id": ACCOUNT, "fail_on_drift": True, "results": {"admin_group": {"changed": True}}}
    assert run(args, check_mode=True)["failed"] is True
    assert "failed" not in run(args, check_mode=False)


@pytest.mark.parametrize(
    "args",
    [
        {},  # no account
        {"account_id": ACCOUNT, "results": {"root": "not a result"}},
        {"account_id": ACCOUNT, "fail_on_drift": "maybe"},
        {"account_id": ACCOUNT, "surprise": True},
    ],
)
def test_bad_options_fail_clearly(args):
    with pytest.raises(AnsibleActionFail):
        run(args)
