"""accountguard.aws.account_session against the emulator: session under --check, guard, sources, bad input."""

from __future__ import annotations

import pytest
from helpers.ansible_run import run_module

MANAGEMENT = "123456789012"
MEMBER = "111111111111"
ROLE = f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole"
FRONT_ENDS = {"controller": "true", "module": "false"}


@pytest.fixture(params=sorted(FRONT_ENDS))
def env(request, emulator, tmp_path):
    """The management account's credentials, a private credential cache, and one of the two front ends."""
    return {
        **emulator.env(),
        "ACCOUNTGUARD_CREDENTIAL_CACHE_DIR": str(tmp_path / "sts-cache"),
        "ACCOUNTGUARD_CONTROLLER_EXECUTION": FRONT_ENDS[request.param],
    }


def test_assumes_the_role_under_check_and_proves_the_account(emulator, env):
    iam = emulator.client("iam", MEMBER)
    iam.update_account_password_policy(MinimumPasswordLength=17)
    result = run_module(
        "accountguard.aws.account_session",
        {"account_id": MEMBER, "role_arn": ROLE, "sources": ["password_policy"]},
        check=True,
        env=env,
        task_extra={"register": "session"},
    )
    assert result["ok"] is True and result["error"] is None, result
    assert result["account_id"] == MEMBER and result["assumed_role"] is True
    assert result["arn"].startswith(f"arn:aws:sts::{MEMBER}:assumed-role/OrganizationAccountAccessRole/")
    # no credentials anywhere in the result: later tasks reach the account through the same connection options
    assert not {"aws_connection", "renewal", "expiration"} & set(result)
    issued = [s for s in emulator.issued_sessions() if s["account_id"] == MEMBER]
    assert issued
    for session in issued:
        for secret in (session["secret_access_key"], session["session_token"]):
            assert secret not in result["_stdout"] and secret not in result["_stderr"]
    # the source read once, after the guard, in the member account
    assert result["sources"]["password_policy"]["policy"]["MinimumPasswordLength"] == 17
    calls = [(r["account_id"], r["action"]) for r in emulator.requests()]
    assert calls == [(MANAGEMENT, "AssumeRole"), (MEMBER, "GetCallerIdentity"), (MEMBER, "GetAccountPasswordPolicy")]
    assert emulator.requests(writes_only=True) == []


def test_a_second_task_reuses_the_cached_role_session(emulator, env):
    args = {"account_id": MEMBER, "role_arn": ROLE}
    assert run_module("accountguard.aws.account_session", args, env=env)["ok"] is True
    assert run_module("accountguard.aws.account_session", args, env=env)["ok"] is True
    actions = [(r["account_id"], r["action"]) for r in emulator.requests()]
    assert actions.count((MANAGEMENT, "AssumeRole")) == 1
    assert actions.count((MEMBER, "GetCallerIdentity")) == 2


def test_the_guard_refuses_credentials_of_another_account(emulator, env):
    failed = run_module(
        "accountguard.aws.account_session", {"account_id": MEMBER, "sources": ["password_policy"]}, env=env
    )
    assert failed["failed"] and "account guard" in failed["msg"] and MANAGEMENT in failed["msg"]
    assert failed["ok"] is False and "sources" not in failed

    reported = run_module("accountguard.aws.account_session", {"account_id": MEMBER, "fail_on_error": False}, env=env)
    assert not reported.get("failed") and reported["ok"] is False
    assert "account guard" in reported["error"] and reported["account_id"] == MANAGEMENT
    # the guard stops before any source is read
    assert {r["action"] for r in emulator.requests()} == {"GetCallerIdentity"}


def test_a_refused_role_names_the_aws_error(emulator, env):
    emulator.deny_assume_role(MEMBER)
    args = {"account_id": MEMBER, "role_arn": ROLE}
    reported = run_module("accountguard.aws.account_session", {**args, "fail_on_error": False}, env=env)
    assert not reported.get("failed") and reported["ok"] is False
    assert "AccessDenied" in reported["error"] and "AssumeRole" in reported["error"]
    failed = run_module("accountguard.aws.account_session", args, env=env)
    assert failed["failed"] and "AccessDenied" in failed["msg"]
    assert emulator.requests(MEMBER) == []


def test_bad_input_fails_before_any_call(emulator, env):
    other = "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
    result = run_module(
        "accountguard.aws.account_session",
        {"account_id": MEMBER, "role_arn": other, "duration_seconds": 60, "sources": ["no_such_source"]},
        env=env,
    )
    assert result["failed"]
    for fragment in ("belongs to account 222222222222", "duration_seconds", "no_such_source", "password_policy"):
        assert fragment in result["msg"]
    reported = run_module("accountguard.aws.account_session", {"account_id": "1234", "fail_on_error": False}, env=env)
    assert reported["ok"] is False and "12-digit" in reported["error"]
    assert emulator.requests() == []
