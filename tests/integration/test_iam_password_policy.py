"""accountguard.aws.iam_password_policy against the local AWS emulator.

Ground truth is the policy the emulator holds afterwards (read with boto3); check mode is proved by the
request log holding no write call, never by what the module says about itself.
"""

from __future__ import annotations

import sys

import pytest
import yaml
from helpers.ansible_run import run_module, run_playbook

MODULE = "accountguard.aws.iam_password_policy"
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}

CIS = {
    "minimum_password_length": 14,
    "require_symbols": True,
    "require_numbers": True,
    "require_uppercase": True,
    "require_lowercase": True,
    "allow_users_to_change_password": True,
    "max_password_age": 90,
    "password_reuse_prevention": 24,
    "hard_expiry": False,
}
CIS_API = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "MaxPasswordAge": 90,
    "PasswordReusePrevention": 24,
    "HardExpiry": False,
}


def run(emulator, args, check=False, diff=False):
    return run_module(MODULE, args, check=check, diff=diff, env=emulator.env() | LOCAL_PYTHON)


def stored(iam):
    """The account's custom policy, or None."""
    try:
        return iam.get_account_password_policy()["PasswordPolicy"]
    except iam.exceptions.NoSuchEntityException:
        return None


def writes(emulator):
    return [r for r in emulator.requests(writes_only=True) if r["service"] == "iam"]


@pytest.fixture
def iam(emulator):
    return emulator.client("iam")


def test_create_then_idempotent(emulator, iam):
    first = run(emulator, CIS)
    assert first["_rc"] == 0, first.get("msg")
    assert first["changed"] is True
    assert {k: v for k, v in stored(iam).items() if k in CIS_API} == CIS_API
    assert first["policy"] == {**CIS, "expire_passwords": True}
    assert [w["action"] for w in writes(emulator)] == ["UpdateAccountPasswordPolicy"]

    emulator.clear_requests()
    second = run(emulator, CIS)
    assert second["changed"] is False
    assert second["changed_options"] == []
    assert writes(emulator) == []


def test_check_mode_present_predicts_without_writing(emulator, iam):
    result = run(emulator, CIS, check=True, diff=True)
    assert result["_rc"] == 0, result.get("msg")
    assert result["changed"] is True
    assert result["policy"] == {**CIS, "expire_passwords": True}
    assert result["diff"] == {"before": None, "after": {**CIS, "expire_passwords": True}}
    assert writes(emulator) == []
    assert stored(iam) is None


def test_check_mode_absent_predicts_without_deleting(emulator, iam):
    iam.update_account_password_policy(**CIS_API)
    result = run(emulator, {"state": "absent"}, check=True, diff=True)
    assert result["changed"] is True
    assert result["policy"] is None
    assert result["diff"]["before"]["minimum_password_length"] == 14
    assert result["diff"]["after"] is None
    assert writes(emulator) == []
    assert stored(iam)["MinimumPasswordLength"] == 14


def test_absent_deletes_then_idempotent(emulator, iam):
    iam.update_account_password_policy(**CIS_API)
    first = run(emulator, {"state": "absent"})
    assert first["changed"] is True
    assert stored(iam) is None

    emulator.clear_requests()
    second = run(emulator, {"state": "absent"}, check=True)
    assert second["changed"] is False
    assert writes(emulator) == []


def test_unset_options_keep_current_values(emulator, iam):
    iam.update_account_password_policy(**CIS_API)
    result = run(emulator, {"require_symbols": False, "max_password_age": 0}, diff=True)
    assert result["changed"] is True
    assert sorted(result["changed_options"]) == ["max_password_age", "require_symbols"]
    policy = stored(iam)
    assert policy["RequireSymbols"] is False
    assert "MaxPasswordAge" not in policy or policy["MaxPasswordAge"] in (0, None)
    assert policy["ExpirePasswords"] is False
    # everything not given survived the full-replace API call
    assert policy["MinimumPasswordLength"] == 14
    assert policy["PasswordReusePrevention"] == 24
    assert policy["AllowUsersToChangePassword"] is True
    assert result["diff"]["before"]["require_symbols"] is True
    assert result["diff"]["after"]["require_symbols"] is False


def test_amazon_aws_aliases_are_a_drop_in(emulator, iam):
    legacy = {
        "state": "present",
        "min_pw_length": 14,
        "require_symbols": True,
        "require_numbers": True,
        "require_uppercase": True,
        "require_lowercase": True,
        "allow_pw_change": True,
        "pw_max_age": 90,
        "pw_reuse_prevent": 24,
        "pw_expire": False,
    }
    result = run(emulator, legacy)
    assert result["_rc"] == 0, result.get("msg")
    assert {k: v for k, v in stored(iam).items() if k in CIS_API} == CIS_API

    emulator.clear_requests()
    assert run(emulator, CIS, check=True)["changed"] is False
    assert writes(emulator) == []


BAD_INPUTS = [
    ({"minimum_password_length": 5}, "minimum_password_length must be between 6 and 128"),
    ({"min_pw_length": 129}, "minimum_password_length must be between 6 and 128"),
    ({"max_password_age": 1096}, "max_password_age must be between 0 and 1095"),
    ({"pw_max_age": -1}, "max_password_age must be between 0 and 1095"),
    ({"password_reuse_prevention": 25}, "password_reuse_prevention must be between 0 and 24"),
    ({"minimum_password_length": "long"}, "minimum_password_length"),
    ({"state": "enforced"}, "state"),
    ({"require_symbols": "perhaps"}, "require_symbols"),
    ({"no_such_option": 1}, "no_such_option"),
]


def test_bad_input_fails_before_any_api_call(emulator, tmp_path):
    # One playbook for every case: each task must fail on its own, and none may reach AWS.
    tasks = [{"name": f"bad {i}", MODULE: args, "ignore_errors": True} for i, (args, _message) in enumerate(BAD_INPUTS)]
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]
    playbook = tmp_path / "bad_inputs.yml"
    playbook.write_text(yaml.safe_dump(play))
    result = run_playbook(playbook, check=True, env=emulator.env() | LOCAL_PYTHON)
    outcomes = result.task_results()
    assert len(outcomes) == len(BAD_INPUTS), result.stdout[-2000:]
    for outcome, (args, message) in zip(outcomes, BAD_INPUTS, strict=True):
        assert outcome.get("failed") is True, args
        assert message in outcome["msg"], (args, outcome["msg"])
    assert emulator.requests() == []
