"""account_session: the controller front end answers exactly as the module process does.

Each case runs the same task through both front ends (ACCOUNTGUARD_CONTROLLER_EXECUTION) against fresh emulator
state and compares everything but what differs by nature (timing, request ids, tracebacks, SDK versions).
"""

from __future__ import annotations

import pytest
from helpers.ansible_run import run_module

MEMBER = "111111111111"
ROLE = f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole"
# Fields that differ between two runs of the same front end: process output, tracebacks, request ids, versions.
VOLATILE = {"_rc", "_stdout", "_stderr", "exception", "response_metadata", "boto3_version", "botocore_version"}


def comparable(result: dict) -> dict:
    result = {key: value for key, value in result.items() if key not in VOLATILE}
    # The emulator gives the role a new unique id after every reset; the session name part is the caller's.
    if result.get("user_id"):
        result["user_id"] = result["user_id"].partition(":")[2]
    # A task refused by its argument spec has no invocation in the controller front end (ActionBase's
    # validation fails before it); compare the options the task set where both report them.
    invocation = result.pop("invocation", {}).get("module_args", {})
    if not result.get("failed"):
        result["_args"] = {k: v for k, v in invocation.items() if k in ("account_id", "role_arn", "sources")}
    return result


def both(emulator, tmp_path, module_args, arrange=None, check=False) -> tuple[dict, dict]:
    results = {}
    for front_end, setting in (("controller", "true"), ("module", "false")):
        emulator.reset()
        if arrange:
            arrange(emulator)
        env = {
            **emulator.env(),
            "ACCOUNTGUARD_CONTROLLER_EXECUTION": setting,
            "ACCOUNTGUARD_CREDENTIAL_CACHE_DIR": str(tmp_path / front_end),
        }
        results[front_end] = run_module(
            "accountguard.aws.account_session", module_args, check=check, diff=True, env=env
        )
    return comparable(results["controller"]), comparable(results["module"])


def with_policy(emulator):
    emulator.client("iam", MEMBER).update_account_password_policy(MinimumPasswordLength=15)


@pytest.mark.parametrize(
    ("case", "module_args", "arrange", "check"),
    [
        (
            "session with sources",
            {"account_id": MEMBER, "role_arn": ROLE, "sources": ["password_policy"]},
            with_policy,
            True,
        ),
        ("guard", {"account_id": MEMBER}, None, False),
        ("guard reported", {"account_id": MEMBER, "fail_on_error": False}, None, False),
        ("bad input", {"account_id": "1", "role_arn": "nope", "sources": ["x"]}, None, False),
        ("bad type", {"account_id": MEMBER, "duration_seconds": "long"}, None, False),
        ("refused role", {"account_id": MEMBER, "role_arn": ROLE}, lambda e: e.deny_assume_role(MEMBER), False),
        (
            "refused role reported",
            {"account_id": MEMBER, "role_arn": ROLE, "fail_on_error": False},
            lambda e: e.deny_assume_role(MEMBER),
            False,
        ),
    ],
)
def test_account_session_front_ends_agree(emulator, tmp_path, case, module_args, arrange, check):
    controller, module = both(emulator, tmp_path, module_args, arrange, check)
    assert controller == module, case
    assert "changed" in controller and controller["changed"] is False
    if case == "session with sources":
        assert controller["sources"]["password_policy"]["policy"]["MinimumPasswordLength"] == 15
    if case.startswith("refused role"):
        assert "AccessDenied" in (controller.get("msg") or controller.get("error"))
