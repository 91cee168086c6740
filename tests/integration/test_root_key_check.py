"""accountguard.aws.root_key_check against the local AWS emulator.

The emulator holds per-account root state (keys as slots with age and use, MFA) and reflects it in
GetAccountSummary and the credential report's <root_account> row, as AWS does.
"""

from __future__ import annotations

import sys

import pytest
import yaml
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from helpers.ansible_run import run_module, run_playbook

# The stale-report test runs the module's own module_utils in-process (tests/conftest.py makes them importable).
from ansible_collections.accountguard.aws.plugins.module_utils._common import utcnow
from ansible_collections.accountguard.aws.plugins.module_utils._connection import RETRY_DECORATOR
from ansible_collections.accountguard.aws.plugins.module_utils._credential_report import (
    from_source,
    poll_credential_report,
    root_row,
    to_source,
)
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import account as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._root import assess_root

MODULE = "accountguard.aws.root_key_check"
ACCOUNT = "123456789012"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}


def run(emulator, args=None, check=True):
    return run_module(MODULE, args or {}, check=check, env=emulator.env() | LOCAL_PYTHON)


def by_id(result):
    return {f["id"]: f for f in result["findings"]}


ACTIVE = {"active": True, "age_days": 400, "last_used_days_ago": 30, "last_used_service": "s3"}
INACTIVE = {"active": False, "age_days": 200, "last_used_days_ago": None}
FRESH = {"active": True, "age_days": 10, "last_used_days_ago": 0.1, "last_used_service": "ec2"}

# keys, allow_inactive_keys, root_usage_days, root password used days ago -> key status, usage status, counts
CASES = {
    "absent": ([], False, 1, None, "pass", "pass", 0, 0),
    "active-and-signed-in-today": ([ACTIVE], False, 1, 0.2, "fail", "fail", 1, 0),
    "inactive-signed-in-within-window": ([INACTIVE], False, 7, 5, "fail", "fail", 0, 1),
    "inactive-allowed-old-sign-in": ([INACTIVE], True, 1, 5, "pass", "pass", 0, 1),
    "active-and-inactive-allowed-key-used-today": ([FRESH, INACTIVE], True, 1, None, "fail", "fail", 1, 1),
}


@pytest.mark.parametrize(
    ("keys", "allow_inactive", "usage_days", "password_days", "key_status", "usage_status", "active", "inactive"),
    list(CASES.values()),
    ids=list(CASES),
)
def test_root_keys_and_usage(
    emulator, keys, allow_inactive, usage_days, password_days, key_status, usage_status, active, inactive
):
    emulator.set_root(ACCOUNT, access_keys=keys, mfa="virtual", password_last_used_days_ago=password_days)
    emulator.clear_requests()
    result = run(emulator, {"allow_inactive_keys": allow_inactive, "root_usage_days": usage_days})
    assert result["_rc"] == 0, result.get("msg")
    assert result["changed"] is False
    assert result["compliant"] is (key_status == usage_status == "pass")

    findings = by_id(result)
    assert findings["root_access_keys"]["status"] == key_status
    assert findings["root_access_keys"]["resource"] == ROOT_ARN
    assert findings["root_access_keys"]["cis"] == [
        "cis-aws-3.0:1.4",
        "cis-aws-4.0.1:1.4",
        "cis-aws-5.0:1.3",
        "cis-aws-6.0:2.3",
        "cis-aws-7.0:2.4",
    ]
    assert findings["root_usage"]["status"] == usage_status
    assert findings["root_usage"]["cis"] == [
        "cis-aws-3.0:1.7",
        "cis-aws-4.0.1:1.7",
        "cis-aws-5.0:1.6",
        "cis-aws-6.0:2.6",
        "cis-aws-7.0:2.7",
    ]

    root = result["root"]
    assert root["access_keys_present"] is bool(keys)
    assert (root["active_access_keys"], root["inactive_access_keys"]) == (active, inactive)
    assert [k["active"] for k in root["access_keys"]] == [k["active"] for k in keys]
    assert [k["last_used_service"] for k in root["access_keys"]] == [k.get("last_used_service") for k in keys]
    assert root["mfa_active"] is True
    assert (root["password_last_used"] is None) is (password_days is None)
    assert result["credential_report"]["has_root_row"] is True
    assert result["credential_report"]["consistent_with_summary"] is True

    # constant API cost, and a checking module never writes
    actions = [r["action"] for r in emulator.requests()]
    assert set(actions) == {"GetAccountSummary", "GenerateCredentialReport", "GetCredentialReport"}
    assert actions.count("GetAccountSummary") == actions.count("GetCredentialReport") == 1
    assert emulator.requests(writes_only=True) == []


def test_fail_on_noncompliance_fails_with_the_findings(emulator):
    emulator.set_root(ACCOUNT, access_keys=[ACTIVE])
    result = run(emulator, {"fail_on_noncompliance": True})
    assert result["failed"] is True
    assert "root user has 1 active" in result["msg"]
    assert by_id(result)["root_access_keys"]["status"] == "fail"


BAD_INPUTS = [
    ({"report_max_wait": 0}, "report_max_wait must be between 1 and 900"),
    ({"root_usage_days": -1}, "root_usage_window_days must be between 0 and 3650"),
    ({"root_usage_window_days": 3651}, "root_usage_window_days must be between 0 and 3650"),
    ({"allow_inactive_keys": "sometimes"}, "allow_inactive_keys"),
]


def test_bad_input_fails_before_any_api_call(emulator, tmp_path):
    tasks = [{"name": f"bad {i}", MODULE: args, "ignore_errors": True} for i, (args, _message) in enumerate(BAD_INPUTS)]
    playbook = tmp_path / "bad_inputs.yml"
    playbook.write_text(
        yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}])
    )
    outcomes = run_playbook(playbook, env=emulator.env() | LOCAL_PYTHON).task_results()
    assert len(outcomes) == len(BAD_INPUTS)
    for outcome, (args, message) in zip(outcomes, BAD_INPUTS, strict=True):
        assert outcome.get("failed") is True, args
        assert message in outcome["msg"], (args, outcome["msg"])
    assert emulator.requests() == []


def test_stale_report_disagreeing_with_live_summary_is_reported(emulator):
    """A report generated before root got keys and MFA, read against the live summary of now.

    The emulator always serves a fresh report, so the stale one is captured first, for real, then the
    account changes; the module's own code path (assess_root) judges the pair.
    """
    iam = RetryingBotoClientWrapper(emulator.client("iam"), RETRY_DECORATOR)
    emulator.set_root(ACCOUNT, access_keys=[])
    response = poll_credential_report(
        lambda: gateway.generate_credential_report(iam), lambda: gateway.get_credential_report(iam), max_wait=30
    )
    rows, generated = from_source(to_source(response))
    emulator.set_root(ACCOUNT, access_keys=[INACTIVE], mfa="hardware")
    summary = gateway.get_account_summary(iam)

    result = assess_root(
        summary, root_row(rows), resource=ROOT_ARN, generated_time=generated, now=utcnow(), allow_inactive_keys=True
    )
    assert result["root"]["access_keys_present"] is True
    assert result["root"]["mfa_active"] is True
    # the report cannot prove the keys inactive, so allow_inactive_keys does not make them pass
    assert result["findings"][0]["status"] == "fail"
    assert result["compliant"] is False
    assert result["credential_report"]["consistent_with_summary"] is False
    assert any("stale" in w for w in result["warnings"])
    assert any("root MFA is on" in w for w in result["warnings"])
