"""accountguard.aws.account_session against the emulator: session under --check, guard, bad input."""

from __future__ import annotations

from helpers.ansible_run import run_module

MANAGEMENT = "123456789012"
MEMBER = "111111111111"
ROLE = f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole"


def test_assumes_the_role_under_check_and_proves_the_account(emulator):
    result = run_module(
        "accountguard.aws.account_session", {"account_id": MEMBER, "role_arn": ROLE}, check=True, env=emulator.env()
    )
    assert result["ok"] is True and result["error"] is None
    assert result["account_id"] == MEMBER and result["assumed_role"] is True
    assert set(result["aws_connection"]) == {"access_key", "secret_key", "session_token"}
    # what the session_connection filter needs to open it again, and nothing secret
    renewal = result["renewal"]
    assert renewal["role_arn"] == ROLE and renewal["account_id"] == MEMBER
    assert renewal["role_session_name"] == "accountguard" and renewal["duration_seconds"] == 3600
    assert not set(result["aws_connection"].values()) & {str(v) for v in renewal.values()}
    calls = {(r["account_id"], r["action"]) for r in emulator.requests()}
    assert calls == {(MANAGEMENT, "AssumeRole"), (MEMBER, "GetCallerIdentity")}
    assert emulator.requests(writes_only=True) == []


def test_the_guard_refuses_credentials_of_another_account(emulator):
    env = emulator.env()
    failed = run_module("accountguard.aws.account_session", {"account_id": MEMBER}, env=env)
    assert failed["failed"] and "account guard" in failed["msg"] and MANAGEMENT in failed["msg"]
    assert failed["aws_connection"] == {} and failed["renewal"] is None

    reported = run_module("accountguard.aws.account_session", {"account_id": MEMBER, "fail_on_error": False}, env=env)
    assert not reported.get("failed") and reported["ok"] is False
    assert "account guard" in reported["error"] and reported["aws_connection"] == {}


def test_bad_input_fails_before_any_call(emulator):
    other = "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
    result = run_module(
        "accountguard.aws.account_session",
        {"account_id": MEMBER, "role_arn": other, "duration_seconds": 60},
        env=emulator.env(),
    )
    assert result["failed"]
    assert "belongs to account 222222222222" in result["msg"] and "duration_seconds" in result["msg"]
    assert emulator.requests() == []
