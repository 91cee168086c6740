"""console_access_unused and initial_access_keys against the emulator: the module, and the baseline role whose
report JSON carries both verdicts. Ground truth is the emulator read back with boto3 (GetLoginProfile), check
mode is zero writes in the request log.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from helpers.ansible_run import ROOT, run_module, run_playbook, write_inventory

MODULE = "accountguard.aws.iam_access_keys"
PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
ACCOUNT = "123456789012"
ARN = f"arn:aws:iam::{ACCOUNT}:user/{{}}".format
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
BOTH = ["console_access_unused", "initial_access_keys"]
# Only the families under test run in the role (the session and the gate always do).
ONLY_CREDENTIAL_REPORT = {
    "baseline_password_policy_enabled": False,
    "baseline_root_account_enabled": False,
    "baseline_user_mfa_enabled": False,
    "baseline_admin_group_enabled": False,
    "baseline_iam_users_enabled": False,
    "baseline_group_permissions_enabled": False,
    "baseline_admin_policies_enabled": False,
    "baseline_cloudshell_access_enabled": False,
    "baseline_support_role_enabled": False,
    "baseline_server_certificates_enabled": False,
    "baseline_security_contact_enabled": False,
    "baseline_access_analyzer_enabled": False,
}

# name -> the emulator's create_users spec: one failing and one passing subject per rule, and the edges.
USERS = {
    "stale": {"console": True, "password_last_used_days_ago": 60},
    "fresh": {"console": True, "password_last_used_days_ago": 2},
    "exactly-45": {"console": True, "password_last_used_days_ago": 45},
    "never-signed-in": {"console": True, "password_last_changed_days_ago": 50},
    "new-starter": {"console": True, "password_last_changed_days_ago": 3},
    "declared": {"console": True, "password_last_used_days_ago": 100},
    "setup-key": {
        "console": True,
        "password_last_used_days_ago": 1,
        "access_keys": [{"created_days_ago": 0, "last_used_days_ago": None}],
    },
    "used-key": {
        "console": True,
        "password_last_used_days_ago": 1,
        "access_keys": [{"created_days_ago": 10, "last_used_days_ago": 1}],
    },
    "robot": {"access_keys": [{"created_days_ago": 10, "last_used_days_ago": None}]},
}
UNUSED = {"stale", "exactly-45", "never-signed-in", "declared"}
REMOVABLE = UNUSED - {"declared"}
CONSOLE = {name for name, spec in USERS.items() if spec.get("console")}


@pytest.fixture
def seeded(emulator):
    emulator.create_users(ACCOUNT, [{"name": name, **spec} for name, spec in USERS.items()])
    return emulator


def run(emulator, check=False, diff=False, **args):
    return run_module(MODULE, args, check=check, diff=diff, env=emulator.env() | LOCAL_PYTHON)


def verdicts(findings, control) -> dict:
    """user name (or the root ARN) -> status, of one control's findings."""
    return {f["resource"].rsplit("/", 1)[-1]: f["status"] for f in findings if f["id"] == control}


def has_console(iam, name) -> bool:
    try:
        iam.get_login_profile(UserName=name)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def test_check_mode_predicts_the_removal_with_zero_writes_and_names_the_users(seeded):
    result = run(
        seeded,
        check=True,
        diff=True,
        controls=BOTH,
        remove_unused_console_access=True,
        keep_console_access=["DECLARED"],
    )
    assert result["_rc"] == 0, result.get("msg")
    assert seeded.requests(writes_only=True) == []
    # the check reads nothing beyond the credential report (no call per user)
    assert Counter(r["action"] for r in seeded.requests()) == {"GenerateCredentialReport": 1, "GetCredentialReport": 1}
    assert result["changed"] is True and result["changed_controls"] == ["console_access_unused"]
    assert {r["user_name"] for r in result["console_access_removed"]} == REMOVABLE
    assert result["diff"]["after"] == {"console_access": dict.fromkeys(sorted(REMOVABLE), False)}
    assert verdicts(result["findings"], "console_access_unused") == {
        name: "fail" if name in UNUSED else "pass" for name in CONSOLE
    }
    assert verdicts(result["findings"], "initial_access_keys") == {
        name: "fail" if name == "setup-key" else "pass" for name in CONSOLE
    }
    assert not verdicts(result["findings"], "access_key_rotation"), "not asked for"
    by_name = {u["user_name"]: u for u in result["console_users"]}
    assert (by_name["exactly-45"]["unused_days"], by_name["exactly-45"]["unused"]) == (45, True)
    assert by_name["never-signed-in"]["unused_since"] == "password_last_changed"
    assert by_name["declared"]["kept"] is True and by_name["declared"]["console_access"] is True
    iam = seeded.client("iam")
    assert all(has_console(iam, name) for name in CONSOLE)


def test_apply_removes_unused_passwords_except_declared_ones_and_is_idempotent(seeded):
    iam = seeded.client("iam")
    result = run(seeded, controls=BOTH, remove_unused_console_access=True, keep_console_access=["declared"])
    assert result["_rc"] == 0, result.get("msg")
    assert {name for name in CONSOLE if not has_console(iam, name)} == REMOVABLE
    assert has_console(iam, "declared")
    # the user, its keys and the rest stay: only the login profile goes
    assert {u["UserName"] for u in iam.list_users()["Users"]} == set(USERS)
    writes = Counter(r["action"] for r in seeded.requests(writes_only=True))
    assert writes == {"DeleteLoginProfile": len(REMOVABLE)}
    assert Counter(r["action"] for r in seeded.requests())["GetUser"] == len(REMOVABLE)
    # findings describe the end of the run: removed passwords pass, the declared user still fails
    console = verdicts(result["findings"], "console_access_unused")
    assert {name for name, status in console.items() if status == "fail"} == {"declared"}
    assert all("removed" in f["message"] for f in result["findings"] if f["resource"].endswith(tuple(REMOVABLE)))

    seeded.clear_requests()
    again = run(seeded, controls=BOTH, remove_unused_console_access=True, keep_console_access=["declared"])
    assert again["_rc"] == 0 and again["changed"] is False and again["console_access_removed"] == []
    assert seeded.requests(writes_only=True) == []


def test_a_sign_in_newer_than_the_report_spares_the_user(seeded):
    """The report may be four hours old: a real removal reads the user first and keeps a password used since."""
    seeded.freeze_credential_report(ACCOUNT, hours_ago=3)
    seeded.backdate_password_last_used(ACCOUNT, "stale", 0.05)
    result = run(seeded, controls=["console_access_unused"], remove_unused_console_access=True)
    assert result["_rc"] == 0, result.get("msg")
    assert "stale" not in {r["user_name"] for r in result["console_access_removed"]}
    assert has_console(seeded.client("iam"), "stale")
    assert any("stale signed in since the credential report" in w for w in result.get("warnings", []))


def test_bad_limits_fail_before_any_request(emulator):
    result = run(emulator, controls=["console_access_unused"], console_max_unused_days=0)
    assert result["_rc"] != 0 and "console_max_unused_days must be between 1 and 3650" in result["msg"]
    empty = run(emulator, controls=[])
    assert empty["_rc"] != 0 and "controls must name at least one" in empty["msg"]
    assert emulator.requests() == []


# -- the baseline role and its report ------------------------------------------------------------------------------
def baseline(emulator, tmp_path: Path, name: str, check: bool, **variables):
    reports = tmp_path / name
    inventory = write_inventory(
        tmp_path / f"{name}.yml",
        {"acct": {"aws_account_id": ACCOUNT}},
        baseline_users=[{"name": "declared", "console_access": True}],
        **ONLY_CREDENTIAL_REPORT,
        **variables,
    )
    result = run_playbook(
        PLAYBOOK,
        inventory=inventory,
        check=check,
        diff=True,
        env={**emulator.env(), "ACCOUNTGUARD_REPORT_DIR": str(reports)},
    )
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((reports / "accountguard-report-latest.json").read_text())
    (account,) = report["accounts"]
    return result, account["controls"]


def test_the_report_carries_both_verdicts_and_the_apply_removes_only_undeclared_passwords(seeded, tmp_path):
    iam = seeded.client("iam")
    _check, cells = baseline(seeded, tmp_path, "check", check=True, baseline_console_access_remove_unused=True)
    assert seeded.requests(writes_only=True) == []
    # the two controls cost no call: the session reads the credential report once, the task reads nothing
    iam_calls = Counter(r["action"] for r in seeded.requests() if r["service"] == "iam")
    assert iam_calls == {"GenerateCredentialReport": 1, "GetCredentialReport": 1}
    console, initial = cells["console_access_unused"], cells["initial_access_keys"]
    assert console["status"] == initial["status"] == "drift"
    assert verdicts(console["findings"], "console_access_unused") == {
        name: "fail" if name in UNUSED else "pass" for name in CONSOLE
    }
    assert verdicts(initial["findings"], "initial_access_keys") == {
        name: "fail" if name == "setup-key" else "pass" for name in CONSOLE
    }
    assert all(
        f["cis"]
        == ["cis-aws-3.0:1.12", "cis-aws-4.0.1:1.12", "cis-aws-5.0:1.11", "cis-aws-6.0:2.11", "cis-aws-7.0:2.11"]
        for f in console["findings"]
    )
    # CIS v7.0 has no recommendation on set-up keys
    assert all(
        f["cis"] == ["cis-aws-3.0:1.11", "cis-aws-4.0.1:1.11", "cis-aws-5.0:1.10", "cis-aws-6.0:2.10"]
        for f in initial["findings"]
    )
    # the would-be removal is console_access_unused's, field by field; access_key_rotation did not drift
    fields = {c["field"] for change in console["changes"] for c in change["fields"]}
    assert fields == {f"console_access.{name}" for name in REMOVABLE}
    assert cells["access_key_rotation"]["status"] == "compliant"

    seeded.clear_requests()
    _apply, cells = baseline(seeded, tmp_path, "apply", check=False, baseline_console_access_remove_unused=True)
    assert {name for name in CONSOLE if not has_console(iam, name)} == REMOVABLE
    assert has_console(iam, "declared"), "a user declared with console access is never removed"
    assert Counter(r["action"] for r in seeded.requests(writes_only=True)) == {"DeleteLoginProfile": len(REMOVABLE)}
    # the declared user still fails: the apply changed the cell and left drift
    assert cells["console_access_unused"]["status"] == "drift"
    assert {f["resource"] for f in cells["console_access_unused"]["findings"] if f["status"] == "fail"} == {
        ARN("declared")
    }
    assert cells["access_key_rotation"]["status"] == "compliant"


def test_removal_is_opt_in_and_tags_select_one_control(seeded, tmp_path):
    result, _cells = baseline(seeded, tmp_path, "default", check=False)
    iam = seeded.client("iam")
    assert all(has_console(iam, name) for name in CONSOLE), "nothing is removed unless asked"
    assert seeded.requests(writes_only=True) == []
    gate = result.task_results("acct")[-1]
    fixes = {item["resource"].rsplit("/", 1)[-1]: item for item in gate["drift"]}
    assert fixes["stale"]["fix_variable"] == "baseline_console_access_remove_unused"
    assert "set baseline_console_access_remove_unused: true" in fixes["stale"]["fix"]
    assert fixes["declared"]["fix_variable"] is None
    assert "declared in baseline_users with console_access: true" in fixes["declared"]["fix"]
    assert fixes["setup-key"]["control"] == "initial_access_keys" and fixes["setup-key"]["fix_variable"] is None

    reports = tmp_path / "tagged"
    inventory = write_inventory(
        tmp_path / "tagged.yml",
        {"acct": {"aws_account_id": ACCOUNT}},
        baseline_access_keys_deactivate_stale=True,
        **ONLY_CREDENTIAL_REPORT,
    )
    tagged = run_playbook(
        PLAYBOOK,
        inventory=inventory,
        env={**seeded.env(), "ACCOUNTGUARD_REPORT_DIR": str(reports)},
        args=["--tags", "initial_access_keys"],
    )
    assert tagged.rc == 0, tagged.stderr[-3000:]
    task = next(
        r for r in tagged.task_results("acct") if r["_task"].endswith("Check access keys and console passwords")
    )
    assert {f["id"] for f in task["findings"]} == {"initial_access_keys"}
    # deactivate_stale is on, but access_key_rotation was not selected: no key is touched
    assert seeded.requests(writes_only=True) == []


def test_a_bad_day_limit_fails_before_any_aws_call(emulator, tmp_path):
    inventory = write_inventory(
        tmp_path / "bad.yml",
        {"acct": {"aws_account_id": ACCOUNT}},
        baseline_console_access_max_unused_days=0,
        **ONLY_CREDENTIAL_REPORT,
    )
    result = run_playbook(PLAYBOOK, inventory=inventory, check=True, env=emulator.env())
    assert result.rc != 0
    failed = next(r for r in result.task_results("acct") if r.get("failed"))
    assert "baseline_console_access_max_unused_days must be between 1 and 3650" in failed["msg"]
    assert emulator.requests() == []
