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


def test_an_exception_accepts_a_finding_and_the_gate_passes(tmp_path):
    path = tmp_path / "exceptions.yml"
    path.write_text(
        "schema_version: 1\nexceptions:\n"
        "  - {account: 'ou:Root/Workloads/*', control: root_mfa, reason: r, owner: o, expires: 2999-12-31}\n"
        "  - {account: 'tag:env=sandbox', control: root_mfa, reason: r, owner: o, expires: 2000-01-01}\n",
        encoding="utf-8",
    )
    args = {
        "account_id": ACCOUNT,
        "fail_on_drift": True,
        "results": {"root": {"findings": [ROOT_MFA]}},
        "exceptions_file": "exceptions.yml",
        "exceptions_base_dir": str(tmp_path),
        "ou_path": "Root/Workloads/Prod",
        "account_tags": {"env": "sandbox"},
    }
    result = run(args)
    assert not result.get("failed") and result["drift"] == []
    assert [a["exception"]["index"] for a in result["accepted"]] == [0]
    assert result["exceptions"]["account"]["ou_path"] == "Root/Workloads/Prod"
    assert any("exception #1" in w and "expired on 2000-01-01" in w for w in result["warnings"])
    # another OU: the first entry does not match, the second has expired: drift, and the gate fails
    result = run({**args, "ou_path": "Root/Sandbox"})
    assert result["failed"] and result["drift"][0]["expired_exception"]["index"] == 1


def test_a_broken_exceptions_file_fails_the_gate(tmp_path):
    (tmp_path / "exceptions.yml").write_text("schema_version: 2\nexceptions: []\n", encoding="utf-8")
    result = run({"account_id": ACCOUNT, "exceptions_file": str(tmp_path / "exceptions.yml")})
    assert result["failed"] and "schema_version: 2 is not supported" in result["msg"]
